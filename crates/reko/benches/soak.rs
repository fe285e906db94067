//! Soak test: a `reko serve` process under a mixed load for `REKO_SOAK_SECONDS` (default 600):
//! GetRecommendations (70%), PutEvents (25%) and control-plane reads (5%: DescribeCampaign,
//! ListDatasetGroups, ListSolutionVersions) from `REKO_SOAK_CLIENTS` (default 16) concurrent
//! clients of the official AWS SDK (signed requests, standard retries), over the synthetic
//! default dataset (20k users, 5k items, 500k interactions) with a User-Personalization campaign.
//!
//! It reports, per operation, the calls, errors and latency percentiles, and the server's resident
//! memory (VmRSS) after setup, at its peak (sampled every 5 s) and at the end, and fails if any
//! call failed. `--max-in-flight` is left at its default; run with `REKO_SOAK_MAX_IN_FLIGHT=8` to
//! see throttling absorbed by the SDKs' retries.
//!
//! ```sh
//! cargo bench -p reko --bench soak                        # 10 minutes
//! REKO_SOAK_SECONDS=60 cargo bench -p reko --bench soak   # a quick check
//! ```

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{control, env, start_server, KEY_ID, SECRET};

/// VmRSS of a process in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Setup {
    group: String,
    solution: String,
    campaign: String,
    tracking_id: String,
}

async fn setup(url: &str, dir: &Path) -> Setup {
    let cfg = reko_synth::SynthConfig::default();
    std::fs::create_dir_all(dir.join("csv")).unwrap();
    let files = reko_synth::write_dataset(&dir.join("csv"), &cfg).unwrap();
    let c = control(url);
    let deployed = common::deploy_user_personalization(
        &c,
        "soak",
        &[
            ("Interactions", reko_synth::interactions_schema(), &files.interactions),
            ("Items", reko_synth::items_schema(), &files.items),
        ],
    )
    .await;
    let tracking_id = common::create_tracker(&c, "soak", &deployed.group).await;
    Setup { group: deployed.group, solution: deployed.solution, campaign: deployed.campaign, tracking_id }
}

/// Latencies (µs) and errors of one operation.
#[derive(Default)]
struct OpStats {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

const OPS: [&str; 3] = ["GetRecommendations", "PutEvents", "control plane"];

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
}

