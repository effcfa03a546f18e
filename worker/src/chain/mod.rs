//! The chain client: typed extrinsics, runtime-API reads and finalized events, with subxt.
//!
//! The typed interface is generated from `metadata/cohort.scale`, the runtime's metadata kept
//! in the repository; a test checks that it is the metadata of the runtime in this workspace.
//! The types the worker and the runtime share (the bounty spec, capabilities, verdicts) are not
//! generated but substituted with `cohort_primitives`'s own, so a spec the worker builds is
//! byte for byte the one the pallet decodes.

use crate::keys::Keys;
use std::time::Duration;
use subxt::{
	config::polkadot::PolkadotExtrinsicParamsBuilder,
	tx::{Payload, TransactionStatus},
	utils::{AccountId32, MultiSignature},
	OnlineClient, PolkadotConfig,
};
use thiserror::Error;
use tokio::sync::Mutex;

#[subxt::subxt(
	runtime_metadata_path = "metadata/cohort.scale",
	derive_for_all_types = "Clone",
	substitute_type(
		path = "cohort_primitives::bounty::BountySpec",
		with = "::subxt::utils::Static<crate::job::Spec>"
	),
	substitute_type(
		path = "cohort_primitives::capabilities::Capabilities",
		with = "::subxt::utils::Static<::cohort_primitives::Capabilities>"
	),
	substitute_type(
		path = "cohort_primitives::capabilities::Requirements",
		with = "::subxt::utils::Static<::cohort_primitives::Requirements>"
	),
	substitute_type(
		path = "cohort_primitives::bounty::Verdict",
		with = "::subxt::utils::Static<::cohort_primitives::Verdict>"
	)
)]
pub mod runtime {}

/// subxt's macro reads the metadata file without telling cargo, so a changed file would not
/// rebuild the worker; including its bytes does.
const _METADATA: &[u8] = include_bytes!("../../metadata/cohort.scale");

/// The runtime's account id.
pub type AccountId = AccountId32;

use runtime::runtime_types::{
	pallet_training::runtime_api as training_api, pallet_workers::runtime_api as workers_api,
};

/// A bounty as the chain reports it.
pub type BountyView = training_api::BountyView<AccountId, u128, u32>;
/// A round with its shards.
pub type RoundView = training_api::RoundView<AccountId, u32>;
/// A dispute with its candidates and votes.
pub type DisputeView = training_api::DisputeView<AccountId, u128, u32>;
/// A registered worker.
pub type WorkerView = workers_api::WorkerView<AccountId, u128, u32>;

type AtBlock = subxt::client::ClientAtBlock<
	PolkadotConfig,
	subxt::client::OnlineClientAtBlockImpl<PolkadotConfig>,
>;

/// The chain's state at one block, and its events.
pub struct At {
	inner: AtBlock,
	/// The block's number.
	pub number: u32,
}

impl At {
	async fn call<P: subxt::runtime_apis::Payload>(
		&self,
		payload: P,
	) -> Result<P::ReturnType, ChainError> {
		self.inner.runtime_apis().call(payload).await.map_err(query)
	}

	/// Every bounty.
	pub async fn bounties(&self) -> Result<Vec<BountyView>, ChainError> {
		self.call(runtime::runtime_apis().training_api().bounties()).await
	}

	/// One bounty.
	pub async fn bounty(&self, id: u64) -> Result<Option<BountyView>, ChainError> {
		self.call(runtime::runtime_apis().training_api().bounty(id)).await
	}

	/// One round of a bounty.
	pub async fn round(&self, bounty: u64, round: u32) -> Result<Option<RoundView>, ChainError> {
		self.call(runtime::runtime_apis().training_api().round(bounty, round)).await
	}

	/// The disputes of one bounty, or of all.
	pub async fn disputes(&self, bounty: Option<u64>) -> Result<Vec<DisputeView>, ChainError> {
		self.call(runtime::runtime_apis().training_api().disputes(bounty)).await
	}

	/// A registered worker.
	pub async fn worker(&self, account: &AccountId) -> Result<Option<WorkerView>, ChainError> {
		self.call(runtime::runtime_apis().workers_api().worker(*account)).await
	}

