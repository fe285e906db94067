//! The scheduler: work that falls due at a point in time rather than on a request (a solution's
//! automatic training, a recommender's retraining). Each piece of due work is one persisted
//! entry (resource, kind, due time) in the store, so a restart keeps the schedule; a tick runs
//! what is due, each handler telling when its work is due next.
//!
//! Time comes from [`Clock`] (configurable: the system clock, or shifted by a file's offset), so
//! due work can be brought forward without waiting days.

mod clock;
#[cfg(test)]
mod tests;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub use clock::Clock;

use crate::error::ServiceResult;
use crate::Reko;

/// What a schedule entry stands for. Stored as [`DueKind::as_str`] (part of the data
/// directory's format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DueKind {
    /// A solution's automatic training (`performAutoTraining`).
    AutoTraining,
}

impl DueKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DueKind::AutoTraining => "auto-training",
        }
    }

    fn parse(s: &str) -> Option<DueKind> {
        [DueKind::AutoTraining].into_iter().find(|k| k.as_str() == s)
    }
}

/// The first due time of a periodic schedule after `now`, counting periods of `period` seconds
/// from `due`: however many periods were missed (a server that was down), the work runs once and
/// the schedule keeps its phase.
pub(crate) fn next_due(due: f64, period: f64, now: f64) -> f64 {
    // A period that is not positive (or not a number) cannot advance: due again now.
    if period.is_nan() || period <= 0.0 {
        return now;
    }
    let missed = ((now - due) / period).floor().max(0.0);
    let next = due + (missed + 1.0) * period;
    // Rounding may land exactly on `now`: one more period keeps it strictly later.
    if next <= now {
        next + period
    } else {
        next
    }
}

impl Reko {
    /// The scheduler's time (epoch seconds).
    pub(crate) fn clock_now(&self) -> f64 {
        self.config().clock.now()
    }

    /// Sets when `kind` work for `arn` is next due.
    pub(crate) fn schedule_due(&self, arn: &str, kind: DueKind, due_at: f64) -> ServiceResult<()> {
        self.store().set_due(arn, kind.as_str(), due_at)?;
        Ok(())
    }

    pub(crate) fn unschedule(&self, arn: &str, kind: DueKind) -> ServiceResult<()> {
        self.store().clear_due(arn, kind.as_str())?;
        Ok(())
    }

    pub(crate) fn due_time(&self, arn: &str, kind: DueKind) -> ServiceResult<Option<f64>> {
        Ok(self.store().due_at(arn, kind.as_str())?)
    }

    /// One pass of the scheduler: runs every piece of work due by the clock's now, asks for the
    /// recommenders' due retrainings, then lets campaigns that follow their solution's latest
    /// version catch up with it. Returns how many
    /// due entries ran. Passes never overlap.
    pub fn run_scheduler_tick(&self) -> ServiceResult<usize> {
        let _one_at_a_time = self.inner.scheduling.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock_now();
        let due = self.store().due_work(now)?;
        let mut ran = 0;
        for work in due {
            let next = match DueKind::parse(&work.kind) {
                Some(DueKind::AutoTraining) => self.run_auto_training(&work.resource_arn, work.due_at, now),
                None => {
                    // Written by another version of Reko: kept for it, not run.
                    tracing::warn!(kind = %work.kind, resource = %work.resource_arn, "due work of an unknown kind left as is");
                    continue;
                }
            };
            match next {
                Ok(next) => {
                    // Conditional: an UpdateSolution may have rescheduled it meanwhile.
                    self.store().advance_due(&work.resource_arn, &work.kind, work.due_at, next)?;
                    ran += 1;
                }
                // Left due: the next pass tries again.
                Err(e) => tracing::error!(error = %e, kind = %work.kind, resource = %work.resource_arn,
                    "due work failed; it is retried at the next pass"),
            }
        }
        match self.request_due_retrains(now) {
            Ok(0) => {}
            Ok(n) => tracing::info!(recommenders = n, "recommender retrainings requested"),
            Err(e) => tracing::warn!(error = %e, "checking recommenders' retrainings failed"),
        }
        self.sync_latest_campaigns()?;
        Ok(ran)
    }

    /// Runs [`Self::run_scheduler_tick`] every `scheduler_interval` until shutdown (not at all
    /// when the interval is zero).
    pub(crate) fn start_scheduler(&self) {
        let interval = self.config().scheduler_interval;
        if interval.is_zero() {
            return;
        }
        let reko = self.clone();
        let handle = std::thread::Builder::new()
            .name("reko-scheduler".into())
            .spawn(move || {
                let mut last = Instant::now();
                let mut leading = false;
                while !reko.inner.stopping.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100).min(interval));
                    if last.elapsed() < interval {
                        continue;
                    }
                    last = Instant::now();
                    // One process at a time runs the passes; the others ask again each interval
                    // and take over when the holder dies.
                    let lead = reko.store().hold_scheduler_lock().unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "could not tell whether this process runs the scheduler");
                        false
                    });
                    if lead != leading {
                        leading = lead;
                        if lead {
                            tracing::info!(worker = reko.worker_id(), "this process runs the scheduler");
                        } else {
                            tracing::info!("another process runs the scheduler");
                        }
                    }
                    if !lead {
                        continue;
                    }
                    if let Err(e) = reko.run_scheduler_tick() {
                        tracing::error!(error = %e, "scheduler pass failed");
                    }
                }
            })
            .expect("spawning the scheduler thread");
        self.inner.workers.lock().unwrap_or_else(|p| p.into_inner()).push(handle);
    }
}
