//! End-to-end tests: real `cohort-node` processes on loopback, driven over JSON-RPC.
//!
//! They need the node binary built first (`scripts/test` does it) and run one at a time
//! (`--test-threads 1`): each starts up to five nodes, and two cores are shared by all.

mod chain_specs;
mod election;
mod finality;

use std::time::Duration;

/// Generous bound for anything that takes a few blocks at 1 s slots.
pub const BLOCKS_TIMEOUT: Duration = Duration::from_secs(90);
