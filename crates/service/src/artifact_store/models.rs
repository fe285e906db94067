//! The model files of solution versions and recommenders through the artifact store: sealed
//! when their group is encrypted, recorded in the catalog by key and checksums, read verified.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::ArtifactStore;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::ResourceKind;
use crate::Reko;

/// The catalog's bookkeeping of a model (in its document's internal part): the store key, the
/// SHA-256 of the stored (possibly sealed) object, the checksum of the plaintext container (as
/// before the store) and the object's size.
pub(crate) const ARTIFACT_KEY: &str = "artifactKey";
pub(crate) const OBJECT_SHA256: &str = "artifactObjectSha256";
pub(crate) const ARTIFACT_SHA256: &str = "artifactSha256";
pub(crate) const ARTIFACT_BYTES: &str = "artifactBytes";

/// A model just written to the store.
#[derive(Debug, Clone)]
pub(crate) struct WrittenModel {
    pub key: String,
    pub object_sha256: String,
    /// The plaintext container's checksum (`artifactSha256`).
    pub sha256: String,
    pub bytes: u64,
}

impl WrittenModel {
    /// Records the model in a document's internal part.
    pub(crate) fn record(&self, internal: &mut serde_json::Map<String, Value>) {
        internal.insert(ARTIFACT_KEY.into(), self.key.clone().into());
        internal.insert(OBJECT_SHA256.into(), self.object_sha256.clone().into());
        internal.insert(ARTIFACT_SHA256.into(), self.sha256.clone().into());
        internal.insert(ARTIFACT_BYTES.into(), self.bytes.into());
    }
}

/// Where a model is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModelLocation {
    Stored {
        key: String,
        object_sha256: String,
    },
    /// A model written before the artifact store: its file in the data directory's `models/`.
    Legacy(PathBuf),
}

impl ModelLocation {
    /// The location a document's internal part records; `legacy` for a model written before.
    pub(crate) fn of(internal: &Value, legacy: PathBuf) -> ModelLocation {
        let text = |k: &str| internal.get(k).and_then(|v| v.as_str()).map(str::to_string);
        match (text(ARTIFACT_KEY), text(OBJECT_SHA256)) {
            (Some(key), Some(object_sha256)) => ModelLocation::Stored { key, object_sha256 },
            _ => ModelLocation::Legacy(legacy),
        }
    }
}

impl Reko {
    pub(crate) fn artifacts(&self) -> &ArtifactStore {
        &self.inner.artifacts
    }

    /// Writes a model to the store under `dir` (its folder of keys), sealed when its group is
    /// encrypted (bound to `sealed_by`).
    pub(crate) fn write_model(
        &self,
        sealed_by: &str,
        artifact: &reko_engine::ModelArtifact,
        dir: &str,
    ) -> ServiceResult<WrittenModel> {
        let (bytes, sha256) = artifact.encode();
        let bytes = self.sealer(sealed_by)?.seal(bytes)?;
        let (key, object_sha256) = self
            .artifacts()
            .put(dir, &bytes)
            .map_err(|e| ServiceError::Internal(format!("The model of {sealed_by} could not be stored: {e}")))?;
        Ok(WrittenModel { key, object_sha256, sha256, bytes: bytes.len() as u64 })
    }

    /// Reads a model (opening it when its group is encrypted) and checks it against the
    /// recorded checksum; errors name `sealed_by` (the solution version or recommender).
    pub(crate) fn read_model(
        &self,
        sealed_by: &str,
        location: &ModelLocation,
        expected_sha256: Option<&str>,
    ) -> ServiceResult<reko_engine::ModelArtifact> {
        let (bytes, source) = match location {
            ModelLocation::Stored { key, object_sha256 } => {
                let bytes = self.artifacts().get(key, object_sha256).map_err(|e| {
                    ServiceError::Internal(format!("The model of {sealed_by} cannot be loaded: {e}; it is not served."))
                })?;
                (bytes, self.artifacts().location(key))
            }
            ModelLocation::Legacy(path) => {
                (std::fs::read(path).map_err(reko_engine::EngineError::Io)?, path.display().to_string())
            }
        };
        let bytes = self.sealer(sealed_by)?.open(bytes)?;
        reko_engine::decode_artifact_verified(&bytes, expected_sha256).map_err(|what| {
            ServiceError::Engine(reko_engine::EngineError::CorruptArtifact(format!("{source} ({sealed_by}): {what}")))
        })
    }

    /// Deletes the models under `dir` (a folder of keys) from the store and its cache, and the
    /// folder `legacy` of models written before the store. Best effort: logged.
    pub(crate) fn delete_models(&self, dir: &str, legacy: &Path) {
        if let Err(e) = self.artifacts().delete_under(dir) {
            tracing::warn!(error = %e, dir, "could not delete model artifacts");
        }
        if legacy.exists() {
            if let Err(e) = std::fs::remove_dir_all(legacy) {
                tracing::warn!(error = %e, dir = %legacy.display(), "could not remove model files");
            }
        }
    }

    /// At start: removes the cached models the catalog no longer names.
    pub(crate) fn prune_artifact_cache(&self) -> ServiceResult<()> {
        if self.artifacts().cached_path("").is_none_or(|c| !c.exists()) {
            return Ok(());
        }
        let mut live = HashSet::new();
        for kind in [ResourceKind::SolutionVersion, ResourceKind::Recommender] {
            for record in self.store().list_resources(kind.as_str(), None)? {
                let key = record.doc.pointer(&format!("/{}/{ARTIFACT_KEY}", crate::resource::INTERNAL_KEY));
                if let Some(key) = key.and_then(|k| k.as_str()) {
                    live.insert(key.to_string());
                }
            }
        }
        let removed = self.artifacts().prune_cache(&live);
        if removed > 0 {
            tracing::info!(removed, "removed cached artifacts of deleted models");
        }
        Ok(())
    }
}
