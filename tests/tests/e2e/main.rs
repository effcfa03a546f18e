//! End-to-end tests: real `cohort-node` processes on loopback, driven over JSON-RPC.
//!
//! They need the node binary built first (`scripts/test` does it). Two cores are shared by all
//! of them, so they take turns by weight (see [`Turn`]), whatever `--test-threads` says: up to two
//! tests that train (workers, verifiers, deadlines that training must meet) run at once, or
//! the sixteen-worker one alone, each with at most one light test (nodes and chain calls only)
//! beside them; light tests alone run up to three at a time. A light test spends most of its
//! time waiting for blocks, which the other tests' processes can use. `scripts/test` runs this binary with a libtest thread per test, so that a test waiting
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

/// The machine's share for end-to-end tests, in units: a light test (nodes and chain calls
/// only) takes one, a training test two, the sixteen-worker test four. Two training tests and a
/// light one fit at once: measured on the 2-core reference machine, that keeps the cores busy
/// (a training test alone leaves a third of them idle while its processes wait for blocks)
/// without making any worker miss a deadline.
const UNITS: u32 = 5;

/// Light tests running at once at most: each starts four nodes, and more than three such
/// networks on two cores slow block production enough to fail a finality test.
const MAX_LIGHTS: u32 = 3;

/// The least time between two tests' starts. A test's first half minute (its nodes compiling
/// the runtime, its workers registering) is its busiest: two started together on the 2-core
/// machine starved a verifier past its two minutes to start.
const STAGGER: Duration = Duration::from_secs(30);

/// How much of the machine a test needs while it runs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Weight {
	Light = 1,
	Training = 2,
	Heavy = 4,
}

/// Who holds the machine's units and who waits for them.
struct Machine {
	free: u32,
	lights: u32,
	/// Tests waiting for their turn, by weight: `[training, heavy]`.
	waiting: [u32; 2],
	/// When the last test started.
	last_start: Option<Instant>,
}

impl Machine {
	fn waiting(&mut self, weight: Weight) -> Option<&mut u32> {
		match weight {
			Weight::Light => None,
			Weight::Training => Some(&mut self.waiting[0]),
			Weight::Heavy => Some(&mut self.waiting[1]),
		}
	}

	/// Whether a test of `weight` may start now. The heavier a test, the sooner it goes,
	/// since the suite lasts as long as the longest tests one after another: a training test
	/// waits while a heavy one does, and a light one starts while heavier ones wait only if no
	/// other light test runs (a unit that would otherwise sit idle beside them).
	fn fits(&self, weight: Weight) -> bool {
		let [training, heavy] = self.waiting;
		self.free >= weight as u32
			&& self.stagger_left().is_zero()
			&& match weight {
				Weight::Heavy => true,
				Weight::Training => heavy == 0,
				Weight::Light => {
					self.lights < MAX_LIGHTS && (training + heavy == 0 || self.lights == 0)
				}
			}
	}

	/// How long until a test may start after the last one (see [`STAGGER`]).
	fn stagger_left(&self) -> Duration {
		self.last_start.map_or(Duration::ZERO, |last| STAGGER.saturating_sub(last.elapsed()))
	}
}

static MACHINE: Mutex<Machine> =
	Mutex::new(Machine { free: UNITS, lights: 0, waiting: [0; 2], last_start: None });
static FREED: Notify = Notify::const_new();

/// A test's turn on the machine, held for the whole test and given back when dropped (also
/// when the test panics). Unlike a fair semaphore, a heavy test at the head of the queue does
/// not keep a light test waiting while a unit it cannot use sits free.
pub struct Turn {
	weight: Weight,
	asked: Instant,
	given: Instant,
}

impl Turn {
	async fn take(weight: Weight) -> Turn {
		let asked = Instant::now();
		if let Some(waiting) = lock().waiting(weight) {
			*waiting += 1;
		}
		loop {
			let freed = FREED.notified();
			tokio::pin!(freed);
			// Registered before looking, so a release in between still wakes this test.
			freed.as_mut().enable();
			let stagger_left = {
				let mut machine = lock();
				if machine.fits(weight) {
					machine.free -= weight as u32;
					match machine.waiting(weight) {
						Some(waiting) => *waiting -= 1,
						None => machine.lights += 1,
					}
					machine.last_start = Some(Instant::now());
					// A heavier test no longer waiting may let lighter ones start.
					FREED.notify_waiters();
					return Turn { weight, asked, given: Instant::now() };
				}
				machine.stagger_left()
			};
			if stagger_left.is_zero() {
				freed.await;
			} else {
				// Nobody is woken when a stagger ends: look again then, or at a release.
				let _ = tokio::time::timeout(stagger_left, freed).await;
			}
		}
	}
}

impl Drop for Turn {
	fn drop(&mut self) {
		let mut machine = lock();
		machine.free += self.weight as u32;
		if self.weight == Weight::Light {
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
			"{:7.1} s  {name} ({:?}, waited {:.1} s)\n",
			self.given.elapsed().as_secs_f64(),
			self.weight,
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
	Turn::take(Weight::Training).await
}

/// Hold this for the whole of a test that trains with more workers than a training test has
/// (sixteen, against four).
pub async fn heavy_training_test() -> Turn {
	Turn::take(Weight::Heavy).await
}

/// Hold this for the whole of a test that starts nodes but trains nothing.
pub async fn light_test() -> Turn {
	Turn::take(Weight::Light).await
}

/// Generous bound for anything that takes a few blocks at 1 s slots.
pub const BLOCKS_TIMEOUT: Duration = Duration::from_secs(90);
