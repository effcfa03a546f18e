//! # Workers pallet
//!
//! The registry of Cohort's compute workers: who trains, on what, reachable where, with how
//! much at stake.
//!
//! A worker `register`s with its [`Capabilities`] (device, memory, measured throughput and
//! determinism class), its libp2p peer id and addresses, and a bond of at least
//! [`Config::MinWorkerBond`], which is put on hold. It stays eligible for assignments while it
//! is active and its last `heartbeat` is at most [`Config::HeartbeatInterval`] blocks old. A
//! worker that misses [`Config::MaxMissedDeadlines`] assignment deadlines in a row becomes
//! inactive until its next `heartbeat`.
//!
//! Seats are bounded ([`Config::MaxWorkersPerClass`] per class, [`Config::MaxClasses`]
//! classes), and stake decides who holds them, so that bonded squatters cannot lock honest
//! workers out: a full class seats a newcomer bonded above its smallest-bonded member, which
//! is [`WorkerStatus::Displaced`] (listed nowhere, drawn for nothing, its open duties finishing
//! backed by its bond; it takes a seat again with `update` once it bonds enough); when every
//! class seat is taken, a new class takes the seat of a class none of whose members has sent
//! a heartbeat for two [`Config::HeartbeatInterval`]s, or else (when registering) the seat of
//! the class with the least bonded in all, if its own bond is more than that class's total;
//! the members of the class that loses its seat are displaced. So keeping a class out costs a
//! squatter, in each of the other seats, more bond than the newcomer puts up.
//!
//! `unbond` takes the worker out of the eligible set at once; its bond stays on hold, and
//! slashable, for [`Config::WorkerBondingDuration`] blocks, after which `withdraw_unbonded`
//! frees it and removes the record. A worker holding a slot that is not settled yet cannot
//! unbond, so every contribution stays backed by stake until its verdict.
//!
//! `pallet-training` drives the rest through [`WorkerRegistry`]: drawing eligible workers,
//! counting open slots and missed deadlines, and slashing a fraction of a bond for a recorded
//! [`SlashReason`]. Slashed funds go to [`Config::OnSlash`]; none are burnt.
//!
//! ## Calls
//! - [`Pallet::register`], [`Pallet::update`]: join, change capabilities or addresses.
//! - [`Pallet::bond_extra`], [`Pallet::unbond`], [`Pallet::withdraw_unbonded`]: manage stake.
//! - [`Pallet::heartbeat`]: stay eligible, or become active again.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

mod info;
mod registry;
pub mod runtime_api;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use cohort_primitives::{Capabilities, DeterminismClass, SlashReason, WorkerRegistry};
pub use info::{
	Addresses, Multiaddr, PeerId, WorkerInfo, WorkerStatus, MAX_ADDRESSES, MAX_ADDRESS_LEN,
	MAX_PEER_ID_LEN,
};
pub use pallet::*;
pub use weights::WeightInfo;

use frame_support::traits::fungible;

/// The balance type of worker bonds.
pub type BalanceOf<T> = <T as Config>::Balance;

/// Funds taken by a slash, on their way to [`Config::OnSlash`].
pub type CreditOf<T> =
	fungible::Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// A worker record as stored.
