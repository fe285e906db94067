//! Solutions: a recipe plus its configuration, trained into solution versions.

use reko_api::{
    status, ApiError, CreateSolutionRequest, CreateSolutionResponse, DeleteSolutionRequest, DescribeSolutionRequest,
    DescribeSolutionResponse, ListSolutionsRequest, ListSolutionsResponse, ResourceStatus, Solution, SolutionConfig,
    SolutionVersion, SolutionVersionSummary,
};
use reko_dataset::DatasetType;
use reko_engine::{EventParameters, ObjectiveSensitivity, TrainingConfig};
use reko_storage::TaskKind;

use crate::access::AccessScope;
use crate::arn;
use crate::error::ServiceResult;
use crate::resource::{now, paginate, to_document, ResourceKind, Stored};
use crate::Reko;

/// Personalize's quota of active solutions per dataset group.
const MAX_SOLUTIONS_PER_DATASET_GROUP: usize = 10;

/// Recipes of Amazon Personalize that Reko does not train yet: asking for one is answered with a
/// clear "not implemented", unlike an ARN that names no recipe at all.
const PERSONALIZE_RECIPES: &[&str] = &[
    "aws-user-personalization-v2",
    "aws-user-personalization",
    "aws-trending-now",
    "aws-personalized-ranking-v2",
    "aws-personalized-ranking",
    "aws-similar-items",
    "aws-sims",
    "aws-semantic-similarity",
    "aws-item-affinity",
    "aws-item-attribute-affinity",
    "aws-next-best-action",
    "aws-hrnn",
    "aws-hrnn-metadata",
    "aws-hrnn-coldstart",
];

impl Reko {
    pub fn create_solution(&self, req: CreateSolutionRequest) -> ServiceResult<CreateSolutionResponse> {
        self.active_dataset_group(&req.dataset_group_arn)?;
        if req.perform_auto_ml == Some(true) {
            if req.recipe_arn.is_some() {
                return Err(
                    ApiError::InvalidInput("recipeArn and performAutoML=true cannot be used together.".into()).into()
                );
            }
            return Err(ApiError::NotImplemented("CreateSolution with performAutoML=true (AutoML)".into()).into());
        }
        let recipe_arn = req
            .recipe_arn
            .clone()
            .ok_or_else(|| ApiError::InvalidInput("recipeArn is required (AutoML is not supported).".into()))?;
        let recipe = recipe_for_arn(&recipe_arn)?;
        let perform_hpo = req.perform_hpo == Some(true);
        if perform_hpo
            && matches!(
                recipe.recipe_type,
                reko_engine::RecipeType::UserSegmentation | reko_engine::RecipeType::PersonalizedActions
            )
        {
            return Err(ApiError::InvalidInput(format!(
                "performHPO is not supported for recipe {} (as in Personalize).",
                recipe.name
            ))
            .into());
        }
        if perform_hpo {
            crate::hpo::request(recipe.name, req.solution_config.as_ref())?;
        }
        if req.perform_incremental_update == Some(true) {
            return Err(ApiError::InvalidInput(
                "performIncrementalUpdate is only supported with the aws-semantic-similarity recipe.".into(),
            )
            .into());
        }
        // Personalize's default: the solution trains itself (crate::auto_training).
        let auto_training = req.perform_auto_training.unwrap_or(true);
        let config = training_config(req.event_type.as_deref(), req.solution_config.as_ref())?;
        if let Some(attribute) = objective_attribute(req.solution_config.as_ref()) {
            self.objective_field(&req.dataset_group_arn, attribute)?;
        }
        if req.solution_config.as_ref().is_some_and(|c| c.auto_ml_config.is_some()) {
            return Err(ApiError::InvalidInput(
                "solutionConfig.autoMLConfig requires performAutoML=true, and Reko does not implement AutoML: name \
                 the recipe with recipeArn and remove autoMLConfig."
                    .into(),
            )
            .into());
        }
        if !perform_hpo && req.solution_config.as_ref().is_some_and(|c| c.hpo_config.is_some()) {
            return Err(ApiError::InvalidInput("solutionConfig.hpoConfig requires performHPO=true.".into()).into());
        }
        reko_engine::validate_config(recipe_name(&recipe_arn), &config)?;
        let active = self.load_all::<Solution>(ResourceKind::Solution, Some(&req.dataset_group_arn))?.len();
        if active >= MAX_SOLUTIONS_PER_DATASET_GROUP {
            return Err(ApiError::LimitExceeded(format!(
                "Dataset group {} already has {MAX_SOLUTIONS_PER_DATASET_GROUP} solutions.",
                req.dataset_group_arn
            ))
            .into());
        }
        let arn = self.arns().child(&req.dataset_group_arn, ResourceKind::Solution, &req.name);
        let created = now();
        let solution = Solution {
            name: req.name.clone(),
            solution_arn: arn.clone(),
            perform_hpo: Some(perform_hpo),
            perform_auto_ml: Some(false),
            perform_auto_training: Some(auto_training),
            perform_incremental_update: Some(false),
            recipe_arn: Some(recipe_arn),
            dataset_group_arn: req.dataset_group_arn.clone(),
            event_type: req.event_type,
            solution_config: req.solution_config,
            auto_ml_result: None,
            status: ResourceStatus::CreatePending.as_str().into(),
            creation_date_time: created,
            last_updated_date_time: created,
            latest_solution_version: None,
            latest_solution_update: None,
        };
        let tags = req.tags.unwrap_or_default();
        self.create_resource(
            ResourceKind::Solution,
            &arn,
            &req.name,
            Some(&req.dataset_group_arn),
            Some(&req.dataset_group_arn),
            to_document(&solution, &serde_json::Value::Null)?,
            TaskKind::Activate,
            &tags,
        )?;
        if auto_training {
            self.schedule_first_auto_training(&arn)?;
        }
        Ok(CreateSolutionResponse { solution_arn: arn })
    }

