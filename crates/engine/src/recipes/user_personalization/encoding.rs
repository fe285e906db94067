//! The User-Personalization artifact payload: encoding and bounds-checked decoding.

use super::*;
use reko_dataset::codec::{ByteReader, ByteWriter};

impl UpModel {
    // ---- artifact ----

    pub(super) fn encode(&self) -> Vec<u8> {
        let (k, s) = (self.k, self.s);
        let mut b = ByteWriter::with_capacity(
            64 + self.item_ids.len() * (k * 4 + 32) + self.users.ids.len() * (k * 4 + 16) + self.context_lift.len() * 4,
        );
        let p = &self.params;
        b.u32(k as u32);
        b.u32(p.iterations as u32);
        b.f32(p.regularization);
        b.f32(p.alpha);
        b.u32(p.cg_steps as u32);
        b.f64(p.half_life_days);
        b.u8(u8::from(p.recency));
        b.f32(p.sequence_weight);
        b.f32(p.sequence_decay);
        b.u32(p.bptt as u32);
        b.f32(p.context_weight);
        b.f32(p.metadata_regularization);
        b.f32(p.score_scale);
        b.f64(p.min_history_percentile);
        b.f64(p.max_history_percentile);
        b.u8(ValueScaling::NAMES.iter().position(|(_, v)| *v == p.value_scaling).unwrap_or(0) as u8);
        b.f32(p.value_median);
        b.i64(self.newest);
        // Items.
        b.u32(self.item_ids.len() as u32);
        for i in 0..self.item_ids.len() {
            b.str(&self.item_ids[i]);
            b.u32(self.counts[i]);
            b.i64(self.created[i]);
            b.f32(self.popularity[i]);
            b.f32s(&self.y[i * s..i * s + k]);
        }
        // Users (only those with a vector).
        let known: Vec<usize> = (0..self.users.ids.len()).filter(|&u| self.user_row(u).is_some()).collect();
        b.u32(known.len() as u32);
        for u in known {
            b.str(&self.users.ids[u]);
            b.f32s(&self.users.x[u * s..u * s + k]);
        }
        // Gram matrix.
        for r in 0..k {
            b.f32s(&self.gram[r * s..r * s + k]);
        }
        // Event weights.
        b.u32(self.events.by_type.len() as u32);
        for (t, w) in &self.events.by_type {
            b.str(t);
            b.f32(*w);
        }
        b.f32(self.events.other);
        // Context.
        b.u32(self.context_tokens.len() as u32);
        for t in &self.context_tokens {
            b.str(t);
        }
        b.f32s(&self.context_lift);
        // Item metadata regression.
        b.u32(self.item_feature_tokens.len() as u32);
        for (f, t) in self.item_feature_tokens.iter().enumerate() {
            b.str(t);
            b.f32s(&self.item_feature_w[f * s..f * s + k]);
        }
        b.u32(self.calibration.items.len() as u32);
        for (c, &i) in self.calibration.items.iter().enumerate() {
            b.u32(i);
            b.f32s(&self.calibration.predicted[c * s..c * s + k]);
        }
        b.u32(self.objective.len() as u32);
        b.f32s(&self.objective);
        b.into_bytes()
    }

