//! The mean cross-entropy of logits against target classes, forward and backward in one pass
//! each.
//!
//! candle-nn composes it from a log-softmax of six ops and a gather, and its backward pass
//! walks all of them back over the whole `[examples, classes]` tensor.

use crate::rows;
use crate::storage::{self, slice};
use candle_core::{bail, CpuStorage, CustomOp2, DType, Layout, Result, Shape, Tensor, D};
use rayon::prelude::*;

/// `mean_r(log Σ_c exp(logits[r, c]) - logits[r, targets[r]])` for `logits` `[examples,
/// classes]` and `targets` (u32) `[examples]`: a scalar.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
	let (examples, _) = logits.dims2()?;
	if targets.dims() != [examples] || targets.dtype() != DType::U32 {
		bail!("cross-entropy: {examples} logits rows need as many u32 targets, got {targets:?}");
	}
	if !storage::fused(logits) {
		return composed(logits, targets);
	}
	logits.contiguous()?.apply_op2(&targets.contiguous()?, CrossEntropy)
}

/// The same function from candle's differentiable ops, for devices the kernel does not run on.
fn composed(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
	let max = logits.max_keepdim(D::Minus1)?;
	let shifted = logits.broadcast_sub(&max)?;
	let log_sum = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
	let log_probs = shifted.broadcast_sub(&log_sum)?;
	let picked = log_probs.gather(&targets.unsqueeze(1)?, 1)?;
	picked.sum_all()?.affine(-1.0 / logits.dim(0)? as f64, 0.0)
}

/// The targets as indices, each checked to name a class.
fn classes<'a>(targets: &'a CpuStorage, layout: &Layout, count: usize) -> Result<&'a [u32]> {
	let CpuStorage::U32(all) = targets else { bail!("cross-entropy: targets are not u32") };
	let Some((start, end)) = layout.contiguous_offsets() else {
		bail!("cross-entropy: targets not contiguous")
	};
	let targets = &all[start..end];
	if let Some(bad) = targets.iter().find(|&&t| t as usize >= count) {
		bail!("cross-entropy: target {bad} of {count} classes");
	}
	Ok(targets)
}

/// A row's largest logit and `log Σ exp(logit - largest)`.
fn log_sum_exp(row: &[f32]) -> (f32, f32) {
	let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
	(max, rows::sum_of(row.len(), |c| (row[c] - max).exp()).ln())
}

struct CrossEntropy;

impl CustomOp2 for CrossEntropy {
	fn name(&self) -> &'static str {
		"cross-entropy"
	}

	fn cpu_fwd(
		&self,
		logits: &CpuStorage,
		ll: &Layout,
		targets: &CpuStorage,
		tl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let classes_count = ll.dims()[1].max(1);
		let logits = slice(logits, ll, self.name())?;
		let targets = classes(targets, tl, classes_count)?;
		let losses: Vec<f32> = logits
			.par_chunks(classes_count)
			.zip(targets.par_iter())
			.map(|(row, &t)| {
				let (max, log_sum) = log_sum_exp(row);
				log_sum - (row[t as usize] - max)
			})
			.collect();
		let mean = rows::sum(&losses) / losses.len().max(1) as f32;
		Ok((CpuStorage::F32(vec![mean]), Shape::from(())))
	}

	fn bwd(
		&self,
		logits: &Tensor,
		targets: &Tensor,
		_loss: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>)> {
		let scale = grad.to_dtype(DType::F32)?.to_scalar::<f32>()? / logits.dim(0)? as f32;
		Ok((Some(logits.apply_op2_no_bwd(targets, &Gradient { scale })?), None))
	}
}

/// `∂L/∂logits = scale · (softmax(logits) - onehot(targets))`, row by row.
struct Gradient {
	scale: f32,
}

impl CustomOp2 for Gradient {
	fn name(&self) -> &'static str {
		"cross-entropy-gradient"
	}

	fn cpu_fwd(
		&self,
		logits: &CpuStorage,
		ll: &Layout,
		targets: &CpuStorage,
		tl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let width = ll.dims()[1].max(1);
		let logits = slice(logits, ll, self.name())?;
		let targets = classes(targets, tl, width)?;
		let out = rows::map(logits.len(), width, |r, out| {
			let row = rows::row(logits, width, r);
			let (max, log_sum) = log_sum_exp(row);
			for (o, &x) in out.iter_mut().zip(row) {
				*o = (x - max - log_sum).exp() * self.scale;
			}
			out[targets[r] as usize] -= self.scale;
		});
		Ok((CpuStorage::F32(out), ll.shape().clone()))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{agree, var};
	use candle_core::Device;

	fn targets(examples: usize, classes: u32) -> Tensor {
		let t: Vec<u32> = (0..examples as u32).map(|i| (i * 7 + 3) % classes).collect();
		Tensor::from_vec(t, examples, &Device::Cpu).unwrap()
	}

	#[test]
	fn the_kernel_and_its_gradient_agree_with_candles_ops() {
		for (examples, classes) in [(1, 1), (5, 3), (300, 256)] {
			let t = targets(examples, classes as u32);
			agree(
				&[var(&[examples, classes], 4)],
				|x| cross_entropy(&x[0], &t),
				|x| composed(&x[0], &t),
				1e-5,
			);
		}
	}

	#[test]
	fn a_target_outside_the_classes_is_refused() {
		let error =
			cross_entropy(var(&[2, 3], 1).as_tensor(), &targets(2, 4)).unwrap_err().to_string();
		assert!(error.contains("target 3 of 3 classes"), "{error}");
	}
}
