//! GRANDPA equivocation reports, end to end inside the runtime: a proof of two conflicting
//! prevotes and a historical key-ownership proof go through `pallet_grandpa`'s report system
//! and `pallet_offences` to `pallet_validators`, which slashes the offender. Also what a
//! validator's stake weighs in disputes across `pallet_session`'s rotations.

use cohort_runtime::{
	configs::{OffenceSlashFraction, TreasuryAccount},
	AccountId, Balance, Balances, Grandpa, Historical, Runtime, RuntimeGenesisConfig,
	RuntimeOrigin, System,
};
use frame_support::{
	assert_noop, assert_ok, genesis_builder_helper::build_state, traits::KeyOwnerProofSystem,
};
use sp_consensus_grandpa::{AuthorityId as GrandpaId, EquivocationProof, RoundNumber, SetId};
use sp_core::H256;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

type Validators = pallet_validators::Pallet<Runtime>;

/// Overlay `patch` on `base`, object by object, as a chain spec applies a genesis preset.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		}
		(base, patch) => *base = patch,
	}
}

/// The `local` preset's genesis, at block 1.
fn local_chain() -> sp_io::TestExternalities {
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	let preset = cohort_chain_spec::preset(cohort_chain_spec::LOCAL).expect("local preset");
	merge(&mut config, serde_json::from_slice(&preset).expect("a JSON preset"));
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(serde_json::to_vec(&config).expect("serializes"))
			.expect("the local genesis builds");
		System::set_block_number(1);
	});
	ext
}

/// `voter`'s two prevotes in `round` of set `set_id`, for blocks `first` and `second` at
/// height 1: an equivocation when the blocks differ.
fn prevotes(
	set_id: SetId,
	round: RoundNumber,
	voter: Ed25519Keyring,
	first: H256,
	second: H256,
) -> EquivocationProof<H256, u32> {
	let signed = |target_hash: H256| {
		let prevote = finality_grandpa::Prevote { target_hash, target_number: 1u32 };
		let message = finality_grandpa::Message::Prevote(prevote.clone());
		let payload = sp_consensus_grandpa::localized_payload(round, set_id, &message);
		(prevote, voter.sign(&payload).into())
	};
	EquivocationProof::new(
		set_id,
		sp_consensus_grandpa::Equivocation::Prevote(finality_grandpa::Equivocation {
			round_number: round,
			identity: voter.public().into(),
			first: signed(first),
			second: signed(second),
		}),
	)
}

fn ownership_proof(voter: Ed25519Keyring) -> sp_session::MembershipProof {
	Historical::prove((sp_consensus_grandpa::KEY_TYPE, GrandpaId::from(voter.public())))
		.expect("the voter is in the current set")
}

#[test]
fn an_equivocation_slashes_the_offender_into_the_treasury() {
	local_chain().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bond = Validators::active_bond(&alice);
		let treasury = Balances::free_balance(TreasuryAccount::get());
		let issuance = Balances::total_issuance();

		let proof =
			prevotes(0, 1, Ed25519Keyring::Alice, H256::repeat_byte(1), H256::repeat_byte(2));
		assert_ok!(Grandpa::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof.clone()),
			ownership_proof(Ed25519Keyring::Alice),
		));

		let slashed = OffenceSlashFraction::get() * bond;
		assert!(slashed > 0);
		assert_eq!(Validators::active_bond(&alice), bond - slashed);
		assert_eq!(Balances::free_balance(TreasuryAccount::get()), treasury + slashed);
		assert_eq!(Balances::total_issuance(), issuance, "slashed stake is moved, not burnt");
		assert!(!pallet_validators::Candidates::<Runtime>::contains_key(&alice));
		// Bob, who did nothing, keeps everything.
		let bob = Sr25519Keyring::Bob.to_account_id();
		assert_eq!(Validators::active_bond(&bob), cohort_chain_spec::GENESIS_BOND);

		// The same offence reported twice is refused, and slashes once.
		assert_noop!(
			Grandpa::report_equivocation_unsigned(
				RuntimeOrigin::none(),
				Box::new(proof),
				ownership_proof(Ed25519Keyring::Alice),
			),
			pallet_grandpa::Error::<Runtime>::DuplicateOffenceReport
		);
	});
}

#[test]
fn reports_that_prove_nothing_are_refused() {
	local_chain().execute_with(|| {
		// Two votes for the same block are no equivocation.
		let same = prevotes(0, 1, Ed25519Keyring::Bob, H256::repeat_byte(1), H256::repeat_byte(1));
		assert_noop!(
			Grandpa::report_equivocation_unsigned(
				RuntimeOrigin::none(),
				Box::new(same),
				ownership_proof(Ed25519Keyring::Bob),
			),
			pallet_grandpa::Error::<Runtime>::InvalidEquivocationProof
		);
		// A key-ownership proof of someone else's key does not identify the offender.
		let bobs = prevotes(0, 1, Ed25519Keyring::Bob, H256::repeat_byte(1), H256::repeat_byte(2));
		assert_noop!(
			Grandpa::report_equivocation_unsigned(
				RuntimeOrigin::none(),
				Box::new(bobs),
				ownership_proof(Ed25519Keyring::Charlie),
			),
			pallet_grandpa::Error::<Runtime>::InvalidKeyOwnershipProof
		);
		// Signed origins cannot report: reports are unsigned transactions the node builds.
		let proof = prevotes(0, 1, Ed25519Keyring::Bob, H256::repeat_byte(1), H256::repeat_byte(2));
		assert_noop!(
			Grandpa::report_equivocation_unsigned(
				RuntimeOrigin::signed(Sr25519Keyring::Bob.to_account_id()),
				Box::new(proof),
				ownership_proof(Ed25519Keyring::Bob),
			),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_bond_changed_within_a_session_weighs_in_disputes_from_the_session_elected_after() {
	use cohort_primitives::VoterStake;
	type Voters = cohort_runtime::configs::SessionValidatorStake;
	type Session = pallet_session::Pallet<Runtime>;
	let stake_of = |who: &AccountId| {
		Voters::electorate().into_iter().find_map(|(voter, stake)| (voter == *who).then_some(stake))
	};
	let total = || Voters::electorate().into_iter().map(|(_, stake)| stake).sum::<Balance>();
	local_chain().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bond = Validators::active_bond(&alice);
		let before = total();
		assert_eq!(stake_of(&alice), Some(bond));
		let extra = Balances::free_balance(&alice) / 2;
		assert_ok!(Validators::bond_extra(RuntimeOrigin::signed(alice.clone()), extra));
		// Neither Alice's vote nor the 2/3 threshold moves within the session...
		assert_eq!(stake_of(&alice), Some(bond));
		assert_eq!(total(), before);
		// ...nor in the next one, elected (at genesis) before the bond changed...
		let session = Voters::session();
		Session::rotate_session();
		assert_eq!(Voters::session(), session + 1);
		assert_eq!(stake_of(&alice), Some(bond));
		// ...but in the one elected since.
		Session::rotate_session();
		assert_eq!(stake_of(&alice), Some(bond + extra));
		assert_eq!(total(), before + extra);
	});
}
