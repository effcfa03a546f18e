//! The worker's `run` loop. At every new best block, for each slot this account holds in an
//! active bounty's current round, it does what the round's phase asks:
//!
//! - before the commit deadline, check that it can train the shard in time (and declines
//!   the slot when it cannot, or when nobody serves the bounty's data), train it from `H_k`,
//!   record the seal (synced) and commit it; a seal already recorded for the slot is re-sent,
//!   never replaced;
//! - once the last block in which a slot could commit is final (or, when finality stalls,
//!   [`REVEAL_FALLBACK_BLOCKS`] before the reveal deadline and [`REVEAL_DEPTH`] blocks past
//!   the commit deadline), reveal `(root, salt)` and start serving the delta: acted on as the
//!   finality notification comes, so that the reveal lands in the first block that accepts it
//!   (not earlier: a revealed root seen while commits are open could be sealed by another
//!   account, and a fork could reopen commits that a barrier closed);
//! - as the round's aggregator, combine the accepted deltas into `H_{k+1}`, serve it and
//!   commit its root;
//! - in the review window, recompute the proposed checkpoint and dispute it if it differs
//!   (the next round already trains from it meanwhile: the chain voids that round and starts
//!   it again if the checkpoint falls);
//! - as a side of a shard dispute's bisection game, answer each turn with its trajectory's
//!   leaf at the midpoint, and once the game is over serve the states its referee needs.
//!
//! It acts on best blocks, not finalized ones, because every move it makes is checked by the
//! chain when it lands: a move made on a block that is later reorganised away is made again.
//! (The one wait for finality, before revealing, gives way before the reveal deadline.) A
//! finality stall (validators with more than a third of the stake not voting) therefore
//! cannot make an honest worker miss a deadline and be slashed.
//!
//! It also sends heartbeats, and counts its accepted and rejected contributions and slashes.
//!
//! Where a worker could cheat (what it trains from, what it commits and how, whether it
//! reveals, what it serves), the loop asks the context's [`super::Conduct`], honest by default.

use super::{bisection, Context, DutyError, Turn};
use crate::{
	chain::{
		runtime::{
			self,
			runtime_types::{
				pallet_training::{
					runtime_api::ShardView,
					types::{
						BountyStatus, DeclineReason, DisputeStatus, RoundPhase, ShardOutcome, Slot,
						SlotOutcome,
					},
				},
				pallet_workers::info::WorkerStatus,
			},
		},
		AccountId, At, ChainError, RoundView,
	},
	job::{Job, ShardTask},
	merkle,
	metrics::Work,
	p2p::Announcement,
	store::{Commitment, Stage},
	trainer::Trained,
};
use cohort_primitives::{seal, BountyId, DisputeId, RoundIndex, ShardIndex, H256};
use std::{
	collections::{HashMap, HashSet},
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};
use tokio::{sync::watch, task::JoinHandle};

/// One thing to do, so that it runs once at a time and is not repeated once done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Duty {
	/// Keyed by the checkpoint too: a round voided because its checkpoint fell starts again
	/// with the same index, from another checkpoint, and its slots are new duties.
	Commit {
		bounty: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		checkpoint: H256,
	},
	Reveal {
		bounty: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		checkpoint: H256,
	},
	Aggregate {
		bounty: BountyId,
		round: RoundIndex,
	},
	Review {
		bounty: BountyId,
		round: RoundIndex,
	},
	/// One turn of a bisection game, the turn named by the positions it narrows.
	Move {
		dispute: DisputeId,
		low: u32,
		high: u32,
	},
	ServeStates {
		dispute: DisputeId,
	},
	Heartbeat,
}

/// In a finality stall, how deep in the best chain the commit deadline must be before a seal
/// is opened: a reorganisation deeper than this could take the deadline back after the root
/// is public. The runtime's reveal window (at least 10 blocks) leaves room for it.
pub const REVEAL_DEPTH: u32 = 2;

/// Blocks before the reveal deadline from which a seal is opened even though its commit
/// deadline is not final yet (a finality stall): enough for the reveal to be included, and
/// to be sent and included again if a reorganisation takes the first one away.
pub const REVEAL_FALLBACK_BLOCKS: u32 = 6;

/// Blocks after a duty finished (its extrinsic in a best block) after which it is done again
/// if the chain still asks for it: that block was taken away by a reorganisation.
const REDO_AFTER_BLOCKS: u32 = 3;

// A reveal sent at the fallback point lands a block later; taken away, it is sent again
// `REDO_AFTER_BLOCKS` after it landed and must land in a block before the deadline.
const _: () = assert!(REVEAL_FALLBACK_BLOCKS > REDO_AFTER_BLOCKS + 2);

