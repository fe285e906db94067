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

mod canonical;
#[cfg(test)]
mod tests;

pub(crate) use canonical::format_amz_date;
use canonical::*;

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
