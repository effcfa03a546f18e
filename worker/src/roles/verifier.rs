//! The validator's `verify` loop: at every new best block, each open dispute this account has
//! not voted on is settled by recomputation, and its vote sealed; once sealing ends (every
//! validator sealed, or the vote window closed) the verifier opens its seal; an audit's
//! committee of this validator alone has its seal and its opening sent together. Best blocks, not
//! finalized ones: a vote is checked by the chain when it lands, and a verifier that waited
//! for finality would let a finality stall leave every dispute without a verdict.
//!
//! The seal's salt is derived from the account's secret and the dispute
//! ([`crate::keys::Keys::vote_salt`]): a restarted verifier finds its verdict again by trying
//! each candidate against its seal on chain, without a store.
//!
//! - A shard dispute over two roots: once its bisection game is over, recompute the one
//!   transition the game found (`bisection::judge`): one inner step, not the shard.
//! - Any other shard dispute: train the shard again from `H_k`. Within the round's determinism class
//!   the verdict is the candidate whose root equals the recomputed root; from another class
//!   (a CPU verifier checking GPU workers) each candidate's delta is fetched, checked against
//!   its root, and the one candidate within [`TOLERANCE`] relative L2 error wins; with two or
//!   more within it the verifier abstains (either could be honest work from other hardware,
//!   and a vote for the other would slash it). A candidate whose delta nobody serves by the
//!   end of sealing counts as far: without that rule a cheater that withholds what it
//!   revealed would leave every other class's verifiers nothing to vote on.
//! - A checkpoint dispute: aggregate the round's accepted deltas again and vote for the
//!   candidate that matches.
//!
//! No match is `NoneCorrect`.

use super::{
	bisection::{self, Kinship},
	Context, DutyError,
};
use crate::{
	chain::{
		runtime::{
			self,
			runtime_types::pallet_training::types::{DisputeStatus, DisputeSubject},
		},
		AccountId, At, ChainError, DisputeView,
	},
	delta::Delta,
	job::ShardTask,
	merkle,
};
use cohort_primitives::{vote_seal, DisputeId, Verdict, H256};
use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex},
};
use subxt::utils::Static;
use tokio::task::JoinHandle;

/// The largest relative L2 error `‖a − b‖ / ‖b‖` at which a delta from another determinism
/// class still counts as the same result. Honest replicas drift apart far more than rounding
/// suggests: AdamW divides by the root of tiny second moments, and a ReLU that flips sends
/// two runs down different paths. Trained on an H100 and on a CPU (`tests/cuda.rs`), the
/// reference char transformer's deltas were 2.0e-2, 3.1e-2 and 3.1e-2 apart after 20, 50 and
/// 100 steps, the MLP's 1.5e-5, 1.1e-5 and 6.8e-2. Another shard's delta is 0.34 away and a
/// stale checkpoint's 1.5 (the tests below). Cross-class verification is therefore a
/// coarse check; a bounty that needs an exact one names a determinism class.
pub const TOLERANCE: f64 = 0.1;

/// Blocks before sealing ends by which a recomputation must be done: the seal's inclusion.
const SEAL_MARGIN_BLOCKS: u32 = 2;

/// How often a seal or an opening that failed is tried again before the verifier gives up.
const ATTEMPTS: u32 = 3;

/// Blocks before sealing ends from which a candidate's delta that nobody has served counts as
/// far from the recomputation: its author had the window to serve it, and the seal still
/// lands ([`SEAL_MARGIN_BLOCKS`]) with a block to spare.
const UNSERVED_AFTER_BLOCKS: u32 = SEAL_MARGIN_BLOCKS + 2;

/// Blocks a cross-class verifier must have asked for the candidates' deltas before it may
/// count one as withheld ([`UNSERVED_AFTER_BLOCKS`] before sealing ends).
const ASKING_BLOCKS: u32 = 3;

/// How long a verifier waits before asking again for a candidate's delta nobody served.
const REFETCH_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// What the verifier owes a dispute next.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Step {
	/// Recompute and seal the verdict.
	Seal,
	/// Open the sealed verdict.
	Open,
}

