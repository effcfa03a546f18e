//! The long-running roles: the GPU owner's worker ([`worker`]) and the validator's verifier
//! ([`verifier`]), which meet in a shard dispute's bisection game ([`bisection`]): workers play
//! it, the verifier referees the one step it leaves.
//!
//! Both are driven by the chain's state, not by remembering events: at every finalized block
//! they read what is open (their slots, the round's phase, the disputes) and do what is due.
//! A role that restarts therefore picks up where the chain is, and the worker's RocksDB
//! records (written before each extrinsic) keep it from sealing a slot twice.
//!
//! Where a worker could cheat, its loop asks the context's [`Conduct`]: [`Honest`] unless
//! [`Context::with_conduct`] installs another (the end-to-end tests' Byzantine workers, in
//! `adversary`, built only with the `adversary` feature). Training a shard is
//! [`Context::train`], for the worker and the verifier alike.

#[cfg(feature = "adversary")]
pub mod adversary;
pub mod bisection;
mod conduct;
mod turn;
pub mod verifier;
pub mod worker;

pub use conduct::{Conduct, Honest};
pub use turn::Turn;

use crate::{
	chain::{self, AccountId, At, Chain, ChainError, Included, RoundView},
	job::{Job, JobError, ShardTask, Spec},
	keys::Keys,
	metrics::{Metrics, Work},
	p2p::{Announced, Network, P2pError},
	store::{Store, StoreError},
	trainer::{Backend, DataError, Dataset, Trained},
};
use cohort_primitives::{BountyId, RoundIndex, H256};
use futures::StreamExt;
use libp2p::PeerId;
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};
use subxt::tx::Payload;
use thiserror::Error;

/// Sets its flag when dropped: tells blocking work that whoever waited for it is gone.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
	fn drop(&mut self) {
		self.0.store(true, Ordering::Relaxed);
	}
}

/// How often the roles re-read where the registered workers listen, in blocks.
pub const PEER_REFRESH_BLOCKS: u32 = 10;

/// How long a worker waits for a bounty's named data server before it looks for other
/// providers: bounded, so that a server that stalls cannot make a worker miss the point at
/// which it declines a slot whose data nobody serves.
pub const DATA_SERVER_WAIT: Duration = Duration::from_secs(10);

