//! A mock runtime: System, Balances, the real workers pallet, and this pallet, with the
//! validator set faked by a table of stakes.

use crate as pallet_training;
use cohort_primitives::{
	Aggregation, Architecture, BountySpec, Capabilities, DatasetSpec, Deadlines, DeterminismClass,
	DeviceKind, HyperParams, ModelSpec, Optimizer, Requirements, H256,
};
use frame_support::BoundedVec;
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64, Hooks},
	weights::Weight,
};
use pallet_training::{DisputeId, Error, Games};
use sp_runtime::{BuildStorage, Perbill};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Workers: pallet_workers,
		Training: pallet_training,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	// Pruning measures its work in database weight.
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Receives slashed bonds.
pub const SLASH_POT: AccountId = 99;
/// Owns the bounties.
pub const OWNER: AccountId = 1;
/// The validators, each with stake 100.
pub const VALIDATORS: [AccountId; 4] = [100, 101, 102, 103];
pub const WORKER_BOND: u64 = 1_000;
/// Receives unclaimed escrow and waiting fees.
pub const TREASURY: AccountId = 98;
pub const REWARD: u64 = 100;

parameter_types! {
	pub const SlashPot: AccountId = SLASH_POT;
	pub static Stakes: BTreeMap<AccountId, u64> = BTreeMap::new();
	pub static MockSession: u32 = 0;
	/// Small enough by default that no test of the protocol's flow runs out of duties.
	pub static BondPerDuty: u64 = 1;
	/// What each validator has bonded now: what a penalty takes from.
	pub static Bonds: BTreeMap<AccountId, u64> = BTreeMap::new();
	pub const VerifierShare: Perbill = Perbill::from_percent(10);
	pub const SlashFraction: Perbill = Perbill::from_percent(10);
	pub const TreasuryAccount: AccountId = TREASURY;
	// The incentive parameters default to nothing, so that each test of the protocol's flow
	// counts only the payments it is about; the tests of each incentive set its own.
	pub static MissedSlashFraction: Perbill = Perbill::zero();
	pub static AggregatorShare: Perbill = Perbill::zero();
	pub static WrongVoteSlash: Perbill = Perbill::zero();
	// The whole electorate votes on audits, unless a test of committees sets it.
	pub static AuditCommittee: u32 = 0;
	pub static RecheckRate: Perbill = Perbill::zero();
	pub static WrongConfirmationSlash: Perbill = Perbill::zero();
	/// The author of the block being built: nobody, unless a test of rechecks sets one.
	pub static MockAuthor: Option<AccountId> = None;
	pub static BountyDeposit: u64 = 0;
	pub static WaitingFee: u64 = 0;
	// What the mock's weights charge a draw, each dispute the hook concludes and each seal
	// opened: nothing, unless a test of the block's room sets them (see `MockWeights`).
	pub static DrawWeight: Weight = Weight::zero();
	pub static ConclusionWeight: Weight = Weight::zero();
	pub static OpeningWeight: Weight = Weight::zero();
}

/// The pallet's weights in the mock: nothing, as the tests check behaviour, not fees, except
/// [`DrawWeight`] for `start_round`, [`ConclusionWeight`] per dispute `settle_round`
/// concludes and [`OpeningWeight`] for `reveal_vote`, which the tests of the block's room set.
pub struct MockWeights;

