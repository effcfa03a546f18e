//! End-to-end tests: real `cohort-node` processes on loopback, driven over JSON-RPC.
//!
//! They need the node binary built first (`scripts/test` does it). Two cores are shared by all
//! of them, so they take turns by weight, whatever `--test-threads` says: a test that trains
//! (workers, verifiers, deadlines that training must meet) runs with at most one light test
//! beside it; light tests (nodes and chain calls only) run two at a time. A light test spends
//! most of its time waiting for blocks, which the other test's processes can use.

mod adversaries;
mod bad_checkpoint;
mod chain_specs;
mod cross_class;
mod election;
mod finality;
mod finality_stall;
mod honest_network;
mod many_adversaries;
mod nat;
mod training;
mod validator_down;
mod worker_down;
mod worker_p2p;
mod worker_run;

use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// The machine's share for end-to-end tests: a training test takes two units, a light one.
static MACHINE: Semaphore = Semaphore::const_new(3);

/// Hold this for the whole of a test whose workers train against deadlines. (A semaphore: a
/// test that fails while holding it releases it without poisoning it for the next.)
pub async fn training_test() -> SemaphorePermit<'static> {
	MACHINE.acquire_many(2).await.expect("never closed")
}

/// Hold this for the whole of a test that starts nodes but trains nothing.
pub async fn light_test() -> SemaphorePermit<'static> {
	MACHINE.acquire().await.expect("never closed")
}

/// Generous bound for anything that takes a few blocks at 1 s slots.
pub const BLOCKS_TIMEOUT: Duration = Duration::from_secs(90);
