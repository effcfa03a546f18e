//! Answering other peers' blob requests, off the swarm's task.
//!
//! An answer reads a whole blob from the store (up to `max_blob_bytes`). Done on the event
//! loop, every request would stall every connection for that long, and any peer could send
//! them back to back. So requests wait in one queue ([`Queue`]) and are answered
//! [`IN_FLIGHT`] at a time on blocking threads by a [`Server`]. A peer may have [`PER_PEER`]
//! requests waiting or being answered; more are refused (their stream is dropped, and the
//! asker sees a failed request), so a peer that floods requests delays each other peer's by
//! at most [`PER_PEER`] answers, and cannot grow the queue without bound. A request whose
//! asker has gone (it timed out while waiting) is dropped unanswered.

use super::{BlobRequest, BlobResponse};
use crate::store::Store;
#[cfg(feature = "adversary")]
use cohort_primitives::H256;
use libp2p::PeerId;
#[cfg(feature = "adversary")]
use std::sync::Mutex;
use std::{
	collections::{HashMap, VecDeque},
	sync::Arc,
};

/// Requests answered at once: one per core of the machines workers run on, the rest of the
/// node keeping its own.
pub const IN_FLIGHT: usize = 2;

/// Requests one peer may have waiting or being answered. An honest peer asks for a handful of
/// blobs at a time (a checkpoint and a dataset per slot, a delta per dispute).
pub const PER_PEER: usize = 8;

/// The requests waiting to be answered, first come first served.
pub struct Queue<J> {
	waiting: VecDeque<(PeerId, J)>,
	/// Each peer's requests waiting or being answered.
	held: HashMap<PeerId, usize>,
	in_flight: usize,
}

impl<J> Default for Queue<J> {
	fn default() -> Self {
		Self { waiting: VecDeque::new(), held: HashMap::new(), in_flight: 0 }
	}
}

impl<J> Queue<J> {
	/// Queue `job` for `peer`; gives it back when the peer holds [`PER_PEER`] already.
	pub fn admit(&mut self, peer: PeerId, job: J) -> Result<(), J> {
		let held = self.held.entry(peer).or_default();
		if *held >= PER_PEER {
			return Err(job);
		}
		*held += 1;
		self.waiting.push_back((peer, job));
		Ok(())
	}

	/// The next job to start, while fewer than [`IN_FLIGHT`] are being answered.
	pub fn start(&mut self) -> Option<(PeerId, J)> {
		if self.in_flight >= IN_FLIGHT {
			return None;
		}
		let next = self.waiting.pop_front()?;
		self.in_flight += 1;
		Some(next)
	}

	/// A job of `peer` started by [`Queue::start`] is answered.
	pub fn finish(&mut self, peer: &PeerId) {
		self.in_flight = self.in_flight.saturating_sub(1);
		if let Some(held) = self.held.get_mut(peer) {
			*held -= 1;
			if *held == 0 {
				self.held.remove(peer);
			}
		}
	}
}

/// Answers requests from the store.
pub struct Server {
	store: Arc<Store>,
	/// Blobs this (adversary) peer answers with their first byte flipped.
	#[cfg(feature = "adversary")]
	wrong_bytes: Mutex<std::collections::HashSet<H256>>,
}

impl Server {
	pub fn new(store: Arc<Store>) -> Self {
		Self {
			store,
			#[cfg(feature = "adversary")]
			wrong_bytes: Mutex::default(),
		}
	}

	/// Answer every later request for `root` with bytes that do not hash to it.
	#[cfg(feature = "adversary")]
	pub fn serve_wrong_bytes(&self, root: H256) {
		self.wrong_bytes.lock().expect("not poisoned").insert(root);
	}

	/// What this peer answers to `request`. Blocking: it reads the store.
	pub fn answer(&self, request: &BlobRequest) -> BlobResponse {
		let BlobRequest::Blob(root) = request;
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
		if self.wrong_bytes.lock().expect("not poisoned").contains(root) {
			if let Some(first) = bytes.first_mut() {
				*first ^= 0xff;
			}
		}
		BlobResponse::Blob(bytes)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_peer_holds_at_most_per_peer_requests() {
		let mut queue = Queue::default();
		let flooder = PeerId::random();
		for job in 0..PER_PEER {
			assert!(queue.admit(flooder, job).is_ok());
		}
		assert_eq!(queue.admit(flooder, PER_PEER), Err(PER_PEER), "one past the bound is refused");
		// Another peer is not held back by the flooder's bound.
		let honest = PeerId::random();
		assert!(queue.admit(honest, 100).is_ok());
		// Once one of the flooder's is answered, it may ask again.
		let (peer, job) = queue.start().unwrap();
		assert_eq!((peer, job), (flooder, 0));
		queue.finish(&peer);
		assert!(queue.admit(flooder, PER_PEER).is_ok());
	}

	#[test]
	fn at_most_in_flight_are_answered_at_once_in_arrival_order() {
		let mut queue = Queue::default();
		let peers: Vec<PeerId> = (0..IN_FLIGHT + 2).map(|_| PeerId::random()).collect();
		for (job, peer) in peers.iter().enumerate() {
			queue.admit(*peer, job).unwrap();
		}
		let started: Vec<_> = std::iter::from_fn(|| queue.start()).collect();
		assert_eq!(
			started.iter().map(|(_, job)| *job).collect::<Vec<_>>(),
			(0..IN_FLIGHT).collect::<Vec<_>>()
		);
		assert!(queue.start().is_none(), "no more than IN_FLIGHT at once");
		queue.finish(&started[0].0);
		assert_eq!(queue.start().map(|(_, job)| job), Some(IN_FLIGHT));
	}
}
