//! Layered configuration: built-in defaults, then `reko.toml`, then `REKO_*` environment
//! variables, then command-line flags.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Config {
    /// Address the HTTP listener binds (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// Directory of the embedded store and the model files.
    pub data_dir: PathBuf,
    /// PostgreSQL database (`postgres://user:password@host:port/db`) holding the catalog,
    /// records and tasks instead of `data_dir/reko.db` (docs/storage.md, "PostgreSQL").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<Secret>,
    /// Region and account id used in ARNs.
    pub region: String,
    pub account_id: String,
    /// Background task workers.
    pub workers: usize,
    /// Log filter in `tracing` syntax, e.g. `info` or `reko=debug,tower_http=info`.
    pub log: String,
    /// Log line format: `text` (default) or `json` (one JSON object a line).
    #[serde(default = "default_log_format")]
    pub log_format: String,
    /// Bearer token `GET /metrics` requires (`Authorization: Bearer <token>`); unset: open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<Secret>,
    /// Endpoint of the S3-compatible store for `s3://` data locations (path-style requests);
    /// unset: `AWS_ENDPOINT_URL` or AWS. Credentials come from the standard AWS variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_endpoint: Option<String>,
    /// Where model artifacts are stored: a folder or `s3://bucket/prefix` (reached like `s3://`
    /// data locations), shared by a cluster's processes; unset: the data directory's `models/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_store: Option<String>,
    /// The root key pair (`REKO_ACCESS_KEY_ID` / `REKO_SECRET_ACCESS_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<Secret>,
    /// More keys, optionally scoped (`[[access_keys]]` tables of the config file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_keys: Vec<AccessKeyConfig>,
    /// Accept unsigned requests (loopback addresses only).
    #[serde(default)]
    pub insecure_no_auth: bool,
    /// Do not serve the web console (`/console` answers 404; docs/console.md).
    #[serde(default)]
    pub no_console: bool,
    /// Record no metrics (`/metrics` answers 404; docs/metrics.md).
    #[serde(default)]
    pub no_metrics: bool,
    /// Mark the console's session cookie `Secure` (clients reach the server over TLS).
    #[serde(default)]
    pub console_secure_cookie: bool,
    /// Requests handled at once; more are refused with ThrottlingException.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// Seconds still serving after SIGTERM with `/ready` answering 503, for load balancers that
    /// poll it (0, the default: the listener closes at once; Kubernetes uses a preStop sleep).
    #[serde(default)]
    pub shutdown_delay_secs: u64,
    /// Users, anonymous sessions and session links held in real-time state, all dataset groups
    /// together; the least recently used are evicted beyond it (docs/security.md).
    #[serde(default = "default_max_live_users")]
    pub max_live_users: usize,
    /// Events held in real-time state, all dataset groups together; the least recently used users
    /// and sessions are evicted beyond it.
    #[serde(default = "default_max_live_events")]
    pub max_live_events: usize,
    /// Interactions per user and event type an interaction filter sees, newest first (default
    /// 100, Personalize's quota).
    #[serde(default = "default_filter_interactions_per_type")]
    pub filter_interactions_per_type: usize,
    /// Days of per-campaign usage windows kept (docs/usage.md), 1 to 400.
    #[serde(default = "default_usage_retention_days")]
    pub usage_retention_days: u32,
    /// Customer keys for encryption at rest (`[[kms_keys]]` tables, see docs/security.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kms_keys: Vec<KmsKeyConfig>,
    /// Folders local data locations must lie in; empty (the default): none, every local location
    /// is refused (`s3://` ones still work). The data directory and the configuration file are
    /// never data locations, even inside these folders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_data_roots: Vec<PathBuf>,
    /// Roles a job's `roleArn` selects for its `s3://` locations (`[[s3_roles]]` tables, see
    /// docs/security.md): their credentials and the prefixes they may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub s3_roles: Vec<S3RoleConfig>,
    /// Seconds between the scheduler's passes over due work (automatic training, campaigns
    /// following their solution's latest version); 0 runs no scheduler.
    #[serde(default = "default_scheduler_interval_secs")]
    pub scheduler_interval_secs: u64,
    /// A file holding a number of seconds the scheduler's clock is shifted by (read at each
    /// pass; missing or empty: no shift). For tests and demos of automatic training, which is
    /// otherwise due days apart; never reachable over HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset_file: Option<PathBuf>,
    /// What this process runs (docs/cluster.md): `all` (the API, task workers and scheduler),
    /// `api` (the API only) or `worker` (task workers and the scheduler; its listener serves only
    /// `/health`, `/ready` and `/metrics`). `api` and `worker` need `database_url`.
    #[serde(default = "default_role")]
    pub role: String,
    /// Seconds a running task is held without its worker's heartbeat; past it, another worker
    /// takes it over. 2 to 3600.
    #[serde(default = "default_task_lease_secs")]
    pub task_lease_secs: u64,
    /// Event collection: Segment webhook sources and NATS consumers (docs/event-collection.md).
    #[serde(default, skip_serializing_if = "crate::collect::CollectConfig::is_empty")]
    pub collect: crate::collect::CollectConfig,
}

