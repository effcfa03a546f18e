//! The `cohort_*` JSON-RPC namespace: read-side queries that answer in plain JSON, so a client
//! needs no SCALE decoding for the common reads. Writes stay ordinary signed extrinsics.

use cohort_runtime::{opaque::Block, AccountId, Balance};
use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::ErrorObjectOwned};
use pallet_validators::runtime_api::ValidatorsApi;
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

/// Cohort's queries.
#[rpc(server, namespace = "cohort")]
pub trait CohortApi<BlockHash> {
	/// The current validator set and every candidate's bond, at block `at` (default: best).
	#[method(name = "validators")]
	fn validators(&self, at: Option<BlockHash>) -> RpcResult<Validators>;
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

impl<C> CohortApiServer<<Block as BlockT>::Hash> for CohortRpc<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: ValidatorsApi<Block, AccountId, Balance>,
{
	fn validators(&self, at: Option<<Block as BlockT>::Hash>) -> RpcResult<Validators> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
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
}
