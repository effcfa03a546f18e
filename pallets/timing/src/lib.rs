//! # Timing pallet
//!
//! Holds the chain's clock parameters, fixed at genesis: the Aura slot duration and the session
//! length. Reading them from storage, instead of compiling them into the runtime, lets one
//! runtime blob serve a public network with 6 s slots and a test network with 1 s slots; only
//! the chain spec differs.
//!
//! The runtime wires the getters into the pallets that need them:
//! - [`SlotDurationMs`] into `pallet_aura::Config::SlotDuration`;
//! - [`MinimumPeriod`] (half a slot) into `pallet_timestamp::Config::MinimumPeriod`;
//! - [`SessionBlocks`] as the period of `pallet_session::PeriodicSessions`.
//!
//! There are no calls: changing the slot duration of a running chain breaks Aura's slot
//! arithmetic, so the values are written once, by the genesis config.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

pub use pallet::*;

#[cfg(test)]
mod tests;

#[frame_support::pallet]
pub mod pallet {
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::BlockNumberFor;
	use sp_runtime::traits::Zero;

	/// Slot duration when genesis does not set one: the public networks' 6 s.
	pub const DEFAULT_SLOT_DURATION_MS: u64 = 6_000;
	/// Session length when genesis does not set one: one hour of 6 s blocks.
	pub const DEFAULT_SESSION_LENGTH: u32 = 600;

	/// The layout of this pallet's storage. Layouts may change freely until the first public
	/// network launches; from then on every change bumps this with a migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	/// [`SlotDurationMs`]'s value until governance sets one.
	#[pallet::type_value]
	pub fn DefaultSlotDuration() -> u64 {
		DEFAULT_SLOT_DURATION_MS
	}

	/// [`SessionBlocks`]'s value until governance sets one.
	#[pallet::type_value]
	pub fn DefaultSessionLength<T: Config>() -> BlockNumberFor<T> {
		DEFAULT_SESSION_LENGTH.into()
	}

	/// Milliseconds per Aura slot, and so the target block time.
	#[pallet::storage]
	pub type SlotDurationMs<T> = StorageValue<_, u64, ValueQuery, DefaultSlotDuration>;

	/// Blocks per session: how often the validator set may change.
	#[pallet::storage]
	pub type SessionBlocks<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, DefaultSessionLength<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Milliseconds per slot; must be even and at least 2 so that the timestamp pallet's
		/// minimum period (half a slot) is a whole, non-zero number of milliseconds.
		pub slot_duration_ms: u64,
		/// Blocks per session; must be non-zero.
		pub session_length: BlockNumberFor<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// A zero in the genesis config means "use the default", as for every other field
			// that a JSON patch leaves out.
			if self.slot_duration_ms != 0 {
				assert!(
					self.slot_duration_ms >= 2 && self.slot_duration_ms.is_multiple_of(2),
					"timing: slot_duration_ms must be an even number of at least 2, got {}",
					self.slot_duration_ms
				);
				SlotDurationMs::<T>::put(self.slot_duration_ms);
			}
			if !self.session_length.is_zero() {
				SessionBlocks::<T>::put(self.session_length);
			}
		}
	}

	/// The slot duration in milliseconds, for `pallet_aura::Config::SlotDuration`.
	pub struct SlotDuration<T>(PhantomData<T>);
	impl<T: Config> Get<u64> for SlotDuration<T> {
		fn get() -> u64 {
			SlotDurationMs::<T>::get()
		}
	}

	/// Half a slot, for `pallet_timestamp::Config::MinimumPeriod`: Aura needs the timestamp to
	/// advance by at least this much between blocks.
	pub struct MinimumPeriod<T>(PhantomData<T>);
	impl<T: Config> Get<u64> for MinimumPeriod<T> {
		fn get() -> u64 {
			SlotDurationMs::<T>::get() / 2
		}
	}

	/// The session length in blocks, for `pallet_session::PeriodicSessions`.
	pub struct SessionLength<T>(PhantomData<T>);
	impl<T: Config> Get<BlockNumberFor<T>> for SessionLength<T> {
		fn get() -> BlockNumberFor<T> {
			SessionBlocks::<T>::get()
		}
	}
}
