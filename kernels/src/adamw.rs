//! AdamW's update of one parameter and its two moments, fused.
//!
//! candle-nn's `AdamW` (which the trainer's optimizer follows op for op, so that its state is in
//! the open for trajectories) spends eleven tensor ops per parameter: each a pass over memory
//! into a new buffer. On the MLP reference model that was 15 % of a training step (`perf`). Here
//! the same arithmetic runs in three in-place passes, one per tensor written, with every `f32`
//! operation candle performs and in its order. candle's `x * a` and `x + a` for a scalar `a`
//! are both its `affine(mul, add)`, which computes `x * mul + add`: so `x * a` is `x * a + 0.0`,
//! which turns a `-0.0` into `+0.0`, and `x + a` is `x * 1.0 + a`. The kernels keep both.

use crate::storage::{self, slice, slice_mut};
use candle_core::{bail, CpuStorage, InplaceOp2, InplaceOp3, Layout, Result, Tensor, Var};
use rayon::prelude::*;

/// Elements per parallel task: large enough that a task outweighs its scheduling, small enough
/// that both cores share a parameter of the reference models.
const CHUNK: usize = 1 << 14;

/// The scalars of one AdamW step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
	/// The first moment's decay, β₁.
	pub beta1: f64,
	/// The second moment's decay, β₂.
	pub beta2: f64,
	/// Added to the second moment's root before dividing by it.
	pub eps: f64,
	/// The learning rate.
	pub learning_rate: f64,
	/// The first moment's bias correction, `1 / (1 - β₁ᵗ)` at step `t`.
	pub scale_m: f64,
	/// The second moment's bias correction, `1 / (1 - β₂ᵗ)`.
	pub scale_v: f64,
}

/// Updates `theta` by one AdamW step with gradient `g`, and its first and second moments `m` and
/// `v`, in place; without weight decay.
///
/// On the CPU, for `f32`, it runs the fused kernels; anywhere else it runs candle's ops. The
/// bytes are the same either way.
pub fn update(theta: &Var, m: &Var, v: &Var, g: &Tensor, step: &Step) -> Result<()> {
	if !storage::fused(theta) {
		return composed(theta, m, v, g, step);
	}
	let g = g.contiguous()?;
	m.inplace_op2(&g, &Moment::first(step))?;
	v.inplace_op2(&g, &Moment::second(step))?;
	theta.inplace_op3(m.as_tensor(), v.as_tensor(), &Parameter::new(step))
}

/// The update as candle-nn's `AdamW` composes it from tensor ops (its weight decay, `θ·(1 - lr·λ)`
/// with λ = 0, multiplies by exactly 1 and is left out).
fn composed(theta: &Var, m: &Var, v: &Var, g: &Tensor, step: &Step) -> Result<()> {
	let next_m = ((m.as_tensor() * step.beta1)? + (g * (1.0 - step.beta1))?)?;
	let next_v = ((v.as_tensor() * step.beta2)? + (g.sqr()? * (1.0 - step.beta2))?)?;
	let m_hat = (&next_m * step.scale_m)?;
	let v_hat = (&next_v * step.scale_v)?;
	let adjusted = (m_hat / (v_hat.sqrt()? + step.eps)?)?;
	let next_theta = (theta.as_tensor() - (adjusted * step.learning_rate)?)?;
	m.set(&next_m)?;
	v.set(&next_v)?;
	theta.set(&next_theta)
}

/// A moment's update: `m ← m·β₁ + g·(1 - β₁)` for the first, `v ← v·β₂ + g²·(1 - β₂)` for
/// the second.
struct Moment {
	name: &'static str,
	decay: f32,
	gain: f32,
	/// Whether it follows the gradient's square (the second moment).
	squared: bool,
}

impl Moment {
	fn first(step: &Step) -> Self {
		let (decay, gain) = (step.beta1 as f32, (1.0 - step.beta1) as f32);
		Self { name: "adamw-first-moment", decay, gain, squared: false }
	}

	fn second(step: &Step) -> Self {
		let (decay, gain) = (step.beta2 as f32, (1.0 - step.beta2) as f32);
		Self { name: "adamw-second-moment", decay, gain, squared: true }
	}
}

