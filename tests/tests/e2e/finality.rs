//! Block production and GRANDPA finality of the four-validator `local` network, with faults.

use crate::BLOCKS_TIMEOUT;
use codec::{Decode, Encode};
use cohort_tests::{Network, NetworkConfig, Rpc};
use sp_consensus_grandpa::{AuthorityId as GrandpaId, OpaqueKeyOwnershipProof};
use sp_keyring::Ed25519Keyring;
use std::time::Duration;

/// What `GrandpaApi_generate_key_ownership_proof` answers for `voter`'s key in set 0.
async fn key_ownership_proof(
	rpc: &Rpc,
	voter: Ed25519Keyring,
) -> Option<sp_session::MembershipProof> {
	let args = (0u64, GrandpaId::from(voter.public())).encode();
	let answer = rpc.state_call("GrandpaApi_generate_key_ownership_proof", &args).await.unwrap();
	let opaque = Option::<OpaqueKeyOwnershipProof>::decode(&mut &answer[..]).expect("SCALE answer");
	opaque.map(|proof| proof.decode().expect("a session membership proof"))
}

#[tokio::test]
async fn local_network_produces_and_finalizes_blocks() {
	let _nodes = crate::light_test().await;
	let mut net = Network::start(NetworkConfig::local()).await.expect("network starts");
	net.wait_finalized(5, BLOCKS_TIMEOUT).await.unwrap_or_else(|e| panic!("{e}\n{}", net.logs(20)));
	for node in net.nodes() {
		assert!(node.rpc().peers().await.unwrap() >= 2, "{} is connected", node.name());
		assert_eq!(node.rpc().validators().await.unwrap().active.len(), 4);
	}
	// Prometheus serves the chain's progress.
	let metrics = net.node(1).metrics().await.unwrap();
	let finalized_height = metrics
		.lines()
		.find(|l| l.starts_with("substrate_block_height{") && l.contains("status=\"finalized\""));
	assert!(finalized_height.is_some(), "{metrics}");
	// Equivocation reporting has real key-ownership proofs to work with: a membership proof of
	// the current session over the whole set. (The runtime tests check such proofs end to end.)
	let rpc = net.node(0).rpc();
	let session = rpc.validators().await.unwrap().session;
	let proof = key_ownership_proof(rpc, Ed25519Keyring::Charlie).await.expect("a proof");
	assert_eq!(proof.validator_count, 4);
	// The session may roll over between the two calls.
	assert!((session..=session + 1).contains(&proof.session), "{} vs {session}", proof.session);
	assert!(!proof.trie_nodes.is_empty());
}

/// Every running node agrees on every finalized block: GRANDPA never finalizes two blocks at
/// one height.
async fn assert_finalized_chains_agree(net: &mut Network) {
	let upto = net.min_finalized().await.unwrap();
	let running = net.running();
	for number in 1..=upto {
		let mut hashes = Vec::new();
		for i in &running {
			hashes.push(net.node(*i).rpc().block_hash(number).await.unwrap());
		}
		assert!(
			hashes.windows(2).all(|w| w[0] == w[1]),
			"conflicting blocks at #{number}: {hashes:?}"
		);
	}
}

#[tokio::test]
async fn finality_survives_one_fault_and_stalls_safely_with_two() {
	let _nodes = crate::light_test().await;
	let mut net = Network::start(NetworkConfig::local()).await.expect("network starts");
	net.wait_finalized(3, BLOCKS_TIMEOUT).await.unwrap_or_else(|e| panic!("{e}\n{}", net.logs(20)));

	// What each node to be killed has finalized itself: what it must still hold when it
	// restarts on its data (a loaded machine can leave one node behind the others).
	let mut kept = std::collections::BTreeMap::new();

	// One of four down: 3 of 4 is more than 2/3, finality goes on.
	kept.insert(3, net.node(3).rpc().finalized_number().await.unwrap());
	net.kill(3).await;
	let before = net.min_finalized().await.unwrap();
	net.wait_finalized(before + 5, BLOCKS_TIMEOUT)
		.await
		.unwrap_or_else(|e| panic!("finality with 3 of 4: {e}\n{}", net.logs(20)));

	// Two of four down: no supermajority. Blocks go on (Aura), finality stops.
	kept.insert(2, net.node(2).rpc().finalized_number().await.unwrap());
	net.kill(2).await;
	// Let votes already in flight land, then watch for a while.
	tokio::time::sleep(Duration::from_secs(3)).await;
	let stalled = net.min_finalized().await.unwrap();
	let best_at_stall = net.node(0).rpc().best_number().await.unwrap();
	tokio::time::sleep(Duration::from_secs(10)).await;
	let best_later = net.node(0).rpc().best_number().await.unwrap();
	assert!(best_later > best_at_stall, "Aura keeps producing blocks");
	for i in net.running() {
		let finalized = net.node(i).rpc().finalized_number().await.unwrap();
		assert!(
			finalized <= stalled + 1,
			"node {i} finalized #{finalized} past the stall at #{stalled}"
		);
	}
	assert_finalized_chains_agree(&mut net).await;

	// Both back, on their old data: nothing lost, finality resumes past the stall.
	for (i, kept) in kept {
		net.restart(i).await.expect("restart");
		let finalized = net.node(i).rpc().finalized_number().await.unwrap();
		assert!(finalized >= kept, "node {i} kept its finalized chain (#{finalized} >= #{kept})");
	}
	net.wait_finalized(best_later + 2, BLOCKS_TIMEOUT)
		.await
		.unwrap_or_else(|e| panic!("finality after restart: {e}\n{}", net.logs(30)));
	assert_finalized_chains_agree(&mut net).await;
}
