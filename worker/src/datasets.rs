//! The datasets that ship with the worker, so that training runs offline.
//!
//! A dataset is a blob addressed by its Merkle root like any other: a bounty names that root.
//! `shakespeare` is a byte corpus for the character model; `synthetic` is the descriptor of
//! a seeded classification task for the MLP (see [`crate::trainer::SyntheticSpec`]).

use crate::trainer::{ModelConfig, SyntheticSpec};

/// The complete works of Shakespeare (public domain; see `data/shakespeare.LICENSE.txt`).
pub const SHAKESPEARE: &[u8] = include_bytes!("../data/shakespeare.txt");

/// The names of the built-in datasets.
pub const NAMES: [&str; 2] = ["shakespeare", "synthetic"];

/// The synthetic task: 784 Gaussian features (an MNIST-sized input), 10 classes labelled by a
/// seeded linear teacher.
pub fn synthetic() -> SyntheticSpec {
	SyntheticSpec {
		seed: "cohort synthetic v1".into(),
		input: 784,
		classes: 10,
		examples_per_shard: 4096,
	}
}

/// The name of the built-in dataset a model trains on unless told otherwise: `synthetic` for
/// the MLP, `shakespeare` for the character transformer.
pub fn default_for(config: &ModelConfig) -> &'static str {
	match config {
		ModelConfig::Mlp(_) => "synthetic",
		ModelConfig::CharTransformer(_) => "shakespeare",
	}
}

/// The blob of built-in dataset `name`.
pub fn builtin(name: &str) -> Option<Vec<u8>> {
	match name {
		"shakespeare" => Some(SHAKESPEARE.to_vec()),
		"synthetic" => Some(synthetic().to_blob()),
		_ => None,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{merkle, trainer::Dataset};

	#[test]
	fn the_builtins_are_what_they_claim() {
		assert!(SHAKESPEARE.len() >= 1_000_000, "{} bytes", SHAKESPEARE.len());
		assert!(std::str::from_utf8(SHAKESPEARE).is_ok());
		for name in NAMES {
			let blob = builtin(name).unwrap();
			match (name, Dataset::from_blob(blob).unwrap()) {
				("shakespeare", Dataset::Text(bytes)) => assert_eq!(bytes, SHAKESPEARE),
				("synthetic", Dataset::Synthetic { input: 784, classes: 10, .. }) => {}
				(name, _) => panic!("{name} parsed as the wrong kind of dataset"),
			}
		}
		assert_eq!(builtin("mnist"), None);
	}

	#[test]
	fn the_corpus_is_pinned() {
		// A bounty names a dataset by this root: changing the file changes every bounty on it.
		assert_eq!(
			format!("{:?}", merkle::root(SHAKESPEARE)),
			"0x301bd48999893084dfc265af0b6ca82a69ec6d9466ad6df3521b45b8a8052559"
		);
	}
}
