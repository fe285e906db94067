//! What the server has: the resources of the dataset groups a plan or an export looks at, read
//! through List*/Describe* only (so it works against Amazon Personalize too), in the setup file's
//! terms (names, not ARNs), with the ARNs kept beside them.

use std::collections::BTreeMap;

use anyhow::Context;
use aws_sdk_personalize::types as t;
use aws_sdk_personalize::Client;

use super::spec;
use crate::jobs::sdk;

/// A resource found on the server: its ARN, status and what the setup file would say of it.
#[derive(Debug, Clone)]
pub struct Found<T> {
    pub arn: String,
    pub status: String,
    pub spec: T,
}

/// A dataset import job found on the server.
#[derive(Debug, Clone)]
pub struct FoundImport {
    pub dataset: String,
    pub status: String,
    pub failure: Option<String>,
}

/// The resources of one dataset group.
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub arn: String,
    pub status: String,
    pub domain: Option<String>,
    /// Each with its newest ACTIVE import job as `import`.
    pub datasets: BTreeMap<String, Found<spec::Dataset>>,
    pub import_jobs: BTreeMap<String, FoundImport>,
    pub filters: BTreeMap<String, Found<spec::Filter>>,
    pub event_trackers: BTreeMap<String, Found<spec::EventTracker>>,
    pub solutions: BTreeMap<String, Found<spec::Solution>>,
    /// Solution name → its newest ACTIVE solution version.
    pub active_versions: BTreeMap<String, String>,
    /// Solution name → a solution version still training.
    pub training_versions: BTreeMap<String, String>,
    pub campaigns: BTreeMap<String, Found<spec::Campaign>>,
    pub recommenders: BTreeMap<String, Found<spec::Recommender>>,
}

/// The server's resources in setup-file terms.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub schemas: BTreeMap<String, Found<spec::Schema>>,
    pub groups: BTreeMap<String, Group>,
    /// Members the server has that setup files cannot describe (an export leaves them out).
    pub notes: Vec<String>,
}

impl Observed {
    /// The export: every observed group and the schemas its datasets use (all observed schemas
    /// when `all_schemas`).
    pub fn to_file(&self, all_schemas: bool) -> spec::SetupFile {
        let mut used: Vec<&str> = Vec::new();
        let dataset_groups = self
            .groups
            .iter()
            .map(|(name, g)| {
                used.extend(g.datasets.values().map(|d| d.spec.schema.as_str()));
                let mut recommenders: Vec<spec::Recommender> =
                    g.recommenders.values().map(|r| r.spec.clone()).collect();
                recommenders.iter_mut().for_each(|r| r.recipe = spec::recipe_name(&r.recipe));
                let mut solutions: Vec<spec::Solution> = g.solutions.values().map(|s| s.spec.clone()).collect();
                solutions.iter_mut().for_each(|s| s.recipe = spec::recipe_name(&s.recipe));
                spec::DatasetGroup {
                    name: name.clone(),
                    domain: g.domain.clone(),
                    datasets: g.datasets.values().map(|d| d.spec.clone()).collect(),
                    filters: g.filters.values().map(|f| f.spec.clone()).collect(),
                    event_trackers: g.event_trackers.values().map(|e| e.spec.clone()).collect(),
                    solutions,
                    campaigns: g.campaigns.values().map(|c| c.spec.clone()).collect(),
                    recommenders,
                }
            })
            .collect();
        let schemas = self
            .schemas
            .values()
            .filter(|s| all_schemas || used.contains(&s.spec.name.as_str()))
            .map(|s| s.spec.clone());
        spec::SetupFile { schemas: schemas.collect(), dataset_groups }
    }
}

/// Reads the schemas `wanted` accepts and the dataset groups `groups` names (every group when
/// `None`; a named group the server lacks is simply absent).
pub async fn observe(
    client: &Client,
    wanted_schema: impl Fn(&str) -> bool,
    groups: Option<&[String]>,
) -> anyhow::Result<Observed> {
    let mut observed = Observed::default();
    let summaries = sdk(client.list_schemas().into_paginator().items().send().try_collect().await, "ListSchemas")?;
    for summary in summaries {
        let name = summary.name().unwrap_or_default();
        if wanted_schema(name) {
            let schema = describe_schema(client, summary.schema_arn().unwrap_or_default()).await?;
            observed.schemas.insert(name.to_string(), schema);
        }
    }
    let summaries =
        sdk(client.list_dataset_groups().into_paginator().items().send().try_collect().await, "ListDatasetGroups")?;
    for summary in summaries {
        let name = summary.name().unwrap_or_default().to_string();
        if groups.is_some_and(|g| !g.contains(&name)) || summary.status() == Some("DELETE PENDING") {
            continue;
        }
        let group = observe_group(client, summary.dataset_group_arn().unwrap_or_default(), &mut observed.notes).await?;
        observed.groups.insert(name, group);
    }
    Ok(observed)
}

