//! Who trains which slot of a round, given the drawn class's workers in shuffled order and the
//! throughput each declared.
//!
//! Slots are handed out shard by shard, each to the worker that would finish it first: the
//! one with the least work per unit of speed once the slot is added, the earlier in the
//! shuffled order on a tie, never twice in one shard. With equal speeds that is the plain
//! turn-taking of the shuffled list (slot `k` to worker `k mod n`). A worker far slower than
//! its class is given a slot only when waiting for it beats giving a faster worker one more:
//! a round lasts as long as its slowest assigned shard, so one slow machine drawn into it
//! would keep every fast one waiting.
//!
//! A declaration can only lower a worker's place, never raise it. The class's reference
//! speed is the one at least three quarters of its eligible workers declare; every worker at
//! half of it or above counts as exactly the reference, so who is drawn among them, and who
//! replicates whom, stays the random draw's. Claiming more than one has buys nothing (and a
//! slot one cannot finish in time is missed and slashed); claiming less only forgoes work.
//! Raising the reference, to make honest workers look slow and take their slots, takes more
//! than three quarters of the class's eligible workers (a median would yield to half), who
//! already hold that share of its slots.

use alloc::{vec, vec::Vec};

/// The slots of one round: for each shard, the indices (into the shuffled list) of its
/// replicas in slot order; and the standbys, best first.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Assignment {
	pub shards: Vec<Vec<usize>>,
	pub standbys: Vec<usize>,
}

/// Assign `shards` shards of `replication` distinct workers each among workers declaring
/// `gflops` (in shuffled order; `replication <= gflops.len()`), and pick up to
/// `max_standbys` standbys among those left without a slot.
pub(crate) fn assign(
	gflops: &[u32],
	shards: u32,
	replication: u32,
	max_standbys: usize,
) -> Assignment {
	let speeds = counted_speeds(gflops);
	let mut load = vec![0u64; speeds.len()];
	// Whether worker `i` finishes one more slot before worker `j` would.
	let sooner = |load: &[u64], i: usize, j: usize| {
		let (finish_i, finish_j) = ((load[i] + 1) * speeds[j], (load[j] + 1) * speeds[i]);
		finish_i < finish_j || (finish_i == finish_j && i < j)
	};
	let mut assigned = Vec::with_capacity(shards as usize);
	for _ in 0..shards {
		let mut members: Vec<usize> = Vec::with_capacity(replication as usize);
		for _ in 0..replication {
			let best = (0..speeds.len())
				.filter(|i| !members.contains(i))
				.reduce(|best, i| if sooner(&load, i, best) { i } else { best })
				.expect("replication never exceeds the eligible workers");
			load[best] += 1;
			members.push(best);
		}
		assigned.push(members);
	}
	let mut standbys: Vec<usize> = (0..speeds.len()).filter(|&i| load[i] == 0).collect();
	// The fastest first; `sort_by` is stable, so equals keep the shuffled order.
	standbys.sort_by(|&i, &j| speeds[j].cmp(&speeds[i]));
	standbys.truncate(max_standbys);
	Assignment { shards: assigned, standbys }
}

