//! A finished bounty's records leave state `RetentionBlocks` after it finished, in idle
//! weight, and nothing of a bounty still open goes with them.

use super::*;
use frame_support::{
	traits::{Get, Hooks},
	weights::Weight,
};

/// Bounty 0, of one round, finished with shard 1 disputed (an unresolved dispute and its
/// game stay with it), and bounty 1 still waiting for its round; returns the first's dispute
/// and the block it finished at.
fn finished_beside_an_open_one() -> (DisputeId, u64) {
	let id = started(BountySpec { rounds: 1, ..spec() });
	let [_, liar] = workers_of(id, 0, 1)[..] else { panic!() };
	train_round(id, 0, |w, s| Some(if w == liar && s == 1 { bad() } else { good(0, s) }));
	let dispute = bisected(id, 0, 1);
	run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
	aggregate(id, 0, checkpoint_after(0));
	assert_eq!(bounty(id).status, BountyStatus::Completed);
	let open = create_with(spec());
	assert_eq!(open, 1);
	(dispute, System::block_number())
}

fn records_of(id: BountyId) -> usize {
	usize::from(Bounties::<Test>::contains_key(id))
		+ Rounds::<Test>::iter_prefix(id).count()
		+ Shards::<Test>::iter_prefix((id,)).count()
		+ BountyDisputes::<Test>::iter_prefix(id).count()
}

#[test]
fn a_finished_bounty_leaves_state_once_its_retention_has_passed() {
	run(|| {
		let (dispute, finished) = finished_beside_an_open_one();
		let open_records = records_of(1);
		let retention = <<Test as Config>::RetentionBlocks as Get<u64>>::get();

		Training::on_idle(finished + retention - 1, Weight::MAX);
		assert!(Bounties::<Test>::contains_key(0), "kept for the whole retention");
		assert!(Disputes::<Test>::contains_key(dispute));

		Training::on_idle(finished + retention, Weight::MAX);
		assert_eq!(records_of(0), 0);
		assert!(!Disputes::<Test>::contains_key(dispute));
		assert!(!Games::<Test>::contains_key(dispute));
		assert!(training_events().contains(&Event::BountyPruned { bounty: 0 }));
		assert_eq!(RetiringRange::<Test>::get(), (1, 1), "the queue is empty");
		// The open bounty is whole.
		assert_eq!(records_of(1), open_records);
		assert_eq!(bounty(1).status, BountyStatus::Active);
	});
}

#[test]
fn pruning_stops_where_the_spare_weight_ends_and_goes_on_in_later_blocks() {
	let mut ext = new_test_ext();
	let (dispute, finished) = ext.execute_with(finished_beside_an_open_one);
	// Into the backend, where a real chain's older records are: removals from the overlay
	// alone would not count against the limit.
	ext.commit_all().unwrap();
	ext.execute_with(|| {
		let now = finished + <<Test as Config>::RetentionBlocks as Get<u64>>::get();
		let limit = <Test as frame_system::Config>::DbWeight::get().reads_writes(8, 8);
		let before = records_of(0);
		assert_eq!(Training::on_idle(now, Weight::zero()), Weight::zero());
		assert_eq!(records_of(0), before, "no weight, nothing removed");

		let mut blocks = 0;
		while Bounties::<Test>::contains_key(0) {
			blocks += 1;
			assert!(blocks < 20, "pruning makes no progress");
			let used = Training::on_idle(now + blocks, limit);
			assert!(used.all_lte(limit), "used {used:?} of {limit:?}");
		}
		assert!(blocks > 1, "took {blocks} block(s)");
		assert_eq!(records_of(0), 0);
		assert!(!Disputes::<Test>::contains_key(dispute));
		assert!(Bounties::<Test>::contains_key(1));
		Training::do_try_state().expect("training invariants hold");
		Workers::do_try_state().expect("worker invariants hold");
	});
}
