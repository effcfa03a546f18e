//! Issue 17: workers behind real NATs (the kernel's, in network namespaces: `cohort_tests::nat`).
//! A relay on the public segment; Bob behind an endpoint-independent NAT and Charlie behind a
//! symmetric one each publish a blob the size of a reference delta; Dave, behind another
//! endpoint-independent NAT, and Eve, on the public segment, fetch them.
//!
//! - AutoNAT tells Bob and Charlie that nobody can dial them, and each reserves a slot on the
//!   relay (the worker's log says so, with the relayed address).
//! - Dave reaches Bob through the relay, and hole punching (DCUtR) gives them a direct
//!   connection before the blob moves: `dataset fetch` counts every byte as direct.
//! - Through the symmetric NAT no hole can be punched: Dave's fetch from Charlie runs through
//!   the relay, every byte counted as relayed, within the relay's limits.
//! - Eve, public, reaches Bob as well.
//!
//! Then a whole bounty with one worker behind each kind of NAT: the nodes and verifiers run on
//! this machine, which the testbed links to its public segment, the submitter serves the data
//! from a public host, and Eve (endpoint-independent) and Ferdie (symmetric) register their
//! relayed addresses, train, exchange deltas, aggregate and review, and are paid.
//!
//! The machine may refuse namespaces (not root, no `nft`): the test then says so and skips,
//! unless `COHORT_REQUIRE_NAT` is set (as `scripts/test` sets it where it can run), when it
//! fails.

use cohort_tests::{
	deployment::{Deployment, SMALL_MLP},
	nat::{Host, Nat, Testbed},
	wait,
	worker::run_once,
	NetworkConfig, WorkerConfig, WorkerProcess,
};
use serde_json::Value;
use std::{
	path::Path,
	time::{Duration, Instant},
};

const TIMEOUT: Duration = Duration::from_secs(90);
/// A delta of the reference MLP is about 4 MB.
const BLOB_BYTES: usize = 4 << 20;
/// The port every testbed host listens on, TCP and QUIC (each host has its own namespace).
const PORT: u16 = 4001;

/// The testbed, or `None` after saying why the machine cannot have one.
fn testbed() -> Option<Testbed> {
	match Testbed::start() {
		Ok(testbed) => Some(testbed),
		Err(e) if std::env::var_os("COHORT_REQUIRE_NAT").is_some() => {
			panic!("{e} (COHORT_REQUIRE_NAT is set)")
		}
		Err(e) => {
			eprintln!("SKIPPED: {e}");
			None
		}
	}
}

/// `who` on `host`, with a store under `dir` (no node: the dataset commands talk to peers).
fn on(dir: &Path, who: &str, host: Host) -> WorkerConfig {
	let config = WorkerConfig::new(who, dir, 9).unwrap();
	WorkerConfig { host: Some(host), port: PORT, ..config }
}

/// A file of `BLOB_BYTES` bytes no two callers share.
fn blob(dir: &Path, name: &str) -> String {
	let path = dir.join(name);
	let seed = name.bytes().fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(b.into()));
	let bytes: Vec<u8> = (0..BLOB_BYTES as u32)
		.map(|i| (i.wrapping_mul(2_654_435_761) ^ seed).to_le_bytes()[1])
		.collect();
	std::fs::write(&path, bytes).unwrap();
	path.display().to_string()
}

/// Start a relay server on `host` as `who` (publishing a marker file); returns the process
/// and the relay's QUIC address.
async fn start_relay(dir: &Path, who: &str, host: Host) -> (WorkerProcess, String) {
	let config = on(dir, who, host.clone());
	let keys = run_once(&config, &["keys", "inspect"], TIMEOUT).await.unwrap();
	let relay = format!(
		"/ip4/{}/udp/{PORT}/quic-v1/p2p/{}",
		host.address,
		keys["peerId"].as_str().unwrap()
	);
	let marker = dir.join("relay.txt");
	std::fs::write(&marker, b"the relay serves this").unwrap();
	let args = ["--relay-server", "dataset", "publish", marker.to_str().unwrap()];
	let mut process = WorkerProcess::spawn(&config, &args).unwrap();
	process.json_line(TIMEOUT).await.unwrap();
	(process, relay)
}

