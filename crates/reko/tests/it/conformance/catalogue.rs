//! The service-owned catalogue beyond recipes: DescribeAlgorithm and DescribeFeatureTransformation
//! for the ARNs DescribeRecipe names.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn algorithms_and_feature_transformations_describe_what_solutions_accept() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let up = ok(c.describe_recipe().recipe_arn(recipe("aws-user-personalization")).send().await, "DescribeRecipe");
    let algorithm_arn = up.recipe().unwrap().algorithm_arn().unwrap().to_string();
    let algorithm = ok(c.describe_algorithm().algorithm_arn(&algorithm_arn).send().await, "DescribeAlgorithm");
    let algorithm = algorithm.algorithm().unwrap();
    assert_eq!(algorithm.algorithm_arn(), Some(algorithm_arn.as_str()));
    let defaults = algorithm.default_hyper_parameters().unwrap();
    assert_eq!(defaults.get("hidden_dimension").map(String::as_str), Some("64"));
    let ranges = algorithm.default_hyper_parameter_ranges().unwrap();
    let factors =
        ranges.integer_hyper_parameter_ranges().iter().find(|r| r.name() == Some("hidden_dimension")).unwrap();
    assert_eq!((factors.min_value(), factors.max_value(), factors.is_tunable()), (32, 256, true));
    let scaling =
        ranges.categorical_hyper_parameter_ranges().iter().find(|r| r.name() == Some("event_value_scaling")).unwrap();
    assert_eq!(scaling.values(), ["auto", "none", "linear", "log", "quantile"]);
    assert_eq!(
        algorithm.default_resource_config().unwrap().get("maxNumberOfTrainingJobs").map(String::as_str),
        Some("8")
    );
    // Every default is accepted by CreateSolution as it stands (the catalogue describes the real limits).
    let dsg = create_dataset_group(c, "catalogue").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let mut config = SolutionConfig::builder();
    for (k, v) in defaults {
        config = config.algorithm_hyper_parameters(k, v);
    }
    ok(
        c.create_solution()
            .name("catalogue-defaults")
            .dataset_group_arn(&dsg)
            .recipe_arn(recipe("aws-user-personalization"))
            .solution_config(config.build())
            .send()
            .await,
        "CreateSolution(the algorithm's defaults)",
    );

    let trending = ok(c.describe_recipe().recipe_arn(recipe("aws-trending-now")).send().await, "DescribeRecipe");
    let ft_arn = trending.recipe().unwrap().feature_transformation_arn().unwrap().to_string();
    let ft = ok(
        c.describe_feature_transformation().feature_transformation_arn(&ft_arn).send().await,
        "DescribeFeatureTransformation",
    );
    let ft = ft.feature_transformation().unwrap();
    assert_eq!(ft.status(), Some("ACTIVE"));
    assert_eq!(ft.default_parameters().unwrap().get("trend_discovery_frequency").map(String::as_str), Some("3 hours"));

    let msg = expect_code(
        c.describe_algorithm().algorithm_arn("arn:aws:personalize:::algorithm/aws-nope").send().await,
        "ResourceNotFoundException",
        "DescribeAlgorithm(unknown)",
    );
    assert!(msg.contains("aws-nope"), "{msg}");
    expect_code(
        c.describe_feature_transformation()
            .feature_transformation_arn("arn:aws:personalize:::feature-transformation/nope")
            .send()
            .await,
        "ResourceNotFoundException",
        "DescribeFeatureTransformation(unknown)",
    );
}
