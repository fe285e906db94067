//! `s3://bucket/key` data locations on any S3-compatible store, through `object_store`.
//!
//! Jobs work on local files, so an S3 input is first downloaded into a temporary folder of the
//! data directory and an S3 output is written locally and uploaded when complete. Both stream:
//! an object is written to its file as it arrives, a file is uploaded in parts read one at a
//! time, so memory does not depend on the size of an object. The store's
//! endpoint comes from Reko's configuration (`s3_endpoint`, path-style requests, plain HTTP
//! allowed for self-hosted stores) or the standard `AWS_ENDPOINT_URL`; credentials and region
//! from the standard AWS environment variables, or, for a job whose `roleArn` names an
//! `[[s3_roles]]` role, that role's credentials (and endpoint) only (see `job_access`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use reko_api::{DataLocationError, S3Location};

/// Why an object-storage transfer failed; the message is the job's failure reason.
#[derive(Debug, thiserror::Error)]
pub enum ObjectStorageError {
    #[error(transparent)]
    Location(#[from] DataLocationError),
    #[error("cannot use object storage for bucket {bucket}: {source}")]
    Client { bucket: String, source: object_store::Error },
    #[error("cannot start the object storage client: {0}")]
    Runtime(std::io::Error),
    /// A local file or folder of the transfer (`action` says what was done to it).
    #[error("cannot {action} {}: {source}", path.display())]
    Local { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("The location '{0}' does not exist (no object at or under it).")]
    NothingThere(String),
    #[error("The location '{0}' does not exist.")]
    NotFound(String),
    #[error("Access to '{location}' was denied: {source}")]
    Denied { location: String, source: object_store::Error },
    #[error("Cannot access '{location}': {source}")]
    Remote { location: String, source: object_store::Error },
}

impl ObjectStorageError {
    fn local<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ObjectStorageError + 'a {
        move |source| ObjectStorageError::Local { action, path: path.to_path_buf(), source }
    }
}

