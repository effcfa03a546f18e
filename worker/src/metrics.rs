//! The worker's Prometheus metrics, served on `--metrics ADDR` at `/metrics` like a node's.

use std::{
	future::Future,
	time::{Duration, Instant},
};
use substrate_prometheus_endpoint::{
	exponential_buckets, register, Counter, CounterVec, Gauge, Histogram, HistogramOpts, Opts,
	PrometheusError, Registry, F64, U64,
};

/// What a role spends its time on, counted in `cohort_worker_work_seconds_total{work}`: a
/// round's wall time is this, plus waiting for the chain's deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
	/// Training a shard (or recomputing one, as a verifier).
	Training,
	/// Merkle roots of deltas and checkpoints, and storing them.
	Hashing,
	/// Submitting extrinsics and waiting until they are in a block.
	Chain,
	/// Fetching blobs (datasets, checkpoints, deltas) from the store or from peers.
	Transfers,
	/// Combining a round's deltas into the next checkpoint.
	Aggregating,
}

impl Work {
	/// Every kind, in the order reports list them.
	pub const ALL: [Work; 5] =
		[Work::Training, Work::Hashing, Work::Chain, Work::Transfers, Work::Aggregating];

	/// The metric's label value.
	pub fn label(self) -> &'static str {
		match self {
			Work::Training => "training",
			Work::Hashing => "hashing",
			Work::Chain => "chain",
			Work::Transfers => "transfers",
			Work::Aggregating => "aggregating",
		}
	}
}

/// Everything the worker and the verifier count.
#[derive(Clone)]
pub struct Metrics {
	/// Shards trained (as a worker) or recomputed (as a verifier).
	pub shards_trained: Counter<U64>,
	/// Rounds this account held a slot in.
	pub rounds: Counter<U64>,
	/// This account's contributions accepted on chain.
	pub accepted: Counter<U64>,
	/// This account's contributions rejected on chain.
	pub rejected: Counter<U64>,
	/// Times this account was slashed.
	pub slashes: Counter<U64>,
	/// Votes cast on disputes.
	pub votes: Counter<U64>,
	/// Seconds per optimizer step.
	pub step_seconds: Histogram,
	/// Bytes served to other peers.
	pub bytes_served: Gauge<U64>,
	/// Seconds spent, by [`Work`].
	pub work_seconds: CounterVec<F64>,
}

fn counter(registry: &Registry, name: &str, help: &str) -> Result<Counter<U64>, PrometheusError> {
	register(Counter::with_opts(Opts::new(name, help))?, registry)
}

impl Metrics {
	/// Register every metric in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			shards_trained: counter(
				registry,
				"cohort_worker_shards_trained_total",
				"Shards trained or recomputed",
			)?,
			rounds: counter(
				registry,
				"cohort_worker_rounds_total",
				"Rounds this account held a slot in",
			)?,
			accepted: counter(
				registry,
				"cohort_worker_contributions_accepted_total",
				"Contributions accepted on chain",
			)?,
			rejected: counter(
				registry,
				"cohort_worker_contributions_rejected_total",
				"Contributions rejected on chain",
			)?,
			slashes: counter(
				registry,
				"cohort_worker_slashes_total",
				"Times this account was slashed",
			)?,
			votes: counter(registry, "cohort_worker_votes_total", "Votes cast on disputes")?,
			step_seconds: register(
				Histogram::with_opts(
					HistogramOpts::new("cohort_worker_step_seconds", "Seconds per optimizer step")
						.buckets(exponential_buckets(0.001, 2.0, 16)?),
				)?,
				registry,
			)?,
			bytes_served: register(
				Gauge::new("cohort_worker_bytes_served", "Bytes served to other peers")?,
				registry,
			)?,
			work_seconds: register(
				CounterVec::new(
					Opts::new("cohort_worker_work_seconds_total", "Seconds spent, by kind of work"),
					&["work"],
				)?,
				registry,
			)?,
		})
	}

	/// Count `elapsed` as `work`.
	pub fn spent(&self, work: Work, elapsed: Duration) {
		self.work_seconds.with_label_values(&[work.label()]).inc_by(elapsed.as_secs_f64());
	}

	/// Run `future`, counting its time as `work`.
	pub async fn timed<T>(&self, work: Work, future: impl Future<Output = T>) -> T {
		let started = Instant::now();
		let output = future.await;
		self.spent(work, started.elapsed());
		output
	}

	/// Metrics registered nowhere, for runs without an endpoint.
	pub fn unregistered() -> Self {
		Self::register(&Registry::new()).expect("a fresh registry takes every metric")
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn time_is_counted_under_its_kind_of_work() {
		let metrics = Metrics::unregistered();
		metrics.spent(Work::Chain, Duration::from_millis(1500));
		metrics.timed(Work::Training, tokio::time::sleep(Duration::from_millis(20))).await;
		let seconds = |work: Work| metrics.work_seconds.with_label_values(&[work.label()]).get();
		assert_eq!(seconds(Work::Chain), 1.5);
		assert!(seconds(Work::Training) >= 0.02);
		assert_eq!(seconds(Work::Hashing), 0.0);
	}
}
