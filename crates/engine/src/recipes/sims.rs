//! `aws-sims`: item-to-item collaborative filtering on co-occurrence in users' histories.
//!
//! Two items co-occur when the same user interacted with both (only the user's most recent
//! [`MAX_USER_ITEMS`] distinct items form pairs). With `N_i` the (weighted) number of users of
//! item `i` and `C(i,j)` the (weighted) number of users of both, the similarity of neighbour
//! `j` to query item `i` is the asymmetric cosine
//!
//! ```text
//! sim(i, j) = C(i, j) / (N_i^(1-α) · N_j^α),     α = popularity_discount_factor
//! ```
//!
//! so α = 0 ranks neighbours by raw co-occurrence (P(j | i): popular items dominate), α = 0.5
//! (default) is the cosine similarity, and α = 1 ranks by P(i | j), favouring niche items.
//! Pairs shared by fewer than `min_cointeraction_count` users are dropped. The best
//! [`MAX_NEIGHBOURS`] neighbours of each item are kept in the artifact.
//!
//! Featurization parameters (all quantiles are nearest-rank):
//! * `min/max_user_history_length_percentile`: users whose number of interactions lies
//!   below the `min` quantile or above the `max` quantile of all users' history lengths take
//!   no part in co-occurrence (very short histories carry no pairs; very long ones are often
//!   bots or shared accounts).
//! * `min_item_interaction_count_percentile`: items with fewer users than that quantile of
//!   the items' user counts are not used at all: they are nobody's neighbour and have no
//!   neighbours themselves (a query for them answers popular items).
//! * `max_item_interaction_count_percentile`: items with more users than that quantile
//!   (`cap`) are down-weighted, not dropped: each of their interactions counts `cap / N_i`,
//!   the expected effect of sampling `cap` of their users. In the similarity this multiplies a
//!   blockbuster neighbour's score by `(cap / N_j)^α`, an extra, bounded popularity discount.
//!   (Dropping the top 10% of items outright would remove the most typical related items,
//!   e.g. Return of the Jedi as a neighbour of Star Wars.)
//!
//! A sparse or unknown query item (no neighbours) gets the most popular items, as Personalize
//! does; a short neighbour list is completed with popular items. Events-configuration weights
//! are honoured: a user's weight on an item is the largest weight of their events on it.

use std::sync::Arc;

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::model::{FittedModel, Model};
use crate::recipe::{Recipe, RecipeInfo, RecipeType};
#[cfg(doc)]
use crate::recipes::cooccurrence::MAX_USER_ITEMS;
use crate::recipes::cooccurrence::{
    build_table, param, quantile, CoocIndex, FittedRelated, RelatedModel, FORMAT_VERSION, MAX_NEIGHBOURS,
};
use crate::recipes::popularity_count::item_popularity;
use crate::solution_config::{ParamKind, ParamSpec, TrainingConfig};
use crate::training_data::TrainingData;

/// Recipe name.
pub const NAME: &str = "aws-sims";

/// Catalogue entry.
pub const INFO: RecipeInfo = RecipeInfo {
    name: NAME,
    recipe_type: RecipeType::RelatedItems,
    description: "Item-to-item collaborative filtering: recommends items that co-occur with the \
                  given item in users' histories, discounted by popularity.",
    algorithm_name: NAME,
    feature_transformation_name: Some("sims"),
    has_scores: false,
};

const HYPERPARAMETERS: &[ParamSpec] = &[
    ParamSpec { name: "popularity_discount_factor", kind: ParamKind::Float { min: 0.0, max: 1.0 }, default: "0.5" },
    ParamSpec { name: "min_cointeraction_count", kind: ParamKind::Int { min: 0, max: 10 }, default: "3" },
];

const FEATURIZATION: &[ParamSpec] = &[
    ParamSpec {
        name: "min_user_history_length_percentile",
        kind: ParamKind::Float { min: 0.0, max: 1.0 },
        default: "0.005",
    },
    ParamSpec {
        name: "max_user_history_length_percentile",
        kind: ParamKind::Float { min: 0.0, max: 1.0 },
        default: "0.995",
    },
    ParamSpec {
        name: "min_item_interaction_count_percentile",
        kind: ParamKind::Float { min: 0.0, max: 1.0 },
        default: "0.01",
    },
    ParamSpec {
        name: "max_item_interaction_count_percentile",
        kind: ParamKind::Float { min: 0.0, max: 1.0 },
        default: "0.9",
    },
];

