//! Access keys: which keys `reko serve` accepts, and which key the CLI commands sign with.
//!
//! Server: the keys of the config file's `[[access_keys]]` tables (each optionally scoped to
//! dataset groups or to runtime use) and the root key pair of `REKO_ACCESS_KEY_ID` /
//! `REKO_SECRET_ACCESS_KEY` (or `access_key_id` / `secret_access_key` in the file). With no key
//! configured, the root key stored in the data directory (`root-access-key.json`, owner-only
//! permissions) is used, generated and printed once on the first start. `--insecure-no-auth`
//! turns authentication off, on a loopback address only.
//!
//! CLI: `REKO_ACCESS_KEY_ID` / `REKO_SECRET_ACCESS_KEY`, else `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY`, else the root key file of the data directory (`REKO_DATA_DIR`, default
//! `./reko-data`) when the command runs beside the server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rand::distributions::{Alphanumeric, DistString};
use reko_http::{AccessKey, Authentication, KeyScope, KeyStore};
use serde::{Deserialize, Serialize};

use crate::config::{Config, Secret};

/// The root key's file in the data directory.
pub const ROOT_KEY_FILE: &str = "root-access-key.json";

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
}

/// The root key file's content.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RootKeyFile {
    access_key_id: String,
    secret_access_key: String,
}

/// How `reko serve` authenticates, from the configuration (see the module docs). Prints the root
/// key when it generates one.
pub fn server_authentication(config: &Config, listening: SocketAddr) -> anyhow::Result<Authentication> {
    if config.insecure_no_auth {
        if !listening.ip().is_loopback() {
            bail!(
                "--insecure-no-auth is only allowed on a loopback address; {listening} is reachable from other \
                 machines. Configure access keys instead (see docs/security.md)."
            );
        }
        tracing::warn!(%listening, "authentication is OFF (--insecure-no-auth): every request is accepted");
        return Ok(Authentication::Disabled);
    }
    let mut keys: Vec<AccessKey> = config
        .access_keys
        .iter()
        .map(|k| AccessKey {
            access_key_id: k.access_key_id.clone(),
            secret_access_key: k.secret_access_key.0.clone(),
            scope: KeyScope { dataset_groups: k.dataset_groups.clone(), runtime_only: k.runtime_only },
        })
        .collect();
    match (&config.access_key_id, &config.secret_access_key) {
        (Some(id), Some(secret)) => keys.push(root(id, &secret.0)),
        (None, None) => {}
        _ => bail!("REKO_ACCESS_KEY_ID and REKO_SECRET_ACCESS_KEY must be given together"),
    }
    for k in &keys {
        if k.access_key_id.len() < 8 || k.secret_access_key.len() < 16 {
            bail!("access key '{}': ids must have at least 8 characters and secrets at least 16", k.access_key_id);
        }
    }
    if keys.is_empty() {
        let (id, secret) = stored_root_key(&config.data_dir)?;
        keys.push(root(&id, &secret));
    }
    let mut ids: Vec<&str> = keys.iter().map(|k| k.access_key_id.as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        bail!("an access key id is configured twice");
    }
    tracing::info!(keys = keys.len(), "requests are authenticated with AWS Signature Version 4");
    Ok(Authentication::SigV4(std::sync::Arc::new(KeyStore::new(&config.region, keys))))
}

fn root(id: &str, secret: &str) -> AccessKey {
    AccessKey { access_key_id: id.to_string(), secret_access_key: secret.to_string(), scope: KeyScope::default() }
}

/// A new random key pair: a 20-character id (`RK` + upper-case letters and digits) and a
/// 40-character secret, from the operating system's random source.
pub fn generate_key_pair() -> (String, String) {
    let mut rng = rand::rngs::OsRng;
    let id = format!("RK{}", Alphanumeric.sample_string(&mut rng, 18).to_ascii_uppercase());
    (id, Alphanumeric.sample_string(&mut rng, 40))
}

