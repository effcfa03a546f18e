//! Serde helpers for the JSON the node's `cohort_*` RPC methods return.

use serde::Serializer;

/// Serialize with `Display`: balances are u128, which a JSON number cannot carry exactly, so
/// they travel as decimal strings, as in polkadot.js.
pub fn display<T: core::fmt::Display, S: Serializer>(
	value: &T,
	serializer: S,
) -> Result<S::Ok, S::Error> {
	serializer.collect_str(value)
}

/// Serialize bytes as a `0x`-prefixed hex string.
pub fn hex<B: AsRef<[u8]>, S: Serializer>(bytes: &B, serializer: S) -> Result<S::Ok, S::Error> {
	let mut out = String::with_capacity(2 + 2 * bytes.as_ref().len());
	out.push_str("0x");
	for byte in bytes.as_ref() {
		out.push_str(&format!("{byte:02x}"));
	}
	serializer.serialize_str(&out)
}
