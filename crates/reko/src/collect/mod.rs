//! Event collection's configuration (`[[collect.segment]]`, `[[collect.nats]]` in `reko.toml`;
//! docs/event-collection.md) and the NATS JetStream consumers `reko serve` runs.

pub mod nats;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use reko_service::collect::{CollectSource, Mapping};
use serde::{Deserialize, Serialize};

/// A shared secret (or where to read it): serialised as is, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SharedSecret(pub String);

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The `[collect]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CollectConfig {
    /// Segment webhook sources (`POST /reko/collect/segment/{name}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment: Vec<SegmentSourceConfig>,
    /// NATS JetStream subjects consumed into event trackers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nats: Vec<NatsSourceConfig>,
}

impl CollectConfig {
    pub fn is_empty(&self) -> bool {
        self.segment.is_empty() && self.nats.is_empty()
    }

    /// The sources as the console's configuration page lists them (never the secrets).
    pub fn summary(&self) -> Vec<String> {
        let segment = self
            .segment
            .iter()
            .map(|s| format!("segment {} -> tracker {} (shared secret redacted)", s.name, s.tracking_id));
        let nats = self.nats.iter().map(|n| {
            format!(
                "nats {} {} stream {} subject {} -> tracker {}",
                n.name,
                nats::redacted_url(&n.url),
                n.stream,
                n.subject,
                n.tracking_id
            )
        });
        segment.chain(nats).collect()
    }
}

/// How messages map (the same keys in both kinds of source).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MappingConfig {
    /// Segment event name → event type (empty: names pass as event types).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, String>,
    /// The event type of `page` / `screen` calls (unset: they are dead letters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_event_type: Option<String>,
    /// Segment property → `itemId`, `eventValue`, `impression`, `recommendationId` or an
    /// Interactions field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Segment trait → a Users field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub traits: BTreeMap<String, String>,
}

/// A `[[collect.segment]]` source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SegmentSourceConfig {
    pub name: String,
    pub tracking_id: String,
    /// The shared secret, as is or `env:VARIABLE` / `file:/path` holding it.
    pub shared_secret: SharedSecret,
    #[serde(flatten)]
    pub mapping: MappingConfig,
}

/// A `[[collect.nats]]` source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NatsSourceConfig {
    pub name: String,
    #[serde(default = "default_nats_url")]
    pub url: String,
    /// The JetStream stream (created with `subject` when missing).
    pub stream: String,
    pub subject: String,
    /// The durable consumer's name (created when missing; its position survives restarts).
    pub durable: String,
    pub tracking_id: String,
    /// Seconds a delivered message may stay unacknowledged before it is redelivered.
    #[serde(default = "default_ack_wait_secs")]
    pub ack_wait_secs: u64,
    /// Messages delivered and not yet acknowledged at most (back-pressure: the server stops
    /// delivering beyond it).
    #[serde(default = "default_max_ack_pending")]
    pub max_ack_pending: i64,
    #[serde(flatten)]
    pub mapping: MappingConfig,
}

fn default_nats_url() -> String {
    "nats://127.0.0.1:4222".into()
}
fn default_ack_wait_secs() -> u64 {
    30
}
fn default_max_ack_pending() -> i64 {
    256
}

impl MappingConfig {
    fn source(&self, name: &str, tracking_id: &str) -> CollectSource {
        CollectSource {
            name: name.to_string(),
            tracking_id: tracking_id.to_string(),
            mapping: Mapping {
                events: self.events.clone(),
                page_event_type: self.page_event_type.clone(),
                properties: self.properties.clone(),
                traits: self.traits.clone(),
            },
        }
    }

    fn check(&self, what: &str) -> anyhow::Result<()> {
        for (name, event_type) in &self.events {
            if event_type.is_empty() || event_type.chars().count() > 256 {
                anyhow::bail!("{what}: events.\"{name}\" must be an event type of 1 to 256 characters");
            }
        }
        if self.page_event_type.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > 256) {
            anyhow::bail!("{what}: page_event_type must be 1 to 256 characters");
        }
        for (name, target) in self.properties.iter().chain(&self.traits) {
            if target.is_empty() {
                anyhow::bail!("{what}: the mapping of \"{name}\" is empty");
            }
        }
        Ok(())
    }
}

/// A secret as is, or read from `env:VARIABLE` / `file:/path` (errors name the source, never the secret).
fn read_secret(what: &str, source: &str) -> anyhow::Result<String> {
    let secret = if let Some(var) = source.strip_prefix("env:") {
        std::env::var(var).map_err(|_| anyhow::anyhow!("{what}: environment variable {var} is not set"))?
    } else if let Some(path) = source.strip_prefix("file:") {
        std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{what}: cannot read {path}: {e}"))?
            .trim()
            .to_string()
    } else {
        source.to_string()
    };
    if secret.is_empty() {
        anyhow::bail!("{what}: shared_secret is empty");
    }
    Ok(secret)
}