	/// Every registered worker.
	pub async fn workers(&self) -> Result<Vec<WorkerView>, ChainError> {
		self.call(runtime::runtime_apis().workers_api().workers()).await
	}

	/// A constant of the runtime.
	pub fn constant<Addr: subxt::constants::Address>(
		&self,
		address: Addr,
	) -> Result<Addr::Target, ChainError> {
		self.inner.constants().entry(address).map_err(query)
	}

	/// The block's events.
	pub async fn events(&self) -> Result<subxt::events::Events<PolkadotConfig>, ChainError> {
		self.inner.events().fetch().await.map_err(query)
	}
}

/// How long a transaction may take to reach a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// What went wrong talking to the chain.
#[derive(Debug, Error)]
pub enum ChainError {
	#[error("cannot reach a Cohort node at {url}: {reason}")]
	Connect { url: String, reason: String },
	#[error("{call} was refused: {reason}")]
	Refused { call: &'static str, reason: String },
	#[error("{call} failed on chain: {reason}")]
	Failed { call: &'static str, reason: String },
	#[error("{call} was not included within {0:?}", INCLUSION_TIMEOUT)]
	Timeout { call: &'static str },
	#[error("reading the chain failed: {0}")]
	Query(String),
}

fn query(e: impl std::fmt::Display) -> ChainError {
	ChainError::Query(e.to_string())
}

impl subxt::tx::Signer<PolkadotConfig> for Keys {
	fn account_id(&self) -> AccountId32 {
		AccountId32(Keys::account_id(self))
	}

	fn sign(&self, payload: &[u8]) -> MultiSignature {
		use sp_core::Pair;
		MultiSignature::Sr25519(self.account().sign(payload).0)
	}
}

/// Where a transaction landed, and what it caused.
pub struct Included {
	/// The block that holds it.
	pub block: subxt::utils::H256,
	/// The transaction's hash.
	pub extrinsic: subxt::utils::H256,
	/// Its events.
	pub events: subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>,
}

/// A connection to a Cohort node.
#[derive(Clone)]
pub struct Chain {
	api: OnlineClient<PolkadotConfig>,
	rpc: subxt::rpcs::RpcClient,
	url: String,
	/// One submission at a time per client, so that nonces come in order.
	submitting: std::sync::Arc<Mutex<()>>,
}

impl Chain {
	/// Connect to the node at `url` (`ws://` or `wss://`).
	pub async fn connect(url: &str) -> Result<Self, ChainError> {
		let connect = |e: &dyn std::fmt::Display| ChainError::Connect {
			url: url.to_string(),
			reason: e.to_string(),
		};
		let rpc = tokio::time::timeout(
			Duration::from_secs(10),
			subxt::rpcs::RpcClient::from_insecure_url(url),
		)
		.await
		.map_err(|_| connect(&"no answer within 10 s"))?
		.map_err(|e| connect(&e))?;
		let api = OnlineClient::<PolkadotConfig>::from_rpc_client(rpc.clone())
			.await
			.map_err(|e| connect(&e))?;
		Ok(Self { api, rpc, url: url.to_string(), submitting: Default::default() })
	}

	/// The node's URL.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The subxt client, for reads this type has no method for.
	pub fn api(&self) -> &OnlineClient<PolkadotConfig> {
		&self.api
	}

	/// Sign `call` with `keys`, submit it and wait until it is in a best block; a dispatch
	/// error (`Training.SealMismatch`, say) comes back as [`ChainError::Failed`]. The protocol
	/// loops use this: a deadline does not wait for finality.
	pub async fn submit<Call: Payload>(
		&self,
		keys: &Keys,
		call: &'static str,
		payload: &Call,
	) -> Result<Included, ChainError> {
		self.submit_until(keys, call, payload, false).await
	}

	/// [`Chain::submit`], waiting until the block that holds it is finalized: what a one-shot
	/// command (`register`, `bounty submit`) reports is then final, and what follows reads it.
	pub async fn submit_finalized<Call: Payload>(
		&self,
		keys: &Keys,
		call: &'static str,
		payload: &Call,
	) -> Result<Included, ChainError> {
		self.submit_until(keys, call, payload, true).await
	}

	async fn submit_until<Call: Payload>(
		&self,
		keys: &Keys,
		call: &'static str,
		payload: &Call,
		finalized: bool,
	) -> Result<Included, ChainError> {
		let _turn = self.submitting.lock().await;
		// The pool-aware next nonce: the runtime API at the finalized block would not count
		// this account's transactions still in the pool or in unfinalized blocks.
		let nonce: u64 = self
			.rpc
			.request("system_accountNextIndex", subxt::rpcs::rpc_params![keys.ss58_address()])
			.await
			.map_err(query)?;
		let params = PolkadotExtrinsicParamsBuilder::new().nonce(nonce).build();
		let refused =
			|e: &dyn std::fmt::Display| ChainError::Refused { call, reason: e.to_string() };
		let mut progress = self
			.api
			.tx()
			.await
			.map_err(query)?
			.sign_and_submit_then_watch(payload, keys, params)
			.await
			.map_err(|e| refused(&e))?;
		drop(_turn);
		let in_block = tokio::time::timeout(INCLUSION_TIMEOUT, async {
			while let Some(status) = progress.next().await {
				match status.map_err(|e| refused(&e))? {
					TransactionStatus::InBestBlock(block) if !finalized => return Ok(block),
					TransactionStatus::InFinalizedBlock(block) => return Ok(block),
					TransactionStatus::Error { message }
					| TransactionStatus::Invalid { message }
					| TransactionStatus::Dropped { message } => return Err(refused(&message)),
					_ => {}
				}
			}
			Err(refused(&"the node closed the transaction's status stream"))
		})
		.await
		.map_err(|_| ChainError::Timeout { call })??;
		let events = in_block
			.wait_for_success()
			.await
			.map_err(|e| ChainError::Failed { call, reason: e.to_string() })?;
		Ok(Included { block: in_block.block_hash(), extrinsic: in_block.extrinsic_hash(), events })
	}

	/// The chain at its latest finalized block.
	pub async fn finalized(&self) -> Result<At, ChainError> {
		let inner = self.api.at_current_block().await.map_err(query)?;
		let number = inner.block_number() as u32;
		Ok(At { inner, number })
	}

	/// Every finalized block from now on, in order.
	pub async fn follow_finalized(
		&self,
	) -> Result<impl futures::Stream<Item = Result<At, ChainError>> + Unpin, ChainError> {
		use futures::StreamExt;
		let blocks = self.api.stream_blocks().await.map_err(query)?;
		Ok(Box::pin(blocks.then(|block| async move {
			let block = block.map_err(query)?;
			let number = block.number() as u32;
			let inner = block.at().await.map_err(query)?;
			Ok(At { inner, number })
		})))
	}
}

#[cfg(test)]
mod tests {
	use codec::{Decode, Encode};
	use subxt::ext::frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};

	/// The metadata with every constant's value blanked: some constants (the timestamp's
	/// minimum period) are read from genesis state, so they differ between chains while the
	/// interface does not.
	fn interface(bytes: &[u8]) -> Vec<u8> {
		let mut metadata =
			RuntimeMetadataPrefixed::decode(&mut &bytes[..]).expect("metadata decodes");
		let RuntimeMetadata::V15(ref mut v15) = metadata.1 else { panic!("not metadata v15") };
		for pallet in &mut v15.pallets {
			for constant in &mut pallet.constants {
				constant.value.clear();
			}
		}
		metadata.encode()
	}

	/// The metadata the typed interface is generated from must be this workspace's runtime's:
	/// otherwise the worker would encode calls for another runtime. Run the test with
	/// `COHORT_BLESS_METADATA=1` to rewrite the file after changing the runtime.
	#[test]
	fn the_metadata_file_is_the_runtimes() {
		let current = sp_io::TestExternalities::default()
			.execute_with(|| cohort_runtime::Runtime::metadata_at_version(15))
			.expect("metadata v15");
		let path = concat!(env!("CARGO_MANIFEST_DIR"), "/metadata/cohort.scale");
		if std::env::var_os("COHORT_BLESS_METADATA").is_some() {
			std::fs::write(path, &*current).unwrap();
		}
		let kept = std::fs::read(path).unwrap();
		assert!(
			interface(&kept) == interface(&current),
			"{path} is not the runtime's metadata: rerun with COHORT_BLESS_METADATA=1, then rebuild"
		);
	}
}
