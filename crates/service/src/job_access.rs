//! What a job may read and write, decided at its creation from the caller's key and kept with the
//! job so that its run uses exactly that.
//!
//! * **Local locations.** A key scoped to dataset groups (a tenant) uses its own `data_roots`
//!   only (none granted: every local location is refused); a root key uses the server's
//!   `--allowed-data-root` folders. The roots the job was authorized with are stored in its
//!   document (internal part) and its run checks against them again.
//! * **`s3://` locations.** The job's `roleArn` selects a configured role (`[[s3_roles]]`): the
//!   location must lie under one of the role's prefixes, and the job reads and writes with the
//!   role's credentials. A tenant may only name the roles its key lists (`s3_roles`); a root key
//!   may name any configured role, and a `roleArn` no role is configured for makes its jobs use
//!   the server's own credentials (as before roles existed). Refusals are
//!   `AccessDeniedException`s naming the field and the value. The role is stored with the job and
//!   its run checks the location against the role's prefixes again.

use std::path::PathBuf;

use serde_json::Value;

use crate::access::AccessScope;
use crate::data_roots::Places;
use crate::error::{ServiceError, ServiceResult};
use crate::object_storage::{ObjectStorageConfig, ObjectStorageError};
use crate::s3_roles::S3Role;
use crate::Reko;
use reko_api::{DataLocation, S3Location};

/// Internal document fields of a job: the local roots it was authorized with (absent: the
/// server's) and the configured S3 role it uses (absent: the server's own credentials).
const DATA_ROOTS: &str = "dataRoots";
const S3_ROLE: &str = "s3Role";

/// What a job was authorized to use at its creation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JobGrant {
    /// The caller's key's own local roots; `None`: the server's roots.
    pub data_roots: Option<Vec<PathBuf>>,
    /// The ARN of the configured role its `s3://` locations are used as; `None`: the server's
    /// own credentials (or no `s3://` location).
    pub s3_role: Option<String>,
}

impl JobGrant {
    /// The grant as the internal part of the job's stored document.
    pub(crate) fn internal(&self) -> Value {
        let mut map = serde_json::Map::new();
        if let Some(roots) = &self.data_roots {
            let roots: Vec<Value> = roots.iter().map(|r| Value::String(r.to_string_lossy().into_owned())).collect();
            map.insert(DATA_ROOTS.into(), Value::Array(roots));
        }
        if let Some(role) = &self.s3_role {
            map.insert(S3_ROLE.into(), Value::String(role.clone()));
        }
        Value::Object(map)
    }

    /// The grant stored in a job's internal part (a job created before grants were stored has
    /// none: the server's roots and credentials).
    pub(crate) fn of(internal: &Value) -> JobGrant {
        JobGrant {
            data_roots: internal
                .get(DATA_ROOTS)
                .and_then(Value::as_array)
                .map(|roots| roots.iter().filter_map(Value::as_str).map(PathBuf::from).collect()),
            s3_role: internal.get(S3_ROLE).and_then(Value::as_str).map(str::to_string),
        }
    }
}

impl AccessScope {
    /// The local roots of the scope's jobs: the key's own, none for a key scoped to dataset
    /// groups without `data_roots` (fail closed), `None` (the server's) for a root key.
    pub(crate) fn job_data_roots(&self) -> Option<Vec<PathBuf>> {
        match (&self.data_roots, &self.dataset_groups) {
            (Some(roots), _) => Some(roots.clone()),
            (None, Some(_)) => Some(Vec::new()),
            (None, None) => None,
        }
    }

    /// The roles the scope may name; `None`: any configured role, or the server's credentials.
    fn job_s3_roles(&self) -> Option<&[String]> {
        match (&self.s3_roles, &self.dataset_groups) {
            (Some(roles), _) => Some(roles),
            (None, Some(_)) => Some(&[]),
            (None, None) => None,
        }
    }
}

/// Why a job cannot use its object storage when it runs; the message is the job's failure reason.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JobStorageError {
    #[error(
        "The job's role {role} (roleArn) is no longer configured on this server ([[s3_roles]]); the job did not use \
         its s3:// locations."
    )]
    RoleGone { role: String },
    #[error(
        "The data location '{location}' is outside the s3:// prefixes role {role} may use now; the job did not use it."
    )]
    Outside { location: String, role: String },
    #[error(transparent)]
    Transfer(#[from] ObjectStorageError),
}

