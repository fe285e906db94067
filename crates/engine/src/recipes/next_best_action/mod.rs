//! `aws-next-best-action`: per user, the actions they are most likely to take
//! (docs/compatibility.md, "Actions (Next-Best-Action)").
//!
//! A user's propensity for an action is estimated from the users most like them: the 50 users
//! sharing the most items and Users dataset attributes with them (cosine over distinct interacted
//! items and attribute tokens) among those with an outcome for the action (TAKEN, or only
//! NOT_TAKEN/VIEWED), weighted by that similarity; the
//! user's own outcome counts as a neighbour of similarity 1; and the action's overall take rate
//! is a prior of weight 1. So a user with no action history gets the actions taken by users who
//! interact with the same items, and the score is a probability in [0, 1].
//!
//! Personalize's rules honoured: only actions of the Actions dataset are recommended; an action
//! scores 0.0 (and ranks after the scored ones) until it has 50 TAKEN and 50 NOT_TAKEN/VIEWED
//! interactions within the 6 weeks before the newest action interaction; equal scores are
//! broken by VALUE (higher first); EXPIRATION_TIMESTAMP and REPEAT_FREQUENCY exclude actions at
//! serving time ([`model`]).

mod evaluate;
mod model;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::evaluation::{Evaluation, Split};
use crate::model::{FittedModel, Model};
use crate::recipe::{Recipe, RecipeInfo, RecipeType};
use crate::solution_config::TrainingConfig;
use crate::training_data::{ActionEvent, ActionInteraction, TrainingData, UserInteractions};

pub use model::{ActionModel, RankedAction};

/// Recipe name.
pub const NAME: &str = "aws-next-best-action";
/// Current payload format.
pub const FORMAT_VERSION: u32 = 1;
/// Neighbours per user.
pub const NEIGHBOURS: usize = 50;
/// The take rate prior's weight, in neighbour similarity units.
pub const PRIOR_WEIGHT: f64 = 1.0;
/// TAKEN and NOT_TAKEN/VIEWED interactions an action needs in the window to be scored.
pub const MIN_OUTCOMES: usize = 50;
/// The window before the newest action interaction in which those are counted.
pub const QUALIFYING_WINDOW_SECONDS: i64 = 6 * 7 * 86_400;
/// Most recent distinct items of a user that describe them.
const MAX_USER_ITEMS: usize = 200;
/// Users with outcomes looked at per item or attribute token of a user (the first ones by
/// index): bounds the neighbour search at `MAX_USER_ITEMS × MAX_USERS_PER_TOKEN` per user.
const MAX_USERS_PER_TOKEN: usize = 1000;

/// Catalogue entry.
pub const INFO: RecipeInfo = RecipeInfo {
    name: NAME,
    recipe_type: RecipeType::PersonalizedActions,
    description: "Recommends the actions each user is most likely to take, from the actions taken by users who \
                  interact with the same items; scores are propensities between 0 and 1.",
    algorithm_name: NAME,
    feature_transformation_name: None,
    has_scores: true,
};

/// The recipe plug-in.
pub struct NextBestAction;

impl Recipe for NextBestAction {
    fn info(&self) -> &'static RecipeInfo {
        &INFO
    }
    fn evaluate(
        &self,
        data: &TrainingData,
        _config: &TrainingConfig,
        _split: Split,
    ) -> Result<(Evaluation, Box<dyn FittedModel>), EngineError> {
        // Its own split: the action interactions of some users are held out (see `evaluate`).
        evaluate::evaluate(data)
    }
    fn fit(&self, data: &TrainingData, _config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError> {
        Ok(Box::new(fit(data, data.actions().interactions())?))
    }
    fn supports_format_version(&self, format_version: u32) -> bool {
        format_version == FORMAT_VERSION
    }
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
        Ok(Arc::new(ActionModel::decode(&artifact.payload)?))
    }
}

/// A fitted model: the serving model plus, per user index, the ranked action indices (what
/// the evaluation scores).
pub struct FittedActions {
    ranked: Vec<Vec<u32>>,
    default_ranked: Vec<u32>,
    model: ActionModel,
}

impl FittedActions {
    /// The serving model.
    pub fn model(&self) -> &ActionModel {
        &self.model
    }
}

