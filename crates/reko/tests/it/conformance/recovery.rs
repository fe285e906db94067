//! Work in progress survives a restart.

use super::*;

/// Kills the server while an import (and then a training) is in progress, restarts it on the
/// same data directory, and checks that the work ends ACTIVE or CREATE FAILED, never stuck.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_recovers_in_progress_work() {
    let tmp = tempfile::tempdir().unwrap();
    let synth_dir = tmp.path().join("synth");
    std::fs::create_dir_all(&synth_dir).unwrap();
    let cfg =
        reko_synth::SynthConfig { users: 20_000, items: 5_000, interactions: 600_000, seed: 5, ..Default::default() };
    let files = reko_synth::write_dataset(&synth_dir, &cfg).unwrap();
    let data_dir = tmp.path().join("data");

    let mut server = Server::start(&data_dir);
    let c = server.control.clone();
    let dsg = create_dataset_group(&c, "rs-dsg").await;
    wait_active(&c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(&c, "rs-int", reko_synth::interactions_schema()).await;
    let ds = create_dataset(&c, &dsg, "rs-dsg", "rs-int", "Interactions", &schema).await;

    // Import, killed mid-flight when we manage to observe it in progress.
    let job = import(&c, "rs-import", &ds, &file_url(&files.interactions), None).await;
    let caught_import = kill_when_in_progress(&mut server, &Res::ImportJob(job.clone())).await;
    eprintln!("restart test: import killed while in progress: {caught_import}");
    server.kill();

    let mut server = Server::start(&data_dir);
    let c = server.control.clone();
    // Finished resources survive the restart.
    wait_active(&c, &Res::DatasetGroup(dsg.clone())).await;
    wait_active(&c, &Res::Dataset(ds.clone())).await;
    let (status, reason) = wait_settled(&c, &Res::ImportJob(job.clone()), WAIT).await;
    eprintln!("restart test: import after restart: {status} {reason:?}");
    assert!(status == "ACTIVE" || status == "CREATE FAILED", "import after restart ended {status} ({reason:?})");
    if status == "CREATE FAILED" {
        assert!(reason.is_some(), "CREATE FAILED without failureReason");
        // Re-import so that training has data.
        let again = import(&c, "rs-import-2", &ds, &file_url(&files.interactions), None).await;
        wait_active(&c, &Res::ImportJob(again)).await;
    }

    // Training, killed mid-flight.
    let sol = ok(
        c.create_solution().name("rs-pop").dataset_group_arn(&dsg).recipe_arn(POPULARITY_RECIPE).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    wait_active(&c, &Res::Solution(sol.clone())).await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .unwrap()
        .to_string();
    let caught_training = kill_when_in_progress(&mut server, &Res::SolutionVersion(sv.clone())).await;
    eprintln!("restart test: training killed while in progress: {caught_training}");
    server.kill();

    let server = Server::start(&data_dir);
    let c = &server.control;
    let (status, reason) = wait_settled(c, &Res::SolutionVersion(sv.clone()), WAIT).await;
    assert!(status == "ACTIVE" || status == "CREATE FAILED", "training after restart ended {status} ({reason:?})");
    if status == "CREATE FAILED" {
        assert!(reason.is_some(), "CREATE FAILED without failureReason");
    }
    wait_active(c, &Res::Solution(sol)).await;
}

/// Polls quickly until the resource is `CREATE IN_PROGRESS`, then SIGKILLs the server.
/// Returns whether the in-progress state was observed (a fast machine may finish first).
async fn kill_when_in_progress(server: &mut Server, res: &Res) -> bool {
    let start = Instant::now();
    loop {
        match describe_status(&server.control, res).await {
            Ok((status, _)) if status == "CREATE IN_PROGRESS" => {
                // Let it get properly under way before pulling the plug.
                tokio::time::sleep(Duration::from_millis(50)).await;
                server.kill();
                return true;
            }
            Ok((status, _)) if status == "CREATE PENDING" => {}
            Ok(_) => {
                server.kill();
                return false;
            }
            Err(code) => panic!("describing {res:?} failed with {code}"),
        }
        assert!(start.elapsed() < WAIT, "{res:?} never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
