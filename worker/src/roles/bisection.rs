//! The bisection game of a shard dispute (the training pallet's `bisection.rs`), from the
//! worker's side and from the referee's:
//!
//! - a side moves: each turn it reveals its trajectory's leaf at the midpoint, with the proof,
//!   from the leaves its store kept with the seal ([`answer`]);
//! - once the game is over, each side serves what the referee needs, the agreed state at
//!   `low` and its own state at `high`, retrained from `H_k` in one pass ([`serve_states`]);
//! - a validator's verifier, the referee, recomputes the one transition from `low` to `high`
//!   and votes for the side whose claim it gets ([`judge`]).
//!
//! Positions: `0` is the round's checkpoint, `i + 1` the state after `i` inner steps (leaf `i`),
//! `steps + 2` the delta.

use super::{verifier::relative_l2, Context, DutyError};
use crate::{
	chain::{
		runtime::{self, runtime_types::bounded_collections::bounded_vec::BoundedVec},
		AccountId, DisputeView, GameView,
	},
	delta::Delta,
	job::{Job, ShardTask},
	merkle,
	metrics::Work,
};
use cohort_primitives::{DisputeId, Verdict, H256};
use std::time::{Duration, Instant};

/// The largest relative L2 distance `‖a − b‖ / ‖b‖` between two training states, one inner
/// step after one agreed state, at which a referee of another determinism class counts them
/// as the same step. One step from one state on two kinds of hardware differs by the rounding
/// of its ops (f32: about 1e-7 relative per op, a few hundred ops deep); whole shards drift
/// far more (`verifier::TOLERANCE`) only because such differences compound over steps. The
/// bound has not been measured across real hardware yet (no GPU run since the game landed):
/// the cap of 1e-3 stands, an order of magnitude tighter.
pub const STEP_TOLERANCE: f64 = 1e-4;

/// Blocks before a dispute's vote deadline by which a referee stops waiting for the agreed
/// state: what its step and its vote's inclusion need.
const VOTE_MARGIN_BLOCKS: u32 = 3;

/// Whether `game` has narrowed its dispute to one transition.
pub fn is_over(game: &GameView) -> bool {
	game.high <= game.low + 1
}

/// Which of `game`'s two sides `who` plays, if any.
pub fn side_of(game: &GameView, who: &AccountId) -> Option<usize> {
	game.sides.iter().position(|side| side.party == *who)
}

/// As a side of `dispute`'s game over `task`: reveal this worker's leaf at the current
/// midpoint, with its proof against the trajectory root it sealed.
pub async fn answer(
	cx: Context,
	dispute: DisputeId,
	game: GameView,
	task: ShardTask,
) -> Result<(), DutyError> {
	let ShardTask { bounty, round, shard, .. } = task;
	let Some(record) = cx.store.commitment(bounty, round, shard)? else {
		tracing::error!(bounty, round, shard, "a bisection of a seal the store does not know");
		return Ok(());
	};
	let position = game.low + (game.high - game.low) / 2;
	let index = position - 1;
	let Some(&leaf) = record.trajectory.get(index as usize) else {
		tracing::error!(bounty, round, shard, position, "the stored trajectory is shorter");
		return Ok(());
	};
	let proof = crate::trajectory::proof(&record.trajectory, index).siblings;
	let call = runtime::tx().training().bisect(dispute, leaf, BoundedVec(proof));
	cx.submit("Training.bisect", &call).await?;
	tracing::info!(dispute, position, ?leaf, "moved in the bisection");
	Ok(())
}

/// Once `game` (over `task`) is over: serve the training states among the agreed one at `low`
/// and this side's at `high`, retrained from the round's checkpoint. (The delta, at the last
/// position, is served already; the checkpoint, at position 0, is the bounty's.)
pub async fn serve_states(cx: Context, game: GameView, task: ShardTask) -> Result<(), DutyError> {
	let steps_taken: Vec<u32> = [game.low, game.high]
		.into_iter()
		.filter(|position| (1..=game.leaves).contains(position))
		.map(|position| position - 1)
		.collect();
	if steps_taken.is_empty() {
		return Ok(());
	}
	let at = cx.chain.best().await?;
	let job = cx.job(&at, task.bounty).await?;
	let checkpoint = cx.bounty_blob(task.bounty, task.checkpoint).await?;
	let dataset = cx.dataset(task.bounty, &job).await?;
	let device = cx.backend.device().clone();
	let turn = cx.training_turn().await;
	let started = Instant::now();
	let states = tokio::task::spawn_blocking(move || {
		job.states_after(&checkpoint, &dataset, task, &steps_taken, &device)
	})
	.await;
	cx.metrics.spent(Work::Training, started.elapsed());
	drop(turn);
	for state in states.map_err(|e| DutyError::Task(e.to_string()))?? {
		let root = cx.store.put_blob(&state.to_bytes())?;
		cx.network.provide(root)?;
		tracing::info!(
			bounty = task.bounty,
			shard = task.shard,
			?root,
			"serving a state for the bisection's referee"
		);
	}
	Ok(())
}

