//! When each bounty's current phase ends. A bounty is listed in [`Wakeups`] at most once, at
//! its `wake_at`, so `on_initialize` touches only the bounties due at its block.

use crate::{BountyId, BountyOf, Config, Pallet, Wakeups};
use frame_support::defensive;
use frame_system::pallet_prelude::BlockNumberFor;

impl<T: Config> Pallet<T> {
	/// End `bounty`'s current phase at block `at`, replacing any earlier wake-up. The caller
	/// stores the record.
	pub(crate) fn schedule(id: BountyId, bounty: &mut BountyOf<T>, at: BlockNumberFor<T>) {
		Self::unschedule(id, bounty);
		// Each open bounty is listed once, and at most `MaxActiveBounties` are open.
		if Wakeups::<T>::try_mutate(at, |due| due.try_push(id)).is_err() {
			defensive!("a wake-up list is full");
			return;
		}
		bounty.wake_at = Some(at);
	}

	/// Take `bounty` off the schedule. The caller stores the record.
	pub(crate) fn unschedule(id: BountyId, bounty: &mut BountyOf<T>) {
		if let Some(old) = bounty.wake_at.take() {
			Wakeups::<T>::mutate(old, |due| due.retain(|listed| *listed != id));
		}
	}
}
