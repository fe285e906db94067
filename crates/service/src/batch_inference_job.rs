//! Batch inference jobs (docs/compatibility.md, "Batch inference"): JSON Lines in, JSON Lines out,
//! one output line per input line, bad lines reported in their own `error` field while the job
//! goes on.
//!
//! Input and output locations are local paths, `file://` URLs or `s3://` locations (see
//! [`crate::batch_files`]). The job scores with the solution version as trained: like Personalize,
//! it does not fold in events sent since (filters still see the current data).

use reko_api::{
    ApiError, BatchInferenceJob, CreateBatchInferenceJobRequest, CreateBatchInferenceJobResponse,
    DescribeBatchInferenceJobRequest, DescribeBatchInferenceJobResponse, ListBatchInferenceJobsRequest,
    ListBatchInferenceJobsResponse, ResourceStatus, SolutionVersion, DEFAULT_BATCH_NUM_RESULTS,
};
use reko_engine::{Exploration, Model, RankQuery, RecipeType, RecommendQuery, ScoredItem};
use reko_storage::TaskKind;
use serde_json::{json, Value};

use crate::access::AccessScope;
use crate::batch_files::{echo_input, job_done, JobFiles};
use crate::error::ServiceResult;
use crate::filter::FilterRequest;
use crate::resource::{now, paginate, to_document, ResourceKind};
use crate::tasks::{Outcome, Progress};
use crate::Reko;

/// Batch inference jobs pending or in progress at once (Personalize's regional quota).
const MAX_PENDING_JOBS: usize = 5;
/// Lines scored per parallel step.
const CHUNK_LINES: usize = 512;

impl Reko {
    pub fn create_batch_inference_job(
        &self,
        req: CreateBatchInferenceJobRequest,
        scope: &AccessScope,
    ) -> ServiceResult<CreateBatchInferenceJobResponse> {
        let checked = self.check_batch_job(
            "CreateBatchInferenceJob",
            &req.solution_version_arn,
            req.filter_arn.as_deref(),
            &req.job_input.s3_data_source,
            &req.job_output.s3_data_destination,
            scope,
            &req.role_arn,
        )?;
        if checked.recipe.name == "aws-trending-now" || checked.recipe.recipe_type == RecipeType::PersonalizedActions {
            return Err(ApiError::InvalidInput(format!(
                "Batch inference is not supported for {} solution versions (as in Personalize).",
                checked.recipe.name
            ))
            .into());
        }
        if checked.recipe.recipe_type == RecipeType::UserSegmentation {
            return Err(ApiError::InvalidInput(format!(
                "Solution version {} is a USER_SEGMENTATION one ({}); use CreateBatchSegmentJob.",
                req.solution_version_arn, checked.recipe.name
            ))
            .into());
        }
        if req.batch_inference_job_mode.as_deref() == Some("THEME_GENERATION") || req.theme_generation_config.is_some()
        {
            return Err(ApiError::NotImplemented("CreateBatchInferenceJob with THEME_GENERATION".into()).into());
        }
        let group = checked.dataset_group_arn;
        // Validate the exploration settings now, not in the middle of the job.
        crate::campaign::refuse_ranking_influence(
            req.batch_inference_job_config.as_ref().and_then(|c| c.ranking_influence.as_ref()),
            "batchInferenceJobConfig",
        )?;
        crate::campaign::refuse_idle_exploration(
            checked.recipe.name,
            req.batch_inference_job_config.as_ref().and_then(|c| c.item_exploration_config.as_ref()),
            "batchInferenceJobConfig",
        )?;
        crate::campaign::exploration_from_map(
            req.batch_inference_job_config.as_ref().and_then(|c| c.item_exploration_config.as_ref()),
            "batchInferenceJobConfig",
        )?;
        self.ensure_fewer_pending(ResourceKind::BatchInferenceJob, MAX_PENDING_JOBS, &group)?;
        let arn = self.arns().child(&req.solution_version_arn, ResourceKind::BatchInferenceJob, &req.job_name);
        let created = now();
        let job = BatchInferenceJob {
            job_name: req.job_name.clone(),
            batch_inference_job_arn: arn.clone(),
            filter_arn: req.filter_arn.clone(),
            failure_reason: None,
            solution_version_arn: req.solution_version_arn.clone(),
            num_results: req.num_results.unwrap_or(DEFAULT_BATCH_NUM_RESULTS),
            job_input: req.job_input.clone(),
            job_output: req.job_output.clone(),
            batch_inference_job_config: req.batch_inference_job_config.clone(),
            role_arn: req.role_arn.clone(),
            batch_inference_job_mode: "BATCH_INFERENCE".into(),
            status: ResourceStatus::CreatePending.as_str().into(),
            creation_date_time: created,
            last_updated_date_time: created,
        };
        self.create_resource(
            ResourceKind::BatchInferenceJob,
            &arn,
            &req.job_name,
            Some(&req.solution_version_arn),
            Some(&group),
            to_document(&job, &checked.grant.internal())?,
            TaskKind::BatchInference,
            &req.tags.unwrap_or_default(),
        )?;
        Ok(CreateBatchInferenceJobResponse { batch_inference_job_arn: arn })
    }

