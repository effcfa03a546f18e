//! A whole local Cohort deployment: the `local` network's four validators, each running the
//! verifier against its own node, and registered workers running the worker loop, spread
//! over the nodes. The demo and the end-to-end tests drive bounties through it.

use crate::{
	worker::{run_once, WorkerConfig, WorkerProcess},
	Network, NetworkConfig, Result,
};
use std::{path::Path, time::Duration};

/// The validators of the `local` preset, whose verifiers vote on disputes.
pub const VALIDATORS: [&str; 4] = ["Alice", "Bob", "Charlie", "Dave"];

/// Endowed development accounts that are not validators: workers and submitters.
pub const ACCOUNTS: [&str; 10] = [
	"Eve",
	"Ferdie",
	"One",
	"Two",
	"Alice//stash",
	"Bob//stash",
	"Charlie//stash",
	"Dave//stash",
	"Eve//stash",
	"Ferdie//stash",
];

/// How long one process start or one-shot command may take.
const STEP: Duration = Duration::from_secs(120);

/// A running deployment. Dropping it stops every process and removes every directory.
pub struct Deployment {
	// Fields drop in order: worker processes before the nodes they talk to.
	verifiers: Vec<WorkerProcess>,
	workers: Vec<(WorkerConfig, WorkerProcess)>,
	network: Network,
}

impl Deployment {
	/// Start the `local` network, a verifier for each validator, and `workers` (names from
	/// [`ACCOUNTS`]), each registered with a bond of `bond` UNIT before its loop starts.
	pub async fn start(config: NetworkConfig, workers: &[&str], bond: &str) -> Result<Self> {
		let network = Network::start(config).await?;
		let mut deployment = Deployment { verifiers: Vec::new(), workers: Vec::new(), network };
		for (index, who) in VALIDATORS.into_iter().enumerate() {
			let config = deployment.config_on(who, index)?;
			deployment.verifiers.push(WorkerProcess::spawn(&config, &["verify"])?);
		}
		for (index, who) in workers.iter().enumerate() {
			let config = deployment.config_on(who, index)?;
			run_once(&config, &["register", "--bond", bond], STEP).await?;
			let process = WorkerProcess::spawn(&config, &["run"])?;
			deployment.workers.push((config, process));
		}
		for process in deployment.verifiers.iter().chain(deployment.workers.iter().map(|(_, p)| p))
		{
			process.wait_log("running", STEP).await?;
		}
		Ok(deployment)
	}

	/// `who` on node `index` (modulo the nodes), with a store in the network's directory.
	pub fn config_on(&self, who: &str, index: usize) -> Result<WorkerConfig> {
		let nodes = self.network.nodes();
		let node = &nodes[index % nodes.len()];
		WorkerConfig::new(who, self.dir(), node.rpc_port())
	}

	/// The directory every node and worker keeps its data in.
	pub fn dir(&self) -> &Path {
		self.network.dir()
	}

	/// The nodes.
	pub fn network(&self) -> &Network {
		&self.network
	}

	/// The nodes, to kill and restart.
	pub fn network_mut(&mut self) -> &mut Network {
		&mut self.network
	}

	/// The workers, in the order they were started.
	pub fn workers(&self) -> &[(WorkerConfig, WorkerProcess)] {
		&self.workers
	}

	/// The last log lines of every worker and verifier, for a failure's report.
	pub fn logs(&self, lines: usize) -> String {
		let verifiers = VALIDATORS.iter().zip(&self.verifiers).map(|(who, p)| (*who, p));
		let workers = self.workers.iter().map(|(c, p)| (c.who.as_str(), p));
		verifiers
			.chain(workers)
			.map(|(who, process)| format!("---- {who} ----\n{}", process.log_tail(lines)))
			.collect::<Vec<_>>()
			.join("\n")
	}

	/// Keep every directory after the deployment stops; returns where they are.
	pub fn keep_dir(self) -> std::path::PathBuf {
		let Deployment { verifiers, workers, network } = self;
		drop((verifiers, workers));
		network.keep_dir()
	}
}
