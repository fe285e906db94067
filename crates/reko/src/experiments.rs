//! The client of Reko's experiment extension (docs/experiments.md): `POST /` with
//! `X-Amz-Target: Reko.<Operation>`, the JSON protocol and SigV4 signing of Personalize's control
//! plane. `reko experiment ...`, the demo and the tests call it.

use anyhow::{bail, Context};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{json, Value};

use crate::signing::Signer;

/// Calls the extension on one server (`host:port`, plain http) with one key.
#[derive(Debug, Clone)]
pub struct ExperimentsClient {
    authority: String,
    credentials: (String, String),
    region: String,
}

/// An answer other than 200: the status and the error's type and message.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    pub operation: String,
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reko.{} answered {} {}: {}", self.operation, self.status, self.code, self.message)
    }
}

impl std::error::Error for CallError {}

impl ExperimentsClient {
    /// A client of the server at `endpoint` (`http://host:port`) signing with `credentials`
    /// (access key id, secret) for `region`.
    pub fn new(endpoint: &str, credentials: (String, String), region: impl Into<String>) -> anyhow::Result<Self> {
        let Some(authority) = endpoint.strip_prefix("http://") else {
            bail!("--endpoint must be an http:// URL, got {endpoint}");
        };
        Ok(ExperimentsClient {
            authority: authority.trim_end_matches('/').to_string(),
            credentials,
            region: region.into(),
        })
    }

    /// One operation; `Ok(Err(..))` when the server answered an error.
    pub async fn call(&self, operation: &str, body: &Value) -> anyhow::Result<Result<Value, CallError>> {
        let authority = self.authority.as_str();
        let key = (self.credentials.0.as_str(), self.credentials.1.as_str());
        let target = format!("{}{operation}", reko_api::experiment::EXTENSION_TARGET_PREFIX);
        let body = serde_json::to_vec(body)?;
        let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target.as_str())];
        let signed = Signer::personalize(key, &self.region).headers("POST", authority, "/", &headers, &body)?;
        let mut request = hyper::Request::post("/");
        for (name, value) in headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).chain(signed) {
            if name != "host" {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let request = request.header(hyper::header::HOST, authority).body(Full::new(Bytes::from(body)))?;
        let stream =
            tokio::net::TcpStream::connect(authority).await.with_context(|| format!("connecting to {authority}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .with_context(|| format!("HTTP/1.1 handshake with {authority}"))?;
        tokio::spawn(connection);
        let response = sender.send_request(request).await.with_context(|| format!("Reko.{operation}"))?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.context("reading the answer")?.to_bytes();
        let value: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("Reko.{operation} answered {status}: {}", String::from_utf8_lossy(&bytes)))?;
        if status == 200 {
            return Ok(Ok(value));
        }
        let text = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let code = text("__type");
        Ok(Err(CallError {
            operation: operation.to_string(),
            status,
            code: code.rsplit('#').next().unwrap_or(&code).to_string(),
            message: if text("message").is_empty() { text("Message") } else { text("message") },
        }))
    }

    /// [`Self::call`], an error answer being an error.
    pub async fn ok(&self, operation: &str, body: &Value) -> anyhow::Result<Value> {
        Ok(self.call(operation, body).await??)
    }

    pub async fn results(&self, experiment_arn: &str) -> anyhow::Result<Value> {
        self.ok("GetExperimentResults", &json!({ "experimentArn": experiment_arn })).await
    }
}

/// The results as a few lines of text: per arm its users, conversion rate and value per user,
/// each comparison's lift with its interval and p-values, the sample-ratio check, the decision.
pub fn summarize(results: &Value) -> String {
    let mut out = String::new();
    let e = &results["experiment"];
    out.push_str(&format!(
        "experiment {} ({}, {}): conversion event '{}', planned {} users per arm\n",
        e["name"].as_str().unwrap_or_default(),
        e["status"].as_str().unwrap_or_default(),
        e["analysis"].as_str().unwrap_or_default(),
        e["conversionEventType"].as_str().unwrap_or_default(),
        e["plannedUsersPerArm"]
    ));
    for arm in results["arms"].as_array().into_iter().flatten() {
        let ctr = arm["clickThroughRate"].as_f64().map_or("-".to_string(), |c| format!("{:.2}%", c * 100.0));
        out.push_str(&format!(
            "  arm {:<22} users {:>7}  requests {:>8}  converted {:>6}  rate {:>6.2}%  value/user {:>8.3}  CTR {ctr}\n",
            arm["name"].as_str().unwrap_or_default(),
            arm["exposedUsers"].as_u64().unwrap_or(0),
            arm["requests"].as_u64().unwrap_or(0),
            arm["convertedUsers"].as_u64().unwrap_or(0),
            arm["conversionRate"].as_f64().unwrap_or(0.0) * 100.0,
            arm["valuePerUser"].as_f64().unwrap_or(0.0),
        ));
    }
    for c in results["comparisons"].as_array().into_iter().flatten() {
        let conv = &c["conversion"];
        if conv.is_null() {
            let name = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            out.push_str(&format!("  {} vs {}: no users yet\n", name("arm"), name("control")));
            continue;
        }
        let pct = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("{:+.1}%", x * 100.0));
        out.push_str(&format!(
            "  {} vs {}: lift {} (CI {} .. {}), z-test p {:.4}, sequential p {:.4}\n",
            c["arm"].as_str().unwrap_or_default(),
            c["control"].as_str().unwrap_or_default(),
            pct(&conv["relativeLift"]),
            pct(&conv["relativeLiftInterval"]["low"]),
            pct(&conv["relativeLiftInterval"]["high"]),
            conv["pValue"].as_f64().unwrap_or(1.0),
            c["sequentialPValue"].as_f64().unwrap_or(1.0),
        ));
    }
    let srm = &results["sampleRatio"];
    out.push_str(&format!(
        "  sample ratio: chi-square {:.2}, p {:.4}{}\n",
        srm["chiSquare"].as_f64().unwrap_or(0.0),
        srm["pValue"].as_f64().unwrap_or(1.0),
        if srm["mismatch"].as_bool() == Some(true) { " — MISMATCH" } else { "" }
    ));
    let d = &results["decision"];
    out.push_str(&format!(
        "decision: {}{} — {}\n",
        d["state"].as_str().unwrap_or_default(),
        d["winner"].as_str().map(|w| format!(" ({w})")).unwrap_or_default(),
        d["reason"].as_str().unwrap_or_default()
    ));
    out
}

