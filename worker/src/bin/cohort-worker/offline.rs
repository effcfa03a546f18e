//! Commands that need no chain: keys, datasets over libp2p, and training one shard. (A
//! `dataset publish` given no `--bootstrap` reads the registry to find its peers.)

use crate::{
	connect::{context_on, listen_addrs, network, serve_data_args},
	inputs::{dataset_bytes, save_weights, ModelData, OptimizerArg},
	options::Options,
	output, serving,
};
use anyhow::{bail, Context, Result};
use clap::Args;
use cohort_primitives::H256;
use cohort_worker::{
	chain::Chain,
	keys::Keys,
	merkle,
	trainer::{self, Dataset, ShardRef, ShardRun},
	trajectory,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::{
	ops::ControlFlow,
	path::{Path, PathBuf},
	time::Instant,
};

pub fn generate_keys(options: &Options, out: &Path) -> Result<()> {
	let keys = Keys::generate();
	keys.save(out)?;
	output::print(
		options.json,
		json!({
			"file": out.display().to_string(),
			"ss58Address": keys.ss58_address(),
			"peerId": keys.peer_id().to_string(),
		}),
	);
	Ok(())
}

pub fn inspect_keys(options: &Options) -> Result<()> {
	let keys = options.keys()?;
	output::print(
		options.json,
		json!({
			"ss58Address": keys.ss58_address(),
			"accountId": format!("0x{}", hex::encode(keys.account_id())),
			"peerId": keys.peer_id().to_string(),
		}),
	);
	Ok(())
}

#[derive(Args, Debug)]
pub struct PublishArgs {
	/// A file, or `builtin:shakespeare` / `builtin:synthetic`.
	dataset: String,
	/// Store and announce, then exit instead of serving.
	#[arg(long)]
	no_serve: bool,
}

pub async fn publish(options: &Options, args: PublishArgs) -> Result<()> {
	let bytes = dataset_bytes(&args.dataset)?;
	// Without bootstrap peers, the chain's registry is how this peer finds the network (and
	// is found). Without a node either, it serves whoever dials it.
	let mut cx = None;
	if options.p2p.bootstrap.is_empty() && !args.no_serve {
		match Chain::connect(&options.node).await {
			Ok(chain) => cx = Some(context_on(options, chain).await?),
			Err(e) => {
				tracing::warn!("{e}: serving without the registry, to peers that dial this one")
			}
		}
	}
	let network = match &cx {
		Some(cx) => cx.network.clone(),
		None => network(options).await?.0,
	};
	let root = network.publish(&bytes)?;
	output::print(
		options.json,
		json!({
			"root": format!("{root:?}"),
			"bytes": bytes.len(),
			"peerId": network.peer_id().to_string(),
			"addresses": listen_addrs(&network).await?,
			"serveData": serve_data_args(&network).await?,
		}),
	);
	if args.no_serve {
		return Ok(());
	}
	tracing::info!("serving {root:?} until interrupted");
	match &cx {
		Some(cx) => serving::serve(cx, &[root]).await?,
		None => tokio::signal::ctrl_c().await?,
	}
	tracing::info!(bytes = network.bytes_served(), "stopped serving");
	Ok(())
}

/// `dataset fetch`'s arguments (not `model fetch`'s: any blob by its root, found through the
/// bootstrap peers).
#[derive(Args, Debug)]
pub struct DatasetFetchArgs {
	/// The dataset's Merkle root (0x…).
	root: H256,
	/// Where to write it.
	#[arg(long)]
	out: PathBuf,
}

pub async fn fetch_dataset(options: &Options, args: DatasetFetchArgs) -> Result<()> {
	if options.p2p.bootstrap.is_empty() {
		bail!("no peers to fetch from: pass --bootstrap /ip4/…/tcp/…/p2p/<peer id>");
	}
	let (network, _) = network(options).await?;
	let started = Instant::now();
	let bytes = network.fetch(args.root, None).await?;
	std::fs::write(&args.out, &bytes)
		.with_context(|| format!("cannot write {}", args.out.display()))?;
	let (direct, relayed) = network.bytes_fetched();
	output::print(
		options.json,
		json!({
			"root": format!("{:?}", args.root),
			"bytes": bytes.len(),
			"file": args.out.display().to_string(),
			"seconds": started.elapsed().as_secs_f64(),
			// How the bytes came: over direct connections (hole punched included) or relays.
			"direct": direct,
			"relayed": relayed,
		}),
	);
	Ok(())
}

#[derive(Args, Debug)]
pub struct TrainArgs {
	#[command(flatten)]
	data: ModelData,
	/// Seeds the initial weights (the checkpoint trained from).
	#[arg(long, default_value = "cohort")]
	seed: String,
	/// Optimizer steps.
	#[arg(long, default_value_t = 20)]
	steps: u32,
	/// Also write the trained weights (the checkpoint plus the delta) as safetensors.
	#[arg(long)]
	out: Option<PathBuf>,
	/// Examples per step.
	#[arg(long, default_value_t = 16)]
	batch_size: usize,
	/// The inner optimizer.
	#[arg(long, value_enum, default_value = "adamw")]
	optimizer: OptimizerArg,
	/// The learning rate.
	#[arg(long, default_value_t = 3e-3)]
	learning_rate: f64,
	/// Which dataset shard.
	#[arg(long, default_value_t = 0)]
	shard: u32,
	/// How many shards the dataset splits into.
	#[arg(long, default_value_t = 16)]
	shards: u32,
}

pub fn train(options: &Options, args: TrainArgs) -> Result<()> {
	let config = args.data.config()?;
	let data = Dataset::from_blob(args.data.dataset_bytes(&config)?)?;
	let train_settings = trainer::Settings {
		steps: args.steps,
		batch_size: args.batch_size,
		optimizer: args.optimizer.0,
		learning_rate: args.learning_rate,
	};
	let checkpoint = config.init(args.seed.as_bytes());
	let backend = options.backend()?;
	let shard = ShardRef {
		bounty: 0,
		round: 0,
		shard: args.shard,
		dataset_shard: args.shard,
		dataset_shards: args.shards,
	};
	let bar =
		if options.json { ProgressBar::hidden() } else { ProgressBar::new(args.steps.into()) };
	bar.set_style(
		ProgressStyle::with_template("{bar:40} {pos}/{len} steps {elapsed} {msg}")
			.expect("valid template"),
	);
	let started = Instant::now();
	let trained = ShardRun {
		config: &config,
		settings: &train_settings,
		checkpoint: &checkpoint,
		dataset: &data,
		shard,
		backend: &backend,
	}
	.train_observed(|_, loss| {
		bar.set_message(format!("loss {loss:.4}"));
		bar.inc(1);
		ControlFlow::Continue(())
	})?;
	bar.finish_and_clear();
	let seconds = started.elapsed().as_secs_f64();
	if let Some(out) = &args.out {
		let trained: Vec<f32> =
			checkpoint.values().zip(trained.delta.values()).map(|(h, d)| h + d).collect();
		save_weights(&checkpoint.with_values(&trained), out)?;
	}
	let delta = trained.delta.to_bytes();
	output::print(
		options.json,
		json!({
			"root": format!("{:?}", merkle::root(&delta)),
			"trajectory": format!("{:?}", trajectory::root(&trained.trajectory)),
			"checkpoint": format!("{:?}", merkle::root(&checkpoint.to_bytes())),
			"deltaBytes": delta.len(),
			"class": backend.class(),
			"steps": args.steps,
			"secondsPerStep": seconds / f64::from(args.steps.max(1)),
			"losses": trained.losses,
		}),
	);
	Ok(())
}
