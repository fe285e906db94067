//! Fixtures shared by the engine's unit tests (one place instead of a copy per test module).

use crate::artifact::ModelArtifact;
use crate::recipes::cooccurrence::RelatedModel;
use crate::recipes::popularity_count::PopularityModel;
use crate::training_data::{TrainingData, TrainingDataBuilder};

/// `users` users each with `per_user` interactions over `items` items (item = (u + k) % items).
pub(crate) fn synthetic(users: usize, per_user: usize, items: usize) -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    for u in 0..users {
        for k in 0..per_user {
            let etype = if k % 2 == 0 { "click" } else { "buy" };
            b.push_interaction(
                &format!("u{u}"),
                &format!("i{}", (u + k) % items),
                (k * 10) as i64,
                Some(etype),
                Some(k as f32),
            );
        }
    }
    b.build()
}

/// A small, valid Popularity-Count artifact.
pub(crate) fn sample_artifact() -> ModelArtifact {
    PopularityModel::from_ranked(vec![("a".into(), 3.0), ("b".into(), 2.0), ("ü".into(), 1.0)]).to_artifact()
}

/// Every truncation and many single-byte corruptions of a Sims / Similar-Items payload decode to an error or a
/// model, never a panic; truncations are always errors.
pub(crate) fn check_corruption(recipe: &'static str, payload: &[u8]) {
    for n in 0..payload.len() {
        assert!(RelatedModel::decode(recipe, &payload[..n]).is_err(), "truncated to {n}");
    }
    for i in 0..payload.len() {
        for bit in [0x01u8, 0x40, 0x80] {
            let mut b = payload.to_vec();
            b[i] ^= bit;
            let _ = RelatedModel::decode(recipe, &b);
        }
    }
    let mut longer = payload.to_vec();
    longer.push(0);
    assert!(RelatedModel::decode(recipe, &longer).is_err());
}
