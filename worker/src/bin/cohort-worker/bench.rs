//! `cohort-worker bench`: training step time of both reference models next to PyTorch on the
//! same shapes, the GFLOP/s of the char transformer's matrix products (candle's next to
//! PyTorch's), what committing to the trajectory adds to a step (the state's bytes and hash),
//! what a referee recomputes for a bisected dispute (one step) next to the whole shard,
//! blake3 Merkle throughput next to plain blake3, and the protocol's share of a shard's wall
//! time (serialize, hash, seal, store, serve over loopback libp2p), with the machine it ran on
//! (processor, threads, determinism class). Every ratio compares two numbers measured in this
//! run.

use crate::{
	inputs::{dataset_bytes, default_dataset, model_config},
	options::Options,
	output,
};
use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use clap::Args;
use cohort_primitives::{seal, Optimizer, H256};
use cohort_worker::{
	merkle,
	p2p::{self, Network},
	store::Store,
	trainer::{self, Dataset, ModelConfig, ShardRef, ShardRun},
};
use serde_json::{json, Value};
use std::{
	ops::ControlFlow,
	path::PathBuf,
	process::Command,
	sync::Arc,
	time::{Duration, Instant},
};

/// The PyTorch baseline, written to a temporary file and run with `--python`.
const TORCH_SCRIPT: &str = include_str!("../../../bench/torch_step.py");

#[derive(Args, Debug)]
pub struct BenchArgs {
	/// Timed steps per model (after two warm-up steps).
	#[arg(long, default_value_t = 10)]
	steps: u32,
	/// A Python with torch installed, for the baseline (`scripts/bench` makes one).
	#[arg(long)]
	python: Option<PathBuf>,
	/// Megabytes hashed for the Merkle throughput.
	#[arg(long, default_value_t = 256)]
	hash_mib: usize,
}

struct Model {
	name: &'static str,
	config: ModelConfig,
	dataset: Dataset,
	batch_size: usize,
}

impl Model {
	/// The settings every timing of this model trains with, for `steps` steps.
	fn settings(&self, steps: u32) -> trainer::Settings {
		trainer::Settings {
			steps,
			batch_size: self.batch_size,
			optimizer: Optimizer::AdamW,
			learning_rate: 3e-3,
		}
	}
}

/// The median of `times` (at least one).
fn median(mut times: Vec<f64>) -> f64 {
	times.sort_by(f64::total_cmp);
	times[times.len() / 2]
}

/// Both reference models, each with its built-in dataset.
fn models() -> Result<Vec<Model>> {
	[("mlp", "mlp", 128), ("charTransformer", "char-transformer", 16)]
		.into_iter()
		.map(|(name, model, batch_size)| -> Result<Model> {
			let config = model_config(model)?;
			let dataset = Dataset::from_blob(dataset_bytes(&default_dataset(&config))?)?;
			Ok(Model { name, config, dataset, batch_size })
		})
		.collect()
}

const SHARD: ShardRef =
	ShardRef { bounty: 0, round: 0, shard: 0, dataset_shard: 0, dataset_shards: 16 };

/// Median milliseconds to draw one batch (the data pipeline, which PyTorch's baseline does
/// not time), over `batches` batches.
fn sample_ms(model: &Model, batches: u32) -> Result<f64> {
	let context = model.config.context();
	let sampler =
		trainer::Sampler::new(&model.dataset, SHARD.dataset_shard, SHARD.dataset_shards, context)?;
	let mut rng = trainer::SeededRng::new(b"bench");
	let mut times = Vec::new();
	for _ in 0..batches {
		let started = Instant::now();
		std::hint::black_box(sampler.batch(
			&mut rng,
			model.batch_size,
			context,
			&candle_core::Device::Cpu,
		)?);
		times.push(started.elapsed().as_secs_f64() * 1000.0);
	}
	Ok(median(times))
}

/// The trajectory's cost per step: median milliseconds to hash one training state of the model
/// (the Merkle root of its canonical bytes, hashed where the values lie, as the trainer does on
/// a CPU), over `count` hashes, and the state's size in bytes (what a worker serves when a
/// bisection asks for a step).
fn trajectory_ms(model: &Model, count: u32) -> Result<(f64, usize)> {
	let settings = model.settings(1);
	let checkpoint = model.config.init(b"bench");
	let backend = trainer::Backend::cpu();
	let state = ShardRun {
		config: &model.config,
		settings: &settings,
		checkpoint: &checkpoint,
		dataset: &model.dataset,
		shard: SHARD,
		backend: &backend,
	}
	.state_after(1)?;
	let mut times = Vec::new();
	for _ in 0..count {
		let started = Instant::now();
		std::hint::black_box(trainer::state::hash(&state));
		times.push(started.elapsed().as_secs_f64() * 1000.0);
	}
	Ok((median(times), state.to_bytes().len()))
}

