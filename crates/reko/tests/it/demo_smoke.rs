//! Runs the `reko demo` flow in-process on a small dataset (through the crate's `demo` module,
//! so the demo is checked even where the binary is not rebuilt).

use reko::demo;

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

/// The `reko demo` subcommand itself (argument parsing, exit status, output), and its output
/// is reproducible: two runs with the same data and seed print the same stdout.
#[test]
fn demo_subcommand_runs() {
    let run = || {
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
                "2",
                "--data-dir",
            ])
            .arg(tmp.path())
            .output()
            .expect("running reko demo");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "reko demo failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
        (stdout, stderr)
    };
    let (stdout, stderr) = run();
    for expected in [
        "precision_at_10",
        "explorationWeight 0",
        "Different tastes, different lists",
        " likes ",
        "A new user's list follows their clicks",
        "Filters on u",
        "no-purchases",
        "A promotion on u",
        "promotionName promote-",
        "Similar items (aws-similar-items",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in\n{stdout}");
    }
    // Run details (timings, ARNs) are on stderr, never among the results.
    assert!(stderr.contains("total"), "{stderr}");
    assert!(!stdout.contains("arn:aws:personalize"), "{stdout}");
    let (again, _) = run();
    assert_eq!(stdout, again, "two runs with the same seed printed different results");
}

/// `reko demo --experiment`: the A/B experiment between popularity and User-Personalization runs
/// on the embedded server and says how it ended.
#[test]
fn demo_runs_a_short_experiment() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["demo", "--users", "800", "--items", "200", "--interactions", "20000", "--seed", "5"])
        .args(["--show-users", "1", "--experiment", "--experiment-users", "600", "--data-dir"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "reko demo --experiment failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("A/B experiment: popularity (control) against User-Personalization"), "{stdout}");
    // Both arms served users (a 50/50 split of 600), and the run ends with a verdict.
    let users: Vec<u64> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("arm "))
        .map(|l| l.split("users").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(users.len(), 2, "{stdout}");
    assert_eq!(users.iter().sum::<u64>(), 600, "{stdout}");
    assert!(users.iter().all(|&n| n > 200), "{users:?}");
    assert!(stdout.contains("decision: ") && stdout.contains("  => "), "{stdout}");
}
