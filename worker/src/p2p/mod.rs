//! Peer-to-peer exchange: blobs (datasets, checkpoints, deltas) addressed by their Merkle
//! root, and per-bounty announcements.
//!
//! One swarm runs one [`behaviour::Behaviour`] in one event loop task ([`event_loop`]), as in
//! rust-libp2p's file-sharing example; the rest of the worker talks to it through the cloneable
//! [`Network`] handle. Who holds a blob is found through Kademlia provider records; the blob
//! comes whole over request-response, size-bounded by the codec, and is checked against the
//! asked root before anything else sees it. A peer that serves bytes of another root is blocked.
//! Other peers' requests are answered on blocking threads, a bounded number per peer
//! (`serving.rs`), so that no peer can stall the swarm by asking.
//! Behind NATs, AutoNAT decides when to reserve relay slots, and a request to a peer reached
//! only through a relay waits for hole punching first (`paths.rs`).

mod behaviour;
mod event_loop;
mod paths;
mod serving;
mod wire;

pub use event_loop::Fetched;
pub use serving::AnswerHook;
pub use wire::{BlobCodec, BlobRequest, BlobResponse, PROTOCOL};

use crate::{
	merkle,
	store::{Store, StoreError},
};
use codec::{Decode, Encode};
use cohort_primitives::{BountyId, RoundIndex, H256};
use futures::channel::{mpsc, oneshot};
use libp2p::{identity::Keypair, multiaddr::Protocol, Multiaddr, PeerId};
use std::{
	collections::HashSet,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::Duration,
};
use thiserror::Error;

/// How a peer joins the network.
#[derive(Clone, Debug)]
pub struct Config {
	/// Addresses to listen on (`/ip4/0.0.0.0/tcp/0`, `/ip4/0.0.0.0/udp/0/quic-v1`, ...).
	pub listen: Vec<Multiaddr>,
	/// Peers to join through, each ending in `/p2p/<peer id>`.
	pub bootstrap: Vec<Multiaddr>,
	/// Relays to reserve a slot on once AutoNAT finds that peers cannot dial this one, each
	/// ending in `/p2p/<relay peer id>`.
	pub relays: Vec<Multiaddr>,
	/// Whether this peer relays for others (needs a public address).
	pub relay_server: bool,
	/// The largest blob this peer fetches or serves.
	pub max_blob_bytes: usize,
	/// How long one request may take.
	pub request_timeout: Duration,
}

impl Default for Config {
	fn default() -> Self {
		Self {
			listen: vec![
				"/ip4/0.0.0.0/tcp/0".parse().expect("valid address"),
				"/ip4/0.0.0.0/udp/0/quic-v1".parse().expect("valid address"),
			],
			bootstrap: Vec::new(),
			relays: Vec::new(),
			relay_server: false,
			max_blob_bytes: 256 * 1024 * 1024,
			request_timeout: Duration::from_secs(60),
		}
	}
}

/// Gossiped on a bounty's topic: the sender serves blob `root` of `(bounty, round)`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Announcement {
	/// The bounty.
	pub bounty: BountyId,
	/// The round.
	pub round: RoundIndex,
	/// The blob served.
	pub root: H256,
}

/// An announcement and the peer that signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announced {
	/// Who announced it (gossipsub messages are signed, so this is the author).
	pub peer: PeerId,
	/// What was announced.
	pub announcement: Announcement,
}

