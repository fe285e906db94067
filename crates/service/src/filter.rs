//! Filters: CreateFilter / DescribeFilter / ListFilters / DeleteFilter, and applying a filter to
//! a request's candidates (docs/compatibility.md, "Filters").
//!
//! CreateFilter parses the expression and checks it against the dataset group's schemas before
//! anything is stored, so a bad expression is an InvalidInputException naming the position or
//! the field. At request time a filter is bound to the request's `filterValues` and evaluated
//! over the group's Items (or Users) attribute table, the requesting user's attributes and their
//! latest interactions, real-time ones included.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use reko_api::{
    ApiError, CreateFilterRequest, CreateFilterResponse, DeleteFilterRequest, DescribeFilterRequest,
    DescribeFilterResponse, Filter, ListFiltersRequest, ListFiltersResponse, ResourceStatus,
};
use reko_dataset::{parse_schema, DatasetType, Schema};
use reko_filter::{AttributeTable, DatasetSchemas, Decision, EvalContext, FilterError, FilterExpression, Interaction};
use reko_storage::TaskKind;

use crate::access::AccessScope;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, paginate, to_document, ResourceKind};
use crate::Reko;

/// Filters per dataset group ("Amazon Personalize endpoints and quotas",
/// <https://docs.aws.amazon.com/general/latest/gr/personalize.html>; adjustable in Personalize).
pub(crate) const MAX_FILTERS_PER_DATASET_GROUP: usize = 10;

/// A parsed filter, cached by ARN.
pub(crate) struct CompiledFilter {
    pub dataset_group_arn: String,
    pub expression: FilterExpression,
    decisions: Decisions,
}

/// A filter's decisions that depend only on its values and the Items table (not on the user,
/// the request's item or the time), kept per values while the table's revision lasts: one
/// reads a column of the whole catalogue, and requests repeat the same few values.
#[derive(Default)]
struct Decisions(std::sync::Mutex<HashMap<FilterValues, (u64, Arc<Decision>)>>);

/// A request's `filterValues`.
type FilterValues = BTreeMap<String, String>;

impl Decisions {
    /// Sets of values kept at most (beyond, all are dropped and kept anew).
    const MAX: usize = 256;

    fn get(&self, values: &FilterValues, revision: u64) -> Option<Arc<Decision>> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(values).filter(|(r, _)| *r == revision).map(|(_, d)| d.clone())
    }

    fn put(&self, values: &FilterValues, revision: u64, decision: Arc<Decision>) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= Self::MAX && !kept.contains_key(values) {
            kept.clear();
        }
        kept.insert(values.clone(), (revision, decision));
    }
}

/// An attribute table read by requests and updated by PutItems / PutUsers.
type SharedTable = Arc<RwLock<AttributeTable>>;

/// Parsed filters and the attribute tables filters read, per dataset group.
#[derive(Default)]
pub(crate) struct FilterState {
    compiled: RwLock<HashMap<String, Arc<CompiledFilter>>>,
    tables: RwLock<HashMap<(String, DatasetType), SharedTable>>,
    /// Items' column values as text, for `metadataColumns`, per dataset group.
    metadata: RwLock<HashMap<String, Arc<RwLock<ItemMetadata>>>>,
    /// Per dataset, the newest put chunk other processes' records were read up to
    /// (`crate::replicas`); none: from the first.
    pub(crate) put_read: std::sync::Mutex<HashMap<String, i64>>,
}

/// The newest record of every item, each column rendered as text (`metadataColumns`).
pub(crate) struct ItemMetadata {
    pub columns: Vec<String>,
    rows: HashMap<String, Vec<Option<String>>>,
}

