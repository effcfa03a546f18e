//! Two `cohort-worker` processes exchange a dataset over libp2p on loopback: one publishes and
//! serves, the other finds it through the DHT, checks it against its root and writes it.

use cohort_tests::worker_binary;
use serde_json::Value;
use std::{path::Path, process::Stdio, time::Duration};
use tokio::{
	io::{AsyncBufReadExt, BufReader},
	process::{Child, Command},
};

const TIMEOUT: Duration = Duration::from_secs(60);

fn worker(dir: &Path, who: &str, args: &[&str]) -> Command {
	let mut command = Command::new(worker_binary());
	command
		.args(["--json", "--suri", &format!("//{who}")])
		.arg("--store")
		.arg(dir.join(who))
		.args(["--listen", "/ip4/127.0.0.1/tcp/0,/ip4/127.0.0.1/udp/0/quic-v1"])
		.args(args)
		.env("RUST_LOG", "warn")
		.stdout(Stdio::piped())
		.kill_on_drop(true);
	command
}

/// Start `dataset publish` and read the JSON line it prints once it serves.
async fn publisher(dir: &Path, dataset: &str) -> (Child, Value) {
	let mut child = worker(dir, "Alice", &["dataset", "publish", dataset]).spawn().unwrap();
	let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
	let line = tokio::time::timeout(TIMEOUT, lines.next_line())
		.await
		.expect("the publisher printed nothing in time")
		.unwrap()
		.expect("the publisher exited without printing");
	(child, serde_json::from_str(&line).unwrap())
}

async fn fetch(dir: &Path, root: &str, bootstrap: &str, out: &Path) -> std::process::Output {
	let child = worker(dir, "Bob", &["dataset", "fetch", root, "--bootstrap", bootstrap])
		.arg("--out")
		.arg(out)
		.stderr(Stdio::piped())
		.spawn()
		.unwrap();
	tokio::time::timeout(TIMEOUT, child.wait_with_output())
		.await
		.expect("the fetch did not finish in time")
		.unwrap()
}

#[tokio::test]
async fn a_dataset_published_by_one_process_is_fetched_by_another() {
	let dir = tempfile::TempDir::new().unwrap();
	let file = dir.path().join("corpus.txt");
	let bytes: Vec<u8> = (0..200_000u32).map(|i| b"abcdefghij"[(i * 7 % 10) as usize]).collect();
	std::fs::write(&file, &bytes).unwrap();

	let (mut serving, published) = publisher(dir.path(), file.to_str().unwrap()).await;
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

	let out = dir.path().join("fetched.txt");
	let fetched = fetch(dir.path(), &root, &tcp, &out).await;
	assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
	assert_eq!(std::fs::read(&out).unwrap(), bytes);
	let report: Value = serde_json::from_slice(&fetched.stdout).unwrap();
	assert_eq!(report["root"], root.as_str());

	// A root nobody serves is an error that says so, and writes nothing.
	let unknown = format!("0x{}", "ab".repeat(32));
	let missing = dir.path().join("missing.txt");
	let failed = fetch(dir.path(), &unknown, &tcp, &missing).await;
	assert!(!failed.status.success());
	let stderr = String::from_utf8_lossy(&failed.stderr);
	assert!(stderr.contains("no peer provides blob"), "{stderr}");
	assert!(!missing.exists());

	serving.kill().await.unwrap();
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