    pub fn describe_solution(&self, req: DescribeSolutionRequest) -> ServiceResult<DescribeSolutionResponse> {
        let mut solution = self.load::<Solution>(ResourceKind::Solution, &req.solution_arn)?.wire;
        let versions = self.load_all::<SolutionVersion>(ResourceKind::SolutionVersion, Some(&req.solution_arn))?;
        solution.latest_solution_version = versions.first().map(|v| SolutionVersionSummary::from(&v.wire));
        Ok(DescribeSolutionResponse { solution })
    }

    pub fn list_solutions(
        &self,
        req: ListSolutionsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListSolutionsResponse> {
        let all = self.load_visible::<Solution>(ResourceKind::Solution, req.dataset_group_arn.as_deref(), scope)?;
        let (solutions, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListSolutionsResponse { solutions, next_token })
    }

    pub fn delete_solution(&self, req: DeleteSolutionRequest) -> ServiceResult<()> {
        let stored = self.load::<Solution>(ResourceKind::Solution, &req.solution_arn)?;
        let campaigns = self.store().children(&req.solution_arn)?;
        if let Some(campaign) = campaigns.iter().find(|r| r.kind == ResourceKind::Campaign.as_str()) {
            return Err(ApiError::ResourceInUse(format!(
                "Cannot delete solution {}: campaign {} uses it. Delete the campaign first.",
                req.solution_arn, campaign.arn
            ))
            .into());
        }
        if let Some(training) =
            campaigns.iter().find(|r| r.kind == ResourceKind::SolutionVersion.as_str() && status::is_pending(&r.status))
        {
            return Err(ApiError::ResourceInUse(format!(
                "Cannot delete solution {} while solution version {} is {}.",
                req.solution_arn, training.arn, training.status
            ))
            .into());
        }
        self.start_deletion(&stored)
    }

    /// A solution's folder of artifact keys: `<name>` in the server's account, `@<account>/<name>`
    /// in a tenant's (`@` is not allowed in names, so the two never meet).
    pub(crate) fn solution_models_key(&self, solution_arn: &str) -> String {
        let name = solution_arn.rsplit('/').next().unwrap_or(solution_arn);
        match crate::arn::account_of(solution_arn) {
            Some(account) if self.arns().is_tenant_account(account) => format!("@{account}/{name}"),
            _ => name.to_string(),
        }
    }

    /// A solution's model folder in the data directory's `models/` (models written before the
    /// artifact store, and the default store's).
    pub(crate) fn solution_models_dir(&self, solution_arn: &str) -> std::path::PathBuf {
        self.models_dir().join(self.solution_models_key(solution_arn))
    }

    /// Loads a solution that can take a new solution version: ACTIVE, or still being activated
    /// (CREATE PENDING / CREATE IN_PROGRESS; the version's training then waits for ACTIVE).
    pub(crate) fn trainable_solution(&self, arn: &str) -> ServiceResult<Stored<Solution>> {
        let stored = self.load::<Solution>(ResourceKind::Solution, arn)?;
        let status = stored.wire.status.as_str();
        if status != ResourceStatus::Active.as_str()
            && status != ResourceStatus::CreatePending.as_str()
            && status != ResourceStatus::CreateInProgress.as_str()
        {
            return Err(ApiError::ResourceInUse(format!(
                "Solution {arn} is {status}; a solution version needs an ACTIVE solution."
            ))
            .into());
        }
        Ok(stored)
    }
}

/// The engine recipe a recipe ARN names, or a clear error.
pub(crate) fn recipe_for_arn(recipe_arn: &str) -> ServiceResult<&'static reko_engine::RecipeInfo> {
    let name = arn::recipe_name(recipe_arn)
        .ok_or_else(|| ApiError::InvalidInput(format!("Value '{recipe_arn}' at 'recipeArn' is not a recipe ARN.")))?;
    if let Some(info) = reko_engine::recipe(name) {
        return Ok(info);
    }
    if let Some(u) = crate::use_case::by_name(name) {
        return Err(ApiError::InvalidInput(format!(
            "Recipe {recipe_arn} is a {} use case: it trains recommenders (CreateRecommender) only.",
            u.domain
        ))
        .into());
    }
    if PERSONALIZE_RECIPES.contains(&name) {
        return Err(ApiError::NotImplemented(format!("The recipe {name} ({recipe_arn})")).into());
    }
    Err(ApiError::ResourceNotFound(format!("Could not find recipe: {recipe_arn}")).into())
}