impl ItemMetadata {
    fn upsert(&mut self, batch: &reko_dataset::RecordBatch) {
        let Some(ids) = batch.column("ITEM_ID") else { return };
        let cols: Vec<Option<&reko_dataset::Column>> = self.columns.iter().map(|c| batch.column(c)).collect();
        for row in 0..batch.len() {
            if let Some(id) = ids.str_value(row) {
                let values = cols.iter().map(|c| c.and_then(|c| c.display_value(row))).collect();
                self.rows.insert(id.to_string(), values);
            }
        }
    }

    /// `column → value` of an item for the requested columns (absent values left out).
    pub fn values(&self, item_id: &str, columns: &[(usize, &str)]) -> BTreeMap<String, String> {
        let Some(row) = self.rows.get(item_id) else { return BTreeMap::new() };
        columns.iter().filter_map(|&(c, name)| Some((name.to_string(), row.get(c)?.clone()?))).collect()
    }
}

impl FilterState {
    /// Drops a group's tables (an import replaced records, or a dataset was deleted); they are
    /// rebuilt from storage on next use.
    pub(crate) fn forget_tables(&self, dataset_group_arn: &str) {
        self.tables.write().unwrap_or_else(|p| p.into_inner()).retain(|(g, _), _| g != dataset_group_arn);
        self.metadata.write().unwrap_or_else(|p| p.into_inner()).remove(dataset_group_arn);
    }

    pub(crate) fn forget_filter(&self, filter_arn: &str) {
        self.compiled.write().unwrap_or_else(|p| p.into_inner()).remove(filter_arn);
    }

    /// Forgets every parsed filter and table (changes may have been missed: all is read again).
    pub(crate) fn forget_all(&self) {
        self.compiled.write().unwrap_or_else(|p| p.into_inner()).clear();
        self.tables.write().unwrap_or_else(|p| p.into_inner()).clear();
        self.metadata.write().unwrap_or_else(|p| p.into_inner()).clear();
        self.put_read.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Whether a group's table of `dataset_type` (or, for Items, its item metadata) is loaded:
    /// records put elsewhere must then be applied to it.
    pub(crate) fn holds(&self, dataset_group_arn: &str, dataset_type: DatasetType) -> bool {
        let key = (dataset_group_arn.to_string(), dataset_type);
        self.tables.read().unwrap_or_else(|p| p.into_inner()).contains_key(&key)
            || (dataset_type == DatasetType::Items
                && self.metadata.read().unwrap_or_else(|p| p.into_inner()).contains_key(dataset_group_arn))
    }

    /// Applies put records to a loaded table (an unloaded one reads them from storage later).
    pub(crate) fn upsert(&self, dataset_group_arn: &str, dataset_type: DatasetType, batch: &reko_dataset::RecordBatch) {
        if dataset_type == DatasetType::Items {
            let metadata = self.metadata.read().unwrap_or_else(|p| p.into_inner()).get(dataset_group_arn).cloned();
            if let Some(m) = metadata {
                m.write().unwrap_or_else(|p| p.into_inner()).upsert(batch);
            }
        }
        let key = (dataset_group_arn.to_string(), dataset_type);
        let table = self.tables.read().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
        if let Some(table) = table {
            if let Err(e) = table.write().unwrap_or_else(|p| p.into_inner()).upsert_batch(batch) {
                // The records were validated against the schema on the way in; a table that
                // cannot take them is rebuilt from storage instead.
                tracing::warn!(error = %e, "filter table update failed; it will be rebuilt");
                self.forget_tables(dataset_group_arn);
            }
        }
    }
}

/// A filter bound to one request, ready to judge candidate item ids.
pub(crate) struct ItemGate {
    table: Arc<RwLock<AttributeTable>>,
    decision: Arc<Decision>,
}

impl ItemGate {
    /// Runs `f` with the predicate "is this item id allowed?".
    pub(crate) fn with<T>(&self, f: impl FnOnce(&dyn Fn(&str) -> bool) -> T) -> T {
        let table = self.table.read().unwrap_or_else(|p| p.into_inner());
        let allowed = |id: &str| self.decision.allows(&table, id);
        f(&allowed)
    }

