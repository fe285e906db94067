//! GetExperimentResults: per-arm metrics from the per-user counts, each arm compared with the
//! control (the first arm), the sample-ratio check, the decision, and the metric over time.

use std::collections::{BTreeMap, HashMap};

use reko_api::experiment::SEQUENTIAL;
use reko_api::{Experiment, ExperimentArnRequest};
use reko_storage::{ExperimentConversion, ExperimentExposure};
use serde::Serialize;

use super::stats::{self, MeanTest, ProportionTest, Sample, SampleRatio};
use crate::error::ServiceResult;
use crate::Reko;

/// Points of the metric-over-time series per arm, at most.
const MAX_POINTS: usize = 60;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentResults {
    pub experiment: Experiment,
    pub arms: Vec<ArmResult>,
    /// Each arm after the first against the first (the control).
    pub comparisons: Vec<Comparison>,
    pub sample_ratio: SampleRatio,
    pub decision: Decision,
    /// Cumulative exposed users, converters and conversion rate per arm, oldest first.
    pub timeline: Vec<TimelinePoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmResult {
    pub name: String,
    pub target_arn: String,
    pub weight: i64,
    pub exposed_users: u64,
    pub requests: u64,
    /// Exposed users with at least one event of the conversion event type.
    pub converted_users: u64,
    pub conversion_rate: f64,
    /// Sum of `eventValue` over the arm's events (every type), per exposed user.
    pub value_per_user: f64,
    pub value_standard_deviation: f64,
    /// Items in the `impression` lists of the arm's events.
    pub impressions: u64,
    /// Events of the conversion type per impression (absent without impressions).
    pub click_through_rate: Option<f64>,
    pub event_types: Vec<EventTypeCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeCount {
    pub event_type: String,
    pub events: u64,
    /// Distinct users with such events.
    pub users: u64,
    pub value_sum: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub arm: String,
    pub control: String,
    /// Conversion rate per user: two-proportion z-test (absent until both arms have users).
    pub conversion: Option<ProportionTest>,
    /// The mSPRT's always-valid p-value of the conversion difference, over the timeline's looks.
    pub sequential_p_value: f64,
    /// Value per user: Welch's t-test (absent until both arms have two users and some spread).
    pub value: Option<MeanTest>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// COLLECTING, WINNER, NO_DIFFERENCE or SAMPLE_RATIO_MISMATCH.
    pub state: String,
    pub winner: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelinePoint {
    /// Epoch seconds: the end of the interval counted so far.
    pub time: f64,
    pub arm: String,
    pub exposed_users: u64,
    pub converted_users: u64,
    pub conversion_rate: f64,
}

/// What deciding needs of one arm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArmCounts {
    pub users: u64,
    pub converters: u64,
}

/// The decision on arms (the control first) given each later arm's p-value against the control
/// (the z-test's for a fixed horizon, the mSPRT's for a sequential test). Each comparison is
/// tested at `alpha / (arms - 1)` (Bonferroni).
pub fn decide(
    analysis: &str,
    alpha: f64,
    planned: u64,
    arms: &[ArmCounts],
    p_values: &[f64],
    names: &[String],
    mismatch: bool,
) -> Decision {
    let state = |s: &str, winner: Option<&String>, reason: String| Decision {
        state: s.into(),
        winner: winner.cloned(),
        reason,
    };
    if mismatch {
        return state(
            "SAMPLE_RATIO_MISMATCH",
            None,
            "The arms' users do not match their weights (sample-ratio test p < 0.001): check assignment and \
             logging before reading the results."
                .into(),
        );
    }
    let rate = |a: &ArmCounts| if a.users == 0 { 0.0 } else { a.converters as f64 / a.users as f64 };
    let least = arms.iter().map(|a| a.users).min().unwrap_or(0);
    let reached = least >= planned;
    let each = alpha / (arms.len().max(2) - 1) as f64;
    if analysis != SEQUENTIAL && !reached {
        return state("COLLECTING", None, format!("{least} of the planned {planned} users per arm so far."));
    }
    let significant = |i: usize| p_values.get(i - 1).is_some_and(|p| *p < each);
    let better: Vec<usize> = (1..arms.len()).filter(|&i| significant(i) && rate(&arms[i]) > rate(&arms[0])).collect();
    let winner = if let Some(best) = better.iter().copied().max_by(|&a, &b| rate(&arms[a]).total_cmp(&rate(&arms[b]))) {
        Some(best)
    } else if arms.len() > 1 && (1..arms.len()).all(|i| significant(i) && rate(&arms[i]) < rate(&arms[0])) {
        Some(0)
    } else {
        None
    };
    match winner {
        Some(w) => state(
            "WINNER",
            names.get(w),
            format!("Its conversion rate differs from the others' at significance level {alpha} (per comparison {each:.4})."),
        ),
        None if reached => state(
            "NO_DIFFERENCE",
            None,
            format!("The planned {planned} users per arm showed no significant difference in conversion rate."),
        ),
        None => state("COLLECTING", None, format!("{least} of at most {planned} users per arm so far; no difference yet.")),
    }
}

/// The results from an experiment's stored counts, as of `now` (epoch seconds).
pub fn compute(
    experiment: &Experiment,
    exposures: &[ExperimentExposure],
    conversions: &[ExperimentConversion],
    now: f64,
) -> ExperimentResults {
    let k = experiment.arms.len();
    let primary = experiment.conversion_event_type.as_str();
    // Per arm: user -> first seen.
    let mut exposed: Vec<HashMap<&str, f64>> = vec![HashMap::new(); k];
    let mut requests = vec![0u64; k];
    for e in exposures.iter().filter(|e| (e.arm as usize) < k) {
        exposed[e.arm as usize].insert(&e.user_key, e.first_seen);
        requests[e.arm as usize] += e.requests;
    }
    // Per arm: exposed user -> (value sum, first primary conversion time).
    let mut per_user: Vec<HashMap<&str, (f64, Option<f64>)>> = vec![HashMap::new(); k];
    let mut by_type: Vec<BTreeMap<&str, EventTypeCount>> = vec![BTreeMap::new(); k];
    let mut impressions = vec![0u64; k];
    let mut primary_events = vec![0u64; k];
    for c in conversions.iter().filter(|c| (c.arm as usize) < k) {
        let a = c.arm as usize;
        let t = by_type[a].entry(&c.event_type).or_insert_with(|| EventTypeCount {
            event_type: c.event_type.clone(),
            events: 0,
            users: 0,
            value_sum: 0.0,
        });
        t.events += c.events;
        t.users += 1;
        t.value_sum += c.value_sum;
        impressions[a] += c.impressions;
        let Some(&seen) = exposed[a].get(c.user_key.as_str()) else { continue };
        let slot = per_user[a].entry(&c.user_key).or_insert((0.0, None));
        slot.0 += c.value_sum;
        if c.event_type == primary && c.events > 0 {
            primary_events[a] += c.events;
            slot.1 = Some(c.first_at.max(seen));
        }
    }
    let alpha = experiment.significance_level;
    let mut arms = Vec::with_capacity(k);
    let mut counts = Vec::with_capacity(k);
    let mut samples = Vec::with_capacity(k);
    for (a, arm) in experiment.arms.iter().enumerate() {
        let users = exposed[a].len() as u64;
        let converters = per_user[a].values().filter(|(_, t)| t.is_some()).count() as u64;
        let (sum, squares) = per_user[a].values().fold((0.0, 0.0), |(s, q), (v, _)| (s + v, q + v * v));
        let sample = Sample::from_sums(users, sum, squares);
        counts.push(ArmCounts { users, converters });
        samples.push(sample);
        arms.push(ArmResult {
            name: arm.name.clone(),
            target_arn: arm.target_arn.clone(),
            weight: arm.weight,
            exposed_users: users,
            requests: requests[a],
            converted_users: converters,
            conversion_rate: if users == 0 { 0.0 } else { converters as f64 / users as f64 },
            value_per_user: sample.mean,
            value_standard_deviation: sample.variance.sqrt(),
            impressions: impressions[a],
            click_through_rate: (impressions[a] > 0).then(|| primary_events[a] as f64 / impressions[a] as f64),
            event_types: by_type[a].values().cloned().collect(),
        });
    }
    let timeline = timeline(experiment, &exposed, &per_user, now);
    let sequential = sequential_p_values(experiment, &timeline);
    let comparisons: Vec<Comparison> = (1..k)
        .map(|a| Comparison {
            arm: experiment.arms[a].name.clone(),
            control: experiment.arms[0].name.clone(),
            conversion: stats::two_proportion_z_test(
                counts[0].converters,
                counts[0].users,
                counts[a].converters,
                counts[a].users,
                alpha / (k - 1) as f64,
            ),
            sequential_p_value: sequential[a - 1],
            value: stats::welch_t_test(samples[0], samples[a], alpha / (k - 1) as f64),
        })
        .collect();
    let weights: Vec<f64> = experiment.arms.iter().map(|a| a.weight as f64).collect();
    let sample_ratio = stats::sample_ratio(&counts.iter().map(|c| c.users).collect::<Vec<_>>(), &weights);
    let p_values: Vec<f64> = if experiment.analysis == SEQUENTIAL {
        sequential
    } else {
        comparisons.iter().map(|c| c.conversion.map_or(1.0, |t| t.p_value)).collect()
    };
    let names: Vec<String> = experiment.arms.iter().map(|a| a.name.clone()).collect();
    let decision = decide(
        &experiment.analysis,
        alpha,
        experiment.planned_users_per_arm,
        &counts,
        &p_values,
        &names,
        sample_ratio.mismatch,
    );
    ExperimentResults { experiment: experiment.clone(), arms, comparisons, sample_ratio, decision, timeline }
}

/// The cumulative counts per arm at up to [`MAX_POINTS`] evenly spaced times from the first
/// exposure to `now`.
fn timeline(
    experiment: &Experiment,
    exposed: &[HashMap<&str, f64>],
    per_user: &[HashMap<&str, (f64, Option<f64>)>],
    now: f64,
) -> Vec<TimelinePoint> {
    let Some(start) = exposed.iter().flat_map(|m| m.values().copied()).min_by(f64::total_cmp) else {
        return Vec::new();
    };
    let last = per_user.iter().flat_map(|m| m.values().filter_map(|(_, t)| *t)).fold(start, f64::max);
    let end = now.max(last).max(start + 1.0);
    let width = ((end - start) / MAX_POINTS as f64).max(1.0);
    let points = ((end - start) / width).ceil() as usize;
    let mut out = Vec::with_capacity(points * exposed.len());
    let sorted = |v: Vec<f64>| {
        let mut v = v;
        v.sort_by(f64::total_cmp);
        v
    };
    let seen: Vec<Vec<f64>> = exposed.iter().map(|m| sorted(m.values().copied().collect())).collect();
    let converted: Vec<Vec<f64>> =
        per_user.iter().map(|m| sorted(m.values().filter_map(|(_, t)| *t).collect())).collect();
    for p in 1..=points {
        let time = if p == points { end } else { start + width * p as f64 };
        for (a, arm) in experiment.arms.iter().enumerate() {
            let users = seen[a].partition_point(|t| *t <= time) as u64;
            let converters = converted[a].partition_point(|t| *t <= time) as u64;
            out.push(TimelinePoint {
                time,
                arm: arm.name.clone(),
                exposed_users: users,
                converted_users: converters,
                conversion_rate: if users == 0 { 0.0 } else { converters as f64 / users as f64 },
            });
        }
    }
    out
}

/// The mSPRT's always-valid p-value of each later arm against the control, looking at every
/// point of the timeline (its mixing variance: the planned absolute difference, squared).
fn sequential_p_values(experiment: &Experiment, timeline: &[TimelinePoint]) -> Vec<f64> {
    let k = experiment.arms.len();
    let tau = experiment.baseline_conversion_rate * experiment.minimum_detectable_lift;
    let mut p = vec![1.0; k.saturating_sub(1)];
    for look in timeline.chunks(k) {
        for a in 1..look.len() {
            let (c, t) = (&look[0], &look[a]);
            p[a - 1] = stats::msprt_look(
                p[a - 1],
                c.converted_users,
                c.exposed_users,
                t.converted_users,
                t.exposed_users,
                tau * tau,
            );
        }
    }
    p
}

impl Reko {
    pub fn get_experiment_results(&self, req: ExperimentArnRequest) -> ServiceResult<ExperimentResults> {
        let stored = self.load_experiment(&req.experiment_arn)?;
        self.flush_exposures();
        let exposures = self.store().experiment_exposures(&req.experiment_arn)?;
        let conversions = self.store().experiment_conversions(&req.experiment_arn)?;
        Ok(compute(&stored.wire, &exposures, &conversions, crate::resource::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reko_api::ExperimentArm;

    fn experiment() -> Experiment {
        Experiment {
            experiment_arn: "x".into(),
            arms: vec![
                ExperimentArm { name: "control".into(), target_arn: "c".into(), weight: 1 },
                ExperimentArm { name: "treatment".into(), target_arn: "t".into(), weight: 1 },
            ],
            conversion_event_type: "click".into(),
            analysis: "FIXED_HORIZON".into(),
            baseline_conversion_rate: 0.1,
            minimum_detectable_lift: 0.1,
            significance_level: 0.05,
            power: 0.8,
            planned_users_per_arm: 4,
            ..Default::default()
        }
    }

    fn exposure(arm: u32, user: &str, at: f64) -> ExperimentExposure {
        ExperimentExposure { experiment_arn: "x".into(), arm, user_key: user.into(), requests: 2, first_seen: at }
    }

    fn conversion(arm: u32, user: &str, event_type: &str, value: f64, at: f64) -> ExperimentConversion {
        ExperimentConversion {
            experiment_arn: "x".into(),
            arm,
            user_key: user.into(),
            event_type: event_type.into(),
            events: 1,
            value_sum: value,
            impressions: 5,
            first_at: at,
        }
    }

    #[test]
    fn arms_count_users_conversions_values_and_impressions() {
        let exposures: Vec<ExperimentExposure> = (0..4)
            .map(|i| exposure(0, &format!("a{i}"), 100.0 + 50.0 * i as f64))
            .chain((0..4).map(|i| exposure(1, &format!("b{i}"), 100.0 + 50.0 * i as f64)))
            .collect();
        let conversions = vec![
            conversion(0, "a0", "click", 0.0, 200.0),
            conversion(0, "a0", "buy", 10.0, 210.0),
            conversion(1, "b0", "click", 1.0, 200.0),
            conversion(1, "b1", "click", 3.0, 300.0),
            // A user never exposed to the arm: counted by type, not in the rate.
            conversion(1, "stranger", "click", 5.0, 300.0),
        ];
        let r = compute(&experiment(), &exposures, &conversions, 400.0);
        let (a, b) = (&r.arms[0], &r.arms[1]);
        assert_eq!((a.exposed_users, a.requests, a.converted_users), (4, 8, 1));
        assert_eq!((b.exposed_users, b.converted_users), (4, 2));
        assert_eq!((a.conversion_rate, b.conversion_rate), (0.25, 0.5));
        assert_eq!((a.value_per_user, b.value_per_user), (2.5, 1.0));
        assert_eq!(a.impressions, 10);
        assert_eq!(b.click_through_rate, Some(2.0 / 15.0));
        let types: Vec<(&str, u64, u64)> =
            a.event_types.iter().map(|t| (t.event_type.as_str(), t.events, t.users)).collect();
        assert_eq!(types, [("buy", 1, 1), ("click", 1, 1)]);
        assert_eq!(b.event_types[0].users, 3);
        // The comparison uses the arms' rates.
        let c = r.comparisons[0].conversion.unwrap();
        assert!((c.difference - 0.25).abs() < 1e-12);
        assert!(!r.sample_ratio.mismatch);
        // At the planned size with no significant difference.
        assert_eq!(r.decision.state, "NO_DIFFERENCE", "{:?}", r.decision);
        // The timeline ends at `now` with everything counted.
        let last: Vec<&TimelinePoint> = r.timeline.iter().rev().take(2).collect();
        assert_eq!((last[0].arm.as_str(), last[0].exposed_users, last[0].converted_users), ("treatment", 4, 2));
        assert_eq!(last[0].time, 400.0);
        let first = &r.timeline[0];
        assert!(first.exposed_users < 4, "{first:?}");
    }

    #[test]
    fn decisions() {
        let names = vec!["a".to_string(), "b".to_string()];
        let arms = |ca, cb| [ArmCounts { users: 1000, converters: ca }, ArmCounts { users: 1000, converters: cb }];
        let d = decide("FIXED_HORIZON", 0.05, 2000, &arms(100, 150), &[0.001], &names, false);
        assert_eq!(d.state, "COLLECTING");
        let d = decide("SEQUENTIAL", 0.05, 2000, &arms(100, 150), &[0.001], &names, false);
        assert_eq!((d.state.as_str(), d.winner.as_deref()), ("WINNER", Some("b")));
        let d = decide("FIXED_HORIZON", 0.05, 1000, &arms(150, 100), &[0.001], &names, false);
        assert_eq!((d.state.as_str(), d.winner.as_deref()), ("WINNER", Some("a")));
        let d = decide("FIXED_HORIZON", 0.05, 1000, &arms(100, 110), &[0.4], &names, false);
        assert_eq!(d.state, "NO_DIFFERENCE");
        let d = decide("FIXED_HORIZON", 0.05, 1000, &arms(100, 150), &[0.001], &names, true);
        assert_eq!((d.state.as_str(), d.winner), ("SAMPLE_RATIO_MISMATCH", None));
    }
}