/// Start `config` publishing `file` through `relay`; wait until AutoNAT has found it behind
/// its NAT and it holds a relay slot. Returns the process, the blob's root and how long the
/// reservation took from the start.
async fn publish_behind_nat(
	config: &WorkerConfig,
	relay: &str,
	file: &str,
) -> (WorkerProcess, String, Duration) {
	let started = Instant::now();
	let args = ["--bootstrap", relay, "--relay", relay, "dataset", "publish", file];
	let mut process = WorkerProcess::spawn(config, &args).unwrap();
	let published = process.json_line(TIMEOUT).await.unwrap();
	let root = published["root"].as_str().unwrap().to_string();
	process.wait_log("AutoNAT: peers cannot dial this one", TIMEOUT).await.unwrap();
	process.wait_log("reachable only through a relay", TIMEOUT).await.unwrap();
	(process, root, started.elapsed())
}

/// `dataset fetch root` as `config`, joining through `relay`; what it printed.
async fn fetch(config: &WorkerConfig, relay: &str, root: &str, out: &Path) -> Value {
	let out = out.to_str().unwrap();
	let args = ["--bootstrap", relay, "dataset", "fetch", root, "--out", out];
	let fetched = run_once(config, &args, TIMEOUT).await.unwrap();
	assert_eq!(fetched["bytes"], BLOB_BYTES, "{fetched}");
	fetched
}

#[tokio::test]
async fn workers_behind_nats_are_reached_through_a_relay_and_directly_where_a_hole_can_be_punched()
{
	let _machine = crate::light_test().await;
	// Declared first, dropped last: every process below stops before its namespace goes.
	let Some(mut testbed) = testbed() else { return };
	let dir = tempfile::TempDir::new().unwrap();
	let dir = dir.path();
	let relay_host = testbed.public_host().unwrap();
	let public = testbed.public_host().unwrap();
	let bob_host = testbed.private_host(Nat::EndpointIndependent).unwrap();
	let charlie_host = testbed.private_host(Nat::Symmetric).unwrap();
	let dave_host = testbed.private_host(Nat::EndpointIndependent).unwrap();

	let (mut relay_process, relay) = start_relay(dir, "Alice", relay_host).await;

	let bob = on(dir, "Bob", bob_host);
	let (_bob, bob_root, bob_reserved) =
		publish_behind_nat(&bob, &relay, &blob(dir, "bob.bin")).await;
	let charlie = on(dir, "Charlie", charlie_host);
	let (_charlie, charlie_root, charlie_reserved) =
		publish_behind_nat(&charlie, &relay, &blob(dir, "charlie.bin")).await;

	// Behind two endpoint-independent NATs: a hole is punched before the blob moves.
	let dave = on(dir, "Dave", dave_host);
	let direct = fetch(&dave, &relay, &bob_root, &dir.join("from-bob.bin")).await;
	assert_eq!(direct["direct"], BLOB_BYTES, "{direct}");
	assert_eq!(direct["relayed"], 0, "{direct}");
	assert_eq!(
		std::fs::read(dir.join("from-bob.bin")).unwrap(),
		std::fs::read(dir.join("bob.bin")).unwrap()
	);

	// Through the symmetric NAT no hole: the relay carries all of it.
	let relayed = fetch(&dave, &relay, &charlie_root, &dir.join("from-charlie.bin")).await;
	assert_eq!(relayed["relayed"], BLOB_BYTES, "{relayed}");
	assert_eq!(relayed["direct"], 0, "{relayed}");

	// A public peer reaches the worker behind the NAT too.
	let eve = on(dir, "Eve", public);
	let from_public = fetch(&eve, &relay, &bob_root, &dir.join("eve-from-bob.bin")).await;

	let megabytes = BLOB_BYTES as f64 / 1e6;
	let rate = |fetched: &Value| megabytes / fetched["seconds"].as_f64().unwrap();
	eprintln!(
		"NAT testbed: relay slot reserved {:.1} s (endpoint-independent) and {:.1} s (symmetric) \
		 after start; {megabytes:.1} MB fetched direct after a hole punch in {:.2} s ({:.1} MB/s), \
		 through the relay in {:.2} s ({:.1} MB/s), by a public peer in {:.2} s",
		bob_reserved.as_secs_f64(),
		charlie_reserved.as_secs_f64(),
		direct["seconds"].as_f64().unwrap(),
		rate(&direct),
		relayed["seconds"].as_f64().unwrap(),
		rate(&relayed),
		from_public["seconds"].as_f64().unwrap(),
	);
	relay_process.kill().await;
}

