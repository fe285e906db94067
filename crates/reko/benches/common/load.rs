//! A closed-loop HTTP load generator for the server benchmarks: keep-alive connections speaking
//! HTTP/1.1 over raw sockets (no SDK, so it costs the shared cores little), every request
//! SigV4-signed as the SDKs sign.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{KEY_ID, SECRET};

/// SigV4 headers for `POST path` with `body`, signed now.
pub fn sign_post(addr: &str, path: &str, body: &str) -> Vec<(String, String)> {
    reko::signing::Signer::personalize((KEY_ID, SECRET), "us-east-1")
        .headers("POST", addr, path, &[("content-type", "application/json")], body.as_bytes())
        .expect("signing")
}

pub struct Conn {
    stream: TcpStream,
    addr: String,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Conn { stream, addr: addr.to_string(), buf: Vec::with_capacity(16 << 10) }
    }

    /// POSTs `body` to `path`, signed now; returns the status and the response body.
    pub async fn post(&mut self, path: &str, body: &str) -> (u16, Vec<u8>) {
        let req = signed_request(&self.addr, path, body);
        self.send(&req).await
    }

    /// Sends a whole request (head and body); returns the status and the response body.
    pub async fn send(&mut self, req: &[u8]) -> (u16, Vec<u8>) {
        self.stream.write_all(req).await.expect("write");
        self.buf.clear();
        let mut chunk = [0u8; 16 << 10];
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let header = std::str::from_utf8(&self.buf[..end]).expect("ascii headers");
                let status: u16 = header[9..12].parse().expect("status");
                let len: usize = header
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while self.buf.len() < end + 4 + len {
                    let n = self.stream.read(&mut chunk).await.expect("read");
                    assert!(n > 0, "connection closed");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                return (status, self.buf[end + 4..end + 4 + len].to_vec());
            }
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The `itemId`s of a GetRecommendations answer, in order.
pub fn item_ids(body: &[u8]) -> Vec<String> {
    let answer: serde_json::Value = serde_json::from_slice(body).expect("GetRecommendations answers JSON");
    let items = answer["itemList"].as_array().expect("GetRecommendations answers an itemList");
    items.iter().map(|i| i["itemId"].as_str().expect("itemId").to_string()).collect()
}

/// The bytes of `POST path` with `body`, SigV4-signed now.
pub fn signed_request(addr: &str, path: &str, body: &str) -> Vec<u8> {
    let signed: String = sign_post(addr, path, body).into_iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{signed}Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut req = head.into_bytes();
    req.extend_from_slice(body.as_bytes());
    req
}

/// Whether `GET /ready` answers 200.
pub fn is_ready(addr: &str) -> bool {
    use std::io::Read;
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else { return false };
    let request = format!("GET /ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// xorshift, one per connection.
pub struct Rng(pub u64);
impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Builds one request: `(path, JSON body)` to sign now, or the bytes of a request signed before
/// the run (as `wrk` replays pre-signed requests).
pub type MakeRequest = Arc<dyn Fn(&mut Rng) -> Outgoing + Send + Sync>;

pub enum Outgoing {
    Sign(&'static str, String),
    Presigned(Arc<Vec<u8>>),
}

pub struct Report {
    pub requests: u64,
    pub seconds: f64,
    pub latencies: Vec<Duration>,
    pub errors: u64,
}

impl Report {
    pub fn pct(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        self.latencies[((self.latencies.len() - 1) as f64 * p).round() as usize]
    }
}

/// Runs `make(conn_index, rng) -> (path, body)` requests on `connections` connections for
/// `seconds` after a warm-up; returns throughput and latencies of the measured part.
pub async fn drive(addr: &str, connections: usize, seconds: f64, make: MakeRequest) -> Report {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (addr, make, measuring, stop, errors) =
            (addr.to_string(), make.clone(), measuring.clone(), stop.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((c as u64 + 1) * 0x1000_0001));
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let outgoing = make(&mut rng);
                let t = Instant::now();
                let (status, resp) = match outgoing {
                    Outgoing::Sign(path, body) => conn.post(path, &body).await,
                    Outgoing::Presigned(req) => conn.send(&req).await,
                };
                let took = t.elapsed();
                if status != 200 {
                    if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("HTTP {status}: {}", String::from_utf8_lossy(&resp));
                    }
                } else if measuring.load(Ordering::Relaxed) {
                    lat.push(took);
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    measuring.store(true, Ordering::Relaxed);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    latencies.sort();
    Report { requests: latencies.len() as u64, seconds: elapsed, latencies, errors: errors.load(Ordering::Relaxed) }
}

pub fn print(name: &str, r: &Report, per_request: u64, unit: &str) {
    println!(
        "| {name} | {:.0} {unit}/s | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
        (r.requests * per_request) as f64 / r.seconds,
        r.pct(0.5).as_secs_f64() * 1e3,
        r.pct(0.99).as_secs_f64() * 1e3,
        r.pct(0.999).as_secs_f64() * 1e3,
        r.errors
    );
}
