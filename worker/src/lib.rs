//! # cohort-worker
//!
//! The off-chain half of Cohort. This crate holds the parts every role shares (the GPU worker,
//! the validator's verifier, the bounty submitter):
//!
//! - [`delta`], [`merkle`], [`trajectory`] and [`aggregate`], re-exported from
//!   `cohort-formats`: the canonical byte form of a model delta, the blake3 Merkle tree over a
//!   blob's chunks with its root (what a worker commits and reveals on chain) and inclusion
//!   proofs, the root over a shard's per-step state hashes that a bisection game walks, and the
//!   rules a bounty combines a round's deltas with (mean, coordinate-wise median, trimmed mean);
//! - [`trainer`]: the reference models (an MLP and a character-level transformer) trained with
//!   candle from seeded weights and seeded batch order, on the CPU or, with the `cuda` feature,
//!   an NVIDIA GPU;
//! - [`job`]: a bounty's work as every role computes it: one shard's training and one round's
//!   aggregation into the next checkpoint;
//! - [`datasets`]: the built-in datasets (Shakespeare's works, a synthetic task);
//! - [`store`]: the RocksDB store of content-addressed blobs and of the worker's own protocol
//!   state, written before anything is sent to the chain;
//! - [`keys`]: the account key that signs extrinsics and the libp2p key that names the peer;
//! - [`p2p`]: the libp2p swarm that finds, serves and fetches blobs, checked against roots;
//! - [`chain`]: the subxt client that submits extrinsics and reads the chain;
//! - [`metrics`]: the Prometheus metrics a role counts, and the time it spends by kind of work;
//! - [`roles`]: the long-running loops, the worker's and the validator's verifier's, driven by
//!   the finalized chain.
//!
//! The seal a worker commits is [`cohort_primitives::seal`], the very function the runtime
//! checks reveals with.

#![warn(missing_docs)]

pub mod chain;
pub mod datasets;
pub mod job;
pub mod keys;
pub mod metrics;
pub mod p2p;
pub mod roles;
pub mod store;
pub mod trainer;

// The pure formats live in their own crate (buildable and testable without candle, libp2p,
// subxt or RocksDB); re-exported under their old paths so `crate::delta::Delta` still names them.
pub use cohort_formats::{aggregate, delta, merkle, trajectory};
pub use cohort_primitives::{seal, H256};
