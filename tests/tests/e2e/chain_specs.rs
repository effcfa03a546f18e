//! The node starts from every preset and from spec files, and refuses bad ones clearly.

use crate::BLOCKS_TIMEOUT;
use cohort_tests::{node_binary, wait, ChainSpecFile, Node, NodeConfig};
use std::process::Command;

fn full_node(name: &str) -> NodeConfig {
	NodeConfig { name: name.into(), dev_key: None, extra_args: vec![] }
}

#[tokio::test]
async fn dev_chain_produces_and_finalizes_alone() {
	let _nodes = crate::light_test().await;
	let dir = tempfile::tempdir().unwrap();
	let node = Node::start(NodeConfig::dev(), "dev", &dir.path().join("dev"), &[]).await.unwrap();
	wait::until("the dev chain to finalize #3", BLOCKS_TIMEOUT, || async {
		Ok((node.rpc().finalized_number().await? >= 3).then_some(()))
	})
	.await
	.unwrap_or_else(|e| panic!("{e}\n{}", node.log_tail(30)));
	assert_eq!(node.rpc().chain_name().await.unwrap(), "Cohort Development");
}

#[tokio::test]
async fn every_preset_and_a_raw_spec_file_start_a_node() {
	let _nodes = crate::light_test().await;
	let dir = tempfile::tempdir().unwrap();
	for (preset, name) in [("local", "Cohort Local Testnet"), ("testnet", "Cohort Testnet")] {
		let node =
			Node::start(full_node(preset), preset, &dir.path().join(preset), &[]).await.unwrap();
		assert_eq!(node.rpc().chain_name().await.unwrap(), name);
	}
	// The raw spec operators share starts the same chain as the built-in preset.
	let raw = ChainSpecFile::build(&dir.path().join("raw.json"), "local", true, |_| {}).unwrap();
	let from_file = Node::start(
		full_node("from-file"),
		&raw.path().display().to_string(),
		&dir.path().join("from-file"),
		&[],
	)
	.await
	.unwrap();
	let from_preset =
		Node::start(full_node("again"), "local", &dir.path().join("again"), &[]).await.unwrap();
	assert_eq!(
		from_file.rpc().genesis_hash().await.unwrap(),
		from_preset.rpc().genesis_hash().await.unwrap()
	);
}

fn node_fails(args: &[&str]) -> String {
	let output = Command::new(node_binary()).args(args).output().expect("cohort-node runs");
	assert!(!output.status.success(), "cohort-node {args:?} should fail");
	String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn unknown_chain_is_refused_by_name() {
	let stderr = node_fails(&["build-spec", "--chain", "mainnet"]);
	assert!(stderr.contains("unknown chain `mainnet`"), "{stderr}");
	assert!(stderr.contains("dev, local, testnet"), "{stderr}");
}

#[test]
fn malformed_spec_file_is_refused_with_its_path() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("broken.json");
	std::fs::write(&path, "{ \"name\": \"half a spec\"").unwrap();
	let stderr = node_fails(&["build-spec", "--chain", path.to_str().unwrap()]);
	assert!(stderr.contains("broken.json"), "{stderr}");
}
