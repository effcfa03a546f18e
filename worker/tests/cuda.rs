//! The `cuda` feature on a real GPU: a shard trained on the GPU gives the same bytes every
//! time (so GPU replicas of one class agree by root), its delta is within the verifiers'
//! cross-class tolerance of the CPU's (so a CPU verifier can settle a GPU worker's dispute),
//! and the loss falls. Built only with `--features cuda`; run where a GPU is.
#![cfg(feature = "cuda")]

use cohort_primitives::{DeterminismClass, Optimizer};
use cohort_worker::{
	datasets, merkle,
	roles::verifier::{relative_l2, TOLERANCE},
	trainer::{
		self, Backend, CharConfig, Dataset, MlpConfig, ModelConfig, Settings, ShardRef, ShardRun,
		Trained,
	},
};

const SHARD: ShardRef =
	ShardRef { bounty: 7, round: 1, shard: 3, dataset_shard: 3, dataset_shards: 16 };

/// The reference models at the sizes bounties use, each with its built-in dataset.
fn workloads() -> Vec<(&'static str, ModelConfig, Dataset)> {
	let mlp = ModelConfig::Mlp(MlpConfig { input: 784, hidden: vec![512, 512], classes: 10 });
	let char = ModelConfig::CharTransformer(CharConfig {
		context: 128,
		d_model: 128,
		layers: 4,
		heads: 4,
	});
	let data = |name| Dataset::from_blob(datasets::builtin(name).unwrap()).unwrap();
	vec![("mlp", mlp, data("synthetic")), ("char-transformer", char, data("shakespeare"))]
}

fn train(config: &ModelConfig, dataset: &Dataset, backend: &Backend) -> Trained {
	train_steps(config, dataset, backend, 20)
}

fn train_steps(config: &ModelConfig, dataset: &Dataset, backend: &Backend, steps: u32) -> Trained {
	let settings =
		Settings { steps, batch_size: 16, optimizer: Optimizer::AdamW, learning_rate: 3e-3 };
	let h0 = config.init(b"cuda-test");
	ShardRun { config, settings: &settings, checkpoint: &h0, dataset, shard: SHARD, backend }
		.train()
		.unwrap()
}

fn root(trained: &Trained) -> cohort_primitives::H256 {
	merkle::root(&trained.delta.to_bytes())
}

#[test]
fn the_gpu_names_its_class_by_architecture_and_multiprocessors() {
	let gpu = Backend::open("cuda").unwrap();
	let class = gpu.class();
	println!("class {class}, {} MiB, {} GFLOP/s", gpu.memory_mib(), gpu.measure_gflops().unwrap());
	assert!(class.starts_with("cuda-sm") && class.ends_with("sm"), "{class}");
	assert!(DeterminismClass::new(class.as_bytes()).is_some(), "{class}");
	assert_eq!(gpu.kind(), cohort_primitives::DeviceKind::Cuda);
	assert!(gpu.memory_mib() > 1024);
}

#[test]
fn a_shard_trained_twice_on_the_gpu_gives_the_same_bytes() {
	let gpu = Backend::open("cuda").unwrap();
	for (name, config, dataset) in workloads() {
		let once = train(&config, &dataset, &gpu);
		let again = train(&config, &dataset, &gpu);
		assert_eq!(root(&once), root(&again), "{name}: two GPU runs differ");
		assert_eq!(once.losses, again.losses, "{name}");
		let first = once.losses[..5].iter().sum::<f32>();
		let last = once.losses[15..].iter().sum::<f32>();
		assert!(last < first, "{name}: loss {:?}", once.losses);
	}
}

#[test]
fn gpu_and_cpu_deltas_agree_within_the_cross_class_tolerance() {
	let (gpu, cpu) = (Backend::open("cuda").unwrap(), Backend::cpu());
	let mut beyond = Vec::new();
	for (name, config, dataset) in workloads() {
		for steps in [20, 50, 100] {
			let on_gpu = train_steps(&config, &dataset, &gpu, steps);
			let on_cpu = train_steps(&config, &dataset, &cpu, steps);
			let error = relative_l2(&on_gpu.delta, &on_cpu.delta);
			let last = |t: &Trained| t.losses[t.losses.len() - 1];
			println!(
				"{name}, {steps} steps: relative L2 error GPU vs CPU {error:.3e} (tolerance \
				 {TOLERANCE:.0e}); last loss GPU {} CPU {}",
				last(&on_gpu),
				last(&on_cpu)
			);
			if error > TOLERANCE {
				beyond.push(format!("{name}, {steps} steps: {error:e}"));
			}
		}
	}
	assert!(beyond.is_empty(), "beyond the tolerance: {beyond:?}");
}
