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

// The key tables are configuration (`config`); this module only reads them.
pub use crate::config::AccessKeyConfig;
use crate::config::Config;

/// The root key's file in the data directory.
pub const ROOT_KEY_FILE: &str = "root-access-key.json";

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
            scope: KeyScope {
                dataset_groups: k.dataset_groups.clone(),
                runtime_only: k.runtime_only,
                // Only keys scoped to dataset groups have roots and roles of their own
                // (checked at start by `check_key_grants`).
                data_roots: k.dataset_groups.is_some().then(|| k.data_roots.clone()),
                s3_roles: k.dataset_groups.is_some().then(|| k.s3_roles.clone()),
            },
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

/// Refuses, at start, grants that would let one tenant reach another's data: dataset groups of
/// more than one account in one key (its account decides where its resources are created),
/// `data_roots` or
/// `s3_roles` on a key without `dataset_groups` (a root key, which uses `--allowed-data-root` and
/// every role: the setting would mean nothing), a key naming a role no `[[s3_roles]]` table
/// declares, a role declared twice, the roots of two keys of different dataset groups that
/// overlap (one inside the other, or the same), and a key's root that overlaps the data
/// directory. Keys of the very same dataset groups (a tenant's keys, e.g. during a rotation) may
/// share roots.
pub fn check_key_grants(config: &Config) -> anyhow::Result<()> {
    let mut arns: Vec<&str> = config.s3_roles.iter().map(|r| r.arn.as_str()).collect();
    arns.sort_unstable();
    if let Some(w) = arns.windows(2).find(|w| w[0] == w[1]) {
        bail!("[[s3_roles]]: role {} is declared twice", w[0]);
    }
    for k in &config.access_keys {
        if k.dataset_groups.is_none() && (!k.data_roots.is_empty() || !k.s3_roles.is_empty()) {
            bail!(
                "access key '{}': data_roots and s3_roles are for keys scoped to dataset groups (dataset_groups); a \
                 key without them is a root key, which uses allowed_data_roots (--allowed-data-root) and may name \
                 any [[s3_roles]] role",
                k.access_key_id
            );
        }
        // A key's account (where its new groups and schemas are created) is its groups' account.
        let accounts: std::collections::BTreeSet<Option<&str>> =
            k.dataset_groups.iter().flatten().map(|g| g.split(':').nth(4).filter(|a| !a.is_empty())).collect();
        if accounts.len() > 1 || accounts.contains(&None) {
            bail!(
                "access key '{}': dataset_groups must be dataset group ARNs of one account \
                 (arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME); they name {}",
                k.access_key_id,
                accounts.iter().map(|a| a.unwrap_or("no account")).collect::<Vec<_>>().join(", ")
            );
        }
        if let Some(role) = k.s3_roles.iter().find(|r| !arns.contains(&r.as_str())) {
            bail!("access key '{}': s3_roles names {role}, which no [[s3_roles]] table declares", k.access_key_id);
        }
    }
    let data_dir = resolved(&config.data_dir);
    let groups = |k: &AccessKeyConfig| {
        let mut g = k.dataset_groups.clone().unwrap_or_default();
        g.sort_unstable();
        g.dedup();
        g
    };
    for (i, a) in config.access_keys.iter().enumerate() {
        for root in &a.data_roots {
            let r = resolved(root);
            if r.starts_with(&data_dir) || data_dir.starts_with(&r) {
                bail!(
                    "access key '{}': data root {} overlaps the data directory {}; a key's folders must lie apart \
                     from the server's own files",
                    a.access_key_id,
                    root.display(),
                    config.data_dir.display()
                );
            }
            for b in config.access_keys.iter().skip(i + 1).filter(|b| groups(b) != groups(a)) {
                if let Some(other) = b.data_roots.iter().find(|o| {
                    let o = resolved(o);
                    o.starts_with(&r) || r.starts_with(&o)
                }) {
                    bail!(
                        "the data_roots of access keys '{}' ({}) and '{}' ({}) overlap (one lies inside the other), \
                         so each could read or overwrite the other's files; give each tenant folders of its own",
                        a.access_key_id,
                        root.display(),
                        b.access_key_id,
                        other.display()
                    );
                }
            }
        }
    }
    Ok(())
}

