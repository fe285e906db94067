//! Runs the `reko demo` flow in-process on a small dataset (the module is compiled into this
//! test directly, so the demo is checked even where the binary is not rebuilt).

#[path = "../src/access_keys.rs"]
#[allow(dead_code)]
mod access_keys;
#[path = "../src/config.rs"]
#[allow(dead_code)]
mod config;
#[path = "../src/demo.rs"]
#[allow(dead_code)]
mod demo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_end_to_end_on_a_small_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    demo::run(demo::DemoArgs {
        users: 600,
        items: 300,
        interactions: 20_000,
        seed: 3,
        data_dir: Some(tmp.path().to_path_buf()),
        show_users: 2,
        step_timeout_secs: 120,
        ..Default::default()
    })
    .await
    .expect("demo failed");
    for f in ["interactions.csv", "items.csv", "users.csv"] {
        assert!(tmp.path().join("csv").join(f).exists(), "{f} not generated");
    }
    assert!(started.elapsed().as_secs() < 120);
}

/// The `reko demo` subcommand itself (argument parsing, exit status, output).
#[test]
fn demo_subcommand_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args([
            "demo",
            "--users",
            "500",
            "--items",
            "200",
            "--interactions",
            "15000",
            "--seed",
            "9",
            "--show-users",
            "1",
            "--data-dir",
        ])
        .arg(tmp.path())
        .output()
        .expect("running reko demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "reko demo failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    assert!(stdout.contains("Top 10 for u"), "{stdout}");
    assert!(stdout.contains("cold start"), "{stdout}");
    assert!(stdout.contains("precision_at_10"), "{stdout}");
    assert!(stdout.contains("RID-"), "{stdout}");
}