/// Blocks before the commit deadline at which a slot whose data nobody serves is declined.
const DATA_GRACE_BLOCKS: u32 = 3;
/// Blocks before a commit deadline by which a slot that has not had its turn to train is
/// declined: time for the decline to be included.
const DECLINE_MARGIN_BLOCKS: u32 = 2;

impl Duty {
	/// Whether the duty, once done, is never done again: a review that found the checkpoint
	/// right leaves no trace on chain to tell it was done.
	fn once(self) -> bool {
		matches!(self, Duty::Review { .. } | Duty::ServeStates { .. })
	}
}

/// The duties that succeeded, each with the best block it was seen finished at, shared between
/// the block loop and the duties it runs. Counted from the finish, not the start: a commit
/// that trained for thirty blocks and landed just now is not sent again because the worker's
/// view of the chain lags a block behind its own extrinsic.
#[derive(Clone, Default)]
struct Finished {
	/// The best block being handled.
	best: Arc<AtomicU32>,
	at: Arc<Mutex<HashMap<Duty, u32>>>,
}

impl Finished {
	/// The loop handles best block `number` now.
	fn advance(&self, number: u32) {
		self.best.store(number, Ordering::Relaxed);
	}

	fn best(&self) -> u32 {
		self.best.load(Ordering::Relaxed)
	}

	/// `duty` succeeded at the current best block.
	fn record(&self, duty: Duty) {
		self.at.lock().expect("not poisoned").insert(duty, self.best());
	}

	/// Whether `duty` needs no doing now: it is done for good, or finished too recently for
	/// the chain's silence about it to mean a reorganisation took it away.
	fn settled(&self, duty: Duty) -> bool {
		let at = self.at.lock().expect("not poisoned").get(&duty).copied();
		at.is_some_and(|at| duty.once() || self.best() < at + REDO_AFTER_BLOCKS)
	}
}

/// The worker role.
pub struct Worker {
	cx: Context,
	running: HashMap<Duty, JoinHandle<()>>,
	/// Duties that succeeded, and the best block being handled: the chain may show a duty's
	/// effect only a block later, or lose it in a reorganisation.
	finished: Finished,
	rounds_seen: HashSet<(BountyId, RoundIndex)>,
	serving: HashSet<H256>,
	/// Milliseconds per block, for judging what fits before a deadline.
	slot_ms: u64,
	/// The blocks a side of a bisection game has for each move.
	move_blocks: u32,
	/// The seals the last tick held shut only because the block that closed their commits is
	/// not final yet: opened as soon as it is, not at the next best block.
	awaiting_final: Vec<HeldSeal>,
}

impl Worker {
	/// A worker with `cx`.
	pub fn new(cx: Context) -> Self {
		Self {
			cx,
			running: HashMap::new(),
			finished: Finished::default(),
			rounds_seen: HashSet::new(),
			serving: HashSet::new(),
			slot_ms: 0,
			move_blocks: 0,
			awaiting_final: Vec::new(),
		}
	}

	/// Follow best blocks until the node cannot be reached (a connection that stops
	/// delivering is replaced), and count this account's outcomes from finalized blocks
	/// meanwhile.
	pub async fn run(mut self) -> Result<(), ChainError> {
		let at = self.cx.chain.finalized().await?;
		let interval = at.constant(runtime::constants().workers().heartbeat_interval())?;
		self.slot_ms = at.slot_duration_ms().await?;
		self.move_blocks = at.constant(runtime::constants().training().move_blocks())?;
		let heartbeat_every = (interval / 4).max(1);
		let mut last_heartbeat: Option<u32> = None;
		let (finalizing, mut finalized) = watch::channel(None);
		tokio::spawn(follow_finality(self.cx.clone(), finalizing));
		let mut blocks = self.cx.chain.follow_best().await?;
		tracing::info!(account = %self.cx.keys.ss58_address(), peer = %self.cx.network.peer_id(), "worker running");
		loop {
			let at = tokio::select! {
				at = blocks.next() => at?,
				Ok(()) = finalized.changed(), if !self.awaiting_final.is_empty() => {
					let settled = finalized.borrow_and_update().clone();
					if let Some(settled) = settled {
						if let Err(e) = self.open_held_seals(&settled).await {
							tracing::warn!("at finalized block #{}: {e}", settled.number);
						}
					}
					continue;
				}
			};
			// Seen before the tick reads the finalized block: only a block finalized after
			// that read wakes the loop for the seals the tick holds.
			finalized.borrow_and_update();
			self.finished.advance(at.number);
			self.running.retain(|_, task| !task.is_finished());
			if last_heartbeat.is_none_or(|last| at.number >= last + heartbeat_every) {
				last_heartbeat = Some(at.number);
				self.spawn(Duty::Heartbeat, heartbeat(self.cx.clone()));
			}
			self.cx.refresh_peers(&at).await;
			if let Err(e) = self.tick(&at).await {
				tracing::warn!("at block #{}: {e}", at.number);
			}
			self.cx.metrics.bytes_served.set(self.cx.network.bytes_served());
		}
	}

