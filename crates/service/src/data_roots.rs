//! Local data locations: where jobs may read and write local files.
//!
//! At creation, `http(s)://` is refused and a local location must resolve inside the operator's
//! allowed roots and outside the server's own files (its data directory, its configuration file
//! and key material): otherwise the request gets an InvalidInputException naming the field,
//! before any job exists. A server without allowed roots refuses every local location.
//!
//! Resolution follows the file system, not the text: the longest prefix of the path that exists
//! is canonicalised first (symbolic links and `..` as the OS would follow them), and a `..` in the
//! part that does not exist yet is refused, as is a symbolic link that leads nowhere. So the
//! check agrees with what opening the path reaches.
//!
//! At run time the job checks again (a link may have been swapped in since the request), and
//! every file it touches goes through [`Places::open`]: the canonical path is opened with
//! `O_NOFOLLOW`, then the opened file itself is verified — its (device, inode) must be what the
//! canonical path names now, and that path's folder must still resolve inside the allowed roots
//! and outside the server's own files. A location that fails fails its job, with a failure
//! reason naming it; nothing is read or written there.

use std::fs::{File, OpenOptions};
use std::path::{Component, Path, PathBuf};

use reko_api::{ApiError, DataLocation};

use crate::error::{ServiceError, ServiceResult};
use crate::Reko;

/// Why a local path may not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The server allows no local data folder at all.
    NoRoots,
    /// Outside every allowed data folder.
    Outside,
    /// The server's own file or folder.
    Own,
    /// `..` after a part that does not exist: the OS would not follow it, the check cannot.
    ParentOfMissing,
    /// A symbolic link that cannot be followed (dangling, looping or unreadable).
    BrokenLink,
    /// What was opened is not what the path names now: something was swapped in.
    Changed,
    /// Not a regular file.
    NotAFile,
}

impl Refusal {
    /// The reason, as the end of a sentence whose subject is the location.
    fn explain(self, places: &Places) -> String {
        match self {
            Refusal::NoRoots if places.per_key => {
                "is a local path, but this access key has no local data folder; the operator grants folders per key \
                 with data_roots = [...] in the key's [[access_keys]] table (s3:// locations go through the key's \
                 s3_roles)"
                    .to_string()
            }
            Refusal::Outside if places.per_key => format!(
                "is outside the data folders this access key may use ({}); the operator grants folders per key with \
                 data_roots in the key's [[access_keys]] table",
                places.shown_roots.join(", ")
            ),
            Refusal::NoRoots => "is a local path, but this server allows no local data folder; the operator allows \
                                 one with --allowed-data-root PATH (or allowed_data_roots in reko.toml); s3:// \
                                 locations need none"
                .to_string(),
            Refusal::Outside => format!(
                "is outside the data folders this server may use ({}); the operator allows more with \
                 --allowed-data-root",
                places.shown_roots.join(", ")
            ),
            Refusal::Own => {
                "is the server's own file or folder (its data directory or configuration), which is never a data \
                 location"
                    .to_string()
            }
            Refusal::ParentOfMissing => {
                "goes up with '..' from a folder that does not exist, so where it leads cannot be checked".to_string()
            }
            Refusal::BrokenLink => "passes through a symbolic link that cannot be followed".to_string(),
            Refusal::Changed => {
                "changed while it was being opened (a symbolic link or another file was put in its place)".to_string()
            }
            Refusal::NotAFile => "is not a regular file".to_string(),
        }
    }
}

/// Why a job cannot use a local file or folder when it runs; the message is its failure reason.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlaceError {
    /// The location (of request member `field`) is refused now; `why` explains the refusal.
    #[error("The data location '{location}' ({field}) {why}; the job did not use it.")]
    LocationRefused { location: String, field: String, why: String },
    /// A file of the job is refused now; `why` explains the refusal.
    #[error("The file '{}' {why}.", path.display())]
    FileRefused { path: PathBuf, why: String },
    #[error("cannot {action} {}: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("cannot create the output folder {}: {source}", folder.display())]
    OutputFolder { folder: PathBuf, source: std::io::Error },
    /// The location names no usable file or folder (reko-dataset's reason).
    #[error(transparent)]
    Location(#[from] reko_dataset::ImportError),
}

impl PlaceError {
    /// An I/O error on `path` as a job's reason (`cannot read …: …`), for `map_err`.
    pub(crate) fn io<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> PlaceError + 'a {
        move |source| PlaceError::Io { action, path: path.to_path_buf(), source }
    }
}

