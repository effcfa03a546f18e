//! `cohort-worker`: the program a GPU owner runs to earn from bounties, a validator runs to
//! settle disputes, and a bounty submitter runs to publish data and fetch results.
//!
//! Modules depend one way: the commands (`account`, `bench`, `bounty`, `daemons`, `model`,
//! `offline`) use the shared modules (`connect`, `inputs`, `options`, `output`) and never each
//! other; `connect` uses `options`, and the rest use nothing of this binary.

mod account;
mod bench;
mod bounty;
mod connect;
mod daemons;
mod inputs;
mod model;
mod offline;
mod options;
mod output;
mod serving;

use anyhow::Result;
use clap::{Parser, Subcommand};
use options::{GlobalArgs, Options};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "cohort-worker", version, about, propagate_version = true)]
struct Cli {
	#[command(flatten)]
	global: GlobalArgs,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
	/// Create or inspect a key file.
	#[command(subcommand)]
	Keys(KeysCommand),
	/// Register as a worker: bond stake and declare capabilities, peer id and addresses.
	Register(account::RegisterArgs),
	/// Add stake to the worker's bond.
	Stake(account::StakeArgs),
	/// Start unbonding (leave the eligible set now), or with --withdraw take back a bond whose
	/// unbonding delay has passed.
	Unstake(account::UnstakeArgs),
	/// Send a heartbeat (the `run` loop sends them on its own).
	Heartbeat,
	/// The worker loop: train assigned shards, commit, reveal, serve, aggregate, review.
	Run(daemons::RunArgs),
	/// The validator's verifier loop: recompute disputed work and vote.
	Verify,
	/// Bounties: submit one (and serve its data), show one, cancel one.
	#[command(subcommand)]
	Bounty(BountyCommand),
	/// Models: fetch a bounty's current checkpoint as safetensors, evaluate it, sample text.
	#[command(subcommand)]
	Model(ModelCommand),
	/// Datasets: publish a file or a built-in dataset, fetch one by root.
	#[command(subcommand)]
	Dataset(DatasetCommand),
	/// Train one shard offline and print the delta's root, the trajectory's root and the losses.
	Train(offline::TrainArgs),
	/// Measure training steps against PyTorch, Merkle hashing, and the protocol's overhead.
	Bench(bench::BenchArgs),
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
	/// Write a new key file (refuses to overwrite one).
	Generate {
		/// Where to write it.
		#[arg(long, default_value = "cohort-keys.json")]
		out: PathBuf,
	},
	/// Print the address and peer id of the keys given with --keys or --suri.
	Inspect,
}

#[derive(Subcommand, Debug)]
enum BountyCommand {
	/// Publish the dataset and the initial checkpoint, submit the bounty, serve until interrupted.
	Submit(Box<bounty::SubmitArgs>),
	/// Publish and serve the data as `submit` does, print the `training.createBounty` call and
	/// the `training.serveData` arguments for another wallet to sign, serve until interrupted.
	Prepare(Box<bounty::SubmitArgs>),
	/// Show a bounty's status and current round.
	Status(bounty::BountyId),
	/// Cancel a bounty: rounds not started are refunded now.
	Cancel(bounty::BountyId),
}

#[derive(Subcommand, Debug)]
enum ModelCommand {
	/// Fetch a bounty's current checkpoint from the network and write it as safetensors.
	Fetch(model::ModelFetchArgs),
	/// The mean loss of weights on a dataset (the same batches every time).
	Eval(model::EvalArgs),
	/// Continue a prompt with a trained char transformer.
	Sample(model::SampleArgs),
}

#[derive(Subcommand, Debug)]
enum DatasetCommand {
	/// Store a dataset, announce it on the DHT and serve it until interrupted.
	Publish(offline::PublishArgs),
	/// Fetch a dataset by its root from the network, checked, and write it to a file.
	Fetch(offline::DatasetFetchArgs),
}

fn init_tracing() {
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
	tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

/// Keep freed tensor buffers in the process: candle allocates and frees a buffer per op, and
/// glibc's defaults hand every buffer over 128 KiB back to the kernel (an mmap and munmap per
/// op, with page faults on reuse). 32 MiB is the largest mmap threshold glibc accepts; with it
/// training steps took 20 to 35 % less time here (`cohort-worker bench`).
fn keep_freed_buffers() {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	// SAFETY: mallopt only changes allocator tuning; called before any thread starts.
	unsafe {
		libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
		libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
	}
}

/// candle runs its element-wise ops on a thread pool of its own beside rayon's, and its threads
/// spin through 25 000 rounds after every op before they sleep: with as many rayon threads as
/// cores, they took a core from the matrix products and the fused kernels, which run on rayon
/// (16 % of all samples on two threads). With one candle thread, the caller's, no thread
/// spins; the element-wise ops left (the residual adds, and the gradient sums of candle's
/// autograd) run on it. The char transformer's step on two threads, five interleaved runs:
/// 216–246 ms with the pool, 182–214 without. `CANDLE_NUM_THREADS` overrides it.
fn leave_the_cores_to_rayon() {
	if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
		// Before any thread starts, so nothing reads the environment meanwhile.
		std::env::set_var("CANDLE_NUM_THREADS", "1");
	}
}

fn main() -> Result<()> {
	keep_freed_buffers();
	leave_the_cores_to_rayon();
	tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> Result<()> {
	init_tracing();
	let cli = Cli::parse();
	let options = Options::load(cli.global)?;
	let options = &options;
	match cli.command {
		Command::Keys(KeysCommand::Generate { out }) => offline::generate_keys(options, &out),
		Command::Keys(KeysCommand::Inspect) => offline::inspect_keys(options),
		Command::Register(args) => account::register(options, args).await,
		Command::Stake(args) => account::stake(options, args).await,
		Command::Unstake(args) => account::unstake(options, args).await,
		Command::Heartbeat => account::heartbeat(options).await,
		Command::Run(args) => daemons::run(options, args).await,
		Command::Verify => daemons::verify(options).await,
		Command::Bounty(BountyCommand::Submit(args)) => bounty::submit(options, *args).await,
		Command::Bounty(BountyCommand::Prepare(args)) => bounty::prepare(options, *args).await,
		Command::Bounty(BountyCommand::Status(args)) => bounty::status(options, args).await,
		Command::Bounty(BountyCommand::Cancel(args)) => bounty::cancel(options, args).await,
		Command::Model(ModelCommand::Fetch(args)) => model::fetch(options, args).await,
		Command::Model(ModelCommand::Eval(args)) => model::eval(options, args),
		Command::Model(ModelCommand::Sample(args)) => model::sample(options, args),
		Command::Dataset(DatasetCommand::Publish(args)) => offline::publish(options, args).await,
		Command::Dataset(DatasetCommand::Fetch(args)) => {
			offline::fetch_dataset(options, args).await
		}
		Command::Train(args) => offline::train(options, args),
		Command::Bench(args) => bench::bench(options, args).await,
	}
}