/// `reko experiment ...`.
#[derive(clap::Args, Debug)]
pub struct ExperimentArgs {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080", global = true)]
    pub endpoint: String,
    #[command(subcommand)]
    pub command: ExperimentCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ExperimentCommand {
    /// Create (and start) an experiment.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        dataset_group_arn: String,
        /// An arm as NAME:WEIGHT:ARN (a campaign or recommender ARN); the first is the control.
        /// Give two or more.
        #[arg(long = "arm", required = true)]
        arms: Vec<String>,
        /// The event type whose per-user conversion rate decides.
        #[arg(long)]
        conversion_event_type: String,
        /// The control's expected conversion rate (plans the sample size).
        #[arg(long)]
        baseline_rate: f64,
        /// The smallest relative lift worth finding [default: 0.1].
        #[arg(long)]
        minimum_detectable_lift: Option<f64>,
        /// FIXED_HORIZON or SEQUENTIAL [default: FIXED_HORIZON].
        #[arg(long)]
        analysis: Option<String>,
        #[arg(long)]
        significance_level: Option<f64>,
        #[arg(long)]
        power: Option<f64>,
    },
    /// Describe an experiment.
    Describe { experiment_arn: String },
    /// List experiments (of one dataset group).
    List {
        #[arg(long)]
        dataset_group_arn: Option<String>,
    },
    /// Per-arm metrics, tests and the decision (--json: the whole answer).
    Results {
        experiment_arn: String,
        #[arg(long)]
        json: bool,
    },
    /// Serve one arm alone from now on.
    Promote {
        experiment_arn: String,
        #[arg(long)]
        arm: String,
    },
    /// Stop assigning users (the control arm is served alone).
    Stop { experiment_arn: String },
    /// Delete an experiment and its counts.
    Delete { experiment_arn: String },
    /// Users per arm an experiment needs (the calculator CreateExperiment plans with; no server).
    SampleSize {
        /// The control's expected conversion rate.
        #[arg(long)]
        baseline_rate: f64,
        /// The smallest relative lift worth finding.
        #[arg(long, default_value_t = 0.1)]
        minimum_detectable_lift: f64,
        #[arg(long, default_value_t = 0.05)]
        significance_level: f64,
        #[arg(long, default_value_t = 0.8)]
        power: f64,
        /// Arms, the control included (the level is split over the comparisons).
        #[arg(long, default_value_t = 2)]
        arms: usize,
    },
}

/// `reko experiment sample-size`: the plan's users per arm, or why the inputs cannot be planned.
pub fn sample_size(baseline: f64, lift: f64, alpha: f64, power: f64, arms: usize) -> anyhow::Result<u64> {
    if !(baseline > 0.0 && baseline < 1.0) {
        bail!("--baseline-rate {baseline}: must be between 0 and 1");
    }
    if !(lift > 0.0 && baseline * (1.0 + lift) < 1.0) {
        bail!("--minimum-detectable-lift {lift}: must be positive and keep the rate below 1");
    }
    if !(alpha > 0.0 && alpha < 1.0 && power > 0.0 && power < 1.0) {
        bail!("--significance-level and --power must be between 0 and 1");
    }
    if arms < 2 {
        bail!("--arms {arms}: an experiment has at least 2 arms");
    }
    let per_comparison = alpha / (arms - 1) as f64;
    Ok(reko_service::experiment::stats::sample_size_per_arm(baseline, lift, per_comparison, power))
}

/// Parses `NAME:WEIGHT:ARN`.
pub fn parse_arm(text: &str) -> anyhow::Result<Value> {
    let mut parts = text.splitn(3, ':');
    let (Some(name), Some(weight), Some(arn)) = (parts.next(), parts.next(), parts.next()) else {
        bail!("--arm '{text}': expected NAME:WEIGHT:ARN");
    };
    let weight: i64 = weight.parse().with_context(|| format!("--arm '{text}': weight '{weight}' is not a number"))?;
    Ok(json!({ "name": name, "weight": weight, "targetArn": arn }))
}