fn main() {
    let seconds: u64 = env("REKO_SOAK_SECONDS", 600);
    let clients: usize = env("REKO_SOAK_CLIENTS", 16);
    let max_in_flight: Option<usize> = std::env::var("REKO_SOAK_MAX_IN_FLIGHT").ok().and_then(|v| v.parse().ok());
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let in_flight = max_in_flight.map(|n| n.to_string());
    let extra: Vec<&str> = match &in_flight {
        Some(n) => vec!["--log", "warn", "--max-in-flight", n],
        None => vec!["--log", "warn"],
    };
    let server = start_server(&data, &extra);
    let url = server.url();
    let pid = server.child.id();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        eprintln!("setting up on {}", url);
        let s = Arc::new(setup(&url, tmp.path()).await);
        let rss_start = rss_mib(pid);
        let stats: Arc<Vec<Mutex<OpStats>>> = Arc::new((0..OPS.len()).map(|_| Mutex::default()).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(Mutex::new(rss_start));
        let sampler = {
            let (stop, peak) = (stop.clone(), peak.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    let r = rss_mib(pid);
                    let mut p = peak.lock().unwrap();
                    *p = p.max(r);
                }
            })
        };
        let started = Instant::now();
        let mut workers = Vec::new();
        for w in 0..clients {
            let (s, stats, stop, url) = (s.clone(), stats.clone(), stop.clone(), url.clone());
            workers.push(tokio::spawn(async move {
                use aws_sdk_personalizeevents::config as ec;
                use aws_sdk_personalizeruntime::config as rc;
                let c = control(&url);
                let runtime = aws_sdk_personalizeruntime::Client::from_conf(
                    rc::Config::builder()
                        .behavior_version(rc::BehaviorVersion::latest())
                        .region(rc::Region::new("us-east-1"))
                        .endpoint_url(&url)
                        .credentials_provider(rc::Credentials::new(KEY_ID, SECRET, None, None, "soak"))
                        .http_client(aws_smithy_http_client::Builder::new().build_http())
                        .build(),
                );
                let events = aws_sdk_personalizeevents::Client::from_conf(
                    ec::Config::builder()
                        .behavior_version(ec::BehaviorVersion::latest())
                        .region(ec::Region::new("us-east-1"))
                        .endpoint_url(&url)
                        .credentials_provider(ec::Credentials::new(KEY_ID, SECRET, None, None, "soak"))
                        .http_client(aws_smithy_http_client::Builder::new().build_http())
                        .build(),
                );
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (w as u64 + 1);
                let mut next = move |n: u64| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng % n
                };
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let roll = next(100);
                    let user = reko_synth::user_id(next(20_000) as usize);
                    let t = Instant::now();
                    let (op, result): (usize, Result<(), String>) = if roll < 70 {
                        let r = runtime
                            .get_recommendations()
                            .campaign_arn(&s.campaign)
                            .user_id(&user)
                            .num_results(25)
                            .send()
                            .await;
                        (0, r.map(|_| ()).map_err(|e| format!("{e:?}")))
                    } else if roll < 95 {
                        n += 1;
                        let event = aws_sdk_personalizeevents::types::Event::builder()
                            .event_type("click")
                            .item_id(reko_synth::item_id(next(5_000) as usize))
                            .sent_at(aws_sdk_personalizeevents::primitives::DateTime::from_secs(
                                1_750_000_000 + n as i64,
                            ))
                            .build()
                            .unwrap();
                        let r = events
                            .put_events()
                            .tracking_id(&s.tracking_id)
                            .user_id(&user)
                            .session_id(format!("soak-{w}"))
                            .event_list(event)
                            .send()
                            .await;
                        (1, r.map(|_| ()).map_err(|e| format!("{e:?}")))
                    } else {
                        let r = match roll % 3 {
                            0 => c
                                .describe_campaign()
                                .campaign_arn(&s.campaign)
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(|e| format!("{e:?}")),
                            1 => c.list_dataset_groups().send().await.map(|_| ()).map_err(|e| format!("{e:?}")),
                            _ => c
                                .list_solution_versions()
                                .solution_arn(&s.solution)
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(|e| format!("{e:?}")),
                        };
                        (2, r)
                    };
                    let us = t.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    let mut st = stats[op].lock().unwrap();
                    st.latencies_us.push(us);
                    if let Err(e) = result {
                        st.errors += 1;
                        st.first_error.get_or_insert(e);
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.unwrap();
        }
        let _ = sampler.await;
        let elapsed = started.elapsed().as_secs_f64();
        let rss_end = rss_mib(pid);
        let _ = &s.group;
        println!(
            "\nSoak: {seconds} s, {clients} SDK clients, reko serve pid {pid} (max in flight {})\n",
            max_in_flight.map_or("default".to_string(), |n| n.to_string())
        );
        println!("| operation | calls | calls/s | errors | p50 ms | p99 ms | max ms |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let mut failed = 0;
        for (op, st) in OPS.iter().zip(stats.iter()) {
            let mut st = st.lock().unwrap();
            st.latencies_us.sort_unstable();
            let l = &st.latencies_us;
            println!(
                "| {op} | {} | {:.0} | {} | {:.2} | {:.2} | {:.1} |",
                l.len(),
                l.len() as f64 / elapsed,
                st.errors,
                percentile(l, 0.5),
                percentile(l, 0.99),
                percentile(l, 1.0)
            );
            if let Some(e) = &st.first_error {
                eprintln!("first {op} error: {e}");
            }
            failed += st.errors;
        }
        println!(
            "\nServer RSS: {rss_start:.0} MiB after setup, {:.0} MiB peak, {rss_end:.0} MiB at the end",
            *peak.lock().unwrap()
        );
        assert_eq!(failed, 0, "calls failed during the soak");
    });
}
