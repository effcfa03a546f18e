//! Issue 5's adversaries against honest replicas. Eve runs `cohort-worker run --adversary
//! <schedule>` (the `adversary` feature, which `scripts/test` builds), two behaviours a round,
//! one in each shard; Ferdie and One are honest, except that One colludes with Eve in one
//! shard of the last round. Every worker holds every shard (r = 3 with three workers), so each
//! behaviour meets two honest replicas.
//!
//! Each bad contribution must be rejected and its author slashed: a wrong delta by the
//! verifiers' recomputation of the one step (or the delta) its bisection game narrows the
//! dispute to, a trajectory that departs at step 13 of 20 at step 13, a side that stops
//! answering its game by forfeit once its grace has passed, a seal that is never opened
//! (copied or withheld) at the reveal deadline. The colluding pair outnumbers the honest replica and still loses. No honest worker
//! is slashed and every round trains on. A delta served with wrong bytes cannot be slashed
//! (nothing on chain shows who served what), so it is checked where it is caught: a fetcher
//! that reaches only Eve refuses her bytes.

use cohort_runtime::{Balance, RuntimeEvent};
use cohort_tests::{
	deployment::{Deployment, SMALL_MLP},
	worker::{run_once, WorkerConfig},
	NetworkConfig, Rpc,
};
use pallet_training::{DisputeSubject, Event as Training};
use serde_json::Value;
use sp_keyring::Sr25519Keyring;
use std::{collections::BTreeMap, time::Duration};

const STEP: Duration = Duration::from_secs(180);

/// Eve's behaviours in each round, in shard 0 and shard 1. `stale` needs an older checkpoint,
/// so not round 0; the unrevealed seals (`copy-seal`, `withhold`) sit beside a revealed one,
/// so that Eve never misses three deadlines in a row (which would make her inactive).
const EVE: [[&str; 2]; 6] = [
	["random", "sign-flip"],
	["stale", "scale"],
	["copy-seal", "zero"],
	["late-step", "wrong-shard"],
	["withhold", "evade"],
	["wrong-blob", "collude"],
];
/// The round One colludes with Eve in, in shard 1.
const COLLUSION: u32 = 5;
/// The round Eve serves wrong bytes in, for shard 0.
const WRONG_BLOB: u32 = 5;
/// Inner steps per shard, and the step `late-step` departs from the honest trajectory at.
const STEPS: u32 = 20;
const LATE_STEP: u32 = 13;
const SHARDS: u32 = 2;
/// What a failed start most likely means.
pub const NEEDS_FEATURE: &str = "a deployment with adversaries: is cohort-worker built with \
	`--features cohort-worker/adversary`? (scripts/test builds it)";

/// What became of one slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
	Accepted,
	Rejected,
	Unrevealed,
}

/// What happened to each worker's slots, from the chain's events.
#[derive(Debug, Default)]
pub(crate) struct Outcomes {
	/// (round, shard, worker) → what became of its slot.
	pub fates: BTreeMap<(u32, u32, String), Fate>,
	/// (round, shard) → the (low, high) its bisection game ended at.
	pub narrowed_in: BTreeMap<(u32, u32), (u32, u32)>,
	/// (round, shard) → the parties that lost its game by not answering.
	pub forfeited_in: BTreeMap<(u32, u32), Vec<String>>,
	/// dispute → the (round, shard) of a shard dispute.
	pub shard_of: BTreeMap<u64, (u32, u32)>,
	/// (round, worker) → shards accepted.
	pub accepted: BTreeMap<(u32, String), u32>,
	/// (round, worker) → shards whose root lost its dispute.
	pub rejected: BTreeMap<(u32, String), u32>,
	/// worker → every amount slashed.
	pub slashed: BTreeMap<String, Balance>,
	/// The roots accepted in each round, by shard.
	pub roots: BTreeMap<(u32, u32), String>,
	/// dispute → the round it is about.
	pub disputes: BTreeMap<u64, u32>,
	/// round → the (low, high) each of its bisection games ended at.
	pub narrowed: BTreeMap<u32, Vec<(u32, u32)>>,
	/// dispute → the blocks it opened, its game ended and it was settled at.
	pub timeline: BTreeMap<u64, [Option<u32>; 3]>,
	/// round → the checkpoints its aggregators proposed.
	pub proposed: BTreeMap<u32, Vec<String>>,
	/// round → the checkpoint it finished with.
	pub results: BTreeMap<u32, String>,
	/// round → the open slots voided with it, each time it was voided.
	pub voided: BTreeMap<u32, Vec<u32>>,
	/// The disputes that ended without a verdict.
	pub unresolved: Vec<u64>,
	/// dispute → the verdict it was settled on.
	pub verdicts: BTreeMap<u64, String>,
}

