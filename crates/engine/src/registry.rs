//! The registry: the only place that names every recipe. The catalogue ([`recipes`],
//! [`recipe`]), the parameter specs ([`parameters`]) and loading a model from an artifact by its
//! recipe name ([`load_model`], [`check_artifact`]) are all derived from its one table.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::model::Model;
use crate::recipe::{Recipe, RecipeInfo};
use crate::recipes::popularity_count::PopularityCount;
use crate::recipes::user_personalization as up;
use crate::recipes::{frequently_bought_together, item_affinity, next_best_action, similar_items, sims, trending_now};
use crate::solution_config::ParamSpec;

/// Every recipe this engine implements, in catalogue order.
static REGISTRY: &[&dyn Recipe] = &[
    &PopularityCount,
    &up::USER_PERSONALIZATION,
    &up::USER_PERSONALIZATION_V2,
    &up::PERSONALIZED_RANKING,
    &up::PERSONALIZED_RANKING_V2,
    &sims::Sims,
    &similar_items::SimilarItems,
    &trending_now::TrendingNow,
    &item_affinity::ITEM_AFFINITY,
    &item_affinity::ITEM_ATTRIBUTE_AFFINITY,
    &next_best_action::NextBestAction,
];

/// Recipes that train only domain recommenders (a use case with no custom recipe of its own):
/// trained and loaded by name like the others, never listed in the custom catalogue.
static DOMAIN_ONLY: &[&dyn Recipe] = &[&frequently_bought_together::FrequentlyBoughtTogether];

/// Recipes this engine really implements.
pub fn recipes() -> &'static [RecipeInfo] {
    // Derived from the table once: callers want a slice of entries, the table holds recipes.
    static INFOS: OnceLock<Vec<RecipeInfo>> = OnceLock::new();
    INFOS.get_or_init(|| REGISTRY.iter().map(|r| *r.info()).collect())
}

/// A recipe's catalogue entry by name.
pub fn recipe(name: &str) -> Option<&'static RecipeInfo> {
    REGISTRY.iter().find(|r| r.info().name == name).map(|r| r.info())
}

/// A recipe's accepted `algorithmHyperParameters` and `featureTransformationParameters`, with
/// their defaults and ranges (DescribeAlgorithm, DescribeFeatureTransformation).
pub fn parameters(name: &str) -> Option<(&'static [ParamSpec], &'static [ParamSpec])> {
    registry_entry(name).map(|r| (r.hyperparameters(), r.feature_transformation_parameters()))
}

/// A domain-only recipe's entry by name ([`DOMAIN_ONLY`]).
pub fn domain_recipe(name: &str) -> Option<&'static RecipeInfo> {
    DOMAIN_ONLY.iter().find(|r| r.info().name == name).map(|r| r.info())
}

/// The recipe named `name`, if this engine implements it (domain-only ones included).
pub(crate) fn registry_entry(name: &str) -> Option<&'static dyn Recipe> {
    REGISTRY.iter().chain(DOMAIN_ONLY).copied().find(|r| r.info().name == name)
}

/// [`registry_entry`], an unknown name being [`EngineError::UnknownRecipe`].
pub(crate) fn lookup(name: &str) -> Result<&'static dyn Recipe, EngineError> {
    registry_entry(name).ok_or_else(|| EngineError::UnknownRecipe(name.to_string()))
}

/// Whether this build can load `artifact`: its recipe is known and supports its payload format
/// version. The error says what failed.
pub fn check_artifact(artifact: &ModelArtifact) -> Result<(), String> {
    let recipe = &artifact.recipe;
    let Some(r) = registry_entry(recipe) else {
        return Err(format!("unknown recipe {recipe:?}"));
    };
    if !r.supports_format_version(artifact.format_version) {
        return Err(format!("payload format version {} not supported by recipe {recipe}", artifact.format_version));
    }
    Ok(())
}

/// [`ModelArtifact::decode_verified`], then [`check_artifact`].
pub fn decode_artifact_verified(bytes: &[u8], expected_sha256_hex: Option<&str>) -> Result<ModelArtifact, String> {
    let artifact = ModelArtifact::decode_verified(bytes, expected_sha256_hex)?;
    check_artifact(&artifact)?;
    Ok(artifact)
}

/// Read and verify an artifact file: the container ([`ModelArtifact::decode`]) and whether
/// this build can load it ([`check_artifact`]). Any mismatch is [`EngineError::CorruptArtifact`]
/// naming the path.
pub fn read_artifact(path: &Path) -> Result<ModelArtifact, EngineError> {
    read_checked(path, None)
}

