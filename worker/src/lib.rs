//! # cohort-worker
//!
//! The off-chain half of Cohort. This crate holds the parts every role shares (the GPU worker,
//! the validator's verifier, the bounty submitter):
//!
//! - [`delta`]: the canonical byte form of a model delta (tensors in name order, little-endian
//!   f32), so honest replicas produce identical bytes;
//! - [`merkle`]: the blake3 Merkle tree over fixed-size chunks of a blob, its root (what a
//!   worker commits and reveals on chain) and inclusion proofs for any chunk;
//! - [`aggregate`]: the rules a bounty combines a round's deltas with: mean, coordinate-wise
//!   median and trimmed mean;
//! - [`store`]: the RocksDB store of content-addressed blobs and of the worker's own protocol
//!   state, written before anything is sent to the chain;
//! - [`trainer`]: the reference models (an MLP and a character-level transformer) trained with
//!   candle on the CPU from seeded weights and seeded batch order;
//! - [`datasets`]: the built-in datasets (Shakespeare's works, a synthetic task);
//! - [`keys`]: the account key that signs extrinsics and the libp2p key that names the peer;
//! - [`p2p`]: the libp2p swarm that finds, serves and fetches blobs, checked against roots;
//! - [`chain`]: the subxt client that submits extrinsics and reads the chain.
//!
//! The seal a worker commits is [`cohort_primitives::seal`], the very function the runtime
//! checks reveals with.

pub mod aggregate;
pub mod chain;
pub mod datasets;
pub mod delta;
pub mod job;
pub mod keys;
pub mod merkle;
pub mod metrics;
pub mod p2p;
pub mod roles;
pub mod store;
pub mod trainer;

pub use cohort_primitives::{seal, H256};
