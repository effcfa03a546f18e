//! The worker's keys: an sr25519 account key that signs its extrinsics, and an ed25519 libp2p
//! key whose public half is the peer id it registers on chain.
//!
//! A key file is JSON, written with mode 0600:
//!
//! ```json
//! { "secretUri": "<12-word phrase or //Dev URI>", "peerSecret": "0x<32 bytes>",
//!   "ss58Address": "5…", "peerId": "12D3…" }
//! ```
//!
//! The address and peer id are there for people to read; they are recomputed from the secrets
//! on load and a file where they disagree is refused. A dev secret URI (`//Alice`) may be used
//! without a file: its peer key is derived from the URI, so a dev worker keeps its peer id
//! across restarts.

use libp2p::{identity, PeerId};
use serde::{Deserialize, Serialize};
use sp_core::{
	crypto::{Ss58Codec, Zeroize},
	sr25519, Pair,
};
use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
};
use thiserror::Error;

/// What is wrong with a key or key file.
#[derive(Debug, Error)]
pub enum KeyError {
	/// The key file cannot be read.
	#[error("cannot read key file {path}: {source}")]
	Read {
		/// The file.
		path: PathBuf,
		/// Why.
		source: std::io::Error,
	},
	/// The file is not a key file's JSON, or its peer secret is not 32 hex bytes.
	#[error("key file {path} is not a Cohort key file: {reason}")]
	Format {
		/// The file.
		path: PathBuf,
		/// What is wrong with it.
		reason: String,
	},
	/// The secret URI is not a phrase, a phrase with a derivation path, or a dev URI.
	#[error("invalid secret URI: {0}")]
	SecretUri(String),
	/// The file's address or peer id is not the one its secrets give.
	#[error("key file {path} disagrees with itself: {what} does not match its secret")]
	Inconsistent {
		/// The file.
		path: PathBuf,
		/// The field that disagrees (`ss58Address` or `peerId`).
		what: &'static str,
	},
	/// A key file is already there; keys are never overwritten.
	#[error("{0} exists; refusing to overwrite a key file")]
	Exists(PathBuf),
	/// The key file cannot be written.
	#[error("cannot write key file {path}: {source}")]
	Write {
		/// The file.
		path: PathBuf,
		/// Why.
		source: std::io::Error,
	},
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyFile {
	secret_uri: String,
	peer_secret: String,
	ss58_address: String,
	peer_id: String,
}

/// An account key and a peer key.
#[derive(Clone)]
pub struct Keys {
	secret_uri: String,
	account: sr25519::Pair,
	peer_secret: [u8; 32],
	peer: identity::Keypair,
}

impl std::fmt::Debug for Keys {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "Keys({}, {})", self.ss58_address(), self.peer_id())
	}
}

impl Keys {
	fn new(secret_uri: String, mut peer_secret: [u8; 32]) -> Result<Self, KeyError> {
		let account = sr25519::Pair::from_string(&secret_uri, None)
			.map_err(|e| KeyError::SecretUri(format!("{e:?}")))?;
		let peer = identity::Keypair::ed25519_from_bytes(peer_secret)
			.expect("any 32 bytes are an ed25519 secret");
		let keys = Self { secret_uri, account, peer_secret, peer };
		peer_secret.zeroize();
		Ok(keys)
	}

	/// Fresh keys: a new 12-word phrase and a random peer key.
	pub fn generate() -> Self {
		let (_, phrase, _) = sr25519::Pair::generate_with_phrase(None);
		let (_, peer_secret) = sp_core::ed25519::Pair::generate();
		Self::new(phrase, peer_secret).expect("a generated phrase is valid")
	}

	/// Keys from a secret URI (a phrase, a phrase with a derivation path, or `//Alice`), with a
	/// peer key derived from the URI.
	pub fn from_secret_uri(secret_uri: &str) -> Result<Self, KeyError> {
		let peer_secret =
			blake3::derive_key("cohort-worker 2026 dev peer key", secret_uri.as_bytes());
		Self::new(secret_uri.to_string(), peer_secret)
	}

	/// Keys from a key file.
	pub fn load(path: &Path) -> Result<Self, KeyError> {
		let text = fs::read_to_string(path)
			.map_err(|source| KeyError::Read { path: path.to_path_buf(), source })?;
		let format = |reason: String| KeyError::Format { path: path.to_path_buf(), reason };
		let file: KeyFile = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
		let hex = file.peer_secret.strip_prefix("0x").unwrap_or(&file.peer_secret);
		let peer_secret: [u8; 32] =
			hex::decode(hex)
				.ok()
				.and_then(|bytes| bytes.try_into().ok())
				.ok_or_else(|| format("peerSecret is not 32 hex-encoded bytes".into()))?;
		let keys = Self::new(file.secret_uri, peer_secret)?;
		let inconsistent = |what| KeyError::Inconsistent { path: path.to_path_buf(), what };
		if keys.ss58_address() != file.ss58_address {
			return Err(inconsistent("ss58Address"));
		}
		if keys.peer_id().to_string() != file.peer_id {
			return Err(inconsistent("peerId"));
		}
		Ok(keys)
	}

