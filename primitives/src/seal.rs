//! The commitment seal a worker commits before revealing its delta's Merkle root.

use sp_core::H256;

/// `blake3(root ‖ salt ‖ account)`, where `account` is the SCALE encoding of the worker's
/// account id (the 32 raw bytes of an `AccountId32`).
///
/// The salt hides the root until the reveal, so a worker cannot learn a replica's result from
/// its commitment; the account binds the seal to its author, so a worker that copies another's
/// seal cannot reveal it.
pub fn seal(root: &H256, salt: &H256, account: &[u8]) -> H256 {
	let mut hasher = blake3::Hasher::new();
	hasher.update(root.as_bytes());
	hasher.update(salt.as_bytes());
	hasher.update(account);
	H256(*hasher.finalize().as_bytes())
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A fixed vector (also what Python's `blake3` package gives for the same 96 bytes): the
	/// worker's implementation must give the same bytes.
	#[test]
	fn seal_matches_the_published_vector() {
		let root = H256::repeat_byte(0x11);
		let salt = H256::repeat_byte(0x22);
		let account = [0x33u8; 32];
		let mut input = Vec::new();
		input.extend_from_slice(&[0x11; 32]);
		input.extend_from_slice(&[0x22; 32]);
		input.extend_from_slice(&[0x33; 32]);
		assert_eq!(seal(&root, &salt, &account).0, *blake3::hash(&input).as_bytes());
		assert_eq!(
			format!("{:?}", seal(&root, &salt, &account)),
			"0xd0e076981b7a8772dd5ae38e3cae51aa06572b2c84a7b1c937b59015972bd538"
		);
	}

	#[test]
	fn seal_binds_every_input() {
		let root = H256::repeat_byte(1);
		let salt = H256::repeat_byte(2);
		let base = seal(&root, &salt, &[3; 32]);
		assert_ne!(base, seal(&H256::repeat_byte(9), &salt, &[3; 32]));
		assert_ne!(base, seal(&root, &H256::repeat_byte(9), &[3; 32]));
		assert_ne!(base, seal(&root, &salt, &[4; 32]));
	}
}