/// The verifier role.
pub struct Verifier {
	cx: Context,
	running: HashMap<DisputeId, JoinHandle<()>>,
	/// Disputes sealed (or abstained from) whose seal the best block may not show yet.
	sealed: Arc<Mutex<HashSet<DisputeId>>>,
	attempts: HashMap<(DisputeId, Step), u32>,
}

impl Verifier {
	/// A verifier with `cx`.
	pub fn new(cx: Context) -> Self {
		Self { cx, running: HashMap::new(), sealed: Default::default(), attempts: HashMap::new() }
	}

	/// Follow best blocks until the node cannot be reached (a connection that stops
	/// delivering is replaced).
	pub async fn run(mut self) -> Result<(), ChainError> {
		let mut blocks = self.cx.chain.follow_best().await?;
		tracing::info!(account = %self.cx.keys.ss58_address(), "verifier running");
		loop {
			let at = blocks.next().await?;
			self.running.retain(|_, task| !task.is_finished());
			self.cx.refresh_peers(&at).await;
			if let Err(e) = self.tick(&at).await {
				tracing::warn!("at block #{}: {e}", at.number);
			}
		}
	}

	async fn tick(&mut self, at: &At) -> Result<(), DutyError> {
		let me = self.cx.account();
		// What lands in the next block is checked against the next block's number.
		let next = at.number + 1;
		// Earliest deadline first: the pool takes one account's transactions in the order of
		// their nonces, so the seals due soonest are opened (and sealed) first.
		let mut disputes = at.disputes(None).await?;
		disputes.sort_by_key(|dispute| dispute.dispute.deadline);
		// A recomputation for a dispute that has closed (an audit appealed while its member
		// still recomputed) would only hold the turn the open ones wait for.
		self.running.retain(|id, task| {
			let open = disputes
				.iter()
				.any(|d| d.id == *id && matches!(d.dispute.status, DisputeStatus::Open));
			if !open {
				task.abort();
			}
			open
		});
		// Whether this validator votes in each session's electorate, read once a tick.
		let mut electorates: HashMap<u32, bool> = HashMap::new();
		for dispute in disputes {
			let id = dispute.id;
			let d = &dispute.dispute;
			// A game still being played is not voted on yet (the chain refuses the seal).
			let bisecting = dispute.game.as_ref().is_some_and(|game| !bisection::is_over(game));
			let open = matches!(d.status, DisputeStatus::Open) && next < d.deadline && !bisecting;
			if !open || self.running.contains_key(&id) {
				continue;
			}
			let step = match d.votes.0.iter().find(|vote| vote.voter == me) {
				None if next < d.sealing_ends
					&& !self.sealed.lock().expect("not poisoned").contains(&id) =>
				{
					// Only the set active when it opened votes on it: a validator elected
					// since would recompute for a seal the chain refuses.
					let votes = match electorates.get(&d.session) {
						Some(votes) => *votes,
						// A failed read skips this dispute only: the others' openings may be
						// due.
						None => match at.votes_in(d.session, &me).await {
							Ok(votes) => *electorates.entry(d.session).or_insert(votes),
							Err(e) => {
								tracing::warn!(dispute = id, "cannot read its electorate: {e}");
								continue;
							}
						},
					};
					// An audit's committee votes alone: another validator would recompute
					// for a seal the chain refuses (it votes on the appeal, if one comes).
					let committee = &d.committee.0;
					if !votes || !(committee.is_empty() || committee.contains(&me)) {
						continue;
					}
					Step::Seal
				}
				Some(vote) if vote.verdict.is_none() && next >= d.sealing_ends => Step::Open,
				_ => continue,
			};
			let attempts = self.attempts.entry((id, step)).or_default();
			if *attempts >= ATTEMPTS {
				continue;
			}
			*attempts += 1;
			let (cx, sealed) = (self.cx.clone(), self.sealed.clone());
			self.running.insert(
				id,
				tokio::spawn(async move {
					match step {
						Step::Seal => match seal_verdict(&cx, dispute).await {
							// Sealed, or decided not to vote: not asked again.
							Ok(sealing) => {
								sealed.lock().expect("not poisoned").insert(id);
								match sealing {
									Sealing::Abstained => tracing::info!(dispute = id, "abstained"),
									Sealing::SealedAndOpened(verdict) => {
										tracing::info!(dispute = id, ?verdict, "sealed and voted");
										cx.metrics.votes.inc();
									}
									Sealing::Sealed(verdict) => {
										tracing::info!(dispute = id, ?verdict, "sealed");
										if let Err(e) = open_if_sealing_ended(&cx, id).await {
											tracing::debug!(dispute = id, "not opened yet: {e}");
										}
									}
								}
							}
							Err(e) => tracing::warn!(dispute = id, "cannot seal a vote: {e}"),
						},
						Step::Open => {
							if let Err(e) = open_vote(&cx, &dispute).await {
								tracing::warn!(dispute = id, "cannot open a vote: {e}");
							}
						}
					}
				}),
			);
		}
		Ok(())
	}
}

