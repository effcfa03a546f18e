//! `cohort-node`: the Cohort validator and full node.

// `sc_cli::Error` and `sc_service::Error` are the SDK's error types, which every command and
// service builder must return; their size is not this crate's to change.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
