//! A linear layer's product `x · wᵀ`, with a backward pass that writes the weight's gradient
//! in the weight's own layout.
//!
//! Composed, `x.matmul(&w.t())` puts a transpose between the weight and the product: the
//! weight's gradient came back as the transpose of `xᵀ · ∂y` and was copied element by element
//! into the weight's layout (6 % of an MLP step, `perf`). Here it is `∂yᵀ · x`, in the weight's
//! layout as it is computed. Every product is the gemm call candle's matmul makes for the
//! composed ops, with its terms in the same order, so the bytes are the composed ops' bytes.

use crate::product::{product, Matrix};
use crate::storage::{self, slice};
use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

/// `x · wᵀ` for `x` of shape `[rows, in]` and `w` of shape `[out, in]`: `[rows, out]`.
pub fn matmul_t(x: &Tensor, w: &Tensor) -> Result<Tensor> {
	if !storage::fused(x) {
		return x.matmul(&w.t()?);
	}
	x.contiguous()?.apply_op2(&w.contiguous()?, MatmulT)
}

struct MatmulT;

impl CustomOp2 for MatmulT {
	fn name(&self) -> &'static str {
		"matmul-t"
	}

	fn cpu_fwd(
		&self,
		x: &CpuStorage,
		xl: &Layout,
		w: &CpuStorage,
		wl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let (&[rows, inputs], &[outputs, width]) = (xl.dims(), wl.dims()) else {
			bail!(
				"{}: shapes {:?} and {:?}, not [rows, in] and [out, in]",
				self.name(),
				xl.dims(),
				wl.dims()
			)
		};
		if inputs != width {
			bail!("{}: rows of {inputs} against a weight of {width} inputs", self.name());
		}
		let (x, w) = (slice(x, xl, self.name())?, slice(w, wl, self.name())?);
		let len = rows * outputs;
		let mut y = Vec::<f32>::with_capacity(len);
		let (x, w) = (Matrix::rows(x, inputs), Matrix::rows(w, inputs));
		let threads = gemm::Parallelism::Rayon(rayon::current_num_threads());
		// SAFETY: `x` and `w` hold `rows × in` and `out × in` values, and `y` has room for
		// `rows × out`, all of which the product writes before `set_len`.
		unsafe {
			product(rows, outputs, inputs, y.as_mut_ptr(), outputs, x, w.t(), threads);
			y.set_len(len);
		}
		Ok((CpuStorage::F32(y), Shape::from((rows, outputs))))
	}

	fn bwd(
		&self,
		x: &Tensor,
		w: &Tensor,
		_y: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>)> {
		// candle asks every op for every argument's gradient, and keeps even those nothing
		// reads. A model's input tracks nothing: its gradient would be the largest product of
		// an MLP's first layer, a fifth of the step's arithmetic, thrown away (PyTorch skips it
		// too).
		let x_grad = x.track_op().then(|| grad.matmul(w)).transpose()?;
		Ok((x_grad, Some(grad.t()?.matmul(x)?)))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{agree, flat, same_bits_on_one_and_two_threads, var, written_bits};

	fn composed(x: &Tensor, w: &Tensor) -> Result<Tensor> {
		x.matmul(&w.t()?)
	}

	#[test]
	fn the_product_and_its_gradients_agree_with_candles_ops() {
		for (rows, inputs, outputs) in [(1, 1, 1), (3, 5, 2), (70, 33, 17)] {
			let inputs = [var(&[rows, inputs], 1), var(&[outputs, inputs], 2)];
			agree(&inputs, |t| matmul_t(&t[0], &t[1]), |t| composed(&t[0], &t[1]), 1e-6);
		}
	}

	#[test]
	fn an_input_that_tracks_nothing_gets_no_gradient() {
		let (x, w) = (var(&[6, 5], 1), var(&[3, 5], 2));
		let input = x.as_tensor().detach();
		let grads = matmul_t(&input, &w).unwrap().sum_all().unwrap().backward().unwrap();
		assert!(grads.get(&input).is_none());
		let composed = composed(&input, &w).unwrap().sum_all().unwrap().backward().unwrap();
		assert_eq!(flat(grads.get(&w).unwrap()), flat(composed.get(&w).unwrap()));
	}

	#[test]
	fn on_the_cpu_it_writes_the_composed_ops_bytes() {
		// Longer than gemm's 512-term block, so the products sum in more than one block.
		let inputs = [var(&[600, 64], 3), var(&[40, 64], 4)];
		let fused = written_bits(&inputs, |t| matmul_t(&t[0], &t[1]));
		assert_eq!(fused, written_bits(&inputs, |t| composed(&t[0], &t[1])));
	}

	#[test]
	fn one_and_two_threads_write_the_same_bytes() {
		let inputs = [var(&[700, 96], 5), var(&[80, 96], 6)];
		same_bits_on_one_and_two_threads(&inputs, |t| matmul_t(&t[0], &t[1]));
	}

	#[test]
	fn shapes_that_do_not_multiply_are_refused() {
		let error = |x: &[usize], w: &[usize]| {
			matmul_t(var(x, 1).as_tensor(), var(w, 2).as_tensor()).unwrap_err().to_string()
		};
		assert!(error(&[4, 3], &[2, 5]).contains("rows of 3 against a weight of 5"));
		assert!(error(&[2, 4, 3], &[2, 3]).contains("not [rows, in] and [out, in]"));
	}
}
