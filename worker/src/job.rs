//! A bounty's work as every role computes it: one shard's training (the worker contributes
//! it, a verifier recomputes it) and one round's aggregation into the next checkpoint (the
//! aggregator commits it, the round's workers and the verifiers recompute it).
//!
//! The next checkpoint is `H_{k+1} = H_k + η · agg(Δ_1 … Δ_n)`, DiLoCo's outer step with plain
//! SGD: `η` is the bounty's outer learning rate and `agg` its aggregation rule, applied to the
//! accepted deltas in shard order.

use crate::{
	aggregate::{aggregate, AggregateError},
	delta::{Delta, DeltaError},
	trainer::{self, Dataset, ModelConfig, ShardRef, ShardRun, TrainError, Trained},
};
use cohort_primitives::{Architecture, BountyId, BountySpec, RoundIndex, ShardIndex, H256};
use sp_arithmetic::Perbill;
use std::{
	ops::ControlFlow,
	sync::atomic::{AtomicBool, Ordering},
};
use thiserror::Error;

/// A bounty's spec with the model config as plain bytes.
pub type Spec = BountySpec<u128, Vec<u8>>;

/// Why a bounty's work cannot be computed.
#[derive(Debug, Error)]
pub enum JobError {
	/// The model config is not the JSON of a model this worker knows.
	#[error("the bounty's model config is not a model this worker knows: {0}")]
	UnknownModel(String),
	/// The spec's architecture is not the one its model config describes.
	#[error("the bounty says {declared:?} but its config describes another architecture")]
	ArchitectureMismatch {
		/// The architecture the spec names.
		declared: Architecture,
	},
	/// The checkpoint's bytes are not a canonical delta.
	#[error("corrupt checkpoint: {0}")]
	CorruptCheckpoint(DeltaError),
	/// A delta's bytes are not a canonical delta.
	#[error("corrupt delta {index}: {source}")]
	CorruptDelta {
		/// Its place among the deltas given.
		index: usize,
		/// What is wrong with it.
		source: DeltaError,
	},
	/// The model config is out of the bounds any worker trains (it could only exhaust memory
	/// or crash the trainer).
	#[error("the bounty's model is out of bounds: {0}")]
	ModelOutOfBounds(String),
	/// The checkpoint (or the aggregate of the deltas) does not fit the bounty's model.
	#[error("the checkpoint does not fit the bounty's model")]
	CheckpointMismatch,
	/// A training state's bytes are not a canonical delta.
	#[error("corrupt training state: {0}")]
	CorruptState(DeltaError),
	/// A bisection position past the delta, or an agreed state where the position has none
	/// (or none where it has one).
	#[error("no transition follows position {0} of this bounty's bisection")]
	NoTransition(u32),
	/// Training the shard failed.
	#[error(transparent)]
	Train(#[from] TrainError),
	/// The deltas cannot be aggregated.
	#[error(transparent)]
	Aggregate(#[from] AggregateError),
}

fn rate(p: Perbill) -> f64 {
	f64::from(p.deconstruct()) / 1e9
}

/// The architecture a bounty's spec names for a model config.
pub fn architecture(config: &ModelConfig) -> Architecture {
	match config {
		ModelConfig::Mlp(_) => Architecture::Mlp,
		ModelConfig::CharTransformer(_) => Architecture::CharTransformer,
	}
}

/// The most layers (MLP hidden layers or transformer blocks) a model may have.
const MAX_LAYERS: usize = 256;
/// The widest layer (features, classes, embedding) a model may have.
const MAX_WIDTH: usize = 1 << 16;
/// The longest context a char transformer may read.
const MAX_CONTEXT: usize = 1 << 14;

/// Refuse a model config no worker should try: one whose shapes are degenerate (no heads, a
/// width the heads do not divide) or so large that merely listing its parameters would
/// exhaust memory. What a particular worker can afford is [`Job::footprint`]'s business.
fn check_bounds(config: &ModelConfig) -> Result<(), String> {
	let width = |name: &str, value: usize| {
		if (1..=MAX_WIDTH).contains(&value) {
			Ok(())
		} else {
			Err(format!("{name} {value} is not in 1..={MAX_WIDTH}"))
		}
	};
	match config {
		ModelConfig::Mlp(c) => {
			width("input", c.input)?;
			width("classes", c.classes)?;
			if c.hidden.len() > MAX_LAYERS {
				return Err(format!("{} hidden layers, at most {MAX_LAYERS}", c.hidden.len()));
			}
			c.hidden.iter().try_for_each(|h| width("a hidden layer", *h))
		}
		ModelConfig::CharTransformer(c) => {
			width("dModel", c.d_model)?;
			if !(1..=MAX_LAYERS).contains(&c.layers) {
				return Err(format!("{} layers, not in 1..={MAX_LAYERS}", c.layers));
			}
			if !(1..=MAX_CONTEXT).contains(&c.context) {
				return Err(format!("context {} is not in 1..={MAX_CONTEXT}", c.context));
			}
			if c.heads == 0 || c.d_model % c.heads != 0 {
				return Err(format!("{} heads do not divide dModel {}", c.heads, c.d_model));
			}
			Ok(())
		}
	}
}

/// One shard of a bounty's round to train from a checkpoint: what a worker's slot asks for,
/// and what a verifier recomputes to settle a dispute. One value, so that both train it the
/// same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardTask {
	/// The bounty.
	pub bounty: BountyId,
	/// The round.
	pub round: RoundIndex,
	/// The shard within the round.
	pub shard: ShardIndex,
	/// The dataset shard it trains on.
	pub dataset_shard: u32,
	/// The checkpoint it trains from, by root.
	pub checkpoint: H256,
}

/// What a bounty asks to be computed.
#[derive(Clone, Debug)]
pub struct Job {
	/// The bounty's spec.
	pub spec: Spec,
	/// Its model, parsed.
	pub config: ModelConfig,
}

impl Job {
	/// Parse the model config of `spec`.
	pub fn new(spec: Spec) -> Result<Self, JobError> {
		let config: ModelConfig = serde_json::from_slice(&spec.model.config)
			.map_err(|e| JobError::UnknownModel(e.to_string()))?;
		if architecture(&config) != spec.model.architecture {
			return Err(JobError::ArchitectureMismatch { declared: spec.model.architecture });
		}
		check_bounds(&config).map_err(JobError::ModelOutOfBounds)?;
		Ok(Self { spec, config })
	}

