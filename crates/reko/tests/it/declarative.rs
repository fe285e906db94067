//! `reko apply` / `reko plan` / `reko export-config` against a real `reko serve`, as a user runs
//! them (the binary, signing with the server's key):
//!
//! Each test applies the file to its own server (seconds: the data is small).
//!
//! * a file applied to an empty server creates everything (an ECOMMERCE group, its schema,
//!   dataset and import, a filter, an event tracker, a trained solution, a campaign and a
//!   recommender), all ACTIVE, and the campaign and recommender answer GetRecommendations;
//! * applying it again changes nothing: no Create/Update/Delete call reaches the server;
//! * a campaign's minProvisionedTPS changed: plan shows one update, apply makes it; a solution's
//!   performAutoTraining is updated in place, without training again;
//! * a filter's expression changed: refused without --allow-replace (naming the filter and the
//!   member), replaced with it; a solution's recipe changed: the campaign is deleted first, the
//!   solution re-created and trained, the campaign re-created on it;
//! * export-config writes a file that plan reports all unchanged;
//! * a resource taken out of the file stays, unless --prune;
//! * invalid files are refused naming the path of the bad member.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;

const FILE: &str = r#"
schemas:
  - name: decl-interactions
    domain: ECOMMERCE
    schema:
      type: record
      name: Interactions
      namespace: com.amazonaws.personalize.schema
      fields:
        - {name: USER_ID, type: string}
        - {name: ITEM_ID, type: string}
        - {name: EVENT_TYPE, type: string}
        - {name: TIMESTAMP, type: long}
      version: "1.0"
datasetGroups:
  - name: decl-shop
    domain: ECOMMERCE
    datasets:
      - name: decl-shop-interactions
        type: Interactions
        schema: decl-interactions
        import:
          jobName: decl-shop-interactions-1
          dataLocation: interactions.csv
    filters:
      - name: decl-no-purchased
        filterExpression: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")
    eventTrackers:
      - name: decl-shop-events
    solutions:
      - name: decl-shop-pop
        recipe: aws-popularity-count
    campaigns:
      - name: decl-shop-campaign
        solution: decl-shop-pop
        minProvisionedTPS: 1
    recommenders:
      - name: decl-shop-most-viewed
        recipe: aws-ecomm-popular-items-by-views
"#;

/// 100 shoppers viewing 8 of 40 items each, item000 to item004 viewed most (in that order), and
/// each buying item000.
fn write_interactions(dir: &Path) {
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for u in 0..100 {
        for k in 0..8 {
            writeln!(csv, "user{u:03},item{:03},View,{}", (u + k) % 40, 1_700_000_000 + u * 100 + k).unwrap();
        }
        for h in 0..5 {
            if u % (h + 1) == 0 {
                writeln!(csv, "user{u:03},item{h:03},View,{}", 1_700_000_050 + u * 100 + h).unwrap();
            }
        }
        writeln!(csv, "user{u:03},item000,Purchase,{}", 1_700_000_090 + u * 100).unwrap();
    }
    std::fs::write(dir.join("interactions.csv"), csv).unwrap();
}

/// Runs `reko <args> --endpoint <url>` signing with the test server's root key.
fn reko(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(args)
        .args(["--endpoint", url])
        .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("REKO_REGION", REGION)
        .output()
        .expect("running reko")
}

/// Stdout of a run that must succeed.
fn succeeds(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "reko failed\nstdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// Stderr of a run that must fail.
fn fails(out: Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "reko succeeded\nstdout:\n{}", String::from_utf8_lossy(&out.stdout));
    stderr
}

/// Requests the server has answered for operations that change something (Create*, Update*,
/// Delete*, Start*, Stop*, Tag*), from its `/metrics`.
fn mutating_calls(url: &str) -> u64 {
    let authority = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    write!(s, "GET /metrics HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let mutating = ["Create", "Update", "Delete", "Start", "Stop", "Tag", "Untag"];
    text.lines()
        .filter(|l| l.starts_with("reko_requests_total{"))
        .filter(|l| {
            let op = l.split("operation=\"").nth(1).unwrap_or_default();
            mutating.iter().any(|m| op.starts_with(m))
        })
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap() as u64)
        .sum()
}

