//! Byzantine workers, for the end-to-end tests only (the `adversary` cargo feature, which
//! release builds and the demo leave off). Each [`Behaviour`] is one way a worker can cheat or
//! fail that the protocol must catch: the chain's hash check and the verifiers' recomputation
//! reject a wrong delta and slash its author, the seal makes a copied commitment worthless,
//! fetchers refuse bytes that do not hash to the root asked for, and a bisection game finds the
//! step a trajectory departs at (or slashes the side that stops answering it, after its
//! grace).
//!
//! An [`Adversary`] follows a schedule, one [`RoundPlan`] per round (one behaviour for the
//! round, or one per shard), so one bounty shows every behaviour against the same honest
//! replicas. It is a [`Conduct`]: the worker loop asks it at
//! each point where a worker could cheat, and it answers as the round's behaviour says.

use super::{Conduct, Context, DutyError};
use crate::{
	chain::runtime,
	delta::Delta,
	job::{Job, JobError, ShardTask},
	p2p::AnswerHook,
	trainer::{state, SeededRng, Trained},
};
use async_trait::async_trait;
use cohort_primitives::{BountyId, RoundIndex, ShardIndex, H256};
use std::{
	collections::HashSet,
	str::FromStr,
	sync::{Arc, Mutex},
	time::Duration,
};

/// How a worker misbehaves in one round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Behaviour {
	/// Train, commit and reveal honestly.
	Honest,
	/// Commit noise with the honest delta's spread in place of the delta.
	Random,
	/// Commit the honest delta negated.
	SignFlip,
	/// Commit the honest delta times [`SCALE`].
	Scale,
	/// Commit a zero delta, as a worker that skips the work would.
	Zero,
	/// Train from the previous round's checkpoint while naming the current one.
	Stale,
	/// Train the next dataset shard instead of the assigned one.
	WrongShard,
	/// Commit, for each slot, a seal another worker committed in another shard of the round
	/// (a copy in the same shard is refused outright), and never reveal: it cannot be opened.
	CopySeal,
	/// Commit an honest seal and never reveal it.
	Withhold,
	/// Commit the honest delta plus noise drawn from the slot alone, so that every replica
	/// running this behaviour commits the same wrong delta.
	Collude,
	/// Train, commit and reveal honestly, but serve the delta with a byte flipped.
	WrongBlob,
	/// Train honestly but depart from the honest trajectory at step [`late_step`] (13 of 20):
	/// scale the state after it by [`LATE_SCALE`] and train on from there, committing that
	/// trajectory and its delta. Every leaf before that step is honest.
	LateStep,
	/// Commit a zero delta and never answer the bisection game its dispute opens.
	Evade,
	/// Train honestly, but as the round's aggregator propose the checkpoint computed with its
	/// every value scaled by [`LATE_SCALE`] (and serve it), so that the next round, which
	/// trains from the proposal while it is reviewed, trains from a wrong model.
	BadCheckpoint,
	/// Train on the CPU whatever class the worker declares (its trajectory is the CPU's, step
	/// for step: the validators' class, not the round's) and commit that delta plus noise of
	/// [`FORGE_NOISE`] of its norm: the result a CPU verifier would compute, with a payload.
	ForgeClass,
	/// Train, commit and reveal honestly, serve the delta to nobody, and as the round's
	/// aggregator propose a wrong checkpoint as [`Behaviour::BadCheckpoint`] does: without the
	/// delta nobody else can compute what the checkpoint should be.
	Hoard,
}

/// The noise [`Behaviour::ForgeClass`] adds to its delta, relative to the delta's L2 norm.
pub const FORGE_NOISE: f32 = 0.03;

/// The factor [`Behaviour::LateStep`] scales its departing state by, and
/// [`Behaviour::BadCheckpoint`] and [`Behaviour::Hoard`] the checkpoint they propose.
pub const LATE_SCALE: f32 = 1.01;

/// The step [`Behaviour::LateStep`] departs at, of `steps`: two thirds of the way (13 of 20).
pub fn late_step(steps: u32) -> u32 {
	(2 * steps / 3).max(1)
}

/// The factor [`Behaviour::Scale`] multiplies the delta by.
pub const SCALE: f32 = 1_000.0;

/// How long [`Behaviour::CopySeal`] looks between reads of the chain for a seal to copy.
const COPY_POLL: Duration = Duration::from_millis(500);

