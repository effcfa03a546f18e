//! Moving a bounty's escrow: holding it from the owner, paying workers and verifiers from it,
//! returning the rest. Every movement is a transfer on hold, so nothing is minted or burnt.

use crate::{BalanceOf, BountyOf, Config, Error, HoldReason, Pallet};
use frame_support::{
	defensive, ensure,
	traits::{
		fungible::{Inspect, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
	},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchResult,
};

impl<T: Config> Pallet<T> {
	/// Hold `amount` of `owner`'s free balance as escrow.
	pub(crate) fn hold_escrow(owner: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		let free = T::Currency::reducible_balance(owner, Preservation::Preserve, Fortitude::Polite);
		ensure!(free >= amount, Error::<T>::InsufficientBalance);
		T::Currency::hold(&HoldReason::Escrow.into(), owner, amount)
	}

	/// Pay `amount` from `bounty`'s escrow to `to`'s free balance. Returns what was paid:
	/// `amount`, or nothing if the escrow cannot cover it (which the cost formula rules out).
	pub(crate) fn pay(
		bounty: &mut BountyOf<T>,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() || amount > bounty.escrow {
			return Zero::zero();
		}
		let moved = T::Currency::transfer_on_hold(
			&HoldReason::Escrow.into(),
			&bounty.owner,
			to,
			amount,
			Precision::Exact,
			Restriction::Free,
			// The hold exists for these payouts: a freeze the owner adds later must not block
			// them.
			Fortitude::Force,
		);
		match moved {
			Ok(paid) => {
				bounty.escrow = bounty.escrow.saturating_sub(paid);
				paid
			}
			Err(error) => {
				defensive!("an escrow payout failed", error);
				Zero::zero()
			}
		}
	}

	/// Release up to `amount` of `bounty`'s escrow back to its owner; returns what came back.
	pub(crate) fn refund(bounty: &mut BountyOf<T>, amount: BalanceOf<T>) -> BalanceOf<T> {
		let amount = amount.min(bounty.escrow);
		if amount.is_zero() {
			return amount;
		}
		let reason = HoldReason::Escrow.into();
		match T::Currency::release(&reason, &bounty.owner, amount, Precision::Exact) {
			Ok(released) => {
				bounty.escrow = bounty.escrow.saturating_sub(released);
				released
			}
			Err(error) => {
				defensive!("an escrow refund failed", error);
				Zero::zero()
			}
		}
	}
}
