//! What a worker offers and what a bounty asks of the workers it is assigned.

use crate::chain_type;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{bounded::BoundedVec, ConstU32};

chain_type! {
	/// The kind of device a worker trains on.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub enum DeviceKind {
		/// A CPU.
		Cpu,
		/// An NVIDIA GPU through CUDA.
		Cuda,
		/// An Apple GPU through Metal.
		Metal,
	}
}

/// The longest determinism class name, in bytes.
pub const MAX_CLASS_LEN: u32 = 32;

/// Workers of one determinism class produce bit-identical results for the same work (for
/// example `cpu-x86_64-fma` or `cuda-sm90`); replicas of a shard are drawn from one class so
/// that honest results hash equally. A name is 1 to 32 bytes of `a-z`, `0-9`, `-`, `_` or `.`.
#[derive(
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct DeterminismClass(pub BoundedVec<u8, ConstU32<MAX_CLASS_LEN>>);

impl DeterminismClass {
	/// The class named `name`, if the name is well formed.
	pub fn new(name: &[u8]) -> Option<Self> {
		let class = Self(name.to_vec().try_into().ok()?);
		class.is_well_formed().then_some(class)
	}

	/// Whether the name is non-empty and uses only the allowed characters.
	pub fn is_well_formed(&self) -> bool {
		!self.0.is_empty()
			&& self.0.iter().all(|b| {
				b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
			})
	}

	/// The name's bytes.
	pub fn as_bytes(&self) -> &[u8] {
		&self.0
	}
}

#[cfg(feature = "std")]
impl serde::Serialize for DeterminismClass {
	fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
		serializer.serialize_str(&String::from_utf8_lossy(&self.0))
	}
}

#[cfg(feature = "std")]
impl<'de> serde::Deserialize<'de> for DeterminismClass {
	fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
		let name = String::deserialize(deserializer)?;
		Self::new(name.as_bytes())
			.ok_or_else(|| serde::de::Error::custom(format!("invalid determinism class `{name}`")))
	}
}

chain_type! {
	/// What a worker declares when it registers.
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub struct Capabilities {
		/// The device it trains on.
		pub device: DeviceKind,
		/// Device memory in MiB.
		pub memory_mib: u32,
		/// Throughput the worker measured with its own benchmark, in GFLOP/s.
		pub gflops: u32,
		/// Which workers produce the same bytes as this one.
		pub class: DeterminismClass,
	}
}

chain_type! {
	/// The least a bounty accepts of the workers it is assigned.
	#[derive(Default)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub struct Requirements {
		/// Only this kind of device, if set.
		pub device: Option<DeviceKind>,
		/// At least this much device memory, in MiB.
		pub min_memory_mib: u32,
		/// At least this throughput, in GFLOP/s.
		pub min_gflops: u32,
		/// Only this determinism class, if set; otherwise each round uses the class with the most
		/// eligible workers.
		pub class: Option<DeterminismClass>,
	}
}

impl Requirements {
	/// Whether a worker with `capabilities` may be assigned.
	pub fn admits(&self, capabilities: &Capabilities) -> bool {
		self.device.is_none_or(|device| device == capabilities.device)
			&& capabilities.memory_mib >= self.min_memory_mib
			&& capabilities.gflops >= self.min_gflops
			&& self.class.as_ref().is_none_or(|class| *class == capabilities.class)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn caps() -> Capabilities {
		Capabilities {
			device: DeviceKind::Cpu,
			memory_mib: 4096,
			gflops: 50,
			class: DeterminismClass::new(b"cpu-x86_64-fma").unwrap(),
		}
	}

	#[test]
	fn class_names_are_checked() {
		assert!(DeterminismClass::new(b"cuda-sm90").is_some());
		assert!(DeterminismClass::new(b"").is_none());
		assert!(DeterminismClass::new(b"CPU").is_none());
		assert!(DeterminismClass::new(b"cpu x86").is_none());
		assert!(DeterminismClass::new(&[b'a'; 33]).is_none());
	}

	#[test]
	fn requirements_admit_only_fitting_workers() {
		assert!(Requirements::default().admits(&caps()));
		let strict = Requirements {
			device: Some(DeviceKind::Cpu),
			min_memory_mib: 4096,
			min_gflops: 50,
			class: DeterminismClass::new(b"cpu-x86_64-fma"),
		};
		assert!(strict.admits(&caps()));
		assert!(!Requirements { device: Some(DeviceKind::Cuda), ..strict.clone() }.admits(&caps()));
		assert!(!Requirements { min_memory_mib: 4097, ..strict.clone() }.admits(&caps()));
		assert!(!Requirements { min_gflops: 51, ..strict.clone() }.admits(&caps()));
		assert!(
			!Requirements { class: DeterminismClass::new(b"cuda-sm90"), ..strict }.admits(&caps())
		);
	}

	#[test]
	fn capabilities_round_trip_through_json() {
		let json = serde_json::to_string(&caps()).unwrap();
		assert_eq!(
			json,
			r#"{"device":"cpu","memoryMib":4096,"gflops":50,"class":"cpu-x86_64-fma"}"#
		);
		assert_eq!(serde_json::from_str::<Capabilities>(&json).unwrap(), caps());
	}
}
