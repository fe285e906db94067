//! Events reach real-time recommendations at once, survive a restart and feed the next training.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_personalise_at_once_survive_restarts_and_feed_training() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let mut server = Server::start(&data_dir);
    let c = &server.control.clone();

    let g = create_group(c, "ev", Some(&tmp.path().join("csv"))).await;
    let up_sol = create_solution(c, &g.dsg, "ev-up", "aws-user-personalization").await;
    let up_v1 = train(c, &up_sol).await;
    let pr_sol = create_solution(c, &g.dsg, "ev-pr", "aws-personalized-ranking").await;
    let pr_v1 = train(c, &pr_sol).await;
    // No exploration: the list is the model's ranking, so the assertions below are exact.
    let exploit = || CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build();
    let up = create_campaign(c, "ev-up", &up_v1, exploit()).await;
    let pr = create_campaign(c, "ev-pr", &pr_v1, CampaignConfig::builder().build()).await;
    // Only exploration: every slot goes to an exploration candidate while there are any.
    let explore = create_campaign(
        c,
        "ev-explore",
        &up_v1,
        CampaignConfig::builder()
            .item_exploration_config("explorationWeight", "1.0")
            .item_exploration_config("explorationItemAgeCutOff", "1")
            .build(),
    )
    .await;
    let tracking_id = create_tracker(c, "ev-tracker", &g.dsg).await;

    let rt = &server.runtime.clone();
    let ev = &server.events.clone();

    // ---- A brand-new user is personalised by their first events ----------------------------
    // Unknown users get the popular items, and group B is strictly more popular than group A.
    let before = recs(rt, &up, "user-u", 10).await;
    assert_eq!(before.len(), 10);
    assert_eq!(count(&before, 'b'), 10, "a new user gets the (group B) popular items: {before:?}");
    put_events(ev, &tracking_id, Some("user-u"), "sess-u", clicks(&a_items(0..5), 0)).await;
    let after = recs(rt, &up, "user-u", 10).await;
    assert!(leans(&after, 'a'), "after 5 clicks on group A the list leans to group A: {after:?}");

    // Personalized-Ranking folds events in too.
    let input: Vec<String> = (0..5).flat_map(|i| [item('a', i + 25), item('b', i)]).collect();
    let ranked = rank(rt, &pr, "user-r", &input).await;
    assert_eq!(count(&ranked[..5], 'b'), 5, "a new user's ranking follows popularity: {ranked:?}");
    put_events(ev, &tracking_id, Some("user-r"), "sess-r", clicks(&a_items(10..15), 0)).await;
    let reranked = rank(rt, &pr, "user-r", &input).await;
    assert_eq!(reranked.len(), input.len());
    assert_eq!(count(&reranked[..5], 'a'), 5, "after clicks on other group A items, A ranks first: {reranked:?}");

    // ---- Anonymous sessions, then stitching --------------------------------------------------
    let session = "anon-session-1";
    assert_eq!(count(&recs(rt, &up, session, 10).await, 'b'), 10);
    put_events(ev, &tracking_id, None, session, clicks(&a_items(15..20), 0)).await;
    let anonymous = recs(rt, &up, session, 10).await;
    assert!(leans(&anonymous, 'a'), "the session id as userId sees the session's events: {anonymous:?}");
    // One event with both ids, on a group B item: the user inherits the anonymous history at once.
    put_events(ev, &tracking_id, Some("user-v"), session, vec![click(&item('b', 5), EVENTS_TS + 100)]).await;
    let stitched = recs(rt, &up, "user-v", 10).await;
    assert!(leans(&stitched, 'a'), "user-v has the session's group A history: {stitched:?}");
    assert_eq!(recs(rt, &up, session, 10).await, stitched, "the session id now resolves to user-v");
    // Control: the same single B event without an anonymous history leans to group B.
    put_events(ev, &tracking_id, Some("user-v2"), "sess-v2", vec![click(&item('b', 5), EVENTS_TS + 100)]).await;
    let control = recs(rt, &up, "user-v2", 10).await;
    assert!(leans(&control, 'b'), "{control:?}");

    // ---- Every Event member is accepted ------------------------------------------------------
    let shown = ok(
        rt.get_recommendations()
            .campaign_arn(&up)
            .user_id("user-rich")
            .num_results(3)
            .context("DEVICE", "mobile")
            .send()
            .await,
        "GetRecommendations(context)",
    );
    let recommendation_id = shown.recommendation_id().expect("recommendationId").to_string();
    let rich = vec![
        Event::builder()
            .event_id("evt-rich-1")
            .event_type("click")
            .event_value(4.5)
            .item_id(item('a', 1))
            .properties(r#"{"device":"mobile"}"#)
            .sent_at(DateTime::from_secs_f64(EVENTS_TS as f64 + 0.25))
            .recommendation_id(&recommendation_id)
            .set_impression(Some(ids(shown.item_list())))
            .metric_attribution(
                MetricAttribution::builder().event_attribution_source("email-campaign").build().unwrap(),
            )
            .build()
            .unwrap(),
        // Property keys match schema fields ignoring case and underscores.
        Event::builder()
            .event_type("click")
            .item_id(item('a', 2))
            .properties(r#"{"DEVICE":"desktop"}"#)
            .sent_at(DateTime::from_secs(EVENTS_TS + 1))
            .build()
            .unwrap(),
    ];
    put_events(ev, &tracking_id, Some("user-rich"), "sess-rich", rich).await;
    let with_context = ok(
        rt.get_recommendations()
            .campaign_arn(&up)
            .user_id("user-rich")
            .num_results(10)
            .context("DEVICE", "mobile")
            .send()
            .await,
        "GetRecommendations(context, after events)",
    );
    assert_eq!(with_context.item_list().len(), 10);

    // ---- A rejected call stores nothing -----------------------------------------------------
    let mut batch = clicks(&a_items(0..9), 0);
    batch.push(
        Event::builder()
            .event_type("click")
            .item_id(item('a', 9))
            .properties(r#"{"colour":"red"}"#)
            .sent_at(DateTime::from_secs(EVENTS_TS + 50))
            .build()
            .unwrap(),
    );
    expect_code(
        ev.put_events()
            .tracking_id(&tracking_id)
            .user_id("user-x")
            .session_id("sess-x")
            .set_event_list(Some(batch))
            .send()
            .await,
        "InvalidInputException",
        "PutEvents(one bad event among nine good ones)",
    );
    assert_eq!(recs(rt, &up, "user-x", 10).await, before, "no event of the rejected call was kept");

    // ---- Events only the next training can use -----------------------------------------------
    // user-w exists only through PutEvents.
    put_events(ev, &tracking_id, Some("user-w"), "sess-w", clicks(&a_items(20..25), 0)).await;
    // An item nobody imported becomes the most popular one, but popularity only changes when
    // training runs: events on an item the model does not know do nothing in real time.
    for u in 0..10 {
        let events = (0..5).map(|k| click(HOT_ITEM, EVENTS_TS + 1000 + k)).collect();
        put_events(ev, &tracking_id, Some(&format!("hot-{u}")), &format!("sess-hot-{u}"), events).await;
    }
    // Events repeating an eventId count once in training (docs/compatibility.md, "Events (PutEvents,
    // PutItems, PutUsers)"): forty clicks on another put-only item, all with the same eventId,
    // leave it unpopular.
    for k in 0..4 {
        let events = (0..10)
            .map(|j| {
                Event::builder()
                    .event_id("evt-repeated")
                    .event_type("click")
                    .item_id(REPEATED_ITEM)
                    .sent_at(DateTime::from_secs(EVENTS_TS + 2000 + k * 10 + j))
                    .build()
                    .unwrap()
            })
            .collect();
        put_events(ev, &tracking_id, Some(&format!("rep-{k}")), &format!("sess-rep-{k}"), events).await;
    }
    let cold = recs(rt, &up, "nobody-1", 10).await;
    assert!(!cold.iter().any(|i| i == HOT_ITEM || i == REPEATED_ITEM), "{cold:?}");

    // ---- PutUsers ----------------------------------------------------------------------------
    ok(
        ev.put_users()
            .dataset_arn(&g.users)
            .users(User::builder().user_id("user-p").properties(r#"{"age":"34","segment":"a"}"#).build().unwrap())
            .users(User::builder().user_id("user-q").properties(r#"{"age":41,"SEGMENT":"b"}"#).build().unwrap())
            .send()
            .await,
        "PutUsers",
    );
    assert_eq!(count(&recs(rt, &up, "user-p", 10).await, 'b'), 10, "user-p is unknown to the trained model");

    // ---- PutItems: new items are served without retraining -----------------------------------
    ok(
        ev.put_items()
            .dataset_arn(&g.items)
            .items(
                Item::builder()
                    .item_id("a-new")
                    .properties(format!(r#"{{"genre":"A","creationTimestamp":{}}}"#, EVENTS_TS))
                    .build()
                    .unwrap(),
            )
            .items(
                Item::builder()
                    .item_id("b-new")
                    .properties(format!(r#"{{"genre":"B","creationTimestamp":"{}"}}"#, EVENTS_TS))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "PutItems",
    );
    // With explorationWeight 1.0 the new items are shown at once, without retraining. Each
    // request draws afresh, so exposure is counted over 20 requests.
    let explored_a = exposure(rt, &explore, "ua00").await;
    assert!(explored_a.0 >= 15 && explored_a.1 >= 15, "a-new, b-new shown to ua00 in {explored_a:?} of 20");
    let explored_b = exposure(rt, &explore, "ub00").await;
    assert!(explored_b.0 >= 15 && explored_b.1 >= 15, "a-new, b-new shown to ub00 in {explored_b:?} of 20");
    // Without exploration the campaign still answers (it may or may not show the new items).
    assert_eq!(recs(rt, &up, "ua00", 10).await.len(), 10);

    // ---- Durability: a crash loses nothing acknowledged ---------------------------------------
    let users = ["user-u", session, "user-v", "user-v2", "user-w", "user-rich"];
    let mut lists = Vec::new();
    for u in users {
        lists.push(recs(rt, &up, u, 10).await);
    }
    let ranked_before = rank(rt, &pr, "user-r", &input).await;
    server.kill();
    server = Server::start(&data_dir);
    let (rt, ev) = (&server.runtime.clone(), &server.events.clone());
    let c = &server.control.clone();
    for (u, list) in users.iter().zip(&lists) {
        assert_eq!(&recs(rt, &up, u, 10).await, list, "{u}'s recommendations after the restart");
    }
    assert_eq!(rank(rt, &pr, "user-r", &input).await, ranked_before, "user-r's ranking after the restart");
    for u in ["ua00", "ub00"] {
        let shown = exposure(rt, &explore, u).await;
        assert!(shown.0 >= 15 && shown.1 >= 15, "put items after the restart: shown to {u} in {shown:?} of 20");
    }
    // The tracker still takes events.
    put_events(ev, &tracking_id, Some("user-w"), "sess-w", clicks(&a_items(25..26), 10)).await;

    // ---- The next training uses the events, items and users ----------------------------------
    let up_v2 = train(c, &up_sol).await;
    ok(
        c.update_campaign().campaign_arn(&up).solution_version_arn(&up_v2).campaign_config(exploit()).send().await,
        "UpdateCampaign",
    );
    wait_active(c, &Res::CampaignUpdate(up.clone())).await;
    let served = ok(c.describe_campaign().campaign_arn(&up).send().await, "DescribeCampaign");
    assert_eq!(served.campaign().and_then(|x| x.solution_version_arn()), Some(up_v2.as_str()));
    // The put-only user is in the model now.
    let w = recs(rt, &up, "user-w", 10).await;
    assert!(leans(&w, 'a'), "user-w was trained from their events: {w:?}");
    // Popularity now counts the events: the put-only item is the most popular one.
    let cold = recs(rt, &up, "nobody-2", 10).await;
    assert_eq!(cold[0], HOT_ITEM, "{cold:?}");
    assert!(!cold.iter().any(|i| i == REPEATED_ITEM), "repeated eventIds count once: {cold:?}");
    // The anonymous session trained under the user it was stitched to.
    let v = recs(rt, &up, "user-v", 10).await;
    assert!(leans(&v, 'a'), "{v:?}");
    // A user added by PutUsers gets a vector from their metadata (segment a).
    let p = recs(rt, &up, "user-p", 10).await;
    assert!(leans(&p, 'a'), "user-p's segment places them in group A: {p:?}");
}
