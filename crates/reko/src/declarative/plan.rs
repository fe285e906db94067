//! The plan: for every resource of the setup file, create / update / replace / unchanged, with
//! the members that differ. A member the file leaves out is not managed (the server's value
//! stands), and a map is compared key by key for the keys the file names, so an export and
//! the server's defaults read as unchanged.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::observe::{Group, Observed};
use super::spec::{self, SetupFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Schema,
    DatasetGroup,
    Dataset,
    ImportJob,
    Filter,
    EventTracker,
    Solution,
    SolutionVersion,
    Campaign,
    Recommender,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Schema => "schema",
            Kind::DatasetGroup => "dataset group",
            Kind::Dataset => "dataset",
            Kind::ImportJob => "import job",
            Kind::Filter => "filter",
            Kind::EventTracker => "event tracker",
            Kind::Solution => "solution",
            Kind::SolutionVersion => "solution version of",
            Kind::Campaign => "campaign",
            Kind::Recommender => "recommender",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    /// Delete and create: a change Personalize cannot make in place.
    Replace,
    /// In a dataset group of the file but not in the file: deleted with `--prune`.
    Delete,
    Unchanged,
}

/// One member that differs: its path in the resource, the server's value and the file's.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub field: String,
    pub server: Option<Value>,
    pub file: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: Kind,
    pub name: String,
    /// The dataset group it belongs to (none for schemas).
    pub group: Option<String>,
    pub action: Action,
    pub diffs: Vec<FieldDiff>,
    /// Why it is replaced when no member of its own differs (e.g. its solution is replaced).
    pub reason: Option<String>,
}

/// A change Personalize cannot make; the plan cannot be applied while there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub resource: String,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub refusals: Vec<Refusal>,
}

impl Plan {
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    pub fn has_work(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Unchanged)
    }

    /// The replacements, refused unless `--allow-replace`, each naming the resource and the
    /// members that force it.
    pub fn replacements(&self) -> Vec<String> {
        let replaced = self.changes.iter().filter(|c| c.action == Action::Replace);
        replaced
            .map(|c| {
                let why = match (&c.reason, c.diffs.is_empty()) {
                    (Some(reason), _) => reason.clone(),
                    (None, _) => {
                        let fields: Vec<&str> = c.diffs.iter().map(|d| d.field.as_str()).collect();
                        format!("{} cannot be changed in place", fields.join(", "))
                    }
                };
                format!("{} {}: {why}", c.kind, c.name)
            })
            .collect()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            let (mark, word) = match c.action {
                Action::Create => ("+", "create"),
                Action::Update => ("~", "update"),
                Action::Replace => ("-/+", "replace"),
                Action::Delete => ("-", "delete"),
                Action::Unchanged => ("=", "unchanged"),
            };
            let within = c.group.as_ref().map(|g| format!(" (dataset group {g})")).unwrap_or_default();
            writeln!(f, "{mark:>3} {word:<9} {} {}{within}", c.kind, c.name)?;
            for d in &c.diffs {
                let server = d.server.as_ref().map_or("(not set)".to_string(), Value::to_string);
                writeln!(f, "        {}: {server} -> {}", d.field, d.file)?;
            }
            if let Some(reason) = &c.reason {
                writeln!(f, "        ({reason})")?;
            }
        }
        for r in &self.refusals {
            writeln!(f, "  ! refused   {}: {}", r.resource, r.message)?;
        }
        write!(
            f,
            "Plan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged.",
            self.count(Action::Create),
            self.count(Action::Update),
            self.count(Action::Replace),
            self.count(Action::Delete),
            self.count(Action::Unchanged)
        )
    }
}

