//! Signing raw requests with AWS's own signer, as the SDKs do.

use super::REGION;

/// The headers AWS's own signer (`aws-sigv4`, as the SDKs use it) adds to `method
/// http://{authority}{path}` with these other headers and `body`, for `key` (id, secret) at `time`.
pub fn sigv4_headers(
    method: &str,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    key: (&str, &str),
    time: std::time::SystemTime,
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;
    let identity = aws_credential_types::Credentials::new(key.0, key.1, None, None, "t").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("personalize")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("http://{authority}{path}");
    let mut all: Vec<(&str, &str)> = vec![("host", authority)];
    all.extend_from_slice(headers);
    let signable = SignableRequest::new(method, &url, all.into_iter(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.headers().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}
