//! Event collection (docs/event-collection.md) against a real `reko serve`: the Segment webhook
//! (track, page, identify, batches, signatures, idempotency by messageId, dead letters in
//! `/reko/dead-letters` and `/metrics`) and the NATS JetStream consumer against the real
//! `nats-server` (every event stored exactly once, across a SIGKILL of Reko mid-stream).

mod nats;
mod webhook;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;

const INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},{"name":"DEVICE","type":["null","string"],"categorical":true},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const USERS_SCHEMA: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"PLAN","type":"string","categorical":true}],"version":"1.0"}"#;

/// A dataset group with Interactions and Users datasets and an event tracker, made on a server
/// that is then stopped (the collection config needs the tracking id); returns (interactions
/// dataset, users dataset, tracking id).
async fn staged_group(data: &Path, name: &str) -> (String, String, String) {
    let mut server = Server::start(data);
    let c = server.control.clone();
    let dsg = create_dataset_group(&c, name).await;
    wait_active(&c, &Res::DatasetGroup(dsg.clone())).await;
    let interactions = create_schema(&c, &format!("{name}-interactions"), INTERACTIONS_SCHEMA).await;
    let users = create_schema(&c, &format!("{name}-users"), USERS_SCHEMA).await;
    let ds = create_dataset(&c, &dsg, name, &format!("{name}-interactions"), "Interactions", &interactions).await;
    let users_ds = create_dataset(&c, &dsg, name, &format!("{name}-users"), "Users", &users).await;
    let tracking = create_tracker(&c, &format!("{name}-tracker"), &dsg).await;
    server.stop();
    (ds, users_ds, tracking)
}

/// The put records of a dataset, exported, as maps of column name to value.
async fn exported(
    c: &aws_sdk_personalize::Client,
    job: &str,
    dataset: &str,
    dir: &Path,
) -> Vec<std::collections::BTreeMap<String, String>> {
    let lines = export_dataset(c, job, dataset, "PUT", dir).await;
    let header: Vec<String> = lines[0].split(',').map(str::to_string).collect();
    lines[1..].iter().map(|l| header.iter().cloned().zip(l.split(',').map(str::to_string)).collect()).collect()
}

/// Put rows the store holds for a dataset (every row committed, duplicates included).
fn stored_rows(data: &Path, dataset: &str) -> i64 {
    let db = rusqlite::Connection::open_with_flags(data.join("reko.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.query_row(
        "SELECT COALESCE(SUM(rows), 0) FROM record_chunks WHERE dataset_arn = ?1 AND source = 'put'",
        [dataset],
        |r| r.get(0),
    )
    .unwrap()
}

/// One HTTP/1.1 request on a fresh connection: the status and the body.
fn http_request(url: &str, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let (status, _, body) = http_exchange(url, method, path, headers, body);
    (status, body)
}

/// [`http_request`], with the response's head too.
fn http_exchange(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let authority = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    (head[9..12].parse().unwrap(), head.to_string(), body.to_string())
}
