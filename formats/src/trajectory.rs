//! The trajectory of a shard's training: the hash of the training state before the first inner
//! step and after each one, committed as one Merkle root.
//!
//! Two replicas that disagree about a shard find the first step where they part by revealing
//! the hash at a midpoint of the steps still in question, each with a proof against the root
//! its replica committed before seeing the other's; after `log2(steps)` such moves one step is
//! left, and that one step is all a verifier recomputes.
//!
//! ```text
//! leaves  h_0 … h_n                (h_i: the Merkle root of the state's bytes after step i)
//! node    blake3("cohort trajectory node" ‖ left ‖ right); an odd last node is carried up
//! root    blake3("cohort trajectory root" ‖ n + 1 as u32 LE ‖ top)
//! ```

use alloc::vec::Vec;
use cohort_primitives::H256;

const NODE: &[u8] = b"cohort trajectory node";
const ROOT: &[u8] = b"cohort trajectory root";

fn node(left: &H256, right: &H256) -> H256 {
	let mut hasher = blake3::Hasher::new();
	hasher.update(NODE);
	hasher.update(left.as_bytes());
	hasher.update(right.as_bytes());
	H256(*hasher.finalize().as_bytes())
}

fn seal_root(len: u32, top: &H256) -> H256 {
	let mut hasher = blake3::Hasher::new();
	hasher.update(ROOT);
	hasher.update(&len.to_le_bytes());
	hasher.update(top.as_bytes());
	H256(*hasher.finalize().as_bytes())
}

/// The next level of a tree: pairs hashed, an odd last node carried up as it is.
fn level_up(level: &[H256]) -> Vec<H256> {
	level
		.chunks(2)
		.map(|pair| match pair {
			[left, right] => node(left, right),
			[only] => *only,
			_ => unreachable!("chunks of two"),
		})
		.collect()
}

/// The root of the trajectory `leaves` (at least one).
pub fn root(leaves: &[H256]) -> H256 {
	assert!(!leaves.is_empty(), "a trajectory has at least the state before the first step");
	let mut level = leaves.to_vec();
	while level.len() > 1 {
		level = level_up(&level);
	}
	seal_root(leaves.len() as u32, &level[0])
}

/// Evidence that a leaf is at a place of a trajectory: the siblings on its way to the top,
/// lowest first (a level where its node is carried up has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
	/// The leaf's place, from 0 (the state before the first step).
	pub index: u32,
	/// How many leaves the trajectory has (steps + 1).
	pub len: u32,
	/// The siblings, lowest level first.
	pub siblings: Vec<H256>,
}

/// The proof of leaf `index` of `leaves`.
pub fn proof(leaves: &[H256], index: u32) -> Proof {
	assert!((index as usize) < leaves.len(), "the leaf is in the trajectory");
	let mut siblings = Vec::new();
	let mut level = leaves.to_vec();
	let mut at = index as usize;
	while level.len() > 1 {
		let sibling = at ^ 1;
		if sibling < level.len() {
			siblings.push(level[sibling]);
		}
		level = level_up(&level);
		at /= 2;
	}
	Proof { index, len: leaves.len() as u32, siblings }
}

/// Whether `leaf` is leaf `proof.index` of the trajectory whose root is `root`.
pub fn verify(root: &H256, leaf: &H256, proof: &Proof) -> bool {
	if proof.index >= proof.len {
		return false;
	}
	let (mut at, mut width) = (proof.index as usize, proof.len as usize);
	let mut siblings = proof.siblings.iter();
	let mut hash = *leaf;
	while width > 1 {
		let sibling = at ^ 1;
		if sibling < width {
			let Some(other) = siblings.next() else { return false };
			hash = if at % 2 == 0 { node(&hash, other) } else { node(other, &hash) };
		}
		at /= 2;
		width = width.div_ceil(2);
	}
	siblings.next().is_none() && seal_root(proof.len, &hash) == *root
}

#[cfg(test)]
mod tests {
	use super::*;

	fn leaves(n: usize) -> Vec<H256> {
		(0..n).map(|i| H256(*blake3::hash(&(i as u64).to_le_bytes()).as_bytes())).collect()
	}

	#[test]
	fn every_leaf_of_every_shape_proves_and_nothing_else_does() {
		for n in 1..=33 {
			let leaves = leaves(n);
			let root = root(&leaves);
			for (i, leaf) in leaves.iter().enumerate() {
				let proof = proof(&leaves, i as u32);
				assert!(verify(&root, leaf, &proof), "{n} leaves, leaf {i}");
				// Another leaf, place, length or sibling fails.
				let other = H256::repeat_byte(0xaa);
				assert!(!verify(&root, &other, &proof));
				if n > 1 {
					let moved = Proof { index: (proof.index + 1) % n as u32, ..proof.clone() };
					assert!(!verify(&root, leaf, &moved), "{n} leaves, leaf {i} moved");
				}
				let longer = Proof { len: proof.len + 1, ..proof.clone() };
				assert!(!verify(&root, leaf, &longer));
				if !proof.siblings.is_empty() {
					let mut bad = proof.clone();
					bad.siblings[0].0[0] ^= 1;
					assert!(!verify(&root, leaf, &bad));
					let mut short = proof.clone();
					short.siblings.pop();
					assert!(!verify(&root, leaf, &short));
				}
				let mut long = proof.clone();
				long.siblings.push(other);
				assert!(!verify(&root, leaf, &long));
			}
		}
	}

	#[test]
	fn the_root_commits_to_every_leaf_and_the_length() {
		let base = leaves(21);
		let root = root(&base);
		for i in 0..base.len() {
			let mut changed = base.clone();
			changed[i].0[31] ^= 1;
			assert_ne!(super::root(&changed), root, "leaf {i}");
		}
		assert_ne!(super::root(&base[..20]), root);
		// A single leaf is not its own root: the length and the tag are hashed in.
		assert_ne!(super::root(&base[..1]), base[0]);
	}
}
