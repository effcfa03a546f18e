//! # Cohort local-network harness
//!
//! Starts real `cohort-node` processes on loopback ports chosen at run time, each in its own
//! temporary directory with its own RocksDB, wires them together, and talks to them over
//! JSON-RPC. Every wait is bounded; every process is killed and every directory removed when
//! the [`Network`] is dropped.
//!
//! - [`node`]: one node process: start, kill, restart, logs.
//! - [`network`]: a set of nodes from one chain spec, and the spec itself.
//! - [`rpc`]: typed JSON-RPC calls.
//! - [`tx`]: signed extrinsics, submitted as any client would, and their outcome.
//! - [`wait`]: polling with deadlines.
//! - [`metrics`]: Prometheus metrics of nodes and workers.
//! - [`worker`]: `cohort-worker` processes.
//! - [`deployment`]: validators with their verifiers and registered workers, all running.
//! - [`nat`]: network namespaces behind kernel NATs, for workers that are not on loopback.
//! - [`proxy`]: a TCP proxy whose connections can be frozen, for clients of a stuck node.
//!
//! The `cohort-localnet` binary puts the same harness in people's hands.

#![warn(missing_docs)]

pub mod deployment;
pub mod metrics;
pub mod nat;
pub mod network;
pub mod node;
pub mod proxy;
pub mod rpc;
pub mod tx;
pub mod wait;
pub mod worker;

pub use network::{ChainSpecFile, Network, NetworkConfig};
pub use node::{Node, NodeConfig};
pub use rpc::Rpc;
pub use worker::{WorkerConfig, WorkerProcess};

use std::time::Duration;

/// What can go wrong while driving a network.
#[derive(Debug, thiserror::Error)]
// Each variant's message names its fields.
#[allow(missing_docs)]
pub enum Error {
	/// The node binary is missing or could not be started.
	#[error("cannot start {binary}: {source}")]
	Spawn {
		binary: String,
		#[source]
		source: std::io::Error,
	},
	/// A file or directory operation failed.
	#[error("{context}: {source}")]
	Io {
		context: String,
		#[source]
		source: std::io::Error,
	},
	/// A JSON-RPC call failed.
	#[error("RPC {method} on {url}: {message}")]
	Rpc { url: String, method: String, message: String },
	/// A condition was not met in time.
	#[error("timed out after {after:?} waiting for {what}")]
	Timeout { what: String, after: Duration },
	/// A node process exited when it should be running.
	#[error("node {name} exited ({status}); last log lines:\n{log_tail}")]
	NodeExited { name: String, status: String, log_tail: String },
	/// A worker process failed.
	#[error("cohort-worker {name}: {what}; last log lines:\n{log_tail}")]
	Worker { name: String, what: String, log_tail: String },
	/// A chain spec could not be produced or understood.
	#[error("chain spec: {0}")]
	Spec(String),
	/// A transaction was refused by the pool or failed in its block.
	#[error("transaction {0}")]
	Transaction(String),
}

/// Result of harness operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A free TCP port on 127.0.0.1, as the OS hands it out, and never one this process handed
/// out before. The OS may give the port it just freed to the next probe: a node once got the
/// same port for its RPC and its Prometheus endpoint, so RPC fell back to a random port and
/// the test waited on Prometheus's until it timed out. Another process could still take a
/// port before the node binds it; nodes are started one by one, which keeps that window small.
pub fn free_port() -> Result<u16> {
	static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
		std::sync::Mutex::new(std::collections::BTreeSet::new());
	// Probes of ports handed out before stay bound until one is new, so none comes twice.
	let mut taken = Vec::new();
	loop {
		let listener = std::net::TcpListener::bind("127.0.0.1:0")
			.map_err(|source| Error::Io { context: "binding a probe port".into(), source })?;
		let port = listener
			.local_addr()
			.map_err(|source| Error::Io { context: "reading a probe port".into(), source })?
			.port();
		if HANDED_OUT.lock().expect("not poisoned").insert(port) {
			return Ok(port);
		}
		taken.push(listener);
	}
}

/// The `cohort-node` binary: `$COHORT_NODE` if set, else the one beside this executable in
/// the cargo target directory (`target/debug/cohort-node` for `target/debug/deps/test-…`).
pub fn node_binary() -> std::path::PathBuf {
	binary("cohort-node", "COHORT_NODE")
}

/// The `cohort-worker` binary: `$COHORT_WORKER` if set, else the one beside this executable.
pub fn worker_binary() -> std::path::PathBuf {
	binary("cohort-worker", "COHORT_WORKER")
}

fn binary(name: &str, env: &str) -> std::path::PathBuf {
	if let Some(path) = std::env::var_os(env) {
		return path.into();
	}
	let exe = std::env::current_exe().expect("the current executable has a path");
	let mut dir = exe.parent().expect("an executable lives in a directory").to_path_buf();
	if dir.ends_with("deps") {
		dir.pop();
	}
	dir.join(name)
}

#[cfg(test)]
mod tests {
	use super::free_port;
	use std::collections::HashSet;

	#[test]
	fn no_port_is_handed_out_twice() {
		let mut seen = HashSet::new();
		for _ in 0..500 {
			assert!(seen.insert(free_port().unwrap()), "a port was handed out twice");
		}
	}
}
