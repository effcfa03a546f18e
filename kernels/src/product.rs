//! gemm's matrix product on strided `f32` matrices, for the kernels that make their own
//! products: with the arguments candle's matmul passes, so the bytes are candle's.

/// A strided `f32` matrix: its first element, and how far apart its rows and columns are.
#[derive(Clone, Copy)]
pub(crate) struct Matrix {
	pub(crate) ptr: *const f32,
	pub(crate) rs: isize,
	pub(crate) cs: isize,
}

impl Matrix {
	/// Contiguous rows of `width`.
	pub(crate) fn rows(values: &[f32], width: usize) -> Self {
		Matrix { ptr: values.as_ptr(), rs: width as isize, cs: 1 }
	}

	/// The transpose, through the strides.
	pub(crate) fn t(self) -> Self {
		Matrix { rs: self.cs, cs: self.rs, ..self }
	}
}

// SAFETY: a `Matrix` is only read, inside the lifetime of the storage it points into.
unsafe impl Send for Matrix {}
unsafe impl Sync for Matrix {}

/// `dst = lhs · rhs` for an `m × k` by a `k × n` matrix, into `m` rows `dst_rs` apart. gemm
/// writes every element of `dst` and reads none (`read_dst` false), so `dst` need not be
/// initialized; its threads (`parallelism`) do not change the bytes.
///
/// # Safety
/// `lhs`, `rhs` and `dst` must address matrices of those sizes inside live allocations, and no
/// other thread may read or write `dst`'s elements meanwhile.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn product(
	m: usize,
	n: usize,
	k: usize,
	dst: *mut f32,
	dst_rs: usize,
	lhs: Matrix,
	rhs: Matrix,
	parallelism: gemm::Parallelism,
) {
	// SAFETY: the caller's.
	unsafe {
		gemm::gemm(
			m,
			n,
			k,
			dst,
			1,
			dst_rs as isize,
			false,
			lhs.ptr,
			lhs.cs,
			lhs.rs,
			rhs.ptr,
			rhs.cs,
			rhs.rs,
			0.0,
			1.0,
			false,
			false,
			false,
			parallelism,
		)
	}
}
