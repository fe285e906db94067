//! The recipes through the wire: the official AWS SDK for Rust trains every recipe on
//! MovieLens 100K in a real `reko serve`, deploys campaigns and checks what each serves.

use std::collections::HashMap;

use crate::common::*;
use aws_sdk_personalize::types::{
    CampaignConfig, HpoConfig, HpoResourceConfig, HyperParameterRanges, IntegerHyperParameterRange, TrainingMode,
};
use aws_sdk_personalizeruntime::types::PredictedItem;

/// Creates a solution with `recipe`, trains one version and returns (solution, version).
async fn train(
    c: &aws_sdk_personalize::Client,
    dsg: &str,
    name: &str,
    recipe_arn: &str,
    configure: impl FnOnce(
        aws_sdk_personalize::operation::create_solution::builders::CreateSolutionFluentBuilder,
    ) -> aws_sdk_personalize::operation::create_solution::builders::CreateSolutionFluentBuilder,
) -> (String, String) {
    let request = c.create_solution().name(name).dataset_group_arn(dsg).recipe_arn(recipe_arn);
    let sol = ok(configure(request).send().await, "CreateSolution").solution_arn().unwrap().to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .unwrap()
        .to_string();
    wait_active(c, &Res::SolutionVersion(sv.clone())).await;
    (sol, sv)
}

async fn metrics(c: &aws_sdk_personalize::Client, sv: &str) -> HashMap<String, f64> {
    let out = ok(c.get_solution_metrics().solution_version_arn(sv).send().await, "GetSolutionMetrics");
    let metrics = out.metrics().cloned().unwrap_or_default();
    for key in METRIC_KEYS {
        assert!(metrics.contains_key(key), "{sv}: metric {key} missing from {metrics:?}");
    }
    metrics
}