/// A source name: it is a URL path segment and a metric label.
fn check_name(kind: &str, name: &str, seen: &mut BTreeSet<String>) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        anyhow::bail!("[[collect.{kind}]] name \"{name}\" must be 1 to 64 letters, digits, '-' or '_'");
    }
    if !seen.insert(name.to_string()) {
        anyhow::bail!("[[collect.{kind}]] name \"{name}\" is used twice");
    }
    Ok(())
}

impl CollectConfig {
    /// The webhook's sources, secrets read.
    pub fn segment_webhooks(&self) -> anyhow::Result<Vec<reko_http::SegmentWebhook>> {
        let mut seen = BTreeSet::new();
        self.segment
            .iter()
            .map(|s| {
                check_name("segment", &s.name, &mut seen)?;
                let what = format!("[[collect.segment]] {}", s.name);
                s.mapping.check(&what)?;
                Ok(reko_http::SegmentWebhook {
                    source: s.mapping.source(&s.name, &s.tracking_id),
                    shared_secret: read_secret(&what, &s.shared_secret.0)?,
                })
            })
            .collect()
    }

    /// The NATS consumers to run.
    pub fn nats_sources(&self) -> anyhow::Result<Vec<nats::NatsSource>> {
        let mut seen = BTreeSet::new();
        self.nats
            .iter()
            .map(|n| {
                check_name("nats", &n.name, &mut seen)?;
                let what = format!("[[collect.nats]] {}", n.name);
                n.mapping.check(&what)?;
                if n.max_ack_pending < 1 {
                    anyhow::bail!("{what}: max_ack_pending must be at least 1, got {}", n.max_ack_pending);
                }
                if n.ack_wait_secs < 1 {
                    anyhow::bail!("{what}: ack_wait_secs must be at least 1");
                }
                Ok(nats::NatsSource {
                    source: n.mapping.source(&n.name, &n.tracking_id),
                    url: n.url.clone(),
                    stream: n.stream.clone(),
                    subject: n.subject.clone(),
                    durable: n.durable.clone(),
                    ack_wait: Duration::from_secs(n.ack_wait_secs),
                    max_ack_pending: n.max_ack_pending,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn sources_come_from_the_file_with_their_secrets_and_mappings() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("WEB_SECRET", "from-env");
            jail.create_file(
                "reko.toml",
                "[[collect.segment]]\nname = \"web\"\ntracking_id = \"t1\"\nshared_secret = \"env:WEB_SECRET\"\n\
                 page_event_type = \"page\"\n[collect.segment.events]\n\"Product Viewed\" = \"view\"\n\
                 [collect.segment.properties]\nproduct_id = \"itemId\"\n\
                 [[collect.nats]]\nname = \"orders\"\nstream = \"ORDERS\"\nsubject = \"orders.events\"\n\
                 durable = \"reko\"\ntracking_id = \"t2\"\n",
            )?;
            use figment::providers::Format as _;
            #[derive(Deserialize)]
            struct File {
                collect: CollectConfig,
            }
            let file: File = figment::Figment::from(figment::providers::Toml::file("reko.toml")).extract()?;
            let hooks = file.collect.segment_webhooks().expect("valid");
            assert_eq!(hooks[0].shared_secret, "from-env");
            assert_eq!(hooks[0].source.mapping.events["Product Viewed"], "view");
            assert_eq!(hooks[0].source.mapping.properties["product_id"], "itemId");
            assert!(!format!("{:?}", hooks[0]).contains("from-env"), "the secret is never shown");
            let nats = file.collect.nats_sources().expect("valid");
            assert_eq!((nats[0].url.as_str(), nats[0].max_ack_pending), ("nats://127.0.0.1:4222", 256));
            Ok(())
        });
    }

    #[test]
    fn bad_sources_are_refused_by_name() {
        let mut c = CollectConfig::default();
        c.segment.push(SegmentSourceConfig {
            name: "a b".into(),
            tracking_id: "t".into(),
            shared_secret: SharedSecret("s".into()),
            mapping: MappingConfig::default(),
        });
        assert!(c.segment_webhooks().unwrap_err().to_string().contains("\"a b\""));
        c.segment[0].name = "web".into();
        c.segment[0].shared_secret = SharedSecret("env:REKO_TEST_UNSET_SECRET_VARIABLE".into());
        assert!(c.segment_webhooks().unwrap_err().to_string().contains("REKO_TEST_UNSET_SECRET_VARIABLE is not set"));
    }
}
