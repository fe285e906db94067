//! Wire-conformance tests: the official AWS SDK for Rust drives a real `reko serve` process.
//!
//! Each test starts its own server on a free loopback port with its own data directory.

mod catalogue;
mod errors;
mod imports;
mod movielens;
mod objective;
mod recovery;
mod solutions;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_personalize::types::{ImportMode, SolutionConfig};

/// Creates a popularity solution + version and waits for both; returns (solution, version).
async fn train_popularity(c: &aws_sdk_personalize::Client, dsg_arn: &str, name: &str) -> (String, String) {
    let sol = ok(
        c.create_solution().name(name).dataset_group_arn(dsg_arn).recipe_arn(POPULARITY_RECIPE).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .expect("solutionArn")
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .expect("solutionVersionArn")
        .to_string();
    wait_active(c, &Res::SolutionVersion(sv.clone())).await;
    (sol, sv)
}

/// Checks that `got` (a popularity top list) is sorted consistently with `counts`: every
/// returned item is among the top `slack` items by count, and the first one is the top item.
fn assert_popularity_order(got: &[String], counts: &HashMap<String, usize>, slack: usize, what: &str) {
    let ranked = crate::common::MovieLens::ranked(counts);
    let head: HashSet<&String> = ranked[..slack].iter().collect();
    assert_eq!(got.first(), ranked.first(), "{what}: top item; got {got:?}");
    for item in got {
        assert!(
            head.contains(item),
            "{what}: {item} (count {:?}) is not among the {slack} most popular; got {got:?}, expected roughly {:?}",
            counts.get(item),
            &ranked[..got.len()]
        );
    }
}