impl pallet_training::WeightInfo for MockWeights {
	fn create_bounty(c: u32) -> Weight {
		<() as pallet_training::WeightInfo>::create_bounty(c)
	}
	fn cancel_bounty() -> Weight {
		<() as pallet_training::WeightInfo>::cancel_bounty()
	}
	fn top_up() -> Weight {
		<() as pallet_training::WeightInfo>::top_up()
	}
	fn commit() -> Weight {
		<() as pallet_training::WeightInfo>::commit()
	}
	fn reveal() -> Weight {
		<() as pallet_training::WeightInfo>::reveal()
	}
	fn decline() -> Weight {
		<() as pallet_training::WeightInfo>::decline()
	}
	fn serve_data() -> Weight {
		<() as pallet_training::WeightInfo>::serve_data()
	}
	fn bisect() -> Weight {
		<() as pallet_training::WeightInfo>::bisect()
	}
	fn vote() -> Weight {
		<() as pallet_training::WeightInfo>::vote()
	}
	fn reveal_vote() -> Weight {
		OpeningWeight::get()
	}
	fn commit_checkpoint() -> Weight {
		<() as pallet_training::WeightInfo>::commit_checkpoint()
	}
	fn dispute_checkpoint(s: u32) -> Weight {
		<() as pallet_training::WeightInfo>::dispute_checkpoint(s)
	}
	fn on_initialize_idle() -> Weight {
		<() as pallet_training::WeightInfo>::on_initialize_idle()
	}
	fn start_round(_s: u32) -> Weight {
		DrawWeight::get()
	}
	fn check_round(s: u32) -> Weight {
		<() as pallet_training::WeightInfo>::check_round(s)
	}
	fn check_round_disputed(s: u32) -> Weight {
		<() as pallet_training::WeightInfo>::check_round_disputed(s)
	}
	fn settle_round(s: u32) -> Weight {
		ConclusionWeight::get().saturating_mul(s.into())
	}
	fn settle_round_verdicts(s: u32) -> Weight {
		<() as pallet_training::WeightInfo>::settle_round_verdicts(s)
	}
}

impl pallet_workers::Config for Test {
	type Balance = u64;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnSlash = ResolveTo<SlashPot, Balances>;
	type MinWorkerBond = ConstU64<WORKER_BOND>;
	type BondPerDuty = BondPerDuty;
	type WorkerBondingDuration = ConstU64<100>;
	type HeartbeatInterval = ConstU64<1_000>;
	type MaxMissedDeadlines = ConstU32<3>;
	type MaxWorkersPerClass = ConstU32<16>;
	type MaxClasses = ConstU32<2>;
	type WeightInfo = ();
}

