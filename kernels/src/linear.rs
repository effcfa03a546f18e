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
use candle_core::{bail, CpuStorage, CustomOp2, Device, Layout, Result, Shape, Storage, Tensor};

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
		let wants_x = x.track_op();
		if !storage::fused(grad) {
			let x_grad = wants_x.then(|| grad.matmul(w)).transpose()?;
			return Ok((x_grad, Some(grad.t()?.matmul(x)?)));
		}
		let (x_grad, w_grad) = gradients(x, w, &grad.contiguous()?, wants_x)?;
		Ok((x_grad, Some(w_grad)))
	}
}

/// `∂x = ∂y · w` (if `wants_x`) and `∂w = ∂yᵀ · x` on the CPU, the two products side by
/// side, each with half the threads. They take the same arithmetic (`rows × in × out`
/// multiply-adds each), and gemm splits a weight gradient's product (a few hundred rows and
/// columns, the batch's thousands of tokens as its inner dimension) between threads poorly: on
/// the 2-core Xeon of the README's bench, 150–173 GFLOP/s on one thread and 173–231 on two,
/// where an input gradient's product went from 185–190 to 292–348. Each is the gemm call
/// candle's matmul makes for `grad.matmul(w)` and `grad.t().matmul(x)`, so the bytes are the
/// composed ops'.
fn gradients(
	x: &Tensor,
	w: &Tensor,
	grad: &Tensor,
	wants_x: bool,
) -> Result<(Option<Tensor>, Tensor)> {
	const NAME: &str = "matmul-t-gradients";
	let ((rows, inputs), outputs) = (x.dims2()?, w.dim(0)?);
	let (x_storage, x_layout) = x.storage_and_layout();
	let (w_storage, w_layout) = w.storage_and_layout();
	let (grad_storage, grad_layout) = grad.storage_and_layout();
	let (Storage::Cpu(xs), Storage::Cpu(ws), Storage::Cpu(gs)) =
		(&*x_storage, &*w_storage, &*grad_storage)
	else {
		bail!("{NAME}: not on the CPU")
	};
	let x = Matrix::rows(slice(xs, x_layout, NAME)?, inputs);
	let w = Matrix::rows(slice(ws, w_layout, NAME)?, inputs);
	let grad = Matrix::rows(slice(gs, grad_layout, NAME)?, outputs);
	let threads = rayon::current_num_threads();
	let share = |both| gemm::Parallelism::Rayon(if both { (threads / 2).max(1) } else { threads });
	let x_grad = || {
		wants_x.then(|| {
			// SAFETY: `grad` and `w` hold `rows × out` and `out × in` values, and the product
			// writes all `rows × in` values of its destination.
			unsafe {
				new_matrix(rows * inputs, |dst| {
					product(rows, inputs, outputs, dst, inputs, grad, w, share(true))
				})
			}
		})
	};
	let w_grad = || {
		// SAFETY: `grad` and `x` hold `rows × out` and `rows × in` values, and the product
		// writes all `out × in` values of its destination.
		unsafe {
			new_matrix(outputs * inputs, |dst| {
				product(outputs, inputs, rows, dst, inputs, grad.t(), x, share(wants_x))
			})
		}
	};
	let (x_grad, w_grad) = rayon::join(x_grad, w_grad);
	let device = Device::Cpu;
	Ok((
		x_grad.map(|values| Tensor::from_vec(values, (rows, inputs), &device)).transpose()?,
		Tensor::from_vec(w_grad, (outputs, inputs), &device)?,
	))
}

/// A new matrix of `len` values, written by `write` through the pointer it is given.
///
/// # Safety
/// `write` must write all `len` values, and nothing past them.
unsafe fn new_matrix(len: usize, write: impl FnOnce(*mut f32)) -> Vec<f32> {
	let mut values = Vec::<f32>::with_capacity(len);
	write(values.as_mut_ptr());
	// SAFETY: the caller's: `write` wrote all `len` values.
	unsafe { values.set_len(len) };
	values
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