    /// [`Self::with`], also giving the predicate by the model's item index when the model has a
    /// catalogue: a bit test per candidate instead of a hash lookup of its id.
    pub(crate) fn with_index<T>(
        &self,
        rows: &ModelRows,
        catalogue: Option<&[Arc<str>]>,
        f: impl FnOnce(&dyn Fn(&str) -> bool, Option<&dyn Fn(u32) -> bool>, Option<&[u32]>) -> T,
    ) -> T {
        let table = self.table.read().unwrap_or_else(|p| p.into_inner());
        let by_id = |id: &str| self.decision.allows(&table, id);
        let Some(catalogue) = catalogue else { return f(&by_id, None, None) };
        let maps = rows.rows(&self.table, &table, catalogue);
        let by_index = |i: u32| match maps.of_item.get(i as usize) {
            Some(&r) if r != NO_ROW => self.decision.allows_row(r),
            _ => catalogue.get(i as usize).is_some_and(|id| self.decision.allows_absent_id(id)),
        };
        // The model's items among the allowed rows, when nothing else passes and they are few.
        let candidates: Option<Vec<u32>> = match self.decision.only_rows() {
            Some((rows, count)) if count <= max_candidates(catalogue.len()) => Some(
                rows.iter()
                    .filter_map(|r| maps.item_of_row.get(r as usize).copied())
                    .filter(|&i| i != NO_ROW)
                    .collect(),
            ),
            _ => None,
        };
        f(&by_id, Some(&by_index), candidates.as_deref())
    }
}

const NO_ROW: u32 = u32::MAX;

type CachedRows = (usize, usize, Arc<RowMaps>);

/// A model's items and the rows of the Items attribute table, both ways.
pub(crate) struct RowMaps {
    /// The row of each model item (`NO_ROW`: not in the table).
    of_item: Vec<u32>,
    /// The model item of each row (`NO_ROW`: not in the model).
    item_of_row: Vec<u32>,
}

/// A model's items mapped to their rows in the Items attribute table and back, cached per table
/// and rebuilt when the table grows or is replaced.
#[derive(Default)]
pub(crate) struct ModelRows {
    /// (table address, table length, maps).
    cached: std::sync::Mutex<Option<CachedRows>>,
}

impl ModelRows {
    fn rows(&self, shared: &SharedTable, table: &AttributeTable, catalogue: &[Arc<str>]) -> Arc<RowMaps> {
        let key = (Arc::as_ptr(shared) as usize, table.len());
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((ptr, len, maps)) = cached.as_ref() {
            if (*ptr, *len) == key {
                return maps.clone();
            }
        }
        let of_item: Vec<u32> = catalogue.iter().map(|id| table.row_of(id).unwrap_or(NO_ROW)).collect();
        let mut item_of_row = vec![NO_ROW; table.len()];
        for (i, &r) in of_item.iter().enumerate().filter(|(_, &r)| r != NO_ROW) {
            item_of_row[r as usize] = i as u32;
        }
        let maps = Arc::new(RowMaps { of_item, item_of_row });
        *cached = Some((key.0, key.1, maps.clone()));
        maps
    }
}

/// Most items a filter may let through for a request to name them to the model as candidates
/// (scored directly instead of searched for): `16·√n` of a catalogue of `n`, where scoring them
/// costs less than walking the clusters of items the filter refuses.
fn max_candidates(catalogue: usize) -> usize {
    16 * (catalogue as f64).sqrt() as usize
}

/// The request side of a filter: who is asking about what.
pub(crate) struct FilterRequest<'a> {
    pub filter_arn: &'a str,
    pub values: Option<&'a BTreeMap<String, String>>,
    pub dataset_group_arn: &'a str,
    /// The user the request is for (a stitched session already resolved).
    pub user_id: Option<&'a str>,
    /// The request's item (related-items recipes), for `CurrentItem`.
    pub item_id: Option<&'a str>,
}

