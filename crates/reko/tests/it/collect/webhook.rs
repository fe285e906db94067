//! The Segment webhook: `POST /reko/collect/segment/{source}`.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use super::*;

const SECRET: &str = "segment-shared-secret-1";

fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Posts a Segment body signed as Segment's webhook destination signs it.
fn post(url: &str, body: &Value) -> (u16, Value) {
    let bytes = body.to_string().into_bytes();
    let (status, text) =
        http_request(url, "POST", "/reko/collect/segment/web", &[("X-Signature", signature(&bytes))], &bytes);
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON answer: {text}")))
}

fn track(id: &str, user: &str, event: &str, item: &str) -> Value {
    json!({"type": "track", "messageId": id, "userId": user, "anonymousId": format!("anon-{user}"), "event": event,
        "timestamp": "2024-05-01T12:00:00Z", "properties": {"product_id": item, "price": 9.5, "device": "ios", "extra": 1}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segment_calls_are_stored_once_and_refusals_are_dead_letters() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (ds, users_ds, tracking) = staged_group(&data, "collect-web").await;
    let config = tmp.path().join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[collect.segment]]\nname = \"web\"\ntracking_id = \"{tracking}\"\nshared_secret = \"env:WEB_SECRET\"\n\
             page_event_type = \"page-view\"\n\
             [collect.segment.events]\n\"Product Viewed\" = \"view\"\n\"Order Completed\" = \"purchase\"\n\
             [collect.segment.properties]\nproduct_id = \"itemId\"\nprice = \"eventValue\"\ndevice = \"DEVICE\"\n\
             [collect.segment.traits]\nplan = \"PLAN\"\n\
             [[access_keys]]\naccess_key_id = \"TENANTWEB\"\nsecret_access_key = \"tenant-web-secret-1\"\n\
             dataset_groups = [\"{}\"]\n\
             [[access_keys]]\naccess_key_id = \"TENANTOTHER\"\nsecret_access_key = \"tenant-other-secret-1\"\n\
             dataset_groups = [\"{}\"]\n",
            arn("dataset-group", "collect-web"),
            arn("dataset-group", "collect-other"),
        ),
    )
    .unwrap();
    let server = Server::start_with_env(&data, &["--config", config.to_str().unwrap()], &[("WEB_SECRET", SECRET)]);
    let url = server.url.clone();

    // One track call, then the same call again (Segment retries): stored once.
    let first = track("m-1", "u1", "Product Viewed", "item-1");
    assert_eq!(post(&url, &first), (200, json!({"stored": 1, "duplicates": 0, "deadLettered": 0})));
    assert_eq!(post(&url, &first), (200, json!({"stored": 0, "duplicates": 1, "deadLettered": 0})));

    // A batch: a new track call, one the schema refuses (DEVICE is a string, not an object) for
    // the same user (one PutEvents call with the first: only the bad one is refused), a page
    // call, an identify call, an unmapped event, a repeat.
    let mut refused = track("m-8", "u1", "Product Viewed", "item-8");
    refused["properties"]["device"] = json!({"os": "ios"});
    let batch = json!({"batch": [
        track("m-2", "u1", "Order Completed", "item-2"),
        refused,
        {"type": "page", "messageId": "m-3", "userId": "u2", "name": "Home", "properties": {"product_id": "item-3"},
         "timestamp": "2024-05-01T12:05:00.250+02:00"},
        {"type": "identify", "messageId": "m-4", "userId": "u1", "traits": {"plan": "pro", "email": "a@example.com"}},
        track("m-5", "u1", "Signed Up", "item-5"),
        track("m-1", "u1", "Product Viewed", "item-1"),
    ]});
    assert_eq!(post(&url, &batch), (200, json!({"stored": 3, "duplicates": 1, "deadLettered": 2})));

    // Without the secret: refused, nothing stored.
    let forged = track("m-6", "u1", "Product Viewed", "item-6").to_string().into_bytes();
    let (status, body) =
        http_request(&url, "POST", "/reko/collect/segment/web", &[("X-Signature", "00".repeat(20))], &forged);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("X-Signature"), "{body}");
    let (status, _) = http_request(&url, "POST", "/reko/collect/segment/web", &[], &forged);
    assert_eq!(status, 401);
    let (status, body) = http_request(&url, "POST", "/reko/collect/segment/nope", &[], &forged);
    assert_eq!(status, 404, "{body}");
    // Bodies are bounded (Segment's batches are at most 500 KB).
    let huge = vec![b' '; (1 << 20) + 1];
    let (status, body) =
        http_request(&url, "POST", "/reko/collect/segment/web", &[("X-Signature", signature(&huge))], &huge);
    assert_eq!(status, 413, "{body}");
    // The Actions webhook's bearer header carries the same secret.
    let (status, body) = http_request(
        &url,
        "POST",
        "/reko/collect/segment/web",
        &[("Authorization", format!("Bearer {SECRET}"))],
        &forged,
    );
    assert_eq!((status, serde_json::from_str::<Value>(&body).unwrap()["stored"].clone()), (200, json!(1)));

    // Alone, too: a dead letter naming the field.
    let mut bad = track("m-7", "u3", "Product Viewed", "item-7");
    bad["properties"]["device"] = json!({"os": "ios"});
    assert_eq!(post(&url, &bad), (200, json!({"stored": 0, "duplicates": 0, "deadLettered": 1})));

    // The dead letters, newest first, with reason, source and payload.
    let (status, body) = signed_get(&url, "/reko/dead-letters", (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    assert_eq!(status, 200, "{body}");
    let letters: Value = serde_json::from_str(&body).unwrap();
    let letters = letters["deadLetters"].as_array().unwrap();
    let reasons: Vec<&str> = letters.iter().map(|l| l["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["invalid_event", "invalid_event", "unmapped_event"]);
    assert!(letters[0]["detail"].as_str().unwrap().contains("DEVICE"), "{}", letters[0]);
    assert!(letters[0]["payload"].as_str().unwrap().contains("m-7"), "{}", letters[0]);
    assert!(letters[1]["payload"].as_str().unwrap().contains("m-8"), "{}", letters[1]);
    assert!(letters[2]["detail"].as_str().unwrap().contains("Signed Up"), "{}", letters[2]);
    assert!(letters[2]["payload"].as_str().unwrap().contains("m-5"), "{}", letters[2]);
    assert_eq!(letters[2]["source"], "web");
    assert_eq!(letters[2]["datasetGroupArn"], arn("dataset-group", "collect-web"));
    let (status, _) = http_request(&url, "GET", "/reko/dead-letters", &[], b"");
    assert_eq!(status, 403, "the dead letters are SigV4-authenticated");
    // A key scoped to the tracker's group sees them; a key of another group does not.
    let count = |key: (&str, &str)| {
        let (status, body) = signed_get(&url, "/reko/dead-letters?limit=10", key);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["deadLetters"].as_array().unwrap().len()
    };
    assert_eq!(count(("TENANTWEB", "tenant-web-secret-1")), 3);
    assert_eq!(count(("TENANTOTHER", "tenant-other-secret-1")), 0);
    let (status, body) = signed_get(&url, "/reko/dead-letters?limit=0", (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("limit"), "{body}");

    // The console lists them too, after a login.
    let form = format!("access_key_id={ACCESS_KEY_ID}&secret_access_key={SECRET_ACCESS_KEY}");
    let form_type = ("Content-Type", "application/x-www-form-urlencoded".to_string());
    let (status, head, _) = http_exchange(&url, "POST", "/console/login", &[form_type], form.as_bytes());
    assert_eq!(status, 303, "{head}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let (status, page) = http_request(&url, "GET", "/console/dead-letters", &[("Cookie", cookie)], b"");
    assert_eq!(status, 200, "{page}");
    for text in ["unmapped_event", "Signed Up", "invalid_event", "collect-web"] {
        assert!(page.contains(text), "{text} missing from the console page:\n{page}");
    }

    // /metrics counts them by source and reason, and the stored messages by outcome.
    let (_, metrics) = http_request(&url, "GET", "/metrics", &[], b"");
    for line in [
        r#"reko_collect_dead_letters_total{source="web",reason="unmapped_event"} 1"#,
        r#"reko_collect_dead_letters_total{source="web",reason="invalid_event"} 2"#,
        r#"reko_collect_messages_total{source="web",outcome="stored"} 5"#,
        r#"reko_collect_messages_total{source="web",outcome="duplicate"} 2"#,
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing {line} in:\n{metrics}");
    }

    // What was stored: through PutEvents' path, mapped.
    let events = exported(&server.control, "collect-web-events", &ds, &tmp.path().join("export")).await;
    let mut seen: Vec<(String, String, String, String, String)> = events
        .iter()
        .map(|r| {
            let col = |c: &str| r.get(c).cloned().unwrap_or_default();
            (col("USER_ID"), col("ITEM_ID"), col("EVENT_TYPE"), col("EVENT_VALUE"), col("TIMESTAMP"))
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("u1".into(), "item-1".into(), "view".into(), "9.5".into(), "1714564800".into()),
            ("u1".into(), "item-2".into(), "purchase".into(), "9.5".into(), "1714564800".into()),
            ("u1".into(), "item-6".into(), "view".into(), "9.5".into(), "1714564800".into()),
            ("u2".into(), "item-3".into(), "page-view".into(), "".into(), "1714557900".into()),
        ]
        .map(|t: (String, String, String, String, String)| t)
    );
    let users = exported(&server.control, "collect-web-users", &users_ds, &tmp.path().join("export")).await;
    let users: Vec<(String, String)> = users.iter().map(|r| (r["USER_ID"].clone(), r["PLAN"].clone())).collect();
    assert_eq!(users, [("u1".to_string(), "pro".to_string())]);
}

/// An encrypted dataset group's collected events are sealed like PutEvents' (no id in plaintext
/// anywhere under the data directory), and its dead letters keep no payload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_groups_events_and_dead_letters_stay_sealed() {
    const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/collect-test";
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = tmp.path().join("reko.toml");
    let keys = format!("[[kms_keys]]\narn = \"{KMS_KEY}\"\nmaterial = \"env:COLLECT_KMS\"\n");
    let material = [("COLLECT_KMS", "ab".repeat(32))];
    let env: Vec<(&str, &str)> = material.iter().map(|(k, v)| (*k, v.as_str())).collect();
    std::fs::write(&config, &keys).unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let mut server = Server::start_with_env(&data, &args, &env);
    let c = server.control.clone();
    let dsg = ok(
        c.create_dataset_group()
            .name("collect-sealed")
            .kms_key_arn(KMS_KEY)
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
            .send()
            .await,
        "CreateDatasetGroup",
    )
    .dataset_group_arn()
    .unwrap()
    .to_string();
    wait_active(&c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(&c, "collect-sealed-interactions", INTERACTIONS_SCHEMA).await;
    create_dataset(&c, &dsg, "collect-sealed", "collect-sealed-interactions", "Interactions", &schema).await;
    let tracking = create_tracker(&c, "collect-sealed-tracker", &dsg).await;
    server.stop();
    std::fs::write(
        &config,
        format!(
            "{keys}[[collect.segment]]\nname = \"web\"\ntracking_id = \"{tracking}\"\nshared_secret = \"{SECRET}\"\n\
             [collect.segment.properties]\nproduct_id = \"itemId\"\ndevice = \"DEVICE\"\n"
        ),
    )
    .unwrap();
    let mut server = Server::start_with_env(&data, &args, &env);
    let good = track("m-1", "sealed-user-1", "sealed-view", "sealed-item-1");
    assert_eq!(post(&server.url, &good).1["stored"], 1);
    let mut bad = track("m-2", "sealed-user-2", "sealed-view", "sealed-item-2");
    bad["properties"]["device"] = json!(["not", "a", "string"]);
    assert_eq!(post(&server.url, &bad).1["deadLettered"], 1);
    let (_, body) = signed_get(&server.url, "/reko/dead-letters", (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    let letters: Value = serde_json::from_str(&body).unwrap();
    let letter = &letters["deadLetters"][0];
    assert_eq!(letter["reason"], "invalid_event");
    // Readable through the API (opened with the group's key), sealed in the store.
    assert!(letter["payload"].as_str().unwrap().contains("sealed-item-2"), "{letter}");
    assert!(letter["detail"].as_str().unwrap().contains("DEVICE"), "{letter}");
    server.stop();
    for needle in ["sealed-user-1", "sealed-item-1", "sealed-user-2", "sealed-item-2"] {
        let found = files_containing(&data, needle);
        assert!(found.is_empty(), "{needle} in plaintext in {found:?}");
    }
}
