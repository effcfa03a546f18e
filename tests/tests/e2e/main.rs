//! End-to-end tests: real `cohort-node` processes on loopback, driven over JSON-RPC.
//!
//! They need the node binary built first (`scripts/test` does it) and run one at a time,
//! whatever `--test-threads` says: each starts up to five nodes, and two cores are shared by
//! all of them.

mod adversaries;
mod chain_specs;
mod election;
mod finality;
mod finality_stall;
mod honest_network;
mod many_adversaries;
mod training;
mod validator_down;
mod worker_down;
mod worker_p2p;
mod worker_run;

use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

/// Hold this for the whole of a test that starts nodes. (An async lock: a test that fails
/// while holding it releases it without poisoning it for the next.)
pub async fn one_at_a_time() -> MutexGuard<'static, ()> {
	static NODES: Mutex<()> = Mutex::const_new(());
	NODES.lock().await
}

/// Generous bound for anything that takes a few blocks at 1 s slots.
pub const BLOCKS_TIMEOUT: Duration = Duration::from_secs(90);