async fn describe_schema(client: &Client, arn: &str) -> anyhow::Result<Found<spec::Schema>> {
    let out = sdk(client.describe_schema().schema_arn(arn).send().await, "DescribeSchema")?;
    let s = out.schema().context("DescribeSchema returned no schema")?;
    let text = s.schema().unwrap_or("{}");
    let schema = serde_json::from_str(text).with_context(|| format!("the schema {arn} is not JSON"))?;
    Ok(Found {
        arn: arn.to_string(),
        status: "ACTIVE".into(),
        spec: spec::Schema {
            name: s.name().unwrap_or_default().to_string(),
            domain: s.domain().map(|d| d.as_str().to_string()),
            schema,
        },
    })
}

/// The name in a resource ARN: `...:solution/NAME` or `...:solution/NAME/VERSION` → `NAME`.
pub fn name_in_arn(arn: &str) -> &str {
    arn.split_once('/').map(|(_, rest)| rest.split('/').next().unwrap_or(rest)).unwrap_or(arn)
}

async fn observe_group(client: &Client, arn: &str, notes: &mut Vec<String>) -> anyhow::Result<Group> {
    let out = sdk(client.describe_dataset_group().dataset_group_arn(arn).send().await, "DescribeDatasetGroup")?;
    let g = out.dataset_group().context("DescribeDatasetGroup returned no datasetGroup")?;
    let group_name = g.name().unwrap_or_default();
    for (member, value) in [("roleArn", g.role_arn()), ("kmsKeyArn", g.kms_key_arn())] {
        if value.is_some() {
            notes.push(format!("dataset group {group_name} has a {member}, which setup files do not describe"));
        }
    }
    let mut group = Group {
        arn: arn.to_string(),
        status: g.status().unwrap_or_default().to_string(),
        domain: g.domain().map(|d| d.as_str().to_string()),
        ..Default::default()
    };
    observe_datasets(client, &mut group).await?;

    let filters = client.list_filters().dataset_group_arn(arn).into_paginator().items().send().try_collect().await;
    for f in sdk(filters, "ListFilters")? {
        let farn = f.filter_arn().unwrap_or_default();
        let out = sdk(client.describe_filter().filter_arn(farn).send().await, "DescribeFilter")?;
        let f = out.filter().context("DescribeFilter returned no filter")?;
        let spec = spec::Filter {
            name: f.name().unwrap_or_default().to_string(),
            filter_expression: f.filter_expression().unwrap_or_default().to_string(),
        };
        group.filters.insert(spec.name.clone(), found(farn, f.status(), spec));
    }
    let trackers = client.list_event_trackers().dataset_group_arn(arn).into_paginator().items().send().try_collect();
    for e in sdk(trackers.await, "ListEventTrackers")? {
        let spec = spec::EventTracker { name: e.name().unwrap_or_default().to_string() };
        group
            .event_trackers
            .insert(spec.name.clone(), found(e.event_tracker_arn().unwrap_or_default(), e.status(), spec));
    }
    observe_solutions(client, &mut group, notes).await?;
    let recommenders = client.list_recommenders().dataset_group_arn(arn).into_paginator().items().send().try_collect();
    for r in sdk(recommenders.await, "ListRecommenders")? {
        let rarn = r.recommender_arn().unwrap_or_default();
        let out = sdk(client.describe_recommender().recommender_arn(rarn).send().await, "DescribeRecommender")?;
        let r = out.recommender().context("DescribeRecommender returned no recommender")?;
        // An update under way or done carries the configuration asked for last.
        let config = r
            .latest_recommender_update()
            .filter(|u| !u.status().unwrap_or_default().contains("FAILED"))
            .and_then(|u| u.recommender_config())
            .or(r.recommender_config());
        if config.and_then(|c| c.training_data_config()).is_some() {
            let name = r.name().unwrap_or_default();
            notes.push(format!(
                "recommender {name} has recommenderConfig.trainingDataConfig, which setup files do not describe"
            ));
        }
        let spec = spec::Recommender {
            name: r.name().unwrap_or_default().to_string(),
            recipe: r.recipe_arn().unwrap_or_default().to_string(),
            recommender_config: config.map(|c| spec::RecommenderConfig {
                item_exploration_config: c.item_exploration_config().map(sorted),
                min_recommendation_requests_per_second: c.min_recommendation_requests_per_second(),
                enable_metadata_with_recommendations: c.enable_metadata_with_recommendations(),
            }),
        };
        group.recommenders.insert(spec.name.clone(), found(rarn, r.status(), spec));
    }
    Ok(group)
}