#[tokio::test]
async fn a_bounty_with_a_worker_behind_each_nat_completes_and_pays_both() {
	let _machine = crate::training_test(155).await;
	let Some(mut testbed) = testbed() else { return };
	let uplink = testbed.uplink().unwrap();
	// Alice's node answers the testbed's hosts at the uplink's address, and keeps every block's
	// state so that the whole run's events can be read.
	let mut network = NetworkConfig::local();
	network.nodes[0]
		.extra_args
		.extend(["--unsafe-rpc-external", "--state-pruning=archive-canonical"].map(String::from));
	let mut deployment = Deployment::start(network, &[], "1000").await.unwrap();
	let node = format!("ws://{uplink}:{}", deployment.network().node(0).rpc_port());
	let dir = deployment.dir().to_path_buf();
	// Not a validator's name: their verifiers' stores are in the same directory.
	let (mut relay_process, relay) = start_relay(&dir, "Two", testbed.public_host().unwrap()).await;
	let through_relay = ["--bootstrap", relay.as_str(), "--relay", relay.as_str()];
	for (who, nat) in [("Eve", Nat::EndpointIndependent), ("Ferdie", Nat::Symmetric)] {
		let host = testbed.private_host(nat).unwrap();
		let config = WorkerConfig { node: node.clone(), ..on(&dir, who, host) };
		deployment.add_configured(config, &through_relay, "1000").await.unwrap();
	}
	// Each registers its relayed address once AutoNAT has found it private and it holds a slot.
	let rpc = deployment.network().node(0).rpc().clone();
	for (config, process) in deployment.workers() {
		process.wait_log("reachable only through a relay", TIMEOUT).await.unwrap();
		let account = cohort_tests::worker::account_of(&config.who).to_string();
		wait::until(&format!("{}'s relayed address in the registry", config.who), TIMEOUT, || {
			let (rpc, account) = (rpc.clone(), account.clone());
			async move {
				let workers: Vec<Value> = rpc.call("cohort_workers", vec![]).await?;
				let relayed = workers
					.iter()
					.filter(|w| w["account"] == account.as_str())
					.any(|w| registered_addresses(w).iter().any(|a| a.contains("/p2p-circuit")));
				Ok(relayed.then_some(()))
			}
		})
		.await
		.unwrap();
	}
	let submitter =
		WorkerConfig { node, ..on(&dir, "Ferdie//stash", testbed.public_host().unwrap()) };
	let submit = [
		"--rounds",
		"2",
		"--shards",
		"2",
		"--replication",
		"1",
		"--audit-rate",
		"0",
		"--steps",
		"20",
		"--phases",
		"20,20,30,20,8",
	];
	let submit = [&SMALL_MLP[..], &submit].concat();
	let done = deployment.run_bounty(&submitter, &submit, Duration::from_secs(400)).await.unwrap();
	assert_eq!(done["status"], "completed", "{done}");

	// Both rounds: each worker trained its shard and was paid; the aggregator fetched the
	// other's delta, and the reviewer both, across the NATs.
	let outcomes = crate::adversaries::outcomes(&rpc).await;
	let context = format!("{outcomes:#?}\n{}", deployment.logs(10));
	for who in ["Eve", "Ferdie"] {
		let account = cohort_tests::worker::account_of(who).to_string();
		for round in 0..2 {
			assert_eq!(outcomes.accepted.get(&(round, account.clone())), Some(&1), "{context}");
		}
		assert!(!outcomes.slashed.contains_key(&account), "{context}");
	}
	assert_eq!(outcomes.results.len(), 2, "{context}");
	relay_process.kill().await;
}

/// The addresses of a `cohort_workers` entry, as text.
fn registered_addresses(worker: &Value) -> Vec<String> {
	let Some(addresses) = worker["addresses"].as_array() else { return Vec::new() };
	addresses
		.iter()
		.filter_map(|address| {
			let bytes = hex::decode(address.as_str()?.trim_start_matches("0x")).ok()?;
			Some(multiaddr::Multiaddr::try_from(bytes).ok()?.to_string())
		})
		.collect()
}
