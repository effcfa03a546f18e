//! Issue 5's honest run: the `local` network's four validators with their verifiers and
//! four workers train a character model from a bounty, r = 2, for three rounds. The owner
//! submits it through plain RPC: `bounty prepare` serves the data and prints the calls, which
//! the test signs and sends itself. Every
//! contribution is accepted, the loss falls, every worker is paid exactly the rewards the
//! chain's events record for its accepted slots, the escrow's rest goes back to the owner,
//! and the model `model fetch` writes is the checkpoint the chain names. Then the whole
//! network is killed and restarted, and keeps every bounty, stake and checkpoint (a part of
//! issue 5's fault tests).

use codec::Decode;
use cohort_runtime::{Balance, RuntimeCall, RuntimeEvent};
use cohort_tests::{
	deployment::{Deployment, ACCOUNTS},
	tx, wait,
	worker::{run_once, WorkerConfig},
	NetworkConfig, Rpc,
};
use pallet_training::Event as Training;
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring;
use std::{collections::BTreeMap, time::Duration};

const STEP: Duration = Duration::from_secs(180);
const MODEL: &str = r#"{"model":"charTransformer","context":32,"dModel":32,"layers":1,"heads":4}"#;
const REWARD: Balance = cohort_runtime::UNIT;

/// The bytes of a `0x…` string a command printed.
fn bytes(hex: &Value) -> Vec<u8> {
	let text = hex.as_str().and_then(|text| text.strip_prefix("0x"));
	hex::decode(text.unwrap_or_else(|| panic!("not 0x-hex: {hex}"))).unwrap()
}

/// The call whose SCALE encoding a command printed as `0x…`.
fn decode_call(hex: &Value) -> RuntimeCall {
	RuntimeCall::decode(&mut &bytes(hex)[..]).unwrap()
}

/// Fetch the bounty's current checkpoint as `observer` and return its `model eval` result.
async fn fetch_and_eval(observer: &WorkerConfig, out: &str) -> Value {
	run_once(observer, &["model", "fetch", "0", "--out", out], STEP).await.unwrap();
	run_once(observer, &["model", "eval", out, "--model", MODEL], STEP).await.unwrap()
}

/// Every `Training` event from genesis to the best block.
async fn training_events(rpc: &Rpc) -> Vec<Training<cohort_runtime::Runtime>> {
	let mut events = Vec::new();
	for number in 1..=rpc.best_number().await.unwrap() {
		let hash = rpc.block_hash(number).await.unwrap().unwrap();
		for record in rpc.events(hash).await.unwrap() {
			if let RuntimeEvent::Training(event) = record.event {
				events.push(event);
			}
		}
	}
	events
}

