//! `s3://bucket/key` data locations on any S3-compatible store, through `object_store`.
//!
//! Jobs work on local files, so an S3 input is first downloaded into a temporary folder of the
//! data directory and an S3 output is written locally and uploaded when complete. The store's
//! endpoint comes from Reko's configuration (`s3_endpoint`, path-style requests, plain HTTP
//! allowed for self-hosted stores) or the standard `AWS_ENDPOINT_URL`; credentials and region
//! from the standard AWS environment variables.

use std::path::{Path, PathBuf};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

/// A scratch folder in the data directory, removed when dropped.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    pub(crate) fn new(data_dir: &Path) -> Scratch {
        Scratch(data_dir.join("tmp").join(uuid::Uuid::new_v4().to_string()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a location names object storage.
pub(crate) fn is_object_location(location: &str) -> bool {
    location.trim().to_ascii_lowercase().starts_with("s3://")
}

/// `s3://bucket/key` → (bucket, key).
fn split(location: &str) -> Result<(String, String), String> {
    let rest = &location.trim()["s3://".len()..];
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("The location '{location}' names no bucket (expected s3://bucket/key)."));
    }
    Ok((bucket.to_string(), key.to_string()))
}

/// Where S3 locations are read and written.
#[derive(Debug, Clone, Default)]
pub struct ObjectStorageConfig {
    /// Endpoint of the S3-compatible store (e.g. `http://127.0.0.1:9000`); `None` uses
    /// `AWS_ENDPOINT_URL` or AWS itself.
    pub endpoint: Option<String>,
}

impl ObjectStorageConfig {
    fn store(&self, bucket: &str) -> Result<impl ObjectStore, String> {
        self.store_with(bucket, None)
    }

    /// The store of a bucket; objects it writes are encrypted server-side with `sse_kms_key`
    /// (SSE-KMS) when given.
    fn store_with(&self, bucket: &str, sse_kms_key: Option<&str>) -> Result<impl ObjectStore, String> {
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(key) = sse_kms_key {
            b = b.with_sse_kms_encryption(key);
        }
        if let Some(endpoint) = &self.endpoint {
            b = b.with_endpoint(endpoint);
        }
        let endpoint = self.endpoint.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        if let Some(endpoint) = endpoint {
            // Self-hosted stores: path-style requests, plain HTTP allowed.
            b = b.with_endpoint(endpoint).with_allow_http(true).with_virtual_hosted_style_request(false);
        }
        if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
            b = b.with_region("us-east-1");
        }
        b.build().map_err(|e| format!("cannot use object storage for bucket {bucket}: {e}"))
    }

    fn runtime() -> Result<tokio::runtime::Runtime, String> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the object storage client: {e}"))
    }

    /// Downloads the object, or every object under the prefix (a location ending in `/`, or a
    /// key with no object of that name), into `dir`; returns the local files sorted by key.
    pub fn download(&self, location: &str, dir: &Path) -> Result<Vec<PathBuf>, String> {
        use futures::StreamExt;
        let (bucket, key) = split(location)?;
        let store = self.store(&bucket)?;
        let rt = Self::runtime()?;
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        rt.block_on(async {
            let mut keys: Vec<ObjectPath> = Vec::new();
            if !key.is_empty() && !key.ends_with('/') {
                match store.head(&ObjectPath::from(key.as_str())).await {
                    Ok(_) => keys.push(ObjectPath::from(key.as_str())),
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(describe(location, e)),
                }
            }
            if keys.is_empty() {
                let prefix = ObjectPath::from(key.trim_end_matches('/'));
                let mut listing = store.list(if key.is_empty() { None } else { Some(&prefix) });
                while let Some(meta) = listing.next().await {
                    let meta = meta.map_err(|e| describe(location, e))?;
                    let name = meta.location.filename().unwrap_or("");
                    if !name.is_empty() && !name.starts_with('.') {
                        keys.push(meta.location);
                    }
                }
                keys.sort();
            }
            if keys.is_empty() {
                return Err(format!("The location '{location}' does not exist (no object at or under it)."));
            }
            let mut files = Vec::with_capacity(keys.len());
            for (n, k) in keys.iter().enumerate() {
                let bytes = store
                    .get(k)
                    .await
                    .map_err(|e| describe(location, e))?
                    .bytes()
                    .await
                    .map_err(|e| describe(location, e))?;
                let local = dir.join(format!("{n:05}-{}", k.filename().unwrap_or("object")));
                std::fs::write(&local, &bytes).map_err(|e| format!("cannot write {}: {e}", local.display()))?;
                files.push(local);
            }
            Ok(files)
        })
    }

    /// Uploads `files` under the folder `location` (each keeps its file name), encrypted by the
    /// store with the KMS key `kms_key_arn` when given (the S3DataConfig's `kmsKeyArn`).
    pub fn upload(&self, files: &[PathBuf], location: &str, kms_key_arn: Option<&str>) -> Result<(), String> {
        let (bucket, key) = split(location)?;
        let store = self.store_with(&bucket, kms_key_arn)?;
        let rt = Self::runtime()?;
        let folder = key.trim_end_matches('/').to_string();
        rt.block_on(async {
            for f in files {
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let target = if folder.is_empty() { name } else { format!("{folder}/{name}") };
                let data = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
                store
                    .put(&ObjectPath::from(target.as_str()), PutPayload::from(data))
                    .await
                    .map_err(|e| describe(&format!("s3://{bucket}/{target}"), e))?;
            }
            Ok(())
        })
    }
}

/// An object-store error as a job's failure reason: the location and the cause.
fn describe(location: &str, e: object_store::Error) -> String {
    match e {
        object_store::Error::NotFound { .. } => format!("The location '{location}' does not exist."),
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
            format!("Access to '{location}' was denied: {e}")
        }
        other => format!("Cannot access '{location}': {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_split_into_bucket_and_key() {
        assert!(is_object_location("S3://b/k"));
        assert!(!is_object_location("file:///tmp"));
        assert_eq!(split("s3://b/a/k.csv").unwrap(), ("b".into(), "a/k.csv".into()));
        assert_eq!(split("s3://b").unwrap(), ("b".into(), "".into()));
        assert!(split("s3:///k").unwrap_err().contains("names no bucket"));
    }
}
