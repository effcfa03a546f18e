//! The worker's RocksDB store: content-addressed blobs (datasets, shards, checkpoints,
//! deltas), and the worker's own protocol state.
//!
//! A blob is stored under its Merkle root and only after its bytes were checked against it,
//! so nothing read back from the store can be a blob other than the one asked for.
//!
//! A commitment is recorded (with its salt, synced to disk) *before* the extrinsic that
//! carries it is sent, and its stage moves forward as the chain confirms each step. A worker
//! killed at any point reopens the store and finds, for every slot, what it sealed and how far
//! it got: it never seals a second result for a slot (no double commit) and never loses the
//! salt it needs to reveal.

use crate::merkle;
use codec::{Decode, Encode};
use cohort_primitives::{BountyId, RoundIndex, ShardIndex, H256};
use rocksdb::{ColumnFamilyDescriptor, Options, WriteOptions, DB};
use std::path::{Path, PathBuf};
use thiserror::Error;

const BLOBS: &str = "blobs";
const COMMITMENTS: &str = "commitments";

/// What went wrong with the store.
#[derive(Debug, Error)]
pub enum StoreError {
	/// RocksDB failed.
	#[error("store at {path}: {source}")]
	Db {
		/// The store's directory.
		path: PathBuf,
		/// RocksDB's error.
		source: rocksdb::Error,
	},
	/// Bytes offered as a blob do not hash to its root.
	#[error("blob refused: its bytes hash to {actual:?}, not {expected:?}")]
	RootMismatch {
		/// The root they were offered as.
		expected: H256,
		/// The root they have.
		actual: H256,
	},
	/// A commitment record that does not decode; the string names it.
	#[error("the store's record for {0} is corrupt")]
	Corrupt(String),
}

/// How far a slot's commitment has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Encode, Decode)]
pub enum Stage {
	/// Trained and sealed; the commit extrinsic may or may not have reached the chain.
	Sealed,
	/// The chain holds the seal.
	Committed,
	/// The chain holds the revealed root.
	Revealed,
}

/// What a worker sealed for one slot: everything it needs to reveal and to serve the delta.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Commitment {
	/// The bounty.
	pub bounty: BountyId,
	/// The round.
	pub round: RoundIndex,
	/// The shard within the round.
	pub shard: ShardIndex,
	/// The checkpoint the delta was trained from.
	pub checkpoint: H256,
	/// The delta's Merkle root.
	pub root: H256,
	/// The hash of the training state before the first step and after each: the leaves of
	/// the trajectory root the seal binds, kept so that the worker can answer a bisection's
	/// moves without training again.
	pub trajectory: Vec<H256>,
	/// The salt of the seal.
	pub salt: H256,
	/// `blake3(root ‖ trajectory ‖ salt ‖ account)`.
	pub seal: H256,
	/// How far it got.
	pub stage: Stage,
}

impl Commitment {
	/// The root of [`Commitment::trajectory`], as sealed and revealed.
	pub fn trajectory_root(&self) -> H256 {
		crate::trajectory::root(&self.trajectory)
	}

	fn key(bounty: BountyId, round: RoundIndex, shard: ShardIndex) -> [u8; 16] {
		let mut key = [0u8; 16];
		key[..8].copy_from_slice(&bounty.to_be_bytes());
		key[8..12].copy_from_slice(&round.to_be_bytes());
		key[12..].copy_from_slice(&shard.to_be_bytes());
		key
	}
}

/// The store, open on one directory.
pub struct Store {
	db: DB,
	path: PathBuf,
}

impl Store {
	/// Open (or create) the store in `path`.
	pub fn open(path: &Path) -> Result<Self, StoreError> {
		let mut options = Options::default();
		options.create_if_missing(true);
		options.create_missing_column_families(true);
		let families =
			[BLOBS, COMMITMENTS].map(|name| ColumnFamilyDescriptor::new(name, Options::default()));
		let db = DB::open_cf_descriptors(&options, path, families)
			.map_err(|source| StoreError::Db { path: path.to_path_buf(), source })?;
		Ok(Self { db, path: path.to_path_buf() })
	}

	fn db_error(&self, source: rocksdb::Error) -> StoreError {
		StoreError::Db { path: self.path.clone(), source }
	}

	fn family(&self, name: &str) -> &rocksdb::ColumnFamily {
		self.db.cf_handle(name).expect("opened with every column family")
	}

	/// Store `bytes` under their Merkle root; returns the root.
	pub fn put_blob(&self, bytes: &[u8]) -> Result<H256, StoreError> {
		let root = merkle::root(bytes);
		self.db.put_cf(self.family(BLOBS), root.as_bytes(), bytes).map_err(|e| self.db_error(e))?;
		Ok(root)
	}

	/// Store `bytes` fetched as the blob `expected`, refusing them unless they hash to it.
	pub fn put_verified_blob(&self, expected: &H256, bytes: &[u8]) -> Result<(), StoreError> {
		let actual = merkle::root(bytes);
		if actual != *expected {
			return Err(StoreError::RootMismatch { expected: *expected, actual });
		}
		self.db.put_cf(self.family(BLOBS), actual.as_bytes(), bytes).map_err(|e| self.db_error(e))
	}

