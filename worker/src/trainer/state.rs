//! A shard's training state between two inner steps, in canonical bytes: what a trajectory
//! commits to after every step, what a worker serves when a bisection asks for one step's
//! state, and what a referee resumes from to recompute that one step.
//!
//! The state is a [`Delta`] whose tensors are the parameters, named `param/<name>`, and for
//! AdamW the moments, `adam.m/<name>` and `adam.v/<name>`. How many steps were taken (AdamW's
//! bias correction needs it) is the state's place in the trajectory, not part of its bytes.

use crate::delta::{Delta, Tensor as Named};
use crate::trainer::{
	optimizer::{Inner, Moments},
	params::Params,
	Settings, TrainError,
};
use candle_core::{Device, Tensor, Var};
use cohort_primitives::{Optimizer, H256};

const PARAM: &str = "param/";
const FIRST_MOMENT: &str = "adam.m/";
const SECOND_MOMENT: &str = "adam.v/";

/// The hash a trajectory commits to for `state`: the Merkle root of its canonical bytes, so
/// that a referee can also be shown one tensor of it with a proof.
pub fn hash(state: &Delta) -> H256 {
	crate::merkle::root(&state.to_bytes())
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
		let mut tensors = Vec::new();
		let host = |prefix: &str, name: &str, var: &Var| -> candle_core::Result<Named> {
			let data = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
			Ok(Named { name: format!("{prefix}{name}"), dims: var.dims().to_vec(), data })
		};
		for (name, var) in self.params.named() {
			tensors.push(host(PARAM, name, var)?);
		}
		for ((name, _), moments) in self.params.named().zip(self.optimizer.moments()) {
			tensors.push(host(FIRST_MOMENT, name, &moments.first)?);
			tensors.push(host(SECOND_MOMENT, name, &moments.second)?);
		}
		Delta::new(tensors).map_err(|_| TrainError::StateMismatch)
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