	fn spawn(
		&mut self,
		duty: Duty,
		work: impl std::future::Future<Output = Result<(), DutyError>> + Send + 'static,
	) {
		if self.running.contains_key(&duty) || self.finished.settled(duty) {
			return;
		}
		let finished = self.finished.clone();
		let task = tokio::spawn(async move {
			match work.await {
				Ok(()) if duty != Duty::Heartbeat => finished.record(duty),
				Ok(()) => {}
				Err(e) => tracing::warn!(?duty, "{e}"),
			}
		});
		self.running.insert(duty, task);
	}
}

impl Worker {
	/// Do what the chain at `at` asks of this account.
	async fn tick(&mut self, at: &At) -> Result<(), DutyError> {
		let me = self.cx.account();
		self.awaiting_final.clear();
		for bounty in at.bounties().await? {
			if !matches!(bounty.bounty.status, BountyStatus::Active | BountyStatus::Cancelling) {
				continue;
			}
			let (id, index) = (bounty.id, bounty.bounty.round);
			// The round before the current one is under review while the current one trains
			// from its proposed checkpoint.
			if let Some(previous) = index.checked_sub(1) {
				if let Some(before) = at.round(id, previous).await? {
					self.review(&before);
				}
			}
			let Some(round) = at.round(id, index).await? else { continue };
			self.review(&round);
			let info = &round.info;
			let mine: Vec<_> = round
				.shards
				.iter()
				.flat_map(|shard| shard.state.slots.0.iter().map(move |slot| (shard, slot)))
				.filter(|(_, slot)| slot.worker == me)
				.collect();
			if mine.is_empty() {
				continue;
			}
			if self.rounds_seen.insert((id, index)) {
				self.cx.metrics.rounds.inc();
				self.cx.network.subscribe(id)?;
			}
			for (shard, slot) in &mine {
				let task = task_of(&round, shard);
				if slot.seal.is_some() && !self.cx.conduct.reveals(task) {
					continue; // a seal this worker does not reveal (withheld, copied) stays shut
				}
				let training = matches!(info.phase, RoundPhase::Training);
				let pending = matches!(slot.outcome, SlotOutcome::Pending);
				let checkpoint = info.checkpoint;
				self.abandon_stale(id, index, shard.shard, checkpoint);
				if training && pending && slot.seal.is_none() && at.number < info.commit_deadline {
					let duty =
						Duty::Commit { bounty: id, round: index, shard: shard.shard, checkpoint };
					let window = Window { deadline: info.commit_deadline, slot_ms: self.slot_ms };
					self.spawn(duty, commit(self.cx.clone(), task, window));
				} else if training
					&& slot.seal.is_some()
					&& slot.root.is_none()
					&& commits_closed_after(at.number, info.commit_deadline)
					&& at.number < info.reveal_deadline
				{
					let seal = HeldSeal { task, commit_deadline: info.commit_deadline };
					let settled = self.cx.chain.finalized().await?;
					if seal.opens_at(&settled).await?
						|| finality_stalled_too_long(
							at.number,
							info.commit_deadline,
							info.reveal_deadline,
						) {
						self.open(seal);
					} else {
						self.awaiting_final.push(seal);
					}
				} else if let Some(root) = slot.root {
					// Serve what was revealed, also after a restart between reveal and serving.
					if self.serving.insert(root) && self.cx.store.blob(&root)?.is_some() {
						self.cx.network.provide(root)?;
					}
				}
			}
			self.bisect(at, id, &round, &mine).await?;
			if let RoundPhase::Aggregating { aggregator, .. } = &info.phase {
				if *aggregator == me {
					let duty = Duty::Aggregate { bounty: id, round: index };
					self.spawn(duty, aggregate(self.cx.clone(), id, index));
				}
			}
		}
		Ok(())
	}

