//! Creating a bounty: every spec error by name, a first round that waits for enough eligible
//! workers, where its data is served, and calls refused for origins that are not signed.

use super::*;
use cohort_primitives::Aggregation;
use frame_support::assert_noop;
use sp_runtime::Percent;

#[test]
fn create_bounty_refuses_bad_specs_with_named_errors() {
	run(|| {
		register_workers(10..14);
		let refuse = |spec: SpecInput<Test>, error: Error<Test>| {
			assert_noop!(Training::create_bounty(RuntimeOrigin::signed(OWNER), spec), error);
		};
		let mut long_config = spec();
		long_config.model.config = vec![0; cohort_primitives::MAX_MODEL_CONFIG_LEN as usize + 1];
		refuse(long_config, Error::<Test>::ModelConfigTooLong);
		refuse(BountySpec { rounds: 0, ..spec() }, Error::<Test>::ZeroRounds);
		refuse(BountySpec { rounds: 11, ..spec() }, Error::<Test>::TooManyRounds);
		refuse(BountySpec { shards_per_round: 0, ..spec() }, Error::<Test>::InvalidShardCount);
		refuse(BountySpec { shards_per_round: 5, ..spec() }, Error::<Test>::InvalidShardCount);
		let mut no_data = spec();
		no_data.dataset.shards = 0;
		refuse(no_data, Error::<Test>::EmptyDataset);
		refuse(BountySpec { replication: 0, ..spec() }, Error::<Test>::ZeroReplication);
		// More replicas than one class can ever hold (16 in the mock, 8 by the protocol).
		refuse(BountySpec { replication: 9, ..spec() }, Error::<Test>::ReplicationUnreachable);
		for blocks in [0, 21] {
			let mut deadlines = spec();
			deadlines.deadlines.reveal = blocks;
			refuse(deadlines, Error::<Test>::DeadlineOutOfBounds);
		}
		// A seal still closed at the reveal deadline is slashed: the window has a floor.
		let mut hurried = spec();
		hurried.deadlines.reveal = 1;
		refuse(hurried, Error::<Test>::RevealWindowTooShort);
		// Validators must have time to recompute and vote, reviewers to recompute: both
		// windows have floors, and the work a dispute recomputes is bounded.
		let mut rushed_vote = spec();
		rushed_vote.deadlines.vote = 1;
		refuse(rushed_vote, Error::<Test>::VoteWindowTooShort);
		// Recomputing a shard takes a verifier as long as training it took the workers.
		let mut slow_work = spec();
		slow_work.deadlines.commit = 10;
		slow_work.deadlines.vote = 9;
		refuse(slow_work, Error::<Test>::VoteWindowTooShort);
		let mut rushed_review = spec();
		rushed_review.deadlines.review = 1;
		refuse(rushed_review, Error::<Test>::ReviewWindowTooShort);
		let mut rushed_checkpoint = spec();
		rushed_checkpoint.deadlines.checkpoint = 1;
		refuse(rushed_checkpoint, Error::<Test>::ReviewWindowTooShort);
		let mut long = spec();
		long.hyper.inner_steps = 1_001;
		refuse(long, Error::<Test>::HyperParametersTooLarge);
		let mut wide = spec();
		wide.hyper.batch_size = 1_025;
		refuse(wide, Error::<Test>::HyperParametersTooLarge);
		refuse(BountySpec { reward_per_contribution: 9, ..spec() }, Error::<Test>::RewardTooLow);
		let mut no_steps = spec();
		no_steps.hyper.inner_steps = 0;
		refuse(no_steps, Error::<Test>::InvalidHyperParameters);
		refuse(
			BountySpec {
				aggregation: Aggregation::TrimmedMean { trim: Percent::from_percent(50) },
				..spec()
			},
			Error::<Test>::InvalidAggregation,
		);
		let mut bad_class = spec();
		bad_class.requirements.class =
			Some(cohort_primitives::DeterminismClass(b"Not A Class".to_vec().try_into().unwrap()));
		refuse(bad_class, Error::<Test>::InvalidClass);
		refuse(
			BountySpec { reward_per_contribution: u64::MAX / 2, ..spec() },
			Error::<Test>::EscrowOverflow,
		);
		refuse(
			BountySpec { reward_per_contribution: 100_000, ..spec() },
			Error::<Test>::InsufficientBalance,
		);
		for _ in 0..4 {
			create_with(spec());
		}
		refuse(spec(), Error::<Test>::TooManyBounties);
	});
}

