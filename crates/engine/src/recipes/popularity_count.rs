//! `aws-popularity-count`: the same most-popular list for everyone.
//!
//! Score of an item = number of distinct users who interacted with it. With an events
//! configuration, each user contributes the largest weight among their events on the item
//! (weight defaults to 1), so the score is a weighted distinct-user count. Ties are broken by
//! item id (ascending, byte order). No scores are returned to callers.
//!
//! Payload format 1 (little-endian): `u32` item count, then per item in rank order
//! `u32` id length, id bytes (UTF-8), `f64` score.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use reko_dataset::codec::{ByteReader, ByteWriter};

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::model::{rank_known_first, FittedModel, Model, RankQuery, RecommendQuery, ScoredItem};
use crate::recipe::{Recipe, RecipeInfo, RecipeType};
use crate::solution_config::TrainingConfig;
use crate::top_k::top_of_list;
use crate::training_data::{TrainingData, UserInteractions};

/// Recipe name.
pub const NAME: &str = "aws-popularity-count";
/// Current payload format.
pub const FORMAT_VERSION: u32 = 1;

/// Catalogue entry.
pub const INFO: RecipeInfo = RecipeInfo {
    name: NAME,
    recipe_type: RecipeType::PopularItems,
    description: "Calculates item popularity as the number of distinct users who interacted \
                  with each item, and recommends the same most popular items to every user.",
    algorithm_name: NAME,
    feature_transformation_name: Some("sims"),
    has_scores: false,
};

/// The recipe plug-in.
pub struct PopularityCount;

/// Weighted distinct-user count per item index, and whether the item has any interaction.
pub fn item_popularity(data: &TrainingData) -> (Vec<f64>, Vec<bool>) {
    let n = data.num_items();
    let users: Vec<u32> = (0..data.num_users() as u32).collect();
    // Each rayon leaf allocates catalogue-sized accumulators: keep the leaves few.
    let min_len = (users.len() / (rayon::current_num_threads() * 4)).max(4096);
    users
        .par_iter()
        .with_min_len(min_len)
        .fold(
            || (vec![0.0f64; n], vec![false; n], Vec::<(u32, f32)>::new()),
            |(mut scores, mut seen, mut pairs), &u| {
                let h = data.user_interactions(u);
                pairs.clear();
                pairs.extend((0..h.len()).map(|i| (h.items[i], h.weight(i))));
                // Per item, the largest weight of this user's events on it.
                pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
                let mut last = None;
                for &(item, w) in &pairs {
                    if last != Some(item) {
                        scores[item as usize] += f64::from(w);
                        seen[item as usize] = true;
                        last = Some(item);
                    }
                }
                (scores, seen, pairs)
            },
        )
        .map(|(s, seen, _)| (s, seen))
        .reduce(
            || (vec![0.0; n], vec![false; n]),
            |(mut a, mut sa), (b, sb)| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                sa.iter_mut().zip(&sb).for_each(|(x, y)| *x |= y);
                (a, sa)
            },
        )
}

/// A fitted popularity model in index space (used by evaluation) with its ids.
pub struct FittedPopularity {
    ranked: Vec<u32>,
    model: PopularityModel,
}

impl FittedModel for FittedPopularity {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
    fn recommend_indices(&self, _user: u32, _history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>) {
        out.extend(self.ranked.iter().take(n));
    }
    fn to_artifact(&self) -> ModelArtifact {
        self.model.to_artifact()
    }
}

/// Fit on (filtered) data.
pub fn fit(data: &TrainingData) -> FittedPopularity {
    let (scores, seen) = item_popularity(data);
    let mut ranked: Vec<u32> = (0..data.num_items() as u32).filter(|&i| seen[i as usize]).collect();
    ranked.par_sort_unstable_by(|&a, &b| {
        scores[b as usize].total_cmp(&scores[a as usize]).then_with(|| data.item_id(a).cmp(data.item_id(b)))
    });
    let model = PopularityModel::from_ranked(
        ranked.iter().map(|&i| (data.item_id(i).to_string(), scores[i as usize])).collect(),
    );
    FittedPopularity { ranked, model }
}

