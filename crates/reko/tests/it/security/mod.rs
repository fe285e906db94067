//! Security against a real `reko serve`: SigV4 authentication of all three services, scoped keys
//! (runtime use, dataset groups), data locations confined to the allowed roots, hostile requests.
//!
//! * the official SDK clients with the server's key work; a wrong secret, an unknown key id, a
//!   wrong region scope each get 403 with the code the SDKs know;
//! * raw requests signed by AWS's own signer (`aws-sigv4`) are accepted, and refused when unsigned,
//!   expired (outside the 15-minute window) or tampered with (body changed after signing) — on the
//!   control plane, the runtime and the events service — and a refused request never reaches a
//!   handler (an unsigned CreateDatasetGroup creates nothing);
//! * a control-plane request whose signature leaves out `X-Amz-Target` (the operation) is refused;
//! * a key scoped to runtime use cannot call the control plane;
//! * the first start without keys generates a root key (owner-only file, printed once);
//!   `--insecure-no-auth` is refused off loopback;
//! * no secret and no signature appears in the server log;
//! * the server's own files (data directory, root key, database, config file) are never data
//!   locations, even through a link or `..`, even inside an allowed root; without an allowed root
//!   every local location is refused; the data directory is 0700 and the database 0600.

mod authentication;
mod data_locations;
mod hostile;
mod scopes;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use crate::common::*;
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};

/// A control-plane client signing with the given key and region.
fn client_with(url: &str, id: &str, secret: &str, region: &str) -> aws_sdk_personalize::Client {
    aws_sdk_personalize::Client::from_conf(
        aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(url)
            .credentials_provider(Credentials::new(id, secret, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .retry_config(aws_sdk_personalize::config::retry::RetryConfig::disabled())
            .build(),
    )
}

/// Headers signing `POST path` with `body` at `time` (AWS's signer, as the SDKs use it).
fn sign(authority: &str, path: &str, extra: &[(&str, &str)], body: &[u8], time: SystemTime) -> Vec<(String, String)> {
    Signer::personalize((ACCESS_KEY_ID, SECRET_ACCESS_KEY), REGION)
        .at(time)
        .headers("POST", authority, path, extra, body)
        .unwrap()
}

/// A raw HTTP/1.1 POST; returns the status, the `x-amzn-ErrorType` header and the body.
fn post(authority: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(authority).unwrap();
    let mut head =
        format!("POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head[9..12].parse().unwrap();
    let error_type = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("x-amzn-errortype").then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    (status, error_type, body.to_string())
}

const CONTROL_HEADERS: [(&str, &str); 2] =
    [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "AmazonPersonalize.CreateDatasetGroup")];

/// Runs `reko serve` with no key configured; returns its stdout up to the "Listening on" line
/// and the child (killed by the caller).
fn serve_without_keys(data_dir: &Path, extra: &[&str]) -> (String, std::process::Child) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env_remove("REKO_ACCESS_KEY_ID")
        .env_remove("REKO_SECRET_ACCESS_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        out.push_str(&line);
        if line.starts_with("Listening on") {
            break;
        }
    }
    (out, child)
}

/// A `reko serve` child, killed when dropped (also when an assertion fails).
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const ROOTS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

type ExportError = aws_sdk_personalize::error::SdkError<
    aws_sdk_personalize::operation::create_dataset_export_job::CreateDatasetExportJobError,
>;