impl InplaceOp2 for Moment {
	fn name(&self) -> &'static str {
		self.name
	}

	fn cpu_fwd(&self, m: &mut CpuStorage, ml: &Layout, g: &CpuStorage, gl: &Layout) -> Result<()> {
		let (m, g) = (slice_mut(m, ml, self.name)?, slice(g, gl, self.name)?);
		same_len(m.len(), &[g.len()], self.name)?;
		let Self { decay, gain, squared, .. } = *self;
		m.par_chunks_mut(CHUNK).zip(g.par_chunks(CHUNK)).for_each(|(m, g)| {
			for (m, &g) in m.iter_mut().zip(g) {
				let g = if squared { g * g } else { g };
				*m = (*m * decay + 0.0) + (g * gain + 0.0);
			}
		});
		Ok(())
	}
}

/// `θ ← θ - lr·m̂ / (√v̂ + ε)`, with the moments already updated.
struct Parameter {
	scale_m: f32,
	scale_v: f32,
	eps: f32,
	learning_rate: f32,
}

impl Parameter {
	fn new(step: &Step) -> Self {
		Self {
			scale_m: step.scale_m as f32,
			scale_v: step.scale_v as f32,
			eps: step.eps as f32,
			learning_rate: step.learning_rate as f32,
		}
	}
}

impl InplaceOp3 for Parameter {
	fn name(&self) -> &'static str {
		"adamw-parameter"
	}

	fn cpu_fwd(
		&self,
		theta: &mut CpuStorage,
		tl: &Layout,
		m: &CpuStorage,
		ml: &Layout,
		v: &CpuStorage,
		vl: &Layout,
	) -> Result<()> {
		let theta = slice_mut(theta, tl, self.name())?;
		let (m, v) = (slice(m, ml, self.name())?, slice(v, vl, self.name())?);
		same_len(theta.len(), &[m.len(), v.len()], self.name())?;
		let Self { scale_m, scale_v, eps, learning_rate } = *self;
		theta.par_chunks_mut(CHUNK).zip(m.par_chunks(CHUNK)).zip(v.par_chunks(CHUNK)).for_each(
			|((theta, m), v)| {
				for ((theta, &m), &v) in theta.iter_mut().zip(m).zip(v) {
					let m_hat = m * scale_m + 0.0;
					let v_hat = v * scale_v + 0.0;
					let adjusted = m_hat / (v_hat.sqrt() * 1.0 + eps);
					*theta -= adjusted * learning_rate + 0.0;
				}
			},
		);
		Ok(())
	}
}

