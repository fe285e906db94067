//! Model artifacts: immutable, versioned, checksummed files.
//!
//! File layout (all integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `REKOMODL` |
//! | 4 | container version ([`CONTAINER_VERSION`]) |
//! | 4 | payload format version (recipe-specific, [`ModelArtifact::format_version`]) |
//! | 4 | recipe name length `r` |
//! | r | recipe name (UTF-8) |
//! | 8 | payload length `p` |
//! | p | payload |
//! | 32 | SHA-256 of every preceding byte |
//!
//! The SHA-256 trailer is also what [`ModelArtifact::write_to`] returns (hex), so a caller can
//! record it and later check it with [`ModelArtifact::read_from_verified`].
//!
//! This module is a container only: it knows no recipe. Whether this build can load an
//! artifact's recipe and payload format is [`crate::registry::check_artifact`].

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::error::EngineError;

/// Magic bytes opening every artifact file.
pub const MAGIC: &[u8; 8] = b"REKOMODL";
/// Version of the container layout above.
pub const CONTAINER_VERSION: u32 = 1;
const MAX_RECIPE_NAME: usize = 256;
const CHECKSUM_LEN: usize = 32;

/// A trained model, as produced by a recipe and stored on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelArtifact {
    /// Recipe name, e.g. `aws-popularity-count`.
    pub recipe: String,
    /// Version of the recipe's payload encoding.
    pub format_version: u32,
    /// Recipe-specific payload.
    pub payload: Vec<u8>,
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written,
/// fsynced and renamed over `path` (then the directory is fsynced on Unix), so a reader sees the
/// old file or the new one, never a part.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        EngineError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("artifact path {} has no file name", path.display()),
        ))
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(EngineError::Io(e));
    }
    Ok(())
}

