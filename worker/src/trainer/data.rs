//! The examples a shard trains on, and the batches drawn from them.
//!
//! A dataset splits into `shards` deterministic parts; the batches of one shard's training are
//! drawn with the generator of (bounty, round, shard), so every replica sees the same batches
//! in the same order.

use candle_core::{Device, Result, Tensor};
use cohort_formats::{rng::SeededRng, synthetic};
use rayon::prelude::*;

/// Where examples come from.
pub enum Dataset {
	/// A synthetic classification task for the MLP: Gaussian inputs labelled by a fixed random
	/// linear teacher, so a model can learn it and its loss must fall.
	Synthetic {
		/// Seeds the teacher and every example.
		seed: Vec<u8>,
		/// Input features.
		input: usize,
		/// Classes.
		classes: usize,
		/// Examples in each shard.
		examples_per_shard: usize,
	},
	/// A byte corpus for the character model.
	Text(Vec<u8>),
}

/// What a synthetic dataset's blob starts with; the rest is its [`SyntheticSpec`] as JSON.
pub const SYNTHETIC_MAGIC: &[u8] = b"COHORT SYNTHETIC DATASET\n";

/// A synthetic dataset as its blob describes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyntheticSpec {
	/// Seeds the teacher and every example.
	pub seed: String,
	/// Input features.
	pub input: usize,
	/// Classes.
	pub classes: usize,
	/// Examples in each shard.
	pub examples_per_shard: usize,
}

impl SyntheticSpec {
	/// The dataset's blob: the magic line and the spec as JSON.
	pub fn to_blob(&self) -> Vec<u8> {
		let json = serde_json::to_vec(self).expect("plain fields serialize");
		[SYNTHETIC_MAGIC, &json].concat()
	}
}

impl Dataset {
	/// The dataset a blob holds: a synthetic task if it starts with [`SYNTHETIC_MAGIC`], else
	/// a byte corpus for the character model.
	pub fn from_blob(blob: Vec<u8>) -> std::result::Result<Self, DataError> {
		let Some(json) = blob.strip_prefix(SYNTHETIC_MAGIC) else {
			return Ok(Dataset::Text(blob));
		};
		let spec: SyntheticSpec =
			serde_json::from_slice(json).map_err(|e| DataError::BadSynthetic(e.to_string()))?;
		if spec.input == 0 || spec.classes == 0 || spec.examples_per_shard == 0 {
			return Err(DataError::BadSynthetic(
				"input, classes and examplesPerShard must be positive".into(),
			));
		}
		// The teacher holds input × classes weights; a shard is drawn example by example.
		if spec.input > 1 << 16 || spec.classes > 1 << 16 || spec.input * spec.classes > 1 << 26 {
			return Err(DataError::BadSynthetic(
				"input and classes must be at most 65 536, and their product 2^26".into(),
			));
		}
		if spec.examples_per_shard > 1 << 24 {
			return Err(DataError::BadSynthetic("examplesPerShard must be at most 2^24".into()));
		}
		Ok(Dataset::Synthetic {
			seed: spec.seed.into_bytes(),
			input: spec.input,
			classes: spec.classes,
			examples_per_shard: spec.examples_per_shard,
		})
	}
}

/// One batch: inputs and targets as the model's `loss` takes them.
pub struct Batch {
	/// Features (f32 `[batch, input]`) or tokens (u32 `[batch, context]`).
	pub inputs: Tensor,
	/// Classes (u32 `[batch]`) or next tokens (u32 `[batch, context]`).
	pub targets: Tensor,
}

/// Why a shard cannot give batches.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DataError {
	/// A text shard shorter than one window of `context + 1` bytes.
	#[error("shard {shard} of {shards} holds {len} bytes; a window needs {needed}")]
	ShardTooShort {
		/// The dataset shard.
		shard: u32,
		/// How many shards the dataset has.
		shards: u32,
		/// The shard's length in bytes.
		len: usize,
		/// The bytes one window needs.
		needed: usize,
	},
	/// A shard index at or past the dataset's shard count.
	#[error("dataset shard {shard} does not exist: the dataset has {shards}")]
	NoSuchShard {
		/// The dataset shard asked for.
		shard: u32,
		/// How many shards the dataset has.
		shards: u32,
	},
	/// A synthetic dataset's blob whose spec does not parse or has a zero size.
	#[error("malformed synthetic dataset: {0}")]
	BadSynthetic(String),
}

