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
//!   candle on the CPU from seeded weights and seeded batch order.
//!
//! The seal a worker commits is [`cohort_primitives::seal`], the very function the runtime
//! checks reveals with.

pub mod aggregate;
pub mod delta;
pub mod merkle;
pub mod store;
pub mod trainer;

pub use cohort_primitives::{seal, H256};