/// The data directory's root key, generated (and printed once) when missing.
fn stored_root_key(data_dir: &Path) -> anyhow::Result<(String, String)> {
    let path = data_dir.join(ROOT_KEY_FILE);
    if let Some(key) = read_root_key(&path)? {
        return Ok(key);
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let (id, secret) = generate_key_pair();
    let text =
        serde_json::to_string_pretty(&RootKeyFile { access_key_id: id.clone(), secret_access_key: secret.clone() })?;
    write_owner_only(&path, text.as_bytes())?;
    // Printed once, to stdout (not the log): the operator copies it into their client's credentials.
    println!(
        "Generated the root access key of this server (stored in {}, readable by this user only):\n  \
         AWS_ACCESS_KEY_ID={id}\n  AWS_SECRET_ACCESS_KEY={secret}",
        path.display()
    );
    Ok((id, secret))
}

fn read_root_key(path: &Path) -> anyhow::Result<Option<(String, String)>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key: RootKeyFile =
                serde_json::from_str(&text).with_context(|| format!("{} is not a root key file", path.display()))?;
            Ok(Some((key.access_key_id, key.secret_access_key)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_owner_only(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    // The new file's entry in its folder is durable too.
    #[cfg(unix)]
    {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::File::open(folder)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing {}", folder.display()))?;
    }
    Ok(())
}

/// The key the CLI commands sign with (see the module docs).
pub fn client_credentials() -> anyhow::Result<(String, String)> {
    let pair = |id: &str, secret: &str| match (std::env::var(id), std::env::var(secret)) {
        (Ok(i), Ok(s)) if !i.is_empty() && !s.is_empty() => Some((i, s)),
        _ => None,
    };
    if let Some(k) = pair("REKO_ACCESS_KEY_ID", "REKO_SECRET_ACCESS_KEY") {
        return Ok(k);
    }
    if let Some(k) = pair("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") {
        return Ok(k);
    }
    let dir = std::env::var_os("REKO_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("reko-data"));
    match read_root_key(&dir.join(ROOT_KEY_FILE))? {
        Some(k) => Ok(k),
        None => bail!(
            "no credentials: set REKO_ACCESS_KEY_ID and REKO_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY) to a key of the server, or run beside the server's data directory ({}).",
            dir.display()
        ),
    }
}

/// The region the CLI signs with: the ARN's, else `REKO_REGION` / `AWS_REGION`, else us-east-1.
pub fn client_region(arn_region: Option<&str>) -> String {
    arn_region
        .map(str::to_string)
        .or_else(|| std::env::var("REKO_REGION").ok())
        .or_else(|| std::env::var("AWS_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// Headers that sign a body-less request (`GET /reko/tasks`) with SigV4, as the SDKs sign theirs.
pub fn sign_get(credentials: &(String, String), region: &str, authority: &str, path: &str) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;
    let identity =
        aws_credential_types::Credentials::new(&credentials.0, &credentials.1, None, None, "reko-cli").into();
    let Ok(params) = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("personalize")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
    else {
        return Vec::new();
    };
    let url = format!("http://{authority}{path}");
    let headers = [("host", authority)];
    let Ok(signable) = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(b"")) else {
        return Vec::new();
    };
    match sign(signable, &params.into()) {
        Ok(out) => {
            let (instructions, _) = out.into_parts();
            instructions.headers().map(|(n, v)| (n.to_string(), v.to_string())).collect()
        }
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_random_and_well_formed() {
        let (a, s) = generate_key_pair();
        let (b, _) = generate_key_pair();
        assert!(a.starts_with("RK") && a.len() == 20 && s.len() == 40 && a != b);
        assert!(a.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    }

    #[test]
    fn the_root_key_is_generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let first = stored_root_key(dir.path()).unwrap();
        let second = stored_root_key(dir.path()).unwrap();
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(ROOT_KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn insecure_mode_only_on_loopback() {
        let config = Config { insecure_no_auth: true, ..Config::default() };
        assert!(matches!(
            server_authentication(&config, "127.0.0.1:8080".parse().unwrap()),
            Ok(Authentication::Disabled)
        ));
        let e = server_authentication(&config, "0.0.0.0:8080".parse().unwrap()).unwrap_err().to_string();
        assert!(e.contains("loopback"), "{e}");
    }
}
