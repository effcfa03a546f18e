//! Starting what commands talk to: the chain with this account's keys, the libp2p network on
//! the store, and for the commands that need both, a role's [`Context`] with the metrics
//! endpoint too.

use crate::options::Options;
use anyhow::{Context as _, Result};
use cohort_worker::{
	chain::Chain,
	keys::Keys,
	metrics::Metrics,
	p2p::{Announced, Network},
	roles::Context,
	store::Store,
};
use futures::channel::mpsc::Receiver;
use libp2p::Multiaddr;
use std::sync::Arc;
use substrate_prometheus_endpoint::Registry;

/// Start the network with the store and the keys of `options`; the receiver yields the
/// announcements it hears.
pub async fn network(options: &Options) -> Result<(Network, Receiver<Announced>)> {
	let keys = options.keys()?;
	let store = Arc::new(
		Store::open(&options.store)
			.with_context(|| format!("cannot open the store at {}", options.store.display()))?,
	);
	Ok(Network::start(keys.peer_keypair(), options.p2p.clone(), store).await?)
}

/// The addresses `network` can be dialled on, as the chain records them: its listen addresses
/// without the peer id.
pub async fn dialable(network: &Network) -> Result<Vec<Multiaddr>> {
	Ok(network
		.listen_addrs()
		.await?
		.into_iter()
		.map(|mut a| {
			a.pop();
			a
		})
		.collect())
}

/// This peer's id and dialable addresses in the binary forms `training.serveData` takes.
pub async fn data_server(network: &Network) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
	let addresses = dialable(network).await?.iter().map(|a| a.to_vec()).collect();
	Ok((network.peer_id().to_bytes(), addresses))
}

/// [`data_server`] as hex, for an owner who sends `training.serveData` from polkadot.js or
/// subxt.
pub async fn serve_data_args(network: &Network) -> Result<serde_json::Value> {
	let (peer_id, addresses) = data_server(network).await?;
	let hex = |bytes: &[u8]| format!("0x{}", hex::encode(bytes));
	Ok(serde_json::json!({
		"peerId": hex(&peer_id),
		"addresses": addresses.iter().map(|a| hex(a)).collect::<Vec<_>>(),
	}))
}

/// Where `network` listens, with its peer id, as text for a command's output.
pub async fn listen_addrs(network: &Network) -> Result<Vec<String>> {
	Ok(network.listen_addrs().await?.iter().map(ToString::to_string).collect())
}

/// The metrics to count in: served on `--metrics` if given, registered nowhere otherwise.
fn metrics(options: &Options) -> Result<Metrics> {
	let Some(addr) = options.metrics else { return Ok(Metrics::unregistered()) };
	let registry = Registry::new_custom(None, None)?;
	let metrics = Metrics::register(&registry)?;
	tokio::spawn(async move {
		if let Err(e) = substrate_prometheus_endpoint::init_prometheus(addr, registry).await {
			tracing::error!("metrics endpoint on {addr} failed: {e}");
		}
	});
	tracing::info!("metrics on http://{addr}/metrics");
	Ok(metrics)
}

/// Connect to the chain, with the keys that sign for this account.
pub async fn signer(options: &Options) -> Result<(Chain, Keys)> {
	let keys = options.keys()?;
	Ok((Chain::connect(&options.node).await?, keys))
}

/// Connect to the chain and the network, and serve metrics if asked.
pub async fn context(options: &Options) -> Result<Context> {
	context_on(options, Chain::connect(&options.node).await?).await
}

/// [`context`] on a chain already connected.
pub async fn context_on(options: &Options, chain: Chain) -> Result<Context> {
	let keys = options.keys()?;
	let backend = options.backend()?;
	let (network, announcements) = network(options).await?;
	let metrics = metrics(options)?;
	Ok(Context::new(chain, keys, network, metrics, backend, announcements))
}
