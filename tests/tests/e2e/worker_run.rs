//! The worker, the verifier and the bounty submitter as real `cohort-worker` processes on a
//! dev chain, started as the README's worker section says (no `--bootstrap` anywhere; the
//! bounty submitted the moment the workers are started): a bounty trains round after round to
//! completion, every shard audited and settled by the validator's verifier, every
//! contribution accepted, and workers killed after sealing, after committing and after
//! revealing come back from their stores (one on a new port) without a second commit or a
//! lost reveal.

use cohort_tests::{
	deployment::SMALL_MLP,
	wait,
	worker::{run_once, WorkerConfig, WorkerProcess},
	Node, NodeConfig, Rpc,
};
use serde_json::{json, Value};
use std::time::Duration;

const STEP: Duration = Duration::from_secs(90);

/// The tests' small MLP, so that a shard trains in well under a second.
const MODEL: &str = SMALL_MLP[1];

async fn bounty(rpc: &Rpc) -> Value {
	rpc.call("cohort_bounty", vec![json!(0)]).await.unwrap()
}

fn alice_account() -> String {
	sp_keyring::Sr25519Keyring::Alice.to_account_id().to_string()
}

/// Kill `process` (SIGKILL, as a crash) once it has logged `after`, and start `run` again on
/// the same store.
async fn restart(mut process: WorkerProcess, config: &WorkerConfig, after: &str) -> WorkerProcess {
	process.wait_log(after, STEP).await.unwrap();
	process.kill().await;
	WorkerProcess::spawn(config, &["run"]).unwrap()
}

