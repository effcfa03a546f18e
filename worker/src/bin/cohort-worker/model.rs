//! `model fetch|eval|sample`: a bounty's trained weights as safetensors, their loss on a
//! dataset, and text from a char model.

use crate::{
	connect::context,
	inputs::{load_weights, model_config, save_weights, ModelData},
	options::Options,
	output,
};
use anyhow::{Context, Result};
use clap::Args;
use cohort_primitives::H256;
use cohort_worker::{
	delta::Delta,
	merkle,
	trainer::{self, Dataset, Evaluation},
};
use serde_json::json;
use std::path::PathBuf;

/// `model fetch`'s arguments (not `dataset fetch`'s: a bounty's checkpoint, found through the
/// chain).
#[derive(Args, Debug)]
pub struct ModelFetchArgs {
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

pub async fn fetch(options: &Options, args: ModelFetchArgs) -> Result<()> {
	let cx = context(options).await?;
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
	save_weights(&checkpoint, &args.out)?;
	output::print(
		options.json,
		json!({
			"bounty": args.bounty,
			"checkpoint": format!("{root:?}"),
			"tensors": checkpoint.tensors().len(),
			"file": args.out.display().to_string(),
		}),
	);
	Ok(())
}

#[derive(Args, Debug)]
pub struct EvalArgs {
	/// The weights (safetensors, as `model fetch` writes them).
	file: PathBuf,
	#[command(flatten)]
	data: ModelData,
	/// Batches to average over (the same ones every time, so runs compare).
	#[arg(long, default_value_t = 8)]
	batches: u32,
	/// Examples per batch.
	#[arg(long, default_value_t = 16)]
	batch_size: usize,
}

pub fn eval(options: &Options, args: EvalArgs) -> Result<()> {
	let config = args.data.config()?;
	let checkpoint = load_weights(&config, &args.file)?;
	let data = Dataset::from_blob(args.data.dataset_bytes(&config)?)?;
	let evaluation = Evaluation { batches: args.batches, batch_size: args.batch_size };
	let backend = options.backend()?;
	let loss = trainer::evaluate(&config, &checkpoint, &data, evaluation, backend.device())?;
	output::print(
		options.json,
		json!({
			"file": args.file.display().to_string(),
			// Which checkpoint the file holds: the root the chain names it by.
			"checkpoint": format!("{:?}", merkle::root(&checkpoint.to_bytes())),
			"loss": loss,
		}),
	);
	Ok(())
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

pub fn sample(options: &Options, args: SampleArgs) -> Result<()> {
	let config = model_config(&args.model)?;
	let checkpoint = load_weights(&config, &args.file)?;
	let text = trainer::generate(
		&config,
		&checkpoint,
		args.prompt.as_bytes(),
		args.length,
		args.temperature,
		args.seed.as_bytes(),
	)?;
	let text = String::from_utf8_lossy(&text);
	if options.json {
		output::print(true, json!({ "prompt": args.prompt, "text": text }));
	} else {
		println!("{}{text}", args.prompt);
	}
	Ok(())
}
