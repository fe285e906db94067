//! Metadata follows PutItems, incremental imports, UpdateCampaign and a restart.

use super::*;

// ---- PutItems and incremental imports (group `b`) -----------------------------------------------

/// One sequence: each step's expected records build on the one before (the import must be newer
/// than a put record, and put items must survive it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_items_and_incremental_imports_replace_item_records() {
    let fx = fixture();
    let g = &fx.b;
    let (c, rt, ev) = (&control_client(&fx.url), &runtime_client(&fx.url), &events_client(&fx.url));
    let mut catalog = base_catalog();
    let n = MAX_WITH_METADATA as i32;
    // Changed and new items, visible in the next response.
    put_changed_and_new_items(ev, &g.ds_items, &mut catalog).await;
    let out = ok(recs(rt, &g.up, "u01", n, Some(("ITEMS", &ALL_COLS))).await, "after PutItems");
    assert_eq!(out.item_list().len(), N_ITEMS + 1, "User-Personalization serves the new item");
    check(out.item_list(), &catalog, &ALL_COLS, "after PutItems");
    let got: HashMap<_, _> = metadata_of(out.item_list(), "after PutItems").into_iter().collect();
    assert_eq!((got["i03"]["GENRE"].as_str(), got["i03"]["PRICE"].as_str()), ("z|w", "19.99"));
    assert!(!got["i03"].contains_key("DESCRIPTION"), "{:?}", got["i03"]);
    assert_eq!(got["i13"]["PRICE"], "4.8", "was null");
    assert_eq!(got["fresh"]["DESCRIPTION"], "brand, new");
    let out = ok(
        rank(rt, &g.pr, "u04", &["fresh".into(), "i03".into(), "i13".into()], Some(("ITEMS", &["GENRE", "PRICE"])))
            .await,
        "rank after PutItems",
    );
    assert_eq!(out.personalized_ranking().len(), 3);
    check(out.personalized_ranking(), &catalog, &["GENRE", "PRICE"], "rank after PutItems");
    // A second put of the same item: the newest record wins.
    put_i03_again(ev, &g.ds_items, &mut catalog).await;
    let out = ok(recs(rt, &g.up, "u05", n, Some(("ITEMS", &["GENRE", "PRICE"]))).await, "after a second PutItems");
    check(out.item_list(), &catalog, &["GENRE", "PRICE"], "after a second PutItems");

    // An incremental import replaces an item's record, a put one too.
    let dir = tempfile::tempdir_in(fx.interactions_csv.parent().unwrap()).unwrap();
    import_item_updates(c, "md-put", &g.ds_items, dir.path(), &mut catalog).await;
    let out = ok(recs(rt, &g.up, "u06", n, Some(("ITEMS", &ALL_COLS))).await, "after an incremental import");
    check(out.item_list(), &catalog, &ALL_COLS, "after an incremental import");
    let got: HashMap<_, _> = metadata_of(out.item_list(), "after an incremental import").into_iter().collect();
    assert_eq!(got["i10"]["PRICE"], "2.5");
    assert_eq!(got["i13"]["DESCRIPTION"], "from import, newer", "the import is newer than the put record");
    assert_eq!(got["fresh"]["TITLE"], "Fresh", "put items survive an incremental import");
}

// ---- UpdateCampaign turns metadata on -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_campaign_turns_metadata_on() {
    let fx = fixture();
    let (c, rt) = (&control_client(&fx.url), &runtime_client(&fx.url));
    enable_metadata(c, &fx.up_update).await;
    let out = ok(recs(rt, &fx.up_update, "u08", 10, Some(("ITEMS", &ALL_COLS))).await, "after UpdateCampaign");
    check(out.item_list(), &base_catalog(), &ALL_COLS, "after UpdateCampaign");
}

// ---- After a restart: the same metadata, read back from storage ---------------------------------

/// Restarts a server, so it stages a group on a server of its own, and writes to it what the
/// tests above write (each checked there): the puts, the incremental import, the UpdateCampaign.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_the_same_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let mut server = Server::start(&data_dir);
    let (c, rt, ev) = (&server.control.clone(), &server.runtime.clone(), &server.events.clone());
    let files = write_data(&tmp.path().join("csv"));
    let schemas = create_schemas(c).await;
    let g = &stage(c, "md", &schemas, &files).await;
    let mut catalog = base_catalog();
    put_changed_and_new_items(ev, &g.ds_items, &mut catalog).await;
    put_i03_again(ev, &g.ds_items, &mut catalog).await;
    import_item_updates(c, "md", &g.ds_items, &tmp.path().join("csv"), &mut catalog).await;
    enable_metadata(c, &g.up_plain).await;
    let n = MAX_WITH_METADATA as i32;
    let input = full_input();

    let before = ok(recs(rt, &g.up, "u09", n, Some(("ITEMS", &ALL_COLS))).await, "before restart");
    check(before.item_list(), &catalog, &ALL_COLS, "before restart");
    server.kill();
    server = Server::start(&data_dir);
    let rt = &server.runtime.clone();
    let after = ok(recs(rt, &g.up, "u09", n, Some(("ITEMS", &ALL_COLS))).await, "after restart");
    assert_eq!(after.item_list(), before.item_list(), "the same list and metadata after a restart");
    let out = ok(recs(rt, &g.up_plain, "u08", 10, Some(("ITEMS", &["PRICE"]))).await, "updated campaign, restart");
    check(out.item_list(), &catalog, &["PRICE"], "updated campaign after a restart");
    let out = ok(rank(rt, &g.pr, "u04", &input, Some(("ITEMS", &ALL_COLS))).await, "rank after restart");
    check(out.personalized_ranking(), &catalog, &ALL_COLS, "rank after restart");
    invalid(
        rank(rt, &g.pr_plain, "u01", &input[..3], Some(("ITEMS", &["GENRE"]))).await,
        &["enableMetadataWithRecommendations"],
        "no flag after a restart",
    );
    // COLUMNS is the schema; the error lists it whole.
    let msg = expect_code(
        recs(rt, &g.up, "u01", 10, Some(("ITEMS", &["COLOR"]))).await,
        "InvalidInputException",
        "unknown column after restart",
    );
    for col in COLUMNS {
        assert!(msg.contains(col), "{msg} lists {col}");
    }
}

// ---- A dataset group without an Items dataset has no metadata to return -------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_without_an_items_dataset_has_no_metadata() {
    let fx = fixture();
    let (c, rt) = (&control_client(&fx.url), &runtime_client(&fx.url));
    let bare = create_dataset_group(c, "md-bare").await;
    wait_active(c, &Res::DatasetGroup(bare.clone())).await;
    let ds = create_dataset(c, &bare, "md-bare", "md-bare-int", "Interactions", &arn("schema", "md-int")).await;
    let j = import(c, "md-bare-int", &ds, &file_url(&fx.interactions_csv), None).await;
    wait_active(c, &Res::ImportJob(j)).await;
    let bare_v = train_recipe(c, &bare, "md-bare-up", "aws-user-personalization").await;
    let bare_up = campaign(c, "md-bare-up", &bare_v, Some(true), false).await;
    wait_active(c, &Res::Campaign(bare_up.clone())).await;
    invalid(
        recs(rt, &bare_up, "u01", 10, Some(("ITEMS", &["GENRE"]))).await,
        &["Items dataset", &bare],
        "no Items dataset",
    );
    let out = ok(recs(rt, &bare_up, "u01", 10, None).await, "no Items dataset, no metadataColumns");
    assert_eq!(out.item_list().len(), 10);
}
