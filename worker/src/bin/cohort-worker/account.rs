//! Commands on the worker's own account: register, stake, unstake, heartbeat.

use crate::{output, settings::Settings};
use anyhow::{bail, Context, Result};
use clap::Args;
use cohort_primitives::{Capabilities, DeterminismClass};
use cohort_worker::{
	chain::{runtime, Chain, Included},
	keys::Keys,
	trainer::Backend,
};
use serde_json::json;
use subxt::utils::Static;

/// The chain's smallest unit per UNIT (12 decimals).
const UNIT: u128 = 1_000_000_000_000;

/// An amount in UNIT with up to 12 decimals (`100`, `0.5`), as the chain's integer.
pub fn parse_amount(text: &str) -> Result<u128> {
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	if fraction.len() > 12 || whole.is_empty() && fraction.is_empty() {
		bail!("invalid amount {text:?}: UNIT with at most 12 decimals, like 100 or 0.5");
	}
	let digits = |s: &str| -> Result<u128> {
		if s.is_empty() {
			return Ok(0);
		}
		s.parse::<u128>().with_context(|| format!("invalid amount {text:?}"))
	};
	let fraction_units = digits(fraction)? * 10u128.pow(12 - fraction.len() as u32);
	digits(whole)?
		.checked_mul(UNIT)
		.and_then(|w| w.checked_add(fraction_units))
		.with_context(|| format!("amount {text:?} is too large"))
}

fn printed(settings: &Settings, call: &str, keys: &Keys, included: &Included) {
	output::print(
		settings.json,
		json!({
			"call": call,
			"account": keys.ss58_address(),
			"block": format!("{:?}", included.block),
			"extrinsic": format!("{:?}", included.extrinsic),
		}),
	);
}

async fn connect(settings: &Settings) -> Result<(Chain, Keys)> {
	let keys = settings.keys()?;
	Ok((Chain::connect(&settings.node).await?, keys))
}

#[derive(Args, Debug)]
pub struct RegisterArgs {
	/// The bond, in UNIT.
	#[arg(long)]
	bond: String,
	/// The determinism class [default: the training device's, e.g. cpu-x86_64-avx2-fma or
	/// cuda-sm90-132sm].
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

pub async fn register(settings: &Settings, args: RegisterArgs) -> Result<()> {
	let bond = parse_amount(&args.bond)?;
	let (chain, keys) = connect(settings).await?;
	let capabilities =
		capabilities(&settings.backend()?, args.class, args.memory_mib, args.gflops)?;
	let addresses =
		if args.address.is_empty() { settings.p2p.listen.clone() } else { args.address };
	let call = runtime::tx().workers().register(
		Static(capabilities),
		keys.peer_id().to_bytes(),
		addresses.iter().map(|a| a.to_vec()).collect(),
		bond,
	);
	let included = chain.submit_finalized(&keys, "Workers.register", &call).await?;
	printed(settings, "Workers.register", &keys, &included);
	Ok(())
}

#[derive(Args, Debug)]
pub struct StakeArgs {
	/// How much to add to the bond, in UNIT.
	amount: String,
}

pub async fn stake(settings: &Settings, args: StakeArgs) -> Result<()> {
	let amount = parse_amount(&args.amount)?;
	let (chain, keys) = connect(settings).await?;
	let call = runtime::tx().workers().bond_extra(amount);
	let included = chain.submit_finalized(&keys, "Workers.bond_extra", &call).await?;
	printed(settings, "Workers.bond_extra", &keys, &included);
	Ok(())
}

#[derive(Args, Debug)]
pub struct UnstakeArgs {
	/// Withdraw a bond whose unbonding delay has passed, instead of starting to unbond.
	#[arg(long)]
	withdraw: bool,
}

pub async fn unstake(settings: &Settings, args: UnstakeArgs) -> Result<()> {
	let (chain, keys) = connect(settings).await?;
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
		settings,
		if args.withdraw { "Workers.withdraw_unbonded" } else { "Workers.unbond" },
		&keys,
		&included,
	);
	Ok(())
}

pub async fn heartbeat(settings: &Settings) -> Result<()> {
	let (chain, keys) = connect(settings).await?;
	let included = chain
		.submit_finalized(&keys, "Workers.heartbeat", &runtime::tx().workers().heartbeat())
		.await?;
	printed(settings, "Workers.heartbeat", &keys, &included);
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_are_unit_with_decimals() {
		assert_eq!(parse_amount("100").unwrap(), 100 * UNIT);
		assert_eq!(parse_amount("0.5").unwrap(), UNIT / 2);
		assert_eq!(parse_amount(".000000000001").unwrap(), 1);
		for bad in ["", ".", "1.0000000000001", "-1", "1e3", "999999999999999999999999999999"] {
			assert!(parse_amount(bad).is_err(), "{bad}");
		}
	}
}