/// The recipe plug-in.
pub struct Sims;

/// Parsed settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimsParams {
    pub popularity_discount_factor: f64,
    pub min_cointeraction_count: u32,
    pub min_user_history_length_percentile: f64,
    pub max_user_history_length_percentile: f64,
    pub min_item_interaction_count_percentile: f64,
    pub max_item_interaction_count_percentile: f64,
}

impl SimsParams {
    /// From a solution configuration (defaults for absent keys).
    pub fn from_config(config: &TrainingConfig) -> Result<Self, EngineError> {
        let h = &config.hyperparameters;
        let f = &config.feature_transformation_parameters;
        let p = SimsParams {
            popularity_discount_factor: param(h, HYPERPARAMETERS, "popularity_discount_factor")?,
            min_cointeraction_count: param(h, HYPERPARAMETERS, "min_cointeraction_count")?,
            min_user_history_length_percentile: param(f, FEATURIZATION, "min_user_history_length_percentile")?,
            max_user_history_length_percentile: param(f, FEATURIZATION, "max_user_history_length_percentile")?,
            min_item_interaction_count_percentile: param(f, FEATURIZATION, "min_item_interaction_count_percentile")?,
            max_item_interaction_count_percentile: param(f, FEATURIZATION, "max_item_interaction_count_percentile")?,
        };
        for (lo, hi, what) in [
            (p.min_user_history_length_percentile, p.max_user_history_length_percentile, "user_history_length"),
            (
                p.min_item_interaction_count_percentile,
                p.max_item_interaction_count_percentile,
                "item_interaction_count",
            ),
        ] {
            if lo > hi {
                return Err(EngineError::InvalidConfig(format!(
                    "Invalid feature transformation parameters for recipe {NAME}: \
                     min_{what}_percentile ({lo}) is greater than max_{what}_percentile ({hi})."
                )));
            }
        }
        Ok(p)
    }
}

/// Fit the neighbour table.
pub fn fit(data: &TrainingData, p: &SimsParams) -> Box<dyn FittedModel> {
    let (popularity, seen) = item_popularity(data);
    // Users: history length within the percentile range.
    let mut lens: Vec<f64> =
        (0..data.num_users() as u32).map(|u| data.user_len(u)).filter(|&n| n > 0).map(|n| n as f64).collect();
    let lo = quantile(&mut lens, p.min_user_history_length_percentile).unwrap_or(0.0);
    let hi = quantile(&mut lens, p.max_user_history_length_percentile).unwrap_or(f64::MAX);
    let user_ok: Vec<bool> = (0..data.num_users() as u32)
        .map(|u| {
            let n = data.user_len(u) as f64;
            n >= lo && n <= hi && n >= 2.0
        })
        .collect();
    // Items: excluded below the min quantile, down-weighted above the max quantile.
    let mut counts: Vec<f64> = popularity.iter().zip(&seen).filter(|(_, &s)| s).map(|(&c, _)| c).collect();
    let item_lo = quantile(&mut counts, p.min_item_interaction_count_percentile).unwrap_or(0.0);
    let item_cap = quantile(&mut counts, p.max_item_interaction_count_percentile).unwrap_or(f64::MAX);
    let scale: Vec<f32> = popularity
        .iter()
        .zip(&seen)
        .map(|(&c, &s)| {
            if !s || c <= 0.0 || c < item_lo {
                0.0
            } else if c > item_cap && item_cap > 0.0 {
                (item_cap / c) as f32
            } else {
                1.0
            }
        })
        .collect();
    let index = CoocIndex::build(data, &user_ok, &scale);
    let alpha = p.popularity_discount_factor as f32;
    let min_count = p.min_cointeraction_count;
    let table = build_table(data.num_items(), MAX_NEIGHBOURS, |i, s, cand| {
        let ni = index.mass[i as usize];
        if ni <= 0.0 {
            return;
        }
        index.accumulate(i, s);
        let di = ni.powf(1.0 - alpha);
        for &j in &s.touched {
            let j = j as usize;
            if s.count[j] >= min_count.max(1) {
                let nj = index.mass[j];
                cand.push((j as u32, s.cooc[j] / (di * nj.powf(alpha))));
            }
        }
    });
    Box::new(FittedRelated::new(NAME, data, table, &popularity))
}