/// What a worker does in one round: one behaviour in every shard it holds (`zero`), or one
/// per shard (`random+sign-flip`: shard 0 random, shard 1 and every later one sign-flip), so
/// that one round can show several behaviours side by side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundPlan(Vec<Behaviour>);

impl RoundPlan {
	/// The behaviour in `shard`: the plan's entry for it, or its last.
	pub fn in_shard(&self, shard: ShardIndex) -> Behaviour {
		let last = self.0.len() - 1; // never empty: `from_str` refuses an empty plan
		self.0[(shard as usize).min(last)]
	}

	/// Whether any shard of the round follows `behaviour`.
	pub fn has(&self, behaviour: Behaviour) -> bool {
		self.0.contains(&behaviour)
	}
}

impl From<Behaviour> for RoundPlan {
	fn from(behaviour: Behaviour) -> Self {
		RoundPlan(vec![behaviour])
	}
}

impl FromStr for RoundPlan {
	type Err = String;

	fn from_str(plan: &str) -> Result<Self, String> {
		let behaviours = plan
			.split('+')
			.map(|name| clap::ValueEnum::from_str(name.trim(), true))
			.collect::<Result<Vec<Behaviour>, String>>()?;
		Ok(RoundPlan(behaviours))
	}
}

/// A worker's plan per round: round `k` follows the `k`-th, and the last one repeats.
#[derive(Debug)]
pub struct Adversary {
	schedule: Vec<RoundPlan>,
	/// The blobs it serves otherwise than as stored, so far.
	answers: Mutex<Answers>,
}

impl Adversary {
	/// Follow `schedule` (empty: honest throughout).
	pub fn new(schedule: Vec<RoundPlan>) -> Self {
		Self { schedule, answers: Mutex::default() }
	}

	/// The plan of `round`; `None` with an empty schedule (honest throughout).
	fn plan(&self, round: RoundIndex) -> Option<&RoundPlan> {
		self.schedule.get(round as usize).or(self.schedule.last())
	}

	/// The behaviour in `slot`'s shard of its round.
	pub fn in_slot(&self, slot: ShardTask) -> Behaviour {
		self.plan(slot.round).map_or(Behaviour::Honest, |plan| plan.in_shard(slot.shard))
	}
}

impl Behaviour {
	/// Whether this behaviour reveals what it committed.
	pub fn reveals(self) -> bool {
		!matches!(self, Behaviour::CopySeal | Behaviour::Withhold)
	}

	/// Whether this behaviour answers the bisection games of its slots.
	pub fn bisects(self) -> bool {
		self != Behaviour::Evade
	}

	/// What to train for `slot` of `job`: another checkpoint or dataset shard than the slot's,
	/// or the slot's own.
	pub async fn training_inputs(
		self,
		cx: &Context,
		job: &Job,
		slot: ShardTask,
	) -> Result<ShardTask, DutyError> {
		Ok(match self {
			Behaviour::Stale if slot.round > 0 => {
				let at = cx.chain.best().await?;
				let previous = cx.round(&at, slot.bounty, slot.round - 1).await?;
				ShardTask { checkpoint: previous.info.checkpoint, ..slot }
			}
			Behaviour::Stale => {
				tracing::warn!("adversary: round 0 has no older checkpoint; training from H_0");
				slot
			}
			Behaviour::WrongShard => {
				let shards = job.spec.dataset.shards.max(1);
				ShardTask { dataset_shard: (slot.dataset_shard + 1) % shards, ..slot }
			}
			_ => slot,
		})
	}

	/// The delta this behaviour commits for slot `(bounty, round, shard)`, given the honest one.
	pub fn tamper(
		self,
		honest: Delta,
		(bounty, round, shard): (BountyId, RoundIndex, ShardIndex),
	) -> Delta {
		let values: Vec<f32> = honest.values().collect();
		let spread = (values.iter().map(|v| v * v).sum::<f32>() / values.len().max(1) as f32)
			.sqrt()
			.max(f32::MIN_POSITIVE);
		let noise = |rng: &mut SeededRng| -> Vec<f32> {
			values.iter().map(|_| spread * rng.normal()).collect()
		};
		let tampered: Vec<f32> = match self {
			Behaviour::Random => noise(&mut SeededRng::new(super::salt().as_bytes())),
			Behaviour::SignFlip => values.iter().map(|v| -v).collect(),
			Behaviour::Scale => values.iter().map(|v| v * SCALE).collect(),
			Behaviour::Zero | Behaviour::Evade => vec![0.0; values.len()],
			Behaviour::Collude => {
				let mut rng =
					SeededRng::for_shard("cohort/adversary/collude", bounty, round, shard);
				values.iter().zip(noise(&mut rng)).map(|(v, n)| v + n).collect()
			}
			Behaviour::ForgeClass => {
				let mut rng = SeededRng::new(super::salt().as_bytes());
				values.iter().zip(noise(&mut rng)).map(|(v, n)| v + FORGE_NOISE * n).collect()
			}
			_ => return honest,
		};
		honest.with_values(&tampered)
	}
}

