//! One of issue 5's fault tests: with a validator's node killed (SIGKILL) while a bounty is in
//! flight, the dispute it opens still settles. Every agreeing shard is audited, so the round
//! opens an audit while Dave is down. Its committee is one validator drawn by stake: another
//! one confirms the root alone; Dave, drawn, never votes, and at the deadline the audit is
//! appealed to every validator, where Alice's, Bob's and Charlie's verifiers hold three
//! quarters of the stake, more than the two thirds a verdict needs, and settle it. (Dave's
//! seal never comes, so the appeal's sealing lasts its whole vote window before the three
//! open theirs; a confirmation drawn for a recheck, once in 40, goes the same way.) Either
//! way the honest root stands and Dave votes on nothing.
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
		Deployment::start(NetworkConfig::local(), &ACCOUNTS[..2], "150").await.unwrap();
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
	let dave = sp_keyring::Sr25519Keyring::Dave.to_account_id().to_string();
	let audit = &disputes[0];
	assert_eq!(audit["reason"], "audit", "{disputes:?}");
	assert_eq!(audit["committee"].as_array().map(Vec::len), Some(1), "{audit}");
	let root = &audit["candidates"][0]["root"];
	// Appealed when Dave was drawn (no vote by the deadline), or, once in 40, when its
	// member's confirmation was drawn for a recheck.
	let settled = if audit["status"]["appealed"].is_u64() {
		assert_eq!(disputes.len(), 2, "{disputes:?}");
		let appeal = &disputes[1];
		assert!(appeal["reason"]["appeal"].is_u64(), "{appeal}");
		assert_eq!(appeal["votes"].as_array().map(Vec::len), Some(3), "{appeal}");
		appeal
	} else {
		assert_ne!(audit["committee"][0], dave, "{audit}");
		assert_eq!(disputes.len(), 1, "{disputes:?}");
		assert_eq!(audit["votes"].as_array().map(Vec::len), Some(1), "{audit}");
		audit
	};
	assert_eq!(settled["status"]["settled"]["correct"], *root, "{settled}");
	for dispute in &disputes {
		let voters = dispute["votes"].as_array().unwrap();
		assert!(voters.iter().all(|v| v["voter"] != dave), "Dave was down: {dispute}");
	}
	drop(serving);
}
