//! # Cohort genesis presets
//!
//! The genesis states a Cohort chain can start from, as JSON patches over the runtime's default
//! genesis config. The runtime serves them through the `GenesisBuilder` runtime API, so
//! `cohort-node --chain local` and `cohort-node build-spec --chain testnet` need no file.
//!
//! | preset    | validators                         | slot  | session   | for                        |
//! |-----------|------------------------------------|-------|-----------|----------------------------|
//! | `dev`     | Alice                              | 1 s   | 10 blocks | one-node development       |
//! | `local`   | Alice, Bob, Charlie, Dave          | 2 s   | 20 blocks | a local multi-node network |
//! | `testnet` | Alice, Bob, Charlie, Dave (replace)| 6 s   | 600 blocks| template for real operators|
//!
//! Every preset bonds its validators at genesis through `pallet-validators`; none needs sudo.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::{string::ToString, vec, vec::Vec};
use frame_support::PalletId;
use serde_json::{json, Value};
use sp_core::{ed25519, sr25519};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{traits::AccountIdConversion, AccountId32};

/// The token: 12 decimals, like the Substrate dev chains, so polkadot.js shows sane amounts.
pub mod units {
	/// One token.
	pub const UNIT: u128 = 1_000_000_000_000;
	/// A thousandth of a token.
	pub const MILLI_UNIT: u128 = UNIT / 1_000;
}
use units::UNIT;

/// The account that receives transaction fees and slashed stake. There is no treasury pallet
/// yet; a later governance pallet can spend from it.
pub const TREASURY: PalletId = PalletId(*b"py/trsry");

/// The account of [`TREASURY`].
pub fn treasury_account() -> AccountId32 {
	TREASURY.into_account_truncating()
}

/// What the treasury account holds at genesis: it must exist, or fees and slashes smaller
/// than the existential deposit could not be paid into it and would be lost.
pub const TREASURY_ENDOWMENT: u128 = UNIT;

/// Preset id of the single-validator development chain.
pub const DEV: &str = "dev";
/// Preset id of the four-validator local network.
pub const LOCAL: &str = "local";
/// Preset id of the public testnet template.
pub const TESTNET: &str = "testnet";
/// Every preset, in the order `build-spec` lists them.
pub const PRESETS: [&str; 3] = [DEV, LOCAL, TESTNET];

/// Free balance of each endowed development account.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;
/// Each genesis validator's bond.
pub const GENESIS_BOND: u128 = 10_000 * UNIT;

/// One genesis validator: its account and the session keys it signs with.
struct Authority {
	account: AccountId32,
	aura: sr25519::Public,
	grandpa: ed25519::Public,
}

impl Authority {
	/// The well-known development keys of `who` (`//Alice` and so on).
	fn dev(who: Sr25519Keyring) -> Self {
		let grandpa: Ed25519Keyring =
			who.to_string().parse().expect("every dev name has an ed25519 twin");
		Authority { account: who.to_account_id(), aura: who.public(), grandpa: grandpa.public() }
	}
}

/// The clock and election parameters that differ between presets.
struct Params {
	slot_duration_ms: u64,
	session_length: u32,
	validator_count: u32,
	minimum_validator_count: u32,
}

fn genesis(authorities: Vec<Authority>, endowed: Vec<AccountId32>, params: Params) -> Value {
	json!({
		"balances": {
			"balances": endowed
				.iter()
				.map(|who| json!([who, ENDOWMENT]))
				.chain([json!([treasury_account(), TREASURY_ENDOWMENT])])
				.collect::<Vec<_>>(),
		},
		"validators": {
			"validators": authorities
				.iter()
				.map(|a| json!([a.account, GENESIS_BOND]))
				.collect::<Vec<_>>(),
			"validatorCount": params.validator_count,
			"minimumValidatorCount": params.minimum_validator_count,
		},
		"session": {
			"keys": authorities
				.iter()
				.map(|a| json!([a.account, a.account, { "aura": a.aura, "grandpa": a.grandpa }]))
				.collect::<Vec<_>>(),
		},
		"timing": {
			"slotDurationMs": params.slot_duration_ms,
			"sessionLength": params.session_length,
		},
	})
}

/// Alice, Bob, Charlie and Dave with their well-known keys.
fn four_dev_validators() -> Vec<Authority> {
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave]
		.into_iter()
		.map(Authority::dev)
		.collect()
}

fn dev_accounts() -> Vec<AccountId32> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// `dev`: Alice alone, 1 s blocks; every well-known account endowed.
pub fn dev() -> Value {
	genesis(
		vec![Authority::dev(Sr25519Keyring::Alice)],
		dev_accounts(),
		Params {
			slot_duration_ms: 1_000,
			session_length: 10,
			validator_count: 1,
			minimum_validator_count: 1,
		},
	)
}

/// `local`: Alice, Bob, Charlie and Dave, 2 s blocks. Up to 4 validators are elected and at
/// least 3 must qualify, so finality survives one faulty validator.
pub fn local() -> Value {
	genesis(
		four_dev_validators(),
		dev_accounts(),
		Params {
			slot_duration_ms: 2_000,
			session_length: 20,
			validator_count: 4,
			minimum_validator_count: 3,
		},
	)
}

/// `testnet`: 6 s blocks and one-hour sessions. The four development validators are
/// placeholders: operators put their own accounts and session keys into the spec that
/// `cohort-node build-spec --chain testnet` writes, then produce the raw spec from it.
pub fn testnet() -> Value {
	genesis(
		four_dev_validators(),
		dev_accounts(),
		Params {
			slot_duration_ms: 6_000,
			session_length: 600,
			validator_count: 16,
			minimum_validator_count: 3,
		},
	)
}

/// The preset called `id`, serialized as the `GenesisBuilder` runtime API returns it.
pub fn preset(id: &str) -> Option<Vec<u8>> {
	let patch = match id {
		DEV => dev(),
		LOCAL => local(),
		TESTNET => testnet(),
		_ => return None,
	};
	Some(serde_json::to_vec(&patch).expect("a JSON value always serializes"))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_preset_is_served_and_unknown_ids_are_not() {
		for id in PRESETS {
			assert!(preset(id).is_some(), "{id}");
		}
		assert!(preset("mainnet").is_none());
	}

	#[test]
	fn local_bonds_four_validators_with_keys() {
		let local = local();
		assert_eq!(local["validators"]["validators"].as_array().unwrap().len(), 4);
		assert_eq!(local["session"]["keys"].as_array().unwrap().len(), 4);
		assert_eq!(local["validators"]["validatorCount"], 4);
	}
}