#[derive(Debug)]
pub(crate) enum OpenError {
    Refused(Refusal),
    Io(std::io::Error),
}

impl From<Refusal> for OpenError {
    fn from(r: Refusal) -> Self {
        OpenError::Refused(r)
    }
}

impl From<std::io::Error> for OpenError {
    fn from(e: std::io::Error) -> Self {
        OpenError::Io(e)
    }
}

/// Reading or writing a data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataAccess {
    /// An existing regular file, read.
    Read,
    /// A file created when missing, truncated only once it is verified.
    Write,
}

/// `path` made absolute (against the working directory), then resolved through the file system:
/// the longest prefix that exists is canonicalised (symbolic links and `..` as the OS follows
/// them); the rest, which does not exist, is appended and may hold no `..`.
fn resolved(path: &Path) -> Result<PathBuf, Refusal> {
    let absolute =
        if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let parts: Vec<Component<'_>> = absolute.components().collect();
    for k in (1..=parts.len()).rev() {
        let prefix: PathBuf = parts[..k].iter().collect();
        let Ok(mut out) = prefix.canonicalize() else { continue };
        let rest = &parts[k..];
        // The next part exists but does not resolve: a dangling or looping link.
        if let Some(Component::Normal(next)) = rest.first() {
            if std::fs::symlink_metadata(out.join(next)).is_ok() {
                return Err(Refusal::BrokenLink);
            }
        }
        for part in rest {
            match part {
                Component::Normal(name) => out.push(name),
                Component::CurDir => {}
                _ => return Err(Refusal::ParentOfMissing),
            }
        }
        return Ok(out);
    }
    // Not even the file system root resolves.
    Err(Refusal::BrokenLink)
}

/// The places a server's jobs may and may not use, resolved.
pub(crate) struct Places {
    /// Canonical allowed roots; `None` allows any path (embedding applications).
    roots: Option<Vec<PathBuf>>,
    /// The roots as configured, for messages.
    shown_roots: Vec<String>,
    /// The server's own files and folders (everything under a folder is own too).
    own: Vec<PathBuf>,
    /// The roots are an access key's `data_roots`, not the server's (for messages).
    per_key: bool,
}

