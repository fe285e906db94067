//! Filters and promotions shape recommendations and rankings exactly: one test per behaviour,
//! on dataset groups staged once for the file (see [`Flt`]).

use super::*;

/// The file's shared staging, on one `reko serve` (see `common::Fixture`).
static FIXTURE: Fixture<Flt> = Fixture::new();

/// Two dataset groups staged from the same CSVs.
struct Flt {
    /// When the data was written: item creation times and event times are relative to it.
    now: i64,
    /// `flt`: the bulk data only; tests that write to it (PutEvents, PutUsers) use users of
    /// their own, and no test changes its items.
    a: Group,
    /// `flt-put`: the same, plus the PutItems of [`put_new_items`] (a new item and an old one
    /// re-created), which every user's recommendations see: its tests expect [`put_catalog`].
    b: Group,
}

/// One staged dataset group: imported, its three campaigns trained, an event tracker and nine
/// filters. Its tenth filter (the quota) is the one tests create under [`FILTER_SLOT`].
struct Group {
    dsg: String,
    ds_items: String,
    ds_users: String,
    up: String,
    pop: String,
    pr: String,
    tracking_id: String,
    f_genre: String,
    f_purchase: String,
    f_price: String,
    f_not_genre: String,
    f_vip: String,
    f_recent: String,
    f_window: String,
    f_age: String,
    f_any: String,
}

/// Taken by the tests that create a filter in group `a` (and delete it again): the group holds
/// ten filters at most and the fixture made nine.
static FILTER_SLOT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn fixture() -> &'static Staged<Flt> {
    FIXTURE.get(setup)
}

async fn setup(url: String, dir: std::path::PathBuf) -> Flt {
    let now = unix_now();
    let (c, ev) = (&control_client(&url), &events_client(&url));
    let files = write_data(&dir.join("csv"), now);
    let schemas = create_schemas(c).await;
    let a = stage(c, "flt", &schemas, &files).await;
    let b = stage(c, "flt-put", &schemas, &files).await;
    put_new_items(ev, &b.ds_items, now).await;
    Flt { now, a, b }
}

/// The interactions, items and users schemas.
async fn create_schemas(c: &aws_sdk_personalize::Client) -> [String; 3] {
    [
        create_schema(c, "flt-int", INTERACTIONS_SCHEMA).await,
        create_schema(c, "flt-items", ITEMS_SCHEMA).await,
        create_schema(c, "flt-users", USERS_SCHEMA).await,
    ]
}

