//! What the row-wise kernels share: sums in a fixed order, and how rows are split among
//! threads.
//!
//! Every sum here has an order that depends only on the data's shape, never on how many
//! threads run: a row is summed by one thread in eight fixed lanes, and a column sum adds
//! fixed blocks of rows in parallel and then the blocks' sums in block order. So one and two
//! threads write the same bytes, as a determinism class requires.

use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Elements per parallel task: large enough that a task outweighs its scheduling, small enough
/// that both cores share a tensor of the reference models.
const TASK: usize = 1 << 14;

/// Rows per block of a column sum.
const BLOCK_ROWS: usize = 64;

/// How many elements of rows of `width` one parallel task takes: whole rows, about [`TASK`].
fn task_len(width: usize) -> usize {
	(TASK / width).max(1) * width
}

/// A new tensor's `len` values, in rows of `width` written in parallel: `row(r, out)` writes
/// row `r` into `out`. Each row is written by one call, whichever thread makes it.
///
/// Each task zeroes its own part of the output just before writing it, where `vec![0; len]`
/// zeroed the whole tensor on one thread first, a pass over memory of its own.
pub(crate) fn map(len: usize, width: usize, row: impl Fn(usize, &mut [f32]) + Sync) -> Vec<f32> {
	let mut out = Vec::with_capacity(len);
	let task = task_len(width);
	out.spare_capacity_mut()[..len].par_chunks_mut(task).enumerate().for_each(|(i, out)| {
		let out = zeroed(out);
		let first = i * task / width;
		for (r, out) in out.chunks_exact_mut(width).enumerate() {
			row(first + r, out);
		}
	});
	// SAFETY: every chunk of the `len` elements was zeroed above.
	unsafe { out.set_len(len) };
	out
}

/// `values`, each set to zero.
pub(crate) fn zeroed(values: &mut [MaybeUninit<f32>]) -> &mut [f32] {
	for value in values.iter_mut() {
		value.write(0.0);
	}
	// SAFETY: every element was just written, and `MaybeUninit<f32>` has `f32`'s layout.
	unsafe { &mut *(values as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// `f(a, b)` for each pair of elements of `a` and `b` (of one length), in parallel in chunks
/// of [`TASK`] whose loops the compiler vectorizes. The output is written once, never zeroed
/// first: for the element-wise kernels' tensors (4 MB, more than a core's L2) a zeroing pass
/// cost about as much as the kernel's own writes.
pub(crate) fn zip_map(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) -> Vec<f32> {
	assert_eq!(a.len(), b.len(), "zip_map: inputs of different lengths");
	let mut out = Vec::with_capacity(a.len());
	out.spare_capacity_mut()[..a.len()]
		.par_chunks_mut(TASK)
		.zip(a.par_chunks(TASK).zip(b.par_chunks(TASK)))
		.for_each(|(out, (a, b))| {
			for ((out, &a), &b) in out.iter_mut().zip(a).zip(b) {
				out.write(f(a, b));
			}
		});
	// SAFETY: the chunks of `out` match those of `a` one for one, and each of their elements
	// was written above.
	unsafe { out.set_len(a.len()) };
	out
}

/// Row `r` of `values`, in rows of `width`.
pub(crate) fn row(values: &[f32], width: usize, r: usize) -> &[f32] {
	&values[r * width..(r + 1) * width]
}

/// `Σ xs`, in eight lanes (element `i` into lane `i mod 8`) added pairwise at the end, so the
/// compiler can keep the lanes in one vector register.
pub(crate) fn sum(xs: &[f32]) -> f32 {
	sum_of(xs.len(), |i| xs[i])
}

/// `Σ xs ⊙ ys`, in [`sum`]'s order.
pub(crate) fn dot(xs: &[f32], ys: &[f32]) -> f32 {
	debug_assert_eq!(xs.len(), ys.len());
	sum_of(xs.len(), |i| xs[i] * ys[i])
}

/// `Σ term(i)` for `i < len`, in [`sum`]'s order.
#[inline(always)]
pub(crate) fn sum_of(len: usize, term: impl Fn(usize) -> f32) -> f32 {
	let mut lanes = [0f32; 8];
	let whole = len - len % 8;
	for base in (0..whole).step_by(8) {
		for (lane, acc) in lanes.iter_mut().enumerate() {
			*acc += term(base + lane);
		}
	}
	for (lane, i) in (whole..len).enumerate() {
		lanes[lane] += term(i);
	}
	let [a, b, c, d, e, f, g, h] = lanes;
	((a + b) + (c + d)) + ((e + f) + (g + h))
}

/// The column sums of `rows` rows of `width`: `out[j] = Σ_r add(r)[j]`, where `add(r, acc)`
/// adds row `r`'s terms into `acc`.
pub(crate) fn column_sums(
	rows: usize,
	width: usize,
	add: impl Fn(usize, &mut [f32]) + Sync,
) -> Vec<f32> {
	let blocks: Vec<Vec<f32>> = (0..rows.div_ceil(BLOCK_ROWS))
		.into_par_iter()
		.map(|block| {
			let mut acc = vec![0f32; width];
			for r in block * BLOCK_ROWS..((block + 1) * BLOCK_ROWS).min(rows) {
				add(r, &mut acc);
			}
			acc
		})
		.collect();
	let mut total = vec![0f32; width];
	for block in blocks {
		for (t, b) in total.iter_mut().zip(block) {
			*t += b;
		}
	}
	total
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::on_threads;

	#[test]
	fn a_sum_takes_every_element_once() {
		for len in [0usize, 1, 7, 8, 9, 17, 128] {
			let xs: Vec<f32> = (0..len).map(|i| i as f32).collect();
			assert_eq!(sum(&xs), (len * len.saturating_sub(1) / 2) as f32, "{len}");
			assert_eq!(dot(&xs, &vec![2.0; len]), sum(&xs) * 2.0);
		}
	}

	#[test]
	fn column_sums_do_not_depend_on_the_threads() {
		let (rows, width) = (1000, 3);
		let value = |r: usize, j: usize| ((r * 31 + j * 7) % 97) as f32 * 0.013 - 0.5;
		let add = |r: usize, acc: &mut [f32]| {
			for (j, a) in acc.iter_mut().enumerate() {
				*a += value(r, j);
			}
		};
		let on = |threads: usize| on_threads(threads, || column_sums(rows, width, add));
		let one = on(1);
		assert_eq!(one, on(2));
		assert_eq!(one, on(5));
		for (j, total) in one.iter().enumerate() {
			let exact: f64 = (0..rows).map(|r| value(r, j) as f64).sum();
			assert!((*total as f64 - exact).abs() < 1e-3, "column {j}: {total} against {exact}");
		}
	}
}