    pub(crate) fn decode(recipe: &'static str, format_version: u32, payload: &[u8]) -> Result<UpModel, EngineError> {
        let corrupt = |m: String| EngineError::CorruptArtifact(m);
        let mut r = ByteReader::new(payload);
        let k = r.u32("hidden_dimension")? as usize;
        if !(1..=4096).contains(&k) {
            return Err(corrupt(format!("hidden_dimension {k} out of range")));
        }
        let s = als::stride(k);
        let mut params = Params {
            factors: k,
            iterations: r.u32("num_iterations")? as usize,
            regularization: r.f32("regularization")?,
            alpha: r.f32("alpha")?,
            cg_steps: r.u32("cg_steps")? as usize,
            half_life_days: r.f64("recency_half_life_days")?,
            recency: r.u8("recency_mask")? != 0,
            sequence_weight: r.f32("sequence_weight")?,
            sequence_decay: r.f32("sequence_decay")?,
            bptt: r.u32("bptt")? as usize,
            context_weight: r.f32("context_weight")?,
            metadata_regularization: r.f32("metadata_regularization")?,
            score_scale: r.f32("score_scale")?,
            min_history_percentile: r.f64("min percentile")?,
            max_history_percentile: r.f64("max percentile")?,
            value_scaling: ValueScaling::None,
            value_median: 1.0,
        };
        let v1 = format_version == 1;
        if !v1 {
            let code = r.u8("event_value_scaling")? as usize;
            params.value_scaling =
                ValueScaling::NAMES.get(code).map(|x| x.1).ok_or_else(|| corrupt(format!("value scaling {code}")))?;
            params.value_median = r.f32("event value median")?;
            if !(params.value_median.is_finite() && params.value_median > 0.0) {
                return Err(corrupt("event value median must be positive".into()));
            }
        }
        if params.half_life_days.is_nan() || params.half_life_days <= 0.0 {
            return Err(corrupt("recency half-life must be positive".into()));
        }
        let newest = r.i64("newest timestamp")?;
        let remaining = |r: &ByteReader, per: usize, n: usize, what: &str| {
            if n.saturating_mul(per) > r.remaining() {
                Err(EngineError::CorruptArtifact(format!("{what} count {n} does not fit the payload")))
            } else {
                Ok(())
            }
        };
        let n_items = r.u32("item count")? as usize;
        remaining(&r, 4 + if v1 { 1 } else { 4 } + 8 + 4 + 4 * k, n_items, "item")?;
        let mut item_ids = Vec::with_capacity(n_items);
        let mut counts = Vec::with_capacity(n_items);
        let mut created = Vec::with_capacity(n_items);
        let mut popularity = Vec::with_capacity(n_items);
        let mut y = vec![0f32; n_items * s];
        for i in 0..n_items {
            item_ids.push(Arc::<str>::from(r.str("item id")?));
            counts.push(if v1 { u32::from(r.u8("item flags")? != 0) } else { r.u32("item interactions")? });
            created.push(r.i64("item creation")?);
            popularity.push(r.f32("item popularity")?);
            r.f32s_into(&mut y[i * s..i * s + k], "item factors")?;
        }
        let n_users = r.u32("user count")? as usize;
        remaining(&r, 4 + 4 * k, n_users, "user")?;
        let mut user_ids = Vec::with_capacity(n_users);
        let mut x = vec![0f32; n_users * s];
        for u in 0..n_users {
            user_ids.push(Arc::<str>::from(r.str("user id")?));
            r.f32s_into(&mut x[u * s..u * s + k], "user factors")?;
        }
        let mut gram = vec![0f32; s * s];
        for row in 0..k {
            r.f32s_into(&mut gram[row * s..row * s + k], "gram matrix")?;
        }
        for d in k..s {
            gram[d * s + d] = 1.0;
        }
        let n_ev = r.u32("event weight count")? as usize;
        remaining(&r, 8, n_ev, "event weight")?;
        let mut by_type = Vec::with_capacity(n_ev);
        for _ in 0..n_ev {
            let t = r.str("event type")?.to_string();
            by_type.push((t, r.f32("event weight")?));
        }
        let events = EventWeights { by_type, other: r.f32("event weight")? };
        let n_ctx = r.u32("context token count")? as usize;
        remaining(&r, 4 + 4 * n_items, n_ctx, "context token")?;
        let mut context_tokens = Vec::with_capacity(n_ctx);
        for _ in 0..n_ctx {
            context_tokens.push(r.str("context token")?.to_string());
        }
        let mut context_lift = vec![0f32; n_ctx * n_items];
        r.f32s_into(&mut context_lift, "context lifts")?;
        let n_feat = r.u32("item feature count")? as usize;
        remaining(&r, 4 + 4 * k, n_feat, "item feature")?;
        let mut item_feature_tokens = Vec::with_capacity(n_feat);
        let mut item_feature_w = vec![0f32; n_feat * s];
        for f in 0..n_feat {
            item_feature_tokens.push(r.str("item feature")?.to_string());
            r.f32s_into(&mut item_feature_w[f * s..f * s + k], "item feature weights")?;
        }
        let calibration = if v1 {
            let mut c = Calibration::sample(&counts, s);
            let warm: Vec<u32> = (0..n_items as u32).filter(|&i| counts[i as usize] > 0).collect();
            c.predict_all(&rows_mean(&warm, &y, s));
            c
        } else {
            let n = r.u32("calibration count")? as usize;
            remaining(&r, 4 + 4 * k, n, "calibration item")?;
            let mut c =
                Calibration { items: Vec::with_capacity(n), predicted: vec![0f32; n * s], ..Default::default() };
            for j in 0..n {
                let i = r.u32("calibration item")?;
                if i as usize >= n_items {
                    return Err(corrupt(format!("calibration item {i} of {n_items}")));
                }
                c.items.push(i);
                r.f32s_into(&mut c.predicted[j * s..j * s + k], "calibration factors")?;
            }
            c
        };
        let mut objective = Vec::new();
        if format_version >= 3 {
            let n = r.u32("objective term count")? as usize;
            if n != 0 && n != n_items {
                return Err(corrupt(format!("{n} objective terms for {n_items} items")));
            }
            objective = vec![0f32; n];
            r.f32s_into(&mut objective, "objective terms")?;
        }
        r.finish()?;
        if [&y, &x, &gram, &context_lift, &item_feature_w, &calibration.predicted, &objective]
            .iter()
            .any(|v| v.iter().any(|f| !f.is_finite()))
            || popularity.iter().any(|p| !p.is_finite())
        {
            return Err(corrupt("non-finite values in the model".into()));
        }
        let m = UpModel {
            recipe,
            k,
            s,
            params,
            newest,
            item_ids,
            y,
            counts,
            calibration,
            created,
            popularity,
            users: Arc::new(UserFactors { ids: user_ids, x, index: OnceLock::new() }),
            gram,
            events,
            context_tokens,
            context_lift,
            item_feature_tokens,
            item_feature_w,
            objective,
            item_index: OnceLock::new(),
            context_index: OnceLock::new(),
            batcher: ScoreBatcher::default(),
            exploration_index: OnceLock::new(),
            clusters: OnceLock::new(),
            popular: OnceLock::new(),
        };
        if m.item_index().len() != m.item_ids.len() || m.user_index().len() != m.users.ids.len() {
            return Err(corrupt("duplicate ids in payload".into()));
        }
        Ok(m)
    }
}
