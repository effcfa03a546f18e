//! GELU (the exact one, with erf), forward and backward each one element-wise pass that the
//! compiler vectorizes.
//!
//! candle's `gelu_erf` runs forward as one op, but its backward pass is composed of eleven, two
//! of them computing erf and exp again over the whole tensor. And `libm`'s `erff`, which both
//! called, branches on the argument's range and takes one element at a time: with the `exp`
//! beside it, 15 % of a char-transformer step on one thread. Here `Φ` comes from Abramowitz and
//! Stegun's formula 7.1.26 for erf, the one PyTorch's vectorized CPU `erf` uses, and `exp` from
//! Cephes' `expf`, both as straight-line arithmetic; the backward pass's density `φ(x)` is the
//! same `exp`.

use crate::rows;
use crate::storage::{self, slice};
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use std::f32::consts::{FRAC_1_SQRT_2, LOG2_E};

/// `1 / √(2π)`, the standard normal density at 0.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// `x · Φ(x)`, with `Φ` the standard normal distribution function: `x · (1 + erf(x / √2)) / 2`.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
	if !storage::fused(x) {
		return x.gelu_erf();
	}
	x.contiguous()?.apply_op1(Gelu)
}

/// `(Φ(x), φ(x))`: the standard normal distribution function, to within 3e-7 of its value
/// (7.5e-8 from the formula, the rest `f32` rounding), and its density.
#[inline(always)]
fn normal(x: f32) -> (f32, f32) {
	// 7.1.26: erf(z) = 1 - t (a1 + t (a2 + … + t a5)) e^(-z²), t = 1 / (1 + p z), for z ≥ 0.
	// With z = |x| / √2, the tail Φ(-|x|) = (1 - erf(z)) / 2 comes out without cancellation.
	const P: f32 = 0.327_591_1;
	const A: [f32; 5] = [0.254_829_6, -0.284_496_74, 1.421_413_7, -1.453_152, 1.061_405_4];
	let t = 1.0 / (1.0 + P * (x.abs() * FRAC_1_SQRT_2));
	let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
	let e = exp(-0.5 * x * x);
	let tail = 0.5 * poly * e;
	let cdf = if x < 0.0 { tail } else { 1.0 - tail };
	(cdf, e * FRAC_1_SQRT_2PI)
}

/// `e^x` for `x ≤ 0`, to within about an ulp down to `e^-87`, where it stops (below it `e^x`
/// leaves `f32`'s normal range, and `Φ` needs no more). Cephes' `expf`: `x = n ln 2 + r`, a
/// degree-5 polynomial for `e^r`, and `2^n` built from its exponent bits.
#[inline(always)]
fn exp(x: f32) -> f32 {
	// 1.5 · 2^23: adding and subtracting it rounds to an integer without `round`, which the
	// baseline x86-64 the crate is built for would call through `libm`, one element at a time.
	const ROUND: f32 = 12_582_912.0;
	// ln 2 in two parts, the first exact in few bits, so `n · LN2_HI` is exact.
	const LN2_HI: f32 = 0.693_359_4;
	const LN2_LO: f32 = -2.121_944_4e-4;
	const C: [f32; 6] =
		[1.987_569_1e-4, 1.398_2e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_65, 0.5];
	let x = x.max(-87.0);
	let n = (x * LOG2_E + ROUND) - ROUND;
	let r = x - n * LN2_HI - n * LN2_LO;
	let p = C[0] * r + C[1];
	let p = ((((p * r + C[2]) * r + C[3]) * r + C[4]) * r + C[5]) * r * r + r + 1.0;
	p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

struct Gelu;

impl CustomOp1 for Gelu {
	fn name(&self) -> &'static str {
		"gelu"
	}

	fn cpu_fwd(&self, x: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		let x = slice(x, layout, self.name())?;
		let out = rows::zip_map(x, x, |x, _| x * normal(x).0);
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
		let out = rows::zip_map(x, grad, |x, g| {
			let (cdf, density) = normal(x);
			g * (cdf + x * density)
		});
		Ok((CpuStorage::F32(out), xl.shape().clone()))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{agree, same_bits_on_one_and_two_threads, var};
	use candle_core::cpu::erf::erf_f64;

	#[test]
	fn the_kernel_and_its_gradient_agree_with_candles_op() {
		agree(&[var(&[40, 300], 3)], |t| gelu(&t[0]), |t| t[0].gelu_erf(), 1e-6);
	}

	#[test]
	fn the_distribution_and_density_are_within_their_bounds_everywhere() {
		let exact_cdf = |x: f64| 0.5 * (1.0 + erf_f64(x / 2f64.sqrt()));
		let exact_density = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
		for i in -20_000..=20_000 {
			let x = i as f32 * 7e-4;
			let (cdf, density) = normal(x);
			let (exact_cdf, exact_density) = (exact_cdf(x as f64), exact_density(x as f64));
			assert!((cdf as f64 - exact_cdf).abs() <= 3e-7, "Φ({x}) = {cdf}, not {exact_cdf}");
			// `x²` rounded to `f32` moves `e^(-x²/2)` by up to `x² / 2` times its relative error.
			let relative = 4e-7 + 0.5 * (x * x) as f64 * f32::EPSILON as f64;
			let error = (density as f64 - exact_density).abs();
			assert!(
				error <= relative * exact_density + 1e-38,
				"φ({x}) = {density}, not {exact_density}"
			);
		}
		// The density stops at `e^-87` (times `φ(0)`), which no gradient it multiplies shows.
		assert_eq!(normal(f32::INFINITY).0, 1.0);
		assert!(normal(f32::INFINITY).1 < 1e-38);
		assert_eq!(normal(f32::NEG_INFINITY).0, 0.0);
		assert!(normal(f32::NAN).0.is_nan());
	}

	#[test]
	fn one_and_two_threads_write_the_same_bytes() {
		same_bits_on_one_and_two_threads(&[var(&[3, 50_000], 4)], |t| gelu(&t[0]));
	}
}