impl Reko {
    /// Authorizes the data `locations` (each with its request field) of a job created by a caller
    /// with `scope` and naming `role_arn`: local ones inside the key's roots (or the server's),
    /// never the server's own files; `s3://` ones under the prefixes of the role `role_arn`
    /// selects, when the key may use it. Returns what the job stores to run with the same.
    pub(crate) fn authorize_job_locations(
        &self,
        scope: &AccessScope,
        role_arn: Option<&str>,
        locations: &[(&str, &str)],
    ) -> ServiceResult<JobGrant> {
        let data_roots = scope.job_data_roots();
        let places = self.places_in(data_roots.as_deref());
        let parsed: Vec<(DataLocation, &str)> =
            locations.iter().map(|(location, field)| (DataLocation::parse(field, location), *field)).collect();
        for (location, field) in &parsed {
            self.check_data_location(&places, location, field)?;
        }
        let objects: Vec<(&S3Location, &str)> =
            parsed.iter().filter_map(|(l, field)| l.as_s3().map(|s3| (s3, *field))).collect();
        let s3_role = match objects.first() {
            None => None,
            Some((location, field)) => self.select_role(scope, role_arn, location.as_str(), field)?,
        };
        if let Some(role) = s3_role {
            for (location, field) in &objects {
                if !role.allows(location) {
                    return Err(ServiceError::AccessDenied(format!(
                        "Value '{location}' at '{field}' is outside the s3:// prefixes role {} may use ({}).",
                        role.arn,
                        role.allowed.join(", ")
                    )));
                }
            }
        }
        Ok(JobGrant { data_roots, s3_role: s3_role.map(|r| r.arn.clone()) })
    }

    /// The configured role a job's `s3://` location (`location`, of `field`) is used as; `None`:
    /// the server's own credentials (a root key naming a role that is not configured).
    fn select_role(
        &self,
        scope: &AccessScope,
        role_arn: Option<&str>,
        location: &str,
        field: &str,
    ) -> ServiceResult<Option<&S3Role>> {
        let configured = role_arn.and_then(|arn| self.config().s3_roles.iter().find(|r| r.arn == arn));
        let Some(allowed) = scope.job_s3_roles() else {
            return Ok(configured);
        };
        let Some(arn) = role_arn else {
            return Err(ServiceError::AccessDenied(format!(
                "Value '{location}' at '{field}' is an s3:// location, which this access key reaches through a role: \
                 name one of its roles in roleArn."
            )));
        };
        match configured {
            Some(role) if allowed.iter().any(|a| a == arn) => Ok(Some(role)),
            _ => Err(ServiceError::AccessDenied(format!(
                "Value '{arn}' at 'roleArn' is not a role this access key may use for s3:// locations (such as \
                 '{location}' at '{field}'); the operator grants roles per key with s3_roles in the key's \
                 [[access_keys]] table."
            ))),
        }
    }

    /// Where a job uses local files: the roots it was authorized with.
    pub(crate) fn job_places(&self, grant: &JobGrant) -> Places {
        self.places_in(grant.data_roots.as_deref())
    }

    /// The object store a job reads and writes its `s3://` `locations` with: as its role (still
    /// configured, the locations still under its prefixes), or with the server's own
    /// credentials. The error is the job's failure reason.
    pub(crate) fn job_storage(
        &self,
        grant: &JobGrant,
        locations: &[&DataLocation],
    ) -> Result<ObjectStorageConfig, JobStorageError> {
        let storage = &self.config().object_storage;
        let Some(arn) = &grant.s3_role else { return Ok(storage.clone()) };
        let Some(role) = self.config().s3_roles.iter().find(|r| &r.arn == arn) else {
            return Err(JobStorageError::RoleGone { role: arn.clone() });
        };
        if let Some(outside) = locations.iter().filter_map(|l| l.as_s3()).find(|l| !role.allows(l)) {
            return Err(JobStorageError::Outside { location: outside.to_string(), role: arn.clone() });
        }
        Ok(storage.as_role(role))
    }
}