/// Draws a shard's batches.
pub struct Sampler<'a> {
	dataset: &'a Dataset,
	range: std::ops::Range<usize>,
	teacher: Vec<f32>,
	shard: u32,
}

impl<'a> Sampler<'a> {
	/// Batches from dataset shard `shard` of `shards`; text windows are `context + 1` bytes.
	pub fn new(
		dataset: &'a Dataset,
		shard: u32,
		shards: u32,
		context: usize,
	) -> std::result::Result<Self, DataError> {
		if shard >= shards {
			return Err(DataError::NoSuchShard { shard, shards });
		}
		let (range, teacher) = match dataset {
			Dataset::Synthetic { seed, input, classes, examples_per_shard } => {
				(0..*examples_per_shard, synthetic::teacher(seed, *input, *classes))
			}
			Dataset::Text(bytes) => {
				let (n, s, k) = (bytes.len(), shards as usize, shard as usize);
				let range = n * k / s..n * (k + 1) / s;
				if range.len() < context + 1 {
					return Err(DataError::ShardTooShort {
						shard,
						shards,
						len: range.len(),
						needed: context + 1,
					});
				}
				(range, Vec::new())
			}
		};
		Ok(Self { dataset, range, teacher, shard })
	}

	/// The next batch of `size` examples, drawn with `rng`.
	pub fn batch(
		&self,
		rng: &mut SeededRng,
		size: usize,
		context: usize,
		device: &Device,
	) -> Result<Batch> {
		let picks = self.picks(rng, size, context);
		match self.dataset {
			Dataset::Synthetic { seed, input, .. } => {
				// Each example has its own generator, so they are drawn in parallel with the
				// same bytes as one after the other.
				let examples: Vec<(Vec<f32>, u32)> = picks
					.into_par_iter()
					.map(|index| {
						let mut features = Vec::with_capacity(*input);
						let label = synthetic::example(
							seed,
							self.shard,
							index as u64,
							&self.teacher,
							*input,
							&mut features,
						);
						(features, label)
					})
					.collect();
				let mut features = Vec::with_capacity(size * input);
				let mut labels = Vec::with_capacity(size);
				for (example, label) in examples {
					features.extend_from_slice(&example);
					labels.push(label);
				}
				Ok(Batch {
					inputs: Tensor::from_vec(features, (size, *input), device)?,
					targets: Tensor::from_vec(labels, size, device)?,
				})
			}
			Dataset::Text(bytes) => {
				let shard = &bytes[self.range.clone()];
				let mut inputs = Vec::with_capacity(size * context);
				let mut targets = Vec::with_capacity(size * context);
				for start in picks {
					let window = &shard[start..start + context + 1];
					inputs.extend(window[..context].iter().map(|b| u32::from(*b)));
					targets.extend(window[1..].iter().map(|b| u32::from(*b)));
				}
				Ok(Batch {
					inputs: Tensor::from_vec(inputs, (size, context), device)?,
					targets: Tensor::from_vec(targets, (size, context), device)?,
				})
			}
		}
	}

	/// Draw the next batch with `rng` and drop it: [`Self::picks`] alone, without building the
	/// examples, which leaves `rng` where [`Self::batch`] would. A referee replays the batches
	/// of the steps before the one it recomputes this way.
	pub fn skip(&self, rng: &mut SeededRng, size: usize, context: usize) {
		self.picks(rng, size, context);
	}

	/// The `size` examples of the next batch, drawn with `rng`: the only draws a batch makes.
	/// A synthetic example by its index in the dataset, a text window by its start in the
	/// shard.
	fn picks(&self, rng: &mut SeededRng, size: usize, context: usize) -> Vec<usize> {
		match self.dataset {
			Dataset::Synthetic { .. } => {
				(0..size).map(|_| self.range.start + rng.below(self.range.len())).collect()
			}
			Dataset::Text(_) => (0..size).map(|_| rng.below(self.range.len() - context)).collect(),
		}
	}
}
