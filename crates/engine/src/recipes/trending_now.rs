//! `aws-trending-now`: the items whose interactions grow fastest, the same list for everyone.
//!
//! With `T` the newest interaction timestamp and `Δ` the `trend_discovery_frequency`, the two
//! most recent complete intervals ending at `T` are `current = (T − Δ, T]` and
//! `previous = (T − 2Δ, T − Δ]`. Per item, `c1` / `c0` are its (event-weighted) interaction
//! counts in them, and its trend score is the growth z-score
//!
//! ```text
//! z = (c1 − c0) / sqrt(c1 + c0 + β),     β = TREND_SMOOTHING = 2
//! ```
//!
//! (the difference of two Poisson counts divided by its standard deviation; β keeps tiny
//! counts from dominating: 0 → 1 scores 0.58, 10 → 30 scores 3.1, 100 → 150 scores 3.1).
//! The list is: items that grew (`c1 > c0`) by `z` descending, then every other item by its
//! popularity in the current interval `c1`, then its total popularity; remaining ties by
//! item id. Items without interactions are never listed.
//!
//! `trend_discovery_frequency` (featurization): `30 minutes`, `1 hour`, `3 hours` (default),
//! `1 day`, and the Developer Guide's abbreviations `30 min`, `1h`, `3h`.
//!
//! Payload format 1 (little-endian): `i64` interval seconds, `i64` newest timestamp, `u32`
//! item count, then per item in rank order: `u32` id length, id bytes (UTF-8), `f32` c1,
//! `f32` c0, `f32` total popularity.

use std::collections::HashMap;
use std::sync::Arc;

use crate::artifact::{ModelArtifact, PayloadReader};
use crate::error::EngineError;
use crate::model::{rank_known_first, top_of_list, Model, RankQuery, RecommendQuery, ScoredItem};
use crate::recipe::{FittedModel, ParamKind, ParamSpec, Recipe, RecipeInfo, TrainingConfig};
use crate::recipes::popularity_count::item_popularity;
use crate::training_data::{TrainingData, UserInteractions};

/// Recipe name.
pub const NAME: &str = "aws-trending-now";
/// Current payload format.
pub const FORMAT_VERSION: u32 = 1;
/// β of the growth z-score.
pub const TREND_SMOOTHING: f64 = 2.0;

/// Catalogue entry.
pub const INFO: RecipeInfo = RecipeInfo {
    name: NAME,
    recipe_type: "POPULAR_ITEMS",
    description: "Recommends the items whose interactions grow the fastest between the two most \
                  recent intervals of trend_discovery_frequency; the same list for everyone.",
    algorithm_name: "aws-trending-now-custom",
    feature_transformation_name: Some("trending-now"),
    has_scores: false,
};

const FREQUENCIES: &[(&str, i64)] = &[
    ("30 minutes", 1800),
    ("1 hour", 3600),
    ("3 hours", 3 * 3600),
    ("1 day", 86_400),
    ("30 min", 1800),
    ("1h", 3600),
    ("3h", 3 * 3600),
];

const FEATURIZATION: &[ParamSpec] = &[ParamSpec {
    name: "trend_discovery_frequency",
    kind: ParamKind::Categorical(&["30 minutes", "1 hour", "3 hours", "1 day", "30 min", "1h", "3h"]),
    default: "3 hours",
}];

/// The interval length in seconds of a configuration's `trend_discovery_frequency`.
pub fn interval_seconds(config: &TrainingConfig) -> Result<i64, EngineError> {
    let v = config.feature_transformation_parameters.get("trend_discovery_frequency").map_or("3 hours", |s| s.trim());
    FREQUENCIES.iter().find(|(name, _)| *name == v).map(|&(_, s)| s).ok_or_else(|| {
        EngineError::InvalidConfig(format!(
            "Invalid value '{v}' for feature transformation parameter 'trend_discovery_frequency' of recipe \
             {NAME}: expected one of 30 minutes, 1 hour, 3 hours, 1 day (or 30 min, 1h, 3h)."
        ))
    })
}

/// The recipe plug-in.
pub struct TrendingNow;