	/// A key for what a training step's time depends on: the model configuration and the
	/// batch size (a bounty with a popular model and a huge batch must not make this
	/// worker's pace on every other bounty of that model look slow).
	pub fn pace_key(&self) -> [u8; 32] {
		let mut hasher = blake3::Hasher::new();
		hasher.update(&self.spec.model.config);
		hasher.update(&self.spec.hyper.batch_size.to_le_bytes());
		*hasher.finalize().as_bytes()
	}

	/// An upper estimate of the memory a shard of this job needs, in bytes: parameters,
	/// gradients, two optimizer moments, the checkpoint and the delta (six copies of the
	/// parameters), and one batch's activations. `None` if it overflows.
	pub fn footprint(&self) -> Option<u64> {
		let params: u64 = self.config.parameters().iter().try_fold(0u64, |sum, p| {
			let count = p.dims.iter().try_fold(1u64, |n, d| n.checked_mul(*d as u64))?;
			sum.checked_add(count)
		})?;
		let batch = u64::from(self.spec.hyper.batch_size);
		let activations = match &self.config {
			ModelConfig::Mlp(c) => {
				let widest = c.hidden.iter().copied().chain([c.input, c.classes]).max()? as u64;
				batch.checked_mul(widest)?.checked_mul(c.hidden.len() as u64 + 2)?
			}
			// Per layer: the residual stream, the MLP's 4d, the attention scores per head,
			// each kept for the backward pass (about 20 d-wide tensors in all).
			ModelConfig::CharTransformer(c) => {
				let (t, d, h) = (c.context as u64, c.d_model as u64, c.heads as u64);
				let scores = t.checked_mul(t)?.checked_mul(h)?;
				let per_layer = t.checked_mul(d)?.checked_mul(20)?.checked_add(scores)?;
				batch.checked_mul(per_layer)?.checked_mul(c.layers as u64 + 1)?
			}
		};
		params.checked_mul(6)?.checked_add(activations)?.checked_mul(4)
	}

	/// The inner training settings.
	pub fn settings(&self) -> trainer::Settings {
		let hyper = &self.spec.hyper;
		trainer::Settings {
			steps: hyper.inner_steps,
			batch_size: hyper.batch_size as usize,
			optimizer: hyper.optimizer,
			learning_rate: rate(hyper.inner_learning_rate),
		}
	}

	/// Parse and check a checkpoint of this job's model.
	pub fn checkpoint(&self, bytes: &[u8]) -> Result<Delta, JobError> {
		let checkpoint = Delta::from_bytes(bytes).map_err(JobError::CorruptCheckpoint)?;
		if !self.config.fits(&checkpoint) {
			return Err(JobError::CheckpointMismatch);
		}
		Ok(checkpoint)
	}

