//! Filter CRUD, limits and CreateFilter errors.

use super::*;

/// CreateFilter, then DescribeFilter until ACTIVE: every member as given, the dates in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_is_created_and_described() {
    let server = shared_server();
    let c = &server.control;
    // `crud-describe` has Interactions and Items (no Users).
    let dsg = create_dataset_group(c, "crud-describe").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let s_int = create_schema(c, "crud-describe-int", INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, "crud-describe-items", CRUD_ITEMS_SCHEMA).await;
    create_dataset(c, &dsg, "crud-describe", "crud-describe-int", "Interactions", &s_int).await;
    create_dataset(c, &dsg, "crud-describe", "crud-describe-items", "Items", &s_items).await;

    // ---- Create and describe --------------------------------------------------------------------
    let expression =
        r#"INCLUDE ItemID WHERE Items.GENRE IN ($G) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#;
    let before = unix_now() as f64 - 1.0;
    let out = ok(
        c.create_filter().name("crud-genre").dataset_group_arn(&dsg).filter_expression(expression).send().await,
        "CreateFilter",
    );
    let f1 = out.filter_arn().expect("filterArn").to_string();
    assert_eq!(f1, arn("filter", "crud-genre"));
    let first = ok(c.describe_filter().filter_arn(&f1).send().await, "DescribeFilter");
    let status = first.filter().and_then(|f| f.status()).unwrap_or_default().to_string();
    assert!(matches!(status.as_str(), "CREATE PENDING" | "ACTIVE"), "{status}");
    let f = wait_filter_active(c, &f1).await;
    let after = unix_now() as f64 + 1.0;
    assert_eq!(f.name(), Some("crud-genre"));
    assert_eq!(f.filter_arn(), Some(f1.as_str()));
    assert_eq!(f.dataset_group_arn(), Some(dsg.as_str()));
    assert_eq!(f.filter_expression(), Some(expression));
    assert_eq!(f.status(), Some("ACTIVE"));
    assert_eq!(f.failure_reason(), None);
    let created = f.creation_date_time().expect("creationDateTime").as_secs_f64();
    let updated = f.last_updated_date_time().expect("lastUpdatedDateTime").as_secs_f64();
    assert!(before <= created && created <= updated && updated <= after, "{before} {created} {updated} {after}");
}

