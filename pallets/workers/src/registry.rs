//! The round protocol's view of the registry: `pallet-training` draws, tracks and slashes
//! workers through [`WorkerRegistry`].

use crate::{BalanceOf, ClassMembers, Config, Event, HoldReason, Pallet, WorkerStatus, Workers};
use alloc::vec::Vec;
use cohort_primitives::{
	DeterminismClass, EligibleWorker, Requirements, SlashReason, WorkerRegistry,
};
use frame_support::{
	defensive,
	traits::{
		fungible::{BalancedHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
		Get, OnUnbalanced,
	},
};
use sp_runtime::{
	traits::{One, Saturating, Zero},
	Perbill,
};

impl<T: Config> Pallet<T> {
	/// Take `amount_of(bond)` from `who`'s bond, paying `claims` out of it first (see
	/// [`WorkerRegistry::slash_paying`]) and the rest to the slash destination.
	fn take_paying(
		who: &T::AccountId,
		amount_of: impl FnOnce(BalanceOf<T>) -> BalanceOf<T>,
		reason: SlashReason,
		claims: &mut [(T::AccountId, BalanceOf<T>)],
	) -> BalanceOf<T> {
		Workers::<T>::mutate_extant(who, |worker| {
			let amount = amount_of(worker.bond);
			if amount.is_zero() {
				return amount;
			}
			let hold = HoldReason::WorkerBond.into();
			let owed = claims
				.iter()
				.filter(|(to, _)| to != who)
				.fold(BalanceOf::<T>::zero(), |sum, (_, claim)| sum.saturating_add(*claim));
			// Every claim gets the same fraction of what it is owed: all of it when the slash
			// covers them all, else the slash's share, rounded down; a claim's place in the
			// list buys it nothing.
			let share = Perbill::from_rational(amount.min(owed), owed.max(One::one()));
			let mut left = amount;
			for (to, claim) in claims.iter_mut().filter(|(to, _)| to != who) {
				let part = if amount >= owed { *claim } else { share.mul_floor(*claim) };
				if part.is_zero() {
					continue;
				}
				let moved = T::Currency::transfer_on_hold(
					&hold,
					who,
					to,
					part,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Force,
				);
				match moved {
					Ok(paid) => {
						*claim = claim.saturating_sub(paid);
						left = left.saturating_sub(paid);
					}
					// Left to the slash destination: the slash itself must not fail.
					Err(error) => {
						defensive!("a slash could not pay a claim", error);
					}
				}
			}
			if !left.is_zero() {
				let (credit, missing) = T::Currency::slash(&hold, who, left);
				// The record and the hold move together, so the hold always covers the bond.
				debug_assert!(missing.is_zero(), "hold smaller than the bond");
				T::OnSlash::on_unbalanced(credit);
			}
			worker.bond = worker.bond.saturating_sub(amount);
			worker.slashed = worker.slashed.saturating_add(amount);
			worker.last_slash = Some(reason);
			Self::deposit_event(Event::Slashed { who: who.clone(), amount, reason });
			amount
		})
	}

	/// The members of `class` that are live now and meet `requirements`, in account order.
	fn eligible_in(
		class: &DeterminismClass,
		members: &[T::AccountId],
		requirements: &Requirements,
	) -> Vec<EligibleWorker<T::AccountId>> {
		if requirements.class.as_ref().is_some_and(|wanted| wanted != class) {
			return Vec::new();
		}
		let now = frame_system::Pallet::<T>::block_number();
		members
			.iter()
			.filter_map(|who| {
				let worker = Workers::<T>::get(who)?;
				let eligible =
					Self::is_live(&worker, now) && requirements.admits(&worker.capabilities);
				eligible.then(|| EligibleWorker {
					account: who.clone(),
					gflops: worker.capabilities.gflops,
				})
			})
			.collect()
	}
}

impl<T: Config> WorkerRegistry<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn max_per_class() -> u32 {
		T::MaxWorkersPerClass::get()
	}

	fn eligible_by_class(
		requirements: &Requirements,
	) -> Vec<(DeterminismClass, Vec<EligibleWorker<T::AccountId>>)> {
		let classes: Vec<(DeterminismClass, Vec<T::AccountId>)> = match &requirements.class {
			Some(class) => alloc::vec![(class.clone(), ClassMembers::<T>::get(class).into_inner())],
			None => ClassMembers::<T>::iter()
				.map(|(class, members)| (class, members.into_inner()))
				.collect(),
		};
		let mut eligible: Vec<_> = classes
			.into_iter()
			.map(|(class, members)| {
				let workers = Self::eligible_in(&class, &members, requirements);
				(class, workers)
			})
			.filter(|(_, workers)| !workers.is_empty())
			.collect();
		// Every node must see the same order, whatever the map's iteration order.
		eligible.sort_by(|a, b| a.0.cmp(&b.0));
		eligible
	}

	fn is_eligible(who: &T::AccountId, requirements: &Requirements) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		Workers::<T>::get(who).is_some_and(|worker| {
			Self::is_live(&worker, now) && requirements.admits(&worker.capabilities)
		})
	}

	fn is_bonded(who: &T::AccountId) -> bool {
		Workers::<T>::get(who)
			.is_some_and(|worker| !matches!(worker.status, WorkerStatus::Leaving { .. }))
	}

	fn assignment_opened(who: &T::AccountId) {
		Workers::<T>::mutate_extant(who, |worker| {
			worker.open_assignments = worker.open_assignments.saturating_add(1)
		});
	}

	fn assignment_closed(who: &T::AccountId) {
		Workers::<T>::mutate_extant(who, |worker| {
			worker.open_assignments = worker.open_assignments.saturating_sub(1)
		});
	}

	fn open_assignments(who: &T::AccountId) -> u32 {
		Workers::<T>::get(who).map_or(0, |worker| worker.open_assignments)
	}

	fn deadline_met(who: &T::AccountId) {
		Workers::<T>::mutate_extant(who, |worker| worker.missed_in_row = 0);
	}

	fn deadline_missed(who: &T::AccountId) {
		Workers::<T>::mutate_extant(who, |worker| {
			worker.missed_in_row = worker.missed_in_row.saturating_add(1);
			if worker.status == WorkerStatus::Active
				&& worker.missed_in_row >= T::MaxMissedDeadlines::get()
			{
				worker.status = WorkerStatus::Inactive;
				Self::deposit_event(Event::MarkedInactive {
					who: who.clone(),
					missed: worker.missed_in_row,
				});
			}
		});
	}

	fn slash_paying(
		who: &T::AccountId,
		fraction: Perbill,
		reason: SlashReason,
		claims: &mut [(T::AccountId, BalanceOf<T>)],
	) -> BalanceOf<T> {
		Self::take_paying(who, |bond| fraction * bond, reason, claims)
	}

	fn charge_paying(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		reason: SlashReason,
		claims: &mut [(T::AccountId, BalanceOf<T>)],
	) -> BalanceOf<T> {
		Self::take_paying(who, |bond| amount.min(bond), reason, claims)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &T::AccountId, capabilities: cohort_primitives::Capabilities) {
		use frame_support::traits::fungible::Mutate;
		let bond = T::MinWorkerBond::get();
		T::Currency::set_balance(who, bond.saturating_mul(100u32.into()));
		Pallet::<T>::register(
			frame_system::RawOrigin::Signed(who.clone()).into(),
			capabilities,
			alloc::vec![1; 38],
			alloc::vec![alloc::vec![4; 16]],
			bond,
		)
		.expect("a funded worker with valid capabilities registers");
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn max_classes() -> u32 {
		T::MaxClasses::get()
	}
}
