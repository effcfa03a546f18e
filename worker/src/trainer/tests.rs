//! The trainer's guarantees: every parameter learns, the loss falls, and the same shard gives
//! the same bytes every time, on one thread or two.

use super::*;
use crate::merkle;
use candle_core::{Device, Var};

fn mlp() -> ModelConfig {
	ModelConfig::Mlp(MlpConfig { input: 16, hidden: vec![32, 32], classes: 4 })
}

fn char_model() -> ModelConfig {
	ModelConfig::CharTransformer(CharConfig { context: 16, d_model: 32, layers: 2, heads: 4 })
}

fn synthetic() -> Dataset {
	Dataset::Synthetic { seed: b"task".to_vec(), input: 16, classes: 4, examples_per_shard: 512 }
}

fn text() -> Dataset {
	let sentence =
		b"the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. ";
	Dataset::Text(sentence.iter().copied().cycle().take(8_000).collect())
}

fn settings(steps: u32) -> Settings {
	Settings { steps, batch_size: 16, optimizer: Optimizer::AdamW, learning_rate: 3e-3 }
}

const SHARD: ShardRef =
	ShardRef { bounty: 1, round: 0, shard: 1, dataset_shard: 1, dataset_shards: 4 };

fn root_of(trained: &Trained) -> cohort_primitives::H256 {
	merkle::root(&trained.delta.to_bytes())
}

#[test]
fn every_parameter_of_both_models_gets_a_gradient() {
	for (config, data) in [(mlp(), synthetic()), (char_model(), text())] {
		let params = Params::from_checkpoint(&config.init(b"h0"), &Device::Cpu).unwrap();
		let context = config.context();
		let sampler = Sampler::new(&data, 0, 4, context).unwrap();
		let batch = sampler.batch(&mut SeededRng::new(b"b"), 8, context, &Device::Cpu).unwrap();
		let grads =
			config.loss(&params, &batch.inputs, &batch.targets).unwrap().backward().unwrap();
		let mut count = 0;
		for (name, var) in params.named() {
			let var: &Var = var;
			let grad = grads.get(var).unwrap_or_else(|| panic!("{name} has no gradient"));
			let norm = grad.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
			assert!(norm > 0.0, "{name} has a zero gradient");
			count += 1;
		}
		assert!(count >= 6, "{count} parameters");
	}
}

#[test]
fn training_learns() {
	let trained =
		train_shard(&mlp(), &settings(60), &mlp().init(b"h0"), &synthetic(), SHARD, &Device::Cpu)
			.unwrap();
	let first: f32 = trained.losses[..10].iter().sum::<f32>() / 10.0;
	let last: f32 = trained.losses[50..].iter().sum::<f32>() / 10.0;
	assert!(last < 0.7 * first, "loss {first} -> {last}");
	let sgd = Settings { optimizer: Optimizer::Sgd, learning_rate: 0.05, ..settings(60) };
	let trained =
		train_shard(&mlp(), &sgd, &mlp().init(b"h0"), &synthetic(), SHARD, &Device::Cpu).unwrap();
	assert!(trained.losses[59] < trained.losses[0], "SGD: {:?}", trained.losses);
	let trained = train_shard(
		&char_model(),
		&settings(30),
		&char_model().init(b"h0"),
		&text(),
		SHARD,
		&Device::Cpu,
	)
	.unwrap();
	assert!(trained.losses[29] < trained.losses[0] - 1.0, "{:?}", trained.losses);
}

#[test]
fn the_same_shard_gives_the_same_bytes_on_one_thread_or_two() {
	for (config, data) in [(mlp(), synthetic()), (char_model(), text())] {
		let h0 = config.init(b"h0");
		let run = |threads: usize| {
			let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
			pool.install(|| {
				train_shard(&config, &settings(5), &h0, &data, SHARD, &Device::Cpu).unwrap()
			})
		};
		let once = root_of(&run(2));
		assert_eq!(root_of(&run(2)), once, "two runs differ");
		assert_eq!(root_of(&run(1)), once, "one thread differs from two");
		// A different shard is different work.
		let other = train_shard(
			&config,
			&settings(5),
			&h0,
			&data,
			ShardRef { shard: 2, ..SHARD },
			&Device::Cpu,
		)
		.unwrap();
		assert_ne!(root_of(&other), once);
	}
}

#[test]
fn initial_checkpoints_are_seeded() {
	assert_eq!(mlp().init(b"a").to_bytes(), mlp().init(b"a").to_bytes());
	assert_ne!(mlp().init(b"a").to_bytes(), mlp().init(b"b").to_bytes());
}

#[test]
fn bad_inputs_are_refused_clearly() {
	let wrong =
		train_shard(&char_model(), &settings(1), &mlp().init(b"h0"), &text(), SHARD, &Device::Cpu);
	assert!(matches!(wrong, Err(TrainError::CheckpointMismatch)));
	let beyond = ShardRef { dataset_shard: 4, ..SHARD };
	let missing =
		train_shard(&mlp(), &settings(1), &mlp().init(b"h0"), &synthetic(), beyond, &Device::Cpu);
	assert!(matches!(
		missing,
		Err(TrainError::Data(DataError::NoSuchShard { shard: 4, shards: 4 }))
	));
	let tiny = Dataset::Text(b"too short".to_vec());
	let short = train_shard(
		&char_model(),
		&settings(1),
		&char_model().init(b"h0"),
		&tiny,
		SHARD,
		&Device::Cpu,
	);
	assert!(matches!(short, Err(TrainError::Data(DataError::ShardTooShort { .. }))));
	let unknown = serde_json::from_str::<ModelConfig>(r#"{"model":"gpt9","layers":96}"#);
	assert!(unknown.unwrap_err().to_string().contains("unknown variant `gpt9`"));
	let parsed: ModelConfig = serde_json::from_str(
		r#"{"model":"charTransformer","context":16,"dModel":32,"layers":2,"heads":4}"#,
	)
	.unwrap_or_else(|e| panic!("{e}"));
	assert_eq!(parsed, char_model());
}