	/// Stop a commit of this slot that trains from another checkpoint than `checkpoint`: its
	/// round was voided (its checkpoint fell under review) and started again, and the stale
	/// training would hold the training turn while the new one's window runs.
	fn abandon_stale(
		&mut self,
		bounty: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		checkpoint: H256,
	) {
		self.running.retain(|duty, task| match *duty {
			Duty::Commit { bounty: b, round: r, shard: s, checkpoint: c }
				if (b, r, s) == (bounty, round, shard) && c != checkpoint =>
			{
				tracing::info!(bounty, round, shard, "the round was voided: stopping its training");
				task.abort();
				false
			}
			_ => true,
		});
	}

	/// Review `round`'s proposed checkpoint while it is under review. Every proposed
	/// checkpoint is reviewed, not only those of rounds this worker took part in: a round whose
	/// every worker colludes must still meet an outside check.
	fn review(&mut self, round: &RoundView) {
		let RoundPhase::Review { aggregator, .. } = &round.info.phase else { return };
		if *aggregator != self.cx.account() {
			let duty = Duty::Review { bounty: round.bounty, round: round.round };
			self.spawn(duty, review(self.cx.clone(), round.bounty, round.round));
		}
	}

	/// Play this account's side of the bisection games its revealed slots (`mine`, of
	/// `round` of bounty `id`) are drawn into: a move each turn (unless its conduct does not
	/// answer), the referee's states once the game is over.
	async fn bisect(
		&mut self,
		at: &At,
		id: BountyId,
		round: &RoundView,
		mine: &[(&ShardView<AccountId>, &Slot<AccountId>)],
	) -> Result<(), DutyError> {
		let disputed: Vec<(ShardTask, DisputeId)> = mine
			.iter()
			.filter_map(|(shard, _)| match shard.state.outcome {
				ShardOutcome::Disputed(dispute) => Some((task_of(round, shard), dispute)),
				_ => None,
			})
			.collect();
		if disputed.is_empty() {
			return Ok(());
		}
		let me = self.cx.account();
		let disputes = at.disputes(Some(id)).await?;
		for (task, dispute) in disputed {
			let Some(view) = disputes.iter().find(|view| view.id == dispute) else { continue };
			let Some(game) = &view.game else { continue };
			let Some((side, place)) = bisection::side_of(game, &me) else { continue };
			if !matches!(view.dispute.status, DisputeStatus::Open) {
				continue;
			}
			if bisection::is_over(game) {
				let sealing_ends = view.dispute.sealing_ends;
				let work =
					bisection::serve_states(self.cx.clone(), game.clone(), task, sealing_ends);
				self.spawn(Duty::ServeStates { dispute }, work);
			} else if game.sides[side].moved.is_none()
				&& at.number < game.deadline
				&& bisection::moves_now(game, place, at.number, self.move_blocks)
				&& self.cx.conduct.bisects(task)
			{
				let duty = Duty::Move { dispute, low: game.low, high: game.high };
				self.spawn(duty, bisection::answer(self.cx.clone(), dispute, game.clone(), task));
			}
		}
		Ok(())
	}

	/// Reveal `seal`, once.
	fn open(&mut self, seal: HeldSeal) {
		let ShardTask { bounty, round, shard, checkpoint, .. } = seal.task;
		let duty = Duty::Reveal { bounty, round, shard, checkpoint };
		self.spawn(duty, reveal(self.cx.clone(), seal.task));
	}

	/// Open the seals held for finality that finalized block `settled` lets open: at once, from
	/// the finality notification, instead of at the next best block. The block that closes
	/// commits is final within its slot here, and a reveal sent then lands in the next block,
	/// the first that accepts it: a block sooner, every round.
	async fn open_held_seals(&mut self, settled: &At) -> Result<(), DutyError> {
		for seal in std::mem::take(&mut self.awaiting_final) {
			if seal.opens_at(settled).await? {
				self.open(seal);
			} else {
				self.awaiting_final.push(seal);
			}
		}
		Ok(())
	}
}

/// A committed seal waiting for the block that closed its round's commits to be final.
struct HeldSeal {
	task: ShardTask,
	/// The round's commit deadline in the best block the seal was held at.
	commit_deadline: u32,
}

impl HeldSeal {
	/// Whether the seal's round has its commits closed in every chain this worker could yet
	/// find itself on, so that its root may be public: read in finalized block `settled`, which
	/// every such chain descends from, not in the best one, which a fork could leave out
	/// together with the commit that closed them (and a copier's commit put in). A fork that
	/// leaves out the last commit of a barrier would reopen commits for a replica that copies a
	/// revealed root, or let the last committer choose its salt knowing every other one (and
	/// with them its shard's audit); one from below a deadline reached by height, too.
	async fn opens_at(&self, settled: &At) -> Result<bool, DutyError> {
		if !commits_closed_after(settled.number, self.commit_deadline) {
			return Ok(false);
		}
		let ShardTask { bounty, round, checkpoint, .. } = self.task;
		let Some(there) = settled.round(bounty, round).await? else { return Ok(false) };
		// A round voided and started again keeps its index, from another checkpoint.
		Ok(there.info.checkpoint == checkpoint
			&& commits_closed_after(settled.number, there.info.commit_deadline))
	}
}

