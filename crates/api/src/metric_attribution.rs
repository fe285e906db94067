//! Metric attributions: `MetricAttribution`, `MetricAttribute`, their operations, and the
//! grammar of a metric's `expression` (docs/compatibility.md, "Metric attributions").

use serde::{Deserialize, Serialize};

use crate::batch_inference_job::S3DataConfig;
use crate::common::validate_data_location;
use crate::error::ApiResult;
use crate::validate::{join, Validate, Violations};

/// Metrics one attribution may define (Personalize's quota).
pub const MAX_METRICS: usize = 10;

/// `MetricAttribute`: events of `eventType` measured as `expression`, reported as `metricName`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricAttribute {
    pub event_type: String,
    pub metric_name: String,
    pub expression: String,
}

/// `MetricAttributionOutput`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricAttributionOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_data_destination: Option<S3DataConfig>,
    pub role_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricAttribution {
    pub name: String,
    pub metric_attribution_arn: String,
    pub dataset_group_arn: String,
    pub metrics_output_config: MetricAttributionOutput,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricAttributionSummary {
    pub name: String,
    pub metric_attribution_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl From<&MetricAttribution> for MetricAttributionSummary {
    fn from(m: &MetricAttribution) -> Self {
        MetricAttributionSummary {
            name: m.name.clone(),
            metric_attribution_arn: m.metric_attribution_arn.clone(),
            status: m.status.clone(),
            creation_date_time: m.creation_date_time,
            last_updated_date_time: m.last_updated_date_time,
            failure_reason: m.failure_reason.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMetricAttributionRequest {
    pub name: String,
    pub dataset_group_arn: String,
    pub metrics: Vec<MetricAttribute>,
    pub metrics_output_config: MetricAttributionOutput,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMetricAttributionResponse {
    pub metric_attribution_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeMetricAttributionRequest {
    pub metric_attribution_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeMetricAttributionResponse {
    pub metric_attribution: MetricAttribution,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMetricAttributionsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMetricAttributionsResponse {
    pub metric_attributions: Vec<MetricAttributionSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMetricAttributionRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_metrics: Option<Vec<MetricAttribute>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_metrics: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_output_config: Option<MetricAttributionOutput>,
    /// Optional in the model; Reko needs it to know which attribution to change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_attribution_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMetricAttributionResponse {
    pub metric_attribution_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteMetricAttributionRequest {
    pub metric_attribution_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMetricAttributionMetricsRequest {
    /// Optional in the model; Reko needs it to know whose metrics to list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_attribution_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMetricAttributionMetricsResponse {
    pub metrics: Vec<MetricAttribute>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// A parsed `MetricAttribute.expression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricExpression {
    /// `SAMPLECOUNT()`: one per matching event.
    SampleCount,
    /// `SUM(Interactions.EVENT_VALUE)`: the events' `eventValue`.
    SumEventValue,
    /// `SUM(Items.<column>)`: the named column of the event's item (checked against the Items
    /// schema by the service).
    SumItems(String),
}

impl MetricExpression {
    /// Parses an expression; function and dataset names are case-insensitive, column names are
    /// compared as the schema spells them. The error says what is accepted.
    pub fn parse(text: &str) -> Result<MetricExpression, String> {
        let accepted = "use SAMPLECOUNT(), SUM(Interactions.EVENT_VALUE) or SUM(Items.<numeric column>)";
        let t = text.trim();
        let open =
            t.find('(').filter(|_| t.ends_with(')')).ok_or_else(|| format!("not a function call; {accepted}"))?;
        let (function, argument) = (t[..open].trim(), t[open + 1..t.len() - 1].trim());
        if function.eq_ignore_ascii_case("SAMPLECOUNT") {
            return match argument {
                "" => Ok(MetricExpression::SampleCount),
                _ => Err("SAMPLECOUNT takes no argument".into()),
            };
        }
        if !function.eq_ignore_ascii_case("SUM") {
            return Err(format!("unknown function '{function}'; {accepted}"));
        }
        let (dataset, column) =
            argument.split_once('.').ok_or_else(|| format!("SUM needs <dataset>.<column>; {accepted}"))?;
        let column = column.trim();
        if column.is_empty() || !column.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("'{column}' is not a column name; {accepted}"));
        }
        match dataset.trim() {
            d if d.eq_ignore_ascii_case("Interactions") && column == "EVENT_VALUE" => {
                Ok(MetricExpression::SumEventValue)
            }
            d if d.eq_ignore_ascii_case("Interactions") => {
                Err(format!("Interactions.{column} cannot be summed; only Interactions.EVENT_VALUE can ({accepted})"))
            }
            d if d.eq_ignore_ascii_case("Items") => Ok(MetricExpression::SumItems(column.to_string())),
            d => Err(format!("unknown dataset '{d}'; {accepted}")),
        }
    }
}

/// Checks a list of metrics at `path` (the members' lengths, the expressions' grammar, names
/// unique within the list).
fn validate_metrics(v: &mut Violations, path: &str, metrics: &[MetricAttribute]) {
    v.max_count(path, metrics.len(), MAX_METRICS);
    for (i, m) in metrics.iter().enumerate() {
        let p = format!("{path}.{}", i + 1);
        v.len_range(&join(&p, "eventType"), &m.event_type, 1, 256);
        v.len_range(&join(&p, "metricName"), &m.metric_name, 1, 256);
        v.len_range(&join(&p, "expression"), &m.expression, 1, 256);
        if let Err(why) = MetricExpression::parse(&m.expression) {
            v.push(&join(&p, "expression"), &m.expression, &format!("Member must be a metric expression: {why}"));
        }
        if metrics[..i].iter().any(|o| o.metric_name == m.metric_name) {
            v.push(&join(&p, "metricName"), &m.metric_name, "Member must be unique among the metrics");
        }
    }
}

fn validate_output(v: &mut Violations, path: &str, output: &MetricAttributionOutput) {
    v.role_arn(&join(path, "roleArn"), &output.role_arn);
    if let Some(dest) = &output.s3_data_destination {
        let p = join(path, "s3DataDestination");
        validate_data_location(v, &join(&p, "path"), &dest.path);
        if let Some(k) = &dest.kms_key_arn {
            v.kms_key_arn(&join(&p, "kmsKeyArn"), k);
        }
    }
}

impl Validate for CreateMetricAttributionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        if self.metrics.is_empty() {
            v.push_collection("metrics", 0, "Member must have length greater than or equal to 1");
        }
        validate_metrics(&mut v, "metrics", &self.metrics);
        validate_output(&mut v, "metricsOutputConfig", &self.metrics_output_config);
        v.finish()
    }
}

impl Validate for DescribeMetricAttributionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("metricAttributionArn", &self.metric_attribution_arn);
        v.finish()
    }
}

impl Validate for DeleteMetricAttributionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("metricAttributionArn", &self.metric_attribution_arn);
        v.finish()
    }
}

impl Validate for ListMetricAttributionsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("datasetGroupArn", self.dataset_group_arn.as_ref());
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.finish()
    }
}

impl Validate for ListMetricAttributionMetricsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        match &self.metric_attribution_arn {
            Some(arn) => v.arn("metricAttributionArn", arn),
            None => v.push_null("metricAttributionArn"),
        }
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.finish()
    }
}