#[tokio::test]
async fn four_workers_train_a_bounty_and_are_paid_exactly() {
	let _nodes = crate::training_test(190).await;
	let workers = &ACCOUNTS[..4];
	let mut deployment = Deployment::start(NetworkConfig::local(), workers, "150").await.unwrap();
	let rpc = deployment.network().node(0).rpc().clone();
	let observer = deployment.config_on("Eve//stash", 1).unwrap();
	let owner = Sr25519Keyring::FerdieStash.to_account_id();

	let submit = [
		"--model",
		MODEL,
		"--dataset",
		"builtin:shakespeare",
		"--rounds",
		"3",
		"--shards",
		"2",
		"--replication",
		"2",
		// Audits only where this test asks for them (the CLI audits a class-bound bounty by default).
		"--audit-rate",
		"0",
		"--steps",
		"20",
		"--phases",
		"30,10,30,12,6",
		"--reward",
		"1",
	];
	// The owner's keys live in a wallet: `bounty prepare` publishes and serves the data and
	// prints the calls, which are signed and sent here as polkadot.js would send them.
	let (serving, submitted) = deployment.prepare("Ferdie//stash", &submit).await.unwrap();
	let create = decode_call(&submitted["createBounty"]);
	let created = tx::execute_ok(&rpc, Sr25519Keyring::FerdieStash, create).await.unwrap();
	let bounty = created.events.iter().find_map(|event| match event {
		RuntimeEvent::Training(Training::BountyCreated { bounty, .. }) => Some(*bounty),
		_ => None,
	});
	assert_eq!(bounty, Some(0), "{:?}", created.events);
	let server = &submitted["serveData"];
	let addresses = server["addresses"].as_array().unwrap().iter().map(bytes).collect();
	let serve = pallet_training::Call::serve_data {
		bounty: 0,
		peer_id: bytes(&server["peerId"]),
		addresses,
	};
	tx::execute_ok(&rpc, Sr25519Keyring::FerdieStash, serve.into()).await.unwrap();
	// `model fetch` reads finalized state, as a wallet's "finalized" status would wait for.
	let sent = rpc.best_number().await.unwrap();
	deployment.network_mut().wait_finalized(sent, STEP).await.unwrap();
	let out = deployment.dir().join("model.safetensors");
	let out = out.to_str().unwrap();
	let initial = fetch_and_eval(&observer, out).await;
	assert_eq!(initial["checkpoint"], submitted["initialCheckpoint"]);

	let done = deployment.wait_closed(0, Duration::from_secs(600)).await.unwrap();
	assert_eq!(done["status"], "completed", "{done}");

	// Every slot of every round was accepted; count them per worker.
	let mut slots: BTreeMap<String, Balance> = BTreeMap::new();
	for round in 0..3 {
		let view: Value = rpc.call("cohort_round", vec![json!(0), json!(round)]).await.unwrap();
		for shard in view["shards"].as_array().unwrap() {
			for slot in shard["slots"].as_array().unwrap() {
				assert_eq!(slot["outcome"], "accepted", "round {round}: {slot}");
				*slots.entry(slot["worker"].as_str().unwrap().into()).or_default() += 1;
			}
		}
	}
	assert_eq!(slots.values().sum::<Balance>(), 12);

	// What the events say was paid: the reward once per accepted slot, to its worker, the
	// checkpoint's fee once per round, to the round's aggregator, and the rest of the escrow
	// (the verifiers' reserve, unused) back to the owner.
	let (mut escrow, mut refund, mut fees) = (0, 0, 0);
	let mut paid: BTreeMap<String, Balance> = BTreeMap::new();
	for event in training_events(&rpc).await {
		match event {
			Training::BountyCreated { escrow: held, .. } => escrow = held,
			Training::ContributionAccepted { worker, reward, .. } => {
				assert_eq!(reward, REWARD);
				*paid.entry(worker.to_string()).or_default() += reward;
			}
			Training::CheckpointFeePaid { fee, .. } => {
				assert_eq!(fee, REWARD / 10);
				fees += 1;
			}
			Training::ContributionRejected { worker, .. } => panic!("{worker} was slashed"),
			// What a round did not spend goes back as it finishes, the rest at the end.
			Training::RoundFinished { refund: back, .. }
			| Training::BountyFinished { refund: back, .. } => refund += back,
			_ => {}
		}
	}
	let expected: BTreeMap<String, Balance> =
		slots.iter().map(|(worker, n)| (worker.clone(), n * REWARD)).collect();
	assert_eq!(paid, expected);
	assert_eq!(fees, 3, "one checkpoint fee per round");
	assert_eq!(refund, escrow - 12 * REWARD - 3 * REWARD / 10, "escrow {escrow}");
	assert_eq!(done["escrow"], "0");
	assert_eq!(rpc.account(&owner).await.unwrap().data.reserved, 0, "nothing stays held");
	let registry: Value = rpc.call("cohort_workers", vec![]).await.unwrap();
	for worker in registry.as_array().unwrap() {
		assert_eq!(worker["slashed"], "0", "{worker}");
	}

	// The model anyone fetches is the checkpoint the chain names, and it learned.
	let last = wait::until("the final checkpoint to be served", STEP, || async {
		let eval = fetch_and_eval(&observer, out).await;
		Ok((eval["checkpoint"] == done["checkpoint"]).then_some(eval))
	})
	.await
	.unwrap();
	let (before, after) = (initial["loss"].as_f64().unwrap(), last["loss"].as_f64().unwrap());
	assert!(after < before - 0.5, "loss {before} -> {after}");
	drop(serving);

	// Restarting the whole network keeps every bounty, stake and checkpoint: all four nodes
	// are killed (SIGKILL, as in a power cut) and started again on their data, and they go on
	// finalizing.
	let finalized = rpc.finalized_number().await.unwrap();
	let before = ledger(&rpc).await;
	let network = deployment.network_mut();
	for node in 0..4 {
		network.kill(node).await;
	}
	for node in 0..4 {
		network.restart(node).await.unwrap();
	}
	network.wait_finalized(finalized + 3, Duration::from_secs(180)).await.unwrap();
	assert_eq!(ledger(&rpc).await, before);
}

/// What a restart must not lose: the bounty (status, checkpoint, escrow), every worker's bond
/// and slashes, every validator candidate's bond.
async fn ledger(rpc: &Rpc) -> Value {
	let bounty: Value = rpc.call("cohort_bounty", vec![json!(0)]).await.unwrap();
	let workers: Vec<Value> = rpc.call("cohort_workers", vec![]).await.unwrap();
	let validators: Value = rpc.call("cohort_validators", vec![]).await.unwrap();
	json!({
		"bounty": bounty,
		"workers": workers.iter().map(|w| json!([w["account"], w["bond"], w["slashed"]])).collect::<Vec<_>>(),
		"candidates": validators["candidates"],
	})
}
