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

static CPU: std::sync::LazyLock<Backend> = std::sync::LazyLock::new(Backend::cpu);

/// The training of [`SHARD`] of `dataset` from `checkpoint` on the CPU.
fn cpu_run<'a>(
	config: &'a ModelConfig,
	settings: &'a Settings,
	checkpoint: &'a Delta,
	dataset: &'a Dataset,
) -> ShardRun<'a> {
	ShardRun { config, settings, checkpoint, dataset, shard: SHARD, backend: &CPU }
}

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
	let trained = cpu_run(&mlp(), &settings(60), &mlp().init(b"h0"), &synthetic()).train().unwrap();
	let first: f32 = trained.losses[..10].iter().sum::<f32>() / 10.0;
	let last: f32 = trained.losses[50..].iter().sum::<f32>() / 10.0;
	assert!(last < 0.7 * first, "loss {first} -> {last}");
	let sgd = Settings { optimizer: Optimizer::Sgd, learning_rate: 0.05, ..settings(60) };
	let trained = cpu_run(&mlp(), &sgd, &mlp().init(b"h0"), &synthetic()).train().unwrap();
	assert!(trained.losses[59] < trained.losses[0], "SGD: {:?}", trained.losses);
	let trained =
		cpu_run(&char_model(), &settings(30), &char_model().init(b"h0"), &text()).train().unwrap();
	assert!(trained.losses[29] < trained.losses[0] - 1.0, "{:?}", trained.losses);
}

/// The delta roots this release's arithmetic gives on an x86-64 CPU with each of gemm's kernels
/// (a machine checks the one it runs: AVX-512 where it has it, else FMA), for two small
/// models whose products are all shorter than any gemm block, so that every such CPU computes
/// them. A change that alters them must bump [`super::device::ARITHMETIC`], which keeps workers
/// of two releases out of one class (see the threat model, "Two releases in one class"), and
/// then record the new roots here.
#[test]
fn the_arithmetic_version_names_these_bytes() {
	// Per kernel (the start of the CPU's class): the arithmetic version, and the roots of the
	// MLP's and the char transformer's deltas.
	const ROOTS: [(&str, u32, &str, &str); 2] = [
		(
			"cpu-x86_64-fma-",
			3,
			"0x98eec5bd4cbb34b8ab161a2d3c92d5de650eff068ea3a2f7feb8d7a31d72af07",
			"0x95ca130b0d5043ed06f20d6881f3b9818246789569c88fe6f8d12d7b49aa361b",
		),
		(
			"cpu-x86_64-avx512-",
			3,
			"0x580401f7e6a8e14bd7994eba1b9841dda7b017e311a4fdff623cdb15dffc7700",
			"0x95ca130b0d5043ed06f20d6881f3b9818246789569c88fe6f8d12d7b49aa361b",
		),
	];
	let class = CPU.class();
	let Some(&(kernel, arithmetic, mlp_root, char_root)) =
		ROOTS.iter().find(|(kernel, ..)| class.starts_with(kernel))
	else {
		return;
	};
	let root = |config: ModelConfig, data: Dataset| {
		let trained = cpu_run(&config, &settings(3), &config.init(b"h0"), &data).train().unwrap();
		format!("{:?}", root_of(&trained))
	};
	let found = (super::device::ARITHMETIC, root(mlp(), synthetic()), root(char_model(), text()));
	assert_eq!(
		(found.0, found.1.as_str(), found.2.as_str()),
		(arithmetic, mlp_root, char_root),
		"{kernel}: the trainer's bytes or its arithmetic version changed: bump ARITHMETIC with \
		 the bytes"
	);
}

