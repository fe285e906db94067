//! SigV4 signing with AWS's own signer (`aws-sigv4`, as the SDKs use it), for the requests that
//! are built by hand: the CLI's `GET /reko/tasks`, the benchmarks' raw requests and the tests'.
//! Signing with AWS's code (never with the server's verifier) keeps the verifier checked against
//! the real thing.

use std::time::SystemTime;

use anyhow::Context;
use aws_sigv4::http_request::{sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

/// Who signs, for which region and service, and when.
#[derive(Debug, Clone)]
pub struct Signer<'a> {
    /// Access key id and secret access key.
    pub key: (&'a str, &'a str),
    pub region: &'a str,
    /// The signing name: `personalize` for every Reko endpoint, `s3` for object stores.
    pub service: &'a str,
    pub time: SystemTime,
    /// Adds `x-amz-content-sha256` (S3 requires it).
    pub content_sha256_header: bool,
}

impl<'a> Signer<'a> {
    /// Signs for Reko (signing name `personalize`) now.
    pub fn personalize(key: (&'a str, &'a str), region: &'a str) -> Self {
        Signer { key, region, service: "personalize", time: SystemTime::now(), content_sha256_header: false }
    }

    /// The same signer at another time.
    pub fn at(self, time: SystemTime) -> Self {
        Signer { time, ..self }
    }

    /// The headers AWS's signer adds to `method http://{authority}{path}` carrying `headers`
    /// (besides `host`, which is always signed) and `body`.
    pub fn headers(
        &self,
        method: &str,
        authority: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Vec<(String, String)>> {
        let identity = aws_credential_types::Credentials::new(self.key.0, self.key.1, None, None, "reko").into();
        let mut settings = SigningSettings::default();
        if self.content_sha256_header {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(self.time)
            .settings(settings)
            .build()
            .context("SigV4 signing parameters")?
            .into();
        let url = format!("http://{authority}{path}");
        let mut all: Vec<(&str, &str)> = vec![("host", authority)];
        all.extend_from_slice(headers);
        let signable = SignableRequest::new(method, &url, all.into_iter(), SignableBody::Bytes(body))
            .with_context(|| format!("signing {method} {url}"))?;
        let (instructions, _) =
            sign(signable, &params).with_context(|| format!("signing {method} {url}"))?.into_parts();
        Ok(instructions.headers().map(|(n, v)| (n.to_string(), v.to_string())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_with_the_scope_and_headers_asked_for() {
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
        let signer =
            Signer::personalize(("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "us-east-1").at(time);
        let headers = signer.headers("POST", "example.amazonaws.com", "/", &[("content-type", "a/b")], b"{}").unwrap();
        let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("x-amz-date"), Some("20150830T123600Z"));
        let authorization = get("authorization").unwrap();
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/personalize/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{authorization}"
        );
        assert_eq!(get("x-amz-content-sha256"), None);
        // AWS's published get-vanilla vector (aws-sig-v4-test-suite), signing name `service`.
        let vanilla = Signer { service: "service", ..signer.clone() };
        let headers = vanilla.headers("GET", "example.amazonaws.com", "/", &[], b"").unwrap();
        assert_eq!(
            headers.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.as_str()),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            )
        );
        let s3 = Signer { service: "s3", content_sha256_header: true, ..signer };
        let headers = s3.headers("HEAD", "localhost:9000", "/b/k", &[], b"").unwrap();
        assert!(headers.iter().any(|(n, _)| n == "x-amz-content-sha256"), "{headers:?}");
    }
}
