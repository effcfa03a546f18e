//! Following the chain: every new best block (what the protocol's moves are checked against)
//! or every finalized one (what must not be undone), each with the chain's state at it, on a
//! new connection when the one in use stops delivering.

use super::{query, At, Chain, ChainError, Connection, ANSWER_TIMEOUT};
use futures::{Stream, StreamExt};
use std::{pin::Pin, time::Duration};

/// No new best block for this long means the connection is stuck, not the chain slow: Aura
/// authors a block every slot (1 s on the dev chain, 6 s on a typical production chain), and
/// the slots of a validator that is down leave gaps of a few of them.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How long to wait before following again, so that a node that ends every subscription at
/// once is not asked again in a tight loop.
const REFOLLOW_DELAY: Duration = Duration::from_secs(1);

/// Which blocks to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
	Best,
	Finalized,
}

type AtStream = Pin<Box<dyn Stream<Item = Result<At, ChainError>> + Send + 'static>>;

/// The chain's blocks from now on, in order, each with the chain's state at it.
///
/// When the node ends the subscription, a block's state cannot be read, or (for best blocks)
/// no block has come for [`STALL_TIMEOUT`], the client's connection is replaced and the
/// blocks followed again from the chain's head then; so are finalized blocks when another
/// caller replaced the connection. Blocks in between are skipped, which the roles allow, as
/// they read what is due from the state at each block. Finalized blocks have no stall limit
/// of their own, as finality may stall for as long as a third of the stake withholds votes.
pub struct Blocks {
	chain: Chain,
	head: Head,
	/// The connection the stream is on, kept open while it is.
	connection: Connection,
	stream: AtStream,
}

impl Chain {
	/// The current best block, then every new one: after a reorganisation the new best
	/// chain's blocks follow, so a number may come twice.
	pub async fn follow_best(&self) -> Result<Blocks, ChainError> {
		Blocks::follow(self.clone(), Head::Best).await
	}

	/// Every finalized block from now on, in order.
	pub async fn follow_finalized(&self) -> Result<Blocks, ChainError> {
		Blocks::follow(self.clone(), Head::Finalized).await
	}
}

impl Blocks {
	async fn follow(chain: Chain, head: Head) -> Result<Self, ChainError> {
		let connection = chain.connection();
		let stream = subscribe(&chain, &connection, head).await?;
		Ok(Self { chain, head, connection, stream })
	}

	/// The next block. An error only when the node cannot be reached again after the
	/// connection in use stopped delivering.
	pub async fn next(&mut self) -> Result<At, ChainError> {
		loop {
			let failure = match tokio::time::timeout(STALL_TIMEOUT, self.stream.next()).await {
				Ok(Some(Ok(at))) => return Ok(at),
				Ok(Some(Err(e))) => Some(e),
				Ok(None) => Some(ChainError::Query("the node ended the subscription".into())),
				Err(_) if self.head == Head::Best => {
					Some(ChainError::Query(format!("no new best block for {STALL_TIMEOUT:?}")))
				}
				// A finality stall, or a connection that another caller found stuck.
				Err(_) if self.chain.connection().generation == self.connection.generation => {
					continue
				}
				Err(_) => None,
			};
			if let Some(failure) = failure {
				tracing::warn!(
					head = ?self.head,
					"following the chain failed: {failure}; following it again on a new connection"
				);
				tokio::time::sleep(REFOLLOW_DELAY).await;
				self.chain.replace(self.connection.generation).await?;
			}
			self.connection = self.chain.connection();
			self.stream = subscribe(&self.chain, &self.connection, self.head).await?;
		}
	}
}

/// A subscription to `head`'s blocks on `connection`, from the current best block on for
/// [`Head::Best`].
async fn subscribe(
	chain: &Chain,
	connection: &Connection,
	head: Head,
) -> Result<AtStream, ChainError> {
	let api = &connection.api;
	let (stream, from) = match head {
		Head::Finalized => {
			let stream = tokio::time::timeout(ANSWER_TIMEOUT, api.stream_blocks()).await;
			(stream.map_err(|_| unanswered())?.map_err(query)?, 0)
		}
		Head::Best => {
			let stream = tokio::time::timeout(ANSWER_TIMEOUT, api.stream_best_blocks()).await;
			let stream = stream.map_err(|_| unanswered())?.map_err(query)?;
			// The node opens the stream with the finalized blocks it still holds, several
			// blocks behind the best: a role that acted on them would redo moves the chain
			// has already seen (a restarted worker re-committing, say), spend fees and take up
			// the nonces its real moves need.
			(stream, chain.best().await?.number)
		}
	};
	// From the first block numbered `from` or more on (a reorganisation to a shorter fork
	// afterwards still comes through).
	let stream = stream.skip_while(move |block| {
		std::future::ready(block.as_ref().is_ok_and(|block| (block.number() as u32) < from))
	});
	Ok(Box::pin(stream.then(|block| async move {
		let block = block.map_err(query)?;
		let number = block.number() as u32;
		let inner = block.at().await.map_err(query)?;
		Ok(At { inner, number })
	})))
}

fn unanswered() -> ChainError {
	ChainError::Query(format!("no subscription to new blocks within {ANSWER_TIMEOUT:?}"))
}