/// Whether no block after `number` accepts a commit to a round that, in the state of block
/// `number`, has `commit_deadline`: commits land in blocks below the deadline. A barrier moves
/// the deadline to the block after the last commit, so the one just below it is the last a
/// commit could land in; in a block at or past it, the barrier (or the height) has closed
/// commits for every block that descends from it.
fn commits_closed_after(number: u32, commit_deadline: u32) -> bool {
	number + 1 >= commit_deadline
}

/// Whether finality has stalled for so long that a seal must be opened without it, at best
/// block `best`: within [`REVEAL_FALLBACK_BLOCKS`] of the reveal deadline, and
/// [`REVEAL_DEPTH`] blocks past the commit deadline. Waiting longer would cost the seal's bond
/// for certain.
fn finality_stalled_too_long(best: u32, commit_deadline: u32, reveal_deadline: u32) -> bool {
	best + REVEAL_FALLBACK_BLOCKS >= reveal_deadline && best >= commit_deadline + REVEAL_DEPTH
}

/// What `shard` of `round` asks its workers to train.
fn task_of(round: &RoundView, shard: &ShardView<AccountId>) -> ShardTask {
	ShardTask {
		bounty: round.bounty,
		round: round.round,
		shard: shard.shard,
		dataset_shard: shard.state.dataset_shard,
		checkpoint: round.info.checkpoint,
	}
}

/// Tell the chain this worker is alive. A worker that lost its seat to a bigger bond
/// (`Displaced`) asks for its seat back instead, once its bond outbids the smallest seated one
/// (`cohort-worker stake` adds to it). A failed read of its own record still sends the
/// heartbeat: a live worker must not go silent because one query failed.
async fn heartbeat(cx: Context) -> Result<(), DutyError> {
	let at = cx.chain.best().await?;
	let me = at.worker(&cx.account()).await.unwrap_or_else(|e| {
		tracing::warn!("cannot read this worker's record, sending a heartbeat anyway: {e}");
		None
	});
	if let Some(me) = me.filter(|me| matches!(me.info.status, WorkerStatus::Displaced)) {
		if !at.seat_within_reach(&me).await? {
			tracing::warn!(
				"this worker lost its seat to a bigger bond and gets no new work until \
				 `cohort-worker stake` bonds it above the smallest seated bond"
			);
			return Ok(());
		}
		tracing::info!("this worker's bond outbids a seat again: asking for it back");
		let call = runtime::tx().workers().update(Some(me.info.capabilities), None, None);
		cx.submit("Workers.update", &call).await?;
		return Ok(());
	}
	cx.submit("Workers.heartbeat", &runtime::tx().workers().heartbeat()).await?;
	Ok(())
}

/// A slot's commit deadline and the chain's block time.
#[derive(Clone, Copy, Debug)]
struct Window {
	/// The commit deadline.
	deadline: u32,
	/// Milliseconds per block.
	slot_ms: u64,
}

impl Window {
	/// Blocks left before the deadline at block `now`.
	fn blocks_left(&self, now: u32) -> u32 {
		self.deadline.saturating_sub(now)
	}

	/// Time left before the deadline at block `now`, at the chain's block time.
	fn time_left(&self, now: u32) -> Duration {
		Duration::from_millis(u64::from(self.blocks_left(now)) * self.slot_ms)
	}
}

/// Decline `slot` for `reason`: no reward, no penalty, not a missed deadline.
async fn decline(cx: &Context, slot: ShardTask, reason: DeclineReason) -> Result<(), DutyError> {
	let ShardTask { bounty, round, shard, .. } = slot;
	tracing::warn!(bounty, round, shard, ?reason, "declining the slot");
	let call = runtime::tx().training().decline(bounty, round, shard, reason);
	cx.submit("Training.decline", &call).await?;
	Ok(())
}