	/// The blob whose root is `root`, if stored.
	pub fn blob(&self, root: &H256) -> Result<Option<Vec<u8>>, StoreError> {
		self.db.get_cf(self.family(BLOBS), root.as_bytes()).map_err(|e| self.db_error(e))
	}

	/// Record `commitment` (replacing the slot's earlier record), synced to disk before this
	/// returns: call it before sending the extrinsic it describes.
	pub fn record(&self, commitment: &Commitment) -> Result<(), StoreError> {
		let key = Commitment::key(commitment.bounty, commitment.round, commitment.shard);
		let mut sync = WriteOptions::default();
		sync.set_sync(true);
		self.db
			.put_cf_opt(self.family(COMMITMENTS), key, commitment.encode(), &sync)
			.map_err(|e| self.db_error(e))
	}

	/// What was sealed for a slot, if anything.
	pub fn commitment(
		&self,
		bounty: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
	) -> Result<Option<Commitment>, StoreError> {
		let key = Commitment::key(bounty, round, shard);
		let Some(bytes) =
			self.db.get_cf(self.family(COMMITMENTS), key).map_err(|e| self.db_error(e))?
		else {
			return Ok(None);
		};
		Commitment::decode(&mut &bytes[..]).map(Some).map_err(|_| {
			StoreError::Corrupt(format!("bounty {bounty} round {round} shard {shard}"))
		})
	}

	/// Every commitment not revealed yet, in (bounty, round, shard) order: the work a
	/// restarted worker picks up.
	pub fn unrevealed(&self) -> Result<Vec<Commitment>, StoreError> {
		let mut pending = Vec::new();
		for entry in self.db.iterator_cf(self.family(COMMITMENTS), rocksdb::IteratorMode::Start) {
			let (key, bytes) = entry.map_err(|e| self.db_error(e))?;
			let commitment = Commitment::decode(&mut &bytes[..])
				.map_err(|_| StoreError::Corrupt(format!("commitment key {key:?}")))?;
			if commitment.stage < Stage::Revealed {
				pending.push(commitment);
			}
		}
		Ok(pending)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::seal;

	fn commitment(shard: ShardIndex, stage: Stage) -> Commitment {
		let root = H256::repeat_byte(shard as u8);
		let trajectory = vec![H256::repeat_byte(1), H256::repeat_byte(2)];
		let salt = H256::repeat_byte(0x5a);
		Commitment {
			bounty: 1,
			round: 2,
			shard,
			checkpoint: H256::repeat_byte(0xc0),
			root,
			seal: seal(&root, &crate::trajectory::root(&trajectory), &salt, &[7; 32]),
			trajectory,
			salt,
			stage,
		}
	}

	#[test]
	fn blobs_are_stored_under_their_root_and_wrong_bytes_are_refused() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(dir.path()).unwrap();
		let root = store.put_blob(b"a delta").unwrap();
		assert_eq!(root, merkle::root(b"a delta"));
		assert_eq!(store.blob(&root).unwrap().as_deref(), Some(&b"a delta"[..]));
		let refused = store.put_verified_blob(&root, b"another delta");
		assert!(
			matches!(refused, Err(StoreError::RootMismatch { expected, .. }) if expected == root)
		);
		assert!(store.blob(&merkle::root(b"another delta")).unwrap().is_none());
		store.put_verified_blob(&merkle::root(b"fetched"), b"fetched").unwrap();
	}

	#[test]
	fn commitments_survive_a_restart_and_show_what_is_left_to_reveal() {
		let dir = tempfile::tempdir().unwrap();
		{
			let store = Store::open(dir.path()).unwrap();
			store.record(&commitment(0, Stage::Sealed)).unwrap();
			store.record(&commitment(1, Stage::Committed)).unwrap();
			store.record(&commitment(2, Stage::Committed)).unwrap();
			store.record(&commitment(2, Stage::Revealed)).unwrap();
			// Dropped here as if the process died: nothing is flushed by a clean shutdown.
		}
		let store = Store::open(dir.path()).unwrap();
		assert_eq!(store.commitment(1, 2, 1).unwrap(), Some(commitment(1, Stage::Committed)));
		assert_eq!(store.commitment(1, 2, 9).unwrap(), None);
		let pending = store.unrevealed().unwrap();
		assert_eq!(pending, vec![commitment(0, Stage::Sealed), commitment(1, Stage::Committed)]);
	}

	#[test]
	fn a_corrupt_record_is_reported_not_misread() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(dir.path()).unwrap();
		let key = Commitment::key(1, 2, 3);
		store.db.put_cf(store.family(COMMITMENTS), key, [1, 2, 3]).unwrap();
		assert!(matches!(store.commitment(1, 2, 3), Err(StoreError::Corrupt(_))));
		assert!(matches!(store.unrevealed(), Err(StoreError::Corrupt(_))));
	}

	#[test]
	fn opening_an_unusable_path_names_it() {
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("not-a-dir");
		std::fs::write(&file, b"x").unwrap();
		let error = Store::open(&file).err().expect("a file is not a store");
		assert!(error.to_string().contains("not-a-dir"), "{error}");
	}
}
