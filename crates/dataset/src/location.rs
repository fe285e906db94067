//! Resolution of `dataSource.dataLocation` to local files.

use std::path::{Path, PathBuf};

use crate::error::ImportError;

fn percent_decode(s: &str) -> Result<String, ImportError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => {
                    return Err(ImportError::InvalidLocation(format!(
                        "The URL '{s}' contains an invalid percent-escape."
                    )))
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ImportError::InvalidLocation(format!("The URL '{s}' does not decode to UTF-8.")))
}

fn list_dir(dir: &Path, location: &str) -> Result<Vec<PathBuf>, ImportError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ImportError::InvalidLocation(format!("The folder '{}' cannot be read: {e}.", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            ImportError::InvalidLocation(format!("The folder '{}' cannot be read: {e}.", dir.display()))
        })?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // follow symlinks: a link to a regular file counts
        if std::fs::metadata(&path).map(|m| m.is_file()).unwrap_or(false) {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if files.is_empty() {
        return Err(ImportError::InvalidLocation(format!("The folder '{location}' contains no data files.")));
    }
    Ok(files)
}

/// Resolves a data location to the list of files to import.
///
/// Accepts a plain local path or a `file://` URL (`file:///abs/path`,
/// `file://localhost/abs/path`). A path ending in `/`, or naming a
/// directory, means every regular, non-hidden file directly inside it,
/// sorted by name. URLs of other schemes (`s3://`, which the service reads
/// through object storage before this, `http://`, `https://`) are rejected.
pub fn resolve_data_location(location: &str) -> Result<Vec<PathBuf>, ImportError> {
    let (path_str, trimmed) = local_path_of(location)?;
    let path = PathBuf::from(&path_str);
    let meta = std::fs::metadata(&path);
    match meta {
        Ok(m) if m.is_dir() => list_dir(&path, trimmed),
        Ok(m) if m.is_file() => {
            if path_str.ends_with('/') {
                Err(ImportError::InvalidLocation(format!("'{trimmed}' ends with '/' but is not a folder.")))
            } else {
                Ok(vec![path])
            }
        }
        Ok(_) => Err(ImportError::InvalidLocation(format!("'{trimmed}' is neither a regular file nor a folder."))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(ImportError::InvalidLocation(format!("The file or folder '{trimmed}' does not exist.")))
        }
        Err(e) => Err(ImportError::InvalidLocation(format!("'{trimmed}' cannot be accessed: {e}."))),
    }
}

/// The local folder an output location (a path or `file://` URL) names; it need not exist yet.
pub fn resolve_output_folder(location: &str) -> Result<PathBuf, ImportError> {
    let (path_str, trimmed) = local_path_of(location)?;
    let path = PathBuf::from(&path_str);
    if path.is_file() {
        return Err(ImportError::InvalidLocation(format!(
            "'{trimmed}' is a file; the output location must be a folder."
        )));
    }
    Ok(path)
}

/// The local path a location (a path or `file://` URL) names, as given (not resolved).
pub fn local_path(location: &str) -> Result<PathBuf, ImportError> {
    Ok(PathBuf::from(local_path_of(location)?.0))
}

/// A location as a local path string (and the trimmed location, for messages).
fn local_path_of(location: &str) -> Result<(String, &str), ImportError> {
    let trimmed = location.trim();
    if trimmed.is_empty() {
        return Err(ImportError::InvalidLocation("The data location is empty.".to_string()));
    }
    let lower = trimmed.to_ascii_lowercase();
    if ["s3://", "s3a://", "s3n://", "http://", "https://"].iter().any(|p| lower.starts_with(p)) {
        return Err(ImportError::UnsupportedLocation(trimmed.to_string()));
    }
    let path_str = if lower.starts_with("file://") {
        let rest = &trimmed["file://".len()..];
        let rest = match rest.get(.."localhost".len()) {
            Some(host) if host.eq_ignore_ascii_case("localhost") && rest["localhost".len()..].starts_with('/') => {
                &rest["localhost".len()..]
            }
            _ => rest,
        };
        if !rest.starts_with('/') {
            return Err(ImportError::InvalidLocation(format!(
                "The URL '{trimmed}' must be of the form file:///absolute/path."
            )));
        }
        percent_decode(rest)?
    } else if let Some(idx) = trimmed.find("://") {
        return Err(ImportError::InvalidLocation(format!(
            "The URL scheme '{}' of '{trimmed}' is not supported; use a local path or a file:// URL.",
            &trimmed[..idx]
        )));
    } else {
        trimmed.to_string()
    };
    Ok((path_str, trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_file_plain_and_url() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a b.csv");
        std::fs::write(&f, "x").unwrap();
        let s = f.to_str().unwrap();
        assert_eq!(resolve_data_location(s).unwrap(), vec![f.clone()]);
        assert_eq!(resolve_data_location(&format!("file://{s}")).unwrap(), vec![f.clone()]);
        let encoded = s.replace(' ', "%20");
        assert_eq!(resolve_data_location(&format!("file://{encoded}")).unwrap(), vec![f.clone()]);
        assert_eq!(resolve_data_location(&format!("file://localhost{s}")).unwrap(), vec![f.clone()]);
        let e = resolve_data_location(&format!("{s}/")).unwrap_err().to_string();
        assert!(e.starts_with("Invalid Data location."), "{e}");
    }

    #[test]
    fn folder_lists_sorted_non_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.csv", "a.csv", ".hidden.csv", "c.csv"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub").join("z.csv"), "x").unwrap();
        let d = dir.path().to_str().unwrap();
        let expect: Vec<PathBuf> = ["a.csv", "b.csv", "c.csv"].iter().map(|n| dir.path().join(n)).collect();
        assert_eq!(resolve_data_location(&format!("{d}/")).unwrap(), expect);
        assert_eq!(resolve_data_location(d).unwrap(), expect);
        assert_eq!(resolve_data_location(&format!("file://{d}/")).unwrap(), expect);
    }

    #[test]
    fn empty_folder_and_missing_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".only_hidden"), "x").unwrap();
        let d = format!("{}/", dir.path().display());
        let e = resolve_data_location(&d).unwrap_err().to_string();
        assert!(e.contains("Invalid Data location.") && e.contains("no data files"), "{e}");
        assert!(e.contains(&d), "{e}");
        let missing = format!("{}/nope.csv", dir.path().display());
        let e = resolve_data_location(&missing).unwrap_err().to_string();
        assert!(e.starts_with("Invalid Data location."), "{e}");
        assert!(e.contains(&missing) && e.contains("does not exist"), "{e}");
        assert!(resolve_data_location("").is_err());
        assert!(resolve_data_location("file://relative/x.csv").is_err());
        assert!(resolve_data_location("ftp://host/x.csv").unwrap_err().to_string().contains("'ftp'"));
    }

    #[test]
    fn urls_are_not_local_paths() {
        for loc in ["s3://bucket/key.csv", "S3://bucket/", "http://x/y.csv", "https://x/y.csv"] {
            let e = resolve_data_location(loc).unwrap_err();
            assert_eq!(e, ImportError::UnsupportedLocation(loc.to_string()));
            let msg = e.to_string();
            assert!(msg.contains("is not a local path") && msg.contains(loc), "{msg}");
        }
    }
}
