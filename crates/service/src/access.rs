//! Isolation between dataset groups for access keys scoped to some of them: a resource of another
//! group answers as if it did not exist, and lists leave other groups' resources out.
//!
//! Every stored resource records its dataset group; the owner of an ARN (or tracking id) is read
//! from the catalog once and cached, since a front-end key asks on every request. A resource's
//! group never changes while it exists; the cache is dropped whenever a resource is deleted.
//! Schemas and recipes belong to no dataset group (in Personalize too they are account-level) and
//! stay visible to every key.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::error::{ServiceError, ServiceResult};
use crate::resource::ResourceKind;
use crate::Reko;

/// The dataset groups a caller may see; `None`: all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessScope {
    pub dataset_groups: Option<Vec<String>>,
}

impl AccessScope {
    /// Whether the scope includes the dataset group.
    pub fn allows_group(&self, dataset_group_arn: &str) -> bool {
        self.dataset_groups.as_ref().is_none_or(|groups| groups.iter().any(|g| g == dataset_group_arn))
    }

    /// Whether the scope is every dataset group (no check needed).
    pub fn is_unrestricted(&self) -> bool {
        self.dataset_groups.is_none()
    }
}

/// A resource's kind and dataset group.
type Owner = (String, Option<String>);

/// Owners of resources already looked up, by ARN or `tracking-id:<id>`.
#[derive(Default)]
pub(crate) struct Owners {
    by_key: RwLock<HashMap<String, Owner>>,
}

impl Owners {
    /// Forgets every owner (a resource was deleted: its name may come back in another group).
    pub(crate) fn clear(&self) {
        self.by_key.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// The cached owner under `key`, or the one `find` reads (cached when found).
    fn get_or_find(
        &self,
        key: &str,
        find: impl FnOnce() -> ServiceResult<Option<Owner>>,
    ) -> ServiceResult<Option<Owner>> {
        if let Some(owner) = self.by_key.read().unwrap_or_else(|p| p.into_inner()).get(key) {
            return Ok(Some(owner.clone()));
        }
        let found = find()?;
        if let Some(owner) = &found {
            self.by_key.write().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), owner.clone());
        }
        Ok(found)
    }
}

/// The kind column of a resource record, as error messages name it.
fn label(kind: &str) -> String {
    kind.replace('-', " ")
}

impl Reko {
    /// The dataset group a stored resource belongs to, with its kind; `None` when no resource has
    /// this ARN. A dataset group belongs to itself; schemas to none.
    fn group_of(&self, arn: &str) -> ServiceResult<Option<Owner>> {
        self.inner.owners.get_or_find(arn, || {
            Ok(self.store().get_resource(arn)?.map(|record| {
                let group = if record.kind == ResourceKind::DatasetGroup.as_str() {
                    Some(record.arn.clone())
                } else {
                    record.dataset_group_arn.clone()
                };
                (record.kind, group)
            }))
        })
    }

    /// `Ok` when `arn` names no resource, a resource of no dataset group, or one of a group in
    /// `scope`; otherwise the NotFound error a missing resource gets.
    pub fn authorize_arn(&self, scope: &AccessScope, arn: &str) -> ServiceResult<()> {
        if scope.is_unrestricted() {
            return Ok(());
        }
        match self.group_of(arn)? {
            Some((kind, Some(group))) if !scope.allows_group(&group) => {
                Err(ServiceError::NotFound(format!("Could not find {}: {arn}", label(&kind))))
            }
            _ => Ok(()),
        }
    }

    /// [`Self::authorize_arn`] for the event tracker behind a tracking id.
    pub fn authorize_tracking_id(&self, scope: &AccessScope, tracking_id: &str) -> ServiceResult<()> {
        if scope.is_unrestricted() {
            return Ok(());
        }
        let owner = self.inner.owners.get_or_find(&format!("tracking-id:{tracking_id}"), || {
            let trackers = self.store().list_resources(ResourceKind::EventTracker.as_str(), None)?;
            Ok(trackers
                .into_iter()
                .find(|t| t.doc.get("trackingId").and_then(|v| v.as_str()) == Some(tracking_id))
                .map(|t| (t.kind, t.dataset_group_arn)))
        })?;
        match owner.and_then(|(_, group)| group) {
            Some(group) if !scope.allows_group(&group) => {
                Err(ServiceError::NotFound(format!("No event tracker has the tracking id {tracking_id}.")))
            }
            _ => Ok(()),
        }
    }

    /// Whether a listed resource is visible in `scope`.
    pub fn visible_in(&self, scope: &AccessScope, arn: &str) -> bool {
        self.authorize_arn(scope, arn).is_ok()
    }

    /// Whether a scoped key may create the dataset group called `name` (its ARN is in the scope).
    pub fn may_create_dataset_group(&self, scope: &AccessScope, name: &str) -> bool {
        scope.allows_group(&self.arns().arn(ResourceKind::DatasetGroup, name))
    }
}
