//! Bad PutEvents, PutItems and PutUsers requests fail with the exact code and a message naming
//! the problem.

use super::*;

/// A group with a tracker and its three datasets, named after `name` (unique on the shared
/// server); returns the tracking id and the Interactions, Items and Users dataset ARNs.
async fn error_group(c: &aws_sdk_personalize::Client, name: &str) -> (String, String, String, String) {
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let tracking_id = create_tracker(c, &format!("{name}-tracker"), &dsg).await;
    let s_int = create_schema(c, &format!("{name}-int"), INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, &format!("{name}-items"), ITEMS_SCHEMA).await;
    let s_users = create_schema(c, &format!("{name}-users"), USERS_SCHEMA).await;
    let ds_int = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", &s_int).await;
    let ds_items = create_dataset(c, &dsg, name, &format!("{name}-items"), "Items", &s_items).await;
    let ds_users = create_dataset(c, &dsg, name, &format!("{name}-users"), "Users", &s_users).await;
    (tracking_id, ds_int, ds_items, ds_users)
}

/// PutEvents needs an Interactions dataset behind the tracker, and a tracking id that exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_events_needs_an_interactions_dataset_and_a_known_tracker() {
    let server = shared_server();
    let (c, ev) = (&server.control, &server.events);

    // A tracker whose dataset group has no Interactions dataset yet.
    let dsg = create_dataset_group(c, "er-tracked").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let tracking_id = create_tracker(c, "er-tracked-tracker", &dsg).await;
    let msg = expect_http(
        ev.put_events().tracking_id(&tracking_id).session_id("s").event_list(click("i", EVENTS_TS)).send().await,
        "ResourceInUseException",
        409,
        "PutEvents(no Interactions dataset)",
    );
    assert!(msg.contains("Interactions"), "{msg}");
    let s_int = create_schema(c, "er-tracked-int", INTERACTIONS_SCHEMA).await;
    create_dataset(c, &dsg, "er-tracked", "er-tracked-int", "Interactions", &s_int).await;
    // Now it takes events.
    ok(
        ev.put_events().tracking_id(&tracking_id).session_id("s").event_list(click("i", EVENTS_TS)).send().await,
        "PutEvents",
    );

    // Unknown tracking id.
    let msg = expect_http(
        ev.put_events()
            .tracking_id("00000000-0000-0000-0000-000000000000")
            .session_id("s")
            .event_list(click("i", EVENTS_TS))
            .send()
            .await,
        "ResourceNotFoundException",
        404,
        "PutEvents(unknown trackingId)",
    );
    assert!(msg.contains("00000000-0000-0000-0000-000000000000"), "{msg}");
}

