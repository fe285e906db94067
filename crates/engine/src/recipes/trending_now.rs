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
//! Between trainings the list moves with the events a campaign observes
//! ([`Model::observe_events`]): `T` becomes the newest interaction seen, counts and popularity
//! take the new events in, items first seen in them join, and the list is recomputed at the next
//! request (at most every [`REFRESH`]).
//!
//! Payload format 2 (little-endian): `i64` interval seconds, `i64` newest timestamp, `u32`
//! item count, then per item in rank order: `u32` id length, id bytes (UTF-8), `f32` c1,
//! `f32` c0, `f32` total popularity; then `u32` count of the interactions of the two newest
//! intervals, each `u32` position in the list, `i64` timestamp, `f32` weight. Format 1 ends
//! before that count.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::artifact::{ModelArtifact, PayloadReader};
use crate::error::EngineError;
use crate::model::{rank_known_first, top_of_list, Model, ObservedEvent, RankQuery, RecommendQuery, ScoredItem};
use crate::recipe::{FittedModel, ParamKind, ParamSpec, Recipe, RecipeInfo, TrainingConfig};
use crate::recipes::popularity_count::item_popularity;
use crate::training_data::{TrainingData, UserInteractions};

/// Recipe name.
pub const NAME: &str = "aws-trending-now";
/// Current payload format (2: the interactions of the two newest intervals; 1: only their counts).
pub const FORMAT_VERSION: u32 = 2;
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

/// Per-item counts and the trend order they give (shared by training and the refresh from
/// observed events): items that grew by `z` descending, then by `c1`, then by popularity, then
/// by id; only items `listed`.
fn trend_order<'a>(
    c1: &[f64],
    c0: &[f64],
    popularity: &[f64],
    id: impl Fn(usize) -> &'a str,
    listed: impl Fn(usize) -> bool,
) -> Vec<u32> {
    let z = |i: usize| (c1[i] - c0[i]) / (c1[i] + c0[i] + TREND_SMOOTHING).sqrt();
    let grew = |i: usize| c1[i] > c0[i];
    let mut ranked: Vec<u32> = (0..c1.len() as u32).filter(|&i| listed(i as usize)).collect();
    ranked.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        grew(b)
            .cmp(&grew(a))
            .then_with(|| if grew(a) && grew(b) { z(b).total_cmp(&z(a)) } else { std::cmp::Ordering::Equal })
            .then_with(|| c1[b].total_cmp(&c1[a]))
            .then_with(|| popularity[b].total_cmp(&popularity[a]))
            .then_with(|| id(a).cmp(id(b)))
    });
    ranked
}

/// The counts of the two intervals ending at `newest`: `(c1, c0)` per item over `n` items.
fn interval_counts(n: usize, recent: &[(u32, i64, f32)], newest: i64, interval: i64) -> (Vec<f64>, Vec<f64>) {
    let (cur_start, prev_start) = (newest.saturating_sub(interval), newest.saturating_sub(interval.saturating_mul(2)));
    let (mut c1, mut c0) = (vec![0f64; n], vec![0f64; n]);
    for &(i, ts, w) in recent {
        if ts > newest {
            continue;
        }
        if ts > cur_start {
            c1[i as usize] += f64::from(w);
        } else if ts > prev_start {
            c0[i as usize] += f64::from(w);
        }
    }
    (c1, c0)
}

/// Fit the trend list with an interval of `interval` seconds.
pub fn fit(data: &TrainingData, interval: i64) -> FittedTrending {
    let n = data.num_items();
    let (popularity, seen) = item_popularity(data);
    let newest = data.max_timestamp().unwrap_or(0);
    let prev_start = newest.saturating_sub(interval.saturating_mul(2));
    let items = data.interaction_items();
    let weights = data.interaction_weights();
    let recent: Vec<(u32, i64, f32)> = data
        .interaction_timestamps()
        .iter()
        .enumerate()
        .filter(|&(_, &ts)| ts > prev_start)
        .map(|(k, &ts)| (items[k], ts, weights.map_or(1.0, |w| w[k])))
        .collect();
    let (c1, c0) = interval_counts(n, &recent, newest, interval);
    let ranked = trend_order(&c1, &c0, &popularity, |i| data.item_id(i as u32), |i| seen[i]);
    // The artifact refers to items by their position in the trend list.
    let mut position = vec![u32::MAX; n];
    for (p, &i) in ranked.iter().enumerate() {
        position[i as usize] = p as u32;
    }
    let trained = Trained {
        newest,
        ids: ranked.iter().map(|&i| Arc::from(data.item_id(i))).collect(),
        counts: ranked
            .iter()
            .map(|&i| {
                let i = i as usize;
                [c1[i] as f32, c0[i] as f32, popularity[i] as f32]
            })
            .collect(),
        recent: recent.iter().map(|&(i, ts, w)| (position[i as usize], ts, w)).collect(),
    };
    FittedTrending { ranked, model: TrendingModel::new(interval, trained) }
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
        (1..=FORMAT_VERSION).contains(&format_version)
    }
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
        Ok(Arc::new(TrendingModel::decode(artifact.format_version, &artifact.payload)?))
    }
}