/// What [`seal_verdict`] did.
enum Sealing {
	/// It could not tell the candidates apart: no vote.
	Abstained,
	/// The verdict is sealed; it opens once sealing ends.
	Sealed(Verdict),
	/// The verdict is sealed and opened, in the same block where the pool allows.
	SealedAndOpened(Verdict),
}

/// Recompute what `dispute` is about, seal the verdict, and open it at once where this
/// validator is the audit's whole committee.
async fn seal_verdict(cx: &Context, dispute: DisputeView) -> Result<Sealing, DutyError> {
	let at = cx.chain.best().await?;
	let d = &dispute.dispute;
	let job = cx.job(&at, d.bounty).await?;
	let round = cx.round(&at, d.bounty, d.round).await?;
	let candidates: Vec<H256> = d.candidates.0.iter().map(|c| c.root).collect();
	let verdict = match d.subject {
		DisputeSubject::Checkpoint => {
			let root = cx.recompute_checkpoint(&job, &round).await?;
			cx.network.provide(root)?;
			// What was recomputed, claimed or not: a claim that joins after the candidates
			// above were read must not be voted down with the others.
			Verdict::Correct(root)
		}
		DisputeSubject::Shard(shard) => {
			let state = round
				.shards
				.iter()
				.find(|s| s.shard == shard)
				.ok_or(DutyError::NoRound { bounty: d.bounty, round: d.round })?;
			let task = ShardTask {
				bounty: d.bounty,
				round: d.round,
				shard,
				dataset_shard: state.state.dataset_shard,
				checkpoint: round.info.checkpoint,
			};
			let round_class = String::from_utf8_lossy(&round.info.class.0 .0);
			let kinship = Kinship::between(&round_class, cx.backend.class());
			// A committee's confirmation settles the audit and, if every validator rejects the
			// root on a recheck, costs 10 % of the stake: within the cross-class tolerance is
			// not enough to stake that on (a lie can fit in it), and any other vote only
			// appeals the audit, as abstaining does. So the audit is left to every validator,
			// unrecomputed here.
			if kinship != Kinship::Same && !d.committee.0.is_empty() {
				tracing::info!(dispute = dispute.id, "another class: abstaining on the committee");
				return Ok(Sealing::Abstained);
			}
			let verdict = match &dispute.game {
				Some(game) => bisection::judge(cx, &dispute, game, &job, task, kinship).await?,
				None => {
					let same_class = kinship == Kinship::Same;
					recompute_shard(cx, &dispute, &job, task, same_class, &candidates).await?
				}
			};
			match verdict {
				Some(verdict) => verdict,
				None => return Ok(Sealing::Abstained),
			}
		}
	};
	let salt = vote_salt(cx, dispute.id);
	let seal = vote_seal(dispute.id, &verdict, &salt, &cx.keys.account_id());
	let vote = runtime::tx().training().vote(dispute.id, seal);
	if d.committee.0 != [cx.account()] {
		cx.submit("Training.vote", &vote).await?;
		return Ok(Sealing::Sealed(verdict));
	}
	// The whole committee: its seal ends sealing in the block it lands in, and nobody else
	// may vote, so there is nobody an open verdict could be copied by. The opening goes to
	// the pool right behind the seal (the next nonce: the client hands nonces out in the
	// order submissions queue for its lock, and this one queues second), so both land in
	// one block instead of the opening waiting for the seal's block: a block sooner, every
	// audit.
	let open = runtime::tx().training().reveal_vote(dispute.id, Static(verdict), salt);
	let (sealed, opened) =
		tokio::join!(cx.submit("Training.vote", &vote), cx.submit("Training.reveal_vote", &open));
	sealed?;
	match opened {
		Ok(_) => Ok(Sealing::SealedAndOpened(verdict)),
		// Sealing did not end with this seal (a member whose bond fell below its stake in the
		// electorate weighs only its bond): the seal opens once it ends, as any other.
		Err(e) => {
			tracing::debug!(dispute = dispute.id, "the opening sent with the seal failed: {e}");
			Ok(Sealing::Sealed(verdict))
		}
	}
}

