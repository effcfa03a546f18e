//! # wasm-opt, the two passes the runtime's build uses
//!
//! `substrate-wasm-builder` runs binaryen's `wasm-opt` over the runtime's wasm for two passes
//! only: `SignextLowering` (rewrite sign-extension operators as MVP code) and `StripDwarf`
//! (drop the DWARF debug sections), at optimization level 0. The `wasm-opt` crate builds all
//! of binaryen's C++ for them: about 11 minutes of a two-core machine's cold build, more than
//! any other crate but RocksDB. This crate has the same API for what the builder calls and
//! does the same work in Rust:
//!
//! - The runtime is compiled for `wasm32v1-none`, whose code has no sign-extension operators,
//!   so the lowering has nothing to rewrite. The crate checks that instead of assuming it: the
//!   module must validate with the MVP features (`mutable-global` included) and nothing more;
//!   a module that uses a later feature is refused with an error naming it, never passed on.
//! - Stripping DWARF removes the custom sections named `.debug_*` and copies every other
//!   section byte for byte.
//!
//! The workspace's `Cargo.toml` puts it in place of the crates.io `wasm-opt` with
//! `[patch.crates-io]`.

use std::{fs, path::Path};
use thiserror::Error;
use wasmparser::{Validator, WasmFeatures};

/// A pass the builder asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
	/// Lower sign-extension operators to MVP code: checked to be a no-op (see the crate docs).
	SignextLowering,
	/// Remove the DWARF custom sections.
	StripDwarf,
}

/// Why a module could not be processed.
#[derive(Debug, Error)]
pub enum OptimizationError {
	/// The input could not be read or the output written.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: String,
		/// What went wrong.
		#[source]
		source: std::io::Error,
	},
	/// The module does not validate with the MVP features alone.
	#[error(
		"the wasm module is not plain MVP wasm ({0}); build it for the wasm32v1-none target, \
		 or use binaryen's wasm-opt to lower it"
	)]
	NotMvp(String),
	/// The module's sections do not parse.
	#[error("malformed wasm module: {0}")]
	Malformed(&'static str),
}

/// The options of one run, built up as binaryen's are.
#[derive(Clone, Debug, Default)]
pub struct OptimizationOptions {
	passes: Vec<Pass>,
}

impl OptimizationOptions {
	/// Options at optimization level 0: only the passes added run.
	pub fn new_opt_level_0() -> Self {
		Self::default()
	}

	/// Run `pass` too.
	pub fn add_pass(&mut self, pass: Pass) -> &mut Self {
		self.passes.push(pass);
		self
	}

	/// Whether to keep debug information: names and DWARF are kept unless `StripDwarf` runs,
	/// whatever this says.
	pub fn debug_info(&mut self, _keep: bool) -> &mut Self {
		self
	}

	/// Accept only MVP features: always the case here.
	pub fn mvp_features_only(&mut self) -> &mut Self {
		self
	}

	/// Read `infile`, run the passes, write `outfile` (which may be `infile`).
	pub fn run(
		&self,
		infile: impl AsRef<Path>,
		outfile: impl AsRef<Path>,
	) -> Result<(), OptimizationError> {
		let (infile, outfile) = (infile.as_ref(), outfile.as_ref());
		let io = |path: &Path| {
			let path = path.display().to_string();
			move |source| OptimizationError::Io { path, source }
		};
		let module = fs::read(infile).map_err(io(infile))?;
		let module = self.apply(module)?;
		fs::write(outfile, module).map_err(io(outfile))
	}

	/// The passes over a module's bytes.
	fn apply(&self, module: Vec<u8>) -> Result<Vec<u8>, OptimizationError> {
		check_mvp(&module)?;
		if self.passes.contains(&Pass::StripDwarf) {
			strip_dwarf(&module)
		} else {
			Ok(module)
		}
	}
}

/// Refuse a module that uses anything beyond the MVP (with mutable globals), which is what
/// makes sign-extension lowering a no-op.
fn check_mvp(module: &[u8]) -> Result<(), OptimizationError> {
	Validator::new_with_features(WasmFeatures::WASM1)
		.validate_all(module)
		.map(drop)
		.map_err(|e| OptimizationError::NotMvp(e.to_string()))
}

