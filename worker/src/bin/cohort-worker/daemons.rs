//! `run` and `verify`, the long-running roles: connect to the chain and the network (with the
//! metrics endpoint), join the registered workers, and hand over to the library's role.

use crate::{
	connect::{context, dialable},
	options::Options,
};
use anyhow::{bail, Context as _, Result};
use cohort_worker::{
	chain::runtime,
	roles::{verifier::Verifier, worker::Worker, Conduct, Honest},
};
use std::sync::Arc;

/// `run`'s options.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
	/// Misbehave, one behaviour per round (the last repeats), to test that the network catches
	/// it. Built only with the `adversary` feature, for the end-to-end tests.
	#[cfg(feature = "adversary")]
	#[arg(long, value_enum, value_delimiter = ',')]
	adversary: Vec<cohort_worker::roles::adversary::Behaviour>,
}

impl RunArgs {
	/// How this worker conducts itself: honestly, unless a build with the `adversary` feature
	/// is told otherwise. The only place the binary installs an adversary.
	fn conduct(self) -> Arc<dyn Conduct> {
		#[cfg(feature = "adversary")]
		if !self.adversary.is_empty() {
			tracing::warn!(adversary = ?self.adversary, "running as an adversary");
			return Arc::new(cohort_worker::roles::adversary::Adversary::new(self.adversary));
		}
		Arc::new(Honest)
	}
}

/// The worker loop, once the chain knows where this worker listens.
pub async fn run(options: &Options, args: RunArgs) -> Result<()> {
	let cx = context(options).await?.with_conduct(args.conduct());
	let me = cx.account();
	let at = cx.chain.finalized().await?;
	let Some(registered) = at.worker(&me).await? else {
		bail!(
			"{} is not registered as a worker: run `cohort-worker register --bond <UNIT>` first",
			cx.keys.ss58_address()
		);
	};
	// Keep the chain's record of where this worker listens current (ports may be chosen at
	// start), so that peers and verifiers reach it.
	let addrs = dialable(&cx.network).await?;
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

/// The verifier loop.
pub async fn verify(options: &Options) -> Result<()> {
	let cx = context(options).await?;
	cx.join_registered_peers(&cx.chain.finalized().await?, true).await?;
	Verifier::new(cx).run().await?;
	Ok(())
}
