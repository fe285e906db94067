//! A full disk, for real: the server's data directory on a small tmpfs. An import that runs out
//! of space fails with a reason that says so (never "interrupted by server restarts"), the server
//! keeps answering, and the job does not loop.
//!
//! Mounting needs root (CAP_SYS_ADMIN), as on CI; elsewhere the test says it skipped.

use std::process::Command;
use std::time::Duration;

use crate::common::*;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// A tmpfs mounted for the test; unmounted on drop.
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_the_job_with_its_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = tmp.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"]).arg(&disk).output();
    match mounted {
        Ok(out) if out.status.success() => {}
        other => {
            eprintln!("SKIPPED a_full_disk_fails_the_job_with_its_reason: cannot mount a tmpfs here ({other:?})");
            return;
        }
    }
    let _mount = Mount(disk.clone());
    // The input lives outside the small disk: 400,000 rows, about 10 MB.
    let files = tmp.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let csv = files.join("interactions.csv");
    let mut rows = String::from("USER_ID,ITEM_ID,TIMESTAMP\n");
    for k in 0..400_000u64 {
        rows.push_str(&format!("user-{},item-{},{}\n", k % 5_000, (k * 7) % 3_000, 1_700_000_000 + k));
    }
    std::fs::write(&csv, rows).unwrap();

    let server = Server::start_with(&disk.join("data"), &["--allowed-data-root", files.to_str().unwrap()]);
    let c = &server.control;
    let dsg = create_dataset_group(c, "full-disk").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "full-disk-interactions", SCHEMA).await;
    let ds = create_dataset(c, &dsg, "full-disk", "full-disk-interactions", "Interactions", &schema).await;
    let job = import(c, "too-big", &ds, &file_url(&csv), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(job.clone()), Duration::from_secs(120)).await;
    let reason = reason.unwrap_or_default();
    assert_eq!(status, "CREATE FAILED", "an import larger than the disk cannot succeed ({reason})");
    let lower = reason.to_lowercase();
    assert!(lower.contains("space") || lower.contains("full"), "the reason names the full disk: {reason}");
    assert!(!lower.contains("interrupted"), "{reason}");
    eprintln!("the import failed with: {reason}");
    // The server still answers, and the failed job stays failed (no retry loop).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(describe_status(c, &Res::ImportJob(job)).await.unwrap().0, "CREATE FAILED");
    ok(c.list_dataset_groups().send().await, "ListDatasetGroups after the failure");
}
