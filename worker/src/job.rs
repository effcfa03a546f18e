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
	trainer::{self, Dataset, ModelConfig, ShardRef, TrainError, Trained},
};
use cohort_primitives::{Architecture, BountyId, BountySpec, RoundIndex, ShardIndex, H256};
use sp_arithmetic::Perbill;
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

	/// A key for this job's model configuration: the blake3 hash of its bytes.
	pub fn model_key(&self) -> [u8; 32] {
		*blake3::hash(&self.spec.model.config).as_bytes()
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
	/// `device`.
	pub fn train(
		&self,
		checkpoint: &[u8],
		dataset: &Dataset,
		task: ShardTask,
		device: &candle_core::Device,
	) -> Result<Trained, JobError> {
		let checkpoint = self.checkpoint(checkpoint)?;
		let shard = ShardRef {
			bounty: task.bounty,
			round: task.round,
			shard: task.shard,
			dataset_shard: task.dataset_shard,
			dataset_shards: self.spec.dataset.shards,
		};
		Ok(trainer::train_shard(
			&self.config,
			&self.settings(),
			&checkpoint,
			dataset,
			shard,
			device,
		)?)
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
