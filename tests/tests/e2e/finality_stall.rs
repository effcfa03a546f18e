//! Issue 13's finality stall: validators holding half the stake stop voting GRANDPA (they run
//! `--no-grandpa`) while Aura goes on authoring. Workers act on best blocks, so the workers
//! that committed reveal in time and are paid, the round completes, and nobody is slashed;
//! once the two validators vote again, finality catches up with the whole round. A worker
//! that waited for its commit deadline to be final would never reveal, and lose 10 % of its
//! bond at the reveal deadline.

use cohort_tests::{
	deployment::{Deployment, ACCOUNTS, SMALL_MLP},
	wait, NetworkConfig,
};
use serde_json::{json, Value};
use std::time::Duration;

const STEP: Duration = Duration::from_secs(180);

#[tokio::test]
async fn a_finality_stall_slashes_no_honest_worker() {
	let _nodes = crate::training_test(140).await;
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
		// Audits only where this test asks for them (the CLI audits a class-bound bounty by default).
		"--audit-rate",
		"0",
		// Training must outlast stopping two validators: a round's windows close as soon as
		// every slot has committed and revealed, so a quick shard would finish before the
		// stall. 400 steps take 30 s or more here; the commit window leaves room for twice that.
		"--steps",
		"400",
		"--phases",
		"120,10,120,12,6",
	];
	let submit = [&SMALL_MLP[..], &submit].concat();
	let (serving, submitted) = deployment.submit("Ferdie//stash", &submit).await.unwrap();
	assert_eq!(submitted["bounty"], 0, "{submitted}");

	// Charlie and Dave (half the stake) stop voting: nothing more is finalized. Both stop
	// before either comes back (without GRANDPA), so that the stall begins at once however
	// long a restart takes on a loaded machine: restarting one after the other once let the
	// round finish before the second went down.
	let network = deployment.network_mut();
	for node in [2, 3] {
		network.kill(node).await;
	}
	for node in [2, 3] {
		network.restart_with(node, vec!["--no-grandpa".into()]).await.unwrap();
	}
	let stalled_at = rpc.finalized_number().await.unwrap();

	let done = deployment
		.wait_closed(0, Duration::from_secs(300))
		.await
		.unwrap_or_else(|e| panic!("{e}\n{}", deployment.network().logs(5)));
	assert_eq!(done["status"], "completed", "{done}");
	let round: Value = rpc.call("cohort_round", vec![json!(0), json!(0)]).await.unwrap();
	// The whole round, reveals included, happened while nothing was finalized.
	let reveal_deadline = round["revealDeadline"].as_u64().unwrap();
	let finalized = rpc.finalized_number().await.unwrap();
	assert!(
		u64::from(finalized) < reveal_deadline,
		"finality did not stall: #{finalized} final, reveal deadline #{reveal_deadline}"
	);
	assert!(finalized <= stalled_at + 1, "#{finalized} finalized since the stall at #{stalled_at}");
	for slot in round["shards"][0]["slots"].as_array().unwrap() {
		assert_eq!(slot["outcome"], "accepted", "{round}");
	}
	let workers: Vec<Value> = rpc.call("cohort_workers", vec![]).await.unwrap();
	for worker in &workers {
		assert_eq!(worker["slashed"], "0", "{worker}");
	}
	drop(serving);

	// Both vote again: finality catches up past the round.
	let network = deployment.network_mut();
	for node in [2, 3] {
		network.restart_with(node, vec![]).await.unwrap();
	}
	let best = rpc.best_number().await.unwrap();
	network.wait_finalized(best, STEP).await.unwrap();
	let finalized = rpc.finalized_hash().await.unwrap();
	let bounty: Value = wait::until("the completed bounty to be final", STEP, || async {
		let view: Value = rpc.call("cohort_bounty", vec![json!(0), json!(finalized)]).await?;
		Ok((view["status"] == "completed").then_some(view))
	})
	.await
	.unwrap();
	assert_eq!(bounty["checkpoint"], done["checkpoint"]);
}
