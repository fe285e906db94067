//! SigV4 authentication of every request of the three services (docs/security.md,
//! "Authentication: AWS Signature Version 4"; signing name `personalize`, scope
//! `<yyyymmdd>/<region>/personalize/aws4_request`).
//!
//! A request is verified in two steps before any handler sees it. From its headers alone
//! ([`KeyStore::check_headers`], before the body is read): the `Authorization` header is parsed,
//! the access key must be known, `X-Amz-Date` within [`MAX_CLOCK_SKEW_SECS`] of the server's
//! clock, the scope's date that date, its region the server's, its service `personalize`; `host`
//! and `x-amz-date` must be signed, and on the control plane (`/`) `x-amz-target`. Then, with the
//! body ([`CheckedHeaders::verify_body`]): the canonical request is rebuilt from the method, path,
//! query, the signed headers and the SHA-256 of the body as received (an `x-amz-content-sha256`
//! header must match it), and the signature recomputed with the secret of the access key and
//! compared in constant time. The errors are the codes the AWS SDKs know, all HTTP 403.

use std::collections::HashMap;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use reko_api::ApiError;
use sha2::{Digest, Sha256};

/// AWS accepts requests signed up to 15 minutes before or after its clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "personalize";

type HmacSha256 = Hmac<Sha256>;

/// What an access key may do. The default is everything (a root key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyScope {
    /// Dataset group ARNs the key may see and touch; `None`: all.
    pub dataset_groups: Option<Vec<String>>,
    /// Only GetRecommendations, GetPersonalizedRanking and the events service (a key a web front
    /// end may hold).
    pub runtime_only: bool,
    /// The local folders the key's jobs may read and write (`data_roots`); `None`: the server's
    /// (`--allowed-data-root`) for a root key, none for a key scoped to dataset groups.
    pub data_roots: Option<Vec<std::path::PathBuf>>,
    /// The `[[s3_roles]]` the key's jobs may name in `roleArn` (`s3_roles`); `None`: any (and the
    /// server's own credentials for other roles) for a root key, none for a scoped key.
    pub s3_roles: Option<Vec<String>>,
}

/// An access key the server accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub scope: KeyScope,
}

impl std::fmt::Debug for AccessKey {
    // The secret never reaches a log through a Debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// The authenticated caller of a request, put into the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub access_key_id: String,
    pub scope: KeyScope,
}

/// How the server authenticates.
#[derive(Debug, Clone)]
pub enum Authentication {
    /// `--insecure-no-auth` (loopback only): every request is a root caller.
    Disabled,
    /// SigV4 with these keys, for this region.
    SigV4(Arc<KeyStore>),
}

/// The access keys, by id.
#[derive(Debug)]
pub struct KeyStore {
    keys: HashMap<String, AccessKey>,
    region: String,
}

impl KeyStore {
    pub fn new(region: &str, keys: impl IntoIterator<Item = AccessKey>) -> Self {
        KeyStore { keys: keys.into_iter().map(|k| (k.access_key_id.clone(), k)).collect(), region: region.to_string() }
    }

    /// The caller whose key id and secret these are (the console's login), comparing the secret
    /// in constant time (of its SHA-256, so its length leaks nothing either); `None` otherwise.
    pub fn check_secret(&self, access_key_id: &str, secret_access_key: &str) -> Option<Principal> {
        let key = self.keys.get(access_key_id);
        let expected = Sha256::digest(key.map_or("", |k| k.secret_access_key.as_str()).as_bytes());
        let given = Sha256::digest(secret_access_key.as_bytes());
        let differs = expected.iter().zip(given.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        let key = key?;
        (differs == 0).then(|| Principal { access_key_id: key.access_key_id.clone(), scope: key.scope.clone() })
    }

    /// The key ids with their scopes, sorted by id (never the secrets).
    pub fn scopes(&self) -> Vec<(String, KeyScope)> {
        let mut keys: Vec<_> = self.keys.values().map(|k| (k.access_key_id.clone(), k.scope.clone())).collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys
    }
}

/// The parts of a request its head carries: everything a signature covers but the body.
pub struct RequestHead<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    /// Header names and values, in any order (names compared case-insensitively).
    pub headers: Vec<(&'a str, &'a [u8])>,
}