#[cfg(test)]
mod tests {
    use reko_api::ApiError;

    use super::*;
    use crate::ServiceConfig;

    const ROLE_A: &str = "arn:aws:iam::123456789012:role/TenantA";
    const ROLE_B: &str = "arn:aws:iam::123456789012:role/TenantB";
    const UNKNOWN: &str = "arn:aws:iam::123456789012:role/PersonalizeRole";

    fn role(arn: &str, allowed: &str) -> S3Role {
        S3Role {
            arn: arn.into(),
            access_key_id: format!("id-{arn}"),
            secret_access_key: "secret".into(),
            endpoint: None,
            allowed: vec![allowed.into()],
        }
    }

    fn reko(dir: &std::path::Path) -> Reko {
        Reko::open(ServiceConfig {
            data_dir: dir.join("data"),
            workers: 0,
            allowed_data_roots: Some(vec![dir.to_path_buf()]),
            s3_roles: vec![role(ROLE_A, "s3://bucket-a/"), role(ROLE_B, "s3://shared/tenant-b/")],
            object_storage: ObjectStorageConfig { endpoint: Some("http://server-store".into()), credentials: None },
            ..Default::default()
        })
        .unwrap()
    }

    fn tenant(roles: &[&str], roots: Option<Vec<PathBuf>>) -> AccessScope {
        AccessScope {
            dataset_groups: Some(vec!["arn:aws:personalize:us-east-1:123456789012:dataset-group/a".into()]),
            data_roots: roots,
            s3_roles: Some(roles.iter().map(|r| r.to_string()).collect()),
        }
    }

    fn denied(r: ServiceResult<JobGrant>) -> String {
        match r {
            Err(ServiceError::AccessDenied(m)) => m,
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }

    #[test]
    fn job_roles_are_selected_by_role_arn_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let reko = reko(dir.path());
        let a = tenant(&[ROLE_A], None);
        let input = [("s3://bucket-a/in/x.csv", "dataSource.dataLocation")];
        // The tenant's own role, under its prefix: the job runs as that role.
        let grant = reko.authorize_job_locations(&a, Some(ROLE_A), &input).unwrap();
        assert_eq!(grant.s3_role.as_deref(), Some(ROLE_A));
        let storage = reko.job_storage(&grant, &[&DataLocation::parse(input[0].1, input[0].0)]).unwrap();
        let creds = storage.credentials.expect("the role's credentials");
        assert_eq!(creds.access_key_id, format!("id-{ROLE_A}"));
        assert_eq!(storage.endpoint.as_deref(), Some("http://server-store"), "the server's store by default");
        // Another configured role, not granted to the key; an unknown role; no role at all.
        let m = denied(reko.authorize_job_locations(&a, Some(ROLE_B), &[("s3://shared/tenant-b/x", "f")]));
        assert!(m.contains(ROLE_B) && m.contains("roleArn") && m.contains("s3_roles"), "{m}");
        let m = denied(reko.authorize_job_locations(&a, Some(UNKNOWN), &input));
        assert!(m.contains(UNKNOWN) && m.contains("roleArn"), "{m}");
        let m = denied(reko.authorize_job_locations(&a, None, &input));
        assert!(m.contains("roleArn"), "{m}");
        // Its own role, outside the role's prefixes (the output of a batch job too).
        let m = denied(reko.authorize_job_locations(
            &a,
            Some(ROLE_A),
            &[
                ("s3://bucket-a/in/", "jobInput.s3DataSource.path"),
                ("s3://shared/tenant-b/out/", "jobOutput.s3DataDestination.path"),
            ],
        ));
        assert!(m.contains("s3://shared/tenant-b/out/") && m.contains("jobOutput.s3DataDestination.path"), "{m}");
        assert!(m.contains(ROLE_A), "{m}");
        // A key scoped to dataset groups without s3_roles may use none.
        let none = AccessScope { s3_roles: None, ..a.clone() };
        denied(reko.authorize_job_locations(&none, Some(ROLE_A), &input));

        // A root key: any configured role (within its prefixes), the server's credentials otherwise.
        let root = AccessScope::default();
        let g = reko.authorize_job_locations(&root, Some(ROLE_B), &[("s3://shared/tenant-b/x", "f")]).unwrap();
        assert_eq!(g.s3_role.as_deref(), Some(ROLE_B));
        denied(reko.authorize_job_locations(&root, Some(ROLE_B), &[("s3://bucket-a/x", "f")]));
        let g = reko.authorize_job_locations(&root, Some(UNKNOWN), &[("s3://anywhere/x", "f")]).unwrap();
        assert_eq!(g, JobGrant::default(), "the server's own credentials and roots");
        assert!(reko.job_storage(&g, &[&DataLocation::parse("f", "s3://anywhere/x")]).unwrap().credentials.is_none());
        // Local locations need no role.
        let csv = dir.path().join("x.csv");
        let g = reko.authorize_job_locations(&root, Some(ROLE_A), &[(csv.to_str().unwrap(), "f")]).unwrap();
        assert_eq!(g.s3_role, None);
    }