/// A fitted trend list in index space.
pub struct FittedTrending {
    ranked: Vec<u32>,
    model: TrendingModel,
}

impl FittedModel for FittedTrending {
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

/// Fit the trend list with an interval of `interval` seconds.
pub fn fit(data: &TrainingData, interval: i64) -> FittedTrending {
    let n = data.num_items();
    let (popularity, seen) = item_popularity(data);
    let newest = data.max_timestamp().unwrap_or(0);
    let (cur_start, prev_start) = (newest.saturating_sub(interval), newest.saturating_sub(interval.saturating_mul(2)));
    let mut c1 = vec![0f64; n];
    let mut c0 = vec![0f64; n];
    let items = data.interaction_items();
    let weights = data.interaction_weights();
    for (k, &ts) in data.interaction_timestamps().iter().enumerate() {
        let w = weights.map_or(1.0, |w| f64::from(w[k]));
        if ts > cur_start {
            c1[items[k] as usize] += w;
        } else if ts > prev_start {
            c0[items[k] as usize] += w;
        }
    }
    let z = |i: usize| (c1[i] - c0[i]) / (c1[i] + c0[i] + TREND_SMOOTHING).sqrt();
    let grew = |i: usize| c1[i] > c0[i];
    let mut ranked: Vec<u32> = (0..n as u32).filter(|&i| seen[i as usize]).collect();
    ranked.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        grew(b)
            .cmp(&grew(a))
            .then_with(|| if grew(a) && grew(b) { z(b).total_cmp(&z(a)) } else { std::cmp::Ordering::Equal })
            .then_with(|| c1[b].total_cmp(&c1[a]))
            .then_with(|| popularity[b].total_cmp(&popularity[a]))
            .then_with(|| data.item_id(a as u32).cmp(data.item_id(b as u32)))
    });
    let model = TrendingModel::from_ranked(
        interval,
        newest,
        ranked
            .iter()
            .map(|&i| {
                let i = i as usize;
                (data.item_id(i as u32).to_string(), [c1[i] as f32, c0[i] as f32, popularity[i] as f32])
            })
            .collect(),
    );
    FittedTrending { ranked, model }
}

impl Recipe for TrendingNow {
    fn info(&self) -> &'static RecipeInfo {
        &INFO
    }
    fn feature_transformation_parameters(&self) -> &'static [ParamSpec] {
        FEATURIZATION
    }
    fn validate(&self, config: &TrainingConfig) -> Result<(), EngineError> {
        interval_seconds(config).map(|_| ())
    }
    fn fit(&self, data: &TrainingData, config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError> {
        Ok(Box::new(fit(data, interval_seconds(config)?)))
    }
    fn supports_format_version(&self, format_version: u32) -> bool {
        format_version == FORMAT_VERSION
    }
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
        Ok(Arc::new(TrendingModel::decode(&artifact.payload)?))
    }
}

/// The serving model: items in trend order with their interval counts.
pub struct TrendingModel {
    interval: i64,
    newest: i64,
    ids: Vec<Arc<str>>,
    /// `[c1, c0, total popularity]` per item.
    counts: Vec<[f32; 3]>,
    index: HashMap<Arc<str>, u32>,
}

impl TrendingModel {
    fn from_ranked(interval: i64, newest: i64, ranked: Vec<(String, [f32; 3])>) -> Self {
        let mut ids = Vec::with_capacity(ranked.len());
        let mut counts = Vec::with_capacity(ranked.len());
        let mut index = HashMap::with_capacity(ranked.len());
        for (i, (id, c)) in ranked.into_iter().enumerate() {
            let id: Arc<str> = id.into();
            index.insert(id.clone(), i as u32);
            ids.push(id);
            counts.push(c);
        }
        TrendingModel { interval, newest, ids, counts, index }
    }

    /// Interval length (seconds) and newest timestamp the trend was computed at.
    pub fn window(&self) -> (i64, i64) {
        (self.interval, self.newest)
    }

