//! A network of nodes started from one chain spec, in one temporary directory.

use crate::{node_binary, wait, Error, Node, NodeConfig, Result};
use serde_json::Value;
use std::{
	path::{Path, PathBuf},
	time::Duration,
};

/// A chain spec file written by `cohort-node build-spec`, optionally with its genesis patched.
pub struct ChainSpecFile {
	path: PathBuf,
}

impl ChainSpecFile {
	/// Run `cohort-node build-spec --chain <preset>` (plus `--raw` if asked) into `path`. For a
	/// plain (non-raw) spec, `patch` may edit the genesis patch, the JSON object that the
	/// runtime merges over its defaults (e.g. `patch["timing"]["slotDurationMs"]`).
	pub fn build(
		path: &Path,
		preset: &str,
		raw: bool,
		patch: impl FnOnce(&mut Value),
	) -> Result<Self> {
		let binary = node_binary();
		let mut cmd = std::process::Command::new(&binary);
		cmd.args(["build-spec", "--chain", preset, "--disable-default-bootnode"]);
		if raw {
			cmd.arg("--raw");
		}
		let output = cmd
			.output()
			.map_err(|source| Error::Spawn { binary: binary.display().to_string(), source })?;
		if !output.status.success() {
			return Err(Error::Spec(format!(
				"build-spec --chain {preset} failed: {}",
				String::from_utf8_lossy(&output.stderr)
			)));
		}
		let mut spec: Value = serde_json::from_slice(&output.stdout)
			.map_err(|e| Error::Spec(format!("build-spec wrote invalid JSON: {e}")))?;
		if !raw {
			let genesis_patch = spec["genesis"]["runtimeGenesis"]
				.get_mut("patch")
				.ok_or_else(|| Error::Spec("no genesis patch in the plain spec".into()))?;
			patch(genesis_patch);
		}
		let text = serde_json::to_string_pretty(&spec).expect("a JSON value serializes");
		std::fs::write(path, text).map_err(|source| Error::Io {
			context: format!("writing {}", path.display()),
			source,
		})?;
		Ok(Self { path: path.to_path_buf() })
	}

	/// Where the spec is.
	pub fn path(&self) -> &Path {
		&self.path
	}
}

/// What network to start.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
	/// The preset the spec is built from.
	pub preset: String,
	/// Slot duration written into genesis, overriding the preset's.
	pub slot_duration_ms: u64,
	/// Session length in blocks written into genesis, overriding the preset's.
	pub session_length: u32,
	/// The nodes, started in order; the first is everyone's bootnode.
	pub nodes: Vec<NodeConfig>,
}

impl NetworkConfig {
	/// The `local` preset's four validators (Alice, Bob, Charlie, Dave) with 1 s slots and
	/// 10-block sessions, the pace every end-to-end test runs at.
	pub fn local() -> Self {
		Self {
			preset: "local".into(),
			slot_duration_ms: 1_000,
			session_length: 10,
			nodes: ["alice", "bob", "charlie", "dave"].map(NodeConfig::validator).to_vec(),
		}
	}
}

/// Running nodes sharing one chain spec. Dropping it kills every node and removes every
/// directory.
pub struct Network {
	dir: tempfile::TempDir,
	spec: ChainSpecFile,
	nodes: Vec<Node>,
}

impl Network {
	/// Write the chain spec and start every node of `config`.
	pub async fn start(config: NetworkConfig) -> Result<Self> {
		let dir = tempfile::Builder::new().prefix("cohort-net-").tempdir().map_err(|source| {
			Error::Io { context: "creating the network directory".into(), source }
		})?;
		let spec =
			ChainSpecFile::build(&dir.path().join("spec.json"), &config.preset, false, |patch| {
				patch["timing"]["slotDurationMs"] = config.slot_duration_ms.into();
				patch["timing"]["sessionLength"] = config.session_length.into();
			})?;
		let mut network = Network { dir, spec, nodes: Vec::new() };
		for node in config.nodes {
			network.add_node(node).await?;
		}
		Ok(network)
	}

	/// Start one more node; returns its index.
	pub async fn add_node(&mut self, config: NodeConfig) -> Result<usize> {
		let bootnodes: Vec<String> = self.nodes.iter_mut().filter_map(running_addr).collect();
		let dir = self.dir.path().join(&config.name);
		let chain = self.spec.path().display().to_string();
		let node = Node::start(config, &chain, &dir, &bootnodes).await?;
		self.nodes.push(node);
		Ok(self.nodes.len() - 1)
	}

	/// Node `index`.
	pub fn node(&self, index: usize) -> &Node {
		&self.nodes[index]
	}

	/// The directory the spec and every node's data are in.
	pub fn dir(&self) -> &Path {
		self.dir.path()
	}

	/// Every node, running or not.
	pub fn nodes(&self) -> &[Node] {
		&self.nodes
	}

	/// Kill node `index` abruptly; its data stays for a restart.
	pub async fn kill(&mut self, index: usize) {
		self.nodes[index].kill().await;
	}

	/// Restart node `index` on its old data, bootstrapping from the running nodes.
	pub async fn restart(&mut self, index: usize) -> Result<()> {
		let bootnodes: Vec<String> = self
			.nodes
			.iter_mut()
			.enumerate()
			.filter(|(i, _)| *i != index)
			.filter_map(|(_, node)| running_addr(node))
			.collect();
		self.nodes[index].restart(&bootnodes).await
	}

	/// Restart node `index` on its old data with `extra_args` in place of its extra
	/// command-line arguments (`--no-grandpa`, say), bootstrapping from the running nodes.
	pub async fn restart_with(&mut self, index: usize, extra_args: Vec<String>) -> Result<()> {
		self.nodes[index].set_extra_args(extra_args);
		self.restart(index).await
	}

	/// Indices of the nodes whose processes are alive.
	pub fn running(&mut self) -> Vec<usize> {
		(0..self.nodes.len()).filter(|i| self.nodes[*i].is_running()).collect()
	}

	/// Wait until every running node has finalized block `number`.
	pub async fn wait_finalized(&mut self, number: u32, timeout: Duration) -> Result<()> {
		let running = self.running();
		let rpcs: Vec<_> = running.iter().map(|i| self.nodes[*i].rpc().clone()).collect();
		wait::until(&format!("nodes {running:?} to finalize #{number}"), timeout, || {
			let rpcs = rpcs.clone();
			async move {
				for rpc in &rpcs {
					if rpc.finalized_number().await? < number {
						return Ok(None);
					}
				}
				Ok(Some(()))
			}
		})
		.await
	}

	/// The lowest finalized number among the running nodes.
	pub async fn min_finalized(&mut self) -> Result<u32> {
		let mut min = u32::MAX;
		for i in self.running() {
			min = min.min(self.nodes[i].rpc().finalized_number().await?);
		}
		Ok(min)
	}

	/// Keep the directory (and so every node's data and log) after the network is dropped;
	/// returns where it is.
	pub fn keep_dir(self) -> PathBuf {
		let Network { dir, nodes, .. } = self;
		drop(nodes);
		dir.keep()
	}

	/// The last log lines of every node, for a failing test's report.
	pub fn logs(&self, lines: usize) -> String {
		self.nodes
			.iter()
			.map(|n| format!("---- {} ----\n{}", n.name(), n.log_tail(lines)))
			.collect::<Vec<_>>()
			.join("\n")
	}
}

fn running_addr(node: &mut Node) -> Option<String> {
	node.is_running().then(|| node.multiaddr())
}
