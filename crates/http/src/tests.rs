use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tower::ServiceExt;

use super::*;

const KEY_ID: &str = "AKIDADMISSION";
const SECRET: &str = "admission-test-secret";

fn config(max_in_flight: usize, body_timeout: Duration) -> HttpConfig {
    let key = AccessKey { access_key_id: KEY_ID.into(), secret_access_key: SECRET.into(), scope: KeyScope::default() };
    let keys = Authentication::SigV4(Arc::new(KeyStore::new("us-east-1", [key])));
    HttpConfig { max_in_flight, body_timeout, ..HttpConfig::new(keys) }
}

/// The admission layer around a handler that counts its callers and waits for `release`.
fn app(config: &HttpConfig, entered: Arc<AtomicUsize>, release: Arc<tokio::sync::Semaphore>) -> Router {
    let handler = move |Extension(_): Extension<Principal>| {
        let (entered, release) = (entered.clone(), release.clone());
        async move {
            entered.fetch_add(1, Ordering::SeqCst);
            let _ = release.acquire().await;
            "done"
        }
    };
    Router::new()
        .route("/events", post(handler))
        .layer(axum::middleware::from_fn_with_state(Admission::new(config), authenticate))
}

/// A body that never arrives.
fn stalled() -> Body {
    Body::from_stream(futures::stream::pending::<Result<Bytes, std::io::Error>>())
}

/// `POST /events` signed by `key_id` over `{}`, with `body` as what is actually sent.
fn request(key_id: Option<&str>, body: Body) -> Request {
    let date = auth::format_amz_date(unix_now());
    let mut builder = Request::post("/events").header("host", "reko").header("x-amz-date", &date);
    if let Some(key_id) = key_id {
        let head = auth::RequestHead {
            method: "POST",
            path: "/events",
            query: None,
            headers: vec![("host", b"reko".as_slice()), ("x-amz-date", date.as_bytes())],
        };
        let authorization = auth::sign_for_tests(key_id, SECRET, "us-east-1", &head, &["host", "x-amz-date"], b"{}");
        builder = builder.header("authorization", authorization);
    }
    builder.body(body).unwrap()
}

/// Status and error code of a response that must come within a second.
async fn answer(app: &Router, request: Request) -> (u16, String) {
    let response = tokio::time::timeout(Duration::from_secs(1), app.clone().oneshot(request))
        .await
        .expect("answered at once")
        .unwrap();
    let code = response.headers().get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
    (response.status().as_u16(), code.unwrap_or_default())
}

#[tokio::test]
async fn requests_failing_the_header_check_are_answered_before_their_body() {
    let (entered, release) = (Arc::new(AtomicUsize::new(0)), Arc::new(tokio::sync::Semaphore::new(1000)));
    let app = app(&config(4, Duration::from_secs(30)), entered.clone(), release);
    // Far more than the budgets: none of them holds anything.
    for _ in 0..20 {
        assert_eq!(answer(&app, request(None, stalled())).await, (403, "MissingAuthenticationTokenException".into()));
        let unknown = request(Some("AKIDNOBODY00"), stalled());
        assert_eq!(answer(&app, unknown).await, (403, "UnrecognizedClientException".into()));
    }
    assert_eq!(answer(&app, request(Some(KEY_ID), Body::from("{}"))).await, (200, String::new()));
    assert_eq!(entered.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unverified_requests_have_their_own_smaller_budget() {
    let (entered, release) = (Arc::new(AtomicUsize::new(0)), Arc::new(tokio::sync::Semaphore::new(0)));
    let app = app(&config(4, Duration::from_millis(300)), entered.clone(), release.clone());
    assert_eq!(unverified_budget(4), 1);
    // A signed-looking request whose body stalls holds the one unverified place...
    let waiting = tokio::spawn(app.clone().oneshot(request(Some(KEY_ID), stalled())));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = app.clone().oneshot(request(Some(KEY_ID), Body::from("{}"))).await.unwrap();
    assert_eq!(refused.status(), 400);
    let text = axum::body::to_bytes(refused.into_body(), 4096).await.unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("ThrottlingException") && text.contains("waiting for their body"), "{text}");
    // ... until the body deadline.
    let timed_out = waiting.await.unwrap().unwrap();
    assert_eq!(timed_out.status(), 400);
    assert_eq!(entered.load(Ordering::SeqCst), 0);

    // Verified requests hold the real slots, one after the other.
    let mut handled = Vec::new();
    for i in 1..=4 {
        handled.push(tokio::spawn(app.clone().oneshot(request(Some(KEY_ID), Body::from("{}")))));
        while entered.load(Ordering::SeqCst) < i {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let refused = app.clone().oneshot(request(Some(KEY_ID), Body::from("{}"))).await.unwrap();
    let text = axum::body::to_bytes(refused.into_body(), 4096).await.unwrap();
    assert!(String::from_utf8_lossy(&text).contains("4 requests are already in progress"));
    release.add_permits(100);
    for h in handled {
        assert_eq!(h.await.unwrap().unwrap().status(), 200);
    }
}

/// A real server ([`serve`]) on a loopback port with small socket buffers, so that a body
/// cannot hide in them (as on a real network); stopped by the sender.
async fn server(
    header_timeout: Duration,
    shutdown_delay: Duration,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>) {
    let tmp = tempfile::tempdir().unwrap();
    let reko = reko_service::Reko::open(reko_service::ServiceConfig {
        data_dir: tmp.path().join("data"),
        workers: 0,
        ..Default::default()
    })
    .unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(64).unwrap();
    let addr = listener.local_addr().unwrap();
    let config = HttpConfig { header_timeout, shutdown_delay, ..config(4, Duration::from_secs(10)) };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let served = serve(listener, reko, config, async move {
            let _ = stopped.await;
        })
        .await;
        drop(tmp);
        served
    });
    (addr, stop, server)
}

#[tokio::test]
async fn connections_that_stall_in_their_headers_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, stop, server) = server(Duration::from_millis(300), Duration::ZERO).await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: reko\r\nX-Amz-Tar").await.unwrap();
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(3), slow.read(&mut buf)).await.expect("closed by the server");
    assert!(matches!(n, Ok(0) | Err(_)), "closed without an answer: {n:?}");

    // Probes still work, and shutdown ends the server.
    let mut probe = tokio::net::TcpStream::connect(addr).await.unwrap();
    probe.write_all(b"GET /health HTTP/1.1\r\nHost: reko\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut text = String::new();
    probe.read_to_string(&mut text).await.unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("shut down").unwrap().unwrap();
}

