//! The turn to train: one training (or recomputation) at a time on this machine, given to
//! the waiting duty whose deadline comes first.
//!
//! Two shards trained at once share the machine and both may miss their deadlines, where
//! one after the other each knows the time it has left. First come, first served, a
//! verifier would recompute every dispute in the order it saw them: a bounty that opens
//! many audits at once (a cheap flood at a high audit rate) queued them all ahead of every
//! other bounty's, whose votes then came too late. Earliest deadline first, each dispute
//! waits only for those that must be done before it.

use std::{
	cmp::Ordering,
	collections::BinaryHeap,
	sync::{Arc, Mutex},
};
use tokio::sync::oneshot;

/// The turn to train, given to one duty at a time (see the module's docs).
#[derive(Clone, Default)]
pub struct Turns {
	state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
	/// Whether a [`Turn`] is out.
	taken: bool,
	waiting: BinaryHeap<Waiter>,
	/// Counts the waiters, so that equal deadlines are served in the order they came.
	arrivals: u64,
}

/// A duty waiting for the turn.
struct Waiter {
	/// The block number its work must be done by.
	deadline: u32,
	arrival: u64,
	give: oneshot::Sender<Turn>,
}

impl Ord for Waiter {
	/// The heap's greatest is the one served next: the earliest deadline, then the first to
	/// arrive.
	fn cmp(&self, other: &Self) -> Ordering {
		(other.deadline, other.arrival).cmp(&(self.deadline, self.arrival))
	}
}

impl PartialOrd for Waiter {
	fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
		Some(self.cmp(other))
	}
}

impl PartialEq for Waiter {
	fn eq(&self, other: &Self) -> bool {
		self.cmp(other) == Ordering::Equal
	}
}

impl Eq for Waiter {}

/// The turn to train, held until dropped; then it goes to the waiting duty with the earliest
/// deadline.
pub struct Turn {
	turns: Option<Turns>,
}

impl Turns {
	/// The turn, once every duty waiting with an earlier deadline (or the same, and waiting
	/// longer) has had it. A duty that stops waiting (dropped, or timed out) gives up its
	/// place.
	pub async fn take(&self, deadline: u32) -> Turn {
		let taken = {
			let mut state = self.state.lock().expect("not poisoned");
			if state.taken {
				let (give, taken) = oneshot::channel();
				let arrival = state.arrivals;
				state.arrivals += 1;
				state.waiting.push(Waiter { deadline, arrival, give });
				Some(taken)
			} else {
				state.taken = true;
				None
			}
		};
		match taken {
			// The sender lives in the state until it gives the turn.
			Some(taken) => taken.await.expect("a waiter is given the turn, never dropped"),
			None => Turn { turns: Some(self.clone()) },
		}
	}

	/// Give the turn to the next waiter still waiting, or leave it free.
	fn pass_on(&self) {
		let mut state = self.state.lock().expect("not poisoned");
		while let Some(waiter) = state.waiting.pop() {
			match waiter.give.send(Turn { turns: Some(self.clone()) }) {
				Ok(()) => return,
				// It stopped waiting: the turn comes back, and must not pass on from here
				// (this lock is held).
				Err(mut turn) => turn.turns = None,
			}
		}
		state.taken = false;
	}
}

impl Drop for Turn {
	fn drop(&mut self) {
		// A turn sent to a waiter that stopped waiting before taking it is dropped with the
		// channel, and passes on from there too.
		if let Some(turns) = self.turns.take() {
			turns.pass_on();
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::FutureExt;
	use std::time::Duration;

	/// Start waiting for the turn with `deadline`, recording `name` in `order` once given it
	/// (and giving it back at once).
	fn wait(
		turns: &Turns,
		deadline: u32,
		name: &'static str,
		order: &Arc<Mutex<Vec<&'static str>>>,
	) -> tokio::task::JoinHandle<()> {
		let (turns, order) = (turns.clone(), order.clone());
		tokio::spawn(async move {
			let _turn = turns.take(deadline).await;
			order.lock().unwrap().push(name);
		})
	}

	/// Let every spawned task run until it waits.
	async fn settle() {
		for _ in 0..10 {
			tokio::task::yield_now().await;
		}
	}

	#[tokio::test]
	async fn the_earliest_deadline_goes_first_and_equal_ones_in_turn() {
		let turns = Turns::default();
		let held = turns.take(0).await;
		let order = Arc::new(Mutex::new(Vec::new()));
		let mut waiting = Vec::new();
		for (deadline, name) in [(30, "late"), (10, "soon"), (20, "next"), (10, "soon too")] {
			waiting.push(wait(&turns, deadline, name, &order));
			settle().await;
		}
		drop(held);
		for task in waiting {
			task.await.unwrap();
		}
		assert_eq!(*order.lock().unwrap(), ["soon", "soon too", "next", "late"]);
		// Free again once everyone has had it.
		assert!(turns.take(0).now_or_never().is_some());
	}

	#[tokio::test]
	async fn a_duty_that_stops_waiting_gives_up_its_place() {
		let turns = Turns::default();
		let held = turns.take(0).await;
		let order = Arc::new(Mutex::new(Vec::new()));
		let gave_up = tokio::time::timeout(Duration::from_millis(10), turns.take(1)).await;
		assert!(gave_up.is_err());
		let waiting = wait(&turns, 5, "stayed", &order);
		settle().await;
		drop(held);
		waiting.await.unwrap();
		assert_eq!(*order.lock().unwrap(), ["stayed"]);
	}

	#[tokio::test]
	async fn a_turn_given_to_a_duty_that_never_takes_it_passes_on() {
		let turns = Turns::default();
		let held = turns.take(0).await;
		// Waiting, then dropped after the turn was sent to it but before it took it.
		let mut first = Box::pin(turns.take(1));
		assert!(first.as_mut().now_or_never().is_none());
		let mut second = Box::pin(turns.take(2));
		assert!(second.as_mut().now_or_never().is_none());
		drop(held);
		drop(first);
		let turn = second.now_or_never().expect("the second waiter has the turn");
		assert!(turns.take(0).now_or_never().is_none(), "taken while held");
		drop(turn);
		assert!(turns.take(0).now_or_never().is_some());
	}
}
