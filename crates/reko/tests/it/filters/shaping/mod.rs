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

mod expressions;
mod promotions;
mod restart;