/// The members of `file` that differ from `server`: a member the file leaves out (null) is not
/// compared; objects are compared member by member; anything else must be equal.
pub fn diff(file: &Value, server: Option<&Value>, prefix: &str, out: &mut Vec<FieldDiff>) {
    match (file, server) {
        (Value::Null, _) => {}
        // Member by member even when the server has no such object, so each difference names
        // the member that decides between an update and a replacement.
        (Value::Object(members), theirs) => {
            let theirs = theirs.and_then(Value::as_object);
            for (key, value) in members {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                diff(value, theirs.and_then(|t| t.get(key)).filter(|v| !v.is_null()), &path, out);
            }
        }
        (mine, theirs) if theirs == Some(mine) => {}
        (mine, theirs) => {
            out.push(FieldDiff { field: prefix.to_string(), server: theirs.cloned(), file: mine.clone() })
        }
    }
}

/// The members compared for a resource: its own, without the children the plan handles apart.
fn members<T: Serialize>(resource: &T, without: &[&str]) -> Value {
    let mut value = serde_json::to_value(resource).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        without.iter().for_each(|k| {
            map.remove(*k);
        });
    }
    value
}

/// Compares one resource and decides its action: Update when every differing member is in
/// `in_place` (a prefix of it), else Replace.
fn compare<T: Serialize>(
    kind: Kind,
    name: &str,
    group: Option<&str>,
    file: &T,
    server: Option<&T>,
    without: &[&str],
    in_place: &[&str],
) -> Change {
    let mut diffs = Vec::new();
    let action = match server {
        None => Action::Create,
        Some(server) => {
            diff(&members(file, without), Some(&members(server, without)), "", &mut diffs);
            let in_place_only =
                diffs.iter().all(|d| in_place.iter().any(|p| d.field == *p || d.field.starts_with(&format!("{p}."))));
            match (diffs.is_empty(), in_place_only) {
                (true, _) => Action::Unchanged,
                (false, true) => Action::Update,
                (false, false) => Action::Replace,
            }
        }
    };
    Change { kind, name: name.to_string(), group: group.map(str::to_string), action, diffs, reason: None }
}