/// Why a network operation failed.
#[derive(Debug, Error)]
pub enum P2pError {
	/// The swarm (transports, behaviours) could not be built.
	#[error("cannot set up the network: {0}")]
	Setup(String),
	/// A listen address was refused or never reported.
	#[error("cannot listen on {addr}: {reason}")]
	Listen {
		/// The address.
		addr: Multiaddr,
		/// Why.
		reason: String,
	},
	/// An address to dial that does not name its peer.
	#[error("address {0} does not end in /p2p/<peer id>")]
	NoPeerId(Multiaddr),
	/// A dial failed.
	#[error("cannot reach {addr}: {reason}")]
	Dial {
		/// The address dialled.
		addr: Multiaddr,
		/// Why it failed.
		reason: String,
	},
	/// Neither the store, the hint nor the DHT knows a holder of the blob.
	#[error("no peer provides blob {0:?}")]
	NoProvider(H256),
	/// A peer asked for a blob answered that it does not hold it.
	#[error("peer {peer} does not hold blob {root:?}")]
	NotFound {
		/// The peer.
		peer: PeerId,
		/// The blob.
		root: H256,
	},
	/// A request failed in transport (timeout, closed connection, refused stream).
	#[error("request to {peer} failed: {reason}")]
	Request {
		/// The peer asked.
		peer: PeerId,
		/// Why it failed.
		reason: String,
	},
	/// A peer served bytes of another root; it is now blocked.
	#[error("peer {} served bytes hashing to {:?} for blob {:?}; the peer is blocked", .0.peer, .0.actual, .0.root)]
	WrongBytes(Box<WrongBytes>),
	/// Every peer tried for a blob failed; `errors` lists each failure.
	#[error("every provider of {root:?} failed: {errors}")]
	AllProvidersFailed {
		/// The blob.
		root: H256,
		/// Each provider's failure, `; `-separated.
		errors: String,
	},
	/// Gossipsub refused to publish an announcement.
	#[error("cannot announce: {0}")]
	Gossip(String),
	/// The store failed.
	#[error(transparent)]
	Store(#[from] StoreError),
	/// The network task is gone, so no command can reach the swarm.
	#[error("the network task has stopped")]
	Stopped,
}

impl P2pError {
	/// Whether the blob asked for was not to be had from anyone: nobody provides it, or every
	/// peer asked refused it, failed to answer or served wrong bytes. Not a fault of this
	/// peer's own (its store, its swarm), which says nothing about who serves what.
	pub fn is_unavailable(&self) -> bool {
		matches!(
			self,
			P2pError::NoProvider(_)
				| P2pError::NotFound { .. }
				| P2pError::Request { .. }
				| P2pError::WrongBytes(_)
				| P2pError::AllProvidersFailed { .. }
				| P2pError::Dial { .. }
		)
	}
}

/// What a peer that served wrong bytes sent.
#[derive(Debug, PartialEq, Eq)]
pub struct WrongBytes {
	/// The peer.
	pub peer: PeerId,
	/// The blob asked for.
	pub root: H256,
	/// The root of what it sent.
	pub actual: H256,
}

/// Commands from [`Network`] handles to the event loop.
enum Command {
	ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
	Dial {
		peer: PeerId,
		addr: Multiaddr,
		reply: oneshot::Sender<Result<(), String>>,
	},
	AddPeer {
		peer: PeerId,
		addrs: Vec<Multiaddr>,
	},
	Provide(H256),
	Providers {
		root: H256,
		reply: oneshot::Sender<HashSet<PeerId>>,
	},
	Request {
		peer: PeerId,
		request: BlobRequest,
		reply: oneshot::Sender<Result<BlobResponse, String>>,
	},
	Block(PeerId),
	AlterAnswers(Arc<dyn AnswerHook>),
	Subscribe(BountyId),
	Announce {
		announcement: Announcement,
		reply: oneshot::Sender<Result<(), String>>,
	},
}

/// A handle on the running network; cheap to clone.
#[derive(Clone)]
pub struct Network {
	commands: mpsc::Sender<Command>,
	peer_id: PeerId,
	store: Arc<Store>,
	served: Arc<AtomicU64>,
	fetched: Arc<Fetched>,
	listen_changed: tokio::sync::watch::Receiver<u64>,
}

/// The peer id at the end of `addr`.
pub fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
	match addr.iter().last() {
		Some(Protocol::P2p(peer)) => Some(peer),
		_ => None,
	}
}