#[async_trait]
impl Conduct for Adversary {
	async fn commit_otherwise(&self, cx: &Context, slot: ShardTask) -> Result<bool, DutyError> {
		if self.in_slot(slot) != Behaviour::CopySeal {
			return Ok(false);
		}
		commit_copied_seal(cx, slot).await?;
		Ok(true)
	}

	async fn training_inputs(
		&self,
		cx: &Context,
		job: &Job,
		slot: ShardTask,
	) -> Result<ShardTask, DutyError> {
		self.in_slot(slot).training_inputs(cx, job, slot).await
	}

	async fn retrace(
		&self,
		cx: &Context,
		job: &Job,
		slot: ShardTask,
		trained: Trained,
	) -> Result<Trained, DutyError> {
		match self.in_slot(slot) {
			Behaviour::LateStep => depart_late(cx, job, slot, trained).await,
			Behaviour::ForgeClass => train_on_the_cpu(cx, job, slot).await,
			_ => Ok(trained),
		}
	}

	fn tamper(&self, slot: ShardTask, trained: Delta) -> Delta {
		self.in_slot(slot).tamper(trained, (slot.bounty, slot.round, slot.shard))
	}

	fn reveals(&self, slot: ShardTask) -> bool {
		self.in_slot(slot).reveals()
	}

	fn bisects(&self, slot: ShardTask) -> bool {
		self.in_slot(slot).bisects()
	}

	async fn propose(
		&self,
		cx: &Context,
		job: &Job,
		round: RoundIndex,
		computed: H256,
	) -> Result<H256, DutyError> {
		let wrong = [Behaviour::BadCheckpoint, Behaviour::Hoard];
		if !self.plan(round).is_some_and(|plan| wrong.iter().any(|b| plan.has(*b))) {
			return Ok(computed);
		}
		let bytes = cx.store.blob(&computed)?.ok_or(DutyError::Task(format!(
			"the checkpoint {computed:?} just computed is not in the store"
		)))?;
		let checkpoint = job.checkpoint(&bytes)?;
		let scaled: Vec<f32> = checkpoint.values().map(|v| v * LATE_SCALE).collect();
		let bad = cx.store.put_blob(&checkpoint.with_values(&scaled).to_bytes())?;
		tracing::warn!(round, ?computed, proposed = ?bad, "adversary: proposing a wrong checkpoint");
		Ok(bad)
	}

	fn before_serving(&self, cx: &Context, slot: ShardTask, root: H256) -> Result<(), DutyError> {
		let ShardTask { bounty, round, shard, .. } = slot;
		let mut answers = self.answers.lock().expect("not poisoned");
		match self.in_slot(slot) {
			Behaviour::WrongBlob => {
				tracing::warn!(bounty, round, shard, ?root, "adversary: serving wrong bytes");
				answers.wrong.insert(root);
			}
			Behaviour::Hoard => {
				tracing::warn!(bounty, round, shard, ?root, "adversary: serving nobody the delta");
				answers.hoarded.insert(root);
			}
			_ => return Ok(()),
		}
		cx.network.alter_answers(Arc::new(answers.clone()))?;
		Ok(())
	}
}

/// What the adversary serves otherwise than as stored: blobs with their first byte flipped
/// ([`Behaviour::WrongBlob`]), and blobs it says it does not hold ([`Behaviour::Hoard`]).
#[derive(Clone, Debug, Default)]
struct Answers {
	wrong: HashSet<H256>,
	hoarded: HashSet<H256>,
}

