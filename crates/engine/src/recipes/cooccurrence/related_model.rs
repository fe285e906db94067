//! The serving model of the RELATED_ITEMS recipes and its payload decoding (format 1, see the
//! parent module).

use super::*;
use crate::Reason;

fn read_f32(r: &mut ByteReader<'_>, what: &str) -> Result<f32, EngineError> {
    let v = r.f32(what)?;
    if !v.is_finite() {
        return Err(EngineError::CorruptArtifact(format!("{what} is not a finite number")));
    }
    Ok(v)
}

/// The serving model of `aws-sims` and `aws-similar-items`.
pub(crate) struct RelatedModel {
    recipe: &'static str,
    ids: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
    popularity: Vec<f32>,
    /// Items with interactions, most popular first (ties by id).
    popular: Vec<u32>,
    table: NeighbourTable,
}

impl RelatedModel {
    /// Decode a payload (format 1); every count, length, index and number is checked.
    pub(crate) fn decode(recipe: &'static str, payload: &[u8]) -> Result<Self, EngineError> {
        let corrupt = |m: String| EngineError::CorruptArtifact(m);
        let mut r = ByteReader::new(payload);
        let n = r.u32("item count")? as usize;
        // Each item takes at least 12 bytes: bound allocations by the payload size.
        if n > payload.len() / 12 {
            return Err(corrupt(format!("item count {n} does not fit a {}-byte payload", payload.len())));
        }
        let mut ids = Vec::with_capacity(n);
        let mut index = HashMap::with_capacity(n);
        let mut popularity = Vec::with_capacity(n);
        let mut t = NeighbourTable::default();
        t.offsets.push(0);
        for i in 0..n {
            let id: Arc<str> = Arc::from(r.str("item id")?);
            if index.insert(id.clone(), i as u32).is_some() {
                return Err(corrupt(format!("duplicate item id {id:?} in payload")));
            }
            ids.push(id);
            let p = read_f32(&mut r, "item popularity")?;
            if p < 0.0 {
                return Err(corrupt(format!("negative popularity {p}")));
            }
            popularity.push(p);
            let k = r.u32("neighbour count")? as usize;
            if k > n.saturating_sub(1) || k > payload.len() / 8 {
                return Err(corrupt(format!("neighbour count {k} of item {i} is out of range")));
            }
            for _ in 0..k {
                let j = r.u32("neighbour index")?;
                if j as usize >= n || j as usize == i {
                    return Err(corrupt(format!("neighbour index {j} of item {i} is out of range")));
                }
                let s = read_f32(&mut r, "neighbour similarity")?;
                t.neighbours.push(j);
                t.scores.push(s);
            }
            t.offsets.push(t.neighbours.len());
        }
        r.finish()?;
        let mut popular: Vec<u32> = (0..n as u32).filter(|&i| popularity[i as usize] > 0.0).collect();
        popular.sort_by(|&a, &b| {
            popularity[b as usize]
                .total_cmp(&popularity[a as usize])
                .then_with(|| ids[a as usize].cmp(&ids[b as usize]))
        });
        Ok(RelatedModel { recipe, ids, index, popularity, popular, table: t })
    }

    /// Neighbour ids of an item, best first (empty for an unknown item).
    #[cfg(test)]
    pub(crate) fn neighbours(&self, item_id: &str) -> Vec<&str> {
        match self.index.get(item_id) {
            Some(&i) => self.table.row(i).0.iter().map(|&j| &*self.ids[j as usize]).collect(),
            None => Vec::new(),
        }
    }
}

impl Model for RelatedModel {
    fn recipe(&self) -> &str {
        self.recipe
    }
    fn has_scores(&self) -> bool {
        false
    }
    /// The query item's neighbours (best first), completed with the most popular items; an
    /// absent or unknown `item_id` gets popular items only. The query item itself and
    /// excluded items are never returned. `user_id` is not used (no personalization).
    fn recommend(&self, query: &RecommendQuery) -> Vec<ScoredItem> {
        let n = query.num_results;
        let mut out = Vec::with_capacity(n.min(self.ids.len()));
        if n == 0 {
            return out;
        }
        let q = query.item_id.and_then(|id| self.index.get(id).copied());
        let mut used = vec![false; 0];
        if q.is_some() {
            used = vec![false; self.ids.len()];
        }
        if let Some(i) = q {
            used[i as usize] = true;
            for &j in self.table.row(i).0 {
                if out.len() >= n {
                    return out;
                }
                let id = &self.ids[j as usize];
                if !(query.exclude)(id) {
                    used[j as usize] = true;
                    out.push(ScoredItem::ranked(id.to_string(), None));
                }
            }
        }
        for &j in &self.popular {
            if out.len() >= n {
                break;
            }
            if used.get(j as usize).copied().unwrap_or(false) {
                continue;
            }
            let id = &self.ids[j as usize];
            if !(query.exclude)(id) {
                // Backfill: the item is popular, not related to the query's item.
                out.push(ScoredItem { item_id: id.to_string(), score: None, reason: Some(Reason::Popular) });
            }
        }
        out
    }
    /// RankQuery carries no item to relate to, so the input is ordered by popularity
    /// (descending, stable); unknown items are appended in input order.
    fn rank(&self, query: &RankQuery) -> Vec<ScoredItem> {
        rank_known_first(query.input, |id| self.index.get(id).map(|&i| f64::from(self.popularity[i as usize])))
    }
    fn knows_item(&self, item_id: &str) -> bool {
        self.index.contains_key(item_id)
    }
    fn num_items(&self) -> usize {
        self.ids.len()
    }
}
