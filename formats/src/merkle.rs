//! The blake3 Merkle tree over a blob's fixed-size chunks.
//!
//! Leaves are the [`CHUNK_SIZE`]-byte chunks of the blob (the last may be shorter; an empty
//! blob has one empty chunk). Each level pairs neighbours left to right; an odd node out moves
//! up unchanged. Leaves, inner nodes and the root use distinct blake3 derive-key contexts, and
//! the root binds the blob's length, so no two blobs share a root and a proof cannot pass an
//! inner node off as a chunk:
//!
//! ```text
//! leaf  = blake3_derive("cohort merkle leaf v1", chunk)
//! node  = blake3_derive("cohort merkle node v1", left ‖ right)
//! root  = blake3_derive("cohort merkle root v1", len as u64 LE ‖ top)
//! ```
//!
//! The root is what a worker commits (inside its seal) and reveals on chain, and what peers
//! address the blob by; a [`Proof`] shows one chunk belongs to a root without the rest.

use alloc::{vec, vec::Vec};
use cohort_primitives::H256;
#[cfg(feature = "std")]
use rayon::prelude::*;
use thiserror::Error;

/// Bytes per leaf: 64 KiB, the unit of a chunk request between peers.
pub const CHUNK_SIZE: usize = 64 * 1024;

const LEAF: &str = "cohort merkle leaf v1";
const NODE: &str = "cohort merkle node v1";
const ROOT: &str = "cohort merkle root v1";

fn leaf(chunk: &[u8]) -> [u8; 32] {
	*blake3::Hasher::new_derive_key(LEAF).update(chunk).finalize().as_bytes()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
	*blake3::Hasher::new_derive_key(NODE).update(left).update(right).finalize().as_bytes()
}

fn seal_root(len: u64, top: &[u8; 32]) -> H256 {
	H256(
		*blake3::Hasher::new_derive_key(ROOT)
			.update(&len.to_le_bytes())
			.update(top)
			.finalize()
			.as_bytes(),
	)
}

/// A blob given as the pieces it is the concatenation of: one slice, or a header and values
/// that lie apart in memory (a training state hashed after every step, where joining the
/// pieces into one blob first would copy the whole state each time).
struct Pieces<'a> {
	pieces: &'a [&'a [u8]],
	/// Where each piece starts in the blob.
	starts: Vec<usize>,
	len: usize,
}

impl<'a> Pieces<'a> {
	fn new(pieces: &'a [&'a [u8]]) -> Self {
		let mut starts = Vec::with_capacity(pieces.len());
		let mut len = 0;
		for piece in pieces {
			starts.push(len);
			len += piece.len();
		}
		Self { pieces, starts, len }
	}

	/// The hash of leaf `index`, the blob's bytes `[index · CHUNK_SIZE, …)`, fed to blake3
	/// piece by piece: the same hash as of the joined bytes.
	fn leaf(&self, index: usize) -> [u8; 32] {
		let (from, to) = (index * CHUNK_SIZE, ((index + 1) * CHUNK_SIZE).min(self.len));
		let mut hasher = blake3::Hasher::new_derive_key(LEAF);
		// The last piece starting at or before `from`; empty pieces are stepped over below.
		let mut piece = self.starts.partition_point(|&start| start <= from).saturating_sub(1);
		let mut at = from;
		while at < to {
			let offset = at - self.starts[piece];
			let bytes = &self.pieces[piece][offset..];
			let take = bytes.len().min(to - at);
			hasher.update(&bytes[..take]);
			at += take;
			piece += 1;
		}
		*hasher.finalize().as_bytes()
	}

	/// The leaf hashes, in chunk order. With `std` the leaves are hashed in parallel; the
	/// result does not depend on how the work is split.
	fn leaves(&self) -> Vec<[u8; 32]> {
		if self.len == 0 {
			return vec![leaf(&[])];
		}
		let count = self.len.div_ceil(CHUNK_SIZE);
		#[cfg(feature = "std")]
		return (0..count).into_par_iter().map(|index| self.leaf(index)).collect();
		#[cfg(not(feature = "std"))]
		return (0..count).map(|index| self.leaf(index)).collect();
	}
}

/// How many leaves a blob of `len` bytes has.
pub fn leaf_count(len: u64) -> u64 {
	len.div_ceil(CHUNK_SIZE as u64).max(1)
}

/// The tree of one blob, every level kept so that proofs can be cut from it.
pub struct MerkleTree {
	len: u64,
	/// `levels[0]` are the leaves, the last level holds the top node alone.
	levels: Vec<Vec<[u8; 32]>>,
}

impl MerkleTree {
	/// Hash `blob` (its leaves in parallel with `std`).
	pub fn new(blob: &[u8]) -> Self {
		Self::of_pieces(&[blob])
	}

