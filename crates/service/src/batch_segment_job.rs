//! Batch segment jobs (docs/compatibility.md, "Batch segments"): for each input line, the users
//! most likely to interact with an item (`aws-item-affinity`, `{"itemId"}` lines) or with items
//! having given attribute values (`aws-item-attribute-affinity`, `{"itemAttributes"}` lines), most
//! likely first.
//!
//! Output lines, one per input line, the input echoed in `"input"`:
//! `{"input":{"itemId":"105"},"output":{"usersList":[…],"recommendedUsers":[…]},"error":null}` and
//! `{"input":{"itemAttributes":"…"},"output":{…},"error":null}`. Personalize's documentation shows
//! `recommendedUsers` (and attribute queries unwrapped, unverified); the recorded runs of AWS's own
//! sample notebooks show `usersList` and the wrapped form, and their code reads those. Both user
//! keys are written, so parsers written against either work.
//!
//! A bad line gets `"output":null` and its `"error"` while the job goes on (as batch inference
//! lines do). A file with more lines than Personalize allows (500 items, 10 attribute queries)
//! fails the job, naming the file. A filter must select `UserID`
//! (e.g. `INCLUDE UserID WHERE Users.TIER IN ($T)`), with `filterValues` per line.

use std::collections::BTreeMap;
use std::io::BufRead;

use reko_api::{
    ApiError, BatchSegmentJob, CreateBatchSegmentJobRequest, CreateBatchSegmentJobResponse,
    DescribeBatchSegmentJobRequest, DescribeBatchSegmentJobResponse, ListBatchSegmentJobsRequest,
    ListBatchSegmentJobsResponse, ResourceStatus, DEFAULT_SEGMENT_NUM_RESULTS,
};
use reko_engine::{Model, SegmentQuery};
use reko_filter::UserInteraction;
use reko_storage::TaskKind;
use serde_json::{json, Value};

use crate::access::AccessScope;
use crate::batch_files::{echo_input, job_done, JobFiles};
use crate::data_roots::PlaceError;
use crate::error::ServiceResult;
use crate::resource::{now, paginate, to_document, ResourceKind};
use crate::tasks::{Outcome, Progress};
use crate::Reko;

/// Batch segment jobs pending or in progress at once (Personalize's regional quota).
const MAX_PENDING_JOBS: usize = 5;
/// Input lines per file ("Amazon Personalize endpoints and quotas": Item-Affinity 500,
/// Item-Attribute-Affinity 10).
const MAX_ITEM_LINES: usize = 500;
const MAX_ATTRIBUTE_LINES: usize = 10;
/// Lines segmented per parallel step (each line is a pass over every user vector).
const CHUNK_LINES: usize = 64;

impl Reko {
    pub fn create_batch_segment_job(
        &self,
        req: CreateBatchSegmentJobRequest,
        scope: &AccessScope,
    ) -> ServiceResult<CreateBatchSegmentJobResponse> {
        let checked = self.check_batch_job(
            "CreateBatchSegmentJob",
            &req.solution_version_arn,
            req.filter_arn.as_deref(),
            &req.job_input.s3_data_source,
            &req.job_output.s3_data_destination,
            scope,
            &req.role_arn,
        )?;
        if checked.recipe.recipe_type != reko_engine::RecipeType::UserSegmentation {
            return Err(ApiError::InvalidInput(format!(
                "Solution version {} uses {} ({}); batch segment jobs need a USER_SEGMENTATION solution version \
                 (aws-item-affinity or aws-item-attribute-affinity).",
                req.solution_version_arn, checked.recipe.name, checked.recipe.recipe_type
            ))
            .into());
        }
        if let Some(filter_arn) = &req.filter_arn {
            let (selects_users, _) = self.user_filter_needs(filter_arn, &checked.dataset_group_arn)?;
            if !selects_users {
                return Err(ApiError::InvalidInput(format!(
                    "Filter {filter_arn} does not select UserID; batch segment jobs take user filters such as \
                     INCLUDE UserID WHERE Users.X IN ($P)."
                ))
                .into());
            }
        }
        self.ensure_fewer_pending(ResourceKind::BatchSegmentJob, MAX_PENDING_JOBS, &checked.dataset_group_arn)?;
        let arn = self.arns().child(&req.solution_version_arn, ResourceKind::BatchSegmentJob, &req.job_name);
        let created = now();
        let job = BatchSegmentJob {
            job_name: req.job_name.clone(),
            batch_segment_job_arn: arn.clone(),
            filter_arn: req.filter_arn.clone(),
            failure_reason: None,
            solution_version_arn: req.solution_version_arn.clone(),
            num_results: req.num_results.unwrap_or(DEFAULT_SEGMENT_NUM_RESULTS),
            job_input: req.job_input.clone(),
            job_output: req.job_output.clone(),
            role_arn: req.role_arn.clone(),
            status: ResourceStatus::CreatePending.as_str().into(),
            creation_date_time: created,
            last_updated_date_time: created,
        };
        self.create_resource(
            ResourceKind::BatchSegmentJob,
            &arn,
            &req.job_name,
            Some(&req.solution_version_arn),
            Some(&checked.dataset_group_arn),
            to_document(&job, &checked.grant.internal())?,
            TaskKind::BatchSegment,
            &req.tags.unwrap_or_default(),
        )?;
        Ok(CreateBatchSegmentJobResponse { batch_segment_job_arn: arn })
    }