#[tokio::test]
async fn a_refused_request_still_sending_its_body_reads_its_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _stop, _server) = server(DEFAULT_HEADER_TIMEOUT, Duration::ZERO).await;
    let client = tokio::net::TcpSocket::new_v4().unwrap();
    client.set_send_buffer_size(4096).unwrap();
    let mut unsigned = client.connect(addr).await.unwrap();
    let body = vec![b' '; 600_000];
    let head = format!("POST / HTTP/1.1\r\nHost: reko\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    unsigned.write_all(head.as_bytes()).await.unwrap();
    let (mut read, mut write) = unsigned.into_split();
    let sending = tokio::spawn(async move { write.write_all(&body).await });
    // Closing a socket with unread data resets it: the refused body is drained first.
    let mut answer = Vec::new();
    read.read_to_end(&mut answer).await.expect("an answer, then a clean close");
    assert!(answer.starts_with(b"HTTP/1.1 403"), "{}", String::from_utf8_lossy(&answer));
    sending.await.unwrap().expect("the body was taken in");
}

#[tokio::test]
async fn console_paths_skip_sigv4_only_when_the_console_is_served() {
    let tmp = tempfile::tempdir().unwrap();
    let reko = reko_service::Reko::open(reko_service::ServiceConfig {
        data_dir: tmp.path().join("data"),
        workers: 0,
        ..Default::default()
    })
    .unwrap();
    let get = |path: &str| Request::get(path).header("cookie", "reko_console=00").body(Body::empty()).unwrap();
    let status = |app: &Router, request: Request| {
        let app = app.clone();
        async move { app.oneshot(request).await.unwrap().status().as_u16() }
    };
    let off = router(reko.clone(), config(4, Duration::from_secs(1)));
    let on = router(
        reko.clone(),
        HttpConfig { console: Some(ConsoleConfig::default()), ..config(4, Duration::from_secs(1)) },
    );
    for path in ["/console", "/console/login", "/console/jobs"] {
        assert_eq!(status(&off, get(path)).await, 404, "{path} without the console");
    }
    assert_eq!(status(&on, get("/console/login")).await, 200);
    assert_eq!(status(&on, get("/console")).await, 303, "no session: the login page");
    assert_eq!(status(&on, get("/console/../reko/tasks")).await, 404, "no way out of /console");
    // Everything else still needs a signature, cookie or not.
    for app in [&off, &on] {
        assert_eq!(status(app, get("/reko/tasks")).await, 403);
        assert_eq!(status(app, get("/consolex")).await, 403);
        let control = Request::post("/")
            .header("cookie", "reko_console=00")
            .header("x-amz-target", "AmazonPersonalize.ListDatasetGroups")
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(status(app, control).await, 403);
    }
    drop(reko);
}

