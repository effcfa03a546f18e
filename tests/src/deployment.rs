//! A whole local Cohort deployment: the `local` network's four validators, each running the
//! verifier against its own node, and registered workers running the worker loop, spread
//! over the nodes. The demo and the end-to-end tests drive bounties through it.

use crate::{
	tx, wait,
	worker::{account_of, run_once, WorkerConfig, WorkerProcess},
	Error, Network, NetworkConfig, Result,
};
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring;
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

/// `bounty submit` arguments for the tests' small model: an MLP with one hidden layer of 32 on
/// the built-in synthetic task, a shard of which trains in about a second.
pub const SMALL_MLP: [&str; 4] = [
	"--model",
	r#"{"model":"mlp","input":784,"hidden":[32],"classes":10}"#,
	"--dataset",
	"builtin:synthetic",
];

/// How long one process start or one-shot command may take.
const STEP: Duration = Duration::from_secs(120);

/// A running deployment. Dropping it stops every process and removes every directory.
pub struct Deployment {
	// Fields drop in order: worker processes before the nodes they talk to.
	verifiers: Vec<(WorkerConfig, WorkerProcess)>,
	workers: Vec<(WorkerConfig, WorkerProcess)>,
	network: Network,
}

impl Deployment {
	/// Start the `local` network, a verifier for each validator, and `workers` (names from
	/// [`ACCOUNTS`]), each registered with a bond of `bond` UNIT before its loop starts.
	pub async fn start(config: NetworkConfig, workers: &[&str], bond: &str) -> Result<Self> {
		let workers: Vec<(&str, &[&str])> = workers.iter().map(|who| (*who, &[][..])).collect();
		Self::start_with(config, &workers, bond).await
	}

	/// [`Deployment::start`], with each worker's extra `run` arguments.
	pub async fn start_with(
		config: NetworkConfig,
		workers: &[(&str, &[&str])],
		bond: &str,
	) -> Result<Self> {
		let mut network = Network::start(config).await?;
		// A node that has just started authors on its own fork until it has synced, and a
		// worker's transaction sent through it can be dropped as invalid when a block on that
		// fork cannot include it. Once every node has finalized a block, each follows the one
		// chain the others finalize.
		network.wait_finalized(1, STEP).await?;
		let mut deployment = Deployment { verifiers: Vec::new(), workers: Vec::new(), network };
		for (index, who) in VALIDATORS.into_iter().enumerate() {
			let config = deployment.config_on(who, index)?;
			// Serving metrics, so that what the verifiers recompute can be counted.
			let process = WorkerProcess::spawn(&config, &["verify", &config.metrics_arg()])?;
			deployment.verifiers.push((config, process));
		}
		for (who, run_args) in workers {
			deployment.add_worker(who, run_args, bond).await?;
		}
		for (_, verifier) in &deployment.verifiers {
			verifier.wait_log("running", STEP).await?;
		}
		Ok(deployment)
	}

	/// Register `who` with a bond of `bond` UNIT and start its loop (`run <run_args>`, serving
	/// metrics) on the next node in turn; returns once it runs. `who` needs funds: one of
	/// [`ACCOUNTS`], or an account [`Deployment::fund`] paid.
	pub async fn add_worker(&mut self, who: &str, run_args: &[&str], bond: &str) -> Result<()> {
		let config = self.config_on(who, self.workers.len())?;
		self.add_configured(config, run_args, bond).await
	}

	/// [`Deployment::add_worker`] for a worker configured already (see
	/// [`Deployment::next_config`]), e.g. on another `--device`.
	pub async fn add_configured(
		&mut self,
		config: WorkerConfig,
		run_args: &[&str],
		bond: &str,
	) -> Result<()> {
		let gflops = config.gflops.to_string();
		run_once(&config, &["register", "--bond", bond, "--gflops", &gflops], STEP).await?;
		let metrics = config.metrics_arg();
		let args: Vec<&str> =
			["run", metrics.as_str()].into_iter().chain(run_args.iter().copied()).collect();
		let process = WorkerProcess::spawn(&config, &args)?;
		process.wait_log("running", STEP).await?;
		self.workers.push((config, process));
		Ok(())
	}

