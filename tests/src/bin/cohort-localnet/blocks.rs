//! Where each round's blocks went, read from the chain's events: the exact counterpart of the
//! workers' counters, which blur at a few seconds a round (they are read when the demo sees a
//! round finalized, blocks after the workers started the next one).
//!
//! A round's blocks, in order: from its start (`RoundStarted`, the block of the checkpoint it
//! trains from) to the block that closed commits (training, and the commits' inclusion); to
//! the one that closed reveals; to the block whose hook checked it (`AggregatorDesignated`, or
//! its first `DisputeOpened`: the check comes a block after the reveals, or when the review of
//! the checkpoint it trained from ends); to the aggregator's designation (the disputes'
//! recomputation and votes, none without a dispute); and to the next checkpoint
//! (`CheckpointCommitted`, where the next round starts). The last round also waits for its
//! checkpoint's review, which no next round overlaps.

use anyhow::Result;
use cohort_runtime::RuntimeEvent;
use cohort_tests::Rpc;
use pallet_training::Event as Training;
use std::collections::BTreeMap;

/// The blocks that ended each stretch of one round; a restarted or extended round keeps the
/// last of each.
#[derive(Clone, Copy, Debug, Default)]
struct Milestones {
	started: Option<u32>,
	commits_closed: Option<u32>,
	reveals_closed: Option<u32>,
	checked: Option<u32>,
	designated: Option<u32>,
	proposed: Option<u32>,
	finished: Option<u32>,
}

/// One round's blocks per stretch (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundBlocks {
	/// The round (from 1, as the demo's table counts).
	pub round: u32,
	/// Start to commits closed.
	pub training: u32,
	/// Commits closed to reveals closed.
	pub revealing: u32,
	/// Reveals closed to the check.
	pub to_check: u32,
	/// The check to the aggregator's designation.
	pub disputes: u32,
	/// The designation to the next checkpoint.
	pub aggregating: u32,
	/// The next checkpoint to the round's end: the review only the last round waits for.
	pub last_review: u32,
}

impl RoundBlocks {
	/// The round, its six stretches in order and their total: a row of the demo's table and
	/// of `blocks.csv`.
	pub fn columns(&self) -> [u32; 8] {
		[
			self.round,
			self.training,
			self.revealing,
			self.to_check,
			self.disputes,
			self.aggregating,
			self.last_review,
			self.total(),
		]
	}

	/// Blocks from the round's start to its end, as the bounty waited for them.
	pub fn total(&self) -> u32 {
		self.training
			+ self.revealing
			+ self.to_check
			+ self.disputes
			+ self.aggregating
			+ self.last_review
	}
}

/// The blocks of every round of `bounty` that finished, from the events of blocks 1 to `to`.
pub async fn of_bounty(rpc: &Rpc, bounty: u64, to: u32, rounds: u32) -> Result<Vec<RoundBlocks>> {
	let mut events = Vec::new();
	for number in 1..=to {
		let Some(hash) = rpc.block_hash(number).await? else { continue };
		for record in rpc.events(hash).await? {
			if let RuntimeEvent::Training(event) = record.event {
				events.push((number, event));
			}
		}
	}
	Ok(split(&events, bounty, rounds))
}

