//! `aws-ecomm-frequently-bought-together` (the e-commerce domain use case): items bought together
//! with the given item, from co-purchases in one basket.
//!
//! SIMS counts two items as related when the same user interacted with both at any time, so a
//! long purchase history relates everything in the user's favourite categories. Here two
//! purchases pair only when the same user made them within [`BASKET_WINDOW_SECS`] of each other
//! (one shopping session: Personalize's interactions carry no basket id). With `C(i, j)` the
//! number of users who bought `i` and `j` together and `N_i` the number of users who bought `i`
//! in a basket with anything, the score of `j` for `i` is the cosine `C(i, j) / √(N_i · N_j)`.
//! Pairs bought together by fewer than [`MIN_CO_PURCHASES`] users are dropped. An item with no
//! co-purchase gets the most purchased items, as SIMS does for an unknown item.
//!
//! The model is the related-items model of SIMS (same payload and serving), so it is not a
//! recipe of the custom catalogue: the registry keeps it among the domain-only recipes.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::model::{FittedModel, Model};
use crate::recipe::{Recipe, RecipeInfo, RecipeType};
use crate::recipes::cooccurrence::{build_table, FittedRelated, RelatedModel, FORMAT_VERSION, MAX_NEIGHBOURS};
use crate::recipes::popularity_count::item_popularity;
use crate::solution_config::TrainingConfig;
use crate::training_data::TrainingData;

/// Recipe name (the use case's recipe name).
pub const NAME: &str = "aws-ecomm-frequently-bought-together";

/// Two purchases of one user at most this far apart are one basket.
pub const BASKET_WINDOW_SECS: i64 = 3600;

/// Fewest users who must have bought two items together for them to be related.
pub const MIN_CO_PURCHASES: u32 = 2;

/// Catalogue entry.
pub const INFO: RecipeInfo = RecipeInfo {
    name: NAME,
    recipe_type: RecipeType::RelatedItems,
    description: "Items frequently bought together with the given item (co-purchases within one session).",
    algorithm_name: NAME,
    feature_transformation_name: None,
    has_scores: false,
};

/// The recipe plug-in.
pub struct FrequentlyBoughtTogether;

/// Fits the co-purchase neighbour table (on data already restricted to purchases).
pub fn fit(data: &TrainingData) -> Box<dyn FittedModel> {
    let (popularity, _) = item_popularity(data);
    let n = data.num_items();
    let mut together: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let mut in_basket = vec![0u32; n];
    let mut pairs: FxHashSet<(u32, u32)> = FxHashSet::default();
    let mut items: FxHashSet<u32> = FxHashSet::default();
    for (_, history) in data.iter_users() {
        pairs.clear();
        items.clear();
        // Interactions are in time order: each purchase pairs with the later ones in its window.
        for a in 0..history.len() {
            for b in a + 1..history.len() {
                if history.timestamps[b] - history.timestamps[a] > BASKET_WINDOW_SECS {
                    break;
                }
                let (i, j) = (history.items[a], history.items[b]);
                if i != j {
                    pairs.insert((i.min(j), i.max(j)));
                    items.insert(i);
                    items.insert(j);
                }
            }
        }
        for &p in &pairs {
            *together.entry(p).or_insert(0) += 1;
        }
        for &i in &items {
            in_basket[i as usize] += 1;
        }
    }
    let mut adjacency: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
    for (&(i, j), &c) in &together {
        if c >= MIN_CO_PURCHASES {
            let score = c as f32 / ((in_basket[i as usize] as f32) * (in_basket[j as usize] as f32)).sqrt();
            adjacency[i as usize].push((j, score));
            adjacency[j as usize].push((i, score));
        }
    }
    let table = build_table(n, MAX_NEIGHBOURS, |i, _, cand| cand.extend_from_slice(&adjacency[i as usize]));
    Box::new(FittedRelated::new(NAME, data, table, &popularity))
}

impl Recipe for FrequentlyBoughtTogether {
    fn info(&self) -> &'static RecipeInfo {
        &INFO
    }
    fn fit(&self, data: &TrainingData, _config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError> {
        Ok(fit(data))
    }
    fn supports_format_version(&self, format_version: u32) -> bool {
        format_version == FORMAT_VERSION
    }
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
        Ok(Arc::new(RelatedModel::decode(NAME, &artifact.payload)?))
    }
}

#[cfg(test)]
mod tests;
