//! The task that owns the swarm: it answers [`Command`]s from [`super::Network`] handles,
//! hands other peers' blob requests to the [`Server`] and sends its answers, and passes
//! gossiped announcements on.

use super::{
	behaviour::{Behaviour, BehaviourEvent},
	paths::Paths,
	serving::{Queue, Server},
	Announced, Announcement, BlobRequest, BlobResponse, Command, Config, P2pError,
};
use crate::store::Store;
use codec::{DecodeAll, Encode};
use cohort_primitives::{BountyId, H256};
use futures::{
	channel::{mpsc, oneshot},
	future::BoxFuture,
	stream::FuturesUnordered,
	FutureExt, StreamExt,
};
use libp2p::{
	autonat, dcutr, gossipsub, identify, kad,
	multiaddr::Protocol,
	relay,
	request_response::{self, InboundRequestId},
	swarm::SwarmEvent,
	Multiaddr, PeerId, Swarm,
};
use std::{
	collections::{HashMap, HashSet},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};
use tokio::sync::watch;

/// How long the network may take to report the addresses it listens on.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

fn topic(bounty: BountyId) -> gossipsub::IdentTopic {
	gossipsub::IdentTopic::new(format!("/cohort/bounty/{bounty}"))
}

/// Whether `addr` is on a loopback interface.
fn is_loopback(addr: &Multiaddr) -> bool {
	match addr.iter().next() {
		Some(Protocol::Ip4(ip)) => ip.is_loopback(),
		Some(Protocol::Ip6(ip)) => ip.is_loopback(),
		_ => false,
	}
}

fn kad_key(root: &H256) -> kad::RecordKey {
	kad::RecordKey::new(&root.as_bytes())
}

pub struct EventLoop {
	swarm: Swarm<Behaviour>,
	commands: mpsc::Receiver<Command>,
	announced: mpsc::Sender<Announced>,
	/// Answers other peers' requests, on blocking threads.
	server: Arc<Server>,
	/// Requests waiting for the server.
	queue: Queue<(InboundRequestId, BlobRequest, ResponseChannel)>,
	/// Requests the server is answering.
	answering: FuturesUnordered<Answering>,
	/// Answers handed to libp2p and not yet sent, with the peer they are for.
	sending: HashMap<InboundRequestId, PeerId>,
	served: Arc<AtomicU64>,
	/// Peers caught serving wrong bytes (the block list behaviour refuses their connections;
	/// this set answers requests for them at once).
	blocked: HashSet<PeerId>,
	pending_dials: HashMap<PeerId, Vec<oneshot::Sender<Result<(), String>>>>,
	pending_providers: HashMap<kad::QueryId, (HashSet<PeerId>, oneshot::Sender<HashSet<PeerId>>)>,
	pending_requests: HashMap<request_response::OutboundRequestId, (PeerId, Reply)>,
	/// The relays to reserve a slot on once AutoNAT finds this peer unreachable, and whether
	/// it has.
	relays: Vec<Multiaddr>,
	relayed: bool,
	/// How each peer is reached, and the requests waiting for a direct connection.
	paths: Paths<(BlobRequest, Reply)>,
	/// Bytes fetched over direct connections and through relays.
	fetched: Arc<Fetched>,
	/// Counts changes of this peer's listen addresses (a relay slot reserved or lost).
	listen_changes: watch::Sender<u64>,
}

/// The answer to a blob request.
type Reply = oneshot::Sender<Result<BlobResponse, String>>;

/// Where the answer to another peer's request goes.
type ResponseChannel = request_response::ResponseChannel<BlobResponse>;

/// A request being answered on a blocking thread: whose and which it was, and the answer
/// (unless the thread panicked).
type Answering =
	BoxFuture<'static, (PeerId, InboundRequestId, Option<(ResponseChannel, BlobResponse)>)>;

/// Bytes this peer fetched, by path.
#[derive(Debug, Default)]
pub struct Fetched {
	/// Over direct connections (hole punched ones included).
	pub direct: AtomicU64,
	/// Through a relay.
	pub relayed: AtomicU64,
}