impl Network {
	/// Start the network task: listen, dial the bootstrap peers, serve blobs from `store`.
	/// Returns once every listener has an address, with the stream of announcements from the
	/// bounties this peer subscribes to.
	pub async fn start(
		keypair: Keypair,
		config: Config,
		store: Arc<Store>,
	) -> Result<(Self, mpsc::Receiver<Announced>), P2pError> {
		let peer_id = keypair.public().to_peer_id();
		let swarm = behaviour::swarm(keypair, &config)?;
		let served = Arc::new(AtomicU64::new(0));
		let fetched = Arc::new(Fetched::default());
		let (listen_changes, listen_changed) = tokio::sync::watch::channel(0);
		let (commands, receiver) = mpsc::channel(64);
		let (announced_tx, announced) = mpsc::channel(256);
		let event_loop = event_loop::EventLoop::new(
			swarm,
			receiver,
			announced_tx,
			store.clone(),
			served.clone(),
			fetched.clone(),
			listen_changes,
		);
		let event_loop = event_loop.listen(&config).await?;
		tokio::spawn(event_loop.run());
		let network = Self { commands, peer_id, store, served, fetched, listen_changed };
		// A bootstrap peer that is down is worth a warning, not a failure: the others (and the
		// chain's registry) may do.
		for addr in config.bootstrap {
			if let Err(e) = network.dial(addr).await {
				tracing::warn!("{e}");
			}
		}
		Ok((network, announced))
	}

	/// This peer's id.
	pub fn peer_id(&self) -> PeerId {
		self.peer_id
	}

	/// The store this peer serves from.
	pub fn store(&self) -> Arc<Store> {
		self.store.clone()
	}

	/// Bytes served to other peers so far.
	pub fn bytes_served(&self) -> u64 {
		self.served.load(Ordering::Relaxed)
	}

	/// Bytes fetched from other peers so far: over direct connections (hole punched ones
	/// included), and through relays.
	pub fn bytes_fetched(&self) -> (u64, u64) {
		let fetched = &self.fetched;
		(fetched.direct.load(Ordering::Relaxed), fetched.relayed.load(Ordering::Relaxed))
	}

	async fn ask<T>(
		&self,
		command: impl FnOnce(oneshot::Sender<T>) -> Command,
	) -> Result<T, P2pError> {
		let (reply, answer) = oneshot::channel();
		self.commands.clone().try_send(command(reply)).map_err(|_| P2pError::Stopped)?;
		answer.await.map_err(|_| P2pError::Stopped)
	}

	fn tell(&self, command: Command) -> Result<(), P2pError> {
		self.commands.clone().try_send(command).map_err(|_| P2pError::Stopped)
	}

	/// Marks each change of the addresses this peer listens on (a relay slot reserved once
	/// AutoNAT finds it behind a NAT, or lost): read [`Network::listen_addrs`] again then.
	pub fn listen_changes(&self) -> tokio::sync::watch::Receiver<u64> {
		self.listen_changed.clone()
	}

	/// The addresses this peer listens on, each ending in its peer id.
	pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, P2pError> {
		let addrs = self.ask(Command::ListenAddrs).await?;
		Ok(addrs.into_iter().map(|a| a.with_p2p(self.peer_id).unwrap_or_else(|a| a)).collect())
	}

	/// Connect to the peer at `addr` (which ends in its peer id) and add it to the DHT.
	pub async fn dial(&self, addr: Multiaddr) -> Result<(), P2pError> {
		let peer = peer_of(&addr).ok_or_else(|| P2pError::NoPeerId(addr.clone()))?;
		self.ask(|reply| Command::Dial { peer, addr: addr.clone(), reply })
			.await?
			.map_err(|reason| P2pError::Dial { addr, reason })
	}

	/// Pass every later answer through `hook`, in place of any hook before it. Honest peers
	/// never call it: the end-to-end tests' adversaries serve wrong bytes through it, to show
	/// that fetchers refuse them.
	pub fn alter_answers(&self, hook: Arc<dyn AnswerHook>) -> Result<(), P2pError> {
		self.tell(Command::AlterAnswers(hook))
	}