    #[test]
    fn job_grants_are_stored_and_rechecked_at_run_time() {
        let dir = tempfile::tempdir().unwrap();
        let reko = reko(dir.path());
        let grant = JobGrant { data_roots: Some(vec![dir.path().join("tenant-a")]), s3_role: Some(ROLE_A.into()) };
        assert_eq!(JobGrant::of(&grant.internal()), grant);
        assert_eq!(JobGrant::of(&Value::Null), JobGrant::default());
        assert_eq!(JobGrant::default().internal(), serde_json::json!({}));
        // A role no longer configured, a location no longer under its prefixes: the job fails.
        let gone = JobGrant { s3_role: Some(UNKNOWN.into()), ..JobGrant::default() };
        assert!(reko
            .job_storage(&gone, &[&DataLocation::parse("f", "s3://bucket-a/x")])
            .unwrap_err()
            .to_string()
            .contains("no longer configured"));
        let e = reko.job_storage(&grant, &[&DataLocation::parse("f", "s3://bucket-b/x")]).unwrap_err().to_string();
        assert!(e.contains("s3://bucket-b/x") && e.contains(ROLE_A), "{e}");
    }

    #[test]
    fn job_local_roots_are_the_keys_own() {
        let dir = tempfile::tempdir().unwrap();
        let (a_root, b_root) = (dir.path().join("tenant-a"), dir.path().join("tenant-b"));
        for root in [&a_root, &b_root] {
            std::fs::create_dir_all(root).unwrap();
            std::fs::write(root.join("in.csv"), "USER_ID\n").unwrap();
        }
        let reko = reko(dir.path());
        let a = tenant(&[], Some(vec![a_root.clone()]));
        let field = "dataSource.dataLocation";
        let own = a_root.join("in.csv");
        let grant = reko.authorize_job_locations(&a, None, &[(own.to_str().unwrap(), field)]).unwrap();
        assert_eq!(grant.data_roots, Some(vec![a_root.clone()]), "the key's roots are stored with the job");
        // Inside the server's roots, but in the other tenant's folder.
        let other = b_root.join("in.csv");
        match reko.authorize_job_locations(&a, None, &[(other.to_str().unwrap(), field)]) {
            Err(ServiceError::Api(ApiError::InvalidInput(m))) => {
                assert!(m.contains(field) && m.contains("this access key") && m.contains("data_roots"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        // The run checks against the stored roots, not the server's.
        let places = reko.job_places(&grant);
        assert!(places.input_files(other.to_str().unwrap(), field).is_err());
        assert!(places.input_files(own.to_str().unwrap(), field).is_ok());
        assert!(reko.job_places(&JobGrant::default()).input_files(other.to_str().unwrap(), field).is_ok());
        // A tenant without roots: every local location refused, telling the operator what to set.
        let none = tenant(&[], None);
        match reko.authorize_job_locations(&none, None, &[(own.to_str().unwrap(), field)]) {
            Err(ServiceError::Api(ApiError::InvalidInput(m))) => {
                assert!(m.contains(field) && m.contains("data_roots") && m.contains("per key"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        // A root key keeps the server's roots.
        let g = reko.authorize_job_locations(&AccessScope::default(), None, &[(other.to_str().unwrap(), field)]);
        assert_eq!(g.unwrap(), JobGrant::default());
    }
}
