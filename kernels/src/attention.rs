//! Causal self-attention from a fused `q | k | v` projection: per (example, head) pair, the
//! scores, the causal softmax and the mix of values in one task, and the backward pass in one
//! more.
//!
//! Composed from candle's ops, attention copied the projection into three tensors of heads,
//! ran each batched product one matrix at a time on one thread (each is below gemm's threading
//! threshold), copied the heads back together, and its autograd gave the scores, the
//! probabilities, the heads and each copy a zeroed gradient to add into. Here the products read
//! the projection in place through strides, each pair is one task for rayon, and the output and
//! the projection's gradient are written in place.
//!
//! Every product is gemm's, on one thread, with the shapes and the order of terms candle's
//! batched matmul gives it, and the softmax is [`crate::softmax`]'s: the bytes do not depend on
//! the number of threads, and match the composed ops on the CPU.

use crate::product::{product, Matrix};
use crate::rows;
use crate::softmax::{causal_softmax, probabilities, score_gradient};
use crate::storage::{self, slice};
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::sync::OnceLock;

/// Causal multi-head attention: `qkv` (`[batch, len, 3 · d]`, each row the queries, keys and
/// values of one position, each split into `heads` heads of `d / heads`) gives the heads'
/// `softmax(q · kᵀ / √(d / heads)) · v`, with position `i` attending to positions `j ≤ i`
/// only, concatenated back into `[batch, len, d]`.
pub fn causal_attention(qkv: &Tensor, heads: usize) -> Result<Tensor> {
	Heads::of(qkv.dims(), heads, NAME)?;
	if !storage::fused(qkv) {
		return composed(qkv, heads);
	}
	qkv.contiguous()?.apply_op1(CausalAttention { heads, probs: OnceLock::new() })
}

const NAME: &str = "causal-attention";