/// The validator set: stakes from the `Stakes` table, in session `MockSession` (see
/// [`new_session`]).
pub struct MockVoters;
impl cohort_primitives::VoterStake<AccountId, u64> for MockVoters {
	fn session() -> u32 {
		MockSession::get()
	}
	fn electorate() -> Vec<(AccountId, u64)> {
		Stakes::get().into_iter().collect()
	}
	fn bonded(who: &AccountId) -> u64 {
		Bonds::get().get(who).copied().unwrap_or_default()
	}
	fn penalize(who: &AccountId, fraction: Perbill) -> u64 {
		Bonds::mutate(|stakes| {
			let Some(stake) = stakes.get_mut(who) else { return 0 };
			let taken = fraction * *stake;
			*stake -= taken;
			taken
		})
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn add_voter_for_benchmark(who: &AccountId, stake: u64) {
		Stakes::mutate(|stakes| stakes.insert(*who, stake));
		Bonds::mutate(|bonds| bonds.insert(*who, stake));
	}
}

impl pallet_training::Config for Test {
	type Balance = u64;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Workers = Workers;
	type Voters = MockVoters;
	type Randomness = crate::ParentHashRandomness<Test>;
	type MaxActiveBounties = ConstU32<4>;
	type MaxRounds = ConstU32<10>;
	type MaxShardsPerRound = ConstU32<4>;
	type MinPhaseBlocks = ConstU32<1>;
	type MaxPhaseBlocks = ConstU32<20>;
	type MinRevealBlocks = ConstU32<2>;
	type MinVoteBlocks = ConstU32<2>;
	type VoteRevealBlocks = ConstU32<2>;
	type MaxRecomputeQueue = ConstU32<2>;
	type MinReviewBlocks = ConstU32<2>;
	type MaxInnerSteps = ConstU32<1_000>;
	type MaxBatchSize = ConstU32<1_024>;
	type WaitingRetryBlocks = ConstU32<3>;
	type BountyDeposit = BountyDeposit;
	type WaitingFee = WaitingFee;
	type Treasury = TreasuryAccount;
	type MaxBountiesPerBlock = ConstU32<3>;
	type MinReward = ConstU64<10>;
	type VerifierShare = VerifierShare;
	type SlashFraction = SlashFraction;
	type MissedSlashFraction = MissedSlashFraction;
	type AggregatorShare = AggregatorShare;
	type WrongVoteSlash = WrongVoteSlash;
	type AuditCommittee = AuditCommittee;
	type RecheckRate = RecheckRate;
	type WrongConfirmationSlash = WrongConfirmationSlash;
	type BlockAuthor = MockAuthor;
	type MaxAggregatorAttempts = ConstU32<2>;
	type MoveBlocks = ConstU32<3>;
	type RetentionBlocks = ConstU64<50>;
	type WeightInfo = MockWeights;
}

/// The class every mock worker belongs to.
pub fn cpu() -> DeterminismClass {
	DeterminismClass::new(b"cpu-x86_64-fma").unwrap()
}

/// A bounty: 2 rounds of 2 shards, r = 2, reward 100, every phase 3 blocks, no audits.
pub fn spec() -> BountySpec<u64, Vec<u8>> {
	BountySpec {
		model: ModelSpec {
			architecture: Architecture::Mlp,
			config: vec![1, 2, 3],
			initial_checkpoint: H256::repeat_byte(0xc0),
		},
		dataset: DatasetSpec { hash: H256::repeat_byte(0xda), shards: 4 },
		hyper: HyperParams {
			inner_steps: 10,
			batch_size: 32,
			inner_learning_rate: Perbill::from_parts(1_000_000),
			outer_learning_rate: Perbill::one(),
			optimizer: Optimizer::AdamW,
		},
		rounds: 2,
		shards_per_round: 2,
		replication: 2,
		aggregation: Aggregation::Mean,
		audit_rate: Perbill::zero(),
		deadlines: Deadlines { commit: 3, reveal: 3, vote: 3, checkpoint: 3, review: 3 },
		reward_per_contribution: REWARD,
		requirements: Requirements::default(),
	}
}

/// Register `workers` with the minimum bond in the `cpu` class, at 100 GFLOP/s.
pub fn register_workers(workers: impl IntoIterator<Item = AccountId>) {
	for who in workers {
		register_worker_at(who, 100);
	}
}

/// Register `who` with the minimum bond in the `cpu` class, declaring `gflops`.
pub fn register_worker_at(who: AccountId, gflops: u32) {
	pallet_workers::Pallet::<Test>::register(
		RuntimeOrigin::signed(who),
		Capabilities { device: DeviceKind::Cpu, memory_mib: 8192, gflops, class: cpu() },
		vec![who as u8; 38],
		vec![],
		WORKER_BOND,
	)
	.expect("funded worker registers");
}

/// Advance to block `n`, running this pallet's hook at each block with a fresh parent hash.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_parent_hash(H256::from_low_u64_be(next));
		System::set_block_number(next);
		Training::on_initialize(next);
	}
}

/// Start the next session with the validator set `change` makes of this one's; a newcomer
/// bonds its stake.
pub fn new_session(change: impl FnOnce(&mut BTreeMap<AccountId, u64>)) {
	Stakes::mutate(change);
	Bonds::mutate(|bonds| {
		for (who, stake) in Stakes::get() {
			bonds.entry(who).or_insert(stake);
		}
	});
	MockSession::mutate(|session| *session += 1);
}

