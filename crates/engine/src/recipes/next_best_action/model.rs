//! The serving model of `aws-next-best-action`: per known user, the ranked actions with their
//! propensities; for anyone else, the actions ranked by their take rate. At serving time an
//! action past its EXPIRATION_TIMESTAMP is left out, and so is an action the user took less than
//! REPEAT_FREQUENCY days ago (by the action interactions the model was trained on).
//!
//! Payload format 1 (little-endian): `u32` action count, per action `str` id and three optional
//! `i64` (a `u8` presence flag, then the value): VALUE, EXPIRATION_TIMESTAMP, REPEAT_FREQUENCY;
//! the default ranking (`u32` count, per entry `u32` action, `f64` score); `u32` user count, per
//! user `str` id and a ranking; `u32` count of (user `u32`, action `u32`, `i64` time) last-taken
//! entries (actions with a REPEAT_FREQUENCY only).

use std::collections::HashMap;
use std::sync::Arc;

use reko_dataset::codec::{ByteReader, ByteWriter};

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::model::{rank_known_first, Model, RankQuery, RecommendQuery, ScoredItem};
use crate::training_data::{ActionAttributes, ActionEvent, ActionInteraction, TrainingData};

use super::{FORMAT_VERSION, NAME};

/// An action and its score, in a ranking (best first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankedAction {
    pub action: u32,
    pub score: f64,
}

/// The serving model; action indices are positions in its own action table.
#[derive(Debug)]
pub struct ActionModel {
    ids: Vec<Arc<str>>,
    attributes: Vec<ActionAttributes>,
    default: Vec<RankedAction>,
    user_ids: Vec<Arc<str>>,
    users: HashMap<Arc<str>, u32>,
    rankings: Vec<Vec<RankedAction>>,
    last_taken: HashMap<(u32, u32), i64>,
}

impl ActionModel {
    /// From the fit's rankings (in the snapshot's action indices; `per_user` by user index).
    pub(super) fn new(
        data: &TrainingData,
        candidates: &[u32],
        per_user: Vec<Vec<RankedAction>>,
        default: Vec<RankedAction>,
        rows: &[ActionInteraction],
    ) -> Self {
        let actions = data.actions();
        let local: HashMap<u32, u32> = candidates.iter().enumerate().map(|(i, &a)| (a, i as u32)).collect();
        let relabel = |list: Vec<RankedAction>| -> Vec<RankedAction> {
            list.into_iter().map(|r| RankedAction { action: local[&r.action], ..r }).collect()
        };
        let mut model = ActionModel {
            ids: candidates.iter().map(|&a| Arc::from(actions.action_id(a))).collect(),
            attributes: candidates.iter().map(|&a| actions.attributes(a)).collect(),
            default: relabel(default),
            user_ids: Vec::new(),
            users: HashMap::new(),
            rankings: Vec::new(),
            last_taken: HashMap::new(),
        };
        let mut user_of: HashMap<u32, u32> = HashMap::new();
        for (u, list) in per_user.into_iter().enumerate() {
            if !list.is_empty() {
                user_of.insert(u as u32, model.push_user(data.user_id(u as u32), relabel(list)));
            }
        }
        for r in rows.iter().filter(|r| r.event == ActionEvent::Taken) {
            let (Some(&user), Some(&action)) = (user_of.get(&r.user), local.get(&r.action)) else { continue };
            if model.attributes[action as usize].repeat_frequency_days.is_some() {
                let t = model.last_taken.entry((user, action)).or_insert(r.timestamp);
                *t = (*t).max(r.timestamp);
            }
        }
        model
    }

    fn push_user(&mut self, id: &str, ranking: Vec<RankedAction>) -> u32 {
        let u = self.user_ids.len() as u32;
        let id: Arc<str> = Arc::from(id);
        self.users.insert(id.clone(), u);
        self.user_ids.push(id);
        self.rankings.push(ranking);
        u
    }

    /// Number of actions the model can recommend.
    pub fn num_actions(&self) -> usize {
        self.ids.len()
    }

    /// The best `n` actions for `user_id` at time `now` (epoch seconds), without the expired
    /// ones, the ones the user took within their REPEAT_FREQUENCY and those `exclude` names.
    pub fn recommend_actions(
        &self,
        user_id: Option<&str>,
        n: usize,
        now: i64,
        exclude: &dyn Fn(&str) -> bool,
    ) -> Vec<(Arc<str>, f64)> {
        let user = user_id.and_then(|id| self.users.get(id)).copied();
        let ranking = user.map_or(&self.default, |u| &self.rankings[u as usize]);
        let available = |r: &&RankedAction| {
            let a = self.attributes[r.action as usize];
            if a.expiration.is_some_and(|e| e <= now) {
                return false;
            }
            let repeated = match (user, a.repeat_frequency_days) {
                (Some(u), Some(days)) => {
                    self.last_taken.get(&(u, r.action)).is_some_and(|&t| now < t.saturating_add(days * 86_400))
                }
                _ => false,
            };
            !repeated && !exclude(&self.ids[r.action as usize])
        };
        ranking.iter().filter(available).take(n).map(|r| (self.ids[r.action as usize].clone(), r.score)).collect()
    }

