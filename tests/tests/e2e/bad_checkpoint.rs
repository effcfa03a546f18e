//! Issue 15's overlapping rounds under attack. The next round trains from a proposed checkpoint
//! while that checkpoint is reviewed, so a wrong proposal is trained from before anyone has
//! checked it. It must still cost only its author: the review catches it, the round trained
//! from it is voided and trained again from the checkpoint that stood, and nobody honest is
//! slashed.
//!
//! Eve, the only worker of the bounty's class (`--device emulated`), trains every shard and so
//! aggregates every round; in round 0 she proposes the checkpoint she computed with every value
//! scaled by 1.01. Ferdie, a CPU worker outside the class, reviews it. The CPU verifiers
//! recompute the checkpoint (plain arithmetic over the accepted deltas, the same in every
//! class) when they can fetch those deltas.

use crate::adversaries::{outcomes, Outcomes, NEEDS_FEATURE};
use cohort_tests::{
	deployment::{Deployment, SMALL_MLP},
	worker::WorkerConfig,
	NetworkConfig,
};
use sp_keyring::Sr25519Keyring;
use std::time::Duration;

/// Eve serves her delta: Ferdie computes another root and challenges, the verifiers find for
/// him, and Eve is slashed.
#[tokio::test]
async fn a_wrong_checkpoint_voids_the_round_trained_from_it_and_slashes_its_aggregator() {
	let _nodes = crate::training_test(65).await;
	let outcomes = eve_aggregates_round_0_as("bad-checkpoint").await;
	let [eve, ferdie] = accounts();
	let context = format!("{outcomes:#?}");
	// Eve's proposal for round 0 fell to Ferdie's: round 0 ended with the checkpoint she did
	// not propose, and she lost stake for it.
	let proposed = &outcomes.proposed[&0];
	assert_eq!(proposed.len(), 1, "{context}");
	assert_ne!(outcomes.results.get(&0), Some(&proposed[0]), "{context}");
	assert!(outcomes.slashed.get(&eve).is_some_and(|&amount| amount > 0), "{context}");
	assert!(!outcomes.slashed.contains_key(&ferdie), "{context}");
	assert!(outcomes.unresolved.is_empty(), "{context}");
	the_round_ahead_trained_again_from_what_stood(&outcomes);
}

/// Eve serves her delta to nobody (`hoard`), so nobody can compute what round 0's checkpoint
/// should be. Ferdie, unable to fetch it by half the review window, claims that round 0 keeps
/// the checkpoint it trained from; the verifiers cannot fetch it either and abstain, so the
/// dispute ends without a verdict and round 0 keeps its checkpoint: Eve's proposal never
/// stands. Nobody can be shown to have done wrong (the chain cannot tell who withheld what),
/// so nobody is slashed: Ferdie's claim costs him nothing.
#[tokio::test]
async fn a_checkpoint_whose_delta_nobody_serves_does_not_stand() {
	let _nodes = crate::training_test(100).await;
	let outcomes = eve_aggregates_round_0_as("hoard").await;
	let context = format!("{outcomes:#?}");
	let proposed = &outcomes.proposed[&0];
	assert_eq!(proposed.len(), 1, "{context}");
	assert_ne!(outcomes.results.get(&0), Some(&proposed[0]), "{context}");
	assert_eq!(outcomes.unresolved.len(), 1, "{context}");
	assert_eq!(outcomes.disputes.get(&outcomes.unresolved[0]), Some(&0), "{context}");
	assert!(outcomes.slashed.is_empty(), "{context}");
	the_round_ahead_trained_again_from_what_stood(&outcomes);
}

/// Eve and Ferdie's accounts.
fn accounts() -> [String; 2] {
	[Sr25519Keyring::Eve, Sr25519Keyring::Ferdie].map(|key| key.to_account_id().to_string())
}

/// A two-round bounty of one shard in Eve's class, Eve following `behaviour` in round 0 and
/// honest after it, Ferdie outside the class reviewing: what happened, once it completed.
async fn eve_aggregates_round_0_as(behaviour: &str) -> Outcomes {
	// Alice's node keeps every block's state, so that the whole run's events can be read.
	let mut network = NetworkConfig::local();
	network.nodes[0].extra_args.push("--state-pruning=archive-canonical".into());
	let mut deployment = Deployment::start_with(network, &[], "1000").await.expect(NEEDS_FEATURE);
	let eve = deployment.next_config("Eve").unwrap();
	let eve = WorkerConfig { device: Some("emulated".into()), ..eve };
	let plan = format!("{behaviour},honest");
	let adversary = ["--adversary", plan.as_str()];
	deployment.add_configured(eve, &adversary, "1000").await.expect(NEEDS_FEATURE);
	let ferdie = deployment.next_config("Ferdie").unwrap();
	deployment.add_configured(ferdie, &[], "1000").await.expect(NEEDS_FEATURE);
	let rpc = deployment.network().node(0).rpc().clone();
	let submit = [
		"--rounds",
		"2",
		"--shards",
		"1",
		"--class",
		"emulated-ulp",
		"--replication",
		"1",
		"--audit-rate",
		"0",
		"--steps",
		"20",
		"--phases",
		"15,15,30,12,12",
	];
	let submit = [&SMALL_MLP[..], &submit].concat();
	let submitter = deployment.config_on("Ferdie//stash", 0).unwrap();
	let done = deployment.run_bounty(&submitter, &submit, Duration::from_secs(600)).await.unwrap();
	assert_eq!(done["status"], "completed", "{done}");
	outcomes(&rpc).await
}

/// Round 1 had started from Eve's proposal; it was voided once and trained again from the
/// checkpoint that stood, where Eve (honest from round 1 on) was accepted.
fn the_round_ahead_trained_again_from_what_stood(outcomes: &Outcomes) {
	let [eve, _] = accounts();
	let context = format!("{outcomes:#?}");
	assert_eq!(outcomes.voided.get(&1).map(Vec::len), Some(1), "{context}");
	assert!(!outcomes.voided.contains_key(&0), "{context}");
	assert_eq!(outcomes.accepted.get(&(1, eve)), Some(&1), "{context}");
	assert_eq!(outcomes.results.get(&1), outcomes.proposed[&1].last(), "{context}");
}
