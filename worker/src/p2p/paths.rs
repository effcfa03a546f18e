//! How this peer reaches each peer it is connected to (directly, or only through a relay), and
//! the requests held back while a hole punch may still give a direct connection.
//!
//! Blobs are megabytes and a relay is a detour for them (with its own limits), so a request to
//! a peer that is not connected yet, or reached only through a relay, waits: until a direct
//! connection comes up (hole punched by DCUtR, or dialled), the hole punch fails, or
//! [`HOLE_PUNCH_WAIT`] has passed since the relayed connection came up. The event loop
//! (`event_loop.rs`) dials, sends and closes; this keeps the books.

use std::{
	collections::HashMap,
	time::{Duration, Instant},
};

use libp2p::{swarm::ConnectionId, PeerId};

/// How long a request waits for a hole punch once its peer is reached through a relay (or
/// for the dial it started). Behind a symmetric NAT the punch fails, and the request goes
/// through the relay after all.
pub const HOLE_PUNCH_WAIT: Duration = Duration::from_secs(8);

/// Connections by peer, and requests `R` held by peer.
pub struct Paths<R> {
	/// Each connected peer's connections, and whether each goes through a relay.
	connections: HashMap<PeerId, Vec<(ConnectionId, bool)>>,
	/// Requests held until their peer is reached directly or the instant given passes.
	held: HashMap<PeerId, (Instant, Vec<R>)>,
}

impl<R> Default for Paths<R> {
	fn default() -> Self {
		Self { connections: HashMap::new(), held: HashMap::new() }
	}
}

impl<R> Paths<R> {
	/// Connection `id` to `peer` is up, through a relay or not. A relayed one gives the hole
	/// punch it starts its time from now.
	pub fn connected(&mut self, peer: PeerId, id: ConnectionId, relayed: bool, now: Instant) {
		self.connections.entry(peer).or_default().push((id, relayed));
		if let (true, Some((until, _))) = (relayed, self.held.get_mut(&peer)) {
			*until = now + HOLE_PUNCH_WAIT;
		}
	}

	/// Connection `id` to `peer` is closed.
	pub fn closed(&mut self, peer: PeerId, id: ConnectionId) {
		if let Some(connections) = self.connections.get_mut(&peer) {
			connections.retain(|(open, _)| *open != id);
			if connections.is_empty() {
				self.connections.remove(&peer);
			}
		}
	}

	/// Whether any connection to `peer` is up.
	pub fn is_connected(&self, peer: &PeerId) -> bool {
		self.connections.contains_key(peer)
	}

	/// Whether a connection to `peer` is up that does not go through a relay.
	pub fn is_direct(&self, peer: &PeerId) -> bool {
		self.connections.get(peer).is_some_and(|c| c.iter().any(|(_, relayed)| !relayed))
	}

	/// The connections to `peer` that go through a relay.
	pub fn relayed(&self, peer: &PeerId) -> Vec<ConnectionId> {
		let connections = self.connections.get(peer).into_iter().flatten();
		connections.filter(|(_, relayed)| *relayed).map(|(id, _)| *id).collect()
	}

	/// Start holding requests to `peer` (which is being dialled), until `now` plus
	/// [`HOLE_PUNCH_WAIT`] at most.
	pub fn hold(&mut self, peer: PeerId, now: Instant) {
		self.held.entry(peer).or_insert_with(|| (now + HOLE_PUNCH_WAIT, Vec::new()));
	}

	/// Whether requests to `peer` are held.
	pub fn holds(&self, peer: &PeerId) -> bool {
		self.held.contains_key(peer)
	}

	/// Hold `request` for `peer` if its requests are held; otherwise hand it back, to send.
	pub fn park(&mut self, peer: PeerId, request: R) -> Option<R> {
		match self.held.get_mut(&peer) {
			Some((_, waiting)) => {
				waiting.push(request);
				None
			}
			None => Some(request),
		}
	}

	/// Stop holding requests to `peer`; the ones held, to send now.
	pub fn release(&mut self, peer: &PeerId) -> Vec<R> {
		self.held.remove(peer).map(|(_, waiting)| waiting).unwrap_or_default()
	}

	/// The peers whose requests have waited their time by `now`.
	pub fn overdue(&self, now: Instant) -> Vec<PeerId> {
		self.held.iter().filter(|(_, (until, _))| *until <= now).map(|(peer, _)| *peer).collect()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn peer() -> PeerId {
		PeerId::random()
	}

	#[test]
	fn a_request_waits_for_a_direct_connection_and_is_handed_back_when_none_is_held() {
		let (mut paths, bob, now) = (Paths::default(), peer(), Instant::now());
		assert_eq!(paths.park(bob, "unheld"), Some("unheld"));
		paths.hold(bob, now);
		assert_eq!(paths.park(bob, "first"), None);
		paths.connected(bob, ConnectionId::new_unchecked(1), true, now);
		assert!(paths.is_connected(&bob) && !paths.is_direct(&bob));
		assert_eq!(paths.relayed(&bob), vec![ConnectionId::new_unchecked(1)]);
		paths.connected(bob, ConnectionId::new_unchecked(2), false, now);
		assert!(paths.is_direct(&bob));
		assert_eq!(paths.release(&bob), vec!["first"]);
		assert!(!paths.holds(&bob));
		paths.closed(bob, ConnectionId::new_unchecked(1));
		paths.closed(bob, ConnectionId::new_unchecked(2));
		assert!(!paths.is_connected(&bob));
	}

	#[test]
	fn a_relayed_connection_gives_the_hole_punch_its_time_from_when_it_came_up() {
		let (mut paths, bob, start) = (Paths::<()>::default(), peer(), Instant::now());
		paths.hold(bob, start);
		let later = start + Duration::from_secs(5);
		paths.connected(bob, ConnectionId::new_unchecked(1), true, later);
		assert!(paths.overdue(start + HOLE_PUNCH_WAIT).is_empty());
		assert_eq!(paths.overdue(later + HOLE_PUNCH_WAIT), vec![bob]);
	}
}
