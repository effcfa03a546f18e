//! Draws from on-chain randomness: shuffling the eligible workers, aggregators; and audits,
//! from a round's audit seed, which the workers' revealed salts decide (see [`AuditSeed`]).

use crate::Config;
use codec::Encode;
use cohort_primitives::H256;
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
	/// A stream for `subject` (for example `(b"assign", bounty, round)`) from the runtime's
	/// randomness.
	pub(crate) fn new<T: Config>(subject: impl Encode) -> Self {
		let (random, _) = T::Randomness::random(&subject.encode());
		Self { seed: sp_io::hashing::blake2_256(&random.encode()), counter: 0 }
	}

	/// A stream for `subject` from a round's audit seed (see [`AuditSeed`]).
	pub(crate) fn audit(seed: H256, subject: impl Encode) -> Self {
		Self { seed: sp_io::hashing::blake2_256(&(seed, subject).encode()), counter: 0 }
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

	/// An index into `weights`, each drawn with probability in proportion to its weight;
	/// `None` when they add up to nothing. The point drawn is a 128-bit number modulo the
	/// sum, whose bias is below `sum / 2^128`.
	pub(crate) fn weighted(&mut self, weights: &[u128]) -> Option<usize> {
		let sum = weights.iter().fold(0u128, |sum, w| sum.saturating_add(*w));
		if sum == 0 {
			return None;
		}
		let wide = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
		let mut point = wide % sum;
		weights.iter().position(|weight| {
			if point < *weight {
				return true;
			}
			point -= weight;
			false
		})
	}

	/// Shuffle `items` in place (Fisher-Yates).
	pub(crate) fn shuffle<X>(&mut self, items: &mut [X]) {
		for i in (1..items.len()).rev() {
			let j = self.below(i as u32 + 1) as usize;
			items.swap(i, j);
		}
	}
}

/// A round's audit seed: randomness drawn when the round starts, then each revealed seal's salt
/// mixed in as its reveal lands. Audits (a shard whose replicas agree, a bisection game's
/// winner) are drawn from it at the reveal deadline.
///
/// The runtime's randomness is the parent block's hash, which the block's author chooses among
/// many (it picks the block's contents): drawn at the check, it let an author (or a worker
/// with one) skip the audit of a wrong result. The salts close that. A worker picks its salt
/// before anyone reveals and seals it in its commitment, so no salt can be chosen knowing the
/// others, and nothing in the seed is chosen after the reveals; what the parent hash of the
/// round's start adds is fixed before any salt is. A worker that reveals last can compute the
/// seed with and without its reveal, and withholding it costs its slash (`SlashFraction` of its
/// bond, as an audit that catches it would): one other draw of the round's audits for a slash
/// each time. Only a party holding every slot of a round (every salt) chooses its seed for
/// free, and then no honest worker's result is in the round to be wronged by it.
pub(crate) struct AuditSeed;

impl AuditSeed {
	/// The seed of round `round` of bounty `id`, drawn as it starts.
	pub(crate) fn start<T: Config>(id: crate::BountyId, round: crate::RoundIndex) -> H256 {
		H256(Draw::new::<T>((b"cohort/audit-seed", id, round)).seed)
	}

	/// `seed` with the randomness of the block that checks round `round` of bounty `id` after
	/// its standbys' retry mixed in. A retry's standbys seal their salts once every other salt
	/// of the round is public, so a lone standby would know every term of the seed but its own
	/// and could choose its shard's audit. The block that checks the retry comes after the
	/// last reveal, and the hash drawn from is that of a block holding a reveal or later:
	/// nobody can know it when it reveals, and only a standby that is (or has) that block's
	/// author can choose it.
	pub(crate) fn for_retry<T: Config>(
		seed: H256,
		id: crate::BountyId,
		round: crate::RoundIndex,
	) -> H256 {
		Self::xor(seed, Draw::new::<T>((b"cohort/audit-retry", id, round)).seed)
	}

	/// `seed` with the `salt` `worker` revealed for `shard` mixed in. Mixed by XOR, so that the
	/// order the reveals land in (a block author's choice) does not change the seed; hashed with
	/// the slot, so that one salt revealed for two slots does not cancel out.
	pub(crate) fn mixed(
		seed: H256,
		worker: &impl Encode,
		shard: crate::ShardIndex,
		salt: &H256,
	) -> H256 {
		Self::xor(seed, sp_io::hashing::blake2_256(&(b"cohort/salt", worker, shard, salt).encode()))
	}

	/// `seed` XOR `bytes`: what mixing one more term in does, whatever order terms come in.
	fn xor(seed: H256, bytes: [u8; 32]) -> H256 {
		H256(core::array::from_fn(|i| seed.0[i] ^ bytes[i]))
	}
}

/// Randomness from the parent block's hash, mixed with the subject. Every node derives the same
/// value; the block author can bias it by choosing the block's contents, so it decides who
/// works (and which of them aggregates), never whether work is checked or accepted.
pub struct ParentHashRandomness<T>(core::marker::PhantomData<T>);

impl<T: frame_system::Config> Randomness<T::Hash, BlockNumberFor<T>> for ParentHashRandomness<T> {
	fn random(subject: &[u8]) -> (T::Hash, BlockNumberFor<T>) {
		let parent = frame_system::Pallet::<T>::parent_hash();
		let number = frame_system::Pallet::<T>::block_number();
		(T::Hashing::hash_of(&(parent, subject)), number)
	}
}

#[cfg(test)]
mod tests {
	use super::Draw;

	#[test]
	fn a_weighted_draw_follows_the_weights_and_never_picks_a_weightless_item() {
		let mut draw = Draw::audit(Default::default(), b"weighted");
		let weights = [1u128, 0, 3];
		let mut counts = [0u32; 3];
		for _ in 0..4_000 {
			counts[draw.weighted(&weights).expect("the weights add up to 4")] += 1;
		}
		assert_eq!(counts[1], 0);
		// 1 in 4 and 3 in 4, within a few standard deviations (about 27 draws).
		assert!((900..1_100).contains(&counts[0]), "{counts:?}");
		assert_eq!(draw.weighted(&[0, 0]), None);
		assert_eq!(draw.weighted(&[]), None);
	}
}
