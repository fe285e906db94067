//! Runs the `reko demo` flow in-process on a small dataset (the module is compiled into this
//! test directly, so the demo is checked even where the binary is not rebuilt).

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