/// Open this verifier's sealed vote on `dispute`, and count it: the verdict is the candidate
/// (or `NoneCorrect`) whose seal with this account's salt is the one on chain.
async fn open_vote(cx: &Context, dispute: &DisputeView) -> Result<(), DutyError> {
	let me = cx.account();
	let salt = vote_salt(cx, dispute.id);
	let account = cx.keys.account_id();
	let on_chain = dispute
		.dispute
		.votes
		.0
		.iter()
		.find(|vote| vote.voter == me)
		.map(|vote| vote.seal)
		.ok_or(DutyError::NotSealed(dispute.id))?;
	let verdict = dispute
		.dispute
		.candidates
		.0
		.iter()
		.map(|c| Verdict::Correct(c.root))
		.chain([Verdict::NoneCorrect])
		.find(|verdict| vote_seal(dispute.id, verdict, &salt, &account) == on_chain)
		.ok_or(DutyError::NotSealed(dispute.id))?;
	let call = runtime::tx().training().reveal_vote(dispute.id, Static(verdict), salt);
	cx.submit("Training.reveal_vote", &call).await?;
	tracing::info!(dispute = dispute.id, ?verdict, "voted");
	cx.metrics.votes.inc();
	Ok(())
}

/// Open this validator's seal of `id` now if the best block shows sealing over: a seal that
/// was the last to land ends sealing in its own block, and waiting for the next block's tick
/// to open it cost every dispute a block.
async fn open_if_sealing_ended(cx: &Context, id: DisputeId) -> Result<(), DutyError> {
	let at = cx.chain.best().await?;
	let Some(dispute) = at.disputes(None).await?.into_iter().find(|d| d.id == id) else {
		return Ok(());
	};
	let d = &dispute.dispute;
	let next = at.number + 1;
	if !matches!(d.status, DisputeStatus::Open) || next < d.sealing_ends || next >= d.deadline {
		return Ok(());
	}
	open_vote(cx, &dispute).await
}

fn vote_salt(cx: &Context, dispute: DisputeId) -> H256 {
	H256(cx.keys.vote_salt(dispute))
}

/// Train the disputed shard `task` again and return the verdict: the candidate with the
/// recomputed root, or (from another class) the one candidate within [`TOLERANCE`]; `None` to
/// abstain.
async fn recompute_shard(
	cx: &Context,
	dispute: &DisputeView,
	job: &crate::job::Job,
	task: ShardTask,
	same_class: bool,
	candidates: &[H256],
) -> Result<Option<Verdict>, DutyError> {
	// The inputs first: a provider that stalls must not hold the turn other disputes wait for.
	cx.fetch_inputs(job, task).await?;
	let sealing_ends = dispute.dispute.sealing_ends;
	let recompute = async {
		let turn = cx.training_turn(task.bounty, sealing_ends).await;
		// A turn that came too late for any seal to land would only keep the disputes waiting
		// behind it. (Not judged by the measured pace: a bounty of the same model can make it
		// look slow, and an abstention is final.)
		if cx.chain.best().await?.number + SEAL_MARGIN_BLOCKS >= sealing_ends {
			tracing::warn!(
				dispute = dispute.id,
				"not voting: the turn to recompute came after sealing"
			);
			return Ok(None);
		}
		let (trained, _) = cx.train(job, task, turn).await?;
		Ok::<_, DutyError>(Some(trained.delta))
	};
	if same_class {
		let Some(mine) = recompute.await? else { return Ok(None) };
		return Ok(Some(exact(merkle::root(&mine.to_bytes()), candidates)));
	}
	// Another class compares deltas. Telling a withheld one from a slow one takes having
	// asked for it a while: a verifier that takes the dispute up later (a restart, a retry)
	// does not judge it.
	if cx.chain.best().await?.number + UNSERVED_AFTER_BLOCKS + ASKING_BLOCKS >= sealing_ends {
		tracing::warn!(dispute = dispute.id, "not voting: too late to ask for the deltas");
		return Ok(None);
	}
	// Fetched while the shard waits for its turn and trains: a delta slow to come, or
	// withheld, has the whole window; a failed recomputation ends the fetching at once.
	let (mine, deltas) = tokio::try_join!(recompute, candidate_deltas(cx, dispute))?;
	let Some(mine) = mine else { return Ok(None) };
	Ok(match within_tolerance(&mine, &deltas)[..] {
		[] => Some(Verdict::NoneCorrect),
		[only] => Some(Verdict::Correct(only)),
		ref several => {
			// Across classes, two candidates within the tolerance cannot be told apart: one of
			// them may be honest work from other hardware. Voting for either could slash an
			// honest worker; abstaining leaves the dispute to the verifiers of the round's own
			// class, or unresolved (nobody slashed).
			tracing::warn!(dispute = dispute.id, ?several, "abstaining: ambiguous");
			None
		}
	})
}

