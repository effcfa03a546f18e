//! The canonical byte form of a model delta.
//!
//! ```text
//! magic   b"COHDELTA"                      8 bytes
//! version u32 LE (1)
//! count   u32 LE                           number of tensors
//! count × tensor, in strictly increasing name order:
//!   name_len u32 LE, name (UTF-8)
//!   rank     u32 LE, dims u64 LE × rank
//!   data     f32 LE × product(dims)
//! ```
//!
//! One delta has exactly one encoding, so equal deltas hash equally, and parsing refuses every
//! other byte string (unsorted or repeated names, sizes that do not add up, trailing bytes)
//! before it allocates more than the input's length.

use alloc::{borrow::Cow, string::String, vec::Vec};
use cohort_primitives::H256;
use thiserror::Error;

const MAGIC: &[u8; 8] = b"COHDELTA";
const VERSION: u32 = 1;
/// The most tensors a delta may hold.
pub const MAX_TENSORS: usize = 4096;
/// The longest tensor name, in bytes.
pub const MAX_NAME_LEN: usize = 256;
/// The highest tensor rank.
pub const MAX_RANK: usize = 8;

/// One named tensor of a delta.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
	/// The parameter's name (for example `block0.attn.qkv`, the first transformer block's
	/// query, key and value projection).
	pub name: String,
	/// Its shape.
	pub dims: Vec<usize>,
	/// Its values, row-major.
	pub data: Vec<f32>,
}

impl Tensor {
	/// This tensor, borrowed.
	pub fn view(&self) -> TensorView<'_> {
		TensorView { name: &self.name, dims: &self.dims, data: &self.data }
	}
}

/// A named tensor borrowed from wherever its values lie: a [`Tensor`], or a model's live
/// state on the CPU.
#[derive(Clone, Copy, Debug)]
pub struct TensorView<'a> {
	/// The name.
	pub name: &'a str,
	/// The shape.
	pub dims: &'a [usize],
	/// The values, row-major.
	pub data: &'a [f32],
}

/// The canonical bytes of a delta, as the pieces they are made of: the headers, written out,
/// and each tensor's values, borrowed where they lie on a little-endian machine (whose memory
/// holds `f32`s in their canonical bytes). A worker hashes its training state after every
/// inner step; joining the pieces into one blob first copies the whole state, and so did
/// copying the values off the model into a [`Delta`] (together 10–20 % of an MLP step).
pub struct CanonicalBytes<'a> {
	headers: Vec<u8>,
	/// Per tensor, in name order: where its header ends in `headers`, and its values' bytes.
	values: Vec<(usize, Cow<'a, [u8]>)>,
}

impl<'a> CanonicalBytes<'a> {
	/// The bytes of a delta of `tensors`, put in name order. Names and shapes are written as
	/// given, unchecked: they are a [`Delta`]'s, or a live model's, whose names and shapes
	/// [`Delta::new`] accepts.
	pub fn new(mut tensors: Vec<TensorView<'a>>) -> Self {
		tensors.sort_by(|a, b| a.name.cmp(b.name));
		let mut headers = Vec::new();
		headers.extend_from_slice(MAGIC);
		headers.extend_from_slice(&VERSION.to_le_bytes());
		headers.extend_from_slice(&(tensors.len() as u32).to_le_bytes());
		let mut values = Vec::with_capacity(tensors.len());
		for tensor in tensors {
			headers.extend_from_slice(&(tensor.name.len() as u32).to_le_bytes());
			headers.extend_from_slice(tensor.name.as_bytes());
			headers.extend_from_slice(&(tensor.dims.len() as u32).to_le_bytes());
			for dim in tensor.dims {
				headers.extend_from_slice(&(*dim as u64).to_le_bytes());
			}
			#[cfg(target_endian = "little")]
			let bytes = Cow::Borrowed(bytemuck::cast_slice(tensor.data));
			#[cfg(target_endian = "big")]
			let bytes = Cow::Owned(tensor.data.iter().flat_map(|v| v.to_le_bytes()).collect());
			values.push((headers.len(), bytes));
		}
		Self { headers, values }
	}

	/// The pieces, in order; joined, they are the canonical bytes.
	pub fn pieces(&self) -> Vec<&[u8]> {
		let mut pieces = Vec::with_capacity(2 * self.values.len() + 1);
		let mut header_from = 0;
		for (header_end, bytes) in &self.values {
			pieces.push(&self.headers[header_from..*header_end]);
			pieces.push(bytes.as_ref());
			header_from = *header_end;
		}
		pieces.push(&self.headers[header_from..]);
		pieces
	}

