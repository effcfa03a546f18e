//! A shard's training state between two inner steps, in canonical bytes: what a trajectory
//! commits to after every step, what a worker serves when a bisection asks for one step's
//! state, and what a referee resumes from to recompute that one step.
//!
//! The state is a [`Delta`] whose tensors are the parameters, named `param/<name>`, and for
//! AdamW the moments, `adam.m/<name>` and `adam.v/<name>`. How many steps were taken (AdamW's
//! bias correction needs it) is the state's place in the trajectory, not part of its bytes.

use crate::delta::{CanonicalBytes, Delta, Tensor as Named, TensorView};
use crate::trainer::{
	optimizer::{Inner, Moments},
	params::Params,
	Settings, TrainError,
};
use candle_core::{CpuStorage, Device, Storage, Tensor, Var};
use cohort_primitives::{Optimizer, H256};

const PARAM: &str = "param/";
const FIRST_MOMENT: &str = "adam.m/";
const SECOND_MOMENT: &str = "adam.v/";

/// The hash a trajectory commits to for `state`: the Merkle root of its canonical bytes, so
/// that a referee can also be shown one tensor of it with a proof.
pub fn hash(state: &Delta) -> H256 {
	state.canonical().root()
}

/// The parameters a state holds, as a checkpoint.
pub fn params_of(state: &Delta) -> Result<Delta, TrainError> {
	Ok(split(state)?.0)
}

/// A state live on a device: the parameters and the optimizer that updates them.
pub(crate) struct Live {
	pub params: Params,
	pub optimizer: Inner,
}

impl Live {
	/// The state before the first step from `checkpoint`.
	pub fn fresh(
		checkpoint: &Delta,
		settings: &Settings,
		device: &Device,
	) -> Result<Self, TrainError> {
		let params = Params::from_checkpoint(checkpoint, device)?;
		let optimizer = Inner::new(settings.optimizer, settings.learning_rate, &params, None, 0)?;
		Ok(Self { params, optimizer })
	}

	/// The state `state`, reached after `steps_taken` steps.
	pub fn resume(
		state: &Delta,
		steps_taken: u32,
		settings: &Settings,
		device: &Device,
	) -> Result<Self, TrainError> {
		let (checkpoint, first, second) = split(state)?;
		let params = Params::from_checkpoint(&checkpoint, device)?;
		let moments = match settings.optimizer {
			Optimizer::AdamW => {
				let (Some(first), Some(second)) = (first, second) else {
					return Err(TrainError::StateMismatch);
				};
				if !first.same_layout(&checkpoint) || !second.same_layout(&checkpoint) {
					return Err(TrainError::StateMismatch);
				}
				let var = |t: &Named| -> candle_core::Result<Var> {
					Var::from_tensor(&Tensor::from_vec(t.data.clone(), t.dims.as_slice(), device)?)
				};
				let moments = first
					.tensors()
					.iter()
					.zip(second.tensors())
					.map(|(m, v)| Ok(Moments { first: var(m)?, second: var(v)? }))
					.collect::<candle_core::Result<_>>()?;
				Some(moments)
			}
			Optimizer::Sgd if first.is_some() || second.is_some() => {
				return Err(TrainError::StateMismatch)
			}
			Optimizer::Sgd => None,
		};
		let optimizer =
			Inner::new(settings.optimizer, settings.learning_rate, &params, moments, steps_taken)?;
		Ok(Self { params, optimizer })
	}

	/// The state in canonical form.
	pub fn snapshot(&self) -> Result<Delta, TrainError> {
		let tensors = self
			.named()
			.into_iter()
			.map(|(name, var)| {
				let data = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
				Ok(Named { name, dims: var.dims().to_vec(), data })
			})
			.collect::<candle_core::Result<_>>()?;
		Delta::new(tensors).map_err(|_| TrainError::StateMismatch)
	}

	/// [`hash`] of [`Self::snapshot`]. On the CPU the values are hashed where they lie, not
	/// copied out first: a trajectory hashes the whole state after every step.
	pub fn hash(&self) -> Result<H256, TrainError> {
		let named = self.named();
		let storages: Vec<_> = named.iter().map(|(_, var)| var.storage_and_layout()).collect();
		let views: Option<Vec<TensorView>> = named
			.iter()
			.zip(&storages)
			.map(|((name, var), (storage, layout))| {
				match (&**storage, layout.contiguous_offsets()) {
					(Storage::Cpu(CpuStorage::F32(data)), Some((start, end))) => {
						Some(TensorView { name, dims: var.dims(), data: &data[start..end] })
					}
					_ => None,
				}
			})
			.collect();
		match views {
			Some(views) => Ok(CanonicalBytes::new(views).root()),
			// On a GPU, or in a layout the trainer does not make: copy out, once the storage
			// locks are released.
			None => {
				drop(storages);
				Ok(hash(&self.snapshot()?))
			}
		}
	}

	/// Every tensor of the state, named as in its canonical form.
	fn named(&self) -> Vec<(String, &Var)> {
		let params = self.params.named().map(|(name, var)| (format!("{PARAM}{name}"), var));
		let moments =
			self.params.named().zip(self.optimizer.moments()).flat_map(|((name, _), moments)| {
				[
					(format!("{FIRST_MOMENT}{name}"), &moments.first),
					(format!("{SECOND_MOMENT}{name}"), &moments.second),
				]
			});
		params.chain(moments).collect()
	}
}

/// A state's parameters and, where it has them, its first and second moments, each as a
/// delta of the parameters' names.
fn split(state: &Delta) -> Result<(Delta, Option<Delta>, Option<Delta>), TrainError> {
	let mut parts: [Vec<Named>; 3] = Default::default();
	for tensor in state.tensors() {
		let (part, name) = [PARAM, FIRST_MOMENT, SECOND_MOMENT]
			.iter()
			.enumerate()
			.find_map(|(i, prefix)| tensor.name.strip_prefix(prefix).map(|name| (i, name)))
			.ok_or(TrainError::StateMismatch)?;
		parts[part].push(Named {
			name: name.to_owned(),
			dims: tensor.dims.clone(),
			data: tensor.data.clone(),
		});
	}
	let [params, first, second] = parts.map(|tensors| {
		(!tensors.is_empty()).then(|| Delta::new(tensors).map_err(|_| TrainError::StateMismatch))
	});
	let params = params.ok_or(TrainError::StateMismatch)??;
	Ok((params, first.transpose()?, second.transpose()?))
}