/// What a referee recomputes for a bisected dispute: median milliseconds, over `count` tries,
/// to resume one training state of the model and take the step after it (the batch drawn after
/// replaying the draws of the steps before it), 10 steps into the shard.
fn referee_step_ms(model: &Model, count: u32) -> Result<f64> {
	const TAKEN: u32 = 10;
	let settings = model.settings(TAKEN + 1);
	let checkpoint = model.config.init(b"bench");
	let backend = trainer::Backend::cpu();
	let (config, dataset) = (&model.config, &model.dataset);
	let state = ShardRun {
		config,
		settings: &settings,
		checkpoint: &checkpoint,
		dataset,
		shard: SHARD,
		backend: &backend,
	}
	.state_after(TAKEN)?;
	let mut times = Vec::new();
	for _ in 0..count {
		let started = Instant::now();
		std::hint::black_box(trainer::step_from(
			config, &settings, &state, TAKEN, dataset, SHARD, &backend,
		)?);
		times.push(started.elapsed().as_secs_f64() * 1000.0);
	}
	Ok(median(times))
}

/// Median milliseconds per step over `steps` steps after two warm-up steps, and the result.
fn candle_step_ms(model: &Model, steps: u32) -> Result<(f64, trainer::Trained, Duration)> {
	let settings = model.settings(steps + 2);
	let checkpoint = model.config.init(b"bench");
	let mut times = Vec::new();
	let started = Instant::now();
	let mut last = Instant::now();
	let trained = ShardRun {
		config: &model.config,
		settings: &settings,
		checkpoint: &checkpoint,
		dataset: &model.dataset,
		shard: SHARD,
		backend: &trainer::Backend::cpu(),
	}
	.train_observed(|step, _| {
		let now = Instant::now();
		if step >= 2 {
			times.push(now.duration_since(last).as_secs_f64() * 1000.0);
		}
		last = now;
		ControlFlow::Continue(())
	})?;
	let total = started.elapsed();
	Ok((median(times), trained, total))
}

fn torch_step_ms(python: &PathBuf, steps: u32) -> Result<Value> {
	let dir = tempfile::TempDir::new()?;
	let script = dir.path().join("torch_step.py");
	std::fs::write(&script, TORCH_SCRIPT)?;
	let threads = rayon::current_num_threads().to_string();
	let output = Command::new(python)
		.arg(&script)
		.args([steps.to_string(), threads])
		.output()
		.with_context(|| format!("cannot run {}", python.display()))?;
	if !output.status.success() {
		bail!("the PyTorch baseline failed: {}", String::from_utf8_lossy(&output.stderr));
	}
	serde_json::from_slice(&output.stdout).context("the PyTorch baseline printed no JSON")
}

/// The char transformer's matrix products, `(m, n, k)` for `m × k` by `k × n`: for each
/// distinct linear layer, its forward product, its input's gradient and its weight's gradient.
/// The PyTorch baseline times the same list (`torch_step.py`).
fn char_products(model: &Model) -> Result<Vec<(usize, usize, usize)>> {
	let ModelConfig::CharTransformer(c) = &model.config else { bail!("not the char model") };
	let (rows, d) = (model.batch_size * c.context, c.d_model);
	let layers = [(d, 3 * d), (d, d), (d, 4 * d), (4 * d, d), (d, trainer::VOCAB)];
	Ok(layers
		.into_iter()
		.flat_map(|(input, output)| {
			[(rows, output, input), (rows, input, output), (input, output, rows)]
		})
		.collect())
}

/// GFLOP/s of `product` over `products` (row-major operands), each timed as the median of
/// five runs after one warm-up.
fn matmul_gflops(
	products: &[(usize, usize, usize)],
	product: impl Fn(&Tensor, &Tensor) -> candle_core::Result<Tensor>,
) -> Result<f64> {
	let (mut flops, mut seconds) = (0.0, 0.0);
	for &(m, n, k) in products {
		let a = Tensor::randn(0f32, 1.0, (m, k), &Device::Cpu)?;
		let b = Tensor::randn(0f32, 1.0, (k, n), &Device::Cpu)?;
		product(&a, &b)?;
		let mut times = Vec::new();
		for _ in 0..5 {
			let started = Instant::now();
			std::hint::black_box(product(&a, &b)?);
			times.push(started.elapsed().as_secs_f64());
		}
		flops += 2.0 * (m * n * k) as f64;
		seconds += median(times);
	}
	Ok(flops / seconds / 1e9)
}

/// The processor this ran on, as `/proc/cpuinfo` names it (`None` where it does not).
fn processor() -> Option<String> {
	let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
	let line = info.lines().find(|l| l.starts_with("model name"))?;
	Some(line.split_once(':')?.1.trim().to_string())
}

/// GB/s of the Merkle root and of plain blake3 (one pass, all threads) over `mib` MiB.
fn hash_throughput(mib: usize) -> (f64, f64) {
	let blob: Vec<u8> = (0..mib * 1024 * 1024).map(|i| (i as u8).wrapping_mul(151)).collect();
	let gbps = |f: &dyn Fn()| {
		f();
		let started = Instant::now();
		f();
		blob.len() as f64 / started.elapsed().as_secs_f64() / 1e9
	};
	let merkle = gbps(&|| {
		std::hint::black_box(merkle::root(&blob));
	});
	let plain = gbps(&|| {
		std::hint::black_box(blake3::Hasher::new().update_rayon(&blob).finalize());
	});
	(merkle, plain)
}

