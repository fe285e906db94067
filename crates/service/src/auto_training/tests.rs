use std::io::Write;
use std::path::Path;

use reko_api::*;

use super::*;
use crate::{AccessScope, Clock, ServiceConfig, ServiceError};

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

#[test]
fn a_due_run_trains_only_on_new_data_and_never_beside_a_running_training() {
    let active = |seq| VersionMark { training: false, data_seq: Some(seq) };
    assert_eq!(decide(&[], 0), Decision::Skip("the dataset group has no interaction data".into()));
    assert_eq!(decide(&[], 5), Decision::Train);
    assert_eq!(decide(&[active(5)], 5), Decision::Skip("no new interaction data since the last training".into()));
    assert_eq!(decide(&[active(3), active(5)], 6), Decision::Train);
    let training = VersionMark { training: true, data_seq: None };
    assert_eq!(decide(&[training, active(1)], 9), Decision::Skip("a solution version is already training".into()));
    // A version whose data is unknown (failed manual training) does not count as trained.
    assert_eq!(decide(&[VersionMark { training: false, data_seq: None }], 2), Decision::Train);
}

#[test]
fn the_period_is_the_scheduling_expression_or_seven_days() {
    let config = |expr: &str| SolutionConfig {
        auto_training_config: Some(AutoTrainingConfig { scheduling_expression: Some(expr.into()) }),
        ..Default::default()
    };
    assert_eq!(period_secs(None), 7.0 * DAY);
    assert_eq!(period_secs(Some(&SolutionConfig::default())), 7.0 * DAY);
    assert_eq!(period_secs(Some(&config("rate(1 day)"))), DAY);
    assert_eq!(period_secs(Some(&config("rate(30 days)"))), 30.0 * DAY);
}

fn open(dir: &Path) -> Reko {
    Reko::open(ServiceConfig {
        data_dir: dir.join("d"),
        workers: 0,
        clock: Clock::offset_by_file(dir.join("clock")),
        scheduler_interval: std::time::Duration::ZERO,
        ..Default::default()
    })
    .unwrap()
}

use crate::test_support::drain;

fn shift_clock(dir: &Path, secs: f64) {
    std::fs::write(dir.join("clock"), secs.to_string()).unwrap();
}

