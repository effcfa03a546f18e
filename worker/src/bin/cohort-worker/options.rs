//! The options every command shares, from flags, environment variables (`COHORT_*`) and an
//! optional TOML file, in that order of precedence.

use anyhow::{bail, Context, Result};
use clap::Args;
use cohort_worker::{keys::Keys, p2p, trainer::Backend};
use libp2p::Multiaddr;
use serde::Deserialize;
use std::{
	net::SocketAddr,
	path::{Path, PathBuf},
};

/// Options shared by every command.
#[derive(Args, Debug, Default)]
pub struct GlobalArgs {
	/// A TOML file with defaults for the options below (same names, `kebab-case`).
	#[arg(long, global = true, env = "COHORT_CONFIG")]
	pub config: Option<PathBuf>,
	/// The node's WebSocket RPC URL [default: ws://127.0.0.1:9944].
	#[arg(long, global = true, env = "COHORT_NODE_URL")]
	pub node: Option<String>,
	/// The key file (see `keys generate`).
	#[arg(long, global = true, env = "COHORT_KEYS", conflicts_with = "suri")]
	pub keys: Option<PathBuf>,
	/// A secret URI instead of a key file, for development: `//Alice`.
	#[arg(long, global = true, env = "COHORT_SURI")]
	pub suri: Option<String>,
	/// The RocksDB store directory [default: ./cohort-worker-data].
	#[arg(long, global = true, env = "COHORT_STORE")]
	pub store: Option<PathBuf>,
	/// libp2p listen addresses [default: /ip4/0.0.0.0/tcp/0 and /ip4/0.0.0.0/udp/0/quic-v1].
	#[arg(long, global = true, env = "COHORT_LISTEN", value_delimiter = ',')]
	pub listen: Vec<Multiaddr>,
	/// Peers to join the network through, each ending in /p2p/<peer id>.
	#[arg(long, global = true, env = "COHORT_BOOTSTRAP", value_delimiter = ',')]
	pub bootstrap: Vec<Multiaddr>,
	/// Relays to listen through when behind NAT, each ending in /p2p/<peer id>.
	#[arg(long, global = true, env = "COHORT_RELAY", value_delimiter = ',')]
	pub relay: Vec<Multiaddr>,
	/// Serve as a relay for peers behind NAT (needs a public address).
	#[arg(long, global = true, env = "COHORT_RELAY_SERVER")]
	pub relay_server: bool,
	/// Serve Prometheus metrics on this address (`127.0.0.1:9616`).
	#[arg(long, global = true, env = "COHORT_METRICS")]
	pub metrics: Option<SocketAddr>,
	/// Where to train: cpu, cuda or cuda:N (a GPU needs a build with `--features cuda`;
	/// test builds also take `emulated`, a CPU class of its own) [default: cpu].
	#[arg(long, global = true, env = "COHORT_DEVICE")]
	pub device: Option<String>,
	/// Act as a device FACTOR times slower than this one, to try a network of mixed
	/// hardware on one machine: `register` declares the measured GFLOP/s divided by FACTOR,
	/// and each shard `run` trains keeps the device busy FACTOR times as long [default: 1].
	#[arg(long, global = true, env = "COHORT_THROTTLE", value_parser = slowdown)]
	pub throttle: Option<f64>,
	/// Print results as JSON.
	#[arg(long, global = true)]
	pub json: bool,
}

/// The TOML file's form.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileConfig {
	node: Option<String>,
	keys: Option<PathBuf>,
	suri: Option<String>,
	store: Option<PathBuf>,
	#[serde(default)]
	listen: Vec<String>,
	#[serde(default)]
	bootstrap: Vec<String>,
	#[serde(default)]
	relay: Vec<String>,
	#[serde(default)]
	relay_server: bool,
	metrics: Option<SocketAddr>,
	device: Option<String>,
	throttle: Option<f64>,
}

/// The options after flags, environment and file are merged. (Not `Settings`: that is how
/// one shard is trained, [`cohort_worker::trainer::Settings`].)
#[derive(Debug)]
pub struct Options {
	pub node: String,
	keys: Option<PathBuf>,
	suri: Option<String>,
	pub store: PathBuf,
	pub p2p: p2p::Config,
	pub metrics: Option<SocketAddr>,
	device: String,
	throttle: f64,
	pub json: bool,
}

/// A `--throttle` factor: from 1 to 1000.
fn slowdown(text: &str) -> Result<f64, String> {
	match text.parse::<f64>() {
		Ok(factor) if (1.0..=1000.0).contains(&factor) => Ok(factor),
		_ => Err(format!("{text:?} is not a factor from 1 to 1000")),
	}
}

fn addrs(what: &str, path: &Path, values: Vec<String>) -> Result<Vec<Multiaddr>> {
	values
		.into_iter()
		.map(|v| {
			v.parse()
				.with_context(|| format!("{}: {what} {v:?} is not a multiaddr", path.display()))
		})
		.collect()
}