/// CreateFilter errors: InvalidInputException naming the problem; nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_filter_errors_name_the_problem() {
    let server = shared_server();
    let c = &server.control;
    // `crud-errors` has Interactions and Items (no Users); `crud-errors2` has only Items.
    let dsg = create_dataset_group(c, "crud-errors").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let s_int = create_schema(c, "crud-errors-int", INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, "crud-errors-items", CRUD_ITEMS_SCHEMA).await;
    create_dataset(c, &dsg, "crud-errors", "crud-errors-int", "Interactions", &s_int).await;
    create_dataset(c, &dsg, "crud-errors", "crud-errors-items", "Items", &s_items).await;
    let dsg2 = create_dataset_group(c, "crud-errors2").await;
    wait_active(c, &Res::DatasetGroup(dsg2.clone())).await;
    create_dataset(c, &dsg2, "crud-errors2", "crud-errors2-items", "Items", &s_items).await;

    let expression =
        r#"INCLUDE ItemID WHERE Items.GENRE IN ($G) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#;
    // ---- CreateFilter errors: InvalidInputException naming the problem; nothing is stored -------
    let cases: &[(&str, &str, &[&str])] = &[
        (&dsg, r#"INCLUDE ItemID WHERE Items.GENRE INN ("a")"#, &["column 34", r#""IN", "NOT IN""#, r#"found "INN""#]),
        (&dsg, r#"INCLUDE ItemID WHERE Items.GENRE IN ("a") AND"#, &["column 46", "end of input"]),
        (&dsg, r#"INCLUDE ItemID WHERE Items.GENRES IN ("a")"#, &["Items.GENRES", "no field GENRES"]),
        // Field names match case-insensitively, but a field that does not exist is still named.
        (&dsg, r#"INCLUDE ItemID WHERE Items.genres IN ("a")"#, &["Items.genres", "no field genres"]),
        (&dsg, r#"INCLUDE ItemID WHERE Items.description IN ("a")"#, &["Items.description", "textual"]),
        (&dsg, r#"EXCLUDE ItemID WHERE Interactions.event IN ("a")"#, &["Interactions.event", "EVENT_TYPE"]),
        (&dsg, r#"INCLUDE ItemID WHERE Items.DESCRIPTION IN ("a")"#, &["Items.DESCRIPTION", "textual"]),
        (&dsg, "INCLUDE ItemID WHERE Items.ADULT = 1", &["Items.ADULT", "boolean"]),
        (&dsg, "INCLUDE ItemID WHERE Items.GENRE < 3", &["Items.GENRE", "numeric"]),
        (&dsg, r#"INCLUDE ItemID WHERE Items.PRICE IN ("cheap")"#, &["Items.PRICE", "cheap"]),
        (
            &dsg,
            r#"INCLUDE ItemID WHERE Items.GENRE IN ("a") AND Interactions.EVENT_TYPE IN ("b")"#,
            &["cannot mix Items and Interactions", "|"],
        ),
        (&dsg, "EXCLUDE ItemID WHERE Items.GENRE NOT IN ($G)", &["NOT IN", "$G"]),
        (&dsg, r#"INCLUDE ItemID WHERE CurrentUser.SEGMENT IN ("vip")"#, &["CurrentUser", "IF clause"]),
        (
            &dsg,
            r#"INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.SEGMENT IN ("vip")"#,
            &["CurrentUser.SEGMENT", "no Users dataset"],
        ),
        (&dsg2, r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#, &["no Interactions dataset"]),
    ];
    for (group, text, needles) in cases {
        let msg = expect_http(
            c.create_filter().name("crud-bad").dataset_group_arn(*group).filter_expression(*text).send().await,
            "InvalidInputException",
            400,
            text,
        );
        for needle in *needles {
            assert!(msg.contains(needle), "{text}\n  message: {msg}\n  wanted: {needle}");
        }
    }
    let msg = expect_code(
        c.create_filter().name("crud-bad").dataset_group_arn(&dsg).filter_expression("").send().await,
        "InvalidInputException",
        "empty expression",
    );
    assert!(msg.contains("filterExpression"), "{msg}");
    let long = format!("INCLUDE ItemID WHERE Items.GENRE IN ({})", vec![r#""aaaa""#; 400].join(", "));
    assert!(long.len() > 2500);
    let msg = expect_code(
        c.create_filter().name("crud-bad").dataset_group_arn(&dsg).filter_expression(long).send().await,
        "InvalidInputException",
        "expression over 2500 characters",
    );
    assert!(msg.contains("2500"), "{msg}");
    expect_code(
        c.create_filter()
            .name("crud-bad")
            .dataset_group_arn(arn("dataset-group", "nope"))
            .filter_expression(expression)
            .send()
            .await,
        "ResourceNotFoundException",
        "unknown dataset group",
    );
    // None of the failed creates left anything behind: the name is free.
    create_filter(c, &dsg, "crud-bad", "INCLUDE ItemID WHERE Items.PRICE <= $P").await;
}

/// Duplicate names, the quota of 10 filters per group, ListFilters (by group, everywhere, by
/// page), DeleteFilter, and a group holding a filter: a server of its own, since it lists every
/// filter there is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_names_quotas_listing_and_deletion() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;

    // `crud` has Interactions and Items (no Users); `crud2` has only Items.
    let dsg = create_dataset_group(c, "crud").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let s_int = create_schema(c, "crud-int", INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, "crud-items", CRUD_ITEMS_SCHEMA).await;
    create_dataset(c, &dsg, "crud", "crud-int", "Interactions", &s_int).await;
    create_dataset(c, &dsg, "crud", "crud-items", "Items", &s_items).await;
    let dsg2 = create_dataset_group(c, "crud2").await;
    wait_active(c, &Res::DatasetGroup(dsg2.clone())).await;
    let ds2_items = create_dataset(c, &dsg2, "crud2", "crud2-items", "Items", &s_items).await;

    let expression =
        r#"INCLUDE ItemID WHERE Items.GENRE IN ($G) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#;
    let f1 = create_filter(c, &dsg, "crud-genre", expression).await;
    let bad = create_filter(c, &dsg, "crud-bad", "INCLUDE ItemID WHERE Items.PRICE <= $P").await;

    // ---- Duplicate names (filter names are account-wide, as their ARNs) ---------------------------
    for group in [&dsg, &dsg2] {
        let msg = expect_http(
            c.create_filter()
                .name("crud-genre")
                .dataset_group_arn(group)
                .filter_expression(r#"INCLUDE ItemID WHERE Items.GENRE IN ("other")"#)
                .send()
                .await,
            "ResourceAlreadyExistsException",
            400,
            "duplicate name",
        );
        assert!(msg.contains("crud-genre"), "{msg}");
    }

    // ---- At most 10 filters per dataset group ---------------------------------------------------
    let mut mine = BTreeSet::from([f1.clone(), bad.clone()]);
    for k in 3..=10 {
        let text = format!(r#"INCLUDE ItemID WHERE Items.GENRE IN ("g{k}")"#);
        mine.insert(create_filter(c, &dsg, &format!("crud-f{k}"), &text).await);
    }
    let msg = expect_http(
        c.create_filter()
            .name("crud-f11")
            .dataset_group_arn(&dsg)
            .filter_expression(r#"INCLUDE ItemID WHERE Items.GENRE IN ("g11")"#)
            .send()
            .await,
        "LimitExceededException",
        400,
        "11th filter",
    );
    assert!(msg.contains(&dsg), "{msg}");
    // Another group has its own quota.
    let only2 = create_filter(c, &dsg2, "crud2-only", r#"INCLUDE ItemID WHERE Items.GENRE IN ("a")"#).await;

    // ---- ListFilters ------------------------------------------------------------------------------
    let listed = |group: Option<String>| async move {
        let out = ok(c.list_filters().set_dataset_group_arn(group).max_results(100).send().await, "ListFilters");
        assert_eq!(out.next_token(), None);
        out.filters().to_vec()
    };
    let in_crud = listed(Some(dsg.clone())).await;
    assert_eq!(in_crud.iter().map(|f| f.filter_arn().unwrap().to_string()).collect::<BTreeSet<_>>(), mine);
    assert_eq!(in_crud.len(), 10);
    for s in &in_crud {
        let arn_ = s.filter_arn().unwrap();
        assert_eq!(arn("filter", s.name().unwrap()), arn_);
        assert_eq!(s.dataset_group_arn(), Some(dsg.as_str()), "{arn_}");
        assert_eq!(s.status(), Some("ACTIVE"), "{arn_}");
        assert!(s.creation_date_time().is_some() && s.last_updated_date_time().is_some(), "{arn_}");
    }
    let in_crud2 = listed(Some(dsg2.clone())).await;
    assert_eq!(in_crud2.iter().map(|f| f.filter_arn().unwrap()).collect::<Vec<_>>(), [only2.as_str()]);
    let everywhere = listed(None).await;
    let mut all = mine.clone();
    all.insert(only2.clone());
    assert_eq!(everywhere.iter().map(|f| f.filter_arn().unwrap().to_string()).collect::<BTreeSet<_>>(), all);
    assert_eq!(everywhere.len(), 11);
    // One per page, following nextToken.
    let (paged, pages) = collect_pages(1, |token| {
        let req = c.list_filters().dataset_group_arn(&dsg).max_results(1).set_next_token(token);
        async move {
            let out = ok(req.send().await, "ListFilters page");
            (
                out.filters().iter().map(|f| f.filter_arn().unwrap().to_string()).collect::<Vec<_>>(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(pages, 10);
    assert_eq!(paged.len(), 10, "{paged:?}");
    assert_eq!(paged.into_iter().collect::<BTreeSet<_>>(), mine);

    // ---- DeleteFilter -------------------------------------------------------------------------
    ok(c.delete_filter().filter_arn(&f1).send().await, "DeleteFilter");
    wait_filter_gone(c, &f1).await;
    expect_http(
        c.describe_filter().filter_arn(&f1).send().await,
        "ResourceNotFoundException",
        400,
        "DescribeFilter(deleted)",
    );
    expect_code(c.delete_filter().filter_arn(&f1).send().await, "ResourceNotFoundException", "DeleteFilter twice");
    mine.remove(&f1);
    let in_crud = listed(Some(dsg.clone())).await;
    assert_eq!(in_crud.iter().map(|f| f.filter_arn().unwrap().to_string()).collect::<BTreeSet<_>>(), mine);
    // The quota has room again, and the deleted name can be reused.
    create_filter(c, &dsg, "crud-genre", r#"INCLUDE ItemID WHERE Items.GENRE IN ("again")"#).await;
    let f = ok(c.describe_filter().filter_arn(&f1).send().await, "DescribeFilter").filter().unwrap().clone();
    assert_eq!(f.filter_expression(), Some(r#"INCLUDE ItemID WHERE Items.GENRE IN ("again")"#));
    expect_code(
        c.create_filter()
            .name("crud-f11")
            .dataset_group_arn(&dsg)
            .filter_expression(r#"INCLUDE ItemID WHERE Items.GENRE IN ("g11")"#)
            .send()
            .await,
        "LimitExceededException",
        "11th filter again",
    );

    // ---- A dataset group holding a filter cannot be deleted -------------------------------------
    ok(c.delete_dataset().dataset_arn(&ds2_items).send().await, "DeleteDataset");
    wait_gone(c, &Res::Dataset(ds2_items.clone())).await;
    let msg = expect_http(
        c.delete_dataset_group().dataset_group_arn(&dsg2).send().await,
        "ResourceInUseException",
        400,
        "DeleteDatasetGroup with a filter",
    );
    assert!(msg.contains(&only2), "names the filter: {msg}");
    ok(c.delete_filter().filter_arn(&only2).send().await, "DeleteFilter");
    wait_filter_gone(c, &only2).await;
    ok(c.delete_dataset_group().dataset_group_arn(&dsg2).send().await, "DeleteDatasetGroup");
    wait_gone(c, &Res::DatasetGroup(dsg2.clone())).await;
    assert_eq!(listed(None).await.len(), 10);
}