/// Longest `shutdown_delay_secs`: load balancers notice within seconds.
const MAX_SHUTDOWN_DELAY_SECS: u64 = 300;

fn default_log_format() -> String {
    "text".into()
}

fn default_max_in_flight() -> usize {
    reko_http::DEFAULT_MAX_IN_FLIGHT
}

fn default_max_live_users() -> usize {
    reko_service::DEFAULT_MAX_LIVE_USERS
}

fn default_max_live_events() -> usize {
    reko_service::DEFAULT_MAX_LIVE_EVENTS
}

fn default_scheduler_interval_secs() -> u64 {
    reko_service::DEFAULT_SCHEDULER_INTERVAL.as_secs()
}

fn default_role() -> String {
    reko_service::Role::All.as_str().into()
}

fn default_task_lease_secs() -> u64 {
    reko_service::DEFAULT_TASK_LEASE.as_secs()
}

fn default_usage_retention_days() -> u32 {
    reko_service::usage::DEFAULT_RETENTION_DAYS
}

fn default_filter_interactions_per_type() -> usize {
    reko_service::DEFAULT_FILTER_INTERACTIONS_PER_TYPE
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (tracing-subscriber's default format).
    Text,
    /// One JSON object a line, the event's fields at the top level beside `timestamp`, `level`
    /// and `target` (the access log's lines have `"target":"reko::access"`).
    Json,
}

impl LogFormat {
    /// `text` or `json` (any case); anything else is an error naming the setting.
    pub fn parse(value: &str) -> anyhow::Result<LogFormat> {
        match value.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => anyhow::bail!("log_format (--log-format, REKO_LOG_FORMAT) must be text or json, got '{value}'"),
        }
    }
}

/// A customer key: the ARN-like name `kmsKeyArn` refers to and where its 32 bytes of material
/// are (`env:VARIABLE` or `file:/path`, holding 64 hex digits or 32 raw bytes). Earlier materials
/// of the same key (after a rotation) go in `previous_materials`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KmsKeyConfig {
    pub arn: String,
    pub material: String,
    #[serde(default)]
    pub previous_materials: Vec<String>,
}

impl KmsKeyConfig {
    /// The key with its material read (the error names the key and the source, never the material).
    pub fn load(&self) -> anyhow::Result<reko_service::encryption::CustomerKey> {
        let read = |source: &str| -> anyhow::Result<[u8; 32]> {
            let bytes = if let Some(var) = source.strip_prefix("env:") {
                std::env::var(var)
                    .map_err(|_| anyhow::anyhow!("key {}: environment variable {var} is not set", self.arn))?
                    .into_bytes()
            } else if let Some(path) = source.strip_prefix("file:") {
                std::fs::read(path).map_err(|e| anyhow::anyhow!("key {}: cannot read {path}: {e}", self.arn))?
            } else {
                anyhow::bail!("key {}: material must be 'env:VARIABLE' or 'file:/path', got '{source}'", self.arn)
            };
            let text = String::from_utf8_lossy(&bytes);
            let hex = text.trim();
            if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                let mut out = [0u8; 32];
                for (i, o) in out.iter_mut().enumerate() {
                    *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
                }
                return Ok(out);
            }
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| anyhow::anyhow!("key {}: {source} must hold 64 hex digits or exactly 32 bytes", self.arn))
        };
        Ok(reko_service::encryption::CustomerKey {
            arn: self.arn.clone(),
            material: read(&self.material)?,
            previous: self.previous_materials.iter().map(|m| read(m)).collect::<anyhow::Result<_>>()?,
        })
    }
}

/// An access key of the config file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessKeyConfig {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Dataset group ARNs the key is limited to (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_groups: Option<Vec<String>>,
    /// Only GetRecommendations, GetPersonalizedRanking and the events service.
    #[serde(default)]
    pub runtime_only: bool,
    /// The local folders this key's jobs may read and write (keys scoped to dataset groups; none:
    /// every local location is refused for the key). Root keys use `allowed_data_roots`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_roots: Vec<PathBuf>,
    /// The `[[s3_roles]]` ARNs this key's jobs may name in `roleArn` for `s3://` locations (keys
    /// scoped to dataset groups; none: no `s3://` location). Root keys may name any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub s3_roles: Vec<String>,
}