/// A LEB128-encoded `u32` at the start of `bytes`: the value and its length.
fn read_u32(bytes: &[u8]) -> Result<(u32, usize), OptimizationError> {
	let mut value = 0u32;
	for (i, byte) in bytes.iter().take(5).enumerate() {
		value |= u32::from(byte & 0x7f) << (7 * i);
		if byte & 0x80 == 0 {
			return Ok((value, i + 1));
		}
	}
	Err(OptimizationError::Malformed("a truncated or overlong LEB128 number"))
}

/// The module without its custom sections named `.debug_*`; every other byte as it was.
fn strip_dwarf(module: &[u8]) -> Result<Vec<u8>, OptimizationError> {
	const HEADER: usize = 8;
	let header = module.get(..HEADER).ok_or(OptimizationError::Malformed("no header"))?;
	let mut out = header.to_vec();
	let mut at = HEADER;
	while at < module.len() {
		let id = module[at];
		let (size, len) = read_u32(&module[at + 1..])?;
		let body = at + 1 + len;
		let end = body
			.checked_add(size as usize)
			.filter(|end| *end <= module.len())
			.ok_or(OptimizationError::Malformed("a section runs past the end"))?;
		let dwarf = id == 0 && {
			let (name_len, len) = read_u32(&module[body..end])?;
			let name = module
				.get(body + len..body + len + name_len as usize)
				.ok_or(OptimizationError::Malformed("a custom section's name runs past it"))?;
			name.starts_with(b".debug_")
		};
		if !dwarf {
			out.extend_from_slice(&module[at..end]);
		}
		at = end;
	}
	Ok(out)
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A section: its id, then its size and contents.
	fn section(id: u8, contents: &[u8]) -> Vec<u8> {
		let mut out = vec![id, contents.len() as u8];
		out.extend_from_slice(contents);
		out
	}

	fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
		let mut contents = vec![name.len() as u8];
		contents.extend_from_slice(name.as_bytes());
		contents.extend_from_slice(payload);
		section(0, &contents)
	}

	const HEADER: &[u8] = b"\0asm\x01\0\0\0";

	/// `(func (result i32) i32.const 1)`, exported as nothing: type, function and code.
	fn mvp_module(extra: &[Vec<u8>]) -> Vec<u8> {
		let mut module = HEADER.to_vec();
		module.extend(section(1, &[1, 0x60, 0, 1, 0x7f]));
		module.extend(section(3, &[1, 0]));
		for custom in extra {
			module.extend_from_slice(custom);
		}
		module.extend(section(10, &[1, 4, 0, 0x41, 1, 0x0b]));
		module
	}

	#[test]
	fn dwarf_sections_go_and_everything_else_stays() {
		let name = custom("name", b"\x01\x02");
		let module = mvp_module(&[custom(".debug_info", b"dwarf"), name.clone()]);
		let mut options = OptimizationOptions::new_opt_level_0();
		options.add_pass(Pass::StripDwarf).add_pass(Pass::SignextLowering);
		assert_eq!(options.apply(module).unwrap(), mvp_module(&[name]));
	}

	#[test]
	fn lowering_alone_changes_nothing_in_mvp_code() {
		let module = mvp_module(&[custom(".debug_line", b"x")]);
		let mut options = OptimizationOptions::new_opt_level_0();
		options.add_pass(Pass::SignextLowering);
		assert_eq!(options.apply(module.clone()).unwrap(), module);
	}

	#[test]
	fn sign_extension_operators_are_refused() {
		// `i32.const 1; i32.extend8_s`: a sign-extension operator binaryen would lower.
		let mut module = HEADER.to_vec();
		module.extend(section(1, &[1, 0x60, 0, 1, 0x7f]));
		module.extend(section(3, &[1, 0]));
		module.extend(section(10, &[1, 5, 0, 0x41, 1, 0xc0, 0x0b]));
		let error = OptimizationOptions::new_opt_level_0().apply(module).unwrap_err();
		assert!(matches!(error, OptimizationError::NotMvp(_)), "{error}");
	}

	#[test]
	fn truncated_sections_are_refused() {
		let mut module = mvp_module(&[]);
		module.truncate(module.len() - 2);
		assert!(OptimizationOptions::new_opt_level_0()
			.add_pass(Pass::StripDwarf)
			.apply(module)
			.is_err());
	}
}
