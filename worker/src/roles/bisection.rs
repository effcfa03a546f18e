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
	trainer::Dataset,
};
use cohort_primitives::{DisputeId, Verdict, H256};
use std::{
	sync::Arc,
	time::{Duration, Instant},
};

/// The largest relative L2 distance `‖a − b‖ / ‖b‖` between two training states, one inner
/// step after one agreed state, at which a referee of another determinism class counts them
/// as the same step. One step from one state on two kinds of hardware differs by the rounding
/// of its ops (f32: about 1e-7 relative per op, a few hundred ops deep); whole shards drift
/// far more (`verifier::TOLERANCE`) only because such differences compound over steps. The
/// bound has not been measured across real hardware yet (no GPU run since the game landed):
/// the cap of 1e-3 stands, an order of magnitude tighter.
pub const STEP_TOLERANCE: f64 = 1e-4;

/// Blocks before sealing ends on a dispute by which a referee stops waiting for the agreed
/// state: what its step and its seal's inclusion need.
const VOTE_MARGIN_BLOCKS: u32 = 3;

/// How a referee's determinism class stands to the round's it judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kinship {
	/// The same class: a step is recomputed to the bit.
	Same,
	/// Another class that may compute some steps to the same bits: two CPU classes (gemm's
	/// kernels coincide on products under its block, and many models have only those), or a
	/// class whose family is not one this worker names.
	Related,
	/// Another known family of device (a CPU referee of GPU workers, or of the emulated
	/// class): its kernels round a training step differently from every kernel of the round's.
	Foreign,
}

/// The families of device whose classes this worker names (`Backend`'s classes): a class's
/// family is its name's first word.
const FAMILIES: [&str; 3] = ["cpu", "cuda", "emulated"];

impl Kinship {
	/// The kinship of `referee`'s class to `round`'s, by name. Class names are self-declared,
	/// so only the families named in [`FAMILIES`] count as foreign to each other; a name of
	/// another form is only related (a pool that names its CPUs `farm-x86` must not find its
	/// exact steps counted against it).
	pub fn between(round: &str, referee: &str) -> Self {
		match (family(round), family(referee)) {
			_ if round == referee => Kinship::Same,
			(Some(a), Some(b)) if a != b => Kinship::Foreign,
			_ => Kinship::Related,
		}
	}
}

/// The family of `class`, if it is one of [`FAMILIES`].
fn family(class: &str) -> Option<&str> {
	class.split('-').next().filter(|first| FAMILIES.contains(first))
}

/// Whether `game` has narrowed its dispute to one transition.
pub fn is_over(game: &GameView) -> bool {
	game.high <= game.low + 1
}

/// Which of `game`'s two sides `who` backs, if any, and its place among the side's backers.
pub fn side_of(game: &GameView, who: &AccountId) -> Option<(usize, usize)> {
	game.sides.iter().enumerate().find_map(|(side, record)| {
		record.backers.0.iter().position(|backer| backer == who).map(|place| (side, place))
	})
}

/// Whether the backer at `place` among its side's backers moves now in `game`'s turn, at block
/// `now`: the first backer at once, the others once half of the turn's `move_blocks` have gone
/// by without a move (any backer's move counts for the side, and a second one is refused).
pub fn moves_now(game: &GameView, place: usize, now: u32, move_blocks: u32) -> bool {
	place == 0 || game.deadline.saturating_sub(now) <= move_blocks / 2
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
	let record = cx.store.commitment(bounty, round, shard)?.ok_or(DutyError::NoRecord {
		bounty,
		round,
		shard,
	})?;
	let position = game.low + (game.high - game.low) / 2;
	let index = position - 1;
	let leaf = *record.trajectory.get(index as usize).ok_or(DutyError::NoRecord {
		bounty,
		round,
		shard,
	})?;
	let proof = crate::trajectory::proof(&record.trajectory, index).siblings;
	let call = runtime::tx().training().bisect(dispute, leaf, BoundedVec(proof));
	cx.submit("Training.bisect", &call).await?;
	tracing::info!(dispute, position, ?leaf, "moved in the bisection");
	Ok(())
}

