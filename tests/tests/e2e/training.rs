//! The round protocol on a live dev chain, driven as a worker and a bounty submitter would:
//! signed extrinsics in, `cohort_*` JSON out.

use crate::BLOCKS_TIMEOUT;
use codec::Encode;
use cohort_primitives::{
	seal, vote_seal, Aggregation, Architecture, BountySpec, Capabilities, DatasetSpec, Deadlines,
	DeterminismClass, DeviceKind, HyperParams, ModelSpec, Optimizer, Requirements, Verdict, H256,
};
use cohort_runtime::{Runtime, RuntimeCall, TrainingCall, WorkersCall, UNIT};
use cohort_tests::{tx, wait, Node, NodeConfig, Rpc};
use pallet_training::Error as TrainingError;
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave};
use sp_runtime::{DispatchError, Perbill};

const PHASE: u32 = 10;

fn training_error(e: TrainingError<Runtime>) -> DispatchError {
	e.into()
}

fn register(who: Sr25519Keyring) -> RuntimeCall {
	WorkersCall::register {
		capabilities: Capabilities {
			device: DeviceKind::Cpu,
			memory_mib: 8192,
			gflops: 50,
			class: DeterminismClass::new(b"cpu-x86_64-fma").unwrap(),
		},
		peer_id: who.public().0.to_vec(),
		addresses: vec![b"/ip4/127.0.0.1/tcp/4001".to_vec()],
		bond: 150 * UNIT,
	}
	.into()
}

fn spec(rounds: u32) -> BountySpec<u128, Vec<u8>> {
	BountySpec {
		model: ModelSpec {
			architecture: Architecture::CharTransformer,
			config: b"{\"layers\":2}".to_vec(),
			initial_checkpoint: H256::repeat_byte(0xc0),
		},
		dataset: DatasetSpec { hash: H256::repeat_byte(0xda), shards: 8 },
		hyper: HyperParams {
			inner_steps: 20,
			batch_size: 16,
			inner_learning_rate: Perbill::from_parts(1_000_000),
			outer_learning_rate: Perbill::one(),
			optimizer: Optimizer::AdamW,
		},
		rounds,
		shards_per_round: 2,
		replication: 2,
		aggregation: Aggregation::Mean,
		audit_rate: Perbill::zero(),
		deadlines: Deadlines {
			commit: PHASE,
			reveal: PHASE,
			// The runtime's floors: validators must have time to recompute and vote.
			vote: 20,
			checkpoint: PHASE,
			review: 6,
		},
		reward_per_contribution: UNIT,
		requirements: Requirements::default(),
	}
}

fn good(shard: u32) -> H256 {
	H256::from_low_u64_be(u64::from(shard) + 1)
}

fn salt(who: Sr25519Keyring) -> H256 {
	H256(sp_io::hashing::blake2_256(&who.public().0))
}

async fn round_json(rpc: &Rpc) -> Value {
	rpc.call("cohort_round", vec![json!(0), json!(0)]).await.unwrap()
}

async fn bounty_json(rpc: &Rpc) -> Value {
	rpc.call("cohort_bounty", vec![json!(0)]).await.unwrap()
}

/// Wait until `check` holds for the bounty's JSON.
async fn wait_bounty(rpc: &Rpc, what: &str, check: impl Fn(&Value) -> bool) -> Value {
	wait::until(what, BLOCKS_TIMEOUT, || async {
		let bounty = bounty_json(rpc).await;
		Ok(check(&bounty).then_some(bounty))
	})
	.await
	.unwrap()
}

async fn wait_block(rpc: &Rpc, number: u64) {
	wait::until(&format!("block #{number}"), BLOCKS_TIMEOUT, || async {
		Ok((u64::from(rpc.best_number().await?) >= number).then_some(()))
	})
	.await
	.unwrap()
}

/// The root the liar reveals.
const LIE: H256 = H256::repeat_byte(0xee);
/// The step the liar's trajectory departs at.
const DEPARTS: u8 = 13;

/// The leaves of the 20-step trajectory a scripted worker claims for `root`: one trajectory
/// for every honest root, and the liar's, the same until it departs at step 13.
fn leaves(root: H256) -> Vec<H256> {
	(0..21u8)
		.map(|i| H256(sp_io::hashing::blake2_256(&[i, u8::from(root == LIE && i >= DEPARTS)])))
		.collect()
}

/// The trajectory root a scripted worker reveals with `root`.
fn trajectory(root: H256) -> H256 {
	cohort_formats::trajectory::root(&leaves(root))
}