impl Options {
	/// Merge `args` over the TOML file they name, over the defaults.
	pub fn load(args: GlobalArgs) -> Result<Self> {
		let file = match &args.config {
			Some(path) => {
				let text = std::fs::read_to_string(path)
					.with_context(|| format!("cannot read config file {}", path.display()))?;
				let file: FileConfig = toml::from_str(&text)
					.with_context(|| format!("config file {}", path.display()))?;
				(file, path.clone())
			}
			None => (FileConfig::default(), PathBuf::new()),
		};
		let (file, path) = file;
		let either = |flag: Vec<Multiaddr>, what, values| -> Result<Vec<Multiaddr>> {
			if flag.is_empty() {
				addrs(what, &path, values)
			} else {
				Ok(flag)
			}
		};
		let defaults = p2p::Config::default();
		let listen = either(args.listen, "listen", file.listen)?;
		let p2p = p2p::Config {
			listen: if listen.is_empty() { defaults.listen.clone() } else { listen },
			bootstrap: either(args.bootstrap, "bootstrap", file.bootstrap)?,
			relays: either(args.relay, "relay", file.relay)?,
			relay_server: args.relay_server || file.relay_server,
			..defaults
		};
		if args.keys.is_none() && args.suri.is_none() && file.keys.is_some() && file.suri.is_some()
		{
			bail!("{}: set either keys or suri, not both", path.display());
		}
		let (keys, suri) = match (args.keys, args.suri) {
			(None, None) => (file.keys, file.suri),
			given => given,
		};
		Ok(Self {
			node: args.node.or(file.node).unwrap_or_else(|| "ws://127.0.0.1:9944".into()),
			keys,
			suri,
			store: args.store.or(file.store).unwrap_or_else(|| "cohort-worker-data".into()),
			p2p,
			metrics: args.metrics.or(file.metrics),
			device: args.device.or(file.device).unwrap_or_else(|| "cpu".into()),
			throttle: match file.throttle {
				Some(factor) if args.throttle.is_none() => slowdown(&factor.to_string())
					.map_err(|e| anyhow::anyhow!("{}: throttle {e}", path.display()))?,
				_ => args.throttle.unwrap_or(1.0),
			},
			json: args.json,
		})
	}

	/// The device to train on, opened.
	pub fn backend(&self) -> Result<Backend> {
		let backend = Backend::open(&self.device)?.slowed(self.throttle);
		tracing::debug!(device = self.device, class = backend.class(), "training device");
		Ok(backend)
	}

	/// The keys: from the key file or the secret URI.
	pub fn keys(&self) -> Result<Keys> {
		match (&self.keys, &self.suri) {
			(Some(path), _) => Ok(Keys::load(path)?),
			(None, Some(suri)) => Ok(Keys::from_secret_uri(suri)?),
			(None, None) => {
				bail!("no keys: pass --keys FILE (see `cohort-worker keys generate`) or --suri //Alice")
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
		let dir = tempfile::TempDir::new().unwrap();
		let path = dir.path().join("cohort-worker.toml");
		std::fs::write(&path, text).unwrap();
		(dir, path)
	}

	#[test]
	fn flags_win_over_the_file_which_wins_over_defaults() {
		let (_dir, path) = file(
			"node = \"ws://10.0.0.1:9944\"\nsuri = \"//Bob\"\nstore = \"/srv/cohort\"\n\
			 bootstrap = [\"/ip4/10.0.0.2/tcp/30444/p2p/12D3KooWD4CWer7qoTwtCN8QYoZVMEYjicm26GZbj8yLX8KBgpQf\"]\n",
		);
		let args = GlobalArgs {
			config: Some(path),
			store: Some("/tmp/flag".into()),
			..Default::default()
		};
		let options = Options::load(args).unwrap();
		assert_eq!(options.node, "ws://10.0.0.1:9944");
		assert_eq!(options.store, PathBuf::from("/tmp/flag"));
		assert_eq!(options.p2p.bootstrap.len(), 1);
		assert_eq!(options.p2p.listen, p2p::Config::default().listen);
		assert_eq!(
			options.keys().unwrap().ss58_address(),
			Keys::from_secret_uri("//Bob").unwrap().ss58_address()
		);
		let defaults = Options::load(GlobalArgs::default()).unwrap();
		assert_eq!(defaults.node, "ws://127.0.0.1:9944");
		assert!(defaults.keys().unwrap_err().to_string().contains("no keys"));
	}

	#[test]
	fn bad_files_are_named() {
		let (_dir, path) = file("nodes = \"ws://x\"\n");
		let error = Options::load(GlobalArgs { config: Some(path.clone()), ..Default::default() })
			.unwrap_err();
		assert!(format!("{error:#}").contains("unknown field `nodes`"), "{error:#}");
		let (_dir, path) = file("throttle = 0.5\n");
		let error =
			Options::load(GlobalArgs { config: Some(path), ..Default::default() }).unwrap_err();
		assert!(
			error.to_string().contains("throttle \"0.5\" is not a factor from 1 to 1000"),
			"{error:#}"
		);
		let (_dir, path) = file("bootstrap = [\"not an address\"]\n");
		let error =
			Options::load(GlobalArgs { config: Some(path), ..Default::default() }).unwrap_err();
		assert!(error.to_string().contains("is not a multiaddr"), "{error:#}");
		let missing = GlobalArgs { config: Some("/no/such.toml".into()), ..Default::default() };
		assert!(Options::load(missing)
			.unwrap_err()
			.to_string()
			.contains("cannot read config file"));
	}
}
