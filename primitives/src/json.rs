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

/// Serialize a list of byte strings (multiaddrs, say) as `0x`-prefixed hex strings.
pub fn hex_list<B: AsRef<[u8]>, S: Serializer>(
	list: &[B],
	serializer: S,
) -> Result<S::Ok, S::Error> {
	use serde::ser::SerializeSeq;
	struct Hex<'a>(&'a [u8]);
	impl serde::Serialize for Hex<'_> {
		fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
			hex(&self.0, serializer)
		}
	}
	let mut seq = serializer.serialize_seq(Some(list.len()))?;
	for item in list {
		seq.serialize_element(&Hex(item.as_ref()))?;
	}
	seq.end()
}
