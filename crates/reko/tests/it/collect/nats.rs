//! The NATS JetStream consumer against the real `nats-server` (127.0.0.1:4222, or `REKO_TEST_NATS_URL`).
//! Without a server the tests print "skipped" and pass, unless `CI` is set: then they fail.

use std::collections::BTreeSet;

use async_nats::jetstream;
use serde_json::json;

use super::*;

fn nats_url() -> String {
    std::env::var("REKO_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A JetStream context, or `None` (after saying so) when no NATS server answers outside CI.
async fn jetstream_or_skip() -> Option<jetstream::Context> {
    let url = nats_url();
    match async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(3)).connect(url.as_str()).await {
        Ok(client) => Some(jetstream::new(client)),
        Err(e) if std::env::var_os("CI").is_some() => panic!("no NATS at {url} (CI is set): {e}"),
        Err(e) => {
            println!("skipped: no NATS at {url}: {e}");
            None
        }
    }
}

/// Names no other test (nor an earlier run) uses.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

fn nats_config(path: &Path, tracking: &str, stream: &str, subject: &str) {
    std::fs::write(
        path,
        format!(
            "[[collect.nats]]\nname = \"orders\"\nurl = \"{}\"\nstream = \"{stream}\"\nsubject = \"{subject}\"\n\
             durable = \"reko\"\ntracking_id = \"{tracking}\"\nack_wait_secs = 2\nmax_ack_pending = 64\n\
             [collect.nats.properties]\nproduct_id = \"itemId\"\n",
            nats_url()
        ),
    )
    .unwrap();
}

fn event(i: usize) -> Vec<u8> {
    json!({"type": "track", "messageId": format!("m-{i}"), "userId": format!("u{}", i % 17), "event": "view",
        "timestamp": "2024-05-01T12:00:00Z", "properties": {"product_id": format!("item-{i}")}})
    .to_string()
    .into_bytes()
}

async fn wait_rows(data: &Path, ds: &str, want: i64, server: &Server) {
    let started = Instant::now();
    loop {
        let n = stored_rows(data, ds);
        if n >= want {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{n} of {want} rows stored; log:\n{}", server.log_tail());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_stored_exactly_once_across_a_kill_mid_stream() {
    let Some(js) = jetstream_or_skip().await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (ds, _, tracking) = staged_group(&data, "collect-nats").await;
    let (stream, subject) = (unique("REKO_TEST"), unique("reko.test"));
    // The stream as Reko creates it, so that the messages wait in it before Reko starts.
    js.get_or_create_stream(jetstream::stream::Config {
        name: stream.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    const N: usize = 1500;
    for i in 0..N {
        js.publish(subject.clone(), event(i).into()).await.unwrap().await.unwrap();
    }
    // Redeliveries by the publisher (same messageId, new stream messages), and a message refused.
    for i in 0..50 {
        js.publish(subject.clone(), event(i).into()).await.unwrap().await.unwrap();
    }
    js.publish(subject.clone(), b"{not json".to_vec().into()).await.unwrap().await.unwrap();

    let config = tmp.path().join("reko.toml");
    nats_config(&config, &tracking, &stream, &subject);
    let mut server = Server::start_with(&data, &["--config", config.to_str().unwrap()]);
    wait_rows(&data, &ds, 100, &server).await;
    server.kill();
    let at_kill = stored_rows(&data, &ds);
    assert!(at_kill < N as i64, "the kill came mid-stream ({at_kill} of {N} stored)");

    let restarted = Instant::now();
    let server = Server::start_with(&data, &["--config", config.to_str().unwrap()]);
    wait_rows(&data, &ds, N as i64, &server).await;
    println!("{at_kill} of {N} events stored at the kill; all {N} {:?} after the restart", restarted.elapsed());
    // Longer than the ack wait: anything delivered twice would have been stored by now.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(stored_rows(&data, &ds), N as i64, "rows stored twice; log:\n{}", server.log_tail());
    let rows = exported(&server.control, "collect-nats-export", &ds, &tmp.path().join("export")).await;
    let items: BTreeSet<String> = rows.iter().map(|r| r["ITEM_ID"].clone()).collect();
    let want: BTreeSet<String> = (0..N).map(|i| format!("item-{i}")).collect();
    assert_eq!(items, want);

    // The consumer acknowledged everything: nothing is pending for it.
    let mut consumer: jetstream::consumer::PullConsumer =
        js.get_stream(&stream).await.unwrap().get_consumer("reko").await.unwrap();
    let info = consumer.info().await.unwrap();
    // The back-pressure and redelivery settings of the source are the consumer's.
    assert_eq!((info.config.max_ack_pending, info.config.ack_wait), (64, Duration::from_secs(2)));
    let started = Instant::now();
    loop {
        let info = consumer.info().await.unwrap();
        if info.num_pending == 0 && info.num_ack_pending == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "still pending: {info:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = signed_get(&server.url, "/reko/dead-letters", (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    assert_eq!(status, 200);
    let letters: serde_json::Value = serde_json::from_str(&body).unwrap();
    let letters = letters["deadLetters"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{body}");
    assert_eq!((letters[0]["source"].as_str(), letters[0]["reason"].as_str()), (Some("orders"), Some("invalid_json")));
    // A SIGTERM stops the consumer with the server: a clean exit.
    let mut server = server;
    server.stop();
    let _ = js.delete_stream(&stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_nats_server_neither_stops_nor_blocks_reko() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = tmp.path().join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[collect.nats]]\nname = \"down\"\nurl = \"nats://user:pw-not-logged@127.0.0.1:{port}\"\n\
             stream = \"S\"\nsubject = \"s\"\ndurable = \"reko\"\ntracking_id = \"none\"\n"
        ),
    )
    .unwrap();
    let mut server = Server::start_with(&data, &["--config", config.to_str().unwrap()]);
    let (status, _) = http_request(&server.url, "GET", "/health", &[], b"");
    assert_eq!(status, 200);
    let started = Instant::now();
    while !server.log_tail().contains("NATS consumer interrupted") {
        assert!(started.elapsed() < Duration::from_secs(30), "no retry logged:\n{}", server.log_tail());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(!log.contains("pw-not-logged"), "the URL's password is logged:\n{log}");
    // The API serves meanwhile, and a SIGTERM stops the retrying consumer with the server.
    let groups = server.control.list_dataset_groups().send().await.unwrap();
    assert!(groups.dataset_groups().is_empty());
    server.stop();
}
