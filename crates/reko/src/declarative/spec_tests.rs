use super::*;

const FILE: &str = r#"
schemas:
  - name: shop-interactions
    schema:
      type: record
      name: Interactions
      namespace: com.amazonaws.personalize.schema
      fields:
        - {name: USER_ID, type: string}
        - {name: ITEM_ID, type: string}
        - {name: TIMESTAMP, type: long}
      version: "1.0"
  - name: shop-items
    schema: '{"type":"record","name":"Items","fields":[{"name":"ITEM_ID","type":"string"}],"version":"1.0"}'
datasetGroups:
  - name: shop
    datasets:
      - name: shop-interactions
        type: interactions
        schema: shop-interactions
        import:
          jobName: shop-interactions-1
          dataLocation: data/interactions.csv
    filters:
      - name: no-seen
        filterExpression: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")
    eventTrackers:
      - name: shop-events
    solutions:
      - name: shop-pop
        recipe: aws-popularity-count
      - name: shop-up
        recipe: arn:aws:personalize:::recipe/aws-user-personalization-v2
        performAutoTraining: false
        solutionConfig:
          algorithmHyperParameters:
            hidden_dimension: 64
            bptt: "16"
          autoTrainingConfig:
            schedulingExpression: rate(7 days)
    campaigns:
      - name: shop-campaign
        solution: shop-up
        minProvisionedTPS: 2
        campaignConfig:
          enableMetadataWithRecommendations: true
"#;

fn parse_err(text: &str) -> SpecError {
    parse(text).expect_err("the file is invalid")
}

#[test]
fn a_file_parses_into_its_resources() {
    let file = parse(FILE).unwrap();
    assert_eq!(file.schemas.len(), 2);
    // A schema given as JSON text and one given as a mapping read the same.
    assert_eq!(file.schemas[1].schema["fields"][0]["name"], "ITEM_ID");
    assert_eq!(file.schemas[0].schema["fields"][2]["type"], "long");
    let g = &file.dataset_groups[0];
    assert_eq!(g.datasets[0].import.as_ref().unwrap().data_location, "data/interactions.csv");
    assert_eq!(g.solutions[1].perform_auto_training, Some(false));
    let config = g.solutions[1].solution_config.as_ref().unwrap();
    // YAML numbers in a string map become the strings the API takes.
    let params = config.algorithm_hyper_parameters.as_ref().unwrap();
    assert_eq!(params["hidden_dimension"], "64");
    assert_eq!(params["bptt"], "16");
    assert_eq!(g.campaigns[0].min_provisioned_tps, Some(2));
    assert_eq!(g.campaigns[0].campaign_config.as_ref().unwrap().enable_metadata_with_recommendations, Some(true));
    assert_eq!(g.event_trackers[0].name, "shop-events");
}

#[test]
fn a_written_file_reads_back_the_same() {
    let file = parse(FILE).unwrap();
    let text = serde_norway::to_string(&file).unwrap();
    assert_eq!(parse(&text).unwrap(), file);
    // Members left out are not written.
    assert!(!text.contains("performHPO") && !text.contains("null"), "{text}");
}

#[test]
fn type_errors_name_the_member() {
    let text = FILE.replace("minProvisionedTPS: 2", "minProvisionedTPS: many");
    let e = parse_err(&text);
    assert_eq!(e.path, "datasetGroups[0].campaigns[0].minProvisionedTPS");
    assert!(e.message.contains("invalid type"), "{e}");
}

#[test]
fn unknown_and_missing_members_are_refused_with_their_path() {
    let text = FILE.replace("        minProvisionedTPS: 2", "        minProvisionedTPS: 2\n        minTPS: 3");
    let e = parse_err(&text);
    assert_eq!(e.path, "datasetGroups[0].campaigns[0]");
    assert!(e.message.contains("unknown field `minTPS`"), "{e}");

    let text = FILE.replace("        recipe: aws-popularity-count\n", "");
    let e = parse_err(&text);
    assert_eq!(e.path, "datasetGroups[0].solutions[0]");
    assert!(e.message.contains("missing field `recipe`"), "{e}");
}

#[test]
fn references_and_values_are_checked() {
    let cases = [
        (
            "solution: shop-up",
            "solution: nowhere",
            "datasetGroups[0].campaigns[0].solution",
            "no solution named 'nowhere'",
        ),
        ("type: interactions", "type: clicks", "datasetGroups[0].datasets[0].type", "is not a dataset type"),
        (
            "schema: shop-interactions\n",
            "schema: other\n",
            "datasetGroups[0].datasets[0].schema",
            "no schema named 'other'",
        ),
        (
            "recipe: aws-popularity-count",
            "recipe: aws popularity",
            "datasetGroups[0].solutions[0].recipe",
            "not a recipe",
        ),
        ("minProvisionedTPS: 2", "minProvisionedTPS: 0", "datasetGroups[0].campaigns[0].minProvisionedTPS", "below 1"),
        (
            "- name: shop-up",
            "- name: shop-pop",
            "datasetGroups[0].solutions[1].name",
            "declared at datasetGroups[0].solutions[0]",
        ),
        ("- name: shop\n", "- name: shop\n    domain: RETAIL\n", "datasetGroups[0].domain", "not a domain"),
        (
            "dataLocation: data/interactions.csv",
            "dataLocation: x\n          importMode: SOME",
            "datasetGroups[0].datasets[0].import.importMode",
            "not FULL or INCREMENTAL",
        ),
        (
            "- name: shop-events",
            "- name: shop-events\n      - name: more-events",
            "datasetGroups[0].eventTrackers[1]",
            "at most one",
        ),
        ("- name: no-seen", "- name: no seen", "datasetGroups[0].filters[0].name", "not a resource name"),
    ];
    for (from, to, path, message) in cases {
        assert!(FILE.contains(from), "{from}");
        let e = parse_err(&FILE.replacen(from, to, 1));
        assert_eq!(e.path, path, "{to}: {e}");
        assert!(e.message.contains(message), "{to}: {e}");
    }
}

#[test]
fn a_schema_must_be_a_mapping_or_json_text() {
    let text = FILE.replace("'{\"type\":\"record\",\"name\":\"Items\"", "'{not json");
    let e = parse_err(&text);
    // A custom error carries the path of the member's parent; the message names the member.
    assert_eq!(e.path, "schemas[1]");
    assert!(e.message.starts_with("`schema`: the string is not JSON"), "{e}");
}

#[test]
fn recipes_and_dataset_types() {
    assert_eq!(recipe_arn("aws-sims"), "arn:aws:personalize:::recipe/aws-sims");
    assert_eq!(recipe_arn("arn:aws:personalize:::recipe/aws-sims"), "arn:aws:personalize:::recipe/aws-sims");
    assert_eq!(recipe_name("arn:aws:personalize:::recipe/aws-sims"), "aws-sims");
    assert_eq!(canonical_dataset_type("ACTION_INTERACTIONS"), Some("Action_Interactions"));
    assert_eq!(canonical_dataset_type("items"), Some("Items"));
    assert_eq!(canonical_dataset_type("clicks"), None);
}

#[test]
fn the_documented_example_is_a_valid_file() {
    let doc = include_str!("../../../../docs/declarative-setup.md");
    let example = doc.split("```yaml\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a yaml example");
    let file = parse(example).unwrap();
    let g = &file.dataset_groups[0];
    assert_eq!((g.solutions.len(), g.campaigns.len(), g.recommenders.len()), (1, 1, 1));
    assert_eq!(g.datasets[0].import.as_ref().unwrap().import_mode.as_deref(), Some("FULL"));
}
