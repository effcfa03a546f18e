//! The inner optimizers, written out here rather than taken from candle-nn so that their state
//! is in the open: the state after a step (parameters and AdamW's moments) is what a shard's
//! trajectory commits to, and what a referee resumes from to recompute one disputed step.
//!
//! The arithmetic is candle-nn 0.11's `AdamW` and `SGD`, op for op and in the same order, so
//! the bytes are too (a test trains with both side by side). AdamW's update runs fused on the
//! CPU ([`cohort_kernels::adamw`]), with the same bytes as the composed ops.

use crate::trainer::params::Params;
use candle_core::{backprop::GradStore, Result, Var};
use cohort_kernels::adamw;
use cohort_primitives::Optimizer;

/// AdamW's constants: candle-nn's defaults, without weight decay (Cohort's bounties do not
/// ask for it).
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// An inner optimizer and its state.
pub(crate) enum Inner {
	/// AdamW: first and second moments per parameter, in the parameters' name order.
	AdamW { learning_rate: f64, moments: Vec<Moments>, steps_taken: u32 },
	/// Plain SGD (no momentum, as candle-nn's): no state beyond the parameters.
	Sgd { learning_rate: f64 },
}

/// One parameter's AdamW moments.
pub(crate) struct Moments {
	/// The running mean of gradients.
	pub first: Var,
	/// The running mean of squared gradients.
	pub second: Var,
}

impl Inner {
	/// A fresh optimizer for `params`, or one resumed after `steps_taken` steps with
	/// `moments` (AdamW; `None` starts them at zero).
	pub fn new(
		optimizer: Optimizer,
		learning_rate: f64,
		params: &Params,
		moments: Option<Vec<Moments>>,
		steps_taken: u32,
	) -> Result<Self> {
		Ok(match optimizer {
			Optimizer::AdamW => {
				let moments = match moments {
					Some(moments) => moments,
					None => params
						.named()
						.map(|(_, var)| {
							Ok(Moments {
								first: Var::zeros(var.shape(), var.dtype(), var.device())?,
								second: Var::zeros(var.shape(), var.dtype(), var.device())?,
							})
						})
						.collect::<Result<_>>()?,
				};
				Inner::AdamW { learning_rate, moments, steps_taken }
			}
			Optimizer::Sgd => Inner::Sgd { learning_rate },
		})
	}

	/// The AdamW moments, in the parameters' name order (none for SGD).
	pub fn moments(&self) -> &[Moments] {
		match self {
			Inner::AdamW { moments, .. } => moments,
			Inner::Sgd { .. } => &[],
		}
	}

	/// One update of `params` with `grads`.
	pub fn step(&mut self, params: &Params, grads: &GradStore) -> Result<()> {
		match self {
			Inner::AdamW { learning_rate, moments, steps_taken } => {
				*steps_taken += 1;
				let step = adamw::Step {
					beta1: BETA1,
					beta2: BETA2,
					eps: EPS,
					learning_rate: *learning_rate,
					scale_m: 1f64 / (1f64 - BETA1.powi(*steps_taken as i32)),
					scale_v: 1f64 / (1f64 - BETA2.powi(*steps_taken as i32)),
				};
				for ((_, theta), Moments { first, second }) in params.named().zip(moments) {
					if let Some(g) = grads.get(theta) {
						adamw::update(theta, first, second, g, &step)?;
					}
				}
				Ok(())
			}
			Inner::Sgd { learning_rate } => {
				for (_, var) in params.named() {
					if let Some(grad) = grads.get(var) {
						var.set(&var.sub(&(grad * *learning_rate)?)?)?;
					}
				}
				Ok(())
			}
		}
	}
}
