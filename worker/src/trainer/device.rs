//! Where shards are trained, and what this machine declares when it registers: its
//! determinism class and its throughput.

use candle_core::{Device, Tensor};
use cohort_primitives::DeviceKind;
use std::time::{Duration, Instant};
use thiserror::Error;

/// The device shards are trained on and the determinism class it belongs to. Replicas of a
/// shard are drawn from one class, so a class names everything that changes the bytes.
#[derive(Clone, Debug)]
pub struct Backend {
	device: Device,
	kind: DeviceKind,
	class: String,
	/// How many times slower than the device this backend acts ([`Backend::slowed`]).
	slowdown: f64,
	/// Whether this is the test-only emulated class ([`super::emulated`]).
	#[cfg(feature = "emulated-class")]
	emulated: bool,
}

/// Why a device could not be used.
#[derive(Debug, Error)]
pub enum BackendError {
	/// A device name other than `cpu`, `cuda` or `cuda:N` (or, in test builds, `emulated`).
	#[error("unknown device {0:?}: use cpu, cuda or cuda:N")]
	Unknown(String),
	/// A CUDA device asked of a build without the `cuda` feature.
	#[error("{0} needs a cohort-worker built with `--features cuda`")]
	NoCuda(String),
	/// candle could not open the device or read its properties.
	#[error("cannot open {name}: {source}")]
	Open {
		/// The device's name.
		name: String,
		/// candle's error.
		source: candle_core::Error,
	},
}

impl Backend {
	/// The CPU.
	pub fn cpu() -> Self {
		Self::on(Device::Cpu, DeviceKind::Cpu, cpu_class())
	}

	fn on(device: Device, kind: DeviceKind, class: String) -> Self {
		Backend {
			device,
			kind,
			class,
			slowdown: 1.0,
			#[cfg(feature = "emulated-class")]
			emulated: false,
		}
	}

	/// `cpu`, `cuda` (the first GPU) or `cuda:N`; in builds with the `emulated-class` feature
	/// also `emulated` ([`super::emulated`]).
	pub fn open(name: &str) -> Result<Self, BackendError> {
		let ordinal = match name {
			"cpu" => return Ok(Self::cpu()),
			#[cfg(feature = "emulated-class")]
			super::emulated::DEVICE => {
				let class = super::emulated::CLASS.into();
				return Ok(Backend {
					emulated: true,
					..Self::on(Device::Cpu, DeviceKind::Cpu, class)
				});
			}
			"cuda" => 0,
			other => other
				.strip_prefix("cuda:")
				.and_then(|n| n.parse::<usize>().ok())
				.ok_or_else(|| BackendError::Unknown(other.into()))?,
		};
		Self::cuda(name, ordinal)
	}

	#[cfg(feature = "cuda")]
	fn cuda(name: &str, ordinal: usize) -> Result<Self, BackendError> {
		let open = |source| BackendError::Open { name: name.into(), source };
		let device = Device::new_cuda(ordinal).map_err(open)?;
		let class = cuda_class(&device).map_err(open)?;
		Ok(Self::on(device, DeviceKind::Cuda, class))
	}

	#[cfg(not(feature = "cuda"))]
	fn cuda(name: &str, _ordinal: usize) -> Result<Self, BackendError> {
		Err(BackendError::NoCuda(name.into()))
	}

	/// This backend acting as a device `factor` (at least 1) times slower, to try a network of
	/// mixed hardware on one machine: it measures [`Backend::measure_gflops`] divided by
	/// `factor`, and [`Backend::keep_busy`] stretches each shard's training to match. The
	/// bytes it trains are the device's.
	pub fn slowed(self, factor: f64) -> Self {
		Self { slowdown: factor.max(1.0), ..self }
	}

	/// After `worked` of training on a [`Backend::slowed`] backend, block as long again as
	/// the slower device would still have taken; at once on any other.
	pub fn keep_busy(&self, worked: Duration) {
		if self.slowdown > 1.0 {
			std::thread::sleep(worked.mul_f64(self.slowdown - 1.0));
		}
	}

	/// The candle device.
	pub fn device(&self) -> &Device {
		&self.device
	}

	/// What kind of device it is, as registered on chain.
	pub fn kind(&self) -> DeviceKind {
		self.kind
	}

	/// The determinism class.
	pub fn class(&self) -> &str {
		&self.class
	}

