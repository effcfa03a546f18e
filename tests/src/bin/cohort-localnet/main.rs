//! `cohort-localnet`: start a local Cohort network of real nodes to watch or explore, or
//! measure its block time and finality lag.

mod blocks;
mod demo;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cohort_tests::{Network, NetworkConfig, NodeConfig};
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Run a local Cohort network of real cohort-node processes")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Start the four `local` validators and show blocks, finality and the validator set live.
	Start {
		/// Milliseconds per slot (block time).
		#[arg(long, default_value_t = 1_000)]
		slot_ms: u64,
		/// Blocks per session.
		#[arg(long, default_value_t = 10)]
		session_length: u32,
		/// Stop after this many finalized blocks instead of running until Ctrl-C.
		#[arg(long)]
		blocks: Option<u32>,
		/// Keep the nodes' data directory on exit.
		#[arg(long)]
		keep: bool,
	},
	/// Run the whole system: validators verifying, workers training a character model from a
	/// bounty round by round, with live progress, the loss curve and a sample of its text.
	Demo(demo::DemoArgs),
	/// Measure median block interval and finality lag over `--blocks` blocks.
	Bench {
		/// Blocks to measure.
		#[arg(long, default_value_t = 50)]
		blocks: u32,
		/// Milliseconds per slot.
		#[arg(long, default_value_t = 1_000)]
		slot_ms: u64,
		/// Print one JSON object instead of text.
		#[arg(long)]
		json: bool,
	},
}

fn config(slot_ms: u64, session_length: u32) -> NetworkConfig {
	NetworkConfig { slot_duration_ms: slot_ms, session_length, ..NetworkConfig::local() }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	match Cli::parse().command {
		Command::Start { slot_ms, session_length, blocks, keep } => {
			start(config(slot_ms, session_length), blocks, keep).await
		}
		Command::Bench { blocks, slot_ms, json } => bench(config(slot_ms, 10), blocks, json).await,
		Command::Demo(args) => demo::demo(args).await,
	}
}

async fn start(config: NetworkConfig, blocks: Option<u32>, keep: bool) -> anyhow::Result<()> {
	let names: Vec<String> = config.nodes.iter().map(|n: &NodeConfig| n.name.clone()).collect();
	println!("starting {} validators: {}", names.len(), names.join(", "));
	let network = Network::start(config).await.context("starting the network")?;
	for node in network.nodes() {
		println!(
			"  {:<8} rpc http://127.0.0.1:{}  metrics http://127.0.0.1:{}/metrics  data {}",
			node.name(),
			node.rpc_port(),
			node.prometheus_port(),
			node.dir().display()
		);
	}
	let rpc = network.node(0).rpc().clone();
	println!(
		"polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:{}",
		network.node(0).rpc_port()
	);
	println!("press Ctrl-C to stop\n");
	let mut ticker = tokio::time::interval(Duration::from_secs(1));
	loop {
		tokio::select! {
			_ = tokio::signal::ctrl_c() => break,
			_ = ticker.tick() => {
				let best = rpc.best_number().await?;
				let finalized = rpc.finalized_number().await?;
				let set = rpc.validators().await?;
				println!(
					"best #{best:<5} finalized #{finalized:<5} session {:<3} validators {}",
					set.session,
					set.active.len()
				);
				if blocks.is_some_and(|target| finalized >= target) {
					break;
				}
			}
		}
	}
	if keep {
		println!("data kept in {}", network.keep_dir().display());
	}
	Ok(())
}

fn median(values: &mut [f64]) -> f64 {
	values.sort_by(|a, b| a.total_cmp(b));
	let mid = values.len() / 2;
	if values.len().is_multiple_of(2) {
		(values[mid - 1] + values[mid]) / 2.0
	} else {
		values[mid]
	}
}

async fn bench(config: NetworkConfig, blocks: u32, json: bool) -> anyhow::Result<()> {
	anyhow::ensure!(blocks >= 2, "--blocks must be at least 2");
	let slot_ms = config.slot_duration_ms;
	let network = Network::start(config).await.context("starting the network")?;
	let rpc = network.node(0).rpc().clone();

	// Finality lag: sampled each time a new best block appears.
	let mut lags = Vec::new();
	let mut last_best = rpc.best_number().await?;
	let deadline =
		tokio::time::Instant::now() + Duration::from_millis(slot_ms * blocks as u64 * 4 + 60_000);
	while last_best < blocks + 1 {
		anyhow::ensure!(
			tokio::time::Instant::now() < deadline,
			"the network stopped producing blocks"
		);
		tokio::time::sleep(Duration::from_millis(100)).await;
		let best = rpc.best_number().await?;
		if best > last_best {
			last_best = best;
			lags.push((best - rpc.finalized_number().await?) as f64);
		}
	}

	// Block interval: from the timestamps the blocks carry, skipping genesis (timestamp 0).
	let mut stamps = Vec::new();
	for number in 1..=blocks + 1 {
		let hash = rpc.block_hash(number).await?.context("block on the best chain")?;
		stamps.push(rpc.timestamp(hash).await? as f64);
	}
	let mut intervals: Vec<f64> = stamps.windows(2).map(|w| w[1] - w[0]).collect();
	let interval = median(&mut intervals);
	let lag = median(&mut lags);
	if json {
		println!(
			"{}",
			serde_json::json!({
				"blocks": blocks,
				"slot_ms": slot_ms,
				"median_block_interval_ms": interval,
				"interval_over_slot": interval / slot_ms as f64,
				"median_finality_lag_blocks": lag,
			})
		);
	} else {
		println!("4 validators, {blocks} blocks, {slot_ms} ms slots");
		println!(
			"median block interval: {interval:.0} ms ({:.2}x the slot duration)",
			interval / slot_ms as f64
		);
		println!("median finality lag:   {lag} blocks");
	}
	Ok(())
}