/// Once `game` (over `task`) is over: serve the training states among the agreed one at `low`
/// and this side's at `high`, retrained from the round's checkpoint, for the referees whose
/// sealing ends at block `sealing_ends`. (The delta, at the last position, is served already;
/// the checkpoint, at position 0, is the bounty's.)
pub async fn serve_states(
	cx: Context,
	game: GameView,
	task: ShardTask,
	sealing_ends: u32,
) -> Result<(), DutyError> {
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
	let dataset = Arc::new(cx.dataset(task.bounty, &job).await?);
	let states = retrain(&cx, &job, &checkpoint, dataset, task, steps_taken, sealing_ends);
	for state in states.await? {
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
/// arithmetic on any hardware, so they are compared exactly); from another family of device
/// ([`Kinship::Foreign`]) a step with this referee's own bytes counts as wrong: it was taken
/// on the referee's kind of hardware, not the round's. Two sides
/// within the tolerance cannot be told apart, nor can a side whose state is not served, nor
/// (from another class) a step from an agreed state nobody serves, and the referee abstains
/// rather than risk slashing honest work.
pub async fn judge(
	cx: &Context,
	dispute: &DisputeView,
	game: &GameView,
	job: &Job,
	task: ShardTask,
	kinship: Kinship,
) -> Result<Option<Verdict>, DutyError> {
	let same_class = kinship == Kinship::Same;
	let checkpoint = cx.bounty_blob(task.bounty, task.checkpoint).await?;
	let dataset = Arc::new(cx.dataset(task.bounty, job).await?);
	// Until 3 blocks before sealing ends: what the step and the seal's inclusion need.
	let at = cx.chain.best().await?;
	let sealing_ends = dispute.dispute.sealing_ends;
	let blocks = sealing_ends.saturating_sub(at.number + VOTE_MARGIN_BLOCKS);
	let window = Duration::from_millis(u64::from(blocks) * at.slot_duration_ms().await?);
	let agreed = match game.agreed {
		// The sides retrain the agreed state once they see the game over. Half the window is
		// theirs; then the referee retrains it itself (a shard's work at most, which the vote
		// window covers): sides that agreed on a state nobody can serve must not escape.
		Some(leaf) => match served(cx, leaf, window / 2).await {
			Ok(bytes) => Some(bytes),
			// A referee of another class would retrain a state a few ulps a step away from
			// the round's, and judge the sides' step against a state they never agreed on.
			Err(e) if e.is_unavailable() && !same_class => {
				tracing::warn!(
					dispute = dispute.id,
					?leaf,
					"nobody serves the agreed state, and this class cannot retrain it: abstaining"
				);
				return Ok(None);
			}
			Err(e) if e.is_unavailable() => {
				tracing::warn!(
					dispute = dispute.id,
					?leaf,
					"nobody serves the agreed state: retraining it"
				);
				let steps_taken = vec![game.low - 1];
				let mut states =
					retrain(cx, job, &checkpoint, dataset.clone(), task, steps_taken, sealing_ends)
						.await?;
				let state = states.pop().expect("one state per step count asked for").to_bytes();
				if same_class && merkle::root(&state) != leaf {
					// Both sides claimed a state this step count does not reach.
					return Ok(Some(Verdict::NoneCorrect));
				}
				Some(state)
			}
			Err(e) => return Err(e),
		},
		None => None,
	};
	let (low, compute, backend) = (game.low, job.clone(), cx.backend.clone());
	let turn = cx.training_turn(task.bounty, sealing_ends).await;
	let started = Instant::now();
	let next = cx
		.on_turn(turn, move || {
			compute.next_position(&checkpoint, agreed.as_deref(), low, &dataset, task, &backend)
		})
		.await;
	let elapsed = started.elapsed();
	cx.metrics.spent(Work::Training, elapsed);
	let next = next??;
	let ours = merkle::root(&next);
	tracing::info!(
		dispute = dispute.id,
		low,
		?ours,
		seconds = elapsed.as_secs_f64(),
		"recomputed the bisected transition"
	);
	// Each side's claim at `high`: its leaf, or at the last position its delta root.
	let claims: Vec<(H256, H256)> =
		game.sides.iter().map(|side| (side.root, side.at_high.unwrap_or(side.root))).collect();
	let exact = claims.iter().find(|(_, claim)| *claim == ours).map(|(root, _)| *root);
	let rounded = (1..=job.spec.hyper.inner_steps).contains(&low);
	if same_class || !rounded {
		return Ok(Some(exact.map_or(Verdict::NoneCorrect, Verdict::Correct)));
	}
	// From another family of device, a claim with this referee's own bytes is not the round's
	// class's: no kernel of that class rounds a step like ours, so the step was taken on our
	// kind of hardware by a side that declared another (to match its referees). Unless the
	// step moved nothing (a zero learning rate, an update under half an ulp): such a step is
	// the same bits on any hardware.
	let degenerate = game.agreed == Some(ours);
	let forged = match exact {
		Some(root) if kinship == Kinship::Foreign && !degenerate => {
			tracing::warn!(dispute = dispute.id, ?root, "a side's step has this referee's class");
			Some(root)
		}
		Some(root) => return Ok(Some(Verdict::Correct(root))),
		None => None,
	};
	// Otherwise each side's claimed state is compared within the step tolerance. A claim not
	// served in time leaves the referee unable to tell: it abstains rather than count the
	// silence against a side still retraining.
	let mine = Delta::from_bytes(&next).map_err(crate::job::JobError::CorruptState)?;
	let remaining = window.saturating_sub(started.elapsed());
	let mut close = Vec::new();
	for (root, claim) in claims {
		if forged == Some(root) {
			continue;
		}
		let theirs = match served(cx, claim, remaining).await.map(|bytes| Delta::from_bytes(&bytes))
		{
			Ok(Ok(theirs)) if theirs.same_layout(&mine) => theirs,
			Ok(_) => continue,
			Err(e) if e.is_unavailable() => {
				tracing::warn!(
					dispute = dispute.id,
					?claim,
					"abstaining: a side's state is not served"
				);
				return Ok(None);
			}
			Err(e) => return Err(e),
		};
		if relative_l2(&theirs, &mine) <= STEP_TOLERANCE {
			close.push(root);
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

/// The states after each of `steps_taken` (increasing) steps of `task`, retrained here from
/// `checkpoint` in one pass, in this process's training turn, due by block `deadline`.
async fn retrain(
	cx: &Context,
	job: &Job,
	checkpoint: &[u8],
	dataset: Arc<Dataset>,
	task: ShardTask,
	steps_taken: Vec<u32>,
	deadline: u32,
) -> Result<Vec<Delta>, DutyError> {
	let (job, checkpoint) = (job.clone(), checkpoint.to_vec());
	let backend = cx.backend.clone();
	let turn = cx.training_turn(task.bounty, deadline).await;
	let started = Instant::now();
	let states = cx
		.on_turn(turn, move || {
			job.states_after(&checkpoint, &dataset, task, &steps_taken, &backend)
		})
		.await;
	cx.metrics.spent(Work::Training, started.elapsed());
	Ok(states??)
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

#[cfg(test)]
mod tests {
	use super::Kinship;

	#[test]
	fn classes_are_kin_by_family_the_first_word_of_their_names() {
		let cpu = "cpu-x86_64-fma-kc512";
		assert_eq!(Kinship::between(cpu, cpu), Kinship::Same);
		assert_eq!(Kinship::between("cpu-x86_64-fma-kc1024", cpu), Kinship::Related);
		assert_eq!(Kinship::between("cpu-aarch64-kc512", cpu), Kinship::Related);
		assert_eq!(Kinship::between("cuda-sm90-132sm", cpu), Kinship::Foreign);
		assert_eq!(Kinship::between("emulated-ulp", cpu), Kinship::Foreign);
		assert_eq!(Kinship::between("cpu", "cpu-x86_64-kc512"), Kinship::Related);
		assert_eq!(Kinship::between("cuda-sm90-114sm", "cuda-sm90-132sm"), Kinship::Related);
		// Names of another form are only related: their exact steps are never held against them.
		assert_eq!(Kinship::between("farm-x86", cpu), Kinship::Related);
		assert_eq!(Kinship::between("cuda-sm90-132sm", "farm-x86"), Kinship::Related);
	}
}