pub(crate) fn filter_error(e: FilterError) -> ServiceError {
    ApiError::InvalidInput(e.to_string()).into()
}

impl Reko {
    pub fn create_filter(&self, req: CreateFilterRequest) -> ServiceResult<CreateFilterResponse> {
        self.active_dataset_group(&req.dataset_group_arn)?;
        let existing = self.load_all::<Filter>(ResourceKind::Filter, Some(&req.dataset_group_arn))?;
        if existing.len() >= MAX_FILTERS_PER_DATASET_GROUP {
            return Err(ApiError::LimitExceeded(format!(
                "Dataset group {} already has {} filters, the most allowed; delete one first.",
                req.dataset_group_arn,
                existing.len()
            ))
            .into());
        }
        let expression = reko_filter::parse(&req.filter_expression)
            .map_err(|e| ApiError::InvalidInput(format!("Could not create filter: {e}")))?;
        let schemas = self.group_schemas(&req.dataset_group_arn)?;
        expression
            .validate(&DatasetSchemas {
                interactions: schemas.get(&DatasetType::Interactions),
                items: schemas.get(&DatasetType::Items),
                users: schemas.get(&DatasetType::Users),
                actions: schemas.get(&DatasetType::Actions),
                action_interactions: schemas.get(&DatasetType::ActionInteractions),
            })
            .map_err(|e| ApiError::InvalidInput(format!("Could not create filter: {e}")))?;
        let arn = self.arns().child(&req.dataset_group_arn, ResourceKind::Filter, &req.name);
        let created = now();
        let filter = Filter {
            name: req.name.clone(),
            filter_arn: arn.clone(),
            creation_date_time: created,
            last_updated_date_time: created,
            dataset_group_arn: req.dataset_group_arn.clone(),
            failure_reason: None,
            filter_expression: req.filter_expression.clone(),
            status: ResourceStatus::CreatePending.as_str().into(),
        };
        self.create_resource(
            ResourceKind::Filter,
            &arn,
            &req.name,
            Some(&req.dataset_group_arn),
            Some(&req.dataset_group_arn),
            to_document(&filter, &serde_json::Value::Null)?,
            TaskKind::Activate,
            &req.tags.unwrap_or_default(),
        )?;
        Ok(CreateFilterResponse { filter_arn: arn })
    }

    pub fn describe_filter(&self, req: DescribeFilterRequest) -> ServiceResult<DescribeFilterResponse> {
        Ok(DescribeFilterResponse { filter: self.load::<Filter>(ResourceKind::Filter, &req.filter_arn)?.wire })
    }

    pub fn list_filters(&self, req: ListFiltersRequest, scope: &AccessScope) -> ServiceResult<ListFiltersResponse> {
        let all = self.load_visible::<Filter>(ResourceKind::Filter, req.dataset_group_arn.as_deref(), scope)?;
        let (filters, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListFiltersResponse { filters, next_token })
    }

    pub fn delete_filter(&self, req: DeleteFilterRequest) -> ServiceResult<()> {
        let stored = self.load::<Filter>(ResourceKind::Filter, &req.filter_arn)?;
        self.inner.filters.forget_filter(&req.filter_arn);
        self.start_deletion(&stored)
    }

    /// The parsed schemas of a group's datasets.
    fn group_schemas(&self, dataset_group_arn: &str) -> ServiceResult<HashMap<DatasetType, Schema>> {
        let mut out = HashMap::new();
        for t in DatasetType::ALL {
            if let Some(d) = self.dataset_of_type(dataset_group_arn, t)? {
                out.insert(t, self.parsed_schema(&d.wire.schema_arn)?);
            }
        }
        Ok(out)
    }

