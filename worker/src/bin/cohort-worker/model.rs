//! `model fetch|eval|sample`: a bounty's trained weights as safetensors, their loss on a
//! dataset, and text from a char model.

use crate::{
	offline::{dataset_bytes, model_config},
	output,
	settings::Settings,
};
use anyhow::{Context, Result};
use clap::Args;
use cohort_primitives::H256;
use cohort_worker::{
	delta::{Delta, Tensor as Named},
	merkle,
	trainer::{self, Dataset, Evaluation, ModelConfig},
};
use serde_json::json;
use std::{
	collections::HashMap,
	path::{Path, PathBuf},
};

#[derive(Args, Debug)]
pub struct FetchArgs {
	/// The bounty whose checkpoint to fetch.
	bounty: u64,
	/// The checkpoint round N started from [default: the current one, which is the final
	/// model once the bounty has completed].
	#[arg(long)]
	round: Option<u32>,
	/// Where to write the weights (safetensors).
	#[arg(long, default_value = "model.safetensors")]
	out: PathBuf,
}

pub async fn fetch(settings: &Settings, args: FetchArgs) -> Result<()> {
	let cx = crate::roles::context(settings).await?;
	let at = cx.chain.finalized().await?;
	let view =
		at.bounty(args.bounty).await?.with_context(|| format!("no bounty {}", args.bounty))?;
	let root: H256 = match args.round {
		Some(round) => {
			let view = at.round(args.bounty, round).await?;
			view.with_context(|| format!("bounty {} has no round {round}", args.bounty))?
				.info
				.checkpoint
		}
		None => view.bounty.checkpoint,
	};
	cx.join_registered_peers(&at, true).await?;
	let bytes = cx.network.fetch(root, None).await?;
	let checkpoint = Delta::from_bytes(&bytes).context("the checkpoint is corrupt")?;
	save(&checkpoint, &args.out)?;
	output::print(
		settings.json,
		json!({
			"bounty": args.bounty,
			"checkpoint": format!("{root:?}"),
			"tensors": checkpoint.tensors().len(),
			"file": args.out.display().to_string(),
		}),
	);
	Ok(())
}

/// Write `checkpoint` as a safetensors file.
pub fn save(checkpoint: &Delta, file: &Path) -> Result<()> {
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
fn load(config: &ModelConfig, file: &Path) -> Result<Delta> {
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

#[derive(Args, Debug)]
pub struct EvalArgs {
	/// The weights (safetensors, as `model fetch` writes them).
	file: PathBuf,
	/// The model: mlp, char-transformer, or a JSON model config.
	#[arg(long, default_value = "char-transformer")]
	model: String,
	/// The dataset: a file or builtin:NAME [default: the model's built-in one].
	#[arg(long)]
	dataset: Option<String>,
	/// Batches to average over (the same ones every time, so runs compare).
	#[arg(long, default_value_t = 8)]
	batches: u32,
	/// Examples per batch.
	#[arg(long, default_value_t = 16)]
	batch_size: usize,
}

pub fn eval(settings: &Settings, args: EvalArgs) -> Result<()> {
	let config = model_config(&args.model)?;
	let checkpoint = load(&config, &args.file)?;
	let dataset = args.dataset.unwrap_or_else(|| default_dataset(&config));
	let data = Dataset::from_blob(dataset_bytes(&dataset)?)?;
	let evaluation = Evaluation { batches: args.batches, batch_size: args.batch_size };
	let backend = settings.backend()?;
	let loss = trainer::evaluate(&config, &checkpoint, &data, evaluation, backend.device())?;
	output::print(
		settings.json,
		json!({
			"file": args.file.display().to_string(),
			// Which checkpoint the file holds: the root the chain names it by.
			"checkpoint": format!("{:?}", merkle::root(&checkpoint.to_bytes())),
			"loss": loss,
		}),
	);
	Ok(())
}

/// The built-in dataset a reference model trains on.
pub fn default_dataset(config: &ModelConfig) -> String {
	match config {
		ModelConfig::Mlp(_) => "builtin:synthetic".into(),
		ModelConfig::CharTransformer(_) => "builtin:shakespeare".into(),
	}
}

#[derive(Args, Debug)]
pub struct SampleArgs {
	/// The weights of a char transformer (safetensors).
	file: PathBuf,
	/// The model: char-transformer or a JSON char model config.
	#[arg(long, default_value = "char-transformer")]
	model: String,
	/// The text to continue.
	#[arg(long, default_value = "ROMEO:")]
	prompt: String,
	/// How many bytes to write.
	#[arg(long, default_value_t = 200)]
	length: usize,
	/// Sampling temperature: lower is more predictable.
	#[arg(long, default_value_t = 0.8)]
	temperature: f64,
	/// Seeds the sampling.
	#[arg(long, default_value = "cohort")]
	seed: String,
}

pub fn sample(settings: &Settings, args: SampleArgs) -> Result<()> {
	let config = model_config(&args.model)?;
	let checkpoint = load(&config, &args.file)?;
	let text = trainer::generate(
		&config,
		&checkpoint,
		args.prompt.as_bytes(),
		args.length,
		args.temperature,
		args.seed.as_bytes(),
	)?;
	let text = String::from_utf8_lossy(&text);
	if settings.json {
		output::print(true, json!({ "prompt": args.prompt, "text": text }));
	} else {
		println!("{}{text}", args.prompt);
	}
	Ok(())
}
