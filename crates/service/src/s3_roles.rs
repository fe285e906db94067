//! Roles for object storage: what a job's `roleArn` selects when its data location is `s3://`.
//!
//! The operator declares roles (`[[s3_roles]]` in `reko.toml`): an ARN, the credentials Reko
//! uses for that role's reads and writes, optionally an endpoint, and the `s3://` prefixes the
//! role may touch. A location is under a prefix when its bucket is the prefix's bucket, exactly,
//! and its key starts with the prefix's key, compared literally on `/` boundaries: a prefix names
//! a folder (`s3://shared/tenant-a` is the folder `tenant-a/`, never `tenant-ab/` nor the object
//! `tenant-a` itself). Nothing is normalised; a location whose key has a `.` or `..` segment is
//! never under any prefix.

use reko_api::S3Location;

/// An object-storage role the server may act as (an `[[s3_roles]]` table).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Role {
    /// What a job's `roleArn` names, e.g. `arn:aws:iam::123456789012:role/TenantA`.
    pub arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The role's store, when it is not the server's (`s3_endpoint`).
    pub endpoint: Option<String>,
    /// The `s3://bucket/` or `s3://bucket/folder/` prefixes the role may read and write.
    pub allowed: Vec<String>,
}

impl std::fmt::Debug for S3Role {
    // The secret never reaches a log through a Debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Role")
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("endpoint", &self.endpoint)
            .field("allowed", &self.allowed)
            .finish()
    }
}

/// A role's configuration that cannot be used; the message names the role and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3RoleError {
    #[error("'{0}' is not an s3:// prefix (expected s3://bucket/ or s3://bucket/folder/)")]
    NotAPrefix(String),
    #[error("'{0}' names no bucket (expected s3://bucket/ or s3://bucket/folder/)")]
    NoBucket(String),
    #[error("'{0}' has an empty, '.' or '..' segment; name the folder as it is stored")]
    BadSegment(String),
    #[error("an [[s3_roles]] table has no arn")]
    NoArn,
    #[error("role {0}: access_key_id and secret_access_key must be given")]
    NoCredentials(String),
    #[error("role {0}: allowed lists no s3:// prefix, so the role could reach nothing")]
    NothingAllowed(String),
    /// One of the role's `allowed` prefixes.
    #[error("role {role}: allowed {source}")]
    Allowed { role: String, source: Box<S3RoleError> },
}

/// An allowed prefix: a bucket, and a key prefix that is empty (the whole bucket) or ends in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Prefix {
    bucket: String,
    key: String,
}

/// Whether a key has a segment that some reader could take as "here" or "up".
fn has_dot_segment(key: &str) -> bool {
    key.split('/').any(|s| s == "." || s == "..")
}

impl S3Prefix {
    /// Parses an allowed prefix (`s3://bucket/`, `s3://bucket/folder/`; a folder without its
    /// trailing `/` is the same folder).
    pub fn parse(text: &str) -> Result<S3Prefix, S3RoleError> {
        // Exactly as written: configuration is not trimmed.
        let Some(location) = S3Location::parse_exact("allowed", text) else {
            return Err(S3RoleError::NotAPrefix(text.to_string()));
        };
        let (bucket, key) = (location.bucket(), location.key());
        if bucket.is_empty() {
            return Err(S3RoleError::NoBucket(text.to_string()));
        }
        let key = key.trim_end_matches('/');
        if has_dot_segment(key) || (!key.is_empty() && key.split('/').any(str::is_empty)) {
            return Err(S3RoleError::BadSegment(text.to_string()));
        }
        let key = if key.is_empty() { String::new() } else { format!("{key}/") };
        Ok(S3Prefix { bucket: bucket.to_string(), key })
    }

    /// Whether the `s3://` location lies under this prefix (see the module docs).
    pub fn covers(&self, location: &S3Location) -> bool {
        let (bucket, key) = (location.bucket(), location.key());
        bucket == self.bucket && !has_dot_segment(key) && key.starts_with(&self.key)
    }
}