    /// An ACTIVE filter of the request's dataset group.
    pub(crate) fn compiled_filter(
        &self,
        filter_arn: &str,
        dataset_group_arn: &str,
    ) -> ServiceResult<Arc<CompiledFilter>> {
        let cached = self.inner.filters.compiled.read().unwrap_or_else(|p| p.into_inner()).get(filter_arn).cloned();
        let compiled = match cached {
            Some(c) => c,
            None => {
                let filter = self.load::<Filter>(ResourceKind::Filter, filter_arn)?.wire;
                if filter.status != ResourceStatus::Active.as_str() {
                    return Err(ApiError::InvalidInput(format!(
                        "Filter {filter_arn} is {}; it can be used once ACTIVE.",
                        filter.status
                    ))
                    .into());
                }
                let expression = reko_filter::parse(&filter.filter_expression)
                    .map_err(|e| ServiceError::Internal(format!("stored filter {filter_arn} no longer parses: {e}")))?;
                let c = Arc::new(CompiledFilter {
                    dataset_group_arn: filter.dataset_group_arn,
                    expression,
                    decisions: Decisions::default(),
                });
                self.inner
                    .filters
                    .compiled
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(filter_arn.to_string(), c.clone());
                c
            }
        };
        if compiled.dataset_group_arn != dataset_group_arn {
            return Err(ApiError::InvalidInput(format!(
                "Filter {filter_arn} belongs to dataset group {}, not to {dataset_group_arn} of the campaign.",
                compiled.dataset_group_arn
            ))
            .into());
        }
        Ok(compiled)
    }

    /// The attribute table of a group's Items, Users or Actions dataset (an empty one when the
    /// group has no such dataset), loaded on first use.
    pub(crate) fn attribute_table(
        &self,
        dataset_group_arn: &str,
        dataset_type: DatasetType,
    ) -> ServiceResult<Arc<RwLock<AttributeTable>>> {
        let key = (dataset_group_arn.to_string(), dataset_type);
        if let Some(t) = self.inner.filters.tables.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(t.clone());
        }
        // Loaded under the write lock: a PutItems/PutUsers committed while this reads storage
        // waits in `FilterState::upsert` and is applied to the new table, never lost.
        let mut tables = self.inner.filters.tables.write().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = tables.get(&key) {
            return Ok(t.clone());
        }
        let table = match self.dataset_of_type(dataset_group_arn, dataset_type)? {
            Some(d) => {
                let schema = self.parsed_schema(&d.wire.schema_arn)?;
                let batches = self.dataset_batches(&d.wire.dataset_arn)?;
                AttributeTable::from_batches(&schema, batches.iter()).map_err(|e| {
                    ServiceError::Internal(format!("records of {} do not fit its schema: {e}", d.wire.dataset_arn))
                })?
            }
            None => AttributeTable::new(&id_only_schema(dataset_type)?),
        };
        let table = Arc::new(RwLock::new(table));
        tables.insert(key, table.clone());
        Ok(table)
    }

    /// Binds and evaluates a request's filter over item candidates; `None` when it filters
    /// nothing (an EXCLUDE whose parameters were not given).
    pub(crate) fn item_gate(&self, r: &FilterRequest<'_>) -> ServiceResult<Option<ItemGate>> {
        let compiled = self.compiled_filter(r.filter_arn, r.dataset_group_arn)?;
        let empty = BTreeMap::new();
        let bound = compiled.expression.bind(r.values.unwrap_or(&empty)).map_err(filter_error)?;
        if bound.is_noop() {
            return Ok(None);
        }
        let needs_user = bound.uses_interactions() || bound.uses_current_user();
        if needs_user && r.user_id.is_none() {
            return Err(ApiError::InvalidInput(format!(
                "Filter {} uses the user's interactions or attributes; the request needs a userId.",
                r.filter_arn
            ))
            .into());
        }
        let history = match (bound.uses_interactions(), r.user_id) {
            (true, Some(user)) => self.inner.live.filter_history(self, r.dataset_group_arn, user)?,
            _ => Vec::new(),
        };
        let interactions: Vec<Interaction<'_>> = history
            .iter()
            .map(|e| Interaction { item_id: &e.item_id, event_type: &e.event_type, timestamp: e.timestamp })
            .collect();
        let users = if bound.uses_current_user() {
            Some(self.attribute_table(r.dataset_group_arn, DatasetType::Users)?)
        } else {
            None
        };
        let users_guard = users.as_ref().map(|u| u.read().unwrap_or_else(|p| p.into_inner()));
        let table = self.attribute_table(r.dataset_group_arn, DatasetType::Items)?;
        let values = r.values.unwrap_or(&empty);
        let kept = !bound.depends_on_request();
        let decision = {
            let items = table.read().unwrap_or_else(|p| p.into_inner());
            if let Some(decision) = compiled.decisions.get(values, items.revision()).filter(|_| kept) {
                drop(items);
                return Ok(Some(ItemGate { table, decision }));
            }
            let mut ctx = EvalContext::new(now() as i64).with_interactions(&interactions);
            if let Some(users) = users_guard.as_deref() {
                ctx = ctx.with_user(users, r.user_id.and_then(|u| users.row_of(u)));
            }
            ctx = ctx.with_current_item(r.item_id.and_then(|i| items.row_of(i)));
            let decision = Arc::new(bound.item_rows(&items, &ctx).map_err(filter_error)?);
            if kept {
                compiled.decisions.put(values, items.revision(), decision.clone());
            }
            decision
        };
        Ok(Some(ItemGate { table, decision }))
    }
}

