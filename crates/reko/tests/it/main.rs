//! The integration suites as one test binary (one build and link instead of one per suite): a
//! module per area, the helpers in `common` (shared with the stand-alone binaries beside this
//! folder). Each test starts its own `reko serve` where it needs one, or shares one: a bare server
//! (`common::shared_server`), or a file's staging made once (`common::Fixture`).
//!
//! Stand-alone binaries, and why: `browser` (drives Chromium; `cargo test --test browser`),
//! `crash_safety` (kills servers under sustained load; its timing assertions expect no other
//! suite beside it) and `bounded_memory` (measures this process's own peak memory).

#[path = "../common/mod.rs"]
mod common;

mod actions;
mod artifact_store;
mod auto_training;
mod batch_inference;
mod batch_segments;
mod cluster_workers;
mod collect;
mod conformance;
mod console;
mod data_deletion;
mod dataset_updates;
mod declarative;
mod demo_smoke;
mod deploy;
mod encryption;
mod eval_cli;
mod events;
mod experiments;
mod filters;
mod full_disk;
mod impressions;
mod isolation;
mod metadata;
mod metric_attribution;
mod metrics;
mod object_storage;
mod overload;
mod postgres;
mod recipes;
mod recommenders;
mod refused_members;
mod replicas;
mod rolling_restart;
mod samples;
mod security;
mod usage;
