//! Set up once, share data: a test file's staging (dataset groups, imports, trained campaigns)
//! made by the first of its tests that asks, on a `reko serve` of its own, and shared by the
//! file's other tests, so that each test checks one behaviour and one failing check does not
//! hide the others.
//!
//! Each `#[tokio::test]` has its own runtime, and an SDK client's connections belong to the
//! runtime that opened them; so the setup runs on a thread of its own with a runtime of its own,
//! and what it shares is plain data (ARNs, the server's address, the expected rankings'
//! inputs). Tests make their clients from [`Staged::url`] ([`control_client`],
//! [`runtime_client`], [`events_client`]).
//!
//! The server runs until the test process exits (an `atexit` handler kills it and removes its
//! folder): the suites run interleaved, so a server stopped when no test of the file happens to
//! hold it would be staged again and again. Tests that must restart a server start their own.

use super::*;
use std::sync::{Mutex, Once, OnceLock};

/// A test file's shared staging: `static FIXTURE: Fixture<MyData> = Fixture::new();`, then
/// `FIXTURE.get(setup)` in every test of the file.
pub struct Fixture<T> {
    cell: OnceLock<Result<Staged<T>, String>>,
}

/// What a [`Fixture`]'s setup staged.
pub struct Staged<T> {
    /// The fixture server's address.
    pub url: String,
    /// What the setup returned.
    pub data: T,
}

impl<T> std::ops::Deref for Staged<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: Send + Sync + 'static> Fixture<T> {
    pub const fn new() -> Self {
        Fixture { cell: OnceLock::new() }
    }

    /// The shared staging. The first call starts a server and runs `setup(url, dir)` (`dir`: a
    /// temporary folder the server may read, for the setup's files), on a thread and runtime of
    /// its own; callers meanwhile wait. A failed setup fails every test that asks (the first one
    /// shows the server log).
    pub fn get<F, Fut>(&'static self, setup: F) -> &'static Staged<T>
    where
        F: FnOnce(String, PathBuf) -> Fut + Send,
        Fut: Future<Output = T>,
    {
        let staged = self.cell.get_or_init(|| {
            std::thread::scope(|s| {
                s.spawn(move || {
                    let dir = tempfile::tempdir().unwrap();
                    // Dropped (and its log shown) if the setup panics.
                    let server = Server::start(&dir.path().join("data"));
                    let url = server.url.clone();
                    let runtime = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                        .expect("the fixture's runtime");
                    let data = runtime.block_on(setup(url.clone(), dir.path().to_path_buf()));
                    keep_until_exit(server, dir);
                    Staged { url, data }
                })
                .join()
                .map_err(|payload| {
                    payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "a panic".into())
                })
            })
        });
        match staged {
            Ok(staged) => staged,
            Err(msg) => panic!("the shared fixture's setup failed: {msg}"),
        }
    }
}

impl<T: Send + Sync + 'static> Default for Fixture<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Fixture servers and their folders, stopped and removed at exit (a tuple drops in field order).
static KEPT: Mutex<Vec<(Server, tempfile::TempDir)>> = Mutex::new(Vec::new());

fn keep_until_exit(server: Server, dir: tempfile::TempDir) {
    static REGISTER: Once = Once::new();
    extern "C" {
        fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
    }
    extern "C" fn stop_kept() {
        let kept = std::mem::take(&mut *KEPT.lock().unwrap_or_else(|p| p.into_inner()));
        drop(kept);
    }
    // SAFETY: `stop_kept` is a plain function that does not unwind (nothing in it panics).
    REGISTER.call_once(|| assert_eq!(unsafe { atexit(stop_kept) }, 0, "atexit"));
    KEPT.lock().unwrap_or_else(|p| p.into_inner()).push((server, dir));
}
