//! Events carrying an experiment arm's recommendation id, counted for the arm per user and event
//! type. Ids resolve only against the experiments of the event tracker's own dataset group, as
//! metric attribution's do: an id never attributes an event to another group.

use std::collections::BTreeMap;

use reko_storage::ExperimentConversion;

use crate::error::ServiceResult;
use crate::metric_attribution::attribute::Attributable;
use crate::recommendation_id::{self, IssuedBy};
use crate::Reko;

impl Reko {
    /// Counts the events just stored for `dataset_group_arn` (sent by `user_key`) against the
    /// arms their ids name. A failure is logged, never returned: the events are stored already.
    pub(crate) fn attribute_experiment_events(&self, dataset_group_arn: &str, user_key: &str, events: &[Attributable]) {
        if let Err(e) = self.try_attribute_experiment_events(dataset_group_arn, user_key, events) {
            tracing::warn!(error = %e, group = dataset_group_arn, "attributing events to experiment arms failed");
        }
    }

    fn try_attribute_experiment_events(
        &self,
        dataset_group_arn: &str,
        user_key: &str,
        events: &[Attributable],
    ) -> ServiceResult<()> {
        let issued: Vec<(&Attributable, IssuedBy)> = events
            .iter()
            .filter_map(|e| {
                let by = e.recommendation_id.as_deref().and_then(recommendation_id::parse)?;
                matches!(by, IssuedBy::ExperimentArm { .. }).then_some((e, by))
            })
            .collect();
        if issued.is_empty() {
            return Ok(());
        }
        let experiments = self.experiments_in_group(dataset_group_arn)?;
        let mut sums: BTreeMap<(String, u32, String), ExperimentConversion> = BTreeMap::new();
        for (event, by) in issued {
            let found = experiments.iter().find_map(|x| {
                let arm = by.experiment_arm(&x.experiment_arn)?;
                ((arm as usize) < x.arms.len()).then_some((x.experiment_arn.as_str(), arm))
            });
            let Some((arn, arm)) = found else { continue };
            let slot =
                sums.entry((arn.to_string(), arm, event.event_type.clone())).or_insert_with(|| ExperimentConversion {
                    experiment_arn: arn.to_string(),
                    arm,
                    user_key: user_key.to_string(),
                    event_type: event.event_type.clone(),
                    events: 0,
                    value_sum: 0.0,
                    impressions: 0,
                    first_at: event.sent_at,
                });
            slot.events += 1;
            slot.value_sum += event.event_value.filter(|v| v.is_finite()).unwrap_or(0.0);
            slot.impressions += u64::from(event.impressions);
            slot.first_at = slot.first_at.min(event.sent_at);
        }
        if sums.is_empty() {
            return Ok(());
        }
        let conversions: Vec<ExperimentConversion> = sums.into_values().collect();
        self.store().add_experiment_conversions(&conversions)?;
        Ok(())
    }
}
