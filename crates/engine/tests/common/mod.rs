//! MovieLens 100K for the engine's quality tests.

use std::path::PathBuf;

/// The folder `REKO_ML100K_DIR` names (`.ci/run` points it at the MovieLens copy beside the
/// repository; the data set is never committed). `None`, after saying the test skipped, when it is not set or holds no
/// `u.data`.
pub fn ml100k_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("REKO_ML100K_DIR").map(PathBuf::from) {
        Some(dir) if dir.join("u.data").is_file() => Some(dir),
        Some(dir) => {
            println!("SKIPPED {test}: REKO_ML100K_DIR={} holds no MovieLens 100K u.data", dir.display());
            None
        }
        None => {
            println!("SKIPPED {test}: set REKO_ML100K_DIR to a MovieLens 100K folder (.ci/run does)");
            None
        }
    }
}