	/// The Merkle root of the canonical bytes, hashed in place.
	pub fn root(&self) -> H256 {
		crate::merkle::root_of_pieces(&self.pieces())
	}
}

/// A model delta (or a checkpoint: the format is the same), tensors in name order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Delta {
	tensors: Vec<Tensor>,
}

/// Why bytes are not a canonical delta, or tensors cannot form one.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DeltaError {
	/// The bytes do not start with `COHDELTA`.
	#[error("not a Cohort delta (bad magic)")]
	BadMagic,
	/// The format version is not the one this code writes.
	#[error("unsupported delta format version {0}")]
	UnsupportedVersion(u32),
	/// The bytes (of the length given) end before the header, a name, a shape or the data.
	#[error("the delta ends early, at byte {0}")]
	Truncated(usize),
	/// This many bytes follow the last tensor.
	#[error("{0} bytes follow the last tensor")]
	TrailingBytes(usize),
	/// More than [`MAX_TENSORS`] tensors.
	#[error("{0} tensors; at most {MAX_TENSORS}")]
	TooManyTensors(usize),
	/// A name that is empty, longer than [`MAX_NAME_LEN`] bytes, or not UTF-8.
	#[error("tensor `{0}`: name empty, longer than {MAX_NAME_LEN} bytes, or not UTF-8")]
	BadName(String),
	/// A name that does not come strictly after the previous one.
	#[error("tensor `{0}` comes out of name order or twice")]
	Unordered(String),
	/// A tensor of rank above [`MAX_RANK`].
	#[error("tensor `{name}`: rank {rank}, at most {MAX_RANK}")]
	RankTooHigh {
		/// The tensor.
		name: String,
		/// Its rank.
		rank: usize,
	},
	/// A shape whose element count is not the number of values.
	#[error("tensor `{name}`: shape {dims:?} does not match its {len} values")]
	ShapeMismatch {
		/// The tensor.
		name: String,
		/// Its shape.
		dims: Vec<usize>,
		/// How many values it holds.
		len: usize,
	},
}

impl Delta {
	/// A delta of `tensors`, sorted by name. Fails on repeated or malformed names, too many
	/// tensors, or a shape that does not match a tensor's data.
	pub fn new(mut tensors: Vec<Tensor>) -> Result<Self, DeltaError> {
		if tensors.len() > MAX_TENSORS {
			return Err(DeltaError::TooManyTensors(tensors.len()));
		}
		tensors.sort_by(|a, b| a.name.cmp(&b.name));
		for (i, tensor) in tensors.iter().enumerate() {
			check_name(&tensor.name)?;
			if i > 0 && tensors[i - 1].name == tensor.name {
				return Err(DeltaError::Unordered(tensor.name.clone()));
			}
			if tensor.dims.len() > MAX_RANK {
				return Err(DeltaError::RankTooHigh {
					name: tensor.name.clone(),
					rank: tensor.dims.len(),
				});
			}
			if element_count(&tensor.dims) != Some(tensor.data.len()) {
				return Err(DeltaError::ShapeMismatch {
					name: tensor.name.clone(),
					dims: tensor.dims.clone(),
					len: tensor.data.len(),
				});
			}
		}
		Ok(Self { tensors })
	}

	/// The tensors, in name order.
	pub fn tensors(&self) -> &[Tensor] {
		&self.tensors
	}

