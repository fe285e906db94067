//! Control-plane errors and pagination.

use super::*;

/// Pagination of dataset groups and schemas, duplicates refused, and deletion emptying the list:
/// a server of its own, since it counts every dataset group there is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dataset_groups_and_schemas_paginate_refuse_duplicates_and_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;

    // Five dataset groups, paginated two at a time.
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(create_dataset_group(c, &format!("page-dsg-{i}")).await);
    }
    for a in &created {
        wait_active(c, &Res::DatasetGroup(a.clone())).await;
    }
    let (listed, pages) = collect_pages(2, |token| async move {
        let out = ok(c.list_dataset_groups().max_results(2).set_next_token(token).send().await, "ListDatasetGroups");
        for s in out.dataset_groups() {
            assert!(s.status().is_some() && s.name().is_some(), "{s:?}");
        }
        (
            out.dataset_groups().iter().map(|d| d.dataset_group_arn().unwrap().to_string()).collect::<Vec<_>>(),
            out.next_token().map(str::to_string),
        )
    })
    .await;
    assert_eq!(pages, 3, "5 dataset groups at 2 per page");
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert_eq!(listed.iter().collect::<HashSet<_>>(), created.iter().collect::<HashSet<_>>());
    let all = ok(c.list_dataset_groups().send().await, "ListDatasetGroups");
    assert_eq!(all.dataset_groups().len(), 5);
    assert!(all.next_token().is_none());
    {
        use aws_sdk_personalize::operation::RequestId;
        assert!(all.request_id().is_some_and(|r| !r.is_empty()), "x-amzn-RequestId header missing");
    }

    // Schemas paginate too.
    for i in 0..3 {
        create_schema(c, &format!("page-schema-{i}"), reko_synth::users_schema()).await;
    }
    let (schemas, pages) = collect_pages(2, |token| async move {
        let out = ok(c.list_schemas().max_results(2).set_next_token(token).send().await, "ListSchemas");
        (
            out.schemas().iter().map(|s| s.name().unwrap().to_string()).collect::<Vec<_>>(),
            out.next_token().map(str::to_string),
        )
    })
    .await;
    assert_eq!((schemas.len(), pages), (3, 2));

    // Duplicates.
    expect_code(
        c.create_dataset_group().name("page-dsg-0").send().await,
        "ResourceAlreadyExistsException",
        "CreateDatasetGroup(duplicate)",
    );
    expect_code(
        c.create_schema().name("page-schema-0").schema(reko_synth::users_schema()).send().await,
        "ResourceAlreadyExistsException",
        "CreateSchema(duplicate)",
    );

    // Deletion.
    for a in &created {
        ok(c.delete_dataset_group().dataset_group_arn(a).send().await, "DeleteDatasetGroup");
    }
    for a in &created {
        wait_gone(c, &Res::DatasetGroup(a.clone())).await;
    }
    let all = ok(c.list_dataset_groups().send().await, "ListDatasetGroups");
    assert!(all.dataset_groups().is_empty());
}

/// Describing, deleting or using an unknown resource is ResourceNotFoundException.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_resources_are_not_found() {
    let server = shared_server();
    let c = &server.control;

    // Not found.
    expect_code(
        c.describe_dataset_group().dataset_group_arn(arn("dataset-group", "nope")).send().await,
        "ResourceNotFoundException",
        "DescribeDatasetGroup(unknown)",
    );
    expect_code(
        c.describe_schema().schema_arn(arn("schema", "nope")).send().await,
        "ResourceNotFoundException",
        "DescribeSchema(unknown)",
    );
    expect_code(
        c.describe_solution().solution_arn(arn("solution", "nope")).send().await,
        "ResourceNotFoundException",
        "DescribeSolution(unknown)",
    );
    expect_code(
        c.describe_campaign().campaign_arn(arn("campaign", "nope")).send().await,
        "ResourceNotFoundException",
        "DescribeCampaign(unknown)",
    );
    expect_code(
        c.delete_dataset_group().dataset_group_arn(arn("dataset-group", "nope")).send().await,
        "ResourceNotFoundException",
        "DeleteDatasetGroup(unknown)",
    );
    expect_code(
        c.create_dataset()
            .name("ds")
            .dataset_group_arn(arn("dataset-group", "nope"))
            .dataset_type("Interactions")
            .schema_arn(arn("schema", "not-found-schema"))
            .send()
            .await,
        "ResourceNotFoundException",
        "CreateDataset(unknown dataset group)",
    );
    expect_code(
        c.create_solution_version().solution_arn(arn("solution", "nope")).send().await,
        "ResourceNotFoundException",
        "CreateSolutionVersion(unknown solution)",
    );
}

