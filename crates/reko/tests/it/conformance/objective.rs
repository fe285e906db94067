//! `solutionConfig.optimizationObjective`: validated against the Items schema, honoured in the
//! served lists, measured by `average_rewards_at_k` (the objective-optimization notebook's flow).

use aws_sdk_personalize::types::{ObjectiveSensitivity, OptimizationObjective};

use super::*;

const ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"ROYALTY","type":"float"},{"name":"GENRE","type":["null","string"],"categorical":true}],"version":"1.0"}"#;

/// The value of item `i<n>`: the notebook's royalties, negated (cheaper is better).
fn royalty(item: &str) -> f64 {
    const VALUES: [f64; 8] = [0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.05, 0.10];
    -VALUES[item[1..].parse::<usize>().unwrap() % 8]
}

fn objective(attribute: &str, sensitivity: ObjectiveSensitivity) -> SolutionConfig {
    SolutionConfig::builder()
        .optimization_objective(
            OptimizationObjective::builder().item_attribute(attribute).objective_sensitivity(sensitivity).build(),
        )
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimization_objective_is_validated_honoured_and_measured() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let dsg = super::solutions::small_trainable_group(c, &tmp.path().join("csv"), "royalties", 60).await;
    let create = |name: &str, recipe_name: &str, config: SolutionConfig| {
        c.create_solution()
            .name(name)
            .dataset_group_arn(&dsg)
            .recipe_arn(recipe(recipe_name))
            .solution_config(config)
            .send()
    };

    // Without an Items dataset the objective has no column to read.
    let msg = expect_code(
        create("early", "aws-user-personalization", objective("ROYALTY", ObjectiveSensitivity::High)).await,
        "InvalidInputException",
        "CreateSolution(objective, no Items dataset)",
    );
    assert!(msg.contains("ROYALTY") && msg.contains("Items dataset"), "{msg}");

    let schema = create_schema(c, "royalties-items", ITEMS_SCHEMA).await;
    let items = create_dataset(c, &dsg, "royalties", "royalties-items", "Items", &schema).await;
    let mut csv = String::from("ITEM_ID,ROYALTY,GENRE\n");
    for i in 0..50 {
        let item = format!("i{i}");
        csv.push_str(&format!("{item},{},{}\n", royalty(&item), if i % 2 == 0 { "Drama" } else { "Comedy" }));
    }
    let file = tmp.path().join("items.csv");
    std::fs::write(&file, csv).unwrap();
    let job = import(c, "royalties-items", &items, &file_url(&file), None).await;
    wait_active(c, &Res::ImportJob(job)).await;

    // The column must exist, be numeric, and the recipe must optimize for objectives.
    for (attribute, recipe_name, expected) in [
        ("PRICE", "aws-user-personalization", "names no field"),
        ("GENRE", "aws-user-personalization", "numeric"),
        ("ROYALTY", "aws-sims", "aws-sims"),
    ] {
        let msg = expect_code(
            create("bad", recipe_name, objective(attribute, ObjectiveSensitivity::Low)).await,
            "InvalidInputException",
            &format!("CreateSolution(objective {attribute} on {recipe_name})"),
        );
        assert!(msg.contains(expected) && msg.contains("optimizationObjective"), "{msg}");
    }

    // OFF and HIGH, as the notebook compares them.
    let mut mean_royalty = Vec::new();
    for (name, sensitivity) in [("off", ObjectiveSensitivity::Off), ("high", ObjectiveSensitivity::High)] {
        let sol = ok(
            create(name, "aws-user-personalization", objective("ROYALTY", sensitivity.clone())).await,
            "CreateSolution",
        )
        .solution_arn()
        .unwrap()
        .to_string();
        let described = ok(c.describe_solution().solution_arn(&sol).send().await, "DescribeSolution");
        let kept = described.solution().unwrap().solution_config().unwrap().optimization_objective().unwrap();
        assert_eq!((kept.item_attribute(), kept.objective_sensitivity()), (Some("ROYALTY"), Some(&sensitivity)));
        let sv = train(c, &sol).await;
        let metrics = ok(c.get_solution_metrics().solution_version_arn(&sv).send().await, "GetSolutionMetrics");
        let reward = metrics.metrics().unwrap()["average_rewards_at_k"];
        assert!(reward > 0.0 && reward <= 1.0, "{name}: average_rewards_at_k {reward}");
        let camp = deploy(c, &format!("royalties-{name}"), &sv).await;
        let mut total = 0.0;
        for u in 0..20 {
            let recs = ok(
                server
                    .runtime
                    .get_recommendations()
                    .campaign_arn(&camp)
                    .user_id(format!("u{u}"))
                    .num_results(10)
                    .send()
                    .await,
                "GetRecommendations",
            );
            let list = ids(recs.item_list());
            assert_eq!(list.len(), 10);
            total += list.iter().map(|i| royalty(i)).sum::<f64>();
        }
        mean_royalty.push(total / 200.0);
    }
    // Cheaper titles (higher values) fill the HIGH lists.
    assert!(
        mean_royalty[1] > mean_royalty[0],
        "mean value of the lists: OFF {}, HIGH {}",
        mean_royalty[0],
        mean_royalty[1]
    );
}