/// An ACTIVE group with an Interactions dataset, and an ACTIVE solution training itself daily.
fn solution(reko: &Reko) -> (String, String) {
    let scope = AccessScope::default();
    let group = reko
        .create_dataset_group(CreateDatasetGroupRequest { name: "g".into(), ..Default::default() }, &scope)
        .unwrap()
        .dataset_group_arn;
    drain(reko);
    let schema_arn = reko
        .create_schema(
            CreateSchemaRequest { name: "i".into(), schema: INTERACTIONS.into(), ..Default::default() },
            &scope,
        )
        .unwrap()
        .schema_arn;
    let dataset = reko
        .create_dataset(CreateDatasetRequest {
            name: "i".into(),
            schema_arn,
            dataset_group_arn: group.clone(),
            dataset_type: "Interactions".into(),
            tags: None,
        })
        .unwrap()
        .dataset_arn;
    let solution = reko
        .create_solution(CreateSolutionRequest {
            name: "s".into(),
            recipe_arn: Some("arn:aws:personalize:::recipe/aws-popularity-count".into()),
            dataset_group_arn: group,
            solution_config: Some(SolutionConfig {
                auto_training_config: Some(AutoTrainingConfig { scheduling_expression: Some("rate(1 day)".into()) }),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap()
        .solution_arn;
    drain(reko);
    (solution, dataset)
}

fn import(reko: &Reko, dir: &Path, dataset: &str, name: &str) {
    let path = dir.join(format!("{name}.csv"));
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "USER_ID,ITEM_ID,TIMESTAMP").unwrap();
    for n in 0..1200 {
        writeln!(f, "u{},i{},{}", n % 60, n % 37, 1_600_000_000 + n).unwrap();
    }
    reko.create_dataset_import_job(
        CreateDatasetImportJobRequest {
            job_name: name.into(),
            dataset_arn: dataset.into(),
            data_source: DataSource { data_location: Some(path.display().to_string()) },
            import_mode: Some("INCREMENTAL".into()).filter(|_| name != "first"),
            ..Default::default()
        },
        &AccessScope::default(),
    )
    .unwrap();
    drain(reko);
}

fn versions(reko: &Reko, solution: &str) -> Vec<SolutionVersionSummary> {
    let req = ListSolutionVersionsRequest { solution_arn: Some(solution.into()), ..Default::default() };
    reko.list_solution_versions(req, &AccessScope::default()).unwrap().solution_versions
}

#[test]
fn the_schedule_survives_restarts_catches_up_once_and_trains_only_on_new_data() {
    let dir = tempfile::tempdir().unwrap();
    let reko = open(dir.path());
    let created = reko.clock_now();
    let (solution, dataset) = solution(&reko);
    let described = reko.describe_solution(DescribeSolutionRequest { solution_arn: solution.clone() }).unwrap();
    assert_eq!(described.solution.perform_auto_training, Some(true));
    let first = reko.due_time(&solution, DueKind::AutoTraining).unwrap().expect("scheduled");
    assert!((first - created - HOUR).abs() < 60.0, "first run an hour after creation: {first} vs {created}");

    // Before the hour: nothing due.
    assert_eq!(reko.run_scheduler_tick().unwrap(), 0);
    // Due, but no interaction data: skipped, next due a day later.
    shift_clock(dir.path(), 2.0 * HOUR);
    assert_eq!(reko.run_scheduler_tick().unwrap(), 1);
    assert!(versions(&reko, &solution).is_empty());
    assert_eq!(reko.due_time(&solution, DueKind::AutoTraining).unwrap(), Some(first + DAY));

    // New data, then the server is down for three and a half days: one run after the restart.
    import(&reko, dir.path(), &dataset, "first");
    reko.shutdown();
    drop(reko);
    let reko = open(dir.path());
    assert_eq!(reko.due_time(&solution, DueKind::AutoTraining).unwrap(), Some(first + DAY), "kept across restarts");
    shift_clock(dir.path(), 3.5 * DAY + 2.0 * HOUR);
    assert_eq!(reko.run_scheduler_tick().unwrap(), 1);
    assert_eq!(reko.run_scheduler_tick().unwrap(), 0, "one run for all the missed periods");
    assert_eq!(reko.due_time(&solution, DueKind::AutoTraining).unwrap(), Some(first + 4.0 * DAY));
    let listed = versions(&reko, &solution);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].training_type.as_deref(), Some("AUTOMATIC"));
    assert_eq!(listed[0].training_mode.as_deref(), Some(AUTOTRAIN));
    drain(&reko);
    assert_eq!(versions(&reko, &solution)[0].status, "ACTIVE");

    // Due again with no new data since that training: skipped.
    shift_clock(dir.path(), 4.0 * DAY + 2.0 * HOUR);
    assert_eq!(reko.run_scheduler_tick().unwrap(), 1);
    assert_eq!(versions(&reko, &solution).len(), 1);
    // New data: the next due run trains.
    import(&reko, dir.path(), &dataset, "more");
    shift_clock(dir.path(), 5.0 * DAY + 2.0 * HOUR);
    assert_eq!(reko.run_scheduler_tick().unwrap(), 1);
    assert_eq!(versions(&reko, &solution).len(), 2);
    reko.shutdown();
}

#[test]
fn update_solution_moves_stops_and_restarts_the_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let reko = open(dir.path());
    let (solution, _) = solution(&reko);
    let first = reko.due_time(&solution, DueKind::AutoTraining).unwrap().unwrap();
    let update = |req: UpdateSolutionRequest| {
        reko.update_solution(UpdateSolutionRequest { solution_arn: solution.clone(), ..req })
    };
    let every = |expr: &str| SolutionUpdateConfig {
        auto_training_config: Some(AutoTrainingConfig { scheduling_expression: Some(expr.into()) }),
        events_config: None,
    };

    // A new period: the next run is one new period from the update.
    update(UpdateSolutionRequest { solution_update_config: Some(every("rate(3 days)")), ..Default::default() })
        .unwrap();
    let again = update(UpdateSolutionRequest::default()).unwrap_err();
    assert!(matches!(again, ServiceError::Api(ApiError::ResourceInUse(_))), "{again:?}");
    let pending = reko.describe_solution(DescribeSolutionRequest { solution_arn: solution.clone() }).unwrap().solution;
    assert_eq!(pending.latest_solution_update.as_ref().unwrap().status, "CREATE PENDING");
    assert_eq!(reko.due_time(&solution, DueKind::AutoTraining).unwrap(), Some(first), "applied by its task");
    drain(&reko);
    let updated = reko.describe_solution(DescribeSolutionRequest { solution_arn: solution.clone() }).unwrap().solution;
    assert_eq!(updated.latest_solution_update.as_ref().unwrap().status, "ACTIVE");
    let expr = updated.solution_config.as_ref().and_then(|c| c.auto_training_config.as_ref());
    assert_eq!(expr.and_then(|a| a.scheduling_expression.as_deref()), Some("rate(3 days)"));
    let due = reko.due_time(&solution, DueKind::AutoTraining).unwrap().unwrap();
    assert!((due - reko.clock_now() - 3.0 * DAY).abs() < 60.0);

    // Off: no more runs. On again: the first run an hour later.
    update(UpdateSolutionRequest { perform_auto_training: Some(false), ..Default::default() }).unwrap();
    drain(&reko);
    assert_eq!(reko.due_time(&solution, DueKind::AutoTraining).unwrap(), None);
    let off = reko.describe_solution(DescribeSolutionRequest { solution_arn: solution.clone() }).unwrap().solution;
    assert_eq!(off.perform_auto_training, Some(false));
    update(UpdateSolutionRequest { perform_auto_training: Some(true), ..Default::default() }).unwrap();
    drain(&reko);
    let due = reko.due_time(&solution, DueKind::AutoTraining).unwrap().unwrap();
    assert!((due - reko.clock_now() - HOUR).abs() < 60.0);

    // Refused: incremental updates (not a semantic-similarity recipe), naming the member.
    let err =
        update(UpdateSolutionRequest { perform_incremental_update: Some(true), ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("performIncrementalUpdate"), "{err}");
    reko.shutdown();
}