/// A scratch folder in the data directory, removed when dropped.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    pub(crate) fn new(data_dir: &Path) -> Scratch {
        Scratch(data_dir.join("tmp").join(uuid::Uuid::new_v4().to_string()))
    }

    /// Removes what jobs interrupted by a crash left in the scratch folders (downloads, staged
    /// imports); called at start, before any job runs. Best effort.
    pub(crate) fn clear_all(data_dir: &Path) {
        let Ok(entries) = std::fs::read_dir(data_dir.join("tmp")) else { return };
        for entry in entries.flatten() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where S3 locations are read and written.
#[derive(Debug, Clone, Default)]
pub struct ObjectStorageConfig {
    /// Endpoint of the S3-compatible store (e.g. `http://127.0.0.1:9000`); `None` uses
    /// `AWS_ENDPOINT_URL` or AWS itself.
    pub endpoint: Option<String>,
    /// Credentials used instead of the server's own (the standard AWS variables): an
    /// `[[s3_roles]]` role's, for the jobs that name it.
    pub credentials: Option<S3Credentials>,
}

/// Static credentials for object storage (an `[[s3_roles]]` role's).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Credentials {
    // The secret never reaches a log through a Debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl ObjectStorageConfig {
    /// The same store reached as `role`: its credentials only (nothing of the server's own, not
    /// even a session token) and its endpoint when it names one.
    pub fn as_role(&self, role: &crate::s3_roles::S3Role) -> ObjectStorageConfig {
        ObjectStorageConfig {
            endpoint: role.endpoint.clone().or_else(|| self.endpoint.clone()),
            credentials: Some(S3Credentials {
                access_key_id: role.access_key_id.clone(),
                secret_access_key: role.secret_access_key.clone(),
            }),
        }
    }

    pub(crate) fn store(&self, bucket: &str) -> Result<impl ObjectStore, ObjectStorageError> {
        self.store_with(bucket, None)
    }

    /// The store of a bucket; objects it writes are encrypted server-side with `sse_kms_key`
    /// (SSE-KMS) when given.
    fn store_with(&self, bucket: &str, sse_kms_key: Option<&str>) -> Result<impl ObjectStore, ObjectStorageError> {
        let mut b = match &self.credentials {
            Some(c) => {
                let mut b = AmazonS3Builder::new()
                    .with_access_key_id(&c.access_key_id)
                    .with_secret_access_key(&c.secret_access_key);
                if let Ok(region) = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")) {
                    b = b.with_region(region);
                }
                b
            }
            None => AmazonS3Builder::from_env(),
        }
        .with_bucket_name(bucket);
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
        b.build().map_err(|source| ObjectStorageError::Client { bucket: bucket.to_string(), source })
    }

    pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ObjectStorageError> {
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ObjectStorageError::Runtime)
    }

    /// Downloads the object, or every object under the prefix (a location ending in `/`, or a
    /// key with no object of that name), into `dir`; returns the local files sorted by key.
    pub fn download(&self, s3: &S3Location, dir: &Path) -> Result<Vec<PathBuf>, ObjectStorageError> {
        use futures::StreamExt;
        let location = s3.as_str();
        let (bucket, key) = s3.bucket_and_key()?;
        let store = self.store(bucket)?;
        let rt = Self::runtime()?;
        std::fs::create_dir_all(dir).map_err(ObjectStorageError::local("create", dir))?;
        rt.block_on(async {
            let mut keys: Vec<ObjectPath> = Vec::new();
            if !key.is_empty() && !key.ends_with('/') {
                match store.head(&ObjectPath::from(key)).await {
                    Ok(_) => keys.push(ObjectPath::from(key)),
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
                return Err(ObjectStorageError::NothingThere(location.to_string()));
            }
            let mut files = Vec::with_capacity(keys.len());
            for (n, k) in keys.iter().enumerate() {
                let local = dir.join(format!("{n:05}-{}", k.filename().unwrap_or("object")));
                let written = |e| ObjectStorageError::local("write", &local)(e);
                // Streamed to the file as it arrives: memory does not grow with the object.
                let mut out = std::fs::File::create(&local).map_err(written)?;
                let mut body = store.get(k).await.map_err(|e| describe(location, e))?.into_stream();
                while let Some(piece) = body.next().await {
                    out.write_all(&piece.map_err(|e| describe(location, e))?).map_err(written)?;
                }
                out.flush().map_err(written)?;
                files.push(local);
            }
            Ok(files)
        })
    }

    /// Uploads `files` under the folder `location` (each keeps its file name), encrypted by the
    /// store with the KMS key `kms_key_arn` when given (the S3DataConfig's `kmsKeyArn`). A file
    /// is read in parts of [`UPLOAD_PART_BYTES`]: one PUT when it fits in one, else a multipart
    /// upload with at most [`UPLOAD_PARTS_IN_FLIGHT`] parts in flight, so memory does not grow
    /// with the file.
    pub fn upload(
        &self,
        files: &[PathBuf],
        s3: &S3Location,
        kms_key_arn: Option<&str>,
    ) -> Result<(), ObjectStorageError> {
        let (bucket, key) = s3.bucket_and_key()?;
        let store = self.store_with(bucket, kms_key_arn)?;
        let rt = Self::runtime()?;
        let folder = key.trim_end_matches('/').to_string();
        rt.block_on(async {
            for f in files {
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let target = if folder.is_empty() { name } else { format!("{folder}/{name}") };
                let object = ObjectPath::from(target.as_str());
                let remote = |e: object_store::Error| describe(&format!("s3://{bucket}/{target}"), e);
                let read = |e| ObjectStorageError::local("read", f)(e);
                let mut file = std::fs::File::open(f).map_err(read)?;
                let mut part = read_part(&mut file).map_err(read)?;
                if part.len() < UPLOAD_PART_BYTES {
                    store.put(&object, PutPayload::from(part)).await.map_err(remote)?;
                    continue;
                }
                let mut upload = WriteMultipart::new_with_chunk_size(
                    store.put_multipart(&object).await.map_err(remote)?,
                    UPLOAD_PART_BYTES,
                );
                let sent: Result<(), ObjectStorageError> = async {
                    while !part.is_empty() {
                        upload.wait_for_capacity(UPLOAD_PARTS_IN_FLIGHT).await.map_err(remote)?;
                        upload.put(part.into());
                        part = read_part(&mut file).map_err(read)?;
                    }
                    Ok(())
                }
                .await;
                match sent {
                    Ok(()) => {
                        upload.finish().await.map_err(remote)?;
                    }
                    Err(reason) => {
                        let _ = upload.abort().await;
                        return Err(reason);
                    }
                }
            }
            Ok(())
        })
    }
}

