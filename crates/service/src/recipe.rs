//! Recipes: the service-owned catalogue. Only recipes Reko really trains are listed.

use std::collections::BTreeMap;

use reko_api::{
    Algorithm, ApiError, DefaultCategoricalHyperParameterRange, DefaultContinuousHyperParameterRange,
    DefaultHyperParameterRanges, DefaultIntegerHyperParameterRange, DescribeAlgorithmRequest,
    DescribeAlgorithmResponse, DescribeFeatureTransformationRequest, DescribeFeatureTransformationResponse,
    DescribeRecipeRequest, DescribeRecipeResponse, FeatureTransformation, ListRecipesRequest, ListRecipesResponse,
    Recipe, RecipeSummary, ResourceStatus,
};
use reko_engine::recipe::{ParamKind, ParamSpec};

use crate::arn::{algorithm_arn, feature_transformation_arn, recipe_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::solution::recipe_for_arn;
use crate::use_case::{UseCase, USE_CASES};
use crate::Reko;

/// A domain use case as a recipe: it trains with one of the engine's algorithms
/// (docs/compatibility.md, "Recommenders"), so it names that one's algorithm.
fn use_case_to_wire(u: &UseCase) -> Recipe {
    let engine = reko_engine::recipe(u.engine_recipe).or_else(|| reko_engine::domain_recipe(u.engine_recipe));
    Recipe {
        name: u.name.to_string(),
        recipe_arn: recipe_arn(u.name),
        algorithm_arn: engine.map(|e| algorithm_arn(e.algorithm_name)),
        feature_transformation_arn: engine.and_then(|e| e.feature_transformation_name).map(feature_transformation_arn),
        status: ResourceStatus::Active.as_str().into(),
        description: Some(u.description.to_string()),
        creation_date_time: 0.0,
        recipe_type: Some(u.recipe_type.to_string()),
        last_updated_date_time: 0.0,
    }
}

fn to_wire(info: &reko_engine::RecipeInfo) -> Recipe {
    Recipe {
        name: info.name.to_string(),
        recipe_arn: recipe_arn(info.name),
        algorithm_arn: Some(algorithm_arn(info.algorithm_name)),
        feature_transformation_arn: info.feature_transformation_name.map(feature_transformation_arn),
        status: ResourceStatus::Active.as_str().into(),
        description: Some(info.description.to_string()),
        // Built-in recipes report epoch 0, as the real ListRecipes does.
        creation_date_time: 0.0,
        recipe_type: Some(info.recipe_type.to_string()),
        last_updated_date_time: 0.0,
    }
}

impl Reko {
    pub fn list_recipes(&self, req: ListRecipesRequest) -> ServiceResult<ListRecipesResponse> {
        // A domain lists its use cases; no domain, every recipe (use cases with their domain).
        let domain = req.domain.as_deref().and_then(reko_dataset::Domain::parse);
        let custom = reko_engine::recipes().iter().map(|info| RecipeSummary::with_domain(&to_wire(info), None));
        let use_cases = USE_CASES
            .iter()
            .filter(|u| domain.is_none_or(|d| d == u.domain))
            .map(|u| RecipeSummary::with_domain(&use_case_to_wire(u), Some(u.domain.as_wire())));
        let recipes: Vec<RecipeSummary> =
            if domain.is_some() { use_cases.collect() } else { custom.chain(use_cases).collect() };
        // A fixed list: the token's recipe is always there.
        let (page, next_token) =
            reko_api::common::paginate(&recipes, |r| r.recipe_arn.clone(), req.next_token.as_deref(), req.max_results)?;
        Ok(ListRecipesResponse { recipes: page.into_iter().cloned().collect(), next_token })
    }

    pub fn describe_recipe(&self, req: DescribeRecipeRequest) -> ServiceResult<DescribeRecipeResponse> {
        if let Some(u) = crate::arn::recipe_name(&req.recipe_arn).and_then(crate::use_case::by_name) {
            return Ok(DescribeRecipeResponse { recipe: use_case_to_wire(u) });
        }
        let info = recipe_for_arn(&req.recipe_arn).map_err(|e| match e {
            ServiceError::Api(ApiError::NotImplemented(m)) => {
                ApiError::ResourceNotFound(format!("{m} is not available in Reko yet.")).into()
            }
            other => other,
        })?;
        Ok(DescribeRecipeResponse { recipe: to_wire(info) })
    }

    /// DescribeAlgorithm: a recipe's hyperparameters, their defaults and ranges (every one can
    /// be searched by performHPO), and the HPO budget a solution gets without one.
    pub fn describe_algorithm(&self, req: DescribeAlgorithmRequest) -> ServiceResult<DescribeAlgorithmResponse> {
        let not_found = || ApiError::ResourceNotFound(format!("Could not find algorithm: {}", req.algorithm_arn));
        let info = reko_engine::recipes()
            .iter()
            .find(|r| algorithm_arn(r.algorithm_name) == req.algorithm_arn)
            .ok_or_else(not_found)?;
        let (hyperparameters, _) = reko_engine::parameters(info.name).ok_or_else(not_found)?;
        let mut ranges = DefaultHyperParameterRanges::default();
        for spec in hyperparameters {
            let name = spec.name.to_string();
            match spec.kind {
                ParamKind::Int { min, max } => ranges
                    .integer_hyper_parameter_ranges
                    .push(DefaultIntegerHyperParameterRange { name, min_value: min, max_value: max, is_tunable: true }),
                ParamKind::Float { min, max } => {
                    ranges.continuous_hyper_parameter_ranges.push(DefaultContinuousHyperParameterRange {
                        name,
                        min_value: min,
                        max_value: max,
                        is_tunable: true,
                    })
                }
                ParamKind::Bool => {
                    ranges.categorical_hyper_parameter_ranges.push(DefaultCategoricalHyperParameterRange {
                        name,
                        values: vec!["true".into(), "false".into()],
                        is_tunable: true,
                    })
                }
                ParamKind::Categorical(values) => {
                    ranges.categorical_hyper_parameter_ranges.push(DefaultCategoricalHyperParameterRange {
                        name,
                        values: values.iter().map(|v| v.to_string()).collect(),
                        is_tunable: true,
                    })
                }
            }
        }
        let resources = [
            ("maxNumberOfTrainingJobs", crate::hpo::DEFAULT_TRAINING_JOBS.to_string()),
            ("maxParallelTrainingJobs", "1".to_string()),
        ];
        Ok(DescribeAlgorithmResponse {
            algorithm: Algorithm {
                name: info.algorithm_name.to_string(),
                algorithm_arn: req.algorithm_arn.clone(),
                default_hyper_parameters: defaults(hyperparameters),
                default_hyper_parameter_ranges: ranges,
                default_resource_config: resources.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                creation_date_time: 0.0,
                last_updated_date_time: 0.0,
            },
        })
    }

    /// DescribeFeatureTransformation: the featurization parameters of the recipes that use it.
    pub fn describe_feature_transformation(
        &self,
        req: DescribeFeatureTransformationRequest,
    ) -> ServiceResult<DescribeFeatureTransformationResponse> {
        let arn = &req.feature_transformation_arn;
        let info = reko_engine::recipes()
            .iter()
            .find(|r| r.feature_transformation_name.map(feature_transformation_arn).as_ref() == Some(arn))
            .ok_or_else(|| ApiError::ResourceNotFound(format!("Could not find feature transformation: {arn}")))?;
        let (_, featurization) = reko_engine::parameters(info.name).unwrap_or((&[], &[]));
        Ok(DescribeFeatureTransformationResponse {
            feature_transformation: FeatureTransformation {
                name: info.feature_transformation_name.unwrap_or_default().to_string(),
                feature_transformation_arn: arn.clone(),
                default_parameters: defaults(featurization),
                creation_date_time: 0.0,
                last_updated_date_time: 0.0,
                status: ResourceStatus::Active.as_str().into(),
            },
        })
    }
}

fn defaults(specs: &[ParamSpec]) -> BTreeMap<String, String> {
    specs.iter().map(|s| (s.name.to_string(), s.default.to_string())).collect()
}
