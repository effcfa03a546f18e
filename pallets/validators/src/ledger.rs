//! The stake ledger of one bonded account: pure bookkeeping, no storage access.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound,
	PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::traits::AtLeast32BitUnsigned;
use sp_staking::SessionIndex;

/// Every unlocking chunk is taken: nothing more can start unlocking until some is withdrawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ChunksFull;

/// Stake on its way out: `value` becomes withdrawable at session `unlock_at`.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct UnlockChunk<Balance> {
	/// The amount unlocking.
	pub value: Balance,
	/// The first session in which it may be withdrawn.
	pub unlock_at: SessionIndex,
}

/// What one account has bonded: the active part, which counts for elections, and the
/// unlocking chunks, which do not but stay on hold and slashable.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DefaultNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxChunks))]
pub struct StakeLedger<Balance, MaxChunks: Get<u32>>
where
	Balance: AtLeast32BitUnsigned + Copy + Default + MaxEncodedLen + core::fmt::Debug,
{
	/// Bonded stake that counts for elections.
	pub active: Balance,
	/// Unbonded stake waiting for its session, oldest first.
	pub unlocking: BoundedVec<UnlockChunk<Balance>, MaxChunks>,
}

impl<Balance, MaxChunks> StakeLedger<Balance, MaxChunks>
where
	Balance: AtLeast32BitUnsigned + Copy + Default + MaxEncodedLen + core::fmt::Debug,
	MaxChunks: Get<u32>,
{
	/// Active plus unlocking: everything that should be on hold.
	pub fn total(&self) -> Balance {
		self.unlocking.iter().fold(self.active, |sum, chunk| sum.saturating_add(chunk.value))
	}

	/// Move `value` (at most `active`, checked by the caller) from active into a chunk that
	/// unlocks at `unlock_at`. Unbonding twice in one session merges into one chunk. Fails,
	/// changing nothing, when no chunk is free.
	pub fn start_unlocking(
		&mut self,
		value: Balance,
		unlock_at: SessionIndex,
	) -> Result<(), ChunksFull> {
		match self.unlocking.last_mut() {
			Some(last) if last.unlock_at == unlock_at => {
				last.value = last.value.saturating_add(value)
			}
			_ => {
				self.unlocking.try_push(UnlockChunk { value, unlock_at }).map_err(|_| ChunksFull)?
			}
		}
		self.active = self.active.saturating_sub(value);
		Ok(())
	}

	/// Remove every chunk that unlocks at or before `now` and return their sum.
	pub fn withdraw_unlocked(&mut self, now: SessionIndex) -> Balance {
		let mut freed = Balance::zero();
		self.unlocking.retain(|chunk| {
			let ready = chunk.unlock_at <= now;
			if ready {
				freed = freed.saturating_add(chunk.value);
			}
			!ready
		});
		freed
	}

	/// Take up to `amount` from the ledger, from the active bond first and then from the
	/// unlocking chunks, newest first (the oldest are the closest to leaving, and a slash
	/// must not be dodged by unbonding just before it lands). Returns what was taken.
	pub fn slash(&mut self, amount: Balance) -> Balance {
		let from_active = amount.min(self.active);
		self.active -= from_active;
		let mut taken = from_active;
		for chunk in self.unlocking.iter_mut().rev() {
			let want = amount - taken;
			if want.is_zero() {
				break;
			}
			let part = want.min(chunk.value);
			chunk.value -= part;
			taken += part;
		}
		self.unlocking.retain(|chunk| !chunk.value.is_zero());
		taken
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::traits::ConstU32;

	type Ledger = StakeLedger<u64, ConstU32<2>>;

	fn ledger(active: u64) -> Ledger {
		Ledger { active, ..Default::default() }
	}

	#[test]
	fn unlocking_moves_stake_and_merges_chunks_of_one_session() {
		let mut l = ledger(100);
		l.start_unlocking(10, 5).unwrap();
		l.start_unlocking(15, 5).unwrap();
		assert_eq!(l.active, 75);
		assert_eq!(l.unlocking.to_vec(), vec![UnlockChunk { value: 25, unlock_at: 5 }]);
		assert_eq!(l.total(), 100);
	}

	#[test]
	fn unlocking_beyond_the_chunk_bound_changes_nothing() {
		let mut l = ledger(100);
		l.start_unlocking(10, 5).unwrap();
		l.start_unlocking(10, 6).unwrap();
		let before = l.clone();
		assert!(l.start_unlocking(10, 7).is_err());
		assert_eq!(l, before);
	}

	#[test]
	fn withdraw_takes_only_chunks_that_are_due() {
		let mut l = ledger(100);
		l.start_unlocking(10, 5).unwrap();
		l.start_unlocking(20, 6).unwrap();
		assert_eq!(l.withdraw_unlocked(4), 0);
		assert_eq!(l.withdraw_unlocked(5), 10);
		assert_eq!(l.withdraw_unlocked(5), 0);
		assert_eq!(l.withdraw_unlocked(9), 20);
		assert_eq!(l.total(), 70);
	}

	#[test]
	fn slash_takes_active_first_then_newest_chunks() {
		let mut l = ledger(50);
		l.start_unlocking(20, 5).unwrap();
		l.start_unlocking(10, 6).unwrap();
		// active 20, chunks [20@5, 10@6]
		assert_eq!(l.slash(35), 35);
		assert_eq!(l.active, 0);
		assert_eq!(l.unlocking.to_vec(), vec![UnlockChunk { value: 15, unlock_at: 5 }]);
		assert_eq!(l.slash(100), 15);
		assert_eq!(l.total(), 0);
		assert!(l.unlocking.is_empty());
	}
}
