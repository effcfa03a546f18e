//! Training one shard: load `H_k`, run the bounty's inner steps on the shard's batches, return
//! the parameter delta (a DiLoCo-style pseudo-gradient) in canonical form, the losses, and the
//! trajectory: the hash of the training state (parameters and optimizer state, see [`state`])
//! before the first step and after each, which a bisection between disagreeing replicas
//! narrows to one step that a referee recomputes from the agreed state ([`step_from`]).
//!
//! Everything that could differ between honest replicas is pinned: weights come from the
//! project's seeded generator, batches from the generator of (bounty, round, shard), and
//! candle's CPU kernels split work over output tiles only, which the tests check gives the
//! same bytes across runs and thread counts.

mod data;
mod device;
#[cfg(feature = "emulated-class")]
mod emulated;
mod inference;
mod models;
mod optimizer;
mod params;
pub mod state;

pub use cohort_formats::rng::SeededRng;
pub use data::{Batch, DataError, Dataset, Sampler, SyntheticSpec, SYNTHETIC_MAGIC};
pub use device::{Backend, BackendError};
pub use inference::{evaluate, generate, Evaluation};
pub use models::{CharConfig, Fill, MlpConfig, ModelConfig, Parameter, VOCAB};
pub use params::Params;

use crate::delta::Delta;
use cohort_primitives::{Optimizer, H256};
use state::Live;
use std::ops::ControlFlow;
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
	/// The hash of the state before the first step and after each ([`state::hash`]):
	/// `steps + 1` leaves of the trajectory a seal commits to ([`crate::trajectory`]).
	pub trajectory: Vec<H256>,
}

/// Why a shard could not be trained.
#[derive(Debug, Error)]
pub enum TrainError {
	/// The checkpoint's names or shapes are not the model configuration's.
	#[error("the checkpoint does not fit this model configuration")]
	CheckpointMismatch,
	/// A training state whose tensors are not this model's parameters and this optimizer's
	/// state, or a step past the bounty's last.
	#[error("the training state does not fit this model, optimizer and step")]
	StateMismatch,
	/// Whoever asked for the training stopped it (its round was voided, say).
	#[error("training stopped after {after} steps")]
	Stopped {
		/// The steps taken.
		after: u32,
	},
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

/// One shard's training and everything its bytes depend on: the model, how it trains, the
/// checkpoint it starts from, the dataset and the shard of it, and the device. A worker trains
/// it, a verifier retrains it, a side of a bisection retrains it up to a step.
#[derive(Clone, Copy)]
pub struct ShardRun<'a> {
	/// The model.
	pub config: &'a ModelConfig,
	/// Steps, batch size and optimizer.
	pub settings: &'a Settings,
	/// The checkpoint it starts from (`H_k`).
	pub checkpoint: &'a Delta,
	/// The bounty's dataset.
	pub dataset: &'a Dataset,
	/// Which shard: seeds the batch order.
	pub shard: ShardRef,
	/// The device.
	pub backend: &'a Backend,
}

impl<'a> ShardRun<'a> {
	/// Train the shard.
	pub fn train(&self) -> Result<Trained, TrainError> {
		self.train_observed(|_, _| ControlFlow::Continue(()))
	}

	/// [`Self::train`], calling `on_step(step, loss)` after each step (for progress bars, or
	/// to stop: training ends with [`TrainError::Stopped`] when it breaks).
	pub fn train_observed(
		&self,
		mut on_step: impl FnMut(u32, f32) -> ControlFlow<()>,
	) -> Result<Trained, TrainError> {
		let (settings, checkpoint) = (self.settings, self.checkpoint);
		if !self.config.fits(checkpoint) {
			return Err(TrainError::CheckpointMismatch);
		}
		let mut live = Live::fresh(checkpoint, settings, self.backend.device())?;
		let mut steps = self.steps()?;
		let mut losses = Vec::with_capacity(settings.steps as usize);
		let mut trajectory = Vec::with_capacity(settings.steps as usize + 1);
		trajectory.push(live.hash()?);
		for step in 0..settings.steps {
			let loss = steps.take(&mut live)?;
			losses.push(loss);
			trajectory.push(live.hash()?);
			if on_step(step, loss).is_break() {
				return Err(TrainError::Stopped { after: step + 1 });
			}
		}
		let delta = difference(&live.params.to_checkpoint()?, checkpoint);
		Ok(Trained { delta, losses, trajectory })
	}

	/// The state after `steps_taken` steps, retrained: what a worker shows when a bisection
	/// asks for a step's state it did not keep.
	pub fn state_after(&self, steps_taken: u32) -> Result<Delta, TrainError> {
		let mut states = self.states_after(&[steps_taken])?;
		Ok(states.pop().expect("one state per step count asked for"))
	}