fn exact(root: H256, candidates: &[H256]) -> Verdict {
	if candidates.contains(&root) {
		Verdict::Correct(root)
	} else {
		Verdict::NoneCorrect
	}
}

/// Each candidate of `dispute` with its delta, all asked for at once; `None` for one nobody
/// served by [`UNSERVED_AFTER_BLOCKS`] before sealing ends (see [`served`]). Any other
/// failure to fetch fails them all, so that the verifier tries again (or never votes): its
/// own store or swarm failing says nothing about a candidate.
async fn candidate_deltas(
	cx: &Context,
	dispute: &DisputeView,
) -> Result<Vec<(H256, Option<Vec<u8>>)>, DutyError> {
	let sealing_ends = dispute.dispute.sealing_ends;
	let fetches = dispute.dispute.candidates.0.iter().map(|candidate| async move {
		let bytes = served(cx, candidate.root, &candidate.backers.0, sealing_ends).await?;
		Ok::<_, DutyError>((candidate.root, bytes))
	});
	futures::future::try_join_all(fetches).await
}

/// The candidates among `deltas` whose delta is within [`TOLERANCE`] of `mine`. Bytes that
/// hash to the root but are no delta of this model are far, and so is a delta nobody served
/// (`None`): its authors withheld what they revealed, and a revealed result must be served
/// until it is settled.
fn within_tolerance(mine: &Delta, deltas: &[(H256, Option<Vec<u8>>)]) -> Vec<H256> {
	deltas
		.iter()
		.filter_map(|(root, bytes)| {
			let theirs = Delta::from_bytes(bytes.as_deref()?).ok()?;
			let close = theirs.same_layout(mine) && relative_l2(&theirs, mine) <= TOLERANCE;
			close.then_some(*root)
		})
		.collect()
}

/// Blob `root`, revealed by `authors` (see [`Context::revealed_blob`]), asked for again every
/// [`REFETCH_AFTER`] while nobody serves it, and then provided by this peer too, so that
/// flooding its author does not keep it from the other verifiers. `None` once the best block
/// is [`UNSERVED_AFTER_BLOCKS`] before `sealing_ends` without it, whatever is still in
/// flight: a provider that accepts the request and never answers must not carry the
/// verifier past sealing.
async fn served(
	cx: &Context,
	root: H256,
	authors: &[AccountId],
	sealing_ends: u32,
) -> Result<Option<Vec<u8>>, DutyError> {
	let asking = async {
		loop {
			match cx.revealed_blob(root, authors).await {
				Ok(bytes) => return Ok(bytes),
				Err(DutyError::P2p(e)) if e.is_unavailable() => {
					tracing::debug!(?root, "a candidate's delta is not served yet: {e}");
					tokio::time::sleep(REFETCH_AFTER).await;
				}
				Err(e) => return Err(e),
			}
		}
	};
	let give_up_at = sealing_ends.saturating_sub(UNSERVED_AFTER_BLOCKS);
	tokio::select! {
		biased;
		fetched = asking => {
			let bytes = fetched?;
			cx.network.provide(root)?;
			Ok(Some(bytes))
		}
		() = best_block_reaches(cx, give_up_at) => {
			tracing::warn!(?root, "nobody served this candidate's delta: it counts as far");
			Ok(None)
		}
	}
}

