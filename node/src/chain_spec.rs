//! Chain specs: the built-in presets and spec files.

use cohort_chain_spec::{DEV, LOCAL, PRESETS, TESTNET};
use sc_service::ChainType;

/// A Cohort chain spec; genesis comes from the runtime's presets or a file.
pub type ChainSpec = sc_service::GenericChainSpec;

/// The chain spec of the built-in preset `id` (`dev`, `local` or `testnet`).
pub fn from_preset(id: &str) -> Result<ChainSpec, String> {
	let (name, spec_id, chain_type) = match id {
		DEV => ("Cohort Development", "cohort_dev", ChainType::Development),
		LOCAL => ("Cohort Local Testnet", "cohort_local", ChainType::Local),
		TESTNET => ("Cohort Testnet", "cohort_testnet", ChainType::Live),
		other => return Err(unknown_chain(other)),
	};
	let wasm = cohort_runtime::WASM_BINARY
		.ok_or("this cohort-node was built without the runtime's wasm (SKIP_WASM_BUILD)")?;
	let properties = serde_json::json!({
		"tokenSymbol": "COH",
		"tokenDecimals": 12,
		"ss58Format": 42,
	});
	Ok(ChainSpec::builder(wasm, None)
		.with_name(name)
		.with_id(spec_id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(id)
		.with_properties(properties.as_object().expect("an object").clone())
		.build())
}

/// `--chain` takes a preset name or a path to a chain spec file.
pub fn load(id: &str) -> Result<ChainSpec, String> {
	match id {
		"" => from_preset(LOCAL),
		id if PRESETS.contains(&id) => from_preset(id),
		path if std::path::Path::new(path).is_file() => {
			ChainSpec::from_json_file(path.into()).map_err(|e| format!("chain spec {path}: {e}"))
		}
		other => Err(unknown_chain(other)),
	}
}

fn unknown_chain(id: &str) -> String {
	format!(
		"unknown chain `{id}`: expected one of {} or the path of a chain spec file",
		PRESETS.join(", ")
	)
}
