//! `cohort-worker` processes: each with a dev key, its own store directory and loopback
//! libp2p addresses, talking to a node's RPC port. Their stdout (one JSON result per line, as
//! `--json` prints) and stderr (logs) are collected for the test to read.

use crate::{worker_binary, Error, Result};
use serde_json::Value;
use std::{
	io::Write,
	path::{Path, PathBuf},
	process::Stdio,
	sync::{Arc, Mutex},
	time::Duration,
};
use tokio::{
	io::{AsyncBufReadExt, AsyncRead, BufReader},
	process::{Child, Command},
	sync::mpsc,
	task::JoinHandle,
};

/// The GFLOP/s a harness worker declares unless its test says otherwise.
pub const DECLARED_GFLOPS: u32 = 100;

/// Where a worker process runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
	/// The dev account: `Bob` signs with `//Bob`, `Bob//stash` with `//Bob//stash`.
	pub who: String,
	/// Its RocksDB store.
	pub store: PathBuf,
	/// The node's WebSocket URL.
	pub node: String,
	/// Its libp2p TCP port on loopback, fixed across restarts as a real worker's would be.
	pub port: u16,
	/// The port its `run` loop serves Prometheus metrics on (see [`WorkerConfig::metrics`]).
	pub metrics_port: u16,
	/// Its `--device` for every command, `register` included (`None`: the CPU).
	pub device: Option<String>,
	/// The GFLOP/s it registers with. Every harness worker shares this machine, whose speed
	/// measured under the other processes' load is noise, so each declares the same unless
	/// a test says otherwise.
	pub gflops: u32,
	/// Its `--throttle` for every command: it trains this many times slower.
	pub throttle: Option<f64>,
	/// The NAT testbed host it runs on (`None`: this machine's loopback): it then listens on
	/// every address of the host, on TCP and QUIC at [`WorkerConfig::port`].
	pub host: Option<crate::nat::Host>,
}

impl WorkerConfig {
	/// `who` with a store under `dir` and a free libp2p port, on the node whose RPC port is
	/// `rpc_port`.
	pub fn new(who: &str, dir: &Path, rpc_port: u16) -> Result<Self> {
		Ok(Self {
			who: who.into(),
			store: dir.join(format!("worker-{}", who.to_lowercase().replace("//", "-"))),
			node: format!("ws://127.0.0.1:{rpc_port}"),
			port: crate::free_port()?,
			metrics_port: crate::free_port()?,
			device: None,
			gflops: DECLARED_GFLOPS,
			throttle: None,
			host: None,
		})
	}

	/// The `--metrics` argument that serves this worker's metrics where
	/// [`WorkerConfig::metrics`] reads them.
	pub fn metrics_arg(&self) -> String {
		format!("--metrics=127.0.0.1:{}", self.metrics_port)
	}

	/// The metrics of this worker's process started with [`WorkerConfig::metrics_arg`].
	pub async fn metrics(&self) -> Result<String> {
		crate::metrics::scrape(self.metrics_port, &self.who).await
	}

	/// The file its commands' logs are appended to: beside its store, `<store>.log`.
	pub fn log_path(&self) -> PathBuf {
		self.store.with_extension("log")
	}

	fn command(&self, args: &[&str]) -> Command {
		let (mut command, listen) = match &self.host {
			None => {
				(Command::new(worker_binary()), vec![format!("/ip4/127.0.0.1/tcp/{}", self.port)])
			}
			Some(host) => (
				host.command(&worker_binary()),
				vec![
					format!("/ip4/0.0.0.0/tcp/{}", self.port),
					format!("/ip4/0.0.0.0/udp/{}/quic-v1", self.port),
				],
			),
		};
		command
			.args(["--json", "--suri", &format!("//{}", self.who), "--node", &self.node])
			.arg("--store")
			.arg(&self.store)
			.args(listen.iter().flat_map(|addr| ["--listen", addr]))
			.args(self.device.iter().flat_map(|device| ["--device", device]))
			.args(self.throttle.iter().flat_map(|factor| ["--throttle".into(), factor.to_string()]))
			.args(args)
			.env("RUST_LOG", "info,libp2p=warn")
			.env("NO_COLOR", "1")
			// An error's message, not a backtrace, ends the log the test reports.
			.env("RUST_BACKTRACE", "0")
			.stdin(Stdio::null())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.kill_on_drop(true);
		command
	}
}

/// The account dev name `who` signs as (`Bob` is `//Bob`, `Bob//stash` is `//Bob//stash`).
pub fn account_of(who: &str) -> sp_runtime::AccountId32 {
	use sp_core::{sr25519::Pair, Pair as _};
	let pair = Pair::from_string(&format!("//{who}"), None).expect("a valid derivation path");
	pair.public().into()
}

