//! End-to-end tests: real `cohort-node` processes on loopback, driven over JSON-RPC.
//!
//! They need the node binary built first (`scripts/test` does it). Two cores are shared by all
//! of them, so they take turns by weight (see [`Turn`]), whatever `--test-threads` says: up to two
//! tests that train (workers, verifiers, deadlines that training must meet) run at once, or
//! the sixteen-worker one alone, each with at most one light test (nodes and chain calls only)
//! beside them; light tests alone run up to three at a time. A light test spends most of its
//! time waiting for blocks, which the other tests' processes can use. `scripts/test` runs this
//! binary with a libtest thread per test, so that a test waiting for its turn never keeps a
//! light one from running.
//!
//! The suite lasts as long as its heaviest test and then its training tests two at a time, so
//! the sixteen-worker test goes first and the training tests follow longest first (each says
//! how long it runs): started in the order libtest happens to wake them, the longest one was
//! left to run alone at the end.
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

/// How long the first test waits before it starts, so that every test of the run has asked
/// for its turn (libtest starts their threads together) and the order above holds from the
/// first start.
const GATHER: Duration = Duration::from_secs(2);

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
	/// The seconds each training test waiting for its turn runs for.
	training: Vec<u32>,
	/// Heavy tests waiting for their turn.
	heavy: u32,
	/// When the first test asked for its turn.
	first_ask: Option<Instant>,
	/// When the last test started.
	last_start: Option<Instant>,
}

impl Machine {
	/// Whether a test of `weight` that runs for `seconds` may start now. The heavier a test,
	/// the sooner it goes, and the longer among training tests: a training test waits while
	/// a heavy one or a longer training test does, and a light one starts while heavier ones
	/// wait only if no other light test runs (a unit that would otherwise sit idle beside
	/// them) and none of them could start now (a start a light test takes delays the next
	/// one by the stagger).
	fn fits(&self, weight: Weight, seconds: u32) -> bool {
		let heavier_waiting = self.heavy > 0 || !self.training.is_empty();
		let heavier_fits = if self.heavy > 0 {
			self.free >= Weight::Heavy as u32
		} else {
			heavier_waiting && self.free >= Weight::Training as u32
		};
		self.free >= weight as u32
			&& self.start_in().is_zero()
			&& match weight {
				Weight::Heavy => true,
				Weight::Training => self.heavy == 0 && self.training.iter().all(|&s| s <= seconds),
				Weight::Light => {
					self.lights < MAX_LIGHTS
						&& (!heavier_waiting || (self.lights == 0 && !heavier_fits))
				}
			}
	}

	/// How long until a test may start: [`STAGGER`] after the last one, [`GATHER`] after the
	/// first ask.
	fn start_in(&self) -> Duration {
		match (self.last_start, self.first_ask) {
			(Some(last), _) => STAGGER.saturating_sub(last.elapsed()),
			(None, Some(first)) => GATHER.saturating_sub(first.elapsed()),
			(None, None) => GATHER,
		}
	}

	/// Count a test of `weight` running for `seconds` among those waiting (`waiting`), or
	/// no longer (`!waiting`).
	fn wait(&mut self, weight: Weight, seconds: u32, waiting: bool) {
		match (weight, waiting) {
			(Weight::Light, _) => {}
			(Weight::Training, true) => self.training.push(seconds),
			(Weight::Training, false) => {
				if let Some(at) = self.training.iter().position(|&s| s == seconds) {
					self.training.swap_remove(at);
				}
			}
			(Weight::Heavy, true) => self.heavy += 1,
			(Weight::Heavy, false) => self.heavy -= 1,
		}
	}
}

static MACHINE: Mutex<Machine> = Mutex::new(Machine {
	free: UNITS,
	lights: 0,
	training: Vec::new(),
	heavy: 0,
	first_ask: None,
	last_start: None,
});
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
	/// Wait for the turn of a test of `weight` that runs for about `seconds`.
	async fn take(weight: Weight, seconds: u32) -> Turn {
		let asked = Instant::now();
		{
			let mut machine = lock();
			machine.first_ask.get_or_insert(asked);
			machine.wait(weight, seconds, true);
		}
		loop {
			let freed = FREED.notified();
			tokio::pin!(freed);
			// Registered before looking, so a release in between still wakes this test.
			freed.as_mut().enable();
			let start_in = {
				let mut machine = lock();
				if machine.fits(weight, seconds) {
					machine.free -= weight as u32;
					machine.wait(weight, seconds, false);
					if weight == Weight::Light {
						machine.lights += 1;
					}
					machine.last_start = Some(Instant::now());
					// A heavier or longer test no longer waiting may let others start.
					FREED.notify_waiters();
					return Turn { weight, asked, given: Instant::now() };
				}
				machine.start_in()
			};
			if start_in.is_zero() {
				freed.await;
			} else {
				// Nobody is woken when a stagger ends: look again then, or at a release.
				let _ = tokio::time::timeout(start_in, freed).await;
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

/// Hold this for the whole of a test whose workers train against deadlines, which runs for
/// about `seconds` on the 2-core reference machine (the times `scripts/test` prints): the
/// longest training tests start first. A guess that is off changes only the order.
pub async fn training_test(seconds: u32) -> Turn {
	Turn::take(Weight::Training, seconds).await
}

/// Hold this for the whole of a test that trains with more workers than a training test has
/// (sixteen, against four).
pub async fn heavy_training_test() -> Turn {
	Turn::take(Weight::Heavy, 0).await
}

/// Hold this for the whole of a test that starts nodes but trains nothing.
pub async fn light_test() -> Turn {
	Turn::take(Weight::Light, 0).await
}

/// Generous bound for anything that takes a few blocks at 1 s slots.
pub const BLOCKS_TIMEOUT: Duration = Duration::from_secs(90);