fn recipe_name(recipe_arn: &str) -> &str {
    arn::recipe_name(recipe_arn).unwrap_or(recipe_arn)
}

/// The sensitivity of an optimization objective that names none (docs/compatibility.md).
const DEFAULT_OBJECTIVE_SENSITIVITY: &str = "MEDIUM";

/// `solutionConfig.optimizationObjective.itemAttribute`, when the solution has an objective.
pub(crate) fn objective_attribute(config: Option<&SolutionConfig>) -> Option<&str> {
    config?.optimization_objective.as_ref()?.item_attribute.as_deref()
}

impl Reko {
    /// The Items field an optimization objective's `itemAttribute` names, as the schema spells
    /// it (an exact match, else the one field equal but for case): it must exist and be numeric.
    pub(crate) fn objective_field(&self, dataset_group_arn: &str, attribute: &str) -> ServiceResult<String> {
        let path = "solutionConfig.optimizationObjective.itemAttribute";
        let Some(items) = self.dataset_of_type(dataset_group_arn, DatasetType::Items)? else {
            return Err(ApiError::InvalidInput(format!(
                "Value '{attribute}' at '{path}': an optimization objective needs an Items dataset with that \
                 column; dataset group {dataset_group_arn} has none."
            ))
            .into());
        };
        let schema = self.parsed_schema(&items.wire.schema_arn)?;
        let field = schema.field(attribute).or_else(|| {
            let mut same = schema.fields.iter().filter(|f| f.name.eq_ignore_ascii_case(attribute));
            same.next().filter(|_| same.next().is_none())
        });
        let Some(field) = field else {
            return Err(ApiError::InvalidInput(format!(
                "Value '{attribute}' at '{path}' names no field of the Items schema {} (fields: {}).",
                items.wire.schema_arn,
                schema.field_names().join(", ")
            ))
            .into());
        };
        if !field.field_type.is_numeric() {
            return Err(ApiError::InvalidInput(format!(
                "Value '{attribute}' at '{path}': field {} of the Items schema is of type {}; an optimization \
                 objective needs a numeric one (int, long, float or double).",
                field.name,
                field.field_type.as_str()
            ))
            .into());
        }
        Ok(field.name.clone())
    }
}

/// Translates a solution's event selection and configuration into the engine's terms.
pub(crate) fn training_config(
    event_type: Option<&str>,
    config: Option<&SolutionConfig>,
) -> ServiceResult<TrainingConfig> {
    let mut out = TrainingConfig { event_type: event_type.map(str::to_string), ..TrainingConfig::default() };
    let Some(config) = config else { return Ok(out) };
    if let Some(threshold) = &config.event_value_threshold {
        let value: f64 = threshold.trim().parse().map_err(|_| {
            ApiError::InvalidInput(format!(
                "Value '{threshold}' at 'solutionConfig.eventValueThreshold' is not a number."
            ))
        })?;
        out.event_value_threshold = Some(value);
    }
    if let Some(list) = config.events_config.as_ref().and_then(|e| e.event_parameters_list.as_ref()) {
        out.event_parameters = list
            .iter()
            .map(|p| EventParameters {
                event_type: p.event_type.clone(),
                event_value_threshold: p.event_value_threshold,
                weight: p.weight,
            })
            .collect();
    }
    out.hyperparameters = config.algorithm_hyper_parameters.clone().unwrap_or_default();
    out.feature_transformation_parameters = config.feature_transformation_parameters.clone().unwrap_or_default();
    if let Some(objective) = &config.optimization_objective {
        if objective.item_attribute.is_none() {
            return Err(ApiError::InvalidInput(
                "solutionConfig.optimizationObjective.itemAttribute is required: the numeric Items column to \
                 optimize for."
                    .into(),
            )
            .into());
        }
        let name = objective.objective_sensitivity.as_deref().unwrap_or(DEFAULT_OBJECTIVE_SENSITIVITY);
        out.objective = Some(ObjectiveSensitivity::from_name(name).ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "Value '{name}' at 'solutionConfig.optimizationObjective.objectiveSensitivity' failed to satisfy \
                 constraint: Member must satisfy enum value set: [LOW, MEDIUM, HIGH, OFF]"
            ))
        })?);
    }
    Ok(out)
}