/// Stages dataset group `name`: its datasets, imports of `files`, campaigns, tracker and filters.
async fn stage(
    c: &aws_sdk_personalize::Client,
    name: &str,
    schemas: &[String; 3],
    files: &[std::path::PathBuf; 3],
) -> Group {
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let [s_int, s_items, s_users] = schemas;
    let ds_int = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", s_int).await;
    let ds_items = create_dataset(c, &dsg, name, &format!("{name}-items"), "Items", s_items).await;
    let ds_users = create_dataset(c, &dsg, name, &format!("{name}-users"), "Users", s_users).await;
    for (job, ds, file) in
        [("int", &ds_int, &files[0]), ("items", &ds_items, &files[1]), ("users", &ds_users, &files[2])]
    {
        let j = import(c, &format!("{name}-{job}"), ds, &file_url(file), None).await;
        wait_active(c, &Res::ImportJob(j)).await;
    }

    let up_sol = create_solution(c, &dsg, &format!("{name}-up"), "aws-user-personalization").await;
    let pop_sol = create_solution(c, &dsg, &format!("{name}-pop"), "aws-popularity-count").await;
    let pr_sol = create_solution(c, &dsg, &format!("{name}-pr"), "aws-personalized-ranking").await;
    let (up_v, pop_v, pr_v) = (train(c, &up_sol).await, train(c, &pop_sol).await, train(c, &pr_sol).await);
    // No exploration: the list is the model's ranking, so filtered lists are exactly predictable.
    let exploit = CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build();
    let up = create_campaign(c, &format!("{name}-up"), &up_v, exploit).await;
    let pop = create_campaign(c, &format!("{name}-pop"), &pop_v, CampaignConfig::builder().build()).await;
    let pr = create_campaign(c, &format!("{name}-pr"), &pr_v, CampaignConfig::builder().build()).await;
    let tracking_id = create_tracker(c, &format!("{name}-tracker"), &dsg).await;

    let filter = |suffix: &str, expression: &'static str| {
        let name = format!("{name}-{suffix}");
        let dsg = dsg.clone();
        async move { create_filter(c, &dsg, &name, expression).await }
    };
    Group {
        f_genre: filter("genre", r#"INCLUDE ItemID WHERE Items.GENRE IN ($G)"#).await,
        f_purchase: filter("purchase", r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#).await,
        f_price: filter(
            "price",
            r#"INCLUDE ItemID WHERE Items.PRICE <= $P | EXCLUDE ItemID WHERE Items.GENRE IN ($G)"#,
        )
        .await,
        f_not_genre: filter("not-genre", r#"EXCLUDE ItemID WHERE Items.GENRE IN ($G)"#).await,
        f_vip: filter("vip", r#"INCLUDE ItemID WHERE Items.GENRE IN ("x") IF CurrentUser.SEGMENT IN ("vip")"#).await,
        f_recent: filter("recent", "INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > NOW() - 30d").await,
        f_window: filter(
            "window",
            r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") AND Interactions.TIMESTAMP > NOW() - 7d"#,
        )
        .await,
        f_age: filter("age", "EXCLUDE ItemID WHERE Items.GENRE IN ($G) IF CurrentUser.AGE >= $AGE").await,
        f_any: filter("any", r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")"#).await,
        dsg,
        ds_items,
        ds_users,
        up,
        pop,
        pr,
        tracking_id,
    }
}

/// The staged catalogue.
fn base_catalog(now: i64) -> HashMap<String, Meta> {
    (0..N_ITEMS).map(|i| (item(i), meta(i, now))).collect()
}

/// PutItems: a brand-new item (`fresh`, `z|x`, 0.3, created now), and `i01` re-created a day ago.
async fn put_new_items(ev: &aws_sdk_personalizeevents::Client, ds_items: &str, now: i64) {
    ok(
        ev.put_items()
            .dataset_arn(ds_items)
            .items(
                Item::builder()
                    .item_id("fresh")
                    .properties(format!(r#"{{"genre":"z|x","price":0.3,"creationTimestamp":{now}}}"#))
                    .build()
                    .unwrap(),
            )
            .items(
                Item::builder()
                    .item_id("i01")
                    .properties(format!(r#"{{"genre":"y","price":1.8,"creationTimestamp":{}}}"#, now - DAY))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "PutItems",
    );
}

/// The catalogue after [`put_new_items`].
fn put_catalog(now: i64) -> HashMap<String, Meta> {
    let mut catalog = base_catalog(now);
    catalog.insert("fresh".into(), Meta { genres: vec!["z".into(), "x".into()], price: 0.3, created: now });
    catalog.get_mut("i01").unwrap().created = now - DAY;
    catalog
}

/// The items of `catalog` created within 30 days of `now`.
fn recent(catalog: &HashMap<String, Meta>, now: i64) -> BTreeSet<String> {
    catalog.iter().filter(|(_, m)| m.created > now - 30 * DAY).map(|(i, _)| i.clone()).collect()
}

/// The x items of the staged catalogue.
#[track_caller]
fn x_items_of(catalog: &HashMap<String, Meta>) -> BTreeSet<String> {
    let is_x = genre_is_in(catalog, "x");
    let x_items: BTreeSet<String> = catalog.keys().filter(|i| is_x(i)).cloned().collect();
    assert_eq!(x_items.len(), 14, "10 plain x items and 4 multi-valued ones");
    x_items
}

/// 100 purchases of `i02` by `heavy`, after its purchase of `i01` (at `now - 5000`).
async fn put_heavy_purchases(ev: &aws_sdk_personalizeevents::Client, tracking_id: &str, now: i64) {
    for batch in 0..10 {
        let events = (0..10).map(|k| event("purchase", "i02", now - 4000 + batch * 10 + k)).collect();
        put_events(ev, tracking_id, "heavy", events).await;
    }
}

/// Purchases by `u04` of `old` ten days ago and `recent` a minute ago.
async fn put_window_purchases(
    ev: &aws_sdk_personalizeevents::Client,
    tracking_id: &str,
    now: i64,
    old: &str,
    recent: &str,
) {
    put_events(
        ev,
        tracking_id,
        "u04",
        vec![event("purchase", old, now - 10 * DAY), event("purchase", recent, now - 60)],
    )
    .await;
}

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

// ---- Promotions (group `b`: the promoted cheap items include the put one) -----------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotions_fill_their_share_of_the_slots() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let catalog = put_catalog(fx.now);
    let (is_x, is_z) = (genre_is_in(&catalog, "x"), genre_is_in(&catalog, "z"));
    let u = Some("u05");
    let r = list(get(rt, &g.up, u, ALL, None, &[]).await, "u05");
    // 20 % of 10 slots: two z items, the other eight pass the request's x filter.
    let out = ok(
        promoted(
            rt,
            &g.up,
            u,
            10,
            Some((&g.f_genre, r#""x""#)),
            promotion("z-promo", 20, &g.f_genre, &[("G", r#""z""#)]),
        )
        .await,
        "promotion",
    );
    let (promo, rest) = split_promoted(out.item_list(), "z-promo");
    assert_eq!(promo, restrict(&r, 2, &is_z), "the best two z items, in model order");
    assert_eq!(rest, restrict(&r, 8, &is_x), "the other slots follow the request filter");
    // Overlapping filters: no item twice; the request slots continue below the promoted ones.
    let out = ok(
        promoted(
            rt,
            &g.up,
            u,
            10,
            Some((&g.f_genre, r#""x""#)),
            promotion("x-promo", 20, &g.f_genre, &[("G", r#""x""#)]),
        )
        .await,
        "overlapping promotion",
    );
    let (promo, rest) = split_promoted(out.item_list(), "x-promo");
    let xs = restrict(&r, 10, &is_x);
    assert_eq!(promo, xs[..2].to_vec());
    assert_eq!(rest, xs[2..].to_vec());
    // Fewer qualifying items than slots: all five (i00, i10, i20, i30 and the put item) get
    // promoted, the rest is unfiltered.
    let out = ok(
        promoted(rt, &g.up, u, 10, None, promotion("cheap", 100, &g.f_price, &[("P", "0.3")])).await,
        "promotion of four items",
    );
    let (promo, rest) = split_promoted(out.item_list(), "cheap");
    assert_eq!(promo, restrict(&r, 10, cheap_in(&catalog, 0.3)));
    assert_eq!(promo.len(), 5, "{promo:?}");
    assert!(promo.iter().any(|i| i == "fresh"), "{promo:?}");
    assert_eq!(rest, restrict(&r, 5, |i| !promo.iter().any(|p| p == i)));
    // Slots round to the nearest, at least one.
    for (percent, slots) in [(25, 3), (1, 1), (100, 10)] {
        let out = ok(
            promoted(rt, &g.up, u, 10, None, promotion("z", percent, &g.f_genre, &[("G", r#""z""#)])).await,
            "promotion",
        );
        let (promo, rest) = split_promoted(out.item_list(), "z");
        assert_eq!(promo, restrict(&r, slots, &is_z), "{percent} % of 10");
        assert_eq!(rest, restrict(&r, 10 - slots, |i| !promo.iter().any(|p| p == i)), "{percent} % of 10");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promoted_items_take_random_positions() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let u = Some("u05");
    let mut positions = HashSet::new();
    for _ in 0..20 {
        let out =
            ok(promoted(rt, &g.up, u, 10, None, promotion("z", 20, &g.f_genre, &[("G", r#""z""#)])).await, "promotion");
        let at: Vec<usize> =
            out.item_list().iter().enumerate().filter(|(_, i)| i.promotion_name().is_some()).map(|(k, _)| k).collect();
        assert_eq!(at.len(), 2);
        positions.insert(at);
    }
    assert!(positions.len() > 1, "promoted positions never change: {positions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_popularity_campaign_promotes_too() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let catalog = put_catalog(fx.now);
    let (is_x, is_z) = (genre_is_in(&catalog, "x"), genre_is_in(&catalog, "z"));
    let popular = list(get(rt, &g.pop, None, ALL, None, &[]).await, "popular");
    let out = ok(
        promoted(
            rt,
            &g.pop,
            None,
            10,
            Some((&g.f_genre, r#""x""#)),
            promotion("pz", 30, &g.f_genre, &[("G", r#""z""#)]),
        )
        .await,
        "popular promotion",
    );
    let (promo, rest) = split_promoted(out.item_list(), "pz");
    assert_eq!(promo, restrict(&popular, 3, &is_z));
    assert_eq!(rest, restrict(&popular, 7, &is_x));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_promotions_are_refused() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let u = Some("u05");
    // A promotion needs a filter, with its INCLUDE parameters.
    let no_filter = Promotion::builder().name("nf").percent_promoted_items(20).build();
    let msg =
        expect_code(promoted(rt, &g.up, u, 10, None, no_filter).await, "InvalidInputException", "promotion w/o filter");
    assert!(msg.contains("filterArn"), "{msg}");
    let msg = expect_code(
        promoted(rt, &g.up, u, 10, None, promotion("z", 20, &g.f_genre, &[])).await,
        "InvalidInputException",
        "promotion without G",
    );
    assert!(msg.contains("parameter G"), "{msg}");
    // percentPromotedItems is 1 to 100; at most one promotion.
    for percent in [0, 101] {
        let msg = expect_code(
            promoted(rt, &g.up, u, 10, None, promotion("z", percent, &g.f_genre, &[("G", r#""z""#)])).await,
            "InvalidInputException",
            "percentPromotedItems out of range",
        );
        assert!(msg.contains("percentPromotedItems"), "{msg}");
    }
    let msg = expect_code(
        rt.get_recommendations()
            .campaign_arn(&g.up)
            .user_id("u05")
            .promotions(promotion("a", 10, &g.f_genre, &[("G", r#""z""#)]))
            .promotions(promotion("b", 10, &g.f_genre, &[("G", r#""x""#)]))
            .send()
            .await,
        "InvalidInputException",
        "two promotions",
    );
    assert!(msg.contains("promotions"), "{msg}");
}

// ---- After a restart filters see the same data --------------------------------------------------

/// Restarts a server, so it stages a group on a server of its own, and writes to it what the
/// tests above write (each checked there): a purchase, the heavy and windowed purchases,
/// PutUsers and PutItems.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_see_the_same_data_after_a_restart() {
    let now = unix_now();
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let mut server = Server::start(&data_dir);
    let (c, rt, ev) = (&server.control.clone(), &server.runtime.clone(), &server.events.clone());
    let files = write_data(&tmp.path().join("csv"), now);
    let schemas = create_schemas(c).await;
    let g = &stage(c, "flt", &schemas, &files).await;
    let f0 = list(get(rt, &g.up, Some("u01"), ALL, Some(&g.f_purchase), &[]).await, "no purchases");
    put_events(ev, &g.tracking_id, "u01", vec![event("Purchase", &f0[0], now)]).await;
    put_events(ev, &g.tracking_id, "heavy", vec![event("purchase", "i01", now - 5000)]).await;
    put_heavy_purchases(ev, &g.tracking_id, now).await;
    let r = list(get(rt, &g.up, Some("u04"), ALL, None, &[]).await, "u04");
    put_window_purchases(ev, &g.tracking_id, now, &r[0], &r[1]).await;
    put_user(ev, &g.ds_users, "u00", 20, "std").await;
    put_user(ev, &g.ds_users, "u01", 21, "vip").await;
    put_new_items(ev, &g.ds_items, now).await;

    // Filter definitions, put items and users, and real-time events all come back from storage.
    let probes: Vec<Probe> = vec![
        ("genre", &g.up, Some("u03"), &g.f_genre, vec![("G", r#""z""#)]),
        ("purchases", &g.up, Some("u01"), &g.f_purchase, vec![]),
        ("window", &g.up, Some("heavy"), &g.f_purchase, vec![]),
        ("window", &g.up, Some("u04"), &g.f_window, vec![]),
        ("price", &g.up, Some("u02"), &g.f_price, vec![("P", "4.8")]),
        ("vip", &g.up, Some("u01"), &g.f_vip, vec![]),
        ("vip", &g.up, Some("u00"), &g.f_vip, vec![]),
        ("recent", &g.up, Some("u03"), &g.f_recent, vec![]),
        ("recent", &g.pop, None, &g.f_recent, vec![]),
    ];
    let mut before = Vec::new();
    for (what, camp, user, filter, values) in &probes {
        before.push(list(get(rt, camp, *user, ALL, Some(filter), values).await, what));
    }
    server.kill();
    server = Server::start(&data_dir);
    let rt = &server.runtime.clone();
    for ((what, camp, user, filter, values), want) in probes.iter().zip(&before) {
        let got = list(get(rt, camp, *user, ALL, Some(filter), values).await, what);
        assert_eq!(&got, want, "{what} ({user:?}) after a restart");
    }
}

/// Whether an item of `catalog` costs at most `max` (a snapshot of the catalogue).
fn cheap_in(catalog: &HashMap<String, Meta>, max: f64) -> impl Fn(&str) -> bool {
    let catalog = catalog.clone();
    move |id: &str| catalog.get(id).is_some_and(|m| m.price <= max)
}

/// Whether an item of `catalog` has genre `g` (a snapshot of the catalogue).
fn genre_is_in(catalog: &HashMap<String, Meta>, g: &'static str) -> impl Fn(&str) -> bool {
    let catalog = catalog.clone();
    move |id: &str| catalog.get(id).is_some_and(|m| m.genres.iter().any(|x| x == g))
}
