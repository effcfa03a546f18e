//! One of issue 5's fault tests: a worker killed (SIGKILL) while it trains its slot misses
//! the round's deadlines, a standby takes the slot over with fresh deadlines and is paid, and
//! the killed worker, restarted on its store, rejoins (heartbeats, takes later slots) without
//! committing for the slot it lost; nobody commits twice. The killed worker loses only the
//! 1 % a slot neither committed nor declined costs (a worker that is up never pays it);
//! nobody else is slashed.

use cohort_runtime::RuntimeEvent;
use cohort_tests::{
	deployment::{Deployment, ACCOUNTS},
	wait,
	worker::account_of,
	NetworkConfig, Rpc, WorkerProcess,
};
use pallet_training::Event as Training;
use serde_json::{json, Value};
use std::{collections::BTreeMap, time::Duration};

const STEP: Duration = Duration::from_secs(180);
const MODEL: &str = r#"{"model":"charTransformer","context":32,"dModel":32,"layers":1,"heads":4}"#;

/// (round, shard, worker) → how many `Committed` events, from genesis to the best block.
async fn commits(rpc: &Rpc) -> BTreeMap<(u32, u32, String), u32> {
	let mut commits = BTreeMap::new();
	for number in 1..=rpc.best_number().await.unwrap() {
		let hash = rpc.block_hash(number).await.unwrap().unwrap();
		for record in rpc.events(hash).await.unwrap() {
			if let RuntimeEvent::Training(Training::Committed { round, shard, worker, .. }) =
				record.event
			{
				*commits.entry((round, shard, worker.to_string())).or_default() += 1;
			}
		}
	}
	commits
}

#[tokio::test]
async fn a_killed_worker_is_replaced_by_a_standby_and_rejoins_without_a_double_commit() {
	let _nodes = crate::training_test(130).await;
	// Alice's node keeps every block's state, so that the run's events can all be read at the
	// end (more blocks than a pruned node keeps, with the standby's extra windows).
	let mut network = NetworkConfig::local();
	network.nodes[0].extra_args.push("--state-pruning=archive-canonical".into());
	let mut deployment = Deployment::start(network, &ACCOUNTS[..4], "150").await.unwrap();
	let rpc = deployment.network().node(0).rpc().clone();
	// One worker holds the shard, the other three stand by. (A standby only takes a slot in a
	// shard nobody has revealed in: a revealed root could otherwise be copied.)
	let submit = [
		"--model",
		MODEL,
		"--dataset",
		"builtin:shakespeare",
		"--rounds",
		"3",
		"--shards",
		"1",
		"--replication",
		"1",
		// Audits only where this test asks for them (the CLI audits a class-bound bounty by default).
		"--audit-rate",
		"0",
		// Long enough to train that the kill lands before the seal.
		"--steps",
		"40",
		"--phases",
		"30,15,30,12,6",
	];
	let (serving, submitted) = deployment.submit("Ferdie//stash", &submit).await.unwrap();
	assert_eq!(submitted["bounty"], 0, "{submitted}");

	// Kill the first assigned worker as it starts training round 0's shard: before it seals.
	let round0 = wait::until("round 0 to be assigned", STEP, || async {
		let round: Value = rpc.call("cohort_round", vec![json!(0), json!(0)]).await?;
		Ok((!round.is_null()).then_some(round))
	})
	.await
	.unwrap();
	let victim = round0["shards"][0]["slots"][0]["worker"].as_str().unwrap().to_string();
	let index = deployment
		.workers()
		.iter()
		.position(|(config, _)| account_of(&config.who).to_string() == victim)
		.expect("the victim is one of the workers");
	let (config, process) = &mut deployment.workers_mut()[index];
	process.wait_log("training", STEP).await.unwrap();
	process.kill().await;
	let config = config.clone();

	// A standby takes the slot; then the victim comes back on its store.
	let standby = wait::until("a standby to take the slot", STEP, || async {
		let round: Value = rpc.call("cohort_round", vec![json!(0), json!(0)]).await?;
		let slots = round["shards"][0]["slots"].as_array().cloned().unwrap_or_default();
		Ok(slots.into_iter().find(|slot| slot["replaced"] == json!(victim)))
	})
	.await
	.unwrap_or_else(|e| panic!("{e}\n{}", deployment.logs(10)));
	let restarted_at = rpc.best_number().await.unwrap();
	let restarted = WorkerProcess::spawn(&config, &["run"]).unwrap();
	deployment.workers_mut()[index].1 = restarted;

	let done = deployment.wait_closed(0, Duration::from_secs(600)).await.unwrap();
	assert_eq!(done["status"], "completed", "{done}");
	drop(serving);

	// Round 0: the standby's work is accepted in the victim's place.
	let round0: Value = rpc.call("cohort_round", vec![json!(0), json!(0)]).await.unwrap();
	let slots = round0["shards"][0]["slots"].as_array().unwrap();
	assert!(slots.iter().all(|slot| slot["worker"] != json!(victim)), "{round0}");
	let taken = slots.iter().find(|slot| slot["replaced"] == json!(victim)).unwrap();
	assert_eq!(taken["worker"], standby["worker"]);
	assert_eq!(taken["outcome"], "accepted", "{round0}");

	// Nobody committed twice for one slot, and the victim never for the slot it lost.
	let commits = commits(&rpc).await;
	assert!(commits.values().all(|n| *n == 1), "{commits:?}");
	assert!(!commits.contains_key(&(0, 0, victim.clone())), "{commits:?}");

	// It rejoined: it heartbeats again, lost only the abandoned slot's 1 % of its 150 UNIT
	// bond, and any later slot of it was paid. Nobody else was slashed.
	let workers: Vec<Value> = rpc.call("cohort_workers", vec![]).await.unwrap();
	let record = workers.iter().find(|w| w["account"] == json!(victim)).unwrap();
	assert_eq!(record["slashed"], (3 * cohort_runtime::UNIT / 2).to_string(), "{record}");
	for worker in workers.iter().filter(|w| w["account"] != json!(victim)) {
		assert_eq!(worker["slashed"], "0", "{worker}");
	}
	assert_eq!(record["status"], "active", "{record}");
	assert!(record["lastHeartbeat"].as_u64().unwrap() > u64::from(restarted_at), "{record}");
	for round in 1..3 {
		let view: Value = rpc.call("cohort_round", vec![json!(0), json!(round)]).await.unwrap();
		for slot in view["shards"][0]["slots"].as_array().unwrap() {
			assert_eq!(slot["outcome"], "accepted", "round {round}: {slot}");
		}
	}
}