impl<'a> RequestHead<'a> {
    fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

/// The parts of a request a signature covers.
pub struct SignedRequest<'a> {
    pub head: RequestHead<'a>,
    pub body: &'a [u8],
}

/// A request whose headers passed [`KeyStore::check_headers`]; its signature is checked by
/// [`CheckedHeaders::verify_body`] once the body is in.
pub struct CheckedHeaders<'k, 'r> {
    key: &'k AccessKey,
    auth: AuthorizationHeader<'r>,
    amz_date: &'r str,
    signature: Vec<u8>,
}

fn incomplete(msg: impl Into<String>) -> ApiError {
    ApiError::IncompleteSignature(msg.into())
}

/// `Credential=…, SignedHeaders=…, Signature=…` of an `Authorization` header.
struct AuthorizationHeader<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<AuthorizationHeader<'_>, ApiError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| incomplete(format!("Authorization header requires the {ALGORITHM} algorithm.")))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or_else(|| {
            incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
        })?;
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(incomplete(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
        ));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(incomplete(
            "Credential must have the form <access key id>/<yyyymmdd>/<region>/personalize/aws4_request.",
        ));
    };
    Ok(AuthorizationHeader {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// `YYYYMMDDTHHMMSSZ` → seconds since the epoch.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let days = reko_api::calendar::days_from_civil(y, m as u32, d as u32);
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Seconds since the epoch → `YYYYMMDDTHHMMSSZ`.
pub(crate) fn format_amz_date(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = reko_api::calendar::civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// SigV4's URI encoding: unreserved characters kept, every other byte `%XX` (upper case).
fn uri_encode(s: &[u8], keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.extend(['%', HEX[usize::from(b >> 4)] as char, HEX[usize::from(b & 15)] as char]);
        }
    }
    out
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decoding of a query component, byte-wise (`+` stays a plus, as SigV4 signers send
/// `%20`). A malformed escape stays as sent, so its signature simply does not match.
fn uri_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(hi), Some(lo)) =
                (b.get(i + 1).copied().and_then(hex_digit), b.get(i + 2).copied().and_then(hex_digit))
            {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn canonical_query(query: Option<&str>) -> String {
    let Some(q) = query.filter(|q| !q.is_empty()) else { return String::new() };
    // '&' and '=' are ASCII: splitting on them never cuts a character.
    let mut pairs: Vec<(String, String)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&uri_decode(k), false), uri_encode(&uri_decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Header value as SigV4 canonicalises it: trimmed, inner runs of spaces collapsed.
fn canonical_header_value(v: &[u8]) -> String {
    String::from_utf8_lossy(v).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The string a SigV4 signature is the HMAC of: the canonical request (method, path, query, the
/// signed headers, the body's hash) under the date and scope.
fn string_to_sign(
    head: &RequestHead<'_>,
    signed_headers: &[&str],
    amz_date: &str,
    scope: &str,
    body_hash: &str,
) -> Result<String, ApiError> {
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let value = head.header(name).ok_or_else(|| incomplete(format!("Signed header '{name}' is missing.")))?;
        canonical_headers.push_str(&name.to_ascii_lowercase());
        canonical_headers.push(':');
        canonical_headers.push_str(&canonical_header_value(value));
        canonical_headers.push('\n');
    }
    // Non-S3 services encode each path segment twice: once on the wire, once here.
    let canonical_uri = if head.path.is_empty() { "/".to_string() } else { uri_encode(head.path.as_bytes(), true) };
    let canonical_request = format!(
        "{}\n{canonical_uri}\n{}\n{canonical_headers}\n{}\n{body_hash}",
        head.method,
        canonical_query(head.query),
        signed_headers.join(";"),
    );
    Ok(format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex_sha256(canonical_request.as_bytes())))
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    hmac(&hmac(&hmac(&k_date, region.as_bytes()), service.as_bytes()), b"aws4_request")
}

impl KeyStore {
    /// Verifies a request's signature at time `now` (seconds since the epoch); the caller on
    /// success, the wire error (403) otherwise.
    pub fn verify(&self, req: &SignedRequest<'_>, now: i64) -> Result<Principal, ApiError> {
        self.check_headers(&req.head, now)?.verify_body(&req.head, req.body)
    }

    /// Everything verifiable without the body: a well-formed `Authorization`, a known access key,
    /// the scope, `X-Amz-Date` within the clock skew, the required headers signed and present.
    /// Run before any request slot is taken or any body byte read.
    pub fn check_headers<'k, 'r>(
        &'k self,
        head: &RequestHead<'r>,
        now: i64,
    ) -> Result<CheckedHeaders<'k, 'r>, ApiError> {
        let Some(authorization) = head.header("authorization") else {
            return Err(ApiError::MissingAuthenticationToken(
                "Missing Authentication Token: the request must be signed with AWS Signature Version 4.".into(),
            ));
        };
        let authorization = std::str::from_utf8(authorization)
            .map_err(|_| incomplete("The Authorization header is not valid UTF-8."))?;
        let auth = parse_authorization(authorization)?;
        let amz_date = head
            .header("x-amz-date")
            .and_then(|v| std::str::from_utf8(v).ok())
            .ok_or_else(|| incomplete("The request must carry an X-Amz-Date header (YYYYMMDDTHHMMSSZ)."))?;
        let signed_at =
            parse_amz_date(amz_date).ok_or_else(|| incomplete(format!("Invalid X-Amz-Date '{amz_date}'.")))?;
        let key = self.keys.get(auth.access_key_id).ok_or_else(|| {
            ApiError::UnrecognizedClient(format!(
                "The security token included in the request is invalid: unknown access key id '{}'.",
                auth.access_key_id
            ))
        })?;
        if auth.service != SERVICE || auth.terminator != "aws4_request" {
            return Err(ApiError::InvalidSignature(format!(
                "Credential should be scoped to the service '{SERVICE}' with the terminator 'aws4_request', not \
                 '{}/{}'.",
                auth.service, auth.terminator
            )));
        }
        if auth.region != self.region {
            return Err(ApiError::InvalidSignature(format!(
                "Credential should be scoped to a valid region, not '{}': this server's region is '{}'.",
                auth.region, self.region
            )));
        }
        if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
            return Err(ApiError::InvalidSignature(format!(
                "Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '{}' vs '{amz_date}'.",
                auth.date
            )));
        }
        if (now - signed_at).abs() > MAX_CLOCK_SKEW_SECS {
            let bound = if signed_at < now { now - MAX_CLOCK_SKEW_SECS } else { now + MAX_CLOCK_SKEW_SECS };
            let (relation, sign) = if signed_at < now { ("earlier", '-') } else { ("later", '+') };
            return Err(ApiError::InvalidSignature(format!(
                "Signature expired: {amz_date} is now {relation} than {} ({} {sign} 15 min.)",
                format_amz_date(bound),
                format_amz_date(now)
            )));
        }
        for required in ["host", "x-amz-date"] {
            if !auth.signed_headers.iter().any(|h| h.eq_ignore_ascii_case(required)) {
                return Err(incomplete(format!("The '{required}' header must be signed (SignedHeaders).")));
            }
        }
        // The control plane's operation is chosen by X-Amz-Target alone (the body is the same
        // shape for many operations): unsigned, it could be changed in transit. The SDKs and
        // the CLI always sign it.
        if head.path == "/" && !auth.signed_headers.iter().any(|h| h.eq_ignore_ascii_case("x-amz-target")) {
            return Err(incomplete(
                "The 'x-amz-target' header must be signed (SignedHeaders): it names the operation of a \
                 control-plane request.",
            ));
        }
        if let Some(name) = auth.signed_headers.iter().find(|name| head.header(name).is_none()) {
            return Err(incomplete(format!("Signed header '{name}' is missing.")));
        }
        let signature = hex::decode(auth.signature)
            .ok()
            .filter(|s| s.len() == 32)
            .ok_or_else(|| ApiError::InvalidSignature("The request signature is not 64 hex digits.".into()))?;
        Ok(CheckedHeaders { key, auth, amz_date, signature })
    }
}

impl CheckedHeaders<'_, '_> {
    /// The signature check proper, over the head that passed [`KeyStore::check_headers`] and the
    /// body as received; the caller on success.
    pub fn verify_body(&self, head: &RequestHead<'_>, body: &[u8]) -> Result<Principal, ApiError> {
        let body_hash = hex_sha256(body);
        if let Some(claimed) = head.header("x-amz-content-sha256") {
            if claimed != body_hash.as_bytes() {
                return Err(ApiError::InvalidSignature(
                    "The x-amz-content-sha256 header does not match the SHA-256 of the request body.".into(),
                ));
            }
        }
        let auth = &self.auth;
        let scope = format!("{}/{}/{}/aws4_request", auth.date, auth.region, auth.service);
        let string_to_sign = string_to_sign(head, &auth.signed_headers, self.amz_date, &scope, &body_hash)?;
        let k_signing = signing_key(&self.key.secret_access_key, auth.date, auth.region, auth.service);
        let mut mac = HmacSha256::new_from_slice(&k_signing).expect("HMAC takes keys of any length");
        mac.update(string_to_sign.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&self.signature).map_err(|_| {
            ApiError::InvalidSignature(
                "The request signature we calculated does not match the signature you provided. Check your AWS \
                 Secret Access Key and signing method."
                    .into(),
            )
        })?;
        Ok(Principal { access_key_id: self.key.access_key_id.clone(), scope: self.key.scope.clone() })
    }
}

/// Test support: the `Authorization` value signing `head` (which must carry `x-amz-date`) and
/// `body` with this key, through the same canonicalisation the server verifies with.
#[cfg(test)]
pub(crate) fn sign_for_tests(
    key_id: &str,
    secret: &str,
    region: &str,
    head: &RequestHead<'_>,
    signed_headers: &[&str],
    body: &[u8],
) -> String {
    let amz_date = std::str::from_utf8(head.header("x-amz-date").expect("x-amz-date")).unwrap();
    let date = &amz_date[..8];
    let scope = format!("{date}/{region}/{SERVICE}/aws4_request");
    let sts = string_to_sign(head, signed_headers, amz_date, &scope, &hex_sha256(body)).unwrap();
    let signature = hex::encode(hmac(&signing_key(secret, date, region, SERVICE), sts.as_bytes()));
    format!(
        "{ALGORITHM} Credential={key_id}/{scope}, SignedHeaders={}, Signature={signature}",
        signed_headers.join(";")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_login_checks_the_secret_of_the_key() {
        let scoped = KeyScope { dataset_groups: Some(vec!["arn:g".into()]), ..KeyScope::default() };
        let keys = KeyStore::new(
            "us-east-1",
            [
                AccessKey {
                    access_key_id: "AKIDA".into(),
                    secret_access_key: "secret-a".into(),
                    scope: KeyScope::default(),
                },
                AccessKey {
                    access_key_id: "AKIDB".into(),
                    secret_access_key: "secret-b".into(),
                    scope: scoped.clone(),
                },
            ],
        );
        assert_eq!(
            keys.check_secret("AKIDB", "secret-b"),
            Some(Principal { access_key_id: "AKIDB".into(), scope: scoped })
        );
        assert_eq!(keys.check_secret("AKIDA", "secret-a").map(|p| p.scope), Some(KeyScope::default()));
        for (id, secret) in
            [("AKIDA", "secret-b"), ("AKIDA", ""), ("AKIDA", "secret-a "), ("AKIDC", "secret-a"), ("", "")]
        {
            assert_eq!(keys.check_secret(id, secret), None, "{id}/{secret}");
        }
        let listed = keys.scopes();
        assert_eq!(listed.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["AKIDA", "AKIDB"]);
    }

    /// The "GET vanilla" case of AWS's SigV4 test suite (service `service`, region `us-east-1`,
    /// secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`), checked through the same code path.
    #[test]
    fn aws_test_suite_vanilla_request() {
        let canonical = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
                         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            hex_sha256(canonical.as_bytes()),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        let sts = format!(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
            hex_sha256(canonical.as_bytes())
        );
        let k = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20150830");
        let k = hmac(&hmac(&hmac(&k, b"us-east-1"), b"service"), b"aws4_request");
        assert_eq!(
            hex::encode(hmac(&k, sts.as_bytes())),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// The same published request (get-vanilla.req with its get-vanilla.authz) through the
    /// verifier itself: the header checks pass up to the scope's service (`service`, where the
    /// server accepts only `personalize`), and the signature check proper accepts AWS's signature
    /// and refuses it once a byte of the request or of the signature changes.
    #[test]
    fn aws_test_suite_vanilla_request_through_the_verifier() {
        const AUTHZ: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                             SignedHeaders=host;x-amz-date, \
                             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        let signed_at = parse_amz_date("20150830T123600Z").unwrap();
        let key = AccessKey {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            scope: KeyScope::default(),
        };
        let request = |host: &'static str, authz: &'static str| RequestHead {
            method: "GET",
            path: "/",
            query: None,
            headers: vec![
                ("Host", host.as_bytes()),
                ("X-Amz-Date", b"20150830T123600Z".as_slice()),
                ("Authorization", authz.as_bytes()),
            ],
        };
        let head = request("example.amazonaws.com", AUTHZ);
        let keys = KeyStore::new("us-east-1", [key.clone()]);
        match keys.check_headers(&head, signed_at) {
            Err(ApiError::InvalidSignature(m)) => {
                assert!(m.contains("'personalize'") && m.contains("'service/"), "{m}")
            }
            Err(e) => panic!("the vector failed before the service check: {e:?}"),
            Ok(_) => panic!("the server accepted the scope's service 'service'"),
        }
        // The checks after the service's, as check_headers would have made them.
        let checked = |head: &RequestHead<'static>, authz: &'static str| {
            let auth = parse_authorization(authz).unwrap();
            let signature = hex::decode(auth.signature).unwrap();
            CheckedHeaders { key: &key, auth, amz_date: "20150830T123600Z", signature }.verify_body(head, b"")
        };
        assert_eq!(
            checked(&head, AUTHZ),
            Ok(Principal { access_key_id: "AKIDEXAMPLE".into(), scope: KeyScope::default() })
        );
        let other_host = request("example.amazonaws.org", AUTHZ);
        assert!(matches!(checked(&other_host, AUTHZ), Err(ApiError::InvalidSignature(_))));
        assert!(matches!(
            CheckedHeaders {
                key: &key,
                auth: parse_authorization(AUTHZ).unwrap(),
                amz_date: "20150830T123600Z",
                signature: hex::decode("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30").unwrap(),
            }
            .verify_body(&head, b""),
            Err(ApiError::InvalidSignature(_))
        ));
        // A non-empty body changes the payload hash, hence the signature.
        let auth = parse_authorization(AUTHZ).unwrap();
        let signature = hex::decode(auth.signature).unwrap();
        let with_body = CheckedHeaders { key: &key, auth, amz_date: "20150830T123600Z", signature };
        assert!(matches!(with_body.verify_body(&head, b"{}"), Err(ApiError::InvalidSignature(_))));
    }

    #[test]
    fn amz_dates_round_trip() {
        let t = parse_amz_date("20261130T054233Z").unwrap();
        assert_eq!(format_amz_date(t), "20261130T054233Z");
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20240229T235959Z").map(format_amz_date).as_deref(), Some("20240229T235959Z"));
        assert!(parse_amz_date("2026-11-30").is_none() && parse_amz_date("20261330T000000Z").is_none());
    }

    #[test]
    fn malformed_headers_are_incomplete_signatures() {
        assert!(matches!(parse_authorization("Basic abc"), Err(ApiError::IncompleteSignature(_))));
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=00"),
            Err(ApiError::IncompleteSignature(_))
        ));
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AK/20261130/us-east-1/personalize/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab",
        )
        .unwrap();
        assert_eq!((a.access_key_id, a.region, a.signed_headers.len()), ("AK", "us-east-1", 2));
    }

    #[test]
    fn query_strings_are_sorted_and_encoded() {
        assert_eq!(canonical_query(Some("b=2&a=x%20y&c")), "a=x%20y&b=2&c=");
        assert_eq!(uri_encode(b"/a b/c", true), "/a%20b/c");
        assert_eq!(canonical_query(Some("k=%7e%2B+")), "k=~%2B%2B");
    }

    const NOW: i64 = 1_795_000_000;
    const SECRET: &str = "unit-test-secret-0001";

    fn store() -> KeyStore {
        let key = AccessKey {
            access_key_id: "AKIDUNIT".into(),
            secret_access_key: SECRET.into(),
            scope: KeyScope::default(),
        };
        KeyStore::new("us-east-1", [key])
    }

    /// A head for `path?query` carrying `headers` plus `host` and `x-amz-date` (at [`NOW`]).
    fn head<'a>(
        path: &'a str,
        query: Option<&'a str>,
        date: &'a str,
        headers: &[(&'a str, &'a str)],
    ) -> RequestHead<'a> {
        let mut all = vec![("host", b"127.0.0.1:8080".as_slice()), ("x-amz-date", date.as_bytes())];
        all.extend(headers.iter().map(|(n, v)| (*n, v.as_bytes())));
        RequestHead { method: "POST", path, query, headers: all }
    }

    /// Verifies `head` + `body` signed over `signed` (with the Authorization header added).
    fn verify_signed(head: RequestHead<'_>, signed: &[&str], body: &[u8]) -> Result<Principal, ApiError> {
        let mut head: RequestHead<'_> = head;
        let authorization = sign_for_tests("AKIDUNIT", SECRET, "us-east-1", &head, signed, body);
        head.headers.push(("authorization", authorization.as_bytes()));
        store().verify(&SignedRequest { head, body }, NOW)
    }

    #[test]
    fn percent_before_a_multibyte_character_does_not_panic() {
        // `%a` then the two bytes of 'é': the old decoder sliced the str inside the character.
        let query = "%a\u{e9}";
        assert_eq!(canonical_query(Some(query)), "%25a%C3%A9=");
        assert_eq!(uri_decode("%\u{e9}%4"), "%\u{e9}%4".as_bytes());
        assert_eq!(uri_decode("%+1%41"), b"%+1A", "a sign is not a hex digit");
        let date = format_amz_date(NOW);
        let body = b"{}";
        // Signed over that query: it verifies (both sides canonicalise it the same way).
        let target = [("x-amz-target", "AmazonPersonalize.ListRecipes")];
        let signed = ["host", "x-amz-date", "x-amz-target"];
        assert!(verify_signed(head("/", Some(query), &date, &target), &signed, body).is_ok());
        // Signed without it, sent with it: the signature does not match.
        let mut h = head("/", None, &date, &target);
        let authorization = sign_for_tests("AKIDUNIT", SECRET, "us-east-1", &h, &signed, body);
        h.headers.push(("authorization", authorization.as_bytes()));
        h.query = Some(query);
        let refused = store().verify(&SignedRequest { head: h, body }, NOW);
        assert!(matches!(refused, Err(ApiError::InvalidSignature(_))), "{refused:?}");
    }

    #[test]
    fn the_control_plane_target_must_be_signed() {
        let date = format_amz_date(NOW);
        let target = [("x-amz-target", "AmazonPersonalize.DeleteDatasetGroup")];
        let refused = verify_signed(head("/", None, &date, &target), &["host", "x-amz-date"], b"{}");
        match refused {
            Err(ApiError::IncompleteSignature(m)) => assert!(m.contains("x-amz-target"), "{m}"),
            other => panic!("expected IncompleteSignature, got {other:?}"),
        }
        let signed = ["host", "x-amz-date", "x-amz-target"];
        assert!(verify_signed(head("/", None, &date, &target), &signed, b"{}").is_ok());
        // The runtime and events paths carry no target.
        assert!(verify_signed(head("/recommendations", None, &date, &[]), &["host", "x-amz-date"], b"{}").is_ok());
    }

    #[test]
    fn header_checks_need_no_body() {
        let date = format_amz_date(NOW);
        let keys = store();
        let mut h = head("/events", None, &date, &[]);
        let authorization = sign_for_tests("AKIDUNIT", SECRET, "us-east-1", &h, &["host", "x-amz-date"], b"{}");
        h.headers.push(("authorization", authorization.as_bytes()));
        let checked = keys.check_headers(&h, NOW).expect("well-formed headers");
        assert!(checked.verify_body(&h, b"{}").is_ok());
        assert!(matches!(checked.verify_body(&h, b"{ }"), Err(ApiError::InvalidSignature(_))));
        // Unknown key, expired date, bad signature encoding: refused from the headers alone.
        let unknown = authorization.replace("AKIDUNIT", "AKIDNOBODY");
        h.headers.last_mut().unwrap().1 = unknown.as_bytes();
        assert!(matches!(keys.check_headers(&h, NOW), Err(ApiError::UnrecognizedClient(_))));
        h.headers.last_mut().unwrap().1 = authorization.as_bytes();
        assert!(matches!(keys.check_headers(&h, NOW + 3600), Err(ApiError::InvalidSignature(_))));
        let short = format!("{}00", &authorization[..authorization.len() - 64]);
        h.headers.last_mut().unwrap().1 = short.as_bytes();
        assert!(matches!(keys.check_headers(&h, NOW), Err(ApiError::InvalidSignature(_))));
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        /// Bytes biased towards what trips decoders: `%`, hex digits, separators, multi-byte
        /// UTF-8 and invalid UTF-8.
        fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                Just(b"%".to_vec()),
                Just(b"&".to_vec()),
                Just(b"=".to_vec()),
                Just("\u{e9}".as_bytes().to_vec()),
                Just("\u{1F600}".as_bytes().to_vec()),
                Just(vec![0xff]),
                "[0-9a-fA-F/ ;,+]{1,3}".prop_map(String::into_bytes),
                any::<u8>().prop_map(|b| vec![b]),
            ];
            prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
        }

        fn lossy(b: Vec<u8>) -> String {
            String::from_utf8_lossy(&b).into_owned()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn canonicalisation_and_verification_never_panic(
                method in tricky_bytes().prop_map(lossy),
                path in tricky_bytes().prop_map(lossy),
                query in prop::option::of(tricky_bytes().prop_map(lossy)),
                headers in prop::collection::vec((tricky_bytes().prop_map(lossy), tricky_bytes()), 0..6),
                signed in prop_oneof![
                    3 => Just(vec!["host".to_string(), "x-amz-date".to_string(), "x-amz-target".to_string()]),
                    1 => prop::collection::vec(
                        prop_oneof![Just("host".to_string()), Just("x-amz-target".to_string()),
                                    tricky_bytes().prop_map(lossy)],
                        0..5,
                    ),
                ],
                key_id in prop_oneof![Just("AKIDUNIT".to_string()), tricky_bytes().prop_map(lossy)],
                date in prop_oneof![Just(format_amz_date(NOW)), tricky_bytes().prop_map(lossy)],
                signature in prop_oneof!["[0-9a-f]{64}", tricky_bytes().prop_map(lossy)],
                raw_authorization in prop::option::of(tricky_bytes()),
                body in tricky_bytes(),
            ) {
                let _ = canonical_query(query.as_deref());
                let _ = uri_encode(path.as_bytes(), true);
                // A well-formed Authorization around arbitrary parts reaches the canonicalisation;
                // a raw one exercises the parser.
                let scope = format!("{}/us-east-1/personalize/aws4_request", date.get(..8).unwrap_or(&date));
                let authorization = raw_authorization.unwrap_or_else(|| {
                    format!("{ALGORITHM} Credential={key_id}/{scope}, SignedHeaders={}, Signature={signature}",
                        signed.join(";")).into_bytes()
                });
                let mut all: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
                all.push(("host", b"h".as_slice()));
                all.push(("x-amz-date", date.as_bytes()));
                all.push(("x-amz-target", b"AmazonPersonalize.ListRecipes".as_slice()));
                all.push(("authorization", authorization.as_slice()));
                let head = RequestHead { method: &method, path: &path, query: query.as_deref(), headers: all };
                let _ = store().verify(&SignedRequest { head, body: &body }, NOW);
            }

            /// Whatever the bytes, a request signed over them verifies: signer and verifier
            /// canonicalise them the same way, without panicking.
            #[test]
            fn signed_requests_verify_whatever_their_bytes(
                method in tricky_bytes().prop_map(lossy),
                path in tricky_bytes().prop_map(lossy),
                query in prop::option::of(tricky_bytes().prop_map(lossy)),
                target in tricky_bytes(),
                body in tricky_bytes(),
            ) {
                let date = format_amz_date(NOW);
                let headers = vec![
                    ("host", b"h".as_slice()),
                    ("x-amz-date", date.as_bytes()),
                    ("x-amz-target", target.as_slice()),
                ];
                let head = RequestHead { method: &method, path: &path, query: query.as_deref(), headers };
                let signed = ["host", "x-amz-date", "x-amz-target"];
                let authorization = sign_for_tests("AKIDUNIT", SECRET, "us-east-1", &head, &signed, &body);
                let mut head: RequestHead<'_> = head;
                head.headers.push(("authorization", authorization.as_bytes()));
                let verified = store().verify(&SignedRequest { head, body: &body }, NOW);
                prop_assert!(verified.is_ok(), "{:?}", verified);
            }
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let k =
            AccessKey { access_key_id: "AK".into(), secret_access_key: "s3cr3t".into(), scope: KeyScope::default() };
        assert!(!format!("{k:?}").contains("s3cr3t"));
    }
}
