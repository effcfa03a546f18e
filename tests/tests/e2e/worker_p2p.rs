//! Two `cohort-worker` processes exchange a dataset over libp2p on loopback: one publishes and
//! serves, the other finds it through the DHT, checks it against its root and writes it.

use cohort_tests::{worker::run_once, worker_binary, WorkerConfig, WorkerProcess};
use serde_json::Value;
use std::{path::Path, process::Stdio, time::Duration};
use tokio::process::Command;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A worker that needs no node: dataset commands only talk to peers.
fn worker(dir: &Path, who: &str) -> WorkerConfig {
	WorkerConfig::new(who, dir, 9).unwrap()
}

/// `dataset fetch ROOT` as `bob`, joining the network through `bootstrap`.
async fn fetch(
	bob: &WorkerConfig,
	root: &str,
	bootstrap: &str,
	out: &Path,
) -> cohort_tests::Result<Value> {
	let out = out.to_str().unwrap();
	run_once(bob, &["dataset", "fetch", root, "--bootstrap", bootstrap, "--out", out], TIMEOUT)
		.await
}

#[tokio::test]
async fn a_dataset_published_by_one_process_is_fetched_by_another() {
	let dir = tempfile::TempDir::new().unwrap();
	let file = dir.path().join("corpus.txt");
	let bytes: Vec<u8> = (0..200_000u32).map(|i| b"abcdefghij"[(i * 7 % 10) as usize]).collect();
	std::fs::write(&file, &bytes).unwrap();

	let alice = worker(dir.path(), "Alice");
	let mut serving =
		WorkerProcess::spawn(&alice, &["dataset", "publish", file.to_str().unwrap()]).unwrap();
	let published = serving.json_line(TIMEOUT).await.unwrap();
	assert_eq!(published["bytes"], 200_000);
	let root = published["root"].as_str().unwrap().to_string();
	let tcp = published["addresses"]
		.as_array()
		.unwrap()
		.iter()
		.filter_map(Value::as_str)
		.find(|a| a.contains("/tcp/"))
		.expect("a TCP address")
		.to_string();

	let bob = worker(dir.path(), "Bob");
	let out = dir.path().join("fetched.txt");
	let report = fetch(&bob, &root, &tcp, &out).await.unwrap();
	assert_eq!(std::fs::read(&out).unwrap(), bytes);
	assert_eq!(report["root"], root.as_str());

	// A root nobody serves is an error that says so, and writes nothing.
	let unknown = format!("0x{}", "ab".repeat(32));
	let missing = dir.path().join("missing.txt");
	let error = fetch(&bob, &unknown, &tcp, &missing).await.unwrap_err().to_string();
	assert!(error.contains("no peer provides blob"), "{error}");
	assert!(!missing.exists());

	serving.kill().await;
}

#[tokio::test]
async fn bad_command_lines_are_refused_by_name() {
	let dir = tempfile::TempDir::new().unwrap();
	let run = |args: Vec<String>| {
		let mut command = Command::new(worker_binary());
		command.args(args).stderr(Stdio::piped()).stdout(Stdio::piped());
		command.output()
	};
	let cases = [
		(vec!["train", "--model", "resnet"], "unknown model \"resnet\""),
		(
			vec!["train", "--model", "mlp", "--dataset", "/no/such/file"],
			"cannot read dataset file /no/such/file",
		),
		(
			vec!["--keys", "/no/such/keys.json", "keys", "inspect"],
			"cannot read key file /no/such/keys.json",
		),
		(vec!["--suri", "//Alice", "--node-url-check"], "unexpected argument"),
		// The call `prepare` prints names this process as the data's server.
		(vec!["bounty", "prepare", "--model", "mlp", "--no-serve"], "no --no-serve"),
	];
	for (args, expected) in cases {
		let output = run(args.iter().map(ToString::to_string).collect()).await.unwrap();
		assert!(!output.status.success(), "{args:?} succeeded");
		let stderr = String::from_utf8_lossy(&output.stderr);
		assert!(stderr.contains(expected), "{args:?}: {stderr}");
	}
	// A node that does not answer.
	let output = run(["--suri", "//Alice", "--node", "ws://127.0.0.1:9", "--store"]
		.iter()
		.map(ToString::to_string)
		.chain([dir.path().join("s").display().to_string(), "heartbeat".into()])
		.collect())
	.await
	.unwrap();
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("cannot reach a Cohort node at ws://127.0.0.1:9"), "{stderr}");
}
