//! The optimization objective's trade-off (`solutionConfig.optimizationObjective`), on the
//! objective-optimization notebook's data: MovieLens 100K ratings above 3, each film with a
//! made-up royalty (0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.05 or 0.10 by film id, negated so that
//! cheaper scores higher, as the notebook does). Per sensitivity, on a per-user temporal split
//! (newest 20% held out, seen items excluded, settings self-tuned on the training part): NDCG@10,
//! `average_rewards_at_k`, and the mean royalty of the test users' top 25.
//!
//! `REKO_ML100K_DIR=<a MovieLens 100K folder> cargo bench -p reko-engine --bench objective` (without it the
//! bench says it skipped)

#[path = "../tests/common/mod.rs"]
mod common;

use reko_engine::evaluation::{evaluate_model, recommend_unseen, temporal_split, REWARD_METRIC_KEY};
use reko_engine::recipes::user_personalization::{fit, self_tune};
use reko_engine::{ObjectiveSensitivity, TrainingConfig, TrainingDataBuilder};

const RECIPE: &str = "aws-user-personalization";
const NDCG: &str = "normalized_discounted_cumulative_gain_at_10";
const ROYALTIES: [f64; 8] = [0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.05, 0.10];

fn main() {
    let Some(dir) = reko_dataset::movielens::dir_from_env("objective bench") else { return };
    let mut b = TrainingDataBuilder::new();
    for r in reko_dataset::movielens::read_ratings(&dir).unwrap() {
        if r.rating > 3 {
            b.push_interaction(&r.user_id, &r.item_id, r.timestamp, None, None);
        }
    }
    let royalty = |item: &str| ROYALTIES[item.parse::<usize>().unwrap() % 8];
    for i in 1..=1682 {
        let id = i.to_string();
        b.push_item(&id, None);
        b.push_item_objective_value(&id, -royalty(&id));
    }
    let data = b.build();
    let split = temporal_split(&data, 0.2, 5);
    let mut base = TrainingConfig::default();
    base.hyperparameters.extend(self_tune(RECIPE, &split.train, &base).unwrap());
    println!("| objectiveSensitivity | NDCG@10 | average_rewards_at_k | mean royalty of a top 25 |");
    println!("|---|---:|---:|---:|");
    for (name, sensitivity) in ObjectiveSensitivity::NAMES {
        let config = TrainingConfig { objective: Some(sensitivity), ..base.clone() };
        let model = fit(RECIPE, &split.train, &config);
        let metrics = evaluate_model(&model, &split);
        let mut total = (0.0, 0usize);
        let mut list = Vec::new();
        for t in &split.test {
            recommend_unseen(&model, t.user, split.train.user_interactions(t.user), 25, &mut list);
            total.0 += list.iter().map(|&i| royalty(split.train.item_id(i))).sum::<f64>();
            total.1 += list.len();
        }
        println!(
            "| {name} | {:.4} | {:.4} | {:.4} |",
            metrics[NDCG],
            metrics[REWARD_METRIC_KEY],
            total.0 / total.1.max(1) as f64
        );
    }
}