    pub fn describe_batch_inference_job(
        &self,
        req: DescribeBatchInferenceJobRequest,
    ) -> ServiceResult<DescribeBatchInferenceJobResponse> {
        let stored = self.load::<BatchInferenceJob>(ResourceKind::BatchInferenceJob, &req.batch_inference_job_arn)?;
        Ok(DescribeBatchInferenceJobResponse { batch_inference_job: stored.wire })
    }

    pub fn list_batch_inference_jobs(
        &self,
        req: ListBatchInferenceJobsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListBatchInferenceJobsResponse> {
        let all = self.load_visible::<BatchInferenceJob>(
            ResourceKind::BatchInferenceJob,
            req.solution_version_arn.as_deref(),
            scope,
        )?;
        let (batch_inference_jobs, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListBatchInferenceJobsResponse { batch_inference_jobs, next_token })
    }

    /// The batch inference task.
    pub(crate) fn run_batch_inference(&self, arn: &str, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let stored = match self.start_job::<BatchInferenceJob>(ResourceKind::BatchInferenceJob, arn)? {
            Ok(stored) => stored,
            Err(outcome) => return Ok(outcome),
        };
        let job = &stored.wire;
        let grant = crate::job_access::JobGrant::of(&stored.internal);
        let files =
            match JobFiles::open(self, &job.job_input.s3_data_source, &job.job_output.s3_data_destination, &grant) {
                Ok(files) => files,
                Err(e) => return Ok(Outcome::Failed { reason: e.to_string() }),
            };
        let version = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, &job.solution_version_arn)?;
        // A campaign serving the version already holds its model, indexes built: a batch job
        // shares it instead of loading the artifact again (seconds at a million items).
        let deployment = match self.serving_deployment_of(&job.solution_version_arn) {
            Some(d) => d,
            None => self.load_deployment(arn, &job.solution_version_arn, None)?,
        };
        let exploration = crate::campaign::exploration_from_map(
            job.batch_inference_job_config.as_ref().and_then(|c| c.item_exploration_config.as_ref()),
            "batchInferenceJobConfig",
        )?;
        let ctx = LineContext {
            reko: self,
            model: deployment.model.as_ref(),
            recipe_type: deployment.recipe_type,
            dataset_group_arn: version.wire.dataset_group_arn.clone().unwrap_or_default(),
            filter_arn: job.filter_arn.as_deref(),
            num_results: job.num_results.max(1) as usize,
            exploration,
        };
        let counts = match files.run(CHUNK_LINES, &|chunk: &[String]| ctx.lines(chunk), progress) {
            Ok(counts) => counts,
            Err(e) => return Ok(Outcome::Failed { reason: e.to_string() }),
        };
        job_done::<BatchInferenceJob>(self, ResourceKind::BatchInferenceJob, arn, counts)
    }
}

/// An input line of the fast path: the text, whether it is JSON, its user and context tokens (or
/// its error).
type ParsedLine<'a> = (&'a str, bool, Result<(Option<String>, Vec<String>), String>);

