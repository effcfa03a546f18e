//! A peer that serves blobs (a bounty's data, a published file) until interrupted, joining
//! the network through the workers the chain's registry lists, as that list changes.

use anyhow::Result;
use cohort_primitives::H256;
use cohort_worker::roles;
use std::time::Duration;

/// How often a serving peer reads the registry for workers it has not met.
const REGISTRY_POLL: Duration = Duration::from_secs(3);
/// Every this many polls it dials every registered worker again even if nothing changed (a
/// dial may have failed while a worker was restarting).
const REJOIN_EVERY_POLLS: u32 = 10;

/// Serve `roots` until interrupted. A worker that registers, restarts or moves after this
/// peer first joined would not know it: whenever the registry's peers or addresses change,
/// dial every registered worker again and announce `roots` again, so that provider records
/// reach the network as it is now.
pub async fn serve(cx: &roles::Context, roots: &[H256]) -> Result<()> {
	let mut known = None;
	let mut poll = tokio::time::interval(REGISTRY_POLL);
	let mut polls = 0u32;
	// One listener for the whole loop: a Ctrl-C while the registry is read still counts.
	let interrupted = tokio::signal::ctrl_c();
	tokio::pin!(interrupted);
	loop {
		polls = polls.wrapping_add(1);
		tokio::select! {
			interrupted = &mut interrupted => return Ok(interrupted?),
			_ = poll.tick() => {}
		}
		let joined = async {
			let at = cx.chain.best().await?;
			let registry: Vec<_> = at
				.workers()
				.await?
				.into_iter()
				.map(|w| {
					let addresses: Vec<Vec<u8>> =
						w.info.addresses.0.into_iter().map(|a| a.0).collect();
					(w.info.peer_id.0, addresses)
				})
				.collect();
			if known.as_ref() != Some(&registry) || polls % REJOIN_EVERY_POLLS == 1 {
				cx.join_registered_peers(&at, true).await?;
				for root in roots {
					cx.network.provide(*root)?;
				}
				known = Some(registry);
			}
			anyhow::Ok(())
		};
		if let Err(e) = joined.await {
			tracing::warn!("cannot join the registered workers, trying again: {e:#}");
		}
	}
}