async fn observe_datasets(client: &Client, group: &mut Group) -> anyhow::Result<()> {
    let datasets = client.list_datasets().dataset_group_arn(&group.arn).into_paginator().items().send().try_collect();
    for d in sdk(datasets.await, "ListDatasets")? {
        let darn = d.dataset_arn().unwrap_or_default();
        let out = sdk(client.describe_dataset().dataset_arn(darn).send().await, "DescribeDataset")?;
        let d = out.dataset().context("DescribeDataset returned no dataset")?;
        let name = d.name().unwrap_or_default().to_string();
        let jobs = client.list_dataset_import_jobs().dataset_arn(darn).into_paginator().items().send().try_collect();
        let mut newest_active: Option<(aws_sdk_personalize::primitives::DateTime, String)> = None;
        for job in sdk(jobs.await, "ListDatasetImportJobs")? {
            let status = job.status().unwrap_or_default().to_string();
            let job_arn = job.dataset_import_job_arn().unwrap_or_default().to_string();
            if status == "ACTIVE" {
                let created = job
                    .creation_date_time()
                    .copied()
                    .unwrap_or(aws_sdk_personalize::primitives::DateTime::from_secs(0));
                if newest_active.as_ref().is_none_or(|(at, _)| created > *at) {
                    newest_active = Some((created, job_arn.clone()));
                }
            }
            let failure = job.failure_reason().map(str::to_string);
            let job_name = job.job_name().unwrap_or_default().to_string();
            group.import_jobs.insert(job_name, FoundImport { dataset: name.clone(), status, failure });
        }
        let import = match newest_active {
            Some((_, job_arn)) => {
                let out = client.describe_dataset_import_job().dataset_import_job_arn(&job_arn).send().await;
                let out = sdk(out, "DescribeDatasetImportJob")?;
                out.dataset_import_job().map(|j| spec::Import {
                    job_name: j.job_name().unwrap_or_default().to_string(),
                    data_location: j.data_source().and_then(|s| s.data_location()).unwrap_or_default().to_string(),
                    role_arn: j.role_arn().map(str::to_string),
                    import_mode: j.import_mode().map(|m| m.as_str().to_string()),
                })
            }
            None => None,
        };
        let dataset_type = d.dataset_type().unwrap_or_default();
        let spec = spec::Dataset {
            name: name.clone(),
            dataset_type: spec::canonical_dataset_type(dataset_type).unwrap_or(dataset_type).to_string(),
            schema: name_in_arn(d.schema_arn().unwrap_or_default()).to_string(),
            import,
        };
        group.datasets.insert(name, found(darn, d.status(), spec));
    }
    Ok(())
}