fn scores(items: &[PredictedItem]) -> Vec<Option<f64>> {
    items.iter().map(|i| i.score()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recipe_trains_and_serves_through_the_sdk() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(ml) = convert_movielens("every_recipe_trains_and_serves_through_the_sdk", &tmp.path().join("csv")) else {
        return;
    };
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let rt = &server.runtime;

    let dsg = create_dataset_group(c, "recipes").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let s_int = create_schema(c, "recipes-int", ML_INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, "recipes-items", ML_ITEMS_SCHEMA).await;
    let s_users = create_schema(c, "recipes-users", ML_USERS_SCHEMA).await;
    let ds_int = create_dataset(c, &dsg, "recipes", "recipes-int", "Interactions", &s_int).await;
    let ds_items = create_dataset(c, &dsg, "recipes", "recipes-items", "Items", &s_items).await;
    let ds_users = create_dataset(c, &dsg, "recipes", "recipes-users", "Users", &s_users).await;
    for (job, ds, file) in [
        ("recipes-int", &ds_int, &ml.interactions),
        ("recipes-items", &ds_items, &ml.items),
        ("recipes-users", &ds_users, &ml.users),
    ] {
        let j = import(c, job, ds, &file_url(file), None).await;
        wait_active(c, &Res::ImportJob(j)).await;
    }

    // Every recipe Reko trains is listed.
    let listed = ok(c.list_recipes().send().await, "ListRecipes");
    let names: Vec<&str> = listed.recipes().iter().filter_map(|r| r.name()).collect();
    for name in [
        "aws-popularity-count",
        "aws-user-personalization",
        "aws-personalized-ranking",
        "aws-sims",
        "aws-similar-items",
        "aws-trending-now",
    ] {
        assert!(names.contains(&name), "{name} not in ListRecipes: {names:?}");
    }

    // ---- User-Personalization ------------------------------------------------------------
    let (_, pop_sv) = train(c, &dsg, "recipes-pop", POPULARITY_RECIPE, |b| b).await;
    let (up_sol, up_sv) = train(c, &dsg, "recipes-up", &recipe("aws-user-personalization"), |b| b).await;
    let up_metrics = metrics(c, &up_sv).await;
    let pop_metrics = metrics(c, &pop_sv).await;
    let ndcg = "normalized_discounted_cumulative_gain_at_10";
    assert!(
        up_metrics[ndcg] > pop_metrics[ndcg],
        "User-Personalization ({}) must beat popularity ({}) on {ndcg}",
        up_metrics[ndcg],
        pop_metrics[ndcg]
    );
    // The ratings are EVENT_VALUEs: the training chose how they count and says what it chose.
    let described = ok(c.describe_solution_version().solution_version_arn(&up_sv).send().await, "Describe(UP)");
    let chosen = described
        .solution_version()
        .and_then(|v| v.tuned_hpo_params())
        .and_then(|t| t.algorithm_hyper_parameters())
        .and_then(|p| p.get("event_value_scaling"))
        .cloned();
    assert!(matches!(chosen.as_deref(), Some("none" | "linear" | "log")), "tunedHPOParams: {chosen:?}");
    // Without exploration the list is the model's ranking, best first.
    let up_campaign = ok(
        c.create_campaign()
            .name("recipes-up")
            .solution_version_arn(&up_sv)
            .campaign_config(CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build())
            .send()
            .await,
        "CreateCampaign(UP)",
    )
    .campaign_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Campaign(up_campaign.clone())).await;
    let recs = ok(
        rt.get_recommendations().campaign_arn(&up_campaign).user_id("1").num_results(10).send().await,
        "GetRecommendations(UP)",
    );
    let items = recs.item_list();
    assert_eq!(items.len(), 10);
    assert!(scores(items).iter().all(|s| s.is_some_and(|s| s > 0.0 && s < 1.0)), "UP scores: {:?}", scores(items));
    assert!(scores(items).windows(2).all(|w| w[0] >= w[1]), "sorted by descending score");
    // Different users get different lists; an unknown user still gets items.
    let other =
        ok(rt.get_recommendations().campaign_arn(&up_campaign).user_id("2").num_results(10).send().await, "GetRecs");
    assert_ne!(ids(items), ids(other.item_list()), "personalised lists differ between users");
    // `reason`: nothing for the model's own ranking, "Popular item" for a user it does not know.
    assert!(items.iter().all(|i| i.reason().is_empty()), "{items:?}");
    let cold =
        ok(rt.get_recommendations().campaign_arn(&up_campaign).user_id("nobody").num_results(5).send().await, "cold");
    assert_eq!(cold.item_list().len(), 5);
    assert!(cold.item_list().iter().all(|i| i.reason() == ["Popular item"]), "{:?}", cold.item_list());
    expect_code(
        rt.get_recommendations().campaign_arn(&up_campaign).send().await,
        "InvalidInputException",
        "GetRecommendations(UP without userId)",
    );
    // Exploration settings are validated when the campaign is created.
    expect_code(
        c.create_campaign()
            .name("recipes-bad-exploration")
            .solution_version_arn(&up_sv)
            .campaign_config(CampaignConfig::builder().item_exploration_config("explorationWeight", "1.5").build())
            .send()
            .await,
        "InvalidInputException",
        "CreateCampaign(explorationWeight 1.5)",
    );
    // rankingInfluence belongs to Semantic-Similarity, which Reko does not train: refused, never ignored.
    let message = expect_code(
        c.create_campaign()
            .name("recipes-ranking-influence")
            .solution_version_arn(&up_sv)
            .campaign_config(
                CampaignConfig::builder()
                    .ranking_influence(aws_sdk_personalize::types::RankingInfluenceType::Popularity, 0.5)
                    .build(),
            )
            .send()
            .await,
        "InvalidInputException",
        "CreateCampaign(rankingInfluence)",
    );
    assert!(message.contains("rankingInfluence") && message.contains("aws-semantic-similarity"), "{message}");
    // trainingMode UPDATE refreshes the User-Personalization model without a full retrain.
    let update = ok(
        c.create_solution_version().solution_arn(&up_sol).training_mode(TrainingMode::Update).send().await,
        "CreateSolutionVersion(UPDATE)",
    )
    .solution_version_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::SolutionVersion(update.clone())).await;
    let described = ok(c.describe_solution_version().solution_version_arn(&update).send().await, "Describe(UPDATE)");
    assert_eq!(described.solution_version().and_then(|v| v.training_mode()), Some(&TrainingMode::Update));
    // It keeps what the FULL training chose for itself (the model it refreshes was fitted so).
    let tuned = |v: &aws_sdk_personalize::types::SolutionVersion| {
        v.tuned_hpo_params().and_then(|t| t.algorithm_hyper_parameters()).cloned().unwrap_or_default()
    };
    let full = ok(c.describe_solution_version().solution_version_arn(&up_sv).send().await, "Describe(FULL)");
    let full_tuned = tuned(full.solution_version().unwrap());
    assert!(full_tuned.contains_key("hidden_dimension"), "self-tuning reports its choices: {full_tuned:?}");
    assert_eq!(tuned(described.solution_version().unwrap()), full_tuned);

    // ---- Personalized-Ranking ------------------------------------------------------------
    let (_, rank_sv) = train(c, &dsg, "recipes-rank", &recipe("aws-personalized-ranking"), |b| b).await;
    metrics(c, &rank_sv).await;
    let rank_campaign = deploy(c, "recipes-rank", &rank_sv).await;
    let input: Vec<String> = ["50", "181", "1", "not-an-item", "100"].iter().map(|s| s.to_string()).collect();
    let ranked = ok(
        rt.get_personalized_ranking()
            .campaign_arn(&rank_campaign)
            .user_id("1")
            .set_input_list(Some(input.clone()))
            .send()
            .await,
        "GetPersonalizedRanking",
    );
    let ranking = ranked.personalized_ranking();
    assert_eq!(ranking.len(), input.len());
    assert_eq!(ranking.last().and_then(|i| i.item_id()), Some("not-an-item"), "unknown items go last");
    assert!(ranking.last().unwrap().score().is_none(), "an unknown item has no score");
    let total: f64 = ranking.iter().filter_map(|i| i.score()).sum();
    assert!((total - 1.0).abs() < 1e-3, "ranking scores are a softmax over the known input items: sum {total}");
    expect_code(
        rt.get_recommendations().campaign_arn(&rank_campaign).user_id("1").send().await,
        "InvalidInputException",
        "GetRecommendations on a PERSONALIZED_RANKING campaign",
    );

    // ---- SIMS (with HPO) -----------------------------------------------------------------
    let hpo = HpoConfig::builder()
        .hpo_resource_config(HpoResourceConfig::builder().max_number_of_training_jobs("3").build())
        .algorithm_hyper_parameter_ranges(
            HyperParameterRanges::builder()
                .integer_hyper_parameter_ranges(
                    IntegerHyperParameterRange::builder()
                        .name("min_cointeraction_count")
                        .min_value(1)
                        .max_value(5)
                        .build(),
                )
                .build(),
        )
        .build();
    let (_, sims_sv) = train(c, &dsg, "recipes-sims", &recipe("aws-sims"), |b| {
        b.perform_hpo(true)
            .solution_config(aws_sdk_personalize::types::SolutionConfig::builder().hpo_config(hpo).build())
    })
    .await;
    metrics(c, &sims_sv).await;
    let described = ok(c.describe_solution_version().solution_version_arn(&sims_sv).send().await, "Describe(SIMS)");
    let tuned = described
        .solution_version()
        .and_then(|v| v.tuned_hpo_params())
        .and_then(|t| t.algorithm_hyper_parameters())
        .cloned()
        .unwrap_or_default();
    assert!(tuned.contains_key("min_cointeraction_count"), "HPO reports the chosen value: {tuned:?}");
    let sims_campaign = deploy(c, "recipes-sims", &sims_sv).await;
    let related = ok(
        rt.get_recommendations().campaign_arn(&sims_campaign).item_id("50").num_results(10).send().await,
        "GetRecommendations(SIMS)",
    );
    let related_ids = ids(related.item_list());
    assert!(!related_ids.contains(&"50".to_string()), "an item is not its own neighbour");
    assert!(
        related_ids.iter().any(|i| i == "181" || i == "172"),
        "Star Wars' neighbours include another Star Wars film: {related_ids:?}"
    );
    assert!(related.item_list().iter().all(|i| i.score().is_none()), "SIMS returns no scores");
    let unknown = ok(
        rt.get_recommendations().campaign_arn(&sims_campaign).item_id("no-such-item").num_results(5).send().await,
        "GetRecommendations(SIMS, unknown item)",
    );
    assert_eq!(unknown.item_list().len(), 5, "an unknown item gets popular items");
    expect_code(
        rt.get_recommendations().campaign_arn(&sims_campaign).user_id("1").send().await,
        "InvalidInputException",
        "GetRecommendations(SIMS without itemId)",
    );
    expect_code(
        c.create_solution_version()
            .solution_arn(arn("solution", "recipes-sims"))
            .training_mode(TrainingMode::Update)
            .send()
            .await,
        "InvalidInputException",
        "CreateSolutionVersion(UPDATE on SIMS)",
    );

    // ---- Similar-Items and Trending-Now ---------------------------------------------------
    let (_, similar_sv) = train(c, &dsg, "recipes-similar", &recipe("aws-similar-items"), |b| b).await;
    metrics(c, &similar_sv).await;
    let similar_campaign = deploy(c, "recipes-similar", &similar_sv).await;
    let similar = ok(
        rt.get_recommendations().campaign_arn(&similar_campaign).item_id("50").num_results(10).send().await,
        "GetRecommendations(Similar-Items)",
    );
    assert_eq!(similar.item_list().len(), 10);
    let (_, trending_sv) = train(c, &dsg, "recipes-trending", &recipe("aws-trending-now"), |b| b).await;
    metrics(c, &trending_sv).await;
    let trending_campaign = deploy(c, "recipes-trending", &trending_sv).await;
    let trending = ok(
        rt.get_recommendations().campaign_arn(&trending_campaign).num_results(10).send().await,
        "GetRecommendations(Trending-Now)",
    );
    assert_eq!(trending.item_list().len(), 10);
}
