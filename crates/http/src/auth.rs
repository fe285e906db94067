//! SigV4 authentication of every request of the three services (reference §1.1: signing name
//! `personalize`, scope `<yyyymmdd>/<region>/personalize/aws4_request`).
//!
//! A request is verified before any handler sees it: the `Authorization` header is parsed, the
//! canonical request rebuilt from the method, path, query, the signed headers and the SHA-256 of
//! the body as received (an `x-amz-content-sha256` header must match it), and the signature
//! recomputed with the secret of the access key and compared in constant time. `X-Amz-Date` must
//! be within [`MAX_CLOCK_SKEW_SECS`] of the server's clock, the scope's date must be that date,
//! its region the server's, its service `personalize`; `host` and `x-amz-date` must be signed.
//! The errors are the codes the AWS SDKs know, all HTTP 403.

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
}

/// The parts of a request a signature covers.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    /// Header names and values, in any order (names compared case-insensitively).
    pub headers: Vec<(&'a str, &'a [u8])>,
    pub body: &'a [u8],
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
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Seconds since the epoch → `YYYYMMDDTHHMMSSZ`.
fn format_amz_date(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// SigV4's URI encoding: unreserved characters kept, everything else `%XX` (upper case).
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decoding of a query component (`+` stays a plus, as SigV4 signers send `%20`).
fn uri_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_query(query: Option<&str>) -> String {
    let Some(q) = query.filter(|q| !q.is_empty()) else { return String::new() };
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

impl KeyStore {
    /// Verifies a request's signature at time `now` (seconds since the epoch); the caller on
    /// success, the wire error (403) otherwise.
    pub fn verify(&self, req: &SignedRequest<'_>, now: i64) -> Result<Principal, ApiError> {
        let header = |name: &str| -> Option<&[u8]> {
            req.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
        };
        let Some(authorization) = header("authorization") else {
            return Err(ApiError::MissingAuthenticationToken(
                "Missing Authentication Token: the request must be signed with AWS Signature Version 4.".into(),
            ));
        };
        let authorization = std::str::from_utf8(authorization)
            .map_err(|_| incomplete("The Authorization header is not valid UTF-8."))?;
        let auth = parse_authorization(authorization)?;
        let amz_date = header("x-amz-date")
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
        let body_hash = hex_sha256(req.body);
        if let Some(claimed) = header("x-amz-content-sha256") {
            if claimed != body_hash.as_bytes() {
                return Err(ApiError::InvalidSignature(
                    "The x-amz-content-sha256 header does not match the SHA-256 of the request body.".into(),
                ));
            }
        }
        let mut canonical_headers = String::new();
        for name in &auth.signed_headers {
            let value = header(name).ok_or_else(|| incomplete(format!("Signed header '{name}' is missing.")))?;
            canonical_headers.push_str(&name.to_ascii_lowercase());
            canonical_headers.push(':');
            canonical_headers.push_str(&canonical_header_value(value));
            canonical_headers.push('\n');
        }
        // Non-S3 services encode each path segment twice: once on the wire, once here.
        let canonical_uri = if req.path.is_empty() { "/".to_string() } else { uri_encode(req.path, true) };
        let canonical_request = format!(
            "{}\n{canonical_uri}\n{}\n{canonical_headers}\n{}\n{body_hash}",
            req.method,
            canonical_query(req.query),
            auth.signed_headers.join(";"),
        );
        let scope = format!("{}/{}/{}/aws4_request", auth.date, auth.region, auth.service);
        let string_to_sign = format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex_sha256(canonical_request.as_bytes()));
        let k_date = hmac(format!("AWS4{}", key.secret_access_key).as_bytes(), auth.date.as_bytes());
        let k_region = hmac(&k_date, auth.region.as_bytes());
        let k_service = hmac(&k_region, auth.service.as_bytes());
        let k_signing = hmac(&k_service, b"aws4_request");
        let provided = hex::decode(auth.signature)
            .map_err(|_| ApiError::InvalidSignature("The request signature is not a hex string.".into()))?;
        let mut mac = HmacSha256::new_from_slice(&k_signing).expect("HMAC takes keys of any length");
        mac.update(string_to_sign.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&provided).map_err(|_| {
            ApiError::InvalidSignature(
                "The request signature we calculated does not match the signature you provided. Check your AWS \
                 Secret Access Key and signing method."
                    .into(),
            )
        })?;
        Ok(Principal { access_key_id: key.access_key_id.clone(), scope: key.scope.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(uri_encode("/a b/c", true), "/a%20b/c");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let k =
            AccessKey { access_key_id: "AK".into(), secret_access_key: "s3cr3t".into(), scope: KeyScope::default() };
        assert!(!format!("{k:?}").contains("s3cr3t"));
    }
}
