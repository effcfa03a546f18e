//! Pruning: a finished bounty's records (its rounds, shards, disputes with their games, and
//! the bounty itself) are removed `RetentionBlocks` after it finished, in the weight blocks
//! leave spare (`on_idle`), oldest first, as far as that weight goes and on in later blocks.
//!
//! Until then they stay readable for its owner and workers (`bounty status`, the runtime
//! API); afterwards its events, and archive nodes, keep its history. Without pruning every
//! bounty ever created would stay in state: a loop of creating and cancelling bounties would
//! grow it for a fee, and every worker reads every bounty at each block.

use crate::{
	Bounties, BountyDisputes, BountyId, Config, Disputes, Event, Games, Pallet, Retiring,
	RetiringRange, Rounds, Shards,
};
use frame_support::{
	traits::Get,
	weights::{Weight, WeightMeter},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

/// The weight of removing one record: its key is read and deleted.
fn item<T: Config>() -> Weight {
	T::DbWeight::get().reads_writes(1, 1)
}

/// How many removals costing `each` fit in what is left of `meter`. A weight of nothing (as
/// in tests without a database weight) fits without limit.
fn room(meter: &WeightMeter, each: Weight) -> u32 {
	meter
		.remaining()
		.checked_div_per_component(&each)
		.map_or(u32::MAX, |n| n.min(u32::MAX.into()) as u32)
}

impl<T: Config> Pallet<T> {
	/// Queue bounty `id`, which finished at `now`, for pruning.
	pub(crate) fn retire(id: BountyId, now: BlockNumberFor<T>) {
		RetiringRange::<T>::mutate(|(_, tail)| {
			Retiring::<T>::insert(*tail, (id, now));
			*tail = tail.wrapping_add(1);
		});
	}

	/// Prune, oldest first, the finished bounties whose retention has passed by `now`, within
	/// `limit`; returns the weight used.
	pub(crate) fn prune(now: BlockNumberFor<T>, limit: Weight) -> Weight {
		let mut meter = WeightMeter::with_limit(limit);
		// The queue's range, read and written back.
		if meter.try_consume(T::DbWeight::get().reads_writes(1, 1)).is_err() {
			return meter.consumed();
		}
		let (start, tail) = RetiringRange::<T>::get();
		let mut head = start;
		while head != tail {
			if meter.try_consume(item::<T>()).is_err() {
				break;
			}
			let Some((id, finished)) = Retiring::<T>::get(head) else {
				head = head.wrapping_add(1);
				continue;
			};
			if now < finished.saturating_add(T::RetentionBlocks::get()) {
				break;
			}
			if !Self::prune_bounty(id, &mut meter) {
				break;
			}
			Retiring::<T>::remove(head);
			head = head.wrapping_add(1);
		}
		if head != start {
			RetiringRange::<T>::put((head, tail));
		}
		meter.consumed()
	}

	/// Remove what `meter` leaves room for of bounty `id`'s records, the bounty last; whether
	/// every one is gone.
	fn prune_bounty(id: BountyId, meter: &mut WeightMeter) -> bool {
		// The reads that find a list empty: the disputes', the shards' and the rounds'.
		if meter.try_consume(T::DbWeight::get().reads(3)).is_err() {
			return false;
		}
		// A dispute goes with its game and its entry in the bounty's list.
		let dispute = item::<T>().saturating_mul(3);
		let disputes = room(meter, dispute);
		for (dispute_id, ()) in BountyDisputes::<T>::drain_prefix(id).take(disputes as usize) {
			Disputes::<T>::remove(dispute_id);
			Games::<T>::remove(dispute_id);
			meter.consume(dispute);
		}
		if BountyDisputes::<T>::iter_key_prefix(id).next().is_some() {
			return false;
		}
		let shards = room(meter, item::<T>());
		if shards == 0 {
			return false;
		}
		let removed = Shards::<T>::clear_prefix((id,), shards, None);
		meter.consume(item::<T>().saturating_mul(removed.loops.into()));
		if removed.maybe_cursor.is_some() {
			return false;
		}
		let rounds = room(meter, item::<T>());
		if rounds == 0 {
			return false;
		}
		let removed = Rounds::<T>::clear_prefix(id, rounds, None);
		meter.consume(item::<T>().saturating_mul(removed.loops.into()));
		if removed.maybe_cursor.is_some() || meter.try_consume(item::<T>()).is_err() {
			return false;
		}
		Bounties::<T>::remove(id);
		Self::deposit_event(Event::BountyPruned { bounty: id });
		true
	}
}