    pub fn describe_batch_segment_job(
        &self,
        req: DescribeBatchSegmentJobRequest,
    ) -> ServiceResult<DescribeBatchSegmentJobResponse> {
        let stored = self.load::<BatchSegmentJob>(ResourceKind::BatchSegmentJob, &req.batch_segment_job_arn)?;
        Ok(DescribeBatchSegmentJobResponse { batch_segment_job: stored.wire })
    }

    pub fn list_batch_segment_jobs(
        &self,
        req: ListBatchSegmentJobsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListBatchSegmentJobsResponse> {
        let all = self.load_visible::<BatchSegmentJob>(
            ResourceKind::BatchSegmentJob,
            req.solution_version_arn.as_deref(),
            scope,
        )?;
        let (batch_segment_jobs, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListBatchSegmentJobsResponse { batch_segment_jobs, next_token })
    }

    /// The batch segment task.
    pub(crate) fn run_batch_segment(&self, arn: &str, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let stored = match self.start_job::<BatchSegmentJob>(ResourceKind::BatchSegmentJob, arn)? {
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
        let deployment = self.load_deployment(arn, &job.solution_version_arn, None)?;
        let attributes =
            deployment.model.recipe() == reko_engine::recipes::item_affinity::INFO_ITEM_ATTRIBUTE_AFFINITY.name;
        let max_lines = if attributes { MAX_ATTRIBUTE_LINES } else { MAX_ITEM_LINES };
        for input in &files.inputs {
            match files.open_input(input).and_then(|file| Ok(count_lines(file, input, max_lines)?)) {
                Ok(n) if n > max_lines => {
                    return Ok(Outcome::Failed {
                        reason: format!(
                            "{} has more than {max_lines} input lines; {} jobs take at most {max_lines} per file.",
                            input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                            deployment.model.recipe()
                        ),
                    })
                }
                Ok(_) => {}
                Err(e) => return Ok(Outcome::Failed { reason: e.to_string() }),
            }
        }
        let group = deployment.dataset_group_arn.clone();
        let events = match &job.filter_arn {
            Some(f) if self.user_filter_needs(f, &group)?.1 => self.group_events(&group)?,
            _ => Vec::new(),
        };
        let interactions: Vec<UserInteraction<'_>> =
            events.iter().map(|(u, t, ts)| UserInteraction { user_id: u, event_type: t, timestamp: *ts }).collect();
        let ctx = SegmentLines {
            reko: self,
            model: deployment.model.as_ref(),
            attributes,
            dataset_group_arn: group,
            filter_arn: job.filter_arn.as_deref(),
            interactions: &interactions,
            num_results: job.num_results.max(1) as usize,
        };
        let counts = match files.run(CHUNK_LINES, &|chunk: &[String]| ctx.lines(chunk), progress) {
            Ok(counts) => counts,
            Err(e) => return Ok(Outcome::Failed { reason: e.to_string() }),
        };
        job_done::<BatchSegmentJob>(self, ResourceKind::BatchSegmentJob, arn, counts)
    }
}

/// Non-blank lines of an opened file, counted up to one past `limit` (enough to refuse the file).
fn count_lines(file: std::fs::File, path: &std::path::Path, limit: usize) -> Result<usize, PlaceError> {
    let mut n = 0;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(PlaceError::io("read", path))?;
        n += usize::from(!line.trim().is_empty());
        if n > limit {
            break;
        }
    }
    Ok(n)
}

/// What every line of a job shares.
struct SegmentLines<'a> {
    reko: &'a Reko,
    model: &'a dyn Model,
    /// Item-Attribute-Affinity (`itemAttributes` lines) rather than Item-Affinity (`itemId`).
    attributes: bool,
    dataset_group_arn: String,
    filter_arn: Option<&'a str>,
    /// The group's interactions, for UserID filters on Interactions (empty otherwise).
    interactions: &'a [UserInteraction<'a>],
    num_results: usize,
}