pub(crate) async fn outcomes(rpc: &Rpc) -> Outcomes {
	let mut outcomes = Outcomes::default();
	for number in 1..=rpc.best_number().await.unwrap() {
		let hash = rpc.block_hash(number).await.unwrap().unwrap();
		for record in rpc.events(hash).await.unwrap() {
			match record.event {
				RuntimeEvent::Training(Training::ContributionAccepted {
					round,
					shard,
					worker,
					root,
					..
				}) => {
					outcomes.fates.insert((round, shard, worker.to_string()), Fate::Accepted);
					*outcomes.accepted.entry((round, worker.to_string())).or_default() += 1;
					outcomes.roots.insert((round, shard), format!("{root:?}"));
				}
				RuntimeEvent::Training(Training::ContributionRejected {
					round,
					shard,
					worker,
					..
				}) => {
					outcomes.fates.insert((round, shard, worker.to_string()), Fate::Rejected);
					*outcomes.rejected.entry((round, worker.to_string())).or_default() += 1;
				}
				RuntimeEvent::Training(Training::SealUnrevealed {
					round, shard, worker, ..
				}) => {
					outcomes.fates.insert((round, shard, worker.to_string()), Fate::Unrevealed);
				}
				RuntimeEvent::Training(Training::DisputeOpened {
					dispute, round, subject, ..
				}) => {
					outcomes.disputes.insert(dispute, round);
					if let DisputeSubject::Shard(shard) = subject {
						outcomes.shard_of.insert(dispute, (round, shard));
					}
					outcomes.timeline.entry(dispute).or_default()[0] = Some(number);
				}
				RuntimeEvent::Training(Training::BisectionNarrowed {
					dispute, low, high, ..
				}) => {
					let round = outcomes.disputes[&dispute];
					outcomes.narrowed.entry(round).or_default().push((low, high));
					if let Some(&slot) = outcomes.shard_of.get(&dispute) {
						outcomes.narrowed_in.insert(slot, (low, high));
					}
					outcomes.timeline.entry(dispute).or_default()[1] = Some(number);
				}
				RuntimeEvent::Training(Training::DisputeSettled { dispute, verdict, .. }) => {
					outcomes.timeline.entry(dispute).or_default()[2] = Some(number);
					outcomes.verdicts.insert(dispute, format!("{verdict:?}"));
				}
				RuntimeEvent::Training(Training::BisectionForfeited { dispute, party }) => {
					if let Some(&slot) = outcomes.shard_of.get(&dispute) {
						outcomes.forfeited_in.entry(slot).or_default().push(party.to_string());
					}
				}
				RuntimeEvent::Training(Training::CheckpointCommitted {
					round, checkpoint, ..
				}) => {
					outcomes.proposed.entry(round).or_default().push(format!("{checkpoint:?}"));
				}
				RuntimeEvent::Training(Training::RoundFinished { round, checkpoint, .. }) => {
					outcomes.results.insert(round, format!("{checkpoint:?}"));
				}
				RuntimeEvent::Training(Training::RoundVoided { round, slots, .. }) => {
					outcomes.voided.entry(round).or_default().push(slots);
				}
				RuntimeEvent::Training(Training::DisputeUnresolved { dispute }) => {
					outcomes.unresolved.push(dispute);
				}
				RuntimeEvent::Workers(pallet_workers::Event::Slashed { who, amount, .. }) => {
					*outcomes.slashed.entry(who.to_string()).or_default() += amount;
				}
				_ => {}
			}
		}
	}
	outcomes
}