#[test]
fn a_round_waits_for_enough_workers() {
	run(|| {
		register_workers(10..11);
		let id = create_with(spec());
		run_to_block(2);
		assert!(training_events().contains(&Event::RoundWaiting {
			bounty: id,
			round: 0,
			eligible: 1,
			needed: 2
		}));
		assert_eq!(bounty(id).wake_at, Some(5));
		register_workers(11..12);
		run_to_block(5);
		// Two workers meet r = 2; they share both shards.
		assert_eq!(phase(id), Phase::Training);
		for s in 0..2 {
			let mut workers = workers_of(id, 0, s);
			workers.sort();
			assert_eq!(workers, vec![10, 11]);
		}
		assert_eq!(open_assignments(10), 2);
	});
}

#[test]
fn every_call_is_refused_for_unsigned_origins() {
	run(|| {
		let none = RuntimeOrigin::none();
		assert_noop!(
			Training::create_bounty(none.clone(), spec()),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			Training::vote(RuntimeOrigin::root(), 0, H256::zero()),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn the_owner_says_where_the_data_is_served_until_the_bounty_closes() {
	run(|| {
		let id = started(BountySpec { rounds: 2, ..spec() });
		let serve = |who: AccountId, peer: Vec<u8>, addresses: Vec<Vec<u8>>| {
			Training::serve_data(RuntimeOrigin::signed(who), id, peer, addresses)
		};
		let address = vec![4; cohort_primitives::MAX_ADDRESS_LEN as usize];
		assert_noop!(serve(2, vec![1; 38], vec![]), Error::<Test>::NotOwner);
		assert_noop!(
			Training::serve_data(RuntimeOrigin::signed(OWNER), 7, vec![1], vec![]),
			Error::<Test>::UnknownBounty
		);
		assert_noop!(serve(OWNER, vec![], vec![]), Error::<Test>::EmptyPeerId);
		assert_noop!(serve(OWNER, vec![1; 65], vec![]), Error::<Test>::PeerIdTooLong);
		assert_noop!(
			serve(OWNER, vec![1; 38], vec![address.clone(); 9]),
			Error::<Test>::TooManyAddresses
		);
		assert_noop!(serve(OWNER, vec![1; 38], vec![vec![4; 129]]), Error::<Test>::InvalidAddress);
		assert_noop!(serve(OWNER, vec![1; 38], vec![vec![]]), Error::<Test>::InvalidAddress);

		assert_ok!(serve(OWNER, vec![1; 38], vec![address.clone()]));
		// A second call moves the server: the last one counts.
		assert_ok!(serve(OWNER, vec![2; 38], vec![address.clone(), address]));
		let server = DataServers::<Test>::get(id).expect("recorded");
		assert_eq!((server.peer_id.to_vec(), server.addresses.len()), (vec![2; 38], 2));
		assert_eq!(Training::bounty_view(id).and_then(|view| view.data_server), Some(server));
		assert!(training_events().contains(&Event::DataServerSet {
			bounty: id,
			peer_id: vec![2; 38].try_into().unwrap()
		}));

		// Cancelling: the round in progress may still need the data.
		assert_ok!(Training::cancel_bounty(RuntimeOrigin::signed(OWNER), id));
		assert_ok!(serve(OWNER, vec![3; 38], vec![]));
		train_round(id, 0, honest(0));
		aggregate(id, 0, checkpoint_after(0));
		assert_eq!(bounty(id).status, BountyStatus::Cancelled);
		assert!(DataServers::<Test>::get(id).is_none());
		assert_noop!(serve(OWNER, vec![1; 38], vec![]), Error::<Test>::NotActive);
	});
}
