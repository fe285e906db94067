//! Next-Best-Action through the official AWS SDKs for Rust, against a real `reko serve`:
//!
//! * Actions and Action_Interactions datasets (the latter reports a trackingId), bulk imports of
//!   both (an EVENT_TYPE outside TAKEN / NOT_TAKEN / VIEWED fails the import, naming the line),
//!   PutActions and PutActionInteractions (validation: event type, 11 actions, unknown tracking id);
//! * a solution with `aws-next-best-action` learns, from users in four segments who each take
//!   their segment's action most of the time, to list that action first (users without action
//!   history included); a put-only action without interactions comes last with score 0.0; put
//!   action interactions train; ActionID filters on action interactions and on Actions attributes
//!   (with filterValues) remove actions, an ItemID filter is refused;
//! * GetRecommendations on that campaign and GetActionRecommendations on a popularity campaign
//!   are refused; batch inference is refused for the recipe.

use crate::common::*;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::{Action, ActionInteraction};

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ACTIONS: &str = r#"{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]}],"version":"1.0"}"#;
const ACTION_INTERACTIONS: &str = r#"{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}],"version":"1.0"}"#;
const USERS: usize = 400;
const SEGMENTS: usize = 4;
const T0: i64 = 1_700_000_000;

fn segment(u: usize) -> usize {
    u % SEGMENTS
}

/// A deterministic stream of numbers in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Interactions (12 per user, mostly their segment's 30 items) and action interactions (6 per
/// user with `u % 10 < 7`: the segment's action taken with probability 0.8, others 0.1).
fn write_data(dir: &std::path::Path) -> (String, String, String) {
    use std::fmt::Write as _;
    let mut rng = Lcg(42);
    let (mut items, mut taken) = (String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n"), String::new());
    taken.push_str("USER_ID,ACTION_ID,TIMESTAMP,EVENT_TYPE\n");
    for u in 0..USERS {
        for k in 0..12 {
            let item = if rng.next() < 0.8 {
                segment(u) * 30 + (rng.next() * 30.0) as usize
            } else {
                (rng.next() * 120.0) as usize
            };
            writeln!(items, "nba-u{u},i{item},click,{}", T0 + k).unwrap();
        }
        if u % 10 >= 7 {
            continue;
        }
        for k in 0..6 {
            let a = (rng.next() * SEGMENTS as f64) as usize;
            let p = if a == segment(u) { 0.8 } else { 0.1 };
            let event = if rng.next() < p { "TAKEN" } else { "NOT_TAKEN" };
            writeln!(taken, "nba-u{u},a{a},{},{event}", T0 + 100 + k).unwrap();
        }
    }
    let actions = "ACTION_ID,VALUE\na0,1\na1,2\na2,3\na3,4\n";
    let paths = [("interactions.csv", items), ("action-interactions.csv", taken), ("actions.csv", actions.into())];
    let urls: Vec<String> = paths
        .iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            file_url(&path)
        })
        .collect();
    (urls[0].clone(), urls[1].clone(), urls[2].clone())
}

