//! Answering other peers' blob requests, off the swarm's task.
//!
//! An answer reads a whole blob from the store (up to `max_blob_bytes`). Done on the event
//! loop, every request would stall every connection for that long, and any peer could send
//! them back to back. So requests wait in a [`Queue`], the peers taking turns, and are
//! answered [`IN_FLIGHT`] at a time on blocking threads by a [`Server`]. A peer may have
//! [`PER_PEER`] requests waiting, being answered or being sent; more are refused (their
//! stream is dropped, and the asker sees a failed request). So a peer that floods requests
//! delays each other peer's by one answer per turn, cannot grow the queue without bound, and
//! cannot have more answers buffered for it than that. A request whose asker has gone (it
//! timed out while waiting) is dropped unanswered. And each peer has a byte allowance: once
//! the answers sent to it exceed [`BURST_BYTES`] more than [`REFILL_BYTES_PER_SECOND`] has
//! made up for, its requests are refused until the allowance refills, so that one peer
//! asking for the same large blob again and again cannot keep the store and the uplink busy.

use super::{BlobRequest, BlobResponse};
use crate::store::Store;
use cohort_primitives::H256;
use libp2p::PeerId;
use std::{
	collections::{HashMap, VecDeque},
	sync::Arc,
	time::Instant,
};

/// Requests answered at once: one per core of the machines workers run on, the rest of the
/// node keeping its own.
pub const IN_FLIGHT: usize = 2;

/// Requests one peer may have waiting, being answered or being sent. An honest peer asks for a
/// handful of blobs at a time (a checkpoint and a dataset per slot, a delta per dispute).
pub const PER_PEER: usize = 8;

/// Bytes a peer may be sent at once: a few of the largest blobs (a checkpoint, a dataset,
/// deltas) an honest peer fetches for one round, with room to spare.
pub const BURST_BYTES: u64 = 512 << 20;

/// Bytes per second a peer's allowance refills by, beyond its burst.
pub const REFILL_BYTES_PER_SECOND: u64 = 8 << 20;

/// What a peer was sent beyond its allowance, as of `at`; paid back at
/// [`REFILL_BYTES_PER_SECOND`]. A peer owing nothing has no entry.
struct Owed {
	bytes: u64,
	at: Instant,
}

impl Owed {
	/// What is still owed at `now`.
	fn at(&self, now: Instant) -> u64 {
		let repaid =
			now.saturating_duration_since(self.at).as_secs_f64() * REFILL_BYTES_PER_SECOND as f64;
		self.bytes.saturating_sub(repaid as u64)
	}
}

/// The requests waiting to be answered, taken from the peers that wait in turn (one request of
/// each, round after round), so that a peer with many requests waits no longer than one with
/// one. A request counts against its peer's [`PER_PEER`] from when it is admitted until it is
/// released: its answer sent, or the request dropped.
pub struct Queue<J> {
	/// The peers with requests waiting, in the order of their turns.
	turns: VecDeque<PeerId>,
	waiting: HashMap<PeerId, VecDeque<J>>,
	/// Each peer's requests admitted and not yet released.
	held: HashMap<PeerId, usize>,
	/// Requests started and not yet answered.
	in_flight: usize,
	/// Bytes sent to each peer and not yet covered by its allowance: its burst is owed first,
	/// so a peer is refused once it owes more than [`BURST_BYTES`].
	owed: HashMap<PeerId, Owed>,
}

impl<J> Default for Queue<J> {
	fn default() -> Self {
		Self {
			turns: VecDeque::new(),
			waiting: HashMap::new(),
			held: HashMap::new(),
			in_flight: 0,
			owed: HashMap::new(),
		}
	}
}

impl<J> Queue<J> {
	/// Queue `job` for `peer` at `now`; gives it back when the peer holds [`PER_PEER`]
	/// already, or has been sent more than its byte allowance.
	pub fn admit(&mut self, peer: PeerId, job: J, now: Instant) -> Result<(), J> {
		if let Some(owed) = self.owed.get(&peer) {
			match owed.at(now) {
				0 => drop(self.owed.remove(&peer)),
				bytes if bytes > BURST_BYTES => return Err(job),
				_ => {}
			}
		}
		let held = self.held.entry(peer).or_default();
		if *held >= PER_PEER {
			return Err(job);
		}
		*held += 1;
		let jobs = self.waiting.entry(peer).or_default();
		if jobs.is_empty() {
			self.turns.push_back(peer);
		}
		jobs.push_back(job);
		Ok(())
	}

	/// The next job to start, while fewer than [`IN_FLIGHT`] are being answered: the first of
	/// the peer whose turn it is.
	pub fn start(&mut self) -> Option<(PeerId, J)> {
		if self.in_flight >= IN_FLIGHT {
			return None;
		}
		let peer = self.turns.pop_front()?;
		let jobs = self.waiting.get_mut(&peer).expect("a peer in turn has jobs waiting");
		let job = jobs.pop_front().expect("a peer in turn has jobs waiting");
		if jobs.is_empty() {
			self.waiting.remove(&peer);
		} else {
			self.turns.push_back(peer);
		}
		self.in_flight += 1;
		Some((peer, job))
	}

	/// A job started by [`Queue::start`] is answered (or dropped): the next may start.
	pub fn answered(&mut self) {
		self.in_flight = self.in_flight.saturating_sub(1);
	}

