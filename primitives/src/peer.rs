//! Where a libp2p peer listens, as the chain records it: a registered worker, or whoever
//! serves a bounty's data. Bounded so that a record costs at most a fixed amount of state.

use crate::chain_type;
use alloc::vec::Vec;
use sp_core::{bounded::BoundedVec, ConstU32};

/// The longest libp2p peer id accepted, in bytes (an Ed25519 peer id takes 38).
pub const MAX_PEER_ID_LEN: u32 = 64;
/// The most addresses one peer may list.
pub const MAX_ADDRESSES: u32 = 8;
/// The longest multiaddr accepted, in bytes (binary encoding).
pub const MAX_ADDRESS_LEN: u32 = 128;

/// A libp2p peer id, in its binary (multihash) form.
pub type PeerId = BoundedVec<u8, ConstU32<MAX_PEER_ID_LEN>>;
/// One multiaddr, in its binary form.
pub type Multiaddr = BoundedVec<u8, ConstU32<MAX_ADDRESS_LEN>>;
/// The addresses a peer can be dialled at.
pub type Addresses = BoundedVec<Multiaddr, ConstU32<MAX_ADDRESSES>>;

/// Why a peer id or an address list from a caller was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PeerError {
	/// The peer id is empty.
	EmptyPeerId,
	/// The peer id is longer than [`MAX_PEER_ID_LEN`] bytes.
	PeerIdTooLong,
	/// More than [`MAX_ADDRESSES`] addresses.
	TooManyAddresses,
	/// An address is empty or longer than [`MAX_ADDRESS_LEN`] bytes.
	InvalidAddress,
}

/// `From<PeerError>` for a pallet's `Error<T>` that has variants of [`PeerError`]'s names, so
/// that every pallet taking peer records refuses them with the same errors.
#[macro_export]
macro_rules! impl_from_peer_error {
	($error:ident) => {
		impl<T> From<$crate::PeerError> for $error<T> {
			fn from(error: $crate::PeerError) -> Self {
				match error {
					$crate::PeerError::EmptyPeerId => $error::EmptyPeerId,
					$crate::PeerError::PeerIdTooLong => $error::PeerIdTooLong,
					$crate::PeerError::TooManyAddresses => $error::TooManyAddresses,
					$crate::PeerError::InvalidAddress => $error::InvalidAddress,
				}
			}
		}
	};
}

/// `peer_id` as stored, if it is 1 to [`MAX_PEER_ID_LEN`] bytes. (The chain does not parse
/// it: a peer that lists a wrong id is only unreachable, which costs nobody but itself.)
pub fn checked_peer_id(peer_id: Vec<u8>) -> Result<PeerId, PeerError> {
	if peer_id.is_empty() {
		return Err(PeerError::EmptyPeerId);
	}
	peer_id.try_into().map_err(|_| PeerError::PeerIdTooLong)
}

/// `addresses` as stored, if there are at most [`MAX_ADDRESSES`] of 1 to
/// [`MAX_ADDRESS_LEN`] bytes each.
pub fn checked_addresses(addresses: Vec<Vec<u8>>) -> Result<Addresses, PeerError> {
	if addresses.len() as u32 > MAX_ADDRESSES {
		return Err(PeerError::TooManyAddresses);
	}
	let addresses = addresses
		.into_iter()
		.map(|address| {
			if address.is_empty() {
				return Err(PeerError::InvalidAddress);
			}
			Multiaddr::try_from(address).map_err(|_| PeerError::InvalidAddress)
		})
		.collect::<Result<Vec<_>, _>>()?;
	Ok(addresses.try_into().expect("length checked above"))
}

chain_type! {
	/// A peer and the addresses it listens on.
	pub struct PeerRecord {
		/// Its libp2p peer id.
		#[cfg_attr(feature = "std", serde(serialize_with = "crate::json::hex"))]
		pub peer_id: PeerId,
		/// Its listen addresses.
		#[cfg_attr(feature = "std", serde(serialize_with = "crate::json::hex_list"))]
		pub addresses: Addresses,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	#[test]
	fn peer_ids_must_be_present_and_short() {
		assert_eq!(checked_peer_id(vec![]), Err(PeerError::EmptyPeerId));
		assert_eq!(
			checked_peer_id(vec![1; MAX_PEER_ID_LEN as usize + 1]),
			Err(PeerError::PeerIdTooLong)
		);
		assert_eq!(checked_peer_id(vec![1; 38]).unwrap().len(), 38);
	}

	#[test]
	fn address_lists_are_bounded_in_count_and_length() {
		let one = vec![4; MAX_ADDRESS_LEN as usize];
		assert_eq!(
			checked_addresses(vec![one.clone(); MAX_ADDRESSES as usize]).unwrap().len(),
			MAX_ADDRESSES as usize
		);
		assert_eq!(
			checked_addresses(vec![one; MAX_ADDRESSES as usize + 1]),
			Err(PeerError::TooManyAddresses)
		);
		assert_eq!(checked_addresses(vec![vec![]]), Err(PeerError::InvalidAddress));
		assert_eq!(
			checked_addresses(vec![vec![4; MAX_ADDRESS_LEN as usize + 1]]),
			Err(PeerError::InvalidAddress)
		);
		assert!(checked_addresses(vec![]).unwrap().is_empty());
	}
}