/// Observed events reach the trend list at the first request after they arrive, unless it was
/// recomputed less than this long ago (then at the first request after that).
pub const REFRESH: Duration = Duration::from_secs(1);

/// What training found: the artifact's content.
struct Trained {
    /// Newest interaction timestamp of the training data.
    newest: i64,
    /// Items in trend order.
    ids: Vec<Arc<str>>,
    /// `[c1, c0, total popularity]` per item.
    counts: Vec<[f32; 3]>,
    /// The interactions of the two newest intervals: `(position in ids, timestamp, weight)`.
    recent: Vec<(u32, i64, f32)>,
}

/// A trend list.
struct Ranking {
    ids: Vec<Arc<str>>,
    position: HashMap<Arc<str>, u32>,
}

impl Ranking {
    fn new(ids: Vec<Arc<str>>) -> Ranking {
        let position = ids.iter().enumerate().map(|(p, id)| (id.clone(), p as u32)).collect();
        Ranking { ids, position }
    }
}

/// The trained state moved forward by observed events.
struct Live {
    ids: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
    popularity: Vec<f64>,
    /// Interactions that may still count in an interval (`(item, timestamp, weight)`).
    recent: Vec<(u32, i64, f32)>,
    newest: i64,
    /// The newest batches observed ([`Model::observe_events`]), at most [`BATCHES_KEPT`]; a batch
    /// at or below `batch_floor` counts as observed. A batch is seen twice only when a catch-up
    /// from storage overlaps PutEvents in flight, so the newest few thousand are enough.
    batches: BTreeSet<i64>,
    batch_floor: i64,
    /// `recent` is pruned to the two intervals when it passes this length.
    prune_at: usize,
    computed: Option<Instant>,
}

/// Observed batches remembered for de-duplication.
const BATCHES_KEPT: usize = 4096;

/// The serving model: the trend list, moved forward by the events observed since training.
pub struct TrendingModel {
    interval: i64,
    trained: Trained,
    current: RwLock<Arc<Ranking>>,
    live: Mutex<Live>,
    /// Events arrived since the list was last computed (read without the lock by requests).
    dirty: AtomicBool,
}

impl TrendingModel {
    fn new(interval: i64, trained: Trained) -> Self {
        let ranking = Ranking::new(trained.ids.clone());
        let live = Live {
            index: ranking.position.clone(),
            ids: trained.ids.clone(),
            popularity: trained.counts.iter().map(|c| f64::from(c[2])).collect(),
            recent: trained.recent.clone(),
            newest: trained.newest,
            batches: BTreeSet::new(),
            batch_floor: i64::MIN,
            prune_at: (2 * trained.recent.len()).max(1 << 16),
            computed: None,
        };
        TrendingModel {
            interval,
            trained,
            current: RwLock::new(Arc::new(ranking)),
            live: Mutex::new(live),
            dirty: AtomicBool::new(false),
        }
    }

    /// Interval length (seconds) and newest timestamp the trend is computed at now.
    pub fn window(&self) -> (i64, i64) {
        (self.interval, self.lock_live().newest)
    }

