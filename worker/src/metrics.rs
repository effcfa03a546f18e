//! The worker's Prometheus metrics, served on `--metrics ADDR` at `/metrics` like a node's.

use substrate_prometheus_endpoint::{
	exponential_buckets, register, Counter, Gauge, Histogram, HistogramOpts, Opts, PrometheusError,
	Registry, U64,
};

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
		})
	}

	/// Metrics registered nowhere, for runs without an endpoint.
	pub fn unregistered() -> Self {
		Self::register(&Registry::new()).expect("a fresh registry takes every metric")
	}
}
