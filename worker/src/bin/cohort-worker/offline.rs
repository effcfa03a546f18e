//! Commands that need no chain: keys, datasets over libp2p, and training one shard.

use crate::{output, settings::Settings};
use anyhow::{bail, Context, Result};
use clap::Args;
use cohort_primitives::{Optimizer, H256};
use cohort_worker::{
	datasets,
	keys::Keys,
	merkle,
	p2p::{self, Network},
	store::Store,
	trainer::{self, Dataset, ModelConfig, Settings as TrainSettings, ShardRef},
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::{path::PathBuf, sync::Arc, time::Instant};

pub fn generate_keys(settings: &Settings, out: &std::path::Path) -> Result<()> {
	let keys = Keys::generate();
	keys.save(out)?;
	output::print(
		settings.json,
		json!({
			"file": out.display().to_string(),
			"ss58Address": keys.ss58_address(),
			"peerId": keys.peer_id().to_string(),
		}),
	);
	Ok(())
}

pub fn inspect_keys(settings: &Settings) -> Result<()> {
	let keys = settings.keys()?;
	output::print(
		settings.json,
		json!({
			"ss58Address": keys.ss58_address(),
			"accountId": format!("0x{}", hex::encode(keys.account_id())),
			"peerId": keys.peer_id().to_string(),
		}),
	);
	Ok(())
}

/// Start the network with the store and the keys of `settings`.
pub async fn network(
	settings: &Settings,
) -> Result<(Network, futures::channel::mpsc::Receiver<p2p::Announced>)> {
	let keys = settings.keys()?;
	let store = Arc::new(
		Store::open(&settings.store)
			.with_context(|| format!("cannot open the store at {}", settings.store.display()))?,
	);
	Ok(Network::start(keys.peer_keypair(), settings.p2p.clone(), store).await?)
}

#[derive(Args, Debug)]
pub struct PublishArgs {
	/// A file, or `builtin:shakespeare` / `builtin:synthetic`.
	dataset: String,
	/// Store and announce, then exit instead of serving.
	#[arg(long)]
	no_serve: bool,
}

/// The bytes a dataset argument names.
pub fn dataset_bytes(dataset: &str) -> Result<Vec<u8>> {
	if let Some(name) = dataset.strip_prefix("builtin:") {
		return datasets::builtin(name).with_context(|| {
			format!("no built-in dataset {name:?}: there are {}", datasets::NAMES.join(", "))
		});
	}
	let bytes =
		std::fs::read(dataset).with_context(|| format!("cannot read dataset file {dataset}"))?;
	if bytes.is_empty() {
		bail!("dataset file {dataset} is empty");
	}
	Ok(bytes)
}

pub async fn publish(settings: &Settings, args: PublishArgs) -> Result<()> {
	let bytes = dataset_bytes(&args.dataset)?;
	let (network, _) = network(settings).await?;
	let root = network.publish(&bytes)?;
	let addrs: Vec<String> =
		network.listen_addrs().await?.iter().map(ToString::to_string).collect();
	output::print(
		settings.json,
		json!({
			"root": format!("{root:?}"),
			"bytes": bytes.len(),
			"peerId": network.peer_id().to_string(),
			"addresses": addrs,
		}),
	);
	if args.no_serve {
		return Ok(());
	}
	tracing::info!("serving {root:?} until interrupted");
	tokio::signal::ctrl_c().await?;
	tracing::info!(bytes = network.bytes_served(), "stopped serving");
	Ok(())
}

#[derive(Args, Debug)]
pub struct FetchArgs {
	/// The dataset's Merkle root (0x…).
	root: H256,
	/// Where to write it.
	#[arg(long)]
	out: PathBuf,
}

pub async fn fetch(settings: &Settings, args: FetchArgs) -> Result<()> {
	if settings.p2p.bootstrap.is_empty() {
		bail!("no peers to fetch from: pass --bootstrap /ip4/…/tcp/…/p2p/<peer id>");
	}
	let (network, _) = network(settings).await?;
	let started = Instant::now();
	let bytes = network.fetch(args.root, None).await?;
	std::fs::write(&args.out, &bytes)
		.with_context(|| format!("cannot write {}", args.out.display()))?;
	output::print(
		settings.json,
		json!({
			"root": format!("{:?}", args.root),
			"bytes": bytes.len(),
			"file": args.out.display().to_string(),
			"seconds": started.elapsed().as_secs_f64(),
		}),
	);
	Ok(())
}

#[derive(Args, Debug)]
pub struct TrainArgs {
	/// The model: `mlp`, `char-transformer`, or a JSON model config
	/// (`{"model":"mlp","input":784,"hidden":[512,512],"classes":10}`).
	#[arg(long, default_value = "char-transformer")]
	model: String,
	/// A dataset file, or `builtin:shakespeare` / `builtin:synthetic` [default: the model's built-in].
	#[arg(long)]
	dataset: Option<String>,
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
	/// `adamw` or `sgd`.
	#[arg(long, default_value = "adamw")]
	optimizer: String,
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

/// The reference configurations, by name.
pub fn model_config(model: &str) -> Result<ModelConfig> {
	match model {
		"mlp" => Ok(ModelConfig::Mlp(trainer::MlpConfig {
			input: 784,
			hidden: vec![512, 512],
			classes: 10,
		})),
		"char-transformer" => Ok(ModelConfig::CharTransformer(trainer::CharConfig {
			context: 128,
			d_model: 128,
			layers: 4,
			heads: 4,
		})),
		json if json.trim_start().starts_with('{') => {
			serde_json::from_str(json).context("invalid model config JSON")
		}
		other => bail!("unknown model {other:?}: use mlp, char-transformer or a JSON model config"),
	}
}

pub fn train(settings: &Settings, args: TrainArgs) -> Result<()> {
	let config = model_config(&args.model)?;
	let dataset = args.dataset.clone().unwrap_or_else(|| crate::model::default_dataset(&config));
	let data = Dataset::from_blob(dataset_bytes(&dataset)?)?;
	let optimizer = match args.optimizer.as_str() {
		"adamw" => Optimizer::AdamW,
		"sgd" => Optimizer::Sgd,
		other => bail!("unknown optimizer {other:?}: use adamw or sgd"),
	};
	let train_settings = TrainSettings {
		steps: args.steps,
		batch_size: args.batch_size,
		optimizer,
		learning_rate: args.learning_rate,
	};
	let checkpoint = config.init(args.seed.as_bytes());
	let backend = settings.backend()?;
	let shard = ShardRef {
		bounty: 0,
		round: 0,
		shard: args.shard,
		dataset_shard: args.shard,
		dataset_shards: args.shards,
	};
	let bar =
		if settings.json { ProgressBar::hidden() } else { ProgressBar::new(args.steps.into()) };
	bar.set_style(
		ProgressStyle::with_template("{bar:40} {pos}/{len} steps {elapsed} {msg}")
			.expect("valid template"),
	);
	let started = Instant::now();
	let trained = trainer::train_shard_observed(
		&config,
		&train_settings,
		&checkpoint,
		&data,
		shard,
		backend.device(),
		|_, loss| {
			bar.set_message(format!("loss {loss:.4}"));
			bar.inc(1);
		},
	)?;
	bar.finish_and_clear();
	let seconds = started.elapsed().as_secs_f64();
	if let Some(out) = &args.out {
		let trained: Vec<f32> =
			checkpoint.values().zip(trained.delta.values()).map(|(h, d)| h + d).collect();
		crate::model::save(&checkpoint.with_values(&trained), out)?;
	}
	let delta = trained.delta.to_bytes();
	output::print(
		settings.json,
		json!({
			"root": format!("{:?}", merkle::root(&delta)),
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
