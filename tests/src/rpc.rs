//! Typed JSON-RPC calls to one node: the standard Substrate methods and `cohort_*`.

use crate::{Error, Result};
use codec::Decode;
use cohort_runtime::{AccountId, Hash, Runtime, RuntimeEvent};
use jsonrpsee::{
	core::{client::ClientT, params::ArrayParams},
	http_client::{HttpClient, HttpClientBuilder},
};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;
use sp_core::{hexdisplay::HexDisplay, Bytes};
use std::time::Duration;

/// Account state as `frame_system` stores it.
pub type AccountInfo = frame_system::AccountInfo<
	cohort_runtime::Nonce,
	pallet_balances::AccountData<cohort_runtime::Balance>,
>;

/// One event with its phase, as `frame_system::Events` stores it.
pub type EventRecord = frame_system::EventRecord<RuntimeEvent, Hash>;

/// A candidate as `cohort_validators` reports it.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
	/// The stash, SS58.
	pub account: String,
	/// Its active bond in the smallest unit, as a decimal string.
	pub bond: String,
	/// Whether it validates this session.
	pub active: bool,
}

/// The answer of `cohort_validators`.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Validators {
	/// The block answered at, as a hex hash.
	pub at: String,
	/// The session index.
	pub session: u32,
	/// The current validator set (SS58 addresses), in session order.
	pub active: Vec<String>,
	/// Every candidate, highest bond first.
	pub candidates: Vec<Candidate>,
}

/// A JSON-RPC connection to one node over HTTP.
#[derive(Clone)]
pub struct Rpc {
	url: String,
	client: HttpClient,
}

fn hex_number(value: &Value) -> Option<u32> {
	u32::from_str_radix(value.as_str()?.trim_start_matches("0x"), 16).ok()
}

impl Rpc {
	/// A client for the node serving JSON-RPC on `port` of 127.0.0.1.
	pub fn new(port: u16) -> Result<Self> {
		let url = format!("http://127.0.0.1:{port}");
		let client = HttpClientBuilder::default()
			.request_timeout(Duration::from_secs(10))
			.build(&url)
			.map_err(|e| Error::Rpc {
				url: url.clone(),
				method: "connect".into(),
				message: e.to_string(),
			})?;
		Ok(Self { url, client })
	}