/// PutEvents checks the number of events, sentAt in seconds and the properties, naming the event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_events_errors_name_the_problem() {
    let server = shared_server();
    let (c, ev) = (&server.control, &server.events);
    let (tracking_id, ..) = error_group(c, "er-events").await;

    let send = |events: Vec<Event>| {
        ev.put_events().tracking_id(&tracking_id).user_id("u").session_id("s").set_event_list(Some(events)).send()
    };
    let with_properties = |props: &str| {
        Event::builder()
            .event_type("click")
            .item_id("i")
            .properties(props)
            .sent_at(DateTime::from_secs(EVENTS_TS))
            .build()
            .unwrap()
    };

    // 1-10 events per call. The Rust SDK does not check list lengths, so the server sees these.
    let msg = expect_http(send(vec![]).await, "InvalidInputException", 400, "PutEvents(no events)");
    assert!(msg.contains("'eventList'") && msg.contains("greater than or equal to 1"), "{msg}");
    let eleven = (0..11).map(|k| click("i", EVENTS_TS + k)).collect();
    let msg = expect_code(send(eleven).await, "InvalidInputException", "PutEvents(11 events)");
    assert!(msg.contains("'eventList'") && msg.contains("less than or equal to 10"), "{msg}");
    ok(send((0..10).map(|k| click("i", EVENTS_TS + k)).collect()).await, "PutEvents(10 events)");

    // sentAt in milliseconds.
    let msg = expect_code(
        send(vec![click("i", EVENTS_TS), click("i", 1_700_000_000_123)]).await,
        "InvalidInputException",
        "PutEvents(sentAt in milliseconds)",
    );
    assert!(msg.contains("eventList.2.sentAt") && msg.contains("looks like epoch milliseconds"), "{msg}");
    assert!(msg.contains("(1700000000)"), "the message gives the seconds value: {msg}");

    // properties: malformed JSON, not an object, unknown key, reserved key.
    let msg = expect_code(
        send(vec![with_properties(r#"{"device":"mobile"}"#), with_properties(r#"{"device": mobile}"#)]).await,
        "InvalidInputException",
        "PutEvents(malformed properties)",
    );
    assert!(msg.starts_with("Error parsing properties json at eventList.2.properties"), "{msg}");
    let msg = expect_code(
        send(vec![with_properties(r#"["device","mobile"]"#)]).await,
        "InvalidInputException",
        "PutEvents(properties not an object)",
    );
    assert!(msg.starts_with("Error parsing properties json at eventList.1.properties"), "{msg}");
    assert!(msg.contains("expected a JSON object"), "{msg}");
    let msg = expect_code(
        send(vec![with_properties(r#"{"colour":"red"}"#)]).await,
        "InvalidInputException",
        "PutEvents(unknown property)",
    );
    assert!(msg.contains("\"colour\"") && msg.contains("device"), "names the key and the allowed ones: {msg}");
    let msg = expect_code(
        send(vec![with_properties(r#"{"sessionId":"other"}"#)]).await,
        "InvalidInputException",
        "PutEvents(reserved property)",
    );
    assert!(msg.contains("sessionId"), "{msg}");
    // itemId and eventValue are not reserved in Personalize: properties may set them, but not
    // to something else than the event's own member says.
    ok(send(vec![with_properties(r#"{"eventValue":"3","itemId":"i"}"#)]).await, "PutEvents(eventValue, itemId)");
    let msg = expect_code(
        send(vec![with_properties(r#"{"itemId":"j"}"#)]).await,
        "InvalidInputException",
        "PutEvents(itemId and a different properties.itemId)",
    );
    assert!(msg.contains("itemId \"i\"") && msg.contains("properties.itemId \"j\""), "names both: {msg}");
}

/// PutItems / PutUsers: wrong dataset, unknown dataset, bad properties.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_items_and_put_users_errors_name_the_problem() {
    let server = shared_server();
    let (c, ev) = (&server.control, &server.events);
    let (_, ds_int, ds_items, ds_users) = error_group(c, "er-metadata").await;

    let new_item = |props: &str| Item::builder().item_id("n1").properties(props).build().unwrap();
    let good_item = new_item(r#"{"genre":"A","creationTimestamp":1700000000}"#);
    let msg = expect_code(
        ev.put_items().dataset_arn(&ds_int).items(good_item.clone()).send().await,
        "InvalidInputException",
        "PutItems(Interactions dataset)",
    );
    let lower = msg.to_lowercase();
    assert!(msg.contains(&ds_int) && lower.contains("interactions") && lower.contains("items"), "{msg}");
    let msg = expect_http(
        ev.put_items().dataset_arn(arn("dataset", "er-metadata/NOPE")).items(good_item.clone()).send().await,
        "ResourceNotFoundException",
        404,
        "PutItems(unknown dataset)",
    );
    assert!(msg.contains("er-metadata/NOPE"), "{msg}");
    let msg = expect_code(
        ev.put_items()
            .dataset_arn(&ds_items)
            .items(new_item(r#"{"genre":"A","creationTimestamp":"yesterday"}"#))
            .send()
            .await,
        "InvalidInputException",
        "PutItems(creationTimestamp not a number)",
    );
    assert!(msg.contains("items.1.properties.creationTimestamp") && msg.contains("yesterday"), "{msg}");
    let msg = expect_code(
        ev.put_items().dataset_arn(&ds_items).items(new_item(r#"{"genre":"A"}"#)).send().await,
        "InvalidInputException",
        "PutItems(required field missing)",
    );
    assert!(msg.contains("creationTimestamp"), "{msg}");
    let msg = expect_code(
        ev.put_items()
            .dataset_arn(&ds_items)
            .items(new_item(r#"{"genre":"A","creationTimestamp":1,"price":3}"#))
            .send()
            .await,
        "InvalidInputException",
        "PutItems(unknown property)",
    );
    assert!(msg.contains("\"price\"") && msg.contains("genre"), "{msg}");
    let msg = expect_code(
        ev.put_items().dataset_arn(&ds_items).items(new_item("{")).send().await,
        "InvalidInputException",
        "PutItems(malformed properties)",
    );
    assert!(msg.starts_with("Error parsing properties json at items.1.properties"), "{msg}");
    let msg = expect_code(
        ev.put_items().dataset_arn(&ds_items).set_items(Some(vec![good_item.clone(); 11])).send().await,
        "InvalidInputException",
        "PutItems(11 items)",
    );
    assert!(msg.contains("less than or equal to 10"), "{msg}");
    ok(ev.put_items().dataset_arn(&ds_items).items(good_item).send().await, "PutItems");

    let user = |props: &str| User::builder().user_id("p1").properties(props).build().unwrap();
    let msg = expect_code(
        ev.put_users().dataset_arn(&ds_users).users(user(r#"{"age":"old","segment":"a"}"#)).send().await,
        "InvalidInputException",
        "PutUsers(age not a number)",
    );
    assert!(msg.contains("users.1.properties.age") && msg.contains("\"old\""), "{msg}");
    let msg = expect_code(
        ev.put_users().dataset_arn(&ds_users).users(user(r#"{"age":1.5,"segment":"a"}"#)).send().await,
        "InvalidInputException",
        "PutUsers(age not an integer)",
    );
    assert!(msg.contains("users.1.properties.age"), "{msg}");
    // (PutItems succeeded on this dataset above: the type check must not be skipped for it.)
    let msg = expect_code(
        ev.put_users().dataset_arn(&ds_items).users(user(r#"{"age":1,"segment":"a"}"#)).send().await,
        "InvalidInputException",
        "PutUsers(Items dataset)",
    );
    assert!(msg.to_lowercase().contains("users"), "{msg}");
    ok(ev.put_users().dataset_arn(&ds_users).users(user(r#"{"age":1,"segment":"a"}"#)).send().await, "PutUsers");
}
