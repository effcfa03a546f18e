//! # Validators pallet
//!
//! The proof-of-stake validator set of the Cohort chain.
//!
//! Any account may `bond` stake (placed on hold, so it cannot be transferred while bonded) and
//! declare itself a candidate with `validate`, once it has registered session keys through
//! `pallet_session::set_keys`. At every session change this pallet, as the chain's
//! [`pallet_session::SessionManager`], elects the top [`ValidatorCount`] candidates by bond.
//! When fewer than [`MinimumValidatorCount`] qualify, the current set stays, so a network never
//! elects itself into a set too small to finalize.
//!
//! Stake leaves in two steps: `unbond` moves part of the bond into an unlocking chunk that stays
//! on hold (and slashable) for [`Config::BondingDuration`] sessions; `withdraw_unbonded` then
//! releases every chunk whose session has come.
//!
//! Misbehaviour reported through `pallet_offences` (GRANDPA equivocations) reaches this pallet
//! as the [`sp_staking::offence::OnOffenceHandler`]: the offender loses
//! [`Config::OffenceSlashFraction`] of its bond to [`Config::OnSlash`] and stops being a
//! candidate, so it drops out of the next elected set.
//!
//! ## Calls
//! - [`Pallet::bond`], [`Pallet::bond_extra`], [`Pallet::unbond`], [`Pallet::withdraw_unbonded`]:
//!   manage stake.
//! - [`Pallet::validate`], [`Pallet::chill`]: enter and leave candidacy.
//! - [`Pallet::set_validator_count`]: root sets how many validators are elected.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

mod ledger;
pub mod runtime_api;
mod session;
mod slashing;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use ledger::{StakeLedger, UnlockChunk};
pub use pallet::*;
pub use session::BondedIdentification;
pub use weights::WeightInfo;

use frame_support::traits::fungible;

/// The balance type of the currency that stake is held in.
pub type BalanceOf<T> = <T as Config>::Balance;

/// Funds taken by a slash, on their way to [`Config::OnSlash`].
pub type CreditOf<T> =
	fungible::Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// Tells whether an account has registered session keys; the runtime answers from
/// `pallet_session`. A candidate without keys could be elected but could not author or vote.
pub trait SessionKeysRegistered<AccountId> {
	/// True when `who` has session keys queued for the next session.
	fn has_keys(who: &AccountId) -> bool;