/// `who`'s move in the current turn of `dispute`'s game, as `game` (its JSON) stands: its leaf
/// of `root`'s trajectory at the midpoint, with the proof.
async fn bisect(rpc: &Rpc, who: Sr25519Keyring, dispute: u64, game: &Value, root: H256) {
	let (low, high) = (game["low"].as_u64().unwrap(), game["high"].as_u64().unwrap());
	let index = (low + (high - low) / 2 - 1) as u32;
	let leaves = leaves(root);
	let proof = cohort_formats::trajectory::proof(&leaves, index).siblings;
	let call = TrainingCall::bisect {
		dispute,
		leaf: leaves[index as usize],
		proof: proof.try_into().expect("a short proof"),
	};
	tx::execute_ok(rpc, who, call.into()).await.unwrap();
}

/// `who` commits (or, with `reveal`, reveals) `root_of(shard)` for both shards.
async fn act(
	rpc: &Rpc,
	who: Sr25519Keyring,
	checkpoint: H256,
	reveal: bool,
	root_of: impl Fn(u32) -> H256,
) {
	for shard in 0..2 {
		let root = root_of(shard);
		let call = if reveal {
			TrainingCall::reveal {
				bounty: 0,
				round: 0,
				shard,
				root,
				trajectory: trajectory(root),
				salt: salt(who),
			}
		} else {
			let seal = seal(&root, &trajectory(root), &salt(who), &who.to_account_id().encode());
			TrainingCall::commit { bounty: 0, round: 0, shard, checkpoint, seal }
		};
		tx::execute_ok(rpc, who, call.into()).await.unwrap();
	}
}