/// Why a duty could not be done (it is logged and retried at the next block while it is due).
#[derive(Debug, Error)]
pub enum DutyError {
	/// Reading the chain or submitting to it failed.
	#[error(transparent)]
	Chain(#[from] ChainError),
	/// The network could not fetch, serve or announce a blob.
	#[error(transparent)]
	P2p(#[from] P2pError),
	/// The store could not be read or written.
	#[error(transparent)]
	Store(#[from] StoreError),
	/// The bounty's work could not be computed.
	#[error(transparent)]
	Job(#[from] JobError),
	/// The bounty's dataset is not a dataset.
	#[error(transparent)]
	Data(#[from] DataError),
	/// The bounty is no longer on chain.
	#[error("bounty {0} is gone")]
	NoBounty(BountyId),
	/// The round (or the shard asked for in it) is no longer on chain.
	#[error("round {round} of bounty {bounty} is gone")]
	NoRound {
		/// The bounty.
		bounty: BountyId,
		/// The round.
		round: RoundIndex,
	},
	/// The store holds no record of this slot's seal, or a trajectory too short for the step
	/// asked (a store lost or replaced since the commit).
	#[error("no seal record for shard {shard} of round {round} of bounty {bounty}")]
	NoRecord {
		/// The bounty.
		bounty: BountyId,
		/// The round.
		round: RoundIndex,
		/// The shard.
		shard: cohort_primitives::ShardIndex,
	},
	/// The blocking task that trained or aggregated panicked or was cancelled.
	#[error("the training task failed: {0}")]
	Task(String),
	/// This account's seal on the dispute is not on chain, or no verdict opens it with this
	/// account's salt (it was sealed with other keys).
	#[error("no vote of this account's on dispute {0} that its salt opens")]
	NotSealed(cohort_primitives::DisputeId),
}

impl DutyError {
	/// Whether nobody could be found to serve a blob the duty needs (as opposed to a broken
	/// blob, chain or store): no provider, or every provider failed (unreachable, stalled,
	/// not holding it, serving wrong bytes). Either way the bytes cannot be had, and a worker
	/// that is owed them must be able to decline rather than miss its deadline.
	pub fn is_unavailable(&self) -> bool {
		matches!(
			self,
			DutyError::P2p(
				P2pError::NoProvider(_)
					| P2pError::NotFound { .. }
					| P2pError::Request { .. }
					| P2pError::AllProvidersFailed { .. }
			)
		)
	}
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
	/// A lock per bounty blob being fetched: two slots of one bounty fetch its dataset once,
	/// the second from the store, not twice at once over the network.
	fetching: Arc<Mutex<HashMap<H256, Arc<tokio::sync::Mutex<()>>>>>,
	/// Seconds per training step measured here, per model configuration (by the blake3 hash
	/// of its bytes): what a shard of a bounty will take, before it is trained.
	pace: Arc<Mutex<HashMap<[u8; 32], f64>>>,
	/// One training at a time, bounties in turn, each one's earliest deadline first (see
	/// [`turn`]).
	training: turn::Turns,
	/// How this worker behaves where it could cheat.
	conduct: Arc<dyn Conduct>,
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
			fetching: Default::default(),
			pace: Default::default(),
			training: Default::default(),
			conduct: Arc::new(Honest),
		}
	}

	/// This context with `conduct` in place of the honest one.
	pub fn with_conduct(self, conduct: Arc<dyn Conduct>) -> Self {
		Self { conduct, ..self }
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
			let addrs = multiaddrs(worker.info.addresses.0.iter().map(|a| &a.0));
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

	/// The peer that `bounty`'s owner says serves its data (`Training.serve_data`), made
	/// known to the network with its addresses; `None` when the owner said none.
	async fn data_server(&self, bounty: BountyId) -> Result<Option<PeerId>, DutyError> {
		let at = self.chain.best().await?;
		let Some(server) = at.bounty(bounty).await?.and_then(|view| view.data_server) else {
			return Ok(None);
		};
		let Ok(peer) = PeerId::from_bytes(&server.peer_id.0) else { return Ok(None) };
		self.network.add_peer(peer, multiaddrs(server.addresses.0.iter().map(|a| &a.0)))?;
		Ok(Some(peer))
	}

	/// Every [`PEER_REFRESH_BLOCKS`] blocks, read again where the registered workers listen.
	/// A failure is only logged: the next refresh tries again.
	pub async fn refresh_peers(&self, at: &At) {
		if at.number.is_multiple_of(PEER_REFRESH_BLOCKS) {
			if let Err(e) = self.join_registered_peers(at, false).await {
				tracing::warn!("cannot read the registered workers: {e}");
			}
		}
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

	/// Blob `root`, which `authors` revealed: from the store, else from each author's
	/// registered peer, asked directly, else as [`Self::blob`] (the announcement's hint and
	/// the DHT's providers). The authors come first: a provider record can be lost, kept
	/// from the DHT by peers near its key, or forged by peers that never answer, while the
	/// author still serves it; and a blob must not count as withheld before they were asked.
	pub async fn revealed_blob(
		&self,
		root: H256,
		authors: &[AccountId],
	) -> Result<Vec<u8>, DutyError> {
		if let Some(bytes) = self.store.blob(&root)? {
			return Ok(bytes);
		}
		let at = self.chain.best().await?;
		for author in authors {
			let Some(worker) = at.worker(author).await? else { continue };
			let Ok(peer) = PeerId::from_bytes(&worker.info.peer_id.0) else { continue };
			if peer == self.network.peer_id() {
				continue;
			}
			self.network
				.add_peer(peer, multiaddrs(worker.info.addresses.0.iter().map(|a| &a.0)))?;
			let fetched = self.network.fetch_from(peer, root);
			match self.metrics.timed(Work::Transfers, fetched).await {
				Ok(bytes) => return Ok(bytes),
				Err(e) if e.is_unavailable() => {
					tracing::debug!(%peer, ?root, "its author does not serve it: {e}")
				}
				Err(e) => return Err(e.into()),
			}
		}
		self.blob(root).await
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

	/// Blob `root` of `bounty`'s data (its dataset, or a checkpoint it trains from). When no
	/// peer announced it, the peer the bounty's owner says serves its data is asked first,
	/// for at most [`DATA_SERVER_WAIT`], so the data is found before the DHT has a provider
	/// record; then [`Self::blob`] as usual. The server's failure is only logged: a server
	/// that serves nothing (or stalls) must leave the error a worker declines on
	/// (`NoProvider`) as it was, never turn it into one the worker waits out and is slashed for.
	pub async fn bounty_blob(&self, bounty: BountyId, root: H256) -> Result<Vec<u8>, DutyError> {
		if let Some(bytes) = self.store.blob(&root)? {
			return Ok(bytes);
		}
		let lock = self.fetching.lock().expect("not poisoned").entry(root).or_default().clone();
		let fetched = {
			let _fetching = lock.lock().await;
			// Whoever held the lock before may have fetched it meanwhile.
			match self.store.blob(&root)? {
				Some(bytes) => Ok(bytes),
				None => self.fetch_bounty_blob(bounty, root).await,
			}
		};
		self.fetching.lock().expect("not poisoned").remove(&root);
		fetched
	}

	/// [`Context::bounty_blob`]'s fetch, once nobody else is fetching `root`.
	async fn fetch_bounty_blob(&self, bounty: BountyId, root: H256) -> Result<Vec<u8>, DutyError> {
		let announced = self.announced.lock().expect("not poisoned").contains_key(&root);
		if !announced {
			if let Some(server) = self.data_server(bounty).await? {
				let fetch =
					tokio::time::timeout(DATA_SERVER_WAIT, self.network.fetch_from(server, root));
				match self.metrics.timed(Work::Transfers, fetch).await {
					Ok(Ok(bytes)) => return Ok(bytes),
					Ok(Err(e)) => {
						tracing::debug!(bounty, ?root, "the data server did not serve: {e}")
					}
					Err(_) => {
						tracing::debug!(bounty, ?root, "the data server did not answer in time")
					}
				}
			}
		}
		self.blob(root).await
	}

	/// The dataset of `job`, a job of `bounty`.
	pub async fn dataset(&self, bounty: BountyId, job: &Job) -> Result<Dataset, DutyError> {
		Ok(Dataset::from_blob(self.bounty_blob(bounty, job.spec.dataset.hash).await?)?)
	}

	/// Wait for this process's turn to train for `bounty`, due by block `deadline` (one shard
	/// at a time; see [`turn`] for the order); the turn lasts as long as it is held (see
	/// [`Context::on_turn`]).
	pub async fn training_turn(&self, bounty: BountyId, deadline: u32) -> Turn {
		self.training.take(bounty, deadline).await
	}

	/// Run `work` off the async runtime on the turn to train that `turn` holds, and give the
	/// turn back when `work` ends. A blocking task cannot be aborted: a duty aborted while it
	/// waits here (its round was voided) leaves `work` running, and the turn must stay taken
	/// until it ends, or the next shard would share the device with it and overrun its window.
	pub async fn on_turn<R: Send + 'static>(
		&self,
		turn: Turn,
		work: impl FnOnce() -> R + Send + 'static,
	) -> Result<R, DutyError> {
		tokio::task::spawn_blocking(move || {
			let done = work();
			drop(turn);
			done
		})
		.await
		.map_err(|e| DutyError::Task(e.to_string()))
	}

	/// Why this worker cannot train a shard of `job` in `time`, if it cannot: the model, its
	/// optimizer state and a batch's activations would not fit its memory, or its measured
	/// pace on this model (with a quarter to spare) would miss the deadline. A model never
	/// trained here is tried.
	pub fn infeasible(&self, job: &Job, time: Duration) -> Option<String> {
		let memory = u64::from(self.backend.memory_mib()) << 20;
		match job.footprint() {
			Some(bytes) if memory == 0 || bytes <= memory => {}
			Some(bytes) => {
				return Some(format!(
					"it needs {} MiB, this worker has {}",
					bytes >> 20,
					memory >> 20
				))
			}
			None => return Some("its size overflows".into()),
		}
		let per_step = *self.pace.lock().expect("not poisoned").get(&job.pace_key())?;
		let needed = per_step * f64::from(job.spec.hyper.inner_steps) * 1.25;
		(needed > time.as_secs_f64()).then(|| {
			format!("{needed:.0} s of training at this worker's pace, {} s left", time.as_secs())
		})
	}

	/// Fetch what training `task` of `job` needs (its checkpoint and the dataset) into the
	/// store, if it is not there yet.
	pub async fn fetch_inputs(&self, job: &Job, task: ShardTask) -> Result<(), DutyError> {
		self.bounty_blob(task.bounty, task.checkpoint).await?;
		self.bounty_blob(task.bounty, job.spec.dataset.hash).await?;
		Ok(())
	}

	/// Train `task` of `job` here, on `turn`: fetch its checkpoint and the dataset, train off
	/// the async runtime, count the time as training and the shard as trained. Returns what
	/// was trained and how long the training itself took (fetching excluded).
	pub async fn train(
		&self,
		job: &Job,
		task: ShardTask,
		turn: Turn,
	) -> Result<(Trained, Duration), DutyError> {
		let weights = self.bounty_blob(task.bounty, task.checkpoint).await?;
		let dataset = self.dataset(task.bounty, job).await?;
		let ShardTask { bounty, round, shard, .. } = task;
		tracing::info!(bounty, round, shard, steps = job.spec.hyper.inner_steps, "training");
		let (steps, model) = (job.spec.hyper.inner_steps, job.pace_key());
		let (job, backend) = (job.clone(), self.backend.clone());
		// A duty aborted while it waits here (its round was voided) drops this guard, and
		// the training, which cannot be aborted, stops at its next step.
		let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
		let stopped = stop.0.clone();
		let started = Instant::now();
		let trained = self
			.on_turn(turn, move || {
				let trained = job.train(&weights, &dataset, task, &backend, &stopped);
				if !stopped.load(Ordering::Relaxed) {
					backend.keep_busy(started.elapsed());
				}
				trained
			})
			.await;
		drop(stop);
		let elapsed = started.elapsed();
		// Counted even when training failed: the time was spent.
		self.metrics.spent(Work::Training, elapsed);
		let trained = trained??;
		self.metrics.shards_trained.inc();
		let per_step = elapsed.as_secs_f64() / f64::from(steps.max(1));
		self.pace.lock().expect("not poisoned").insert(model, per_step);
		Ok((trained, elapsed))
	}

	/// The deltas a round accepted, in shard order, fetched (their revealers asked first, see
	/// [`Self::revealed_blob`]), checked, and provided by this peer too: once anyone has
	/// fetched a delta (the aggregator, a reviewer), the review no longer depends on its
	/// author staying up, or serving everyone.
	pub async fn accepted_deltas(&self, round: &RoundView) -> Result<Vec<Vec<u8>>, DutyError> {
		let mut deltas = Vec::new();
		for (root, revealers) in accepted(round) {
			deltas.push(self.revealed_blob(root, &revealers).await?);
			self.network.provide(root)?;
		}
		Ok(deltas)
	}

	/// The next checkpoint of `round` as this account computes it: stored, and its root.
	pub async fn recompute_checkpoint(
		&self,
		job: &Job,
		round: &RoundView,
	) -> Result<H256, DutyError> {
		let checkpoint = self.bounty_blob(round.bounty, round.info.checkpoint).await?;
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

/// A fresh random 32-byte salt (the adversary draws its noise seeds from it too).
fn salt() -> H256 {
	use sp_core::Pair;
	H256(sp_core::ed25519::Pair::generate().1)
}

/// The spec of a bounty view.
pub fn spec_of(view: &chain::BountyView) -> Spec {
	view.bounty.spec.0.clone()
}

/// The roots a round accepted, in shard order, each with the workers that revealed it.
pub fn accepted(round: &RoundView) -> Vec<(H256, Vec<AccountId>)> {
	use chain::runtime::runtime_types::pallet_training::types::ShardOutcome;
	round
		.shards
		.iter()
		.filter_map(|shard| match shard.state.outcome {
			ShardOutcome::Accepted(root) => {
				let slots = shard.state.slots.0.iter();
				let revealers = slots.filter(|slot| slot.root == Some(root));
				Some((root, revealers.map(|slot| slot.worker).collect()))
			}
			_ => None,
		})
		.collect()
}

/// The multiaddrs among `addresses` (binary, as the chain records them) that parse.
fn multiaddrs<'a>(addresses: impl IntoIterator<Item = &'a Vec<u8>>) -> Vec<libp2p::Multiaddr> {
	addresses.into_iter().filter_map(|a| libp2p::Multiaddr::try_from(a.clone()).ok()).collect()
}
