//! The rules a bounty combines a round's accepted deltas with: the mean, or, against
//! Byzantine contributions, the coordinate-wise median or trimmed mean. Every rule is computed
//! coordinate by coordinate in a fixed order, so every aggregator gets the same bytes.

use crate::delta::Delta;
use alloc::{vec, vec::Vec};
use cohort_primitives::Aggregation;
use thiserror::Error;

/// Why deltas cannot be aggregated.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AggregateError {
	/// There is nothing to combine.
	#[error("no deltas to aggregate")]
	Empty,
	/// The delta at this index has other names or shapes than the first.
	#[error("delta {0} has other tensors or shapes than the first")]
	LayoutMismatch(usize),
	/// A trimmed mean that would drop half of the values or more at each end.
	#[error("a trimmed mean must trim less than half at each end")]
	TrimTooLarge,
}

/// Combine `deltas` with `rule`.
pub fn aggregate(deltas: &[Delta], rule: Aggregation) -> Result<Delta, AggregateError> {
	let first = deltas.first().ok_or(AggregateError::Empty)?;
	if let Some(index) = deltas.iter().position(|d| !d.same_layout(first)) {
		return Err(AggregateError::LayoutMismatch(index));
	}
	let n = deltas.len();
	let columns: Vec<Vec<f32>> = deltas.iter().map(|d| d.values().collect()).collect();
	let trim = match rule {
		Aggregation::TrimmedMean { trim } => {
			if trim.deconstruct() >= 50 {
				return Err(AggregateError::TrimTooLarge);
			}
			n * trim.deconstruct() as usize / 100
		}
		_ => 0,
	};
	let width = columns[0].len();
	let mut coordinate = vec![0f32; n];
	let values: Vec<f32> = (0..width)
		.map(|i| {
			for (slot, column) in coordinate.iter_mut().zip(&columns) {
				*slot = column[i];
			}
			match rule {
				Aggregation::Mean => mean(&coordinate),
				Aggregation::Median => median(&mut coordinate),
				Aggregation::TrimmedMean { .. } => {
					coordinate.sort_by(f32::total_cmp);
					mean(&coordinate[trim..n - trim])
				}
			}
		})
		.collect();
	Ok(first.with_values(&values))
}

/// The mean, summed in f64 in the given order.
fn mean(values: &[f32]) -> f32 {
	(values.iter().map(|v| f64::from(*v)).sum::<f64>() / values.len() as f64) as f32
}

/// The median; for an even count, the mean of the middle two.
fn median(values: &mut [f32]) -> f32 {
	values.sort_by(f32::total_cmp);
	let mid = values.len() / 2;
	if values.len() % 2 == 1 {
		values[mid]
	} else {
		mean(&values[mid - 1..=mid])
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::delta::Tensor;
	use sp_arithmetic::Percent;

	fn delta(values: &[f32]) -> Delta {
		Delta::new(vec![Tensor {
			name: "w".into(),
			dims: vec![values.len()],
			data: values.to_vec(),
		}])
		.unwrap()
	}

	fn values(delta: &Delta) -> Vec<f32> {
		delta.values().collect()
	}

	/// Five honest deltas near (1, -1) and two Byzantine ones far away.
	fn with_outliers() -> Vec<Delta> {
		let mut deltas: Vec<Delta> =
			[0.9, 1.0, 1.1, 1.0, 1.05].iter().map(|v| delta(&[*v, -*v])).collect();
		deltas.push(delta(&[1e6, 1e6]));
		deltas.push(delta(&[-1e6, f32::MAX]));
		deltas
	}

	#[test]
	fn the_mean_is_dragged_by_outliers_the_robust_rules_are_not() {
		let deltas = with_outliers();
		let mean = values(&aggregate(&deltas, Aggregation::Mean).unwrap());
		assert!(mean[1] > 1e30, "{mean:?}");
		let median = values(&aggregate(&deltas, Aggregation::Median).unwrap());
		assert_eq!(median, vec![1.0, -1.0]);
		let trimmed =
			aggregate(&deltas, Aggregation::TrimmedMean { trim: Percent::from_percent(30) });
		let trimmed = values(&trimmed.unwrap());
		// 7 values, 2 dropped at each end: the mean of the middle three honest ones.
		assert!((trimmed[0] - 1.0166667).abs() < 1e-6, "{trimmed:?}");
		assert!((trimmed[1] + 0.9666667).abs() < 1e-6, "{trimmed:?}");
	}

	#[test]
	fn an_even_median_averages_the_middle_pair() {
		let deltas = [delta(&[1.0]), delta(&[2.0]), delta(&[4.0]), delta(&[10.0])];
		assert_eq!(values(&aggregate(&deltas, Aggregation::Median).unwrap()), vec![3.0]);
	}

	#[test]
	fn aggregation_is_independent_of_the_order_of_deltas_for_robust_rules() {
		let mut deltas = with_outliers();
		let forward = aggregate(&deltas, Aggregation::Median).unwrap().to_bytes();
		deltas.reverse();
		assert_eq!(aggregate(&deltas, Aggregation::Median).unwrap().to_bytes(), forward);
	}

	#[test]
	fn bad_inputs_are_refused() {
		assert_eq!(aggregate(&[], Aggregation::Mean), Err(AggregateError::Empty));
		let mismatched = [delta(&[1.0, 2.0]), delta(&[1.0])];
		assert_eq!(
			aggregate(&mismatched, Aggregation::Mean),
			Err(AggregateError::LayoutMismatch(1))
		);
		let half = Aggregation::TrimmedMean { trim: Percent::from_percent(50) };
		assert_eq!(aggregate(&[delta(&[1.0])], half), Err(AggregateError::TrimTooLarge));
	}
}