/// The same function from candle's differentiable ops, for devices the kernel does not run on.
fn composed(qkv: &Tensor, heads: usize) -> Result<Tensor> {
	let h = Heads::of(qkv.dims(), heads, NAME)?;
	let qkv = qkv.reshape((h.batch, h.len, 3, heads, h.head_dim()))?;
	let part = |i: usize| qkv.narrow(2, i, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous();
	let (q, k, v) = (part(0)?, part(1)?, part(2)?);
	let probs = causal_softmax(&q.matmul(&k.t()?)?, h.scale())?;
	probs.matmul(&v)?.transpose(1, 2)?.reshape((h.batch, h.len, h.d))
}

/// Where the heads lie in a projection `[batch, len, 3 · d]` and in the output `[batch, len, d]`.
#[derive(Clone, Copy)]
struct Heads {
	batch: usize,
	len: usize,
	d: usize,
	heads: usize,
}

impl Heads {
	fn of(dims: &[usize], heads: usize, op: &str) -> Result<Self> {
		let &[batch, len, width] = dims else {
			bail!("{op}: a projection of shape {dims:?}, not [batch, len, 3 · d]")
		};
		if len == 0 {
			bail!("{op}: a projection of no positions");
		}
		if width % 3 != 0 || heads == 0 || (width / 3) % heads != 0 {
			bail!("{op}: a projection of width {width} does not split into q, k and v of {heads} heads");
		}
		Ok(Heads { batch, len, d: width / 3, heads })
	}

	fn head_dim(&self) -> usize {
		self.d / self.heads
	}

	fn scale(&self) -> f32 {
		1.0 / (self.head_dim() as f32).sqrt()
	}

	/// The (example, head) pairs, in candle's order: example-major.
	fn pairs(&self) -> usize {
		self.batch * self.heads
	}

	/// Pair `pair`'s head of `part` (0 queries, 1 keys, 2 values) in the projection at `base`:
	/// `len` rows of `head_dim`, a projection's row apart.
	fn part(&self, base: Base, pair: usize, part: usize) -> Matrix {
		let (example, head) = (pair / self.heads, pair % self.heads);
		let offset = example * self.len * 3 * self.d + part * self.d + head * self.head_dim();
		Matrix { ptr: base.at(offset), rs: 3 * self.d as isize, cs: 1 }
	}

	/// The offset of pair `pair`'s head in the output `[batch, len, d]`.
	fn mixed(&self, pair: usize) -> usize {
		let (example, head) = (pair / self.heads, pair % self.heads);
		example * self.len * self.d + head * self.head_dim()
	}
}

/// The start of a buffer that the tasks address through offsets: they read it, or write
/// disjoint parts of it.
#[derive(Clone, Copy)]
struct Base(*mut f32);

impl Base {
	/// A buffer the tasks only read.
	fn read(values: &[f32]) -> Self {
		Base(values.as_ptr().cast_mut())
	}

	fn at(self, offset: usize) -> *mut f32 {
		self.0.wrapping_add(offset)
	}
}

// SAFETY: the tasks that share a buffer read it, or write disjoint elements of it (see each
// use), and the buffer outlives them.
unsafe impl Send for Base {}
unsafe impl Sync for Base {}

/// Each pair's products run on its task's thread: the pairs are the parallelism.
const ON_THIS_THREAD: gemm::Parallelism = gemm::Parallelism::None;

struct CausalAttention {
	heads: usize,
	/// The forward pass's probabilities, `[batch, heads, len, len]`, which the backward pass
	/// reads instead of computing them again.
	probs: OnceLock<Vec<f32>>,
}

impl CustomOp1 for CausalAttention {
	fn name(&self) -> &'static str {
		NAME
	}

	fn cpu_fwd(&self, qkv: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		let h = Heads::of(layout.dims(), self.heads, NAME)?;
		let qkv = Base::read(slice(qkv, layout, NAME)?);
		let (len, head_dim) = (h.len, h.head_dim());
		// Neither buffer is zeroed first (a pass over memory of its own): every element of
		// `out` is written by one pair's product, and each pair zeroes its own probabilities.
		let out_len = h.batch * len * h.d;
		let mut out = Vec::<f32>::with_capacity(out_len);
		let mut probs = Vec::with_capacity(h.pairs() * len * len);
		let mixed = Base(out.as_mut_ptr());
		probs.spare_capacity_mut().par_chunks_mut(len * len).enumerate().for_each(|(pair, p)| {
			let p = rows::zeroed(p);
			let (q, k, v) = (h.part(qkv, pair, 0), h.part(qkv, pair, 1), h.part(qkv, pair, 2));
			// SAFETY: `p` is this pair's own `len × len`; the heads lie inside the projection;
			// the pair's head of the output (`len` rows of `head_dim`, `d` apart) is written by
			// this task only.
			unsafe { product(len, len, head_dim, p.as_mut_ptr(), len, q, k.t(), ON_THIS_THREAD) };
			for (i, row) in p.chunks_exact_mut(len).enumerate() {
				probabilities(row, i + 1, h.scale());
			}
			let dst = mixed.at(h.mixed(pair));
			unsafe {
				product(len, head_dim, len, dst, h.d, Matrix::rows(p, len), v, ON_THIS_THREAD)
			};
		});
		// SAFETY: the pairs' probabilities were zeroed, and the pairs' heads cover the output:
		// each of the `batch × heads` pairs wrote `len` rows of its `head_dim` columns.
		unsafe {
			probs.set_len(h.pairs() * len * len);
			out.set_len(out_len);
		}
		if self.probs.set(probs).is_err() {
			bail!("{NAME}: one op ran forward twice");
		}
		Ok((CpuStorage::F32(out), Shape::from((h.batch, len, h.d))))
	}

	fn bwd(&self, qkv: &Tensor, _mixed: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
		let Some(probs) = self.probs.get() else {
			bail!("{NAME}: a backward pass before the forward")
		};
		let gradient = Gradient { heads: self.heads, probs };
		Ok(Some(qkv.apply_op2_no_bwd(&grad.contiguous()?, &gradient)?))
	}
}

/// `∂L/∂qkv` from the projection and `∂L/∂out`, given the forward pass's probabilities `p`.
/// Per pair, with `s` the scaled scores: `∂v = pᵀ · ∂o`, `∂p = ∂o · vᵀ`, `∂s` from `∂p` as in
/// [`crate::softmax`], `∂q = ∂s · k` and `∂k = ∂sᵀ · q`.
struct Gradient<'a> {
	heads: usize,
	probs: &'a [f32],
}