impl ModelArtifact {
    /// The complete file contents (header, payload, checksum trailer) and the checksum.
    pub fn encode(&self) -> (Vec<u8>, String) {
        let name = self.recipe.as_bytes();
        let mut buf = Vec::with_capacity(8 + 4 + 4 + 4 + name.len() + 8 + self.payload.len() + CHECKSUM_LEN);
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&CONTAINER_VERSION.to_le_bytes());
        buf.extend_from_slice(&self.format_version.to_le_bytes());
        buf.extend_from_slice(&(name.len() as u32).to_le_bytes());
        buf.extend_from_slice(name);
        buf.extend_from_slice(&(self.payload.len() as u64).to_le_bytes());
        buf.extend_from_slice(&self.payload);
        let digest = Sha256::digest(&buf);
        buf.extend_from_slice(&digest);
        (buf, hex::encode(digest))
    }

    /// Write the artifact atomically (see [`write_file_atomically`]). Returns the SHA-256 checksum
    /// (lower-case hex) stored in the trailer.
    pub fn write_to(&self, path: &Path) -> Result<String, EngineError> {
        let (bytes, checksum) = self.encode();
        write_file_atomically(path, &bytes)?;
        Ok(checksum)
    }

    /// Read and verify an artifact container: magic, container version, recipe name (UTF-8),
    /// payload length and SHA-256 checksum. Any mismatch is [`EngineError::CorruptArtifact`]
    /// naming the path. Whether this build knows the recipe and its payload format version is
    /// the registry's question ([`crate::read_artifact`] asks both).
    pub fn read_from(path: &Path) -> Result<ModelArtifact, EngineError> {
        let bytes = fs::read(path)?;
        Self::decode(&bytes).map_err(|what| EngineError::CorruptArtifact(format!("{}: {what}", path.display())))
    }

    /// [`Self::read_from`], additionally checking the checksum against the one returned by
    /// [`Self::write_to`] when the artifact was written.
    pub fn read_from_verified(path: &Path, expected_sha256_hex: &str) -> Result<ModelArtifact, EngineError> {
        let bytes = fs::read(path)?;
        Self::decode_verified(&bytes, Some(expected_sha256_hex))
            .map_err(|what| EngineError::CorruptArtifact(format!("{}: {what}", path.display())))
    }

    /// [`Self::decode`], first checking the trailer against the expected checksum when given.
    pub fn decode_verified(bytes: &[u8], expected_sha256_hex: Option<&str>) -> Result<ModelArtifact, String> {
        if let Some(expected) = expected_sha256_hex {
            if bytes.len() >= CHECKSUM_LEN {
                let actual = hex::encode(&bytes[bytes.len() - CHECKSUM_LEN..]);
                if !actual.eq_ignore_ascii_case(expected) {
                    return Err(format!("checksum {actual} differs from the expected {expected}"));
                }
            }
        }
        Self::decode(bytes)
    }

    /// Decode and verify file contents; the error says what failed.
    pub fn decode(bytes: &[u8]) -> Result<ModelArtifact, String> {
        let min = 8 + 4 + 4 + 4 + 8 + CHECKSUM_LEN;
        if bytes.len() < min {
            return Err(format!("file too short ({} bytes, at least {min} expected)", bytes.len()));
        }
        if &bytes[..8] != MAGIC {
            return Err("bad magic bytes (not a REKOMODL file)".into());
        }
        let (body, trailer) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        let u32_at = |o: usize| u32::from_le_bytes(body[o..o + 4].try_into().unwrap());
        let container = u32_at(8);
        if container != CONTAINER_VERSION {
            return Err(format!("unsupported container version {container} (expected {CONTAINER_VERSION})"));
        }
        let format_version = u32_at(12);
        let name_len = u32_at(16) as usize;
        if name_len == 0 || name_len > MAX_RECIPE_NAME || 20 + name_len + 8 > body.len() {
            return Err(format!("invalid recipe name length {name_len}"));
        }
        let recipe = std::str::from_utf8(&body[20..20 + name_len])
            .map_err(|_| "recipe name is not valid UTF-8".to_string())?
            .to_string();
        let po = 20 + name_len;
        let payload_len = u64::from_le_bytes(body[po..po + 8].try_into().unwrap());
        let actual_len = (body.len() - po - 8) as u64;
        if payload_len != actual_len {
            return Err(format!(
                "payload length {payload_len} in header but {actual_len} bytes present (truncated or extended file)"
            ));
        }
        let digest = Sha256::digest(body);
        if digest.as_slice() != trailer {
            return Err(format!(
                "SHA-256 checksum mismatch (stored {}, computed {})",
                hex::encode(trailer),
                hex::encode(digest)
            ));
        }
        Ok(ModelArtifact { recipe, format_version, payload: body[po + 8..].to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_artifact as sample;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.bin");
        let a = sample();
        let sum = a.write_to(&p).unwrap();
        assert_eq!(sum.len(), 64);
        let back = ModelArtifact::read_from(&p).unwrap();
        assert_eq!(back, a);
        assert_eq!(ModelArtifact::read_from_verified(&p, &sum).unwrap(), a);
        assert!(matches!(ModelArtifact::read_from_verified(&p, &"0".repeat(64)), Err(EngineError::CorruptArtifact(_))));
        // Overwrite is atomic and leaves no temp files behind.
        a.write_to(&p).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn every_flipped_byte_and_truncation_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m");
        let (bytes, _) = sample().encode();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            fs::write(&p, &b).unwrap();
            match ModelArtifact::read_from(&p) {
                Err(EngineError::CorruptArtifact(m)) => assert!(m.contains("/m")),
                other => panic!("byte {i}: {other:?}"),
            }
        }
        for n in 0..bytes.len() {
            fs::write(&p, &bytes[..n]).unwrap();
            assert!(matches!(ModelArtifact::read_from(&p), Err(EngineError::CorruptArtifact(_))), "truncated to {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        fs::write(&p, &longer).unwrap();
        assert!(matches!(ModelArtifact::read_from(&p), Err(EngineError::CorruptArtifact(_))));
    }

    #[test]
    fn missing_file_is_io() {
        assert!(matches!(ModelArtifact::read_from(Path::new("/nonexistent/reko/model")), Err(EngineError::Io(_))));
    }
}
