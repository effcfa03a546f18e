//! Commands on the worker's own account: register, stake, unstake, heartbeat.

use crate::{connect::signer, inputs::parse_amount, options::Options, output};
use anyhow::{bail, Context, Result};
use clap::Args;
use cohort_primitives::{Capabilities, DeterminismClass};
use cohort_worker::{
	chain::{
		runtime::{self, runtime_types::pallet_workers::info::WorkerStatus},
		AccountId, Included,
	},
	keys::Keys,
	trainer::Backend,
};
use serde_json::json;
use subxt::utils::Static;

fn printed(options: &Options, call: &str, keys: &Keys, included: &Included) {
	output::print(
		options.json,
		json!({
			"call": call,
			"account": keys.ss58_address(),
			"block": format!("{:?}", included.block),
			"extrinsic": format!("{:?}", included.extrinsic),
		}),
	);
}

#[derive(Args, Debug)]
pub struct RegisterArgs {
	/// The bond, in UNIT.
	#[arg(long)]
	bond: String,
	/// The determinism class [default: the training device's, e.g. cpu-x86_64-fma-kc512-a3 or
	/// cuda-sm90-132sm-a3].
	#[arg(long)]
	class: Option<String>,
	/// Memory in MiB [default: the training device's].
	#[arg(long)]
	memory_mib: Option<u32>,
	/// Throughput in GFLOP/s [default: measured now].
	#[arg(long)]
	gflops: Option<u32>,
	/// Addresses to register where others can reach this worker's libp2p port [default: the
	/// --listen addresses].
	#[arg(long, value_delimiter = ',')]
	address: Vec<libp2p::Multiaddr>,
}

/// The capabilities this machine declares: its training device's, unless given.
pub fn capabilities(
	backend: &Backend,
	class: Option<String>,
	memory_mib: Option<u32>,
	gflops: Option<u32>,
) -> Result<Capabilities> {
	let class = class.unwrap_or_else(|| backend.class().into());
	let class = DeterminismClass::new(class.as_bytes()).with_context(|| {
		format!("invalid determinism class {class:?}: 1 to 32 of a-z, 0-9, '-', '_', '.'")
	})?;
	let gflops = match gflops {
		Some(g) => g,
		None => backend.measure_gflops()?,
	};
	Ok(Capabilities {
		device: backend.kind(),
		memory_mib: memory_mib.unwrap_or_else(|| backend.memory_mib()),
		gflops,
		class,
	})
}

pub async fn register(options: &Options, args: RegisterArgs) -> Result<()> {
	let bond = parse_amount(&args.bond)?;
	let (chain, keys) = signer(options).await?;
	let capabilities = capabilities(&options.backend()?, args.class, args.memory_mib, args.gflops)?;
	let addresses = if args.address.is_empty() { options.p2p.listen.clone() } else { args.address };
	let call = runtime::tx().workers().register(
		Static(capabilities),
		keys.peer_id().to_bytes(),
		addresses.iter().map(|a| a.to_vec()).collect(),
		bond,
	);
	let included = chain.submit_finalized(&keys, "Workers.register", &call).await?;
	printed(options, "Workers.register", &keys, &included);
	Ok(())
}

#[derive(Args, Debug)]
pub struct StakeArgs {
	/// How much to add to the bond, in UNIT.
	amount: String,
}

/// Add to the bond; a worker that lost its seat to a bigger bond (`Displaced`) then takes one
/// again in its class, if it now outbids the smallest seated bond.
pub async fn stake(options: &Options, args: StakeArgs) -> Result<()> {
	let amount = parse_amount(&args.amount)?;
	let (chain, keys) = signer(options).await?;
	let call = runtime::tx().workers().bond_extra(amount);
	let included = chain.submit_finalized(&keys, "Workers.bond_extra", &call).await?;
	printed(options, "Workers.bond_extra", &keys, &included);
	let at = chain.best().await?;
	let Some(worker) = at.worker(&AccountId::from(keys.account_id())).await? else {
		return Ok(());
	};
	if matches!(worker.info.status, WorkerStatus::Displaced) {
		if !at.seat_within_reach(&worker).await? {
			bail!(
				"bonded, but the worker is still displaced: its bond does not outbid the smallest \
				 seated bond of its class; stake more, or unbond"
			);
		}
		let call = runtime::tx().workers().update(Some(worker.info.capabilities), None, None);
		let included = chain
			.submit_finalized(&keys, "Workers.update", &call)
			.await
			.context("bonded, but not seated again")?;
		printed(options, "Workers.update", &keys, &included);
	}
	Ok(())
}

#[derive(Args, Debug)]
pub struct UnstakeArgs {
	/// Withdraw a bond whose unbonding delay has passed, instead of starting to unbond.
	#[arg(long)]
	withdraw: bool,
}

pub async fn unstake(options: &Options, args: UnstakeArgs) -> Result<()> {
	let (chain, keys) = signer(options).await?;
	let included = if args.withdraw {
		chain
			.submit(
				&keys,
				"Workers.withdraw_unbonded",
				&runtime::tx().workers().withdraw_unbonded(),
			)
			.await?
	} else {
		chain.submit_finalized(&keys, "Workers.unbond", &runtime::tx().workers().unbond()).await?
	};
	printed(
		options,
		if args.withdraw { "Workers.withdraw_unbonded" } else { "Workers.unbond" },
		&keys,
		&included,
	);
	Ok(())
}

pub async fn heartbeat(options: &Options) -> Result<()> {
	let (chain, keys) = signer(options).await?;
	let included = chain
		.submit_finalized(&keys, "Workers.heartbeat", &runtime::tx().workers().heartbeat())
		.await?;
	printed(options, "Workers.heartbeat", &keys, &included);
	Ok(())
}
