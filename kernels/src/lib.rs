//! Fused CPU kernels for the trainer's hot paths.
//!
//! candle runs each tensor op as its own pass over memory into a freshly allocated buffer, and
//! its autograd adds a backward pass per op. Where a chain of such ops dominates a training
//! step, a kernel here does the chain in one pass, and its backward pass in one more.
//!
//! Two kinds of kernel live here:
//! - [`adamw`] updates in place with candle's `f32` operations in candle's order: its bytes are
//!   those of the ops it replaces, which its tests check, signed zeros, subnormals and
//!   non-finite values included.
//! - [`attention`] runs gemm's products and [`softmax`]'s rows on each (example, head) pair in
//!   parallel, and [`linear`] computes a weight's gradient in the weight's layout, both with
//!   the bytes of the composed ops on the CPU (which their tests check).
//! - The layer kernels ([`bias`], [`layer_norm`], [`softmax`], [`gelu`], [`cross_entropy`])
//!   compute the same functions as the candle ops they replace, in an order of their own, fixed
//!   by the shapes: their bytes are their own (the same on one thread or many), and their tests
//!   check them against candle's ops within a rounding tolerance. A trainer that starts or stops
//!   using one changes the bytes its determinism class computes, so the class's name must change
//!   with it (the worker's `ARITHMETIC` version).
//!
//! The crate is built optimized also in the dev profile (see the workspace's `Cargo.toml`): a
//! kernel compiled without optimization would be slower than the ops it replaces.

#![warn(missing_docs)]

pub mod adamw;
pub mod attention;
pub mod bias;
pub mod cross_entropy;
pub mod gelu;
pub mod layer_norm;
pub mod linear;
mod product;
mod rows;
pub mod softmax;
mod storage;
#[cfg(test)]
mod testing;