pub type WorkerOf<T> = WorkerInfo<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, MutateHold},
			tokens::{Fortitude, Precision, Preservation},
			OnUnbalanced,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, Zero};

	/// The layout of this pallet's storage. Layouts may change freely until the first public
	/// network launches; from then on every change bumps this with a migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The balance type of bonds.
		type Balance: frame_support::traits::tokens::Balance;

		/// The currency bonds are held in.
		type Currency: fungible::Inspect<Self::AccountId, Balance = Self::Balance>
			+ fungible::InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::MutateHold<Self::AccountId>
			+ fungible::BalancedHold<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Where slashed bonds go (a treasury account, say). Nothing is burnt.
		type OnSlash: OnUnbalanced<CreditOf<Self>>;

		/// The smallest bond a worker registers with, and must keep to stay eligible.
		#[pallet::constant]
		type MinWorkerBond: Get<BalanceOf<Self>>;

		/// The bond each open duty needs: a worker is given no new one while its open duties
		/// (`open_assignments`) take up its whole bond at this much each. A slash takes a
		/// fraction of the bond as it stands, so a bond behind many slots at once answers
		/// for each far less than for one: with no bound, a worker alone in a class could
		/// cheat on hundreds of slots and lose at most its bond.
		#[pallet::constant]
		type BondPerDuty: Get<BalanceOf<Self>>;

		/// Blocks an unbonded bond stays on hold, and slashable, before it can be withdrawn.
		#[pallet::constant]
		type WorkerBondingDuration: Get<BlockNumberFor<Self>>;

		/// A worker whose last heartbeat is older than this many blocks gets no assignments.
		#[pallet::constant]
		type HeartbeatInterval: Get<BlockNumberFor<Self>>;

		/// Missed deadlines in a row after which a worker becomes inactive.
		#[pallet::constant]
		type MaxMissedDeadlines: Get<u32>;

		/// The most workers one determinism class holds; bounds the work of drawing a round.
		#[pallet::constant]
		type MaxWorkersPerClass: Get<u32>;

		/// The most determinism classes; bounds the work of choosing a class for a round.
		#[pallet::constant]
		type MaxClasses: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A worker's bond.
		#[codec(index = 0)]
		WorkerBond,
	}

	/// Every registered worker, leaving ones included. A record's `bond` is exactly what is
	/// held under [`HoldReason::WorkerBond`] for that account.
	#[pallet::storage]
	pub type Workers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, WorkerOf<T>, OptionQuery>;

	/// The workers of each determinism class that are not leaving, sorted by account. Rounds
	/// draw from these lists and check liveness and capabilities as they draw.
	#[pallet::storage]
	pub type ClassMembers<T: Config> = CountedStorageMap<
		_,
		Blake2_128Concat,
		DeterminismClass,
		BoundedVec<T::AccountId, T::MaxWorkersPerClass>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	// Each variant's doc names its fields, as polkadot.js shows them beside it.
	#[allow(missing_docs)]
	pub enum Event<T: Config> {
		/// `who` registered with `bond` and these capabilities.
		Registered { who: T::AccountId, bond: BalanceOf<T>, capabilities: Capabilities },
		/// `who` changed its capabilities, peer id or addresses.
		Updated { who: T::AccountId },
		/// `who` bonded `amount` more; `total` is its bond now.
		Bonded { who: T::AccountId, amount: BalanceOf<T>, total: BalanceOf<T> },
		/// `who` left the eligible set; its bond unlocks at block `unlock_at`.
		Unbonded { who: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// `who` withdrew its bond and its record was removed.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// `who` sent a heartbeat.
		Heartbeat { who: T::AccountId },
		/// `who` missed `missed` deadlines in a row and gets no assignments until it sends a
		/// heartbeat.
		MarkedInactive { who: T::AccountId, missed: u32 },
		/// `who` is active again after a heartbeat.
		Reactivated { who: T::AccountId },
		/// `who` lost `amount` of its bond for `reason`.
		Slashed { who: T::AccountId, amount: BalanceOf<T>, reason: SlashReason },
		/// `who` lost its seat in its class to `by` (who bonded more, or founded a class in the
		/// place of `who`'s, where nobody had sent a heartbeat for two intervals): it gets no
		/// new work until `update` seats it again.
		Displaced { who: T::AccountId, by: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already registered (or still leaving): update it instead.
		AlreadyRegistered,
		/// The account is not a registered worker.
		NotRegistered,
		/// The bond is below `MinWorkerBond`.
		BondTooLow,
		/// The free balance cannot cover the amount (an existential deposit must stay free).
		InsufficientBalance,
		/// The amount is zero.
		ZeroAmount,
		/// The determinism class is empty or uses characters other than a-z, 0-9, `-_.`.
		InvalidClass,
		/// The peer id is empty.
		EmptyPeerId,
		/// The peer id is longer than `MAX_PEER_ID_LEN` bytes.
		PeerIdTooLong,
		/// More than `MAX_ADDRESSES` addresses.
		TooManyAddresses,
		/// An address is empty or longer than `MAX_ADDRESS_LEN` bytes.
		InvalidAddress,
		/// The determinism class already has `MaxWorkersPerClass` workers, none bonded below
		/// the newcomer (a worker moving from another class takes only a free seat).
		ClassFull,
		/// There are already `MaxClasses` determinism classes, each with a member heard from
		/// within two heartbeat intervals and (when registering) with more bonded in all than
		/// the newcomer's bond.
		TooManyClasses,
		/// The worker lost its seat to a bigger bond: `bond_extra` and `update` to take one
		/// again, or `unbond`.
		Displaced,
		/// The worker holds slots that are not settled yet.
		HasOpenAssignments,
		/// The worker is unbonding; withdraw and register again.
		Leaving,
		/// The worker has not unbonded.
		NotLeaving,
		/// The bond is still locked; see the worker's `unlock_at`.
		StillLocked,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register the caller as a worker with `capabilities`, libp2p `peer_id` and
		/// `addresses` (binary multiaddrs), bonding `bond` of its free balance.
		///
		/// The worker is active and eligible at once; registering counts as a heartbeat. A full
		/// class, or a new class when every class seat is taken, makes room as the pallet docs
		/// say, emitting [`Event::Displaced`] for each worker that loses its seat.
		/// Fails with `AlreadyRegistered`, `BondTooLow`, `InsufficientBalance`, `InvalidClass`,
		/// `EmptyPeerId`, `PeerIdTooLong`, `TooManyAddresses`, `InvalidAddress`, `ClassFull`
		/// or `TooManyClasses`. Emits [`Event::Registered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register().saturating_add(Pallet::<T>::seat_search()))]
		pub fn register(
			origin: OriginFor<T>,
			capabilities: Capabilities,
			peer_id: Vec<u8>,
			addresses: Vec<Vec<u8>>,
			#[pallet::compact] bond: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			ensure!(!Workers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
			ensure!(bond >= T::MinWorkerBond::get(), Error::<T>::BondTooLow);
			ensure!(capabilities.class.is_well_formed(), Error::<T>::InvalidClass);
			let peer_id = Self::checked_peer_id(peer_id)?;
			let addresses = Self::checked_addresses(addresses)?;
			let searched = Self::join_class(&capabilities.class, &who, bond, true)?;
			Self::hold(&who, bond)?;
			let now = frame_system::Pallet::<T>::block_number();
			Workers::<T>::insert(
				&who,
				WorkerInfo {
					bond,
					capabilities: capabilities.clone(),
					peer_id,
					addresses,
					status: WorkerStatus::Active,
					last_heartbeat: now,
					missed_in_row: 0,
					open_assignments: 0,
					slashed: Zero::zero(),
					last_slash: None,
				},
			);
			Self::deposit_event(Event::Registered { who, bond, capabilities });
			Ok(Self::refund_unsearched(T::WeightInfo::register(), searched))
		}

		/// Change any of the caller's capabilities, peer id and addresses; `None` keeps one as
		/// it is. A new determinism class applies to rounds drawn from now on, and is refused
		/// while the worker holds an open duty.
		///
		/// A move takes a free seat in the new class (or a silent class's seat, as
		/// [`Pallet::register`] does), never another worker's. A displaced worker's `update`
		/// naming its own class seats it there again if it outbids the smallest seated bond,
		/// duties and all, and makes it active; naming another class, it moves as above.
		///
		/// Fails with `NotRegistered`, `Leaving`, `HasOpenAssignments` (a class change while
		/// assigned), `BondTooLow` (a seat taken with a bond slashed below `MinWorkerBond`:
		/// `bond_extra` first), and the checks of [`Pallet::register`].
		/// Emits [`Event::Updated`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update().saturating_add(Pallet::<T>::seat_search()))]
		pub fn update(
			origin: OriginFor<T>,
			capabilities: Option<Capabilities>,
			peer_id: Option<Vec<u8>>,
			addresses: Option<Vec<Vec<u8>>>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut worker = Self::staying(&who)?;
			let mut searched = false;
			if let Some(peer_id) = peer_id {
				worker.peer_id = Self::checked_peer_id(peer_id)?;
			}
			if let Some(addresses) = addresses {
				worker.addresses = Self::checked_addresses(addresses)?;
			}
			if let Some(capabilities) = capabilities {
				ensure!(capabilities.class.is_well_formed(), Error::<T>::InvalidClass);
				let displaced = worker.status == WorkerStatus::Displaced;
				let moving = capabilities.class != worker.capabilities.class;
				if moving || displaced {
					// A worker that hops classes while assigned could follow the draw from class
					// to class; its duties were assigned to the class it declared. A displaced
					// worker returning to its own class keeps them.
					ensure!(
						!moving || worker.open_assignments == 0,
						Error::<T>::HasOpenAssignments
					);
					// A seat costs what registering costs: a bond slashed below the minimum,
					// which earns no draw, must not keep a class alive or take a seat.
					ensure!(worker.bond >= T::MinWorkerBond::get(), Error::<T>::BondTooLow);
					// Leave first: the old seat must not be counted, nor its holder displaced.
					Self::leave_class(&worker.capabilities.class, &who);
					// A move takes a free seat, never someone's: otherwise one bond could empty
					// a seat in every full class in turn, without the bonding delay.
					let outbid = !moving;
					searched = Self::join_class(&capabilities.class, &who, worker.bond, outbid)?;
					// Taking a seat is a sign of life: a class founded by a move is not silent.
					worker.last_heartbeat = frame_system::Pallet::<T>::block_number();
				}
				if displaced {
					worker.status = WorkerStatus::Active;
					worker.missed_in_row = 0;
				}
				worker.capabilities = capabilities;
			}
			Workers::<T>::insert(&who, worker);
			Self::deposit_event(Event::Updated { who });
			Ok(Self::refund_unsearched(T::WeightInfo::update(), searched))
		}

		/// Add `amount` of the caller's free balance to its bond (to return above
		/// `MinWorkerBond` after a slash, say).
		///
		/// Fails with `NotRegistered`, `Leaving`, `ZeroAmount` or `InsufficientBalance`. Emits
		/// [`Event::Bonded`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut worker = Self::staying(&who)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			Self::hold(&who, amount)?;
			worker.bond = worker.bond.saturating_add(amount);
			let total = worker.bond;
			Workers::<T>::insert(&who, worker);
			Self::deposit_event(Event::Bonded { who, amount, total });
			Ok(())
		}

		/// Leave: the caller gets no more assignments from now on, and its whole bond unlocks
		/// `WorkerBondingDuration` blocks later (slashable until then).
		///
		/// Fails with `NotRegistered`, `Leaving`, or `HasOpenAssignments` while any slot it
		/// holds is unsettled. Emits [`Event::Unbonded`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut worker = Self::staying(&who)?;
			ensure!(worker.open_assignments == 0, Error::<T>::HasOpenAssignments);
			let unlock_at = frame_system::Pallet::<T>::block_number()
				.saturating_add(T::WorkerBondingDuration::get());
			Self::leave_class(&worker.capabilities.class, &who);
			worker.status = WorkerStatus::Leaving { unlock_at };
			let amount = worker.bond;
			Workers::<T>::insert(&who, worker);
			Self::deposit_event(Event::Unbonded { who, amount, unlock_at });
			Ok(())
		}

		/// Release the bond of a worker whose unbonding period has passed and remove its
		/// record.
		///
		/// Fails with `NotRegistered`, `NotLeaving` or `StillLocked`. Emits
		/// [`Event::Withdrawn`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let worker = Workers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			let WorkerStatus::Leaving { unlock_at } = worker.status else {
				return Err(Error::<T>::NotLeaving.into());
			};
			ensure!(
				frame_system::Pallet::<T>::block_number() >= unlock_at,
				Error::<T>::StillLocked
			);
			T::Currency::release(
				&HoldReason::WorkerBond.into(),
				&who,
				worker.bond,
				Precision::Exact,
			)?;
			Workers::<T>::remove(&who);
			Self::deposit_event(Event::Withdrawn { who, amount: worker.bond });
			Ok(())
		}

		/// Tell the chain the caller is alive: it stays eligible for `HeartbeatInterval` more
		/// blocks, its missed-deadline count starts again, and an inactive worker becomes
		/// active.
		///
		/// Fails with `NotRegistered`, `Leaving` or `Displaced`. Emits [`Event::Heartbeat`], and
		/// [`Event::Reactivated`] for an inactive worker.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut worker = Self::staying(&who)?;
			ensure!(worker.status != WorkerStatus::Displaced, Error::<T>::Displaced);
			worker.last_heartbeat = frame_system::Pallet::<T>::block_number();
			worker.missed_in_row = 0;
			let reactivated = worker.status == WorkerStatus::Inactive;
			worker.status = WorkerStatus::Active;
			Workers::<T>::insert(&who, worker);
			Self::deposit_event(Event::Heartbeat { who: who.clone() });
			if reactivated {
				Self::deposit_event(Event::Reactivated { who });
			}
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The record of a registered worker that is not leaving.
		fn staying(who: &T::AccountId) -> Result<WorkerOf<T>, Error<T>> {
			let worker = Workers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
			ensure!(!matches!(worker.status, WorkerStatus::Leaving { .. }), Error::<T>::Leaving);
			Ok(worker)
		}

		fn checked_peer_id(peer_id: Vec<u8>) -> Result<PeerId, Error<T>> {
			cohort_primitives::checked_peer_id(peer_id).map_err(Into::into)
		}

		fn checked_addresses(addresses: Vec<Vec<u8>>) -> Result<Addresses, Error<T>> {
			cohort_primitives::checked_addresses(addresses).map_err(Into::into)
		}

		/// Hold `amount` of `who`'s free balance as bond.
		fn hold(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			let free =
				T::Currency::reducible_balance(who, Preservation::Preserve, Fortitude::Polite);
			ensure!(free >= amount, Error::<T>::InsufficientBalance);
			T::Currency::hold(&HoldReason::WorkerBond.into(), who, amount)
		}

		/// Add `who`, bonding `bond`, to `class`'s members, keeping the list sorted; make room
		/// first if the set of classes is full, and if the class is full and `outbid`, by
		/// displacing its smallest bond. Returns whether it had to search for a seat (which
		/// reads member records, see [`Pallet::seat_search`]).
		fn join_class(
			class: &DeterminismClass,
			who: &T::AccountId,
			bond: BalanceOf<T>,
			outbid: bool,
		) -> Result<bool, DispatchError> {
			let mut searched = false;
			if !ClassMembers::<T>::contains_key(class)
				&& ClassMembers::<T>::count() >= T::MaxClasses::get()
			{
				searched = true;
				let outbid_class = || outbid.then(|| Self::outbid_class(bond)).flatten();
				let (stale, members) =
					Self::stale_class().or_else(outbid_class).ok_or(Error::<T>::TooManyClasses)?;
				ClassMembers::<T>::remove(&stale);
				for member in members {
					Self::displace(&member, who);
				}
			}
			let mut members = ClassMembers::<T>::get(class);
			if members.binary_search(who).is_ok() {
				return Ok(searched);
			}
			if members.len() as u32 >= T::MaxWorkersPerClass::get() {
				ensure!(outbid, Error::<T>::ClassFull);
				searched = true;
				// Duties do not shield a seat (squatters could keep themselves busy): the
				// displaced member finishes them, still bonded, but is drawn for no more.
				let (at, smallest) = members
					.iter()
					.enumerate()
					.filter_map(|(at, member)| {
						Workers::<T>::get(member).map(|worker| (at, worker.bond))
					})
					.min_by_key(|(_, bond)| *bond)
					.ok_or(Error::<T>::ClassFull)?;
				ensure!(smallest < bond, Error::<T>::ClassFull);
				let displaced = members.remove(at);
				Self::displace(&displaced, who);
			}
			let at = members.binary_search(who).unwrap_err();
			members.try_insert(at, who.clone()).map_err(|_| Error::<T>::ClassFull)?;
			ClassMembers::<T>::insert(class, members);
			Ok(searched)
		}

		/// The first class (in storage order) none of whose members has sent a heartbeat (or
		/// registered) within two `HeartbeatInterval`s, with its members: its seat can go to a
		/// new class. Silence, not inactivity or a bond below the minimum, since others can
		/// cause those (bounties nobody can meet in time make a class's workers miss
		/// deadlines), while a running worker heartbeats several times an interval.
		fn stale_class() -> Option<(DeterminismClass, Vec<T::AccountId>)> {
			let now = frame_system::Pallet::<T>::block_number();
			let silence = T::HeartbeatInterval::get().saturating_mul(2u32.into());
			ClassMembers::<T>::iter().find_map(|(class, members)| {
				let stale = members.iter().all(|member| {
					Workers::<T>::get(member)
						.is_none_or(|worker| now > worker.last_heartbeat.saturating_add(silence))
				});
				stale.then(|| (class, members.into_inner()))
			})
		}

		/// The class with the least bonded in all (the first in storage order on a tie), with
		/// its members, if `bond` is more than that: a new class bonded above it takes its
		/// seat, as a newcomer bonded above a full class's smallest member takes that member's.
		/// Classes are priced by what their workers put at stake, not by who came first.
		fn outbid_class(bond: BalanceOf<T>) -> Option<(DeterminismClass, Vec<T::AccountId>)> {
			let total = |members: &[T::AccountId]| {
				members
					.iter()
					.filter_map(Workers::<T>::get)
					.fold(BalanceOf::<T>::zero(), |sum, worker| sum.saturating_add(worker.bond))
			};
			let (class, members, smallest) = ClassMembers::<T>::iter()
				.map(|(class, members)| {
					let staked = total(&members);
					(class, members.into_inner(), staked)
				})
				.min_by_key(|(_, _, staked)| *staked)?;
			(smallest < bond).then_some((class, members))
		}

		/// Mark `who`, which lost its seat to `by`, displaced. The caller has taken it off its
		/// class's list.
		fn displace(who: &T::AccountId, by: &T::AccountId) {
			Workers::<T>::mutate_extant(who, |worker| worker.status = WorkerStatus::Displaced);
			Self::deposit_event(Event::Displaced { who: who.clone(), by: by.clone() });
		}

		/// The most a seat search can add to `register` or `update`, on top of their
		/// benchmarked weight (which covers a class with room): reading every class and every
		/// member record twice (for a silent class, then for the least bonded one), and
		/// displacing one class's worth of members. A search is rare (only full classes need
		/// one), and a call that makes none is refunded it.
		pub fn seat_search() -> Weight {
			let classes = u64::from(T::MaxClasses::get());
			let members = u64::from(T::MaxWorkersPerClass::get());
			let members_and_own = members.saturating_add(1);
			let reads = classes.saturating_mul(members_and_own).saturating_mul(2);
			T::DbWeight::get().reads_writes(reads, members_and_own)
		}

		/// The weight actually used: `benchmarked` alone when no seat search was needed.
		fn refund_unsearched(
			benchmarked: Weight,
			searched: bool,
		) -> frame_support::dispatch::PostDispatchInfo {
			let actual = if searched { None } else { Some(benchmarked) };
			frame_support::dispatch::PostDispatchInfo { actual_weight: actual, pays_fee: Pays::Yes }
		}

		/// Remove `who` from `class`'s members; an empty class disappears.
		fn leave_class(class: &DeterminismClass, who: &T::AccountId) {
			let mut members = ClassMembers::<T>::get(class);
			if let Ok(at) = members.binary_search(who) {
				members.remove(at);
			}
			if members.is_empty() {
				ClassMembers::<T>::remove(class);
			} else {
				ClassMembers::<T>::insert(class, members);
			}
		}

		/// Whether `worker` may be given work at `now`: active, bonded at least the minimum,
		/// heard from within `HeartbeatInterval` blocks, and with room in its bond for one
		/// more duty ([`Config::BondPerDuty`]). (One draw may give it several slots at once: the
		/// bound is exceeded by at most one round's shards.)
		pub fn is_live(worker: &WorkerOf<T>, now: BlockNumberFor<T>) -> bool {
			let duties = BalanceOf::<T>::from(worker.open_assignments.saturating_add(1));
			worker.status == WorkerStatus::Active
				&& worker.bond >= T::MinWorkerBond::get()
				&& duties.saturating_mul(T::BondPerDuty::get()) <= worker.bond
				&& now <= worker.last_heartbeat.saturating_add(T::HeartbeatInterval::get())
		}

		/// What is actually held for `who` as a worker bond.
		pub fn held(who: &T::AccountId) -> BalanceOf<T> {
			T::Currency::balance_on_hold(&HoldReason::WorkerBond.into(), who)
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxWorkersPerClass::get() >= 1, "MaxWorkersPerClass must be at least 1");
			assert!(T::MaxClasses::get() >= 1, "MaxClasses must be at least 1");
			assert!(T::MaxMissedDeadlines::get() >= 1, "MaxMissedDeadlines must be at least 1");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks the invariants: every bond is exactly what is held, every worker that is
		/// neither leaving nor displaced is listed in its class (and nobody else is), classes
		/// are sorted. Run by this pallet's and `pallet-training`'s tests after every step.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let mut listed = 0usize;
			for (class, members) in ClassMembers::<T>::iter() {
				ensure!(!members.is_empty(), "an empty class is stored");
				ensure!(members.windows(2).all(|w| w[0] < w[1]), "class members not sorted");
				for who in members.iter() {
					let worker = Workers::<T>::get(who).ok_or("a class lists a non-worker")?;
					ensure!(worker.capabilities.class == class, "worker listed in the wrong class");
					ensure!(
						!matches!(
							worker.status,
							WorkerStatus::Leaving { .. } | WorkerStatus::Displaced
						),
						"a leaving or displaced worker is listed"
					);
				}
				listed += members.len();
			}
			let mut staying = 0usize;
			for (who, worker) in Workers::<T>::iter() {
				ensure!(worker.bond == Self::held(&who), "bond differs from the hold");
				if !matches!(worker.status, WorkerStatus::Leaving { .. } | WorkerStatus::Displaced)
				{
					staying += 1;
				}
			}
			ensure!(staying == listed, "a staying worker is not listed in its class");
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// `who`'s record with its eligibility now, for the runtime API.
	pub fn view(
		who: T::AccountId,
	) -> Option<
		runtime_api::WorkerView<
			T::AccountId,
			BalanceOf<T>,
			frame_system::pallet_prelude::BlockNumberFor<T>,
		>,
	> {
		let info = Workers::<T>::get(&who)?;
		let eligible = Self::is_live(&info, frame_system::Pallet::<T>::block_number());
		Some(runtime_api::WorkerView { account: who, eligible, info })
	}

	/// Every worker's view, in account order.
	pub fn views() -> alloc::vec::Vec<
		runtime_api::WorkerView<
			T::AccountId,
			BalanceOf<T>,
			frame_system::pallet_prelude::BlockNumberFor<T>,
		>,
	> {
		let mut accounts: alloc::vec::Vec<_> = Workers::<T>::iter_keys().collect();
		accounts.sort();
		accounts.into_iter().filter_map(Self::view).collect()
	}
}

cohort_primitives::impl_from_peer_error!(Error);
