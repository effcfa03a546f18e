//! Proof-of-stake elections on a live network: a newcomer outbids the smallest validator.

use crate::BLOCKS_TIMEOUT;
use cohort_runtime::{ValidatorsCall, UNIT};
use cohort_tests::{tx, wait, Network, NetworkConfig, NodeConfig};
use pallet_validators::Error as ValidatorsError;
use sp_keyring::Sr25519Keyring;
use sp_runtime::DispatchError;
use std::time::Duration;

type Runtime = cohort_runtime::Runtime;

fn dispatch_error(e: ValidatorsError<Runtime>) -> DispatchError {
	e.into()
}

#[tokio::test]
async fn a_bigger_bond_takes_the_smallest_validators_seat() {
	let _nodes = crate::light_test().await;
	let mut net = Network::start(NetworkConfig::local()).await.expect("network starts");
	// Eve runs a validator node with her dev keys but is not in the genesis set.
	let eve_node = net.add_node(NodeConfig::validator("eve")).await.expect("eve starts");
	net.wait_finalized(2, BLOCKS_TIMEOUT).await.unwrap_or_else(|e| panic!("{e}\n{}", net.logs(20)));
	let rpc = net.node(0).rpc().clone();
	let eve = Sr25519Keyring::Eve;
	let dave = Sr25519Keyring::Dave;

	// Bad input is refused with the pallet's named error.
	let low =
		tx::execute(&rpc, Sr25519Keyring::Ferdie, ValidatorsCall::bond { value: UNIT }.into())
			.await
			.unwrap();
	assert_eq!(low.result, Err(dispatch_error(ValidatorsError::BondTooLow)));
	let too_much =
		tx::execute(&rpc, dave, ValidatorsCall::unbond { value: 1_000_000 * UNIT }.into())
			.await
			.unwrap();
	assert_eq!(too_much.result, Err(dispatch_error(ValidatorsError::UnbondExceedsBond)));
	tx::execute_ok(&rpc, eve, ValidatorsCall::bond { value: 8_000 * UNIT }.into()).await.unwrap();
	let no_keys = tx::execute(&rpc, eve, ValidatorsCall::validate {}.into()).await.unwrap();
	assert_eq!(no_keys.result, Err(dispatch_error(ValidatorsError::NoSessionKeys)));

	// Dave becomes the smallest validator (5_000 of the genesis 10_000 left)...
	tx::execute_ok(&rpc, dave, ValidatorsCall::unbond { value: 5_000 * UNIT }.into())
		.await
		.unwrap();
	// ...and Eve, with 8_000 and her session keys, stands for election.
	tx::execute_ok(&rpc, eve, tx::set_dev_session_keys(eve)).await.unwrap();
	tx::execute_ok(&rpc, eve, ValidatorsCall::validate {}.into()).await.unwrap();
	// Dave's unbonded stake is still held.
	let early = tx::execute(&rpc, dave, ValidatorsCall::withdraw_unbonded {}.into()).await.unwrap();
	assert_eq!(early.result, Err(dispatch_error(ValidatorsError::NothingToWithdraw)));

	// Within two session changes Eve is in and Dave is out.
	let eve_address = eve.to_account_id().to_string();
	let dave_address = dave.to_account_id().to_string();
	let set =
		wait::until("Eve to replace Dave in the active set", Duration::from_secs(120), || {
			let rpc = rpc.clone();
			let (eve_address, dave_address) = (eve_address.clone(), dave_address.clone());
			async move {
				let set = rpc.validators().await?;
				Ok((set.active.contains(&eve_address) && !set.active.contains(&dave_address))
					.then_some(set))
			}
		})
		.await
		.unwrap_or_else(|e| panic!("{e}\n{}", net.logs(20)));
	assert_eq!(set.active.len(), 4);

	// The new set, Eve's node voting, keeps finalizing.
	let finalized = net.min_finalized().await.unwrap();
	net.wait_finalized(finalized + 5, BLOCKS_TIMEOUT)
		.await
		.unwrap_or_else(|e| panic!("finality with Eve: {e}\n{}", net.logs(20)));
	assert!(net.node(eve_node).rpc().finalized_number().await.unwrap() >= finalized + 5);

	// Dave's 5_000 unlock only after the bonding duration (4 sessions of 10 blocks).
	let free_before = rpc.account(&dave.to_account_id()).await.unwrap().data.free;
	let withdrawn =
		wait::until("Dave's unbonded stake to unlock", Duration::from_secs(150), || {
			let rpc = rpc.clone();
			async move {
				let attempt =
					tx::execute(&rpc, dave, ValidatorsCall::withdraw_unbonded {}.into()).await?;
				Ok(match attempt.result {
					Ok(()) => Some(attempt),
					Err(e) if e == dispatch_error(ValidatorsError::NothingToWithdraw) => None,
					Err(e) => panic!("withdraw failed with {e:?}"),
				})
			}
		})
		.await
		.unwrap();
	let free_after = rpc.account(&dave.to_account_id()).await.unwrap().data.free;
	// Everything unbonded came back, less the withdrawing transactions' fees.
	assert!(free_after > free_before + 4_999 * UNIT, "{free_before} -> {free_after}");
	assert!(withdrawn.events.iter().any(|e| matches!(
		e,
		cohort_runtime::RuntimeEvent::Validators(pallet_validators::Event::Withdrawn { amount, .. })
			if *amount == 5_000 * UNIT
	)));
}