/// Train the slot's shard, record the seal, commit it; or decline the slot if it cannot be
/// trained in time or nobody serves its data. A slot with a recorded seal gets the same seal
/// again (also after a reorganisation took the first commit away), so a restart never commits
/// two results for one slot.
async fn commit(cx: Context, slot: ShardTask, window: Window) -> Result<(), DutyError> {
	if cx.conduct.commit_otherwise(&cx, slot).await? {
		return Ok(());
	}
	let ShardTask { bounty, round, shard, checkpoint, .. } = slot;
	// A record from another checkpoint is of a round that was voided (its checkpoint fell
	// under review) and started again: that work is lost, the slot is trained anew.
	let recorded = cx.store.commitment(bounty, round, shard)?;
	let mut record = match recorded.filter(|record| record.checkpoint == checkpoint) {
		Some(record) => record,
		None => {
			// The checkpoint and the dataset first, while another slot may hold the turn to
			// train, and only for as long as leaves a decline time to land: anyone can
			// announce itself as a provider and hold a request for its whole timeout.
			let at = cx.chain.best().await?;
			let job = cx.job(&at, bounty).await?;
			let fetching = window.time_left(at.number.saturating_add(DATA_GRACE_BLOCKS));
			match tokio::time::timeout(fetching, cx.fetch_inputs(&job, slot)).await {
				Ok(Ok(())) => {}
				Ok(Err(e)) if e.is_unavailable() => return unavailable(&cx, slot, window, e).await,
				Ok(Err(e)) => return Err(e),
				Err(_) => {
					tracing::warn!(
						bounty,
						round,
						shard,
						"the bounty's data did not arrive in time"
					);
					return decline(&cx, slot, DeclineReason::DataUnavailable).await;
				}
			}
			// Another slot may hold the training turn until past this one's deadline: wait for
			// it only while a decline can still land, or the slot would miss its deadline.
			let now = cx.chain.best().await?.number;
			let wait = window.time_left(now.saturating_add(DECLINE_MARGIN_BLOCKS));
			let turn = cx.training_turn(slot.bounty, window.deadline);
			let Ok(turn) = tokio::time::timeout(wait, turn).await else {
				tracing::warn!(bounty, round, shard, "no turn to train before the deadline");
				return decline(&cx, slot, DeclineReason::Infeasible).await;
			};
			// Judged once this worker's turn to train has come: the time left is what counts,
			// not the time there was when the slot was assigned. The commit must be in a
			// block before the deadline, so the deadline's own block does not count.
			let now = cx.chain.best().await?.number;
			if let Some(reason) = cx.infeasible(&job, window.time_left(now.saturating_add(1))) {
				tracing::warn!(bounty, round, shard, "cannot train the shard in time: {reason}");
				return decline(&cx, slot, DeclineReason::Infeasible).await;
			}
			let trained = train_slot(&cx, &job, slot, turn).await;
			let Trained { delta, losses, trajectory } = match trained {
				Ok(trained) => trained,
				Err(e) if e.is_unavailable() => return unavailable(&cx, slot, window, e).await,
				Err(e) => return Err(e),
			};
			let bytes = delta.to_bytes();
			let hashing = Instant::now();
			let root = cx.store.put_blob(&bytes)?;
			cx.metrics.spent(Work::Hashing, hashing.elapsed());
			debug_assert_eq!(root, merkle::root(&bytes));
			let salt = super::salt();
			let steps = crate::trajectory::root(&trajectory);
			let record = Commitment {
				bounty,
				round,
				shard,
				checkpoint,
				root,
				trajectory,
				salt,
				seal: seal(&root, &steps, &salt, &cx.keys.account_id()),
				stage: Stage::Sealed,
			};
			// Synced before the extrinsic leaves: whatever happens next, this is the slot's seal.
			cx.store.record(&record)?;
			tracing::info!(bounty, round, shard, ?root, last_loss = losses.last(), "trained");
			record
		}
	};
	let call =
		runtime::tx().training().commit(bounty, round, shard, record.checkpoint, record.seal);
	cx.submit("Training.commit", &call).await?;
	record.stage = Stage::Committed;
	cx.store.record(&record)?;
	tracing::info!(bounty, round, shard, seal = ?record.seal, "committed");
	Ok(())
}

/// Nobody serves `slot`'s data (`error`): try again at the next block, and decline only when
/// too little time is left to train even if it came.
async fn unavailable(
	cx: &Context,
	slot: ShardTask,
	window: Window,
	error: DutyError,
) -> Result<(), DutyError> {
	let now = cx.chain.best().await?.number;
	if window.blocks_left(now) > DATA_GRACE_BLOCKS {
		return Err(error);
	}
	let ShardTask { bounty, round, shard, .. } = slot;
	tracing::warn!(bounty, round, shard, "nobody serves the bounty's data: {error}");
	decline(cx, slot, DeclineReason::DataUnavailable).await
}

