//! Solution versions requested right after their solution.

use super::*;

/// A small synthetic Interactions dataset (40 clicks per user on 50 items) imported into a
/// new dataset group `name`; returns the group's ARN.
pub(crate) async fn small_trainable_group(
    c: &aws_sdk_personalize::Client,
    dir: &std::path::Path,
    name: &str,
    users: usize,
) -> String {
    use std::fmt::Write as _;
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, &format!("{name}-int"), ML_INTERACTIONS_SCHEMA).await;
    let ds = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", &schema).await;
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n");
    for u in 0..users {
        for j in 0..40 {
            writeln!(csv, "u{u},i{},click,1,{}", (u * 7 + j * 3) % 50, 1_700_000_000 + u * 1000 + j).unwrap();
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(format!("{name}.csv"));
    std::fs::write(&file, csv).unwrap();
    let job = import(c, &format!("{name}-import"), &ds, &file_url(&file), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    dsg
}

/// AWS's sample notebooks call CreateSolutionVersion right after CreateSolution, while the
/// solution is still CREATE PENDING; Personalize accepts it. Ten times in a row, with another
/// dataset group's training queued or running meanwhile: every CreateSolutionVersion succeeds and
/// every solution and version reaches ACTIVE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solution_version_right_after_create_solution() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let busy_dsg = small_trainable_group(c, &tmp.path().join("csv"), "busy", 400).await;
    let dsg = small_trainable_group(c, &tmp.path().join("csv"), "quick", 30).await;

    // Another training, queued and then running while the ten solutions are created.
    let busy_sol = ok(
        c.create_solution()
            .name("busy-up")
            .dataset_group_arn(&busy_dsg)
            .recipe_arn(recipe("aws-user-personalization"))
            .send()
            .await,
        "CreateSolution(busy)",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    let busy_sv = ok(c.create_solution_version().solution_arn(&busy_sol).send().await, "CreateSolutionVersion(busy)")
        .solution_version_arn()
        .unwrap()
        .to_string();

    let mut created = Vec::new();
    // How many solutions were still being activated after their CreateSolutionVersion (timing).
    let mut still_pending = 0;
    for i in 0..10 {
        let name = format!("quick-{i}");
        let sol = ok(
            c.create_solution().name(&name).dataset_group_arn(&dsg).recipe_arn(POPULARITY_RECIPE).send().await,
            "CreateSolution",
        )
        .solution_arn()
        .unwrap()
        .to_string();
        let sv = ok(
            c.create_solution_version().solution_arn(&sol).send().await,
            &format!("CreateSolutionVersion right after CreateSolution {name}"),
        )
        .solution_version_arn()
        .unwrap()
        .to_string();
        assert!(sv.starts_with(&format!("{sol}/")), "{sv}");
        let (sol_status, _) = describe_status(c, &Res::Solution(sol.clone())).await.unwrap();
        if sol_status != "ACTIVE" {
            still_pending += 1;
        }
        if i == 0 {
            let (busy, _) = describe_status(c, &Res::SolutionVersion(busy_sv.clone())).await.unwrap();
            assert_ne!(busy, "ACTIVE", "the other training is still queued or running");
        }
        created.push((sol, sv));
    }
    let (busy, _) = describe_status(c, &Res::SolutionVersion(busy_sv.clone())).await.unwrap();
    eprintln!("{still_pending} of 10 solutions were not ACTIVE yet after their CreateSolutionVersion; the other version is {busy}");
    wait_active(c, &Res::SolutionVersion(busy_sv.clone())).await;
    for (sol, sv) in &created {
        wait_active(c, &Res::SolutionVersion(sv.clone())).await;
        let d = ok(c.describe_solution().solution_arn(sol).send().await, "DescribeSolution");
        let solution = d.solution().unwrap();
        assert_eq!(solution.status(), Some("ACTIVE"), "{sol}");
        let latest = solution.latest_solution_version().unwrap();
        assert_eq!(latest.solution_version_arn(), Some(sv.as_str()));
        assert_eq!(latest.status(), Some("ACTIVE"));
    }
}