	/// Call `method` with positional `params`.
	pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Vec<Value>) -> Result<T> {
		let mut array = ArrayParams::new();
		for param in params {
			array.insert(param).expect("a JSON value serializes");
		}
		self.client.request(method, array).await.map_err(|e| Error::Rpc {
			url: self.url.clone(),
			method: method.into(),
			message: e.to_string(),
		})
	}

	/// The best block's number.
	pub async fn best_number(&self) -> Result<u32> {
		let header: Value = self.call("chain_getHeader", vec![]).await?;
		self.number_of(&header)
	}

	/// The last finalized block's hash.
	pub async fn finalized_hash(&self) -> Result<Hash> {
		self.call("chain_getFinalizedHead", vec![]).await
	}

	/// The last finalized block's number.
	pub async fn finalized_number(&self) -> Result<u32> {
		let hash = self.finalized_hash().await?;
		let header: Value = self.call("chain_getHeader", vec![serde_json::json!(hash)]).await?;
		self.number_of(&header)
	}

	fn number_of(&self, header: &Value) -> Result<u32> {
		hex_number(&header["number"]).ok_or_else(|| Error::Rpc {
			url: self.url.clone(),
			method: "chain_getHeader".into(),
			message: format!("no block number in {header}"),
		})
	}

	/// The hash of block `number` on the node's best chain, if it has one.
	pub async fn block_hash(&self, number: u32) -> Result<Option<Hash>> {
		self.call("chain_getBlockHash", vec![number.into()]).await
	}

	/// The genesis hash.
	pub async fn genesis_hash(&self) -> Result<Hash> {
		Ok(self.block_hash(0).await?.expect("every chain has a genesis block"))
	}

	/// The node's libp2p peer id.
	pub async fn peer_id(&self) -> Result<String> {
		self.call("system_localPeerId", vec![]).await
	}

	/// How many peers the node is connected to.
	pub async fn peers(&self) -> Result<usize> {
		let health: Value = self.call("system_health", vec![]).await?;
		Ok(health["peers"].as_u64().unwrap_or(0) as usize)
	}

	/// The chain's name from its spec.
	pub async fn chain_name(&self) -> Result<String> {
		self.call("system_chain", vec![]).await
	}

	/// `cohort_validators` at the best block.
	pub async fn validators(&self) -> Result<Validators> {
		self.call("cohort_validators", vec![]).await
	}

	/// The next nonce of `who`, counting transactions in the pool.
	pub async fn next_nonce(&self, who: &AccountId) -> Result<u32> {
		self.call("system_accountNextIndex", vec![serde_json::json!(who.to_string())]).await
	}

	/// Submit a SCALE-encoded extrinsic; returns its hash.
	pub async fn submit(&self, extrinsic: &[u8]) -> Result<Hash> {
		self.call(
			"author_submitExtrinsic",
			vec![format!("0x{}", HexDisplay::from(&extrinsic)).into()],
		)
		.await
	}

	/// The extrinsics of block `hash`, SCALE-encoded.
	pub async fn block_extrinsics(&self, hash: Hash) -> Result<Vec<Bytes>> {
		let block: Value = self.call("chain_getBlock", vec![serde_json::json!(hash)]).await?;
		serde_json::from_value(block["block"]["extrinsics"].clone()).map_err(|e| Error::Rpc {
			url: self.url.clone(),
			method: "chain_getBlock".into(),
			message: e.to_string(),
		})
	}

	/// The raw storage value under `key` at block `at` (best if `None`).
	pub async fn storage(&self, key: &[u8], at: Option<Hash>) -> Result<Option<Bytes>> {
		let mut params = vec![format!("0x{}", HexDisplay::from(&key)).into()];
		if let Some(at) = at {
			params.push(serde_json::json!(at));
		}
		self.call("state_getStorage", params).await
	}

	/// Decode the storage value under `key`, if present.
	pub async fn decoded<T: Decode>(&self, key: &[u8], at: Option<Hash>) -> Result<Option<T>> {
		match self.storage(key, at).await? {
			None => Ok(None),
			Some(bytes) => T::decode(&mut &bytes[..]).map(Some).map_err(|e| Error::Rpc {
				url: self.url.clone(),
				method: "state_getStorage".into(),
				message: format!("undecodable value: {e}"),
			}),
		}
	}

	/// The account state of `who` at the best block.
	pub async fn account(&self, who: &AccountId) -> Result<AccountInfo> {
		let key = frame_system::Account::<Runtime>::hashed_key_for(who);
		Ok(self.decoded(&key, None).await?.unwrap_or_default())
	}

	/// The events of block `at`.
	pub async fn events(&self, at: Hash) -> Result<Vec<EventRecord>> {
		// `frame_system::Events` is private; its key is the usual pallet ++ item prefix.
		let key =
			[sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat();
		Ok(self.decoded(&key, Some(at)).await?.unwrap_or_default())
	}

	/// Call runtime API function `method` (e.g. `GrandpaApi_current_set_id`) with SCALE-encoded
	/// arguments, at the best block; returns the SCALE-encoded answer.
	pub async fn state_call(&self, method: &str, args: &[u8]) -> Result<Bytes> {
		self.call(
			"state_call",
			vec![method.into(), format!("0x{}", HexDisplay::from(&args)).into()],
		)
		.await
	}

	/// The timestamp (ms) block `at` carries.
	pub async fn timestamp(&self, at: Hash) -> Result<u64> {
		let key = pallet_timestamp::Now::<Runtime>::hashed_key().to_vec();
		Ok(self.decoded(&key, Some(at)).await?.unwrap_or_default())
	}
}
