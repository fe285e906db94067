//! Model artifacts (the model files of solution versions and recommenders) in an artifact store:
//! a folder (by default the data directory's `models/`) or `s3://bucket/prefix`, so that the
//! processes of a cluster (a worker that trains, replicas that serve) share them.
//!
//! * Objects are immutable: a key names its content (`<solution>/<version-id>/model-<sha256>.rkm`,
//!   the SHA-256 of the stored bytes), and a put never overwrites. A folder store shows an object
//!   only once complete: it is written under a hidden temporary name, synced, then linked to its
//!   key (a link fails where the key exists, so nothing is replaced).
//! * Reads go through a local cache, `<data_dir>/artifact-cache/<key>`, unless the store is a
//!   folder inside the data directory (then its files are read in place). A cached copy is
//!   checked against the catalog's checksum before use and fetched again when it does not match;
//!   an object of the store itself that does not match fails the read, so it is never served.
//! * Cache entries of models the catalog no longer names are removed at start
//!   ([`ArtifactStore::prune_cache`]) and when this process deletes them.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};

use crate::object_storage::{describe, ObjectStorageConfig, ObjectStorageError};

pub(crate) mod models;
#[cfg(test)]
mod tests;

pub(crate) use models::{ModelLocation, WrittenModel, ARTIFACT_BYTES, ARTIFACT_SHA256};

/// The cache folder of the data directory.
pub const CACHE_DIR: &str = "artifact-cache";

/// Where model artifacts are stored (`--artifact-store`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ArtifactLocation {
    /// The data directory's `models/` folder (one process, the embedded mode).
    #[default]
    DataDir,
    /// A folder, e.g. a mount every process of a cluster shares.
    Folder(PathBuf),
    /// An S3 bucket and key prefix, reached with the settings of `s3://` data locations.
    S3 { bucket: String, prefix: String },
}

impl ArtifactLocation {
    /// Parses a folder or `s3://bucket[/prefix]`; errors name `field` and the value.
    pub fn parse(field: &str, value: &str) -> Result<ArtifactLocation, ArtifactStoreError> {
        let invalid = |reason: &str| ArtifactStoreError::InvalidLocation {
            field: field.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let text = value.trim();
        if text.is_empty() {
            return Err(invalid("it is empty (expected a folder or s3://bucket/prefix)"));
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(ArtifactLocation::Folder(PathBuf::from(text)));
        };
        if !scheme.eq_ignore_ascii_case("s3") {
            return Err(invalid("only a folder or s3://bucket/prefix can hold artifacts"));
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid("it names no bucket (expected s3://bucket/prefix)"));
        }
        if !bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.') {
            return Err(invalid("a bucket name has lower-case letters, digits, '-' and '.' only"));
        }
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() && check_key(prefix).is_err() {
            return Err(invalid("its prefix has an empty, '.' or '..' part"));
        }
        Ok(ArtifactLocation::S3 { bucket: bucket.to_string(), prefix: prefix.to_string() })
    }
}

impl ArtifactLocation {
    /// Whether the `s3://` location `bucket`/`key` overlaps this store (either contains the
    /// other): a job must neither read models out of it nor write into it.
    pub fn overlaps_s3(&self, bucket: &str, key: &str) -> bool {
        let ArtifactLocation::S3 { bucket: own, prefix } = self else { return false };
        let key = key.trim_matches('/');
        let under = |inner: &str, outer: &str| {
            outer.is_empty() || inner == outer || inner.strip_prefix(outer).is_some_and(|r| r.starts_with('/'))
        };
        own == bucket && (under(key, prefix) || under(prefix, key))
    }

    /// Refuses the `s3://` data location `s3` (of request field `field`) when it overlaps this store.
    pub(crate) fn refuse_overlap(&self, s3: &reko_api::S3Location, field: &str) -> Result<(), reko_api::ApiError> {
        if s3.bucket_and_key().is_ok_and(|(bucket, key)| self.overlaps_s3(bucket, key)) {
            return Err(reko_api::ApiError::InvalidInput(format!(
                "Value '{}' at '{field}' overlaps the server's artifact store ({self}); model artifacts are never a \
                 data location.",
                s3.as_str()
            )));
        }
        Ok(())
    }

    /// The folder of a folder store named explicitly (never a data location).
    pub fn folder(&self) -> Option<&Path> {
        match self {
            ArtifactLocation::Folder(dir) => Some(dir),
            _ => None,
        }
    }
}

