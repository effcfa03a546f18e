//! Attention's causal softmax: scaled scores, the causal mask and the softmax in one pass, and
//! the backward pass in one more.
//!
//! Composed from candle's ops, the scores were scaled, added to a mask tensor broadcast over
//! the batch and heads, and put through a softmax of five ops; the backward pass then walked
//! all of these back on tensors of `batch · heads · len²` elements, and also built the
//! gradient of the mask, which nobody reads.

use crate::rows;
use crate::storage::{self, slice};
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor, D};

/// `softmax(scores · scale)` over the last dimension, where position `i` (the second-to-last
/// dimension) attends to positions `j ≤ i` only: the others get probability 0. `scores` has
/// shape `[.., len, len]`.
pub fn causal_softmax(scores: &Tensor, scale: f32) -> Result<Tensor> {
	let (rows, cols) = (scores.dim(D::Minus2)?, scores.dim(D::Minus1)?);
	if rows != cols {
		bail!("causal softmax: scores of {rows} × {cols}, not square");
	}
	if !storage::fused(scores) {
		return composed(scores, scale);
	}
	scores.contiguous()?.apply_op1(CausalSoftmax { scale })
}

/// The same function from candle's differentiable ops, for devices the kernel does not run on.
fn composed(scores: &Tensor, scale: f32) -> Result<Tensor> {
	let len = scores.dim(D::Minus1)?;
	// Minus infinity, not a large negative number: a score below that number would otherwise
	// outweigh the mask. Position 0 is never masked, so no row is all minus infinity.
	let mask: Vec<f32> = (0..len)
		.flat_map(|i| (0..len).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
		.collect();
	let mask = Tensor::from_vec(mask, (len, len), scores.device())?.to_dtype(scores.dtype())?;
	let masked = (scores * f64::from(scale))?.broadcast_add(&mask)?;
	let max = masked.max_keepdim(D::Minus1)?;
	let exp = masked.broadcast_sub(&max)?.exp()?;
	exp.broadcast_div(&exp.sum_keepdim(D::Minus1)?)
}

struct CausalSoftmax {
	scale: f32,
}

/// The length of the last dimension of a square `[.., len, len]` layout.
fn side(layout: &Layout) -> usize {
	layout.dims().last().copied().unwrap_or(1).max(1)
}

impl CustomOp1 for CausalSoftmax {
	fn name(&self) -> &'static str {
		"causal-softmax"
	}

	fn cpu_fwd(&self, scores: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		let len = side(layout);
		let scores = slice(scores, layout, self.name())?;
		let out = rows::map(scores.len(), len, |r, out| {
			// Row `r` is position `r mod len` of its matrix: it sees the positions up to it.
			out.copy_from_slice(rows::row(scores, len, r));
			probabilities(out, r % len + 1, self.scale);
		});
		Ok((CpuStorage::F32(out), layout.shape().clone()))
	}

	fn bwd(&self, _scores: &Tensor, probs: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
		let grad = grad.contiguous()?;
		Ok(Some(probs.apply_op2_no_bwd(&grad, &Gradient { scale: self.scale })?))
	}
}

/// `∂L/∂scores` from the probabilities `p` and `∂L/∂p`: `scale · p ⊙ (∂L/∂p - Σ p ⊙ ∂L/∂p)`
/// per row. Masked positions have `p = 0`, so their gradient is 0.
struct Gradient {
	scale: f32,
}

impl CustomOp2 for Gradient {
	fn name(&self) -> &'static str {
		"causal-softmax-gradient"
	}

	fn cpu_fwd(
		&self,
		probs: &CpuStorage,
		pl: &Layout,
		grad: &CpuStorage,
		gl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		if pl.dims() != gl.dims() {
			bail!("{}: a gradient of another shape", self.name());
		}
		let len = side(pl);
		let (probs, grad) = (slice(probs, pl, self.name())?, slice(grad, gl, self.name())?);
		let out = rows::map(probs.len(), len, |r, out| {
			out.copy_from_slice(rows::row(grad, len, r));
			score_gradient(rows::row(probs, len, r), out, r % len + 1, self.scale);
		});
		Ok((CpuStorage::F32(out), pl.shape().clone()))
	}
}

/// One row of a causal softmax, in place: `row` holds scores, of which the first `seen` are
/// visible, and becomes `softmax(scores · scale)` over those, 0 after them.
pub(crate) fn probabilities(row: &mut [f32], seen: usize, scale: f32) {
	let max = row[..seen].iter().map(|&s| s * scale).fold(f32::NEG_INFINITY, f32::max);
	for x in &mut row[..seen] {
		*x = (*x * scale - max).exp();
	}
	let total = rows::sum(&row[..seen]);
	for x in &mut row[..seen] {
		*x /= total;
	}
	row[seen..].fill(0.0);
}

/// One row of [`Gradient`], in place: `grad` holds `∂L/∂p` for the row's probabilities `p`
/// (of which the first `seen` are visible) and becomes `∂L/∂scores`.
pub(crate) fn score_gradient(p: &[f32], grad: &mut [f32], seen: usize, scale: f32) {
	let weighted = rows::dot(&p[..seen], &grad[..seen]);
	for (g, &p) in grad[..seen].iter_mut().zip(p) {
		*g = scale * p * (*g - weighted);
	}
	grad[seen..].fill(0.0);
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{agree, flat, same_bits_on_one_and_two_threads, var};

	#[test]
	fn the_kernel_and_its_gradient_agree_with_candles_ops() {
		for len in [1, 3, 8, 33] {
			let inputs = [var(&[2, 3, len, len], len as u32)];
			agree(&inputs, |t| causal_softmax(&t[0], 0.7), |t| composed(&t[0], 0.7), 1e-6);
		}
	}

	#[test]
	fn a_position_gives_nothing_to_later_ones_and_each_row_sums_to_one() {
		let probs = causal_softmax(var(&[2, 5, 5], 9).as_tensor(), 1.3).unwrap();
		for (r, row) in flat(&probs).chunks(5).enumerate() {
			assert!(row[r % 5 + 1..].iter().all(|&p| p == 0.0), "row {r}: {row:?}");
			assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6, "row {r}: {row:?}");
		}
	}

	#[test]
	fn one_and_two_threads_write_the_same_bytes() {
		let scores = [var(&[4, 4, 64, 64], 11)];
		same_bits_on_one_and_two_threads(&scores, |t| causal_softmax(&t[0], 0.25));
	}

	#[test]
	fn scores_that_are_not_square_are_refused() {
		let error = causal_softmax(var(&[2, 3, 4], 1).as_tensor(), 1.0).unwrap_err().to_string();
		assert!(error.contains("3 × 4, not square"), "{error}");
	}
}