impl Recipe for PopularityCount {
    fn info(&self) -> &'static RecipeInfo {
        &INFO
    }
    fn fit(&self, data: &TrainingData, _config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError> {
        Ok(Box::new(fit(data)))
    }
    fn supports_format_version(&self, format_version: u32) -> bool {
        format_version == FORMAT_VERSION
    }
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
        Ok(Arc::new(PopularityModel::decode(&artifact.payload)?))
    }
}

/// The serving model: items in rank order with their (weighted) distinct-user counts.
pub struct PopularityModel {
    ids: Vec<Arc<str>>,
    scores: Vec<f64>,
    index: HashMap<Arc<str>, u32>,
}

impl PopularityModel {
    /// From `(item id, count)` pairs already in rank order.
    pub fn from_ranked(ranked: Vec<(String, f64)>) -> Self {
        let mut ids = Vec::with_capacity(ranked.len());
        let mut scores = Vec::with_capacity(ranked.len());
        let mut index = HashMap::with_capacity(ranked.len());
        for (i, (id, s)) in ranked.into_iter().enumerate() {
            let id: Arc<str> = id.into();
            index.insert(id.clone(), i as u32);
            ids.push(id);
            scores.push(s);
        }
        Self { ids, scores, index }
    }

    /// Popularity count of an item, if known.
    pub fn count(&self, item_id: &str) -> Option<f64> {
        self.index.get(item_id).map(|&i| self.scores[i as usize])
    }

    /// Encode as an artifact.
    pub fn to_artifact(&self) -> ModelArtifact {
        let bytes: usize = self.ids.iter().map(|s| s.len() + 12).sum();
        let mut w = ByteWriter::with_capacity(4 + bytes);
        w.u32(self.ids.len() as u32);
        for (id, &s) in self.ids.iter().zip(&self.scores) {
            w.str(id);
            w.f64(s);
        }
        ModelArtifact { recipe: NAME.to_string(), format_version: FORMAT_VERSION, payload: w.into_bytes() }
    }

    fn decode(payload: &[u8]) -> Result<Self, EngineError> {
        let mut r = ByteReader::new(payload);
        let n = r.u32("item count")? as usize;
        // Each entry takes at least 12 bytes: bound the allocation by the payload size.
        if n > payload.len() / 12 {
            return Err(EngineError::CorruptArtifact(format!(
                "item count {n} does not fit a {}-byte payload",
                payload.len()
            )));
        }
        let mut ranked = Vec::with_capacity(n);
        for _ in 0..n {
            let id = r.str("item id")?.to_string();
            let s = r.f64("item count")?;
            ranked.push((id, s));
        }
        r.finish()?;
        let m = Self::from_ranked(ranked);
        if m.index.len() != m.ids.len() {
            return Err(EngineError::CorruptArtifact("duplicate item ids in payload".into()));
        }
        Ok(m)
    }
}

