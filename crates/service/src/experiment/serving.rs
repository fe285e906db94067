//! Serving an experiment's ARN: the user's arm (a stateless hash, so every replica assigns the
//! same), its campaign's or recommender's answer, a recommendation id naming the arm, and the
//! exposure counted.
//!
//! Exposures are buffered and written in one transaction by the first request [`FLUSH_EVERY`]
//! after the last write (and by the usage flusher at least once a minute, before results are
//! read, and at shutdown), so serving does not wait for a disk write per request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reko_api::experiment::{PROMOTED, RUNNING};
use reko_api::{
    ApiError, Experiment, GetPersonalizedRankingRequest, GetPersonalizedRankingResponse, GetRecommendationsRequest,
    GetRecommendationsResponse,
};
use reko_storage::ExperimentExposure;

use crate::error::ServiceResult;
use crate::recommendation_id::{issue, Issuer};
use crate::Reko;

/// How long exposures wait in memory at most before they are written.
const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// Distinct (experiment, arm, user) entries that make a write happen sooner.
const FLUSH_ENTRIES: usize = 10_000;

/// The arm position `user_key` gets in `experiment`: FNV-1a of the ARN and the key, mixed
/// (SplitMix64's finalizer), mapped onto the arms' cumulative weights.
pub(crate) fn assign(experiment: &Experiment, user_key: &str) -> u32 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in experiment.experiment_arn.bytes().chain([0]).chain(user_key.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    let total: u64 = experiment.arms.iter().map(|a| a.weight.max(0) as u64).sum();
    let point = ((u128::from(h) * u128::from(total.max(1))) >> 64) as u64;
    let mut upto = 0u64;
    for (i, arm) in experiment.arms.iter().enumerate() {
        upto += arm.weight.max(0) as u64;
        if point < upto {
            return i as u32;
        }
    }
    experiment.arms.len().saturating_sub(1) as u32
}

/// Exposures not yet written, summed per (experiment, arm, user).
pub(crate) struct ExposureBuffer {
    pending: Mutex<Pending>,
}

struct Pending {
    counts: HashMap<(String, u32, String), (u64, f64)>,
    since: Instant,
}

impl Default for ExposureBuffer {
    fn default() -> Self {
        ExposureBuffer { pending: Mutex::new(Pending { counts: HashMap::new(), since: Instant::now() }) }
    }
}

impl ExposureBuffer {
    /// Adds one request; returns what is due to be written, if anything.
    fn add(&self, experiment_arn: &str, arm: u32, user_key: &str, at: f64) -> Option<Vec<ExperimentExposure>> {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let slot = p.counts.entry((experiment_arn.to_string(), arm, user_key.to_string())).or_insert((0, at));
        slot.0 += 1;
        slot.1 = slot.1.min(at);
        (p.counts.len() >= FLUSH_ENTRIES || p.since.elapsed() >= FLUSH_EVERY).then(|| take(&mut p))
    }