/// A role for `s3://` locations: the ARN a job's `roleArn` names, the credentials Reko uses for
/// it (the secret as is, or `env:VARIABLE` / `file:/path` holding it), optionally the endpoint of
/// its store (default: `s3_endpoint`), and the `s3://` prefixes it may read and write.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct S3RoleConfig {
    pub arn: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub allowed: Vec<String>,
}

impl S3RoleConfig {
    /// The role with its secret read and its configuration checked (errors name the role and
    /// the source, never the secret).
    pub fn load(&self) -> anyhow::Result<reko_service::S3Role> {
        let source = &self.secret_access_key.0;
        let secret = if let Some(var) = source.strip_prefix("env:") {
            std::env::var(var)
                .map_err(|_| anyhow::anyhow!("role {}: environment variable {var} is not set", self.arn))?
        } else if let Some(path) = source.strip_prefix("file:") {
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("role {}: cannot read {path}: {e}", self.arn))?
                .trim()
                .to_string()
        } else {
            source.clone()
        };
        let role = reko_service::S3Role {
            arn: self.arn.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: secret,
            endpoint: self.endpoint.clone(),
            allowed: self.allowed.clone(),
        };
        role.validate().map_err(|e| anyhow::anyhow!("[[s3_roles]]: {e}"))?;
        Ok(role)
    }
}

/// A secret value: serialised as is, never shown by `Debug` (configs may be logged).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("reko-data"),
            database_url: None,
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            workers: 2,
            log: "info".into(),
            log_format: default_log_format(),
            metrics_token: None,
            s3_endpoint: None,
            artifact_store: None,
            access_key_id: None,
            secret_access_key: None,
            access_keys: Vec::new(),
            insecure_no_auth: false,
            no_console: false,
            no_metrics: false,
            console_secure_cookie: false,
            max_in_flight: default_max_in_flight(),
            shutdown_delay_secs: 0,
            max_live_users: default_max_live_users(),
            max_live_events: default_max_live_events(),
            filter_interactions_per_type: default_filter_interactions_per_type(),
            usage_retention_days: default_usage_retention_days(),
            allowed_data_roots: Vec::new(),
            kms_keys: Vec::new(),
            s3_roles: Vec::new(),
            scheduler_interval_secs: default_scheduler_interval_secs(),
            clock_offset_file: None,
            role: default_role(),
            task_lease_secs: default_task_lease_secs(),
            collect: Default::default(),
        }
    }
}

/// Values given on the command line; only those present override the other layers.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_store: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insecure_no_auth: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_console: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_metrics: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_secure_cookie: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_delay_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_live_users: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_live_events: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_interactions_per_type: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_retention_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_data_roots: Option<Vec<PathBuf>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_lease_secs: Option<u64>,
}

impl Config {
    /// The folders local data locations must lie in: those configured, and no default (see
    /// [`Config::allowed_data_roots`]).
    pub fn data_roots(&self) -> Vec<PathBuf> {
        self.allowed_data_roots.clone()
    }

    /// The server's own files outside its data directory, never data locations: the
    /// configuration file in use (`config_file`), the customer keys' `file:` materials and the
    /// S3 roles' `file:` secrets.
    pub fn server_files(&self, config_file: &Path) -> Vec<PathBuf> {
        let materials = self.kms_keys.iter().flat_map(|k| std::iter::once(&k.material).chain(&k.previous_materials));
        let secrets = self.s3_roles.iter().map(|r| &r.secret_access_key.0);
        std::iter::once(config_file.to_path_buf())
            .chain(materials.chain(secrets).filter_map(|m| m.strip_prefix("file:")).map(PathBuf::from))
            .collect()
    }
}