	/// The states after each of `steps_taken` (in increasing order) steps, retrained in one
	/// pass: a bisection's agreed state and the state a side claims one step later cost one
	/// retraining, not two.
	pub fn states_after(&self, steps_taken: &[u32]) -> Result<Vec<Delta>, TrainError> {
		if !self.config.fits(self.checkpoint) {
			return Err(TrainError::CheckpointMismatch);
		}
		let ordered = steps_taken.windows(2).all(|pair| pair[0] <= pair[1]);
		if !ordered || steps_taken.iter().any(|&taken| taken > self.settings.steps) {
			return Err(TrainError::StateMismatch);
		}
		let mut live = Live::fresh(self.checkpoint, self.settings, self.backend.device())?;
		let mut steps = self.steps()?;
		let mut states = Vec::with_capacity(steps_taken.len());
		let mut taken = 0;
		for &wanted in steps_taken {
			while taken < wanted {
				steps.take(&mut live)?;
				taken += 1;
			}
			states.push(live.snapshot()?);
		}
		Ok(states)
	}

	/// The shard's steps, batch by batch.
	fn steps(&self) -> Result<Steps<'a>, TrainError> {
		Steps::new(self.config, self.settings, self.dataset, self.shard, self.backend)
	}
}

/// The delta a training state stands for: its parameters minus `checkpoint`'s, what a shard
/// whose last state is `state` commits.
pub fn delta_from(state: &Delta, checkpoint: &Delta) -> Result<Delta, TrainError> {
	let after = state::params_of(state)?;
	if !after.same_layout(checkpoint) {
		return Err(TrainError::StateMismatch);
	}
	Ok(difference(&after, checkpoint))
}

/// `after − before`, tensor by tensor, in `before`'s layout.
fn difference(after: &Delta, before: &Delta) -> Delta {
	let diff: Vec<f32> = after.values().zip(before.values()).map(|(a, b)| a - b).collect();
	before.with_values(&diff)
}

/// Step `steps_taken + 1` of `shard` alone, from `state` (the state after `steps_taken`
/// steps): the state after it. This is all a referee recomputes once a bisection has found the
/// one step two replicas disagree on; the step's batch is drawn after replaying the draws of
/// the steps before it, which costs no training.
pub fn step_from(
	config: &ModelConfig,
	settings: &Settings,
	state: &Delta,
	steps_taken: u32,
	dataset: &Dataset,
	shard: ShardRef,
	backend: &Backend,
) -> Result<Delta, TrainError> {
	if steps_taken >= settings.steps || !config.fits(&state::params_of(state)?) {
		return Err(TrainError::StateMismatch);
	}
	let mut live = Live::resume(state, steps_taken, settings, backend.device())?;
	let mut steps = Steps::new(config, settings, dataset, shard, backend)?;
	steps.skip(steps_taken);
	steps.take(&mut live)?;
	live.snapshot()
}

/// A shard's inner steps in order: the batches drawn from the shard's generator, and the
/// update each makes.
struct Steps<'a> {
	config: &'a ModelConfig,
	batch_size: usize,
	sampler: Sampler<'a>,
	rng: SeededRng,
	backend: &'a Backend,
}

impl<'a> Steps<'a> {
	fn new(
		config: &'a ModelConfig,
		settings: &Settings,
		dataset: &'a Dataset,
		shard: ShardRef,
		backend: &'a Backend,
	) -> Result<Self, TrainError> {
		let sampler =
			Sampler::new(dataset, shard.dataset_shard, shard.dataset_shards, config.context())?;
		let rng = SeededRng::for_shard("batches", shard.bounty, shard.round, shard.shard);
		Ok(Self { config, batch_size: settings.batch_size, sampler, rng, backend })
	}

	/// Draw the batches of the next `count` steps and drop them, without building them.
	fn skip(&mut self, count: u32) {
		for _ in 0..count {
			self.sampler.skip(&mut self.rng, self.batch_size, self.config.context());
		}
	}

	/// The next step on `live`; its loss (before the update).
	fn take(&mut self, live: &mut Live) -> Result<f32, TrainError> {
		let context = self.config.context();
		let device = self.backend.device();
		let batch = self.sampler.batch(&mut self.rng, self.batch_size, context, device)?;
		let loss = self.config.loss(&live.params, &batch.inputs, &batch.targets)?;
		let value = loss.to_scalar::<f32>()?;
		let grads = loss.backward()?;
		live.optimizer.step(&live.params, &grads)?;
		self.backend.after_step(&live.params)?;
		Ok(value)
	}
}

#[cfg(test)]
mod tests;