/// Returns once the best block's number is at least `number`. A failed read of the chain is
/// only logged: it must not throw away a recomputation (the fetching beside it fails on its
/// own if the chain is gone).
async fn best_block_reaches(cx: &Context, number: u32) {
	loop {
		match cx.chain.best().await {
			Ok(at) if at.number >= number => return,
			Ok(_) => {}
			Err(e) => tracing::debug!("cannot read the best block: {e}"),
		}
		tokio::time::sleep(std::time::Duration::from_secs(1)).await;
	}
}

/// `‖a − b‖ / ‖b‖` (or `‖a‖` if `b` is zero).
pub fn relative_l2(a: &Delta, b: &Delta) -> f64 {
	let (mut diff, mut norm) = (0f64, 0f64);
	for (x, y) in a.values().zip(b.values()) {
		diff += (f64::from(x) - f64::from(y)).powi(2);
		norm += f64::from(y).powi(2);
	}
	if norm == 0.0 {
		diff.sqrt()
	} else {
		(diff / norm).sqrt()
	}
}

#[cfg(test)]
mod tests {
	use super::{relative_l2, within_tolerance, TOLERANCE};
	use crate::delta::{Delta, Tensor};
	use crate::trainer::{
		Backend, CharConfig, Dataset, ModelConfig, Settings, ShardRef, ShardRun, Trained,
	};
	use cohort_primitives::Optimizer;
	use cohort_primitives::H256;

	fn delta(values: Vec<f32>) -> Delta {
		let dims = vec![values.len()];
		Delta::new(vec![Tensor { name: "w".into(), dims, data: values }]).unwrap()
	}

	#[test]
	fn a_delta_nobody_served_or_of_another_layout_is_far() {
		let mine = delta(vec![1.0, -0.5]);
		let root = |byte| H256::repeat_byte(byte);
		let deltas = [
			(root(1), Some(delta(vec![1.0, -0.51]).to_bytes())),
			(root(2), None),
			(root(3), Some(delta(vec![1.0, -0.5, 0.0]).to_bytes())),
			(root(4), Some(b"no delta".to_vec())),
			(root(5), Some(delta(vec![-1.0, 0.5]).to_bytes())),
		];
		assert_eq!(within_tolerance(&mine, &deltas), vec![root(1)]);
	}

	/// Wrong work a cross-class verifier must not mistake for the honest delta, however
	/// close it is in kind: another shard's delta, and a delta from the previous checkpoint.
	#[test]
	fn the_cross_class_tolerance_refuses_plausible_wrong_work() {
		let config = ModelConfig::CharTransformer(CharConfig {
			context: 64,
			d_model: 64,
			layers: 2,
			heads: 4,
		});
		let dataset = Dataset::Text(crate::datasets::SHAKESPEARE[..400_000].to_vec());
		let settings = Settings {
			steps: 20,
			batch_size: 16,
			optimizer: Optimizer::AdamW,
			learning_rate: 3e-3,
		};
		let shard = ShardRef { bounty: 1, round: 1, shard: 0, dataset_shard: 0, dataset_shards: 4 };
		let train = |checkpoint, shard| -> Trained {
			ShardRun {
				config: &config,
				settings: &settings,
				checkpoint,
				dataset: &dataset,
				shard,
				backend: &Backend::cpu(),
			}
			.train()
			.unwrap()
		};
		let h0 = config.init(b"h0");
		let first = train(&h0, ShardRef { round: 0, ..shard });
		let stepped: Vec<f32> = h0.values().zip(first.delta.values()).map(|(h, d)| h + d).collect();
		let h1 = h0.with_values(&stepped);

		let honest = train(&h1, shard).delta;
		let other_shard = train(&h1, ShardRef { shard: 1, dataset_shard: 1, ..shard }).delta;
		let stale = train(&h0, shard).delta;
		let scaled: Vec<f32> = honest.values().map(|v| v * 1.25).collect();
		for (what, wrong) in [
			("another shard", other_shard),
			("a stale checkpoint", stale),
			("scaled by 1.25", honest.with_values(&scaled)),
		] {
			let error = relative_l2(&wrong, &honest);
			println!("{what}: {error:.3e}");
			assert!(error > TOLERANCE, "{what}: {error:e}");
		}
	}
}
