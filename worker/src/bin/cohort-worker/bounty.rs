//! The bounty submitter's commands: `bounty submit|prepare|status|cancel`.

use crate::{
	connect::{context, data_server, listen_addrs, serve_data_args, signer},
	inputs::{parse_amount, ModelData, OptimizerArg},
	options::Options,
	output, serving,
};
use anyhow::{bail, Context, Result};
use clap::Args;
use cohort_primitives::{
	Aggregation, BountySpec, DatasetSpec, Deadlines, DeterminismClass, HyperParams, ModelSpec,
	Requirements, H256,
};
use cohort_worker::{
	chain::{runtime, Chain},
	job, roles,
};
use serde_json::json;
use sp_arithmetic::{Perbill, Percent};
use subxt::utils::Static;

/// A fraction written as a decimal in [0, 1].
fn fraction(text: &str) -> Result<Perbill> {
	let value: f64 = text.parse().with_context(|| format!("invalid fraction {text:?}"))?;
	if !(0.0..=1.0).contains(&value) {
		bail!("fraction {text} is outside [0, 1]");
	}
	Ok(Perbill::from_parts((value * 1e9).round() as u32))
}

fn aggregation(text: &str) -> Result<Aggregation> {
	match text.split_once(':') {
		None if text == "mean" => Ok(Aggregation::Mean),
		None if text == "median" => Ok(Aggregation::Median),
		Some(("trimmed-mean", trim)) => {
			let trim: u8 = trim.parse().with_context(|| format!("invalid trim {trim:?}"))?;
			Ok(Aggregation::TrimmedMean { trim: Percent::from_percent(trim) })
		}
		_ => bail!("unknown aggregation {text:?}: use mean, median or trimmed-mean:<percent>"),
	}
}

#[derive(Args, Debug)]
pub struct SubmitArgs {
	#[command(flatten)]
	data: ModelData,
	/// How many shards the dataset splits into.
	#[arg(long, default_value_t = 16)]
	dataset_shards: u32,
	/// Seeds the initial weights.
	#[arg(long, default_value = "cohort")]
	seed: String,
	/// Rounds.
	#[arg(long, default_value_t = 3)]
	rounds: u32,
	/// Shards trained per round.
	#[arg(long, default_value_t = 2)]
	shards: u32,
	/// Workers per shard [default: 1 with --class, else 2]. One, with 10 % audits, makes a
	/// wrong result a loss in expectation for rewards up to 1.67 COH at the minimum bond with
	/// every validator honest, and at the default reward of 1 COH while under 37.5 % of the
	/// stake would confirm it unrecomputed (docs/threat-model.md); more replicas check each
	/// other on every shard, at the cost of training it again.
	#[arg(long)]
	replication: Option<u32>,
	/// Inner optimizer steps per shard.
	#[arg(long, default_value_t = 20)]
	steps: u32,
	/// Examples per step.
	#[arg(long, default_value_t = 16)]
	batch_size: u32,
	/// Inner learning rate.
	#[arg(long, default_value = "0.003")]
	learning_rate: String,
	/// Outer learning rate (1 = apply the aggregated delta as it is).
	#[arg(long, default_value = "1")]
	outer_learning_rate: String,
	/// The inner optimizer.
	#[arg(long, value_enum, default_value = "adamw")]
	optimizer: OptimizerArg,
	/// `mean`, `median` or `trimmed-mean:<percent>`.
	#[arg(long, default_value = "mean")]
	aggregation: String,
	/// Fraction of agreeing shards audited anyway, the validators recomputing them
	/// [default: 0.1 with --class, else 0].
	#[arg(long)]
	audit_rate: Option<String>,
	/// Reward per accepted contribution, in UNIT.
	#[arg(long, default_value = "1")]
	reward: String,
	/// Blocks for commits, reveals, votes, the aggregator's checkpoint and its review.
	#[arg(long, value_delimiter = ',', default_value = "60,20,60,30,10")]
	phases: Vec<u32>,
	/// Only workers of this determinism class.
	#[arg(long)]
	class: Option<String>,
	/// Submit, then exit instead of serving the dataset and the initial checkpoint.
	#[arg(long)]
	no_serve: bool,
}

/// A bounty's spec, with its data published on this peer's network.
struct Published {
	spec: job::Spec,
	dataset: H256,
	initial_checkpoint: H256,
}

/// Build the spec of `args`, publishing its dataset and initial checkpoint on `network`.
fn publish_spec(args: &SubmitArgs, network: &cohort_worker::p2p::Network) -> Result<Published> {
	let config = args.data.config()?;
	let architecture = job::architecture(&config);
	let [commit, reveal, vote, checkpoint, review] = args.phases[..] else {
		bail!("--phases takes five block counts: commit,reveal,vote,checkpoint,review");
	};
	let class = match &args.class {
		Some(name) => Some(
			DeterminismClass::new(name.as_bytes())
				.with_context(|| format!("invalid class {name:?}"))?,
		),
		None => None,
	};
	// A shard trained once is checked only by audits, which must then be exact: without a
	// class, an audit of work from other hardware falls to the verifiers' coarse tolerance,
	// which long runs outgrow, so two replicas of one class check each other instead.
	let (replication, audit_rate) = match class {
		Some(_) => (1, "0.1"),
		None => (2, "0"),
	};
	let replication = args.replication.unwrap_or(replication);
	let audit_rate = fraction(args.audit_rate.as_deref().unwrap_or(audit_rate))?;
	let dataset = network.publish(&args.data.dataset_bytes(&config)?)?;
	let initial_checkpoint = network.publish(&config.init(args.seed.as_bytes()).to_bytes())?;
	let spec = BountySpec {
		model: ModelSpec { architecture, config: serde_json::to_vec(&config)?, initial_checkpoint },
		dataset: DatasetSpec { hash: dataset, shards: args.dataset_shards },
		hyper: HyperParams {
			inner_steps: args.steps,
			batch_size: args.batch_size,
			inner_learning_rate: fraction(&args.learning_rate)?,
			outer_learning_rate: fraction(&args.outer_learning_rate)?,
			optimizer: args.optimizer.0,
		},
		rounds: args.rounds,
		shards_per_round: args.shards,
		replication,
		aggregation: aggregation(&args.aggregation)?,
		audit_rate,
		deadlines: Deadlines { commit, reveal, vote, checkpoint, review },
		reward_per_contribution: parse_amount(&args.reward)?,
		requirements: Requirements { class, ..Default::default() },
	};
	Ok(Published { spec, dataset, initial_checkpoint })
}