impl CustomOp2 for Gradient<'_> {
	fn name(&self) -> &'static str {
		"causal-attention-gradient"
	}

	fn cpu_fwd(
		&self,
		qkv: &CpuStorage,
		ql: &Layout,
		grad: &CpuStorage,
		gl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let h = Heads::of(ql.dims(), self.heads, self.name())?;
		if gl.dims() != [h.batch, h.len, h.d] || self.probs.len() != h.pairs() * h.len * h.len {
			bail!("{}: a gradient of shape {:?} for {:?}", self.name(), gl.dims(), ql.dims());
		}
		let (len, head_dim) = (h.len, h.head_dim());
		let qkv = Base::read(slice(qkv, ql, self.name())?);
		let grad = Base::read(slice(grad, gl, self.name())?);
		// Not zeroed first: every element is written by one pair's product (below).
		let d_qkv_len = h.batch * len * 3 * h.d;
		let mut d_qkv = Vec::<f32>::with_capacity(d_qkv_len);
		let d_qkv_start = Base(d_qkv.as_mut_ptr());
		(0..h.pairs()).into_par_iter().for_each_init(
			|| vec![0f32; len * len],
			|d_scores, pair| {
				let (q, k, v) = (h.part(qkv, pair, 0), h.part(qkv, pair, 1), h.part(qkv, pair, 2));
				let d_part = |part| h.part(d_qkv_start, pair, part).ptr.cast_mut();
				let d_out = Matrix { ptr: grad.at(h.mixed(pair)), rs: h.d as isize, cs: 1 };
				let p = &self.probs[pair * len * len..(pair + 1) * len * len];
				// SAFETY: as in the forward pass; the pair's heads of `d_qkv` (`len` rows of
				// `head_dim`, a projection's row apart) are written by this task only, and
				// `d_scores` is its own.
				unsafe {
					product(
						len,
						head_dim,
						len,
						d_part(2),
						3 * h.d,
						Matrix::rows(p, len).t(),
						d_out,
						ON_THIS_THREAD,
					);
					product(
						len,
						len,
						head_dim,
						d_scores.as_mut_ptr(),
						len,
						d_out,
						v.t(),
						ON_THIS_THREAD,
					);
				}
				for (i, (p, d)) in
					p.chunks_exact(len).zip(d_scores.chunks_exact_mut(len)).enumerate()
				{
					score_gradient(p, d, i + 1, h.scale());
				}
				let d_scores = Matrix::rows(d_scores, len);
				unsafe {
					product(len, head_dim, len, d_part(0), 3 * h.d, d_scores, k, ON_THIS_THREAD);
					product(
						len,
						head_dim,
						len,
						d_part(1),
						3 * h.d,
						d_scores.t(),
						q,
						ON_THIS_THREAD,
					);
				}
			},
		);
		// SAFETY: the pairs' heads cover the gradient: each of the `batch × heads` pairs wrote
		// its `len` rows of `head_dim` columns of each of q, k and v.
		unsafe { d_qkv.set_len(d_qkv_len) };
		Ok((CpuStorage::F32(d_qkv), ql.shape().clone()))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{agree, same_bits_on_one_and_two_threads, var, written_bits};

	#[test]
	fn the_kernel_and_its_gradient_agree_with_candles_ops() {
		for (len, heads, head_dim) in [(1, 1, 4), (3, 2, 4), (17, 2, 8), (33, 4, 16)] {
			let inputs = [var(&[2, len, 3 * heads * head_dim], len as u32)];
			let (fused, composed) = (
				|t: &[Tensor]| causal_attention(&t[0], heads),
				|t: &[Tensor]| composed(&t[0], heads),
			);
			agree(&inputs, fused, composed, 1e-5);
		}
	}

	#[test]
	fn on_the_cpu_it_writes_the_composed_ops_bytes() {
		let qkv = [var(&[3, 40, 3 * 4 * 8], 5)];
		let fused = written_bits(&qkv, |t| causal_attention(&t[0], 4));
		assert_eq!(fused, written_bits(&qkv, |t| composed(&t[0], 4)));
	}

	#[test]
	fn one_and_two_threads_write_the_same_bytes() {
		let qkv = [var(&[4, 64, 3 * 4 * 16], 11)];
		same_bits_on_one_and_two_threads(&qkv, |t| causal_attention(&t[0], 4));
	}

	#[test]
	fn projections_that_do_not_split_into_heads_are_refused() {
		let error = |dims: &[usize], heads| {
			causal_attention(var(dims, 1).as_tensor(), heads).unwrap_err().to_string()
		};
		assert!(
			error(&[2, 3, 10], 1).contains("width 10 does not split"),
			"{}",
			error(&[2, 3, 10], 1)
		);
		assert!(error(&[2, 3, 12], 3).contains("of 3 heads"), "{}", error(&[2, 3, 12], 3));
		assert!(error(&[2, 3, 12], 0).contains("of 0 heads"));
		assert!(error(&[6, 12], 1).contains("not [batch, len, 3 · d]"));
		assert!(error(&[2, 0, 12], 1).contains("no positions"));
	}
}
