//! The IMPRESSION column through the wire: items shown with an interaction and never chosen
//! are weak negatives in User-Personalization (as Personalize documents), so they fall in the
//! lists of the users who passed them over.

use std::fmt::Write as _;

use crate::common::*;
use aws_sdk_personalize::types::CampaignConfig;

const WITH_IMPRESSIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"},{"name":"IMPRESSION","type":["null","string"]}],"version":"1.0"}"#;
const WITHOUT_IMPRESSIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}],"version":"1.0"}"#;
const USERS: usize = 200;

/// Users of one taste: items i1..i19 chosen at random, i0 by the "takers" (odd users) only; the
/// "skippers" (even users) were shown i0 with every choice and never took it.
fn interactions(with_impressions: bool) -> String {
    let mut csv = String::from(if with_impressions {
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,IMPRESSION\n"
    } else {
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n"
    });
    let mut state = 11u64;
    for u in 0..USERS {
        for k in 0..6 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let item = if u % 2 == 1 && k == 0 { "i0".to_string() } else { format!("i{}", 1 + (state >> 33) % 19) };
            let ts = 1_700_000_000 + (u * 10 + k) as i64 * 60;
            let _ = write!(csv, "u{u},{item},{ts},click");
            if with_impressions {
                let shown = if u % 2 == 0 { format!("i0|{item}") } else { String::new() };
                let _ = write!(csv, ",{shown}");
            }
            csv.push('\n');
        }
    }
    csv
}

/// How many skippers get i0 among the 3 items they have not chosen that the campaign ranks first.
async fn skippers_offered_i0(server: &Server, dir: &std::path::Path, name: &str, with_impressions: bool) -> usize {
    let (c, rt) = (&server.control, &server.runtime);
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = if with_impressions { WITH_IMPRESSIONS } else { WITHOUT_IMPRESSIONS };
    let s = create_schema(c, &format!("{name}-int"), schema).await;
    let ds = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", &s).await;
    let file = dir.join(format!("{name}.csv"));
    std::fs::write(&file, interactions(with_impressions)).unwrap();
    let job = import(c, name, &ds, &file_url(&file), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let sol = create_solution(c, &dsg, name, "aws-user-personalization").await;
    let sv = train(c, &sol).await;
    let exploit = CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build();
    let campaign = create_campaign(c, name, &sv, exploit).await;
    let unseen = create_filter(c, &dsg, name, r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")"#).await;
    let mut offered = 0;
    for u in (0..USERS).step_by(2) {
        let out = ok(
            rt.get_recommendations()
                .campaign_arn(&campaign)
                .user_id(format!("u{u}"))
                .filter_arn(&unseen)
                .num_results(3)
                .send()
                .await,
            "GetRecommendations",
        );
        offered += usize::from(ids(out.item_list()).iter().any(|i| i == "i0"));
    }
    offered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_shown_and_never_chosen_fall_in_the_users_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let without = skippers_offered_i0(&server, tmp.path(), "impr-no", false).await;
    let with = skippers_offered_i0(&server, tmp.path(), "impr-yes", true).await;
    let skippers = USERS / 2;
    // i0 is the most chosen item: without impressions the skippers are offered it too.
    assert!(without * 2 >= skippers, "without impressions {without} of {skippers} skippers are offered i0");
    assert!(with * 3 <= without, "with impressions {with} of {skippers} (without: {without})");
}
