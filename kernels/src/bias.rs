//! A bias added to every row, with a backward pass that sums the gradient's rows in one pass.
//!
//! candle adds a bias by broadcasting it over the leading dimensions, and its backward pass
//! sums the gradient over those dimensions with its general reduction, which computes two
//! divisions per element and dimension to find where each element goes: on the char
//! transformer that was over a tenth of a training step (`perf`).

use crate::rows;
use crate::storage::{self, row_width, same_width, slice};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

/// `x + bias`: `bias`, of shape `[width]`, added to every row of `x`, of shape `[.., width]`.
pub fn add_bias(x: &Tensor, bias: &Tensor) -> Result<Tensor> {
	if !storage::fused(x) {
		return x.broadcast_add(bias);
	}
	x.contiguous()?.apply_op2(&bias.contiguous()?, AddBias)
}

/// The sums of the rows of `x` (`[.., width]`): a `[width]` vector, without a backward pass.
pub(crate) fn column_sum(x: &Tensor) -> Result<Tensor> {
	x.contiguous()?.apply_op1_no_bwd(&ColumnSum)
}

struct AddBias;

impl CustomOp2 for AddBias {
	fn name(&self) -> &'static str {
		"add-bias"
	}

	fn cpu_fwd(
		&self,
		x: &CpuStorage,
		xl: &Layout,
		bias: &CpuStorage,
		bl: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let width = row_width(xl, self.name())?;
		let (x, bias) = (slice(x, xl, self.name())?, slice(bias, bl, self.name())?);
		same_width(bl, width, self.name())?;
		let out = rows::map(x.len(), width, |r, out| {
			for ((o, x), b) in out.iter_mut().zip(rows::row(x, width, r)).zip(bias) {
				*o = x + b;
			}
		});
		Ok((CpuStorage::F32(out), xl.shape().clone()))
	}

	fn bwd(
		&self,
		_x: &Tensor,
		_bias: &Tensor,
		_sum: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>)> {
		Ok((Some(grad.clone()), Some(column_sum(grad)?)))
	}
}

struct ColumnSum;

impl CustomOp1 for ColumnSum {
	fn name(&self) -> &'static str {
		"column-sum"
	}

	fn cpu_fwd(&self, x: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
		let width = row_width(xl, self.name())?;
		let x = slice(x, xl, self.name())?;
		let sums = rows::column_sums(x.len() / width, width, |r, acc| {
			for (a, v) in acc.iter_mut().zip(rows::row(x, width, r)) {
				*a += v;
			}
		});
		Ok((CpuStorage::F32(sums), Shape::from(width)))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{agree, var};

	#[test]
	fn the_bias_and_its_gradients_agree_with_candles_broadcast() {
		for width in [1, 4, 9, 512] {
			let inputs = [var(&[70, 3, width], 1), var(&[width], 2)];
			agree(&inputs, |t| add_bias(&t[0], &t[1]), |t| t[0].broadcast_add(&t[1]), 1e-6);
		}
	}

	#[test]
	fn a_bias_of_another_width_is_refused() {
		let error = add_bias(var(&[2, 4], 1).as_tensor(), var(&[3], 2).as_tensor())
			.unwrap_err()
			.to_string();
		assert!(error.contains("a vector of shape [3] for rows of 4"), "{error}");
	}
}