	/// The tree of the blob that `pieces` joined make, without joining them.
	pub fn of_pieces(pieces: &[&[u8]]) -> Self {
		let pieces = Pieces::new(pieces);
		let mut levels = vec![pieces.leaves()];
		while levels.last().expect("one level at least").len() > 1 {
			let below = levels.last().expect("one level at least");
			let above = below
				.chunks(2)
				.map(|pair| match pair {
					[left, right] => node(left, right),
					[odd] => *odd,
					_ => unreachable!("chunks(2)"),
				})
				.collect();
			levels.push(above);
		}
		Self { len: pieces.len as u64, levels }
	}

	/// The root a worker commits and peers address the blob by.
	pub fn root(&self) -> H256 {
		seal_root(self.len, &self.levels.last().expect("one level at least")[0])
	}

	/// The proof that chunk `index` belongs to this tree; `None` past the last chunk.
	pub fn proof(&self, index: u64) -> Option<Proof> {
		if index >= self.levels[0].len() as u64 {
			return None;
		}
		let mut siblings = Vec::new();
		let mut at = index as usize;
		for level in &self.levels[..self.levels.len() - 1] {
			let sibling = at ^ 1;
			if sibling < level.len() {
				siblings.push(level[sibling]);
			}
			at /= 2;
		}
		Some(Proof { len: self.len, index, siblings })
	}
}

/// The root of `blob`, without keeping the tree.
pub fn root(blob: &[u8]) -> H256 {
	MerkleTree::new(blob).root()
}

/// The root of the blob that `pieces` joined make, without joining them.
pub fn root_of_pieces(pieces: &[&[u8]]) -> H256 {
	MerkleTree::of_pieces(pieces).root()
}

/// Evidence that one chunk belongs to a root.
#[derive(Clone, Debug, PartialEq, Eq, codec::Encode, codec::Decode)]
pub struct Proof {
	/// The whole blob's length, which fixes the tree's shape.
	pub len: u64,
	/// Which chunk.
	pub index: u64,
	/// The siblings from the leaf's level up, skipping levels where the node had none.
	pub siblings: Vec<[u8; 32]>,
}

/// Why a chunk was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProofError {
	/// The proof names a chunk past the end of the blob.
	#[error("chunk {index} does not exist in a blob of {len} bytes")]
	NoSuchChunk {
		/// The chunk the proof names.
		index: u64,
		/// The blob's length the proof claims.
		len: u64,
	},
	/// The chunk is not as long as that chunk of a blob of the proof's length.
	#[error("chunk {index} has {actual} bytes where {expected} are due")]
	WrongChunkSize {
		/// The chunk.
		index: u64,
		/// Its length in a blob of the proof's length.
		expected: u64,
		/// The length received.
		actual: u64,
	},
	/// The proof has more or fewer siblings than the tree's shape calls for.
	#[error("the proof has {actual} siblings where {expected} are due")]
	WrongProofLength {
		/// The siblings the shape calls for (or, for a short proof, at least this many).
		expected: usize,
		/// The siblings the proof has.
		actual: usize,
	},
	/// The chunk and its siblings hash to another root.
	#[error("chunk {index} does not hash to root {root:?}")]
	RootMismatch {
		/// The chunk.
		index: u64,
		/// The root it was checked against.
		root: H256,
	},
}

