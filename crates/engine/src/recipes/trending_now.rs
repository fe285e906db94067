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

use reko_dataset::codec::{ByteReader, ByteWriter};

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::model::{rank_known_first, FittedModel, Model, ObservedEvent, RankQuery, RecommendQuery, ScoredItem};
use crate::recipe::{Recipe, RecipeInfo, RecipeType};
use crate::recipes::popularity_count::item_popularity;
use crate::solution_config::{ParamKind, ParamSpec, TrainingConfig};
use crate::top_k::top_of_list;
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
    recipe_type: RecipeType::PopularItems,
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
        let mut b = ByteWriter::with_capacity(24 + bytes + t.recent.len() * 16);
        b.i64(self.interval);
        b.i64(t.newest);
        b.u32(t.ids.len() as u32);
        for (id, c) in t.ids.iter().zip(&t.counts) {
            b.str(id);
            b.f32s(c);
        }
        b.u32(t.recent.len() as u32);
        for &(i, ts, w) in &t.recent {
            b.u32(i);
            b.i64(ts);
            b.f32(w);
        }
        ModelArtifact { recipe: NAME.to_string(), format_version: FORMAT_VERSION, payload: b.into_bytes() }
    }

    fn decode(format_version: u32, payload: &[u8]) -> Result<Self, EngineError> {
        let corrupt = |m: String| EngineError::CorruptArtifact(m);
        let mut r = ByteReader::new(payload);
        let interval = r.i64("interval")?;
        if !FREQUENCIES.iter().any(|&(_, s)| s == interval) {
            return Err(corrupt(format!("unsupported trend interval {interval} s")));
        }
        let newest = r.i64("newest timestamp")?;
        let n = r.u32("item count")? as usize;
        if n > payload.len() / 16 {
            return Err(corrupt(format!("item count {n} does not fit a {}-byte payload", payload.len())));
        }
        let (mut ids, mut counts) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let id: Arc<str> = r.str("item id")?.into();
            let mut c = [0f32; 3];
            for x in &mut c {
                *x = r.f32("item count")?;
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
                let ts = r.i64("recent timestamp")?;
                let w = r.f32("recent weight")?;
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
mod tests;