	/// What this backend does to the parameters after each optimizer step: nothing on real
	/// hardware, a few ulps of deterministic rounding noise in the emulated class.
	pub(crate) fn after_step(&self, params: &super::Params) -> candle_core::Result<()> {
		#[cfg(feature = "emulated-class")]
		if self.emulated {
			return super::emulated::round(params);
		}
		let _ = params;
		Ok(())
	}

	/// The memory training can use, in MiB: the GPU's, or this machine's from `/proc/meminfo`
	/// (0 where it cannot be read).
	pub fn memory_mib(&self) -> u32 {
		#[cfg(feature = "cuda")]
		if let Device::Cuda(gpu) = &self.device {
			let bytes = gpu.cuda_stream().context().total_mem().unwrap_or(0);
			return u32::try_from(bytes >> 20).unwrap_or(u32::MAX);
		}
		host_memory_mib()
	}

	/// Measured f32 matmul throughput in GFLOP/s (a quarter of a second of 512×512 products).
	pub fn measure_gflops(&self) -> candle_core::Result<u32> {
		let n = 512;
		let a = Tensor::ones((n, n), candle_core::DType::F32, &self.device)?;
		let b = a.clone();
		self.device.synchronize()?;
		let started = Instant::now();
		let mut products = 0u64;
		while started.elapsed().as_secs_f64() < 0.25 {
			a.matmul(&b)?;
			products += 1;
			if products.is_multiple_of(64) {
				self.device.synchronize()?;
			}
		}
		self.device.synchronize()?;
		let flops = 2.0 * (n as f64).powi(3) * products as f64 / self.slowdown;
		Ok((flops / started.elapsed().as_secs_f64() / 1e9).round().max(1.0) as u32)
	}
}