impl Proof {
	/// Check that `chunk` is chunk `self.index` of the blob whose root is `root`.
	pub fn verify(&self, root: &H256, chunk: &[u8]) -> Result<(), ProofError> {
		let leaves = leaf_count(self.len);
		if self.index >= leaves {
			return Err(ProofError::NoSuchChunk { index: self.index, len: self.len });
		}
		let expected = (self.len - self.index * CHUNK_SIZE as u64).min(CHUNK_SIZE as u64);
		if chunk.len() as u64 != expected {
			return Err(ProofError::WrongChunkSize {
				index: self.index,
				expected,
				actual: chunk.len() as u64,
			});
		}
		// Walk up the tree's shape: at each level the node either has a sibling or moves up.
		let mut hash = leaf(chunk);
		let mut at = self.index;
		let mut width = leaves;
		let mut siblings = self.siblings.iter();
		let mut used = 0;
		while width > 1 {
			let sibling = at ^ 1;
			if sibling < width {
				let Some(other) = siblings.next() else {
					return Err(ProofError::WrongProofLength {
						expected: used + 1,
						actual: self.siblings.len(),
					});
				};
				used += 1;
				hash = if at.is_multiple_of(2) { node(&hash, other) } else { node(other, &hash) };
			}
			at /= 2;
			width = width.div_ceil(2);
		}
		if used != self.siblings.len() {
			return Err(ProofError::WrongProofLength {
				expected: used,
				actual: self.siblings.len(),
			});
		}
		if seal_root(self.len, &hash) != *root {
			return Err(ProofError::RootMismatch { index: self.index, root: *root });
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn blob(len: usize) -> Vec<u8> {
		(0..len).map(|i| (i * 31 % 251) as u8).collect()
	}

	fn chunk(blob: &[u8], index: u64) -> &[u8] {
		let start = index as usize * CHUNK_SIZE;
		&blob[start..(start + CHUNK_SIZE).min(blob.len())]
	}

	#[test]
	fn pieces_hash_as_the_blob_they_join_into() {
		let data = blob(3 * CHUNK_SIZE + 100);
		let expected: Vec<[u8; 32]> = data.chunks(CHUNK_SIZE).map(leaf).collect();
		// Cuts inside a chunk, on a chunk's edge, next to each other (an empty piece), at
		// both ends, and a piece spanning several chunks.
		for cuts in [
			vec![],
			vec![0, 0, data.len()],
			vec![12, 40, CHUNK_SIZE, CHUNK_SIZE, 2 * CHUNK_SIZE + 5],
			vec![CHUNK_SIZE - 1, 3 * CHUNK_SIZE + 99],
		] {
			let mut pieces = Vec::new();
			let mut from = 0;
			for cut in cuts {
				pieces.push(&data[from..cut]);
				from = cut;
			}
			pieces.push(&data[from..]);
			assert_eq!(Pieces::new(&pieces).leaves(), expected, "{}", pieces.len());
			assert_eq!(root_of_pieces(&pieces), root(&data));
		}
		assert_eq!(root_of_pieces(&[]), root(&[]));
		assert_eq!(root_of_pieces(&[&[], &[]]), root(&[]));
	}

	#[test]
	fn every_chunk_of_every_shape_proves_against_the_root() {
		// Sizes that give 1, 2, 3, 5 and 8 leaves, with and without a short last chunk.
		for len in
			[0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 5 * CHUNK_SIZE - 7, 8 * CHUNK_SIZE]
		{
			let data = blob(len);
			let tree = MerkleTree::new(&data);
			assert_eq!(tree.root(), root(&data));
			for index in 0..leaf_count(len as u64) {
				let proof = tree.proof(index).unwrap();
				assert_eq!(
					proof.verify(&tree.root(), chunk(&data, index)),
					Ok(()),
					"len {len} index {index}"
				);
			}
			assert!(tree.proof(leaf_count(len as u64)).is_none());
		}
	}

	#[test]
	fn tampered_chunks_and_proofs_are_refused() {
		let data = blob(5 * CHUNK_SIZE - 7);
		let tree = MerkleTree::new(&data);
		let root = tree.root();
		let proof = tree.proof(2).unwrap();
		let mut bad = chunk(&data, 2).to_vec();
		bad[100] ^= 1;
		assert_eq!(proof.verify(&root, &bad), Err(ProofError::RootMismatch { index: 2, root }));
		assert_eq!(
			proof.verify(&root, &bad[1..]),
			Err(ProofError::WrongChunkSize {
				index: 2,
				expected: CHUNK_SIZE as u64,
				actual: CHUNK_SIZE as u64 - 1
			})
		);
		let mut sibling = proof.clone();
		sibling.siblings[0][0] ^= 1;
		assert!(matches!(
			sibling.verify(&root, chunk(&data, 2)),
			Err(ProofError::RootMismatch { .. })
		));
		let mut moved = proof.clone();
		moved.index = 3;
		assert!(moved.verify(&root, chunk(&data, 3)).is_err());
		let mut short = proof.clone();
		short.siblings.pop();
		assert!(matches!(
			short.verify(&root, chunk(&data, 2)),
			Err(ProofError::WrongProofLength { .. })
		));
		let mut long = proof.clone();
		long.siblings.push([0; 32]);
		assert!(matches!(
			long.verify(&root, chunk(&data, 2)),
			Err(ProofError::WrongProofLength { .. })
		));
		let mut lying_len = proof;
		lying_len.len += 1;
		assert!(lying_len.verify(&root, chunk(&data, 2)).is_err());
	}

	#[test]
	fn roots_bind_length_and_content() {
		assert_ne!(root(&[]), root(&[0]));
		assert_ne!(root(&blob(CHUNK_SIZE)), root(&blob(CHUNK_SIZE + 1)));
		// A blob that is two leaf hashes must not share a root with the pair it hashes.
		let data = blob(2 * CHUNK_SIZE);
		let pair = [leaf(chunk(&data, 0)), leaf(chunk(&data, 1))].concat();
		assert_ne!(root(&pair), root(&data));
	}

	/// Fixed vectors, computed independently with Python's `blake3` package: one leaf, and two
	/// leaves (a full chunk and a short one) under one node.
	#[test]
	fn roots_match_an_independent_implementation() {
		assert_eq!(
			format!("{:?}", root(b"cohort")),
			"0x754c54d97a99ba5e300c0eb7ae803edac14a5fc81aa21e6158f8a987a6986a14"
		);
		assert_eq!(
			format!("{:?}", root(&[7; CHUNK_SIZE + 3])),
			"0x846a17938875224713bad6c39db1e92bf03cdae0e676ab2da300ded1d93a77b9"
		);
	}
}
