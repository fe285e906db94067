use serde_json::json;

use super::*;
use crate::declarative::observe::{Found, FoundImport};

const FILE: &str = r#"
schemas:
  - name: s-int
    schema: {type: record, name: Interactions, fields: [{name: USER_ID, type: string}], version: "1.0"}
datasetGroups:
  - name: g
    datasets:
      - {name: g-int, type: Interactions, schema: s-int, import: {jobName: g-int-1, dataLocation: "s3://b/k.csv"}}
    filters:
      - {name: f, filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'}
    solutions:
      - name: sol
        recipe: arn:aws:personalize:::recipe/aws-popularity-count
        solutionConfig: {algorithmHyperParameters: {a: "1"}}
    campaigns:
      - {name: c, solution: sol, minProvisionedTPS: 1}
"#;

fn found<T>(arn: &str, spec: T) -> Found<T> {
    Found { arn: arn.into(), status: "ACTIVE".into(), spec }
}

/// The server as `file` describes it, with a trained solution.
fn server_of(file: &SetupFile) -> Observed {
    let mut o = Observed::default();
    for s in &file.schemas {
        o.schemas.insert(s.name.clone(), found("arn:schema", s.clone()));
    }
    for g in &file.dataset_groups {
        let mut group = Group { arn: format!("arn:dg/{}", g.name), status: "ACTIVE".into(), ..Default::default() };
        for d in &g.datasets {
            group.datasets.insert(d.name.clone(), found("arn:ds", d.clone()));
            if let Some(i) = &d.import {
                let job = FoundImport { dataset: d.name.clone(), status: "ACTIVE".into(), failure: None };
                group.import_jobs.insert(i.job_name.clone(), job);
            }
        }
        g.filters.iter().for_each(|f| drop(group.filters.insert(f.name.clone(), found("arn:f", f.clone()))));
        for s in &g.solutions {
            group.solutions.insert(s.name.clone(), found("arn:sol", s.clone()));
            group.active_versions.insert(s.name.clone(), "arn:sol/v1".into());
        }
        g.campaigns.iter().for_each(|c| drop(group.campaigns.insert(c.name.clone(), found("arn:c", c.clone()))));
        o.groups.insert(g.name.clone(), group);
    }
    o
}

fn file() -> SetupFile {
    spec::parse(FILE).unwrap()
}

fn action(plan: &Plan, kind: Kind, name: &str) -> Action {
    plan.changes.iter().find(|c| c.kind == kind && c.name == name).map(|c| c.action).expect("a change")
}

#[test]
fn nothing_on_the_server_means_everything_is_created_and_trained() {
    let plan = plan(&file(), &Observed::default(), false);
    let kinds: Vec<(Kind, Action)> = plan.changes.iter().map(|c| (c.kind, c.action)).collect();
    use Action::Create;
    assert_eq!(
        kinds,
        [
            (Kind::Schema, Create),
            (Kind::DatasetGroup, Create),
            (Kind::Dataset, Create),
            (Kind::ImportJob, Create),
            (Kind::Filter, Create),
            (Kind::Solution, Create),
            (Kind::SolutionVersion, Create),
            (Kind::Campaign, Create)
        ]
    );
    assert!(plan.refusals.is_empty() && plan.replacements().is_empty());
    assert!(
        plan.to_string().ends_with("Plan: 8 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged."),
        "{plan}"
    );
}

#[test]
fn the_server_as_the_file_says_is_unchanged() {
    let f = file();
    let plan = plan(&f, &server_of(&f), false);
    assert!(!plan.has_work(), "{plan}");
    assert_eq!(plan.count(Action::Unchanged), 7);
}

#[test]
fn members_the_file_leaves_out_and_server_defaults_are_not_changes() {
    let f = file();
    let mut server = server_of(&f);
    let g = server.groups.get_mut("g").unwrap();
    let sol = &mut g.solutions.get_mut("sol").unwrap().spec;
    sol.perform_hpo = Some(false);
    let params = sol.solution_config.as_mut().unwrap().algorithm_hyper_parameters.as_mut().unwrap();
    params.insert("server_default".into(), "7".into());
    g.campaigns.get_mut("c").unwrap().spec.campaign_config =
        Some(spec::CampaignConfig { enable_metadata_with_recommendations: Some(false), ..Default::default() });
    assert!(!plan(&f, &server, false).has_work());
}

#[test]
fn a_campaign_tps_change_is_one_update() {
    let f = file();
    let server = server_of(&f);
    let mut changed = f.clone();
    changed.dataset_groups[0].campaigns[0].min_provisioned_tps = Some(3);
    let plan = plan(&changed, &server, false);
    let updates: Vec<&Change> = plan.changes.iter().filter(|c| c.action != Action::Unchanged).collect();
    assert_eq!(updates.len(), 1, "{plan}");
    assert_eq!((updates[0].kind, updates[0].action), (Kind::Campaign, Action::Update));
    assert_eq!(
        updates[0].diffs,
        [FieldDiff { field: "minProvisionedTPS".into(), server: Some(json!(1)), file: json!(3) }]
    );
    assert!(plan.to_string().contains("minProvisionedTPS: 1 -> 3"), "{plan}");
}

#[test]
fn a_filter_expression_change_is_a_replacement() {
    let f = file();
    let server = server_of(&f);
    let mut changed = f.clone();
    changed.dataset_groups[0].filters[0].filter_expression = "EXCLUDE ItemID WHERE Items.X IN (\"y\")".into();
    let plan = plan(&changed, &server, false);
    assert_eq!(action(&plan, Kind::Filter, "f"), Action::Replace);
    assert_eq!(plan.replacements(), ["filter f: filterExpression cannot be changed in place"]);
}

#[test]
fn auto_training_is_updated_in_place_and_a_recipe_change_replaces_the_solution_and_its_campaign() {
    let f = file();
    let server = server_of(&f);
    let mut changed = f.clone();
    changed.dataset_groups[0].solutions[0].perform_auto_training = Some(true);
    let p = plan(&changed, &server, false);
    assert_eq!(action(&p, Kind::Solution, "sol"), Action::Update);
    assert_eq!(action(&p, Kind::Campaign, "c"), Action::Unchanged);

    changed.dataset_groups[0].solutions[0].recipe = "arn:aws:personalize:::recipe/aws-sims".into();
    let p = plan(&changed, &server, false);
    assert_eq!(action(&p, Kind::Solution, "sol"), Action::Replace);
    assert_eq!(action(&p, Kind::SolutionVersion, "sol"), Action::Create);
    assert_eq!(action(&p, Kind::Campaign, "c"), Action::Replace);
    assert!(p.replacements().contains(&"campaign c: its solution sol is replaced".to_string()), "{p}");
}

#[test]
fn a_solution_without_an_active_version_is_trained() {
    let f = file();
    let mut server = server_of(&f);
    server.groups.get_mut("g").unwrap().active_versions.clear();
    let p = plan(&f, &server, false);
    assert_eq!(action(&p, Kind::SolutionVersion, "sol"), Action::Create);
    assert_eq!(p.count(Action::Create), 1);
}

#[test]
fn a_dataset_schema_change_is_an_update_and_a_used_schema_cannot_change() {
    let f = file();
    let server = server_of(&f);
    let mut changed = f.clone();
    changed.schemas.push(spec::Schema { name: "s-int-2".into(), domain: None, schema: json!({"type": "record"}) });
    changed.dataset_groups[0].datasets[0].schema = "s-int-2".into();
    let p = plan(&changed, &server, false);
    assert_eq!(action(&p, Kind::Schema, "s-int-2"), Action::Create);
    assert_eq!(action(&p, Kind::Dataset, "g-int"), Action::Update);
    assert!(p.refusals.is_empty());

    let mut changed = f.clone();
    changed.schemas[0].schema["fields"] = json!([]);
    let p = plan(&changed, &server, false);
    assert_eq!(action(&p, Kind::Schema, "s-int"), Action::Replace);
    assert_eq!(p.refusals.len(), 1);
    assert!(p.refusals[0].message.contains("datasets use it (g-int)"), "{:?}", p.refusals);
}

#[test]
fn an_import_job_runs_once_by_name_and_a_failed_one_is_refused() {
    let f = file();
    let mut server = server_of(&f);
    let mut moved = f.clone();
    moved.dataset_groups[0].datasets[0].import.as_mut().unwrap().data_location = "s3://b/other.csv".into();
    assert_eq!(action(&plan(&moved, &server, false), Kind::ImportJob, "g-int-1"), Action::Unchanged);

    let job = server.groups.get_mut("g").unwrap().import_jobs.get_mut("g-int-1").unwrap();
    job.status = "CREATE FAILED".into();
    job.failure = Some("no such key".into());
    let p = plan(&f, &server, false);
    assert_eq!(p.refusals.len(), 1);
    assert_eq!(p.refusals[0].resource, "import job g-int-1");
    assert!(p.refusals[0].message.contains("no such key"));
}

#[test]
fn a_domain_change_is_refused() {
    let f = file();
    let server = server_of(&f);
    let mut changed = f.clone();
    changed.dataset_groups[0].domain = Some("ECOMMERCE".into());
    let p = plan(&changed, &server, false);
    assert_eq!(p.refusals.len(), 1);
    assert_eq!(p.refusals[0].resource, "dataset group g");
}

#[test]
fn diffs_compare_named_members_only() {
    let mut out = Vec::new();
    diff(
        &json!({"a": 1, "b": null, "m": {"x": "1"}}),
        Some(&json!({"a": 1, "b": 2, "m": {"x": "1", "y": "2"}})),
        "",
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    diff(&json!({"a": [1, 2], "m": {"x": "2"}}), Some(&json!({"a": [1], "m": {"x": "1"}})), "", &mut out);
    let fields: Vec<&str> = out.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["a", "m.x"]);
    out.clear();
    diff(&json!({"a": 1}), Some(&json!({})), "", &mut out);
    assert_eq!(out, [FieldDiff { field: "a".into(), server: None, file: json!(1) }]);
    out.clear();
    diff(&json!({"c": {"d": {"e": "x"}}}), Some(&json!({"c": null})), "", &mut out);
    assert_eq!(out, [FieldDiff { field: "c.d.e".into(), server: None, file: json!("x") }]);
}

#[test]
fn auto_training_added_to_a_solution_without_config_is_an_update() {
    let f = file();
    let mut server = server_of(&f);
    server.groups.get_mut("g").unwrap().solutions.get_mut("sol").unwrap().spec.solution_config = None;
    let mut changed = f.clone();
    changed.dataset_groups[0].solutions[0].solution_config = Some(spec::SolutionConfig {
        auto_training_config: Some(spec::AutoTrainingConfig { scheduling_expression: Some("rate(3 days)".into()) }),
        ..Default::default()
    });
    let p = plan(&changed, &server, false);
    assert_eq!(action(&p, Kind::Solution, "sol"), Action::Update, "{p}");
}

#[test]
fn prune_deletes_what_the_file_does_not_name_in_its_groups() {
    let f = file();
    let mut server = server_of(&f);
    let g = server.groups.get_mut("g").unwrap();
    let extra =
        spec::Filter { name: "old-filter".into(), filter_expression: "EXCLUDE ItemID WHERE Items.X IN (\"y\")".into() };
    g.filters.insert("old-filter".into(), found("arn:old", extra));
    let old_campaign = spec::Campaign {
        name: "old-c".into(),
        solution: "sol".into(),
        min_provisioned_tps: None,
        campaign_config: None,
    };
    g.campaigns.insert("old-c".into(), found("arn:old-c", old_campaign));
    // A group the file does not name is never looked at.
    server.groups.insert("other".into(), Group { arn: "arn:dg/other".into(), ..Default::default() });

    assert!(!plan(&f, &server, false).has_work());
    let p = plan(&f, &server, true);
    let deleted: Vec<(Kind, &str)> =
        p.changes.iter().filter(|c| c.action == Action::Delete).map(|c| (c.kind, c.name.as_str())).collect();
    assert_eq!(deleted, [(Kind::Filter, "old-filter"), (Kind::Campaign, "old-c")]);
    assert!(p.to_string().contains("  - delete    filter old-filter (dataset group g)"), "{p}");
    assert!(p.to_string().ends_with("Plan: 0 to create, 0 to update, 0 to replace, 2 to delete, 7 unchanged."), "{p}");
}

#[test]
fn a_failed_resource_is_replaced_and_a_failed_group_refused() {
    let f = file();
    let mut server = server_of(&f);
    server.groups.get_mut("g").unwrap().filters.get_mut("f").unwrap().status = "CREATE FAILED".into();
    let p = plan(&f, &server, false);
    assert_eq!(action(&p, Kind::Filter, "f"), Action::Replace);
    assert_eq!(p.replacements(), ["filter f: it is CREATE FAILED"]);

    server.groups.get_mut("g").unwrap().status = "CREATE FAILED".into();
    let p = plan(&f, &server, false);
    assert_eq!(p.refusals.len(), 1);
    assert!(p.refusals[0].message.contains("it is CREATE FAILED"));
}

#[test]
fn resources_in_progress_are_waited_for() {
    let f = file();
    let mut server = server_of(&f);
    assert!(server.in_progress(&plan(&f, &server, false)).is_empty());
    server.groups.get_mut("g").unwrap().campaigns.get_mut("c").unwrap().status = "CREATE IN_PROGRESS".into();
    server.groups.get_mut("g").unwrap().import_jobs.get_mut("g-int-1").unwrap().status = "CREATE PENDING".into();
    let busy = server.in_progress(&plan(&f, &server, false));
    assert_eq!(busy, ["campaign c", "import job g-int-1 (dataset group g)"]);
}

#[test]
fn a_replaced_dataset_is_imported_again() {
    let f = file();
    let server = server_of(&f);
    let mut changed = f.clone();
    changed.dataset_groups[0].datasets[0].dataset_type = "Items".into();
    let p = plan(&changed, &server, false);
    assert_eq!(action(&p, Kind::Dataset, "g-int"), Action::Replace);
    assert_eq!(action(&p, Kind::ImportJob, "g-int-1"), Action::Create);
    assert!(p.to_string().contains("(its dataset is replaced)"), "{p}");
}
