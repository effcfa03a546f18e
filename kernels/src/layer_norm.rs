//! Layer norm over the last dimension, forward and backward in one pass each.
//!
//! candle-nn's fused layer norm has no backward pass, so the trainer composed it from nine
//! differentiable ops, whose backward passes are some twenty more, several of them
//! reductions over the batch. Here each pass is one kernel (and the gain's and bias's
//! gradients one each); the statistics of a row are recomputed where the backward pass needs
//! them rather than kept, which costs a read of the row each time.

use crate::bias::column_sum;
use crate::rows;
use crate::storage::{self, row_width, same_width, slice};
use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor, D};

/// `(x - mean) / sqrt(var + eps) · gain + bias` over the last dimension of `x`, with `gain`
/// and `bias` of shape `[width]`; the variance is the biased one (divided by `width`).
pub fn layer_norm(x: &Tensor, gain: &Tensor, bias: &Tensor, eps: f32) -> Result<Tensor> {
	if !storage::fused(x) {
		return composed(x, gain, bias, eps);
	}
	x.contiguous()?.apply_op3(&gain.contiguous()?, &bias.contiguous()?, LayerNorm { eps })
}

/// The same function from candle's differentiable ops, for devices the kernel does not run on.
fn composed(x: &Tensor, gain: &Tensor, bias: &Tensor, eps: f32) -> Result<Tensor> {
	let mean = x.mean_keepdim(D::Minus1)?;
	let centered = x.broadcast_sub(&mean)?;
	let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
	let normed = centered.broadcast_div(&(var + f64::from(eps))?.sqrt()?)?;
	normed.broadcast_mul(gain)?.broadcast_add(bias)
}

/// A row's mean and the reciprocal of its standard deviation.
fn statistics(row: &[f32], eps: f32) -> (f32, f32) {
	let width = row.len() as f32;
	let mean = rows::sum(row) / width;
	let var = rows::sum_of(row.len(), |i| (row[i] - mean) * (row[i] - mean)) / width;
	(mean, 1.0 / (var + eps).sqrt())
}

struct LayerNorm {
	eps: f32,
}

impl CustomOp3 for LayerNorm {
	fn name(&self) -> &'static str {
		"layer-norm"
	}

	fn cpu_fwd(
		&self,
		x: &CpuStorage,
		xl: &Layout,
		gain: &CpuStorage,
		gl: &Layout,
		bias: &CpuStorage,
		bl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let width = row_width(xl, self.name())?;
		let x = slice(x, xl, self.name())?;
		let (gain, bias) = (slice(gain, gl, self.name())?, slice(bias, bl, self.name())?);
		same_width(gl, width, self.name())?;
		same_width(bl, width, self.name())?;
		let out = rows::map(x.len(), width, |r, out| {
			let x = rows::row(x, width, r);
			let (mean, rstd) = statistics(x, self.eps);
			for (j, o) in out.iter_mut().enumerate() {
				*o = (x[j] - mean) * rstd * gain[j] + bias[j];
			}
		});
		Ok((CpuStorage::F32(out), xl.shape().clone()))
	}

	fn bwd(
		&self,
		x: &Tensor,
		gain: &Tensor,
		_bias: &Tensor,
		_y: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
		let grad = grad.contiguous()?;
		let dx = x.apply_op3_no_bwd(gain, &grad, &InputGradient { eps: self.eps })?;
		let dgain = x.apply_op2_no_bwd(&grad, &GainGradient { eps: self.eps })?;
		Ok((Some(dx), Some(dgain), Some(column_sum(&grad)?)))
	}
}

/// `∂L/∂x` from `x`, the gain and `∂L/∂y`: with `x̂` the normalized row, `g = gain ⊙ ∂L/∂y`
/// and `r` the reciprocal standard deviation, `r · (g - mean(g) - x̂ · mean(g ⊙ x̂))`.
struct InputGradient {
	eps: f32,
}

impl CustomOp3 for InputGradient {
	fn name(&self) -> &'static str {
		"layer-norm-input-gradient"
	}

	fn cpu_fwd(
		&self,
		x: &CpuStorage,
		xl: &Layout,
		gain: &CpuStorage,
		gl: &Layout,
		grad: &CpuStorage,
		dl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let width = row_width(xl, self.name())?;
		let x = slice(x, xl, self.name())?;
		let (gain, grad) = (slice(gain, gl, self.name())?, slice(grad, dl, self.name())?);
		same_width(gl, width, self.name())?;
		let out = rows::map(x.len(), width, |r, out| {
			let (x, dy) = (rows::row(x, width, r), rows::row(grad, width, r));
			let (mean, rstd) = statistics(x, self.eps);
			let n = width as f32;
			let g_mean = rows::dot(gain, dy) / n;
			let gx_mean = rows::sum_of(width, |j| gain[j] * dy[j] * ((x[j] - mean) * rstd)) / n;
			for (j, o) in out.iter_mut().enumerate() {
				let normed = (x[j] - mean) * rstd;
				*o = rstd * (gain[j] * dy[j] - g_mean - normed * gx_mean);
			}
		});
		Ok((CpuStorage::F32(out), xl.shape().clone()))
	}
}

/// `∂L/∂gain`: the column sums of `x̂ ⊙ ∂L/∂y`.
struct GainGradient {
	eps: f32,
}

impl CustomOp2 for GainGradient {
	fn name(&self) -> &'static str {
		"layer-norm-gain-gradient"
	}

	fn cpu_fwd(
		&self,
		x: &CpuStorage,
		xl: &Layout,
		grad: &CpuStorage,
		dl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let width = row_width(xl, self.name())?;
		let (x, grad) = (slice(x, xl, self.name())?, slice(grad, dl, self.name())?);
		let sums = rows::column_sums(x.len() / width, width, |r, acc| {
			let (x, dy) = (rows::row(x, width, r), rows::row(grad, width, r));
			let (mean, rstd) = statistics(x, self.eps);
			for (j, a) in acc.iter_mut().enumerate() {
				*a += (x[j] - mean) * rstd * dy[j];
			}
		});
		Ok((CpuStorage::F32(sums), Shape::from(width)))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{agree, same_bits_on_one_and_two_threads, var};

	fn fused(t: &[Tensor]) -> Result<Tensor> {
		layer_norm(&t[0], &t[1], &t[2], 1e-5)
	}

	#[test]
	fn the_kernel_and_its_gradients_agree_with_candles_ops() {
		for width in [1, 5, 8, 128, 300] {
			let inputs = [var(&[3, 7, width], 1), var(&[width], 2), var(&[width], 3)];
			agree(&inputs, fused, |t| composed(&t[0], &t[1], &t[2], 1e-5), 2e-5);
		}
	}

	#[test]
	fn one_and_two_threads_write_the_same_bytes() {
		let inputs = [var(&[300, 128], 4), var(&[128], 5), var(&[128], 6)];
		same_bits_on_one_and_two_threads(&inputs, fused);
	}

	#[test]
	fn a_gain_of_another_width_is_refused() {
		let inputs = [var(&[2, 4], 1), var(&[3], 2), var(&[4], 3)];
		let x: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
		let error = fused(&x).unwrap_err().to_string();
		assert!(error.contains("a vector of shape [3] for rows of 4"), "{error}");
	}
}
