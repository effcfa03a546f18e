//! The metadata `cohort-worker`'s typed chain interface is generated from
//! (`worker/metadata/cohort.scale`) must be this runtime's, or the worker would encode calls for
//! another runtime. The check lives here, not in the worker, so that after a runtime change the
//! file can be rewritten before the worker compiles against it:
//! `COHORT_BLESS_METADATA=1 cargo test --workspace --test metadata`.

use codec::{Decode, Encode};
use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};

/// The metadata with every constant's value blanked: some constants (the timestamp's minimum
/// period) are read from genesis state, so they differ between chains while the interface does
/// not.
fn interface(bytes: &[u8]) -> Vec<u8> {
	let mut metadata = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).expect("metadata decodes");
	let RuntimeMetadata::V15(ref mut v15) = metadata.1 else { panic!("not metadata v15") };
	for pallet in &mut v15.pallets {
		for constant in &mut pallet.constants {
			constant.value.clear();
		}
	}
	metadata.encode()
}

#[test]
fn the_workers_metadata_file_is_the_runtimes() {
	let current = sp_io::TestExternalities::default()
		.execute_with(|| cohort_runtime::Runtime::metadata_at_version(15))
		.expect("metadata v15");
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../worker/metadata/cohort.scale");
	if std::env::var_os("COHORT_BLESS_METADATA").is_some() {
		std::fs::write(path, &*current).unwrap();
	}
	let kept = std::fs::read(path).unwrap();
	assert!(
		interface(&kept) == interface(&current),
		"{path} is not the runtime's metadata: rerun with COHORT_BLESS_METADATA=1 \
		 cargo test --workspace --test metadata, then rebuild"
	);
}