impl Places {
    pub(crate) fn new<'a>(roots: Option<&[PathBuf]>, own: impl IntoIterator<Item = &'a Path>) -> Places {
        Places {
            roots: roots.map(|roots| roots.iter().filter_map(|r| resolved(r).ok()).collect()),
            shown_roots: roots.unwrap_or_default().iter().map(|r| r.display().to_string()).collect(),
            own: own
                .into_iter()
                .map(|p| resolved(p).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p)))
                .collect(),
            per_key: false,
        }
    }

    /// These places, with roots that are an access key's own (`data_roots`), as messages say.
    pub(crate) fn per_key(self) -> Places {
        Places { per_key: true, ..self }
    }

    /// Whether the resolved `target` may be used.
    fn judge(&self, target: &Path) -> Result<(), Refusal> {
        if self.own.iter().any(|own| target.starts_with(own)) {
            return Err(Refusal::Own);
        }
        match &self.roots {
            None => Ok(()),
            Some(roots) if roots.is_empty() => Err(Refusal::NoRoots),
            Some(roots) if roots.iter().any(|root| target.starts_with(root)) => Ok(()),
            Some(_) => Err(Refusal::Outside),
        }
    }

    /// `path` resolved, if it may be used.
    pub(crate) fn check(&self, path: &Path) -> Result<PathBuf, Refusal> {
        let target = resolved(path)?;
        self.judge(&target)?;
        Ok(target)
    }

    /// Opens the local file `path` for a job — the one way jobs open local data files (import
    /// inputs, batch inputs and outputs, export outputs): checked, then the canonical path opened
    /// without following a link in its last part, then the opened file verified
    /// ([`Places::recheck`]). A file opened for writing is created when missing and truncated
    /// only after the check.
    pub(crate) fn open(&self, path: &Path, access: DataAccess) -> Result<File, OpenError> {
        let target = self.check(path)?;
        let mut options = OpenOptions::new();
        match access {
            DataAccess::Read => options.read(true),
            DataAccess::Write => options.write(true).create(true),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // No link in the last part; a FIFO put in place of the file cannot block the job
            // (it is refused below as not a regular file).
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let file = options.open(&target).map_err(|e| {
            #[cfg(unix)]
            if e.raw_os_error() == Some(libc::ELOOP) {
                return OpenError::Refused(Refusal::Changed);
            }
            OpenError::Io(e)
        })?;
        self.recheck(&file, &target)?;
        if access == DataAccess::Write {
            file.set_len(0)?;
        }
        Ok(file)
    }

    /// Verifies an opened `file` against the canonical `path` it was opened by: a regular file,
    /// the very file (device and inode) the path names now, in a folder that still resolves
    /// inside the allowed roots and outside the server's own files.
    pub(crate) fn recheck(&self, file: &File, path: &Path) -> Result<(), OpenError> {
        let opened = file.metadata()?;
        if !opened.is_file() {
            return Err(Refusal::NotAFile.into());
        }
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Refusal::NotAFile.into());
        };
        let now = folder.canonicalize().map_err(|_| Refusal::Changed)?.join(name);
        self.judge(&now)?;
        let current = std::fs::symlink_metadata(&now).map_err(|_| Refusal::Changed)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if (current.dev(), current.ino()) != (opened.dev(), opened.ino()) {
                return Err(Refusal::Changed.into());
            }
        }
        #[cfg(not(unix))]
        if !current.is_file() {
            return Err(Refusal::Changed.into());
        }
        Ok(())
    }

    /// The local output folder `path`, created when missing; its canonical path once it is
    /// checked again after the creation.
    pub(crate) fn output_folder(&self, path: &Path) -> Result<PathBuf, OpenError> {
        let target = self.check(path)?;
        std::fs::create_dir_all(&target)?;
        let canonical = target.canonicalize()?;
        self.judge(&canonical)?;
        Ok(canonical)
    }

    /// An open failure as a job's failure reason, naming the file.
    fn describe(&self, path: &Path, access: DataAccess, e: OpenError) -> PlaceError {
        let path = path.to_path_buf();
        match e {
            OpenError::Refused(r) => PlaceError::FileRefused { path, why: r.explain(self) },
            OpenError::Io(source) => {
                let action = if access == DataAccess::Read { "read" } else { "write" };
                PlaceError::Io { action, path, source }
            }
        }
    }

    /// [`Places::open`] with the failure as a job's failure reason.
    pub(crate) fn open_or_reason(&self, path: &Path, access: DataAccess) -> Result<File, PlaceError> {
        self.open(path, access).map_err(|e| self.describe(path, access, e))
    }

    /// Moves the finished file `from` (opened as `file`) to `to` in the same checked folder, then
    /// verifies that `to` is that file, still inside the roots.
    pub(crate) fn rename(&self, file: &File, from: &Path, to: &Path) -> Result<(), PlaceError> {
        std::fs::rename(from, to).map_err(PlaceError::io("write", to))?;
        self.recheck(file, to).map_err(|e| self.describe(to, DataAccess::Write, e))
    }

    /// Finishes an output written under a temporary name: synced, then moved to `to` (the
    /// reader of `to` sees the whole file or none). `None` places: a scratch file of the server.
    pub(crate) fn finish_output(
        places: Option<&Places>,
        mut partial: PartialFile,
        file: &File,
        to: &Path,
    ) -> Result<(), PlaceError> {
        file.sync_all().map_err(PlaceError::io("write", &partial.0))?;
        match places {
            Some(places) => places.rename(file, &partial.0, to)?,
            None => std::fs::rename(&partial.0, to).map_err(PlaceError::io("write", to))?,
        }
        partial.0 = PathBuf::new();
        Ok(())
    }

    /// Checks a local location again when its job runs; the failure reason names it.
    fn recheck_location(&self, location: &str, field: &str) -> Result<(), PlaceError> {
        let Ok(path) = reko_dataset::local_path(location) else { return Ok(()) };
        self.check(&path).map(|_| ()).map_err(|r| self.refused(location, field, r))
    }

    fn refused(&self, location: &str, field: &str, r: Refusal) -> PlaceError {
        PlaceError::LocationRefused { location: location.to_string(), field: field.to_string(), why: r.explain(self) }
    }

    /// The files of the local input `location` (a file, or every file of a folder), once the
    /// location is checked again; each is still opened with [`Places::open`].
    pub(crate) fn input_files(&self, location: &str, field: &str) -> Result<Vec<PathBuf>, PlaceError> {
        self.recheck_location(location, field)?;
        Ok(reko_dataset::resolve_data_location(location)?)
    }

    /// The local output folder of `location`, checked again, created and checked once more.
    pub(crate) fn output_location(&self, location: &str, field: &str) -> Result<PathBuf, PlaceError> {
        self.recheck_location(location, field)?;
        let folder = reko_dataset::resolve_output_folder(location)?;
        self.output_folder(&folder).map_err(|e| match e {
            OpenError::Refused(r) => self.refused(location, field, r),
            OpenError::Io(source) => PlaceError::OutputFolder { folder: folder.clone(), source },
        })
    }
}