/// `reko experiment ...`, signing with the client commands' key (`REKO_ACCESS_KEY_ID`, ...); the
/// sample-size calculator needs neither a key nor a server.
pub async fn run(args: ExperimentArgs) -> anyhow::Result<()> {
    let client = || {
        let region = crate::access_keys::client_region(None);
        ExperimentsClient::new(&args.endpoint, crate::access_keys::client_credentials()?, region)
    };
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    match args.command {
        ExperimentCommand::Create {
            name,
            dataset_group_arn,
            arms,
            conversion_event_type,
            baseline_rate,
            minimum_detectable_lift,
            analysis,
            significance_level,
            power,
        } => {
            let mut body = json!({
                "name": name,
                "datasetGroupArn": dataset_group_arn,
                "arms": arms.iter().map(|a| parse_arm(a)).collect::<anyhow::Result<Vec<_>>>()?,
                "conversionEventType": conversion_event_type,
                "baselineConversionRate": baseline_rate,
            });
            for (k, v) in [
                ("minimumDetectableLift", minimum_detectable_lift.map(Value::from)),
                ("analysis", analysis.map(Value::from)),
                ("significanceLevel", significance_level.map(Value::from)),
                ("power", power.map(Value::from)),
            ] {
                if let Some(v) = v {
                    body[k] = v;
                }
            }
            let out = client()?.ok("CreateExperiment", &body).await?;
            println!("{}", out["experimentArn"].as_str().unwrap_or_default());
        }
        ExperimentCommand::Describe { experiment_arn } => {
            println!(
                "{}",
                pretty(&client()?.ok("DescribeExperiment", &json!({ "experimentArn": experiment_arn })).await?)
            );
        }
        ExperimentCommand::List { dataset_group_arn } => {
            let mut body = json!({});
            if let Some(g) = dataset_group_arn {
                body["datasetGroupArn"] = g.into();
            }
            loop {
                let out = client()?.ok("ListExperiments", &body).await?;
                for e in out["experiments"].as_array().into_iter().flatten() {
                    println!(
                        "{:<10} {}",
                        e["status"].as_str().unwrap_or_default(),
                        e["experimentArn"].as_str().unwrap_or_default()
                    );
                }
                match out["nextToken"].as_str() {
                    Some(t) => body["nextToken"] = t.into(),
                    None => break,
                }
            }
        }
        ExperimentCommand::Results { experiment_arn, json } => {
            let out = client()?.results(&experiment_arn).await?;
            if json {
                println!("{}", pretty(&out));
            } else {
                print!("{}", summarize(&out));
            }
        }
        ExperimentCommand::Promote { experiment_arn, arm } => {
            client()?.ok("PromoteExperiment", &json!({ "experimentArn": experiment_arn, "armName": arm })).await?;
            println!("promoted arm {arm}: {experiment_arn} now serves it alone");
        }
        ExperimentCommand::Stop { experiment_arn } => {
            client()?.ok("StopExperiment", &json!({ "experimentArn": experiment_arn })).await?;
            println!("stopped: {experiment_arn} now serves its control arm alone");
        }
        ExperimentCommand::Delete { experiment_arn } => {
            client()?.ok("DeleteExperiment", &json!({ "experimentArn": experiment_arn })).await?;
            println!("deleted {experiment_arn}");
        }
        ExperimentCommand::SampleSize { baseline_rate, minimum_detectable_lift, significance_level, power, arms } => {
            let n = sample_size(baseline_rate, minimum_detectable_lift, significance_level, power, arms)?;
            println!("{n} users per arm ({} in all)", n * arms as u64);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arms_parse_as_name_weight_arn() {
        let arm = parse_arm("control:50:arn:aws:personalize:us-east-1:123456789012:campaign/a").unwrap();
        assert_eq!(
            arm,
            json!({"name":"control","weight":50,"targetArn":"arn:aws:personalize:us-east-1:123456789012:campaign/a"})
        );
        assert!(parse_arm("control:fifty:arn").unwrap_err().to_string().contains("fifty"));
        assert!(parse_arm("control").is_err());
    }

    #[test]
    fn sample_sizes_split_the_level_over_the_comparisons() {
        // (z_.975 + z_.8)² (0.1·0.9 + 0.11·0.89) / 0.01², rounded up (the service's unit test).
        assert_eq!(sample_size(0.1, 0.1, 0.05, 0.8, 2).unwrap(), 14_749);
        assert!(sample_size(0.1, 0.1, 0.05, 0.8, 3).unwrap() > 14_749, "alpha / 2 per comparison");
        assert!(sample_size(1.5, 0.1, 0.05, 0.8, 2).unwrap_err().to_string().contains("--baseline-rate 1.5"));
        assert!(sample_size(0.1, 0.1, 0.05, 0.8, 1).unwrap_err().to_string().contains("--arms 1"));
    }
}
