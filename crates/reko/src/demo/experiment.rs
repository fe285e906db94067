//! Step 13 (with `--experiment`): a short A/B experiment between the popularity campaign (the
//! control) and User-Personalization on the synthetic users (docs/experiments.md). Each user is
//! served by the experiment's ARN; their clicks are simulated from the generator's ground truth
//! (a listed item of one of the user's preferred categories is clicked far more often than
//! another), sent with PutEvents carrying the recommendation id; then the results say which won.

use anyhow::Context;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::Event;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::flow::{sdk, Flow, Models};
use super::showcase::Catalog;

/// Chance a listed item is clicked when its category is one the user prefers, and when not.
const CLICK_PREFERRED: f64 = 0.04;
const CLICK_OTHER: f64 = 0.004;
/// Items per list.
const LIST: i32 = 10;

impl Flow {
    pub(in crate::demo) async fn step_experiment(
        &self,
        dataset_group: &str,
        models: &Models,
        catalog: &Catalog<'_>,
        users: usize,
        seed: u64,
    ) -> anyhow::Result<()> {
        self.ui.header(&format!(
            "A/B experiment: popularity (control) against User-Personalization, {users} simulated users"
        ));
        // The group's event tracker (step 9 made it; a group has one).
        let trackers =
            sdk(self.control.list_event_trackers().dataset_group_arn(dataset_group).send().await, "ListEventTrackers")?;
        let arn = trackers
            .event_trackers()
            .first()
            .and_then(|t| t.event_tracker_arn())
            .context("the dataset group has no event tracker")?;
        let described = sdk(self.control.describe_event_tracker().event_tracker_arn(arn).send().await, "Describe")?;
        let tracking_id = described.event_tracker().and_then(|t| t.tracking_id()).context("no trackingId")?.to_string();
        let body = json!({
            "name": self.name("experiment"),
            "datasetGroupArn": dataset_group,
            "arms": [
                {"name": "popularity", "targetArn": models.popularity.campaign, "weight": 1},
                {"name": "user-personalization", "targetArn": models.personalized.campaign, "weight": 1}
            ],
            "conversionEventType": "click",
            "baselineConversionRate": 0.2,
            "minimumDetectableLift": 0.2,
            "analysis": "SEQUENTIAL",
        });
        let created = self.experiments.ok("CreateExperiment", &body).await?;
        let experiment = created["experimentArn"].as_str().context("CreateExperiment returned no ARN")?.to_string();
        self.ui.detail(&format!("    experiment {experiment}"));

        let mut rng = StdRng::seed_from_u64(seed ^ 0xa5a5);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let data = catalog.data;
        for u in 0..users.min(data.users.len()) {
            let user = reko_synth::user_id(u);
            let out = sdk(
                self.runtime
                    .get_recommendations()
                    .campaign_arn(&experiment)
                    .user_id(&user)
                    .num_results(LIST)
                    .send()
                    .await,
                "GetRecommendations(experiment)",
            )?;
            let listed: Vec<String> = out.item_list().iter().filter_map(|i| i.item_id().map(str::to_string)).collect();
            let preferred = &data.users[u].preferred;
            let clicked = listed.iter().find(|id| {
                let liked = catalog.category_of(id).is_some_and(|c| preferred.contains(&c));
                rng.gen::<f64>() < if liked { CLICK_PREFERRED } else { CLICK_OTHER }
            });
            let Some(item) = clicked else { continue };
            // The item's price as the click's value (value per user in the results).
            let price =
                item.strip_prefix('i').and_then(|n| n.parse::<usize>().ok()).and_then(|n| data.items.get(n - 1));
            let event = Event::builder()
                .event_type("click")
                .item_id(item)
                .set_event_value(price.map(|i| i.price as f32))
                .sent_at(DateTime::from_secs(now as i64))
                .set_recommendation_id(out.recommendation_id().map(str::to_string))
                .set_impression(Some(listed.clone()))
                .build()
                .context("building an event")?;
            let put = self.events.put_events().tracking_id(&tracking_id).user_id(&user).session_id(format!("{user}-s"));
            sdk(put.event_list(event).send().await, "PutEvents")?;
        }
        let results = self.experiments.results(&experiment).await?;
        for line in crate::experiments::summarize(&results).lines() {
            self.ui.line(&format!("  {line}"));
        }
        let decision = &results["decision"];
        let won = match decision["winner"].as_str() {
            Some(winner) => {
                self.experiments
                    .ok("PromoteExperiment", &json!({"experimentArn": experiment, "armName": winner}))
                    .await?;
                format!("{winner} won; the experiment's ARN now serves it alone")
            }
            None => {
                let best = results["arms"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .max_by(|a, b| {
                        let rate = |v: &serde_json::Value| v["conversionRate"].as_f64().unwrap_or(0.0);
                        rate(a).total_cmp(&rate(b))
                    })
                    .and_then(|a| a["name"].as_str())
                    .unwrap_or("neither arm");
                format!("no winner yet ({}); {best} leads", decision["state"].as_str().unwrap_or_default())
            }
        };
        self.ui.line(&format!("  => {won}"));
        Ok(())
    }
}
