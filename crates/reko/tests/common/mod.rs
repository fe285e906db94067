//! Shared helpers for the conformance tests: spawn a real `reko serve` on a free loopback port,
//! build AWS SDK clients against it, poll resource status, and convert MovieLens 100K to the CSV
//! layout Personalize expects.
// Each test binary uses a different part of these helpers.
#![allow(dead_code, unused_imports)]

mod fixture;
pub mod moto;
mod movielens;
mod outcomes;
mod resources;
mod server;
mod signing;

pub use fixture::*;
pub use movielens::*;
pub use outcomes::*;
pub use resources::*;
pub use server::*;
pub use signing::*;

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_personalize::config::retry::RetryConfig;
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_personalize::error::ProvideErrorMetadata;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
pub const POPULARITY_RECIPE: &str = "arn:aws:personalize:::recipe/aws-popularity-count";
/// Default timeout for a resource to leave its PENDING/IN_PROGRESS states.
/// The root key every test server is started with (`REKO_ACCESS_KEY_ID` / `REKO_SECRET_ACCESS_KEY`);
/// the SDK clients sign every request with it.
pub const ACCESS_KEY_ID: &str = "AKIDREKOTEST";
pub const SECRET_ACCESS_KEY: &str = "reko-test-secret-access-key-0001";
pub const WAIT: Duration = Duration::from_secs(120);

/// `arn:aws:personalize:us-east-1:123456789012:{kind}/{name}`.
pub fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:personalize:{REGION}:{ACCOUNT}:{kind}/{name}")
}

/// `file:///abs/path` for a local file or folder.
pub fn file_url(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap();
    format!("file://{}", abs.display())
}

/// Every file under `dir` holding `needle`'s bytes (what an at-rest scan for leaked ids reads).
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(path);
                }
            }
        }
    }
    found
}
