//! The demo's terminal output, working directory and task-progress polling.
//!
//! Results (what the demo shows) go to stdout and are the same for the same data and seed;
//! progress bars, paths, URLs, ARNs and timings go to stderr, so `reko demo 2>/dev/null` is
//! reproducible output.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// `precision_at_5` < `precision_at_10` < `precision_at_25` (numeric K), names otherwise.
pub(super) fn metric_sort_key(name: &str) -> (String, u64) {
    match name.rsplit_once("_at_") {
        Some((base, k)) if k.parse::<u64>().is_ok() => (base.to_string(), k.parse().unwrap_or(0)),
        _ => (name.to_string(), 0),
    }
}

/// `500000` → `500,000`.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Task progress (`GET /reko/tasks`), best effort
// ---------------------------------------------------------------------------------------------

/// `resourceArn → (progress 0..1, detail)` of running and queued tasks; empty when unavailable.
pub(super) async fn fetch_task_progress(
    addr: SocketAddr,
    (credentials, region): ((String, String), String),
) -> HashMap<String, (f64, String)> {
    let client = crate::tasks::TasksClient::new(addr.to_string(), credentials, region);
    let Ok(Ok(tasks)) = tokio::time::timeout(Duration::from_millis(300), client.list()).await else {
        return HashMap::new();
    };
    tasks
        .into_iter()
        .filter(|t| t.state == "running" || t.state == "queued")
        .map(|t| (t.resource_arn, (t.progress.clamp(0.0, 1.0), t.detail)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Terminal output
// ---------------------------------------------------------------------------------------------

/// Results on stdout; progress bars (only on a terminal) and run details on stderr.
#[derive(Clone)]
pub(super) struct Ui {
    multi: MultiProgress,
}

impl Ui {
    pub(super) fn new() -> Ui {
        Ui { multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()) }
    }

    fn spinner_style() -> ProgressStyle {
        ProgressStyle::with_template("  {spinner:.cyan} {prefix:<34} {elapsed:>4} {wide_msg}")
            .expect("valid template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
    }

    fn bar_style() -> ProgressStyle {
        ProgressStyle::with_template(
            "  {spinner:.cyan} {prefix:<34} {elapsed:>4} [{bar:30.cyan/blue}] {percent:>3}% {wide_msg}",
        )
        .expect("valid template")
        .progress_chars("=> ")
        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
    }

    pub(super) fn spinner(&self, label: &str) -> ProgressBar {
        let pb = self.multi.add(ProgressBar::new(1000));
        pb.set_style(Self::spinner_style());
        pb.set_prefix(label.to_string());
        pb.enable_steady_tick(Duration::from_millis(100));
        pb
    }

    /// Switches a spinner to a bar once real progress is known.
    pub(super) fn to_bar(&self, pb: &ProgressBar) {
        pb.set_style(Self::bar_style());
    }

    /// Ends a spinner with a `✓` result line (no timing: timings are run details).
    pub(super) fn done(&self, pb: ProgressBar, msg: &str) {
        pb.finish_and_clear();
        self.multi.remove(&pb);
        self.line(&format!("  ✓ {msg}"));
    }

    pub(super) fn header(&self, text: &str) {
        self.line("");
        self.line(text);
    }

    /// A result line (stdout): the same in every run with the same data and seed.
    pub(super) fn line(&self, text: &str) {
        // Live bars (stderr) are hidden while printing.
        self.multi.suspend(|| println!("{text}"));
    }

    /// A run detail (stderr): paths, URLs, ARNs, timings — what differs from run to run.
    pub(super) fn detail(&self, text: &str) {
        self.multi.suspend(|| eprintln!("{text}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Working directory
// ---------------------------------------------------------------------------------------------

pub(super) struct WorkDir {
    pub(super) path: PathBuf,
    remove: bool,
}

impl WorkDir {
    pub(super) fn new(explicit: Option<PathBuf>, keep: bool) -> anyhow::Result<WorkDir> {
        match explicit {
            Some(path) => {
                std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
                let path = std::fs::canonicalize(&path)?;
                Ok(WorkDir { path, remove: false })
            }
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let path =
                    std::env::temp_dir().join(format!("reko-demo-{}-{:x}", std::process::id(), nanos & 0xffff_ffff));
                std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
                Ok(WorkDir { path, remove: !keep })
            }
        }
    }

    pub(super) fn keep(&mut self) {
        self.remove = false;
    }

    pub(super) fn kept(&self) -> bool {
        !self.remove
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(500_000), "500,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        let mut keys = vec!["precision_at_25", "coverage", "precision_at_5", "precision_at_10"];
        keys.sort_by_key(|k| metric_sort_key(k));
        assert_eq!(keys, ["coverage", "precision_at_5", "precision_at_10", "precision_at_25"]);
    }
}