fn status_line(plan: &str) -> &str {
    plan.lines().last().unwrap_or_default()
}

/// A server with `FILE` applied, the file and its folder.
struct Applied {
    server: Server,
    file: std::path::PathBuf,
    _tmp: tempfile::TempDir,
}

impl Applied {
    fn start() -> Applied {
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start(&tmp.path().join("data"));
        write_interactions(tmp.path());
        let file = tmp.path().join("reko.yaml");
        std::fs::write(&file, FILE).unwrap();
        let applied = Applied { server, file, _tmp: tmp };
        let out = succeeds(applied.run(&["apply", "--wait-timeout", "120"]));
        assert!(out.contains("Applied: 10 changes."), "{out}");
        applied
    }

    /// `reko <command> -f <file> <args>`.
    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec![args[0], "-f", self.file.to_str().unwrap()];
        all.extend(&args[1..]);
        reko(&self.server.url, &all)
    }

    /// Writes `FILE` with `(from, to)` replaced.
    fn edit(&self, edits: &[(&str, &str)]) {
        let text = edits.iter().fold(FILE.to_string(), |text, (from, to)| {
            assert!(text.contains(from), "{from}");
            text.replace(from, to)
        });
        std::fs::write(&self.file, text).unwrap();
    }
}

const CAMPAIGN: &str = "decl-shop-campaign";
const FILTER: &str = "decl-no-purchased";
const RECOMMENDER: &str = "decl-shop-most-viewed";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_creates_every_resource_active_and_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    write_interactions(tmp.path());
    let file = tmp.path().join("reko.yaml");
    std::fs::write(&file, FILE).unwrap();
    let plan = succeeds(reko(&server.url, &["plan", "-f", file.to_str().unwrap()]));
    assert_eq!(
        status_line(&plan),
        "Plan: 10 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged.",
        "{plan}"
    );
    assert!(plan.contains("  + create    campaign decl-shop-campaign (dataset group decl-shop)\n"), "{plan}");
    assert_eq!(mutating_calls(&server.url), 0, "plan changes nothing");
    drop((server, tmp));

    let applied = Applied::start();
    let (server, c) = (&applied.server, &applied.server.control);
    let campaign = arn("campaign", CAMPAIGN);
    let described = ok(c.describe_campaign().campaign_arn(&campaign).send().await, "DescribeCampaign");
    let described = described.campaign().unwrap();
    assert_eq!((described.status(), described.min_provisioned_tps()), (Some("ACTIVE"), Some(1)));
    let recommender = arn("recommender", RECOMMENDER);
    let r = ok(c.describe_recommender().recommender_arn(&recommender).send().await, "DescribeRecommender");
    assert_eq!(r.recommender().unwrap().status(), Some("ACTIVE"));
    let filter = arn("filter", FILTER);
    let described = ok(c.describe_filter().filter_arn(&filter).send().await, "DescribeFilter");
    assert_eq!(described.filter().unwrap().status(), Some("ACTIVE"));
    let group = arn("dataset-group", "decl-shop");
    let trackers = ok(c.list_event_trackers().dataset_group_arn(&group).send().await, "ListEventTrackers");
    let trackers: Vec<_> = trackers.event_trackers().iter().map(|t| (t.name().unwrap(), t.status().unwrap())).collect();
    assert_eq!(trackers, [("decl-shop-events", "ACTIVE")]);

    // Popularity: the most viewed items first; the filter drops what user001 bought (item000).
    let recs = server.runtime.get_recommendations().campaign_arn(&campaign).user_id("user001").num_results(3);
    assert_eq!(ids(ok(recs.send().await, "GetRecommendations").item_list()), ["item000", "item001", "item002"]);
    let recs = server.runtime.get_recommendations().campaign_arn(&campaign).user_id("user001").num_results(3);
    let recs = recs.filter_arn(&filter).send().await;
    assert_eq!(ids(ok(recs, "GetRecommendations").item_list()), ["item001", "item002", "item003"]);
    let recs = server.runtime.get_recommendations().recommender_arn(&recommender).user_id("user001").num_results(2);
    assert_eq!(ids(ok(recs.send().await, "GetRecommendations").item_list()), ["item000", "item001"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_again_calls_nothing_that_changes_anything() {
    let applied = Applied::start();
    let before = mutating_calls(&applied.server.url);
    assert!(before >= 10, "{before}");
    let out = succeeds(applied.run(&["apply"]));
    let plan = out.strip_suffix("No changes.\n").unwrap_or_else(|| panic!("{out}"));
    assert_eq!(status_line(plan), "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 9 unchanged.");
    assert_eq!(mutating_calls(&applied.server.url), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_tps_change_is_planned_as_one_update_and_applied_in_place() {
    let applied = Applied::start();
    applied.edit(&[("minProvisionedTPS: 1", "minProvisionedTPS: 3")]);
    let plan = succeeds(applied.run(&["plan"]));
    assert_eq!(status_line(&plan), "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete, 8 unchanged.", "{plan}");
    let update =
        "  ~ update    campaign decl-shop-campaign (dataset group decl-shop)\n        minProvisionedTPS: 1 -> 3\n";
    assert!(plan.contains(update), "{plan}");
    let out = succeeds(applied.run(&["apply"]));
    assert!(out.contains("Updating campaign decl-shop-campaign") && out.contains("Applied: 1 change."), "{out}");
    let c = &applied.server.control;
    let described = ok(c.describe_campaign().campaign_arn(arn("campaign", CAMPAIGN)).send().await, "DescribeCampaign");
    let described = described.campaign().unwrap();
    let tps =
        described.latest_campaign_update().and_then(|u| u.min_provisioned_tps()).or(described.min_provisioned_tps());
    assert_eq!((described.status(), tps), (Some("ACTIVE"), Some(3)));
    assert!(succeeds(applied.run(&["apply"])).ends_with("No changes.\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_training_is_updated_in_place_without_retraining() {
    let applied = Applied::start();
    let c = &applied.server.control;
    let solution = arn("solution", "decl-shop-pop");
    let versions = |out: aws_sdk_personalize::operation::list_solution_versions::ListSolutionVersionsOutput| {
        out.solution_versions().iter().map(|v| v.solution_version_arn().unwrap().to_string()).collect::<Vec<_>>()
    };
    let before = versions(ok(c.list_solution_versions().solution_arn(&solution).send().await, "ListSolutionVersions"));
    let trained = "        recipe: aws-popularity-count\n";
    applied.edit(&[(trained, "        recipe: aws-popularity-count\n        performAutoTraining: false\n")]);
    let plan = succeeds(applied.run(&["plan"]));
    let update =
        "  ~ update    solution decl-shop-pop (dataset group decl-shop)\n        performAutoTraining: true -> false\n";
    assert!(plan.contains(update), "{plan}");
    succeeds(applied.run(&["apply"]));
    let described = ok(c.describe_solution().solution_arn(&solution).send().await, "DescribeSolution");
    assert_eq!(described.solution().unwrap().perform_auto_training(), Some(false));
    let after = versions(ok(c.list_solution_versions().solution_arn(&solution).send().await, "ListSolutionVersions"));
    assert_eq!(after, before, "no new solution version");
    assert!(succeeds(applied.run(&["apply"])).ends_with("No changes.\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_expression_change_is_refused_without_allow_replace() {
    let applied = Applied::start();
    let (url, c) = (&applied.server.url, &applied.server.control);
    applied.edit(&[(r#"IN ("Purchase")"#, r#"IN ("View")"#)]);
    let plan = succeeds(applied.run(&["plan"]));
    assert!(
        plan.contains("-/+ replace   filter decl-no-purchased (dataset group decl-shop)\n        filterExpression: "),
        "{plan}"
    );
    assert!(plan.contains("Replacing needs `reko apply --allow-replace`"), "{plan}");
    let before = mutating_calls(url);
    let e = fails(applied.run(&["apply"]));
    assert!(e.contains("filter decl-no-purchased: filterExpression cannot be changed in place"), "{e}");
    assert!(e.contains("--allow-replace"), "{e}");
    assert_eq!(mutating_calls(url), before, "nothing changed");
    let filter = arn("filter", FILTER);
    let described = ok(c.describe_filter().filter_arn(&filter).send().await, "DescribeFilter");
    assert!(described.filter().unwrap().filter_expression().unwrap().ends_with(r#"IN ("Purchase")"#));

    let out = succeeds(applied.run(&["apply", "--allow-replace"]));
    assert!(
        out.contains("Deleting filter decl-no-purchased (to replace it)") && out.contains("Applied: 1 change."),
        "{out}"
    );
    let described = ok(c.describe_filter().filter_arn(&filter).send().await, "DescribeFilter");
    let expression = r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("View")"#;
    assert_eq!(
        (described.filter().unwrap().filter_expression(), described.filter().unwrap().status()),
        (Some(expression), Some("ACTIVE"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipe_change_replaces_the_solution_and_its_campaign_in_order() {
    let applied = Applied::start();
    let c = &applied.server.control;
    applied.edit(&[("recipe: aws-popularity-count", "recipe: aws-user-personalization-v2")]);
    let plan = succeeds(applied.run(&["plan"]));
    assert!(
        plan.contains("-/+ replace   solution decl-shop-pop (dataset group decl-shop)\n        recipe: "),
        "{plan}"
    );
    assert!(plan.contains("-/+ replace   campaign decl-shop-campaign (dataset group decl-shop)\n        (its solution decl-shop-pop is replaced)\n"), "{plan}");
    let e = fails(applied.run(&["apply"]));
    assert!(e.contains("solution decl-shop-pop: recipe cannot be changed in place"), "{e}");

    let out = succeeds(applied.run(&["apply", "--allow-replace"]));
    let steps: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("Deleting") || l.starts_with("Re-creating") || l.starts_with("Creating"))
        .collect();
    assert_eq!(
        steps,
        [
            "Deleting campaign decl-shop-campaign (to replace it)",
            "Deleting solution decl-shop-pop (to replace it)",
            "Re-creating solution decl-shop-pop",
            "Creating solution version of decl-shop-pop",
            "Re-creating campaign decl-shop-campaign",
        ],
        "{out}"
    );
    let solution =
        ok(c.describe_solution().solution_arn(arn("solution", "decl-shop-pop")).send().await, "DescribeSolution");
    assert_eq!(solution.solution().unwrap().recipe_arn(), Some(recipe("aws-user-personalization-v2").as_str()));
    let campaign = ok(c.describe_campaign().campaign_arn(arn("campaign", CAMPAIGN)).send().await, "DescribeCampaign");
    let campaign = campaign.campaign().unwrap();
    assert_eq!(campaign.status(), Some("ACTIVE"));
    let version = campaign.solution_version_arn().unwrap();
    let version =
        ok(c.describe_solution_version().solution_version_arn(version).send().await, "DescribeSolutionVersion");
    assert_eq!(version.solution_version().unwrap().recipe_arn(), Some(recipe("aws-user-personalization-v2").as_str()));
    let recs = applied.server.runtime.get_recommendations().campaign_arn(arn("campaign", CAMPAIGN)).user_id("user001");
    assert_eq!(ok(recs.num_results(5).send().await, "GetRecommendations").item_list().len(), 5);
    assert!(succeeds(applied.run(&["apply"])).ends_with("No changes.\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_config_writes_a_file_that_plans_as_unchanged() {
    let applied = Applied::start();
    let url = &applied.server.url;
    let exported = applied.file.with_file_name("exported.yaml");
    let path = exported.to_str().unwrap();
    for scope in [vec![], vec!["--dataset-group", "decl-shop"]] {
        let mut command = vec!["export-config", "-o", path];
        command.extend(scope);
        succeeds(reko(url, &command));
        let text = std::fs::read_to_string(&exported).unwrap();
        for line in [
            "recipe: aws-popularity-count",
            "jobName: decl-shop-interactions-1",
            "minProvisionedTPS: 1",
            "- name: decl-shop-events",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
        let plan = succeeds(reko(url, &["plan", "-f", path]));
        let unchanged = "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 9 unchanged.";
        assert_eq!(status_line(&plan), unchanged, "{text}\n{plan}");
    }
    let e = fails(reko(url, &["export-config", "--dataset-group", "nowhere"]));
    assert!(e.contains("--dataset-group: no dataset group named 'nowhere'"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_taken_out_of_the_file_stays_unless_prune() {
    let applied = Applied::start();
    let recommender =
        "    recommenders:\n      - name: decl-shop-most-viewed\n        recipe: aws-ecomm-popular-items-by-views\n";
    applied.edit(&[(recommender, "")]);
    assert!(succeeds(applied.run(&["apply"])).ends_with("No changes.\n"));
    let plan = succeeds(applied.run(&["plan", "--prune"]));
    assert!(plan.contains("  - delete    recommender decl-shop-most-viewed (dataset group decl-shop)\n"), "{plan}");
    assert_eq!(status_line(&plan), "Plan: 0 to create, 0 to update, 0 to replace, 1 to delete, 8 unchanged.");
    let out = succeeds(applied.run(&["apply", "--prune"]));
    assert!(out.contains("Applied: 1 change."), "{out}");
    let gone =
        applied.server.control.describe_recommender().recommender_arn(arn("recommender", RECOMMENDER)).send().await;
    expect_code(gone, "ResourceNotFoundException", "DescribeRecommender after --prune");
    let campaigns = applied.server.control.list_campaigns().send().await;
    assert_eq!(ok(campaigns, "ListCampaigns").campaigns().len(), 1, "the rest stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_files_are_refused_naming_the_member() {
    let server = shared_server();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("reko.yaml");
    let f = file.to_str().unwrap();
    let second_solution = "    solutions:\n      - name: decl-shop-pop\n        recipe: aws-popularity-count\n      - name: decl-shop-bad\n        recipe: aws-no-such-recipe\n";
    let cases = [
        (
            FILE.replace("minProvisionedTPS: 1", "minProvisionedTPS: many"),
            "datasetGroups[0].campaigns[0].minProvisionedTPS: invalid type",
        ),
        (
            FILE.replace(
                "    solutions:\n      - name: decl-shop-pop\n        recipe: aws-popularity-count\n",
                second_solution,
            ),
            "datasetGroups[0].solutions[1].recipe: no recipe 'aws-no-such-recipe'",
        ),
        (
            FILE.replace("solution: decl-shop-pop", "solution: decl-nowhere"),
            "datasetGroups[0].campaigns[0].solution: no solution named 'decl-nowhere'",
        ),
        (
            FILE.replace("      - name: decl-shop-events", "      - name: decl-shop-events\n        tags: []"),
            "datasetGroups[0].eventTrackers[0]: unknown field `tags`",
        ),
    ];
    for (text, message) in cases {
        std::fs::write(&file, text).unwrap();
        for command in ["plan", "apply"] {
            let e = fails(reko(&server.url, &[command, "-f", f]));
            assert!(e.contains(&format!("{f}: {message}")), "{command}: {e}");
        }
    }
    // Nothing was created.
    let groups = ok(server.control.list_dataset_groups().send().await, "ListDatasetGroups");
    assert!(groups.dataset_groups().iter().all(|g| g.name() != Some("decl-shop")));
}
