//! Fused CPU kernels for the trainer's hot paths.
//!
//! candle runs each tensor op as its own pass over memory into a freshly allocated buffer. Where
//! a chain of such ops dominates a training step, a kernel here does the chain in one pass, in
//! place, with the same `f32` operations in the same order, so the bytes it writes are those of
//! the ops it replaces: a worker using it stays in its determinism class and agrees with
//! verifiers and referees that do not. Each kernel's tests check that equality against candle's
//! own ops, including signed zeros, subnormals and non-finite values.
//!
//! The crate is built optimized also in the dev profile (see the workspace's `Cargo.toml`): a
//! kernel compiled without optimization would be slower than the ops it replaces.

#![warn(missing_docs)]

pub mod adamw;
pub mod bias;
pub mod cross_entropy;
pub mod gelu;
pub mod layer_norm;
mod rows;
pub mod softmax;
mod storage;
#[cfg(test)]
mod testing;
