//! How a worker conducts itself at the points of its loop where it could cheat: which inputs
//! it trains from, which delta it commits, how it commits, whether it reveals, what it
//! serves, and which checkpoint it proposes as a round's aggregator. Each default is the
//! honest behaviour, so the worker loop has one path and [`Honest`] is nothing but the
//! defaults. The end-to-end tests' Byzantine workers (the `adversary` module, built only with
//! the `adversary` feature) override them; a [`Context`] holds one conduct and every hook is
//! asked there.

use super::{Context, DutyError};
use crate::{
	delta::Delta,
	job::{Job, ShardTask},
	trainer::Trained,
};
use async_trait::async_trait;
use cohort_primitives::{RoundIndex, H256};

/// The hooks of the worker loop where a worker could depart from the protocol. Every method
/// defaults to what an honest worker does.
#[async_trait]
pub trait Conduct: Send + Sync {
	/// Deal with the commit of `slot` some other way than training it. `Ok(true)`: this
	/// conduct has done so (committed something, or chosen not to commit), and the loop does
	/// nothing more for this commit. `Ok(false)`, the honest answer: the loop trains the shard,
	/// records the seal and commits it.
	async fn commit_otherwise(&self, _cx: &Context, _slot: ShardTask) -> Result<bool, DutyError> {
		Ok(false)
	}

	/// What to train for `slot` of `job` (its checkpoint and dataset shard): the slot itself,
	/// honestly. The commit still names the slot's checkpoint whatever this returns.
	async fn training_inputs(
		&self,
		_cx: &Context,
		_job: &Job,
		slot: ShardTask,
	) -> Result<ShardTask, DutyError> {
		Ok(slot)
	}

	/// What to commit for `slot` of `job` given what was trained (the delta, the losses and
	/// the trajectory): that, honestly. A conduct that departs from the protocol partway
	/// through a shard's steps rewrites the trajectory from there.
	async fn retrace(
		&self,
		_cx: &Context,
		_job: &Job,
		_slot: ShardTask,
		trained: Trained,
	) -> Result<Trained, DutyError> {
		Ok(trained)
	}

	/// The delta to commit for `slot`, given the one trained: that one, honestly.
	fn tamper(&self, _slot: ShardTask, trained: Delta) -> Delta {
		trained
	}

	/// Whether the seal committed for `slot` is revealed: always, honestly. A seal that is not
	/// revealed is never opened, and its slot is left alone.
	fn reveals(&self, _slot: ShardTask) -> bool {
		true
	}

	/// Whether this worker answers the bisection game `slot` is drawn into: always, honestly.
	/// A side that does not answer in time loses its game.
	fn bisects(&self, _slot: ShardTask) -> bool {
		true
	}

	/// The checkpoint to propose as `round`'s aggregator of `job`, given `computed`, the one
	/// it computed (stored): that one, honestly. Whatever it returns must be in the store, to
	/// be served.
	async fn propose(
		&self,
		_cx: &Context,
		_job: &Job,
		_round: RoundIndex,
		computed: H256,
	) -> Result<H256, DutyError> {
		Ok(computed)
	}

	/// Called once `root` is revealed for `slot`, just before the network provides it: nothing
	/// to do, honestly.
	fn before_serving(
		&self,
		_cx: &Context,
		_slot: ShardTask,
		_root: H256,
	) -> Result<(), DutyError> {
		Ok(())
	}
}

/// The honest worker: every hook's default.
#[derive(Clone, Copy, Debug, Default)]
pub struct Honest;

impl Conduct for Honest {}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::delta::Tensor;

	fn delta() -> Delta {
		let tensors = vec![Tensor { name: "w".into(), dims: vec![2], data: vec![1.0, -0.5] }];
		Delta::new(tensors).unwrap()
	}

	#[test]
	fn the_honest_conduct_commits_what_it_trained_and_reveals_it() {
		let slot = ShardTask {
			bounty: 1,
			round: 2,
			shard: 3,
			dataset_shard: 4,
			checkpoint: H256::repeat_byte(5),
		};
		assert_eq!(Honest.tamper(slot, delta()).to_bytes(), delta().to_bytes());
		assert!(Honest.reveals(slot) && Honest.bisects(slot));
	}
}