/// A UserID filter bound to one batch segment line: judges candidate users.
pub(crate) struct UserGate {
    table: SharedTable,
    decision: Decision,
}

impl UserGate {
    /// Runs `f` with the predicate "is this user id allowed?".
    pub(crate) fn with<T>(&self, f: impl FnOnce(&dyn Fn(&str) -> bool) -> T) -> T {
        let table = self.table.read().unwrap_or_else(|p| p.into_inner());
        let allowed = |id: &str| self.decision.allows(&table, id);
        f(&allowed)
    }
}

/// Every stored interaction of a group as (user, event type, timestamp), for UserID filters on
/// Interactions.
pub(crate) type GroupEvents = Vec<(String, String, i64)>;

impl Reko {
    /// Whether a filter (ACTIVE, of the group) selects users, and whether it reads interactions.
    pub(crate) fn user_filter_needs(&self, filter_arn: &str, dataset_group_arn: &str) -> ServiceResult<(bool, bool)> {
        let compiled = self.compiled_filter(filter_arn, dataset_group_arn)?;
        let e = &compiled.expression;
        let users = e.target() == reko_filter::Target::UserId;
        let interactions = e.expressions.iter().any(|x| x.dataset().is_some_and(|d| d.is_interactions()));
        Ok((users, interactions))
    }

    /// The interactions of a group (bulk and put) for UserID filters.
    pub(crate) fn group_events(&self, dataset_group_arn: &str) -> ServiceResult<GroupEvents> {
        let Some(d) = self.dataset_of_type(dataset_group_arn, DatasetType::Interactions)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for batch in self.dataset_batches(&d.wire.dataset_arn)? {
            for row in 0..batch.len() {
                if let Some(user) = batch.str_value("USER_ID", row) {
                    let event_type = batch.str_value("EVENT_TYPE", row).unwrap_or_default();
                    let ts = batch.i64_value("TIMESTAMP", row).unwrap_or_default();
                    out.push((user.to_string(), event_type.to_string(), ts));
                }
            }
        }
        Ok(out)
    }

