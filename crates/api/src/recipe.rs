//! Recipes (service-owned, static): `Recipe`, `RecipeSummary`, ListRecipes and DescribeRecipe.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::validate::{Validate, Violations, RECIPE_PROVIDERS};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipe {
    pub name: String,
    pub recipe_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_transformation_arn: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub creation_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe_type: Option<String>,
    pub last_updated_date_time: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipeSummary {
    pub name: String,
    pub recipe_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// `Recipe` has no `domain` member; the summary of a domain use-case recipe needs it from the
/// catalogue, see [`RecipeSummary::with_domain`].
impl From<&Recipe> for RecipeSummary {
    fn from(r: &Recipe) -> Self {
        RecipeSummary {
            name: r.name.clone(),
            recipe_arn: r.recipe_arn.clone(),
            status: r.status.clone(),
            creation_date_time: r.creation_date_time,
            last_updated_date_time: r.last_updated_date_time,
            domain: None,
        }
    }
}

impl RecipeSummary {
    /// The summary of `recipe` listed under `domain` (domain use-case recipes).
    pub fn with_domain(recipe: &Recipe, domain: Option<&str>) -> Self {
        RecipeSummary { domain: domain.map(str::to_string), ..RecipeSummary::from(recipe) }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRecipesRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe_provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRecipesResponse {
    pub recipes: Vec<RecipeSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRecipeRequest {
    pub recipe_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRecipeResponse {
    pub recipe: Recipe,
}

impl Validate for ListRecipesRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_one_of("recipeProvider", self.recipe_provider.as_ref(), RECIPE_PROVIDERS);
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.domain("domain", self.domain.as_ref());
        v.finish()
    }
}

impl Validate for DescribeRecipeRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("recipeArn", &self.recipe_arn);
        v.finish()
    }
}

/// `Algorithm` (the algorithm of a recipe, service-owned). Reko runs its algorithms in process:
/// it has no `algorithmImage`, `trainingInputMode` or `roleArn` to report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Algorithm {
    pub name: String,
    pub algorithm_arn: String,
    pub default_hyper_parameters: std::collections::BTreeMap<String, String>,
    pub default_hyper_parameter_ranges: DefaultHyperParameterRanges,
    pub default_resource_config: std::collections::BTreeMap<String, String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

/// `DefaultHyperParameterRanges`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultHyperParameterRanges {
    pub integer_hyper_parameter_ranges: Vec<DefaultIntegerHyperParameterRange>,
    pub continuous_hyper_parameter_ranges: Vec<DefaultContinuousHyperParameterRange>,
    pub categorical_hyper_parameter_ranges: Vec<DefaultCategoricalHyperParameterRange>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultIntegerHyperParameterRange {
    pub name: String,
    pub min_value: i64,
    pub max_value: i64,
    pub is_tunable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultContinuousHyperParameterRange {
    pub name: String,
    pub min_value: f64,
    pub max_value: f64,
    pub is_tunable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultCategoricalHyperParameterRange {
    pub name: String,
    pub values: Vec<String>,
    pub is_tunable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeAlgorithmRequest {
    pub algorithm_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeAlgorithmResponse {
    pub algorithm: Algorithm,
}

impl Validate for DescribeAlgorithmRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("algorithmArn", &self.algorithm_arn);
        v.finish()
    }
}

/// `FeatureTransformation` (how a recipe turns the datasets into features, service-owned).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureTransformation {
    pub name: String,
    pub feature_transformation_arn: String,
    pub default_parameters: std::collections::BTreeMap<String, String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeFeatureTransformationRequest {
    pub feature_transformation_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeFeatureTransformationResponse {
    pub feature_transformation: FeatureTransformation,
}

impl Validate for DescribeFeatureTransformationRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("featureTransformationArn", &self.feature_transformation_arn);
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;
    use serde_json::json;

    #[test]
    fn resource_round_trip() {
        let body = json!({
            "name": "aws-sims", "recipeArn": "arn:aws:personalize:::recipe/aws-sims",
            "algorithmArn": "arn:aws:personalize:::algorithm/aws-sims",
            "featureTransformationArn": "arn:aws:personalize:::feature-transformation/sims",
            "status": "ACTIVE", "description": "Item-to-item similarities", "creationDateTime": 0.0,
            "recipeType": "RELATED_ITEMS", "lastUpdatedDateTime": 0.0
        });
        let r: Recipe = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&r).unwrap(), body);
        let s = serde_json::to_value(RecipeSummary::from(&r)).unwrap();
        assert!(s.get("domain").is_none());
        let s = serde_json::to_value(RecipeSummary::with_domain(&r, Some("ECOMMERCE"))).unwrap();
        assert_eq!(s["domain"], "ECOMMERCE");
        let l = serde_json::to_value(ListRecipesResponse { recipes: vec![], next_token: None }).unwrap();
        assert_eq!(l, json!({"recipes": []}));
        assert_eq!(
            serde_json::to_value(DescribeRecipeResponse { recipe: r }).unwrap()["recipe"]["recipeType"],
            "RELATED_ITEMS"
        );
    }

    #[test]
    fn validation() {
        let req: ListRecipesRequest = parse_request(br#"{"recipeProvider":"SERVICE","domain":"ECOMMERCE"}"#).unwrap();
        assert_eq!(req.domain.as_deref(), Some("ECOMMERCE"));
        let err = parse_request::<ListRecipesRequest>(br#"{"recipeProvider":"CUSTOM"}"#).unwrap_err();
        assert!(err.message().contains(
            "Value 'CUSTOM' at 'recipeProvider' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE]"
        ));
        DescribeRecipeRequest { recipe_arn: "arn:aws:personalize:::recipe/aws-sims".into() }.validate().unwrap();
        assert!(parse_request::<DescribeRecipeRequest>(b"{}")
            .unwrap_err()
            .message()
            .contains("missing field `recipeArn`"));
    }
}
