//! Models: what a fit produces ([`FittedModel`], scored offline and written to an artifact)
//! and what serving loads ([`Model`], answering recommendation and ranking queries; built by
//! [`crate::load_model`]).

use std::sync::Arc;

use crate::artifact::ModelArtifact;
use crate::training_data::UserInteractions;

/// A recommendation request, after the service resolved the campaign.
pub struct RecommendQuery<'a> {
    /// `userId`, if given.
    pub user_id: Option<&'a str>,
    /// `itemId`, if given (RELATED_ITEMS recipes).
    pub item_id: Option<&'a str>,
    /// How many items to return at most.
    pub num_results: usize,
    /// Items to skip (filters); returns true for an item that must not be returned.
    pub exclude: &'a dyn Fn(&str) -> bool,
    /// The same exclusion by the model's item index ([`Model::catalogue`] order), cheaper than
    /// by id; models with a catalogue use it instead of `exclude` when given.
    pub exclude_index: Option<&'a dyn Fn(u32) -> bool>,
    /// Every item index `exclude_index` may let through, when the caller knows them and they
    /// are few (a selective filter): a model may score just these. A hint: the exclusions
    /// still apply, and models without a catalogue ignore it.
    pub candidates: Option<&'a [u32]>,
    /// The request's `context` map as feature tokens `FIELD=value` (e.g. `DEVICE=mobile`).
    pub context: &'a [String],
    /// The campaign's `itemExplorationConfig`, for recipes that explore cold items.
    pub exploration: Option<Exploration>,
}

/// Exploration of new, young and little-known items (User-Personalization campaigns' `itemExplorationConfig`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exploration {
    /// `explorationWeight`, 0 (pure exploitation) to 1.
    pub weight: f64,
    /// `explorationItemAgeCutOff` in days: items created within this many days of the newest
    /// interaction are candidates for exploration.
    pub item_age_cut_off_days: f64,
    /// Seeds the request's random draws (reproducible runs); `None`: fresh randomness per
    /// request, so requests spread exposure over the candidates.
    pub seed: Option<u64>,
}

impl Default for Exploration {
    fn default() -> Self {
        Exploration { weight: 0.3, item_age_cut_off_days: 30.0, seed: None }
    }
}

/// A personalized-ranking request.
pub struct RankQuery<'a> {
    pub user_id: &'a str,
    /// `inputList`, in the caller's order.
    pub input: &'a [String],
    /// The request's `context` map as feature tokens `FIELD=value`.
    pub context: &'a [String],
}

/// A user-segment request (batch segment jobs): the users most likely to interact with any of
/// `item_ids` (one item for Item-Affinity, the items matching an attribute query for
/// Item-Attribute-Affinity).
pub struct SegmentQuery<'a> {
    pub item_ids: &'a [&'a str],
    /// How many users to return at most.
    pub num_results: usize,
    /// Users to skip (filters): returns true for a user that must not be returned.
    pub exclude_user: &'a dyn Fn(&str) -> bool,
}

/// One recommended or ranked item.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoredItem {
    /// Item id.
    pub item_id: String,
    /// Score, for recipes that return scores.
    pub score: Option<f64>,
    /// Why the item is in the list, where it is not the model's own ranking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

impl ScoredItem {
    /// An item of the model's own ranking.
    pub fn ranked(item_id: impl Into<String>, score: Option<f64>) -> Self {
        Self { item_id: item_id.into(), score, reason: None }
    }
}

/// Why an item is in a list other than by the model's ranking (GetRecommendations' `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Reason {
    /// Placed by item exploration.
    Exploration,
    /// A popular item: the model knows nothing of the user, or it fills a list the model's own
    /// candidates could not.
    Popular,
}

/// A recent event of a user (from PutEvents), for real-time personalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    /// Item id.
    pub item_id: String,
    /// EVENT_TYPE, if given.
    pub event_type: Option<String>,
    /// Event time (epoch seconds).
    pub timestamp: i64,
}

/// An item added after training (PutItems), for models that can take new items without
/// retraining ([`Model::with_new_items`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub item_id: String,
    /// Metadata feature tokens (as `reko_dataset::Featurizer` produces them).
    pub tokens: Vec<String>,
    /// CREATION_TIMESTAMP, epoch seconds.
    pub created: Option<i64>,
}

/// An interaction received after a model was trained (PutEvents, or imported since), as the
/// solution's event configuration weighs it ([`crate::event_weight`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedEvent {
    pub item_id: String,
    /// Epoch seconds.
    pub timestamp: i64,
    /// The eventsConfig weight of its event type (1 without an events configuration).
    pub weight: f32,
}