#[test]
fn the_scope_of_a_key_carries_its_data_roots_and_s3_roles() {
    let scope = KeyScope {
        dataset_groups: Some(vec!["arn:aws:personalize:us-east-1:123456789012:dataset-group/a".into()]),
        runtime_only: false,
        data_roots: Some(vec!["/srv/reko/tenant-a".into()]),
        s3_roles: Some(vec!["arn:aws:iam::123456789012:role/TenantA".into()]),
    };
    let principal = Principal { access_key_id: KEY_ID.into(), scope: scope.clone() };
    let service = scope_of(&principal);
    assert_eq!(service.dataset_groups, scope.dataset_groups);
    assert_eq!(service.data_roots, scope.data_roots);
    assert_eq!(service.s3_roles, scope.s3_roles);
    let root = scope_of(&Principal { access_key_id: KEY_ID.into(), scope: KeyScope::default() });
    assert_eq!(root, reko_service::AccessScope::default(), "a root key: the server's roots and credentials");
}

/// docs/request-members.md lists the members of every implemented operation of the three APIs
/// (crates/api's `request_members` test checks each operation's members against its shape).
#[test]
fn every_implemented_operation_has_its_members_listed() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/request-members.md");
    let page = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let listed: std::collections::HashSet<&str> =
        page.lines().filter_map(|l| l.strip_prefix("| ")).filter_map(|l| l.split(" | ").next()).collect();
    let mut implemented = IMPLEMENTED_CONTROL_PLANE_OPERATIONS.to_vec();
    // A runtime or events path is implemented when it is dispatched at all.
    let tmp = tempfile::tempdir().unwrap();
    let config = reko_service::ServiceConfig { data_dir: tmp.path().join("data"), workers: 0, ..Default::default() };
    let reko = Reko::open(config).unwrap();
    let scope = reko_service::AccessScope::default();
    for (op, path) in reko_api::RUNTIME_OPERATIONS.iter().chain(reko_api::EVENTS_OPERATIONS) {
        match handle_runtime_or_events(&reko, &scope, path, b"{}") {
            Err(ApiError::UnknownOperation(_) | ApiError::NotImplemented(_)) => {}
            _ => implemented.push(op),
        }
    }
    assert!(implemented.contains(&"PutEvents") && implemented.contains(&"GetRecommendations"), "{implemented:?}");
    let missing: Vec<&str> = implemented.into_iter().filter(|op| !listed.contains(op)).collect();
    assert!(missing.is_empty(), "docs/request-members.md has no rows for {missing:?}");
}

#[tokio::test]
async fn shutdown_closes_idle_kept_alive_connections_and_refuses_new_ones() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, stop, server) = server(DEFAULT_HEADER_TIMEOUT, Duration::ZERO).await;
    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: reko\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&answer).contains(r#"{"status":"ok"}"#) {
        let n = kept.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    stop.send(()).unwrap();
    // Closed by the shutdown, well before the header deadline (5 s) would close it.
    let n =
        tokio::time::timeout(Duration::from_secs(2), kept.read(&mut buf)).await.expect("the idle connection closed");
    assert!(matches!(n, Ok(0) | Err(_)), "closed without another answer: {n:?}");
    tokio::time::timeout(Duration::from_secs(2), server).await.expect("shut down").unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn ready_answers_503_once_draining_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let service = reko_service::ServiceConfig { data_dir: tmp.path().join("data"), workers: 0, ..Default::default() };
    let reko = Reko::open(service).unwrap();
    // The start-up warm-up (no campaigns here) ends in the background.
    while !reko.is_ready() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let http = config(4, Duration::from_secs(1));
    let app = router(reko, http.clone());
    let ready = || Request::get("/ready").body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(ready()).await.unwrap().status(), 200);
    http.draining.start();
    let response = app.clone().oneshot(ready()).await.unwrap();
    assert_eq!(response.status(), 503);
    let text = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
    assert_eq!(&text[..], br#"{"status":"shutting down"}"#);
    let health = app.oneshot(Request::get("/health").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(health.status(), 200, "the process is still up");
}

/// `GET path` on a fresh connection: the status, `None` when refused.
async fn status_of(addr: std::net::SocketAddr, path: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.ok()?;
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: reko\r\nConnection: close\r\n\r\n").as_bytes()).await.ok()?;
    let mut text = String::new();
    conn.read_to_string(&mut text).await.ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn during_the_shutdown_delay_ready_is_503_and_requests_are_still_served() {
    let delay = Duration::from_millis(600);
    let (addr, stop, server) = server(DEFAULT_HEADER_TIMEOUT, delay).await;
    while status_of(addr, "/ready").await != Some(200) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopped_at = std::time::Instant::now();
    stop.send(()).unwrap();
    while status_of(addr, "/ready").await != Some(503) {
        assert!(stopped_at.elapsed() < delay / 2, "/ready still 200 after shutdown began");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(status_of(addr, "/health").await, Some(200), "still serving during the delay");
    tokio::time::timeout(Duration::from_secs(3), server).await.expect("shut down").unwrap().unwrap();
    assert!(stopped_at.elapsed() >= delay, "the listener stayed open for the delay");
    assert_eq!(status_of(addr, "/health").await, None, "refused once the delay is over");
}
