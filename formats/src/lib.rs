//! # cohort-formats
//!
//! The byte formats Cohort's protocol commits to, apart from everything that produces or moves
//! them (candle, libp2p, subxt, RocksDB live in `cohort-worker`), so that they build and test
//! on their own and the runtime could check them one day:
//!
//! - [`delta`]: the canonical byte form of a model delta (tensors in name order, little-endian
//!   f32), so honest replicas produce identical bytes;
//! - [`merkle`]: the blake3 Merkle tree over fixed-size chunks of a blob, its root (what a
//!   worker commits and reveals on chain) and inclusion proofs for any chunk;
//! - [`aggregate`]: the rules a bounty combines a round's deltas with: mean, coordinate-wise
//!   median and trimmed mean;
//! - [`trajectory`]: the Merkle root over a shard's per-step state hashes, and the proofs a
//!   bisection of two disagreeing replicas checks its moves with;
//! - [`rng`] and [`synthetic`] (with `std`): the seeded generator batches and initial weights
//!   are drawn with, and the synthetic task's examples, which replicas must draw alike.
//!
//! Without the default `std` feature the crate is `no_std` (it needs `alloc`); `std` also
//! hashes a blob's leaves in parallel with rayon. The bytes and roots are the same either way.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod aggregate;
pub mod delta;
pub mod merkle;
#[cfg(feature = "std")]
pub mod rng;
#[cfg(feature = "std")]
pub mod synthetic;
pub mod trajectory;