/// The speed each worker is counted at: the class's reference (the speed at least three
/// quarters of its workers declare) for every worker at half of it or above, its own
/// declaration (at least 1) below that.
fn counted_speeds(gflops: &[u32]) -> Vec<u64> {
	let mut sorted = gflops.to_vec();
	sorted.sort_unstable();
	let reference = sorted.get(sorted.len() / 4).copied().unwrap_or(0);
	gflops
		.iter()
		.map(|&g| {
			let counted = if u64::from(g) * 2 < u64::from(reference) { g } else { reference };
			u64::from(counted.max(1))
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	/// How long the round takes in units of one slot at the fastest declared speed: the
	/// slowest worker's load over its real (declared) speed.
	fn makespan(gflops: &[u32], assignment: &Assignment) -> f64 {
		let mut load = vec![0u32; gflops.len()];
		assignment.shards.iter().flatten().for_each(|&i| load[i] += 1);
		let fastest = f64::from(gflops.iter().copied().max().unwrap_or(1).max(1));
		load.iter()
			.zip(gflops)
			.map(|(&l, &g)| f64::from(l) * fastest / f64::from(g.max(1)))
			.fold(0.0, f64::max)
	}

	/// The assignment before speeds counted: slot `k` to worker `k mod n`, standbys the
	/// workers after the last slot.
	fn turn_taking(n: usize, shards: u32, replication: u32, max_standbys: usize) -> Assignment {
		let r = replication as usize;
		let shards: Vec<Vec<usize>> =
			(0..shards as usize).map(|s| (0..r).map(|j| (s * r + j) % n).collect()).collect();
		let used = n.min(shards.len() * r);
		Assignment { shards, standbys: (used..n).take(max_standbys).collect() }
	}

	#[test]
	fn equal_speeds_take_turns_in_the_shuffled_order() {
		for n in 1..=9 {
			for replication in 1..=n as u32 {
				for shards in 0..=7 {
					// Measured speeds differ a little from machine to machine: within a
					// factor of two of the reference they all count as equal.
					let gflops: Vec<u32> = (0..n as u32).map(|i| 60 + (i * 37) % 50).collect();
					assert_eq!(
						assign(&gflops, shards, replication, 4),
						turn_taking(n, shards, replication, 4),
						"{n} workers, {shards} shards of {replication}"
					);
				}
			}
		}
	}

	#[test]
	fn a_slow_worker_is_left_out_while_faster_ones_finish_sooner() {
		// Four workers, one at a quarter of the others' speed; two shards of two replicas.
		let gflops = [100, 25, 100, 100];
		let assignment = assign(&gflops, 2, 2, 4);
		assert_eq!(assignment.shards, vec![vec![0, 2], vec![3, 0]]);
		assert_eq!(assignment.standbys, vec![1]);
		// Worker 0 trains two shards in the time worker 1 would have taken for one.
		assert_eq!(makespan(&gflops, &assignment), 2.0);
		assert_eq!(makespan(&gflops, &turn_taking(4, 2, 2, 4)), 4.0);
	}

	#[test]
	fn a_slow_worker_is_given_a_slot_once_it_is_the_sooner_finisher() {
		// Three workers at 100 and one at 40: the fourth slot of each fast worker would
		// finish at 4, the slow worker's first at 2.5.
		let gflops = [100, 100, 40, 100];
		let assignment = assign(&gflops, 12, 1, 4);
		let slow_slots = assignment.shards.iter().flatten().filter(|&&i| i == 2).count();
		assert_eq!(slow_slots, 1);
		assert_eq!(makespan(&gflops, &assignment), 4.0);
		assert!(assignment.standbys.is_empty());
	}

	#[test]
	fn claiming_more_speed_buys_no_earlier_place() {
		// Worker 3 claims 100 times the class's speed: with two slots among four it is not
		// drawn ahead of the shuffled order, and with more slots than workers it is given no
		// more than the others.
		let gflops = [100, 100, 100, 10_000];
		assert_eq!(assign(&gflops, 2, 1, 4), turn_taking(4, 2, 1, 4));
		assert_eq!(assign(&gflops, 8, 1, 4), turn_taking(4, 8, 1, 4));
	}

	#[test]
	fn a_majority_claiming_more_cannot_make_honest_workers_look_slow() {
		// Three of five identities claim the most a u32 holds: the reference is still the
		// honest speed, so the shuffled order decides as before.
		let gflops = [100, u32::MAX, 100, u32::MAX, u32::MAX];
		assert_eq!(assign(&gflops, 2, 2, 4), turn_taking(5, 2, 2, 4));
		assert_eq!(assign(&gflops, 1, 1, 4), turn_taking(5, 1, 1, 4));
	}

	#[test]
	fn every_shard_gets_distinct_workers_and_no_round_is_slower_than_taking_turns() {
		let speeds = [[100, 10, 100, 100, 100], [1, 1, 100, 100, 30], [0, 50, 50, 9, 100]];
		for gflops in speeds {
			for replication in 1..=3 {
				for shards in 1..=8 {
					let assignment = assign(&gflops, shards, replication, 2);
					for members in &assignment.shards {
						let mut distinct = members.clone();
						distinct.sort_unstable();
						distinct.dedup();
						assert_eq!(distinct.len(), replication as usize);
					}
					let before = turn_taking(gflops.len(), shards, replication, 2);
					assert!(
						makespan(&gflops, &assignment) <= makespan(&gflops, &before),
						"{gflops:?}, {shards} shards of {replication}"
					);
				}
			}
		}
	}

	#[test]
	fn standbys_are_the_fastest_left_over() {
		let gflops = [100, 20, 100, 100, 90, 100];
		let assignment = assign(&gflops, 1, 2, 3);
		assert_eq!(assignment.shards, vec![vec![0, 2]]);
		assert_eq!(assignment.standbys, vec![3, 4, 5]);
		assert_eq!(assign(&gflops, 1, 2, 4).standbys, vec![3, 4, 5, 1]);
	}
}