impl EventLoop {
	pub fn new(
		swarm: Swarm<Behaviour>,
		commands: mpsc::Receiver<Command>,
		announced: mpsc::Sender<Announced>,
		store: Arc<Store>,
		served: Arc<AtomicU64>,
		fetched: Arc<Fetched>,
		listen_changes: watch::Sender<u64>,
	) -> Self {
		Self {
			swarm,
			commands,
			announced,
			server: Arc::new(Server::new(store)),
			queue: Queue::default(),
			answering: FuturesUnordered::new(),
			sending: HashMap::new(),
			served,
			blocked: HashSet::new(),
			pending_dials: HashMap::new(),
			pending_providers: HashMap::new(),
			pending_requests: HashMap::new(),
			relays: Vec::new(),
			relayed: false,
			paths: Paths::default(),
			fetched,
			listen_changes,
		}
	}

	/// Open the listeners of `config`, and wait until each listener reports an address, so
	/// that callers can print or register them. Its relays are kept for when AutoNAT finds
	/// this peer behind a NAT.
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
		self.relays = config.relays.clone();
		Ok(self)
	}

	/// Run until every [`super::Network`] handle is dropped.
	pub async fn run(mut self) {
		let mut ticks = tokio::time::interval(Duration::from_millis(500));
		loop {
			tokio::select! {
				event = self.swarm.select_next_some() => self.on_swarm_event(event),
				command = self.commands.next() => match command {
					Some(command) => self.on_command(command),
					None => return,
				},
				Some((peer, id, answer)) = self.answering.next(), if !self.answering.is_empty() => {
					self.on_answered(peer, id, answer);
				}
				_ = ticks.tick() => self.release_overdue(),
			}
		}
	}

	/// Reserve a slot on each relay, so that peers can reach this one through them.
	fn listen_through_relays(&mut self) {
		if self.relayed {
			return;
		}
		self.relayed = true;
		if self.relays.is_empty() {
			tracing::warn!(
				"this peer is behind a NAT and has no relay (--relay): only peers it dials \
				 itself can fetch from it"
			);
		}
		for relay in self.relays.clone() {
			let circuit = relay.with(Protocol::P2pCircuit);
			tracing::info!(%circuit, "behind a NAT: reserving a slot on a relay");
			if let Err(e) = self.swarm.listen_on(circuit.clone()) {
				tracing::warn!(%circuit, "cannot listen through the relay: {e}");
			}
		}
	}

	/// Send `request` to `peer` now, or hold it while `peer` is reachable only through a
	/// relay and a hole punch may still give a direct connection (or while it is not
	/// connected at all: dial it first, to see which it will be).
	fn request(&mut self, peer: PeerId, request: BlobRequest, reply: Reply) {
		if !self.paths.is_connected(&peer) && !self.paths.holds(&peer) {
			match self.swarm.dial(peer) {
				Ok(()) => self.paths.hold(peer, Instant::now()),
				// Nothing to dial it at: the request reports it.
				Err(e) => tracing::debug!(%peer, "cannot dial ahead of a request: {e}"),
			}
		}
		if let Some((request, reply)) = self.paths.park(peer, (request, reply)) {
			self.send(peer, request, reply);
		}
	}

	fn send(&mut self, peer: PeerId, request: BlobRequest, reply: Reply) {
		let id = self.swarm.behaviour_mut().blobs.send_request(&peer, request);
		self.pending_requests.insert(id, (peer, reply));
	}

	/// Send the requests held for `peer`.
	fn release(&mut self, peer: PeerId) {
		for (request, reply) in self.paths.release(&peer) {
			self.send(peer, request, reply);
		}
	}

	/// Send the requests whose hole punch has had its time.
	fn release_overdue(&mut self) {
		for peer in self.paths.overdue(Instant::now()) {
			self.release(peer);
		}
	}

	/// `peer` is reached directly: send what waited for it, and close the relayed connections
	/// no request is on, so that what follows takes the direct one.
	fn on_direct(&mut self, peer: PeerId) {
		let busy = self.pending_requests.values().any(|(p, _)| *p == peer);
		if !busy {
			for id in self.paths.relayed(&peer) {
				self.swarm.close_connection(id);
			}
		}
		self.release(peer);
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
			Command::Request { peer, request, reply } => self.request(peer, request, reply),
			Command::Block(peer) => {
				self.blocked.insert(peer);
				let behaviour = self.swarm.behaviour_mut();
				behaviour.blocked.block_peer(peer);
				behaviour.kad.remove_peer(&peer);
			}
			// Answers being read keep the server they started with.
			Command::AlterAnswers(hook) => self.server = Arc::new(self.server.with_hook(hook)),
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
				if address.iter().any(|p| p == Protocol::P2pCircuit) {
					tracing::info!(%address, "reachable only through a relay, at");
				} else {
					tracing::info!(%address, "listening");
				}
				self.listen_changes.send_modify(|changes| *changes += 1);
			}
			SwarmEvent::ExpiredListenAddr { address, .. } => {
				tracing::info!(%address, "no longer listening");
				self.listen_changes.send_modify(|changes| *changes += 1);
			}
			SwarmEvent::ConnectionEstablished { peer_id, connection_id, endpoint, .. } => {
				let relayed = endpoint.is_relayed();
				tracing::debug!(%peer_id, addr = %endpoint.get_remote_address(), relayed, "connected");
				self.paths.connected(peer_id, connection_id, relayed, Instant::now());
				for reply in self.pending_dials.remove(&peer_id).unwrap_or_default() {
					let _ = reply.send(Ok(()));
				}
				if !relayed {
					self.on_direct(peer_id);
				}
			}
			SwarmEvent::ConnectionClosed { peer_id, connection_id, .. } => {
				self.paths.closed(peer_id, connection_id);
			}
			SwarmEvent::OutgoingConnectionError { peer_id: Some(peer), error, .. } => {
				for reply in self.pending_dials.remove(&peer).unwrap_or_default() {
					let _ = reply.send(Err(error.to_string()));
				}
				if !self.paths.is_connected(&peer) {
					// The requests report the failure themselves.
					self.release(peer);
				}
			}
			SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
			_ => {}
		}
	}

	fn on_behaviour_event(&mut self, event: BehaviourEvent) {
		match event {
			BehaviourEvent::Autonat(autonat::Event::StatusChanged { new, .. }) => match new {
				autonat::NatStatus::Private => {
					tracing::info!("AutoNAT: peers cannot dial this one");
					self.listen_through_relays();
				}
				autonat::NatStatus::Public(address) => {
					tracing::info!(%address, "AutoNAT: peers can dial this one at");
				}
				autonat::NatStatus::Unknown => {}
			},
			BehaviourEvent::RelayClient(relay::client::Event::ReservationReqAccepted {
				relay_peer_id,
				renewal: false,
				..
			}) => {
				tracing::info!(relay = %relay_peer_id, "reserved a slot on the relay");
			}
			BehaviourEvent::Dcutr(dcutr::Event { remote_peer_id, result }) => match result {
				Ok(_) => {
					tracing::info!(peer = %remote_peer_id, "hole punched: a direct connection")
				}
				Err(e) => {
					tracing::info!(peer = %remote_peer_id, "no hole punched, staying on the relay: {e}");
					self.release(remote_peer_id);
				}
			},
			BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
				// Peers learn each other's listen addresses here, and the DHT routes by them
				// (and hands them out with provider records). A peer lists its loopback
				// addresses too, which reach it only from its own machine: dialled from
				// elsewhere they reach whoever listens there (this peer, even), and a dial
				// that meets the wrong peer fails on every address at once.
				let same_machine = is_loopback(&info.observed_addr);
				for addr in info.listen_addrs {
					if same_machine || !is_loopback(&addr) {
						self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
					}
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
					found.extend(providers.iter().copied());
					// Dial each provider while the query still holds the addresses it was
					// given with (the DHT keeps them only for the query's life), and hold
					// requests to it until the connection shows how it is reached.
					for peer in providers {
						let known = self.paths.is_connected(&peer) || self.paths.holds(&peer);
						if !known
							&& peer != *self.swarm.local_peer_id()
							&& self.swarm.dial(peer).is_ok()
						{
							self.paths.hold(peer, Instant::now());
						}
					}
				}
				if step.last {
					if let Some((found, reply)) = self.pending_providers.remove(&id) {
						let _ = reply.send(found);
					}
				}
			}
			BehaviourEvent::Blobs(request_response::Event::Message { peer, message }) => {
				match message {
					request_response::Message::Request { request_id, request, channel } => {
						// Dropping the channel refuses the request.
						let job = (request_id, request, channel);
						if self.queue.admit(peer, job, Instant::now()).is_err() {
							tracing::debug!(%peer, "request refused: too many waiting, or too many bytes sent");
						}
						self.start_answers();
					}
					request_response::Message::Response { request_id, response } => {
						if let Some((peer, reply)) = self.pending_requests.remove(&request_id) {
							let path = match self.paths.is_direct(&peer) {
								true => &self.fetched.direct,
								false => &self.fetched.relayed,
							};
							path.fetch_add(response.payload_len(), Ordering::Relaxed);
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
				if let Some((_, reply)) = self.pending_requests.remove(&request_id) {
					let _ = reply.send(Err(error.to_string()));
				}
			}
			BehaviourEvent::Blobs(request_response::Event::InboundFailure {
				peer,
				request_id,
				error,
				..
			}) => {
				tracing::debug!(%peer, "inbound blob request failed: {error}");
				self.request_done(peer, request_id);
			}
			BehaviourEvent::Blobs(request_response::Event::ResponseSent {
				peer,
				request_id,
				..
			}) => self.request_done(peer, request_id),
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

	/// Hand the server the requests it has room for.
	fn start_answers(&mut self) {
		while let Some((peer, (id, request, channel))) = self.queue.start() {
			// Its asker timed out waiting in the queue: reading the blob would be for nobody.
			if !channel.is_open() {
				self.queue.answered();
				self.queue.release(&peer);
				continue;
			}
			let server = self.server.clone();
			let answer = tokio::task::spawn_blocking(move || {
				let response = server.answer(&request);
				(channel, response)
			});
			self.answering.push(answer.map(move |answered| (peer, id, answered.ok())).boxed());
		}
	}

	/// Hand libp2p the answer to request `id` of `peer`, and start the next. The request
	/// counts against the peer until its answer is sent ([`Self::request_done`]): a peer that
	/// reads slowly cannot have more answers buffered than it may have requests.
	fn on_answered(
		&mut self,
		peer: PeerId,
		id: InboundRequestId,
		answer: Option<(ResponseChannel, BlobResponse)>,
	) {
		self.queue.answered();
		self.start_answers();
		let Some((channel, response)) = answer else {
			tracing::error!(%peer, "answering a blob request panicked");
			return self.queue.release(&peer);
		};
		let len = response.payload_len();
		match self.swarm.behaviour_mut().blobs.send_response(channel, response) {
			Ok(()) => {
				self.served.fetch_add(len, Ordering::Relaxed);
				self.queue.sent(peer, len, Instant::now());
				self.sending.insert(id, peer);
			}
			Err(_) => {
				tracing::debug!(%peer, "peer left before the blob was sent");
				self.queue.release(&peer);
			}
		}
	}

	/// Request `id` of `peer` is done with: its answer sent, or the request failed. Requests
	/// this peer never answered (refused, or still queued) are not counted here.
	fn request_done(&mut self, peer: PeerId, id: InboundRequestId) {
		if self.sending.remove(&id).is_some() {
			self.queue.release(&peer);
		}
	}
}
