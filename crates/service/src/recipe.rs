//! Recipes: the service-owned catalogue. Only recipes Reko really trains are listed.

use reko_api::{
    status, DescribeRecipeRequest, DescribeRecipeResponse, ListRecipesRequest, ListRecipesResponse, Recipe,
    RecipeSummary,
};

use crate::arn::{algorithm_arn, feature_transformation_arn, recipe_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::resource::paginate;
use crate::solution::recipe_for_arn;
use crate::Reko;

fn to_wire(info: &reko_engine::RecipeInfo) -> Recipe {
    Recipe {
        name: info.name.to_string(),
        recipe_arn: recipe_arn(info.name),
        algorithm_arn: Some(algorithm_arn(info.algorithm_name)),
        feature_transformation_arn: info.feature_transformation_name.map(feature_transformation_arn),
        status: status::ACTIVE.into(),
        description: Some(info.description.to_string()),
        // Built-in recipes report epoch 0, as the real ListRecipes does.
        creation_date_time: 0.0,
        recipe_type: Some(info.recipe_type.to_string()),
        last_updated_date_time: 0.0,
    }
}

impl Reko {
    pub fn list_recipes(&self, req: ListRecipesRequest) -> ServiceResult<ListRecipesResponse> {
        // Domain use-case recipes serve recommenders, which Reko does not implement yet: a domain
        // filter therefore lists nothing rather than recipes that would not work.
        let recipes: Vec<RecipeSummary> = if req.domain.is_some() {
            Vec::new()
        } else {
            reko_engine::recipes().iter().map(|info| RecipeSummary::with_domain(&to_wire(info), None)).collect()
        };
        let (recipes, next_token) = paginate(recipes, req.next_token.as_deref(), req.max_results)?;
        Ok(ListRecipesResponse { recipes, next_token })
    }

    pub fn describe_recipe(&self, req: DescribeRecipeRequest) -> ServiceResult<DescribeRecipeResponse> {
        let info = recipe_for_arn(&req.recipe_arn).map_err(|e| match e {
            ServiceError::NotImplemented(m) => ServiceError::NotFound(format!("{m} is not available in Reko yet.")),
            other => other,
        })?;
        Ok(DescribeRecipeResponse { recipe: to_wire(info) })
    }
}
