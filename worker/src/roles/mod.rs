//! The long-running roles: the GPU owner's worker ([`worker`]) and the validator's verifier
//! ([`verifier`]).
//!
//! Both are driven by the chain's state, not by remembering events: at every finalized block
//! they read what is open (their slots, the round's phase, the disputes) and do what is due.
//! A role that restarts therefore picks up where the chain is, and the worker's RocksDB
//! records (written before each extrinsic) keep it from sealing a slot twice.

#[cfg(feature = "adversary")]
pub mod adversary;
pub mod verifier;
pub mod worker;

use crate::{
	chain::{self, AccountId, At, Chain, ChainError, Included, RoundView},
	job::{Job, JobError, Spec},
	keys::Keys,
	metrics::{Metrics, Work},
	p2p::{Announced, Network, P2pError},
	store::{Store, StoreError},
	trainer::{Backend, DataError, Dataset},
};
use cohort_primitives::{BountyId, RoundIndex, H256};
use futures::StreamExt;
use libp2p::PeerId;
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::Instant,
};
use subxt::tx::Payload;
use thiserror::Error;

/// Why a duty could not be done (it is logged and retried at the next block while it is due).
#[derive(Debug, Error)]
pub enum DutyError {
	#[error(transparent)]
	Chain(#[from] ChainError),
	#[error(transparent)]
	P2p(#[from] P2pError),
	#[error(transparent)]
	Store(#[from] StoreError),
	#[error(transparent)]
	Job(#[from] JobError),
	#[error(transparent)]
	Data(#[from] DataError),
	#[error("bounty {0} is gone")]
	NoBounty(BountyId),
	#[error("round {round} of bounty {bounty} is gone")]
	NoRound { bounty: BountyId, round: RoundIndex },
	#[error("the training task failed: {0}")]
	Task(String),
}

/// What every role holds.
#[derive(Clone)]
pub struct Context {
	/// The chain.
	pub chain: Chain,
	/// This account's keys.
	pub keys: Keys,
	/// The peer-to-peer network.
	pub network: Network,
	/// The store the network serves from.
	pub store: Arc<Store>,
	/// What is counted.
	pub metrics: Metrics,
	/// Where shards are trained.
	pub backend: Backend,
	/// Who announced which blob: tried before the DHT's providers.
	announced: Arc<Mutex<HashMap<H256, PeerId>>>,
	/// How this worker misbehaves, round by round (end-to-end tests only).
	#[cfg(feature = "adversary")]
	adversary: Option<adversary::Adversary>,
}

impl Context {
	/// A context; `announcements` (from [`Network::start`]) become fetch hints.
	pub fn new(
		chain: Chain,
		keys: Keys,
		network: Network,
		metrics: Metrics,
		backend: Backend,
		mut announcements: futures::channel::mpsc::Receiver<Announced>,
	) -> Self {
		let announced: Arc<Mutex<HashMap<H256, PeerId>>> = Default::default();
		let hints = announced.clone();
		tokio::spawn(async move {
			while let Some(Announced { peer, announcement }) = announcements.next().await {
				hints.lock().expect("not poisoned").insert(announcement.root, peer);
			}
		});
		let store = network.store();
		Self {
			chain,
			keys,
			network,
			store,
			metrics,
			backend,
			announced,
			#[cfg(feature = "adversary")]
			adversary: None,
		}
	}

	/// This context for a worker that misbehaves as `adversary` says.
	#[cfg(feature = "adversary")]
	pub fn with_adversary(self, adversary: adversary::Adversary) -> Self {
		Self { adversary: Some(adversary), ..self }
	}

	/// How this worker behaves in `round`.
	#[cfg(feature = "adversary")]
	pub fn behaviour(&self, round: RoundIndex) -> adversary::Behaviour {
		self.adversary.as_ref().map_or(adversary::Behaviour::Honest, |a| a.in_round(round))
	}

	/// This account on chain.
	pub fn account(&self) -> AccountId {
		AccountId::from(self.keys.account_id())
	}

	/// Tell the network where every registered worker listens (so the DHT reaches them
	/// without bootstrap flags) and, with `dial`, connect to them so they learn this peer.
	pub async fn join_registered_peers(&self, at: &At, dial: bool) -> Result<(), DutyError> {
		for worker in at.workers().await? {
			let Ok(peer) = libp2p::PeerId::from_bytes(&worker.info.peer_id.0) else { continue };
			if peer == self.network.peer_id() {
				continue;
			}
			let addrs: Vec<libp2p::Multiaddr> = worker
				.info
				.addresses
				.0
				.iter()
				.filter_map(|a| libp2p::Multiaddr::try_from(a.0.clone()).ok())
				.collect();
			if dial {
				for addr in &addrs {
					if let Ok(addr) = addr.clone().with_p2p(peer) {
						if let Err(e) = self.network.dial(addr).await {
							tracing::debug!(%peer, "cannot reach a registered worker: {e}");
						}
					}
				}
			}
			self.network.add_peer(peer, addrs)?;
		}
		Ok(())
	}

	/// The job of bounty `id` at `at`.
	pub async fn job(&self, at: &At, id: BountyId) -> Result<Job, DutyError> {
		let view = at.bounty(id).await?.ok_or(DutyError::NoBounty(id))?;
		Ok(Job::new(spec_of(&view))?)
	}

	/// A round at `at`.
	pub async fn round(
		&self,
		at: &At,
		bounty: BountyId,
		round: RoundIndex,
	) -> Result<RoundView, DutyError> {
		at.round(bounty, round).await?.ok_or(DutyError::NoRound { bounty, round })
	}

	/// Blob `root`, from the store or the network (checked against its root either way).
	pub async fn blob(&self, root: H256) -> Result<Vec<u8>, DutyError> {
		let hint = self.announced.lock().expect("not poisoned").get(&root).copied();
		Ok(self.metrics.timed(Work::Transfers, self.network.fetch(root, hint)).await?)
	}

	/// Submit `payload` signed by this account (`call` names it in errors) and wait until it
	/// is in a block.
	pub async fn submit<Call: Payload>(
		&self,
		call: &'static str,
		payload: &Call,
	) -> Result<Included, ChainError> {
		self.metrics.timed(Work::Chain, self.chain.submit(&self.keys, call, payload)).await
	}

	/// The dataset of `job`.
	pub async fn dataset(&self, job: &Job) -> Result<Dataset, DutyError> {
		Ok(Dataset::from_blob(self.blob(job.spec.dataset.hash).await?)?)
	}

	/// The deltas a round accepted, in shard order, fetched and checked.
	pub async fn accepted_deltas(&self, round: &RoundView) -> Result<Vec<Vec<u8>>, DutyError> {
		let mut deltas = Vec::new();
		for root in accepted_roots(round) {
			deltas.push(self.blob(root).await?);
		}
		Ok(deltas)
	}

	/// The next checkpoint of `round` as this account computes it: stored, and its root.
	pub async fn recompute_checkpoint(
		&self,
		job: &Job,
		round: &RoundView,
	) -> Result<H256, DutyError> {
		let checkpoint = self.blob(round.info.checkpoint).await?;
		let deltas = self.accepted_deltas(round).await?;
		let job = job.clone();
		let next = tokio::task::spawn_blocking(move || job.next_checkpoint(&checkpoint, &deltas));
		let next = self.metrics.timed(Work::Aggregating, next).await;
		let next = next.map_err(|e| DutyError::Task(e.to_string()))??;
		let hashing = Instant::now();
		let root = self.store.put_blob(&next)?;
		self.metrics.spent(Work::Hashing, hashing.elapsed());
		Ok(root)
	}
}

/// The spec of a bounty view.
pub fn spec_of(view: &chain::BountyView) -> Spec {
	view.bounty.spec.0.clone()
}

/// The roots a round accepted, in shard order.
pub fn accepted_roots(round: &RoundView) -> Vec<H256> {
	use chain::runtime::runtime_types::pallet_training::types::ShardOutcome;
	round
		.shards
		.iter()
		.filter_map(|shard| match shard.state.outcome {
			ShardOutcome::Accepted(root) => Some(root),
			_ => None,
		})
		.collect()
}
