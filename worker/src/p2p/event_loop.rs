//! The task that owns the swarm: it answers [`Command`]s from [`super::Network`] handles,
//! serves blobs from the store, and passes gossiped announcements on.

use super::{
	behaviour::{Behaviour, BehaviourEvent},
	Announced, Announcement, BlobRequest, BlobResponse, Command, Config, P2pError,
};
use crate::{merkle::MerkleTree, store::Store};
use codec::{DecodeAll, Encode};
use cohort_primitives::{BountyId, H256};
use futures::{
	channel::{mpsc, oneshot},
	StreamExt,
};
use libp2p::{
	gossipsub, identify, kad, multiaddr::Protocol, request_response, swarm::SwarmEvent, Multiaddr,
	PeerId, Swarm,
};
use std::{
	collections::{HashMap, HashSet},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::Duration,
};

/// How long the network may take to report the addresses it listens on.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

fn topic(bounty: BountyId) -> gossipsub::IdentTopic {
	gossipsub::IdentTopic::new(format!("/cohort/bounty/{bounty}"))
}

fn kad_key(root: &H256) -> kad::RecordKey {
	kad::RecordKey::new(&root.as_bytes())
}

pub struct EventLoop {
	swarm: Swarm<Behaviour>,
	commands: mpsc::Receiver<Command>,
	announced: mpsc::Sender<Announced>,
	store: Arc<Store>,
	served: Arc<AtomicU64>,
	/// Peers caught serving wrong bytes (the block list behaviour refuses their connections;
	/// this set answers requests for them at once).
	blocked: HashSet<PeerId>,
	/// Blobs this (adversary) peer answers with one byte flipped.
	#[cfg(feature = "adversary")]
	wrong_bytes: HashSet<H256>,
	pending_dials: HashMap<PeerId, Vec<oneshot::Sender<Result<(), String>>>>,
	pending_providers: HashMap<kad::QueryId, (HashSet<PeerId>, oneshot::Sender<HashSet<PeerId>>)>,
	pending_requests:
		HashMap<request_response::OutboundRequestId, oneshot::Sender<Result<BlobResponse, String>>>,
}

impl EventLoop {
	pub fn new(
		swarm: Swarm<Behaviour>,
		commands: mpsc::Receiver<Command>,
		announced: mpsc::Sender<Announced>,
		store: Arc<Store>,
		served: Arc<AtomicU64>,
	) -> Self {
		Self {
			swarm,
			commands,
			announced,
			store,
			served,
			blocked: HashSet::new(),
			#[cfg(feature = "adversary")]
			wrong_bytes: HashSet::new(),
			pending_dials: HashMap::new(),
			pending_providers: HashMap::new(),
			pending_requests: HashMap::new(),
		}
	}

	/// Open the listeners (and relay reservations) of `config`, and wait until each listener
	/// reports an address, so that callers can print or register them.
	pub async fn listen(mut self, config: &Config) -> Result<Self, P2pError> {
		for addr in &config.listen {
			self.swarm
				.listen_on(addr.clone())
				.map_err(|e| P2pError::Listen { addr: addr.clone(), reason: e.to_string() })?;
		}
		let mut waiting = config.listen.len();
		let deadline = tokio::time::sleep(LISTEN_TIMEOUT);
		tokio::pin!(deadline);
		while waiting > 0 {
			tokio::select! {
				event = self.swarm.select_next_some() => match event {
					SwarmEvent::NewListenAddr { .. } => waiting -= 1,
					SwarmEvent::ListenerClosed { addresses, reason, .. } => {
						let addr = addresses.first().cloned().unwrap_or_else(Multiaddr::empty);
						let reason = match reason { Err(e) => e.to_string(), Ok(()) => "closed".into() };
						return Err(P2pError::Listen { addr, reason });
					},
					SwarmEvent::ListenerError { error, .. } => {
						return Err(P2pError::Listen { addr: Multiaddr::empty(), reason: error.to_string() });
					},
					other => self.on_swarm_event(other),
				},
				_ = &mut deadline => {
					return Err(P2pError::Listen {
						addr: config.listen.first().cloned().unwrap_or_else(Multiaddr::empty),
						reason: "no address reported in time".into(),
					});
				},
			}
		}
		for relay in &config.relays {
			let circuit = relay.clone().with(Protocol::P2pCircuit);
			self.swarm
				.listen_on(circuit.clone())
				.map_err(|e| P2pError::Listen { addr: circuit, reason: e.to_string() })?;
		}
		Ok(self)
	}