impl Recipe for Sims {
    fn info(&self) -> &'static RecipeInfo {
        &INFO
    }
    fn hyperparameters(&self) -> &'static [ParamSpec] {
        HYPERPARAMETERS
    }
    fn feature_transformation_parameters(&self) -> &'static [ParamSpec] {
        FEATURIZATION
    }
    fn validate(&self, config: &TrainingConfig) -> Result<(), EngineError> {
        SimsParams::from_config(config).map(|_| ())
    }
    fn fit(&self, data: &TrainingData, config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError> {
        Ok(fit(data, &SimsParams::from_config(config)?))
    }
    fn supports_format_version(&self, format_version: u32) -> bool {
        format_version == FORMAT_VERSION
    }
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
        Ok(Arc::new(RelatedModel::decode(NAME, &artifact.payload)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RankQuery, RecommendQuery};
    use crate::test_support::check_corruption;
    use crate::training_data::TrainingDataBuilder;
    use crate::{train, validate_config};

    fn params() -> SimsParams {
        SimsParams::from_config(&TrainingConfig::default()).unwrap()
    }

    /// No percentile filtering, no minimum co-count.
    fn open(alpha: f64, min: u32) -> SimsParams {
        SimsParams {
            popularity_discount_factor: alpha,
            min_cointeraction_count: min,
            min_user_history_length_percentile: 0.0,
            max_user_history_length_percentile: 1.0,
            min_item_interaction_count_percentile: 0.0,
            max_item_interaction_count_percentile: 1.0,
        }
    }

    /// `(user, items)` histories, items in chronological order.
    fn data(rows: &[(&str, &[&str])]) -> TrainingData {
        let mut b = TrainingDataBuilder::new();
        let mut t = 0;
        for (u, items) in rows {
            for i in *items {
                t += 1;
                b.push_interaction(u, i, t, None, None);
            }
        }
        b.build()
    }

    fn model(d: &TrainingData, p: &SimsParams) -> RelatedModel {
        RelatedModel::decode(NAME, &fit(d, p).to_artifact().payload).unwrap()
    }

    fn q<'a>(item: Option<&'a str>, n: usize, exclude: &'a dyn Fn(&str) -> bool) -> RecommendQuery<'a> {
        RecommendQuery {
            user_id: None,
            item_id: item,
            num_results: n,
            exclude,
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        }
    }

    fn ids(v: &[crate::model::ScoredItem]) -> Vec<&str> {
        v.iter().map(|s| s.item_id.as_str()).collect()
    }

    /// a and b always together (4 users); a with c twice; d alone-ish; p popular everywhere.
    fn hand_made() -> TrainingData {
        data(&[
            ("u1", &["a", "b", "p"]),
            ("u2", &["a", "b", "p"]),
            ("u3", &["a", "b", "c", "p"]),
            ("u4", &["a", "b", "c", "p"]),
            ("u5", &["c", "p"]),
            ("u6", &["d", "p"]),
            ("u7", &["d", "p"]),
            ("u8", &["p", "e"]),
        ])
    }

    #[test]
    fn neighbours_on_hand_made_data() {
        let m = model(&hand_made(), &open(0.5, 1));
        // a: b (4 co-users, N=4) first; then p (4, N=8) and c (2, N=3).
        // cos(a,b) = 4/4 = 1; cos(a,p) = 4/sqrt(32) = 0.707; cos(a,c) = 2/sqrt(12) = 0.577.
        assert_eq!(m.neighbours("a"), ["b", "p", "c"]);
        assert_eq!(m.neighbours("d"), ["p"]);
        let none = |_: &str| false;
        let r = m.recommend(&q(Some("a"), 2, &none));
        assert_eq!(ids(&r), ["b", "p"]);
        // Excluded items are skipped, the query item never appears, popular items complete.
        let r = m.recommend(&q(Some("a"), 5, &|i| i == "b"));
        assert_eq!(ids(&r), ["p", "c", "d", "e"]);
        // Unknown or absent item: popular items (p: 8 users, a/b: 4, c: 3, d: 2, e: 1).
        assert_eq!(ids(&m.recommend(&q(Some("zzz"), 3, &none))), ["p", "a", "b"]);
        assert_eq!(ids(&m.recommend(&q(None, 3, &none))), ["p", "a", "b"]);
        assert!(m.recommend(&q(Some("a"), 0, &none)).is_empty());
        assert!(!m.has_scores());
        assert!(m.knows_item("e") && !m.knows_item("zzz"));
        // rank: by popularity, unknown appended.
        let input: Vec<String> = ["x", "c", "p", "a"].iter().map(|s| s.to_string()).collect();
        let ranked = m.rank(&RankQuery { user_id: "u1", input: &input, context: &[] });
        assert_eq!(ids(&ranked), ["p", "a", "c", "x"]);
    }

    #[test]
    fn popularity_discount_trades_popularity_off() {
        let d = hand_made();
        // α = 0: raw co-occurrence; p (4) ties with b (4) → index order a,b,c,p,… → b first.
        // For c: p co-occurs 3×, a 2×, b 2× → p first without discount.
        assert_eq!(model(&d, &open(0.0, 1)).neighbours("c")[0], "p");
        // α = 1: C / N_j → a: 2/4, b: 2/4, p: 3/8 → p last.
        assert_eq!(model(&d, &open(1.0, 1)).neighbours("c"), ["a", "b", "p"]);
    }

    #[test]
    fn min_cointeraction_count_drops_rare_pairs() {
        let d = hand_made();
        assert_eq!(model(&d, &open(0.5, 3)).neighbours("a"), ["b", "p"]);
        assert_eq!(model(&d, &open(0.5, 5)).neighbours("a"), Vec::<&str>::new());
        // 0 behaves as 1 (a pair needs at least one co-user to exist).
        assert_eq!(model(&d, &open(0.5, 0)).neighbours("a"), ["b", "p", "c"]);
    }

    #[test]
    fn percentile_filters() {
        // 20 users with 2 items (x, y), one bot with 40 items including x and z.
        let mut rows: Vec<(String, Vec<String>)> =
            (0..20).map(|u| (format!("u{u}"), vec!["x".to_string(), "y".to_string()])).collect();
        let mut bot: Vec<String> = (0..38).map(|i| format!("b{i}")).collect();
        bot.extend(["x".to_string(), "z".to_string()]);
        rows.push(("bot".into(), bot));
        let rows_ref: Vec<(&str, Vec<&str>)> =
            rows.iter().map(|(u, v)| (u.as_str(), v.iter().map(|s| s.as_str()).collect())).collect();
        let slices: Vec<(&str, &[&str])> = rows_ref.iter().map(|(u, v)| (*u, v.as_slice())).collect();
        let d = data(&slices);
        let mut p = open(0.5, 1);
        assert!(model(&d, &p).neighbours("x").contains(&"z"));
        // The bot is above the 0.9 quantile of history lengths: ignored.
        p.max_user_history_length_percentile = 0.9;
        let m = model(&d, &p);
        assert_eq!(m.neighbours("x"), ["y"]);
        assert!(m.neighbours("z").is_empty());
        // Items: x (21 users), y (20), the bot's items 1 each; min quantile 0.5 → count >= 1:
        // nothing dropped; min quantile 0.99 → only x survives: no pairs at all.
        let mut p = open(0.5, 1);
        p.min_item_interaction_count_percentile = 0.99;
        let m = model(&d, &p);
        assert!(m.neighbours("x").is_empty() && m.neighbours("y").is_empty());
        // Max quantile: blockbusters are down-weighted, not dropped.
        let mut p = open(0.5, 1);
        p.max_item_interaction_count_percentile = 0.0;
        assert!(model(&d, &p).neighbours("x").contains(&"y"));
    }

    #[test]
    fn weights_from_events_config() {
        let mut b = TrainingDataBuilder::new();
        for u in 0..4 {
            b.push_interaction(&format!("u{u}"), "a", 1, Some("view"), None);
            b.push_interaction(&format!("u{u}"), "b", 2, Some("buy"), None);
            b.push_interaction(&format!("u{u}"), "c", 3, Some("view"), None);
        }
        let d = b.build();
        let cfg = TrainingConfig {
            event_parameters: vec![
                crate::EventParameters { event_type: Some("view".into()), weight: Some(0.1), ..Default::default() },
                crate::EventParameters { event_type: Some("buy".into()), weight: Some(1.0), ..Default::default() },
            ],
            ..Default::default()
        };
        let f = crate::filter_events(&d, &cfg);
        // All pairs co-occur for all users; cosine is weight-invariant per item pair, so check
        // popularity (weighted) instead: b (4.0) before a and c (0.4).
        let m = model(&f, &open(0.5, 1));
        let none = |_: &str| false;
        assert_eq!(ids(&m.recommend(&q(None, 1, &none))), ["b"]);
        assert_eq!(m.neighbours("a").len(), 2);
    }

    #[test]
    fn parameter_validation() {
        let mut c = TrainingConfig::default();
        validate_config(NAME, &c).unwrap();
        c.hyperparameters.insert("popularity_discount_factor".into(), "1.5".into());
        assert!(matches!(validate_config(NAME, &c), Err(EngineError::InvalidConfig(m)) if m.contains("1.5")));
        let mut c = TrainingConfig::default();
        c.hyperparameters.insert("min_cointeraction_count".into(), "11".into());
        assert!(matches!(validate_config(NAME, &c), Err(EngineError::InvalidConfig(m)) if m.contains("11")));
        let mut c = TrainingConfig::default();
        c.feature_transformation_parameters.insert("min_user_history_length_percentile".into(), "0.999".into());
        assert!(matches!(validate_config(NAME, &c),
            Err(EngineError::InvalidConfig(m)) if m.contains("0.999") && m.contains("max_user_history_length_percentile")));
        let mut c = TrainingConfig::default();
        c.feature_transformation_parameters.insert("max_item_interaction_count_percentile".into(), "1".into());
        c.hyperparameters.insert("popularity_discount_factor".into(), "0".into());
        let p = SimsParams::from_config(&c).unwrap();
        assert_eq!(p.max_item_interaction_count_percentile, 1.0);
        assert_eq!(p.popularity_discount_factor, 0.0);
        assert_eq!(params().min_cointeraction_count, 3);
    }

    #[test]
    fn artifact_round_trip_and_corruption() {
        let d = hand_made();
        let f = fit(&d, &open(0.5, 1));
        let a = f.to_artifact();
        assert_eq!(a.recipe, NAME);
        let m = crate::load_model(&a).unwrap();
        assert_eq!(m.recipe(), NAME);
        assert_eq!(m.num_items(), 6);
        let m2 = RelatedModel::decode(NAME, &a.payload).unwrap();
        assert_eq!(m2.neighbours("a"), ["b", "p", "c"]);
        // Encoding is deterministic.
        assert_eq!(fit(&d, &open(0.5, 1)).to_artifact(), a);
        check_corruption(NAME, &a.payload);
        let mut bad = a.clone();
        bad.format_version = 2;
        assert!(matches!(crate::load_model(&bad), Err(EngineError::CorruptArtifact(_))));
    }

    #[test]
    fn train_and_evaluate() {
        // Users walk through consecutive items: neighbours of the last item predict the next.
        let d = crate::test_support::synthetic(200, 10, 100);
        let sol = train(NAME, &d, &TrainingConfig::default(), &mut |_| {}).unwrap();
        let pop = train("aws-popularity-count", &d, &TrainingConfig::default(), &mut |_| {}).unwrap();
        let key = "normalized_discounted_cumulative_gain_at_10";
        assert!(sol.metrics[key] > pop.metrics[key], "{:?} vs {:?}", sol.metrics, pop.metrics);
        let m = crate::load_model(&sol.artifact).unwrap();
        let none = |_: &str| false;
        let r = m.recommend(&q(Some("i10"), 5, &none));
        assert_eq!(r.len(), 5);
        assert!(ids(&r).contains(&"i11") && ids(&r).contains(&"i9"), "{r:?}");
    }
}
