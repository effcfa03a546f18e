//! The command line: Substrate's standard flags and subcommands.

/// Cohort node command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// GRANDPA's gossip duration in milliseconds: a voter prevotes two of them into a round
	/// and precommits four in, unless the round completes first, so a round lasts about four
	/// gossip durations and finality trails the best block by about a round. Set it above the
	/// validators' one-way network latency; validators on one host or one LAN can use far less
	/// than the default (`cohort-localnet` uses 100).
	#[arg(long, value_name = "MS", default_value_t = 333, value_parser = clap::value_parser!(u64).range(10..=10_000))]
	pub grandpa_gossip_ms: u64,
}

/// Subcommands beside running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect, and insert session keys into the keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Write a chain spec (`--raw` for the form operators share) to stdout.
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export a chain spec to a file, without a database.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain database.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Runtime benchmarks (only in a node built with `--features runtime-benchmarks`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),
}
