//! Campaigns and recommenders another process deployed, updated, stopped or deleted: what this
//! process serves follows. A new or changed model is loaded and prepared in the background while
//! the current one (if any) goes on serving, then swapped in; one that must no longer serve is
//! dropped at once.

use std::sync::Arc;

use reko_api::{status, Campaign, Recommender, ResourceStatus};
use reko_engine::Exploration;

use crate::deployment::Deployment;
use crate::error::ServiceResult;
use crate::resource::{ResourceKind, Stored};
use crate::Reko;

/// How a deployment is loaded again (run on the background thread).
type Loader = Box<dyn Fn(&Reko) -> ServiceResult<Arc<Deployment>> + Send>;

impl Reko {
    /// A campaign changed elsewhere.
    pub(super) fn follow_campaign(&self, arn: &str) -> ServiceResult<()> {
        let Some(record) = self.store().get_resource(arn)? else {
            self.undeploy(arn);
            return Ok(());
        };
        if status::is_deleting(&record.status) {
            self.undeploy(arn);
            return Ok(());
        }
        // Pending, in progress or failed: what serves (if anything) goes on serving.
        if record.status != ResourceStatus::Active.as_str() {
            return Ok(());
        }
        let campaign = self.load::<Campaign>(ResourceKind::Campaign, arn)?.wire;
        let config = campaign.campaign_config.clone();
        let key = (
            campaign.solution_version_arn.clone(),
            crate::campaign::exploration(config.as_ref())?,
            config.as_ref().and_then(|c| c.enable_metadata_with_recommendations).unwrap_or(false),
        );
        if self.serves(arn, &key) {
            return Ok(());
        }
        let (campaign_arn, version) = (arn.to_string(), campaign.solution_version_arn);
        self.swap_in_background(
            arn,
            Box::new(move |reko: &Reko| reko.load_deployment(&campaign_arn, &version, config.as_ref())),
        );
        Ok(())
    }

    /// A recommender changed elsewhere (stopped, started, retrained, updated or deleted).
    pub(super) fn follow_recommender(&self, arn: &str) -> ServiceResult<()> {
        let Some(record) = self.store().get_resource(arn)? else {
            self.undeploy(arn);
            return Ok(());
        };
        if record.status != ResourceStatus::Active.as_str() {
            // Stopping, stopped or being deleted: it serves nothing (as after a stop here).
            self.undeploy(arn);
            return Ok(());
        }
        let stored: Stored<Recommender> = self.load(ResourceKind::Recommender, arn)?;
        let Some(key) = self.recommender_serving_key(&stored)? else { return Ok(()) };
        if self.serves(arn, &key) {
            return Ok(());
        }
        let recommender_arn = arn.to_string();
        self.swap_in_background(
            arn,
            Box::new(move |reko: &Reko| {
                let stored: Stored<Recommender> = reko.load(ResourceKind::Recommender, &recommender_arn)?;
                reko.recommender_deployment(&stored, stored.wire.recommender_config.as_ref())
            }),
        );
        Ok(())
    }

    /// Whether `arn` serves the model and settings of `key` now.
    fn serves(&self, arn: &str, key: &(String, Exploration, bool)) -> bool {
        self.served(arn)
            .is_some_and(|d| (&d.solution_version_arn, d.exploration, d.metadata_enabled) == (&key.0, key.1, key.2))
    }

    /// Loads and prepares a deployment of `arn` on a thread of its own, then serves it, if `arn`
    /// is still ACTIVE. One load per resource at a time: a change arriving meanwhile is looked
    /// at again once it is done.
    fn swap_in_background(&self, arn: &str, load: Loader) {
        {
            let mut following = self.inner.following.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(again) = following.get_mut(arn) {
                *again = true;
                return;
            }
            following.insert(arn.to_string(), false);
        }
        let (reko, followed) = (self.clone(), arn.to_string());
        let spawned = std::thread::Builder::new().name("reko-follow".into()).spawn(move || {
            let arn = followed;
            if let Err(e) = reko.swap_in(&arn, &load) {
                tracing::warn!(resource = %arn, error = %e, "a model deployed by another process was not loaded here; requests load it");
            }
            let again = reko.inner.following.lock().unwrap_or_else(|p| p.into_inner()).remove(&arn);
            if again == Some(true) {
                let followed = match reko.served(&arn).and_then(|d| d.use_case) {
                    Some(_) => reko.follow_recommender(&arn),
                    None => reko.follow_campaign(&arn),
                };
                if let Err(e) = followed {
                    tracing::warn!(resource = %arn, error = %e, "another process's change could not be applied here");
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no thread to load a model deployed elsewhere; requests load it");
            self.inner.following.lock().unwrap_or_else(|p| p.into_inner()).remove(arn);
        }
    }

    fn swap_in(&self, arn: &str, load: &Loader) -> ServiceResult<()> {
        let started = std::time::Instant::now();
        let deployment = load(self)?;
        self.make_ready(&deployment)?;
        {
            let mut map = self.inner.deployments.write().unwrap_or_else(|p| p.into_inner());
            // Stopped or deleted while it loaded: never served again.
            match self.store().get_resource(arn)? {
                Some(r) if r.status == ResourceStatus::Active.as_str() => {
                    map.insert(arn.to_string(), deployment.clone());
                }
                _ => return Ok(()),
            }
        }
        // Items and events put while it loaded.
        let installed = self.catch_up_items(&deployment)?;
        self.observe_stored_events(&installed)?;
        tracing::info!(resource = %arn, secs = started.elapsed().as_secs_f64(), "model deployed by another process now serves here");
        Ok(())
    }
}