/// The `userId` and context of an input line for a user recipe (userId required for
/// USER_PERSONALIZATION).
fn user_of(input: &Value, recipe_type: RecipeType) -> Result<(Option<String>, Vec<String>), String> {
    let obj = input.as_object().ok_or("The input line must be a JSON object.")?;
    let context = context_of(obj)?;
    // The same checks as the per-line path, so a line is judged alike with or without a filter.
    match obj.get("itemId") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 256 => {}
        Some(_) => return Err("\"itemId\" must be a non-empty string of at most 256 characters.".into()),
    }
    if let Some(v) = obj.get("filterValues").filter(|v| !v.is_null()) {
        if serde_json::from_value::<std::collections::BTreeMap<String, String>>(v.clone()).is_err() {
            return Err("\"filterValues\" must be an object of strings (e.g. {\"GENRE\": \"\\\"Comedy\\\"\"}).".into());
        }
    }
    match obj.get("userId") {
        None | Some(Value::Null) if recipe_type == RecipeType::UserPersonalization => {
            Err("\"userId\" is required: the solution version is a USER_PERSONALIZATION one.".into())
        }
        None | Some(Value::Null) => Ok((None, context)),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 256 => Ok((Some(s.clone()), context)),
        Some(_) => Err("\"userId\" must be a non-empty string of at most 256 characters.".into()),
    }
}

/// A line's `context` as the model's tokens, checked as GetRecommendations checks its `context`.
fn context_of(obj: &serde_json::Map<String, Value>) -> Result<Vec<String>, String> {
    let map: std::collections::BTreeMap<String, String> = match obj.get("context") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| "\"context\" must be an object of strings (e.g. {\"DEVICE\": \"mobile\"}).".to_string())?,
    };
    reko_api::validate_context(&map).map_err(|e| e.to_string())?;
    Ok(crate::runtime::context_tokens(Some(&map)))
}

/// What every line of a job shares.
struct LineContext<'a> {
    reko: &'a Reko,
    model: &'a dyn Model,
    recipe_type: RecipeType,
    dataset_group_arn: String,
    filter_arn: Option<&'a str>,
    num_results: usize,
    exploration: Exploration,
}

