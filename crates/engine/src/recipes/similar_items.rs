//! `aws-similar-items`: co-occurrence blended with item-metadata similarity, so items without
//! interactions but with metadata (cold items) get neighbours too.
//!
//! For query item `i` and candidate `j`:
//!
//! ```text
//! sim(i, j) = w_id · cf(i, j) + w_meta · κ / (κ + N_i) · meta(i, j)
//! cf(i, j)   = C(i, j) / sqrt(N_i · N_j)   (cosine of the item-user vectors; 0 when fewer
//!                                           than MIN_COINTERACTION users share the pair)
//! meta(i, j) = IDF-weighted cosine of the items' feature token sets
//!              (TrainingData::item_features: `GENRES=Comedy`, `PRICE~5`, text words, …)
//! ```
//!
//! with `N_i` the item's weighted number of users (each user's most recent
//! [`MAX_USER_ITEMS`](crate::recipes::cooccurrence::MAX_USER_ITEMS) distinct items count) and
//! IDF `ln((1 + N) / (1 + df)) + 1` over the items that have features, and κ =
//! [`META_SHRINKAGE`]: metadata weighs fully for a cold query item and fades as the item's
//! own interactions accumulate (genre-level similarity is a weak signal next to real
//! co-occurrence). A cold item has
//! `cf = 0` everywhere, so its neighbours come from metadata alone; an item without metadata
//! gets pure co-occurrence neighbours. Candidates from metadata come from the first
//! [`META_SCAN_CAP`](crate::recipes::cooccurrence::META_SCAN_CAP) (most popular) items of each
//! of the query item's features, which bounds the cost of very common tokens.
//!
//! **Hyperparameters.** Reko learns no embeddings, so `item_id_hidden_dim` (d_id) and
//! `item_metadata_hidden_dim` (d_meta) — the sizes of the two embedding towers in
//! Personalize — are read as the relative capacity given to each signal:
//! `w_id = d_id / (d_id + d_meta)`, `w_meta = d_meta / (d_id + d_meta)`. Only their ratio
//! matters (defaults 100/100 → an even blend); the number of neighbours kept is
//! [`MAX_NEIGHBOURS`] whatever their values.
//!
//! Unknown query items get popular items; short lists are completed with popular items.

use std::sync::Arc;

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::model::{FittedModel, Model};
use crate::recipe::{Recipe, RecipeInfo, RecipeType};
use crate::recipes::cooccurrence::{
    build_table, param, CoocIndex, FittedRelated, MetaIndex, RelatedModel, FORMAT_VERSION, MAX_NEIGHBOURS,
};
use crate::recipes::popularity_count::item_popularity;
use crate::solution_config::{ParamKind, ParamSpec, TrainingConfig};
use crate::training_data::TrainingData;

/// Recipe name.
pub const NAME: &str = "aws-similar-items";

/// Pairs shared by fewer users carry no co-occurrence similarity (metadata may still relate
/// them).
pub const MIN_COINTERACTION: u32 = 2;

/// κ of the metadata shrinkage `κ / (κ + N_i)`: metadata counts fully for a cold query item
/// and fades as the item's own behavioural evidence (`N_i` users) accumulates (half weight
/// at 20 users). Measured on MovieLens 100K (genres only): NDCG@25 0.127 without shrinkage,
/// 0.193 with κ = 20, 0.215 with κ = 5 (coverage 0.46 / 0.35 / 0.31).
pub const META_SHRINKAGE: f32 = 20.0;

/// Catalogue entry.
pub const INFO: RecipeInfo = RecipeInfo {
    name: NAME,
    recipe_type: RecipeType::RelatedItems,
    description: "Recommends items similar to the given item, blending co-occurrence in users' \
                  histories with item metadata similarity, so new items with metadata get \
                  related items too.",
    algorithm_name: NAME,
    feature_transformation_name: Some("similar-items"),
    has_scores: false,
};

