//! One websocket connection to the node with its subxt clients. Its `chainHead_follow`
//! driver runs until the last clone of the connection is dropped, so a connection that
//! [`super::Chain`] replaced closes once nothing uses it any more.

use super::ChainError;
use futures::StreamExt;
use std::{sync::Arc, time::Duration};
use subxt::{
	backend::{ChainHeadBackend, CombinedBackend},
	OnlineClient, PolkadotConfig,
};

/// The clients of one connection, and which of the client's connections it is.
#[derive(Clone)]
pub(super) struct Connection {
	pub api: OnlineClient<PolkadotConfig>,
	pub rpc: subxt::rpcs::RpcClient,
	/// Counts the client's connections: the first is 0, each replacement one more.
	pub generation: u64,
	_driver: Arc<Driver>,
}

/// The task that drives the connection's `chainHead_follow` subscription; stopped when
/// dropped.
struct Driver(tokio::task::JoinHandle<()>);

impl Drop for Driver {
	fn drop(&mut self) {
		self.0.abort();
	}
}

impl Connection {
	/// Connect to the node at `url`, as the client's `generation`th connection.
	pub async fn open(url: &str, generation: u64) -> Result<Self, ChainError> {
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
		// A transaction's progress comes from the node's own `transactionWatch` stream alone,
		// not matched against the client's `chainHead_follow` subscription: the node stops
		// that subscription when it cannot keep it (a burst of forks while a network starts,
		// a slow reader), and a transaction watched through it would then fail although it
		// is in the pool and lands; near a deadline that is a slash. Reads at the block it
		// lands in fall back to the legacy methods when `chainHead` has not pinned the block.
		let (chain_head, mut driver) = ChainHeadBackend::builder()
			.submit_transactions_ignoring_follow_events()
			.build(rpc.clone());
		let driver = Driver(tokio::spawn(async move {
			while let Some(event) = driver.next().await {
				if let Err(e) = event {
					tracing::debug!("chainHead_follow: {e}");
				}
			}
		}));
		let backend = async {
			let combined = CombinedBackend::builder()
				.with_chainhead_backend(chain_head)
				.build_with_background_driver(rpc.clone())
				.await
				.map_err(|e| connect(&e))?;
			OnlineClient::<PolkadotConfig>::from_backend(Arc::new(combined))
				.await
				.map_err(|e| connect(&e))
		};
		let api = tokio::time::timeout(Duration::from_secs(30), backend)
			.await
			.map_err(|_| connect(&"no metadata within 30 s"))??;
		Ok(Self { api, rpc, generation, _driver: Arc::new(driver) })
	}
}