impl S3Role {
    /// Whether the role may read and write the `s3://` location.
    pub fn allows(&self, location: &S3Location) -> bool {
        self.allowed.iter().filter_map(|p| S3Prefix::parse(p).ok()).any(|p| p.covers(location))
    }

    /// Checks the role's configuration (an ARN, credentials, well-formed prefixes).
    pub fn validate(&self) -> Result<(), S3RoleError> {
        if self.arn.trim().is_empty() {
            return Err(S3RoleError::NoArn);
        }
        if self.access_key_id.is_empty() || self.secret_access_key.is_empty() {
            return Err(S3RoleError::NoCredentials(self.arn.clone()));
        }
        if self.allowed.is_empty() {
            return Err(S3RoleError::NothingAllowed(self.arn.clone()));
        }
        for p in &self.allowed {
            S3Prefix::parse(p).map_err(|e| S3RoleError::Allowed { role: self.arn.clone(), source: Box::new(e) })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `r` allows `location`; a location that is not `s3://` is never allowed.
    fn allows(r: &S3Role, location: &str) -> bool {
        reko_api::DataLocation::parse("f", location).as_s3().is_some_and(|s3| r.allows(s3))
    }

    fn role(allowed: &[&str]) -> S3Role {
        S3Role {
            arn: "arn:aws:iam::123456789012:role/TenantA".into(),
            access_key_id: "AKIATENANTA".into(),
            secret_access_key: "secret-a".into(),
            endpoint: None,
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn s3_prefixes_match_bucket_exactly_and_keys_on_folder_boundaries() {
        let r = role(&["s3://bucket-a/", "s3://shared/tenant-a/"]);
        // Whole bucket.
        for ok in
            ["s3://bucket-a/x.csv", "s3://bucket-a/deep/er/x.csv", "s3://bucket-a/", "s3://bucket-a", "S3://bucket-a/k"]
        {
            assert!(allows(&r, ok), "{ok}");
        }
        // A folder of a shared bucket.
        for ok in ["s3://shared/tenant-a/", "s3://shared/tenant-a/in/x.csv"] {
            assert!(allows(&r, ok), "{ok}");
        }
        for refused in [
            "s3://bucket-ab/x.csv",                   // another bucket with the same start
            "s3://bucket/x.csv",                      // a bucket that is a prefix of the allowed one
            "s3://BUCKET-A/x.csv",                    // buckets compare exactly
            "s3://shared/tenant-ab/x.csv",            // not on a folder boundary
            "s3://shared/tenant-a",                   // the object beside the folder, not in it
            "s3://shared/tenant-b/x.csv",             // the other tenant's folder
            "s3://shared/",                           // the whole shared bucket
            "s3://shared//tenant-a/x.csv",            // an empty segment first: not the folder
            "s3://shared/tenant-a/../tenant-b/x.csv", // no '..' tricks, whatever a store does with them
            "s3://shared/tenant-a/./x.csv",
            "s3://bucket-a/../x",
            "s3://bucket-a@shared/tenant-a/x", // not a bucket of the role
            "file:///srv/bucket-a/x.csv",
            "bucket-a/x.csv",
        ] {
            assert!(!allows(&r, refused), "{refused}");
        }
        // A folder written without its trailing slash is the same folder.
        let r = role(&["s3://shared/tenant-a"]);
        assert!(allows(&r, "s3://shared/tenant-a/x.csv"));
        assert!(!allows(&r, "s3://shared/tenant-ab/x.csv") && !allows(&r, "s3://shared/tenant-a"));
    }

    #[test]
    fn s3_roles_are_validated() {
        assert!(role(&["s3://b/"]).validate().is_ok());
        assert!(role(&[]).validate().unwrap_err().to_string().contains("allowed"));
        for bad in ["b/x", "s3:///x", "s3://b/../x", "s3://b//x/", "https://b/x"] {
            let e = role(&[bad]).validate().unwrap_err().to_string();
            assert!(e.contains("TenantA") && e.contains(bad), "{bad}: {e}");
        }
        let mut r = role(&["s3://b/"]);
        r.secret_access_key.clear();
        assert!(r.validate().is_err());
        assert!(!format!("{:?}", role(&["s3://b/"])).contains("secret-a"), "the secret is redacted");
    }
}