impl AnswerHook for Answers {
	fn answer(&self, root: &H256, mut bytes: Vec<u8>) -> Option<Vec<u8>> {
		if self.hoarded.contains(root) {
			return None;
		}
		if let (true, Some(first)) = (self.wrong.contains(root), bytes.first_mut()) {
			*first ^= 0xff;
		}
		Some(bytes)
	}
}

/// [`Behaviour::LateStep`]'s training of `slot`: the honest `trained` up to [`late_step`],
/// the state after it scaled by [`LATE_SCALE`], and honest steps from that state on.
async fn depart_late(
	cx: &Context,
	job: &Job,
	slot: ShardTask,
	trained: Trained,
) -> Result<Trained, DutyError> {
	let steps = job.spec.hyper.inner_steps;
	let late = late_step(steps);
	let checkpoint = cx.bounty_blob(slot.bounty, slot.checkpoint).await?;
	let dataset = cx.dataset(slot.bounty, job).await?;
	let (job, backend) = (job.clone(), cx.backend.clone());
	let departed = tokio::task::spawn_blocking(move || -> Result<Trained, JobError> {
		let mut honest = job.states_after(&checkpoint, &dataset, slot, &[late], &backend)?;
		let honest = honest.pop().expect("one state per step count asked for");
		let scaled: Vec<f32> = honest.values().map(|v| v * LATE_SCALE).collect();
		let mut state = honest.with_values(&scaled);
		let mut trajectory = trained.trajectory[..late as usize].to_vec();
		trajectory.push(state::hash(&state));
		for taken in late..steps {
			state = job.step_from(&state, taken, &dataset, slot, &backend)?;
			trajectory.push(state::hash(&state));
		}
		let delta = job.delta_from(&checkpoint, &state)?;
		Ok(Trained { delta, losses: trained.losses, trajectory })
	})
	.await
	.map_err(|e| DutyError::Task(e.to_string()))??;
	let ShardTask { bounty, round, shard, .. } = slot;
	tracing::warn!(bounty, round, shard, late, "adversary: departed from the honest trajectory");
	Ok(departed)
}

/// [`Behaviour::ForgeClass`]'s training of `slot`: on the CPU, whatever class this worker
/// declared.
async fn train_on_the_cpu(cx: &Context, job: &Job, slot: ShardTask) -> Result<Trained, DutyError> {
	let checkpoint = cx.bounty_blob(slot.bounty, slot.checkpoint).await?;
	let dataset = cx.dataset(slot.bounty, job).await?;
	let job = job.clone();
	let trained = tokio::task::spawn_blocking(move || {
		let cpu = crate::trainer::Backend::cpu();
		job.train(&checkpoint, &dataset, slot, &cpu, &std::sync::atomic::AtomicBool::new(false))
	})
	.await
	.map_err(|e| DutyError::Task(e.to_string()))??;
	let ShardTask { bounty, round, shard, .. } = slot;
	tracing::warn!(bounty, round, shard, "adversary: trained in the CPU's class, not its own");
	Ok(trained)
}