/// Train the slot's shard of `job` from the round's checkpoint, as this worker's conduct has
/// it: the delta to commit, the loss at each step and the trajectory.
async fn train_slot(
	cx: &Context,
	job: &Job,
	slot: ShardTask,
	turn: Turn,
) -> Result<Trained, DutyError> {
	let task = cx.conduct.training_inputs(cx, job, slot).await?;
	let (trained, elapsed) = cx.train(job, task, turn).await?;
	let steps = trained.losses.len().max(1);
	cx.metrics.step_seconds.observe(elapsed.as_secs_f64() / steps as f64);
	let trained = cx.conduct.retrace(cx, job, slot, trained).await?;
	Ok(Trained { delta: cx.conduct.tamper(slot, trained.delta), ..trained })
}

/// Reveal the slot's root, trajectory root and salt, then serve the delta and announce it.
async fn reveal(cx: Context, slot: ShardTask) -> Result<(), DutyError> {
	let ShardTask { bounty, round, shard, .. } = slot;
	let Some(mut record) = cx.store.commitment(bounty, round, shard)? else {
		tracing::error!(
			bounty,
			round,
			shard,
			"the chain holds a seal of this account that the store does not know"
		);
		return Ok(());
	};
	// A record trained from another checkpoint is of a voided round: its seal is not the one
	// on chain, and the commit duty trains the slot anew.
	if record.checkpoint != slot.checkpoint {
		tracing::warn!(bounty, round, shard, "the stored seal is of a voided round; not revealing");
		return Ok(());
	}
	// Sent whatever the record's stage: the loop asks only while the chain lacks the root
	// (a reveal in a block that a reorganisation took away is sent again).
	let call = runtime::tx().training().reveal(
		bounty,
		round,
		shard,
		record.root,
		record.trajectory_root(),
		record.salt,
	);
	cx.submit("Training.reveal", &call).await?;
	record.stage = Stage::Revealed;
	cx.store.record(&record)?;
	tracing::info!(bounty, round, shard, root = ?record.root, "revealed");
	cx.conduct.before_serving(&cx, slot, record.root)?;
	cx.network.provide(record.root)?;
	if let Err(e) = cx.network.announce(Announcement { bounty, round, root: record.root }).await {
		tracing::debug!("announcement not sent: {e}");
	}
	Ok(())
}

/// As the round's aggregator: compute, serve and commit `H_{k+1}`.
async fn aggregate(cx: Context, bounty: BountyId, round: RoundIndex) -> Result<(), DutyError> {
	let at = cx.chain.best().await?;
	let job = cx.job(&at, bounty).await?;
	let view = cx.round(&at, bounty, round).await?;
	let computed = cx.recompute_checkpoint(&job, &view).await?;
	let root = cx.conduct.propose(&cx, &job, round, computed).await?;
	cx.network.provide(root)?;
	let call = runtime::tx().training().commit_checkpoint(bounty, round, root);
	cx.submit("Training.commit_checkpoint", &call).await?;
	tracing::info!(bounty, round, checkpoint = ?root, "committed the next checkpoint");
	Ok(())
}

/// In the review window: recompute the proposed checkpoint, dispute it if it differs.
///
/// An accepted delta that nobody serves leaves nothing to recompute the proposal from, and an
/// aggregator that withholds its own could propose anything. So from half the window on (time
/// for the delta's providers to answer), a reviewer that still cannot fetch one claims the
/// round's own starting checkpoint, `H_k`, unless the checkpoint is challenged already (any
/// challenge will do: validators that cannot fetch the delta either abstain, and the round
/// keeps `H_k`; and the chain takes one such claim a dispute). If the validators fetch every
/// delta and find the proposal right, the claim pays their reward, out of this worker's
/// bond: the price of asking them, not a slash.
async fn review(cx: Context, bounty: BountyId, round: RoundIndex) -> Result<(), DutyError> {
	let at = cx.chain.best().await?;
	let job = cx.job(&at, bounty).await?;
	let view = cx.round(&at, bounty, round).await?;
	let RoundPhase::Review { proposed, .. } = view.info.phase else { return Ok(()) };
	// The checkpoint the round trained from is the submitter's to serve, not a delta's author:
	// without it, the reviewer has nothing to claim.
	cx.bounty_blob(bounty, view.info.checkpoint).await?;
	let mine = match cx.recompute_checkpoint(&job, &view).await {
		Ok(mine) => mine,
		Err(DutyError::P2p(unfetched)) if unfetched.is_unavailable() => {
			let at = cx.chain.best().await?;
			let view = cx.round(&at, bounty, round).await?;
			let RoundPhase::Review { deadline, challenge: None, .. } = view.info.phase else {
				return Err(unfetched.into());
			};
			if at.number < deadline.saturating_sub(job.spec.deadlines.review / 2) {
				return Err(unfetched.into());
			}
			tracing::warn!(bounty, round, "an accepted delta cannot be fetched ({unfetched}); claiming the round keeps its checkpoint");
			view.info.checkpoint
		}
		Err(e) => return Err(e),
	};
	cx.network.provide(mine)?;
	if mine != proposed {
		tracing::warn!(bounty, round, ?proposed, computed = ?mine, "disputing the proposed checkpoint");
		let call = runtime::tx().training().dispute_checkpoint(bounty, round, mine);
		cx.submit("Training.dispute_checkpoint", &call).await?;
	}
	Ok(())
}

