//! Issue 14's cross-class disputes: workers of one determinism class refereed by validators of
//! another, as GPU workers are by CPU validators. The workers train in the emulated class
//! (`--device emulated`, the `emulated-class` feature: each step rounds a few ulps away from the
//! CPU's), the validators' verifiers on the CPU, and the bounty names the workers' class.
//!
//! Eve declares the emulated class but trains on the CPU and adds 3 % noise to her delta
//! (`forge-class`): the result a CPU verifier computes, with a payload. Her game with the honest
//! replicas parts at the first step, the first that rounds differently; there her state is the
//! referees' own to the bit, which no worker of another class computes, and the honest state is
//! within the step tolerance: she loses and is slashed. The honest replicas of the emulated
//! class are accepted against the CPU verifiers, also when every shard is audited: a CPU
//! verifier drawn to an audit's committee abstains on work of another class (a lie can fit in
//! the tolerance), so the audit goes to every validator on appeal, who accept it.
//!
//! A verifier of another class cannot compare roots: it needs the delta. A worker that serves
//! an audited delta to nobody (`hoard`) is judged as one that revealed a wrong result: the
//! audit's committee, of another class, abstains, which appeals the audit to every validator,
//! who ask for the delta until sealing all but ends and vote that no candidate is correct.

use crate::adversaries::{outcomes, NEEDS_FEATURE};
use cohort_tests::{
	deployment::{Deployment, SMALL_MLP},
	NetworkConfig,
};
use serde_json::Value;
use sp_keyring::Sr25519Keyring;
use std::{collections::BTreeMap, time::Duration};

/// The emulated class's device and name (`cohort_worker::trainer::emulated`).
const DEVICE: &str = "emulated";
const CLASS: &str = "emulated-ulp";

#[tokio::test]
async fn a_worker_forging_the_verifiers_class_loses_and_honest_emulated_work_is_accepted() {
	let _nodes = crate::training_test(140).await;
	let workers =
		[("Eve", &["--adversary", "forge-class,honest"][..]), ("Ferdie", &[]), ("One", &[])];
	let deployment = emulated_workers(&workers).await;
	let rpc = deployment.network().node(0).rpc().clone();
	let registry: Vec<Value> = rpc.call("cohort_workers", vec![]).await.unwrap();
	assert!(registry.iter().all(|w| w["capabilities"]["class"] == CLASS), "{registry:#?}");
	// Every shard audited: the game's winner, and in round 1 the replicas that agree, are
	// trained again by the CPU verifiers.
	run_bounty(&deployment, "3").await;

	let [eve, ferdie, one] = [Sr25519Keyring::Eve, Sr25519Keyring::Ferdie, Sr25519Keyring::One]
		.map(|key| key.to_account_id().to_string());
	let outcomes = outcomes(&rpc).await;
	let count = |map: &BTreeMap<(u32, String), u32>, round: u32, who: &str| {
		map.get(&(round, who.to_string())).copied().unwrap_or(0)
	};
	let context = format!("{outcomes:#?}");
	// Round 0: the game parts at the first step (positions 1 and 2: the states after 0 and 1
	// steps), and the referees of the other class find for the honest replicas.
	assert_eq!(outcomes.narrowed.get(&0), Some(&vec![(1, 2)]), "{context}");
	assert_eq!(count(&outcomes.rejected, 0, &eve), 1, "{context}");
	assert!(outcomes.slashed.get(&eve).is_some_and(|&amount| amount > 0), "{context}");
	// Both rounds: the honest emulated work is accepted, audited by CPU verifiers in round 1
	// (one dispute, no game: the replicas agree), and nobody honest is slashed.
	for who in [&ferdie, &one] {
		assert_eq!(count(&outcomes.accepted, 0, who), 1, "{context}");
		assert_eq!(count(&outcomes.accepted, 1, who), 1, "{context}");
		assert!(!outcomes.slashed.contains_key(who), "{context}");
	}
	assert_eq!(count(&outcomes.accepted, 1, &eve), 1, "{context}");
	assert!(outcomes.disputes.values().any(|&round| round == 1), "{context}");
	assert!(!outcomes.narrowed.contains_key(&1), "{context}");
}

#[tokio::test]
async fn a_worker_serving_its_audited_delta_to_nobody_is_slashed_by_another_class() {
	let _nodes = crate::training_test(100).await;
	let deployment = emulated_workers(&[("Eve", &["--adversary", "hoard,honest"][..])]).await;
	let rpc = deployment.network().node(0).rpc().clone();
	run_bounty(&deployment, "1").await;

	let eve = Sr25519Keyring::Eve.to_account_id().to_string();
	let outcomes = outcomes(&rpc).await;
	let context = format!("{outcomes:#?}");
	// Round 0: her audited delta was never served; the audit's committee (one CPU verifier)
	// abstained, so the audit went to every validator on appeal, who found no candidate
	// correct, and she lost stake for it.
	assert_eq!(outcomes.rejected.get(&(0, eve.clone())), Some(&1), "{context}");
	let in_round_0: Vec<_> = outcomes.disputes.iter().filter(|(_, round)| **round == 0).collect();
	assert_eq!(in_round_0.len(), 2, "the audit and its appeal: {context}");
	let verdicts: Vec<_> =
		in_round_0.iter().filter_map(|(dispute, _)| outcomes.verdicts.get(*dispute)).collect();
	assert_eq!(verdicts, ["NoneCorrect"], "{context}");
	assert!(outcomes.slashed.get(&eve).is_some_and(|&amount| amount > 0), "{context}");
	assert!(outcomes.unresolved.is_empty(), "{context}");
	// Round 1: served honestly, audited again, and accepted across the classes.
	assert_eq!(outcomes.accepted.get(&(1, eve)), Some(&1), "{context}");
}

/// A deployment whose `workers` (each with its run arguments) train in the emulated class.
async fn emulated_workers(workers: &[(&str, &[&str])]) -> Deployment {
	// Alice's node keeps every block's state, so that the whole run's events can be read.
	let mut network = NetworkConfig::local();
	network.nodes[0].extra_args.push("--state-pruning=archive-canonical".into());
	let mut deployment = Deployment::start_with(network, &[], "1000").await.expect(NEEDS_FEATURE);
	for (who, run_args) in workers {
		let config = deployment.next_config(who).unwrap();
		let config = cohort_tests::worker::WorkerConfig { device: Some(DEVICE.into()), ..config };
		deployment.add_configured(config, run_args, "1000").await.expect(NEEDS_FEATURE);
	}
	deployment
}

/// A two-round bounty of one shard bound to the emulated class, `replication` workers a
/// shard and every shard audited, run to completion.
async fn run_bounty(deployment: &Deployment, replication: &str) {
	let submit = [
		"--rounds",
		"2",
		"--shards",
		"1",
		"--class",
		CLASS,
		"--replication",
		replication,
		"--audit-rate",
		"1",
		"--steps",
		"20",
		"--phases",
		"15,15,30,12,6",
	];
	let submit = [&SMALL_MLP[..], &submit].concat();
	let submitter = deployment.config_on("Ferdie//stash", 0).unwrap();
	let done = deployment.run_bounty(&submitter, &submit, Duration::from_secs(600)).await.unwrap();
	assert_eq!(done["status"], "completed", "{done}");
}
