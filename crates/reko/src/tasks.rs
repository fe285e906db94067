//! The client of Reko's task view (`GET /reko/tasks`, a Reko extension): the one place the CLI
//! (`reko tasks`, the job commands' progress bars, the demo) and the tests ask a running server
//! for its background tasks. Requests are SigV4-signed like the SDKs' and sent over hyper's
//! HTTP/1.1 client, which also decodes chunked bodies.

use anyhow::{bail, Context};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use serde::Deserialize;

use crate::signing::Signer;

/// The path of the task view.
pub const TASKS_PATH: &str = "/reko/tasks";

pub use reko_service::TaskInfo;

#[derive(Deserialize)]
struct TaskList {
    tasks: Vec<TaskInfo>,
}

/// Parses a task view body (`{"tasks": [...]}`).
pub fn parse_tasks(body: &[u8]) -> anyhow::Result<Vec<TaskInfo>> {
    Ok(serde_json::from_slice::<TaskList>(body).context("the server did not answer a task list")?.tasks)
}

/// Asks one server (`host:port`, plain http) for its tasks, signing with one key.
#[derive(Debug, Clone)]
pub struct TasksClient {
    authority: String,
    credentials: (String, String),
    region: String,
}

impl TasksClient {
    /// A client of the server at `authority` (`host:port`) signing with `credentials` (access key
    /// id, secret) for `region`.
    pub fn new(authority: impl Into<String>, credentials: (String, String), region: impl Into<String>) -> Self {
        TasksClient { authority: authority.into(), credentials, region: region.into() }
    }

    /// The server's tasks (only those the key may see); an error when it cannot be reached or
    /// does not answer 200 with a task list.
    pub async fn list(&self) -> anyhow::Result<Vec<TaskInfo>> {
        let authority = self.authority.as_str();
        let key = (self.credentials.0.as_str(), self.credentials.1.as_str());
        let signed = Signer::personalize(key, &self.region).headers("GET", authority, TASKS_PATH, &[], b"")?;
        let mut request = hyper::Request::get(TASKS_PATH).header(hyper::header::ACCEPT, "application/json");
        // The signer signs `host` but leaves sending it to the caller (set once, below).
        for (name, value) in signed.iter().filter(|(n, _)| n != "host") {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.header(hyper::header::HOST, authority).body(Empty::<Bytes>::new())?;
        let stream =
            tokio::net::TcpStream::connect(authority).await.with_context(|| format!("connecting to {authority}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .with_context(|| format!("HTTP/1.1 handshake with {authority}"))?;
        // The connection is driven by its own task until the response is read; one request each.
        tokio::spawn(connection);
        let response = sender.send_request(request).await.with_context(|| format!("GET {TASKS_PATH}"))?;
        let status = response.status();
        let body = response.into_body().collect().await.context("reading the task list")?.to_bytes();
        if status != hyper::StatusCode::OK {
            bail!("GET {TASKS_PATH} answered {status}: {}", String::from_utf8_lossy(&body));
        }
        parse_tasks(&body)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A one-shot server answering `answer` to the first request; returns its address and the
    /// request it got.
    async fn answer_once(answer: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let handle = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).await.unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            s.write_all(answer.as_bytes()).await.unwrap();
            s.shutdown().await.unwrap();
            String::from_utf8(request).unwrap()
        });
        (addr, handle)
    }

    #[tokio::test]
    async fn lists_typed_tasks_from_a_chunked_answer() {
        let (addr, request) = answer_once(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
             14\r\n{\"tasks\":[{\"taskId\":\r\n\
             40\r\n7,\"kind\":\"batch-inference\",\"resourceArn\":\"arn:x/job\",\"state\":\"ru\r\n\
             2e\r\nnning\",\"progress\":0.42,\"detail\":\"420 lines\"}]}\r\n\
             0\r\n\r\n",
        )
        .await;
        let client = TasksClient::new(&addr, ("AKID".into(), "SECRET".into()), "eu-west-1");
        let tasks = client.list().await.unwrap();
        assert_eq!(
            tasks,
            vec![TaskInfo {
                task_id: 7,
                kind: "batch-inference".into(),
                resource_arn: "arn:x/job".into(),
                state: "running".into(),
                progress: 0.42,
                detail: "420 lines".into(),
                ..TaskInfo::default()
            }]
        );
        let request = request.await.unwrap().to_ascii_lowercase();
        assert!(request.starts_with("get /reko/tasks http/1.1\r\n"), "{request}");
        assert!(request.contains(&format!("host: {addr}\r\n")), "{request}");
        assert!(request.contains("authorization: aws4-hmac-sha256 credential=akid/"), "{request}");
        assert!(request.contains("/eu-west-1/personalize/aws4_request"), "{request}");
    }

    #[tokio::test]
    async fn a_refusal_is_an_error_with_the_status_and_body() {
        let (addr, _) = answer_once(
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{\"message\":\"denied\"}",
        )
        .await;
        let err = TasksClient::new(addr, ("AKID".into(), "SECRET".into()), "us-east-1").list().await.unwrap_err();
        assert!(err.to_string().contains("403") && err.to_string().contains("denied"), "{err:#}");
        assert!(parse_tasks(b"not json").is_err());
    }

    #[tokio::test]
    async fn a_malformed_chunked_body_is_an_error() {
        let (addr, _) = answer_once("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").await;
        let client = TasksClient::new(addr, ("AKID".into(), "SECRET".into()), "us-east-1");
        assert!(client.list().await.is_err());
    }
}
