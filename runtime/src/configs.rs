//! The configuration of every pallet in the runtime.

use crate::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, Historical, Nonce, Offences,
	PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
	RuntimeOrigin, RuntimeTask, Session, SessionKeys, System, UncheckedExtrinsic, Validators,
	Workers, MILLI_UNIT, UNIT, VERSION,
};
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{
		tokens::imbalance::ResolveTo, ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, Get,
		KeyOwnerProofSystem, VariantCountOf,
	},
	weights::{
		constants::{RocksDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::crypto::KeyTypeId;
use sp_runtime::{
	traits::{ConvertInto, One, OpaqueKeys},
	Perbill,
};
use sp_version::RuntimeVersion;

/// Share of a block's weight and length open to ordinary transactions; the rest is kept for
/// operational ones (such as equivocation reports).
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Half a second of compute per block: the `local` and test networks run 1 s and 2 s
	/// slots, and a block must be authored and imported well inside one.
	pub RuntimeBlockWeights: frame_system::limits::BlockWeights =
		frame_system::limits::BlockWeights::with_sensible_defaults(
			Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND / 2, u64::MAX),
			NORMAL_DISPATCH_RATIO,
		);
	/// 5 MiB blocks, three quarters of them for ordinary transactions.
	pub RuntimeBlockLength: frame_system::limits::BlockLength =
		frame_system::limits::BlockLength::builder()
			.max_length(5 * 1024 * 1024)
			.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
			.build();
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type DbWeight = RocksDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_timing::Config for Runtime {}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = pallet_timing::MinimumPeriod<Runtime>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	/// Validators disabled for an offence in this session author no blocks.
	type DisabledValidators = Session;
	type MaxAuthorities = MaxAuthorities;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_timing::SlotDuration<Runtime>;
}

parameter_types! {
	/// Bound on the Aura and GRANDPA authority sets; the elected set is never larger.
	pub const MaxAuthorities: u32 = 32;
	/// How long, in blocks, an equivocation report may arrive after the offence.
	pub const ReportLongevity: u64 = 4 * 600;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	/// Sessions of set-id history kept for checking equivocation proofs: the bonding
	/// duration, past which an offender's stake may be gone.
	type MaxSetIdSessionEntries = ConstU64<{ BONDING_DURATION as u64 }>;
	type KeyOwnerProof = <Historical as KeyOwnerProofSystem<(KeyTypeId, GrandpaId)>>::Proof;
	type EquivocationReportSystem =
		pallet_grandpa::EquivocationReportSystem<Self, Offences, Historical, ReportLongevity>;
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
	type EventHandler = ();
}

parameter_types! {
	/// Where fees and slashed stake go (see `cohort_chain_spec::TREASURY`); nothing is burnt.
	pub TreasuryAccount: AccountId = cohort_chain_spec::treasury_account();
}

/// The smallest balance an account may hold.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ResolveTo<TreasuryAccount, Balances>>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = Sessions;
	type NextSessionRotation = Sessions;
	type SessionManager = pallet_session::historical::NoteHistoricalRoot<Self, Validators>;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	/// Offenders lose their candidacy (and so their seat from the next session on) but are not
	/// disabled within the session they offended in.
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Setting keys costs only the transaction fee; the validator bond is the deposit.
	type KeyDeposit = ConstU128<0>;
}

/// Sessions of `pallet_timing::SessionLength` blocks, starting at block 0.
pub type Sessions =
	pallet_session::PeriodicSessions<pallet_timing::SessionLength<Runtime>, ConstU32<0>>;

impl pallet_session::historical::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type FullIdentification = ();
	type FullIdentificationOf = pallet_validators::BondedIdentification<Runtime>;
}

impl pallet_offences::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type IdentificationTuple = pallet_session::historical::IdentificationTuple<Self>;
	type OnOffenceHandler = Validators;
}

/// Sessions unbonded stake stays held, and slashable, before it can be withdrawn.
pub const BONDING_DURATION: u32 = 4;

parameter_types! {
	pub const OffenceSlashFraction: Perbill = Perbill::from_percent(10);
}