/// `path` made absolute and resolved as far as it exists (symbolic links and `..` followed as
/// the OS follows them); in the rest, `..` goes up a part.
fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute =
        if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let parts: Vec<Component<'_>> = absolute.components().collect();
    for k in (1..=parts.len()).rev() {
        let Ok(mut out) = parts[..k].iter().collect::<PathBuf>().canonicalize() else { continue };
        for part in &parts[k..] {
            match part {
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(name) => out.push(name),
                _ => {}
            }
        }
        return out;
    }
    absolute
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

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

    fn key(id: &str, groups: &[&str], roots: &[&Path], roles: &[&str]) -> AccessKeyConfig {
        AccessKeyConfig {
            access_key_id: id.into(),
            secret_access_key: Secret("a-secret-of-sixteen-chars".into()),
            dataset_groups: (!groups.is_empty()).then(|| groups.iter().map(|g| g.to_string()).collect()),
            runtime_only: false,
            data_roots: roots.iter().map(|r| r.to_path_buf()).collect(),
            s3_roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn role(arn: &str) -> crate::config::S3RoleConfig {
        crate::config::S3RoleConfig {
            arn: arn.into(),
            access_key_id: "AKIAROLE".into(),
            secret_access_key: Secret("role-secret".into()),
            endpoint: None,
            allowed: vec!["s3://bucket/".into()],
        }
    }

    #[test]
    fn key_grants_never_overlap_between_tenants() {
        const GA: &str = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g-a";
        const GB: &str = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g-b";
        let dir = tempfile::tempdir().unwrap();
        let srv = dir.path().join("srv");
        std::fs::create_dir_all(srv.join("tenant-a")).unwrap();
        let (a, b, data) = (srv.join("tenant-a"), srv.join("tenant-b"), dir.path().join("data"));
        let role_a = "arn:aws:iam::123456789012:role/TenantA";
        let with = |keys: Vec<AccessKeyConfig>| Config {
            data_dir: data.clone(),
            access_keys: keys,
            s3_roles: vec![role(role_a)],
            ..Config::default()
        };
        let ok = with(vec![key("KEYA0001", &[GA], &[&a], &[role_a]), key("KEYB0001", &[GB], &[&b], &[])]);
        check_key_grants(&ok).unwrap();
        // The key's scope carries its roots and roles; a root key's carries none of its own.
        let auth = server_authentication(&ok, "127.0.0.1:1".parse().unwrap()).unwrap();
        assert!(matches!(auth, Authentication::SigV4(_)));
        // Two tenants, one root inside the other (also through '..' and a missing folder), or the same.
        for b_root in [a.join("nested"), srv.clone(), a.clone(), srv.join("tenant-b/../tenant-a/x")] {
            let e = check_key_grants(&with(vec![
                key("KEYA0001", &[GA], &[&a], &[]),
                key("KEYB0001", &[GB], &[&b_root], &[]),
            ]))
            .unwrap_err()
            .to_string();
            assert!(e.contains("KEYA0001") && e.contains("KEYB0001") && e.contains("overlap"), "{e}");
            assert!(e.contains(&a.display().to_string()) && e.contains(&b_root.display().to_string()), "{e}");
        }
        // The same tenant's keys (a rotation) may share them.
        check_key_grants(&with(vec![key("KEYA0001", &[GA], &[&a], &[]), key("KEYA0002", &[GA], &[&a], &[])])).unwrap();
        // A root overlapping the data directory, either way round.
        for root in [data.join("exports"), dir.path().to_path_buf()] {
            let e = check_key_grants(&with(vec![key("KEYA0001", &[GA], &[&root], &[])])).unwrap_err().to_string();
            assert!(
                e.contains("KEYA0001") && e.contains("data directory") && e.contains(&root.display().to_string()),
                "{e}"
            );
        }
        // Roles: configured, once; roots and roles only on keys scoped to dataset groups.
        let e = check_key_grants(&with(vec![key("KEYA0001", &[GA], &[], &["arn:aws:iam::1:role/Nope"])]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("KEYA0001") && e.contains("role/Nope"), "{e}");
        let mut twice = with(vec![]);
        twice.s3_roles.push(role(role_a));
        assert!(check_key_grants(&twice).unwrap_err().to_string().contains("twice"));
        for unscoped in [key("ROOTKEY1", &[], &[&a], &[]), key("ROOTKEY1", &[], &[], &[role_a])] {
            let e = check_key_grants(&with(vec![unscoped])).unwrap_err().to_string();
            assert!(e.contains("ROOTKEY1") && e.contains("dataset_groups"), "{e}");
        }
        // One account per key.
        let two_accounts = with(vec![key(
            "KEYC0001",
            &[
                "arn:aws:personalize:us-east-1:111111111111:dataset-group/x",
                "arn:aws:personalize:us-east-1:222222222222:dataset-group/y",
            ],
            &[],
            &[],
        )]);
        let e = check_key_grants(&two_accounts).unwrap_err().to_string();
        assert!(e.contains("KEYC0001") && e.contains("one account"), "{e}");
        let e = check_key_grants(&with(vec![key("KEYD0001", &["shop"], &[], &[])])).unwrap_err().to_string();
        assert!(e.contains("KEYD0001"), "{e}");
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
