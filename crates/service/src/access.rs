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

use reko_api::{Access, AccessedResources, ApiError};
use serde::de::DeserializeOwned;

use crate::error::{ServiceError, ServiceResult};
use crate::resource::{ResourceKind, Stored};
use crate::Reko;

/// The dataset groups a caller may see; `None`: all of them. With them, where its jobs may read
/// and write (see `job_access`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessScope {
    pub dataset_groups: Option<Vec<String>>,
    /// The local folders the key's data locations must lie in (its `data_roots`). `None`: the
    /// server's `--allowed-data-root` folders for a key without dataset groups (a root key), no
    /// folder at all for a key scoped to dataset groups.
    pub data_roots: Option<Vec<std::path::PathBuf>>,
    /// The `[[s3_roles]]` ARNs the key may name as a job's `roleArn` (its `s3_roles`). `None`:
    /// every configured role, and the server's own credentials for any other `roleArn`, for a
    /// root key; no role at all for a key scoped to dataset groups.
    pub s3_roles: Option<Vec<String>>,
}

impl AccessScope {
    /// Whether the scope includes the dataset group.
    pub fn allows_group(&self, dataset_group_arn: &str) -> bool {
        self.dataset_groups.as_ref().is_none_or(|groups| groups.iter().any(|g| g == dataset_group_arn))
    }

    /// Whether a stored resource is in the scope: a dataset group by its own ARN, anything else
    /// by its group; resources of no group (schemas) are shared.
    pub(crate) fn allows_record(&self, record: &reko_storage::ResourceRecord) -> bool {
        if record.kind == ResourceKind::DatasetGroup.as_str() {
            self.allows_group(&record.arn)
        } else {
            record.dataset_group_arn.as_deref().is_none_or(|g| self.allows_group(g))
        }
    }

    /// The account a scoped key creates dataset groups and schemas in: the account of its groups'
    /// ARNs (an operator gives each tenant its own account id there, so its names are its own);
    /// `None`: the server's.
    pub fn account(&self) -> Option<&str> {
        self.dataset_groups.as_ref()?.first().and_then(|g| crate::arn::account_of(g))
    }

    /// Whether an ARN of another account than the scope's (e.g. another tenant's schema) is
    /// beyond the scope.
    fn foreign_account(&self, arn: &str) -> bool {
        match (self.account(), crate::arn::account_of(arn)) {
            (Some(mine), Some(theirs)) => mine != theirs,
            _ => false,
        }
    }

    /// Whether the scope is every dataset group (no check needed).
    pub fn is_unrestricted(&self) -> bool {
        self.dataset_groups.is_none()
    }
}

/// A resource's kind and dataset group.
type Owner = (String, Option<String>);

/// Owners of resources already looked up, by ARN.
#[derive(Default)]
pub(crate) struct Owners {
    cache: RwLock<OwnerCache>,
}

#[derive(Default)]
struct OwnerCache {
    by_key: HashMap<String, Owner>,
    /// Bumped by every [`Owners::clear`]: an owner read from the catalog before a deletion is
    /// not cached after it (it could name a resource that no longer exists).
    generation: u64,
}

impl Owners {
    /// Forgets every owner (a resource was deleted: its name may come back in another group).
    pub(crate) fn clear(&self) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        cache.by_key.clear();
        cache.generation += 1;
    }

    /// The cached owner under `key`, or the one `find` reads (cached when found, unless a
    /// deletion happened meanwhile).
    fn get_or_find(
        &self,
        key: &str,
        find: impl FnOnce() -> ServiceResult<Option<Owner>>,
    ) -> ServiceResult<Option<Owner>> {
        let generation = {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some(owner) = cache.by_key.get(key) {
                return Ok(Some(owner.clone()));
            }
            cache.generation
        };
        let found = find()?;
        if let Some(owner) = &found {
            let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
            if cache.generation == generation {
                cache.by_key.insert(key.to_string(), owner.clone());
            }
        }
        Ok(found)
    }
}

/// The kind column of a resource record, as error messages name it.
fn label(kind: &str) -> String {
    kind.replace('-', " ")
}

