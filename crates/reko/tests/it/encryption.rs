//! Encryption at rest with a customer key, against a real `reko serve`:
//!
//! * a dataset group created with `kmsKeyArn` (a key of the server's key configuration) imports,
//!   takes events, trains and serves as usual, yet no user id, item id or event type of it appears
//!   in plaintext in any file under the data directory (while a group without a key, in the same
//!   server, is found by the same scan: the scan works);
//! * rotation: restarted with new key material and the old one as previous, the server re-wraps
//!   the data key; restarted again with only the new material, everything still reads;
//! * loss: restarted without the key, the group's data is refused with an error naming the key,
//!   never read as garbage.

use std::path::Path;

use crate::common::*;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::Event;

const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/reko-test";
const ROLE: &str = "arn:aws:iam::123456789012:role/PersonalizeRole";
const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// 1,600 interactions whose ids and event type all carry `prefix`.
fn write_interactions(path: &Path, prefix: &str) {
    use std::fmt::Write as _;
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for r in 0..1600 {
        let u = r % 80;
        writeln!(
            csv,
            "{prefix}user{u:03},{prefix}item{:03},{prefix}watched,{}",
            (u * 3 + r / 80 * 7) % 60,
            1_700_000_000 + r
        )
        .unwrap();
    }
    std::fs::write(path, csv).unwrap();
}

fn write_config(path: &Path, material: Option<&Path>, previous: Option<&Path>) {
    let mut text = String::new();
    if let Some(m) = material {
        text.push_str(&format!("[[kms_keys]]\narn = \"{KMS_KEY}\"\nmaterial = \"file:{}\"\n", m.display()));
        if let Some(p) = previous {
            text.push_str(&format!("previous_materials = [\"file:{}\"]\n", p.display()));
        }
    }
    std::fs::write(path, text).unwrap();
}

async fn recommend(server: &Server, campaign: &str) -> Result<Vec<String>, String> {
    use aws_sdk_personalizeruntime::error::ProvideErrorMetadata;
    server
        .runtime
        .get_recommendations()
        .campaign_arn(campaign)
        .user_id("zqduser001")
        .num_results(10)
        .send()
        .await
        .map(|o| ids(o.item_list()))
        .map_err(|e| format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or("")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_key_encrypts_everything_stored_for_the_group() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (key_a, key_b) = (tmp.path().join("a.key"), tmp.path().join("b.key"));
    std::fs::write(&key_a, "11".repeat(32)).unwrap();
    std::fs::write(&key_b, [0x5au8; 32]).unwrap();
    let config = tmp.path().join("reko.toml");
    write_config(&config, Some(&key_a), None);
    let args = ["--config", config.to_str().unwrap()];
    let mut server = Server::start_with(&data, &args);
    let c = server.control.clone();

    // The key must be configured, and comes with a role.
    let unknown = c
        .create_dataset_group()
        .name("nokey")
        .kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/none")
        .role_arn(ROLE);
    let m = expect_code(unknown.send().await, "InvalidInputException", "unknown key");
    assert!(m.contains("key configuration"), "{m}");
    let no_role = c.create_dataset_group().name("norole").kms_key_arn(KMS_KEY).send().await;
    expect_code(no_role, "InvalidInputException", "kmsKeyArn without roleArn");

    // An encrypted group and a plain one, each with its own ids.
    let secret = ok(c.create_dataset_group().name("sealed").kms_key_arn(KMS_KEY).role_arn(ROLE).send().await, "Create")
        .dataset_group_arn()
        .unwrap()
        .to_string();
    wait_active(&c, &Res::DatasetGroup(secret.clone())).await;
    let described = ok(c.describe_dataset_group().dataset_group_arn(&secret).send().await, "Describe");
    assert_eq!(described.dataset_group().unwrap().kms_key_arn(), Some(KMS_KEY));
    let plain = create_dataset_group(&c, "plain").await;
    wait_active(&c, &Res::DatasetGroup(plain.clone())).await;
    let schema = create_schema(&c, "enc-interactions", SCHEMA).await;
    let mut campaign = String::new();
    for (group, name, prefix) in [(&secret, "sealed", "zqd"), (&plain, "plain", "plq")] {
        let ds = create_dataset(&c, group, name, &format!("{name}-interactions"), "Interactions", &schema).await;
        let csv = tmp.path().join(format!("{name}.csv"));
        write_interactions(&csv, prefix);
        wait_active(&c, &Res::ImportJob(import(&c, &format!("{name}-import"), &ds, &file_url(&csv), None).await)).await;
        if name == "sealed" {
            let tracking = create_tracker(&c, "sealed-tracker", group).await;
            let event = Event::builder()
                .event_type("zqdwatched")
                .item_id("zqditem-live")
                .sent_at(DateTime::from_secs(1_700_100_000))
                .build()
                .unwrap();
            ok(
                server
                    .events
                    .put_events()
                    .tracking_id(tracking)
                    .user_id("zqduser-live")
                    .session_id("s")
                    .event_list(event)
                    .send()
                    .await,
                "PutEvents",
            );
            let sol = create_solution(&c, group, "sealed-up", "aws-user-personalization").await;
            let version = train(&c, &sol).await;
            campaign = deploy(&c, "sealed-campaign", &version).await;
        }
    }
    let items = recommend(&server, &campaign).await.unwrap();
    assert!(!items.is_empty() && items.iter().all(|i| i.starts_with("zqditem")), "{items:?}");

    // Nothing of the sealed group in plaintext on disk; the plain group is there (the scan works).
    server.kill();
    for needle in ["zqduser", "zqditem", "zqdwatched"] {
        let leaks = files_containing(&data, needle);
        assert!(leaks.is_empty(), "'{needle}' in plaintext in {leaks:?}");
    }
    assert!(!files_containing(&data, "plquser").is_empty(), "the unencrypted group's ids are found by the scan");

    // Rotation: new material, the old one as previous; then the new one alone.
    write_config(&config, Some(&key_b), Some(&key_a));
    let server = Server::start_with(&data, &args);
    assert_eq!(recommend(&server, &campaign).await.unwrap(), items, "served after the rotation");
    drop(server);
    write_config(&config, Some(&key_b), None);
    let mut server = Server::start_with(&data, &args);
    assert_eq!(
        recommend(&server, &campaign).await.unwrap(),
        items,
        "the data key was re-wrapped under the new material"
    );
    // The group still trains and takes data.
    let sol = create_solution(&server.control, &secret, "sealed-up-2", "aws-user-personalization").await;
    train(&server.control, &sol).await;
    server.kill();

    // Loss: without the key, the group's data is refused with an error naming the key.
    write_config(&config, None, None);
    let server = Server::start_with(&data, &args);
    let refused = recommend(&server, &campaign).await.unwrap_err();
    assert!(refused.starts_with("AccessDeniedException") && refused.contains(KMS_KEY), "{refused}");
    let sol = create_solution(&server.control, &secret, "sealed-up-3", "aws-user-personalization").await;
    let version = ok(server.control.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .unwrap()
        .to_string();
    let (status, reason) = wait_settled(&server.control, &Res::SolutionVersion(version), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    assert!(reason.unwrap_or_default().contains(KMS_KEY));
    // The plain group is unaffected.
    ok(server.control.describe_dataset_group().dataset_group_arn(&plain).send().await, "Describe(plain)");
}