const HYPERPARAMETERS: &[ParamSpec] = &[
    ParamSpec { name: "item_id_hidden_dim", kind: ParamKind::Int { min: 30, max: 200 }, default: "100" },
    ParamSpec { name: "item_metadata_hidden_dim", kind: ParamKind::Int { min: 30, max: 200 }, default: "100" },
];

/// The recipe plug-in.
pub struct SimilarItems;

/// Blend weights `(w_id, w_meta)` of a configuration.
pub fn blend_weights(config: &TrainingConfig) -> Result<(f32, f32), EngineError> {
    let d_id: u32 = param(&config.hyperparameters, HYPERPARAMETERS, "item_id_hidden_dim")?;
    let d_meta: u32 = param(&config.hyperparameters, HYPERPARAMETERS, "item_metadata_hidden_dim")?;
    let total = (d_id + d_meta).max(1) as f32;
    Ok((d_id as f32 / total, d_meta as f32 / total))
}

/// Fit the neighbour table with blend weights `(w_id, w_meta)`.
pub fn fit(data: &TrainingData, (w_id, w_meta): (f32, f32)) -> Box<dyn FittedModel> {
    let (popularity, seen) = item_popularity(data);
    let user_ok = vec![true; data.num_users()];
    let scale: Vec<f32> = seen.iter().map(|&s| if s { 1.0 } else { 0.0 }).collect();
    let cooc = CoocIndex::build(data, &user_ok, &scale);
    let meta = MetaIndex::build(data, &popularity);
    let table = build_table(data.num_items(), MAX_NEIGHBOURS, |i, s, cand| {
        let iu = i as usize;
        let ni = cooc.mass[iu];
        if ni > 0.0 && w_id > 0.0 {
            cooc.accumulate(i, s);
        }
        let features = data.item_features(i);
        let norm_i = meta.norm[iu];
        if norm_i > 0.0 && w_meta > 0.0 {
            meta.accumulate(i, features, s);
        }
        let shrink = META_SHRINKAGE / (META_SHRINKAGE + ni);
        for &j in &s.touched {
            let j = j as usize;
            let cf = if s.count[j] >= MIN_COINTERACTION { s.cooc[j] / (ni * cooc.mass[j]).sqrt() } else { 0.0 };
            let norm_j = meta.norm[j];
            let m = if s.meta[j] > 0.0 && norm_j > 0.0 { s.meta[j] / (norm_i * norm_j) } else { 0.0 };
            cand.push((j as u32, w_id * cf + w_meta * shrink * m));
        }
    });
    Box::new(FittedRelated::new(NAME, data, table, &popularity))
}