impl Reko {
    /// Where a job may use local files: inside `key_roots` (an access key's `data_roots`), or
    /// inside the server's configured roots when `None`; never the data directory or the
    /// server's own files.
    pub(crate) fn places_in(&self, key_roots: Option<&[PathBuf]>) -> Places {
        let config = self.config();
        let own = std::iter::once(config.data_dir.as_path())
            .chain(config.server_files.iter().map(PathBuf::as_path))
            .chain(config.artifact_store.folder());
        match key_roots {
            Some(roots) => Places::new(Some(roots), own).per_key(),
            None => Places::new(config.allowed_data_roots.as_deref(), own),
        }
    }

    /// Refuses an `http(s)://` `location` (of request field `field`), and a local one outside
    /// `places` or among the server's own files; object storage locations pass unless they overlap
    /// the artifact store.
    pub(crate) fn check_data_location(
        &self,
        places: &Places,
        location: &DataLocation,
        field: &str,
    ) -> ServiceResult<()> {
        match location {
            DataLocation::Http(location) => {
                return Err(ApiError::InvalidInput(format!(
                    "Value '{location}' at '{field}': http(s):// locations are not supported; use s3://bucket/key, \
                     a local path or a file:// URL."
                ))
                .into())
            }
            DataLocation::S3(s3) => return Ok(self.config().artifact_store.refuse_overlap(s3, field)?),
            DataLocation::MalformedUrl(_) | DataLocation::Local(_) => {}
        }
        let location = location.as_str();
        let Ok(path) = reko_dataset::local_path(location) else {
            // Malformed locations get their own error from the job.
            return Ok(());
        };
        match places.check(&path) {
            Ok(_) => Ok(()),
            Err(r) => {
                Err(ApiError::InvalidInput(format!("Value '{location}' at '{field}' {}.", r.explain(places))).into())
            }
        }
    }
}

/// An output being written under a temporary name; removed when dropped unless
/// [`Places::finish_output`] moved it to its final name, so a failed job leaves no partial file.
pub(crate) struct PartialFile(pub(crate) PathBuf);

impl PartialFile {
    /// The temporary name of the output `to`: `<to>.partial`.
    pub(crate) fn of(to: &Path) -> PartialFile {
        let mut name = to.as_os_str().to_owned();
        name.push(".partial");
        PartialFile(PathBuf::from(name))
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// The server's own folders: created owner-only (0700 on unix), and made durable — every folder
/// created is synced, and so is the folder it was created in.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut p = dir;
    while std::fs::symlink_metadata(p).is_err() {
        missing.push(p.to_path_buf());
        match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => p = parent,
            _ => break,
        }
    }
    for d in missing.iter().rev() {
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(d) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => return Err(e),
        }
    }
    for d in &missing {
        sync_dir(d)?;
        match d.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent)?,
            _ => sync_dir(Path::new("."))?,
        }
    }
    Ok(())
}

