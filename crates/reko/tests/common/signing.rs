//! Signing raw requests with AWS's own signer, as the SDKs do: the crate's one helper.

pub use reko::signing::Signer;

/// One signed `GET path` (path and query) on a fresh connection: the status and the body (Reko's
/// own endpoints, which no SDK calls).
pub fn signed_get(url: &str, path: &str, key: (&str, &str)) -> (u16, String) {
    use std::io::{Read, Write};
    let authority = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let headers = Signer::personalize(key, super::REGION).headers("GET", authority, path, &[], b"").unwrap();
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (n, v) in headers.iter().filter(|(n, _)| n != "host") {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    (head[9..12].parse().unwrap(), body.to_string())
}
