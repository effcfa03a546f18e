//! Draws from on-chain randomness: shuffling the eligible workers, audits, aggregators.

use crate::Config;
use codec::Encode;
use frame_support::traits::Randomness;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Hash, PerThing, Perbill};

/// A stream of numbers derived from one random seed and a subject, so that every node draws
/// the same numbers for the same block.
pub(crate) struct Draw {
	seed: [u8; 32],
	counter: u32,
}

impl Draw {
	/// A stream for `subject` (for example `(b"assign", bounty, round)`).
	pub(crate) fn new<T: Config>(subject: impl Encode) -> Self {
		let (random, _) = T::Randomness::random(&subject.encode());
		Self { seed: sp_io::hashing::blake2_256(&random.encode()), counter: 0 }
	}

	fn next_u64(&mut self) -> u64 {
		let bytes = sp_io::hashing::blake2_256(&(self.seed, self.counter).encode());
		self.counter = self.counter.wrapping_add(1);
		u64::from_le_bytes(bytes[..8].try_into().expect("32 bytes hold 8"))
	}

	/// A number in `0..n` (`n > 0`); the bias of the modulo is below 2^-32 for any `u32` `n`.
	pub(crate) fn below(&mut self, n: u32) -> u32 {
		(self.next_u64() % u64::from(n.max(1))) as u32
	}

	/// True with probability `p`.
	pub(crate) fn chance(&mut self, p: Perbill) -> bool {
		self.below(Perbill::ACCURACY) < p.deconstruct()
	}

	/// Shuffle `items` in place (Fisher-Yates).
	pub(crate) fn shuffle<X>(&mut self, items: &mut [X]) {
		for i in (1..items.len()).rev() {
			let j = self.below(i as u32 + 1) as usize;
			items.swap(i, j);
		}
	}
}

/// Randomness from the parent block's hash, mixed with the subject. Every node derives the same
/// value; the block author can bias it by choosing the block's contents, so it decides who
/// works, never whether work is accepted.
pub struct ParentHashRandomness<T>(core::marker::PhantomData<T>);

impl<T: frame_system::Config> Randomness<T::Hash, BlockNumberFor<T>> for ParentHashRandomness<T> {
	fn random(subject: &[u8]) -> (T::Hash, BlockNumberFor<T>) {
		let parent = frame_system::Pallet::<T>::parent_hash();
		let number = frame_system::Pallet::<T>::block_number();
		(T::Hashing::hash_of(&(parent, subject)), number)
	}
}
