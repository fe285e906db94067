//! The pieces of SigV4 a verification is built from: the `Authorization` header's parts, the
//! `X-Amz-Date` format, URI encoding, the canonical query and header values, and the signing
//! key and string to sign.

use super::*;

pub(super) fn incomplete(msg: impl Into<String>) -> ApiError {
    ApiError::IncompleteSignature(msg.into())
}

/// `Credential=…, SignedHeaders=…, Signature=…` of an `Authorization` header.
pub(super) struct AuthorizationHeader<'a> {
    pub(super) access_key_id: &'a str,
    pub(super) date: &'a str,
    pub(super) region: &'a str,
    pub(super) service: &'a str,
    pub(super) terminator: &'a str,
    pub(super) signed_headers: Vec<&'a str>,
    pub(super) signature: &'a str,
}

pub(super) fn parse_authorization(value: &str) -> Result<AuthorizationHeader<'_>, ApiError> {
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
pub(super) fn parse_amz_date(s: &str) -> Option<i64> {
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
pub(super) fn uri_encode(s: &[u8], keep_slash: bool) -> String {
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

pub(super) fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decoding of a query component, byte-wise (`+` stays a plus, as SigV4 signers send
/// `%20`). A malformed escape stays as sent, so its signature simply does not match.
pub(super) fn uri_decode(s: &str) -> Vec<u8> {
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

pub(super) fn canonical_query(query: Option<&str>) -> String {
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
pub(super) fn canonical_header_value(v: &[u8]) -> String {
    String::from_utf8_lossy(v).split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub(super) fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The string a SigV4 signature is the HMAC of: the canonical request (method, path, query, the
/// signed headers, the body's hash) under the date and scope.
pub(super) fn string_to_sign(
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

pub(super) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    hmac(&hmac(&hmac(&k_date, region.as_bytes()), service.as_bytes()), b"aws4_request")
}