/// The plan that brings `server` to `file`. `file`'s recipes are ARNs and its import locations
/// URLs already (see `super::load`). With `prune`, the resources of the file's dataset groups
/// that the file does not name are deleted.
pub fn plan(file: &SetupFile, server: &Observed, prune: bool) -> Plan {
    let mut plan = Plan::default();
    let empty = Group::default();
    for s in &file.schemas {
        let found = server.schemas.get(&s.name);
        let change = compare(Kind::Schema, &s.name, None, s, found.map(|f| &f.spec), &[], &[]);
        if change.action == Action::Replace {
            let users: Vec<String> = server
                .groups
                .values()
                .flat_map(|g| g.datasets.values())
                .filter(|d| d.spec.schema == s.name)
                .map(|d| d.spec.name.clone())
                .collect();
            if !users.is_empty() {
                plan.refusals.push(Refusal {
                    resource: format!("schema {}", s.name),
                    message: format!(
                        "a schema cannot be changed, and datasets use it ({}): declare the new one under another \
                         name and point the datasets at it (an update of the dataset)",
                        users.join(", ")
                    ),
                });
            }
        }
        plan.changes.push(change);
    }
    for g in &file.dataset_groups {
        let observed = server.groups.get(&g.name);
        let o = observed.unwrap_or(&empty);
        let gname = Some(g.name.as_str());
        let mut change = Change {
            kind: Kind::DatasetGroup,
            name: g.name.clone(),
            group: None,
            action: if observed.is_some() { Action::Unchanged } else { Action::Create },
            diffs: Vec::new(),
            reason: None,
        };
        if observed.is_some() && g.domain.is_some() && g.domain != o.domain {
            change.diffs.push(FieldDiff {
                field: "domain".into(),
                server: o.domain.clone().map(Value::String),
                file: Value::String(g.domain.clone().unwrap_or_default()),
            });
            plan.refusals.push(Refusal {
                resource: format!("dataset group {}", g.name),
                message: "domain cannot be changed; replacing a dataset group deletes all its data and resources, \
                          which apply never does: delete the group yourself or use another name"
                    .into(),
            });
        }
        plan.changes.push(change);

        for d in &g.datasets {
            let found = o.datasets.get(&d.name).map(|f| &f.spec);
            let dataset = compare(Kind::Dataset, &d.name, gname, d, found, &["import"], &["schema"]);
            let replaced = dataset.action == Action::Replace;
            plan.changes.push(dataset);
            if let Some(import) = &d.import {
                let job = o.import_jobs.get(&import.job_name);
                // A replaced dataset is empty again: its import runs again.
                let action = if job.is_some() && !replaced { Action::Unchanged } else { Action::Create };
                if let Some(job) = job.filter(|j| j.status.contains("FAILED")) {
                    plan.refusals.push(Refusal {
                        resource: format!("import job {}", import.job_name),
                        message: format!(
                            "it failed ({}); a job name is used once: give the import a new jobName",
                            job.failure.as_deref().unwrap_or("no reason given")
                        ),
                    });
                }
                plan.changes.push(Change {
                    kind: Kind::ImportJob,
                    name: import.job_name.clone(),
                    group: g.name.clone().into(),
                    action,
                    diffs: Vec::new(),
                    reason: (job.is_some() && replaced).then(|| "its dataset is replaced".into()),
                });
            }
        }
        for f in &g.filters {
            let found = o.filters.get(&f.name).map(|f| &f.spec);
            plan.changes.push(compare(Kind::Filter, &f.name, gname, f, found, &[], &[]));
        }
        for t in &g.event_trackers {
            let found = o.event_trackers.get(&t.name).map(|f| &f.spec);
            plan.changes.push(compare(Kind::EventTracker, &t.name, gname, t, found, &[], &[]));
        }
        let mut replaced_solutions = Vec::new();
        for s in &g.solutions {
            let found = o.solutions.get(&s.name).map(|f| &f.spec);
            let in_place = ["performAutoTraining", "solutionConfig.autoTrainingConfig"];
            let change = compare(Kind::Solution, &s.name, gname, s, found, &[], &in_place);
            let needs_version = match change.action {
                Action::Create | Action::Replace => true,
                _ => !o.active_versions.contains_key(&s.name),
            };
            if change.action == Action::Replace {
                replaced_solutions.push(s.name.clone());
            }
            plan.changes.push(change);
            if needs_version {
                let reason = if o.training_versions.contains_key(&s.name) && found.is_some() {
                    "one is training: apply waits for it"
                } else {
                    "it has no ACTIVE solution version: apply trains one (trainingMode FULL)"
                };
                plan.changes.push(Change {
                    kind: Kind::SolutionVersion,
                    name: s.name.clone(),
                    group: gname.map(str::to_string),
                    action: Action::Create,
                    diffs: Vec::new(),
                    reason: Some(reason.into()),
                });
            }
        }
        for c in &g.campaigns {
            let found = o.campaigns.get(&c.name).map(|f| &f.spec);
            let in_place = ["solution", "minProvisionedTPS", "campaignConfig"];
            let mut change = compare(Kind::Campaign, &c.name, gname, c, found, &[], &in_place);
            // A campaign on a solution that is replaced goes first (a solution in use cannot be
            // deleted), then comes back on the new one.
            let on_replaced = found.is_some_and(|f| replaced_solutions.contains(&f.solution));
            if on_replaced {
                change.action = Action::Replace;
                change.reason = Some(format!("its solution {} is replaced", found.map(|f| &f.solution).unwrap()));
            }
            plan.changes.push(change);
        }
        for r in &g.recommenders {
            let found = o.recommenders.get(&r.name).map(|f| &f.spec);
            plan.changes.push(compare(Kind::Recommender, &r.name, gname, r, found, &[], &["recommenderConfig"]));
        }
        if prune {
            plan.changes.extend(pruned(g, o));
        }
    }
    failed_resources(&mut plan, server);
    plan
}

