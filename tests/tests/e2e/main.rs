//! End-to-end tests: real `cohort-node` processes on loopback, driven over JSON-RPC.
//!
//! They need the node binary built first (`scripts/test` does it). Two cores are shared by all
//! of them, so they take turns by weight (see [`Turn`]), whatever `--test-threads` says: a test
//! that trains (workers, verifiers, deadlines that training must meet) runs with at most one
//! light test beside it; light tests (nodes and chain calls only) run up to three at a time. A
//! light test spends most of its time waiting for blocks, which the other test's processes can
//! use. `scripts/test` runs this binary with a libtest thread per test, so that a test waiting
//! for its turn never keeps a light one from running.

mod adversaries;
mod bad_checkpoint;
mod chain_specs;
mod cross_class;
mod election;
mod finality;
mod finality_stall;
mod honest_network;
mod many_adversaries;
mod nat;
mod training;
mod validator_down;
mod worker_down;
mod worker_p2p;
mod worker_run;

use std::{
	sync::{Mutex, PoisonError},
	time::Duration,
};
use tokio::sync::Notify;

/// The machine's share for end-to-end tests: a training test takes two units, a light one.
const UNITS: u32 = 3;
const TRAINING_UNITS: u32 = 2;

/// Who holds the machine's units and who waits for them.
struct Machine {
	free: u32,
	lights: u32,
	training_waiting: u32,
}

static MACHINE: Mutex<Machine> =
	Mutex::new(Machine { free: UNITS, lights: 0, training_waiting: 0 });
static FREED: Notify = Notify::const_new();

/// A test's turn on the machine, held for the whole test and given back when dropped (also
/// when the test panics). Training tests go first, since the suite lasts as long as they do
/// one after another: while one waits, a light test starts only if no other light test runs,
/// which always leaves two units for the training test. Unlike a fair semaphore, a training
/// test at the head of the queue does not keep light tests waiting while a unit sits free
/// beside a running training test.
pub struct Turn(u32);

impl Turn {
	async fn take(units: u32) -> Turn {
		let training = units == TRAINING_UNITS;
		if training {
			lock().training_waiting += 1;
		}
		loop {
			let freed = FREED.notified();
			tokio::pin!(freed);
			// Registered before looking, so a release in between still wakes this test.
			freed.as_mut().enable();
			{
				let mut machine = lock();
				let fits = machine.free >= units
					&& (training || machine.training_waiting == 0 || machine.lights == 0);
				if fits {
					machine.free -= units;
					match training {
						true => machine.training_waiting -= 1,
						false => machine.lights += 1,
					}
					return Turn(units);
				}
			}
			freed.await;
		}
	}
}

impl Drop for Turn {
	fn drop(&mut self) {
		let mut machine = lock();
		machine.free += self.0;
		if self.0 != TRAINING_UNITS {
			machine.lights -= 1;
		}
		drop(machine);
		FREED.notify_waiters();
	}
}

fn lock() -> std::sync::MutexGuard<'static, Machine> {
	// A test that panics holds no guard across a panic point; the state stays whole.
	MACHINE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Hold this for the whole of a test whose workers train against deadlines.
pub async fn training_test() -> Turn {
	Turn::take(TRAINING_UNITS).await
}

/// Hold this for the whole of a test that starts nodes but trains nothing.
pub async fn light_test() -> Turn {
	Turn::take(1).await
}

/// Generous bound for anything that takes a few blocks at 1 s slots.
pub const BLOCKS_TIMEOUT: Duration = Duration::from_secs(90);