    fn take_all(&self) -> Vec<ExperimentExposure> {
        take(&mut self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn take(p: &mut Pending) -> Vec<ExperimentExposure> {
    p.since = Instant::now();
    p.counts
        .drain()
        .map(|((experiment_arn, arm, user_key), (requests, first_seen))| ExperimentExposure {
            experiment_arn,
            arm,
            user_key,
            requests,
            first_seen,
        })
        .collect()
}

/// What an experiment's ARN serves for one request.
struct Served {
    target: String,
    /// The arm assigned while the experiment runs (its id is then the arm's).
    arm: Option<u32>,
}

impl Reko {
    /// Writes the buffered exposures (before results are read, at shutdown, periodically).
    pub(crate) fn flush_exposures(&self) {
        let due = self.inner.exposures.take_all();
        self.write_exposures(due);
    }

    fn write_exposures(&self, due: Vec<ExperimentExposure>) {
        if due.is_empty() {
            return;
        }
        if let Err(e) = self.store().add_experiment_exposures(&due) {
            tracing::warn!(error = %e, entries = due.len(), "storing experiment exposures failed; they are lost");
        }
    }

    /// The arm or target an experiment's ARN serves to `user_id`.
    fn experiment_target(&self, experiment_arn: &str, user_id: Option<&str>) -> ServiceResult<(Experiment, Served)> {
        let experiment = self.load_experiment(experiment_arn)?.wire;
        let served = match experiment.status.as_str() {
            RUNNING => {
                let user = user_id.ok_or_else(|| {
                    ApiError::InvalidInput(format!(
                        "userId is required: experiment {experiment_arn} assigns each user (or an anonymous user's \
                         session id given as userId) to an arm."
                    ))
                })?;
                let arm = assign(&experiment, user);
                Served { target: experiment.arms[arm as usize].target_arn.clone(), arm: Some(arm) }
            }
            PROMOTED => {
                let name = experiment.promoted_arm.as_deref().unwrap_or_default();
                let arm = experiment.arms.iter().find(|a| a.name == name).unwrap_or(&experiment.arms[0]);
                Served { target: arm.target_arn.clone(), arm: None }
            }
            // Stopped: the control arm alone.
            _ => Served { target: experiment.arms[0].target_arn.clone(), arm: None },
        };
        Ok((experiment, served))
    }

    fn record_exposure(&self, experiment_arn: &str, arm: u32, user_key: &str) {
        if let Some(due) = self.inner.exposures.add(experiment_arn, arm, user_key, crate::resource::now()) {
            self.write_exposures(due);
        }
    }

    /// GetRecommendations with an experiment's ARN as `campaignArn`.
    pub(crate) fn experiment_recommendations(
        &self,
        experiment_arn: &str,
        mut req: GetRecommendationsRequest,
    ) -> ServiceResult<GetRecommendationsResponse> {
        let (experiment, served) = self.experiment_target(experiment_arn, req.user_id.as_deref())?;
        if served.target.contains(":recommender/") {
            req.campaign_arn = None;
            req.recommender_arn = Some(served.target);
        } else {
            req.campaign_arn = Some(served.target);
        }
        let user = req.user_id.clone();
        let mut response = self.get_recommendations(req)?;
        if let (Some(arm), Some(user)) = (served.arm, user) {
            response.recommendation_id = issue(Issuer::ExperimentArm(&experiment.experiment_arn, arm));
            self.record_exposure(&experiment.experiment_arn, arm, &user);
        }
        Ok(response)
    }

    /// GetPersonalizedRanking with an experiment's ARN as `campaignArn` (its arms must then be
    /// ranking campaigns).
    pub(crate) fn experiment_ranking(
        &self,
        experiment_arn: &str,
        mut req: GetPersonalizedRankingRequest,
    ) -> ServiceResult<GetPersonalizedRankingResponse> {
        let (experiment, served) = self.experiment_target(experiment_arn, Some(&req.user_id))?;
        if served.target.contains(":recommender/") {
            return Err(ApiError::InvalidInput(format!(
                "Experiment {experiment_arn} serves recommender {} to this user; recommenders do not rank, call \
                 GetRecommendations.",
                served.target
            ))
            .into());
        }
        req.campaign_arn = served.target;
        let user = req.user_id.clone();
        let mut response = self.get_personalized_ranking(req)?;
        if let Some(arm) = served.arm {
            response.recommendation_id = issue(Issuer::ExperimentArm(&experiment.experiment_arn, arm));
            self.record_exposure(&experiment.experiment_arn, arm, &user);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reko_api::ExperimentArm;

    fn experiment(weights: &[i64]) -> Experiment {
        Experiment {
            experiment_arn: "arn:aws:personalize:us-east-1:123456789012:experiment/e".into(),
            arms: weights
                .iter()
                .enumerate()
                .map(|(i, w)| ExperimentArm { name: format!("a{i}"), target_arn: format!("t{i}"), weight: *w })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn users_keep_their_arm_and_arms_get_their_weight() {
        let e = experiment(&[1, 3]);
        let mut counts = [0usize; 2];
        for u in 0..40_000 {
            let user = format!("user-{u}");
            let arm = assign(&e, &user);
            assert_eq!(assign(&e, &user), arm, "sticky");
            counts[arm as usize] += 1;
        }
        // 25% and 75%, within a few standard deviations (sd of the share ≈ 0.2%).
        let share = counts[0] as f64 / 40_000.0;
        assert!((share - 0.25).abs() < 0.01, "{counts:?}");
        // Another experiment splits the same users independently.
        let mut other = experiment(&[1, 1]);
        other.experiment_arn.push('2');
        let e2 = experiment(&[1, 1]);
        let same = (0..2000).filter(|u| assign(&other, &u.to_string()) == assign(&e2, &u.to_string())).count();
        assert!((800..1200).contains(&same), "{same}");
    }
}
