//! Applying a bound filter to a table of candidates (docs/compatibility.md, "Filters").
//!
//! Attribute conditions become row bitsets: `IN` on a string field unions
//! the posting lists of the wanted values, numeric comparisons scan one
//! `f64` column. Interaction conditions are tested per event of the current
//! user and mark the events' ids. Expressions combine as Personalize documents: the
//! union of the INCLUDE matches (everything when there is no INCLUDE) minus
//! the union of the EXCLUDE matches.

use rustc_hash::FxHashSet;

use crate::ast::{Action, Op, Target};
use crate::bind::{BoundCond, BoundExpr, BoundFilter, BoundRhs};
use crate::error::FilterError;
use crate::rowset::RowSet;
use crate::table::{AttributeTable, ColRef};

/// One event of the requesting user: an item interaction for ItemID
/// filters, an action interaction (with the action's id in `item_id`) for
/// ActionID filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interaction<'a> {
    pub item_id: &'a str,
    pub event_type: &'a str,
    /// Epoch seconds.
    pub timestamp: i64,
}

/// One event of a candidate user, for UserID filters (user segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserInteraction<'a> {
    pub user_id: &'a str,
    pub event_type: &'a str,
    /// Epoch seconds.
    pub timestamp: i64,
}

trait Event {
    fn id(&self) -> &str;
    fn event_type(&self) -> &str;
    fn timestamp(&self) -> i64;
}

impl Event for Interaction<'_> {
    fn id(&self) -> &str {
        self.item_id
    }
    fn event_type(&self) -> &str {
        self.event_type
    }
    fn timestamp(&self) -> i64 {
        self.timestamp
    }
}

impl Event for UserInteraction<'_> {
    fn id(&self) -> &str {
        self.user_id
    }
    fn event_type(&self) -> &str {
        self.event_type
    }
    fn timestamp(&self) -> i64 {
        self.timestamp
    }
}

/// What one request knows besides the candidates.
#[derive(Debug, Clone, Copy)]
pub struct EvalContext<'a> {
    /// Epoch seconds, for `NOW()`.
    pub now: i64,
    /// The Users table, for `IF CurrentUser...`.
    pub users: Option<&'a AttributeTable>,
    /// The requesting user's row in `users` (`None`: unknown user, so every
    /// `IF` clause is false).
    pub current_user: Option<u32>,
    /// The request's item row in the candidate table, for `CurrentItem.X`
    /// (`None`: conditions on it match nothing).
    pub current_item: Option<u32>,
    /// The requesting user's recent events (the caller picks how many).
    pub interactions: &'a [Interaction<'a>],
}

impl<'a> EvalContext<'a> {
    /// A context with only the clock set.
    pub fn new(now: i64) -> Self {
        EvalContext { now, users: None, current_user: None, current_item: None, interactions: &[] }
    }

    /// Sets the Users table and the requesting user's row in it.
    pub fn with_user(mut self, users: &'a AttributeTable, row: Option<u32>) -> Self {
        self.users = Some(users);
        self.current_user = row;
        self
    }

    /// Sets the request's item row.
    pub fn with_current_item(mut self, row: Option<u32>) -> Self {
        self.current_item = row;
        self
    }

    /// Sets the requesting user's events.
    pub fn with_interactions(mut self, interactions: &'a [Interaction<'a>]) -> Self {
        self.interactions = interactions;
        self
    }
}

/// The outcome of a filter for one request: which candidates it allows.
#[derive(Debug, Clone)]
pub struct Decision {
    /// `false`: no expression applied, everything is allowed.
    restricted: bool,
    /// Some INCLUDE expression applied: unmatched candidates are dropped.
    include_mode: bool,
    /// Allowed rows of the table evaluated against.
    rows: RowSet,
    /// Ids outside the table matched by INCLUDE / EXCLUDE interaction conditions.
    include_ids: FxHashSet<Box<str>>,
    exclude_ids: FxHashSet<Box<str>>,
    /// How many of `rows` are allowed (counted once: a kept decision serves many requests).
    allowed: usize,
}

