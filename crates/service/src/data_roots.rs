//! The one check of a job's data location at creation: `http(s)://` is refused, and local
//! locations are confined to the operator's allowed roots: a location outside them
//! (`file:///etc/passwd`, `../../etc/passwd`, or a symbolic link leading out) is refused with an
//! InvalidInputException naming the field and the roots, before any job is created.

use std::path::{Component, Path, PathBuf};

use crate::error::{ServiceError, ServiceResult};
use crate::object_storage::is_object_location;
use crate::Reko;

/// `path` made absolute (against the working directory) with `.` and `..` resolved lexically,
/// then with its longest existing prefix resolved through the file system (symbolic links).
fn resolved(path: &Path) -> PathBuf {
    let absolute =
        if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let mut lexical = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    // The longest prefix that exists, canonicalised; the rest appended.
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut out = canonical;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.file_name().map(|n| n.to_os_string()), existing.parent().map(Path::to_path_buf)) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent;
            }
            _ => return lexical,
        }
    }
}

impl Reko {
    /// Refuses an `http(s)://` `location` (of request field `field`), and a local one outside the
    /// allowed data roots; object storage locations and unrestricted servers pass.
    pub(crate) fn check_data_location(&self, location: &str, field: &str) -> ServiceResult<()> {
        let lower = location.trim().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Err(ServiceError::Invalid(format!(
                "Value '{location}' at '{field}': http(s):// locations are not supported; use s3://bucket/key, a \
                 local path or a file:// URL."
            )));
        }
        let Some(roots) = &self.config().allowed_data_roots else { return Ok(()) };
        if is_object_location(location) {
            return Ok(());
        }
        let Ok(path) = reko_dataset::local_path(location) else {
            // Malformed locations get their own error from the job.
            return Ok(());
        };
        let target = resolved(&path);
        if roots.iter().any(|root| target.starts_with(resolved(root))) {
            return Ok(());
        }
        let shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        Err(ServiceError::Invalid(format!(
            "Value '{location}' at '{field}' is outside the data folders this server may use ({}); the \
             operator allows more with --allowed-data-root.",
            shown.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_links_are_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("in")).unwrap();
        let r = |p: &Path| resolved(p);
        assert!(r(&root.join("in/new/file.csv")).starts_with(r(&root)));
        assert!(!r(&root.join("in/../../etc/passwd")).starts_with(r(&root)));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", root.join("escape")).unwrap();
            assert!(!r(&root.join("escape/passwd")).starts_with(r(&root)));
        }
    }
}
