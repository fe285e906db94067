//! The setup file (`reko.yaml`) of `reko apply` / `reko plan` / `reko export-config`: the
//! resources of one or more dataset groups, keyed by name, with the members their Create
//! operations take (camelCase, as in the Personalize API). Unknown members are refused, so nothing
//! in a file is silently ignored. `docs/declarative-setup.md` is the reference.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// Recipe ARNs have no region or account: `arn:aws:personalize:::recipe/<name>`.
pub const RECIPE_ARN_PREFIX: &str = "arn:aws:personalize:::recipe/";
/// The dataset types, as the Personalize documentation spells them.
pub const DATASET_TYPES: [&str; 5] = ["Interactions", "Items", "Users", "Actions", "Action_Interactions"];
const DOMAINS: [&str; 2] = ["ECOMMERCE", "VIDEO_ON_DEMAND"];

/// A setup file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetupFile {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<Schema>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dataset_groups: Vec<DatasetGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schema {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The Avro schema: a YAML mapping, or its JSON text as a string.
    #[serde(deserialize_with = "avro")]
    pub schema: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatasetGroup {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<Dataset>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_trackers: Vec<EventTracker>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub solutions: Vec<Solution>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<Campaign>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommenders: Vec<Recommender>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dataset {
    pub name: String,
    #[serde(rename = "type")]
    pub dataset_type: String,
    /// The name of a schema of the file.
    pub schema: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Import>,
}

/// A dataset import job, run once: a job of that name that exists already is not run again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Import {
    pub job_name: String,
    /// `s3://bucket/key`, a `file://` URL, or a local path (relative to the setup file's folder).
    pub data_location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Filter {
    pub name: String,
    pub filter_expression: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventTracker {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Solution {
    pub name: String,
    /// A recipe name (`aws-user-personalization-v2`) or ARN.
    pub recipe: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, rename = "performHPO", skip_serializing_if = "Option::is_none")]
    pub perform_hpo: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perform_auto_training: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution_config: Option<SolutionConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SolutionConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_value_threshold: Option<String>,
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "Option::is_none")]
    pub algorithm_hyper_parameters: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "Option::is_none")]
    pub feature_transformation_parameters: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_training_config: Option<AutoTrainingConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoTrainingConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_expression: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Campaign {
    pub name: String,
    /// The name of a solution of the same dataset group; the campaign deploys its newest ACTIVE
    /// solution version.
    pub solution: String,
    #[serde(default, rename = "minProvisionedTPS", skip_serializing_if = "Option::is_none")]
    pub min_provisioned_tps: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_config: Option<CampaignConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignConfig {
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_metadata_with_recommendations: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_with_latest_solution_version: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recommender {
    pub name: String,
    /// A use case recipe name (`aws-ecomm-popular-items-by-views`) or ARN.
    pub recipe: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommender_config: Option<RecommenderConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommenderConfig {
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_recommendation_requests_per_second: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_metadata_with_recommendations: Option<bool>,
}

/// An Avro schema written as a mapping, or as its JSON text.
fn avro<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(text) => serde_json::from_str(&text)
            .map_err(|e| serde::de::Error::custom(format!("`schema`: the string is not JSON: {e}"))),
        value @ serde_json::Value::Object(_) => Ok(value),
        other => Err(serde::de::Error::custom(format!(
            "`schema`: expected the Avro schema as a mapping or a JSON string, got {other}"
        ))),
    }
}

/// A map of string values that also takes YAML numbers and booleans (`hidden_dimension: 100`),
/// as the API's maps hold strings.
fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        Float(f64),
        Bool(bool),
    }
    let map = Option::<BTreeMap<String, Scalar>>::deserialize(d)?;
    Ok(map.map(|m| {
        m.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Scalar::Text(s) => s,
                    Scalar::Int(i) => i.to_string(),
                    Scalar::Float(f) => f.to_string(),
                    Scalar::Bool(b) => b.to_string(),
                };
                (k, v)
            })
            .collect()
    }))
}

/// A setup file that is not valid: the path of the member in the file (`datasetGroups[0].
/// solutions[1].recipe`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> SpecError {
    SpecError { path: path.into(), message: message.into() }
}

/// Parses and validates a setup file's text. Serde's errors already name the member's path
/// (`datasetGroups[0].campaigns[0].minProvisionedTPS: invalid type ...`).
pub fn parse(text: &str) -> Result<SetupFile, SpecError> {
    let file: SetupFile = serde_norway::from_str(text).map_err(|e| {
        let message = e.to_string();
        // serde_norway writes `path: message at line L column C`; keep the path apart.
        match message.split_once(": ") {
            Some((path, rest)) if !path.contains(' ') => err(path, rest),
            _ => err("(file)", message),
        }
    })?;
    validate(&file)?;
    Ok(file)
}

/// The recipe's ARN: a bare name gets the recipe prefix.
pub fn recipe_arn(recipe: &str) -> String {
    if recipe.starts_with("arn:") {
        recipe.to_string()
    } else {
        format!("{RECIPE_ARN_PREFIX}{recipe}")
    }
}

/// The recipe's name when its ARN is a built-in recipe's, else the ARN.
pub fn recipe_name(arn: &str) -> String {
    arn.strip_prefix(RECIPE_ARN_PREFIX).unwrap_or(arn).to_string()
}

/// The documentation's spelling of a dataset type, matched case-insensitively.
pub fn canonical_dataset_type(t: &str) -> Option<&'static str> {
    DATASET_TYPES.into_iter().find(|c| c.eq_ignore_ascii_case(t))
}

