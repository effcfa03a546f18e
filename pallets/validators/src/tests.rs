use crate::{mock::*, Candidates, CurrentSession, ElectedStakes, Error, Ledger, UnlockChunk};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use pallet_session::SessionManager;
use sp_runtime::{DispatchError, Perbill};
use sp_staking::offence::{OffenceDetails, OnOffenceHandler};

type Event = crate::Event<Test>;

fn origin(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn free(who: AccountId) -> u64 {
	Balances::free_balance(who)
}

/// Start session `index`, as `pallet_session` does on rotation.
fn start_session(index: u32) {
	<Validators as SessionManager<_>>::start_session(index);
}

// ---- genesis ----

#[test]
fn genesis_bonds_and_nominates_candidates() {
	run(|| {
		assert_eq!(Validators::active_bond(&1), 300);
		assert_eq!(Validators::held(&1), 300);
		assert_eq!(free(1), 700);
		assert_eq!(Candidates::<Test>::count(), 3);
	});
}

// ---- bond ----

#[test]
fn bond_holds_the_stake() {
	run(|| {
		assert_ok!(Validators::bond(origin(4), 250));
		assert_eq!(Validators::held(&4), 250);
		assert_eq!(free(4), 750);
		assert_eq!(last_event(), Event::Bonded { who: 4, amount: 250, total: 250 }.into());
		// Held funds cannot be transferred away.
		assert!(Balances::transfer_allow_death(origin(4), 5, 800).is_err());
	});
}

#[test]
fn bond_refuses_bad_input() {
	run(|| {
		assert_noop!(Validators::bond(origin(1), 200), Error::<Test>::AlreadyBonded);
		assert_noop!(Validators::bond(origin(4), MIN_BOND - 1), Error::<Test>::BondTooLow);
		// The existential deposit must stay free: 1_000 cannot be bonded whole.
		assert_noop!(Validators::bond(origin(4), 1_000), Error::<Test>::InsufficientBalance);
		assert_noop!(Validators::bond(RuntimeOrigin::none(), 200), DispatchError::BadOrigin);
	});
}

// ---- bond_extra ----

#[test]
fn bond_extra_adds_to_the_active_bond() {
	run(|| {
		assert_ok!(Validators::bond_extra(origin(3), 50));
		assert_eq!(Validators::active_bond(&3), 150);
		assert_eq!(last_event(), Event::Bonded { who: 3, amount: 50, total: 150 }.into());
	});
}

#[test]
fn bond_extra_refuses_bad_input() {
	run(|| {
		assert_noop!(Validators::bond_extra(origin(4), 50), Error::<Test>::NotBonded);
		assert_noop!(Validators::bond_extra(origin(1), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Validators::bond_extra(origin(1), 700), Error::<Test>::InsufficientBalance);
	});
}

// ---- unbond ----

#[test]
fn unbond_starts_a_chunk_dated_bonding_duration_ahead() {
	run(|| {
		CurrentSession::<Test>::put(5);
		assert_ok!(Validators::unbond(origin(1), 100));
		let ledger = Ledger::<Test>::get(1).unwrap();
		assert_eq!(ledger.active, 200);
		assert_eq!(
			ledger.unlocking.to_vec(),
			vec![UnlockChunk { value: 100, unlock_at: 5 + BONDING_DURATION }]
		);
		// Still held, still slashable.
		assert_eq!(Validators::held(&1), 300);
		assert_eq!(
			last_event(),
			Event::Unbonded { who: 1, amount: 100, unlock_at: 5 + BONDING_DURATION }.into()
		);
	});
}

#[test]
fn unbond_refuses_bad_input() {
	run(|| {
		assert_noop!(Validators::unbond(origin(4), 10), Error::<Test>::NotBonded);
		assert_noop!(Validators::unbond(origin(1), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Validators::unbond(origin(1), 301), Error::<Test>::UnbondExceedsBond);
		// 300 - 250 = 50 would stay bonded, below the minimum of 100.
		assert_noop!(Validators::unbond(origin(1), 250), Error::<Test>::BondTooLow);
	});
}

#[test]
fn unbond_refuses_more_chunks_than_the_bound() {
	run(|| {
		assert_ok!(Validators::unbond(origin(1), 10));
		CurrentSession::<Test>::put(1);
		assert_ok!(Validators::unbond(origin(1), 10));
		CurrentSession::<Test>::put(2);
		assert_noop!(Validators::unbond(origin(1), 10), Error::<Test>::TooManyUnlockingChunks);
	});
}

#[test]
fn unbonding_everything_ends_candidacy() {
	run(|| {
		assert_ok!(Validators::unbond(origin(3), 100));
		assert!(!Candidates::<Test>::contains_key(3));
		assert_eq!(last_event(), Event::Chilled { who: 3 }.into());
	});
}

// ---- withdraw_unbonded ----

#[test]
fn withdraw_waits_for_the_bonding_duration() {
	run(|| {
		assert_ok!(Validators::unbond(origin(3), 100));
		for session in 0..BONDING_DURATION {
			start_session(session);
			assert_noop!(
				Validators::withdraw_unbonded(origin(3)),
				Error::<Test>::NothingToWithdraw
			);
		}
		start_session(BONDING_DURATION);
		assert_ok!(Validators::withdraw_unbonded(origin(3)));
		assert_eq!(last_event(), Event::Withdrawn { who: 3, amount: 100 }.into());
		assert_eq!(free(3), 1_000);
		assert_eq!(Validators::held(&3), 0);
		// Nothing bonded and nothing unlocking: the ledger is gone.
		assert!(Ledger::<Test>::get(3).is_none());
	});
}

#[test]
fn withdraw_refuses_unbonded_accounts() {
	run(|| {
		assert_noop!(Validators::withdraw_unbonded(origin(4)), Error::<Test>::NotBonded);
		assert_noop!(Validators::withdraw_unbonded(origin(1)), Error::<Test>::NothingToWithdraw);
	});
}

// ---- validate / chill ----

#[test]
fn validate_makes_a_candidate() {
	run(|| {
		assert_ok!(Validators::bond(origin(4), 150));
		set_keys(4);
		assert_ok!(Validators::validate(origin(4)));
		assert!(Candidates::<Test>::contains_key(4));
		assert_eq!(last_event(), Event::Candidate { who: 4 }.into());
	});
}

#[test]
fn validate_refuses_bad_input() {
	run(|| {
		assert_noop!(Validators::validate(origin(4)), Error::<Test>::NotBonded);
		assert_ok!(Validators::bond(origin(4), 150));
		assert_noop!(Validators::validate(origin(4)), Error::<Test>::NoSessionKeys);
		assert_noop!(Validators::validate(origin(1)), Error::<Test>::AlreadyCandidate);
		// An account whose whole bond is unlocking is below the minimum.
		assert_ok!(Validators::unbond(origin(3), 100));
		assert_noop!(Validators::validate(origin(3)), Error::<Test>::BondTooLow);
	});
}

#[test]
fn validate_refuses_beyond_max_candidates() {
	run(|| {
		for who in 4..=6 {
			assert_ok!(Validators::bond(origin(who), 150));
			set_keys(who);
			assert_ok!(Validators::validate(origin(who)));
		}
		assert_ok!(Validators::bond(origin(7), 150));
		set_keys(7);
		assert_noop!(Validators::validate(origin(7)), Error::<Test>::TooManyCandidates);
	});
}

#[test]
fn chill_ends_candidacy_and_keeps_the_bond() {
	run(|| {
		assert_ok!(Validators::chill(origin(2)));
		assert!(!Candidates::<Test>::contains_key(2));
		assert_eq!(Validators::active_bond(&2), 200);
		assert_noop!(Validators::chill(origin(2)), Error::<Test>::NotCandidate);
	});
}

// ---- set_validator_count ----

#[test]
fn set_validator_count_is_root_only_and_bounded() {
	run(|| {
		assert_noop!(Validators::set_validator_count(origin(1), 2, 1), DispatchError::BadOrigin);
		for (desired, minimum) in [(5, 1), (2, 3), (2, 0)] {
			assert_noop!(
				Validators::set_validator_count(RuntimeOrigin::root(), desired, minimum),
				Error::<Test>::InvalidValidatorCount
			);
		}
		assert_ok!(Validators::set_validator_count(RuntimeOrigin::root(), 4, 1));
		assert_eq!(last_event(), Event::ValidatorCountSet { desired: 4, minimum: 1 }.into());
	});
}

// ---- election ----

#[test]
fn election_takes_the_top_bonds() {
	run(|| {
		assert_ok!(Validators::bond(origin(4), 250));
		set_keys(4);
		assert_ok!(Validators::validate(origin(4)));
		// 3 wanted: 1 (300), 4 (250), 2 (200); 3 (100) drops out.
		assert_eq!(Validators::new_session(1), Some(vec![1, 4, 2]));
		assert_eq!(
			last_event(),
			Event::NewValidatorSet { session: 1, validators: vec![1, 4, 2] }.into()
		);
	});
}

#[test]
fn election_breaks_ties_by_account() {
	run(|| {
		assert_ok!(Validators::bond_extra(origin(3), 100));
		assert_ok!(Validators::set_validator_count(RuntimeOrigin::root(), 2, 1));
		// 2 and 3 both have 200: the lower id wins.
		assert_eq!(Validators::new_session(1), Some(vec![1, 2]));
	});
}

#[test]
fn election_skips_candidates_without_keys() {
	run(|| {
		WithKeys::mutate(|keys| keys.remove(&1));
		assert_eq!(Validators::new_session(1), Some(vec![2, 3]));
	});
}

#[test]
fn election_keeps_the_set_when_too_few_qualify() {
	run(|| {
		assert_ok!(Validators::chill(origin(1)));
		assert_ok!(Validators::chill(origin(2)));
		assert_eq!(Validators::new_session(1), None);
		assert_eq!(last_event(), Event::ElectionFailed { session: 1, qualified: 1 }.into());
	});
}

#[test]
fn start_session_records_the_session() {
	run(|| {
		start_session(7);
		assert_eq!(CurrentSession::<Test>::get(), 7);
	});
}

#[test]
fn a_validators_stake_counts_as_elected_for_its_whole_session() {
	run(|| {
		// The genesis set counts its genesis bonds, as an election records them.
		assert_eq!(Validators::session_stake(&1), 300);
		assert_eq!(Validators::new_session(1), Some(vec![1, 2, 3]));
		// Bonds changed after the election count from the next one on.
		assert_ok!(Validators::bond_extra(origin(2), 100));
		assert_ok!(Validators::unbond(origin(1), 100));
		assert_eq!(Validators::session_stake(&1), 300);
		assert_eq!(Validators::session_stake(&2), 200);
		// What a penalty can take is the whole bond, unbonding or not.
		assert_eq!(Validators::bonded(&1), 300);
		start_session(1);
		assert_eq!(Validators::session_stake(&1), 300);
		assert_eq!(Validators::session_stake(&2), 200);
		// The runtime elects through `pallet_session::historical`.
		let elected =
			<Validators as pallet_session::historical::SessionManager<_, ()>>::new_session(2);
		assert_eq!(elected, Some(vec![(2, ()), (1, ()), (3, ())]));
		assert_eq!(Validators::session_stake(&2), 200);
		start_session(2);
		assert_eq!(Validators::session_stake(&1), 200);
		assert_eq!(Validators::session_stake(&2), 300);
		assert_eq!(ElectedStakes::<Test>::iter().count(), 0);
		// A failed election keeps the set, and its stakes.
		assert_ok!(Validators::chill(origin(1)));
		assert_ok!(Validators::chill(origin(2)));
		assert_ok!(Validators::bond_extra(origin(3), 50));
		assert_eq!(Validators::new_session(3), None);
		start_session(3);
		assert_eq!(Validators::session_stake(&3), 100);
		assert_eq!(Validators::session_stake(&2), 300);
	});
}

// ---- offences ----

fn report_offence(who: AccountId) {
	let details = OffenceDetails { offender: (who, ()), reporters: vec![] };
	Validators::on_offence(&[details], &[Perbill::from_percent(100)], 0);
}

#[test]
fn offence_slashes_the_configured_fraction_into_the_pot() {
	run(|| {
		let issuance = <Balances as Inspect<_>>::total_issuance();
		report_offence(1);
		// 10% of 300, whatever fraction the offence proposed.
		assert_eq!(Validators::active_bond(&1), 270);
		assert_eq!(Validators::held(&1), 270);
		assert_eq!(free(SLASH_POT), 1 + 30);
		assert_eq!(
			<Balances as Inspect<_>>::total_issuance(),
			issuance,
			"slashed funds are moved, not burnt"
		);
		assert!(System::events()
			.iter()
			.any(|r| r.event == Event::Slashed { who: 1, amount: 30 }.into()));
		// The offender is out of the next set.
		assert!(!Candidates::<Test>::contains_key(1));
		assert_eq!(Validators::new_session(1), Some(vec![2, 3]));
	});
}

#[test]
fn offence_reaches_unlocking_stake() {
	run(|| {
		assert_ok!(Validators::unbond(origin(1), 200));
		report_offence(1);
		// 10% of everything held (300), taken from the active 100 first.
		assert_eq!(Validators::held(&1), 270);
		assert_eq!(Validators::active_bond(&1), 70);
	});
}

#[test]
fn offence_by_an_unbonded_account_changes_nothing() {
	run(|| {
		let issuance = <Balances as Inspect<_>>::total_issuance();
		report_offence(5);
		assert_eq!(<Balances as Inspect<_>>::total_issuance(), issuance);
		assert_eq!(free(SLASH_POT), 1);
	});
}