/// A running `cohort-worker` command.
pub struct WorkerProcess {
	name: String,
	child: Child,
	stdout: mpsc::UnboundedReceiver<String>,
	log: Arc<Mutex<Vec<String>>>,
	/// Reads stderr into `log` until the process closes it.
	stderr: Option<JoinHandle<()>>,
}

fn collect(
	reader: impl AsyncRead + Unpin + Send + 'static,
	mut into: impl FnMut(String) + Send + 'static,
) -> JoinHandle<()> {
	tokio::spawn(async move {
		let mut lines = BufReader::new(reader).lines();
		while let Ok(Some(line)) = lines.next_line().await {
			into(line);
		}
	})
}

impl WorkerProcess {
	/// Start `cohort-worker <args>` as `config.who`.
	pub fn spawn(config: &WorkerConfig, args: &[&str]) -> Result<Self> {
		let name = format!("{} {}", config.who, args.first().unwrap_or(&""));
		let mut child = config.command(args).spawn().map_err(|source| Error::Spawn {
			binary: worker_binary().display().to_string(),
			source,
		})?;
		let (lines, stdout) = mpsc::unbounded_channel();
		let log = Arc::new(Mutex::new(Vec::new()));
		collect(child.stdout.take().expect("piped"), move |line| {
			let _ = lines.send(line);
		});
		let sink = log.clone();
		// Kept beside the store too (appended to by every command run on it), as a node's
		// `node.log` is kept in its directory: a run left going with `--keep`, or a failed
		// test's directory, can be read whole.
		let mut file = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(config.log_path())
			.map_err(|source| Error::Io { context: "opening a worker's log".into(), source })?;
		let stderr = collect(child.stderr.take().expect("piped"), move |line| {
			let _ = writeln!(file, "{line}");
			sink.lock().expect("not poisoned").push(line);
		});
		Ok(Self { name, child, stdout, log, stderr: Some(stderr) })
	}

	/// The last `lines` lines of its log.
	pub fn log_tail(&self, lines: usize) -> String {
		let log = self.log.lock().expect("not poisoned");
		log[log.len().saturating_sub(lines)..].join("\n")
	}

	fn failed(&self, what: &str) -> Error {
		Error::Worker { name: self.name.clone(), what: what.into(), log_tail: self.log_tail(30) }
	}

	/// The next line it prints on stdout, as JSON.
	pub async fn json_line(&mut self, timeout: Duration) -> Result<Value> {
		match tokio::time::timeout(timeout, self.stdout.recv()).await {
			Ok(Some(line)) => {
				serde_json::from_str(&line).map_err(|_| self.failed(&format!("printed {line:?}")))
			}
			Ok(None) => Err(self.failed("exited without printing a result")),
			Err(_) => Err(self.failed("printed no result in time")),
		}
	}

	/// Wait until a log line contains `needle`.
	pub async fn wait_log(&self, needle: &str, timeout: Duration) -> Result<()> {
		crate::wait::until(&format!("{} to log {needle:?}", self.name), timeout, || async {
			Ok(self
				.log
				.lock()
				.expect("not poisoned")
				.iter()
				.any(|l| l.contains(needle))
				.then_some(()))
		})
		.await
		.map_err(|_| self.failed(&format!("never logged {needle:?}")))
	}

	/// Kill it (SIGKILL: no chance to clean up, as in a crash).
	pub async fn kill(&mut self) {
		let _ = self.child.kill().await;
	}

	/// Wait for it to exit successfully.
	pub async fn success(&mut self, timeout: Duration) -> Result<()> {
		match tokio::time::timeout(timeout, self.child.wait()).await {
			Ok(Ok(status)) if status.success() => Ok(()),
			Ok(Ok(status)) => {
				// Its last words (the error) may still be in the pipe: read them first.
				if let Some(stderr) = self.stderr.take() {
					let _ = tokio::time::timeout(Duration::from_secs(5), stderr).await;
				}
				Err(self.failed(&format!("exited with {status}")))
			}
			Ok(Err(_)) | Err(_) => Err(self.failed("did not exit in time")),
		}
	}
}

/// Run a one-shot command (`register`, `bounty status`, …) to success and return its JSON.
pub async fn run_once(config: &WorkerConfig, args: &[&str], timeout: Duration) -> Result<Value> {
	let mut process = WorkerProcess::spawn(config, args)?;
	let json = process.json_line(timeout).await?;
	process.success(timeout).await?;
	Ok(json)
}
