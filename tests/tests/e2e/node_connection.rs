//! A worker's or verifier's connection to its node that stops delivering (a dead link with
//! no reset, a subscription the node never restarts) is replaced, not waited on forever.

use crate::BLOCKS_TIMEOUT;
use cohort_tests::{proxy::FreezingProxy, wait, Node, NodeConfig};
use cohort_worker::chain::Chain;
use std::time::Duration;

/// Past the chain client's limits (60 s without a best block, 30 s for a read, then 60 s
/// more before a finalized-block stream notices that the connection was replaced), with a
/// new connection's setup on top.
const RECOVERY: Duration = Duration::from_secs(150);

#[tokio::test]
async fn a_connection_that_stops_delivering_is_replaced() {
	let _nodes = crate::light_test().await;
	let dir = tempfile::tempdir().unwrap();
	let node = Node::start(NodeConfig::dev(), "dev", &dir.path().join("dev"), &[]).await.unwrap();
	wait::until("the dev chain to finalize #1", BLOCKS_TIMEOUT, || async {
		Ok((node.rpc().finalized_number().await? >= 1).then_some(()))
	})
	.await
	.unwrap_or_else(|e| panic!("{e}\n{}", node.log_tail(30)));
	let proxy = FreezingProxy::start(node.rpc_port()).await.unwrap();
	let chain = Chain::connect(&format!("ws://127.0.0.1:{}", proxy.port())).await.unwrap();

	// A stream of best blocks, one of finalized blocks and a one-off read, all on a
	// connection that went silent: each goes on over a new connection (one for all of them).
	let mut blocks = chain.follow_best().await.unwrap();
	let mut finalized = chain.follow_finalized().await.unwrap();
	let before = blocks.next().await.unwrap().number;
	let finalized_before = finalized.next().await.unwrap().number;
	proxy.freeze_open_connections();
	let next_block = async {
		loop {
			let at = blocks.next().await.unwrap();
			if at.number > before {
				return at.number;
			}
		}
	};
	let next_finalized = async {
		loop {
			let at = finalized.next().await.unwrap();
			if at.number > finalized_before {
				return at.number;
			}
		}
	};
	let (after, finalized_after, read) = tokio::time::timeout(RECOVERY, async {
		tokio::join!(next_block, next_finalized, chain.finalized())
	})
	.await
	.expect("new blocks and an answer, on a new connection");
	assert!(after > before);
	assert!(finalized_after > finalized_before);
	assert!(read.unwrap().number >= 1);
}
