//! Signed extrinsics, built and signed here with the dev keyring and submitted through
//! `author_submitExtrinsic` exactly as polkadot.js or subxt would; then found in a block and
//! judged by their `System` events.

use crate::{rpc::EventRecord, wait, Error, Result, Rpc};
use codec::Encode;
use cohort_runtime::SessionKeys;
use cohort_runtime::{Hash, RuntimeCall, RuntimeEvent, SignedPayload, UncheckedExtrinsic};
use sp_core::proof_of_possession::ProofOfPossessionGenerator;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{DispatchError, MultiSignature};
use std::time::Duration;

/// How long a transaction may take to appear in a block.
pub const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// What became of a transaction in its block.
#[derive(Debug)]
pub struct Included {
	/// The block that holds it.
	pub block: Hash,
	/// Its events (those of its `ApplyExtrinsic` phase).
	pub events: Vec<RuntimeEvent>,
	/// `Err` when it was included but its call failed.
	pub result: Result<(), DispatchError>,
}

/// `call` signed by `signer` with `nonce`, for the chain whose genesis is `genesis`.
pub fn signed(
	signer: Sr25519Keyring,
	nonce: u32,
	genesis: Hash,
	call: RuntimeCall,
) -> UncheckedExtrinsic {
	let extension = cohort_runtime::tx_extension(nonce);
	let payload = SignedPayload::from_raw(
		call.clone(),
		extension.clone(),
		cohort_runtime::tx_implicit(genesis),
	);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		signer.to_account_id().into(),
		MultiSignature::Sr25519(signature),
		extension,
	)
}

/// Sign `call` with `signer`'s next nonce, submit it to `rpc`, and wait until it is in a block.
pub async fn execute(rpc: &Rpc, signer: Sr25519Keyring, call: RuntimeCall) -> Result<Included> {
	let genesis = rpc.genesis_hash().await?;
	let nonce = rpc.next_nonce(&signer.to_account_id()).await?;
	let from = rpc.best_number().await?;
	let extrinsic = signed(signer, nonce, genesis, call).encode();
	let tx_hash = rpc.submit(&extrinsic).await?;
	let (block, index) = find_inclusion(rpc, tx_hash, from).await?;
	let events = phase_events(rpc.events(block).await?, index);
	let result = events
		.iter()
		.find_map(|event| match event {
			RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. }) => Some(Ok(())),
			RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error, ..
			}) => Some(Err(*dispatch_error)),
			_ => None,
		})
		.ok_or_else(|| Error::Transaction(format!("{tx_hash:?}: no outcome event in its block")))?;
	Ok(Included { block, events, result })
}

/// Like [`execute`], but a failed call is an error.
pub async fn execute_ok(rpc: &Rpc, signer: Sr25519Keyring, call: RuntimeCall) -> Result<Included> {
	let included = execute(rpc, signer, call).await?;
	if let Err(e) = included.result {
		return Err(Error::Transaction(format!("failed in block {:?}: {e:?}", included.block)));
	}
	Ok(included)
}

/// Scan the best chain from block `from` on until the extrinsic `tx_hash` shows up; returns
/// its block and index.
async fn find_inclusion(rpc: &Rpc, tx_hash: Hash, from: u32) -> Result<(Hash, u32)> {
	wait::until(&format!("transaction {tx_hash:?} in a block"), INCLUSION_TIMEOUT, || async move {
		let best = rpc.best_number().await?;
		for number in from..=best {
			let Some(block) = rpc.block_hash(number).await? else {
				continue;
			};
			for (index, extrinsic) in rpc.block_extrinsics(block).await?.iter().enumerate() {
				if sp_io::hashing::blake2_256(extrinsic) == tx_hash.0 {
					return Ok(Some((block, index as u32)));
				}
			}
		}
		Ok(None)
	})
	.await
}

/// `session.set_keys` for `who`'s well-known dev session keys (aura `//Who` sr25519, grandpa
/// `//Who` ed25519, the keys `cohort-node --who` puts in its keystore), with the proof of
/// possession the session pallet demands: each key signs `who`'s account id.
pub fn set_dev_session_keys(who: Sr25519Keyring) -> RuntimeCall {
	let owner = who.to_account_id().encode();
	let grandpa: Ed25519Keyring =
		who.to_string().parse().expect("every dev name has an ed25519 twin");
	let proof = (
		who.pair().generate_proof_of_possession(&owner),
		grandpa.pair().generate_proof_of_possession(&owner),
	)
		.encode();
	let keys = SessionKeys { aura: who.public().into(), grandpa: grandpa.public().into() };
	RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof })
}

fn phase_events(records: Vec<EventRecord>, index: u32) -> Vec<RuntimeEvent> {
	records
		.into_iter()
		.filter(|r| r.phase == frame_system::Phase::ApplyExtrinsic(index))
		.map(|r| r.event)
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::traits::Checkable;

	/// The runtime's own check accepts the signature only over this chain's genesis hash.
	#[test]
	fn signatures_bind_the_genesis_hash() {
		let genesis = Hash::repeat_byte(7);
		let call = RuntimeCall::System(frame_system::Call::remark { remark: vec![1, 2, 3] });
		let lookup = frame_system::ChainContext::<cohort_runtime::Runtime>::default();
		sp_io::TestExternalities::default().execute_with(|| {
			frame_system::BlockHash::<cohort_runtime::Runtime>::insert(0, genesis);
			let good = signed(Sr25519Keyring::Alice, 0, genesis, call.clone());
			let checked = good.check(&lookup);
			assert!(checked.is_ok(), "{checked:?}");
			let other_chain = signed(Sr25519Keyring::Alice, 0, Hash::repeat_byte(8), call);
			assert!(other_chain.check(&lookup).is_err());
		});
	}

	/// The proof binds the keys to their owner: valid for Eve, refused for anyone else.
	#[test]
	fn dev_session_keys_prove_possession_for_their_owner_only() {
		use sp_runtime::traits::OpaqueKeys;
		let RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof }) =
			set_dev_session_keys(Sr25519Keyring::Eve)
		else {
			panic!("a set_keys call")
		};
		sp_io::TestExternalities::default().execute_with(|| {
			let eve = Sr25519Keyring::Eve.to_account_id().encode();
			let ferdie = Sr25519Keyring::Ferdie.to_account_id().encode();
			assert!(keys.ownership_proof_is_valid(&eve, &proof));
			assert!(!keys.ownership_proof_is_valid(&ferdie, &proof));
		});
	}
}
