//! `run` and `verify`: start the network and the metrics endpoint, then hand over to a role.

use crate::{offline, settings::Settings};
use anyhow::{bail, Context as _, Result};
use cohort_worker::{
	chain::{runtime, AccountId, Chain},
	metrics::Metrics,
	roles::{verifier::Verifier, worker::Worker, Context},
};
use libp2p::Multiaddr;
use substrate_prometheus_endpoint::Registry;

/// Connect to the chain and the network, and serve metrics if asked.
pub async fn context(settings: &Settings) -> Result<Context> {
	let keys = settings.keys()?;
	let backend = settings.backend()?;
	let chain = Chain::connect(&settings.node).await?;
	let (network, announcements) = offline::network(settings).await?;
	let metrics = match settings.metrics {
		Some(addr) => {
			let registry = Registry::new_custom(None, None)?;
			let metrics = Metrics::register(&registry)?;
			tokio::spawn(async move {
				if let Err(e) = substrate_prometheus_endpoint::init_prometheus(addr, registry).await
				{
					tracing::error!("metrics endpoint on {addr} failed: {e}");
				}
			});
			tracing::info!("metrics on http://{addr}/metrics");
			metrics
		}
		None => Metrics::unregistered(),
	};
	Ok(Context::new(chain, keys, network, metrics, backend, announcements))
}

/// The addresses this worker can be dialled on: its listen addresses without the peer id.
async fn dialable(cx: &Context) -> Result<Vec<Multiaddr>> {
	Ok(cx
		.network
		.listen_addrs()
		.await?
		.into_iter()
		.map(|mut a| {
			a.pop();
			a
		})
		.collect())
}

/// `run`'s options.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
	/// Misbehave, one behaviour per round (the last repeats), to test that the network catches
	/// it. Built only with the `adversary` feature, for the end-to-end tests.
	#[cfg(feature = "adversary")]
	#[arg(long, value_enum, value_delimiter = ',')]
	adversary: Vec<cohort_worker::roles::adversary::Behaviour>,
}

pub async fn run(settings: &Settings, args: RunArgs) -> Result<()> {
	let RunArgs {
		#[cfg(feature = "adversary")]
		adversary,
	} = args;
	let cx = context(settings).await?;
	#[cfg(feature = "adversary")]
	let cx = if adversary.is_empty() {
		cx
	} else {
		tracing::warn!(?adversary, "running as an adversary");
		cx.with_adversary(cohort_worker::roles::adversary::Adversary::new(adversary))
	};
	let me = AccountId::from(cx.keys.account_id());
	let at = cx.chain.finalized().await?;
	let Some(registered) = at.worker(&me).await? else {
		bail!(
			"{} is not registered as a worker: run `cohort-worker register --bond <UNIT>` first",
			cx.keys.ss58_address()
		);
	};
	// Keep the chain's record of where this worker listens current (ports may be chosen at
	// start), so that peers and verifiers reach it.
	let addrs = dialable(&cx).await?;
	let registered_addrs: Vec<Vec<u8>> =
		registered.info.addresses.0.iter().map(|a| a.0.clone()).collect();
	let wanted: Vec<Vec<u8>> = addrs.iter().map(|a| a.to_vec()).collect();
	let peer_id = cx.keys.peer_id().to_bytes();
	if registered_addrs != wanted || registered.info.peer_id.0 != peer_id {
		let call = runtime::tx().workers().update(None, Some(peer_id), Some(wanted));
		cx.chain
			.submit(&cx.keys, "Workers.update", &call)
			.await
			.context("updating the registered addresses")?;
		tracing::info!(?addrs, "registered addresses updated");
	}
	cx.join_registered_peers(&cx.chain.finalized().await?, true).await?;
	Worker::new(cx).run().await?;
	Ok(())
}

pub async fn verify(settings: &Settings) -> Result<()> {
	let cx = context(settings).await?;
	cx.join_registered_peers(&cx.chain.finalized().await?, true).await?;
	Verifier::new(cx).run().await?;
	Ok(())
}