/// Malformed names, limits, ARNs, schemas, dataset types and tokens are InvalidInputException
/// (InvalidNextTokenException for the token), as is a dataset whose schema is of another type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_refused() {
    let server = shared_server();
    let c = &server.control;
    let dsg = create_dataset_group(c, "invalid-input").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let users_schema = create_schema(c, "invalid-input-users", reko_synth::users_schema()).await;

    // Invalid input.
    for bad in ["bad name!", "-leading-dash", &"x".repeat(64)] {
        expect_code(
            c.create_dataset_group().name(bad).send().await,
            "InvalidInputException",
            &format!("CreateDatasetGroup(name {bad:?})"),
        );
    }
    expect_code(
        c.list_dataset_groups().max_results(1000).send().await,
        "InvalidInputException",
        "ListDatasetGroups(maxResults=1000)",
    );
    expect_code(c.list_recipes().max_results(101).send().await, "InvalidInputException", "ListRecipes(maxResults=101)");
    expect_code(
        c.describe_dataset_group().dataset_group_arn("notanarn").send().await,
        "InvalidInputException",
        "DescribeDatasetGroup(bad ARN)",
    );
    expect_code(
        c.create_schema().name("invalid-input-bad-schema").schema("{not json").send().await,
        "InvalidInputException",
        "CreateSchema(unparseable)",
    );
    expect_code(
        c.create_dataset()
            .name("ds")
            .dataset_group_arn(&dsg)
            .dataset_type("Nonsense")
            .schema_arn(&users_schema)
            .send()
            .await,
        "InvalidInputException",
        "CreateDataset(bad datasetType)",
    );
    let msg = expect_code(
        c.list_dataset_groups().next_token("definitely-not-a-token").send().await,
        "InvalidNextTokenException",
        "ListDatasetGroups(bad nextToken)",
    );
    assert!(!msg.is_empty());

    // A dataset needs a schema of its type.
    let items_schema = create_schema(c, "schema-type-items-schema", reko_synth::items_schema()).await;
    expect_code(
        c.create_dataset()
            .name("ds")
            .dataset_group_arn(&dsg)
            .dataset_type("Interactions")
            .schema_arn(&items_schema)
            .send()
            .await,
        "InvalidInputException",
        "CreateDataset(Items schema for an Interactions dataset)",
    );
}