/// As the referee of `dispute`, whose game over `task` of `job` is over: recompute the one
/// transition it found and return the verdict; `None` to abstain. Within the round's class the
/// side whose claim has the recomputed bytes' root wins. From another class, a training step is
/// compared within [`STEP_TOLERANCE`] (the state before the first step and the delta are exact
/// arithmetic on any hardware, so they are compared exactly); two sides within it cannot be
/// told apart, and the referee abstains rather than risk slashing honest work.
pub async fn judge(
	cx: &Context,
	dispute: &DisputeView,
	game: &GameView,
	job: &Job,
	task: ShardTask,
	same_class: bool,
) -> Result<Option<Verdict>, DutyError> {
	let checkpoint = cx.bounty_blob(task.bounty, task.checkpoint).await?;
	let dataset = cx.dataset(task.bounty, job).await?;
	let agreed = match game.agreed {
		Some(leaf) => {
			// The sides retrain the agreed state once they see the game over (up to a shard's
			// training, which the vote window, at least the commit window, covers).
			let at = cx.chain.best().await?;
			let blocks = dispute.dispute.deadline.saturating_sub(at.number + VOTE_MARGIN_BLOCKS);
			let wait = Duration::from_millis(u64::from(blocks) * at.slot_duration_ms().await?);
			Some(served(cx, leaf, wait).await?)
		}
		None => None,
	};
	let (low, compute, device) = (game.low, job.clone(), cx.backend.device().clone());
	let turn = cx.training_turn().await;
	let started = Instant::now();
	let next = tokio::task::spawn_blocking(move || {
		compute.next_position(&checkpoint, agreed.as_deref(), low, &dataset, task, &device)
	})
	.await;
	let elapsed = started.elapsed();
	cx.metrics.spent(Work::Training, elapsed);
	drop(turn);
	let next = next.map_err(|e| DutyError::Task(e.to_string()))??;
	let mine = merkle::root(&next);
	tracing::info!(
		dispute = dispute.id,
		low,
		?mine,
		seconds = elapsed.as_secs_f64(),
		"recomputed the bisected transition"
	);
	// Each side's claim at `high`: its leaf, or at the last position its delta root.
	let claims: Vec<(H256, H256)> =
		game.sides.iter().map(|side| (side.root, side.at_high.unwrap_or(side.root))).collect();
	if let Some((root, _)) = claims.iter().find(|(_, claim)| *claim == mine) {
		return Ok(Some(Verdict::Correct(*root)));
	}
	let rounded = (1..=job.spec.hyper.inner_steps).contains(&low);
	if same_class || !rounded {
		return Ok(Some(Verdict::NoneCorrect));
	}
	let mine = Delta::from_bytes(&next).map_err(crate::job::JobError::CorruptState)?;
	let mut close = Vec::new();
	for (root, claim) in claims {
		match cx.blob(claim).await.map(|bytes| Delta::from_bytes(&bytes)) {
			Ok(Ok(theirs)) if theirs.same_layout(&mine) => {
				if relative_l2(&theirs, &mine) <= STEP_TOLERANCE {
					close.push(root);
				}
			}
			Ok(_) => {}
			Err(e) => {
				tracing::warn!(dispute = dispute.id, ?claim, "cannot fetch a side's state: {e}")
			}
		}
	}
	Ok(match close[..] {
		[] => Some(Verdict::NoneCorrect),
		[only] => Some(Verdict::Correct(only)),
		_ => {
			tracing::warn!(
				dispute = dispute.id,
				"abstaining: both sides within the step tolerance"
			);
			None
		}
	})
}

/// Blob `root`, waiting up to `wait` for a side to serve it.
async fn served(cx: &Context, root: H256, wait: Duration) -> Result<Vec<u8>, DutyError> {
	let started = Instant::now();
	loop {
		match cx.blob(root).await {
			Err(e) if e.is_unavailable() && started.elapsed() < wait => {
				tokio::time::sleep(Duration::from_secs(1)).await;
			}
			fetched => return fetched,
		}
	}
}