    fn lock_live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The trend list, recomputed first when events arrived since (at most every [`REFRESH`]).
    fn ranking(&self) -> Arc<Ranking> {
        if self.dirty.load(Ordering::Acquire) {
            self.recompute();
        }
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Recomputes the list from the observed events, unless it was less than [`REFRESH`] ago.
    fn recompute(&self) {
        let mut live = self.lock_live();
        if self.dirty.load(Ordering::Acquire) && live.computed.is_none_or(|t| t.elapsed() >= REFRESH) {
            self.dirty.store(false, Ordering::Release);
            let newest = live.newest;
            self.prune(&mut live);
            let (c1, c0) = interval_counts(live.ids.len(), &live.recent, newest, self.interval);
            let ids = &live.ids;
            let order = trend_order(&c1, &c0, &live.popularity, |i| &ids[i], |_| true);
            let ranking = Ranking::new(order.iter().map(|&i| ids[i as usize].clone()).collect());
            *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(ranking);
            live.computed = Some(Instant::now());
        }
    }

    /// Drops the interactions older than the two intervals ending at the newest one.
    fn prune(&self, live: &mut Live) {
        let prev_start = live.newest.saturating_sub(self.interval.saturating_mul(2));
        live.recent.retain(|e| e.1 > prev_start);
        live.prune_at = (2 * live.recent.len()).max(1 << 16);
    }

    /// Encode as an artifact (what training found; observed events stay in the dataset).
    pub fn to_artifact(&self) -> ModelArtifact {
        let t = &self.trained;
        let bytes: usize = t.ids.iter().map(|s| s.len() + 16).sum();
        let mut payload = Vec::with_capacity(24 + bytes + t.recent.len() * 16);
        payload.extend_from_slice(&self.interval.to_le_bytes());
        payload.extend_from_slice(&t.newest.to_le_bytes());
        payload.extend_from_slice(&(t.ids.len() as u32).to_le_bytes());
        for (id, c) in t.ids.iter().zip(&t.counts) {
            payload.extend_from_slice(&(id.len() as u32).to_le_bytes());
            payload.extend_from_slice(id.as_bytes());
            for x in c {
                payload.extend_from_slice(&x.to_le_bytes());
            }
        }
        payload.extend_from_slice(&(t.recent.len() as u32).to_le_bytes());
        for &(i, ts, w) in &t.recent {
            payload.extend_from_slice(&i.to_le_bytes());
            payload.extend_from_slice(&ts.to_le_bytes());
            payload.extend_from_slice(&w.to_le_bytes());
        }
        ModelArtifact { recipe: NAME.to_string(), format_version: FORMAT_VERSION, payload }
    }

    fn decode(format_version: u32, payload: &[u8]) -> Result<Self, EngineError> {
        let corrupt = |m: String| EngineError::CorruptArtifact(m);
        let mut r = PayloadReader::new(payload);
        let i64_at = |r: &mut PayloadReader<'_>, what: &str| -> Result<i64, EngineError> {
            Ok(i64::from_le_bytes(r.bytes(8, what)?.try_into().expect("8 bytes")))
        };
        let f32_at = |r: &mut PayloadReader<'_>, what: &str| -> Result<f32, EngineError> {
            Ok(f32::from_le_bytes(r.bytes(4, what)?.try_into().expect("4 bytes")))
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
        let (mut ids, mut counts) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let id: Arc<str> = r.str("item id")?.into();
            let mut c = [0f32; 3];
            for x in &mut c {
                *x = f32_at(&mut r, "item count")?;
                if !x.is_finite() || *x < 0.0 {
                    return Err(corrupt(format!("invalid count {x} for item {id:?}")));
                }
            }
            ids.push(id);
            counts.push(c);
        }
        let recent = if format_version >= 2 {
            let m = r.u32("recent interaction count")? as usize;
            if m > r.remaining() / 16 {
                return Err(corrupt(format!("recent interaction count {m} does not fit the payload")));
            }
            let mut recent = Vec::with_capacity(m);
            for _ in 0..m {
                let i = r.u32("recent item")?;
                let ts = i64_at(&mut r, "recent timestamp")?;
                let w = f32_at(&mut r, "recent weight")?;
                if i as usize >= n || !w.is_finite() || w < 0.0 {
                    return Err(corrupt(format!("invalid recent interaction ({i}, {ts}, {w})")));
                }
                recent.push((i, ts, w));
            }
            recent
        } else {
            // Format 1 kept only the interval counts: they stand as interactions at the end of
            // each interval (exact until the intervals move).
            let mut recent = Vec::new();
            for (i, c) in counts.iter().enumerate() {
                recent.push((i as u32, newest, c[0]));
                recent.push((i as u32, newest.saturating_sub(interval), c[1]));
            }
            recent.retain(|e| e.2 > 0.0);
            recent
        };
        r.finish()?;
        let m = Self::new(interval, Trained { newest, ids, counts, recent });
        if m.lock_live().index.len() != n {
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
        top_of_list(self.ranking().ids.iter().map(|id| &**id), query)
    }
    /// Reko extension (Personalize ranks only with PERSONALIZED_RANKING recipes): the input in
    /// trend order; unknown items appended in input order.
    fn rank(&self, query: &RankQuery) -> Vec<ScoredItem> {
        let ranking = self.ranking();
        // Earlier in the trend list ranks higher.
        rank_known_first(query.input, |id| ranking.position.get(id).map(|&p| -f64::from(p)))
    }
    fn knows_item(&self, item_id: &str) -> bool {
        self.ranking().position.contains_key(item_id)
    }
    fn num_items(&self) -> usize {
        self.ranking().ids.len()
    }
    fn observes_events(&self) -> bool {
        true
    }
    /// Trends move with the newest events (as Personalize's do, between trainings): the
    /// intervals end at the newest interaction seen, and items first seen in events join.
    fn observe_events(&self, batch: i64, events: &[ObservedEvent]) {
        let mut live = self.lock_live();
        if events.is_empty() || batch <= live.batch_floor || !live.batches.insert(batch) {
            return;
        }
        while live.batches.len() > BATCHES_KEPT {
            live.batch_floor = live.batches.pop_first().unwrap_or(live.batch_floor);
        }
        for e in events {
            let i = match live.index.get(e.item_id.as_str()) {
                Some(&i) => i,
                None => {
                    let id: Arc<str> = e.item_id.as_str().into();
                    let i = live.ids.len() as u32;
                    live.index.insert(id.clone(), i);
                    live.ids.push(id);
                    live.popularity.push(0.0);
                    i
                }
            };
            live.popularity[i as usize] += f64::from(e.weight);
            live.newest = live.newest.max(e.timestamp);
            live.recent.push((i, e.timestamp, e.weight));
        }
        // Events may arrive faster than requests recompute the list: keep the window bounded.
        if live.recent.len() > live.prune_at {
            self.prune(&mut live);
        }
        self.dirty.store(true, Ordering::Release);
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

    fn order(m: &TrendingModel) -> Vec<String> {
        m.ranking().ids.iter().map(|s| s.to_string()).collect()
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

    /// Events observed after training move the intervals, change the trends, bring new items in,
    /// and leave the artifact (what training found) alone; a format-1 artifact refreshes too.
    #[test]
    fn observed_events_move_the_trends() {
        let f = fit(&crafted(), H);
        let artifact = f.model.to_artifact();
        let m = crate::load_model(&artifact).unwrap();
        assert!(m.observes_events());
        let ev = |item: &str, ts: i64| ObservedEvent { item_id: item.into(), timestamp: ts, weight: 1.0 };
        // An hour on: "new" (unknown at training) gets 8 events, "steady" goes on as before.
        let mut events: Vec<ObservedEvent> = (0..8).map(|k| ev("new", T + 3000 + k)).collect();
        events.extend((1..=6).map(|k| ev("steady", T + 600 * k)));
        m.observe_events(1, &events);
        m.observe_events(1, &events); // the same batch again: ignored
        let q = RecommendQuery {
            user_id: None,
            item_id: None,
            num_results: 10,
            exclude: &|_| false,
            exclude_index: None,
            context: &[],
            exploration: None,
        };
        let list: Vec<String> = m.recommend(&q).into_iter().map(|s| s.item_id).collect();
        // The intervals now end at T + 1 h: new 8 vs 0 (z 2.5); steady 6 vs 6; rise 0 vs 10,
        // tiny 0 vs 1, fall 0 vs 2 fell (their events are now in the previous hour).
        assert_eq!(list, ["new", "steady", "fall", "rise", "tiny"]);
        assert!(m.knows_item("new") && m.num_items() == 5);
        assert_eq!(crate::load_model(&artifact).unwrap().num_items(), 4, "the artifact is unchanged");
        // A batch counts once however often it is passed.
        let direct = TrendingModel::decode(FORMAT_VERSION, &artifact.payload).unwrap();
        let before = direct.lock_live().recent.len();
        for _ in 0..3 {
            direct.observe_events(7, &events);
        }
        assert_eq!(direct.lock_live().recent.len(), before + events.len());
        // The batches remembered stay bounded; the oldest forgotten count as observed.
        let one = [ev("steady", T + 10)];
        for batch in 100..100 + BATCHES_KEPT as i64 + 10 {
            direct.observe_events(batch, &one);
        }
        let len = direct.lock_live().recent.len();
        direct.observe_events(100, &one);
        assert_eq!(direct.lock_live().recent.len(), len, "an old batch passed again is ignored");
        assert!(direct.lock_live().batches.len() <= BATCHES_KEPT);
        // Format 1 (counts only) stands its counts at the end of each interval.
        let v1 = ModelArtifact {
            format_version: 1,
            payload: artifact.payload[..artifact.payload.len() - 4 - 16 * f.model.trained.recent.len()].to_vec(),
            ..artifact.clone()
        };
        let old = crate::load_model(&v1).unwrap();
        assert_eq!(old.recommend(&q).into_iter().map(|s| s.item_id).collect::<Vec<_>>(), order(&f.model));
        old.observe_events(1, &events);
        assert_eq!(old.recommend(&q)[0].item_id, "new");
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
        let back = TrendingModel::decode(FORMAT_VERSION, &a.payload).unwrap();
        assert_eq!(back.to_artifact(), a);
        for n in 0..a.payload.len() {
            assert!(TrendingModel::decode(FORMAT_VERSION, &a.payload[..n]).is_err(), "truncated to {n}");
        }
        for i in 0..a.payload.len() {
            for bit in [0x01u8, 0x40, 0x80] {
                let mut b = a.payload.clone();
                b[i] ^= bit;
                let _ = TrendingModel::decode(FORMAT_VERSION, &b);
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