/// The determinism class of a GPU, e.g. `cuda-sm90-132sm-a3` (with [`ARITHMETIC`]). cuBLAS promises the same bytes
/// run to run only on GPUs of one architecture with the same number of multiprocessors,
/// since its kernels are chosen by both.
#[cfg(feature = "cuda")]
fn cuda_class(device: &Device) -> candle_core::Result<String> {
	use candle_core::cuda_backend::cudarc::driver::sys::CUdevice_attribute as Attribute;
	let Device::Cuda(gpu) = device else { unreachable!("a CUDA device") };
	let stream = gpu.cuda_stream();
	let attribute = |which| stream.context().attribute(which).map_err(candle_core::Error::wrap);
	let major = attribute(Attribute::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?;
	let minor = attribute(Attribute::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?;
	let processors = attribute(Attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?;
	Ok(format!("cuda-sm{major}{minor}-{processors}sm-a{ARITHMETIC}"))
}

/// The version of the trainer's arithmetic, the last part of every CPU and GPU class name. A
/// release that changes the bytes a class computes (another reduction order, a fused kernel)
/// bumps it, so that workers and verifiers on either side of the change are never drawn into
/// one class, where each would find the other's honest bytes wrong.
///
/// - 1 (no suffix): candle's ops throughout.
/// - 2: layer norm, attention's causal softmax, GELU, biases and the cross-entropy as
///   `cohort_kernels`' fused ops (2026-12-07).
/// - 3: GELU's `Φ` and `φ` as straight-line arithmetic the compiler vectorizes (Abramowitz and
///   Stegun's erf, Cephes' `expf`) instead of `libm`'s (2026-12-07).
pub(super) const ARITHMETIC: u32 = 3;

/// The determinism class of this CPU. Of candle's CPU code only its matmul (the gemm crate)
/// computes differently from one machine to another, in two ways, and the class names both:
///
/// - the kernel gemm picks at run time: on x86-64 its AVX-512 kernel wherever the CPU has
///   AVX-512F (the workspace turns on gemm's `x86-v4` feature, which compiles it: on a
///   2-core Xeon the char transformer's products went from 128 to 167 GFLOP/s and its step
///   on one thread from 240 to 186 ms), else its FMA kernel wherever the CPU has FMA,
///   scalar code otherwise. The kernels' register blocks differ, and with them the order
///   their dot-product paths sum in, so each kernel is a class of its own;
/// - the block `kc` it cuts a long inner dimension into, sized from the L1 data cache it
///   detects (its size and ways, and on Linux the hardware threads that share it): 512 on a
///   32 KiB 8-way L1 (AMD Zen), more on larger ones. Partial sums over blocks of another
///   length round differently, so two such machines part at the first product whose inner
///   dimension exceeds 512 with an output over 64 × 64 (a weight gradient summed over a
///   batch of tokens, for one); models without one compute the same bits on both.
///
/// With [`ARITHMETIC`], for example `cpu-x86_64-avx512-kc512-a3`.
fn cpu_class() -> String {
	format!("{}-a{ARITHMETIC}", cpu_kernels())
}

/// The CPU's part of [`cpu_class`]: gemm's kernel and block.
fn cpu_kernels() -> String {
	#[cfg(target_arch = "x86_64")]
	{
		use gemm_f32::microkernel::{
			avx512f::f32 as avx512, fma::f32 as fma, scalar::f32 as scalar,
		};
		// The kernels' register blocks: gemm's `MR_DIV_N` times its f32 lanes (16 for AVX-512,
		// 8 for FMA). gemm tries them in this order.
		if std::arch::is_x86_feature_detected!("avx512f") {
			return format!("cpu-x86_64-avx512-kc{}", k_block(avx512::MR_DIV_N * 16, avx512::NR));
		}
		if std::arch::is_x86_feature_detected!("fma") {
			return format!("cpu-x86_64-fma-kc{}", k_block(fma::MR_DIV_N * 8, fma::NR));
		}
		format!("cpu-x86_64-kc{}", k_block(scalar::MR_DIV_N, scalar::NR))
	}
	#[cfg(target_arch = "aarch64")]
	{
		use gemm_f32::microkernel::neon::f32 as neon;
		format!("cpu-aarch64-kc{}", k_block(neon::MR_DIV_N * 4, neon::NR))
	}
	#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
	{
		use gemm_f32::microkernel::scalar::f32 as scalar;
		let arch = std::env::consts::ARCH;
		format!("cpu-{arch}-kc{}", k_block(scalar::MR_DIV_N, scalar::NR))
	}
}

/// The block gemm cuts a long inner dimension into on this machine, for a kernel of `mr × nr`
/// f32 registers: what it computes for a large product, from the caches it detected. (The
/// workspace takes gemm-common at candle's version, so this is the gemm that trains.)
fn k_block(mr: usize, nr: usize) -> usize {
	const LARGE: usize = 1 << 20;
	gemm_common::cache::kernel_params(4096, 4096, LARGE, mr, nr, std::mem::size_of::<f32>()).kc
}

/// This machine's memory in MiB, from `/proc/meminfo` (0 where it cannot be read).
fn host_memory_mib() -> u32 {
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
	use super::{Backend, BackendError};

	#[test]
	fn the_class_is_a_valid_chain_name_that_names_the_arithmetic() {
		let class = super::cpu_class();
		assert!(cohort_primitives::DeterminismClass::new(class.as_bytes()).is_some(), "{class}");
		assert!(class.ends_with(&format!("-a{}", super::ARITHMETIC)), "{class}");
	}

	#[test]
	fn devices_are_named_cpu_cuda_or_cuda_n() {
		assert_eq!(Backend::open("cpu").unwrap().class(), super::cpu_class());
		for name in ["gpu", "cuda:", "cuda:x", "CPU", ""] {
			assert!(matches!(Backend::open(name), Err(BackendError::Unknown(n)) if n == name));
		}
	}

	#[test]
	fn a_slowed_backend_stays_busy_as_long_again_as_the_slower_device_would() {
		let worked = std::time::Duration::from_millis(20);
		let started = std::time::Instant::now();
		Backend::cpu().slowed(3.0).keep_busy(worked);
		assert!(started.elapsed() >= worked * 2, "{:?}", started.elapsed());
		// Not slowed, or slowed below 1 (which no device is): no wait at all.
		let started = std::time::Instant::now();
		Backend::cpu().keep_busy(worked * 1000);
		Backend::cpu().slowed(0.5).keep_busy(worked * 1000);
		assert!(started.elapsed() < worked * 100);
	}

	#[cfg(not(feature = "cuda"))]
	#[test]
	fn a_cpu_build_refuses_cuda_by_name() {
		for name in ["cuda", "cuda:1"] {
			let error = Backend::open(name).unwrap_err();
			assert!(matches!(&error, BackendError::NoCuda(n) if n == name));
			assert!(error.to_string().contains("--features cuda"), "{error}");
		}
	}
}