impl std::fmt::Display for ArtifactLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArtifactLocation::DataDir => f.write_str("data_dir/models"),
            ArtifactLocation::Folder(dir) => write!(f, "{}", dir.display()),
            ArtifactLocation::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            ArtifactLocation::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// Why an artifact could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactStoreError {
    #[error("Value '{value}' at '{field}' is not an artifact store: {reason}.")]
    InvalidLocation { field: String, value: String, reason: String },
    #[error("'{0}' is not an artifact key (relative, no empty, hidden, '.' or '..' part)")]
    InvalidKey(String),
    #[error("cannot {action} {}: {source}", path.display())]
    Local { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    ObjectStorage(#[from] ObjectStorageError),
    #[error("the artifact {0} is missing from the artifact store")]
    Missing(String),
    #[error("the artifact {location} does not match its checksum (its sha256 is {found}, the catalog's {expected})")]
    Corrupt { location: String, expected: String, found: String },
    #[error("the artifact {0} already exists with other content (artifacts are never overwritten)")]
    Conflict(String),
}

fn local<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ArtifactStoreError + 'a {
    move |source| ArtifactStoreError::Local { action, path: path.to_path_buf(), source }
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// `key` when it is relative and made of non-empty parts that are not hidden, `.` or `..`: keys
/// come from the catalog, and one must never reach outside the store or the cache.
fn check_key(key: &str) -> Result<&str, ArtifactStoreError> {
    let bad_part = |p: &str| p.is_empty() || p.starts_with('.') || p.contains(['\\', '\0']);
    if key.split('/').any(bad_part) {
        return Err(ArtifactStoreError::InvalidKey(key.to_string()));
    }
    Ok(key)
}

/// The object name of `key` under the store's prefix.
fn object_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}/{key}")
    }
}

enum Backend {
    Folder(PathBuf),
    S3 { config: ObjectStorageConfig, bucket: String, prefix: String },
}

/// The artifact store of a server, with its cache.
pub(crate) struct ArtifactStore {
    backend: Backend,
    /// `None`: the store is a folder of the data directory, read in place.
    cache: Option<PathBuf>,
}

impl ArtifactStore {
    /// The store at `location`; an S3 one reached with `object_storage` (the settings of `s3://`
    /// data locations). Creates a folder store's folder.
    pub fn open(
        location: &ArtifactLocation,
        data_dir: &Path,
        object_storage: &ObjectStorageConfig,
    ) -> Result<ArtifactStore, ArtifactStoreError> {
        let data_dir = std::path::absolute(data_dir).map_err(local("resolve", data_dir))?;
        let cache = data_dir.join(CACHE_DIR);
        match location {
            ArtifactLocation::DataDir => {
                Ok(ArtifactStore { backend: Backend::Folder(data_dir.join("models")), cache: None })
            }
            ArtifactLocation::Folder(dir) => {
                let dir = std::path::absolute(dir).map_err(local("resolve", dir))?;
                crate::data_roots::create_private_dir(&dir).map_err(local("create", &dir))?;
                let cache = (!dir.starts_with(&data_dir)).then_some(cache);
                Ok(ArtifactStore { backend: Backend::Folder(dir), cache })
            }
            ArtifactLocation::S3 { bucket, prefix } => {
                // A setting the client refuses fails the start, not the first training.
                object_storage.store(bucket)?;
                let backend =
                    Backend::S3 { config: object_storage.clone(), bucket: bucket.clone(), prefix: prefix.clone() };
                Ok(ArtifactStore { backend, cache: Some(cache) })
            }
        }
    }

    /// Where `key` is, for messages: a file or an `s3://` URL.
    pub fn location(&self, key: &str) -> String {
        match &self.backend {
            Backend::Folder(root) => root.join(key).display().to_string(),
            Backend::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{}", object_key(prefix, key)),
        }
    }

    /// The cached copy of `key` (whether it exists or not); `None` without a cache.
    pub fn cached_path(&self, key: &str) -> Option<PathBuf> {
        self.cache.as_ref().map(|c| c.join(key))
    }

    /// Stores `bytes` as `<dir>/model-<sha256>.rkm`, once: an object already at that key (named by
    /// this content) is kept. Returns the key and the SHA-256 of `bytes`.
    pub fn put(&self, dir: &str, bytes: &[u8]) -> Result<(String, String), ArtifactStoreError> {
        let sha256 = sha256_hex(bytes);
        let key = format!("{dir}/model-{sha256}.rkm");
        check_key(&key)?;
        match &self.backend {
            Backend::Folder(root) => {
                let path = root.join(&key);
                if !write_new(&path, bytes).map_err(local("write", &path))? {
                    let found = sha256_hex(&std::fs::read(&path).map_err(local("read", &path))?);
                    if found != sha256 {
                        return Err(ArtifactStoreError::Conflict(self.location(&key)));
                    }
                }
            }
            Backend::S3 { config, bucket, prefix } => {
                let object = ObjectPath::from(object_key(prefix, &key));
                let store = config.store(bucket)?;
                let location = self.location(&key);
                let payload = PutPayload::from(bytes.to_vec());
                ObjectStorageConfig::runtime()?.block_on(async {
                    // Create only (If-None-Match): an object already there has this content.
                    match store.put_opts(&object, payload, PutOptions::from(PutMode::Create)).await {
                        Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
                        Err(e) => Err(describe(&location, e)),
                    }
                })?;
            }
        }
        Ok((key, sha256))
    }

