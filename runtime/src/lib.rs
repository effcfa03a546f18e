//! # Cohort runtime
//!
//! The state transition function of the Cohort chain: Aura block authoring, GRANDPA finality,
//! balances, transaction payment, and a proof-of-stake validator set (`pallet-validators`,
//! driving `pallet-session` and its historical proofs, with GRANDPA equivocations reported
//! through `pallet-offences` and slashed). Slot duration and session length come from genesis
//! (`pallet-timing`), so one wasm blob serves every chain spec.
//!
//! - [`configs`]: how each pallet is configured.
//! - [`apis`]: the runtime APIs the node and clients call.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` and `impl_runtime_apis` expand to large types.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod weights;

use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use cohort_chain_spec::units::{MILLI_UNIT, UNIT};
/// Calls of `pallet-validators`, for clients building extrinsics natively.
pub type ValidatorsCall = pallet_validators::Call<Runtime>;
/// Calls of `pallet-workers`, for clients building extrinsics natively.
pub type WorkersCall = pallet_workers::Call<Runtime>;
/// Calls of `pallet-training`, for clients building extrinsics natively.
pub type TrainingCall = pallet_training::Call<Runtime>;
#[cfg(feature = "std")]
pub use sp_runtime::BuildStorage;

/// A block number.
pub type BlockNumber = u32;
/// A transaction signature: sr25519, ed25519 or ecdsa, as polkadot.js and subxt produce.
pub type Signature = MultiSignature;
/// An account: the public key of its signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// An account balance, in the smallest unit (1 [`UNIT`] = 10^12).
pub type Balance = u128;
/// A transaction index.
pub type Nonce = u32;
/// A block or state hash.
pub type Hash = sp_core::H256;

/// Types the node can use without knowing the runtime's call type, so it keeps syncing
/// across runtime upgrades that change them.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Block.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;

	impl_opaque_keys! {
		/// The keys a validator registers with `session.set_keys`.
		pub struct SessionKeys {
			/// Block authoring (sr25519).
			pub aura: Aura,
			/// Finality votes (ed25519).
			pub grandpa: Grandpa,
		}
	}
}
pub use opaque::SessionKeys;

#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("cohort"),
	impl_name: alloc::borrow::Cow::Borrowed("cohort-node"),
	authoring_version: 1,
	spec_version: 101,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timing = pallet_timing;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(4)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(5)]
	pub type Authorship = pallet_authorship;
	// Validators before Session: the session genesis asks the validator set for its first
	// election, which needs the genesis bonds.
	#[runtime::pallet_index(6)]
	pub type Validators = pallet_validators;
	#[runtime::pallet_index(7)]
	pub type Offences = pallet_offences;
	#[runtime::pallet_index(8)]
	pub type Historical = pallet_session::historical;
	#[runtime::pallet_index(9)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(10)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(11)]
	pub type Grandpa = pallet_grandpa;

	// The compute protocol.
	#[runtime::pallet_index(12)]
	pub type Workers = pallet_workers;
	#[runtime::pallet_index(13)]
	pub type Training = pallet_training;
}

/// How a transaction names its sender.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// The checks and payments every signed transaction goes through, in order. Clients build
/// the same tuple: polkadot.js and subxt read it from the metadata.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);
/// A transaction as it arrives over RPC.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// What a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;
/// Dispatches blocks and transactions to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
>;

/// The transaction extension a signer attaches for `nonce`: immortal era, no tip. Tests and
/// tools build extrinsics with it and [`tx_implicit`].
pub fn tx_extension(nonce: Nonce) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(generic::Era::Immortal),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
		frame_system::WeightReclaim::new(),
	)
}

/// The implicit data an immortal transaction's signature covers: spec and transaction
/// versions and the genesis hash (twice: for `CheckGenesis` and `CheckEra`).
pub fn tx_implicit(
	genesis: Hash,
) -> <TxExtension as sp_runtime::traits::TransactionExtension<RuntimeCall>>::Implicit {
	((), VERSION.spec_version, VERSION.transaction_version, genesis, genesis, (), (), (), ())
}
