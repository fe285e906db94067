//! Metric attributions: CreateMetricAttribution, DescribeMetricAttribution,
//! ListMetricAttributions, UpdateMetricAttribution, DeleteMetricAttribution,
//! ListMetricAttributionMetrics (docs/compatibility.md, "Metric attributions").
//!
//! One per dataset group. Its metrics live in the resource's internal part (the wire shape has
//! none), beside the grant its output location is written with; [`attribute`] measures the
//! events PutEvents stores against them, [`report`] writes the closed windows to the location.

pub mod attribute;
mod report;

use reko_api::{
    ApiError, CreateMetricAttributionRequest, CreateMetricAttributionResponse, DeleteMetricAttributionRequest,
    DescribeMetricAttributionRequest, DescribeMetricAttributionResponse, ListMetricAttributionMetricsRequest,
    ListMetricAttributionMetricsResponse, ListMetricAttributionsRequest, ListMetricAttributionsResponse,
    MetricAttribute, MetricAttribution, MetricAttributionOutput, MetricExpression, ResourceStatus,
    UpdateMetricAttributionRequest, UpdateMetricAttributionResponse, MAX_METRICS,
};
use reko_dataset::{DatasetType, FieldType};
use reko_storage::TaskKind;
use serde_json::Value;

use crate::access::AccessScope;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, paginate, to_document, ResourceKind, Stored};
use crate::Reko;

/// The internal key holding the attribution's metrics.
const METRICS: &str = "metrics";

/// The metrics of a stored attribution.
pub(crate) fn stored_metrics(internal: &Value) -> ServiceResult<Vec<MetricAttribute>> {
    match internal.get(METRICS) {
        None => Ok(Vec::new()),
        Some(m) => serde_json::from_value(m.clone())
            .map_err(|e| ServiceError::Internal(format!("stored metrics of a metric attribution: {e}"))),
    }
}

/// `internal` with `metrics` set (an internal part that is not an object is replaced).
fn set_metrics(internal: &mut Value, metrics: &[MetricAttribute]) -> ServiceResult<()> {
    let metrics = serde_json::to_value(metrics).map_err(|e| ServiceError::Internal(e.to_string()))?;
    match internal.as_object_mut() {
        Some(map) => {
            map.insert(METRICS.into(), metrics);
        }
        None => *internal = serde_json::json!({ METRICS: metrics }),
    }
    Ok(())
}

impl Reko {
    pub fn create_metric_attribution(
        &self,
        req: CreateMetricAttributionRequest,
        scope: &AccessScope,
    ) -> ServiceResult<CreateMetricAttributionResponse> {
        self.active_dataset_group(&req.dataset_group_arn)?;
        let mut internal = self.authorize_output(scope, &req.metrics_output_config)?;
        set_metrics(&mut internal, &req.metrics)?;
        let existing =
            self.load_all::<MetricAttribution>(ResourceKind::MetricAttribution, Some(&req.dataset_group_arn))?;
        if let Some(other) = existing.first() {
            return Err(ApiError::ResourceAlreadyExists(format!(
                "Dataset group {} already has a metric attribution ({}).",
                req.dataset_group_arn, other.wire.metric_attribution_arn
            ))
            .into());
        }
        self.check_metric_columns(&req.dataset_group_arn, "metrics", &req.metrics)?;
        let arn = self.arns().child(&req.dataset_group_arn, ResourceKind::MetricAttribution, &req.name);
        let created = now();
        let attribution = MetricAttribution {
            name: req.name.clone(),
            metric_attribution_arn: arn.clone(),
            dataset_group_arn: req.dataset_group_arn.clone(),
            metrics_output_config: req.metrics_output_config,
            status: ResourceStatus::CreatePending.as_str().into(),
            creation_date_time: created,
            last_updated_date_time: created,
            failure_reason: None,
        };
        self.create_resource(
            ResourceKind::MetricAttribution,
            &arn,
            &req.name,
            Some(&req.dataset_group_arn),
            Some(&req.dataset_group_arn),
            to_document(&attribution, &internal)?,
            TaskKind::Activate,
            &[],
        )?;
        Ok(CreateMetricAttributionResponse { metric_attribution_arn: arn })
    }

    pub fn describe_metric_attribution(
        &self,
        req: DescribeMetricAttributionRequest,
    ) -> ServiceResult<DescribeMetricAttributionResponse> {
        let stored = self.load::<MetricAttribution>(ResourceKind::MetricAttribution, &req.metric_attribution_arn)?;
        Ok(DescribeMetricAttributionResponse { metric_attribution: stored.wire })
    }