/// [`read_artifact`], additionally checking the checksum against the one returned by
/// [`ModelArtifact::write_to`] when the artifact was written.
pub fn read_artifact_verified(path: &Path, expected_sha256_hex: &str) -> Result<ModelArtifact, EngineError> {
    read_checked(path, Some(expected_sha256_hex))
}

fn read_checked(path: &Path, expected_sha256_hex: Option<&str>) -> Result<ModelArtifact, EngineError> {
    let bytes = std::fs::read(path)?;
    decode_artifact_verified(&bytes, expected_sha256_hex)
        .map_err(|what| EngineError::CorruptArtifact(format!("{}: {what}", path.display())))
}

/// Build a serving model from an artifact (dispatching on its recipe).
pub fn load_model(artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
    let r = lookup(&artifact.recipe)?;
    if !r.supports_format_version(artifact.format_version) {
        return Err(EngineError::CorruptArtifact(format!(
            "payload format version {} not supported by recipe {}",
            artifact.format_version, artifact.recipe
        )));
    }
    r.load(artifact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::MAGIC;
    use crate::test_support::sample_artifact;

    #[test]
    fn registry_lists_every_recipe() {
        assert_eq!(recipes().len(), REGISTRY.len());
        let r = recipe("aws-popularity-count").unwrap();
        assert_eq!(r.recipe_type.as_str(), "POPULAR_ITEMS");
        assert!(!r.has_scores);
        assert_eq!(recipe("aws-sims").unwrap().recipe_type.as_str(), "RELATED_ITEMS");
        assert_eq!(recipe("aws-similar-items").unwrap().recipe_type.as_str(), "RELATED_ITEMS");
        assert_eq!(recipe("aws-trending-now").unwrap().recipe_type.as_str(), "POPULAR_ITEMS");
        assert!(registry_entry("aws-sims").is_some() && registry_entry("aws-trending-now").is_some());
        let names: Vec<&str> = recipes().iter().map(|r| r.name).collect();
        assert!(names.iter().all(|n| recipe(n).is_some_and(|r| r.name == *n)));
        // Domain-only recipes train and load by name but are not in the custom catalogue.
        let fbt = crate::recipes::frequently_bought_together::NAME;
        assert!(recipe(fbt).is_none() && !names.contains(&fbt));
        assert_eq!(domain_recipe(fbt).map(|r| r.recipe_type.as_str()), Some("RELATED_ITEMS"));
        assert!(registry_entry(fbt).is_some());
    }

    #[test]
    fn artifacts_are_read_through_the_registry() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.bin");
        let a = sample_artifact();
        let sum = a.write_to(&p).unwrap();
        assert_eq!(read_artifact(&p).unwrap(), a);
        assert_eq!(read_artifact_verified(&p, &sum).unwrap(), a);
        assert!(matches!(read_artifact_verified(&p, &"0".repeat(64)), Err(EngineError::CorruptArtifact(_))));
        let unknown = ModelArtifact { recipe: "aws-nope".into(), ..a };
        unknown.write_to(&p).unwrap();
        assert!(matches!(read_artifact(&p), Err(EngineError::CorruptArtifact(m)) if m.contains("unknown recipe")));
        assert!(ModelArtifact::read_from(&p).is_ok(), "the container itself is sound");
    }

    #[test]
    fn unknown_recipe_and_version_rejected() {
        let (bytes, _) = ModelArtifact { recipe: "aws-nope".into(), format_version: 1, payload: vec![] }.encode();
        assert!(decode_artifact_verified(&bytes, None).unwrap_err().contains("unknown recipe"));
        let mut a = sample_artifact();
        a.format_version = 99;
        let (bytes, _) = a.encode();
        assert!(decode_artifact_verified(&bytes, None).unwrap_err().contains("format version"));
    }

    #[test]
    fn random_bytes_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let (good, _) = sample_artifact().encode();
        for _ in 0..2000 {
            let n = rng.gen_range(0..good.len() + 8);
            let mut b: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            if rng.gen_bool(0.5) && b.len() >= 8 {
                b[..8].copy_from_slice(MAGIC);
            }
            assert!(ModelArtifact::decode(&b).is_err() && decode_artifact_verified(&b, None).is_err());
            // Payloads bypassing the checksum (in-memory artifacts) must not panic either.
            let a = ModelArtifact { recipe: "aws-popularity-count".into(), format_version: 1, payload: b };
            let _ = load_model(&a);
        }
    }
}