/// [`of_bounty`] from the `Training` events of each block, in block order.
fn split(
	events: &[(u32, Training<cohort_runtime::Runtime>)],
	bounty: u64,
	rounds: u32,
) -> Vec<RoundBlocks> {
	let mut milestones: BTreeMap<u32, Milestones> = BTreeMap::new();
	for (block, event) in events {
		let (of, round) = match event {
			Training::RoundStarted { bounty, round, .. }
			| Training::CommitsClosed { bounty, round, .. }
			| Training::RevealsClosed { bounty, round, .. }
			| Training::DisputeOpened { bounty, round, .. }
			| Training::AggregatorDesignated { bounty, round, .. }
			| Training::CheckpointCommitted { bounty, round, .. }
			| Training::RoundFinished { bounty, round, .. } => (*bounty, *round),
			_ => continue,
		};
		if of != bounty {
			continue;
		}
		let m = milestones.entry(round).or_default();
		let at = Some(*block);
		match event {
			Training::RoundStarted { .. } => *m = Milestones { started: at, ..Default::default() },
			Training::CommitsClosed { .. } => m.commits_closed = at,
			Training::RevealsClosed { .. } => m.reveals_closed = at,
			// The check opens the round's disputes, or designates the aggregator at once; an
			// appeal or a dispute of the checkpoint opens later and is not the check.
			Training::DisputeOpened { .. } if m.checked.is_none() && m.designated.is_none() => {
				m.checked = at
			}
			Training::AggregatorDesignated { .. } => {
				m.checked = m.checked.or(at);
				m.designated = m.designated.or(at);
			}
			Training::CheckpointCommitted { .. } => m.proposed = at,
			Training::RoundFinished { .. } => m.finished = at,
			_ => {}
		}
	}
	milestones
		.into_iter()
		.filter_map(|(round, m)| {
			let gap = |from: Option<u32>, to: Option<u32>| to?.checked_sub(from?);
			let last = round + 1 == rounds;
			Some(RoundBlocks {
				round: round + 1,
				training: gap(m.started, m.commits_closed)?,
				revealing: gap(m.commits_closed, m.reveals_closed)?,
				to_check: gap(m.reveals_closed, m.checked)?,
				disputes: gap(m.checked, m.designated)?,
				aggregating: gap(m.designated, m.proposed)?,
				last_review: if last { gap(m.proposed, m.finished)? } else { 0 },
			})
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use cohort_primitives::DeterminismClass;
	use pallet_training::{DisputeReason, DisputeSubject};
	use sp_core::H256;

	fn started(round: u32) -> Training<cohort_runtime::Runtime> {
		Training::RoundStarted {
			bounty: 0,
			round,
			checkpoint: H256::zero(),
			class: DeterminismClass::new(b"cpu").expect("a well-formed class"),
			commit_deadline: 0,
			reveal_deadline: 0,
			standbys: Vec::new(),
		}
	}

	#[test]
	fn a_round_is_split_at_its_events_and_only_the_last_counts_its_review() {
		let aggregator = sp_keyring::Sr25519Keyring::Alice.to_account_id();
		let designated = |round| Training::AggregatorDesignated {
			bounty: 0,
			round,
			aggregator: aggregator.clone(),
			deadline: 0,
		};
		let proposed = |round| Training::CheckpointCommitted {
			bounty: 0,
			round,
			checkpoint: H256::zero(),
			review_deadline: 0,
		};
		let closed = |round| Training::CommitsClosed {
			bounty: 0,
			round,
			commit_deadline: 0,
			reveal_deadline: 0,
		};
		let revealed = |round| Training::RevealsClosed { bounty: 0, round, reveal_deadline: 0 };
		let finished = |round| Training::RoundFinished {
			bounty: 0,
			round,
			checkpoint: H256::zero(),
			accepted: 1,
			refund: 0,
		};
		let audit = |round| Training::DisputeOpened {
			dispute: 0,
			bounty: 0,
			round,
			subject: DisputeSubject::Shard(0),
			reason: DisputeReason::Audit,
			deadline: 0,
		};
		let events = vec![
			(10, started(0)),
			(13, closed(0)),
			(14, revealed(0)),
			(15, audit(0)),
			(18, designated(0)),
			(19, proposed(0)),
			(19, started(1)),
			(22, closed(1)),
			(23, revealed(1)),
			// The review of round 0's checkpoint holds round 1's check until 25.
			(25, finished(0)),
			(25, designated(1)),
			(26, proposed(1)),
			(32, finished(1)),
		];
		let blocks = split(&events, 0, 2);
		assert_eq!(
			blocks,
			vec![
				RoundBlocks {
					round: 1,
					training: 3,
					revealing: 1,
					to_check: 1,
					disputes: 3,
					aggregating: 1,
					last_review: 0
				},
				RoundBlocks {
					round: 2,
					training: 3,
					revealing: 1,
					to_check: 2,
					disputes: 0,
					aggregating: 1,
					last_review: 6
				},
			]
		);
		assert_eq!(blocks[0].total(), 9);
		assert_eq!(blocks[1].total(), 13);
		// Another bounty's events, and a round not finished yet, count for nothing.
		assert!(split(&events, 1, 2).is_empty());
		assert_eq!(split(&events[..8], 0, 2).len(), 1);
	}
}