	/// Every value of every tensor, in the canonical order.
	pub fn values(&self) -> impl Iterator<Item = f32> + '_ {
		self.tensors.iter().flat_map(|t| t.data.iter().copied())
	}

	/// Whether `other` has the same names and shapes.
	pub fn same_layout(&self, other: &Delta) -> bool {
		self.tensors.len() == other.tensors.len()
			&& self
				.tensors
				.iter()
				.zip(&other.tensors)
				.all(|(a, b)| a.name == b.name && a.dims == b.dims)
	}

	/// This delta's layout with `values` (in canonical order) as data. `values` must hold
	/// exactly as many values as the delta.
	pub fn with_values(&self, values: &[f32]) -> Delta {
		let mut offset = 0;
		let tensors = self
			.tensors
			.iter()
			.map(|t| {
				let data = values[offset..offset + t.data.len()].to_vec();
				offset += t.data.len();
				Tensor { name: t.name.clone(), dims: t.dims.clone(), data }
			})
			.collect();
		assert_eq!(offset, values.len(), "with_values: value count differs from the layout");
		Delta { tensors }
	}

	/// The canonical bytes.
	pub fn to_bytes(&self) -> Vec<u8> {
		self.canonical().pieces().concat()
	}

	/// The canonical bytes as pieces, the values borrowed from this delta.
	pub fn canonical(&self) -> CanonicalBytes<'_> {
		CanonicalBytes::new(self.tensors.iter().map(Tensor::view).collect())
	}

	/// Parse canonical bytes; anything else is refused with the reason.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, DeltaError> {
		let mut reader = Reader { bytes, at: 0 };
		if reader.take(8)? != MAGIC {
			return Err(DeltaError::BadMagic);
		}
		let version = reader.u32()?;
		if version != VERSION {
			return Err(DeltaError::UnsupportedVersion(version));
		}
		let count = reader.u32()? as usize;
		if count > MAX_TENSORS {
			return Err(DeltaError::TooManyTensors(count));
		}
		let mut tensors: Vec<Tensor> = Vec::new();
		for _ in 0..count {
			let name_len = reader.u32()? as usize;
			let raw = reader.take(name_len)?;
			let name = String::from_utf8(raw.to_vec())
				.map_err(|_| DeltaError::BadName(String::from_utf8_lossy(raw).into_owned()))?;
			check_name(&name)?;
			if tensors.last().is_some_and(|last| last.name >= name) {
				return Err(DeltaError::Unordered(name));
			}
			let rank = reader.u32()? as usize;
			if rank > MAX_RANK {
				return Err(DeltaError::RankTooHigh { name, rank });
			}
			let dims = (0..rank)
				.map(|_| reader.u64().map(|d| d as usize))
				.collect::<Result<Vec<_>, _>>()?;
			// The data must fit in what is left before anything is allocated for it.
			let len = element_count(&dims)
				.filter(|n| n.checked_mul(4).is_some_and(|b| b <= reader.remaining()))
				.ok_or(DeltaError::Truncated(bytes.len()))?;
			let data = reader
				.take(4 * len)?
				.chunks_exact(4)
				.map(|b| f32::from_le_bytes(b.try_into().expect("chunks of 4")))
				.collect();
			tensors.push(Tensor { name, dims, data });
		}
		if reader.remaining() > 0 {
			return Err(DeltaError::TrailingBytes(reader.remaining()));
		}
		Ok(Self { tensors })
	}
}

fn check_name(name: &str) -> Result<(), DeltaError> {
	if name.is_empty() || name.len() > MAX_NAME_LEN {
		return Err(DeltaError::BadName(name.into()));
	}
	Ok(())
}

fn element_count(dims: &[usize]) -> Option<usize> {
	dims.iter().try_fold(1usize, |n, d| n.checked_mul(*d))
}

struct Reader<'a> {
	bytes: &'a [u8],
	at: usize,
}

