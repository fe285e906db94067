//! The PostgreSQL change feed: triggers (migration 0003) `NOTIFY reko_changes` in every
//! transaction that changes a resource or appends records, so the notification is delivered at
//! the commit only. Each process LISTENs on a dedicated connection, and every [`POLL_EVERY`] also
//! asks for the newest record chunk and resource change number: a notification lost (a dropped
//! connection, made again) is then found within that time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use serde::Deserialize;

use super::{error_chain, PgStore};
use crate::{Change, ChangeFeed, ChangeSink, StorageError, StorageResult};

/// The channel the triggers notify on.
pub(crate) const CHANNEL: &str = "reko_changes";
/// The `application_name` of the feed's connection.
pub(crate) const FEED_APPLICATION_NAME: &str = "reko-change-feed";
/// How long the listener waits for a notification before checking whether it should stop.
const WAIT: Duration = Duration::from_millis(250);
/// How often the safety-net poll runs.
const POLL_EVERY: Duration = Duration::from_secs(2);
/// How long a lost connection waits before it is made again.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// Most notifications taken into one batch.
const MAX_BATCH: usize = 4096;

/// A trigger's payload (see the migration).
#[derive(Deserialize)]
struct Payload {
    /// The writing process's origin; `None` for a writer that set none (another tool).
    o: Option<String>,
    /// Records appended to this dataset.
    r: Option<String>,
    /// A resource change: its number, ARN, kind, dataset group and whether it was deleted.
    n: Option<i64>,
    a: Option<String>,
    k: Option<String>,
    g: Option<String>,
    d: Option<bool>,
}

impl ChangeFeed for PgStore {
    fn watch_changes(&self, sink: ChangeSink, stop: Arc<AtomicBool>) -> StorageResult<bool> {
        let mut config = self.config.clone();
        // Tells the feed's connection apart in pg_stat_activity.
        config.application_name(FEED_APPLICATION_NAME);
        let mut listener = Listener {
            config,
            origin: self.origin.clone(),
            sink,
            stop,
            newest_chunk: None,
            told_change: 0,
            behind_since: None,
        };
        std::thread::Builder::new()
            .name("reko-change-feed".into())
            .spawn(move || listener.run())
            .map_err(|e| StorageError::Backend(format!("cannot start the change feed's thread: {e}")))?;
        Ok(true)
    }
}

struct Listener {
    config: postgres::Config,
    origin: String,
    sink: ChangeSink,
    stop: Arc<AtomicBool>,
    /// The newest record chunk the poll saw (`None` before the first connection).
    newest_chunk: Option<i64>,
    /// The newest resource change number a notification (or a resync) accounted for.
    told_change: i64,
    /// The resource change number the poll found ahead of `told_change`, at the previous poll.
    behind_since: Option<i64>,
}

impl Listener {
    fn run(&mut self) {
        while !self.stop.load(Ordering::Relaxed) {
            match self.config.connect(NoTls) {
                Ok(client) => {
                    if let Err(e) = self.listen(client) {
                        tracing::warn!(error = %e, "the change feed's connection failed; reconnecting");
                    }
                }
                Err(e) => tracing::warn!(error = %error_chain(&e), "the change feed cannot connect; retrying"),
            }
            std::thread::sleep(RECONNECT_AFTER);
        }
    }

    /// Listens until the connection fails or the feed stops.
    fn listen(&mut self, mut client: Client) -> StorageResult<()> {
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        // Whatever was committed before LISTEN took effect was not announced to this connection:
        // the resync covers it, and the changes numbered so far count as told.
        self.told_change = self.told_change.max(changes_numbered(&mut client)?);
        self.behind_since = None;
        if self.newest_chunk.is_none() {
            let newest = client.query_one("SELECT COALESCE(MAX(seq), 0) FROM record_chunks", &[])?;
            self.newest_chunk = Some(newest.try_get(0)?);
        }
        (self.sink)(vec![Change::Resync]);
        let mut polled = Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            let mut payloads = Vec::new();
            {
                let mut notifications = client.notifications();
                let first = notifications.timeout_iter(WAIT).next()?;
                if let Some(n) = first {
                    payloads.push(n.payload().to_string());
                    let mut pending = notifications.iter();
                    while payloads.len() < MAX_BATCH {
                        match pending.next()? {
                            Some(n) => payloads.push(n.payload().to_string()),
                            None => break,
                        }
                    }
                }
            }
            if client.is_closed() {
                return Err(StorageError::Backend("the server closed the connection".into()));
            }
            let changes = self.changes_of(&payloads);
            if !changes.is_empty() {
                (self.sink)(changes);
            }
            if polled.elapsed() >= POLL_EVERY {
                self.poll(&mut client)?;
                polled = Instant::now();
            }
        }
        Ok(())
    }

    /// The changes of other processes among `payloads`, without duplicates.
    fn changes_of(&mut self, payloads: &[String]) -> Vec<Change> {
        let mut out: Vec<Change> = Vec::new();
        for text in payloads {
            let Ok(p) = serde_json::from_str::<Payload>(text) else {
                tracing::warn!(payload = %text, "a change notification this version does not read; resyncing");
                push_new(&mut out, Change::Resync);
                continue;
            };
            if let Some(n) = p.n {
                self.told_change = self.told_change.max(n);
            }
            if p.o.as_deref() == Some(self.origin.as_str()) {
                continue; // this process's own change: applied where it was made
            }
            let change = match (p.r, p.a, p.k) {
                (Some(dataset_arn), _, _) => Change::Records { dataset_arn },
                (None, Some(arn), Some(kind)) => {
                    Change::Resource { arn, kind, dataset_group_arn: p.g, deleted: p.d.unwrap_or(false) }
                }
                _ => Change::Resync,
            };
            push_new(&mut out, change);
        }
        out
    }

    /// The safety net: datasets with chunks newer than the previous poll's newest, and a resync
    /// when resource changes were numbered that no notification told of (twice in a row: a
    /// transaction may have taken its number and not committed yet at the first look).
    fn poll(&mut self, client: &mut Client) -> StorageResult<()> {
        let after = self.newest_chunk.unwrap_or_default();
        let rows = client
            .query("SELECT dataset_arn, MAX(seq) FROM record_chunks WHERE seq > $1 GROUP BY dataset_arn", &[&after])?;
        let mut changes = Vec::new();
        let mut newest = self.newest_chunk;
        for row in rows {
            changes.push(Change::Records { dataset_arn: row.try_get(0)? });
            newest = newest.max(Some(row.try_get(1)?));
        }
        self.newest_chunk = newest;
        let numbered = changes_numbered(client)?;
        if numbered > self.told_change {
            if self.behind_since.is_some_and(|before| before > self.told_change) {
                tracing::info!(numbered, told = self.told_change, "resource changes were not announced; resyncing");
                changes.push(Change::Resync);
                self.told_change = numbered;
                self.behind_since = None;
            } else {
                self.behind_since = Some(numbered);
            }
        } else {
            self.behind_since = None;
        }
        if !changes.is_empty() {
            (self.sink)(changes);
        }
        Ok(())
    }
}

/// The newest number the `resource_changes` sequence gave (0: none yet).
fn changes_numbered(client: &mut Client) -> StorageResult<i64> {
    let row = client.query_one("SELECT last_value, is_called FROM resource_changes", &[])?;
    Ok(if row.try_get::<_, bool>(1)? { row.try_get(0)? } else { 0 })
}

fn push_new(out: &mut Vec<Change>, change: Change) {
    if !out.contains(&change) {
        out.push(change);
    }
}