    /// Encode as an artifact.
    pub fn to_artifact(&self) -> ModelArtifact {
        let bytes: usize = self.ids.iter().map(|s| s.len() + 16).sum();
        let mut payload = Vec::with_capacity(20 + bytes);
        payload.extend_from_slice(&self.interval.to_le_bytes());
        payload.extend_from_slice(&self.newest.to_le_bytes());
        payload.extend_from_slice(&(self.ids.len() as u32).to_le_bytes());
        for (id, c) in self.ids.iter().zip(&self.counts) {
            payload.extend_from_slice(&(id.len() as u32).to_le_bytes());
            payload.extend_from_slice(id.as_bytes());
            for x in c {
                payload.extend_from_slice(&x.to_le_bytes());
            }
        }
        ModelArtifact { recipe: NAME.to_string(), format_version: FORMAT_VERSION, payload }
    }

    fn decode(payload: &[u8]) -> Result<Self, EngineError> {
        let corrupt = |m: String| EngineError::CorruptArtifact(m);
        let mut r = PayloadReader::new(payload);
        let i64_at = |r: &mut PayloadReader<'_>, what: &str| -> Result<i64, EngineError> {
            Ok(i64::from_le_bytes(r.bytes(8, what)?.try_into().expect("8 bytes")))
        };
        let interval = i64_at(&mut r, "interval")?;
        if !FREQUENCIES.iter().any(|&(_, s)| s == interval) {
            return Err(corrupt(format!("unsupported trend interval {interval} s")));
        }
        let newest = i64_at(&mut r, "newest timestamp")?;
        let n = r.u32("item count")? as usize;
        if n > payload.len() / 16 {
            return Err(corrupt(format!("item count {n} does not fit a {}-byte payload", payload.len())));
        }
        let mut ranked = Vec::with_capacity(n);
        for _ in 0..n {
            let id = r.str("item id")?.to_string();
            let mut c = [0f32; 3];
            for x in &mut c {
                *x = f32::from_le_bytes(r.bytes(4, "item count")?.try_into().expect("4 bytes"));
                if !x.is_finite() || *x < 0.0 {
                    return Err(corrupt(format!("invalid count {x} for item {id:?}")));
                }
            }
            ranked.push((id, c));
        }
        r.finish()?;
        let m = Self::from_ranked(interval, newest, ranked);
        if m.index.len() != m.ids.len() {
            return Err(corrupt("duplicate item ids in payload".into()));
        }
        Ok(m)
    }
}