    /// The bytes of `key`, which must have the SHA-256 `sha256` (the catalog's): from the cache
    /// when its copy matches, else from the store (and then cached).
    pub fn get(&self, key: &str, sha256: &str) -> Result<Vec<u8>, ArtifactStoreError> {
        check_key(key)?;
        let Some(cached) = self.cached_path(key) else { return self.fetch_verified(key, sha256) };
        match std::fs::read(&cached) {
            Ok(bytes) if sha256_hex(&bytes) == sha256 => return Ok(bytes),
            Ok(_) => {
                tracing::warn!(file = %cached.display(), "a cached artifact does not match its checksum; fetching it again");
                if let Err(e) = std::fs::remove_file(&cached) {
                    tracing::warn!(file = %cached.display(), error = %e, "could not remove a corrupt cached artifact");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %cached.display(), error = %e, "cannot read a cached artifact; fetching it")
            }
        }
        let bytes = self.fetch_verified(key, sha256)?;
        if let Err(e) = write_new(&cached, &bytes) {
            tracing::warn!(file = %cached.display(), error = %e, "could not cache an artifact; it is fetched at each load");
        }
        Ok(bytes)
    }

    fn fetch_verified(&self, key: &str, sha256: &str) -> Result<Vec<u8>, ArtifactStoreError> {
        let bytes = self.fetch(key)?;
        let found = sha256_hex(&bytes);
        if found != sha256 {
            return Err(ArtifactStoreError::Corrupt { location: self.location(key), expected: sha256.into(), found });
        }
        Ok(bytes)
    }

    fn fetch(&self, key: &str) -> Result<Vec<u8>, ArtifactStoreError> {
        match &self.backend {
            Backend::Folder(root) => {
                let path = root.join(key);
                std::fs::read(&path).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => ArtifactStoreError::Missing(self.location(key)),
                    _ => local("read", &path)(e),
                })
            }
            Backend::S3 { config, bucket, prefix } => {
                let object = ObjectPath::from(object_key(prefix, key));
                let store = config.store(bucket)?;
                let location = self.location(key);
                let fetched: Result<Vec<u8>, ObjectStorageError> = ObjectStorageConfig::runtime()?.block_on(async {
                    let got = store.get(&object).await.map_err(|e| describe(&location, e))?;
                    Ok(got.bytes().await.map_err(|e| describe(&location, e))?.to_vec())
                });
                fetched.map_err(|e| match e {
                    ObjectStorageError::NotFound(location) => ArtifactStoreError::Missing(location),
                    e => e.into(),
                })
            }
        }
    }

    /// Deletes every object under `dir` (a model's or a solution's folder of keys), and their
    /// cached copies.
    pub fn delete_under(&self, dir: &str) -> Result<(), ArtifactStoreError> {
        check_key(dir)?;
        if let Some(cached) = self.cached_path(dir) {
            remove_dir_all(&cached)?;
        }
        match &self.backend {
            Backend::Folder(root) => remove_dir_all(&root.join(dir)),
            Backend::S3 { config, bucket, prefix } => {
                use futures::StreamExt;
                let folder = ObjectPath::from(object_key(prefix, dir));
                let store = config.store(bucket)?;
                let location = self.location(dir);
                let deleted: Result<(), ObjectStorageError> = ObjectStorageConfig::runtime()?.block_on(async {
                    let mut listing = store.list(Some(&folder));
                    while let Some(meta) = listing.next().await {
                        let meta = meta.map_err(|e| describe(&location, e))?;
                        match store.delete(&meta.location).await {
                            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                            Err(e) => return Err(describe(&location, e)),
                        }
                    }
                    Ok(())
                });
                Ok(deleted?)
            }
        }
    }

    /// Removes the cached copies whose key is not in `live` (models deleted meanwhile), and
    /// temporary files a crash left; returns how many files were removed.
    pub fn prune_cache(&self, live: &HashSet<String>) -> usize {
        let Some(cache) = &self.cache else { return 0 };
        let mut removed = 0;
        prune_folder(cache, "", live, &mut removed);
        removed
    }
}

/// [`ArtifactStore::prune_cache`] of one folder (`prefix`: its key); removes it when emptied.
fn prune_folder(dir: &Path, prefix: &str, live: &HashSet<String>, removed: &mut usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            prune_folder(&path, &key, live, removed);
            // Fails while not empty, as it should.
            let _ = std::fs::remove_dir(&path);
        } else if name.starts_with('.') || !live.contains(&key) {
            match std::fs::remove_file(&path) {
                Ok(()) => *removed += 1,
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "could not remove a stale cached artifact")
                }
            }
        }
    }
}

fn remove_dir_all(dir: &Path) -> Result<(), ArtifactStoreError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(local("remove", dir)(e)),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` unless it exists (`false` then, and `path` is left as it is). The
/// content is written and synced under a hidden temporary name first, then linked to `path`, so
/// `path` never shows a partial file; the folder is synced after.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "an artifact path names no file"));
    };
    crate::data_roots::create_private_dir(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let linked = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    let created = linked?;
    crate::data_roots::sync_dir(dir)?;
    Ok(created)
}
