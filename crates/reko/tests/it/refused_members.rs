//! Request members Reko cannot honour are refused, naming the member, and nothing is created
//! (docs/request-members.md): never stored and ignored.

use crate::common::*;
use aws_sdk_personalize::types::{
    AutoMlConfig, BatchInferenceJobConfig, BatchInferenceJobInput, BatchInferenceJobOutput, CampaignConfig, HpoConfig,
    HpoObjective, S3DataConfig, SolutionConfig,
};

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// The solutions of a dataset group, by name.
async fn solution_names(c: &aws_sdk_personalize::Client, dsg: &str) -> Vec<String> {
    let listed = ok(c.list_solutions().dataset_group_arn(dsg).send().await, "ListSolutions");
    listed.solutions().iter().filter_map(|s| s.name().map(str::to_string)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_ml_config_and_metric_regex_are_refused() {
    let server = shared_server();
    let c = &server.control;
    let dsg = create_dataset_group(c, "refused-solution-members").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;

    // autoMLConfig only means something with performAutoML=true, which Reko does not implement.
    let auto_ml = SolutionConfig::builder()
        .auto_ml_config(AutoMlConfig::builder().metric_name("precision_at_25").recipe_list(POPULARITY_RECIPE).build())
        .build();
    let message = expect_code(
        c.create_solution()
            .name("refused-automl")
            .dataset_group_arn(&dsg)
            .recipe_arn(POPULARITY_RECIPE)
            .solution_config(auto_ml)
            .send()
            .await,
        "InvalidInputException",
        "CreateSolution with solutionConfig.autoMLConfig",
    );
    assert!(message.contains("solutionConfig.autoMLConfig") && message.contains("performAutoML"), "{message}");

    // metricRegex finds a metric in a custom algorithm's logs; Reko's objective is metricName.
    let objective = HpoObjective::builder().r#type("Maximize").metric_name("coverage").metric_regex("cov.*").build();
    let hpo = SolutionConfig::builder().hpo_config(HpoConfig::builder().hpo_objective(objective).build()).build();
    let message = expect_code(
        c.create_solution()
            .name("refused-metric-regex")
            .dataset_group_arn(&dsg)
            .recipe_arn("arn:aws:personalize:::recipe/aws-sims")
            .perform_hpo(true)
            .solution_config(hpo)
            .send()
            .await,
        "InvalidInputException",
        "CreateSolution with hpoObjective.metricRegex",
    );
    assert!(
        message.contains("'solutionConfig.hpoConfig.hpoObjective.metricRegex'") && message.contains("cov.*"),
        "{message}"
    );
    assert_eq!(solution_names(c, &dsg).await, Vec::<String>::new(), "a refused solution was stored");

    // The same objective without metricRegex is honoured: the solution is created.
    let honoured = SolutionConfig::builder()
        .hpo_config(
            HpoConfig::builder()
                .hpo_objective(HpoObjective::builder().r#type("Maximize").metric_name("coverage").build())
                .build(),
        )
        .build();
    ok(
        c.create_solution()
            .name("honoured-objective")
            .dataset_group_arn(&dsg)
            .recipe_arn("arn:aws:personalize:::recipe/aws-sims")
            .perform_hpo(true)
            .solution_config(honoured)
            .send()
            .await,
        "CreateSolution with hpoObjective",
    );
    assert_eq!(solution_names(c, &dsg).await, vec!["honoured-objective".to_string()]);
}

/// `itemExplorationConfig` with `explorationWeight` `w`.
fn explore(w: &str) -> CampaignConfig {
    CampaignConfig::builder().item_exploration_config("explorationWeight", w).build()
}

/// Only User-Personalization explores: another recipe's campaign or batch job asking for
/// exploration is refused (Personalize's default weight, 0.3, counts as asking); weight 0 is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exploration_is_refused_for_a_recipe_that_does_not_explore() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let g = create_dataset_group(c, "no-explore").await;
    wait_active(c, &Res::DatasetGroup(g.clone())).await;
    let schema = create_schema(c, "no-explore-interactions", INTERACTIONS).await;
    let dataset = create_dataset(c, &g, "no-explore", "no-explore-interactions", "Interactions", &schema).await;
    let mut rows = String::from("USER_ID,EVENT_TYPE,ITEM_ID,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},click,i{},{}\n", k % 60, (k * 7 + k / 60) % 40, 1_700_000_000 + k));
    }
    std::fs::write(tmp.path().join("interactions.csv"), rows).unwrap();
    let job = import(c, "no-explore-import", &dataset, &file_url(&tmp.path().join("interactions.csv")), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let solution = create_solution(c, &g, "no-explore-pop", "aws-popularity-count").await;
    let version = train(c, &solution).await;

    let create = |name: &'static str, config: CampaignConfig| {
        c.create_campaign().name(name).solution_version_arn(&version).campaign_config(config).send()
    };
    for config in
        [explore("0.5"), CampaignConfig::builder().item_exploration_config("explorationItemAgeCutOff", "7").build()]
    {
        let message = expect_code(create("no-explore-camp", config).await, "InvalidInputException", "CreateCampaign");
        assert!(
            message.contains("campaignConfig.itemExplorationConfig") && message.contains("aws-popularity-count"),
            "{message}"
        );
    }
    expect_code(
        c.describe_campaign().campaign_arn(arn("campaign", "no-explore-camp")).send().await,
        "ResourceNotFoundException",
        "the refused campaign was not created",
    );
    // Weight 0 asks for nothing a popularity model does not do.
    let campaign = create_campaign(c, "no-explore-camp", &version, explore("0")).await;
    let message = expect_code(
        c.update_campaign().campaign_arn(&campaign).campaign_config(explore("1")).send().await,
        "InvalidInputException",
        "UpdateCampaign",
    );
    assert!(message.contains("campaignConfig.itemExplorationConfig"), "{message}");
    let described = ok(c.describe_campaign().campaign_arn(&campaign).send().await, "DescribeCampaign");
    let config = described.campaign().and_then(|x| x.campaign_config()).and_then(|x| x.item_exploration_config());
    assert_eq!(config.and_then(|m| m.get("explorationWeight")).map(String::as_str), Some("0"), "{described:?}");
    assert!(described.campaign().and_then(|x| x.latest_campaign_update()).is_none(), "{described:?}");

    let input = tmp.path().join("users.json");
    std::fs::write(&input, "{\"userId\": \"u1\"}\n").unwrap();
    let location = |path: &std::path::Path| S3DataConfig::builder().path(file_url(path)).build().unwrap();
    let output = S3DataConfig::builder().path(tmp.path().join("out").to_str().unwrap()).build().unwrap();
    let message = expect_code(
        c.create_batch_inference_job()
            .job_name("no-explore-batch")
            .solution_version_arn(&version)
            .job_input(BatchInferenceJobInput::builder().s3_data_source(location(&input)).build())
            .job_output(BatchInferenceJobOutput::builder().s3_data_destination(output).build())
            .role_arn("arn:aws:iam::123456789012:role/PersonalizeRole")
            .batch_inference_job_config(
                BatchInferenceJobConfig::builder().item_exploration_config("explorationWeight", "0.3").build(),
            )
            .send()
            .await,
        "InvalidInputException",
        "CreateBatchInferenceJob",
    );
    assert!(
        message.contains("batchInferenceJobConfig.itemExplorationConfig") && message.contains("aws-popularity-count"),
        "{message}"
    );
}
