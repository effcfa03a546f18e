//! Issue 15's overlapping rounds under attack. The next round trains from a proposed checkpoint
//! while that checkpoint is reviewed, so a wrong proposal is trained from before anyone has
//! checked it. It must still cost only its author: the review catches it, the validators settle
//! the challenge, the aggregator is slashed, and the round trained from it is voided and trained
//! again from the checkpoint that stood, with nobody honest slashed.
//!
//! Eve, the only worker of the bounty's class (`--device emulated`), trains every shard and so
//! aggregates every round; in round 0 she proposes the checkpoint she computed with every value
//! scaled by 1.01 (`bad-checkpoint`). Ferdie, a CPU worker outside the class, reviews it,
//! computes another root and challenges; the CPU verifiers recompute the checkpoint (plain
//! arithmetic over the accepted deltas, the same in every class) and find for Ferdie.

use crate::adversaries::{outcomes, NEEDS_FEATURE};
use cohort_tests::{
	deployment::{Deployment, SMALL_MLP},
	worker::WorkerConfig,
	NetworkConfig,
};
use sp_keyring::Sr25519Keyring;
use std::time::Duration;

#[tokio::test]
async fn a_wrong_checkpoint_voids_the_round_trained_from_it_and_slashes_its_aggregator() {
	let _nodes = crate::training_test(65).await;
	// Alice's node keeps every block's state, so that the whole run's events can be read.
	let mut network = NetworkConfig::local();
	network.nodes[0].extra_args.push("--state-pruning=archive-canonical".into());
	let mut deployment = Deployment::start_with(network, &[], "1000").await.expect(NEEDS_FEATURE);
	let eve = deployment.next_config("Eve").unwrap();
	let eve = WorkerConfig { device: Some("emulated".into()), ..eve };
	let adversary = ["--adversary", "bad-checkpoint,honest"];
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
		"15,15,30,12,8",
	];
	let submit = [&SMALL_MLP[..], &submit].concat();
	let submitter = deployment.config_on("Ferdie//stash", 0).unwrap();
	let done = deployment.run_bounty(&submitter, &submit, Duration::from_secs(600)).await.unwrap();
	assert_eq!(done["status"], "completed", "{done}");

	let [eve, ferdie] =
		[Sr25519Keyring::Eve, Sr25519Keyring::Ferdie].map(|key| key.to_account_id().to_string());
	let outcomes = outcomes(&rpc).await;
	let context = format!("{outcomes:#?}");
	// Eve's proposal for round 0 fell to Ferdie's: round 0 ended with the checkpoint she did
	// not propose, and she lost stake for it.
	let proposed = &outcomes.proposed[&0];
	assert_eq!(proposed.len(), 1, "{context}");
	assert_ne!(outcomes.results.get(&0), Some(&proposed[0]), "{context}");
	assert!(outcomes.slashed.get(&eve).is_some_and(|&amount| amount > 0), "{context}");
	assert!(!outcomes.slashed.contains_key(&ferdie), "{context}");
	// Round 1 had started from her proposal; it was voided once and trained again from the
	// checkpoint that stood, where Eve (honest from round 1 on) was accepted.
	assert_eq!(outcomes.voided.get(&1).map(Vec::len), Some(1), "{context}");
	assert!(!outcomes.voided.contains_key(&0), "{context}");
	assert_eq!(outcomes.accepted.get(&(1, eve.clone())), Some(&1), "{context}");
	assert_eq!(outcomes.results.get(&1), outcomes.proposed[&1].last(), "{context}");
}