pub async fn submit(options: &Options, args: SubmitArgs) -> Result<()> {
	let cx = context(options).await?;
	let (chain, keys, network) = (&cx.chain, &cx.keys, &cx.network);
	let Published { spec, dataset, initial_checkpoint } = publish_spec(&args, network)?;
	let call = runtime::tx().training().create_bounty(Static(spec));
	let included = chain.submit_finalized(keys, "Training.create_bounty", &call).await?;
	let created = included
		.events
		.find_first::<runtime::training::events::BountyCreated>()
		.context("no BountyCreated event")??;
	let addrs = listen_addrs(network).await?;
	if !args.no_serve {
		// Workers ask this peer for the data by what the chain says, in any start order.
		let (peer_id, addresses) = data_server(network).await?;
		let call = runtime::tx().training().serve_data(created.bounty, peer_id, addresses);
		chain.submit(keys, "Training.serve_data", &call).await?;
	}
	output::print(
		options.json,
		json!({
			"bounty": created.bounty,
			"escrow": created.escrow.to_string(),
			"dataset": format!("{dataset:?}"),
			"initialCheckpoint": format!("{initial_checkpoint:?}"),
			"block": format!("{:?}", included.block),
			"peerId": network.peer_id().to_string(),
			"addresses": addrs,
		}),
	);
	if args.no_serve {
		return Ok(());
	}
	tracing::info!("serving the dataset and the initial checkpoint until interrupted");
	serving::serve(&cx, &[dataset, initial_checkpoint]).await
}

/// `bounty prepare`: everything `bounty submit` does but sign. It publishes the data, prints
/// the `training.createBounty` call (SCALE, as polkadot.js's `api.createType('Call', …)` and subxt's
/// dynamic calls take it) and the `training.serveData` arguments, and serves the data until
/// interrupted, so that an owner whose keys live in another wallet submits from there.
pub async fn prepare(options: &Options, args: SubmitArgs) -> Result<()> {
	if args.no_serve {
		bail!("bounty prepare serves the data the call names until interrupted: no --no-serve");
	}
	let cx = context(options).await?;
	let Published { spec, dataset, initial_checkpoint } = publish_spec(&args, &cx.network)?;
	let call = runtime::tx().training().create_bounty(Static(spec));
	let call_data = cx.chain.api().tx().await?.call_data(&call)?;
	output::print(
		options.json,
		json!({
			"dataset": format!("{dataset:?}"),
			"initialCheckpoint": format!("{initial_checkpoint:?}"),
			"createBounty": format!("0x{}", hex::encode(call_data)),
			"serveData": serve_data_args(&cx.network).await?,
			"peerId": cx.network.peer_id().to_string(),
			"addresses": listen_addrs(&cx.network).await?,
		}),
	);
	tracing::info!("serving the dataset and the initial checkpoint until interrupted");
	serving::serve(&cx, &[dataset, initial_checkpoint]).await
}

#[derive(Args, Debug)]
pub struct BountyId {
	/// The bounty's id.
	bounty: u64,
}

pub async fn status(options: &Options, args: BountyId) -> Result<()> {
	let chain = Chain::connect(&options.node).await?;
	let at = chain.finalized().await?;
	let view =
		at.bounty(args.bounty).await?.with_context(|| format!("no bounty {}", args.bounty))?;
	let b = &view.bounty;
	let round = at.round(view.id, b.round).await?;
	let accepted = round.as_ref().map(|r| roles::accepted(r).len());
	output::print(
		options.json,
		json!({
			"bounty": view.id,
			"owner": b.owner.to_string(),
			"status": format!("{:?}", b.status),
			"phase": format!("{:?}", view.phase),
			"round": b.round,
			"rounds": b.spec.0.rounds,
			"checkpoint": format!("{:?}", b.checkpoint),
			"escrow": b.escrow.to_string(),
			"acceptedThisRound": accepted,
			"block": at.number,
		}),
	);
	Ok(())
}

pub async fn cancel(options: &Options, args: BountyId) -> Result<()> {
	let (chain, keys) = signer(options).await?;
	let call = runtime::tx().training().cancel_bounty(args.bounty);
	let included = chain.submit_finalized(&keys, "Training.cancel_bounty", &call).await?;
	let cancelled = included
		.events
		.find_first::<runtime::training::events::BountyCancelled>()
		.context("no BountyCancelled event")??;
	output::print(
		options.json,
		json!({ "bounty": args.bounty, "refund": cancelled.refund.to_string(), "block": format!("{:?}", included.block) }),
	);
	Ok(())
}
