//! One of issue 5's fault tests: with a validator's node killed (SIGKILL) while a bounty is in
//! flight, the dispute it opens still settles. Every agreeing shard is audited, so the round
//! opens a dispute while Dave is down; Alice's, Bob's and Charlie's verifiers hold three
//! quarters of the stake, more than the two thirds a verdict needs, and settle it. Dave's
//! seal never comes, so sealing lasts the whole vote window before the three open theirs.

use cohort_tests::{
	deployment::{Deployment, ACCOUNTS, SMALL_MLP},
	wait, NetworkConfig,
};
use serde_json::{json, Value};
use std::time::Duration;

const STEP: Duration = Duration::from_secs(180);

#[tokio::test]
async fn a_dispute_settles_with_a_validator_down() {
	let _nodes = crate::training_test(135).await;
	let mut deployment =
		Deployment::start(NetworkConfig::local(), &ACCOUNTS[..2], "100").await.unwrap();
	let rpc = deployment.network().node(0).rpc().clone();
	let submit = [
		"--rounds",
		"1",
		"--shards",
		"1",
		"--replication",
		"2",
		"--steps",
		"5",
		"--phases",
		"20,10,20,12,6",
		"--audit-rate",
		"1",
	];
	let submit = [&SMALL_MLP[..], &submit].concat();
	let (serving, submitted) = deployment.submit("Ferdie//stash", &submit).await.unwrap();
	assert_eq!(submitted["bounty"], 0, "{submitted}");

	wait::until("the round to start", STEP, || async {
		let b: Value = rpc.call("cohort_bounty", vec![json!(0)]).await?;
		Ok((b["phase"] == "training").then_some(()))
	})
	.await
	.unwrap();
	deployment.network_mut().kill(3).await;

	let done = deployment.wait_closed(0, STEP * 2).await.unwrap();
	assert_eq!(done["status"], "completed", "{done}");

	let disputes: Vec<Value> = rpc.call("cohort_disputes", vec![json!(0)]).await.unwrap();
	assert_eq!(disputes.len(), 1, "{disputes:?}");
	let dispute = &disputes[0];
	assert_eq!(dispute["reason"], "audit", "{dispute}");
	assert_eq!(dispute["status"]["settled"]["correct"], dispute["candidates"][0]["root"]);
	let dave = sp_keyring::Sr25519Keyring::Dave.to_account_id().to_string();
	let voters: Vec<&Value> = dispute["votes"].as_array().unwrap().iter().collect();
	assert!(voters.iter().all(|v| v["voter"] != dave), "Dave was down: {dispute}");
	assert_eq!(voters.len(), 3, "{dispute}");
	drop(serving);
}
