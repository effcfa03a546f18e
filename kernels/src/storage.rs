//! Reading candle's CPU storage as `f32` slices, for the kernels' `cpu_fwd`s.

use candle_core::{backend::BackendStorage, bail, CpuStorage, DType, Layout, Result, Tensor};

/// Whether `t` lives where the fused kernels run: on the CPU, as `f32`. Anywhere else the
/// kernels' callers compose the same arithmetic from candle's ops.
pub(crate) fn fused(t: &Tensor) -> bool {
	t.device().is_cpu() && t.dtype() == DType::F32
}

/// The `f32` elements a contiguous layout covers.
pub(crate) fn slice<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> Result<&'a [f32]> {
	let CpuStorage::F32(data) = storage else {
		bail!("{op}: expected f32, got {:?}", storage.dtype())
	};
	let Some((start, end)) = layout.contiguous_offsets() else { bail!("{op}: not contiguous") };
	Ok(&data[start..end])
}

/// [`slice`], writable.
pub(crate) fn slice_mut<'a>(
	storage: &'a mut CpuStorage,
	layout: &Layout,
	op: &str,
) -> Result<&'a mut [f32]> {
	let dtype = storage.dtype();
	let CpuStorage::F32(data) = storage else { bail!("{op}: expected f32, got {dtype:?}") };
	let Some((start, end)) = layout.contiguous_offsets() else { bail!("{op}: not contiguous") };
	Ok(&mut data[start..end])
}

/// The width of the last dimension of `layout`, checked to divide the elements into rows.
pub(crate) fn row_width(layout: &Layout, op: &str) -> Result<usize> {
	let width = layout.dims().last().copied().unwrap_or(1);
	if width == 0 {
		bail!("{op}: rows of width 0");
	}
	Ok(width)
}

/// Checks that a vector's layout is `[width]`, to go with rows of `width`.
pub(crate) fn same_width(vector: &Layout, width: usize, op: &str) -> Result<()> {
	if vector.dims() != [width] {
		bail!("{op}: a vector of shape {:?} for rows of {width}", vector.dims());
	}
	Ok(())
}
