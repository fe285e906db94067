//! The engine's traits for User-Personalization: the fitted model, the serving model and the recipe.

use super::*;

impl FittedModel for UpModel {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
    fn recommend_indices(&self, user: u32, history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>) {
        let mut seen: Vec<u32> = history.items.to_vec();
        seen.sort_unstable();
        seen.dedup();
        out.extend(self.top_indices_for_vector(self.user_row(user as usize), n, &seen));
    }
    /// Scores a batch of users against item tiles that stay in cache, so the item matrix is
    /// read from memory once per batch instead of once per user (offline evaluation at scale).
    fn recommend_indices_batch(&self, requests: &[(u32, UserInteractions<'_>, usize)], out: &mut [Vec<u32>]) {
        const TILE: usize = 2048;
        let (n_items, s, scale) = (self.item_ids.len(), self.s, self.params.score_scale);
        let vectors: Vec<Option<&[f32]>> =
            requests.iter().map(|&(u, _, _)| self.user_row(u as usize).filter(|v| v.len() == s)).collect();
        if let (Some(clusters), true) = (self.clusters.get(), vectors.iter().all(Option::is_some)) {
            // With the cluster index ([`FittedModel::prepare_for`]): the serving path's exact
            // pruned search (the same items as a full scan, found by scoring a few percent).
            out.par_iter_mut().zip(requests.par_iter()).zip(&vectors).for_each(|((o, &(_, h, n)), v)| {
                let mut seen: Vec<u32> = h.items.to_vec();
                seen.sort_unstable();
                seen.dedup();
                let excluded = |i: u32| seen.binary_search(&i).is_ok();
                let query = RecommendQuery {
                    user_id: None,
                    item_id: None,
                    num_results: n,
                    exclude: &|_| false,
                    exclude_index: Some(&excluded),
                    candidates: None,
                    context: &[],
                    exploration: None,
                };
                let v = v.expect("checked above");
                let index = self.item_index();
                o.clear();
                o.extend(
                    self.select_pruned(clusters, v, &[], &query, &[])
                        .iter()
                        .filter_map(|r| index.get(r.item_id.as_str()).copied()),
                );
            });
            return;
        }
        let mut logits = vec![0f32; requests.len() * n_items];
        logits.par_chunks_mut(n_items).zip(&vectors).for_each(|(row, v)| {
            if v.is_none() {
                row.iter_mut().zip(&self.popularity).for_each(|(o, &p)| *o = (p + 1e-9).ln());
                self.add_objective(0, row);
            }
        });
        // Tile-major: each worker takes a tile of items and scores every user of the batch on it.
        let tiles = n_items.div_ceil(TILE);
        let rows: Vec<std::sync::Mutex<&mut [f32]>> = logits.chunks_mut(n_items).map(std::sync::Mutex::new).collect();
        (0..tiles).into_par_iter().for_each(|t| {
            let (start, end) = (t * TILE, ((t + 1) * TILE).min(n_items));
            let y = &self.y[start * s..end * s];
            let mut buf = vec![0f32; end - start];
            for (row, v) in rows.iter().zip(&vectors) {
                if let Some(v) = v {
                    als::scores(y, v, s, scale, &mut buf);
                    self.add_objective(start, &mut buf);
                    let mut row = row.lock().unwrap_or_else(|p| p.into_inner());
                    row[start..end].copy_from_slice(&buf);
                }
            }
        });
        drop(rows);
        out.par_iter_mut().zip(logits.par_chunks(n_items)).zip(requests.par_iter()).for_each(|((o, l), &(_, h, n))| {
            let mut seen: Vec<u32> = h.items.to_vec();
            seen.sort_unstable();
            seen.dedup();
            o.clear();
            o.extend(top_filtered(l, n, |i| seen.binary_search(&i).is_err()));
        });
    }
    /// Building the cluster index (about a second at 100k items) pays off when more users are
    /// scored than a full scan costs in that time.
    fn prepare_for(&self, users: usize) {
        if self.item_ids.len() >= PRUNE_MIN_ITEMS && users >= EVAL_PRUNE_MIN_USERS {
            self.item_clusters();
        }
    }
    fn to_artifact(&self) -> ModelArtifact {
        ModelArtifact { recipe: self.recipe.to_string(), format_version: FORMAT_VERSION, payload: self.encode() }
    }
}

impl Model for UpModel {
    fn recipe(&self) -> &str {
        self.recipe
    }
    fn has_scores(&self) -> bool {
        true
    }
    /// A known user gets their personalised list; an unknown user the (recency-weighted)
    /// popular items. Scores are a softmax over the whole catalogue.
    fn recommend(&self, query: &RecommendQuery) -> Vec<ScoredItem> {
        self.recommend_for_vector(self.vector_for(query.user_id), query, &[])
    }
    /// Batch inference: large catalogues go through the cluster index query by query; smaller
    /// ones score the known users' vectors [`MAX_BATCH`] at a time in one pass over the item
    /// factors (tiles in parallel), then each query selects its items.
    fn recommend_many(&self, queries: &[RecommendQuery]) -> Vec<Vec<ScoredItem>> {
        let n = self.item_ids.len();
        if n >= PRUNE_MIN_ITEMS {
            // The cluster index answers each query exactly with a fraction of the work.
            return queries.iter().map(|q| self.recommend(q)).collect();
        }
        let known: Vec<usize> = (0..queries.len())
            .filter(|&q| self.vector_for(queries[q].user_id).is_some_and(|v| v.len() == self.s))
            .collect();
        let mut logits: Vec<Option<Vec<f32>>> = vec![None; queries.len()];
        for group in known.chunks(MAX_BATCH) {
            let vectors: Vec<Vec<f32>> =
                group.iter().map(|&q| self.vector_for(queries[q].user_id).unwrap_or_default().to_vec()).collect();
            for (&q, l) in group.iter().zip(self.score_batch(&vectors)) {
                logits[q] = Some(l);
            }
        }
        logits
            .into_iter()
            .zip(queries)
            .map(|(l, query)| {
                if n == 0 || query.num_results == 0 {
                    return Vec::new();
                }
                let ctx = self.context_slots(query.context);
                let l = match l {
                    Some(mut l) => {
                        self.add_context(&mut l, &ctx);
                        l
                    }
                    None => self.logits(self.vector_for(query.user_id), &ctx, false),
                };
                self.select(&l, self.vector_for(query.user_id), query, &[])
            })
            .collect()
    }
    fn rank(&self, query: &RankQuery) -> Vec<ScoredItem> {
        self.rank_with_vector(self.vector_for(Some(query.user_id)), query)
    }
    fn knows_item(&self, item_id: &str) -> bool {
        self.item_index().contains_key(item_id)
    }
    fn num_items(&self) -> usize {
        self.item_ids.len()
    }
    fn recommend_with_history(&self, query: &RecommendQuery, history: &[HistoryEvent]) -> Vec<ScoredItem> {
        let v = self.vector_with_history(query.user_id, history);
        self.recommend_for_vector(v.as_deref(), query, &[])
    }
    fn rank_with_history(&self, query: &RankQuery, history: &[HistoryEvent]) -> Vec<ScoredItem> {
        let v = self.vector_with_history(Some(query.user_id), history);
        self.rank_with_vector(v.as_deref(), query)
    }
    fn with_new_items(&self, items: &[NewItem]) -> Option<Arc<dyn Model>> {
        Some(Arc::new(UpModel::with_new_items(self, items)))
    }
    fn catalogue(&self) -> Option<&[Arc<str>]> {
        Some(&self.item_ids)
    }
    fn prepare(&self) {
        crate::memory::prefer_huge_pages(&self.y);
        self.item_index();
        self.user_index();
        self.context_index();
        self.exploration_index();
        self.popular_ranking();
        if self.item_ids.len() >= PRUNE_MIN_ITEMS {
            self.item_clusters();
        }
    }
}

impl Recipe for UserPersonalization {
    fn info(&self) -> &'static RecipeInfo {
        self.info
    }
    fn hyperparameters(&self) -> &'static [ParamSpec] {
        HYPERPARAMETERS
    }
    fn fit(&self, data: &TrainingData, config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError> {
        Ok(Box::new(fit(self.info.name, data, config)))
    }
    fn self_tune(&self, data: &TrainingData, config: &TrainingConfig) -> Result<BTreeMap<String, String>, EngineError> {
        self_tune(self.info.name, data, config)
    }
    fn fit_after_evaluation(
        &self,
        evaluated: Box<dyn FittedModel>,
        data: &TrainingData,
        config: &TrainingConfig,
    ) -> Result<Box<dyn FittedModel>, EngineError> {
        match evaluated.into_any().downcast::<UpModel>() {
            Ok(mut prev) => {
                // Only the item factors are reused; the user factors are the bulk of its memory.
                prev.users = Arc::default();
                Ok(Box::new(fit_after_evaluation(self.info.name, &prev, data, config).0))
            }
            Err(_) => self.fit(data, config),
        }
    }
    fn supports_format_version(&self, format_version: u32) -> bool {
        (1..=FORMAT_VERSION).contains(&format_version)
    }
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
        Ok(Arc::new(UpModel::decode(self.info.name, artifact.format_version, &artifact.payload)?))
    }
    fn update(
        &self,
        previous: &ModelArtifact,
        data: &TrainingData,
        config: &TrainingConfig,
    ) -> Result<Box<dyn FittedModel>, EngineError> {
        if !self.supports_update() {
            return Err(EngineError::InvalidConfig(format!(
                "trainingMode UPDATE is not supported by recipe {}; use FULL.",
                self.info.name
            )));
        }
        if !self.supports_format_version(previous.format_version) {
            return Err(EngineError::CorruptArtifact(format!(
                "payload format version {} of the previous model is not supported",
                previous.format_version
            )));
        }
        let previous = UpModel::decode(self.info.name, previous.format_version, &previous.payload)?;
        Ok(Box::new(update(self.info.name, &previous, data, config)))
    }
    /// Personalize allows UPDATE for User-Personalization only.
    fn supports_update(&self) -> bool {
        self.info.recipe_type == RecipeType::UserPersonalization
    }
    fn supports_objective(&self) -> bool {
        true
    }
    /// Personalized-Ranking reorders a given list: there is nothing to explore.
    fn supports_exploration(&self) -> bool {
        self.info.recipe_type == RecipeType::UserPersonalization
    }
}

impl UserPersonalization {
    /// Load the concrete model type (for the fold-in API).
    pub fn load_model(&self, artifact: &ModelArtifact) -> Result<UpModel, EngineError> {
        UpModel::decode(self.info.name, artifact.format_version, &artifact.payload)
    }
}
