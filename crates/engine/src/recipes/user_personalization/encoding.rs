//! The User-Personalization artifact payload: encoding and bounds-checked decoding.

use super::*;
use crate::artifact::PayloadReader;

impl UpModel {
    // ---- artifact ----

    pub(super) fn encode(&self) -> Vec<u8> {
        let (k, s) = (self.k, self.s);
        let mut b = Vec::with_capacity(
            64 + self.item_ids.len() * (k * 4 + 32) + self.users.ids.len() * (k * 4 + 16) + self.context_lift.len() * 4,
        );
        let p = &self.params;
        put_u32(&mut b, k as u32);
        put_u32(&mut b, p.iterations as u32);
        put_f32(&mut b, p.regularization);
        put_f32(&mut b, p.alpha);
        put_u32(&mut b, p.cg_steps as u32);
        b.extend_from_slice(&p.half_life_days.to_le_bytes());
        b.push(u8::from(p.recency));
        put_f32(&mut b, p.sequence_weight);
        put_f32(&mut b, p.sequence_decay);
        put_u32(&mut b, p.bptt as u32);
        put_f32(&mut b, p.context_weight);
        put_f32(&mut b, p.metadata_regularization);
        put_f32(&mut b, p.score_scale);
        b.extend_from_slice(&p.min_history_percentile.to_le_bytes());
        b.extend_from_slice(&p.max_history_percentile.to_le_bytes());
        b.push(ValueScaling::NAMES.iter().position(|(_, v)| *v == p.value_scaling).unwrap_or(0) as u8);
        put_f32(&mut b, p.value_median);
        b.extend_from_slice(&self.newest.to_le_bytes());
        // Items.
        put_u32(&mut b, self.item_ids.len() as u32);
        for i in 0..self.item_ids.len() {
            put_str(&mut b, &self.item_ids[i]);
            put_u32(&mut b, self.counts[i]);
            b.extend_from_slice(&self.created[i].to_le_bytes());
            put_f32(&mut b, self.popularity[i]);
            put_f32s(&mut b, &self.y[i * s..i * s + k]);
        }
        // Users (only those with a vector).
        let known: Vec<usize> = (0..self.users.ids.len()).filter(|&u| self.user_row(u).is_some()).collect();
        put_u32(&mut b, known.len() as u32);
        for u in known {
            put_str(&mut b, &self.users.ids[u]);
            put_f32s(&mut b, &self.users.x[u * s..u * s + k]);
        }
        // Gram matrix.
        for r in 0..k {
            put_f32s(&mut b, &self.gram[r * s..r * s + k]);
        }
        // Event weights.
        put_u32(&mut b, self.events.by_type.len() as u32);
        for (t, w) in &self.events.by_type {
            put_str(&mut b, t);
            put_f32(&mut b, *w);
        }
        put_f32(&mut b, self.events.other);
        // Context.
        put_u32(&mut b, self.context_tokens.len() as u32);
        for t in &self.context_tokens {
            put_str(&mut b, t);
        }
        put_f32s(&mut b, &self.context_lift);
        // Item metadata regression.
        put_u32(&mut b, self.item_feature_tokens.len() as u32);
        for (f, t) in self.item_feature_tokens.iter().enumerate() {
            put_str(&mut b, t);
            put_f32s(&mut b, &self.item_feature_w[f * s..f * s + k]);
        }
        put_u32(&mut b, self.calibration.items.len() as u32);
        for (c, &i) in self.calibration.items.iter().enumerate() {
            put_u32(&mut b, i);
            put_f32s(&mut b, &self.calibration.predicted[c * s..c * s + k]);
        }
        put_u32(&mut b, self.objective.len() as u32);
        put_f32s(&mut b, &self.objective);
        b
    }