/// Answers `pallet_validators`' question "has this account set session keys?".
pub struct SessionKeysOf;
impl pallet_validators::SessionKeysRegistered<AccountId> for SessionKeysOf {
	fn has_keys(who: &AccountId) -> bool {
		pallet_session::NextKeys::<Runtime>::contains_key(who)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_keys_for_benchmark(who: &AccountId) {
		let keys = SessionKeys::generate(&codec::Encode::encode(who), None).keys;
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}

impl pallet_validators::Config for Runtime {
	type Balance = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type SessionKeys = SessionKeysOf;
	type OnSlash = ResolveTo<TreasuryAccount, Balances>;
	type MinValidatorBond = ConstU128<{ 1_000 * UNIT }>;
	type MaxValidators = MaxAuthorities;
	type MaxCandidates = ConstU32<256>;
	type MaxUnlockingChunks = ConstU32<16>;
	type BondingDuration = ConstU32<BONDING_DURATION>;
	type OffenceSlashFraction = OffenceSlashFraction;
	type WeightInfo = crate::weights::pallet_validators::WeightInfo<Runtime>;
}

/// GRANDPA equivocation reports are unsigned transactions the runtime builds itself.
impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateBare<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}

/// Blocks a leaving worker's bond stays slashable. Every duty a slash can answer (a slot,
/// aggregating or disputing a checkpoint) keeps a worker from unbonding until it is settled;
/// the delay is a margin on top, four of the longest phases.
pub const WORKER_BONDING_DURATION: BlockNumber = 4 * MAX_PHASE_BLOCKS;
/// The longest phase a bounty may ask for: an hour of 6 s blocks.
pub const MAX_PHASE_BLOCKS: u32 = 600;

impl pallet_workers::Config for Runtime {
	type Balance = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnSlash = ResolveTo<TreasuryAccount, Balances>;
	// A cheat is caught when its shard is audited and the audit's committee (one validator,
	// `AuditCommittee`) is not the cheater's accomplice: with the CLI's defaults (`a = 10 %`,
	// a reward of 1 COH) and `s = 10 %`, cheating loses as long as the colluding stake is
	// under 37.5 % at this bond (9 % at 100 COH); see `docs/threat-model.md`.
	type MinWorkerBond = ConstU128<{ 150 * UNIT }>;
	// 50 duties at the minimum bond: with audits at `a = 10 %`, 5 audited cheats expected,
	// and a slash of `s = 10 %` compounding over them takes 41 % of the bond where one slash
	// a slot would take 50 %: the threat model's per-slot arithmetic holds within a fifth.
	type BondPerDuty = ConstU128<{ 3 * UNIT }>;
	type WorkerBondingDuration = ConstU32<WORKER_BONDING_DURATION>;
	type HeartbeatInterval = ConstU32<MAX_PHASE_BLOCKS>;
	type MaxMissedDeadlines = ConstU32<3>;
	type MaxWorkersPerClass = ConstU32<128>;
	type MaxClasses = ConstU32<8>;
	type WeightInfo = crate::weights::pallet_workers::WeightInfo<Runtime>;
}

/// The dispute voters are the validators of the session a dispute opens in, weighted by
/// their active bond when they were elected: a bond changed within the session (`bond_extra`,
/// `unbond`) moves no verdict's 2/3 threshold, or a voter's weight, and a later session's
/// set moves none of the disputes opened before it.
pub struct SessionValidatorStake;
impl cohort_primitives::VoterStake<AccountId, Balance> for SessionValidatorStake {
	fn session() -> u32 {
		Session::current_index()
	}

	fn electorate() -> alloc::vec::Vec<(AccountId, Balance)> {
		Validators::session_stakes(Session::validators())
	}

	fn bonded(who: &AccountId) -> Balance {
		Validators::bonded(who)
	}

