//! GELU (the exact one, with erf), with a backward pass of one kernel.
//!
//! candle's `gelu_erf` runs forward as one op, but its backward pass is composed of eleven,
//! two of them computing erf and exp again over the whole tensor.

use crate::rows;
use crate::storage::{self, slice};
use candle_core::{bail, cpu::erf::erf_f32, CpuStorage, CustomOp1, CustomOp2, Layout, Result};
use candle_core::{Shape, Tensor};
use std::f32::consts::FRAC_1_SQRT_2;

/// `1 / √(2π)`, the standard normal density at 0.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// `x · Φ(x)`, with `Φ` the standard normal distribution function: `x · (1 + erf(x / √2)) / 2`.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
	if !storage::fused(x) {
		return x.gelu_erf();
	}
	x.contiguous()?.apply_op1(Gelu)
}

struct Gelu;

impl CustomOp1 for Gelu {
	fn name(&self) -> &'static str {
		"gelu"
	}

	fn cpu_fwd(&self, x: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		let x = slice(x, layout, self.name())?;
		let out = rows::map(x.len(), 1, |i, out| {
			out[0] = (erf_f32(x[i] * FRAC_1_SQRT_2) + 1.0) * 0.5 * x[i];
		});
		Ok((CpuStorage::F32(out), layout.shape().clone()))
	}

	fn bwd(&self, x: &Tensor, _y: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
		Ok(Some(x.apply_op2_no_bwd(&grad.contiguous()?, &Gradient)?))
	}
}

/// `∂L/∂x = ∂L/∂y · (Φ(x) + x · φ(x))`, with `φ` the standard normal density.
struct Gradient;

impl CustomOp2 for Gradient {
	fn name(&self) -> &'static str {
		"gelu-gradient"
	}

	fn cpu_fwd(
		&self,
		x: &CpuStorage,
		xl: &Layout,
		grad: &CpuStorage,
		gl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		if xl.dims() != gl.dims() {
			bail!("{}: a gradient of another shape", self.name());
		}
		let (x, grad) = (slice(x, xl, self.name())?, slice(grad, gl, self.name())?);
		let out = rows::map(x.len(), 1, |i, out| {
			let cdf = (erf_f32(x[i] * FRAC_1_SQRT_2) + 1.0) * 0.5;
			let density = (-0.5 * x[i] * x[i]).exp() * FRAC_1_SQRT_2PI;
			out[0] = grad[i] * (cdf + x[i] * density);
		});
		Ok((CpuStorage::F32(out), xl.shape().clone()))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{agree, flat, var};

	#[test]
	fn the_kernel_and_its_gradient_agree_with_candles_op() {
		agree(&[var(&[40, 300], 3)], |t| gelu(&t[0]), |t| t[0].gelu_erf(), 1e-6);
	}

	#[test]
	fn the_forward_pass_writes_candles_bytes() {
		let x = var(&[1000], 5);
		let bits = |t: Tensor| flat(&t).into_iter().map(f32::to_bits).collect::<Vec<_>>();
		assert_eq!(bits(gelu(&x).unwrap()), bits(x.gelu_erf().unwrap()));
	}
}