impl LineContext<'_> {
    /// The output lines of a chunk of input lines, scored in parallel.
    fn lines(&self, chunk: &[String]) -> Vec<(String, bool)> {
        use rayon::prelude::*;
        let fast = self.filter_arn.is_none()
            && matches!(self.recipe_type, RecipeType::UserPersonalization | RecipeType::PopularItems);
        if fast {
            // Without per-line filters, lines are scored many users per pass.
            chunk.par_chunks(CHUNK_LINES / 4).flat_map_iter(|part| self.lines_together(part)).collect()
        } else {
            chunk.par_iter().map(|l| self.line(l.trim_end())).collect()
        }
    }

    /// One output line: `{"input":…,"output":{"recommendedItems":[…],"scores":[…]},"error":null}`
    /// or, for a bad line, `{"input":…,"output":null,"error":"…"}`; the flag says which.
    fn line(&self, text: &str) -> (String, bool) {
        let parsed: Result<Value, String> =
            serde_json::from_str::<Value>(text).map_err(|e| format!("Invalid JSON: {e}"));
        let ok = parsed.is_ok();
        let result = parsed.and_then(|input| self.score(&input));
        self.render(text, ok, result)
    }

    /// Lines of a job without a filter on a user recipe, scored with one `recommend_many`.
    fn lines_together(&self, lines: &[String]) -> Vec<(String, bool)> {
        // (line, parsed as JSON, its user or the line's error)
        let parsed: Vec<ParsedLine<'_>> = lines
            .iter()
            .map(|l| {
                let text = l.trim_end();
                match serde_json::from_str::<Value>(text) {
                    Ok(input) => (text, true, user_of(&input, self.recipe_type)),
                    Err(e) => (text, false, Err(format!("Invalid JSON: {e}"))),
                }
            })
            .collect();
        let queries: Vec<RecommendQuery> = parsed
            .iter()
            .filter_map(|(_, _, u)| u.as_ref().ok())
            .map(|(user, context)| RecommendQuery {
                user_id: user.as_deref(),
                item_id: None,
                num_results: self.num_results,
                exclude: &|_| false,
                exclude_index: None,
                candidates: None,
                context,
                exploration: Some(self.exploration),
            })
            .collect();
        let mut answers = self.model.recommend_many(&queries).into_iter();
        parsed
            .into_iter()
            .map(|(text, ok, user)| {
                let result = user.map(|_| answers.next().unwrap_or_default());
                self.render(text, ok, result)
            })
            .collect()
    }

    /// The output line, keys in Personalize's order (`input`, `output`, `error`); a line that
    /// parsed is echoed verbatim, one that did not as a JSON string.
    fn render(&self, raw: &str, parsed: bool, result: Result<Vec<ScoredItem>, String>) -> (String, bool) {
        let input = echo_input(raw, parsed);
        match result {
            Ok(items) => {
                let mut output =
                    json!({ "recommendedItems": items.iter().map(|i| i.item_id.as_str()).collect::<Vec<_>>() });
                if self.model.has_scores() {
                    output["scores"] = json!(items.iter().map(|i| i.score.unwrap_or(0.0)).collect::<Vec<_>>());
                }
                (format!(r#"{{"input":{input},"output":{output},"error":null}}"#), false)
            }
            Err(message) => (format!(r#"{{"input":{input},"output":null,"error":{}}}"#, Value::String(message)), true),
        }
    }

    fn score(&self, input: &Value) -> Result<Vec<ScoredItem>, String> {
        let obj = input.as_object().ok_or("The input line must be a JSON object.")?;
        let text = |key: &str| -> Result<Option<&str>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 256 => Ok(Some(s.as_str())),
                Some(_) => Err(format!("\"{key}\" must be a non-empty string of at most 256 characters.")),
            }
        };
        let user = text("userId")?;
        let item = text("itemId")?;
        let context = context_of(obj)?;
        let values: Option<std::collections::BTreeMap<String, String>> = match obj.get("filterValues") {
            None | Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| {
                "\"filterValues\" must be an object of strings (e.g. {\"GENRE\": \"\\\"Comedy\\\"\"}).".to_string()
            })?),
        };
        let gate = match self.filter_arn {
            Some(arn) => self
                .reko
                .item_gate(&FilterRequest {
                    filter_arn: arn,
                    values: values.as_ref(),
                    dataset_group_arn: &self.dataset_group_arn,
                    user_id: user,
                    item_id: item,
                })
                .map_err(|e| e.to_string())?,
            None => None,
        };
        match self.recipe_type {
            RecipeType::PersonalizedRanking => {
                let user = user.ok_or("\"userId\" is required: the solution version is a PERSONALIZED_RANKING one.")?;
                let list: Vec<String> = match obj.get("itemList") {
                    Some(Value::Array(a)) if !a.is_empty() && a.len() <= 500 => a
                        .iter()
                        .map(|v| v.as_str().map(str::to_string).ok_or("\"itemList\" must hold strings."))
                        .collect::<Result<_, _>>()?,
                    _ => return Err("\"itemList\" must be a list of 1 to 500 item ids.".into()),
                };
                let list = match &gate {
                    Some(g) => g.with(|allowed| list.into_iter().filter(|i| allowed(i)).collect()),
                    None => list,
                };
                Ok(self.model.rank(&RankQuery { user_id: user, input: &list, context: &context }))
            }
            recipe_type => {
                if recipe_type == RecipeType::UserPersonalization && user.is_none() {
                    return Err("\"userId\" is required: the solution version is a USER_PERSONALIZATION one.".into());
                }
                if recipe_type == RecipeType::RelatedItems && item.is_none() {
                    return Err("\"itemId\" is required: the solution version is a RELATED_ITEMS one.".into());
                }
                let run = |allowed: &dyn Fn(&str) -> bool| {
                    self.model.recommend(&RecommendQuery {
                        user_id: user,
                        item_id: item,
                        num_results: self.num_results,
                        exclude: &|id| !allowed(id),
                        exclude_index: None,
                        candidates: None,
                        context: &context,
                        exploration: Some(self.exploration),
                    })
                };
                Ok(match &gate {
                    Some(g) => g.with(run),
                    None => run(&|_| true),
                })
            }
        }
    }
}