#[tokio::test]
async fn workers_train_a_bounty_to_completion_and_resume_after_a_kill() {
	let _nodes = crate::training_test(65).await;
	let dir = tempfile::tempdir().unwrap();
	let node = Node::start(NodeConfig::validator("alice"), "dev", &dir.path().join("dev"), &[])
		.await
		.unwrap();
	let rpc = node.rpc().clone();
	let port = node.rpc_port();
	let [alice, bob, charlie, dave, eve] = ["Alice", "Bob", "Charlie", "Dave", "Eve"]
		.map(|who| WorkerConfig::new(who, dir.path(), port).unwrap());

	for worker in [&bob, &charlie] {
		let register = ["register", "--bond", "150", "--gflops", "10", "--memory-mib", "4096"];
		let registered = run_once(worker, &register, STEP).await.unwrap();
		assert_eq!(registered["call"], "Workers.register");
	}
	let bob_run = WorkerProcess::spawn(&bob, &["run"]).unwrap();
	let charlie_run = WorkerProcess::spawn(&charlie, &["run"]).unwrap();
	let verifier = WorkerProcess::spawn(&alice, &["verify"]).unwrap();

	// Submitted at once, racing the workers' start: the submitter may read the registry
	// before they record where they listen, and must still be found.
	let submit = [
		"bounty",
		"submit",
		"--model",
		MODEL,
		"--dataset",
		"builtin:synthetic",
		"--rounds",
		"2",
		"--shards",
		"2",
		"--replication",
		"2",
		"--steps",
		"5",
		"--batch-size",
		"16",
		// Twenty reveal blocks (the CLI's default): Bob is killed after his first reveal, and
		// a worker reveals only once the commit deadline is final (three or four blocks on a
		// dev node), so the window must hold a restart besides. A barrier closes it as soon
		// as every seal is open, so the wider window costs no time.
		"--phases",
		"12,20,20,12,6",
		// Every agreeing shard is audited: Alice's verifier recomputes each and votes.
		"--audit-rate",
		"1",
	];
	let mut submitter = WorkerProcess::spawn(&dave, &submit).unwrap();
	let submitted = submitter.json_line(STEP).await.unwrap();
	assert_eq!(submitted["bounty"], 0, "{submitted}");
	for process in [&bob_run, &charlie_run] {
		process.wait_log("worker running", STEP).await.unwrap();
	}
	verifier.wait_log("verifier running", STEP).await.unwrap();
	// The chain names the submitter as the server of the bounty's data.
	let server = wait::until("the data server on chain", STEP, || async {
		let b = bounty(&rpc).await;
		Ok((!b["dataServer"].is_null()).then_some(b["dataServer"].clone()))
	})
	.await
	.unwrap();
	assert_eq!(server["addresses"].as_array().map(Vec::len), Some(1), "{server}");

	// Workers are killed (SIGKILL) at three points of the protocol and started again on the
	// same store: Bob as soon as he has sealed a shard (his commit may or may not have left),
	// Charlie once a commit is in (on a new port, which he records on chain as he starts),
	// and Bob again once a reveal is in.
	let bob_run = restart(bob_run, &bob, "trained").await;
	let moved = WorkerConfig { port: cohort_tests::free_port().unwrap(), ..charlie };
	let charlie_run = restart(charlie_run, &moved, "committed").await;
	let bob_run = restart(bob_run, &bob, "revealed").await;

	let waited = wait::until("the bounty to complete", Duration::from_secs(300), || async {
		let b = bounty(&rpc).await;
		Ok((b["status"] != "active").then_some(b))
	})
	.await;
	let done = match waited {
		Ok(done) => done,
		Err(e) => {
			// What the chain says, beside what every process last printed.
			let b = bounty(&rpc).await;
			let round: Value =
				rpc.call("cohort_round", vec![json!(0), b["round"].clone()]).await.unwrap();
			let workers: Value = rpc.call("cohort_workers", vec![]).await.unwrap();
			let best = rpc.best_number().await.unwrap();
			let finalized = rpc.finalized_number().await.unwrap();
			panic!(
				"{e}\nbest #{best}, finalized #{finalized}\nbounty: {b}\nround: {round}\n\
				 workers: {workers}\nnode:\n{}\nbob:\n{}\ncharlie:\n{}\nalice:\n{}\ndave:\n{}",
				node.log_tail(30),
				bob_run.log_tail(20),
				charlie_run.log_tail(20),
				verifier.log_tail(20),
				submitter.log_tail(10)
			)
		}
	};
	assert_eq!(done["status"], "completed", "{done}");
	assert_ne!(done["checkpoint"], submitted["initialCheckpoint"]);
	assert!(done["dataServer"].is_null(), "a closed bounty keeps no data server: {done}");

	// Every slot of both rounds was accepted: Bob's sealed result survived the kill.
	for round in 0..2 {
		let view: Value = rpc.call("cohort_round", vec![json!(0), json!(round)]).await.unwrap();
		for shard in view["shards"].as_array().unwrap() {
			assert!(shard["outcome"]["accepted"].is_string(), "round {round}: {shard}");
			for slot in shard["slots"].as_array().unwrap() {
				assert_eq!(slot["outcome"], "accepted", "round {round}: {slot}");
			}
		}
	}
	// Each shard was audited and settled by the verifier's recomputation.
	let disputes: Value = rpc.call("cohort_disputes", vec![json!(0)]).await.unwrap();
	let disputes = disputes.as_array().unwrap();
	assert_eq!(disputes.len(), 4, "{disputes:?}");
	for dispute in disputes {
		assert_eq!(dispute["reason"], "audit", "{dispute}");
		let root = &dispute["candidates"][0]["root"];
		assert_eq!(dispute["status"]["settled"]["correct"], *root, "{dispute}");
		assert_eq!(dispute["votes"][0]["voter"], alice_account(), "{dispute}");
	}
	let workers: Value = rpc.call("cohort_workers", vec![]).await.unwrap();
	for worker in workers.as_array().unwrap() {
		assert_eq!(worker["slashed"], "0", "{worker}");
	}

	// Anyone can fetch the final model from the workers that serve it, once the completion is
	// final (the worker reads finalized state).
	wait::until("the completion to be finalized", STEP, || async {
		let status = run_once(&eve, &["bounty", "status", "0"], STEP).await?;
		Ok((status["status"] == "Completed").then_some(()))
	})
	.await
	.unwrap();
	let out = dir.path().join("model.safetensors");
	let fetch = ["model", "fetch", "0", "--out", out.to_str().unwrap()];
	let fetched = run_once(&eve, &fetch, STEP).await.unwrap();
	assert_eq!(fetched["checkpoint"], done["checkpoint"]);
	assert_eq!(fetched["tensors"], 4);
	assert!(std::fs::metadata(&out).unwrap().len() > 784 * 32 * 4);

	// The fetched weights load back: their loss on the built-in task, and a clear refusal to
	// write text with an MLP.
	let out = out.to_str().unwrap();
	let eval = run_once(&eve, &["model", "eval", out, "--model", MODEL], STEP).await.unwrap();
	let loss = eval["loss"].as_f64().unwrap();
	assert!(loss.is_finite() && loss > 0.0, "{eval}");
	let mut sample =
		WorkerProcess::spawn(&eve, &["model", "sample", out, "--model", MODEL]).unwrap();
	let refused = sample.success(STEP).await.unwrap_err().to_string();
	assert!(refused.contains("only a char transformer generates text"), "{refused}");
}
