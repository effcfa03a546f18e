//! The `cohort_*` JSON-RPC namespace: read-side queries that answer in plain JSON, so a client
//! needs no SCALE decoding for the common reads. Writes stay ordinary signed extrinsics.

use cohort_primitives::{BountyId, RoundIndex};
use cohort_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::ErrorObjectOwned};
use pallet_training::runtime_api::{BountyView, DisputeView, RoundView, TrainingApi};
use pallet_validators::runtime_api::ValidatorsApi;
use pallet_workers::runtime_api::{WorkerView, WorkersApi};
use serde::Serialize;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::crypto::Ss58Codec;
use sp_runtime::traits::Block as BlockT;
use std::sync::Arc;

/// JSON-RPC error code for a runtime API call that failed.
const RUNTIME_ERROR: i32 = 1;

/// A candidate for the validator set.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
	/// SS58 address (generic prefix 42).
	pub account: String,
	/// Active bond in the smallest unit, as a decimal string: u128 does not fit a JSON number.
	pub bond: String,
	/// Whether it validates in the current session.
	pub active: bool,
}

/// Answer of `cohort_validators`.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Validators {
	/// The block the answer was read at.
	pub at: String,
	/// The session in progress.
	pub session: u32,
	/// The current validator set (SS58 addresses), in session order.
	pub active: Vec<String>,
	/// Every candidate, highest bond first.
	pub candidates: Vec<Candidate>,
}

/// A worker as `cohort_worker` and `cohort_workers` return it.
pub type Worker = WorkerView<AccountId, Balance, BlockNumber>;
/// A bounty as `cohort_bounty` and `cohort_bounties` return it.
pub type Bounty = BountyView<AccountId, Balance, BlockNumber>;
/// A round as `cohort_round` returns it.
pub type Round = RoundView<AccountId, BlockNumber>;
/// A dispute as `cohort_disputes` returns it.
pub type Dispute = DisputeView<AccountId, Balance, BlockNumber>;

/// Cohort's queries. Each reads the state at block `at`, the best block by default. Accounts
/// are SS58 addresses, hashes and byte strings `0x`-prefixed hex, balances decimal strings.
#[rpc(server, namespace = "cohort")]
pub trait CohortApi<BlockHash> {
	/// The current validator set and every candidate's bond.
	#[method(name = "validators")]
	fn validators(&self, at: Option<BlockHash>) -> RpcResult<Validators>;

	/// One registered worker (capabilities, bond, liveness, open slots, slashes), or null.
	#[method(name = "worker")]
	fn worker(&self, account: AccountId, at: Option<BlockHash>) -> RpcResult<Option<Worker>>;

	/// Every registered worker, in account order.
	#[method(name = "workers")]
	fn workers(&self, at: Option<BlockHash>) -> RpcResult<Vec<Worker>>;

	/// One bounty (spec, status, phase, current round and checkpoint, escrow), or null.
	#[method(name = "bounty")]
	fn bounty(&self, id: BountyId, at: Option<BlockHash>) -> RpcResult<Option<Bounty>>;

	/// Every bounty, in id order.
	#[method(name = "bounties")]
	fn bounties(&self, at: Option<BlockHash>) -> RpcResult<Vec<Bounty>>;

	/// One round of a bounty: deadlines, standbys, aggregator, result, and for each shard its
	/// workers, seals, roots and outcome; null before the round starts.
	#[method(name = "round")]
	fn round(
		&self,
		bounty: BountyId,
		round: RoundIndex,
		at: Option<BlockHash>,
	) -> RpcResult<Option<Round>>;

	/// The disputes of one bounty, or of all when `bounty` is null, in id order.
	#[method(name = "disputes")]
	fn disputes(&self, bounty: Option<BountyId>, at: Option<BlockHash>) -> RpcResult<Vec<Dispute>>;
}

/// Serves [`CohortApiServer`] from a client.
pub struct CohortRpc<C> {
	client: Arc<C>,
}

impl<C> CohortRpc<C> {
	/// Serve queries from `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

fn runtime_error(err: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(RUNTIME_ERROR, format!("runtime API call failed: {err}"), None::<()>)
}

impl<C: HeaderBackend<Block>> CohortRpc<C> {
	fn at(&self, at: Option<<Block as BlockT>::Hash>) -> <Block as BlockT>::Hash {
		at.unwrap_or_else(|| self.client.info().best_hash)
	}
}

impl<C> CohortApiServer<<Block as BlockT>::Hash> for CohortRpc<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: ValidatorsApi<Block, AccountId, Balance>
		+ WorkersApi<Block, AccountId, Balance, BlockNumber>
		+ TrainingApi<Block, AccountId, Balance, BlockNumber>,
{
	fn validators(&self, at: Option<<Block as BlockT>::Hash>) -> RpcResult<Validators> {
		let at = self.at(at);
		let set = self.client.runtime_api().validator_set(at).map_err(runtime_error)?;
		Ok(Validators {
			at: format!("{at:?}"),
			session: set.session,
			active: set.active.iter().map(|who| who.to_ss58check()).collect(),
			candidates: set
				.candidates
				.into_iter()
				.map(|c| Candidate {
					account: c.account.to_ss58check(),
					bond: c.bond.to_string(),
					active: c.active,
				})
				.collect(),
		})
	}

	fn worker(
		&self,
		account: AccountId,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Option<Worker>> {
		self.client.runtime_api().worker(self.at(at), account).map_err(runtime_error)
	}

	fn workers(&self, at: Option<<Block as BlockT>::Hash>) -> RpcResult<Vec<Worker>> {
		self.client.runtime_api().workers(self.at(at)).map_err(runtime_error)
	}

	fn bounty(
		&self,
		id: BountyId,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Option<Bounty>> {
		self.client.runtime_api().bounty(self.at(at), id).map_err(runtime_error)
	}

	fn bounties(&self, at: Option<<Block as BlockT>::Hash>) -> RpcResult<Vec<Bounty>> {
		self.client.runtime_api().bounties(self.at(at)).map_err(runtime_error)
	}

	fn round(
		&self,
		bounty: BountyId,
		round: RoundIndex,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Option<Round>> {
		self.client.runtime_api().round(self.at(at), bounty, round).map_err(runtime_error)
	}

	fn disputes(
		&self,
		bounty: Option<BountyId>,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Vec<Dispute>> {
		self.client.runtime_api().disputes(self.at(at), bounty).map_err(runtime_error)
	}
}