    /// Binds and evaluates a UserID filter for one segment (batch segment jobs); `None` when it
    /// filters nothing. `interactions` are the group's interactions ([`Self::group_events`]) when
    /// the filter reads them, built once per job.
    pub(crate) fn user_gate(
        &self,
        filter_arn: &str,
        dataset_group_arn: &str,
        values: Option<&BTreeMap<String, String>>,
        interactions: &[reko_filter::UserInteraction<'_>],
    ) -> ServiceResult<Option<UserGate>> {
        let compiled = self.compiled_filter(filter_arn, dataset_group_arn)?;
        let empty = BTreeMap::new();
        let bound = compiled.expression.bind(values.unwrap_or(&empty)).map_err(filter_error)?;
        if bound.is_noop() {
            return Ok(None);
        }
        let table = self.attribute_table(dataset_group_arn, DatasetType::Users)?;
        let decision = {
            let users = table.read().unwrap_or_else(|p| p.into_inner());
            bound.user_rows(&users, &EvalContext::new(now() as i64), interactions).map_err(filter_error)?
        };
        Ok(Some(UserGate { table, decision }))
    }

    /// The items of a group matching an item-attribute query (Item-Attribute-Affinity).
    pub(crate) fn items_matching(
        &self,
        dataset_group_arn: &str,
        query: &str,
    ) -> Result<Vec<String>, reko_filter::FilterError> {
        let internal = |e: ServiceError| reko_filter::FilterError::Data(e.to_string());
        let items =
            self.dataset_of_type(dataset_group_arn, DatasetType::Items).map_err(internal)?.ok_or_else(|| {
                reko_filter::FilterError::Validation("The dataset group has no Items dataset to query.".into())
            })?;
        let schema = self.parsed_schema(&items.wire.schema_arn).map_err(internal)?;
        let query = reko_filter::parse_item_attributes(query)?.resolve(&schema)?;
        let table = self.attribute_table(dataset_group_arn, DatasetType::Items).map_err(internal)?;
        let table = table.read().unwrap_or_else(|p| p.into_inner());
        Ok(query.matching_rows(&table).into_iter().filter_map(|r| table.id_of(r).map(str::to_string)).collect())
    }
}

impl Reko {
    /// The group's item metadata for `metadataColumns`, loaded on first use; `None` when the
    /// group has no Items dataset.
    pub(crate) fn item_metadata(&self, dataset_group_arn: &str) -> ServiceResult<Option<Arc<RwLock<ItemMetadata>>>> {
        if let Some(m) = self.inner.filters.metadata.read().unwrap_or_else(|p| p.into_inner()).get(dataset_group_arn) {
            return Ok(Some(m.clone()));
        }
        // Loaded under the write lock, as the attribute tables are (no PutItems lost).
        let mut map = self.inner.filters.metadata.write().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = map.get(dataset_group_arn) {
            return Ok(Some(m.clone()));
        }
        let Some(d) = self.dataset_of_type(dataset_group_arn, DatasetType::Items)? else { return Ok(None) };
        let schema = self.parsed_schema(&d.wire.schema_arn)?;
        let mut m =
            ItemMetadata { columns: schema.fields.iter().map(|f| f.name.clone()).collect(), rows: HashMap::new() };
        for batch in self.dataset_batches(&d.wire.dataset_arn)? {
            m.upsert(&batch);
        }
        let m = Arc::new(RwLock::new(m));
        map.insert(dataset_group_arn.to_string(), m.clone());
        Ok(Some(m))
    }
}

/// A schema with only the id field, for a filter table of a dataset the group does not have.
fn id_only_schema(dataset_type: DatasetType) -> ServiceResult<Schema> {
    let (name, id) = match dataset_type {
        DatasetType::Users => ("Users", "USER_ID"),
        DatasetType::Actions => ("Actions", "ACTION_ID"),
        _ => ("Items", "ITEM_ID"),
    };
    parse_schema(&format!(
        r#"{{"type":"record","name":"{name}","fields":[{{"name":"{id}","type":"string"}}],"version":"1.0"}}"#
    ))
    .map_err(|e| ServiceError::Internal(format!("built-in schema: {e}")))
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
