//! `run` and `verify`, the long-running roles: connect to the chain and the network (with the
//! metrics endpoint), join the registered workers, and hand over to the library's role.

use crate::{
	connect::{context, dialable},
	options::Options,
};
use anyhow::{bail, Context as _, Result};
use cohort_primitives::{MAX_ADDRESSES, MAX_ADDRESS_LEN};
use cohort_worker::{
	chain::runtime,
	roles::{verifier::Verifier, worker::Worker, Conduct, Context, Honest},
};
use libp2p::{multiaddr::Protocol, Multiaddr};
use std::sync::Arc;

/// `run`'s options.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
	/// Misbehave, one plan per round (the last repeats), to test that the network catches it:
	/// a behaviour for the round, or one per shard joined by `+` (`random+zero`: shard 0
	/// random, shard 1 and on zero). Built only with the `adversary` feature, for the
	/// end-to-end tests.
	#[cfg(feature = "adversary")]
	#[arg(long, value_delimiter = ',', value_name = "PLAN")]
	adversary: Vec<cohort_worker::roles::adversary::RoundPlan>,
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
	let at = cx.chain.finalized().await?;
	if at.worker(&cx.account()).await?.is_none() {
		bail!(
			"{} is not registered as a worker: run `cohort-worker register --bond <UNIT>` first",
			cx.keys.ss58_address()
		);
	}
	// Keep the chain's record of where this worker listens current (ports may be chosen at
	// start, and a worker behind a NAT is reachable only through the relay slot it reserves
	// once AutoNAT has spoken), so that peers and verifiers reach it.
	let mut changes = cx.network.listen_changes();
	changes.borrow_and_update();
	advertise(&cx).await.context("updating the registered addresses")?;
	tokio::spawn(keep_advertising(cx.clone(), changes));
	join_registered_peers(&cx).await;
	Worker::new(cx).run().await?;
	Ok(())
}

/// Register where this worker listens, if the chain records anything else: relayed addresses
/// first, as many as the registry takes.
async fn advertise(cx: &Context) -> Result<()> {
	let at = cx.chain.best().await?;
	let Some(registered) = at.worker(&cx.account()).await? else { return Ok(()) };
	let addrs = dialable(&cx.network).await?;
	let wanted = registry_addresses(&addrs);
	let registered_addrs: Vec<Vec<u8>> =
		registered.info.addresses.0.iter().map(|a| a.0.clone()).collect();
	let peer_id = cx.keys.peer_id().to_bytes();
	if registered_addrs != wanted || registered.info.peer_id.0 != peer_id {
		let call = runtime::tx().workers().update(None, Some(peer_id), Some(wanted));
		cx.chain.submit(&cx.keys, "Workers.update", &call).await?;
		tracing::info!(?addrs, "registered addresses updated");
	}
	Ok(())
}

/// [`advertise`] again whenever the network's listen addresses change after `changes` last
/// saw them.
async fn keep_advertising(cx: Context, mut changes: tokio::sync::watch::Receiver<u64>) {
	while changes.changed().await.is_ok() {
		if let Err(e) = advertise(&cx).await {
			tracing::warn!("cannot update the registered addresses: {e:#}");
		}
	}
}

/// The binary forms of `addrs` the registry takes: relayed ones first (a peer behind a NAT is
/// reached through them), at most `MAX_ADDRESSES` of at most `MAX_ADDRESS_LEN` bytes.
fn registry_addresses(addrs: &[Multiaddr]) -> Vec<Vec<u8>> {
	let relayed = |a: &&Multiaddr| a.iter().any(|p| p == Protocol::P2pCircuit);
	let (first, rest): (Vec<&Multiaddr>, Vec<&Multiaddr>) = addrs.iter().partition(relayed);
	first
		.into_iter()
		.chain(rest)
		.map(|a| a.to_vec())
		.filter(|bytes| bytes.len() <= MAX_ADDRESS_LEN as usize)
		.take(MAX_ADDRESSES as usize)
		.collect()
}

/// Learn where the registered workers listen and dial them, so that they learn this peer. A
/// failure (a node slow to answer as the network starts) is only logged: the roles read the
/// registry again every `PEER_REFRESH_BLOCKS` blocks.
async fn join_registered_peers(cx: &Context) {
	let joined =
		async { anyhow::Ok(cx.join_registered_peers(&cx.chain.finalized().await?, true).await?) };
	if let Err(e) = joined.await {
		tracing::warn!("cannot read the registered workers yet: {e:#}");
	}
}

/// The verifier loop.
pub async fn verify(options: &Options) -> Result<()> {
	let cx = context(options).await?;
	join_registered_peers(&cx).await;
	Verifier::new(cx).run().await?;
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::registry_addresses;
	use libp2p::Multiaddr;

	#[test]
	fn relayed_addresses_are_registered_first_and_the_registry_limits_hold() {
		let direct: Multiaddr = "/ip4/192.168.1.2/udp/4001/quic-v1".parse().unwrap();
		let relay = "/ip4/11.77.0.10/udp/4001/quic-v1/p2p/12D3KooWJ3JWwLqjnnydYqXkNmZUjaWfHT7ZNGZs2aMWZ7iShNHN";
		let relayed: Multiaddr = format!("{relay}/p2p-circuit").parse().unwrap();
		let registered = registry_addresses(&[direct.clone(), relayed.clone()]);
		assert_eq!(registered, vec![relayed.to_vec(), direct.to_vec()]);
		let many: Vec<Multiaddr> =
			(0..12).map(|port| format!("/ip4/10.0.0.1/tcp/{port}").parse().unwrap()).collect();
		assert_eq!(registry_addresses(&many).len(), 8);
		let long: Multiaddr =
			format!("{relay}/p2p-circuit{}", "/dns4/a.example/tcp/1".repeat(8)).parse().unwrap();
		assert!(long.to_vec().len() > 128);
		assert_eq!(registry_addresses(&[long, direct.clone()]), vec![direct.to_vec()]);
	}
}
