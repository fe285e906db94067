//! Events as AWS's sample notebooks send them, and Trending-Now following events between trainings.

use super::*;

/// What AWS's getting-started tutorial and POC workshop send, and Personalize accepts: the item
/// in `properties` (`'{"itemId": "270"}'`, no `itemId` member), `eventValue` in properties, and
/// no `impression` although the schema's IMPRESSION column is not nullable. The stored records
/// (read back with a PUT dataset export) carry the item, the value and an empty impression.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_as_aws_samples_send_them() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let (c, ev) = (&server.control, &server.events);
    let dsg = create_dataset_group(c, "smp").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "smp-int", SAMPLES_SCHEMA).await;
    let ds = create_dataset(c, &dsg, "smp", "smp-int", "Interactions", &schema).await;
    let tracking_id = create_tracker(c, "smp-tracker", &dsg).await;

    let event = |item: Option<&str>, props: Option<&str>, sent_at: i64| {
        Event::builder()
            .event_type("watch")
            .set_item_id(item.map(str::to_string))
            .set_properties(props.map(str::to_string))
            .sent_at(DateTime::from_secs(sent_at))
    };
    let send = |events: Vec<Event>| {
        ev.put_events().tracking_id(&tracking_id).user_id("u1").session_id("s1").set_event_list(Some(events)).send()
    };
    ok(
        send(vec![
            // The tutorial's event: the item only in properties, no impression.
            event(None, Some(r#"{"itemId": "270"}"#), EVENTS_TS).build().unwrap(),
            // The field name works too (case-insensitively), and eventValue as a string.
            event(None, Some(r#"{"ITEM_ID": "271", "eventValue": "4.5"}"#), EVENTS_TS + 1).build().unwrap(),
            // Both places agreeing is fine; an explicit impression is kept.
            event(Some("272"), Some(r#"{"itemId": "272", "EventValue": 2}"#), EVENTS_TS + 2)
                .impression("272")
                .impression("273")
                .build()
                .unwrap(),
            // The members, as before.
            event(Some("274"), None, EVENTS_TS + 3).event_value(1.0).build().unwrap(),
        ])
        .await,
        "PutEvents(as the samples send them)",
    );

    // Conflicts name both values.
    let msg = expect_http(
        send(vec![event(Some("1"), Some(r#"{"itemId": "2"}"#), EVENTS_TS).build().unwrap()]).await,
        "InvalidInputException",
        400,
        "PutEvents(itemId differs from properties.itemId)",
    );
    assert!(msg.contains("eventList.1") && msg.contains("\"1\"") && msg.contains("\"2\""), "{msg}");
    let msg = expect_code(
        send(vec![event(Some("1"), Some(r#"{"eventValue": 2}"#), EVENTS_TS).event_value(1.0).build().unwrap()]).await,
        "InvalidInputException",
        "PutEvents(eventValue differs from properties.eventValue)",
    );
    assert!(msg.contains("eventValue 1") && msg.contains("properties.eventValue 2"), "{msg}");
    let msg = expect_code(
        send(vec![event(None, Some(r#"{"itemId": true}"#), EVENTS_TS).build().unwrap()]).await,
        "InvalidInputException",
        "PutEvents(properties.itemId not a string)",
    );
    assert!(msg.contains("eventList.1.properties.itemId"), "{msg}");
    // The keys Personalize reserves stay refused.
    let msg = expect_code(
        send(vec![event(Some("1"), Some(r#"{"Impression": "1|2"}"#), EVENTS_TS).build().unwrap()]).await,
        "InvalidInputException",
        "PutEvents(impression as a property)",
    );
    assert!(msg.contains("Impression"), "{msg}");

    // What was stored.
    let text = export_dataset(c, "smp-export", &ds, "PUT", &tmp.path().join("export")).await;
    let mut lines = text.iter();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let (c_item, c_value, c_impr) = (col("ITEM_ID"), col("EVENT_VALUE"), col("IMPRESSION"));
    let mut rows: Vec<(String, Option<f64>, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[c_item].to_string(), f[c_value].parse().ok(), f[c_impr].to_string())
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        rows,
        vec![
            ("270".to_string(), None, String::new()),
            ("271".to_string(), Some(4.5), String::new()),
            ("272".to_string(), Some(2.0), "272|273".to_string()),
            ("274".to_string(), Some(1.0), String::new()),
        ],
        "stored events:\n{text:#?}"
    );
}

/// Trending-Now moves with PutEvents between trainings, as Personalize's does: the intervals end
/// at the newest event, an item first seen in events can lead, and a restarted server (or a
/// campaign deployed later) finds the same list from the stored events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trending_now_moves_with_events_between_trainings() {
    use aws_sdk_personalize::types::SolutionConfig;
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let mut server = Server::start(&data_dir);
    let c = &server.control.clone();
    let g = create_group(c, "tr", Some(&tmp.path().join("csv"))).await;
    let config =
        SolutionConfig::builder().feature_transformation_parameters("trend_discovery_frequency", "1 hour").build();
    let sol = ok(
        c.create_solution()
            .name("tr-trending")
            .dataset_group_arn(&g.dsg)
            .recipe_arn(recipe("aws-trending-now"))
            .solution_config(config)
            .send()
            .await,
        "CreateSolution(Trending-Now)",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    let sv = train(c, &sol).await;
    let campaign = deploy(c, "tr-trending", &sv).await;
    let tracking_id = create_tracker(c, "tr-tracker", &g.dsg).await;
    let trained = recs(&server.runtime, &campaign, "anyone", 10).await;
    assert_eq!(trained.len(), 10);
    assert!(!trained.contains(&HOT_ITEM.to_string()));

    // Long after the bulk data: 12 clicks on an item never imported, 6 on a-05, from several users.
    for u in 0..6 {
        let mut events = vec![click(HOT_ITEM, EVENTS_TS + u), click(HOT_ITEM, EVENTS_TS + 10 + u)];
        events.push(click(&item('a', 5), EVENTS_TS + 20 + u));
        put_events(&server.events, &tracking_id, Some(&format!("ua{u:02}")), &format!("s{u}"), events).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let moved = recs(&server.runtime, &campaign, "anyone", 10).await;
    assert_eq!(&moved[..2], [HOT_ITEM.to_string(), item('a', 5)], "the newest interval leads: {moved:?}");

    // The stored events bring a restarted server to the same list.
    server.kill();
    server = Server::start(&data_dir);
    let after_restart = recs(&server.runtime, &campaign, "anyone", 10).await;
    assert_eq!(after_restart, moved);
    // An hour later the trend is another item's.
    let later = EVENTS_TS + 3700;
    let events = (0..3).map(|k| click(&item('b', 7), later + k)).collect();
    put_events(&server.events, &tracking_id, Some("ub01"), "s-later", events).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let next = recs(&server.runtime, &campaign, "anyone", 10).await;
    assert_eq!(next[0], item('b', 7), "{next:?}");
}
