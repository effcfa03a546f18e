//! Weights measured for this runtime by `cohort-node benchmark pallet` (see the README's
//! "Benchmarks" section for the command and the machine). Regenerate, don't edit.

pub mod pallet_training;
pub mod pallet_validators;
pub mod pallet_workers;
