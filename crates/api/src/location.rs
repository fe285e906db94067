//! Data locations (`dataSource.dataLocation`, `jobInput.s3DataSource.path`,
//! `jobOutput.s3DataDestination.path`), parsed once from the caller's string.
//!
//! Every layer classifies a location the same way: object storage (`s3://bucket/key`, the scheme
//! in any case), an `http(s)://` URL (allowed by the model, never read by Reko), a string that
//! starts with one of the model's schemes without being such a URL (`s3:bucket`), or a local path
//! or `file://` URL (resolved by `reko-dataset`). Surrounding whitespace is ignored, as the jobs
//! always did; the text is kept as given for messages.

use std::fmt;

/// A data location, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataLocation {
    /// `s3://bucket/key`.
    S3(S3Location),
    /// `http://` or `https://`: the model allows them, Reko does not read them.
    Http(String),
    /// Starts with one of the model's schemes (`s3:`, `http:`, `https:`) but is none of the URLs
    /// above (`s3:bucket/key`, `http:/x`): request validation holds it to the model's pattern.
    MalformedUrl(String),
    /// A local path or a `file://` URL.
    Local(String),
}

/// Whether `text` starts with `prefix`, ASCII case ignored.
fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

impl DataLocation {
    /// Classifies the location `text` of request member `field`.
    pub fn parse(field: &str, text: &str) -> DataLocation {
        let trimmed = text.trim();
        if let Some(s3) = S3Location::split(field, text, trimmed) {
            return DataLocation::S3(s3);
        }
        if ["http://", "https://"].iter().any(|p| starts_with_ignore_case(trimmed, p)) {
            return DataLocation::Http(text.to_string());
        }
        if ["s3:", "http:", "https:"].iter().any(|p| starts_with_ignore_case(trimmed, p)) {
            return DataLocation::MalformedUrl(text.to_string());
        }
        DataLocation::Local(text.to_string())
    }

    /// The location as given.
    pub fn as_str(&self) -> &str {
        match self {
            DataLocation::S3(s3) => s3.as_str(),
            DataLocation::Http(t) | DataLocation::MalformedUrl(t) | DataLocation::Local(t) => t,
        }
    }

    /// The object-storage location, if it is one.
    pub fn as_s3(&self) -> Option<&S3Location> {
        match self {
            DataLocation::S3(s3) => Some(s3),
            _ => None,
        }
    }

    pub fn is_s3(&self) -> bool {
        self.as_s3().is_some()
    }
}

impl fmt::Display for DataLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `s3://bucket/key` location. The bucket may be empty (`s3:///key`): that is an error only
/// where the object store is used ([`S3Location::bucket_and_key`]), so every other check sees
/// the location first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    field: String,
    text: String,
    bucket: String,
    key: String,
}

impl S3Location {
    /// `s3://bucket/key` exactly (no surrounding whitespace), the scheme in any case; `None` for
    /// anything else. For configuration values, where whitespace is not ignored.
    pub fn parse_exact(field: &str, text: &str) -> Option<S3Location> {
        S3Location::split(field, text, text)
    }

    /// Splits `trimmed` (the part of `text` that counts) into bucket and key.
    fn split(field: &str, text: &str, trimmed: &str) -> Option<S3Location> {
        if !starts_with_ignore_case(trimmed, "s3://") {
            return None;
        }
        let rest = &trimmed["s3://".len()..];
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        Some(S3Location { field: field.to_string(), text: text.to_string(), bucket: bucket.into(), key: key.into() })
    }

    /// The location as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The bucket, possibly empty.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key: empty for the whole bucket, ending in `/` for a folder.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Bucket and key, for the object store: the bucket must not be empty.
    pub fn bucket_and_key(&self) -> Result<(&str, &str), DataLocationError> {
        if self.bucket.is_empty() {
            return Err(DataLocationError::NoBucket { field: self.field.clone(), value: self.text.clone() });
        }
        Ok((&self.bucket, &self.key))
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A data location that cannot be used; it names the request member and the value. (The message
/// is the one jobs have always failed with.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataLocationError {
    #[error("The location '{value}' names no bucket (expected s3://bucket/key).")]
    NoBucket { field: String, value: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> DataLocation {
        DataLocation::parse("f", text)
    }

    #[test]
    fn locations_are_classified_once() {
        let s3 = parse(" S3://b/a/k.csv ");
        let s3 = s3.as_s3().expect("s3");
        assert_eq!((s3.bucket(), s3.key(), s3.as_str()), ("b", "a/k.csv", " S3://b/a/k.csv "));
        assert_eq!(parse("s3://b").as_s3().unwrap().bucket_and_key().unwrap(), ("b", ""));
        let err = parse("s3:///k").as_s3().unwrap().bucket_and_key().unwrap_err();
        assert_eq!(err, DataLocationError::NoBucket { field: "f".into(), value: "s3:///k".into() });
        assert_eq!(err.to_string(), "The location 's3:///k' names no bucket (expected s3://bucket/key).");
        assert!(matches!(parse("HTTPS://x/y"), DataLocation::Http(_)));
        assert!(matches!(parse("http://x/y"), DataLocation::Http(_)));
        for malformed in ["s3:b/k", "http:/x", "https:x", "S3:/b"] {
            assert!(matches!(parse(malformed), DataLocation::MalformedUrl(_)), "{malformed}");
        }
        for local in ["file:///tmp/x.csv", "/data/x.csv", "data/", "s3a://b/k", "C:\\data"] {
            assert_eq!(parse(local), DataLocation::Local(local.into()), "{local}");
        }
        assert!(S3Location::parse_exact("allowed", " s3://b/").is_none(), "configuration is exact");
        assert_eq!(S3Location::parse_exact("allowed", "s3://b/ ").unwrap().key(), " ");
    }
}
