//! End-to-end tests: real `cohort-node` processes on loopback, driven over JSON-RPC.
//!
//! They need the node binary built first (`scripts/test` does it). Two cores are shared by all
//! of them, so they take turns by weight (see [`Turn`]), whatever `--test-threads` says: a test
//! that trains (workers, verifiers, deadlines that training must meet) runs with at most one
//! light test beside it; light tests (nodes and chain calls only) run up to three at a time. A
//! light test spends most of its time waiting for blocks, which the other test's processes can
//! use. `scripts/test` runs this binary with a libtest thread per test, so that a test waiting
//! for its turn never keeps a light one from running.
//!
//! With `COHORT_E2E_TIMES=<file>` each test appends a line to the file as it ends: its name,
//! the seconds it waited for its turn, and the seconds it held it (`scripts/test` prints the
//! file's lines sorted, longest first, so the suite's critical path can be read off a run).

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
mod node_connection;
mod training;
mod validator_down;
mod worker_down;
mod worker_p2p;
mod worker_run;

use std::{
	io::Write,
	sync::{Mutex, PoisonError},
	time::{Duration, Instant},
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
pub struct Turn {
	units: u32,
	asked: Instant,
	given: Instant,
}

impl Turn {
	async fn take(units: u32) -> Turn {
		let asked = Instant::now();
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
					return Turn { units, asked, given: Instant::now() };
				}
			}
			freed.await;
		}
	}
}

impl Drop for Turn {
	fn drop(&mut self) {
		let mut machine = lock();
		machine.free += self.units;
		if self.units != TRAINING_UNITS {
			machine.lights -= 1;
		}
		drop(machine);
		FREED.notify_waiters();
		self.record();
	}
}

impl Turn {
	/// Appends this test's wait and run time to `$COHORT_E2E_TIMES`, if it is set.
	fn record(&self) {
		let Some(path) = std::env::var_os("COHORT_E2E_TIMES") else { return };
		// libtest names each test's thread after the test.
		let thread = std::thread::current();
		let name = thread.name().unwrap_or("unnamed");
		let line = format!(
			"{:7.1} s  {name} ({}, waited {:.1} s)\n",
			self.given.elapsed().as_secs_f64(),
			if self.units == TRAINING_UNITS { "training" } else { "light" },
			(self.given - self.asked).as_secs_f64(),
		);
		// One `write` of one short line to a file opened for appending: lines do not interleave.
		let written = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(&path)
			.and_then(|mut file| file.write_all(line.as_bytes()));
		if let Err(error) = written {
			eprintln!("cannot record the test's time in {}: {error}", path.to_string_lossy());
		}
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