/// Training without any imported data fails the version (with a reason), and a failed version
/// cannot be deployed; a group with a solution and a dataset cannot be deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_without_data_fails_the_version() {
    let server = shared_server();
    let c = &server.control;
    let dsg = create_dataset_group(c, "no-data").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;

    // Training without any imported data fails the version (with a reason), and a failed
    // version cannot be deployed.
    let int_schema = create_schema(c, "no-data-int-schema", reko_synth::interactions_schema()).await;
    let ds = ok(
        c.create_dataset()
            .name("empty-int")
            .dataset_group_arn(&dsg)
            .dataset_type("Interactions")
            .schema_arn(&int_schema)
            .send()
            .await,
        "CreateDataset",
    )
    .dataset_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Dataset(ds.clone())).await;
    let sol = ok(
        c.create_solution().name("no-data").dataset_group_arn(&dsg).recipe_arn(POPULARITY_RECIPE).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .unwrap()
        .to_string();
    let (status, reason) = wait_settled(c, &Res::SolutionVersion(sv.clone()), WAIT).await;
    assert_eq!(status, "CREATE FAILED", "training without data");
    assert!(reason.is_some_and(|r| !r.is_empty()), "failureReason missing");
    expect_code(
        c.create_campaign().name("on-failed-version").solution_version_arn(&sv).send().await,
        "ResourceInUseException",
        "CreateCampaign(failed solution version)",
    );
    expect_code(
        c.delete_dataset_group().dataset_group_arn(&dsg).send().await,
        "ResourceInUseException",
        "DeleteDatasetGroup(with a solution and a dataset)",
    );
    ok(c.delete_solution().solution_arn(&sol).send().await, "DeleteSolution");
    wait_gone(c, &Res::Solution(sol)).await;
    ok(c.delete_dataset().dataset_arn(&ds).send().await, "DeleteDataset");
    wait_gone(c, &Res::Dataset(ds)).await;
}

/// Only recipes Reko really trains are listed, one page at a time; DescribeRecipe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_trainable_recipes_are_listed() {
    let server = shared_server();
    let c = &server.control;

    // ---- Recipes -------------------------------------------------------------------------
    // Only recipes Reko really trains are listed (issue: "ListRecipes lists only recipes that
    // really work"); paginate one at a time so the token path is exercised.
    let (recipes, pages) = collect_pages(1, |token| async move {
        let out = ok(c.list_recipes().max_results(1).set_next_token(token).send().await, "ListRecipes");
        (
            out.recipes().iter().map(|r| r.recipe_arn().expect("recipeArn").to_string()).collect::<Vec<_>>(),
            out.next_token().map(str::to_string),
        )
    })
    .await;
    assert_eq!(pages, recipes.len(), "one recipe per page with maxResults=1");
    let unique: HashSet<&String> = recipes.iter().collect();
    assert_eq!(unique.len(), recipes.len(), "duplicate recipes across pages");
    assert!(recipes.contains(&POPULARITY_RECIPE.to_string()), "{recipes:?}");
    assert!(
        !recipes.iter().any(|r| r.ends_with("/aws-semantic-similarity")),
        "recipes that are not trainable yet must not be listed: {recipes:?}"
    );
    let domain =
        ok(c.list_recipes().domain(aws_sdk_personalize::types::Domain::Ecommerce).send().await, "ListRecipes(domain)");
    assert!(
        !domain.recipes().is_empty()
            && domain.recipes().iter().all(|r| r.recipe_arn().is_some_and(|a| a.contains("/aws-ecomm-"))),
        "a domain lists its use cases: {:?}",
        domain.recipes()
    );
    expect_code(
        c.create_solution()
            .name("sims-not-yet")
            .dataset_group_arn("arn:aws:personalize:us-east-1:123456789012:dataset-group/none")
            .recipe_arn("arn:aws:personalize:::recipe/aws-sims")
            .send()
            .await,
        "ResourceNotFoundException",
        "CreateSolution(unknown dataset group)",
    );
    let recipe = ok(c.describe_recipe().recipe_arn(POPULARITY_RECIPE).send().await, "DescribeRecipe");
    let recipe = recipe.recipe().expect("recipe");
    assert_eq!(recipe.name(), Some("aws-popularity-count"));
    assert_eq!(recipe.recipe_arn(), Some(POPULARITY_RECIPE));
    assert_eq!(recipe.status(), Some("ACTIVE"));
    assert!(recipe.recipe_type().is_some_and(|t| !t.is_empty()));
    expect_code(
        c.describe_recipe().recipe_arn("arn:aws:personalize:::recipe/aws-no-such-recipe").send().await,
        "ResourceNotFoundException",
        "DescribeRecipe(unknown)",
    );
}