impl Config {
    /// The settings the console's configuration page shows a root key: every one but the keys
    /// (listed from the key store, without secrets), with secrets redacted.
    pub fn console_settings(&self) -> Vec<(String, String)> {
        let list = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        let paths = |v: &[PathBuf]| list(v.iter().map(|p| p.display().to_string()).collect());
        let redacted = |set: bool| if set { "set (redacted)" } else { "not set" }.to_string();
        [
            ("listen", self.listen.clone()),
            ("data_dir", self.data_dir.display().to_string()),
            ("database_url", redacted(self.database_url.is_some())),
            ("region", self.region.clone()),
            ("account_id", self.account_id.clone()),
            ("workers", self.workers.to_string()),
            ("log", self.log.clone()),
            ("log_format", self.log_format.clone()),
            ("metrics_token", redacted(self.metrics_token.is_some())),
            ("no_metrics", self.no_metrics.to_string()),
            ("s3_endpoint", self.s3_endpoint.clone().unwrap_or_else(|| "AWS_ENDPOINT_URL or AWS".into())),
            ("artifact_store", self.artifact_location().map(|l| l.to_string()).unwrap_or_default()),
            ("insecure_no_auth", self.insecure_no_auth.to_string()),
            ("console_secure_cookie", self.console_secure_cookie.to_string()),
            ("max_in_flight", self.max_in_flight.to_string()),
            ("shutdown_delay_secs", self.shutdown_delay_secs.to_string()),
            ("max_live_users", self.max_live_users.to_string()),
            ("max_live_events", self.max_live_events.to_string()),
            ("filter_interactions_per_type", self.filter_interactions_per_type.to_string()),
            ("usage_retention_days", self.usage_retention_days.to_string()),
            ("allowed_data_roots", paths(&self.allowed_data_roots)),
            ("kms_keys", list(self.kms_keys.iter().map(|k| format!("{} (material redacted)", k.arn)).collect())),
            ("s3_roles", list(self.s3_roles.iter().map(|r| format!("{} (secret redacted)", r.arn)).collect())),
            ("scheduler_interval_secs", self.scheduler_interval_secs.to_string()),
            ("role", self.role.clone()),
            ("task_lease_secs", self.task_lease_secs.to_string()),
            ("collect", list(self.collect.summary())),
            (
                "clock_offset_file",
                self.clock_offset_file.as_ref().map(|f| f.display().to_string()).unwrap_or_else(|| "none".into()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

impl Config {
    /// The configuration file [`Config::load`] reads: `file`, or `reko.toml`.
    pub fn file_path(file: Option<&Path>) -> PathBuf {
        file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("reko.toml"))
    }

    /// Loads the layers. `file` is the config file (default `reko.toml`; a missing default file
    /// is fine, a missing explicit one is an error).
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
        let path = Config::file_path(file);
        if file.is_some() && !path.exists() {
            anyhow::bail!("config file {} does not exist", path.display());
        }
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&path))
            .merge(Env::prefixed("REKO_"))
            .merge(Serialized::defaults(overrides))
            .extract()?;
        config.validate()?;
        Ok(config)
    }

    /// The role, checked by [`Config::load`].
    pub fn role(&self) -> anyhow::Result<reko_service::Role> {
        reko_service::Role::parse(&self.role).map_err(|e| anyhow::anyhow!("role (--role, REKO_ROLE) {e}"))
    }

    /// Where model artifacts are stored (`artifact_store`, validated).
    pub fn artifact_location(&self) -> anyhow::Result<reko_service::artifact_store::ArtifactLocation> {
        match &self.artifact_store {
            None => Ok(Default::default()),
            Some(value) => Ok(reko_service::artifact_store::ArtifactLocation::parse(
                "artifact_store (--artifact-store, REKO_ARTIFACT_STORE)",
                value,
            )?),
        }
    }

    /// Settings whose range serde does not check.
    fn validate(&self) -> anyhow::Result<()> {
        LogFormat::parse(&self.log_format)?;
        let role = self.role()?;
        if role != reko_service::Role::All && self.database_url.is_none() {
            anyhow::bail!(
                "--role {} requires --database-url (REKO_DATABASE_URL, database_url in the config file): \
                 on the embedded store no other process would {}",
                role.as_str(),
                if role == reko_service::Role::Api { "run the tasks" } else { "serve the API" }
            );
        }
        let range = reko_service::cluster::TASK_LEASE_SECS;
        if !range.contains(&self.task_lease_secs) {
            anyhow::bail!(
                "task_lease_secs (--task-lease-secs, REKO_TASK_LEASE_SECS) must be from {} to {}, got {}",
                range.start(),
                range.end(),
                self.task_lease_secs
            );
        }
        self.artifact_location()?;
        reko_service::usage::check_retention_days(self.usage_retention_days).map_err(|e| anyhow::anyhow!(e))?;
        if self.metrics_token.as_ref().is_some_and(|t| t.0.trim().is_empty()) {
            anyhow::bail!("metrics_token (--metrics-token, REKO_METRICS_TOKEN) must not be empty when set");
        }
        if self.shutdown_delay_secs > MAX_SHUTDOWN_DELAY_SECS {
            anyhow::bail!(
                "shutdown_delay_secs (--shutdown-delay-secs, REKO_SHUTDOWN_DELAY_SECS) must be at most \
                 {MAX_SHUTDOWN_DELAY_SECS}, got {}",
                self.shutdown_delay_secs
            );
        }
        let n = self.filter_interactions_per_type;
        let max = reko_service::MAX_FILTER_INTERACTIONS_PER_TYPE;
        if !(1..=max).contains(&n) {
            anyhow::bail!(
                "filter_interactions_per_type (--filter-interactions-per-type, REKO_FILTER_INTERACTIONS_PER_TYPE) \
                 must be from 1 to {max}, got {n}"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
