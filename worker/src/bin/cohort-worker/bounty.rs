//! The bounty submitter's commands: `bounty submit|status|cancel`.

use crate::{
	connect::{context, dialable, listen_addrs, signer},
	inputs::{parse_amount, ModelData, OptimizerArg},
	options::Options,
	output,
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
use std::time::Duration;
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
	/// Workers per shard.
	#[arg(long, default_value_t = 2)]
	replication: u32,
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
	/// Fraction of agreeing shards audited anyway.
	#[arg(long, default_value = "0")]
	audit_rate: String,
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

pub async fn submit(options: &Options, args: SubmitArgs) -> Result<()> {
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
	let dataset = args.data.dataset_bytes(&config)?;
	let initial = config.init(args.seed.as_bytes()).to_bytes();
	let cx = context(options).await?;
	let (chain, keys, network) = (&cx.chain, &cx.keys, &cx.network);
	let dataset_root = network.publish(&dataset)?;
	let checkpoint_root = network.publish(&initial)?;
	let config_json = serde_json::to_vec(&config)?;
	let spec = BountySpec {
		model: ModelSpec { architecture, config: config_json, initial_checkpoint: checkpoint_root },
		dataset: DatasetSpec { hash: dataset_root, shards: args.dataset_shards },
		hyper: HyperParams {
			inner_steps: args.steps,
			batch_size: args.batch_size,
			inner_learning_rate: fraction(&args.learning_rate)?,
			outer_learning_rate: fraction(&args.outer_learning_rate)?,
			optimizer: args.optimizer.0,
		},
		rounds: args.rounds,
		shards_per_round: args.shards,
		replication: args.replication,
		aggregation: aggregation(&args.aggregation)?,
		audit_rate: fraction(&args.audit_rate)?,
		deadlines: Deadlines { commit, reveal, vote, checkpoint, review },
		reward_per_contribution: parse_amount(&args.reward)?,
		requirements: Requirements { class, ..Default::default() },
	};
	let call = runtime::tx().training().create_bounty(Static(spec));
	let included = chain.submit_finalized(keys, "Training.create_bounty", &call).await?;
	let created = included
		.events
		.find_first::<runtime::training::events::BountyCreated>()
		.context("no BountyCreated event")??;
	let addrs = listen_addrs(network).await?;
	if !args.no_serve {
		// Workers ask this peer for the data by what the chain says, in any start order.
		let addresses = dialable(network).await?.iter().map(|a| a.to_vec()).collect();
		let peer_id = network.peer_id().to_bytes();
		let call = runtime::tx().training().serve_data(created.bounty, peer_id, addresses);
		chain.submit(keys, "Training.serve_data", &call).await?;
	}
	output::print(
		options.json,
		json!({
			"bounty": created.bounty,
			"escrow": created.escrow.to_string(),
			"dataset": format!("{dataset_root:?}"),
			"initialCheckpoint": format!("{checkpoint_root:?}"),
			"block": format!("{:?}", included.block),
			"peerId": network.peer_id().to_string(),
			"addresses": addrs,
		}),
	);
	if args.no_serve {
		return Ok(());
	}
	tracing::info!("serving the dataset and the initial checkpoint until interrupted");
	serve(&cx, &[dataset_root, checkpoint_root]).await
}

/// How often a serving submitter reads the registry for workers it has not met.
const REGISTRY_POLL: Duration = Duration::from_secs(3);
/// Every this many polls it dials every registered worker again even if nothing changed (a
/// dial may have failed while a worker was restarting).
const REJOIN_EVERY_POLLS: u32 = 10;

/// Serve `roots` until interrupted. A worker that registers, restarts or moves after this
/// peer first joined would not know it: whenever the registry's peers or addresses change,
/// dial every registered worker again and announce `roots` again, so that provider records
/// reach the network as it is now.
async fn serve(cx: &roles::Context, roots: &[H256]) -> Result<()> {
	let mut known = None;
	let mut poll = tokio::time::interval(REGISTRY_POLL);
	let mut polls = 0u32;
	// One listener for the whole loop: a Ctrl-C while the registry is read still counts.
	let interrupted = tokio::signal::ctrl_c();
	tokio::pin!(interrupted);
	loop {
		polls = polls.wrapping_add(1);
		tokio::select! {
			interrupted = &mut interrupted => return Ok(interrupted?),
			_ = poll.tick() => {}
		}
		let joined = async {
			let at = cx.chain.best().await?;
			let registry: Vec<_> = at
				.workers()
				.await?
				.into_iter()
				.map(|w| {
					let addresses: Vec<Vec<u8>> =
						w.info.addresses.0.into_iter().map(|a| a.0).collect();
					(w.info.peer_id.0, addresses)
				})
				.collect();
			if known.as_ref() != Some(&registry) || polls % REJOIN_EVERY_POLLS == 1 {
				cx.join_registered_peers(&at, true).await?;
				for root in roots {
					cx.network.provide(*root)?;
				}
				known = Some(registry);
			}
			anyhow::Ok(())
		};
		if let Err(e) = joined.await {
			tracing::warn!("cannot join the registered workers, trying again: {e:#}");
		}
	}
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
	let accepted = round.as_ref().map(|r| roles::accepted_roots(r).len());
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