/// Size of the parts outputs are uploaded in (S3 takes parts of 5 MiB to 5 GiB, the last one
/// smaller).
pub const UPLOAD_PART_BYTES: usize = 8 << 20;
/// Parts of one upload in flight at a time.
pub const UPLOAD_PARTS_IN_FLIGHT: usize = 2;

/// The next [`UPLOAD_PART_BYTES`] of `file` (fewer at its end, none after it).
fn read_part(file: &mut std::fs::File) -> std::io::Result<Vec<u8>> {
    let mut part = Vec::with_capacity(UPLOAD_PART_BYTES);
    file.take(UPLOAD_PART_BYTES as u64).read_to_end(&mut part)?;
    Ok(part)
}

/// An object-store error as a job's failure reason: the location and the cause.
pub(crate) fn describe(location: &str, e: object_store::Error) -> ObjectStorageError {
    let location = location.to_string();
    match e {
        object_store::Error::NotFound { .. } => ObjectStorageError::NotFound(location),
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
            ObjectStorageError::Denied { location, source: e }
        }
        source => ObjectStorageError::Remote { location, source },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_left_by_a_crash_is_cleared_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let left = Scratch::new(dir.path());
        std::fs::create_dir_all(&left.0).unwrap();
        std::fs::write(left.0.join("staged-chunks"), b"half an import").unwrap();
        let path = left.0.clone();
        std::mem::forget(left); // a crash: never dropped
        Scratch::clear_all(dir.path());
        assert!(!path.exists());
        assert!(dir.path().join("tmp").exists(), "the folder itself stays");
    }

    /// The typed errors read as the text jobs have always failed with.
    #[test]
    fn failure_reasons_are_unchanged() {
        let io = || std::io::Error::other("disk full");
        let local = ObjectStorageError::local("write", Path::new("/tmp/x"))(io());
        assert_eq!(local.to_string(), "cannot write /tmp/x: disk full");
        assert_eq!(
            ObjectStorageError::NothingThere("s3://b/k".into()).to_string(),
            "The location 's3://b/k' does not exist (no object at or under it)."
        );
        assert_eq!(
            ObjectStorageError::NotFound("s3://b/k".into()).to_string(),
            "The location 's3://b/k' does not exist."
        );
        assert_eq!(ObjectStorageError::Runtime(io()).to_string(), "cannot start the object storage client: disk full");
    }

    #[test]
    fn locations_split_into_bucket_and_key() {
        use reko_api::DataLocation;
        let split = |l: &str| {
            DataLocation::parse("f", l).as_s3().unwrap().bucket_and_key().map(|(b, k)| (b.to_string(), k.to_string()))
        };
        assert!(DataLocation::parse("f", "S3://b/k").is_s3());
        assert!(!DataLocation::parse("f", "file:///tmp").is_s3());
        assert_eq!(split("s3://b/a/k.csv").unwrap(), ("b".into(), "a/k.csv".into()));
        assert_eq!(split("s3://b").unwrap(), ("b".into(), "".into()));
        assert!(split("s3:///k").unwrap_err().to_string().contains("names no bucket"));
    }
}