    /// Encode as an artifact.
    pub fn to_artifact(&self) -> ModelArtifact {
        let mut w = ByteWriter::new();
        w.u32(self.ids.len() as u32);
        for (id, a) in self.ids.iter().zip(&self.attributes) {
            w.str(id);
            for v in [a.value, a.expiration, a.repeat_frequency_days] {
                w.u8(u8::from(v.is_some()));
                w.i64(v.unwrap_or(0));
            }
        }
        write_ranking(&mut w, &self.default);
        w.u32(self.user_ids.len() as u32);
        for (id, ranking) in self.user_ids.iter().zip(&self.rankings) {
            w.str(id);
            write_ranking(&mut w, ranking);
        }
        let mut taken: Vec<(&(u32, u32), &i64)> = self.last_taken.iter().collect();
        taken.sort_unstable();
        w.u32(taken.len() as u32);
        for (&(u, a), &t) in taken {
            w.u32(u);
            w.u32(a);
            w.i64(t);
        }
        ModelArtifact { recipe: NAME.to_string(), format_version: FORMAT_VERSION, payload: w.into_bytes() }
    }

    /// Decode a payload; every index is checked against the tables it refers to.
    pub fn decode(payload: &[u8]) -> Result<Self, EngineError> {
        let corrupt = EngineError::CorruptArtifact;
        let mut r = ByteReader::new(payload);
        let n = r.u32("action count")? as usize;
        // An action takes at least 31 bytes: bound the allocation by the payload size.
        if n > payload.len() / 31 {
            return Err(corrupt(format!("action count {n} does not fit a {}-byte payload", payload.len())));
        }
        let mut model = ActionModel {
            ids: Vec::with_capacity(n),
            attributes: Vec::with_capacity(n),
            default: Vec::new(),
            user_ids: Vec::new(),
            users: HashMap::new(),
            rankings: Vec::new(),
            last_taken: HashMap::new(),
        };
        for _ in 0..n {
            model.ids.push(Arc::from(r.str("action id")?));
            let mut values = [None; 3];
            for v in &mut values {
                let present = r.u8("presence flag")? != 0;
                let x = r.i64("action attribute")?;
                *v = present.then_some(x);
            }
            let [value, expiration, repeat_frequency_days] = values;
            model.attributes.push(ActionAttributes { value, expiration, repeat_frequency_days });
        }
        model.default = read_ranking(&mut r, n, payload.len())?;
        let users = r.u32("user count")? as usize;
        if users > payload.len() / 8 {
            return Err(corrupt(format!("user count {users} does not fit a {}-byte payload", payload.len())));
        }
        for _ in 0..users {
            let id = r.str("user id")?.to_string();
            let ranking = read_ranking(&mut r, n, payload.len())?;
            model.push_user(&id, ranking);
        }
        let taken = r.u32("last-taken count")? as usize;
        if taken > payload.len() / 16 {
            return Err(corrupt(format!("last-taken count {taken} does not fit a {}-byte payload", payload.len())));
        }
        for _ in 0..taken {
            let (u, a, t) = (r.u32("user")?, r.u32("action")?, r.i64("time")?);
            if u as usize >= users || a as usize >= n {
                return Err(corrupt(format!("last-taken entry ({u}, {a}) out of range")));
            }
            model.last_taken.insert((u, a), t);
        }
        r.finish()?;
        if model.users.len() != model.user_ids.len() {
            return Err(corrupt("duplicate user ids in payload".into()));
        }
        Ok(model)
    }
}

fn write_ranking(w: &mut ByteWriter, ranking: &[RankedAction]) {
    w.u32(ranking.len() as u32);
    for r in ranking {
        w.u32(r.action);
        w.f64(r.score);
    }
}

fn read_ranking(r: &mut ByteReader<'_>, num_actions: usize, size: usize) -> Result<Vec<RankedAction>, EngineError> {
    let n = r.u32("ranking length")? as usize;
    if n > num_actions || n > size / 12 {
        return Err(EngineError::CorruptArtifact(format!("ranking of {n} entries for {num_actions} actions")));
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let action = r.u32("ranked action")?;
        let score = r.f64("score")?;
        if action as usize >= num_actions || !(0.0..=1.0).contains(&score) {
            return Err(EngineError::CorruptArtifact(format!("ranked action {action} with score {score}")));
        }
        out.push(RankedAction { action, score });
    }
    Ok(out)
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Model for ActionModel {
    fn recipe(&self) -> &str {
        NAME
    }
    fn has_scores(&self) -> bool {
        true
    }
    /// Actions for `query.user_id` (the "items" of this model are actions).
    fn recommend(&self, query: &RecommendQuery) -> Vec<ScoredItem> {
        self.recommend_actions(query.user_id, query.num_results, now_seconds(), query.exclude)
            .into_iter()
            .map(|(id, score)| ScoredItem::ranked(id.to_string(), Some(score)))
            .collect()
    }
    /// The model knows no items: every input keeps its place, unscored.
    fn rank(&self, query: &RankQuery) -> Vec<ScoredItem> {
        rank_known_first(query.input, |_| None)
    }
    fn knows_item(&self, _item_id: &str) -> bool {
        false
    }
    fn num_items(&self) -> usize {
        self.ids.len()
    }
}