#[tokio::test]
async fn a_bounty_trains_pays_honest_workers_and_slashes_a_liar() {
	let _nodes = crate::light_test().await;
	let dir = tempfile::tempdir().unwrap();
	let node = Node::start(NodeConfig::validator("alice"), "dev", &dir.path().join("dev"), &[])
		.await
		.unwrap();
	let rpc = node.rpc().clone();

	// Bad specs are refused by name and cost the submitter nothing but the fee.
	let zero = tx::execute(&rpc, Dave, TrainingCall::create_bounty { spec: spec(0) }.into())
		.await
		.unwrap();
	assert_eq!(zero.result, Err(training_error(TrainingError::ZeroRounds)));

	let (bob, charlie) = tokio::join!(
		tx::execute_ok(&rpc, Bob, register(Bob)),
		tx::execute_ok(&rpc, Charlie, register(Charlie)),
	);
	bob.unwrap();
	charlie.unwrap();
	let workers: Value = rpc.call("cohort_workers", vec![]).await.unwrap();
	assert_eq!(workers.as_array().unwrap().len(), 2, "{workers}");
	assert_eq!(workers[0]["capabilities"]["class"], "cpu-x86_64-fma");
	assert_eq!(workers[0]["bond"], (150 * UNIT).to_string());
	assert_eq!(workers[0]["eligible"], true);

	tx::execute_ok(&rpc, Dave, TrainingCall::create_bounty { spec: spec(1) }.into()).await.unwrap();
	let bounty = wait_bounty(&rpc, "the first round to start", |b| b["phase"] == "training").await;
	assert_eq!(bounty["owner"], Dave.to_account_id().to_string());
	assert_eq!(bounty["spec"]["model"]["config"], format!("0x{}", hex(b"{\"layers\":2}")));
	// 4 contributions of 1 UNIT, 10% of a reward for each of (2 × 2 shards + 1) × 2 slots, and
	// the checkpoint's fee of 10% of a reward.
	assert_eq!(bounty["escrow"], (4 * UNIT + 11 * UNIT / 10).to_string());

	let round = round_json(&rpc).await;
	let mut assigned: Vec<String> = round["shards"][0]["slots"]
		.as_array()
		.unwrap()
		.iter()
		.map(|s| s["worker"].as_str().unwrap().into())
		.collect();
	assigned.sort();
	let mut expected = vec![Bob.to_account_id().to_string(), Charlie.to_account_id().to_string()];
	expected.sort();
	assert_eq!(assigned, expected);
	let checkpoint: H256 = serde_json::from_value(round["checkpoint"].clone()).unwrap();
	let deadline = |round: &Value, name: &str| round[name].as_u64().unwrap();
	let commit_window_end = deadline(&round, "commitDeadline");

	// Charlie lies about shard 1.
	let lies = |shard| if shard == 1 { LIE } else { good(shard) };
	tokio::join!(
		act(&rpc, Bob, checkpoint, false, good),
		act(&rpc, Charlie, checkpoint, false, lies)
	);
	// Every slot committed: the commit window closed early, and reveals open a block later.
	let commit_deadline = deadline(&round_json(&rpc).await, "commitDeadline");
	assert!(commit_deadline < commit_window_end, "{commit_deadline} >= {commit_window_end}");
	wait_block(&rpc, commit_deadline).await;
	let wrong_salt = TrainingCall::reveal {
		bounty: 0,
		round: 0,
		shard: 0,
		root: good(0),
		trajectory: trajectory(good(0)),
		salt: H256::zero(),
	};
	let refused = tx::execute(&rpc, Bob, wrong_salt.into()).await.unwrap();
	assert_eq!(refused.result, Err(training_error(TrainingError::SealMismatch)));
	tokio::join!(
		act(&rpc, Bob, checkpoint, true, good),
		act(&rpc, Charlie, checkpoint, true, lies)
	);
	// Every seal opened: the round is checked at the next block.
	let reveal_deadline = deadline(&round_json(&rpc).await, "revealDeadline");
	wait_block(&rpc, reveal_deadline + 1).await;

	let round = round_json(&rpc).await;
	assert_eq!(round["shards"][0]["outcome"]["accepted"], format!("{:?}", good(0)), "{round}");
	let dispute = round["shards"][1]["outcome"]["disputed"].as_u64().expect("shard 1 disputed");
	let disputes: Value = rpc.call("cohort_disputes", vec![json!(0)]).await.unwrap();
	assert_eq!(disputes[0]["reason"], "disagreement", "{disputes}");
	assert_eq!(disputes[0]["candidates"].as_array().unwrap().len(), 2);

	// No vote counts before the two sides have bisected their trajectories to one step.
	let early = TrainingCall::vote { dispute, seal: H256::zero() };
	let refused = tx::execute(&rpc, Alice, early.into()).await.unwrap();
	assert_eq!(refused.result, Err(training_error(TrainingError::StillBisecting)));
	let mut turns = 0;
	let game = loop {
		let disputes: Value = rpc.call("cohort_disputes", vec![json!(0)]).await.unwrap();
		let game = disputes[0]["game"].clone();
		if game["high"].as_u64().unwrap() <= game["low"].as_u64().unwrap() + 1 {
			break game;
		}
		tokio::join!(
			bisect(&rpc, Bob, dispute, &game, good(1)),
			bisect(&rpc, Charlie, dispute, &game, LIE)
		);
		turns += 1;
	};
	// 21 leaves: ⌈log2 22⌉ = 5 turns at most, to the step Charlie's trajectory departs at.
	assert!(turns <= 5, "{turns} turns: {game}");
	assert_eq!((game["low"].as_u64(), game["high"].as_u64()), (Some(13), Some(14)), "{game}");

	// Alice, the only validator, holds all the stake: her seal ends sealing at once, and her
	// opened vote settles it.
	let verdict = Verdict::Correct(good(1));
	let salt = H256::repeat_byte(0x5a);
	let seal = vote_seal(dispute, &verdict, &salt, &Alice.to_account_id().encode());
	tx::execute_ok(&rpc, Alice, TrainingCall::vote { dispute, seal }.into()).await.unwrap();
	let open = TrainingCall::reveal_vote { dispute, verdict, salt };
	tx::execute_ok(&rpc, Alice, open.into()).await.unwrap();
	// Every seal is open: the next block's hook counts the votes.
	let disputes = wait::until("the verdict", BLOCKS_TIMEOUT, || async {
		let disputes: Value = rpc.call("cohort_disputes", vec![Value::Null]).await?;
		Ok((disputes[0]["status"] != "open").then_some(disputes))
	})
	.await
	.unwrap();
	assert_eq!(disputes[0]["status"]["settled"]["correct"], format!("{:?}", good(1)), "{disputes}");
	let liar: Value =
		rpc.call("cohort_worker", vec![json!(Charlie.to_account_id().to_string())]).await.unwrap();
	assert_eq!(liar["slashed"], (15 * UNIT).to_string(), "{liar}");
	assert_eq!(liar["bond"], (135 * UNIT).to_string());
	assert_eq!(liar["lastSlash"]["shardDispute"]["shard"], 1);

	// The aggregator commits the next checkpoint; after the review window the bounty is done.
	let bounty = wait_bounty(&rpc, "aggregation", |b| b["phase"] == "aggregating").await;
	assert_eq!(bounty["phase"], "aggregating");
	let round = round_json(&rpc).await;
	let aggregator = [Bob, Charlie]
		.into_iter()
		.find(|k| round["phase"]["aggregating"]["aggregator"] == k.to_account_id().to_string())
		.expect("an assigned worker aggregates");
	let result = H256::repeat_byte(0x51);
	tx::execute_ok(
		&rpc,
		aggregator,
		TrainingCall::commit_checkpoint { bounty: 0, round: 0, checkpoint: result }.into(),
	)
	.await
	.unwrap();
	let done = wait_bounty(&rpc, "the bounty to complete", |b| b["status"] == "completed").await;
	assert_eq!(done["checkpoint"], format!("{result:?}"));
	assert_eq!(done["escrow"], "0");
	let workers: Value = rpc.call("cohort_workers", vec![]).await.unwrap();
	assert!(workers.as_array().unwrap().iter().all(|w| w["openAssignments"] == 0), "{workers}");
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
