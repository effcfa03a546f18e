//! Moving a bounty's escrow and deposit: holding them from the owner, paying workers, verifiers
//! and the treasury from them, returning the rest. Every movement is a transfer on hold, so
//! nothing is minted or burnt.

use crate::{BalanceOf, BountyOf, Config, Error, HoldReason, Pallet};
use frame_support::{
	defensive, ensure,
	traits::{
		fungible::{Inspect, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
		Get,
	},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchResult,
};

impl<T: Config> Pallet<T> {
	/// Hold `escrow` and `deposit` of `owner`'s free balance, both or neither.
	pub(crate) fn hold_escrow(
		owner: &T::AccountId,
		escrow: BalanceOf<T>,
		deposit: BalanceOf<T>,
	) -> DispatchResult {
		let free = T::Currency::reducible_balance(owner, Preservation::Preserve, Fortitude::Polite);
		ensure!(free >= escrow.saturating_add(deposit), Error::<T>::InsufficientBalance);
		T::Currency::hold(&HoldReason::Escrow.into(), owner, escrow)?;
		if !deposit.is_zero() {
			T::Currency::hold(&HoldReason::Deposit.into(), owner, deposit)?;
		}
		Ok(())
	}

	/// Move `amount` of `bounty`'s escrow to the treasury: money the owner paid for work that
	/// nobody can be shown to have done wrong, and that nobody can be shown to have earned.
	/// Returns what moved.
	pub(crate) fn escrow_to_treasury(
		bounty: &mut BountyOf<T>,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		Self::pay(bounty, &T::Treasury::get(), amount)
	}

	/// Take up to `fee` from `bounty`'s deposit to the treasury. Returns what was taken.
	pub(crate) fn charge_deposit(bounty: &mut BountyOf<T>, fee: BalanceOf<T>) -> BalanceOf<T> {
		let fee = fee.min(bounty.deposit);
		if fee.is_zero() {
			return fee;
		}
		let moved = T::Currency::transfer_on_hold(
			&HoldReason::Deposit.into(),
			&bounty.owner,
			&T::Treasury::get(),
			fee,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Force,
		);
		match moved {
			Ok(taken) => {
				bounty.deposit = bounty.deposit.saturating_sub(taken);
				taken
			}
			Err(error) => {
				defensive!("a deposit fee failed", error);
				Zero::zero()
			}
		}
	}

	/// Give the rest of `bounty`'s deposit back to its owner.
	pub(crate) fn release_deposit(bounty: &mut BountyOf<T>) {
		if bounty.deposit.is_zero() {
			return;
		}
		let reason = HoldReason::Deposit.into();
		match T::Currency::release(&reason, &bounty.owner, bounty.deposit, Precision::Exact) {
			Ok(_) => bounty.deposit = Zero::zero(),
			Err(error) => {
				defensive!("a deposit release failed", error);
			}
		}
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