    pub(crate) fn decode(recipe: &'static str, format_version: u32, payload: &[u8]) -> Result<UpModel, EngineError> {
        let corrupt = |m: String| EngineError::CorruptArtifact(m);
        let mut r = PayloadReader::new(payload);
        let k = r.u32("hidden_dimension")? as usize;
        if !(1..=4096).contains(&k) {
            return Err(corrupt(format!("hidden_dimension {k} out of range")));
        }
        let s = als::stride(k);
        let mut params = Params {
            factors: k,
            iterations: r.u32("num_iterations")? as usize,
            regularization: get_f32(&mut r, "regularization")?,
            alpha: get_f32(&mut r, "alpha")?,
            cg_steps: r.u32("cg_steps")? as usize,
            half_life_days: r.f64("recency_half_life_days")?,
            recency: r.bytes(1, "recency_mask")?[0] != 0,
            sequence_weight: get_f32(&mut r, "sequence_weight")?,
            sequence_decay: get_f32(&mut r, "sequence_decay")?,
            bptt: r.u32("bptt")? as usize,
            context_weight: get_f32(&mut r, "context_weight")?,
            metadata_regularization: get_f32(&mut r, "metadata_regularization")?,
            score_scale: get_f32(&mut r, "score_scale")?,
            min_history_percentile: r.f64("min percentile")?,
            max_history_percentile: r.f64("max percentile")?,
            value_scaling: ValueScaling::None,
            value_median: 1.0,
        };
        let v1 = format_version == 1;
        if !v1 {
            let code = r.bytes(1, "event_value_scaling")?[0] as usize;
            params.value_scaling =
                ValueScaling::NAMES.get(code).map(|x| x.1).ok_or_else(|| corrupt(format!("value scaling {code}")))?;
            params.value_median = get_f32(&mut r, "event value median")?;
            if !(params.value_median.is_finite() && params.value_median > 0.0) {
                return Err(corrupt("event value median must be positive".into()));
            }
        }
        if params.half_life_days.is_nan() || params.half_life_days <= 0.0 {
            return Err(corrupt("recency half-life must be positive".into()));
        }
        let newest = i64::from_le_bytes(r.bytes(8, "newest timestamp")?.try_into().unwrap());
        let remaining = |r: &PayloadReader, per: usize, n: usize, what: &str| {
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
            counts.push(if v1 { u32::from(r.bytes(1, "item flags")?[0] != 0) } else { r.u32("item interactions")? });
            created.push(i64::from_le_bytes(r.bytes(8, "item creation")?.try_into().unwrap()));
            popularity.push(get_f32(&mut r, "item popularity")?);
            get_f32s(&mut r, &mut y[i * s..i * s + k], "item factors")?;
        }
        let n_users = r.u32("user count")? as usize;
        remaining(&r, 4 + 4 * k, n_users, "user")?;
        let mut user_ids = Vec::with_capacity(n_users);
        let mut x = vec![0f32; n_users * s];
        for u in 0..n_users {
            user_ids.push(Arc::<str>::from(r.str("user id")?));
            get_f32s(&mut r, &mut x[u * s..u * s + k], "user factors")?;
        }
        let mut gram = vec![0f32; s * s];
        for row in 0..k {
            get_f32s(&mut r, &mut gram[row * s..row * s + k], "gram matrix")?;
        }
        for d in k..s {
            gram[d * s + d] = 1.0;
        }
        let n_ev = r.u32("event weight count")? as usize;
        remaining(&r, 8, n_ev, "event weight")?;
        let mut by_type = Vec::with_capacity(n_ev);
        for _ in 0..n_ev {
            let t = r.str("event type")?.to_string();
            by_type.push((t, get_f32(&mut r, "event weight")?));
        }
        let events = EventWeights { by_type, other: get_f32(&mut r, "event weight")? };
        let n_ctx = r.u32("context token count")? as usize;
        remaining(&r, 4 + 4 * n_items, n_ctx, "context token")?;
        let mut context_tokens = Vec::with_capacity(n_ctx);
        for _ in 0..n_ctx {
            context_tokens.push(r.str("context token")?.to_string());
        }
        let mut context_lift = vec![0f32; n_ctx * n_items];
        get_f32s(&mut r, &mut context_lift, "context lifts")?;
        let n_feat = r.u32("item feature count")? as usize;
        remaining(&r, 4 + 4 * k, n_feat, "item feature")?;
        let mut item_feature_tokens = Vec::with_capacity(n_feat);
        let mut item_feature_w = vec![0f32; n_feat * s];
        for f in 0..n_feat {
            item_feature_tokens.push(r.str("item feature")?.to_string());
            get_f32s(&mut r, &mut item_feature_w[f * s..f * s + k], "item feature weights")?;
        }
        let calibration = if v1 {
            let mut c = Calibration::sample(&counts, s);
            let warm: Vec<u32> = (0..n_items as u32).filter(|&i| counts[i as usize] > 0).collect();
            c.predict_all(&rows_mean(&warm, &y, s));
            c
        } else {
            let n = r.u32("calibration count")? as usize;
            remaining(&r, 4 + 4 * k, n, "calibration item")?;
            let mut c = Calibration { items: Vec::with_capacity(n), predicted: vec![0f32; n * s] };
            for j in 0..n {
                let i = r.u32("calibration item")?;
                if i as usize >= n_items {
                    return Err(corrupt(format!("calibration item {i} of {n_items}")));
                }
                c.items.push(i);
                get_f32s(&mut r, &mut c.predicted[j * s..j * s + k], "calibration factors")?;
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
            get_f32s(&mut r, &mut objective, "objective terms")?;
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
        };
        if m.item_index().len() != m.item_ids.len() || m.user_index().len() != m.users.ids.len() {
            return Err(corrupt("duplicate ids in payload".into()));
        }
        Ok(m)
    }
}

pub(super) fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
pub(super) fn put_f32(b: &mut Vec<u8>, v: f32) {
    b.extend_from_slice(&v.to_le_bytes());
}
pub(super) fn put_f32s(b: &mut Vec<u8>, v: &[f32]) {
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
}
pub(super) fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u32(b, s.len() as u32);
    b.extend_from_slice(s.as_bytes());
}
pub(super) fn get_f32(r: &mut PayloadReader, what: &str) -> Result<f32, EngineError> {
    Ok(f32::from_le_bytes(r.bytes(4, what)?.try_into().unwrap()))
}
pub(super) fn get_f32s(r: &mut PayloadReader, out: &mut [f32], what: &str) -> Result<(), EngineError> {
    let bytes = r.bytes(out.len() * 4, what)?;
    for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *o = f32::from_le_bytes(c.try_into().unwrap());
    }
    Ok(())
}
