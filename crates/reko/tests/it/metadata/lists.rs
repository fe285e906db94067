//! Recommended, ranked and promoted items carry the metadata staged for them.

use super::*;

// ---- the tests ----------------------------------------------------------------------------------

#[test]
fn the_staged_catalogue_covers_what_the_checks_rely_on() {
    let catalog = base_catalog();
    assert_eq!(catalog["i03"].price, Some("4.8".into()), "written 4.80");
    assert_eq!(catalog["i10"].price, Some("1.3".into()), "written 1.30");
    assert_eq!(catalog["i13"].price, None);
    assert_eq!(catalog["i12"].description, None);
    assert_eq!(catalog["i05"].genre, "y|x");
    assert_eq!(catalog["i00"].stock, -20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_campaign_shows_the_metadata_flag() {
    let fx = fixture();
    let c = &control_client(&fx.url);
    let described = ok(c.describe_campaign().campaign_arn(&fx.a.up).send().await, "DescribeCampaign");
    let config = described.campaign().and_then(|x| x.campaign_config()).expect("campaignConfig");
    assert_eq!(config.enable_metadata_with_recommendations(), Some(true));
}

// ---- GetRecommendations: every column of every item ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_carry_every_column_as_staged() {
    let fx = fixture();
    let (g, rt, catalog) = (&fx.a, &runtime_client(&fx.url), base_catalog());
    let n = MAX_WITH_METADATA as i32;
    let out = ok(recs(rt, &g.up, "u01", n, Some(("ITEMS", &ALL_COLS))).await, "all columns");
    assert_eq!(out.item_list().len(), N_ITEMS, "the whole catalogue fits in 50");
    check(out.item_list(), &catalog, &ALL_COLS, "all columns");
    // Spot checks, independent of the Row model.
    let got: HashMap<_, _> = metadata_of(out.item_list(), "all columns").into_iter().collect();
    let want_i03 = [
        ("TITLE", "Title 3"),
        ("GENRE", "w"),
        ("PRICE", "4.8"),
        ("DESCRIPTION", "Red, large, item 3"),
        ("STOCK", "1"),
        ("ON_SALE", "true"),
        ("CREATION_TIMESTAMP", "1600259200"),
    ];
    assert_eq!(got["i03"], want_i03.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    assert_eq!(got["i13"].get("PRICE"), None, "a null PRICE is left out: {:?}", got["i13"]);
    assert_eq!(got["i12"].get("DESCRIPTION"), None, "a null DESCRIPTION is left out: {:?}", got["i12"]);
    assert_eq!(got["i12"].len(), ALL_COLS.len() - 1);
    assert_eq!(got["i25"]["GENRE"], "y|x", "a multi-valued categorical as imported");
    assert_eq!(got["i21"]["PRICE"], "3.8");
    assert_eq!(got["i00"]["STOCK"], "-20");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_columns_do_not_change_the_list() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let n = MAX_WITH_METADATA as i32;
    let out = ok(recs(rt, &g.up, "u01", n, Some(("ITEMS", &ALL_COLS))).await, "all columns");
    // The list is the same as without metadataColumns; without them no item has metadata.
    let plain = ok(recs(rt, &g.up, "u01", n, None).await, "no metadataColumns");
    assert_eq!(ids(plain.item_list()), ids(out.item_list()), "metadata does not change the ranking");
    assert!(plain.item_list().iter().all(|i| i.metadata().is_none()), "{:?}", plain.item_list());
    // An empty column list asks for nothing.
    let empty = ok(recs(rt, &g.up, "u01", 5, Some(("ITEMS", &[]))).await, "metadataColumns ITEMS: []");
    assert!(empty.item_list().iter().all(|i| i.metadata().is_none_or(|m| m.is_empty())), "{empty:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn some_columns_return_exactly_those_keys() {
    let fx = fixture();
    let (g, rt, catalog) = (&fx.a, &runtime_client(&fx.url), base_catalog());
    for cols in [&["PRICE"][..], &["GENRE", "ON_SALE"], &["CREATION_TIMESTAMP", "DESCRIPTION", "STOCK"]] {
        let out = ok(recs(rt, &g.up, "u02", 10, Some(("ITEMS", cols))).await, "some columns");
        assert_eq!(out.item_list().len(), 10);
        check(out.item_list(), &catalog, cols, "some columns");
    }
    // numResults up to 50 with metadata, fewer results than the catalogue.
    let out = ok(recs(rt, &g.up, "u03", 3, Some(("ITEMS", &["GENRE", "PRICE"]))).await, "three");
    assert_eq!(out.item_list().len(), 3);
    check(out.item_list(), &catalog, &["GENRE", "PRICE"], "three");
}

// ---- GetPersonalizedRanking ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personalized_ranking_carries_metadata() {
    let fx = fixture();
    let (g, rt, catalog) = (&fx.a, &runtime_client(&fx.url), base_catalog());
    // 50 inputs (the maximum): the 40 items and 10 the Items dataset does not know (empty metadata).
    let input = full_input();
    let out = ok(rank(rt, &g.pr, "u04", &input, Some(("ITEMS", &ALL_COLS))).await, "rank all columns");
    let ranked = out.personalized_ranking();
    assert_eq!(ranked.len(), MAX_WITH_METADATA);
    assert_eq!(ids(ranked).into_iter().collect::<BTreeSet<_>>(), input.iter().cloned().collect());
    check(ranked, &catalog, &ALL_COLS, "rank all columns");
    for it in ranked.iter().filter(|i| i.item_id().unwrap().starts_with("ghost")) {
        assert_eq!(it.metadata().map(|m| m.len()), Some(0), "an item without a record: {it:?}");
    }
    let plain = ok(rank(rt, &g.pr, "u04", &input, None).await, "rank without metadata");
    assert_eq!(ids(plain.personalized_ranking()), ids(ranked), "metadata does not change the ranking");
    assert!(plain.personalized_ranking().iter().all(|i| i.metadata().is_none()));
    let out = ok(rank(rt, &g.pr, "u04", &input[..5], Some(("ITEMS", &["PRICE"]))).await, "rank price");
    check(out.personalized_ranking(), &catalog, &["PRICE"], "rank price");
}

// ---- Promoted items carry metadata too ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promoted_items_carry_metadata() {
    let fx = fixture();
    let (g, catalog) = (&fx.a, base_catalog());
    let (c, rt) = (&control_client(&fx.url), &runtime_client(&fx.url));
    let f_genre = ok(
        c.create_filter()
            .name("md-genre")
            .dataset_group_arn(&g.dsg)
            .filter_expression("INCLUDE ItemID WHERE Items.GENRE IN ($G)")
            .send()
            .await,
        "CreateFilter",
    )
    .filter_arn()
    .expect("filterArn")
    .to_string();
    let started = std::time::Instant::now();
    loop {
        assert!(started.elapsed() < WAIT, "filter {f_genre} not ACTIVE after {WAIT:?}");
        let f = ok(c.describe_filter().filter_arn(&f_genre).send().await, "DescribeFilter");
        match f.filter().and_then(|f| f.status()) {
            Some("ACTIVE") => break,
            Some("CREATE PENDING" | "CREATE IN_PROGRESS") => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            other => panic!("filter is {other:?}"),
        }
    }
    let promotion = Promotion::builder()
        .name("zs")
        .percent_promoted_items(50)
        .filter_arn(&f_genre)
        .filter_values("G", r#""z""#)
        .build();
    let out = ok(
        rt.get_recommendations()
            .campaign_arn(&g.up)
            .user_id("u07")
            .num_results(10)
            .filter_arn(&f_genre)
            .filter_values("G", r#""x""#)
            .promotions(promotion)
            .metadata_columns("ITEMS", vec!["GENRE".into(), "PRICE".into()])
            .send()
            .await,
        "filter and promotion",
    );
    assert_eq!(out.item_list().len(), 10);
    check(out.item_list(), &catalog, &["GENRE", "PRICE"], "filter and promotion");
    for it in out.item_list() {
        let genre = &it.metadata().unwrap()["GENRE"];
        let want = if it.promotion_name() == Some("zs") { "z" } else { "x" };
        assert!(genre.split('|').any(|g| g == want), "{it:?}");
    }
}
