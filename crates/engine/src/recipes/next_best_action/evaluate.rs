//! Offline metrics of `aws-next-best-action`: 10% of the users who took an action (by
//! [`split_hash`], at least one) lose their action interactions; the model fitted on the rest
//! ranks the actions for them from their item interactions, and the actions they took are the
//! relevant ones. The metrics are the usual ones ([`METRIC_KEYS`]) over actions: coverage is the
//! share of the Actions dataset's actions recommended in some test user's top 25.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::error::EngineError;
use crate::evaluation::{split_hash, user_metrics, Evaluation, EVAL_K, METRIC_KEYS};
use crate::model::FittedModel;
use crate::training_data::{ActionEvent, TrainingData};

use super::fit;

pub(super) fn evaluate(data: &TrainingData) -> Result<(Evaluation, Box<dyn FittedModel>), EngineError> {
    let rows = data.actions().interactions();
    let mut takers: Vec<u32> = rows.iter().filter(|r| r.event == ActionEvent::Taken).map(|r| r.user).collect();
    takers.sort_unstable();
    takers.dedup();
    let mut order: Vec<(u64, u32)> = takers.iter().map(|&u| (split_hash(data.user_id(u)), u)).collect();
    order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| data.user_id(a.1).cmp(data.user_id(b.1))));
    let n_test = if order.is_empty() { 0 } else { ((order.len() as f64 * 0.1).round() as usize).max(1) };
    let mut is_test = vec![false; data.num_users()];
    for &(_, u) in &order[..n_test] {
        is_test[u as usize] = true;
    }
    let train: Vec<_> = rows.iter().filter(|r| !is_test[r.user as usize]).copied().collect();
    let started = Instant::now();
    let fitted = fit(data, &train)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let candidates = (0..data.actions().num_actions() as u32).filter(|&a| data.actions().in_actions_dataset(a)).count();
    let (mut sums, mut covered, mut users) = ([0.0f64; 7], std::collections::HashSet::new(), 0usize);
    let mut recs = Vec::new();
    for &(_, u) in &order[..n_test] {
        let mut relevant: Vec<u32> =
            rows.iter().filter(|r| r.user == u && r.event == ActionEvent::Taken).map(|r| r.action).collect();
        relevant.sort_unstable();
        relevant.dedup();
        recs.clear();
        fitted.recommend_indices(u, data.user_interactions(u), EVAL_K, &mut recs);
        let m = user_metrics(&recs, |a| relevant.binary_search(&a).is_ok(), relevant.len());
        let values =
            [m.reciprocal_rank, m.ndcg[0], m.ndcg[1], m.ndcg[2], m.precision[0], m.precision[1], m.precision[2]];
        for (s, v) in sums.iter_mut().zip(values) {
            *s += v;
        }
        covered.extend(recs.iter().copied());
        users += 1;
    }
    let coverage = if candidates == 0 { 0.0 } else { covered.len() as f64 / candidates as f64 };
    let per_user = sums.map(|s| s / users.max(1) as f64);
    let metrics: BTreeMap<String, f64> =
        METRIC_KEYS.iter().map(|k| k.to_string()).zip(std::iter::once(coverage).chain(per_user)).collect();
    Ok((Evaluation { metrics, test_users: users, fit_seconds }, Box::new(fitted)))
}
