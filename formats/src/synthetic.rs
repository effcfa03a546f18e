//! The synthetic classification task's examples: Gaussian inputs labelled by a fixed random
//! linear teacher, each example drawn from its own seeded stream, so that any example of any
//! shard can be drawn alone and every replica draws the same bytes.

use crate::rng::SeededRng;
use alloc::vec::Vec;

/// The teacher of the task seeded by `seed`: `classes` rows of `input` weights.
pub fn teacher(seed: &[u8], input: usize, classes: usize) -> Vec<f32> {
	let mut rng = SeededRng::new(&[seed, b"teacher"].concat());
	(0..input * classes).map(|_| rng.normal()).collect()
}

/// Example `index` of dataset shard `shard` of the task seeded by `seed`: its `input` features
/// appended to `features`, and its label, the class whose `teacher` row scores them highest.
pub fn example(
	seed: &[u8],
	shard: u32,
	index: u64,
	teacher: &[f32],
	input: usize,
	features: &mut Vec<f32>,
) -> u32 {
	let mut rng = SeededRng::new(&[seed, &shard.to_le_bytes(), &index.to_le_bytes()].concat());
	let start = features.len();
	features.extend((0..input).map(|_| rng.normal()));
	let x = &features[start..];
	teacher
		.chunks(input)
		.map(|w| w.iter().zip(x).map(|(a, b)| a * b).sum::<f32>())
		.enumerate()
		.max_by(|a, b| a.1.total_cmp(&b.1))
		.map(|(class, _)| class as u32)
		.expect("at least one class")
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn an_example_is_the_same_drawn_alone_or_in_a_batch_and_its_label_is_the_best_score() {
		let teacher = teacher(b"task", 8, 3);
		let mut batch = Vec::new();
		let labels: Vec<u32> =
			(0..4).map(|i| example(b"task", 1, i, &teacher, 8, &mut batch)).collect();
		let mut alone = Vec::new();
		assert_eq!(example(b"task", 1, 2, &teacher, 8, &mut alone), labels[2]);
		assert_eq!(alone, batch[16..24]);
		let scores: Vec<f32> =
			teacher.chunks(8).map(|w| w.iter().zip(&alone).map(|(a, b)| a * b).sum()).collect();
		assert!(scores.iter().all(|s| *s <= scores[labels[2] as usize]));
		let mut other = Vec::new();
		example(b"task", 2, 2, &teacher, 8, &mut other);
		assert_ne!(other, alone, "another shard draws another example");
	}
}