	/// Give `who` session keys, so that benchmarks can call `validate`.
	#[cfg(feature = "runtime-benchmarks")]
	fn set_keys_for_benchmark(who: &AccountId);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, MutateHold},
			tokens::{Fortitude, Precision, Preservation},
			BuildGenesisConfig, OnUnbalanced,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{Saturating, Zero},
		Perbill,
	};
	use sp_staking::SessionIndex;

	/// The layout of this pallet's storage. Layouts may change freely until the first public
	/// network launches; from then on every change bumps this with a migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The balance type; serializable, because genesis bonds are written in JSON.
		type Balance: frame_support::traits::tokens::Balance
			+ sp_runtime::traits::MaybeSerializeDeserialize;

		/// The currency stake is held in.
		type Currency: fungible::Inspect<Self::AccountId, Balance = Self::Balance>
			+ fungible::InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::MutateHold<Self::AccountId>
			+ fungible::BalancedHold<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Whether an account has session keys; `validate` refuses candidates without them.
		type SessionKeys: SessionKeysRegistered<Self::AccountId>;

		/// Where slashed stake goes (a treasury account, say). It is never burnt silently.
		type OnSlash: OnUnbalanced<CreditOf<Self>>;

		/// The smallest bond that may stand as a candidate, and the smallest that may remain
		/// bonded after a partial `unbond`.
		#[pallet::constant]
		type MinValidatorBond: Get<BalanceOf<Self>>;

		/// Upper bound on the elected set, and so on [`ValidatorCount`].
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Upper bound on the number of candidates, which bounds the election's work.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// Upper bound on pending unlocking chunks per account.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		/// Sessions that unbonded stake stays on hold, and slashable, before it can be withdrawn.
		#[pallet::constant]
		type BondingDuration: Get<SessionIndex>;

		/// The fraction of an offender's bond taken for a reported offence.
		#[pallet::constant]
		type OffenceSlashFraction: Get<Perbill>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Stake bonded by a validator candidate, active or unlocking.
		#[codec(index = 0)]
		Bonded,
	}

	/// The stake of every bonded account: its active bond and its unlocking chunks. The sum of
	/// both is exactly what is held under [`HoldReason::Bonded`].
	#[pallet::storage]
	pub type Ledger<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		StakeLedger<BalanceOf<T>, T::MaxUnlockingChunks>,
		OptionQuery,
	>;

	/// Accounts that stand for election at the next session change.
	#[pallet::storage]
	pub type Candidates<T: Config> = CountedStorageMap<_, Blake2_128Concat, T::AccountId, ()>;

	/// How many validators each election picks, at most.
	#[pallet::storage]
	pub type ValidatorCount<T> = StorageValue<_, u32, ValueQuery>;

	/// The fewest qualifying candidates an election accepts; with fewer it keeps the current set.
	#[pallet::storage]
	pub type MinimumValidatorCount<T> = StorageValue<_, u32, ValueQuery>;

	/// The index of the session now in progress, as reported by `pallet_session`. Unlocking
	/// chunks are dated in sessions.
	#[pallet::storage]
	pub type CurrentSession<T> = StorageValue<_, SessionIndex, ValueQuery>;

	/// The set elected for each session planned and not started yet, with each validator's
	/// active bond at the election; it becomes [`SessionStakes`] when its session starts.
	#[pallet::storage]
	pub type ElectedStakes<T: Config> = StorageMap<
		_,
		Twox64Concat,
		SessionIndex,
		BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxValidators>,
		OptionQuery,
	>;

	/// The validators of the session in progress with their active bonds when they were
	/// elected: what each one's stake counts for during the session ([`Pallet::session_stake`]),
	/// however its bond changes meanwhile. A session whose election failed keeps the set, and
	/// these stakes, of the one before.
	#[pallet::storage]
	pub type SessionStakes<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxValidators>, ValueQuery>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Accounts bonded at genesis, with their bonds; each also becomes a candidate.
		pub validators: alloc::vec::Vec<(T::AccountId, BalanceOf<T>)>,
		/// Initial [`ValidatorCount`]; `MaxValidators` unless set.
		pub validator_count: u32,
		/// Initial [`MinimumValidatorCount`]; 1 unless set.
		pub minimum_validator_count: u32,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self {
				validators: Default::default(),
				validator_count: T::MaxValidators::get(),
				minimum_validator_count: 1,
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				self.minimum_validator_count >= 1
					&& self.minimum_validator_count <= self.validator_count
					&& self.validator_count <= T::MaxValidators::get(),
				"validators: need 1 <= minimum_validator_count <= validator_count <= MaxValidators"
			);
			assert!(
				self.validators.len() as u32 <= T::MaxCandidates::get(),
				"validators: more genesis validators than MaxCandidates"
			);
			ValidatorCount::<T>::put(self.validator_count);
			MinimumValidatorCount::<T>::put(self.minimum_validator_count);
			for (who, bond) in &self.validators {
				assert!(
					*bond >= T::MinValidatorBond::get(),
					"validators: genesis bond below MinValidatorBond"
				);
				Pallet::<T>::do_bond(who, *bond).expect("validators: genesis account cannot bond");
				Candidates::<T>::insert(who, ());
			}
			// The genesis set's stakes, as an election would record them: a set given by
			// session keys alone would otherwise weigh each validator's bond as it is when
			// read, which it can raise for a moment.
			SessionStakes::<T>::put(BoundedVec::truncate_from(self.validators.clone()));
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	// Each variant's doc names its fields, as polkadot.js shows them beside it.
	#[allow(missing_docs)]
	pub enum Event<T: Config> {
		/// `who` bonded `amount` more; `total` is now its active bond.
		Bonded { who: T::AccountId, amount: BalanceOf<T>, total: BalanceOf<T> },
		/// `who` started unbonding `amount`, withdrawable from session `unlock_at`.
		Unbonded { who: T::AccountId, amount: BalanceOf<T>, unlock_at: SessionIndex },
		/// `who` withdrew `amount` of unlocked stake back to its free balance.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// `who` became a candidate for the validator set.
		Candidate { who: T::AccountId },
		/// `who` stopped being a candidate.
		Chilled { who: T::AccountId },
		/// The election for `session` picked `validators`.
		NewValidatorSet { session: SessionIndex, validators: alloc::vec::Vec<T::AccountId> },
		/// The election for `session` found only `qualified` candidates, fewer than the
		/// minimum, so the current set continues.
		ElectionFailed { session: SessionIndex, qualified: u32 },
		/// `who` lost `amount` of its bond for an offence.
		Slashed { who: T::AccountId, amount: BalanceOf<T> },
		/// Root set the elected set's size bounds.
		ValidatorCountSet { desired: u32, minimum: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account has no bond; `bond` first.
		NotBonded,
		/// The account is already bonded; use `bond_extra`.
		AlreadyBonded,
		/// The bond would be below `MinValidatorBond`.
		BondTooLow,
		/// The free balance cannot cover the amount (an existential deposit must stay free).
		InsufficientBalance,
		/// The amount is zero.
		ZeroAmount,
		/// More was asked to unbond than is actively bonded.
		UnbondExceedsBond,
		/// Too many unlocking chunks are pending; withdraw some first.
		TooManyUnlockingChunks,
		/// No unlocking chunk has reached its session yet.
		NothingToWithdraw,
		/// The account has no session keys; call `session.set_keys` first.
		NoSessionKeys,
		/// The account is already a candidate.
		AlreadyCandidate,
		/// The account is not a candidate.
		NotCandidate,
		/// The candidate list is full.
		TooManyCandidates,
		/// The counts must satisfy 1 <= minimum <= desired <= MaxValidators.
		InvalidValidatorCount,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bond `value` of the caller's free balance as validator stake.
		///
		/// The funds are put on hold under [`HoldReason::Bonded`]. Bonding alone does not make a
		/// candidate: call [`Pallet::validate`] afterwards.
		///
		/// Fails with `AlreadyBonded`, `BondTooLow` (below `MinValidatorBond`) or
		/// `InsufficientBalance`. Emits [`Event::Bonded`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::bond())]
		pub fn bond(
			origin: OriginFor<T>,
			#[pallet::compact] value: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Ledger::<T>::contains_key(&who), Error::<T>::AlreadyBonded);
			ensure!(value >= T::MinValidatorBond::get(), Error::<T>::BondTooLow);
			Self::do_bond(&who, value)
		}

		/// Add `value` of the caller's free balance to its active bond.
		///
		/// Fails with `NotBonded`, `ZeroAmount` or `InsufficientBalance`. Emits
		/// [`Event::Bonded`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] value: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Ledger::<T>::contains_key(&who), Error::<T>::NotBonded);
			ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
			Self::do_bond(&who, value)
		}

		/// Start unbonding `value` of the caller's active bond.
		///
		/// The amount stays on hold, and can still be slashed, until `BondingDuration` sessions
		/// have passed; then [`Pallet::withdraw_unbonded`] frees it. What stays bonded must be
		/// zero or at least `MinValidatorBond`; unbonding everything also ends candidacy.
		///
		/// Fails with `NotBonded`, `ZeroAmount`, `UnbondExceedsBond`, `BondTooLow` or
		/// `TooManyUnlockingChunks`. Emits [`Event::Unbonded`] (and [`Event::Chilled`] when the
		/// whole bond leaves a candidate).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(
			origin: OriginFor<T>,
			#[pallet::compact] value: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
			ensure!(value <= ledger.active, Error::<T>::UnbondExceedsBond);
			let remaining = ledger.active - value;
			ensure!(
				remaining.is_zero() || remaining >= T::MinValidatorBond::get(),
				Error::<T>::BondTooLow
			);
			let unlock_at = CurrentSession::<T>::get().saturating_add(T::BondingDuration::get());
			ledger
				.start_unlocking(value, unlock_at)
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?;
			Ledger::<T>::insert(&who, ledger);
			Self::deposit_event(Event::Unbonded { who: who.clone(), amount: value, unlock_at });
			if remaining.is_zero() {
				Self::remove_candidate(&who);
			}
			Ok(())
		}

		/// Release every unlocking chunk whose session has come back to the free balance.
		///
		/// An account with nothing bonded and nothing unlocking is removed from the ledger.
		/// Fails with `NotBonded` or `NothingToWithdraw`. Emits [`Event::Withdrawn`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			let amount = ledger.withdraw_unlocked(CurrentSession::<T>::get());
			ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
			T::Currency::release(&HoldReason::Bonded.into(), &who, amount, Precision::Exact)?;
			if ledger.total().is_zero() {
				Ledger::<T>::remove(&who);
			} else {
				Ledger::<T>::insert(&who, ledger);
			}
			Self::deposit_event(Event::Withdrawn { who, amount });
			Ok(())
		}

		/// Stand for election as a validator from the next session change on.
		///
		/// Needs a bond of at least `MinValidatorBond` and session keys set with
		/// `session.set_keys`. Fails with `NotBonded`, `BondTooLow`, `NoSessionKeys`,
		/// `AlreadyCandidate` or `TooManyCandidates`. Emits [`Event::Candidate`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::validate())]
		pub fn validate(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			ensure!(ledger.active >= T::MinValidatorBond::get(), Error::<T>::BondTooLow);
			ensure!(T::SessionKeys::has_keys(&who), Error::<T>::NoSessionKeys);
			ensure!(!Candidates::<T>::contains_key(&who), Error::<T>::AlreadyCandidate);
			ensure!(
				Candidates::<T>::count() < T::MaxCandidates::get(),
				Error::<T>::TooManyCandidates
			);
			Candidates::<T>::insert(&who, ());
			Self::deposit_event(Event::Candidate { who });
			Ok(())
		}

		/// Stop standing for election. A validator in the current set serves out its session;
		/// the next election leaves it out. The bond stays; unbond it separately.
		///
		/// Fails with `NotCandidate`. Emits [`Event::Chilled`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::chill())]
		pub fn chill(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Candidates::<T>::contains_key(&who), Error::<T>::NotCandidate);
			Self::remove_candidate(&who);
			Ok(())
		}

		/// Set how many validators an election picks (`desired`) and the fewest it accepts
		/// (`minimum`). Root only.
		///
		/// Fails with `InvalidValidatorCount` unless 1 <= minimum <= desired <= MaxValidators.
		/// Emits [`Event::ValidatorCountSet`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::set_validator_count())]
		pub fn set_validator_count(
			origin: OriginFor<T>,
			desired: u32,
			minimum: u32,
		) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(
				minimum >= 1 && minimum <= desired && desired <= T::MaxValidators::get(),
				Error::<T>::InvalidValidatorCount
			);
			ValidatorCount::<T>::put(desired);
			MinimumValidatorCount::<T>::put(minimum);
			Self::deposit_event(Event::ValidatorCountSet { desired, minimum });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Hold `value` more of `who`'s balance and add it to the active bond, creating the
		/// ledger if needed. Callers check the amount's bounds.
		pub(crate) fn do_bond(who: &T::AccountId, value: BalanceOf<T>) -> DispatchResult {
			let free =
				T::Currency::reducible_balance(who, Preservation::Preserve, Fortitude::Polite);
			ensure!(free >= value, Error::<T>::InsufficientBalance);
			T::Currency::hold(&HoldReason::Bonded.into(), who, value)?;
			let mut ledger = Ledger::<T>::get(who).unwrap_or_default();
			ledger.active = ledger.active.saturating_add(value);
			let total = ledger.active;
			Ledger::<T>::insert(who, ledger);
			Self::deposit_event(Event::Bonded { who: who.clone(), amount: value, total });
			Ok(())
		}

		/// Drop `who` from the candidates, if it is one.
		pub(crate) fn remove_candidate(who: &T::AccountId) {
			if Candidates::<T>::take(who).is_some() {
				Self::deposit_event(Event::Chilled { who: who.clone() });
			}
		}

		/// The active bond of `who`, zero when it has none.
		pub fn active_bond(who: &T::AccountId) -> BalanceOf<T> {
			Ledger::<T>::get(who).map(|l| l.active).unwrap_or_default()
		}

		/// What the stake of `who`, a validator of the session in progress, counts for: its
		/// active bond when it was elected ([`SessionStakes`]), so that bonding more or
		/// unbonding within the session changes no stake-weighted count (a dispute's verdict,
		/// say) until the next one. A validator this pallet did not elect (a genesis set given
		/// by session keys alone) counts its active bond.
		pub fn session_stake(who: &T::AccountId) -> BalanceOf<T> {
			Self::stake_among(&SessionStakes::<T>::get(), who)
		}

		/// What `who` has bonded, active and unlocking: what a slash or a penalty can take.
		pub fn bonded(who: &T::AccountId) -> BalanceOf<T> {
			Ledger::<T>::get(who).map(|l| l.total()).unwrap_or_default()
		}

		/// Each of `validators` with its [`Self::session_stake`], reading [`SessionStakes`]
		/// once.
		pub fn session_stakes(
			validators: alloc::vec::Vec<T::AccountId>,
		) -> alloc::vec::Vec<(T::AccountId, BalanceOf<T>)> {
			let stakes = SessionStakes::<T>::get();
			validators
				.into_iter()
				.map(|who| {
					let stake = Self::stake_among(&stakes, &who);
					(who, stake)
				})
				.collect()
		}

		/// The stake of `who` in `stakes` (a session's), or its active bond if it is not there.
		fn stake_among(
			stakes: &[(T::AccountId, BalanceOf<T>)],
			who: &T::AccountId,
		) -> BalanceOf<T> {
			stakes
				.iter()
				.find_map(|(validator, stake)| (validator == who).then_some(*stake))
				.unwrap_or_else(|| Self::active_bond(who))
		}

		/// Every candidate with its active bond, in no particular order; for RPC and UIs.
		pub fn candidates() -> alloc::vec::Vec<(T::AccountId, BalanceOf<T>)> {
			Candidates::<T>::iter_keys()
				.map(|who| {
					let bond = Self::active_bond(&who);
					(who, bond)
				})
				.collect()
		}

		/// What is actually held for `who` under [`HoldReason::Bonded`]; equals the ledger's
		/// total whenever the pallet's invariant holds.
		pub fn held(who: &T::AccountId) -> BalanceOf<T> {
			T::Currency::balance_on_hold(&HoldReason::Bonded.into(), who)
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxValidators::get() >= 1, "MaxValidators must be at least 1");
			assert!(
				T::MaxCandidates::get() >= T::MaxValidators::get(),
				"MaxCandidates must be at least MaxValidators"
			);
			assert!(T::MaxUnlockingChunks::get() >= 1, "MaxUnlockingChunks must be at least 1");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks the invariants: every ledger's total is what is held, every candidate is
		/// bonded at least `MinValidatorBond`. Run by the tests after every step.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			for (who, ledger) in Ledger::<T>::iter() {
				ensure!(ledger.total() == Self::held(&who), "ledger total differs from the hold");
			}
			for who in Candidates::<T>::iter_keys() {
				ensure!(
					Self::active_bond(&who) >= T::MinValidatorBond::get(),
					"candidate bonded below the minimum"
				);
			}
			Ok(())
		}
	}
}