/// The owner holds 100_000; accounts 10..=29 (workers) 10_000; validators 1_000; the slash pot
/// 1. Validators 100..=103 stake 100 each.
pub fn new_test_ext() -> sp_io::TestExternalities {
	MissedSlashFraction::set(Perbill::zero());
	AggregatorShare::set(Perbill::zero());
	WrongVoteSlash::set(Perbill::zero());
	AuditCommittee::set(0);
	RecheckRate::set(Perbill::zero());
	WrongConfirmationSlash::set(Perbill::zero());
	MockAuthor::set(None);
	BountyDeposit::set(0);
	WaitingFee::set(0);
	DrawWeight::set(Weight::zero());
	ConclusionWeight::set(Weight::zero());
	OpeningWeight::set(Weight::zero());
	MockSession::set(0);
	BondPerDuty::set(1);
	Stakes::mutate(|stakes| {
		stakes.clear();
		stakes.extend(VALIDATORS.iter().map(|v| (*v, 100)));
	});
	Bonds::set(Stakes::get());
	let balances = [(OWNER, 100_000), (SLASH_POT, 1)]
		.into_iter()
		.chain((10..30).map(|w| (w, 10_000)))
		.chain(VALIDATORS.iter().map(|v| (*v, 1_000)))
		.collect();
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		balances: pallet_balances::GenesisConfig { balances, ..Default::default() },
	}
	.build_storage()
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Run `test` on a fresh mock chain, checking both pallets' invariants afterwards.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Training::do_try_state().expect("training invariants hold");
		Workers::do_try_state().expect("worker invariants hold");
	});
}

/// The leaves of the trajectory a test's worker reveals with `root` (the mock spec's 10 inner
/// steps: 11 leaves), a fixed function of it, so that replicas with one result reveal one
/// trajectory, as honest replicas do. Every trajectory starts from the same leaves; a root
/// whose first byte is `b > 0` leaves them from leaf `b % 11` on (`0xee`, the tests' wrong
/// root, from leaf 7), the others never (they differ only in their delta).
pub fn leaves_of(root: &H256) -> Vec<H256> {
	const LEAVES: u8 = 11;
	let parts_from = match root.0[0] {
		0 => LEAVES,
		b => b % LEAVES,
	};
	(0..LEAVES)
		.map(|i| {
			let own = if i >= parts_from { root.0 } else { [0; 32] };
			H256(sp_io::hashing::blake2_256(&[&[i][..], &own[..]].concat()))
		})
		.collect()
}

/// The trajectory root a test's worker reveals with `root`: the root of [`leaves_of`].
pub fn trajectory_of(root: &H256) -> H256 {
	cohort_formats::trajectory::root(&leaves_of(root))
}

/// `side`'s honest move in the current turn of `dispute`'s game, made by its first backer.
pub fn honest_move(dispute: DisputeId, side: usize) -> sp_runtime::DispatchResult {
	let game = Games::<Test>::get(dispute).ok_or(Error::<Test>::NoBisection)?;
	move_as(game.sides[side].backers[0], dispute, side)
}

/// `side`'s honest move in the current turn of `dispute`'s game, made by `who`: the leaf at the
/// midpoint of [`leaves_of`] the side's root, with the proof.
pub fn move_as(who: AccountId, dispute: DisputeId, side: usize) -> sp_runtime::DispatchResult {
	let game = Games::<Test>::get(dispute).ok_or(Error::<Test>::NoBisection)?;
	let leaves = leaves_of(&game.sides[side].root);
	let index = game.midpoint() - 1;
	let proof = cohort_formats::trajectory::proof(&leaves, index).siblings;
	Training::bisect(
		RuntimeOrigin::signed(who),
		dispute,
		leaves[index as usize],
		BoundedVec::truncate_from(proof),
	)
}

/// Both sides of `dispute`'s game (if it has one) move honestly until it is over; the number
/// of turns played.
pub fn play(dispute: DisputeId) -> u32 {
	let mut turns = 0;
	while Games::<Test>::get(dispute).is_some_and(|game| !game.is_over()) {
		honest_move(dispute, 0).expect("the first side's move is accepted");
		honest_move(dispute, 1).expect("the second side's move is accepted");
		turns += 1;
	}
	turns
}