/// Names unique within one kind, and references that resolve within the file.
fn validate(file: &SetupFile) -> Result<(), SpecError> {
    let mut names = Names::default();
    for (i, s) in file.schemas.iter().enumerate() {
        let path = format!("schemas[{i}]");
        names.add("schema", &s.name, &path)?;
        check_domain(s.domain.as_deref(), &path)?;
    }
    for (g, group) in file.dataset_groups.iter().enumerate() {
        let gp = format!("datasetGroups[{g}]");
        names.add("dataset group", &group.name, &gp)?;
        check_domain(group.domain.as_deref(), &gp)?;
        let mut types = BTreeMap::new();
        for (i, d) in group.datasets.iter().enumerate() {
            let path = format!("{gp}.datasets[{i}]");
            names.add("dataset", &d.name, &path)?;
            let Some(t) = canonical_dataset_type(&d.dataset_type) else {
                return Err(err(
                    format!("{path}.type"),
                    format!("'{}' is not a dataset type (one of {})", d.dataset_type, DATASET_TYPES.join(", ")),
                ));
            };
            if let Some(other) = types.insert(t, i) {
                return Err(err(
                    format!("{path}.type"),
                    format!("datasets[{other}] is the group's {t} dataset already"),
                ));
            }
            if !file.schemas.iter().any(|s| s.name == d.schema) {
                return Err(err(
                    format!("{path}.schema"),
                    format!("no schema named '{}' in the file's schemas", d.schema),
                ));
            }
            if let Some(import) = &d.import {
                names.add("import job", &import.job_name, &format!("{path}.import"))?;
                if import.data_location.trim().is_empty() {
                    return Err(err(format!("{path}.import.dataLocation"), "must not be empty"));
                }
                if let Some(mode) = import.import_mode.as_deref().filter(|m| !["FULL", "INCREMENTAL"].contains(m)) {
                    return Err(err(
                        format!("{path}.import.importMode"),
                        format!("'{mode}' is not FULL or INCREMENTAL"),
                    ));
                }
            }
        }
        for (i, f) in group.filters.iter().enumerate() {
            let path = format!("{gp}.filters[{i}]");
            names.add("filter", &f.name, &path)?;
            if f.filter_expression.trim().is_empty() {
                return Err(err(format!("{path}.filterExpression"), "must not be empty"));
            }
        }
        if group.event_trackers.len() > 1 {
            return Err(err(format!("{gp}.eventTrackers[1]"), "a dataset group has at most one event tracker"));
        }
        for (i, t) in group.event_trackers.iter().enumerate() {
            names.add("event tracker", &t.name, &format!("{gp}.eventTrackers[{i}]"))?;
        }
        for (i, s) in group.solutions.iter().enumerate() {
            let path = format!("{gp}.solutions[{i}]");
            names.add("solution", &s.name, &path)?;
            check_recipe(&s.recipe, &format!("{path}.recipe"))?;
        }
        for (i, c) in group.campaigns.iter().enumerate() {
            let path = format!("{gp}.campaigns[{i}]");
            names.add("campaign", &c.name, &path)?;
            if !group.solutions.iter().any(|s| s.name == c.solution) {
                return Err(err(
                    format!("{path}.solution"),
                    format!("no solution named '{}' in dataset group '{}'", c.solution, group.name),
                ));
            }
            if let Some(tps) = c.min_provisioned_tps.filter(|t| *t < 1) {
                return Err(err(format!("{path}.minProvisionedTPS"), format!("{tps} is below 1")));
            }
        }
        for (i, r) in group.recommenders.iter().enumerate() {
            let path = format!("{gp}.recommenders[{i}]");
            names.add("recommender", &r.name, &path)?;
            check_recipe(&r.recipe, &format!("{path}.recipe"))?;
            if group.domain.is_none() {
                return Err(err(
                    path,
                    format!("recommenders need a domain dataset group; '{}' has no domain", group.name),
                ));
            }
        }
    }
    Ok(())
}

/// Names seen per kind, with the path that used them first.
#[derive(Default)]
struct Names(BTreeMap<(&'static str, String), String>);

impl Names {
    fn add(&mut self, kind: &'static str, name: &str, path: &str) -> Result<(), SpecError> {
        if name.is_empty()
            || name.len() > 63
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err(
                format!("{path}.name"),
                format!("'{name}' is not a resource name (1-63 letters, digits, '-' or '_')"),
            ));
        }
        match self.0.insert((kind, name.to_string()), path.to_string()) {
            Some(first) => {
                Err(err(format!("{path}.name"), format!("the {kind} '{name}' is declared at {first} already")))
            }
            None => Ok(()),
        }
    }
}

fn check_domain(domain: Option<&str>, path: &str) -> Result<(), SpecError> {
    match domain {
        Some(d) if !DOMAINS.contains(&d) => {
            Err(err(format!("{path}.domain"), format!("'{d}' is not a domain (one of {})", DOMAINS.join(", "))))
        }
        _ => Ok(()),
    }
}

fn check_recipe(recipe: &str, path: &str) -> Result<(), SpecError> {
    let name = recipe_name(recipe);
    if name.is_empty()
        || name.contains(char::is_whitespace)
        || (recipe.starts_with("arn:") && !recipe.contains(":recipe/"))
    {
        return Err(err(path, format!("'{recipe}' is not a recipe name or recipe ARN")));
    }
    Ok(())
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