	/// Write the keys to a new file readable by its owner only.
	pub fn save(&self, path: &Path) -> Result<(), KeyError> {
		let file = KeyFile {
			secret_uri: self.secret_uri.clone(),
			peer_secret: format!("0x{}", hex::encode(self.peer_secret)),
			ss58_address: self.ss58_address(),
			peer_id: self.peer_id().to_string(),
		};
		let write = |source| KeyError::Write { path: path.to_path_buf(), source };
		let mut options = fs::OpenOptions::new();
		options.write(true).create_new(true);
		#[cfg(unix)]
		std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
		let mut out = options.open(path).map_err(|e| match e.kind() {
			std::io::ErrorKind::AlreadyExists => KeyError::Exists(path.to_path_buf()),
			_ => write(e),
		})?;
		let json = serde_json::to_string_pretty(&file).expect("plain strings serialize");
		out.write_all(json.as_bytes()).and_then(|()| out.sync_all()).map_err(write)
	}

	/// The account key.
	pub fn account(&self) -> &sr25519::Pair {
		&self.account
	}

	/// The account id, as the chain's `AccountId32` bytes.
	pub fn account_id(&self) -> [u8; 32] {
		self.account.public().0
	}

	/// The account's SS58 address (generic Substrate prefix 42).
	pub fn ss58_address(&self) -> String {
		self.account.public().to_ss58check()
	}

	/// The salt of this account's sealed vote on `dispute`: derived from the secret, so that
	/// nobody else can open (or test guesses against) the seal, and a restarted verifier
	/// finds it again without storing it.
	pub fn vote_salt(&self, dispute: u64) -> [u8; 32] {
		let key = blake3::derive_key("cohort-worker 2026 vote salt", self.secret_uri.as_bytes());
		*blake3::keyed_hash(&key, &dispute.to_le_bytes()).as_bytes()
	}

	/// The libp2p key.
	pub fn peer_keypair(&self) -> identity::Keypair {
		self.peer.clone()
	}

	/// The peer id.
	pub fn peer_id(&self) -> PeerId {
		self.peer.public().to_peer_id()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A restarted verifier opens the seal it sent before: the salt is the same for the same
	/// secret and dispute, and differs for another dispute or another secret.
	#[test]
	fn a_vote_salt_is_the_secret_s_and_the_dispute_s() {
		let alice = Keys::from_secret_uri("//Alice").unwrap();
		let again = Keys::from_secret_uri("//Alice").unwrap();
		let bob = Keys::from_secret_uri("//Bob").unwrap();
		assert_eq!(alice.vote_salt(3), again.vote_salt(3));
		assert_ne!(alice.vote_salt(3), alice.vote_salt(4));
		assert_ne!(alice.vote_salt(3), bob.vote_salt(3));
	}

	#[test]
	fn a_saved_key_file_loads_to_the_same_keys() {
		let dir = tempfile::TempDir::new().unwrap();
		let path = dir.path().join("keys.json");
		let keys = Keys::generate();
		keys.save(&path).unwrap();
		let loaded = Keys::load(&path).unwrap();
		assert_eq!(loaded.account_id(), keys.account_id());
		assert_eq!(loaded.peer_id(), keys.peer_id());
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
		}
		assert!(matches!(keys.save(&path), Err(KeyError::Exists(_))));
	}

	#[test]
	fn dev_uris_give_the_dev_accounts_and_stable_peer_ids() {
		let alice = Keys::from_secret_uri("//Alice").unwrap();
		assert_eq!(alice.ss58_address(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		assert_eq!(alice.peer_id(), Keys::from_secret_uri("//Alice").unwrap().peer_id());
		assert_ne!(alice.peer_id(), Keys::from_secret_uri("//Bob").unwrap().peer_id());
	}

	#[test]
	fn bad_key_files_are_named() {
		let dir = tempfile::TempDir::new().unwrap();
		let missing = dir.path().join("missing.json");
		assert!(matches!(Keys::load(&missing), Err(KeyError::Read { .. })));

		let not_json = dir.path().join("not.json");
		fs::write(&not_json, "secret").unwrap();
		let error = Keys::load(&not_json).unwrap_err();
		assert!(error.to_string().contains("is not a Cohort key file"), "{error}");

		let path = dir.path().join("keys.json");
		Keys::generate().save(&path).unwrap();
		let mut file: serde_json::Value =
			serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
		file["ss58Address"] = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into();
		let tampered = dir.path().join("tampered.json");
		fs::write(&tampered, file.to_string()).unwrap();
		assert!(matches!(
			Keys::load(&tampered),
			Err(KeyError::Inconsistent { what: "ss58Address", .. })
		));

		file["secretUri"] = "not a phrase".into();
		let bad = dir.path().join("bad.json");
		fs::write(&bad, file.to_string()).unwrap();
		assert!(matches!(Keys::load(&bad), Err(KeyError::SecretUri(_))));
	}
}
