//! Training one shard: load `H_k`, run the bounty's inner steps on the shard's batches, return
//! the parameter delta (a DiLoCo-style pseudo-gradient) in canonical form, and the losses.
//!
//! Everything that could differ between honest replicas is pinned: weights come from the
//! project's seeded generator, batches from the generator of (bounty, round, shard), and
//! candle's CPU kernels split work over output tiles only, which the tests check gives the
//! same bytes across runs and thread counts.

mod data;
mod device;
mod inference;
mod models;
mod params;
mod rng;

pub use data::{Batch, DataError, Dataset, Sampler, SyntheticSpec, SYNTHETIC_MAGIC};
pub use device::{Backend, BackendError};
pub use inference::{evaluate, generate, Evaluation};
pub use models::{CharConfig, Fill, MlpConfig, ModelConfig, Parameter, VOCAB};
pub use params::Params;
pub use rng::SeededRng;

use crate::delta::Delta;
use candle_core::Device;
use candle_nn::{AdamW, Optimizer as _, ParamsAdamW, SGD};
use cohort_primitives::Optimizer;
use thiserror::Error;

/// How one shard is trained.
#[derive(Clone, Debug)]
pub struct Settings {
	/// Optimizer steps.
	pub steps: u32,
	/// Examples per step.
	pub batch_size: usize,
	/// The inner optimizer.
	pub optimizer: Optimizer,
	/// Its learning rate.
	pub learning_rate: f64,
}

/// Which shard of which round of which bounty: seeds the batch order.
#[derive(Clone, Copy, Debug)]
pub struct ShardRef {
	/// The bounty.
	pub bounty: u64,
	/// The round.
	pub round: u32,
	/// The shard within the round.
	pub shard: u32,
	/// The dataset shard it trains on.
	pub dataset_shard: u32,
	/// How many shards the dataset has.
	pub dataset_shards: u32,
}

/// The outcome of training a shard.
pub struct Trained {
	/// Parameters after training minus parameters before, in canonical form.
	pub delta: Delta,
	/// The loss at each step.
	pub losses: Vec<f32>,
}

/// Why a shard could not be trained.
#[derive(Debug, Error)]
pub enum TrainError {
	/// The checkpoint's names or shapes are not the model configuration's.
	#[error("the checkpoint does not fit this model configuration")]
	CheckpointMismatch,
	/// Text generation asked of a model that is not the char transformer.
	#[error("only a char transformer generates text")]
	NotAGenerator,
	/// The dataset cannot give the shard's batches.
	#[error(transparent)]
	Data(#[from] DataError),
	/// A tensor operation failed.
	#[error("candle: {0}")]
	Candle(#[from] candle_core::Error),
}

/// Train `shard` from `checkpoint` with `config` and `settings` on `dataset`, on `device`.
pub fn train_shard(
	config: &ModelConfig,
	settings: &Settings,
	checkpoint: &Delta,
	dataset: &Dataset,
	shard: ShardRef,
	device: &Device,
) -> Result<Trained, TrainError> {
	train_shard_observed(config, settings, checkpoint, dataset, shard, device, |_, _| {})
}

/// [`train_shard`], calling `on_step(step, loss)` after each step (for progress bars).
pub fn train_shard_observed(
	config: &ModelConfig,
	settings: &Settings,
	checkpoint: &Delta,
	dataset: &Dataset,
	shard: ShardRef,
	device: &Device,
	mut on_step: impl FnMut(u32, f32),
) -> Result<Trained, TrainError> {
	if !config.fits(checkpoint) {
		return Err(TrainError::CheckpointMismatch);
	}
	let context = config.context();
	let sampler = Sampler::new(dataset, shard.dataset_shard, shard.dataset_shards, context)?;
	let mut rng = SeededRng::for_shard("batches", shard.bounty, shard.round, shard.shard);
	let params = Params::from_checkpoint(checkpoint, device)?;
	let mut optimizer = Inner::new(&params, settings)?;
	let mut losses = Vec::with_capacity(settings.steps as usize);
	for step in 0..settings.steps {
		let batch = sampler.batch(&mut rng, settings.batch_size, context, device)?;
		let loss = config.loss(&params, &batch.inputs, &batch.targets)?;
		let value = loss.to_scalar::<f32>()?;
		losses.push(value);
		optimizer.step(&loss)?;
		on_step(step, value);
	}
	let after = params.to_checkpoint()?;
	let diff: Vec<f32> = after.values().zip(checkpoint.values()).map(|(a, b)| a - b).collect();
	Ok(Trained { delta: checkpoint.with_values(&diff), losses })
}

/// The inner optimizer a bounty asks for.
enum Inner {
	AdamW(AdamW),
	Sgd(SGD),
}

impl Inner {
	fn new(params: &Params, settings: &Settings) -> candle_core::Result<Self> {
		Ok(match settings.optimizer {
			Optimizer::AdamW => {
				let config = ParamsAdamW {
					lr: settings.learning_rate,
					weight_decay: 0.0,
					..Default::default()
				};
				Inner::AdamW(AdamW::new(params.vars(), config)?)
			}
			Optimizer::Sgd => Inner::Sgd(SGD::new(params.vars(), settings.learning_rate)?),
		})
	}

	fn step(&mut self, loss: &candle_core::Tensor) -> candle_core::Result<()> {
		match self {
			Inner::AdamW(adam) => adam.backward_step(loss),
			Inner::Sgd(sgd) => sgd.backward_step(loss),
		}
	}
}

#[cfg(test)]
mod tests;