	/// An answer of `bytes` bytes is being sent to `peer` at `now`: it counts against the
	/// peer's allowance.
	pub fn sent(&mut self, peer: PeerId, bytes: u64, now: Instant) {
		let owed = self.owed.get(&peer).map_or(0, |owed| owed.at(now));
		self.owed.insert(peer, Owed { bytes: owed.saturating_add(bytes), at: now });
	}

	/// A request of `peer` is gone: its answer was sent, or it failed or was dropped.
	pub fn release(&mut self, peer: &PeerId) {
		if let Some(held) = self.held.get_mut(peer) {
			*held -= 1;
			if *held == 0 {
				self.held.remove(peer);
			}
		}
	}
}

/// Alters a blob read from the store before it is sent, or withholds it. An honest peer
/// installs none; the one seam through which the end-to-end tests' Byzantine workers serve
/// bytes that do not hash to their root, or hold back what they provided (see
/// [`super::Network::alter_answers`]).
pub trait AnswerHook: Send + Sync {
	/// What this peer sends for `bytes`, the blob stored under `root`: the bytes as it wants
	/// them sent, or `None` to answer that it does not hold them.
	fn answer(&self, root: &H256, bytes: Vec<u8>) -> Option<Vec<u8>>;
}

/// Answers requests from the store.
pub struct Server {
	store: Arc<Store>,
	hook: Option<Arc<dyn AnswerHook>>,
}

impl Server {
	/// A server of `store`'s blobs, as stored.
	pub fn new(store: Arc<Store>) -> Self {
		Self { store, hook: None }
	}

	/// A server of the same store whose answers pass through `hook`.
	pub fn with_hook(&self, hook: Arc<dyn AnswerHook>) -> Self {
		Self { store: self.store.clone(), hook: Some(hook) }
	}

	/// What this peer answers to `request`. Blocking: it reads the store.
	pub fn answer(&self, request: &BlobRequest) -> BlobResponse {
		let BlobRequest::Blob(root) = request;
		let bytes = match self.store.blob(root) {
			Ok(Some(bytes)) => bytes,
			Ok(None) => return BlobResponse::NotFound,
			Err(e) => {
				tracing::error!(?root, "cannot read a blob from the store: {e}");
				return BlobResponse::NotFound;
			}
		};
		let answered = match &self.hook {
			Some(hook) => hook.answer(root, bytes),
			None => Some(bytes),
		};
		answered.map_or(BlobResponse::NotFound, BlobResponse::Blob)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_peer_holds_at_most_per_peer_requests_until_they_are_released() {
		let (mut queue, now) = (Queue::default(), Instant::now());
		let flooder = PeerId::random();
		for job in 0..PER_PEER {
			assert!(queue.admit(flooder, job, now).is_ok());
		}
		assert_eq!(
			queue.admit(flooder, PER_PEER, now),
			Err(PER_PEER),
			"one past the bound is refused"
		);
		// Another peer is not held back by the flooder's bound.
		let honest = PeerId::random();
		assert!(queue.admit(honest, 100, now).is_ok());
		// Answered is not released: the answer may still be on its way.
		let (peer, job) = queue.start().unwrap();
		assert_eq!((peer, job), (flooder, 0));
		queue.answered();
		assert!(queue.admit(flooder, PER_PEER, now).is_err());
		queue.release(&peer);
		assert!(queue.admit(flooder, PER_PEER, now).is_ok());
	}

	#[test]
	fn peers_take_turns_and_at_most_in_flight_are_answered_at_once() {
		let (mut queue, now) = (Queue::default(), Instant::now());
		let (flooder, honest) = (PeerId::random(), PeerId::random());
		for job in 0..PER_PEER {
			queue.admit(flooder, job, now).unwrap();
		}
		queue.admit(honest, 100, now).unwrap();
		let started: Vec<_> = std::iter::from_fn(|| queue.start()).collect();
		// The honest peer's one request goes second, not after the flooder's eight.
		assert_eq!(started, vec![(flooder, 0), (honest, 100)]);
		assert_eq!(started.len(), IN_FLIGHT);
		assert!(queue.start().is_none(), "no more than IN_FLIGHT at once");
		queue.answered();
		assert_eq!(queue.start(), Some((flooder, 1)));
	}

	#[test]
	fn a_peer_sent_more_than_its_allowance_is_refused_until_it_refills() {
		let (mut queue, start) = (Queue::default(), Instant::now());
		let (greedy, honest) = (PeerId::random(), PeerId::random());
		// A 300 MiB blob asked for again and again: the burst covers one answer.
		let blob = 300 << 20;
		queue.admit(greedy, 0, start).unwrap();
		queue.sent(greedy, blob, start);
		queue.admit(greedy, 1, start).unwrap();
		queue.sent(greedy, blob, start);
		// 600 MiB sent: 88 MiB beyond the burst, 11 s of refill.
		assert_eq!(queue.admit(greedy, 2, start), Err(2));
		assert!(queue.admit(honest, 100, start).is_ok(), "another peer is not held back");
		let later = |secs| start + std::time::Duration::from_secs(secs);
		assert_eq!(queue.admit(greedy, 3, later(10)), Err(3));
		assert!(queue.admit(greedy, 4, later(12)).is_ok());
		// Paid back in full, a peer is forgotten.
		let repaid = 600 / 8 + 1;
		assert!(queue.admit(greedy, 5, later(repaid)).is_ok());
		assert!(queue.owed.is_empty());
	}
}