impl Decision {
    /// Allows everything.
    pub fn unrestricted() -> Self {
        Decision {
            restricted: false,
            include_mode: false,
            rows: RowSet::empty(0),
            include_ids: FxHashSet::default(),
            exclude_ids: FxHashSet::default(),
            allowed: 0,
        }
    }

    /// No expression applied: the caller can skip filtering.
    pub fn is_unrestricted(&self) -> bool {
        !self.restricted
    }

    /// Whether table row `row` is allowed. Rows added to the table after
    /// evaluation count as ids without matches; use [`Decision::allows`]
    /// when the id is at hand.
    #[inline]
    pub fn allows_row(&self, row: u32) -> bool {
        if !self.restricted {
            return true;
        }
        if (row as usize) < self.rows.len() {
            self.rows.contains(row)
        } else {
            !self.include_mode
        }
    }

    /// Whether an id that is not in the table is allowed: it matches no
    /// attribute condition, only interaction conditions.
    pub fn allows_absent_id(&self, id: &str) -> bool {
        !self.restricted || ((!self.include_mode || self.include_ids.contains(id)) && !self.exclude_ids.contains(id))
    }

    /// Whether `id` is allowed, wherever it lives (`table` must be the table
    /// the decision was computed on).
    pub fn allows(&self, table: &AttributeTable, id: &str) -> bool {
        match table.row_of(id) {
            Some(r) if (r as usize) < self.rows.len() => self.allows_row(r),
            _ => self.allows_absent_id(id),
        }
    }

    /// The allowed rows and how many they are, when nothing outside them is allowed (an
    /// INCLUDE of table rows only): then they are every item that can pass.
    pub fn only_rows(&self) -> Option<(&RowSet, usize)> {
        (self.restricted && self.include_mode && self.include_ids.is_empty()).then_some((&self.rows, self.allowed))
    }

    /// The allowed rows (`None` when unrestricted).
    pub fn allowed_rows(&self) -> Option<&RowSet> {
        self.restricted.then_some(&self.rows)
    }
}

