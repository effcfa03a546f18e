//! The commitment seals: the one a worker commits before revealing its delta's Merkle root and
//! its training trajectory's root, and the one a validator commits before revealing its vote.

use crate::{DisputeId, Verdict};
use codec::Encode;
use sp_core::H256;

/// `blake3(root ‖ trajectory ‖ salt ‖ account)`, where `root` is the Merkle root of the
/// worker's delta, `trajectory` the root of its training states step by step (see
/// `cohort_formats::trajectory`), and `account` the SCALE encoding of the worker's account id
/// (the 32 raw bytes of an `AccountId32`).
///
/// The salt hides both roots until the reveal, so a worker cannot learn a replica's result from
/// its commitment; the account binds the seal to its author, so a worker that copies another's
/// seal cannot reveal it. The trajectory is bound before any replica's is seen, so that a
/// dispute can bisect two replicas' steps against roots neither chose after the fact.
pub fn seal(root: &H256, trajectory: &H256, salt: &H256, account: &[u8]) -> H256 {
	let mut hasher = blake3::Hasher::new();
	hasher.update(root.as_bytes());
	hasher.update(trajectory.as_bytes());
	hasher.update(salt.as_bytes());
	hasher.update(account);
	H256(*hasher.finalize().as_bytes())
}

/// `blake3(dispute ‖ verdict ‖ salt ‖ account)`: a validator's sealed vote, where `dispute` is
/// the dispute's id (8 bytes, little-endian), `verdict` its SCALE encoding (`0x00 ‖ root` for
/// `Correct(root)`, `0x01` for `NoneCorrect`) and `account` the voter's SCALE-encoded account id.
///
/// Votes are sealed while validators recompute, so that none can copy another's verdict and
/// share the reward without recomputing; the account binds the seal to its voter, so a copied
/// seal cannot be opened by the copier, and the dispute binds it to one dispute.
pub fn vote_seal(dispute: DisputeId, verdict: &Verdict, salt: &H256, account: &[u8]) -> H256 {
	let mut hasher = blake3::Hasher::new();
	hasher.update(&dispute.to_le_bytes());
	hasher.update(&verdict.encode());
	hasher.update(salt.as_bytes());
	hasher.update(account);
	H256(*hasher.finalize().as_bytes())
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A fixed vector (also what Python's `blake3` package gives for the same 128 bytes): a
	/// client's implementation must give the same bytes.
	#[test]
	fn seal_matches_the_published_vector() {
		let root = H256::repeat_byte(0x11);
		let trajectory = H256::repeat_byte(0x44);
		let salt = H256::repeat_byte(0x22);
		let account = [0x33u8; 32];
		let mut input = Vec::new();
		input.extend_from_slice(&[0x11; 32]);
		input.extend_from_slice(&[0x44; 32]);
		input.extend_from_slice(&[0x22; 32]);
		input.extend_from_slice(&[0x33; 32]);
		assert_eq!(seal(&root, &trajectory, &salt, &account).0, *blake3::hash(&input).as_bytes());
		assert_eq!(
			format!("{:?}", seal(&root, &trajectory, &salt, &account)),
			"0xfe6890e3efc3fca1ea8134067fc2b87c1e6e115f9784e4c35355c29d5ca48457"
		);
	}

	#[test]
	fn seal_binds_every_input() {
		let root = H256::repeat_byte(1);
		let salt = H256::repeat_byte(2);
		let trajectory = H256::repeat_byte(5);
		let base = seal(&root, &trajectory, &salt, &[3; 32]);
		assert_ne!(base, seal(&H256::repeat_byte(9), &trajectory, &salt, &[3; 32]));
		assert_ne!(base, seal(&root, &H256::repeat_byte(9), &salt, &[3; 32]));
		assert_ne!(base, seal(&root, &trajectory, &H256::repeat_byte(9), &[3; 32]));
		assert_ne!(base, seal(&root, &trajectory, &salt, &[4; 32]));
		// The two roots are not interchangeable.
		assert_ne!(base, seal(&trajectory, &root, &salt, &[3; 32]));
	}

	/// A fixed vector: a client's implementation must give the same bytes.
	#[test]
	fn vote_seal_matches_the_published_vector() {
		let root = H256::repeat_byte(0x11);
		let salt = H256::repeat_byte(0x22);
		let account = [0x33u8; 32];
		let mut input = 7u64.to_le_bytes().to_vec();
		input.push(0x00);
		input.extend_from_slice(&[0x11; 32]);
		input.extend_from_slice(&[0x22; 32]);
		input.extend_from_slice(&[0x33; 32]);
		let sealed = vote_seal(7, &Verdict::Correct(root), &salt, &account);
		assert_eq!(sealed.0, *blake3::hash(&input).as_bytes());
	}

	#[test]
	fn vote_seal_binds_every_input() {
		let verdict = Verdict::Correct(H256::repeat_byte(1));
		let salt = H256::repeat_byte(2);
		let base = vote_seal(1, &verdict, &salt, &[3; 32]);
		assert_ne!(base, vote_seal(2, &verdict, &salt, &[3; 32]));
		assert_ne!(base, vote_seal(1, &Verdict::NoneCorrect, &salt, &[3; 32]));
		assert_ne!(base, vote_seal(1, &Verdict::Correct(H256::repeat_byte(9)), &salt, &[3; 32]));
		assert_ne!(base, vote_seal(1, &verdict, &H256::repeat_byte(9), &[3; 32]));
		assert_ne!(base, vote_seal(1, &verdict, &salt, &[4; 32]));
	}
}
