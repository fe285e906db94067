//! The `reko` binary's commands as a library, so the integration tests and benchmarks use the
//! same modules the binary runs (no source files included by path).
//!
//! The server side (`reko serve`, `reko usage`: [`config`], [`access_keys`], [`logging`],
//! [`usage`]) is always built. The client commands (`demo`, `batch`, `import`, `export`, `tasks`,
//! `eval`, and `apply`/`plan`/`export-config` in [`declarative`]) and their AWS SDK dependencies
//! sit behind the `client` feature (on by default), so `--no-default-features` builds a lean
//! server.

pub mod access_keys;
pub mod collect;
pub mod config;
pub mod logging;
pub mod usage;

#[cfg(feature = "client")]
pub mod batch;
#[cfg(feature = "client")]
pub mod declarative;
#[cfg(feature = "client")]
pub mod demo;
#[cfg(feature = "client")]
pub mod eval;
#[cfg(feature = "client")]
pub mod experiments;
#[cfg(feature = "client")]
pub mod export;
#[cfg(feature = "client")]
pub mod import;
#[cfg(feature = "client")]
pub mod jobs;
#[cfg(feature = "client")]
pub mod signing;
#[cfg(feature = "client")]
pub mod tasks;