/// [`Behaviour::CopySeal`]'s commit: wait until another worker commits a seal in another
/// shard of the round, and commit that seal as `slot`'s.
async fn commit_copied_seal(cx: &Context, slot: ShardTask) -> Result<(), DutyError> {
	let ShardTask { bounty, round, shard, checkpoint, .. } = slot;
	let me = cx.account();
	loop {
		let at = cx.chain.best().await?;
		let view = cx.round(&at, bounty, round).await?;
		let copied = view
			.shards
			.iter()
			.filter(|other| other.shard != shard)
			.flat_map(|other| other.state.slots.0.iter())
			.filter(|slot| slot.worker != me)
			.find_map(|slot| slot.seal);
		if let Some(seal) = copied {
			let call = runtime::tx().training().commit(bounty, round, shard, checkpoint, seal);
			cx.submit("Training.commit", &call).await?;
			tracing::warn!(bounty, round, shard, ?seal, "adversary: committed a copied seal");
			return Ok(());
		}
		if at.number >= view.info.commit_deadline {
			tracing::warn!(bounty, round, shard, "adversary: no seal to copy before the deadline");
			return Ok(());
		}
		tokio::time::sleep(COPY_POLL).await;
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::delta::Tensor;

	fn honest() -> Delta {
		let tensors =
			vec![Tensor { name: "w".into(), dims: vec![4], data: vec![1.0, -2.0, 0.5, 0.0] }];
		Delta::new(tensors).unwrap()
	}

	fn slot(round: RoundIndex, shard: ShardIndex) -> ShardTask {
		ShardTask { bounty: 0, round, shard, dataset_shard: shard, checkpoint: H256::zero() }
	}

	#[test]
	fn the_schedule_gives_each_round_its_plan_and_repeats_the_last() {
		let adversary = Adversary::new(vec![Behaviour::Honest.into(), Behaviour::Zero.into()]);
		assert_eq!(adversary.in_slot(slot(0, 0)), Behaviour::Honest);
		assert_eq!(adversary.in_slot(slot(1, 3)), Behaviour::Zero);
		assert_eq!(adversary.in_slot(slot(7, 0)), Behaviour::Zero);
		assert_eq!(Adversary::new(vec![]).in_slot(slot(3, 1)), Behaviour::Honest);
	}

	#[test]
	fn a_plan_gives_each_shard_its_behaviour_and_repeats_the_last() {
		let plan: RoundPlan = "random+Sign-Flip".parse().unwrap();
		assert_eq!(plan.in_shard(0), Behaviour::Random);
		assert_eq!(plan.in_shard(1), Behaviour::SignFlip);
		assert_eq!(plan.in_shard(5), Behaviour::SignFlip);
		assert!(plan.has(Behaviour::SignFlip) && !plan.has(Behaviour::Zero));
		let adversary = Adversary::new(vec!["honest".parse().unwrap(), plan]);
		assert_eq!(adversary.in_slot(slot(1, 0)), Behaviour::Random);
		assert_eq!(adversary.in_slot(slot(2, 1)), Behaviour::SignFlip);
	}

	#[test]
	fn an_unknown_or_empty_behaviour_is_refused_by_name() {
		let error = "random+cheat".parse::<RoundPlan>().unwrap_err();
		assert!(error.contains("cheat"), "{error}");
		assert!("".parse::<RoundPlan>().is_err());
		assert!("zero+".parse::<RoundPlan>().is_err());
	}

	#[test]
	fn a_hoarded_blob_is_not_served_and_a_wrong_one_is_served_altered() {
		let (hoarded, wrong, plain) =
			(H256::repeat_byte(1), H256::repeat_byte(2), H256::repeat_byte(3));
		let answers = Answers { wrong: [wrong].into(), hoarded: [hoarded].into() };
		assert_eq!(answers.answer(&hoarded, vec![7, 8]), None);
		assert_eq!(answers.answer(&wrong, vec![7, 8]), Some(vec![7 ^ 0xff, 8]));
		assert_eq!(answers.answer(&plain, vec![7, 8]), Some(vec![7, 8]));
	}

	#[test]
	fn every_tampering_behaviour_changes_the_delta_and_the_others_do_not() {
		let slot = (1, 2, 3);
		for behaviour in [
			Behaviour::Random,
			Behaviour::SignFlip,
			Behaviour::Scale,
			Behaviour::Zero,
			Behaviour::Collude,
			Behaviour::Evade,
			Behaviour::ForgeClass,
		] {
			let tampered = behaviour.tamper(honest(), slot);
			assert!(tampered.same_layout(&honest()), "{behaviour:?}");
			assert_ne!(tampered.to_bytes(), honest().to_bytes(), "{behaviour:?}");
		}
		for behaviour in [
			Behaviour::Honest,
			Behaviour::Stale,
			Behaviour::WrongBlob,
			Behaviour::LateStep,
			Behaviour::Hoard,
		] {
			assert_eq!(behaviour.tamper(honest(), slot).to_bytes(), honest().to_bytes());
		}
	}

	#[test]
	fn the_late_step_is_two_thirds_of_the_way_and_never_before_the_first() {
		assert_eq!(late_step(20), 13);
		assert_eq!(late_step(5), 3);
		assert_eq!(late_step(1), 1);
	}

	#[test]
	fn colluders_agree_and_random_adversaries_do_not() {
		let slot = (1, 2, 3);
		let collude = || Behaviour::Collude.tamper(honest(), slot).to_bytes();
		assert_eq!(collude(), collude());
		assert_ne!(collude(), Behaviour::Collude.tamper(honest(), (1, 2, 4)).to_bytes());
		let random = || Behaviour::Random.tamper(honest(), slot).to_bytes();
		assert_ne!(random(), random());
	}
}
