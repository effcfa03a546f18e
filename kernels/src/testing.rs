//! What the kernels' tests share: a fused function and its composed twin run on the same
//! inputs, forward and backward.

use candle_core::{Device, Result, Tensor, Var};

/// Deterministic test values in about `[-2, 2)`, with some structure in every dimension.
pub(crate) fn values(len: usize, seed: u32) -> Vec<f32> {
	(0..len as u32)
		.map(|i| {
			let h = (i.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)).rotate_left(13);
			(h % 4001) as f32 / 1000.0 - 2.0
		})
		.collect()
}

/// A variable of `dims` filled with [`values`].
pub(crate) fn var(dims: &[usize], seed: u32) -> Var {
	Var::from_vec(values(dims.iter().product(), seed), dims, &Device::Cpu).unwrap()
}

/// The largest difference between `a` and `b` relative to `b`'s largest magnitude; infinite
/// where one is NaN and the other is not (`f32::max` would skip a NaN).
fn relative_difference(a: &Tensor, b: &Tensor) -> f32 {
	let (a, b) = (flat(a), flat(b));
	assert_eq!(a.len(), b.len());
	let scale = b.iter().fold(f32::MIN_POSITIVE, |m, v| m.max(v.abs()));
	let difference = |(x, y): (&f32, &f32)| match (x.is_nan(), y.is_nan()) {
		(false, false) => (x - y).abs(),
		(true, true) => 0.0,
		_ => f32::INFINITY,
	};
	a.iter().zip(&b).map(difference).fold(0.0, f32::max) / scale
}

/// A tensor's values in order.
pub(crate) fn flat(t: &Tensor) -> Vec<f32> {
	t.flatten_all().unwrap().to_vec1().unwrap()
}

/// Checks that `fused` and `composed` of `inputs` agree within `tolerance` (relative to the
/// largest value), and so do the gradients of every input under a loss that weighs each output
/// differently.
pub(crate) fn agree(
	inputs: &[Var],
	fused: impl Fn(&[Tensor]) -> Result<Tensor>,
	composed: impl Fn(&[Tensor]) -> Result<Tensor>,
	tolerance: f32,
) {
	let tensors: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
	let (f, c) = (fused(&tensors).unwrap(), composed(&tensors).unwrap());
	assert_eq!(f.dims(), c.dims());
	let difference = relative_difference(&f, &c);
	assert!(difference <= tolerance, "outputs differ by {difference}");
	let weights = Tensor::from_vec(values(f.elem_count(), 7), f.dims(), &Device::Cpu).unwrap();
	let loss = |t: &Tensor| (t * &weights).unwrap().sum_all().unwrap().backward().unwrap();
	let (fg, cg) = (loss(&f), loss(&c));
	for (i, input) in inputs.iter().enumerate() {
		let (f, c) = (fg.get(input).unwrap(), cg.get(input).unwrap());
		let difference = relative_difference(f, c);
		assert!(difference <= tolerance, "gradients of input {i} differ by {difference}");
	}
}

/// Runs `f` on a pool of `threads` threads.
pub(crate) fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
	rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

/// The bits of `f(inputs)` and of every input's gradient under the loss `Σ f(inputs)²`: what
/// a kernel writes forward and backward, to compare bit for bit.
pub(crate) fn written_bits(inputs: &[Var], f: impl Fn(&[Tensor]) -> Result<Tensor>) -> Vec<u32> {
	let tensors: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
	let out = f(&tensors).unwrap();
	let grads = out.sqr().unwrap().sum_all().unwrap().backward().unwrap();
	let mut values = flat(&out);
	for input in inputs {
		values.extend(flat(grads.get(input).unwrap()));
	}
	values.into_iter().map(f32::to_bits).collect()
}

/// Checks that `f` writes the same bits, forward and backward, on one thread and on two.
pub(crate) fn same_bits_on_one_and_two_threads(
	inputs: &[Var],
	f: impl Fn(&[Tensor]) -> Result<Tensor> + Sync,
) {
	let run = || written_bits(inputs, &f);
	assert_eq!(on_threads(1, run), on_threads(2, run));
}