async fn observe_solutions(client: &Client, group: &mut Group, notes: &mut Vec<String>) -> anyhow::Result<()> {
    let solutions = client.list_solutions().dataset_group_arn(&group.arn).into_paginator().items().send().try_collect();
    for s in sdk(solutions.await, "ListSolutions")? {
        let sarn = s.solution_arn().unwrap_or_default().to_string();
        let out = sdk(client.describe_solution().solution_arn(&sarn).send().await, "DescribeSolution")?;
        let s = out.solution().context("DescribeSolution returned no solution")?;
        let name = s.name().unwrap_or_default().to_string();
        let spec = spec::Solution {
            name: name.clone(),
            recipe: s.recipe_arn().unwrap_or_default().to_string(),
            event_type: s.event_type().map(str::to_string),
            perform_hpo: Some(s.perform_hpo()),
            perform_auto_training: s.perform_auto_training(),
            solution_config: s.solution_config().map(|c| solution_config(&name, c, notes)),
        };
        group.solutions.insert(name.clone(), found(&sarn, s.status(), spec));

        let versions =
            client.list_solution_versions().solution_arn(&sarn).into_paginator().items().send().try_collect();
        let mut newest: Option<(aws_sdk_personalize::primitives::DateTime, String)> = None;
        for v in sdk(versions.await, "ListSolutionVersions")? {
            let varn = v.solution_version_arn().unwrap_or_default().to_string();
            match v.status().unwrap_or_default() {
                "ACTIVE" => {
                    let created = v
                        .creation_date_time()
                        .copied()
                        .unwrap_or(aws_sdk_personalize::primitives::DateTime::from_secs(0));
                    if newest.as_ref().is_none_or(|(at, _)| created > *at) {
                        newest = Some((created, varn));
                    }
                }
                "CREATE PENDING" | "CREATE IN_PROGRESS" => {
                    group.training_versions.insert(name.clone(), varn);
                }
                _ => {}
            }
        }
        if let Some((_, varn)) = newest {
            group.active_versions.insert(name.clone(), varn);
        }

        let campaigns = client.list_campaigns().solution_arn(&sarn).into_paginator().items().send().try_collect();
        for c in sdk(campaigns.await, "ListCampaigns")? {
            let carn = c.campaign_arn().unwrap_or_default();
            let out = sdk(client.describe_campaign().campaign_arn(carn).send().await, "DescribeCampaign")?;
            let c = out.campaign().context("DescribeCampaign returned no campaign")?;
            // An update under way or done carries the values asked for last.
            let update = c.latest_campaign_update().filter(|u| !u.status().unwrap_or_default().contains("FAILED"));
            let config = update.and_then(|u| u.campaign_config()).or(c.campaign_config());
            if config.and_then(|c| c.ranking_influence()).is_some() {
                let name = c.name().unwrap_or_default();
                notes.push(format!(
                    "campaign {name} has campaignConfig.rankingInfluence, which setup files do not describe"
                ));
            }
            let spec = spec::Campaign {
                name: c.name().unwrap_or_default().to_string(),
                solution: name_in_arn(c.solution_version_arn().unwrap_or_default()).to_string(),
                min_provisioned_tps: update.and_then(|u| u.min_provisioned_tps()).or(c.min_provisioned_tps()),
                campaign_config: config.map(|c| spec::CampaignConfig {
                    item_exploration_config: c.item_exploration_config().map(sorted),
                    enable_metadata_with_recommendations: c.enable_metadata_with_recommendations(),
                    sync_with_latest_solution_version: c.sync_with_latest_solution_version(),
                }),
            };
            group.campaigns.insert(spec.name.clone(), found(carn, c.status(), spec));
        }
    }
    Ok(())
}

fn solution_config(solution: &str, c: &t::SolutionConfig, notes: &mut Vec<String>) -> spec::SolutionConfig {
    let undescribed = [
        ("hpoConfig", c.hpo_config().is_some()),
        ("autoMLConfig", c.auto_ml_config().is_some()),
        ("eventsConfig", c.events_config().is_some()),
        ("optimizationObjective", c.optimization_objective().is_some()),
        ("trainingDataConfig", c.training_data_config().is_some()),
    ];
    for (member, present) in undescribed {
        if present {
            notes.push(format!("solution {solution} has solutionConfig.{member}, which setup files do not describe"));
        }
    }
    spec::SolutionConfig {
        event_value_threshold: c.event_value_threshold().map(str::to_string),
        algorithm_hyper_parameters: c.algorithm_hyper_parameters().map(sorted),
        feature_transformation_parameters: c.feature_transformation_parameters().map(sorted),
        auto_training_config: c
            .auto_training_config()
            .map(|a| spec::AutoTrainingConfig { scheduling_expression: a.scheduling_expression().map(str::to_string) }),
    }
}

fn sorted(map: &std::collections::HashMap<String, String>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn found<T>(arn: &str, status: Option<&str>, spec: T) -> Found<T> {
    Found { arn: arn.to_string(), status: status.unwrap_or_default().to_string(), spec }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_arns() {
        assert_eq!(name_in_arn("arn:aws:personalize:us-east-1:1:solution/shop/abc123"), "shop");
        assert_eq!(name_in_arn("arn:aws:personalize:us-east-1:1:schema/shop-items"), "shop-items");
        assert_eq!(name_in_arn("plain"), "plain");
    }
}