	/// Run until every [`super::Network`] handle is dropped.
	pub async fn run(mut self) {
		loop {
			tokio::select! {
				event = self.swarm.select_next_some() => self.on_swarm_event(event),
				command = self.commands.next() => match command {
					Some(command) => self.on_command(command),
					None => return,
				},
			}
		}
	}

	fn on_command(&mut self, command: Command) {
		match command {
			Command::ListenAddrs(reply) => {
				let _ = reply.send(self.swarm.listeners().cloned().collect());
			}
			Command::Dial { peer, addr, reply } if self.blocked.contains(&peer) => {
				let _ =
					reply.send(Err(format!("{peer} at {addr} is blocked: it served wrong bytes")));
			}
			Command::Request { peer, reply, .. } if self.blocked.contains(&peer) => {
				let _ = reply.send(Err(format!("{peer} is blocked: it served wrong bytes")));
			}
			Command::Dial { peer, addr, reply } => {
				if self.swarm.is_connected(&peer) {
					self.swarm.behaviour_mut().kad.add_address(&peer, addr);
					let _ = reply.send(Ok(()));
					return;
				}
				self.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
				match self.swarm.dial(addr) {
					Ok(()) => self.pending_dials.entry(peer).or_default().push(reply),
					Err(e) => {
						let _ = reply.send(Err(e.to_string()));
					}
				}
			}
			Command::AddPeer { peer, addrs } => {
				for addr in addrs {
					self.swarm.behaviour_mut().kad.add_address(&peer, addr);
				}
			}
			Command::Provide(root) => {
				if let Err(e) = self.swarm.behaviour_mut().kad.start_providing(kad_key(&root)) {
					tracing::warn!(?root, "cannot record this peer as a provider: {e}");
				}
			}
			Command::Providers { root, reply } => {
				let query = self.swarm.behaviour_mut().kad.get_providers(kad_key(&root));
				self.pending_providers.insert(query, (HashSet::new(), reply));
			}
			Command::Request { peer, request, reply } => {
				let id = self.swarm.behaviour_mut().blobs.send_request(&peer, request);
				self.pending_requests.insert(id, reply);
			}
			Command::Block(peer) => {
				self.blocked.insert(peer);
				let behaviour = self.swarm.behaviour_mut();
				behaviour.blocked.block_peer(peer);
				behaviour.kad.remove_peer(&peer);
			}
			#[cfg(feature = "adversary")]
			Command::ServeWrongBytes(root) => {
				self.wrong_bytes.insert(root);
			}
			Command::Subscribe(bounty) => {
				if let Err(e) = self.swarm.behaviour_mut().gossip.subscribe(&topic(bounty)) {
					tracing::warn!(bounty, "cannot subscribe to the bounty's announcements: {e}");
				}
			}
			Command::Announce { announcement, reply } => {
				let result = self
					.swarm
					.behaviour_mut()
					.gossip
					.publish(topic(announcement.bounty), announcement.encode())
					.map(drop)
					.map_err(|e| e.to_string());
				let _ = reply.send(result);
			}
		}
	}

	fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
		match event {
			SwarmEvent::NewListenAddr { address, .. } => {
				tracing::info!(%address, "listening");
			}
			SwarmEvent::ConnectionEstablished { peer_id, endpoint, .. } => {
				tracing::debug!(%peer_id, addr = %endpoint.get_remote_address(), "connected");
				for reply in self.pending_dials.remove(&peer_id).unwrap_or_default() {
					let _ = reply.send(Ok(()));
				}
			}
			SwarmEvent::OutgoingConnectionError { peer_id: Some(peer), error, .. } => {
				for reply in self.pending_dials.remove(&peer).unwrap_or_default() {
					let _ = reply.send(Err(error.to_string()));
				}
			}
			SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
			_ => {}
		}
	}

	fn on_behaviour_event(&mut self, event: BehaviourEvent) {
		match event {
			BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
				// Peers learn each other's listen addresses here, and the DHT routes by them.
				for addr in info.listen_addrs {
					self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
				}
			}
			BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
				id,
				result: kad::QueryResult::GetProviders(result),
				step,
				..
			}) => {
				if let (
					Some((found, _)),
					Ok(kad::GetProvidersOk::FoundProviders { providers, .. }),
				) = (self.pending_providers.get_mut(&id), result)
				{
					found.extend(providers);
				}
				if step.last {
					if let Some((found, reply)) = self.pending_providers.remove(&id) {
						let _ = reply.send(found);
					}
				}
			}
			BehaviourEvent::Blobs(request_response::Event::Message { peer, message }) => {
				match message {
					request_response::Message::Request { request, channel, .. } => {
						let response = self.answer(&request);
						if let BlobResponse::Blob(bytes)
						| BlobResponse::Chunk { chunk: bytes, .. } = &response
						{
							self.served.fetch_add(bytes.len() as u64, Ordering::Relaxed);
						}
						if self
							.swarm
							.behaviour_mut()
							.blobs
							.send_response(channel, response)
							.is_err()
						{
							tracing::debug!(%peer, "peer left before the blob was sent");
						}
					}
					request_response::Message::Response { request_id, response } => {
						if let Some(reply) = self.pending_requests.remove(&request_id) {
							let _ = reply.send(Ok(response));
						}
					}
				}
			}
			BehaviourEvent::Blobs(request_response::Event::OutboundFailure {
				request_id,
				error,
				..
			}) => {
				if let Some(reply) = self.pending_requests.remove(&request_id) {
					let _ = reply.send(Err(error.to_string()));
				}
			}
			BehaviourEvent::Blobs(request_response::Event::InboundFailure {
				peer, error, ..
			}) => {
				tracing::debug!(%peer, "inbound blob request failed: {error}");
			}
			BehaviourEvent::Gossip(gossipsub::Event::Message { message, .. }) => {
				let Some(peer) = message.source else { return };
				match Announcement::decode_all(&mut &message.data[..]) {
					Ok(announcement) => {
						// A reader that falls behind loses announcements rather than stalling
						// the network: they are hints, the chain is the record.
						if self.announced.try_send(Announced { peer, announcement }).is_err() {
							tracing::debug!(%peer, "announcement dropped: nobody is reading them");
						}
					}
					Err(e) => tracing::debug!(%peer, "malformed announcement ignored: {e}"),
				}
			}
			_ => {}
		}
	}

	/// What this peer answers to `request`, from its store.
	fn answer(&self, request: &BlobRequest) -> BlobResponse {
		let root = match request {
			BlobRequest::Blob(root) | BlobRequest::Chunk { root, .. } => root,
		};
		#[cfg_attr(not(feature = "adversary"), allow(unused_mut))]
		let mut bytes = match self.store.blob(root) {
			Ok(Some(bytes)) => bytes,
			Ok(None) => return BlobResponse::NotFound,
			Err(e) => {
				tracing::error!(?root, "cannot read a blob from the store: {e}");
				return BlobResponse::NotFound;
			}
		};
		#[cfg(feature = "adversary")]
		if self.wrong_bytes.contains(root) {
			if let Some(first) = bytes.first_mut() {
				*first ^= 0xff;
			}
		}
		match *request {
			BlobRequest::Blob(_) => BlobResponse::Blob(bytes),
			BlobRequest::Chunk { index, .. } => match MerkleTree::new(&bytes).proof(index) {
				Some(proof) => {
					let start = index as usize * crate::merkle::CHUNK_SIZE;
					let end = (start + crate::merkle::CHUNK_SIZE).min(bytes.len());
					BlobResponse::Chunk { chunk: bytes[start..end].to_vec(), proof }
				}
				None => BlobResponse::NotFound,
			},
		}
	}
}
