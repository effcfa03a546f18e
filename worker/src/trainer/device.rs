//! What this machine declares when it registers: its determinism class and its throughput.

use candle_core::{Device, Tensor};
use std::time::Instant;

/// The determinism class of this CPU: candle's matmul kernels are chosen at run time by
/// instruction set, and only machines that take the same kernels produce the same bytes.
pub fn cpu_class() -> String {
	#[cfg(target_arch = "x86_64")]
	{
		if std::arch::is_x86_feature_detected!("avx512f") {
			return "cpu-x86_64-avx512".into();
		}
		if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
		{
			return "cpu-x86_64-avx2-fma".into();
		}
		"cpu-x86_64".into()
	}
	#[cfg(not(target_arch = "x86_64"))]
	{
		format!("cpu-{}", std::env::consts::ARCH)
	}
}

/// Measured f32 matmul throughput in GFLOP/s (a quarter of a second of 512×512 products).
pub fn measure_gflops() -> candle_core::Result<u32> {
	let n = 512;
	let a = Tensor::ones((n, n), candle_core::DType::F32, &Device::Cpu)?;
	let b = a.clone();
	let started = Instant::now();
	let mut products = 0u64;
	while started.elapsed().as_secs_f64() < 0.25 {
		a.matmul(&b)?;
		products += 1;
	}
	let flops = 2.0 * (n as f64).powi(3) * products as f64;
	Ok((flops / started.elapsed().as_secs_f64() / 1e9).round().max(1.0) as u32)
}

/// This machine's memory in MiB, from `/proc/meminfo` (0 where it cannot be read).
pub fn memory_mib() -> u32 {
	std::fs::read_to_string("/proc/meminfo")
		.ok()
		.and_then(|info| {
			let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
			let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
			u32::try_from(kib / 1024).ok()
		})
		.unwrap_or(0)
}

#[cfg(test)]
mod tests {
	#[test]
	fn the_class_is_a_valid_chain_name() {
		let class = super::cpu_class();
		assert!(cohort_primitives::DeterminismClass::new(class.as_bytes()).is_some(), "{class}");
	}
}