    pub fn list_metric_attributions(
        &self,
        req: ListMetricAttributionsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListMetricAttributionsResponse> {
        let all = self.load_visible::<MetricAttribution>(
            ResourceKind::MetricAttribution,
            req.dataset_group_arn.as_deref(),
            scope,
        )?;
        let (metric_attributions, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListMetricAttributionsResponse { metric_attributions, next_token })
    }

    /// Metric definitions (not values), by metric name.
    pub fn list_metric_attribution_metrics(
        &self,
        req: ListMetricAttributionMetricsRequest,
    ) -> ServiceResult<ListMetricAttributionMetricsResponse> {
        let arn = req.metric_attribution_arn.unwrap_or_default();
        let stored = self.load::<MetricAttribution>(ResourceKind::MetricAttribution, &arn)?;
        let mut metrics = stored_metrics(&stored.internal)?;
        metrics.sort_by(|a, b| a.metric_name.cmp(&b.metric_name));
        let (page, next_token) = reko_api::common::paginate(
            &metrics,
            |m| m.metric_name.clone(),
            req.next_token.as_deref(),
            req.max_results,
        )?;
        Ok(ListMetricAttributionMetricsResponse { metrics: page.into_iter().cloned().collect(), next_token })
    }

    /// Applies `removeMetrics`, then `addMetrics`, then `metricsOutputConfig`, at once; the
    /// attribution stays ACTIVE (values already measured are kept).
    pub fn update_metric_attribution(
        &self,
        req: UpdateMetricAttributionRequest,
        scope: &AccessScope,
    ) -> ServiceResult<UpdateMetricAttributionResponse> {
        let arn = req.metric_attribution_arn.clone().unwrap_or_default();
        let mut stored = self.load::<MetricAttribution>(ResourceKind::MetricAttribution, &arn)?;
        if stored.record.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "Metric attribution {arn} is {}; wait until it is ACTIVE.",
                stored.record.status
            ))
            .into());
        }
        if req.add_metrics.is_none() && req.remove_metrics.is_none() && req.metrics_output_config.is_none() {
            return Err(ApiError::InvalidInput(
                "Nothing to update: give addMetrics, removeMetrics or metricsOutputConfig.".into(),
            )
            .into());
        }
        let mut metrics = stored_metrics(&stored.internal)?;
        for (i, name) in req.remove_metrics.iter().flatten().enumerate() {
            let before = metrics.len();
            metrics.retain(|m| &m.metric_name != name);
            if metrics.len() == before {
                return Err(ApiError::InvalidInput(format!(
                    "removeMetrics.{}: metric attribution {arn} has no metric named '{name}'.",
                    i + 1
                ))
                .into());
            }
        }
        let add = req.add_metrics.unwrap_or_default();
        for (i, m) in add.iter().enumerate() {
            if metrics.iter().any(|o| o.metric_name == m.metric_name) {
                return Err(ApiError::ResourceAlreadyExists(format!(
                    "addMetrics.{}.metricName: metric attribution {arn} already has a metric named '{}'.",
                    i + 1,
                    m.metric_name
                ))
                .into());
            }
        }
        self.check_metric_columns(&stored.wire.dataset_group_arn, "addMetrics", &add)?;
        metrics.extend(add);
        if metrics.len() > MAX_METRICS {
            return Err(ApiError::InvalidInput(format!(
                "A metric attribution has at most {MAX_METRICS} metrics; this update leaves {}.",
                metrics.len()
            ))
            .into());
        }
        if metrics.is_empty() {
            return Err(ApiError::InvalidInput(
                "removeMetrics: a metric attribution keeps at least one metric.".into(),
            )
            .into());
        }
        if let Some(output) = req.metrics_output_config {
            // The new location's grant replaces the old; what was reported stays reported.
            let mut internal = self.authorize_output(scope, &output)?;
            if let (Some(map), Some(from)) = (internal.as_object_mut(), stored.internal.get(report::REPORTED_FROM)) {
                map.insert(report::REPORTED_FROM.into(), from.clone());
            }
            stored.internal = internal;
            stored.wire.metrics_output_config = output;
        }
        stored.wire.last_updated_date_time = now();
        set_metrics(&mut stored.internal, &metrics)?;
        self.save(&stored, ResourceStatus::Active.as_str())?;
        Ok(UpdateMetricAttributionResponse { metric_attribution_arn: arn })
    }

    pub fn delete_metric_attribution(&self, req: DeleteMetricAttributionRequest) -> ServiceResult<()> {
        let stored = self.load::<MetricAttribution>(ResourceKind::MetricAttribution, &req.metric_attribution_arn)?;
        self.start_deletion(&stored)
    }

    /// The grant a report location is written with (checked as a job's output location, its
    /// `roleArn` selecting the S3 role), as the internal part to store; `{}` without a location.
    fn authorize_output(&self, scope: &AccessScope, output: &MetricAttributionOutput) -> ServiceResult<Value> {
        let Some(dest) = &output.s3_data_destination else { return Ok(serde_json::json!({})) };
        let field = "metricsOutputConfig.s3DataDestination.path";
        let grant = self.authorize_job_locations(scope, Some(&output.role_arn), &[(dest.path.as_str(), field)])?;
        crate::batch_files::check_kms_location("metricsOutputConfig.s3DataDestination", dest)?;
        Ok(grant.internal())
    }

    /// `SUM(Items.<column>)` needs the group's Items dataset to have `column`, numeric.
    fn check_metric_columns(
        &self,
        dataset_group_arn: &str,
        field: &str,
        metrics: &[MetricAttribute],
    ) -> ServiceResult<()> {
        for (i, m) in metrics.iter().enumerate() {
            let Ok(MetricExpression::SumItems(column)) = MetricExpression::parse(&m.expression) else { continue };
            let at = format!("{field}.{}.expression", i + 1);
            let Some(items) = self.dataset_of_type(dataset_group_arn, DatasetType::Items)? else {
                return Err(ApiError::InvalidInput(format!(
                    "{at}: '{}' sums an Items column, but dataset group {dataset_group_arn} has no Items dataset.",
                    m.expression
                ))
                .into());
            };
            let schema = self.parsed_schema(&items.wire.schema_arn)?;
            match schema.fields.iter().find(|f| f.name == column) {
                None => {
                    return Err(ApiError::InvalidInput(format!(
                        "{at}: '{}' names {column}, which is not a column of the Items schema (columns: {}).",
                        m.expression,
                        schema.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                    .into())
                }
                Some(f)
                    if !matches!(
                        f.field_type,
                        FieldType::Int | FieldType::Long | FieldType::Float | FieldType::Double
                    ) =>
                {
                    return Err(ApiError::InvalidInput(format!(
                        "{at}: '{}' sums {column}, which is not numeric in the Items schema (int, long, float or \
                         double).",
                        m.expression
                    ))
                    .into())
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The group's ACTIVE metric attribution and its metrics, if it has one.
    pub(crate) fn active_attribution(
        &self,
        dataset_group_arn: &str,
    ) -> ServiceResult<Option<(Stored<MetricAttribution>, Vec<MetricAttribute>)>> {
        let all = self.load_all::<MetricAttribution>(ResourceKind::MetricAttribution, Some(dataset_group_arn))?;
        let Some(stored) = all.into_iter().find(|s| s.record.status == ResourceStatus::Active.as_str()) else {
            return Ok(None);
        };
        let metrics = stored_metrics(&stored.internal)?;
        Ok(Some((stored, metrics)))
    }

    /// `publishAttributionMetricsToS3 = true` on an import into `dataset`: it must be the
    /// Interactions dataset of a group whose ACTIVE attribution has an output location.
    pub(crate) fn check_publish_attribution(&self, dataset: &reko_api::Dataset) -> ServiceResult<()> {
        if !dataset.dataset_type.eq_ignore_ascii_case("INTERACTIONS") {
            return Err(ApiError::InvalidInput(format!(
                "publishAttributionMetricsToS3 applies to Interactions imports; {} is a {} dataset.",
                dataset.dataset_arn, dataset.dataset_type
            ))
            .into());
        }
        match self.active_attribution(&dataset.dataset_group_arn)? {
            None => Err(ApiError::InvalidInput(format!(
                "publishAttributionMetricsToS3 needs an ACTIVE metric attribution in dataset group {} \
                 (CreateMetricAttribution).",
                dataset.dataset_group_arn
            ))
            .into()),
            Some((a, _)) if a.wire.metrics_output_config.s3_data_destination.is_none() => {
                Err(ApiError::InvalidInput(format!(
                    "publishAttributionMetricsToS3: metric attribution {} has no \
                     metricsOutputConfig.s3DataDestination to publish to (UpdateMetricAttribution sets one).",
                    a.wire.name
                ))
                .into())
            }
            Some(_) => Ok(()),
        }
    }
}