/// Flushes a folder's entries to disk (a no-op where folders cannot be opened).
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates the data directory (its missing parents as usual, itself owner-only: 0700 on unix,
/// tightened when it exists with more) and its `models/` folder.
pub(crate) fn create_data_dir(data_dir: &Path) -> ServiceResult<()> {
    let fail =
        |e: std::io::Error| ServiceError::Internal(format!("cannot create data directory {}: {e}", data_dir.display()));
    if let Some(parent) = data_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    create_private_dir(data_dir).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data_dir).map_err(fail)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
            tracing::info!(data_dir = %data_dir.display(), "made the data directory owner-only (0700)");
        }
    }
    create_private_dir(&data_dir.join("models")).map_err(fail)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::fs::symlink;

    /// The typed errors read as the text jobs have always failed with.
    #[test]
    fn failure_reasons_are_unchanged() {
        let io = || std::io::Error::other("disk full");
        let refused =
            PlaceError::LocationRefused { location: "/x".into(), field: "f".into(), why: "is outside".into() };
        assert_eq!(refused.to_string(), "The data location '/x' (f) is outside; the job did not use it.");
        let file = PlaceError::FileRefused { path: "/x/a".into(), why: "is outside".into() };
        assert_eq!(file.to_string(), "The file '/x/a' is outside.");
        assert_eq!(PlaceError::io("write", Path::new("/x/a"))(io()).to_string(), "cannot write /x/a: disk full");
        let folder = PlaceError::OutputFolder { folder: "/x".into(), source: io() };
        assert_eq!(folder.to_string(), "cannot create the output folder /x: disk full");
    }

    #[test]
    fn outputs_appear_whole_under_their_name_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("job.csv");
        // A job that fails while writing leaves nothing behind.
        {
            let partial = PartialFile::of(&out);
            std::fs::write(&partial.0, "half a fi").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a failed output left a file");
        // A finished one is moved to its name, and nothing else remains.
        let partial = PartialFile::of(&out);
        std::fs::write(&partial.0, "a,b\n").unwrap();
        let file = std::fs::File::open(&partial.0).unwrap();
        Places::finish_output(None, partial, &file, &out).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "a,b\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// A root with `in/data.csv`, a folder outside it with `secret.csv`, and a data directory
    /// (with its files) inside the root.
    struct Setup {
        _dir: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
        data: PathBuf,
        config: PathBuf,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("in")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("in/data.csv"), "inside").unwrap();
        std::fs::write(outside.join("secret.csv"), "secret").unwrap();
        std::fs::write(outside.join("data.csv"), "outside").unwrap();
        let data = root.join("reko-data");
        create_data_dir(&data).unwrap();
        std::fs::write(data.join("reko.db"), "db").unwrap();
        std::fs::write(data.join("root-access-key.json"), "{}").unwrap();
        let config = root.join("reko.toml");
        std::fs::write(&config, "").unwrap();
        Setup { root, outside, data, config, _dir: dir }
    }

    fn places(s: &Setup) -> Places {
        Places::new(Some(std::slice::from_ref(&s.root)), [s.data.as_path(), s.config.as_path()])
    }

    #[test]
    fn data_roots_resolve_traversal_and_links_through_the_file_system() {
        let s = setup();
        let p = places(&s);
        assert!(p.check(&s.root.join("in/new/file.csv")).is_ok());
        assert!(p.check(&s.root.join("in/data.csv")).is_ok());
        assert_eq!(p.check(&s.root.join("in/../../outside/secret.csv")), Err(Refusal::Outside));
        symlink("/etc", s.root.join("escape")).unwrap();
        assert_eq!(p.check(&s.root.join("escape/passwd")), Err(Refusal::Outside));
        // `link/..` is the parent of the link's target, as the OS follows it, not the root.
        symlink(&s.outside, s.root.join("in/link")).unwrap();
        let dotdot = s.root.join("in/link/../outside/secret.csv");
        assert_eq!(std::fs::read_to_string(&dotdot).unwrap(), "secret", "the OS opens the file outside");
        assert_eq!(p.check(&dotdot), Err(Refusal::Outside));
        // ... also for a file that does not exist yet (an output).
        assert_eq!(p.check(&s.root.join("in/link/../outside/new.csv")), Err(Refusal::Outside));
        // `..` after a missing folder cannot be checked.
        assert_eq!(p.check(&s.root.join("in/missing/../data.csv")), Err(Refusal::ParentOfMissing));
        // A dangling link (an output through it would be created outside).
        symlink(s.outside.join("nowhere"), s.root.join("in/dangling")).unwrap();
        assert_eq!(p.check(&s.root.join("in/dangling")), Err(Refusal::BrokenLink));
        assert_eq!(p.check(&s.root.join("in/dangling/x.csv")), Err(Refusal::BrokenLink));
        // A link that stays inside is fine.
        symlink(s.root.join("in"), s.root.join("alias")).unwrap();
        assert!(p.check(&s.root.join("alias/data.csv")).is_ok());
    }

    #[test]
    fn data_roots_never_include_the_servers_own_files() {
        let s = setup();
        let p = places(&s);
        for own in [
            s.data.clone(),
            s.data.join("reko.db"),
            s.data.join("root-access-key.json"),
            s.data.join("models"),
            s.data.join("models/new-output/"),
            s.root.join("in/../reko-data/reko.db"),
            s.config.clone(),
        ] {
            assert_eq!(p.check(&own), Err(Refusal::Own), "{}", own.display());
        }
        // A link to them is refused the same way.
        symlink(s.data.join("root-access-key.json"), s.root.join("in/key.json")).unwrap();
        assert_eq!(p.check(&s.root.join("in/key.json")), Err(Refusal::Own));
        // Beside them is fine.
        assert!(p.check(&s.root.join("reko-data-exports/x.csv")).is_ok());
        // Without allowed roots, every local location is refused, with the flag to set.
        let none = Places::new(Some(&[]), [s.data.as_path()]);
        assert_eq!(none.check(&s.root.join("in/data.csv")), Err(Refusal::NoRoots));
        assert!(Refusal::NoRoots.explain(&none).contains("--allowed-data-root"));
        // Unrestricted (embedding applications): still never the data directory.
        let any = Places::new(None, [s.data.as_path()]);
        assert!(any.check(&s.outside.join("secret.csv")).is_ok());
        assert_eq!(any.check(&s.data.join("reko.db")), Err(Refusal::Own));
        // The message shows no server folder.
        let m = Refusal::Own.explain(&p);
        assert!(!m.contains(s.data.to_str().unwrap()) && !m.contains("reko-data"), "{m}");
    }

    #[test]
    fn data_roots_open_verifies_the_opened_file() {
        let s = setup();
        let p = places(&s);
        let mut text = String::new();
        p.open(&s.root.join("in/data.csv"), DataAccess::Read).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "inside");
        // Links inside the roots are followed (the canonical path is opened).
        symlink(s.root.join("in/data.csv"), s.root.join("in/alias.csv")).unwrap();
        assert!(p.open(&s.root.join("in/alias.csv"), DataAccess::Read).is_ok());
        // ... links out are not.
        symlink(s.outside.join("secret.csv"), s.root.join("in/out.csv")).unwrap();
        assert!(matches!(
            p.open(&s.root.join("in/out.csv"), DataAccess::Read),
            Err(OpenError::Refused(Refusal::Outside))
        ));

        // The folder swapped for a link out after the file was opened: the re-check refuses.
        let target = p.check(&s.root.join("in/data.csv")).unwrap();
        let file = File::open(&target).unwrap();
        p.recheck(&file, &target).unwrap();
        std::fs::rename(s.root.join("in"), s.root.join("in.old")).unwrap();
        symlink(&s.outside, s.root.join("in")).unwrap();
        assert!(matches!(p.recheck(&file, &target), Err(OpenError::Refused(Refusal::Outside))));
        // The file opened is not the one the path names now (same folder, another file).
        std::fs::remove_file(s.root.join("in")).unwrap();
        std::fs::rename(s.root.join("in.old"), s.root.join("in")).unwrap();
        std::fs::rename(&target, s.root.join("in/moved.csv")).unwrap();
        std::fs::write(&target, "replaced").unwrap();
        assert!(matches!(p.recheck(&file, &target), Err(OpenError::Refused(Refusal::Changed))));
        // The checked name swapped for a link before the open: O_NOFOLLOW refuses it.
        std::fs::remove_file(&target).unwrap();
        symlink(s.outside.join("secret.csv"), &target).unwrap();
        let mut options = OpenOptions::new();
        std::os::unix::fs::OpenOptionsExt::custom_flags(options.read(true), libc::O_NOFOLLOW);
        assert_eq!(options.open(&target).unwrap_err().raw_os_error(), Some(libc::ELOOP));
        // A folder swapped into the data directory after the check of an output.
        let out = p.output_folder(&s.root.join("exports")).unwrap();
        let mut f = p.open(&out.join("a.csv"), DataAccess::Write).unwrap();
        f.write_all(b"x").unwrap();
        std::fs::rename(s.root.join("exports"), s.root.join("exports.old")).unwrap();
        symlink(&s.data, s.root.join("exports")).unwrap();
        std::fs::write(s.data.join("a.csv"), "").unwrap();
        assert!(matches!(p.open(&out.join("a.csv"), DataAccess::Write), Err(OpenError::Refused(Refusal::Own))));
        // Not a regular file.
        assert!(matches!(p.open(&s.root, DataAccess::Read), Err(OpenError::Refused(Refusal::NotAFile))));
    }

    #[test]
    fn data_roots_data_dir_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_data_dir(&data).unwrap();
        assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700);
        create_data_dir(&dir.path().join("fresh/data")).unwrap();
        assert_eq!(std::fs::metadata(dir.path().join("fresh/data")).unwrap().permissions().mode() & 0o777, 0o700);
        assert!(dir.path().join("fresh/data/models").is_dir());
    }
}