impl Recipe for SimilarItems {
    fn info(&self) -> &'static RecipeInfo {
        &INFO
    }
    fn hyperparameters(&self) -> &'static [ParamSpec] {
        HYPERPARAMETERS
    }
    fn validate(&self, config: &TrainingConfig) -> Result<(), EngineError> {
        blend_weights(config).map(|_| ())
    }
    fn fit(&self, data: &TrainingData, config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError> {
        Ok(fit(data, blend_weights(config)?))
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
    use crate::model::RecommendQuery;
    use crate::test_support::check_corruption;
    use crate::training_data::TrainingDataBuilder;
    use crate::{train, validate_config};

    /// Sci-fi items s1..s3 and comedies c1..c3 with interactions inside each group, plus a
    /// cold sci-fi item `new` with metadata only and an item `bare` without metadata.
    fn catalogue() -> TrainingData {
        let mut b = TrainingDataBuilder::new();
        let mut t = 0;
        for u in 0..6 {
            let group = if u % 2 == 0 { ["s1", "s2", "s3"] } else { ["c1", "c2", "c3"] };
            for i in group {
                t += 1;
                b.push_interaction(&format!("u{u}"), i, t, None, None);
            }
        }
        t += 1;
        b.push_interaction("u0", "bare", t, None, None);
        b.push_interaction("u2", "bare", t, None, None);
        for i in ["s1", "s2", "s3"] {
            b.push_item_features(i, &["GENRE=SciFi", "GENRE=Action"]);
        }
        for i in ["c1", "c2", "c3"] {
            b.push_item_features(i, &["GENRE=Comedy"]);
        }
        b.push_item("new", Some(100));
        b.push_item_features("new", &["GENRE=SciFi", "space"]);
        b.build()
    }

    fn model(d: &TrainingData, w: (f32, f32)) -> RelatedModel {
        RelatedModel::decode(NAME, &fit(d, w).to_artifact().payload).unwrap()
    }

    #[test]
    fn cold_item_gets_neighbours_from_metadata() {
        let m = model(&catalogue(), (0.5, 0.5));
        let n = m.neighbours("new");
        assert_eq!(n.len(), 3, "{n:?}");
        assert!(n.iter().all(|i| i.starts_with('s')), "{n:?}");
        // Warm sci-fi items: the other sci-fi items first (co-occurrence + metadata), the cold
        // sci-fi item after them (metadata only), never comedies.
        let s1 = m.neighbours("s1");
        assert_eq!(&s1[..2], ["s2", "s3"]);
        assert!(s1.contains(&"new"));
        assert!(!s1.iter().any(|i| i.starts_with('c')), "{s1:?}");
        // An item without metadata still has co-occurrence neighbours (shared by u0 and u2).
        assert_eq!(m.neighbours("bare"), ["s1", "s2", "s3"]);
        let q = RecommendQuery {
            user_id: Some("u1"),
            item_id: Some("new"),
            num_results: 4,
            exclude: &|_| false,
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        };
        let r: Vec<String> = m.recommend(&q).into_iter().map(|s| s.item_id).collect();
        assert_eq!(r.len(), 4);
        assert!(!r.contains(&"new".to_string()));
    }

    #[test]
    fn hidden_dims_set_the_blend() {
        let d = catalogue();
        // Pure co-occurrence: the cold item has no neighbours and is nobody's neighbour.
        let m = model(&d, (1.0, 0.0));
        assert!(m.neighbours("new").is_empty());
        assert!(!m.neighbours("s1").contains(&"new"));
        // Pure metadata: `bare` has no neighbours.
        let m = model(&d, (0.0, 1.0));
        assert!(m.neighbours("bare").is_empty());
        let mut c = TrainingConfig::default();
        assert_eq!(blend_weights(&c).unwrap(), (0.5, 0.5));
        c.hyperparameters.insert("item_id_hidden_dim".into(), "200".into());
        c.hyperparameters.insert("item_metadata_hidden_dim".into(), "50".into());
        assert_eq!(blend_weights(&c).unwrap(), (0.8, 0.2));
        validate_config(NAME, &c).unwrap();
        c.hyperparameters.insert("item_metadata_hidden_dim".into(), "29".into());
        assert!(matches!(validate_config(NAME, &c), Err(EngineError::InvalidConfig(m)) if m.contains("29")));
        let mut c = TrainingConfig::default();
        c.hyperparameters.insert("popularity_discount_factor".into(), "0.5".into());
        assert!(validate_config(NAME, &c).is_err());
    }

    #[test]
    fn artifact_round_trip_and_corruption() {
        let d = catalogue();
        let a = fit(&d, (0.5, 0.5)).to_artifact();
        let m = crate::load_model(&a).unwrap();
        assert_eq!(m.recipe(), NAME);
        assert!(m.knows_item("new"));
        assert_eq!(fit(&d, (0.5, 0.5)).to_artifact(), a);
        check_corruption(NAME, &a.payload);
    }

    #[test]
    fn train_and_evaluate() {
        let d = crate::test_support::synthetic(200, 10, 100);
        let sol = train(NAME, &d, &TrainingConfig::default(), &mut |_| {}).unwrap();
        assert!(sol.metrics["normalized_discounted_cumulative_gain_at_10"] > 0.3, "{:?}", sol.metrics);
    }
}