	/// Pay `amount` UNIT from Alice to the dev account `who` (any `//Name`), as a signed
	/// transfer.
	pub async fn fund(&self, who: &str, amount: u128) -> Result<()> {
		let call =
			cohort_runtime::RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: account_of(who).into(),
				value: amount * cohort_runtime::UNIT,
			});
		let rpc = self.network.node(0).rpc();
		tx::execute_ok(rpc, Sr25519Keyring::Alice, call).await?;
		Ok(())
	}

	/// `who` on the node the next worker [`Deployment::add_worker`] starts would use.
	pub fn next_config(&self, who: &str) -> Result<WorkerConfig> {
		self.config_on(who, self.workers.len())
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

	/// The validators' verifiers, each serving its metrics ([`WorkerConfig::metrics`]).
	pub fn verifiers(&self) -> &[(WorkerConfig, WorkerProcess)] {
		&self.verifiers
	}

	/// The workers, to kill.
	pub fn workers_mut(&mut self) -> &mut [(WorkerConfig, WorkerProcess)] {
		&mut self.workers
	}

	/// Submit a bounty as `who` on node 0: `bounty submit <args>`. Returns the submitter, which
	/// serves the dataset and the initial checkpoint until it is dropped, and what it printed.
	pub async fn submit(&self, who: &str, args: &[&str]) -> Result<(WorkerProcess, Value)> {
		self.bounty_command(who, "submit", args).await
	}

	/// Prepare a bounty as `who` on node 0 for another wallet to sign: `bounty prepare
	/// <args>`. Returns the process, which serves the data until it is dropped, and the calls
	/// it printed.
	pub async fn prepare(&self, who: &str, args: &[&str]) -> Result<(WorkerProcess, Value)> {
		self.bounty_command(who, "prepare", args).await
	}

	/// Submit a bounty as `submitter` (`bounty submit <args>`, e.g. `who` on node 0 from
	/// [`Deployment::config_on`], or on a NAT testbed's host), serve its data until it closes,
	/// and return its `cohort_bounty` view then (see [`Deployment::wait_closed`]).
	pub async fn run_bounty(
		&self,
		submitter: &WorkerConfig,
		args: &[&str],
		timeout: Duration,
	) -> Result<Value> {
		let (serving, submitted) = Self::run_bounty_command(submitter, "submit", args).await?;
		let id = submitted["bounty"].as_u64().ok_or_else(|| Error::Worker {
			name: format!("{} bounty submit", submitter.who),
			what: format!("printed no bounty id: {submitted}"),
			log_tail: String::new(),
		})?;
		let closed = self.wait_closed(id, timeout).await;
		drop(serving);
		closed
	}

	async fn bounty_command(
		&self,
		who: &str,
		command: &str,
		args: &[&str],
	) -> Result<(WorkerProcess, Value)> {
		Self::run_bounty_command(&self.config_on(who, 0)?, command, args).await
	}

	async fn run_bounty_command(
		config: &WorkerConfig,
		command: &str,
		args: &[&str],
	) -> Result<(WorkerProcess, Value)> {
		let args: Vec<&str> = ["bounty", command].into_iter().chain(args.iter().copied()).collect();
		let mut process = WorkerProcess::spawn(config, &args)?;
		let printed = process.json_line(STEP).await?;
		Ok((process, printed))
	}

	/// Wait up to `timeout` until bounty `id` is no longer active; its `cohort_bounty` view
	/// then. A timeout's error carries every process's last log lines.
	pub async fn wait_closed(&self, id: u64, timeout: Duration) -> Result<Value> {
		let rpc = self.network.node(0).rpc();
		let closed = wait::until(&format!("bounty {id} to close"), timeout, || async {
			let bounty: Value = rpc.call("cohort_bounty", vec![json!(id)]).await?;
			Ok((bounty["status"] != "active").then_some(bounty))
		})
		.await;
		closed.map_err(|e| match e {
			Error::Timeout { what, after } => Error::Timeout {
				what: format!("{what}; last log lines:\n{}", self.logs(15)),
				after,
			},
			other => other,
		})
	}

	/// The last log lines of every worker and verifier, for a failure's report.
	pub fn logs(&self, lines: usize) -> String {
		let verifiers = self.verifiers.iter().map(|(c, p)| (c.who.as_str(), p));
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