fn interaction(user: &str, action: &str, event_type: &str, at: i64) -> ActionInteraction {
    ActionInteraction::builder()
        .action_id(action)
        .user_id(user)
        .session_id(format!("{user}-session"))
        .timestamp(DateTime::from_secs(at))
        .event_type(event_type)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_best_action_learns_each_users_best_action() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let (c, ev, rt) = (&server.control, &server.events, &server.runtime);
    let (interactions_csv, action_interactions_csv, actions_csv) = write_data(tmp.path());

    let dsg = create_dataset_group(c, "nba").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schemas = [
        create_schema(c, "nba-int", INTERACTIONS).await,
        create_schema(c, "nba-actions", ACTIONS).await,
        create_schema(c, "nba-ai", ACTION_INTERACTIONS).await,
    ];
    let di = create_dataset(c, &dsg, "nba", "nba-i", "Interactions", &schemas[0]).await;
    let da = create_dataset(c, &dsg, "nba", "nba-a", "Actions", &schemas[1]).await;
    let dx = create_dataset(c, &dsg, "nba", "nba-x", "Action_Interactions", &schemas[2]).await;
    let described = ok(c.describe_dataset().dataset_arn(&dx).send().await, "DescribeDataset");
    let dataset = described.dataset().expect("dataset");
    assert_eq!(dataset.dataset_type(), Some("ACTION_INTERACTIONS"));
    let tracking_id = dataset.tracking_id().expect("an Action_Interactions dataset has a trackingId").to_string();
    for (job, dataset, url) in [("nba-ii", &di, &interactions_csv), ("nba-ia", &da, &actions_csv)] {
        wait_active(c, &Res::ImportJob(import(c, job, dataset, url, None).await)).await;
    }
    // An EVENT_TYPE other than TAKEN / NOT_TAKEN / VIEWED fails the import, naming the line.
    let bad = tmp.path().join("bad-action-interactions.csv");
    std::fs::write(
        &bad,
        "USER_ID,ACTION_ID,TIMESTAMP,EVENT_TYPE\nnba-u0,a0,1700000000,TAKEN\nnba-u0,a1,1700000001,CLICK\n",
    )
    .unwrap();
    let failed = Res::ImportJob(import(c, "nba-ix-bad", &dx, &file_url(&bad), None).await);
    let (status, reason) = wait_settled(c, &failed, WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("line 3") && reason.contains("'CLICK'") && reason.contains("TAKEN"), "{reason}");
    wait_active(c, &Res::ImportJob(import(c, "nba-ix", &dx, &action_interactions_csv, None).await)).await;

    // PutActions: a new action (no interactions) and its validation.
    let action = Action::builder().action_id("a-new").properties(r#"{"value": "9"}"#).build().unwrap();
    ok(ev.put_actions().dataset_arn(&da).actions(action).send().await, "PutActions");
    let eleven: Vec<Action> = (0..11).map(|k| Action::builder().action_id(format!("x{k}")).build().unwrap()).collect();
    let m = expect_code(
        ev.put_actions().dataset_arn(&da).set_actions(Some(eleven)).send().await,
        "InvalidInputException",
        "PutActions(11 actions)",
    );
    assert!(m.contains("'actions' failed to satisfy constraint") && m.contains("less than or equal to 10"), "{m}");
    let unknown = Action::builder().action_id("a-x").properties(r#"{"colour": "red"}"#).build().unwrap();
    let m = expect_code(
        ev.put_actions().dataset_arn(&da).actions(unknown).send().await,
        "InvalidInputException",
        "PutActions(unknown property)",
    );
    assert!(m.contains("actions.1.properties has the key \"colour\""), "{m}");
    let m = expect_code(
        ev.put_actions().dataset_arn(&di).actions(Action::builder().action_id("a").build().unwrap()).send().await,
        "InvalidInputException",
        "PutActions(Interactions dataset)",
    );
    assert!(m.contains("of type INTERACTIONS") && m.contains("ACTIONS"), "{m}");

    // PutActionInteractions: a user known only from put interactions, who keeps taking a2.
    let puts: Vec<ActionInteraction> =
        (0..8).map(|k| interaction("nba-put-user", "a2", "TAKEN", T0 + 200 + k)).collect();
    ok(
        ev.put_action_interactions().tracking_id(&tracking_id).set_action_interactions(Some(puts)).send().await,
        "PutActionInteractions",
    );
    let m = expect_code(
        ev.put_action_interactions()
            .tracking_id(&tracking_id)
            .action_interactions(interaction("nba-u0", "a0", "CLICK", T0))
            .send()
            .await,
        "InvalidInputException",
        "PutActionInteractions(CLICK)",
    );
    assert!(m.contains("actionInteractions.1.eventType 'CLICK'"), "{m}");
    expect_code(
        ev.put_action_interactions()
            .tracking_id("no-such-tracking-id")
            .action_interactions(interaction("nba-u0", "a0", "TAKEN", T0))
            .send()
            .await,
        "ResourceNotFoundException",
        "PutActionInteractions(unknown trackingId)",
    );

    // The recipe is listed as PERSONALIZED_ACTIONS; training and serving.
    let described = ok(c.describe_recipe().recipe_arn(recipe("aws-next-best-action")).send().await, "DescribeRecipe");
    assert_eq!(described.recipe().and_then(|r| r.recipe_type()), Some("PERSONALIZED_ACTIONS"));
    let sol = create_solution(c, &dsg, "nba-sol", "aws-next-best-action").await;
    let sv = train(c, &sol).await;
    let metrics = ok(c.get_solution_metrics().solution_version_arn(&sv).send().await, "GetSolutionMetrics");
    let mrr = metrics.metrics().and_then(|m| m.get("mean_reciprocal_rank_at_25")).copied().unwrap_or_default();
    assert!(mrr > 0.6, "{metrics:?}");
    let camp = deploy(c, "nba-camp", &sv).await;

    let mut right = 0;
    let sample: Vec<usize> = (0..USERS).step_by(5).collect();
    for &u in &sample {
        let out = rt.get_action_recommendations().campaign_arn(&camp).user_id(format!("nba-u{u}")).send().await;
        let out = ok(out, "GetActionRecommendations");
        assert!(!out.recommendation_id().unwrap_or_default().is_empty());
        let list = out.action_list();
        assert_eq!(list.len(), 5, "default numResults is 5: four actions and the new one");
        assert!(list.iter().all(|a| a.score().is_some_and(|s| (0.0..=1.0).contains(&s))), "{list:?}");
        assert_eq!(list[4].action_id(), Some("a-new"), "an action without interactions comes last: {list:?}");
        assert_eq!(list[4].score(), Some(0.0));
        if list[0].action_id() == Some(format!("a{}", segment(u)).as_str()) {
            right += 1;
        }
    }
    assert!(
        right * 10 >= sample.len() * 8,
        "{right} of {} sample users got their segment's action first",
        sample.len()
    );
    let out = rt.get_action_recommendations().campaign_arn(&camp).user_id("nba-put-user").num_results(1).send().await;
    let list = ok(out, "GetActionRecommendations(put user)").action_list().to_vec();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].action_id(), Some("a2"), "put action interactions train: {list:?}");

    // Action filters: on the user's action interactions and on the Actions dataset's attributes
    // (the put action included).
    let taken = create_filter(
        c,
        &dsg,
        "nba-not-taken",
        r#"EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("TAKEN")"#,
    )
    .await;
    let out =
        rt.get_action_recommendations().campaign_arn(&camp).user_id("nba-put-user").filter_arn(&taken).send().await;
    let ids: Vec<String> = ok(out, "GetActionRecommendations(filtered)")
        .action_list()
        .iter()
        .filter_map(|a| a.action_id())
        .map(String::from)
        .collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(!ids.contains(&"a2".to_string()), "the put TAKEN action is filtered out: {ids:?}");
    let cheap = create_filter(c, &dsg, "nba-cheap", "EXCLUDE ActionID WHERE Actions.VALUE > $MAXVALUE").await;
    let out = rt
        .get_action_recommendations()
        .campaign_arn(&camp)
        .user_id("nba-u1")
        .filter_arn(&cheap)
        .filter_values("MAXVALUE", "3")
        .send()
        .await;
    let mut ids: Vec<String> = ok(out, "GetActionRecommendations(VALUE)")
        .action_list()
        .iter()
        .filter_map(|a| a.action_id())
        .map(String::from)
        .collect();
    ids.sort();
    assert_eq!(ids, ["a0", "a1", "a2"], "a3 (VALUE 4) and a-new (put with VALUE 9) are excluded");
    let items =
        create_filter(c, &dsg, "nba-items", r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")"#).await;
    let m = expect_code(
        rt.get_action_recommendations().campaign_arn(&camp).user_id("nba-u1").filter_arn(&items).send().await,
        "InvalidInputException",
        "GetActionRecommendations(ItemID filter)",
    );
    assert!(m.contains("ItemID") && m.contains("actions"), "{m}");

    // What the reference refuses.
    let m = expect_code(
        rt.get_recommendations().campaign_arn(&camp).user_id("nba-u1").send().await,
        "InvalidInputException",
        "GetRecommendations(NBA campaign)",
    );
    assert!(m.contains("GetActionRecommendations"), "{m}");
    let m = expect_code(
        rt.get_action_recommendations().campaign_arn(&camp).user_id("nba-u1").num_results(101).send().await,
        "InvalidInputException",
        "GetActionRecommendations(101)",
    );
    assert!(m.contains("numResults"), "{m}");
    let pop = train(c, &create_solution(c, &dsg, "nba-pop", "aws-popularity-count").await).await;
    let pop_camp = deploy(c, "nba-pop-camp", &pop).await;
    let m = expect_code(
        rt.get_action_recommendations().campaign_arn(&pop_camp).user_id("nba-u1").send().await,
        "InvalidInputException",
        "GetActionRecommendations(popularity campaign)",
    );
    assert!(m.contains("does not recommend actions"), "{m}");
    std::fs::write(tmp.path().join("in.json"), "{\"userId\": \"nba-u1\"}\n").unwrap();
    std::fs::create_dir_all(tmp.path().join("out")).unwrap();
    let input = aws_sdk_personalize::types::BatchInferenceJobInput::builder()
        .s3_data_source(
            aws_sdk_personalize::types::S3DataConfig::builder()
                .path(file_url(&tmp.path().join("in.json")))
                .build()
                .unwrap(),
        )
        .build();
    let output = aws_sdk_personalize::types::BatchInferenceJobOutput::builder()
        .s3_data_destination(
            aws_sdk_personalize::types::S3DataConfig::builder()
                .path(format!("{}/", file_url(&tmp.path().join("out"))))
                .build()
                .unwrap(),
        )
        .build();
    let m = expect_code(
        c.create_batch_inference_job()
            .job_name("nba-batch")
            .solution_version_arn(&sv)
            .role_arn("arn:aws:iam::123456789012:role/PersonalizeRole")
            .job_input(input)
            .job_output(output)
            .send()
            .await,
        "InvalidInputException",
        "CreateBatchInferenceJob(NBA)",
    );
    assert!(m.contains("aws-next-best-action"), "{m}");
}
