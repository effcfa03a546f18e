//! The one libp2p behaviour every Cohort peer runs, and the swarm around it.

use super::{
	wire::{BlobCodec, PROTOCOL},
	Config, P2pError,
};
use libp2p::{
	allow_block_list, autonat, dcutr, gossipsub, identify,
	identity::Keypair,
	kad::{self, store::MemoryStore},
	noise, ping, relay, request_response,
	swarm::{behaviour::toggle::Toggle, NetworkBehaviour},
	tcp, yamux, StreamProtocol, Swarm, SwarmBuilder,
};
use std::time::Duration;

/// The Kademlia protocol name: Cohort peers form their own DHT, apart from any other network.
const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/cohort/kad/1.0.0");
/// What identify advertises.
const IDENTIFY_PROTOCOL: &str = "/cohort/id/1.0.0";
/// The largest gossip message: announcements are a few dozen bytes.
const MAX_GOSSIP_BYTES: usize = 16 * 1024;

/// Kademlia for provider records, request-response for blobs, gossipsub for announcements,
/// identify and ping, a block list for peers caught serving wrong bytes, and the NAT helpers:
/// relay client (and, on peers that offer it, relay server), DCUtR hole punching and AutoNAT.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
	pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
	pub kad: kad::Behaviour<MemoryStore>,
	pub blobs: request_response::Behaviour<BlobCodec>,
	pub gossip: gossipsub::Behaviour,
	pub identify: identify::Behaviour,
	pub ping: ping::Behaviour,
	pub relay_client: relay::client::Behaviour,
	pub relay_server: Toggle<relay::Behaviour>,
	pub dcutr: dcutr::Behaviour,
	pub autonat: autonat::Behaviour,
}

/// Build the swarm: TCP and QUIC, noise and yamux, relayed connections, DNS names.
pub fn swarm(keypair: Keypair, config: &Config) -> Result<Swarm<Behaviour>, P2pError> {
	let build = |e: &dyn std::fmt::Display| P2pError::Setup(e.to_string());
	let swarm = SwarmBuilder::with_existing_identity(keypair)
		.with_tokio()
		.with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
		.map_err(|e| build(&e))?
		.with_quic()
		.with_dns()
		.map_err(|e| build(&e))?
		.with_relay_client(noise::Config::new, yamux::Config::default)
		.map_err(|e| build(&e))?
		.with_behaviour(|key, relay_client| {
			let peer_id = key.public().to_peer_id();
			let mut kad = kad::Behaviour::with_config(
				peer_id,
				MemoryStore::new(peer_id),
				kad::Config::new(KAD_PROTOCOL),
			);
			// Answer DHT queries even before an external address is confirmed: peers on a
			// LAN or on loopback have none, and must still find each other's blobs.
			kad.set_mode(Some(kad::Mode::Server));
			let gossip = gossipsub::Behaviour::new(
				gossipsub::MessageAuthenticity::Signed(key.clone()),
				gossipsub::ConfigBuilder::default()
					.max_transmit_size(MAX_GOSSIP_BYTES)
					.validation_mode(gossipsub::ValidationMode::Strict)
					.build()?,
			)?;
			Ok(Behaviour {
				blocked: Default::default(),
				kad,
				blobs: request_response::Behaviour::with_codec(
					BlobCodec::new(config.max_blob_bytes),
					[(PROTOCOL, request_response::ProtocolSupport::Full)],
					request_response::Config::default()
						.with_request_timeout(config.request_timeout),
				),
				gossip,
				// Listen addresses change behind a NAT (a relay slot is reserved once AutoNAT
				// has spoken): push them, so that the peers holding this one's provider
				// records hand out the relayed address.
				identify: identify::Behaviour::new(
					identify::Config::new(IDENTIFY_PROTOCOL.into(), key.public())
						.with_push_listen_addr_updates(true),
				),
				ping: ping::Behaviour::default(),
				relay_client,
				relay_server: Toggle::from(
					config.relay_server.then(|| relay::Behaviour::new(peer_id, relay_limits())),
				),
				dcutr: dcutr::Behaviour::new(peer_id),
				autonat: autonat::Behaviour::new(peer_id, nat_probes()),
			})
		})
		.map_err(|e| build(&e))?
		.with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
		.build();
	Ok(swarm)
}

/// What this peer allows a circuit it relays. libp2p's defaults (128 KiB and 2 minutes a
/// circuit) are made for signalling before a hole punch; a worker behind a NAT that hole
/// punching cannot cross (a symmetric one) has only the relay, and each blob it serves or
/// fetches is one request on one circuit, so a circuit must carry a delta of the reference
/// models (4 to 11 MB) with room to spare. Reservation and circuit counts and rates stay
/// libp2p's.
fn relay_limits() -> relay::Config {
	relay::Config {
		max_circuit_bytes: 64 << 20,
		max_circuit_duration: Duration::from_secs(10 * 60),
		..Default::default()
	}
}

/// How this peer learns whether others can dial it (AutoNAT: peers it is connected to try to
/// dial it back). A worker wants to know within seconds of starting, since behind a NAT it
/// must reserve a relay slot before anyone can fetch from it; with one server in reach (the
/// bootstrap peer) a retry may ask the same server again after 10 s instead of 90.
fn nat_probes() -> autonat::Config {
	autonat::Config {
		boot_delay: Duration::from_secs(3),
		retry_interval: Duration::from_secs(10),
		throttle_server_period: Duration::from_secs(10),
		..Default::default()
	}
}