	fn penalize(who: &AccountId, fraction: Perbill) -> Balance {
		Validators::penalize(who, fraction)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn add_voter_for_benchmark(who: &AccountId, stake: Balance) {
		use frame_support::traits::fungible::Mutate;
		Balances::set_balance(who, stake.saturating_mul(2));
		Validators::bond(RuntimeOrigin::signed(who.clone()), stake).expect("funded");
		pallet_session::Validators::<Runtime>::mutate(|set| set.push(who.clone()));
	}
}

parameter_types! {
	pub const VerifierShare: Perbill = Perbill::from_percent(10);
	pub const WorkerSlashFraction: Perbill = Perbill::from_percent(10);
	pub const MissedSlotSlashFraction: Perbill = Perbill::from_percent(1);
	pub const AggregatorShare: Perbill = Perbill::from_percent(10);
	pub const WrongVoteSlash: Perbill = Perbill::from_percent(1);
	pub const RecheckRate: Perbill = Perbill::from_parts(25_000_000);
	pub const WrongConfirmationSlash: Perbill = Perbill::from_percent(10);
}

// Every validator of the largest set must be able to vote on a dispute.
const _: () = assert!(MaxAuthorities::get() <= pallet_training::MAX_VOTERS);

/// The author of the block being built, as Aura's slot and the session's keys name it.
pub struct BlockAuthor;

impl Get<Option<AccountId>> for BlockAuthor {
	fn get() -> Option<AccountId> {
		pallet_authorship::Pallet::<Runtime>::author()
	}
}

impl pallet_training::Config for Runtime {
	type Balance = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Workers = Workers;
	type Voters = SessionValidatorStake;
	type Randomness = pallet_training::ParentHashRandomness<Runtime>;
	type MaxActiveBounties = ConstU32<16>;
	type MaxRounds = ConstU32<1_000>;
	type MaxShardsPerRound = ConstU32<32>;
	type MinPhaseBlocks = ConstU32<2>;
	type MaxPhaseBlocks = ConstU32<MAX_PHASE_BLOCKS>;
	// A closed seal at the reveal deadline is slashed, and workers reveal once the commit
	// deadline is final or a few blocks deep in the best chain: 10 blocks leave room for
	// either and for the reveal's inclusion.
	type MinRevealBlocks = ConstU32<10>;
	// Validators fetch the disputed deltas, recompute a shard (at most `MaxInnerSteps` steps)
	// and vote: 20 blocks cover finality's lag (4 blocks median on the local network), a
	// 20-step shard of the reference models on a 2-core CPU (10 to 25 s) and inclusion.
	type MinVoteBlocks = ConstU32<20>;
	// Opening a sealed vote is one extrinsic from the best block, no recomputation: 6 blocks
	// cover the block that ended sealing reaching the verifier, a reorganisation and a resend.
	// Only a seal left shut makes a dispute wait for them all.
	type VoteRevealBlocks = ConstU32<6>;
	// One validator, drawn by stake, recomputes an audited shard: at the default 10 % audit
	// rate the network trains 1.1 times the distinct work (1.11 with the rechecks below)
	// instead of 1 + 0.1 × validators (1.4 with four). It can only confirm; anything else goes to every validator. The
	// arithmetic that keeps cheating a loss is in `docs/threat-model.md`.
	type AuditCommittee = ConstU32<1>;
	// One confirmation in 40 goes to every validator anyway, and a confirmation they reject
	// costs its member 10 % of its stake (100 COH at the minimum bond): 2.5 COH expected for
	// confirming a wrong root, more than a cheater keeps at the default reward of 1 COH, so
	// no bribe it can afford pays. Distinct work at the default 10 % audit rate with four
	// validators: 1 / (1 + 0.1 × (1 + 0.025 × 4)) = 90.1 %.
	type RecheckRate = RecheckRate;
	type WrongConfirmationSlash = WrongConfirmationSlash;
	type BlockAuthor = BlockAuthor;
	// A round's whole-shard disputes (audits, lone reveals) end one vote window apart, up to
	// 8 windows more than the first: at the 10 % audit rate a 32-shard round expects about
	// 3. Where a third of the stake withholds its votes, a round waits at most 9 windows
	// instead of 32 (twice that where the audits' committees do not vote either, and their
	// appeals queue the same way); past the 9th in one round, a verifier cannot recompute
	// them all in time and the rest end unresolved.
	type MaxRecomputeQueue = ConstU32<8>;
	// The aggregator and reviewers fetch the accepted deltas and combine them (a second or
	// two), after finality's lag.
	type MinReviewBlocks = ConstU32<6>;
	// 1 000 steps of the char transformer take a 2-core CPU verifier about 10 minutes, which
	// the longest vote window (600 blocks of 6 s) covers.
	type MaxInnerSteps = ConstU32<1_000>;
	type MaxBatchSize = ConstU32<1_024>;
	type WaitingRetryBlocks = ConstU32<10>;
	// A waiting bounty pays 0.01 UNIT per retry: 100 retries (1 000 blocks) before it expires.
	type BountyDeposit = ConstU128<UNIT>;
	type WaitingFee = ConstU128<{ 10 * MILLI_UNIT }>;
	type Treasury = TreasuryAccount;
	// The hook also stops at its weight budget, the quarter of a block that normal
	// extrinsics leave: with the measured weights one bounty that draws over every class
	// already fills it, and the next waits a block.
	type MaxBountiesPerBlock = ConstU32<2>;
	type MinReward = ConstU128<{ 10 * MILLI_UNIT }>;
	type VerifierShare = VerifierShare;
	type SlashFraction = WorkerSlashFraction;
	type MissedSlashFraction = MissedSlotSlashFraction;
	type AggregatorShare = AggregatorShare;
	type WrongVoteSlash = WrongVoteSlash;
	type MaxAggregatorAttempts = ConstU32<3>;
	// A move is a leaf and a proof the worker holds, sent once the block that opened the turn
	// reaches it (best blocks, not finalized: the chain checks the proof). 8 blocks leave
	// room for a worker a few blocks behind and for inclusion; a 20-step game is 5 turns.
	type MoveBlocks = ConstU32<8>;
	// A finished bounty stays readable (its final checkpoint for `model fetch`, its rounds
	// for `bounty status`) for a week of 6 s blocks (28 hours of the local network's 1 s
	// ones), then its records leave state; its events stay in history.
	type RetentionBlocks = ConstU32<100_800>;
	type WeightInfo = crate::weights::pallet_training::WeightInfo<Runtime>;
}
