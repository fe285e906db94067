//! The last hour of a campaign's requests, per minute, in memory: requests, errors and a
//! log-scale latency histogram, for the console's latency percentiles. Bounded (60 minutes of
//! [`BUCKETS`] counters per campaign) and lost at a restart: the stored usage windows have no
//! latencies, and the metrics recorder is not always installed.

use std::sync::Mutex;
use std::time::Duration;

/// Minutes kept.
pub const MINUTES: usize = 60;
/// Latency buckets: bucket `i` holds `[BASE · R^i, BASE · R^(i+1))`, R = 2^(1/4), from 10 µs to
/// about 3 minutes (the last also holds anything slower).
const BUCKETS: usize = 96;
const BASE_SECS: f64 = 1e-5;
const PER_DOUBLING: f64 = 4.0;

#[derive(Debug, Clone)]
struct Minute {
    /// Minute start (epoch seconds); a slot whose minute is older than the hour is stale.
    start: i64,
    requests: u64,
    errors: u64,
    latency: [u32; BUCKETS],
}

impl Minute {
    fn empty(start: i64) -> Minute {
        Minute { start, requests: 0, errors: 0, latency: [0; BUCKETS] }
    }
}

/// A ring of [`MINUTES`] minutes.
#[derive(Debug)]
pub struct RecentRing {
    slots: Mutex<Vec<Minute>>,
}

impl Default for RecentRing {
    fn default() -> Self {
        RecentRing { slots: Mutex::new(vec![Minute::empty(i64::MIN); MINUTES]) }
    }
}

/// One minute of a campaign's requests as the console plots it.
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteStats {
    pub start: i64,
    pub requests: u64,
    pub errors: u64,
    /// Latency percentiles in milliseconds (upper bounds of their buckets); `None` without requests.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

fn bucket(latency: Duration) -> usize {
    let secs = latency.as_secs_f64();
    if secs <= BASE_SECS {
        return 0;
    }
    ((secs / BASE_SECS).log2() * PER_DOUBLING).floor().clamp(0.0, (BUCKETS - 1) as f64) as usize
}

/// The upper bound of bucket `i`, in milliseconds.
fn upper_ms(i: usize) -> f64 {
    BASE_SECS * 2f64.powf((i + 1) as f64 / PER_DOUBLING) * 1e3
}

fn percentile(histogram: &[u32; BUCKETS], total: u64, q: f64) -> Option<f64> {
    if total == 0 {
        return None;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0u64;
    for (i, &n) in histogram.iter().enumerate() {
        seen += u64::from(n);
        if seen >= rank {
            return Some(upper_ms(i));
        }
    }
    Some(upper_ms(BUCKETS - 1))
}

impl RecentRing {
    /// Counts a request that ended at `now` (epoch seconds) after `latency`.
    pub fn record(&self, now: i64, succeeded: bool, latency: Duration) {
        let start = now.div_euclid(60) * 60;
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let slot = &mut slots[(start.div_euclid(60)).rem_euclid(MINUTES as i64) as usize];
        if slot.start != start {
            *slot = Minute::empty(start);
        }
        slot.requests += 1;
        if !succeeded {
            slot.errors += 1;
        }
        let b = &mut slot.latency[bucket(latency)];
        *b = b.saturating_add(1);
    }

    /// The [`MINUTES`] minutes ending with the one holding `now`, oldest first (minutes without
    /// requests included, as zeros).
    pub fn minutes(&self, now: i64) -> Vec<MinuteStats> {
        let last = now.div_euclid(60) * 60;
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        (0..MINUTES as i64)
            .map(|k| last - (MINUTES as i64 - 1 - k) * 60)
            .map(|start| {
                let slot = &slots[(start.div_euclid(60)).rem_euclid(MINUTES as i64) as usize];
                if slot.start != start {
                    return MinuteStats { start, requests: 0, errors: 0, p50_ms: None, p95_ms: None, p99_ms: None };
                }
                let total = slot.requests;
                MinuteStats {
                    start,
                    requests: total,
                    errors: slot.errors,
                    p50_ms: percentile(&slot.latency, total, 0.50),
                    p95_ms: percentile(&slot.latency, total, 0.95),
                    p99_ms: percentile(&slot.latency, total, 0.99),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_minute_s_histogram() {
        let ring = RecentRing::default();
        let t0 = 1_764_892_800;
        for i in 0..100u64 {
            // 1 ms for 90 requests, 20 ms for 9, 500 ms for one.
            let ms = if i < 90 {
                1
            } else if i < 99 {
                20
            } else {
                500
            };
            ring.record(t0 + 5, i % 10 != 0, Duration::from_millis(ms));
        }
        let minutes = ring.minutes(t0 + 30);
        assert_eq!(minutes.len(), MINUTES);
        let m = minutes.last().unwrap();
        assert_eq!((m.start, m.requests, m.errors), (t0, 100, 10));
        let (p50, p95, p99) = (m.p50_ms.unwrap(), m.p95_ms.unwrap(), m.p99_ms.unwrap());
        // Within a bucket's width (19%) above the true value.
        assert!((1.0..1.2).contains(&p50), "{p50}");
        assert!((20.0..24.0).contains(&p95), "{p95}");
        assert!((20.0..24.0).contains(&p99), "{p99}");
        assert!(minutes[..MINUTES - 1].iter().all(|m| m.requests == 0 && m.p50_ms.is_none()));
    }

    #[test]
    fn minutes_older_than_the_hour_are_forgotten() {
        let ring = RecentRing::default();
        let t0 = 1_764_892_800;
        ring.record(t0, true, Duration::from_millis(3));
        ring.record(t0 + 60, false, Duration::from_millis(3));
        // An hour later the first slot is reused; the second is outside the window.
        ring.record(t0 + 3600, true, Duration::from_millis(3));
        let minutes = ring.minutes(t0 + 3600);
        assert_eq!(minutes.iter().map(|m| m.requests).sum::<u64>(), 2, "{minutes:?}");
        assert_eq!(minutes[0].start, t0 + 60);
        assert_eq!((minutes[0].requests, minutes[0].errors), (1, 1));
        assert!(ring.minutes(t0 + 3 * 3600).iter().all(|m| m.requests == 0));
        assert_eq!(bucket(Duration::ZERO), 0);
        assert_eq!(bucket(Duration::from_secs(3600)), BUCKETS - 1);
    }
}