impl Model for PopularityModel {
    fn recipe(&self) -> &str {
        NAME
    }
    fn has_scores(&self) -> bool {
        false
    }
    /// The global most-popular list, skipping excluded items; user and item are ignored.
    fn recommend(&self, query: &RecommendQuery) -> Vec<ScoredItem> {
        top_of_list(self.ids.iter().map(|id| &**id), query)
    }
    /// Reko extension: Personalize accepts only PERSONALIZED_RANKING campaigns at
    /// /personalize-ranking; Reko lets a popularity model rank too. The input is ordered by
    /// popularity count descending (stable: equal counts keep input order); items unknown to
    /// the model are appended at the end in input order (as Personalize v1 ranking does).
    fn rank(&self, query: &RankQuery) -> Vec<ScoredItem> {
        rank_known_first(query.input, |id| self.count(id))
    }
    fn knows_item(&self, item_id: &str) -> bool {
        self.index.contains_key(item_id)
    }
    fn num_items(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_model;
    use crate::training_data::TrainingDataBuilder;
    use crate::{train, EventParameters};

    fn ids(v: &[ScoredItem]) -> Vec<&str> {
        v.iter().map(|s| s.item_id.as_str()).collect()
    }

    fn small() -> TrainingData {
        let mut b = TrainingDataBuilder::new();
        // c: 3 distinct users (u1 twice), a: 2 users, b: 2 users, d: 1 user.
        for (u, i, t) in [
            ("u1", "c", 1),
            ("u1", "c", 2),
            ("u2", "c", 3),
            ("u3", "c", 4),
            ("u1", "b", 5),
            ("u2", "b", 6),
            ("u3", "a", 7),
            ("u2", "a", 8),
            ("u4", "d", 9),
        ] {
            b.push_interaction(u, i, t, Some("click"), None);
        }
        b.push_item("z", None); // catalogue only
        b.build()
    }

    #[test]
    fn distinct_users_and_tie_break_by_id() {
        let f = fit(&small());
        let m = &f.model;
        assert_eq!(m.count("c"), Some(3.0));
        assert_eq!(m.count("a"), Some(2.0));
        assert_eq!(m.count("z"), None);
        let all = m.recommend(&RecommendQuery {
            user_id: None,
            item_id: None,
            num_results: 10,
            exclude: &|_| false,
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        });
        assert_eq!(ids(&all), ["c", "a", "b", "d"]);
        assert!(all.iter().all(|s| s.score.is_none()));
        let some = m.recommend(&RecommendQuery {
            user_id: Some("u1"),
            item_id: None,
            num_results: 2,
            exclude: &|i| i == "a",
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        });
        assert_eq!(ids(&some), ["c", "b"]);
        let mut out = vec![];
        f.recommend_indices(0, small().user_interactions(0), 2, &mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn weights_take_max_per_user() {
        let mut b = TrainingDataBuilder::new();
        b.push_interaction("u1", "x", 1, Some("view"), None);
        b.push_interaction("u1", "x", 2, Some("buy"), None);
        b.push_interaction("u2", "x", 3, Some("view"), None);
        b.push_interaction("u1", "y", 4, Some("buy"), None);
        b.push_interaction("u2", "y", 5, Some("buy"), None);
        let d = b.build();
        let c = TrainingConfig {
            event_parameters: vec![
                EventParameters { event_type: Some("view".into()), weight: Some(0.25), event_value_threshold: None },
                EventParameters { event_type: Some("buy".into()), weight: Some(1.0), event_value_threshold: None },
            ],
            ..Default::default()
        };
        let f = fit(&crate::filter_events(&d, &c));
        assert_eq!(f.model.count("x"), Some(1.25));
        assert_eq!(f.model.count("y"), Some(2.0));
        assert_eq!(f.ranked, [1, 0]);
    }

    #[test]
    fn rank_orders_known_and_appends_unknown() {
        let m = fit(&small()).model;
        let input: Vec<String> = ["zz", "d", "b", "q", "a", "c"].iter().map(|s| s.to_string()).collect();
        let r = m.rank(&RankQuery { user_id: "u1", input: &input, context: &[] });
        // b and a tie (2 users): stable, input order.
        assert_eq!(ids(&r), ["c", "b", "a", "d", "zz", "q"]);
        assert!(m.knows_item("d") && !m.knows_item("z"));
        assert_eq!(m.num_items(), 4);
    }

    #[test]
    fn train_load_serve() {
        let d = crate::test_support::synthetic(60, 20, 300);
        let sol = train(NAME, &d, &TrainingConfig::default(), &mut |_| {}).unwrap();
        assert_eq!(sol.metrics.len(), 8);
        let m = load_model(&sol.artifact).unwrap();
        assert_eq!(m.recipe(), NAME);
        assert!(!m.has_scores());
        assert_eq!(m.num_items(), 79);
        let top = m.recommend(&RecommendQuery {
            user_id: None,
            item_id: None,
            num_results: 3,
            exclude: &|_| false,
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        });
        assert_eq!(top.len(), 3);
        // items 19..=59 are each seen by 20 users; ties by id: "i19" < "i20" < ...
        assert_eq!(ids(&top), ["i19", "i20", "i21"]);
    }

    #[test]
    fn corrupt_payload_is_an_error() {
        let mut a = fit(&small()).model.to_artifact();
        a.payload.truncate(a.payload.len() - 3);
        assert!(matches!(load_model(&a), Err(EngineError::CorruptArtifact(_))));
        a.payload = vec![0xff, 0xff, 0xff, 0xff];
        assert!(matches!(load_model(&a), Err(EngineError::CorruptArtifact(_))));
        a.format_version = 2;
        assert!(matches!(load_model(&a), Err(EngineError::CorruptArtifact(_))));
    }
}