impl Model for TrendingModel {
    fn recipe(&self) -> &str {
        NAME
    }
    fn has_scores(&self) -> bool {
        false
    }
    /// The trend list, skipping excluded items; user and item are ignored.
    fn recommend(&self, query: &RecommendQuery) -> Vec<ScoredItem> {
        top_of_list(self.ids.iter().map(|id| &**id), query)
    }
    /// Reko extension (Personalize ranks only with PERSONALIZED_RANKING recipes): the input in
    /// trend order; unknown items appended in input order.
    fn rank(&self, query: &RankQuery) -> Vec<ScoredItem> {
        // Earlier in the trend list ranks higher.
        rank_known_first(query.input, |id| self.index.get(id).map(|&p| -f64::from(p)))
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
    use crate::recipe::{train, validate_config};
    use crate::training_data::TrainingDataBuilder;

    const H: i64 = 3600;
    const T: i64 = 100_000;

    /// steady: one event every 10 minutes for 10 hours; rise: 10 events in the last hour and
    /// one 1.5 h ago; tiny: one event 100 s ago; fall: 10 events 1–2 h ago and 2 recent ones.
    fn crafted() -> TrainingData {
        let mut b = TrainingDataBuilder::new();
        let mut u = 0;
        let mut push = |item: &str, ts: i64| {
            u += 1;
            b.push_interaction(&format!("u{u}"), item, ts, None, None);
        };
        for k in 0..=60 {
            push("steady", T - k * 600);
        }
        for m in 1..=10 {
            push("rise", T - 60 * m);
        }
        push("rise", T - 3 * H / 2);
        push("tiny", T - 100);
        for m in 1..=10 {
            push("fall", T - 6 * H / 5 - 10 * m);
        }
        push("fall", T - 200);
        push("fall", T - 300);
        b.build()
    }

    fn order(m: &TrendingModel) -> Vec<&str> {
        m.ids.iter().map(|s| &**s).collect()
    }

    #[test]
    fn trend_detection_depends_on_the_interval() {
        let d = crafted();
        // 1 hour: rise 10 vs 1 (z 2.5), tiny 1 vs 0 (z 0.58); then no growth by current count:
        // steady 6 vs 6, fall 2 vs 10.
        assert_eq!(order(&fit(&d, H).model), ["rise", "tiny", "steady", "fall"]);
        // 3 hours: fall 12 vs 0 (z 3.2), rise 11 vs 0 (z 3.05), tiny; steady 18 vs 18.
        assert_eq!(order(&fit(&d, 3 * H).model), ["fall", "rise", "tiny", "steady"]);
        let f = fit(&d, H);
        assert_eq!(f.model.window(), (H, T));
        let mut out = vec![];
        f.recommend_indices(0, d.user_interactions(0), 2, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(d.item_id(out[0]), "rise");
    }

    #[test]
    fn serving_and_rank() {
        let m = fit(&crafted(), H).model;
        let q = RecommendQuery {
            user_id: Some("anyone"),
            item_id: None,
            num_results: 2,
            exclude: &|i| i == "rise",
            exclude_index: None,
            context: &[],
            exploration: None,
        };
        let r: Vec<String> = m.recommend(&q).into_iter().map(|s| s.item_id).collect();
        assert_eq!(r, ["tiny", "steady"]);
        let input: Vec<String> = ["x", "fall", "rise"].iter().map(|s| s.to_string()).collect();
        let r: Vec<String> =
            m.rank(&RankQuery { user_id: "u", input: &input, context: &[] }).into_iter().map(|s| s.item_id).collect();
        assert_eq!(r, ["rise", "fall", "x"]);
        assert!(m.knows_item("tiny") && !m.knows_item("x") && !m.has_scores());
    }

    #[test]
    fn frequency_values() {
        let with = |v: &str| {
            let mut c = TrainingConfig::default();
            c.feature_transformation_parameters.insert("trend_discovery_frequency".into(), v.into());
            c
        };
        assert_eq!(interval_seconds(&TrainingConfig::default()).unwrap(), 3 * H);
        for (v, s) in
            [("30 minutes", 1800), ("30 min", 1800), ("1 hour", H), ("1h", H), ("3h", 3 * H), ("1 day", 86_400)]
        {
            assert_eq!(interval_seconds(&with(v)).unwrap(), s);
            validate_config(NAME, &with(v)).unwrap();
        }
        for bad in ["2 hours", "1 Hour", ""] {
            match validate_config(NAME, &with(bad)) {
                Err(EngineError::InvalidConfig(m)) => {
                    assert!(m.contains(&format!("'{bad}'")) && m.contains("trend_discovery_frequency"), "{m}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        let mut c = TrainingConfig::default();
        c.hyperparameters.insert("trend_discovery_frequency".into(), "1h".into());
        assert!(validate_config(NAME, &c).is_err(), "a featurization parameter, not a hyperparameter");
    }

    #[test]
    fn artifact_round_trip_and_corruption() {
        let a = fit(&crafted(), H).model.to_artifact();
        let m = crate::load_model(&a).unwrap();
        assert_eq!(m.recipe(), NAME);
        assert_eq!(m.num_items(), 4);
        let back = TrendingModel::decode(&a.payload).unwrap();
        assert_eq!(back.to_artifact(), a);
        for n in 0..a.payload.len() {
            assert!(TrendingModel::decode(&a.payload[..n]).is_err(), "truncated to {n}");
        }
        for i in 0..a.payload.len() {
            for bit in [0x01u8, 0x40, 0x80] {
                let mut b = a.payload.clone();
                b[i] ^= bit;
                let _ = TrendingModel::decode(&b);
            }
        }
    }

    #[test]
    fn train_on_synthetic() {
        let d = crate::recipe::tests::synthetic(100, 20, 300);
        let sol = train(NAME, &d, &TrainingConfig::default(), &mut |_| {}).unwrap();
        assert_eq!(sol.metrics.len(), 8);
        assert!(crate::load_model(&sol.artifact).unwrap().num_items() > 0);
    }
}
