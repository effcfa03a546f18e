//! Using a trained checkpoint: its loss on held-out batches, and text from the char model.

use super::{Dataset, ModelConfig, Params, Sampler, SeededRng, TrainError};
use crate::delta::Delta;
use candle_core::{Device, Tensor, D};

/// How [`evaluate`] draws its batches: the same every time, so losses of different
/// checkpoints compare.
#[derive(Clone, Copy, Debug)]
pub struct Evaluation {
	/// Batches to average over.
	pub batches: u32,
	/// Examples per batch.
	pub batch_size: usize,
}

/// The mean loss of `checkpoint` on batches drawn from the whole of `dataset` with a fixed
/// seed.
pub fn evaluate(
	config: &ModelConfig,
	checkpoint: &Delta,
	dataset: &Dataset,
	evaluation: Evaluation,
	device: &Device,
) -> Result<f32, TrainError> {
	if !config.fits(checkpoint) {
		return Err(TrainError::CheckpointMismatch);
	}
	let context = config.context();
	let sampler = Sampler::new(dataset, 0, 1, context)?;
	let mut rng = SeededRng::new(b"evaluation");
	let params = Params::from_checkpoint(checkpoint, device)?;
	let mut total = 0f32;
	for _ in 0..evaluation.batches {
		let batch = sampler.batch(&mut rng, evaluation.batch_size, context, device)?;
		total += config.loss(&params, &batch.inputs, &batch.targets)?.to_scalar::<f32>()?;
	}
	Ok(total / evaluation.batches.max(1) as f32)
}

/// `length` bytes that continue `prompt`, drawn one at a time from the char model's next-byte
/// distribution at `temperature` (seeded, so the same call gives the same text).
pub fn generate(
	config: &ModelConfig,
	checkpoint: &Delta,
	prompt: &[u8],
	length: usize,
	temperature: f64,
	seed: &[u8],
) -> Result<Vec<u8>, TrainError> {
	let ModelConfig::CharTransformer(char_config) = config else {
		return Err(TrainError::NotAGenerator);
	};
	if !config.fits(checkpoint) {
		return Err(TrainError::CheckpointMismatch);
	}
	let device = Device::Cpu;
	let params = Params::from_checkpoint(checkpoint, &device)?;
	let mut rng = SeededRng::new(seed);
	let mut text = if prompt.is_empty() { b"\n".to_vec() } else { prompt.to_vec() };
	let start = text.len();
	for _ in 0..length {
		let window = &text[text.len().saturating_sub(char_config.context)..];
		let tokens: Vec<u32> = window.iter().map(|b| u32::from(*b)).collect();
		let inputs = Tensor::from_vec(tokens, (1, window.len()), &device)?;
		let logits = config.logits(&params, &inputs)?.squeeze(0)?;
		let last = logits.get(window.len() - 1)?;
		let probabilities = candle_nn::ops::softmax(&(last / temperature.max(1e-3))?, D::Minus1)?
			.to_vec1::<f32>()?;
		text.push(pick(&probabilities, rng.uniform()));
	}
	Ok(text.split_off(start))
}

/// The byte whose cumulative probability first exceeds `u` (the last one if rounding leaves
/// `u` beyond the total).
fn pick(probabilities: &[f32], u: f32) -> u8 {
	let mut cumulative = 0f32;
	for (byte, p) in probabilities.iter().enumerate() {
		cumulative += p;
		if u < cumulative {
			return byte as u8;
		}
	}
	(probabilities.len() - 1) as u8
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::trainer::{
		CharConfig, MlpConfig, Settings, ShardRef, ShardRun, SyntheticSpec, TrainError,
	};
	use cohort_primitives::Optimizer;

	const SHARD: ShardRef =
		ShardRef { bounty: 0, round: 0, shard: 0, dataset_shard: 0, dataset_shards: 1 };
	const EVALUATION: Evaluation = Evaluation { batches: 4, batch_size: 16 };

	fn char_model() -> ModelConfig {
		ModelConfig::CharTransformer(CharConfig { context: 16, d_model: 32, layers: 1, heads: 4 })
	}

	fn text() -> Dataset {
		Dataset::Text(b"to be or not to be, that is the question. ".repeat(40))
	}

	#[test]
	fn training_lowers_the_evaluated_loss_and_the_same_checkpoint_scores_the_same() {
		let settings = Settings {
			steps: 30,
			batch_size: 16,
			optimizer: Optimizer::AdamW,
			learning_rate: 1e-2,
		};
		let h0 = char_model().init(b"h0");
		let trained = ShardRun {
			config: &char_model(),
			settings: &settings,
			checkpoint: &h0,
			dataset: &text(),
			shard: SHARD,
			backend: &crate::trainer::Backend::cpu(),
		}
		.train()
		.unwrap();
		let values: Vec<f32> =
			trained.delta.values().zip(h0.values()).map(|(d, h)| h + d).collect();
		let h1 = h0.with_values(&values);
		let before = evaluate(&char_model(), &h0, &text(), EVALUATION, &Device::Cpu).unwrap();
		let after = evaluate(&char_model(), &h1, &text(), EVALUATION, &Device::Cpu).unwrap();
		assert!(after < before - 1.0, "{before} -> {after}");
		assert_eq!(evaluate(&char_model(), &h1, &text(), EVALUATION, &Device::Cpu).unwrap(), after);

		let sample = generate(&char_model(), &h1, b"to be", 40, 0.5, b"s").unwrap();
		assert_eq!(sample.len(), 40);
		assert_eq!(generate(&char_model(), &h1, b"to be", 40, 0.5, b"s").unwrap(), sample);
		// A model that learned the line writes mostly its letters.
		let known = sample.iter().filter(|b| b"tobenrhaisqu ,.".contains(b)).count();
		assert!(known >= 30, "{:?}", String::from_utf8_lossy(&sample));
	}

	#[test]
	fn mismatched_inputs_are_refused() {
		let mlp = ModelConfig::Mlp(MlpConfig { input: 4, hidden: vec![8], classes: 2 });
		let wrong = evaluate(&char_model(), &mlp.init(b"x"), &text(), EVALUATION, &Device::Cpu);
		assert!(matches!(wrong, Err(TrainError::CheckpointMismatch)));
		let not_text = generate(&mlp, &mlp.init(b"x"), b"", 1, 1.0, b"s");
		assert!(matches!(not_text, Err(TrainError::NotAGenerator)));
		let synthetic = Dataset::from_blob(
			SyntheticSpec { seed: "s".into(), input: 4, classes: 2, examples_per_shard: 8 }
				.to_blob(),
		)
		.unwrap();
		let loss = evaluate(&mlp, &mlp.init(b"x"), &synthetic, EVALUATION, &Device::Cpu).unwrap();
		assert!(loss.is_finite() && loss > 0.0);
	}

	#[test]
	fn picking_follows_the_cumulative_distribution() {
		assert_eq!(pick(&[0.5, 0.5], 0.25), 0);
		assert_eq!(pick(&[0.5, 0.5], 0.75), 1);
		assert_eq!(pick(&[0.0, 0.0, 1.0], 0.0), 2);
		assert_eq!(pick(&[0.3, 0.3], 0.99), 1);
	}
}