/// A model fresh from [`crate::recipe::Recipe::fit`], working in the snapshot's index space; used by offline
/// evaluation and serialised into an artifact.
pub trait FittedModel: Send + Sync {
    /// Top-`n` item indices for `user`, whose (training) history is `history`.
    fn recommend_indices(&self, user: u32, history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>);
    /// [`Self::recommend_indices`] for several users at once (offline evaluation scores every
    /// test user): `requests[j] = (user, history, n)`, answers in `out[j]`. Models that score the
    /// whole catalogue per user override it to stream the item matrix once per batch.
    fn recommend_indices_batch(&self, requests: &[(u32, UserInteractions<'_>, usize)], out: &mut [Vec<u32>]) {
        for (&(user, history, n), o) in requests.iter().zip(out.iter_mut()) {
            o.clear();
            self.recommend_indices(user, history, n, o);
        }
    }
    /// Called before `users` users are scored: a model may build an index that pays off over
    /// that many users.
    fn prepare_for(&self, _users: usize) {}
    /// Serialise into an artifact.
    fn to_artifact(&self) -> ModelArtifact;
    /// The concrete model, so its recipe can warm-start from it ([`crate::recipe::Recipe::fit_after_evaluation`]).
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

/// A servable model, shared across request threads. What a model learns after training
/// ([`Model::observe_events`]) sits behind its own locks; everything else is immutable.
pub trait Model: Send + Sync {
    /// Recipe name.
    fn recipe(&self) -> &str;
    /// Whether results carry scores.
    fn has_scores(&self) -> bool;
    /// GetRecommendations: at most `num_results` items, best first, none excluded.
    fn recommend(&self, query: &RecommendQuery) -> Vec<ScoredItem>;
    /// Several GetRecommendations at once (batch inference); models that can score many users
    /// in one pass override it.
    fn recommend_many(&self, queries: &[RecommendQuery]) -> Vec<Vec<ScoredItem>> {
        queries.iter().map(|q| self.recommend(q)).collect()
    }
    /// GetPersonalizedRanking: `input` reordered for the user; items unknown to the model are
    /// appended at the end in input order.
    fn rank(&self, query: &RankQuery) -> Vec<ScoredItem>;
    /// Whether the model knows the item (was trained with it).
    fn knows_item(&self, item_id: &str) -> bool;
    /// Number of items the model knows.
    fn num_items(&self) -> usize;
    /// GetRecommendations with the user's recent events (newer than the model), for recipes
    /// that personalise in real time. Default: the events are ignored.
    fn recommend_with_history(&self, query: &RecommendQuery, history: &[HistoryEvent]) -> Vec<ScoredItem> {
        let _ = history;
        self.recommend(query)
    }
    /// GetPersonalizedRanking with the user's recent events. Default: the events are ignored.
    fn rank_with_history(&self, query: &RankQuery, history: &[HistoryEvent]) -> Vec<ScoredItem> {
        let _ = history;
        self.rank(query)
    }
    /// The model extended with items added since training, for recipes that can recommend new
    /// items without retraining (User-Personalization); `None` for the others (as in
    /// Personalize, they need a new training for new items).
    fn with_new_items(&self, items: &[NewItem]) -> Option<Arc<dyn Model>> {
        let _ = items;
        None
    }
    /// USER_SEGMENTATION recipes: the segment's users, most likely first (items the model does
    /// not know are ignored). `None` for models of other recipe types.
    fn segment(&self, query: &SegmentQuery) -> Option<Vec<String>> {
        let _ = query;
        None
    }
    /// Whether the model refreshes from interactions received after training (Trending-Now,
    /// whose trends move with the newest events); [`Model::observe_events`] is a no-op otherwise.
    fn observes_events(&self) -> bool {
        false
    }
    /// Interactions received after training, in any order. `batch` names the stored batch they
    /// came in (a chunk of the Interactions dataset): a batch already observed is ignored, so a
    /// caller may pass one twice.
    fn observe_events(&self, batch: i64, events: &[ObservedEvent]) {
        let _ = (batch, events);
    }
    /// Builds what serving needs ahead of the first request (indexes built on first use).
    fn prepare(&self) {}
    /// The model's items in index order, for models that honour
    /// [`RecommendQuery::exclude_index`]; `None` for the others.
    fn catalogue(&self) -> Option<&[Arc<str>]> {
        None
    }
}

/// Ranking without scores: input items the model knows ordered by `key` descending (stable: equal
/// keys keep input order), then the unknown ones in input order (Personalize v1 ranking).
pub(crate) fn rank_known_first(input: &[String], key: impl Fn(&str) -> Option<f64>) -> Vec<ScoredItem> {
    let mut known: Vec<(f64, &String)> = Vec::with_capacity(input.len());
    let mut unknown = Vec::new();
    for id in input {
        match key(id) {
            Some(k) => known.push((k, id)),
            None => unknown.push(id),
        }
    }
    known.sort_by(|a, b| b.0.total_cmp(&a.0));
    known.into_iter().map(|(_, id)| id).chain(unknown).map(|id| ScoredItem::ranked(id.clone(), None)).collect()
}
