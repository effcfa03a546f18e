//! Peers on loopback in one process: blobs found through the DHT, gossip, and
//! a peer that serves wrong bytes.

use super::*;
use futures::StreamExt;
use libp2p::{noise, request_response, swarm::SwarmEvent, tcp, yamux, SwarmBuilder};
use std::time::Duration;
use tempfile::TempDir;

fn loopback() -> Config {
	Config {
		listen: vec![
			"/ip4/127.0.0.1/tcp/0".parse().unwrap(),
			"/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap(),
		],
		request_timeout: Duration::from_secs(10),
		..Config::default()
	}
}

async fn peer(bootstrap: Vec<Multiaddr>) -> (Network, mpsc::Receiver<Announced>, TempDir) {
	let dir = TempDir::new().unwrap();
	let store = Arc::new(Store::open(dir.path()).unwrap());
	let config = Config { bootstrap, ..loopback() };
	let (network, announced) =
		Network::start(Keypair::generate_ed25519(), config, store).await.unwrap();
	(network, announced, dir)
}

fn blob(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn tcp_addr(addrs: &[Multiaddr]) -> Multiaddr {
	addrs.iter().find(|a| a.iter().any(|p| matches!(p, Protocol::Tcp(_)))).unwrap().clone()
}

async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
	tokio::time::timeout(Duration::from_secs(30), future)
		.await
		.unwrap_or_else(|_| panic!("{what} did not finish in 30 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_is_found_through_the_dht_and_fetched_checked() {
	let (alice, _, _a) = peer(Vec::new()).await;
	let addrs = alice.listen_addrs().await.unwrap();
	assert!(addrs.iter().any(|a| a.iter().any(|p| matches!(p, Protocol::QuicV1))), "{addrs:?}");
	let bytes = blob(300_000, 1);
	let root = alice.publish(&bytes).unwrap();

	let (bob, _, _b) = peer(vec![tcp_addr(&addrs)]).await;
	let providers = bounded("provider lookup", bob.providers(root)).await.unwrap();
	assert_eq!(providers, HashSet::from([alice.peer_id()]));
	let fetched = bounded("fetch", bob.fetch(root, None)).await.unwrap();
	assert_eq!(fetched, bytes);
	// Stored on the way in, so bob serves it from now on.
	assert_eq!(bob.store.blob(&root).unwrap(), Some(bytes));
	assert_eq!(alice.bytes_served(), 300_000);

	// A blob nobody holds is named as such.
	let missing = H256::repeat_byte(9);
	match bounded("fetch of a missing blob", bob.fetch(missing, Some(alice.peer_id()))).await {
		Err(P2pError::AllProvidersFailed { root, errors }) => {
			assert_eq!(root, missing);
			assert!(errors.contains("does not hold"), "{errors}");
		}
		other => panic!("expected a failure, got {other:?}"),
	}
}

/// Answers every request as if it held nothing.
struct WithholdAll;

impl AnswerHook for WithholdAll {
	fn answer(&self, _root: &H256, _bytes: Vec<u8>) -> Option<Vec<u8>> {
		None
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_its_provider_withholds_is_unavailable_not_a_local_fault() {
	let (alice, _, _a) = peer(Vec::new()).await;
	let addrs = alice.listen_addrs().await.unwrap();
	let root = alice.publish(&blob(1_000, 2)).unwrap();
	alice.alter_answers(Arc::new(WithholdAll)).unwrap();
	let (bob, _, _b) = peer(vec![tcp_addr(&addrs)]).await;
	let error = bounded("fetch of a withheld blob", bob.fetch(root, Some(alice.peer_id())))
		.await
		.unwrap_err();
	match &error {
		P2pError::AllProvidersFailed { errors, .. } => {
			assert!(errors.contains("does not hold"), "{errors}")
		}
		other => panic!("expected every provider to have refused, got {other:?}"),
	}
	assert!(error.is_unavailable(), "{error}");
	// A fault of the fetching peer's own is not the provider's.
	let faults = [P2pError::Stopped, P2pError::Gossip("full".into())];
	assert!(faults.iter().all(|fault| !fault.is_unavailable()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_reach_subscribers() {
	let (alice, _, _a) = peer(Vec::new()).await;
	let addrs = alice.listen_addrs().await.unwrap();
	let (bob, mut bob_hears, _b) = peer(vec![tcp_addr(&addrs)]).await;
	alice.subscribe(7).unwrap();
	bob.subscribe(7).unwrap();
	let announcement = Announcement { bounty: 7, round: 2, root: H256::repeat_byte(3) };
	// Subscriptions travel to the other side first; until then publishing finds no peers.
	let heard = bounded("announcement", async {
		loop {
			let _ = alice.announce(announcement.clone()).await;
			if let Ok(Some(heard)) =
				tokio::time::timeout(Duration::from_millis(300), bob_hears.next()).await
			{
				return heard;
			}
		}
	})
	.await;
	assert_eq!(heard, Announced { peer: alice.peer_id(), announcement });
}

/// A peer that answers every blob request with bytes of its own choosing.
async fn liar(bytes: Vec<u8>) -> (PeerId, Multiaddr) {
	let mut swarm = SwarmBuilder::with_new_identity()
		.with_tokio()
		.with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
		.unwrap()
		.with_behaviour(|_| {
			request_response::Behaviour::with_codec(
				BlobCodec::new(1 << 20),
				[(PROTOCOL, request_response::ProtocolSupport::Full)],
				request_response::Config::default(),
			)
		})
		.unwrap()
		.with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
		.build();
	swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap()).unwrap();
	let addr = loop {
		if let SwarmEvent::NewListenAddr { address, .. } = swarm.select_next_some().await {
			break address;
		}
	};
	let peer = *swarm.local_peer_id();
	tokio::spawn(async move {
		loop {
			if let SwarmEvent::Behaviour(request_response::Event::Message {
				message: request_response::Message::Request { channel, .. },
				..
			}) = swarm.select_next_some().await
			{
				let _ =
					swarm.behaviour_mut().send_response(channel, BlobResponse::Blob(bytes.clone()));
			}
		}
	});
	(peer, addr.with_p2p(peer).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_bytes_are_dropped_and_their_peer_blocked() {
	let honest = blob(1000, 3);
	let root = crate::merkle::root(&honest);
	let (liar, liar_addr) = liar(blob(1000, 4)).await;
	let (bob, _, _b) = peer(vec![liar_addr.clone()]).await;

	match bounded("fetch from the liar", bob.fetch_from(liar, root)).await {
		Err(P2pError::WrongBytes(wrong)) => {
			let actual = crate::merkle::root(&blob(1000, 4));
			assert_eq!(*wrong, WrongBytes { peer: liar, root, actual });
		}
		other => panic!("expected WrongBytes, got {other:?}"),
	}
	// The bytes never reached the store, and the liar cannot be reached any more.
	assert_eq!(bob.store.blob(&root).unwrap(), None);
	assert!(bob.store.blob(&crate::merkle::root(&blob(1000, 4))).unwrap().is_none());
	assert!(matches!(bob.dial(liar_addr).await, Err(P2pError::Dial { .. })));
	assert!(matches!(bob.fetch_from(liar, root).await, Err(P2pError::Request { .. })));
}
