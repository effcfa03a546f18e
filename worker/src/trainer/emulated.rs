//! A determinism class of its own on the CPU, for tests only (feature `emulated-class`,
//! `--device emulated`): after every optimizer step it moves each parameter by up to 3 ulps,
//! in a pattern fixed by the element's place. That is what another kind of hardware does to a
//! step (its kernels round differently, deterministically on that hardware), so cross-class
//! disputes, where a CPU referee judges a worker whose bytes it cannot reproduce, run in CI
//! without a GPU.

use crate::trainer::Params;
use candle_core::{Result, Tensor};

/// The device name that opens the emulated class.
pub const DEVICE: &str = "emulated";

/// The class it registers as.
pub const CLASS: &str = "emulated-ulp";

/// Round `params` the emulated class's way.
pub fn round(params: &Params) -> Result<()> {
	for (_, var) in params.named() {
		let values = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
		let rounded: Vec<f32> = values
			.iter()
			.enumerate()
			.map(|(place, value)| f32::from_bits(value.to_bits() ^ ulps(place)))
			.collect();
		var.set(&Tensor::from_vec(rounded, var.dims(), var.device())?)?;
	}
	Ok(())
}

/// The low mantissa bits flipped at `place`: 0 to 3, spread by a multiplicative hash.
fn ulps(place: usize) -> u32 {
	((place as u32).wrapping_mul(0x9E37_79B1) >> 30) & 3
}
