//! Builds the runtime's wasm blob, which the node embeds (`WASM_BINARY`).
//! `SKIP_WASM_BUILD=1` skips it for native-only work such as unit tests.

#[cfg(feature = "std")]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

#[cfg(not(feature = "std"))]
fn main() {}
