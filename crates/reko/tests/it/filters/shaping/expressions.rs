//! What each kind of filter expression lets through, exactly, and the filters that cannot be used.

use super::*;

// ---- INCLUDE on an item attribute ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_on_an_item_attribute_keeps_the_model_order() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let catalog = base_catalog(fx.now);
    let x_items = x_items_of(&catalog);
    let (is_x, is_z, is_w) = (genre_is_in(&catalog, "x"), genre_is_in(&catalog, "z"), genre_is_in(&catalog, "w"));

    let r = list(get(rt, &g.up, Some("u01"), ALL, None, &[]).await, "unfiltered");
    assert_eq!(r.len(), N_ITEMS, "the whole ranking: {r:?}");
    let gx = [("G", r#""x""#)];
    // More slots than qualifying items: exactly the x items, multi-valued ones included, in model order.
    let got = list(get(rt, &g.up, Some("u01"), 25, Some(&g.f_genre), &gx).await, "genre x, 25");
    assert_eq!(got, restrict(&r, 25, &is_x));
    assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), x_items);
    for multi in ["i05", "i15", "i25", "i35"] {
        assert!(got.iter().any(|i| i == multi), "multi-valued {multi} matches x: {got:?}");
    }
    // Fewer slots: numResults is met by backfilling from deeper ranks.
    assert!(r[..10].iter().any(|i| !is_x(i)), "precondition: the unfiltered top 10 has non-x items: {r:?}");
    let got = list(get(rt, &g.up, Some("u01"), 10, Some(&g.f_genre), &gx).await, "genre x, 10");
    assert_eq!(got.len(), 10);
    assert_eq!(got, restrict(&r, 10, &is_x));
    // Several values: any of them.
    let got = list(get(rt, &g.up, Some("u01"), 25, Some(&g.f_genre), &[("G", r#""z","w""#)]).await, "genre z or w");
    assert_eq!(got.len(), 20, "{got:?}");
    assert_eq!(got, restrict(&r, 25, |i| is_z(i) || is_w(i)));
    // Values match exactly (case-sensitive): nothing is "X".
    let got = list(get(rt, &g.up, Some("u01"), 10, Some(&g.f_genre), &[("G", r#""X""#)]).await, "genre X");
    assert!(got.is_empty(), "{got:?}");
    // The popularity campaign, without a user.
    let popular = list(get(rt, &g.pop, None, ALL, None, &[]).await, "popular");
    assert_eq!(popular.len(), N_ITEMS);
    let got = list(get(rt, &g.pop, None, 10, Some(&g.f_genre), &gx).await, "popular genre x");
    assert_eq!(got, restrict(&popular, 10, &is_x));
}

// ---- EXCLUDE on interactions --------------------------------------------------------------------

/// Read-your-writes: `u11` purchases here, and no other test asks for `u11`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclude_on_interactions_sees_a_purchase_at_once() {
    let fx = fixture();
    let (g, now) = (&fx.a, fx.now);
    let (c, rt, ev) = (&control_client(&fx.url), &runtime_client(&fx.url), &events_client(&fx.url));
    let catalog = base_catalog(now);
    let x_items = x_items_of(&catalog);
    let is_x = genre_is_in(&catalog, "x");
    let gx = [("G", r#""x""#)];
    let popular = list(get(rt, &g.pop, None, ALL, None, &[]).await, "popular");

    let mut purchased = bulk_purchases(11);
    assert_eq!(purchased.len(), 3);
    let r0 = list(get(rt, &g.up, Some("u11"), ALL, None, &[]).await, "unfiltered");
    let f0 = list(get(rt, &g.up, Some("u11"), ALL, Some(&g.f_purchase), &[]).await, "no purchases");
    assert_eq!(f0.len(), N_ITEMS - 3);
    assert_eq!(f0, restrict(&r0, ALL as usize, |i| !purchased.contains(i)));
    // Purchase the best remaining item now (event type case differs: event types match
    // case-insensitively); the very next request excludes it.
    let target = f0[0].clone();
    put_events(ev, &g.tracking_id, "u11", vec![event("Purchase", &target, now)]).await;
    purchased.insert(target.clone());
    let r1 = list(get(rt, &g.up, Some("u11"), ALL, None, &[]).await, "unfiltered after purchase");
    let f1 = list(get(rt, &g.up, Some("u11"), ALL, Some(&g.f_purchase), &[]).await, "no purchases after purchase");
    assert!(!f1.contains(&target), "{target} was purchased just before: {f1:?}");
    assert_eq!(f1, restrict(&r1, ALL as usize, |i| !purchased.contains(i)));
    let f1_10 = list(get(rt, &g.up, Some("u11"), 10, Some(&g.f_purchase), &[]).await, "no purchases, 10");
    assert_eq!(f1_10, restrict(&r1, 10, |i| !purchased.contains(i)));
    // Lower-case field names, as AWS's sample notebooks write them (`Items.genre`,
    // `Interactions.event_type`): the same filtering as the schema's spelling.
    {
        let _slot = FILTER_SLOT.lock().await;
        let f_lower = create_filter(
            c,
            &g.dsg,
            "flt-lower",
            r#"INCLUDE ItemID WHERE Items.genre IN ($G) | EXCLUDE ItemID WHERE Interactions.event_type IN ("purchase")"#,
        )
        .await;
        let got = list(get(rt, &g.up, Some("u11"), ALL, Some(&f_lower), &gx).await, "lower-case field names");
        assert_eq!(got, restrict(&r1, ALL as usize, |i| is_x(i) && !purchased.contains(i)));
        assert!(!got.is_empty() && got.len() < x_items.len(), "some x items were purchased: {got:?}");
        // (the group's tenth filter: make room for the other tests' ones)
        ok(c.delete_filter().filter_arn(&f_lower).send().await, "DeleteFilter");
        wait_filter_gone(c, &f_lower).await;
    }
    // The popularity campaign reads the same history; without a user it cannot apply the filter.
    let got = list(get(rt, &g.pop, Some("u11"), 10, Some(&g.f_purchase), &[]).await, "popular, no purchases");
    assert_eq!(got, restrict(&popular, 10, |i| !purchased.contains(i)));
    let msg =
        expect_code(get(rt, &g.pop, None, 10, Some(&g.f_purchase), &[]).await, "InvalidInputException", "no userId");
    assert!(msg.contains("userId"), "{msg}");
}

/// Only the newest 100 interactions per event type count: 100 later purchases of i02 push the
/// purchase of i01 out of the window. (`heavy` is this test's user.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_newest_100_interactions_per_event_type_count() {
    let fx = fixture();
    let (g, now) = (&fx.a, fx.now);
    let (rt, ev) = (&runtime_client(&fx.url), &events_client(&fx.url));
    put_events(ev, &g.tracking_id, "heavy", vec![event("purchase", "i01", now - 5000)]).await;
    let r = list(get(rt, &g.up, Some("heavy"), ALL, None, &[]).await, "heavy");
    let got = list(get(rt, &g.up, Some("heavy"), ALL, Some(&g.f_purchase), &[]).await, "heavy, no purchases");
    assert_eq!(got, restrict(&r, ALL as usize, |i| i != "i01"));
    put_heavy_purchases(ev, &g.tracking_id, now).await;
    let r = list(get(rt, &g.up, Some("heavy"), ALL, None, &[]).await, "heavy");
    let got = list(get(rt, &g.up, Some("heavy"), ALL, Some(&g.f_purchase), &[]).await, "heavy, no purchases");
    assert_eq!(got, restrict(&r, ALL as usize, |i| i != "i02"), "i01 left the newest 100 purchases");
}

/// Reko extension: a time window on interactions. The bulk purchases (2023) are outside it.
/// (`u04` purchases here; no other test asks for it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_window_on_interactions_keeps_only_recent_events() {
    let fx = fixture();
    let (g, now) = (&fx.a, fx.now);
    let (rt, ev) = (&runtime_client(&fx.url), &events_client(&fx.url));
    let r = list(get(rt, &g.up, Some("u04"), ALL, None, &[]).await, "u04");
    let got = list(get(rt, &g.up, Some("u04"), ALL, Some(&g.f_window), &[]).await, "u04, recent purchases");
    assert_eq!(got, r, "no purchase of u04 is within 7 days");
    let (old, recent) = (r[0].clone(), r[1].clone());
    put_window_purchases(ev, &g.tracking_id, now, &old, &recent).await;
    let r = list(get(rt, &g.up, Some("u04"), ALL, None, &[]).await, "u04");
    let got = list(get(rt, &g.up, Some("u04"), ALL, Some(&g.f_window), &[]).await, "u04, recent purchases");
    assert_eq!(got, restrict(&r, ALL as usize, |i| i != recent), "only the purchase of a minute ago: {recent}");
}

// ---- Numeric parameters, missing and unused parameters ------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_missing_and_unused_parameters() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let catalog = base_catalog(fx.now);
    let is_x = genre_is_in(&catalog, "x");
    let gx = [("G", r#""x""#)];
    let r = list(get(rt, &g.up, Some("u02"), ALL, None, &[]).await, "u02");
    let msg =
        expect_code(get(rt, &g.up, Some("u02"), 10, Some(&g.f_price), &[]).await, "InvalidInputException", "no P");
    assert!(msg.contains("parameter P"), "names the missing INCLUDE parameter: {msg}");
    let msg = expect_code(
        get(rt, &g.up, Some("u02"), 10, Some(&g.f_price), &[("G", r#""x""#)]).await,
        "InvalidInputException",
        "G without P",
    );
    assert!(msg.contains("parameter P"), "{msg}");
    // Only P: the EXCLUDE expression, whose G is missing, is skipped. 4.8 is a price (<=).
    let got = list(get(rt, &g.up, Some("u02"), ALL, Some(&g.f_price), &[("P", "4.8")]).await, "price <= 4.8");
    assert_eq!(got.len(), 16, "{got:?}");
    assert!(got.iter().any(|i| i == "i03"), "i03 costs exactly 4.8: {got:?}");
    assert_eq!(got, restrict(&r, ALL as usize, cheap_in(&catalog, 4.8)));
    let got = list(
        get(rt, &g.up, Some("u02"), ALL, Some(&g.f_price), &[("P", "4.8"), ("G", r#""x""#)]).await,
        "price <= 4.8, not x",
    );
    assert_eq!(got, restrict(&r, ALL as usize, |i| cheap_in(&catalog, 4.8)(i) && !is_x(i)));
    assert_eq!(got.len(), 16 - 4, "i00, i12, i20 and i32 are x: {got:?}");
    let msg = expect_code(
        get(rt, &g.up, Some("u02"), 10, Some(&g.f_price), &[("P", "4.8"), ("Q", "1")]).await,
        "InvalidInputException",
        "unused Q",
    );
    assert!(msg.contains('Q'), "names the unused parameter: {msg}");
    let msg = expect_code(
        get(rt, &g.up, Some("u02"), 10, Some(&g.f_price), &[("P", r#""cheap""#)]).await,
        "InvalidInputException",
        "P not a number",
    );
    assert!(msg.contains('P') && msg.contains("number"), "{msg}");
    // A filter of only EXCLUDE expressions whose parameters are missing filters nothing.
    let got = list(get(rt, &g.up, Some("u02"), 10, Some(&g.f_not_genre), &[]).await, "exclude without G");
    assert_eq!(got, r[..10].to_vec());
    let got = list(get(rt, &g.up, Some("u02"), 10, Some(&g.f_not_genre), &gx).await, "exclude x");
    assert_eq!(got, restrict(&r, 10, |i| !is_x(i)));
}

// ---- IF CurrentUser -----------------------------------------------------------------------------

/// `u30` (vip) and `u31` (std) swap segments here; no other test asks for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_current_user_follows_the_users_segment_and_put_users() {
    let fx = fixture();
    let g = &fx.a;
    let (rt, ev) = (&runtime_client(&fx.url), &events_client(&fx.url));
    let is_x = genre_is_in(&base_catalog(fx.now), "x");
    assert_eq!((segment(30), segment(31)), ("vip", "std"));
    for (u, vip) in [("u30", true), ("u31", false), ("stranger", false)] {
        let r = list(get(rt, &g.up, Some(u), ALL, None, &[]).await, u);
        let got = list(get(rt, &g.up, Some(u), ALL, Some(&g.f_vip), &[]).await, "vip filter");
        let want = if vip { restrict(&r, ALL as usize, &is_x) } else { r };
        assert_eq!(got, want, "{u} (vip: {vip})");
    }
    // PutUsers swaps the segments; the next request sees it.
    put_user(ev, &g.ds_users, "u30", 50, "std").await;
    put_user(ev, &g.ds_users, "u31", 51, "vip").await;
    for (u, vip) in [("u30", false), ("u31", true)] {
        let r = list(get(rt, &g.up, Some(u), ALL, None, &[]).await, u);
        let got = list(get(rt, &g.up, Some(u), ALL, Some(&g.f_vip), &[]).await, "vip filter after PutUsers");
        let want = if vip { restrict(&r, ALL as usize, &is_x) } else { r };
        assert_eq!(got, want, "{u} after PutUsers (vip: {vip})");
    }
}

/// A parameter in the IF clause: u02 is 22.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_if_clause_takes_a_parameter() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let is_x = genre_is_in(&base_catalog(fx.now), "x");
    let r = list(get(rt, &g.up, Some("u02"), ALL, None, &[]).await, "u02");
    let got = list(get(rt, &g.up, Some("u02"), ALL, Some(&g.f_age), &[("G", r#""x""#), ("AGE", "22")]).await, "age 22");
    assert_eq!(got, restrict(&r, ALL as usize, |i| !is_x(i)), "22 >= 22: the expression applies");
    let got = list(get(rt, &g.up, Some("u02"), ALL, Some(&g.f_age), &[("G", r#""x""#), ("AGE", "23")]).await, "age 23");
    assert_eq!(got, r, "22 < 23: the expression is skipped");
    let got = list(get(rt, &g.up, Some("u02"), ALL, Some(&g.f_age), &[("G", r#""x""#)]).await, "no AGE");
    assert_eq!(got, r, "an EXCLUDE expression without its IF parameter is skipped");
}

// ---- INCLUDE on interactions: "*" is any event type ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_any_event_type_keeps_the_users_history() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let history: HashSet<String> = (0..HISTORY).map(|j| interaction(7, j).0).collect();
    assert_eq!(history.len(), HISTORY);
    let r = list(get(rt, &g.up, Some("u07"), ALL, None, &[]).await, "u07");
    let got = list(get(rt, &g.up, Some("u07"), 25, Some(&g.f_any), &[]).await, "u07's items");
    assert_eq!(got, restrict(&r, 25, |i| history.contains(i)));
    assert_eq!(got.len(), HISTORY);
    let got = list(get(rt, &g.up, Some("nobody"), 25, Some(&g.f_any), &[]).await, "a new user's items");
    assert!(got.is_empty(), "a user without interactions has no items to include: {got:?}");
}

// ---- Reko extension: NOW() on a timestamp field; PutItems ---------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn now_on_a_timestamp_field_keeps_recent_items() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let want = recent(&base_catalog(fx.now), fx.now);
    assert_eq!(want, BTreeSet::from(["i00", "i08", "i16", "i24", "i32"].map(String::from)), "created 2 days ago");
    let popular = list(get(rt, &g.pop, None, ALL, None, &[]).await, "popular");
    let r = list(get(rt, &g.up, Some("u03"), ALL, None, &[]).await, "u03");
    let got = list(get(rt, &g.up, Some("u03"), ALL, Some(&g.f_recent), &[]).await, "recent items");
    assert_eq!(got, restrict(&r, ALL as usize, |i| want.contains(i)));
    assert_eq!(got.len(), 5);
    let got = list(get(rt, &g.pop, None, ALL, Some(&g.f_recent), &[]).await, "popular recent items");
    assert_eq!(got, restrict(&popular, ALL as usize, |i| want.contains(i)));
}

/// Group `b` holds a brand-new item, and an old item re-created a day ago ([`put_new_items`];
/// the same group before them is group `a`, above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_see_put_items() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let catalog = put_catalog(fx.now);
    let popular = list(get(rt, &g.pop, None, ALL, None, &[]).await, "popular");
    let want = recent(&catalog, fx.now);
    assert_eq!(want.len(), 7);
    let r = list(get(rt, &g.up, Some("u03"), ALL, None, &[]).await, "u03 after PutItems");
    assert_eq!(r.len(), N_ITEMS + 1, "User-Personalization serves the new item: {r:?}");
    let got = list(get(rt, &g.up, Some("u03"), ALL, Some(&g.f_recent), &[]).await, "recent items after PutItems");
    assert_eq!(got, restrict(&r, ALL as usize, |i| want.contains(i)));
    assert!(got.iter().any(|i| i == "fresh") && got.iter().any(|i| i == "i01"), "{got:?}");
    // The popularity model does not know the new item; the updated one qualifies.
    let got = list(get(rt, &g.pop, None, ALL, Some(&g.f_recent), &[]).await, "popular recent items after PutItems");
    assert_eq!(got, restrict(&popular, ALL as usize, |i| want.contains(i)));
    assert_eq!(got.len(), 6);
    // Genre filters see the new item too, with its multi-valued genre.
    let is_x = genre_is_in(&catalog, "x");
    let is_z = genre_is_in(&catalog, "z");
    let gx = [("G", r#""x""#)];
    let got = list(get(rt, &g.up, Some("u03"), ALL, Some(&g.f_genre), &gx).await, "genre x after PutItems");
    assert_eq!(got, restrict(&r, ALL as usize, &is_x));
    assert_eq!(got.len(), 15);
    let got = list(get(rt, &g.up, Some("u03"), ALL, Some(&g.f_genre), &[("G", r#""z""#)]).await, "genre z, PutItems");
    assert_eq!(got, restrict(&r, ALL as usize, &is_z));
    assert!(got.len() == 11 && got.iter().any(|i| i == "fresh"), "{got:?}");
}

// ---- Filters that cannot be used ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_of_another_group_and_unknown_filters_are_refused() {
    let fx = fixture();
    let g = &fx.a;
    let (c, rt) = (&control_client(&fx.url), &runtime_client(&fx.url));
    let other = create_dataset_group(c, "flt-other").await;
    wait_active(c, &Res::DatasetGroup(other.clone())).await;
    create_dataset(c, &other, "flt-other", "flt-other-items", "Items", &arn("schema", "flt-items")).await;
    let f_other = create_filter(c, &other, "flt-other-genre", r#"INCLUDE ItemID WHERE Items.GENRE IN ("x")"#).await;
    let msg = expect_code(
        get(rt, &g.up, Some("u01"), 10, Some(&f_other), &[]).await,
        "InvalidInputException",
        "filter of another dataset group",
    );
    assert!(msg.contains(&f_other) && msg.contains(&other), "names the filter and its group: {msg}");
    let unknown = arn("filter", "flt-nope");
    let result = get(rt, &g.up, Some("u01"), 10, Some(&unknown), &[]).await;
    let status = result.as_ref().err().and_then(|e| e.raw_response()).map(|r| r.status().as_u16());
    let msg = expect_code(result, "ResourceNotFoundException", "unknown filter");
    assert_eq!(status, Some(404), "the runtime's ResourceNotFoundException is a 404");
    assert!(msg.contains(&unknown), "{msg}");
}

/// Both filters take the group's tenth slot in turn ([`FILTER_SLOT`]).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_id_filters_and_deleted_filters_are_refused() {
    let fx = fixture();
    let g = &fx.a;
    let (c, rt) = (&control_client(&fx.url), &runtime_client(&fx.url));
    let _slot = FILTER_SLOT.lock().await;
    // A UserID filter cannot filter items.
    let f_users = create_filter(c, &g.dsg, "flt-users", r#"INCLUDE UserID WHERE Users.SEGMENT IN ("vip")"#).await;
    expect_code(get(rt, &g.up, Some("u01"), 10, Some(&f_users), &[]).await, "InvalidInputException", "UserID filter");
    ok(c.delete_filter().filter_arn(&f_users).send().await, "DeleteFilter");
    wait_filter_gone(c, &f_users).await;
    // A deleted filter: used (and cached) while ACTIVE, refused from the DeleteFilter on.
    let f_tmp = create_filter(c, &g.dsg, "flt-tmp", r#"INCLUDE ItemID WHERE Items.GENRE IN ("z")"#).await;
    let got = list(get(rt, &g.up, Some("u01"), 3, Some(&f_tmp), &[]).await, "tmp filter");
    assert_eq!(got.len(), 3);
    ok(c.delete_filter().filter_arn(&f_tmp).send().await, "DeleteFilter");
    let pending = get(rt, &g.up, Some("u01"), 3, Some(&f_tmp), &[]).await;
    match pending.as_ref().err().and_then(|e| e.code()) {
        // Still DELETE PENDING...
        Some("InvalidInputException") => {
            let msg = expect_code(pending, "InvalidInputException", "DELETE PENDING filter");
            assert!(msg.contains("DELETE PENDING"), "{msg}");
        }
        // ...or already gone.
        _ => {
            expect_code(pending, "ResourceNotFoundException", "deleted filter");
        }
    }
    wait_filter_gone(c, &f_tmp).await;
    let msg = expect_code(
        get(rt, &g.up, Some("u01"), 3, Some(&f_tmp), &[]).await,
        "ResourceNotFoundException",
        "deleted filter",
    );
    assert!(msg.contains(&f_tmp), "{msg}");
}

// ---- GetPersonalizedRanking removes filtered items before ranking -------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personalized_ranking_removes_filtered_items_before_ranking() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let is_x = genre_is_in(&base_catalog(fx.now), "x");
    let gx = [("G", r#""x""#)];
    let bought = bulk_purchases(2);
    let mut input: Vec<String> = bought.iter().cloned().collect();
    input.sort();
    input.extend((0..9).map(item).filter(|i| !bought.contains(i)));
    let ranked = ids(ok(rank(rt, &g.pr, "u02", &input, None, &[]).await, "rank").personalized_ranking());
    assert_eq!(ranked.len(), input.len());
    let out = ok(rank(rt, &g.pr, "u02", &input, Some(&g.f_genre), &gx).await, "rank genre x");
    let got = ids(out.personalized_ranking());
    assert_eq!(got, restrict(&ranked, ALL as usize, &is_x));
    assert!(got.len() < input.len() && !got.is_empty(), "{got:?}");
    let total: f64 = out.personalized_ranking().iter().filter_map(|i| i.score()).sum();
    assert!((total - 1.0).abs() < 1e-3, "scores are a softmax over the filtered list: {total}");
    let got = ids(ok(rank(rt, &g.pr, "u02", &input, Some(&g.f_purchase), &[]).await, "rank").personalized_ranking());
    assert_eq!(got, restrict(&ranked, ALL as usize, |i| !bought.contains(i)));
    assert_eq!(got.len(), input.len() - bought.len());
    let msg =
        expect_code(rank(rt, &g.pr, "u02", &input, Some(&g.f_genre), &[]).await, "InvalidInputException", "rank, no G");
    assert!(msg.contains("parameter G"), "{msg}");
}
