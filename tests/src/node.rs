//! One `cohort-node` process: its directory, ports, keys and life cycle.

use crate::{free_port, node_binary, wait, Error, Result, Rpc};
use std::{
	path::{Path, PathBuf},
	process::Stdio,
	time::Duration,
};
use tokio::process::{Child, Command};

/// How long a node may take from spawn to answering RPC.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(90);

/// GRANDPA's gossip duration for the harness's nodes (`--grandpa-gossip-ms`): they share one
/// host, so votes arrive in well under a millisecond, and a round of about 400 ms instead of
/// the default's 1.3 s keeps finality about a block behind the best block instead of two.
/// Every worker move that must not be undone waits for finality.
const GRANDPA_GOSSIP_MS: u64 = 100;

/// What a node is: its name and, for a validator, the dev key it signs with.
#[derive(Clone, Debug)]
pub struct NodeConfig {
	/// Name in logs and telemetry; also the data directory's name.
	pub name: String,
	/// The dev account whose session keys this validator uses (`alice` gives `--alice`,
	/// which puts `//Alice`'s keys in the keystore and turns on `--validator`); `None` for
	/// a plain full node.
	pub dev_key: Option<String>,
	/// Extra command-line arguments.
	pub extra_args: Vec<String>,
}

impl NodeConfig {
	/// A validator with the well-known keys of `dev_key` (`alice`, `bob`, …).
	pub fn validator(dev_key: &str) -> Self {
		Self { name: dev_key.into(), dev_key: Some(dev_key.into()), extra_args: vec![] }
	}

	/// Alice, the only validator of the `dev` preset's chain, which she authors and
	/// finalizes alone.
	pub fn dev() -> Self {
		Self { name: "dev".into(), dev_key: Some("alice".into()), extra_args: vec![] }
	}
}

/// A running (or stopped) node process.
pub struct Node {
	config: NodeConfig,
	chain: String,
	dir: PathBuf,
	p2p_port: u16,
	rpc_port: u16,
	prometheus_port: u16,
	node_key: String,
	child: Option<Child>,
	rpc: Rpc,
	peer_id: String,
}

impl Node {
	/// Start a node for `chain` (a preset name or spec file) with its data in `dir`,
	/// connecting to `bootnodes`, and wait until it answers RPC.
	pub async fn start(
		config: NodeConfig,
		chain: &str,
		dir: &Path,
		bootnodes: &[String],
	) -> Result<Self> {
		std::fs::create_dir_all(dir).map_err(|source| Error::Io {
			context: format!("creating {}", dir.display()),
			source,
		})?;
		let rpc_port = free_port()?;
		// A fixed node key keeps the peer id, and so every bootnode address, across restarts.
		let node_key = hex(&sp_io::hashing::blake2_256(dir.display().to_string().as_bytes()));
		let mut node = Node {
			chain: chain.to_string(),
			dir: dir.to_path_buf(),
			p2p_port: free_port()?,
			rpc_port,
			prometheus_port: free_port()?,
			node_key,
			child: None,
			rpc: Rpc::new(rpc_port)?,
			peer_id: String::new(),
			config,
		};
		node.spawn(bootnodes).await?;
		Ok(node)
	}

	/// The node's name.
	pub fn name(&self) -> &str {
		&self.config.name
	}

	/// The JSON-RPC client of this node.
	pub fn rpc(&self) -> &Rpc {
		&self.rpc
	}

	/// The node's JSON-RPC port.
	pub fn rpc_port(&self) -> u16 {
		self.rpc_port
	}

	/// The node's Prometheus port.
	pub fn prometheus_port(&self) -> u16 {
		self.prometheus_port
	}

	/// The node's Prometheus metrics, in the text exposition format.
	pub async fn metrics(&self) -> Result<String> {
		crate::metrics::scrape(self.prometheus_port, self.name()).await
	}

	/// The address other nodes dial to reach this one.
	pub fn multiaddr(&self) -> String {
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", self.p2p_port, self.peer_id)
	}

	/// The node's data directory (RocksDB, keystore, network key, `node.log`).
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	/// Whether the process is alive.
	pub fn is_running(&mut self) -> bool {
		matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
	}

	/// Kill the process abruptly (SIGKILL), as a crash would; its data stays.
	pub async fn kill(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill().await;
		}
	}

	/// Start the process again on the same data directory and ports.
	pub async fn restart(&mut self, bootnodes: &[String]) -> Result<()> {
		self.kill().await;
		self.spawn(bootnodes).await
	}

	/// Replace the extra command-line arguments the next (re)start passes.
	pub fn set_extra_args(&mut self, extra_args: Vec<String>) {
		self.config.extra_args = extra_args;
	}

	/// The last `lines` lines of the node's log.
	pub fn log_tail(&self, lines: usize) -> String {
		let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
		let all: Vec<&str> = log.lines().collect();
		all[all.len().saturating_sub(lines)..].join("\n")
	}

	fn log_path(&self) -> PathBuf {
		self.dir.join("node.log")
	}

	async fn spawn(&mut self, bootnodes: &[String]) -> Result<()> {
		let binary = node_binary();
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(self.log_path())
			.map_err(|source| Error::Io { context: "opening node.log".into(), source })?;
		let log_err = log
			.try_clone()
			.map_err(|source| Error::Io { context: "opening node.log".into(), source })?;
		let mut cmd = Command::new(&binary);
		cmd.arg("--chain")
			.arg(&self.chain)
			.arg("--base-path")
			.arg(&self.dir)
			.arg("--name")
			.arg(&self.config.name)
			.arg("--listen-addr")
			.arg(format!("/ip4/127.0.0.1/tcp/{}", self.p2p_port))
			.arg("--rpc-port")
			.arg(self.rpc_port.to_string())
			.arg("--prometheus-port")
			.arg(self.prometheus_port.to_string())
			.arg("--node-key")
			.arg(&self.node_key)
			.args(["--no-telemetry", "--no-mdns", "--allow-private-ip", "--rpc-cors", "all"])
			.args(["--grandpa-gossip-ms", &GRANDPA_GOSSIP_MS.to_string()]);
		if let Some(key) = &self.config.dev_key {
			cmd.arg(format!("--{key}"));
		}
		if !bootnodes.is_empty() {
			cmd.arg("--bootnodes").args(bootnodes);
		}
		cmd.args(&self.config.extra_args)
			.stdin(Stdio::null())
			.stdout(Stdio::from(log))
			.stderr(Stdio::from(log_err))
			.kill_on_drop(true);
		let child = cmd
			.spawn()
			.map_err(|source| Error::Spawn { binary: binary.display().to_string(), source })?;
		self.child = Some(child);
		self.wait_for_rpc().await?;
		self.peer_id = self.rpc.peer_id().await?;
		Ok(())
	}

	async fn wait_for_rpc(&mut self) -> Result<()> {
		let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
		loop {
			if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
				return Err(Error::NodeExited {
					name: self.config.name.clone(),
					status: status.to_string(),
					log_tail: self.log_tail(30),
				});
			}
			if self.rpc.peers().await.is_ok() {
				return Ok(());
			}
			if tokio::time::Instant::now() >= deadline {
				return Err(Error::Timeout {
					what: format!(
						"node {} to answer RPC; log:\n{}",
						self.config.name,
						self.log_tail(30)
					),
					after: STARTUP_TIMEOUT,
				});
			}
			tokio::time::sleep(wait::POLL).await;
		}
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
