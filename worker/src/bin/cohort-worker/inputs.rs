//! What a command line names, resolved: a model (`--model`), a dataset (`--dataset`, by
//! default the model's built-in one), an optimizer, an amount of UNIT, and weights files. Each
//! is parsed here once, for every command that takes it.

use anyhow::{bail, Context, Result};
use clap::{builder::PossibleValue, Args, ValueEnum};
use cohort_primitives::Optimizer;
use cohort_worker::{
	datasets,
	delta::{Delta, Tensor as Named},
	trainer::{self, ModelConfig},
};
use std::{collections::HashMap, path::Path};

/// The reference configurations, by name, or a JSON model config.
pub fn model_config(model: &str) -> Result<ModelConfig> {
	match model {
		"mlp" => Ok(ModelConfig::Mlp(trainer::MlpConfig {
			input: 784,
			hidden: vec![512, 512],
			classes: 10,
		})),
		"char-transformer" => Ok(ModelConfig::CharTransformer(trainer::CharConfig {
			context: 128,
			d_model: 128,
			layers: 4,
			heads: 4,
		})),
		json if json.trim_start().starts_with('{') => {
			serde_json::from_str(json).context("invalid model config JSON")
		}
		other => bail!("unknown model {other:?}: use mlp, char-transformer or a JSON model config"),
	}
}

/// The dataset argument that names the built-in dataset `config` trains on by default.
pub fn default_dataset(config: &ModelConfig) -> String {
	format!("builtin:{}", datasets::default_for(config))
}

/// The bytes a dataset argument names: a file, or `builtin:NAME`.
pub fn dataset_bytes(dataset: &str) -> Result<Vec<u8>> {
	if let Some(name) = dataset.strip_prefix("builtin:") {
		return datasets::builtin(name).with_context(|| {
			format!("no built-in dataset {name:?}: there are {}", datasets::NAMES.join(", "))
		});
	}
	let bytes =
		std::fs::read(dataset).with_context(|| format!("cannot read dataset file {dataset}"))?;
	if bytes.is_empty() {
		bail!("dataset file {dataset} is empty");
	}
	Ok(bytes)
}

/// `--model` and `--dataset`, for the commands that train or evaluate a model on a dataset.
#[derive(Args, Debug)]
pub struct ModelData {
	/// The model: `mlp`, `char-transformer`, or a JSON model config
	/// (`{"model":"mlp","input":784,"hidden":[512,512],"classes":10}`).
	#[arg(long, default_value = "char-transformer")]
	pub model: String,
	/// A dataset file, or `builtin:shakespeare` / `builtin:synthetic` [default: the model's
	/// built-in one].
	#[arg(long)]
	pub dataset: Option<String>,
}

impl ModelData {
	/// The model's config.
	pub fn config(&self) -> Result<ModelConfig> {
		model_config(&self.model)
	}

	/// The dataset's bytes: the one given, or the built-in one `config` trains on.
	pub fn dataset_bytes(&self, config: &ModelConfig) -> Result<Vec<u8>> {
		match &self.dataset {
			Some(dataset) => dataset_bytes(dataset),
			None => dataset_bytes(&default_dataset(config)),
		}
	}
}

/// The inner optimizer on the command line: `adamw` or `sgd`. A newtype, because the type is
/// the chain's ([`Optimizer`], in `cohort-primitives`, which knows nothing of clap); the
/// spellings are written here only.
#[derive(Clone, Copy, Debug)]
pub struct OptimizerArg(pub Optimizer);

/// Every optimizer, in the order `--help` lists them.
const OPTIMIZERS: &[OptimizerArg] = &[OptimizerArg(Optimizer::AdamW), OptimizerArg(Optimizer::Sgd)];

impl ValueEnum for OptimizerArg {
	fn value_variants<'a>() -> &'a [Self] {
		OPTIMIZERS
	}

	fn to_possible_value(&self) -> Option<PossibleValue> {
		Some(PossibleValue::new(match self.0 {
			Optimizer::AdamW => "adamw",
			Optimizer::Sgd => "sgd",
		}))
	}
}

/// The chain's smallest unit per UNIT (12 decimals).
const UNIT: u128 = 1_000_000_000_000;

/// An amount in UNIT with up to 12 decimals (`100`, `0.5`), as the chain's integer.
pub fn parse_amount(text: &str) -> Result<u128> {
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	if fraction.len() > 12 || whole.is_empty() && fraction.is_empty() {
		bail!("invalid amount {text:?}: UNIT with at most 12 decimals, like 100 or 0.5");
	}
	let digits = |s: &str| -> Result<u128> {
		if s.is_empty() {
			return Ok(0);
		}
		s.parse::<u128>().with_context(|| format!("invalid amount {text:?}"))
	};
	let fraction_units = digits(fraction)? * 10u128.pow(12 - fraction.len() as u32);
	digits(whole)?
		.checked_mul(UNIT)
		.and_then(|w| w.checked_add(fraction_units))
		.with_context(|| format!("amount {text:?} is too large"))
}

/// Write `checkpoint` as a safetensors file.
pub fn save_weights(checkpoint: &Delta, file: &Path) -> Result<()> {
	let tensors: HashMap<String, candle_core::Tensor> = checkpoint
		.tensors()
		.iter()
		.map(|t| {
			let tensor = candle_core::Tensor::from_vec(
				t.data.clone(),
				t.dims.clone(),
				&candle_core::Device::Cpu,
			)?;
			Ok((t.name.clone(), tensor))
		})
		.collect::<Result<_, candle_core::Error>>()?;
	candle_core::safetensors::save(&tensors, file)
		.with_context(|| format!("cannot write {}", file.display()))
}

/// A safetensors file as a canonical checkpoint of `config`.
pub fn load_weights(config: &ModelConfig, file: &Path) -> Result<Delta> {
	let tensors = candle_core::safetensors::load(file, &candle_core::Device::Cpu)
		.with_context(|| format!("cannot read safetensors file {}", file.display()))?;
	let named = tensors
		.into_iter()
		.map(|(name, tensor)| {
			let dims = tensor.dims().to_vec();
			let data = tensor.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1()?;
			Ok(Named { name, dims, data })
		})
		.collect::<Result<Vec<_>, candle_core::Error>>()?;
	let checkpoint = Delta::new(named)?;
	anyhow::ensure!(
		config.fits(&checkpoint),
		"{} does not hold this model's parameters (check --model)",
		file.display()
	);
	Ok(checkpoint)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_are_unit_with_decimals() {
		assert_eq!(parse_amount("100").unwrap(), 100 * UNIT);
		assert_eq!(parse_amount("0.5").unwrap(), UNIT / 2);
		assert_eq!(parse_amount(".000000000001").unwrap(), 1);
		for bad in ["", ".", "1.0000000000001", "-1", "1e3", "999999999999999999999999999999"] {
			assert!(parse_amount(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn optimizers_keep_their_spellings() {
		for (text, optimizer) in [("adamw", Optimizer::AdamW), ("sgd", Optimizer::Sgd)] {
			assert_eq!(OptimizerArg::from_str(text, false).unwrap().0, optimizer);
		}
		assert!(OptimizerArg::from_str("adam", false).is_err());
	}

	#[test]
	fn every_reference_model_defaults_to_a_built_in_dataset() {
		for model in ["mlp", "char-transformer"] {
			let dataset = default_dataset(&model_config(model).unwrap());
			assert!(dataset_bytes(&dataset).is_ok(), "{model}: {dataset}");
		}
	}
}