impl SegmentLines<'_> {
    fn lines(&self, chunk: &[String]) -> Vec<(String, bool)> {
        use rayon::prelude::*;
        chunk.par_iter().map(|l| self.line(l.trim_end())).collect()
    }

    /// One output line and whether it failed.
    fn line(&self, raw: &str) -> (String, bool) {
        let parsed = serde_json::from_str::<Value>(raw);
        let result = match &parsed {
            Ok(input) => self.segment(input),
            Err(e) => Err(format!("Invalid JSON: {e}")),
        };
        let head = format!(r#""input":{}"#, echo_input(raw, parsed.is_ok()));
        match result {
            Ok(users) => {
                let output = json!({ "usersList": users, "recommendedUsers": users });
                (format!(r#"{{{head},"output":{output},"error":null}}"#), false)
            }
            Err(message) => (format!(r#"{{{head},"output":null,"error":{}}}"#, Value::String(message)), true),
        }
    }

    fn segment(&self, input: &Value) -> Result<Vec<String>, String> {
        let obj = input.as_object().ok_or("The input line must be a JSON object.")?;
        let values: Option<BTreeMap<String, String>> = match obj.get("filterValues") {
            None | Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| {
                "\"filterValues\" must be an object of strings (e.g. {\"TIER\": \"\\\"gold\\\"\"}).".to_string()
            })?),
        };
        let items: Vec<String> = if self.attributes {
            let query = match obj.get("itemAttributes") {
                Some(Value::String(q)) => q,
                _ => {
                    return Err("\"itemAttributes\" is required: a query such as ITEMS.GENRES = \"Comedy\" (the \
                                solution version is an aws-item-attribute-affinity one)."
                        .into())
                }
            };
            let items = self.reko.items_matching(&self.dataset_group_arn, query).map_err(|e| e.to_string())?;
            let known: Vec<String> = items.into_iter().filter(|i| self.model.knows_item(i)).collect();
            if known.is_empty() {
                return Err(format!("No item known to the solution version matches {query}."));
            }
            known
        } else {
            let item = match obj.get("itemId") {
                Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 256 => s.clone(),
                Some(Value::String(_)) | Some(Value::Number(_)) | Some(Value::Bool(_)) => {
                    return Err("\"itemId\" must be a non-empty string of at most 256 characters.".into())
                }
                _ => return Err("\"itemId\" is required (the solution version is an aws-item-affinity one).".into()),
            };
            if !self.model.knows_item(&item) {
                return Err(format!("Item {item} is not in the solution version's training data."));
            }
            vec![item]
        };
        let ids: Vec<&str> = items.iter().map(String::as_str).collect();
        let gate = match self.filter_arn {
            Some(arn) => self
                .reko
                .user_gate(arn, &self.dataset_group_arn, values.as_ref(), self.interactions)
                .map_err(|e| e.to_string())?,
            None => None,
        };
        let run = |allowed: &dyn Fn(&str) -> bool| {
            self.model.segment(&SegmentQuery {
                item_ids: &ids,
                num_results: self.num_results,
                exclude_user: &|u| !allowed(u),
            })
        };
        let users = match &gate {
            Some(g) => g.with(run),
            None => run(&|_| true),
        };
        users.ok_or_else(|| "The solution version does not build user segments.".to_string())
    }
}