/// `dataset fetch ROOT` as `observer`, joining the network through `peer` only.
async fn fetch_through(
	observer: &WorkerConfig,
	peer: &WorkerConfig,
	root: &str,
	out: &str,
) -> cohort_tests::Result<Value> {
	let keys = run_once(peer, &["keys", "inspect"], STEP).await?;
	let bootstrap =
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", peer.port, keys["peerId"].as_str().unwrap());
	run_once(observer, &["dataset", "fetch", root, "--bootstrap", &bootstrap, "--out", out], STEP)
		.await
}

#[tokio::test]
async fn each_adversary_is_rejected_and_slashed_and_training_goes_on() {
	let _nodes = crate::training_test(175).await;
	let eve_schedule: Vec<String> = EVE.iter().map(|plan| plan.join("+")).collect();
	let eve_schedule = eve_schedule.join(",");
	let one_schedule: Vec<&str> =
		(0..=COLLUSION).map(|r| if r == COLLUSION { "honest+collude" } else { "honest" }).collect();
	let one_schedule = one_schedule.join(",");
	let workers: [(&str, &[&str]); 3] = [
		("Eve", &["--adversary", &eve_schedule]),
		("Ferdie", &[]),
		("One", &["--adversary", &one_schedule]),
	];
	// Alice's node keeps every block's state, as an indexer's would, so that the events of
	// the whole run (more blocks than a pruned node keeps) can be read at the end.
	let mut network = NetworkConfig::local();
	network.nodes[0].extra_args.push("--state-pruning=archive-canonical".into());
	// A bond that stays above the minimum through every slash of the schedule.
	let mut deployment =
		Deployment::start_with(network, &workers, "1000").await.expect(NEEDS_FEATURE);
	let rpc = deployment.network().node(0).rpc().clone();
	let rounds = EVE.len().to_string();
	let submit = [
		"--rounds",
		&rounds,
		"--shards",
		&SHARDS.to_string(),
		"--replication",
		"3",
		// Audits only where this test asks for them (the CLI audits a class-bound bounty by default).
		"--audit-rate",
		"0",
		"--steps",
		&STEPS.to_string(),
		"--phases",
		"15,15,30,12,6",
	];
	let submit = [&SMALL_MLP[..], &submit].concat();
	let submitter = deployment.config_on("Ferdie//stash", 0).unwrap();
	let done = deployment.run_bounty(&submitter, &submit, Duration::from_secs(1500)).await.unwrap();
	assert_eq!(done["status"], "completed", "{done}");

	let [eve, ferdie, one] = [Sr25519Keyring::Eve, Sr25519Keyring::Ferdie, Sr25519Keyring::One]
		.map(|key| key.to_account_id().to_string());
	let outcomes = outcomes(&rpc).await;
	let fate = |round: u32, shard: u32, who: &str| {
		outcomes.fates.get(&(round, shard, who.to_string())).copied()
	};
	for ((round, shard), behaviour) in (0u32..)
		.zip(EVE)
		.flat_map(|(round, plan)| (0u32..).zip(plan).map(move |(s, b)| ((round, s), b)))
	{
		let context = format!("round {round}, shard {shard} ({behaviour}): {outcomes:#?}");
		// Training goes on: Ferdie's honest work is accepted in every shard of every round.
		assert_eq!(fate(round, shard, &ferdie), Some(Fate::Accepted), "{context}");
		let eve_fate = match behaviour {
			"copy-seal" | "withhold" => Fate::Unrevealed,
			"wrong-blob" => Fate::Accepted,
			_ => Fate::Rejected,
		};
		assert_eq!(fate(round, shard, &eve), Some(eve_fate), "{context}");
		// Every wrong delta beside an honest one is bisected first, down to where it departs:
		// step 13 for `late-step`, the delta where only the delta is wrong. Eve's evasion
		// loses its game by forfeit, after its grace; nobody honest forfeits.
		let narrowed = outcomes.narrowed_in.get(&(round, shard)).copied();
		// Position `i + 1` is the state after `i` steps; `STEPS + 2` the delta.
		let expected = match behaviour {
			"late-step" => Some((LATE_STEP, LATE_STEP + 1)),
			"random" | "sign-flip" | "scale" | "zero" | "collude" => Some((STEPS + 1, STEPS + 2)),
			// Another checkpoint parts at the first state; another dataset shard at step 1.
			"stale" => Some((0, 1)),
			"wrong-shard" => Some((1, 2)),
			_ => None,
		};
		assert_eq!(narrowed, expected, "{context}");
		let forfeits = outcomes.forfeited_in.get(&(round, shard)).cloned().unwrap_or_default();
		let expected = if behaviour == "evade" { vec![eve.clone()] } else { vec![] };
		assert_eq!(forfeits, expected, "{context}");
		let colluding = (round, shard) == (COLLUSION, 1);
		let one_fate = if colluding { Fate::Rejected } else { Fate::Accepted };
		assert_eq!(fate(round, shard, &one), Some(one_fate), "{context}");
	}
	// Slashed: Eve once per bad slot, One once for its colluding slot, Ferdie never.
	assert!(!outcomes.slashed.contains_key(&ferdie), "{outcomes:#?}");
	// What a bisected dispute costs in blocks (reported, not asserted: the vote's share depends
	// on how fast the verifiers run here): opened → game over → settled.
	let games: Vec<(u32, u32)> = outcomes
		.timeline
		.values()
		.filter_map(|&[opened, narrowed, settled]| {
			Some((narrowed? - opened?, settled? - narrowed?))
		})
		.collect();
	let total = |(game, vote): &(u32, u32)| game + vote;
	eprintln!(
		"bisected disputes: {} settled; blocks to the game's end {:?}, then to the verdict {:?}; \
		 at most {} in all",
		games.len(),
		games.iter().map(|g| g.0).collect::<Vec<_>>(),
		games.iter().map(|g| g.1).collect::<Vec<_>>(),
		games.iter().map(total).max().unwrap_or(0),
	);
	let bad_slots = EVE.iter().flatten().filter(|&&b| b != "wrong-blob").count();
	let registry: Vec<Value> = rpc.call("cohort_workers", vec![]).await.unwrap();
	for worker in &registry {
		let who = worker["account"].as_str().unwrap();
		let slashed: Balance = worker["slashed"].as_str().unwrap().parse().unwrap();
		assert_eq!(slashed, outcomes.slashed.get(who).copied().unwrap_or(0), "{worker}");
	}
	let eve_slashes = outcomes.fates.iter().filter(|((_, _, who), fate)| {
		*who == eve && matches!(fate, Fate::Rejected | Fate::Unrevealed)
	});
	assert_eq!(eve_slashes.count(), bad_slots);

	// Eve served her round-5 delta of shard 0 with a byte flipped. With the honest replicas gone, a
	// fetcher that can reach only her refuses the bytes and writes nothing.
	let root = outcomes.roots[&(WRONG_BLOB, 0)].clone();
	for (config, process) in deployment.workers_mut() {
		if config.who != "Eve" {
			process.kill().await;
		}
	}
	let eve_config = deployment.workers()[0].0.clone();
	let observer = deployment.config_on("Eve//stash", 1).unwrap();
	let out = deployment.dir().join("wrong-blob.bin");
	let refused = fetch_through(&observer, &eve_config, &root, out.to_str().unwrap()).await;
	let error = refused.expect_err("Eve's wrong bytes were accepted").to_string();
	assert!(error.contains("served bytes hashing to"), "{error}");
	assert!(!out.exists());
}
