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
use cohort_primitives::{Architecture, BountyId, BountySpec, RoundIndex, ShardIndex};
use sp_arithmetic::Perbill;
use thiserror::Error;

/// A bounty's spec with the model config as plain bytes.
pub type Spec = BountySpec<u128, Vec<u8>>;

/// Why a bounty's work cannot be computed.
#[derive(Debug, Error)]
pub enum JobError {
	#[error("the bounty's model config is not a model this worker knows: {0}")]
	UnknownModel(String),
	#[error("the bounty says {declared:?} but its config describes another architecture")]
	ArchitectureMismatch { declared: Architecture },
	#[error("corrupt checkpoint: {0}")]
	CorruptCheckpoint(DeltaError),
	#[error("corrupt delta {index}: {source}")]
	CorruptDelta { index: usize, source: DeltaError },
	#[error("the checkpoint does not fit the bounty's model")]
	CheckpointMismatch,
	#[error(transparent)]
	Train(#[from] TrainError),
	#[error(transparent)]
	Aggregate(#[from] AggregateError),
}

fn rate(p: Perbill) -> f64 {
	f64::from(p.deconstruct()) / 1e9
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
		let matches = matches!(
			(&config, spec.model.architecture),
			(ModelConfig::Mlp(_), Architecture::Mlp)
				| (ModelConfig::CharTransformer(_), Architecture::CharTransformer)
		);
		if !matches {
			return Err(JobError::ArchitectureMismatch { declared: spec.model.architecture });
		}
		Ok(Self { spec, config })
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

	/// Train `shard` of `round` (dataset shard `dataset_shard`) from `checkpoint` on `device`.
	#[allow(clippy::too_many_arguments)]
	pub fn train(
		&self,
		checkpoint: &[u8],
		dataset: &Dataset,
		bounty: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		dataset_shard: u32,
		device: &candle_core::Device,
	) -> Result<Trained, JobError> {
		let checkpoint = self.checkpoint(checkpoint)?;
		let shard = ShardRef {
			bounty,
			round,
			shard,
			dataset_shard,
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