fn eq_ci(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// `v op x`; membership operators mean equality here.
#[inline]
fn cmp(v: f64, op: Op, x: f64) -> bool {
    match op {
        Op::Lt => v < x,
        Op::Le => v <= x,
        Op::Gt => v > x,
        Op::Ge => v >= x,
        Op::Eq | Op::In | Op::NotIn => v == x,
    }
}

fn fill_cmp(out: &mut RowSet, vals: &[f64], op: Op, x: f64) {
    // One closure per operator so each loop compiles to a branch-free scan.
    match op {
        Op::Lt => out.fill_from(vals, |v| v < x),
        Op::Le => out.fill_from(vals, |v| v <= x),
        Op::Gt => out.fill_from(vals, |v| v > x),
        Op::Ge => out.fill_from(vals, |v| v >= x),
        Op::Eq | Op::In | Op::NotIn => out.fill_from(vals, |v| v == x),
    }
}

fn now_plus(now: i64, off: i64) -> f64 {
    now.saturating_add(off) as f64
}

fn cond_rows(c: &BoundCond, table: &AttributeTable, ctx: &EvalContext<'_>) -> RowSet {
    let n = table.len();
    let mut out = RowSet::empty(n);
    let col = table.column(&c.field);
    match &c.rhs {
        BoundRhs::Set(vs) => match col {
            ColRef::Str(s) => {
                for v in &vs.strs {
                    s.rows_with(v).iter().for_each(|&r| out.insert(r));
                }
            }
            ColRef::Id => vs.strs.iter().filter_map(|v| table.row_of(v)).for_each(|r| out.insert(r)),
            ColRef::Num(vals) => match vs.nums.as_slice() {
                [] => {}
                &[x] => out.fill_from(vals, |v| v == x),
                xs => out.fill_from(vals, |v| xs.contains(&v)),
            },
            ColRef::Missing => {}
        },
        BoundRhs::Num(x) => {
            if let ColRef::Num(vals) = col {
                fill_cmp(&mut out, vals, c.op, *x);
            }
        }
        BoundRhs::Now(off) => {
            if let ColRef::Num(vals) = col {
                fill_cmp(&mut out, vals, c.op, now_plus(ctx.now, *off));
            }
        }
        BoundRhs::CurrentItem(f) => {
            if let Some(cur) = ctx.current_item.filter(|&r| (r as usize) < n) {
                match col {
                    ColRef::Num(vals) => {
                        if let Some(x) = table.num_value(cur, f) {
                            fill_cmp(&mut out, vals, c.op, x);
                        }
                    }
                    ColRef::Str(s) => {
                        for v in table.str_values(cur, f) {
                            s.rows_with(v).iter().for_each(|&r| out.insert(r));
                        }
                    }
                    ColRef::Id => {
                        table.str_values(cur, f).into_iter().filter_map(|v| table.row_of(v)).for_each(|r| out.insert(r))
                    }
                    ColRef::Missing => {}
                }
            }
        }
    }
    if c.op == Op::NotIn {
        out.invert();
    }
    out
}

fn attr_rows(e: &BoundExpr, table: &AttributeTable, ctx: &EvalContext<'_>) -> RowSet {
    let mut out: Option<RowSet> = None;
    for g in &e.groups {
        let mut acc: Option<RowSet> = None;
        for c in g {
            if acc.as_ref().is_some_and(RowSet::none) {
                break;
            }
            let s = cond_rows(c, table, ctx);
            match &mut acc {
                Some(a) => a.intersect_with(&s),
                None => acc = Some(s),
            }
        }
        let Some(acc) = acc else { continue };
        match &mut out {
            Some(o) => o.union_with(&acc),
            None => out = Some(acc),
        }
    }
    out.unwrap_or_else(|| RowSet::empty(table.len()))
}

fn event_cond<E: Event>(c: &BoundCond, ev: &E, now: i64) -> bool {
    if c.event_type {
        let m = match &c.rhs {
            BoundRhs::Set(vs) => vs.any || vs.strs.iter().any(|s| eq_ci(s, ev.event_type())),
            _ => false,
        };
        return if c.op == Op::NotIn { !m } else { m };
    }
    let ts = ev.timestamp() as f64;
    match &c.rhs {
        BoundRhs::Num(x) => cmp(ts, c.op, *x),
        BoundRhs::Now(off) => cmp(ts, c.op, now_plus(now, *off)),
        BoundRhs::Set(vs) => vs.nums.contains(&ts),
        BoundRhs::CurrentItem(_) => false,
    }
}

/// Rows (and ids outside the table) of the events that satisfy the chain.
fn event_rows<E: Event>(e: &BoundExpr, table: &AttributeTable, now: i64, events: &[E]) -> (RowSet, Vec<Box<str>>) {
    let mut rows = RowSet::empty(table.len());
    let mut absent = Vec::new();
    for ev in events {
        if e.groups.iter().any(|g| g.iter().all(|c| event_cond(c, ev, now))) {
            match table.row_of(ev.id()) {
                Some(r) => rows.insert(r),
                None => absent.push(ev.id().into()),
            }
        }
    }
    (rows, absent)
}

/// Tests one condition against one row (the `IF` clause).
fn row_matches(table: &AttributeTable, row: u32, c: &BoundCond, now: i64) -> bool {
    let i = row as usize;
    let m = match (&c.rhs, table.column(&c.field)) {
        (BoundRhs::Set(vs), ColRef::Str(s)) => s.values_of(row).any(|v| vs.strs.iter().any(|x| **x == *v)),
        (BoundRhs::Set(vs), ColRef::Id) => table.id_of(row).is_some_and(|id| vs.strs.iter().any(|x| **x == *id)),
        (BoundRhs::Set(vs), ColRef::Num(vals)) => vs.nums.contains(&vals[i]),
        (BoundRhs::Num(x), ColRef::Num(vals)) => cmp(vals[i], c.op, *x),
        (BoundRhs::Now(off), ColRef::Num(vals)) => cmp(vals[i], c.op, now_plus(now, *off)),
        _ => false,
    };
    if c.op == Op::NotIn {
        !m
    } else {
        m
    }
}

fn if_holds(conds: &[BoundCond], ctx: &EvalContext<'_>) -> bool {
    if conds.is_empty() {
        return true;
    }
    match (ctx.users, ctx.current_user) {
        (Some(users), Some(row)) if (row as usize) < users.len() => {
            conds.iter().all(|c| row_matches(users, row, c, ctx.now))
        }
        _ => false,
    }
}

impl BoundFilter {
    fn check_target(&self, expected: Target, what: &str) -> Result<(), FilterError> {
        if self.target != expected {
            return Err(FilterError::Target(format!(
                "the filter selects {} and cannot be applied to {what}",
                self.target.as_str()
            )));
        }
        Ok(())
    }

    /// Evaluates an ItemID filter over the Items table; `ctx.interactions`
    /// are the requesting user's item interactions.
    pub fn item_rows(&self, items: &AttributeTable, ctx: &EvalContext<'_>) -> Result<Decision, FilterError> {
        self.check_target(Target::ItemId, "items")?;
        Ok(self.eval(items, ctx, ctx.interactions))
    }

    /// Evaluates an ActionID filter over the Actions table; `ctx.interactions`
    /// are the requesting user's action interactions.
    pub fn action_rows(&self, actions: &AttributeTable, ctx: &EvalContext<'_>) -> Result<Decision, FilterError> {
        self.check_target(Target::ActionId, "actions")?;
        Ok(self.eval(actions, ctx, ctx.interactions))
    }

    /// Evaluates a UserID filter (user segments) over the Users table;
    /// `interactions` are the candidate users' events.
    pub fn user_rows(
        &self,
        users: &AttributeTable,
        ctx: &EvalContext<'_>,
        interactions: &[UserInteraction<'_>],
    ) -> Result<Decision, FilterError> {
        self.check_target(Target::UserId, "users")?;
        Ok(self.eval(users, ctx, interactions))
    }

    fn eval<E: Event>(&self, table: &AttributeTable, ctx: &EvalContext<'_>, events: &[E]) -> Decision {
        let n = table.len();
        let mut d = Decision::unrestricted();
        let mut inc: Option<RowSet> = None;
        let mut exc: Option<RowSet> = None;
        for e in &self.exprs {
            // A false IF clause skips the expression entirely.
            if !if_holds(&e.if_clause, ctx) {
                continue;
            }
            d.restricted = true;
            let (rows, ids) = if e.dataset.is_interactions() {
                event_rows(e, table, ctx.now, events)
            } else {
                (attr_rows(e, table, ctx), Vec::new())
            };
            let (acc, id_set) = match e.action {
                Action::Include => {
                    d.include_mode = true;
                    (&mut inc, &mut d.include_ids)
                }
                Action::Exclude => (&mut exc, &mut d.exclude_ids),
            };
            match acc {
                Some(a) => a.union_with(&rows),
                None => *acc = Some(rows),
            }
            id_set.extend(ids);
        }
        if !d.restricted {
            return d;
        }
        let mut allowed = if d.include_mode { inc.unwrap_or_else(|| RowSet::empty(n)) } else { RowSet::full(n) };
        if let Some(x) = &exc {
            allowed.subtract(x);
        }
        d.allowed = allowed.count();
        d.rows = allowed;
        d
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