impl<'a> Reader<'a> {
	fn take(&mut self, n: usize) -> Result<&'a [u8], DeltaError> {
		let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
		let end = end.ok_or(DeltaError::Truncated(self.bytes.len()))?;
		let slice = &self.bytes[self.at..end];
		self.at = end;
		Ok(slice)
	}

	fn u32(&mut self) -> Result<u32, DeltaError> {
		Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
	}

	fn u64(&mut self) -> Result<u64, DeltaError> {
		Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
	}

	fn remaining(&self) -> usize {
		self.bytes.len() - self.at
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn tensor(name: &str, dims: &[usize], first: f32) -> Tensor {
		let len = dims.iter().product();
		Tensor {
			name: name.into(),
			dims: dims.to_vec(),
			data: (0..len).map(|i| first + i as f32).collect(),
		}
	}

	fn sample() -> Delta {
		Delta::new(vec![
			tensor("w", &[2, 3], 0.5),
			tensor("b", &[3], -1.0),
			tensor("scalar", &[], 7.0),
		])
		.unwrap()
	}

	#[test]
	fn tensors_are_kept_in_name_order_whatever_the_input_order() {
		let names: Vec<_> = sample().tensors().iter().map(|t| t.name.clone()).collect();
		assert_eq!(names, ["b", "scalar", "w"]);
		let reversed = Delta::new(vec![
			tensor("scalar", &[], 7.0),
			tensor("w", &[2, 3], 0.5),
			tensor("b", &[3], -1.0),
		]);
		assert_eq!(reversed.unwrap().to_bytes(), sample().to_bytes());
	}

	#[test]
	fn the_byte_layout_is_the_documented_one() {
		let delta =
			Delta::new(vec![Tensor { name: "a".into(), dims: vec![2], data: vec![1.0, -2.0] }])
				.unwrap();
		let mut expected = b"COHDELTA".to_vec();
		expected.extend([1, 0, 0, 0, 1, 0, 0, 0]); // version 1, one tensor
		expected.extend([1, 0, 0, 0, b'a']); // name
		expected.extend([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]); // rank 1, dims [2]
		expected.extend(1.0f32.to_le_bytes());
		expected.extend((-2.0f32).to_le_bytes());
		assert_eq!(delta.to_bytes(), expected);
	}

	#[test]
	fn borrowed_tensors_in_any_order_hash_as_the_deltas_bytes() {
		let delta = sample();
		let root = crate::merkle::root(&delta.to_bytes());
		assert_eq!(delta.canonical().root(), root);
		let mut views: Vec<TensorView> = delta.tensors().iter().map(Tensor::view).collect();
		views.reverse();
		assert_eq!(CanonicalBytes::new(views).root(), root);
		assert_eq!(
			Delta::default().canonical().root(),
			crate::merkle::root(&Delta::default().to_bytes())
		);
	}

	#[test]
	fn bad_tensors_are_refused() {
		let twice = Delta::new(vec![tensor("a", &[1], 0.0), tensor("a", &[1], 0.0)]);
		assert_eq!(twice, Err(DeltaError::Unordered("a".into())));
		let wrong =
			Delta::new(vec![Tensor { name: "a".into(), dims: vec![3], data: vec![0.0; 2] }]);
		assert!(matches!(wrong, Err(DeltaError::ShapeMismatch { .. })));
		assert!(matches!(Delta::new(vec![tensor("", &[1], 0.0)]), Err(DeltaError::BadName(_))));
	}

	#[test]
	fn every_malformed_byte_string_is_refused_with_its_reason() {
		let good = sample().to_bytes();
		assert_eq!(Delta::from_bytes(b"NOTDELTA"), Err(DeltaError::BadMagic));
		let mut version = good.clone();
		version[8] = 2;
		assert_eq!(Delta::from_bytes(&version), Err(DeltaError::UnsupportedVersion(2)));
		assert!(matches!(
			Delta::from_bytes(&good[..good.len() - 1]),
			Err(DeltaError::Truncated(_))
		));
		let mut trailing = good.clone();
		trailing.push(0);
		assert_eq!(Delta::from_bytes(&trailing), Err(DeltaError::TrailingBytes(1)));
		// A shape claiming 2^40 values is refused before anything is allocated.
		let mut huge = b"COHDELTA".to_vec();
		huge.extend([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, b'a', 1, 0, 0, 0]);
		huge.extend((1u64 << 40).to_le_bytes());
		assert!(matches!(Delta::from_bytes(&huge), Err(DeltaError::Truncated(_))));
		// Names out of order: swap the first two tensors' bytes by building them by hand.
		let mut unordered = b"COHDELTA".to_vec();
		unordered.extend([1, 0, 0, 0, 2, 0, 0, 0]);
		for name in [b'b', b'a'] {
			unordered.extend([1, 0, 0, 0, name, 0, 0, 0, 0]);
			unordered.extend(0.0f32.to_le_bytes());
		}
		assert_eq!(Delta::from_bytes(&unordered), Err(DeltaError::Unordered("a".into())));
	}

	proptest! {
		#[test]
		fn bytes_round_trip(values in prop::collection::vec(any::<f32>(), 0..64), split in 0usize..64) {
			let split = split.min(values.len());
			let delta = Delta::new(vec![
				Tensor { name: "x".into(), dims: vec![split], data: values[..split].to_vec() },
				Tensor { name: "y".into(), dims: vec![values.len() - split], data: values[split..].to_vec() },
			]).unwrap();
			let back = Delta::from_bytes(&delta.to_bytes()).unwrap();
			prop_assert_eq!(back.to_bytes(), delta.to_bytes());
		}

		#[test]
		fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
			let _ = Delta::from_bytes(&bytes);
		}
	}
}