fn same_len(written: usize, read: &[usize], op: &str) -> Result<()> {
	if read.iter().any(|&len| len != written) {
		bail!("{op}: {written} elements written from {read:?}");
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use candle_core::Device;
	use proptest::prelude::*;

	/// A step as the trainer builds it for step `t` (its constants are candle-nn's defaults).
	fn step(t: i32, learning_rate: f64) -> Step {
		Step {
			beta1: 0.9,
			beta2: 0.999,
			eps: 1e-8,
			learning_rate,
			scale_m: 1.0 / (1.0 - 0.9f64.powi(t)),
			scale_v: 1.0 / (1.0 - 0.999f64.powi(t)),
		}
	}

	fn var(values: &[f32]) -> Var {
		Var::from_vec(values.to_vec(), values.len(), &Device::Cpu).unwrap()
	}

	fn bits(var: &Var) -> Vec<u32> {
		var.as_tensor().to_vec1::<f32>().unwrap().into_iter().map(f32::to_bits).collect()
	}

	/// Runs `update` and `composed` on copies of the same state; returns each one's
	/// (θ, m, v) bits.
	fn both(theta: &[f32], m: &[f32], v: &[f32], g: &Tensor, step: &Step) -> [[Vec<u32>; 3]; 2] {
		let run = |fused: bool| {
			let (t, m, v) = (var(theta), var(m), var(v));
			if fused {
				update(&t, &m, &v, g, step).unwrap();
			} else {
				composed(&t, &m, &v, g, step).unwrap();
			}
			[bits(&t), bits(&m), bits(&v)]
		};
		[run(true), run(false)]
	}

	/// Values that take every branch of `f32` arithmetic: signed zeros, subnormals, the extremes,
	/// infinities and NaN, next to ordinary ones.
	fn value() -> impl Strategy<Value = f32> {
		prop_oneof![
			4 => -10f32..10f32,
			1 => prop::sample::select(vec![
				0.0,
				-0.0,
				f32::MIN_POSITIVE,
				-f32::MIN_POSITIVE / 3.0,
				1e-30,
				f32::MAX,
				f32::MIN,
				f32::INFINITY,
				f32::NEG_INFINITY,
				f32::NAN,
			]),
			1 => any::<f32>(),
		]
	}

	proptest! {
		#[test]
		fn fused_writes_the_bytes_of_candles_ops(
			rows in prop::collection::vec(prop::collection::vec(value(), 4 * 4), 1..4),
			t in 1i32..2000,
			learning_rate in prop::sample::select(vec![3e-3, 1e-1, 1.0]),
		) {
			let flat = |i: usize| -> Vec<f32> { rows.iter().map(|r| r[i * 4..i * 4 + 4].to_vec()).collect::<Vec<_>>().concat() };
			let (theta, m, v, g) = (flat(0), flat(1), flat(2), flat(3));
			let g = Tensor::from_vec(g, theta.len(), &Device::Cpu).unwrap();
			let [fused, composed] = both(&theta, &m, &v.iter().map(|v| v.abs()).collect::<Vec<_>>(), &g, &step(t, learning_rate));
			prop_assert_eq!(fused, composed);
		}
	}

	#[test]
	fn equal_across_chunks_and_threads() {
		// Longer than two chunks, so both cores write and a chunk boundary falls inside.
		let n = 2 * CHUNK + 77;
		let wave = |k: f32| (0..n).map(|i| ((i as f32) * k).sin()).collect::<Vec<f32>>();
		let g = Tensor::from_vec(wave(0.37), n, &Device::Cpu).unwrap();
		let v = wave(0.11).iter().map(|v| v * v).collect::<Vec<_>>();
		for t in [1, 2, 50] {
			let [fused, composed] = both(&wave(0.13), &wave(0.71), &v, &g, &step(t, 3e-3));
			assert_eq!(fused, composed, "step {t}");
		}
	}

	#[test]
	fn a_strided_gradient_is_read_as_candle_reads_it() {
		// A transposed gradient, as backward hands out for a matmul's weight.
		let g = Tensor::new(&[[-2.5f32, 0.5, 1.5], [-0.0, 2.5, -1.5]], &Device::Cpu).unwrap();
		let g = g.t().unwrap();
		assert!(!g.is_contiguous());
		let theta = [0.5f32, -1.0, 2.0, 0.0, -0.0, 3.0];
		let shaped = |values: &[f32]| Var::from_vec(values.to_vec(), (3, 2), &Device::Cpu).unwrap();
		let run = |fused: bool| {
			let (t, m, v) = (shaped(&theta), shaped(&[0.1; 6]), shaped(&[0.2; 6]));
			let update = if fused { update } else { composed };
			update(&t, &m, &v, &g, &step(3, 0.01)).unwrap();
			[&t, &m, &v].map(|var| var.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap())
		};
		assert_eq!(run(true), run(false));
	}

	#[test]
	fn a_gradient_of_another_size_is_refused_and_nothing_is_written() {
		let (theta, m, v) = (var(&[1.0; 4]), var(&[0.0; 4]), var(&[0.0; 4]));
		let g = Tensor::from_vec(vec![1f32; 3], 3, &Device::Cpu).unwrap();
		let error = update(&theta, &m, &v, &g, &step(1, 0.1)).unwrap_err().to_string();
		assert!(error.contains("adamw-first-moment: 4 elements written from [3]"), "{error}");
		assert_eq!(
			[bits(&theta), bits(&m), bits(&v)],
			[[1f32.to_bits(); 4], [0; 4], [0; 4]].map(Vec::from)
		);
	}
}
