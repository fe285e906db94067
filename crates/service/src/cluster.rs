//! Several Reko processes on one database (docs/cluster.md): what each process runs ([`Role`]),
//! the identity its workers claim tasks under, and the heartbeat that keeps their leases.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::error::{ServiceError, ServiceResult};
use crate::Reko;

/// Which parts of Reko a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// The API, the task workers and the scheduler: one process does everything.
    #[default]
    All,
    /// The API only: tasks it enqueues are run by `worker` processes on the same database.
    Api,
    /// Task workers and the scheduler; its listener serves only `/health`, `/ready`, `/metrics`.
    Worker,
}

impl Role {
    pub const NAMES: [&'static str; 3] = ["all", "api", "worker"];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Api => "api",
            Role::Worker => "worker",
        }
    }

    /// `all`, `api` or `worker`; anything else is an error saying what is accepted.
    pub fn parse(value: &str) -> Result<Role, String> {
        match value {
            "all" => Ok(Role::All),
            "api" => Ok(Role::Api),
            "worker" => Ok(Role::Worker),
            _ => Err(format!("must be all, api or worker, got '{value}'")),
        }
    }

    /// Whether the process runs task workers and the scheduler.
    pub fn runs_tasks(self) -> bool {
        self != Role::Api
    }

    /// Whether the process serves the Personalize API (and loads models to serve).
    pub fn serves_api(self) -> bool {
        self != Role::Worker
    }
}

/// How long a claimed task is held without a heartbeat by default.
pub const DEFAULT_TASK_LEASE: Duration = Duration::from_secs(30);
/// The leases accepted, in seconds: at least 2 (the heartbeat renews every third of it), at most
/// an hour (a dead worker's task waits that long).
pub const TASK_LEASE_SECS: std::ops::RangeInclusive<u64> = 2..=3600;

/// Checks the lease range, naming the setting.
pub fn check_task_lease(lease: Duration) -> Result<(), String> {
    let secs = lease.as_secs();
    if !TASK_LEASE_SECS.contains(&secs) || lease.subsec_nanos() != 0 {
        return Err(format!(
            "task lease must be a whole number of seconds from {} to {}, got {:?}",
            TASK_LEASE_SECS.start(),
            TASK_LEASE_SECS.end(),
            lease
        ));
    }
    Ok(())
}

/// The owner this process's workers claim tasks as: unique per process run (host, process id
/// and a random part: a restarted process with a reused pid is another owner).
pub(crate) fn worker_identity() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}:{}:{}", hostname(), std::process::id(), &random[..8])
}

fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            let name = String::from_utf8_lossy(&buf[..end]).into_owned();
            if !name.is_empty() {
                return name;
            }
        }
    }
    "localhost".into()
}

impl Reko {
    /// Refuses settings that cannot work together: a role other than `all` needs the shared
    /// store (on the embedded one no other process would run the tasks or serve the API).
    pub(crate) fn check_cluster_config(config: &crate::ServiceConfig) -> ServiceResult<()> {
        check_task_lease(config.task_lease).map_err(ServiceError::Internal)?;
        if config.role != Role::All && config.database_url.is_none() {
            return Err(ServiceError::Internal(format!(
                "role {} requires a PostgreSQL database (database_url): on the embedded store no other \
                 process would {}",
                config.role.as_str(),
                if config.role == Role::Api { "run the tasks" } else { "serve the API" }
            )));
        }
        Ok(())
    }

    /// The owner this process's workers claim tasks as.
    pub fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    /// Renews the leases of the tasks this process runs every third of the lease, until shutdown.
    pub(crate) fn start_heartbeat(&self) {
        let reko = self.clone();
        let lease = self.config().task_lease;
        let every = lease / 3;
        let handle = std::thread::Builder::new()
            .name("reko-heartbeat".into())
            .spawn(move || {
                let mut last = std::time::Instant::now();
                while !reko.inner.stopping.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100).min(every));
                    if last.elapsed() < every {
                        continue;
                    }
                    last = std::time::Instant::now();
                    if let Err(e) = reko.store().renew_leases(reko.worker_id(), lease) {
                        // Retried at the next beat; past the lease another worker may take over,
                        // and this one's results are then dropped (fenced).
                        tracing::warn!(error = %e, "renewing the task leases failed");
                    }
                }
            })
            .expect("spawning the heartbeat thread");
        self.inner.workers.lock().unwrap_or_else(|p| p.into_inner()).push(handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logs and panics that print the configuration never show the database password.
    #[test]
    fn the_configuration_never_shows_the_database_password() {
        let config = crate::ServiceConfig {
            database_url: Some(crate::DatabaseUrl("postgres://reko:pg-secret-3@db/reko".into())),
            ..Default::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("pg-secret-3") && shown.contains("DatabaseUrl(redacted)"), "{shown}");
    }

    #[test]
    fn roles_and_leases_are_checked() {
        for name in Role::NAMES {
            assert_eq!(Role::parse(name).unwrap().as_str(), name);
        }
        assert!(Role::parse("API").unwrap_err().contains("'API'"));
        assert!(check_task_lease(Duration::from_secs(3)).is_ok());
        for bad in [Duration::from_secs(1), Duration::from_secs(3601), Duration::from_millis(2500)] {
            assert!(check_task_lease(bad).unwrap_err().contains("from 2 to 3600"), "{bad:?}");
        }
        let id = worker_identity();
        assert_eq!(id.split(':').count(), 3, "{id}");
        assert_ne!(id, worker_identity(), "unique per call");
    }
}
