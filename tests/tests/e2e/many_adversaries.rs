//! Issue 5's many adversaries: 7 of 16 workers Byzantine, each in its own way, against a
//! bounty that aggregates with the coordinate-wise median. The same bounty (same spec, same
//! seed) first runs on the nine honest workers alone; then the seven Byzantine workers join
//! and it runs again. Its final loss must be within 5 % of the honest run's, every Byzantine
//! worker that was assigned a slot must be slashed, and no honest worker may be.
//!
//! The behaviours are pairwise different, so two Byzantine replicas of one shard never agree:
//! their shard is disputed, bisected, the loser slashed and the winner audited and rejected,
//! and only honest deltas reach the median.

use cohort_tests::{
	deployment::{Deployment, ACCOUNTS, SMALL_MLP},
	wait,
	worker::{account_of, run_once, WorkerConfig},
	NetworkConfig, Rpc,
};
use serde_json::{json, Value};
use std::{collections::BTreeSet, time::Duration};

const STEP: Duration = Duration::from_secs(180);
/// Rounds of each run: two, so that the Byzantine run meets most of its workers (each round
/// draws 8 of the 16) while the suite stays short.
const ROUNDS: u32 = 2;
/// The Byzantine workers' behaviours, one each.
const BYZANTINE: [&str; 7] =
	["random", "sign-flip", "scale", "zero", "wrong-shard", "withhold", "copy-seal"];
/// The bounty, after [`SMALL_MLP`]'s model and dataset.
const SPEC: [&str; 16] = [
	"--seed",
	"many-adversaries",
	"--rounds",
	"2", // ROUNDS
	"--shards",
	"4",
	"--replication",
	"2",
	// Every shard audited: two Byzantine replicas of one shard that disagree are bisected, and
	// the game proves only the loser wrong; its winner stands or falls by the audit, as a pair
	// that agrees does.
	"--audit-rate",
	"1",
	"--steps",
	"5",
	"--aggregation",
	"median",
	"--phases",
	"15,15,30,12,6",
];

/// Submit the bounty of [`SPEC`] (it gets id `bounty`) as `submitter`, wait until it
/// completes, and return the `model eval` loss of its final checkpoint as `observer` fetches it.
async fn run_bounty(
	deployment: &Deployment,
	submitter: &str,
	observer: &WorkerConfig,
	bounty: u64,
	timeout: Duration,
) -> f64 {
	let submitter = deployment.config_on(submitter, 0).unwrap();
	let spec = [&SMALL_MLP[..], &SPEC].concat();
	let done = deployment.run_bounty(&submitter, &spec, timeout).await.unwrap();
	assert_eq!(done["id"], bounty, "{done}");
	assert_eq!(done["status"], "completed", "{done}");
	let out = deployment.dir().join(format!("bounty-{bounty}.safetensors"));
	let out = out.to_str().unwrap();
	let id = bounty.to_string();
	let eval = wait::until("the final checkpoint to be served", STEP, || async {
		run_once(observer, &["model", "fetch", &id, "--out", out], STEP).await?;
		let eval =
			run_once(observer, &["model", "eval", out, "--model", SMALL_MLP[1]], STEP).await?;
		Ok((eval["checkpoint"] == done["checkpoint"]).then_some(eval))
	})
	.await
	.unwrap();
	eval["loss"].as_f64().unwrap()
}

/// Every account that held or lost a slot of `bounty`.
async fn assigned(rpc: &Rpc, bounty: u64) -> BTreeSet<String> {
	let mut assigned = BTreeSet::new();
	for round in 0..ROUNDS {
		let view: Value =
			rpc.call("cohort_round", vec![json!(bounty), json!(round)]).await.unwrap();
		for shard in view["shards"].as_array().unwrap() {
			for slot in shard["slots"].as_array().unwrap() {
				for who in [&slot["worker"], &slot["replaced"]] {
					if let Some(who) = who.as_str() {
						assigned.insert(who.to_string());
					}
				}
			}
		}
	}
	assigned
}

#[tokio::test]
async fn seven_byzantine_workers_of_sixteen_are_slashed_and_the_loss_holds() {
	let _nodes = crate::heavy_training_test().await;
	let (honest, submitter) = (&ACCOUNTS[..9], ACCOUNTS[9]);
	let mut deployment = Deployment::start(NetworkConfig::local(), honest, "150").await.unwrap();
	let rpc = deployment.network().node(0).rpc().clone();
	// Fetching and evaluating needs no funds: a fresh key does it.
	let observer = deployment.config_on("Observer", 1).unwrap();

	// The honest run.
	let honest_loss =
		run_bounty(&deployment, submitter, &observer, 0, Duration::from_secs(600)).await;

	// Seven Byzantine workers join, and the same bounty runs again.
	let byzantine: Vec<String> = (1..=BYZANTINE.len()).map(|i| format!("Byzantine{i}")).collect();
	for (who, behaviour) in byzantine.iter().zip(BYZANTINE) {
		deployment.fund(who, 1_000).await.unwrap();
		let adversary = deployment.add_worker(who, &["--adversary", behaviour], "150").await;
		adversary.expect(crate::adversaries::NEEDS_FEATURE);
	}
	let loss = run_bounty(&deployment, submitter, &observer, 1, Duration::from_secs(900)).await;
	assert!(
		(loss - honest_loss).abs() <= 0.05 * honest_loss,
		"loss {loss} against the honest run's {honest_loss}"
	);

	// Every Byzantine worker that held a slot is slashed; no honest worker is.
	let assigned = assigned(&rpc, 1).await;
	let workers: Vec<Value> = rpc.call("cohort_workers", vec![]).await.unwrap();
	let slashed = |who: &str| {
		let account = account_of(who).to_string();
		let record = workers.iter().find(|w| w["account"] == json!(account)).unwrap();
		(record["slashed"] != "0", assigned.contains(&account))
	};
	let mut caught = 0;
	for (who, behaviour) in byzantine.iter().zip(BYZANTINE) {
		let (was_slashed, was_assigned) = slashed(who);
		assert_eq!(was_slashed, was_assigned, "{who} ({behaviour}), assigned: {assigned:?}");
		caught += usize::from(was_slashed);
	}
	// Two draws of 8 of 16 workers assign fewer than two of the seven Byzantine ones about
	// once in 12 000 runs.
	assert!(caught >= 2, "only {caught} Byzantine workers were assigned work: {assigned:?}");
	for who in honest {
		assert!(!slashed(who).0, "{who} is honest");
	}
	eprintln!("many adversaries: {caught} of 7 slashed; loss {loss} against {honest_loss}");
}