impl Reko {
    /// [`Reko::load_all`] less what `scope` may not see: other groups' resources are left out
    /// before a list is paged, so pages and tokens reveal nothing of them.
    pub(crate) fn load_visible<T: DeserializeOwned>(
        &self,
        kind: ResourceKind,
        parent: Option<&str>,
        scope: &AccessScope,
    ) -> ServiceResult<Vec<Stored<T>>> {
        let records = self.store().list_resources(kind.as_str(), parent)?;
        records.into_iter().filter(|r| scope.allows_record(r)).map(crate::resource::decode).collect()
    }

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
        if scope.foreign_account(arn) {
            return Err(ApiError::ResourceNotFound(format!("Could not find resource: {arn}")).into());
        }
        match self.group_of(arn)? {
            Some((kind, Some(group))) if !scope.allows_group(&group) => {
                Err(ApiError::ResourceNotFound(format!("Could not find {}: {arn}", label(&kind))).into())
            }
            _ => Ok(()),
        }
    }

    /// [`Self::authorize_arn`] for the event tracker or Action interactions dataset behind a
    /// tracking id.
    pub fn authorize_tracking_id(&self, scope: &AccessScope, tracking_id: &str) -> ServiceResult<()> {
        if scope.is_unrestricted() {
            return Ok(());
        }
        // PutEvents and PutActionInteractions cache their target once resolved; a first call
        // looks the tracker or dataset up.
        let tracker = || ApiError::ResourceNotFound(format!("No event tracker has the tracking id {tracking_id}."));
        let action = || crate::ingest::unknown_action_tracking_id(tracking_id);
        let cached_action = self.inner.ingest.group_of_key(&crate::ingest::action_tracker_key(tracking_id));
        let (group, missing) = match (self.inner.ingest.tracker_group(tracking_id), cached_action) {
            (Some(group), _) => (Some(group), tracker()),
            (None, Some(group)) => (Some(group), action()),
            (None, None) => match self.find_tracker(tracking_id)? {
                Some(t) => (Some(t.dataset_group_arn), tracker()),
                None => (self.find_action_interactions_dataset(tracking_id)?.map(|d| d.dataset_group_arn), action()),
            },
        };
        match group {
            Some(group) if !scope.allows_group(&group) => Err(missing.into()),
            _ => Ok(()),
        }
    }

    /// Authorizes a decoded request for `scope`: every resource it names must be in the scope's
    /// dataset groups (another group's resource answers as missing), a dataset group it creates
    /// must be in the scope, and shared account-level things change only with a root key.
    pub fn authorize(&self, scope: &AccessScope, request: &impl AccessedResources) -> ServiceResult<()> {
        if scope.is_unrestricted() {
            return Ok(());
        }
        for access in request.accessed() {
            match access {
                Access::Resource(arn) => self.authorize_arn(scope, arn)?,
                Access::TrackingId(id) => self.authorize_tracking_id(scope, id)?,
                Access::NewDatasetGroup(name) => {
                    if !self.may_create_dataset_group(scope, name) {
                        return Err(ServiceError::AccessDenied(format!(
                            "This access key is limited to other dataset groups and cannot create dataset group \
                             '{name}'."
                        )));
                    }
                }
                Access::SharedChange(operation) => {
                    return Err(ServiceError::AccessDenied(format!(
                        "{operation} changes what every dataset group shares; this access key is limited to some \
                         dataset groups."
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether `scope` may see the resource behind `arn`: it exists and belongs to one of the
    /// scope's groups (or to none). A deleted resource is visible to root keys only.
    pub fn visible_in(&self, scope: &AccessScope, arn: &str) -> bool {
        if scope.is_unrestricted() {
            return true;
        }
        if scope.foreign_account(arn) {
            return false;
        }
        match self.group_of(arn) {
            Ok(Some((_, group))) => group.is_none_or(|g| scope.allows_group(&g)),
            _ => false,
        }
    }

    /// Whether a scoped key may create the dataset group called `name` (its ARN is in the scope).
    pub fn may_create_dataset_group(&self, scope: &AccessScope, name: &str) -> bool {
        scope.allows_group(&self.arns().arn_in(scope.account(), ResourceKind::DatasetGroup, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        ("campaign".into(), Some("arn:g".into()))
    }

    #[test]
    fn an_owner_read_before_a_deletion_is_not_cached_after_it() {
        let owners = Owners::default();
        // A deletion clears the cache while the owner is being read from the catalog.
        let found = owners
            .get_or_find("arn:c", || {
                owners.clear();
                Ok(Some(owner()))
            })
            .unwrap();
        assert_eq!(found, Some(owner()), "the caller still gets what it read");
        // The next lookup reads the catalog again instead of trusting the stale entry.
        let again = owners.get_or_find("arn:c", || Ok(None)).unwrap();
        assert_eq!(again, None);
        // Without a deletion in between, owners are cached.
        owners.get_or_find("arn:d", || Ok(Some(owner()))).unwrap();
        assert_eq!(owners.get_or_find("arn:d", || panic!("read twice")).unwrap(), Some(owner()));
    }
}