/// Count this account's outcomes from the block's events.
async fn count(cx: &Context, at: &At) -> Result<(), ChainError> {
	let me = cx.account();
	let events = at.events().await?;
	let metrics = &cx.metrics;
	for accepted in events.find::<runtime::training::events::ContributionAccepted>().flatten() {
		if accepted.worker == me {
			metrics.accepted.inc();
		}
	}
	for rejected in events.find::<runtime::training::events::ContributionRejected>().flatten() {
		if rejected.worker == me {
			tracing::warn!(
				bounty = rejected.bounty,
				round = rejected.round,
				shard = rejected.shard,
				"contribution rejected"
			);
			metrics.rejected.inc();
		}
	}
	for slashed in events.find::<runtime::workers::events::Slashed>().flatten() {
		if slashed.who == me {
			metrics.slashes.inc();
		}
	}
	Ok(())
}

/// Follow finalized blocks: publish each to `finalized`, for the loop to wait on, and count this account's accepted and rejected contributions and its slashes from their
/// events (a best block's could be counted twice, or for a block that is gone).
async fn follow_finality(cx: Context, finalized: watch::Sender<Option<Arc<At>>>) {
	let mut blocks = match cx.chain.follow_finalized().await {
		Ok(blocks) => blocks,
		Err(e) => return tracing::warn!("cannot follow finalized blocks: {e}"),
	};
	loop {
		let at = match blocks.next().await {
			Ok(at) => at,
			Err(e) => return tracing::warn!("stopped following finalized blocks: {e}"),
		};
		let at = Arc::new(at);
		finalized.send_replace(Some(at.clone()));
		if let Err(e) = count(&cx, &at).await {
			tracing::warn!("cannot read block #{}'s events: {e}", at.number);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn commit() -> Duty {
		Duty::Commit { bounty: 0, round: 0, shard: 0, checkpoint: H256::repeat_byte(1) }
	}

	#[test]
	fn a_seal_opens_once_the_last_block_a_commit_could_land_in_is_final() {
		// Commits land below block 20.
		assert!(!commits_closed_after(18, 20), "a fork from block 18 could still commit");
		assert!(commits_closed_after(19, 20));
		assert!(commits_closed_after(25, 20));
		// Finality stalled (reveals until block 35): only near the reveal deadline.
		assert!(!finality_stalled_too_long(28, 20, 35));
		assert!(finality_stalled_too_long(29, 20, 35));
		// A reveal window shorter than the fallback still waits for depth.
		assert!(!finality_stalled_too_long(21, 20, 24));
		assert!(finality_stalled_too_long(22, 20, 24));
	}

	#[test]
	fn a_duty_is_done_again_only_blocks_after_it_finished() {
		let finished = Finished::default();
		// Sent at block 2, the commit trains until block 30 and lands then.
		finished.advance(2);
		assert!(!finished.settled(commit()));
		finished.advance(30);
		finished.record(commit());
		// The worker's view may not show the seal for a block or two: not sent again.
		for block in 30..30 + REDO_AFTER_BLOCKS {
			finished.advance(block);
			assert!(finished.settled(commit()), "sent again at #{block}");
		}
		// Still not on chain three blocks after it landed: a reorganisation took it away.
		finished.advance(30 + REDO_AFTER_BLOCKS);
		assert!(!finished.settled(commit()));
	}

	#[test]
	fn a_duty_done_for_good_stays_done() {
		let finished = Finished::default();
		let review = Duty::Review { bounty: 0, round: 0 };
		finished.advance(5);
		finished.record(review);
		finished.advance(5 + 100 * REDO_AFTER_BLOCKS);
		assert!(finished.settled(review));
		assert!(!finished.settled(commit()));
	}
}
