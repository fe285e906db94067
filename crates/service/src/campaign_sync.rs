//! Campaigns that follow their solution's latest version (`syncWithLatestSolutionVersion` with
//! `solutionVersionArn = {solutionArn}/$LATEST`): deployed with the newest ACTIVE version, and
//! updated to each newer ACTIVE version (automatic or manual) by the scheduler's passes. The
//! update is an ordinary campaign update: the previous model serves until the new one is loaded.

use reko_api::{
    latest_alias_solution, status, ApiError, Campaign, CampaignConfig, CampaignUpdateSummary, ResourceStatus, Solution,
    SolutionVersion,
};
use reko_storage::{StorageError, TaskKind};

use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, update_of, ResourceKind, Stored};
use crate::Reko;

/// Whether a campaign configuration follows the latest version.
pub(crate) fn follows_latest(config: Option<&CampaignConfig>) -> bool {
    config.and_then(|c| c.sync_with_latest_solution_version) == Some(true)
}

impl Reko {
    /// The version a campaign request deploys: `arn` itself, or for `{solutionArn}/$LATEST`
    /// the solution's newest ACTIVE version. The alias and `syncWithLatestSolutionVersion=true`
    /// go together (as in Personalize).
    pub(crate) fn resolve_campaign_version(&self, arn: &str, sync: bool) -> ServiceResult<String> {
        match (latest_alias_solution(arn), sync) {
            (Some(solution_arn), true) => {
                self.load::<Solution>(ResourceKind::Solution, solution_arn)?;
                self.newest_active_version(solution_arn)?.ok_or_else(|| {
                    ApiError::ResourceInUse(format!(
                        "Solution {solution_arn} has no ACTIVE solution version to deploy yet."
                    ))
                    .into()
                })
            }
            (None, false) => Ok(arn.to_string()),
            (Some(_), false) => Err(ApiError::InvalidInput(format!(
                "Value '{arn}' at 'solutionVersionArn': the $LATEST alias requires \
                 campaignConfig.syncWithLatestSolutionVersion=true."
            ))
            .into()),
            (None, true) => Err(ApiError::InvalidInput(format!(
                "Value '{arn}' at 'solutionVersionArn': campaignConfig.syncWithLatestSolutionVersion=true requires \
                 the solution's ARN in SolutionArn/$LATEST format."
            ))
            .into()),
        }
    }

    /// The ARN of a solution's newest ACTIVE version.
    pub(crate) fn newest_active_version(&self, solution_arn: &str) -> ServiceResult<Option<String>> {
        Ok(self
            .load_all::<SolutionVersion>(ResourceKind::SolutionVersion, Some(solution_arn))?
            .into_iter()
            .find(|v| v.wire.status == ResourceStatus::Active.as_str())
            .map(|v| v.wire.solution_version_arn))
    }

    /// Starts an update of every ACTIVE campaign that follows its solution's latest version
    /// and serves an older one than the newest ACTIVE (none while an update of it is under
    /// way, nor again to a version an update already failed to deploy). Returns how many
    /// started.
    pub(crate) fn sync_latest_campaigns(&self) -> ServiceResult<usize> {
        let mut started = 0;
        for mut campaign in self.load_all::<Campaign>(ResourceKind::Campaign, None)? {
            let wire = &campaign.wire;
            let updating = wire.latest_campaign_update.as_ref().is_some_and(|u| status::is_pending(&u.status));
            if wire.status != ResourceStatus::Active.as_str()
                || updating
                || !follows_latest(wire.campaign_config.as_ref())
            {
                continue;
            }
            let Some(solution_arn) = campaign.record.parent_arn.clone() else { continue };
            let Some(newest) = self.newest_active_version(&solution_arn)? else { continue };
            // Also not again after an update to it failed: a new version is tried, not a loop.
            let failed_before = wire.latest_campaign_update.as_ref().is_some_and(|u| {
                u.status == ResourceStatus::CreateFailed.as_str() && u.solution_version_arn.as_deref() == Some(&newest)
            });
            if newest == wire.solution_version_arn || failed_before {
                continue;
            }
            if self.start_latest_update(&mut campaign, newest.clone())? {
                tracing::info!(campaign = %campaign.record.arn, version = %newest, "campaign follows the latest version");
                started += 1;
            }
        }
        if started > 0 {
            self.notify_workers();
        }
        Ok(started)
    }

    /// Records an update of `campaign` to `version` (its other settings kept) with its
    /// deployment task; false when the campaign changed meanwhile (the next pass looks again).
    fn start_latest_update(&self, campaign: &mut Stored<Campaign>, version: String) -> ServiceResult<bool> {
        let created = now();
        campaign.wire.latest_campaign_update = Some(CampaignUpdateSummary {
            solution_version_arn: Some(version),
            min_provisioned_tps: campaign.wire.min_provisioned_tps,
            campaign_config: campaign.wire.campaign_config.clone(),
            status: ResourceStatus::CreatePending.as_str().into(),
            failure_reason: None,
            creation_date_time: created,
            last_updated_date_time: created,
        });
        campaign.wire.last_updated_date_time = created;
        let update = update_of(campaign, ResourceStatus::Active.as_str())?;
        match self.store().update_resource_with_task(&update, TaskKind::Deploy) {
            Ok(_) => Ok(true),
            Err(StorageError::Conflict { .. } | StorageError::NotFound(_)) => Ok(false),
            Err(e) => Err(ServiceError::from(e)),
        }
    }
}
