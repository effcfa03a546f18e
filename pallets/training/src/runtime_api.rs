//! The read-side runtime API behind the node's `cohort_bounty`, `cohort_bounties`,
//! `cohort_round` and `cohort_disputes` RPC methods.

use crate::{Bisection, Bounty, Dispute, Phase, RoundInfo, ShardState};
use alloc::vec::Vec;
use cohort_primitives::view_type;
use cohort_primitives::{BountyId, DisputeId, PeerRecord, RoundIndex, ShardIndex};
#[cfg(feature = "std")]
use {core::fmt::Display, serde::Serialize};

view_type! {
	/// A bounty with its id.
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, Balance: Display, BlockNumber: Serialize"))
	)]
	pub struct BountyView<AccountId, Balance, BlockNumber> {
		/// The bounty's id.
		pub id: BountyId,
		/// Where it stands: the phase of its current round, `waiting` or `finished`.
		pub phase: Phase,
		/// The bounty.
		#[cfg_attr(feature = "std", serde(flatten))]
		pub bounty: Bounty<AccountId, Balance, BlockNumber>,
		/// Who serves its dataset and initial checkpoint, if its owner said so.
		pub data_server: Option<PeerRecord>,
	}
}

view_type! {
	/// One shard of a round with its index.
	#[cfg_attr(feature = "std", serde(bound(serialize = "AccountId: Serialize")))]
	pub struct ShardView<AccountId> {
		/// The shard's index in its round.
		pub shard: ShardIndex,
		/// Its assignments, seals, roots and outcome.
		#[cfg_attr(feature = "std", serde(flatten))]
		pub state: ShardState<AccountId>,
	}
}

view_type! {
	/// A round with all its shards.
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, BlockNumber: Serialize"))
	)]
	pub struct RoundView<AccountId, BlockNumber> {
		/// The bounty.
		pub bounty: BountyId,
		/// The round's index.
		pub round: RoundIndex,
		/// The round.
		#[cfg_attr(feature = "std", serde(flatten))]
		pub info: RoundInfo<AccountId, BlockNumber>,
		/// Every shard, in order.
		pub shards: Vec<ShardView<AccountId>>,
	}
}

view_type! {
	/// A dispute with its id.
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, Balance: Display, BlockNumber: Serialize"))
	)]
	pub struct DisputeView<AccountId, Balance, BlockNumber> {
		/// The dispute's id.
		pub id: DisputeId,
		/// The dispute.
		#[cfg_attr(feature = "std", serde(flatten))]
		pub dispute: Dispute<AccountId, Balance, BlockNumber>,
		/// Its bisection game, if it is a shard dispute over two roots.
		pub game: Option<Bisection<AccountId, BlockNumber>>,
	}
}

sp_api::decl_runtime_apis! {
	/// Queries about bounties, rounds and disputes.
	pub trait TrainingApi<AccountId, Balance, BlockNumber>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// One bounty.
		fn bounty(id: BountyId) -> Option<BountyView<AccountId, Balance, BlockNumber>>;

		/// Every bounty, in id order.
		fn bounties() -> Vec<BountyView<AccountId, Balance, BlockNumber>>;

		/// One round of a bounty with its shards.
		fn round(bounty: BountyId, round: RoundIndex) -> Option<RoundView<AccountId, BlockNumber>>;

		/// The disputes of one bounty, or of every bounty, in id order.
		fn disputes(bounty: Option<BountyId>) -> Vec<DisputeView<AccountId, Balance, BlockNumber>>;
	}
}

impl<T: crate::Config> crate::Pallet<T> {
	/// One bounty, for the runtime API.
	pub fn bounty_view(
		id: BountyId,
	) -> Option<
		BountyView<
			T::AccountId,
			crate::BalanceOf<T>,
			frame_system::pallet_prelude::BlockNumberFor<T>,
		>,
	> {
		crate::Bounties::<T>::get(id).map(|bounty| Self::view_of(id, bounty))
	}

	/// Every bounty in id order, for the runtime API.
	pub fn bounty_views() -> Vec<
		BountyView<
			T::AccountId,
			crate::BalanceOf<T>,
			frame_system::pallet_prelude::BlockNumberFor<T>,
		>,
	> {
		let mut views: Vec<_> =
			crate::Bounties::<T>::iter().map(|(id, bounty)| Self::view_of(id, bounty)).collect();
		views.sort_by_key(|view| view.id);
		views
	}

	fn view_of(
		id: BountyId,
		bounty: crate::BountyOf<T>,
	) -> BountyView<
		T::AccountId,
		crate::BalanceOf<T>,
		frame_system::pallet_prelude::BlockNumberFor<T>,
	> {
		BountyView {
			id,
			phase: Self::phase(id, &bounty),
			bounty,
			data_server: crate::DataServers::<T>::get(id),
		}
	}

	/// One round with its shards, for the runtime API.
	pub fn round_view(
		bounty: BountyId,
		round: RoundIndex,
	) -> Option<RoundView<T::AccountId, frame_system::pallet_prelude::BlockNumberFor<T>>> {
		let info = crate::Rounds::<T>::get(bounty, round)?;
		let shards =
			crate::Bounties::<T>::get(bounty).map(|b| b.spec.shards_per_round).unwrap_or_default();
		let shards = (0..shards)
			.filter_map(|shard| {
				crate::Shards::<T>::get((bounty, round, shard))
					.map(|state| ShardView { shard, state })
			})
			.collect();
		Some(RoundView { bounty, round, info, shards })
	}

	/// Disputes in id order, for the runtime API.
	pub fn dispute_views(
		bounty: Option<BountyId>,
	) -> Vec<
		DisputeView<
			T::AccountId,
			crate::BalanceOf<T>,
			frame_system::pallet_prelude::BlockNumberFor<T>,
		>,
	> {
		let mut views: Vec<_> = crate::Disputes::<T>::iter()
			.filter(|(_, dispute)| bounty.is_none_or(|b| dispute.bounty == b))
			.map(|(id, dispute)| DisputeView { id, dispute, game: crate::Games::<T>::get(id) })
			.collect();
		views.sort_by_key(|view| view.id);
		views
	}
}