	/// Tell the DHT where `peer` listens (from its registration on chain, say).
	pub fn add_peer(&self, peer: PeerId, addrs: Vec<Multiaddr>) -> Result<(), P2pError> {
		self.tell(Command::AddPeer { peer, addrs })
	}

	/// Put `bytes` in the store and announce on the DHT that this peer provides them.
	pub fn publish(&self, bytes: &[u8]) -> Result<H256, P2pError> {
		let root = self.store.put_blob(bytes)?;
		self.tell(Command::Provide(root))?;
		Ok(root)
	}

	/// Announce on the DHT that this peer provides `root`, which must be in the store already.
	pub fn provide(&self, root: H256) -> Result<(), P2pError> {
		self.tell(Command::Provide(root))
	}

	/// The peers the DHT says hold `root`.
	pub async fn providers(&self, root: H256) -> Result<HashSet<PeerId>, P2pError> {
		self.ask(|reply| Command::Providers { root, reply }).await
	}

	async fn request(&self, peer: PeerId, request: BlobRequest) -> Result<BlobResponse, P2pError> {
		self.ask(|reply| Command::Request { peer, request, reply })
			.await?
			.map_err(|reason| P2pError::Request { peer, reason })
	}

	/// Fetch blob `root` from `peer`, check it and store it. A peer that sends other bytes is
	/// blocked and the bytes are dropped.
	pub async fn fetch_from(&self, peer: PeerId, root: H256) -> Result<Vec<u8>, P2pError> {
		match self.request(peer, BlobRequest::Blob(root)).await? {
			BlobResponse::Blob(bytes) => {
				let actual = merkle::root(&bytes);
				if actual != root {
					tracing::warn!(%peer, ?root, ?actual, "peer served wrong bytes; blocking it");
					self.tell(Command::Block(peer))?;
					return Err(P2pError::WrongBytes(Box::new(WrongBytes { peer, root, actual })));
				}
				self.store.put_verified_blob(&root, &bytes)?;
				Ok(bytes)
			}
			BlobResponse::NotFound => Err(P2pError::NotFound { peer, root }),
		}
	}

	/// Blob `root`: from the store if held, else from `hint` (a peer known to hold it) and
	/// then from the DHT's providers, one after another until one serves the right bytes.
	/// A fault of this peer's own (its store, its swarm) ends the search at once: it is no
	/// provider's, and must not read as one ([`P2pError::is_unavailable`]).
	pub async fn fetch(&self, root: H256, hint: Option<PeerId>) -> Result<Vec<u8>, P2pError> {
		if let Some(bytes) = self.store.blob(&root)? {
			return Ok(bytes);
		}
		let mut errors = Vec::new();
		if let Some(peer) = hint {
			match self.fetch_from(peer, root).await {
				Ok(bytes) => return Ok(bytes),
				Err(e) if e.is_unavailable() => errors.push(e.to_string()),
				Err(e) => return Err(e),
			}
		}
		let providers = self.providers(root).await?;
		for peer in providers.into_iter().filter(|p| Some(*p) != hint && *p != self.peer_id) {
			match self.fetch_from(peer, root).await {
				Ok(bytes) => return Ok(bytes),
				Err(e) if e.is_unavailable() => errors.push(e.to_string()),
				Err(e) => return Err(e),
			}
		}
		if errors.is_empty() {
			Err(P2pError::NoProvider(root))
		} else {
			Err(P2pError::AllProvidersFailed { root, errors: errors.join("; ") })
		}
	}

	/// Receive the announcements of `bounty`.
	pub fn subscribe(&self, bounty: BountyId) -> Result<(), P2pError> {
		self.tell(Command::Subscribe(bounty))
	}

	/// Gossip `announcement` on its bounty's topic.
	pub async fn announce(&self, announcement: Announcement) -> Result<(), P2pError> {
		self.ask(|reply| Command::Announce { announcement, reply }).await?.map_err(P2pError::Gossip)
	}
}

#[cfg(test)]
mod tests;