#[test]
fn the_same_shard_gives_the_same_bytes_on_one_thread_or_two() {
	for (config, data) in [(mlp(), synthetic()), (char_model(), text())] {
		let h0 = config.init(b"h0");
		let run = |threads: usize| {
			let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
			pool.install(|| cpu_run(&config, &settings(5), &h0, &data).train().unwrap())
		};
		let first = run(2);
		let once = root_of(&first);
		assert_eq!(root_of(&run(2)), once, "two runs differ");
		let single = run(1);
		assert_eq!(root_of(&single), once, "one thread differs from two");
		assert_eq!(single.trajectory, first.trajectory, "the trajectories differ");
		// A different shard is different work.
		let other = ShardRun {
			shard: ShardRef { shard: 2, ..SHARD },
			..cpu_run(&config, &settings(5), &h0, &data)
		}
		.train()
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
	let wrong = cpu_run(&char_model(), &settings(1), &mlp().init(b"h0"), &text()).train();
	assert!(matches!(wrong, Err(TrainError::CheckpointMismatch)));
	let beyond = ShardRef { dataset_shard: 4, ..SHARD };
	let missing = ShardRun {
		shard: beyond,
		..cpu_run(&mlp(), &settings(1), &mlp().init(b"h0"), &synthetic())
	}
	.train();
	assert!(matches!(
		missing,
		Err(TrainError::Data(DataError::NoSuchShard { shard: 4, shards: 4 }))
	));
	let tiny = Dataset::Text(b"too short".to_vec());
	let short = cpu_run(&char_model(), &settings(1), &char_model().init(b"h0"), &tiny).train();
	assert!(matches!(short, Err(TrainError::Data(DataError::ShardTooShort { .. }))));
	let unknown = serde_json::from_str::<ModelConfig>(r#"{"model":"gpt9","layers":96}"#);
	assert!(unknown.unwrap_err().to_string().contains("unknown variant `gpt9`"));
	let parsed: ModelConfig = serde_json::from_str(
		r#"{"model":"charTransformer","context":16,"dModel":32,"layers":2,"heads":4}"#,
	)
	.unwrap_or_else(|e| panic!("{e}"));
	assert_eq!(parsed, char_model());
}

/// candle-nn's optimizers, run beside the trainer's own: the same parameters after every step.
#[test]
fn the_optimizers_give_candle_nn_bytes() {
	use candle_nn::{AdamW, Optimizer as _, ParamsAdamW, SGD};
	for (optimizer, learning_rate) in [(Optimizer::AdamW, 3e-3), (Optimizer::Sgd, 0.05)] {
		let settings = Settings { optimizer, learning_rate, ..settings(6) };
		let h0 = mlp().init(b"h0");
		let ours = cpu_run(&mlp(), &settings, &h0, &synthetic()).train().unwrap();

		let params = Params::from_checkpoint(&h0, &Device::Cpu).unwrap();
		let data = synthetic();
		let sampler = Sampler::new(&data, SHARD.dataset_shard, SHARD.dataset_shards, 0).unwrap();
		let mut rng = SeededRng::for_shard("batches", SHARD.bounty, SHARD.round, SHARD.shard);
		let config = ParamsAdamW { lr: learning_rate, weight_decay: 0.0, ..Default::default() };
		let mut adam = AdamW::new(params.vars(), config).unwrap();
		let mut sgd = SGD::new(params.vars(), learning_rate).unwrap();
		for _ in 0..settings.steps {
			let batch = sampler.batch(&mut rng, settings.batch_size, 0, &Device::Cpu).unwrap();
			let loss = mlp().loss(&params, &batch.inputs, &batch.targets).unwrap();
			match optimizer {
				Optimizer::AdamW => adam.backward_step(&loss).unwrap(),
				Optimizer::Sgd => sgd.backward_step(&loss).unwrap(),
			}
		}
		let theirs: Vec<f32> =
			params.to_checkpoint().unwrap().values().zip(h0.values()).map(|(a, b)| a - b).collect();
		assert_eq!(ours.delta.to_bytes(), h0.with_values(&theirs).to_bytes(), "{optimizer:?}");
	}
}

/// What a referee does once a bisection has found a step: resume from the agreed state and
/// take that one step. From every state of a run, it lands on the run's next state.
#[test]
fn one_step_from_any_state_is_that_step_of_the_whole_run() {
	let sgd = Settings { optimizer: Optimizer::Sgd, learning_rate: 0.05, ..settings(4) };
	for (config, data, settings) in [
		(mlp(), synthetic(), settings(4)),
		(mlp(), synthetic(), sgd),
		(char_model(), text(), settings(3)),
	] {
		let h0 = config.init(b"h0");
		let run = cpu_run(&config, &settings, &h0, &data).train().unwrap();
		assert_eq!(run.trajectory.len(), settings.steps as usize + 1);
		for i in 0..settings.steps {
			let before = cpu_run(&config, &settings, &h0, &data).state_after(i).unwrap();
			assert_eq!(state::hash(&before), run.trajectory[i as usize], "state after {i} steps");
			assert_eq!(state::hash(&before), merkle::root(&before.to_bytes()));
			let after =
				step_from(&config, &settings, &before, i, &data, SHARD, &Backend::cpu()).unwrap();
			assert_eq!(state::hash(&after), run.trajectory[i as usize + 1], "step {}", i + 1);
		}
		// The last state's parameters are the checkpoint plus the delta.
		let last = cpu_run(&config, &settings, &h0, &data).state_after(settings.steps).unwrap();
		let params = state::params_of(&last).unwrap();
		let summed: Vec<f32> = h0.values().zip(run.delta.values()).map(|(a, d)| a + d).collect();
		assert!(params
			.values()
			.zip(&summed)
			.all(|(a, b)| (a - b).abs() <= 1e-6 * b.abs().max(1.0)));
	}
}

#[test]
fn a_state_that_does_not_fit_is_refused() {
	let h0 = mlp().init(b"h0");
	let adam = settings(3);
	let state = cpu_run(&mlp(), &adam, &h0, &synthetic()).state_after(1).unwrap();
	let step = |settings: &Settings, state: &Delta, taken| {
		step_from(&mlp(), settings, state, taken, &synthetic(), SHARD, &Backend::cpu())
	};
	// Past the last step, or another model's state.
	assert!(matches!(step(&adam, &state, 3), Err(TrainError::StateMismatch)));
	let other =
		cpu_run(&char_model(), &adam, &char_model().init(b"h0"), &text()).state_after(0).unwrap();
	assert!(matches!(step(&adam, &other, 1), Err(TrainError::StateMismatch)));
	// AdamW's moments missing, or SGD given moments.
	let params_only: Vec<_> =
		state.tensors().iter().filter(|t| t.name.starts_with("param/")).cloned().collect();
	let params_only = Delta::new(params_only).unwrap();
	assert!(matches!(step(&adam, &params_only, 1), Err(TrainError::StateMismatch)));
	let sgd = Settings { optimizer: Optimizer::Sgd, ..adam.clone() };
	assert!(matches!(step(&sgd, &state, 1), Err(TrainError::StateMismatch)));
	// A checkpoint is not a state: its names carry no part.
	assert!(matches!(step(&adam, &h0, 1), Err(TrainError::StateMismatch)));
	assert!(matches!(
		cpu_run(&mlp(), &adam, &h0, &synthetic()).state_after(4),
		Err(TrainError::StateMismatch)
	));
}

#[cfg(feature = "emulated-class")]
#[test]
fn the_emulated_class_rounds_differently_within_the_step_tolerance() {
	use crate::roles::{bisection::STEP_TOLERANCE, verifier::relative_l2};
	let (cpu, emulated) = (Backend::cpu(), Backend::open("emulated").unwrap());
	let (config, data, settings, h0) = (mlp(), synthetic(), settings(6), mlp().init(b"h0"));
	let on =
		|backend| ShardRun { backend, ..cpu_run(&config, &settings, &h0, &data) }.train().unwrap();
	assert_ne!(root_of(&on(&cpu)), root_of(&on(&emulated)));
	assert_eq!(root_of(&on(&emulated)), root_of(&on(&emulated)), "deterministic");
	// One step from one agreed state: what a referee of the other class compares.
	let state = ShardRun { backend: &cpu, ..cpu_run(&config, &settings, &h0, &data) }
		.state_after(3)
		.unwrap();
	let next = |backend| step_from(&config, &settings, &state, 3, &data, SHARD, backend).unwrap();
	let (theirs, mine) = (next(&emulated), next(&cpu));
	assert_ne!(theirs.to_bytes(), mine.to_bytes());
	let distance = relative_l2(&theirs, &mine);
	assert!(distance > 0.0 && distance < STEP_TOLERANCE, "{distance}");
}

#[test]
fn training_stops_at_the_step_its_observer_breaks_at() {
	let mut seen = Vec::new();
	let stopped = cpu_run(&mlp(), &settings(5), &mlp().init(b"h0"), &synthetic()).train_observed(
		|step, _| {
			seen.push(step);
			if step == 1 {
				std::ops::ControlFlow::Break(())
			} else {
				std::ops::ControlFlow::Continue(())
			}
		},
	);
	assert!(matches!(stopped, Err(TrainError::Stopped { after: 2 })), "{:?}", stopped.err());
	assert_eq!(seen, vec![0, 1]);
}