impl Validate for UpdateMetricAttributionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        match &self.metric_attribution_arn {
            Some(arn) => v.arn("metricAttributionArn", arn),
            None => v.push_null("metricAttributionArn"),
        }
        if let Some(add) = &self.add_metrics {
            validate_metrics(&mut v, "addMetrics", add);
        }
        if let Some(remove) = &self.remove_metrics {
            v.max_count("removeMetrics", remove.len(), MAX_METRICS);
            for (i, name) in remove.iter().enumerate() {
                v.len_range(&format!("removeMetrics.{}", i + 1), name, 1, 256);
            }
        }
        if let Some(output) = &self.metrics_output_config {
            validate_output(&mut v, "metricsOutputConfig", output);
        }
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;
    use serde_json::json;

    const DSG: &str = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g";
    const ROLE: &str = "arn:aws:iam::123456789012:role/r";

    #[test]
    fn expressions_parse_into_what_is_measured() {
        assert_eq!(MetricExpression::parse("SAMPLECOUNT()"), Ok(MetricExpression::SampleCount));
        assert_eq!(MetricExpression::parse(" samplecount( ) "), Ok(MetricExpression::SampleCount));
        assert_eq!(MetricExpression::parse("SUM(Interactions.EVENT_VALUE)"), Ok(MetricExpression::SumEventValue));
        assert_eq!(MetricExpression::parse("sum(INTERACTIONS.EVENT_VALUE)"), Ok(MetricExpression::SumEventValue));
        assert_eq!(MetricExpression::parse("SUM(Items.PRICE)"), Ok(MetricExpression::SumItems("PRICE".into())));
        let err = |t: &str| MetricExpression::parse(t).unwrap_err();
        assert!(err("SAMPLECOUNT(1)").contains("no argument"));
        assert!(err("COUNT()").contains("unknown function 'COUNT'"));
        assert!(err("SUM(PRICE)").contains("<dataset>.<column>"));
        assert!(err("SUM(Users.AGE)").contains("unknown dataset 'Users'"));
        assert!(err("SUM(Interactions.TIMESTAMP)").contains("only Interactions.EVENT_VALUE"));
        assert!(err("SUM(Items.a-b)").contains("'a-b' is not a column name"));
        assert!(err("SUM(Items.PRICE").contains("not a function call"));
        assert!(err("").contains("not a function call"));
    }

    #[test]
    fn shapes_round_trip() {
        let body = json!({
            "name": "m", "metricAttributionArn": "arn:aws:personalize:us-east-1:123456789012:metric-attribution/m",
            "datasetGroupArn": DSG,
            "metricsOutputConfig": {"s3DataDestination": {"path": "s3://b/out/"}, "roleArn": ROLE},
            "status": "ACTIVE", "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0
        });
        let m: MetricAttribution = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&m).unwrap(), body);
        let summary = serde_json::to_value(MetricAttributionSummary::from(&m)).unwrap();
        assert_eq!(summary["name"], "m");
        assert!(summary.get("metricsOutputConfig").is_none() && summary.get("datasetGroupArn").is_none());
    }

    #[test]
    fn validation_names_field_and_value() {
        let ok = format!(
            r#"{{"name":"m","datasetGroupArn":"{DSG}","metrics":[{{"eventType":"click","metricName":"CLICKS","expression":"SAMPLECOUNT()"}}],"metricsOutputConfig":{{"roleArn":"{ROLE}"}}}}"#
        );
        let req: CreateMetricAttributionRequest = parse_request(ok.as_bytes()).unwrap();
        let m = |r: CreateMetricAttributionRequest| r.validate().unwrap_err().message();
        let metric = |name: &str, expr: &str| MetricAttribute {
            event_type: "click".into(),
            metric_name: name.into(),
            expression: expr.into(),
        };
        assert!(m(CreateMetricAttributionRequest { metrics: vec![metric("A", "MAX(Items.P)")], ..req.clone() })
            .contains("'MAX(Items.P)' at 'metrics.1.expression'"));
        assert!(m(CreateMetricAttributionRequest {
            metrics: vec![metric("A", "SAMPLECOUNT()"), metric("A", "SAMPLECOUNT()")],
            ..req.clone()
        })
        .contains("'A' at 'metrics.2.metricName'"));
        assert!(m(CreateMetricAttributionRequest { metrics: vec![metric("A", "SAMPLECOUNT()"); 11], ..req.clone() })
            .contains("11 elements at 'metrics'"));
        assert!(m(CreateMetricAttributionRequest { metrics: vec![], ..req.clone() }).contains("'metrics'"));
        let bad_role = MetricAttributionOutput { role_arn: "r".into(), s3_data_destination: None };
        assert!(m(CreateMetricAttributionRequest { metrics_output_config: bad_role, ..req.clone() })
            .contains("'r' at 'metricsOutputConfig.roleArn'"));
        let e = UpdateMetricAttributionRequest::default().validate().unwrap_err().message();
        assert!(e.contains("'metricAttributionArn'"), "{e}");
        let remove = UpdateMetricAttributionRequest {
            metric_attribution_arn: Some("arn:aws:personalize:us-east-1:1:metric-attribution/m".into()),
            remove_metrics: Some(vec![String::new()]),
            ..Default::default()
        };
        assert!(remove.validate().unwrap_err().message().contains("'removeMetrics.1'"));
        assert!(ListMetricAttributionMetricsRequest::default().validate().is_err());
        assert!(DescribeMetricAttributionRequest { metric_attribution_arn: "x".into() }.validate().is_err());
    }
}