impl FittedModel for FittedActions {
    /// Action indices (of [`TrainingData::actions`]), best first: this recipe ranks actions.
    fn recommend_indices(&self, user: u32, _history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>) {
        let list = self.ranked.get(user as usize).filter(|l| !l.is_empty()).unwrap_or(&self.default_ranked);
        out.extend(list.iter().take(n));
    }
    fn to_artifact(&self) -> ModelArtifact {
        self.model.to_artifact()
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// Per user: (action, taken) outcomes, one per action (TAKEN wins over NOT_TAKEN/VIEWED).
type Outcomes = Vec<Vec<(u32, bool)>>;

/// Fit on the item interactions of `data` and the action interactions `rows` (a subset of
/// `data.actions().interactions()` in the evaluation).
pub(crate) fn fit(data: &TrainingData, rows: &[ActionInteraction]) -> Result<FittedActions, EngineError> {
    let actions = data.actions();
    let candidates: Vec<u32> = (0..actions.num_actions() as u32).filter(|&a| actions.in_actions_dataset(a)).collect();
    if candidates.is_empty() {
        return Err(EngineError::InsufficientData(
            "Create failed. The Actions dataset has no actions; Next-Best-Action needs at least one.".into(),
        ));
    }
    let num_actions = actions.num_actions();
    let num_users = data.num_users();
    let outcomes = outcomes(num_users, rows);
    let qualified = qualified(num_actions, rows);
    let (mut taken, mut observed) = (vec![0.0f64; num_actions], vec![0.0f64; num_actions]);
    for list in &outcomes {
        for &(a, t) in list {
            observed[a as usize] += 1.0;
            taken[a as usize] += f64::from(u8::from(t));
        }
    }
    // The Beta(1, 1)-smoothed take rate: what a user without neighbours gets.
    let base: Vec<f64> = (0..num_actions).map(|a| (taken[a] + 1.0) / (observed[a] + 2.0)).collect();
    let profiles: Vec<Vec<u32>> = (0..num_users as u32).into_par_iter().map(|u| profile(data, u)).collect();
    // Items → users with an action outcome (the only useful neighbours).
    let mut by_item: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for (u, items) in profiles.iter().enumerate() {
        if !outcomes[u].is_empty() {
            for &i in items {
                by_item.entry(i).or_default().push(u as u32);
            }
        }
    }
    let value = |a: u32| actions.attributes(a).value.unwrap_or(i64::MIN);
    let rank = |scores: &[f64]| -> Vec<RankedAction> {
        let mut list: Vec<RankedAction> = candidates
            .iter()
            .map(|&a| RankedAction { action: a, score: if qualified[a as usize] { scores[a as usize] } else { 0.0 } })
            .collect();
        list.sort_by(|x, y| {
            let (qx, qy) = (qualified[x.action as usize], qualified[y.action as usize]);
            qy.cmp(&qx)
                .then(y.score.total_cmp(&x.score))
                .then(value(y.action).cmp(&value(x.action)))
                .then(taken[y.action as usize].total_cmp(&taken[x.action as usize]))
                .then_with(|| actions.action_id(x.action).cmp(actions.action_id(y.action)))
        });
        list
    };
    let per_user: Vec<Vec<RankedAction>> = (0..num_users as u32)
        .into_par_iter()
        .map(|u| {
            if profiles[u as usize].is_empty() && outcomes[u as usize].is_empty() {
                return Vec::new();
            }
            rank(&propensities(u, &profiles, &outcomes, &by_item, &base))
        })
        .collect();
    let default = rank(&base);
    let ranked = per_user.iter().map(|l| l.iter().map(|r| r.action).collect()).collect();
    let default_ranked = default.iter().map(|r| r.action).collect();
    let model = ActionModel::new(data, &candidates, per_user, default, rows);
    Ok(FittedActions { ranked, default_ranked, model })
}

/// What describes a user, sorted: their most recent distinct items, then their Users dataset
/// feature tokens (numbered after the items).
fn profile(data: &TrainingData, u: u32) -> Vec<u32> {
    let h = data.user_interactions(u);
    let mut items: Vec<u32> = Vec::new();
    for &i in h.items.iter().rev() {
        if items.len() == MAX_USER_ITEMS {
            break;
        }
        if !items.contains(&i) {
            items.push(i);
        }
    }
    items.sort_unstable();
    let offset = data.num_items() as u32;
    items.extend(data.user_features(u).iter().map(|&f| offset + f));
    items
}

fn outcomes(num_users: usize, rows: &[ActionInteraction]) -> Outcomes {
    let mut out: Outcomes = vec![Vec::new(); num_users];
    for r in rows {
        let list = &mut out[r.user as usize];
        let taken = r.event == ActionEvent::Taken;
        match list.iter_mut().find(|(a, _)| *a == r.action) {
            Some(entry) => entry.1 |= taken,
            None => list.push((r.action, taken)),
        }
    }
    out
}

/// Whether each action has [`MIN_OUTCOMES`] TAKEN and NOT_TAKEN/VIEWED rows in the window.
fn qualified(num_actions: usize, rows: &[ActionInteraction]) -> Vec<bool> {
    let Some(newest) = rows.iter().map(|r| r.timestamp).max() else { return vec![false; num_actions] };
    let mut counts = vec![(0usize, 0usize); num_actions];
    for r in rows.iter().filter(|r| r.timestamp > newest - QUALIFYING_WINDOW_SECONDS) {
        let c = &mut counts[r.action as usize];
        if r.event == ActionEvent::Taken {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    counts.iter().map(|&(t, n)| t >= MIN_OUTCOMES && n >= MIN_OUTCOMES).collect()
}

/// Propensity of user `u` for every action (indexed by action).
fn propensities(
    u: u32,
    profiles: &[Vec<u32>],
    outcomes: &Outcomes,
    by_item: &FxHashMap<u32, Vec<u32>>,
    base: &[f64],
) -> Vec<f64> {
    let mine = &profiles[u as usize];
    let mut overlap: FxHashMap<u32, u32> = FxHashMap::default();
    for i in mine {
        for &v in by_item.get(i).map_or(&[][..], Vec::as_slice).iter().take(MAX_USERS_PER_TOKEN) {
            if v != u {
                *overlap.entry(v).or_default() += 1;
            }
        }
    }
    let mut neighbours: Vec<(f64, u32)> = overlap
        .into_iter()
        .map(|(v, n)| (f64::from(n) / ((mine.len() * profiles[v as usize].len()) as f64).sqrt(), v))
        .collect();
    neighbours.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    neighbours.truncate(NEIGHBOURS);
    let mut num: Vec<f64> = base.iter().map(|b| b * PRIOR_WEIGHT).collect();
    let mut den = vec![PRIOR_WEIGHT; base.len()];
    let own = outcomes[u as usize].iter().map(|o| (1.0, o));
    let theirs = neighbours.iter().flat_map(|&(s, v)| outcomes[v as usize].iter().map(move |o| (s, o)));
    for (s, &(a, taken)) in own.chain(theirs) {
        den[a as usize] += s;
        if taken {
            num[a as usize] += s;
        }
    }
    num.iter().zip(&den).map(|(n, d)| n / d).collect()
}