/// The resources of group `o` that `g` does not name (import jobs and solution versions cannot
/// be deleted; schemas belong to the account, not to a group).
fn pruned(g: &spec::DatasetGroup, o: &Group) -> Vec<Change> {
    let mut out = Vec::new();
    let mut extra = |kind: Kind, found: Vec<&String>, named: Vec<&String>| {
        for name in found.into_iter().filter(|n| !named.contains(n)) {
            out.push(Change {
                kind,
                name: name.clone(),
                group: Some(g.name.clone()),
                action: Action::Delete,
                diffs: Vec::new(),
                reason: Some("not in the file".into()),
            });
        }
    };
    extra(Kind::Dataset, o.datasets.keys().collect(), g.datasets.iter().map(|x| &x.name).collect());
    extra(Kind::Filter, o.filters.keys().collect(), g.filters.iter().map(|x| &x.name).collect());
    extra(Kind::EventTracker, o.event_trackers.keys().collect(), g.event_trackers.iter().map(|x| &x.name).collect());
    extra(Kind::Solution, o.solutions.keys().collect(), g.solutions.iter().map(|x| &x.name).collect());
    extra(Kind::Campaign, o.campaigns.keys().collect(), g.campaigns.iter().map(|x| &x.name).collect());
    extra(Kind::Recommender, o.recommenders.keys().collect(), g.recommenders.iter().map(|x| &x.name).collect());
    out
}

/// A resource the server failed to create cannot be fixed in place: it is replaced (a dataset
/// group is refused: replacing one deletes everything in it).
fn failed_resources(plan: &mut Plan, server: &Observed) {
    for change in &mut plan.changes {
        if !matches!(change.action, Action::Unchanged | Action::Update) {
            continue;
        }
        let Some(status) = server.status(change.kind, change.group.as_deref(), &change.name) else { continue };
        if !status.contains("FAILED") {
            continue;
        }
        if change.kind == Kind::DatasetGroup {
            plan.refusals.push(Refusal {
                resource: format!("dataset group {}", change.name),
                message: format!("it is {status}: delete it yourself (apply never deletes a dataset group)"),
            });
        } else {
            change.action = Action::Replace;
            change.reason = Some(format!("it is {status}"));
        }
    }
}

/// What the plan needs to know of the server beyond the resources' members.
impl Observed {
    /// The status of a resource found on the server (schemas have none; solution versions and
    /// import jobs are looked at apart).
    pub fn status(&self, kind: Kind, group: Option<&str>, name: &str) -> Option<&str> {
        if kind == Kind::DatasetGroup {
            return self.groups.get(name).map(|g| g.status.as_str());
        }
        let g = self.groups.get(group?)?;
        let status = match kind {
            Kind::Dataset => &g.datasets.get(name)?.status,
            Kind::Filter => &g.filters.get(name)?.status,
            Kind::EventTracker => &g.event_trackers.get(name)?.status,
            Kind::Solution => &g.solutions.get(name)?.status,
            Kind::Campaign => &g.campaigns.get(name)?.status,
            Kind::Recommender => &g.recommenders.get(name)?.status,
            Kind::Schema | Kind::DatasetGroup | Kind::ImportJob | Kind::SolutionVersion => return None,
        };
        Some(status)
    }

    /// The resources of `plan` the server is still creating, updating or deleting: apply waits
    /// for them before it plans again.
    pub fn in_progress(&self, plan: &Plan) -> Vec<String> {
        let busy = |s: &str| s.contains("PENDING") || s.contains("IN_PROGRESS");
        let mut out: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| self.status(c.kind, c.group.as_deref(), &c.name).is_some_and(busy))
            .map(|c| format!("{} {}", c.kind, c.name))
            .collect();
        for (name, g) in &self.groups {
            let jobs = g.import_jobs.iter().filter(|(_, j)| busy(&j.status));
            out.extend(jobs.map(|(job, _)| format!("import job {job} (dataset group {name})")));
        }
        out
    }
}

/// The recipe ARNs of `file`, with the path of the member naming each (for the check against
/// ListRecipes).
pub fn recipes(file: &SetupFile) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (g, group) in file.dataset_groups.iter().enumerate() {
        for (i, s) in group.solutions.iter().enumerate() {
            out.push((format!("datasetGroups[{g}].solutions[{i}].recipe"), spec::recipe_arn(&s.recipe)));
        }
        for (i, r) in group.recommenders.iter().enumerate() {
            out.push((format!("datasetGroups[{g}].recommenders[{i}].recipe"), spec::recipe_arn(&r.recipe)));
        }
    }
    out
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
