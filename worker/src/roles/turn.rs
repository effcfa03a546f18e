//! The turn to train: one training (or recomputation) at a time on this machine, given to
//! the bounties in turn and, within a bounty, to the duty whose deadline comes first.
//!
//! Two shards trained at once share the machine and both may miss their deadlines, where
//! one after the other each knows the time it has left. First come, first served, a
//! verifier recomputed every dispute in the order it saw them: a bounty that opens many
//! audits at once (a cheap flood at a high audit rate) queued them all ahead of every other
//! bounty's, whose votes then came too late. Earliest deadline first alone, a bounty with
//! short vote windows could keep sending disputes due before another's long one and starve
//! it. So the turn goes to the waiting bounty served longest ago (a bounty never served
//! first), and among its duties to the earliest deadline: a flood of one bounty delays each
//! other bounty's next duty by one at most, and one bounty's duties are done in the order
//! they are due. Many bounties of one submitter each take a turn, each paying its deposit.

use cohort_primitives::BountyId;
use std::{
	collections::HashMap,
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
	waiting: Vec<Waiter>,
	/// Counts the waiters, so that equal deadlines are served in the order they came.
	arrivals: u64,
	/// Counts the turns given, and when each bounty was last given one.
	given: u64,
	last_given: HashMap<BountyId, u64>,
}

/// A duty waiting for the turn.
struct Waiter {
	bounty: BountyId,
	/// The block number its work must be done by.
	deadline: u32,
	arrival: u64,
	give: oneshot::Sender<Turn>,
}

/// The turn to train, held until dropped; then it goes to the next waiting duty.
pub struct Turn {
	turns: Option<Turns>,
}

impl State {
	/// The turn goes to `bounty`.
	fn give_to(&mut self, bounty: BountyId) {
		self.taken = true;
		self.given += 1;
		self.last_given.insert(bounty, self.given);
	}

	/// The waiter served next: of the bounty given a turn longest ago, the earliest deadline,
	/// then the first to arrive.
	fn next(&mut self) -> Option<Waiter> {
		let last_given = &self.last_given;
		let key =
			|w: &Waiter| (last_given.get(&w.bounty).copied().unwrap_or(0), w.deadline, w.arrival);
		let (index, _) = self.waiting.iter().enumerate().min_by_key(|(_, w)| key(w))?;
		Some(self.waiting.swap_remove(index))
	}
}

impl Turns {
	/// The turn, for a duty of `bounty` due by block `deadline`, once it is this duty's (see
	/// the module's docs). A duty that stops waiting (dropped, or timed out) gives up its
	/// place.
	pub async fn take(&self, bounty: BountyId, deadline: u32) -> Turn {
		let taken = {
			let mut state = self.state.lock().expect("not poisoned");
			if state.taken {
				let (give, taken) = oneshot::channel();
				let arrival = state.arrivals;
				state.arrivals += 1;
				state.waiting.push(Waiter { bounty, deadline, arrival, give });
				Some(taken)
			} else {
				state.give_to(bounty);
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
		state.taken = false;
		while let Some(waiter) = state.next() {
			match waiter.give.send(Turn { turns: Some(self.clone()) }) {
				Ok(()) => {
					state.give_to(waiter.bounty);
					return;
				}
				// It stopped waiting: the turn comes back, and must not pass on from here
				// (this lock is held).
				Err(mut turn) => turn.turns = None,
			}
		}
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

	type Order = Arc<Mutex<Vec<&'static str>>>;

	/// Start waiting for the turn for `bounty` with `deadline`, recording `name` in `order`
	/// once given it (and giving it back at once); returns once it waits.
	async fn wait(
		turns: &Turns,
		(bounty, deadline): (BountyId, u32),
		name: &'static str,
		order: &Order,
	) -> tokio::task::JoinHandle<()> {
		let (turns, order) = (turns.clone(), order.clone());
		let task = tokio::spawn(async move {
			let _turn = turns.take(bounty, deadline).await;
			order.lock().unwrap().push(name);
		});
		for _ in 0..10 {
			tokio::task::yield_now().await;
		}
		task
	}

	/// The order in which `waiters` get the turn, all waiting while it is held for bounty 1.
	async fn order_of(waiters: &[((BountyId, u32), &'static str)]) -> Vec<&'static str> {
		let turns = Turns::default();
		let held = turns.take(1, 0).await;
		let order = Order::default();
		let mut waiting = Vec::new();
		for (duty, name) in waiters {
			waiting.push(wait(&turns, *duty, name, &order).await);
		}
		drop(held);
		for task in waiting {
			task.await.unwrap();
		}
		// Free again once everyone has had it.
		assert!(turns.take(1, 0).now_or_never().is_some());
		let order = order.lock().unwrap().clone();
		order
	}

	#[tokio::test]
	async fn a_bountys_earliest_deadline_goes_first_and_equal_ones_in_turn() {
		let waiters =
			[((1, 30), "late"), ((1, 10), "soon"), ((1, 20), "next"), ((1, 10), "soon too")];
		assert_eq!(order_of(&waiters).await, ["soon", "soon too", "next", "late"]);
	}

	#[tokio::test]
	async fn bounties_take_turns_whatever_their_deadlines() {
		// Bounty 1 floods with early deadlines while it holds the turn; bounty 2's duties,
		// due much later, each wait for one of bounty 1's at most.
		let waiters = [
			((1, 1), "flood 1"),
			((1, 2), "flood 2"),
			((1, 3), "flood 3"),
			((2, 50), "other 1"),
			((2, 51), "other 2"),
		];
		let order = order_of(&waiters).await;
		assert_eq!(order, ["other 1", "flood 1", "other 2", "flood 2", "flood 3"]);
	}

	#[tokio::test]
	async fn a_duty_that_stops_waiting_gives_up_its_place() {
		let turns = Turns::default();
		let held = turns.take(1, 0).await;
		let order = Order::default();
		let gave_up = tokio::time::timeout(Duration::from_millis(10), turns.take(2, 1)).await;
		assert!(gave_up.is_err());
		let waiting = wait(&turns, (3, 5), "stayed", &order).await;
		drop(held);
		waiting.await.unwrap();
		assert_eq!(*order.lock().unwrap(), ["stayed"]);
	}

	#[tokio::test]
	async fn a_turn_given_to_a_duty_that_never_takes_it_passes_on() {
		let turns = Turns::default();
		let held = turns.take(1, 0).await;
		// Waiting, then dropped after the turn was sent to it but before it took it.
		let mut first = Box::pin(turns.take(1, 1));
		assert!(first.as_mut().now_or_never().is_none());
		let mut second = Box::pin(turns.take(1, 2));
		assert!(second.as_mut().now_or_never().is_none());
		drop(held);
		drop(first);
		let turn = second.now_or_never().expect("the second waiter has the turn");
		assert!(turns.take(1, 0).now_or_never().is_none(), "taken while held");
		drop(turn);
		assert!(turns.take(1, 0).now_or_never().is_some());
	}
}