	/// Train `task` from `checkpoint` (the bytes of `task.checkpoint`) on `dataset`, on
	/// `backend`; once `stop` is set, training ends at the next step
	/// ([`trainer::TrainError::Stopped`]).
	pub fn train(
		&self,
		checkpoint: &[u8],
		dataset: &Dataset,
		task: ShardTask,
		backend: &trainer::Backend,
		stop: &AtomicBool,
	) -> Result<Trained, JobError> {
		let checkpoint = self.checkpoint(checkpoint)?;
		let settings = self.settings();
		let on_step = |_, _| match stop.load(Ordering::Relaxed) {
			true => ControlFlow::Break(()),
			false => ControlFlow::Continue(()),
		};
		let run = self.shard_run(&settings, &checkpoint, dataset, task, backend);
		Ok(run.train_observed(on_step)?)
	}

	/// `task`'s training from `checkpoint` on `dataset` with `settings` (this job's), on
	/// `backend`.
	fn shard_run<'a>(
		&'a self,
		settings: &'a trainer::Settings,
		checkpoint: &'a Delta,
		dataset: &'a Dataset,
		task: ShardTask,
		backend: &'a trainer::Backend,
	) -> ShardRun<'a> {
		let shard = self.shard_ref(task);
		ShardRun { config: &self.config, settings, checkpoint, dataset, shard, backend }
	}

	/// Where `task`'s batches come from.
	fn shard_ref(&self, task: ShardTask) -> ShardRef {
		ShardRef {
			bounty: task.bounty,
			round: task.round,
			shard: task.shard,
			dataset_shard: task.dataset_shard,
			dataset_shards: self.spec.dataset.shards,
		}
	}

	/// The training states of `task` after each of `steps_taken` steps (in increasing order),
	/// retrained from `checkpoint` in one pass: what a side of a bisection serves.
	pub fn states_after(
		&self,
		checkpoint: &[u8],
		dataset: &Dataset,
		task: ShardTask,
		steps_taken: &[u32],
		backend: &trainer::Backend,
	) -> Result<Vec<Delta>, JobError> {
		let checkpoint = self.checkpoint(checkpoint)?;
		let settings = self.settings();
		let run = self.shard_run(&settings, &checkpoint, dataset, task, backend);
		Ok(run.states_after(steps_taken)?)
	}

	/// The state after step `steps_taken + 1` of `task`, from `state` (the state after
	/// `steps_taken` steps).
	pub fn step_from(
		&self,
		state: &Delta,
		steps_taken: u32,
		dataset: &Dataset,
		task: ShardTask,
		backend: &trainer::Backend,
	) -> Result<Delta, JobError> {
		let shard = self.shard_ref(task);
		let settings = self.settings();
		Ok(trainer::step_from(
			&self.config,
			&settings,
			state,
			steps_taken,
			dataset,
			shard,
			backend,
		)?)
	}

	/// The delta a shard trained from `checkpoint` commits when its last state is `state`.
	pub fn delta_from(&self, checkpoint: &[u8], state: &Delta) -> Result<Delta, JobError> {
		Ok(trainer::delta_from(state, &self.checkpoint(checkpoint)?)?)
	}

	/// What follows position `low` of a bisection of `task` trained from `checkpoint`, as the
	/// bytes whose Merkle root each side claims at `low + 1`: the state before the first step
	/// (`low = 0`, the checkpoint itself: no `agreed` state), the state after one more step
	/// from the `agreed` state after `low − 1` steps (`1 ≤ low ≤ steps`), or the delta of the
	/// agreed last state (`low = steps + 1`). This is all a referee computes for a dispute.
	pub fn next_position(
		&self,
		checkpoint: &[u8],
		agreed: Option<&[u8]>,
		low: u32,
		dataset: &Dataset,
		task: ShardTask,
		backend: &trainer::Backend,
	) -> Result<Vec<u8>, JobError> {
		let steps = self.spec.hyper.inner_steps;
		let state = |bytes: &[u8]| Delta::from_bytes(bytes).map_err(JobError::CorruptState);
		let next = match agreed {
			None if low == 0 => {
				let mut states = self.states_after(checkpoint, dataset, task, &[0], backend)?;
				states.pop().expect("one state per step count asked for")
			}
			Some(bytes) if (1..=steps).contains(&low) => {
				self.step_from(&state(bytes)?, low - 1, dataset, task, backend)?
			}
			Some(bytes) if low == steps + 1 => self.delta_from(checkpoint, &state(bytes)?)?,
			_ => return Err(JobError::NoTransition(low)),
		};
		Ok(next.to_bytes())
	}

	/// The next checkpoint from `checkpoint` and the round's accepted `deltas` (in shard
	/// order), as canonical bytes.
	pub fn next_checkpoint(
		&self,
		checkpoint: &[u8],
		deltas: &[Vec<u8>],
	) -> Result<Vec<u8>, JobError> {
		let checkpoint = self.checkpoint(checkpoint)?;
		let deltas = deltas
			.iter()
			.enumerate()
			.map(|(index, bytes)| {
				Delta::from_bytes(bytes).map_err(|source| JobError::CorruptDelta { index, source })
			})
			.collect::<Result<Vec<_>, _>>()?;
		let combined = aggregate(&deltas, self.spec.aggregation)?;
		if !combined.same_layout(&checkpoint) {
			return Err(JobError::CheckpointMismatch);
		}
		let eta = rate(self.spec.hyper.outer_learning_rate) as f32;
		let values: Vec<f32> =
			checkpoint.values().zip(combined.values()).map(|(w, d)| w + eta * d).collect();
		Ok(checkpoint.with_values(&values).to_bytes())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		merkle,
		trainer::{Dataset, MlpConfig},
	};
	use cohort_primitives::{
		Aggregation, DatasetSpec, Deadlines, HyperParams, ModelSpec, Optimizer, Requirements,
	};

	fn job(steps: u32) -> Job {
		let config = ModelConfig::Mlp(MlpConfig { input: 16, hidden: vec![32], classes: 4 });
		Job::new(BountySpec {
			model: ModelSpec {
				architecture: Architecture::Mlp,
				config: serde_json::to_vec(&config).unwrap(),
				initial_checkpoint: H256::zero(),
			},
			dataset: DatasetSpec { hash: H256::zero(), shards: 4 },
			hyper: HyperParams {
				inner_steps: steps,
				batch_size: 8,
				inner_learning_rate: Perbill::from_parts(3_000_000),
				outer_learning_rate: Perbill::one(),
				optimizer: Optimizer::AdamW,
			},
			rounds: 1,
			shards_per_round: 1,
			replication: 1,
			aggregation: Aggregation::Mean,
			audit_rate: Perbill::zero(),
			deadlines: Deadlines { commit: 10, reveal: 10, vote: 20, checkpoint: 6, review: 6 },
			reward_per_contribution: 1,
			requirements: Requirements::default(),
		})
		.unwrap()
	}

	#[test]
	fn the_pace_of_a_model_is_told_apart_by_its_batch_size() {
		let small = job(5);
		let mut spec = small.spec.clone();
		spec.hyper.batch_size *= 64;
		let huge = Job::new(spec).unwrap();
		assert_ne!(small.pace_key(), huge.pace_key());
		// The steps do not change a step's time.
		assert_eq!(small.pace_key(), job(50).pace_key());
	}

	/// What a referee computes for each transition of a bisection is what the honest side
	/// committed there: every leaf of the trajectory, and the delta after the last.
	#[test]
	fn every_transition_recomputes_the_honest_trajectory_and_delta() {
		let job = job(4);
		let dataset = Dataset::Synthetic {
			seed: b"task".to_vec(),
			input: 16,
			classes: 4,
			examples_per_shard: 64,
		};
		let checkpoint = job.config.init(b"h0").to_bytes();
		let task =
			ShardTask { bounty: 1, round: 0, shard: 0, dataset_shard: 0, checkpoint: H256::zero() };
		let backend = crate::trainer::Backend::cpu();
		let trained = job.train(&checkpoint, &dataset, task, &backend, &AtomicBool::new(false));
		let trained = trained.unwrap();
		let states =
			job.states_after(&checkpoint, &dataset, task, &[0, 1, 2, 3, 4], &backend).unwrap();
		for (leaf, state) in trained.trajectory.iter().zip(&states) {
			assert_eq!(crate::trainer::state::hash(state), *leaf);
		}
		let next = |agreed: Option<&Delta>, low| {
			let agreed = agreed.map(Delta::to_bytes);
			let bytes =
				job.next_position(&checkpoint, agreed.as_deref(), low, &dataset, task, &backend);
			merkle::root(&bytes.unwrap())
		};
		assert_eq!(next(None, 0), trained.trajectory[0]);
		for low in 1..=4 {
			assert_eq!(next(Some(&states[low - 1]), low as u32), trained.trajectory[low]);
		}
		assert_eq!(next(Some(&states[4]), 5), merkle::root(&trained.delta.to_bytes()));
		// Nothing follows the delta, and only position 0 has no agreed state.
		for (agreed, low) in [(Some(&states[4]), 6), (None, 1), (Some(&states[0]), 0)] {
			let agreed = agreed.map(Delta::to_bytes);
			let refused =
				job.next_position(&checkpoint, agreed.as_deref(), low, &dataset, task, &backend);
			assert!(matches!(refused, Err(JobError::NoTransition(_))), "{low}");
		}
	}
}