/// The off-training work on one delta: canonical bytes, Merkle root, seal, synced store
/// write, and one fetch by another peer over loopback TCP.
async fn protocol_time(delta: &cohort_worker::delta::Delta) -> Result<Duration> {
	let dirs = (tempfile::TempDir::new()?, tempfile::TempDir::new()?);
	let loopback =
		p2p::Config { listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?], ..p2p::Config::default() };
	let start = |dir: &tempfile::TempDir, bootstrap| {
		let store = Store::open(dir.path()).map(Arc::new);
		let config = p2p::Config { bootstrap, ..loopback.clone() };
		async move {
			let key = libp2p::identity::Keypair::generate_ed25519();
			anyhow::Ok(Network::start(key, config, store?).await?.0)
		}
	};
	let server = start(&dirs.0, Vec::new()).await?;
	let client = start(&dirs.1, server.listen_addrs().await?).await?;

	let started = Instant::now();
	let bytes = delta.to_bytes();
	let root = merkle::root(&bytes);
	std::hint::black_box(seal(&root, &H256::repeat_byte(3), &H256::repeat_byte(7), &[1; 32]));
	server.publish(&bytes)?;
	client.fetch_from(server.peer_id(), root).await?;
	Ok(started.elapsed())
}

pub async fn bench(options: &Options, args: BenchArgs) -> Result<()> {
	let mut report = serde_json::Map::new();
	// Ratios from different machines do not compare: say which one this was.
	report.insert(
		"machine".into(),
		json!({
			"processor": processor(),
			"threads": rayon::current_num_threads(),
			"class": trainer::Backend::cpu().class(),
		}),
	);
	let torch = match &args.python {
		Some(python) => Some(torch_step_ms(python, args.steps)?),
		None => None,
	};
	let mut char_shard = None;
	for model in models()? {
		tracing::info!(model = model.name, "timing candle training steps");
		let (ms, trained, total) = candle_step_ms(&model, args.steps)?;
		let sampling = sample_ms(&model, args.steps)?;
		let (trajectory, state_bytes) = trajectory_ms(&model, args.steps)?;
		let referee = referee_step_ms(&model, args.steps.min(5))?;
		let shard_steps = args.steps + 2;
		let mut entry = json!({
			"batch": model.batch_size,
			"candleMsPerStep": ms,
			"candleSamplingMsPerStep": sampling,
			"trajectoryMsPerStep": trajectory,
			"trajectoryShareOfStep": trajectory / ms,
			"stateBytes": state_bytes,
			// A dispute's compute per validator: one step from the agreed state (and the state's
			// bytes fetched) where a bisection has narrowed it, against the whole shard.
			"dispute": {
				"refereeStepMs": referee,
				"shardSteps": shard_steps,
				"shardMs": total.as_secs_f64() * 1000.0,
				"refereeShareOfShard": referee / (total.as_secs_f64() * 1000.0),
				"stateBytes": state_bytes,
			},
		});
		if let Some(torch_ms) = torch.as_ref().and_then(|t| t[model.name].as_f64()) {
			entry["torchMsPerStep"] = json!(torch_ms);
			// Like for like: the baseline times forward, backward and the optimizer only.
			entry["candleOverTorch"] = json!((ms - sampling) / torch_ms);
		}
		report.insert(model.name.into(), entry);
		if model.name == "charTransformer" {
			char_shard = Some((trained, total));
		}
	}
	let char_model = models()?.into_iter().find(|m| m.name == "charTransformer");
	let products = char_products(&char_model.context("the char model")?)?;
	let mut matmul = json!({
		"products": products.len(),
		"candleGflops": matmul_gflops(&products, |a, b| a.matmul(b))?,
	});
	if let Some(torch) = &torch {
		report.insert("torch".into(), torch["torch"].clone());
		matmul["torchGflops"] = torch["matmulGflops"].clone();
	}
	report.insert("matmul".into(), matmul);
	let (merkle_gbps, plain_gbps) = hash_throughput(args.hash_mib);
	report.insert(
		"merkle".into(),
		json!({ "gbPerSecond": merkle_gbps, "plainBlake3GbPerSecond": plain_gbps, "ratio": merkle_gbps / plain_gbps }),
	);
	let (trained, training) = char_shard.expect("the char model was timed");
	let protocol = protocol_time(&trained.delta).await?;
	report.insert(
		"protocolShare".into(),
		json!({
			"model": "charTransformer",
			"trainingSeconds": training.as_secs_f64(),
			"protocolSeconds": protocol.as_secs_f64(),
			"share": protocol.as_secs_f64() / (protocol + training).as_secs_f64(),
			"deltaBytes": trained.delta.to_bytes().len(),
		}),
	);
	output::print(options.json, Value::Object(report));
	Ok(())
}
