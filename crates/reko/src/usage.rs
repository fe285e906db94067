//! `reko usage`: usage as Personalize bills it, read from a data directory (docs/usage.md).

use std::path::PathBuf;

use anyhow::Context;
use reko_service::usage::report::{
    self, ReportQuery, UsageQuery, UsageReport, UsageSummary, DEFAULT_DAYS, DEFAULT_IDLE_DAYS, DEFAULT_UNDER_PERCENT,
};

use crate::config::{Config, Overrides};

#[derive(clap::Args, Debug)]
pub struct UsageArgs {
    /// Data directory to read [default: the config file's data_dir, else ./reko-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Config file whose data_dir (or database_url) to read (default: ./reko.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// PostgreSQL database to read instead of a data directory (the servers' --database-url)
    /// [env: REKO_DATABASE_URL].
    #[arg(long)]
    database_url: Option<String>,
    /// UTC days to show, today included, from 1 to 400 (with --report: how far back the
    /// over-provisioned rule looks for its 12 windows).
    #[arg(long, default_value_t = DEFAULT_DAYS)]
    days: u32,
    /// Only this campaign (its name or ARN).
    #[arg(long)]
    campaign: Option<String>,
    /// Output format.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// Report idle and over-provisioned campaigns and unused solution versions instead.
    #[arg(long)]
    report: bool,
    /// With --report: a campaign with no request in this many days is idle (1 to 400).
    #[arg(long, default_value_t = DEFAULT_IDLE_DAYS)]
    idle_days: u32,
    /// With --report: a window is under-used when its average TPS is below this percentage of
    /// minProvisionedTPS (greater than 0, at most 100); 9 of the last 12 such windows flag it.
    #[arg(long, default_value_t = DEFAULT_UNDER_PERCENT)]
    under_percent: f64,
}

/// The command line's name of a field the service's validation names.
fn with_flag_names(message: String) -> String {
    for (field, flag) in [
        ("idleDays", "--idle-days"),
        ("underPercent", "--under-percent"),
        ("days", "--days"),
        ("campaign", "--campaign"),
    ] {
        if let Some(rest) = message.strip_prefix(field) {
            return format!("{flag}{rest}");
        }
    }
    message
}

pub fn run(args: UsageArgs) -> anyhow::Result<()> {
    let invalid = |e: String| anyhow::anyhow!(with_flag_names(e));
    // The options first: a wrong one is reported whatever the data directory.
    let summary = UsageQuery { days: args.days, campaign: args.campaign.clone() };
    let report = ReportQuery {
        days: args.days,
        idle_days: args.idle_days,
        under_percent: args.under_percent,
        campaign: args.campaign.clone(),
    };
    if args.report {
        report.validate().map_err(invalid)?;
    } else {
        summary.validate().map_err(invalid)?;
    }
    let overrides = Overrides {
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone().map(crate::config::Secret),
        ..Overrides::default()
    };
    let config = Config::load(args.config.as_deref(), &overrides)?;
    let store: Box<dyn reko_service::Store> = match &config.database_url {
        Some(url) => Box::new(report::open_database(&url.0).map_err(|e| anyhow::anyhow!(e))?),
        None => Box::new(report::open_data_dir(&config.data_dir).map_err(|e| anyhow::anyhow!(e))?),
    };
    let store = store.as_ref();
    let now = reko_service::usage::now_secs();
    let json = args.format == "json";
    if args.report {
        let r = report::report_from_store(store, &report, now).map_err(invalid)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&r).context("encoding the report")?);
        } else {
            print_report(&r);
        }
    } else {
        let s = report::summary_from_store(store, &summary, now).map_err(invalid)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&s).context("encoding the usage")?);
        } else {
            print_summary(&s);
        }
    }
    Ok(())
}

fn print_summary(s: &UsageSummary) {
    println!("Usage from {} to {} (UTC), 5-minute windows billed max(average TPS, minProvisionedTPS)", s.from, s.to);
    println!(
        "{:<10}  {:<32} {:>10} {:>8} {:>7} {:>9} {:>9} {:>8} {:>12} {:>6}",
        "DATE", "CAMPAIGN", "REQUESTS", "ERRORS", "WINDOWS", "AVG TPS", "PEAK TPS", "PROV TPS", "BILLED TPS-H", "UTIL"
    );
    for u in &s.usage {
        println!(
            "{:<10}  {:<32} {:>10} {:>8} {:>7} {:>9.3} {:>9.3} {:>8} {:>12.4} {:>5.1}%",
            u.date,
            u.campaign_name,
            u.requests,
            u.errors,
            u.windows,
            u.average_tps,
            u.peak_tps,
            u.provisioned_tps,
            u.billed_tps_hours,
            u.utilization * 100.0
        );
    }
    if s.usage.is_empty() {
        println!("(no usage recorded in the period)");
    }
    println!("Total: {} requests, {:.4} billed TPS-hours", s.total_requests, s.total_billed_tps_hours);
}

fn print_report(r: &UsageReport) {
    println!("Idle campaigns (no requests in the last {} days):", r.idle_days);
    for c in &r.idle_campaigns {
        println!(
            "  {}  minProvisionedTPS {}  created {}  {} window(s) billed {:.4} TPS-hours while idle: {}",
            c.campaign_arn, c.min_provisioned_tps, c.created, c.idle_windows, c.idle_billed_tps_hours, c.reason
        );
    }
    if r.idle_campaigns.is_empty() {
        println!("  none");
    }
    println!(
        "Over-provisioned campaigns (under {}% of minProvisionedTPS in 9 of their last 12 windows):",
        r.under_percent
    );
    for c in &r.over_provisioned_campaigns {
        println!(
            "  {}  minProvisionedTPS {}  {} of {} windows under  average {:.3} TPS, peak {:.3} TPS  suggested \
             minProvisionedTPS {}",
            c.campaign_arn,
            c.min_provisioned_tps,
            c.windows_under,
            c.windows_considered,
            c.average_tps,
            c.peak_tps,
            c.suggested_min_provisioned_tps
        );
    }
    if r.over_provisioned_campaigns.is_empty() {
        println!("  none");
    }
    println!("ACTIVE solution versions no campaign deploys:");
    for v in &r.unused_solution_versions {
        let size = v.size_bytes.map_or("size unknown".to_string(), |b| format!("{b} bytes"));
        println!("  {}  created {}  {}", v.solution_version_arn, v.created, size);
    }
    if r.unused_solution_versions.is_empty() {
        println!("  none");
    }
}
