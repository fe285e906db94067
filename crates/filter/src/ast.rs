//! The syntax tree of a filter expression and its canonical text form.
//!
//! [`parse`](crate::parse) only produces trees that satisfy the language
//! rules; `Display` writes the canonical text, which parses back to an equal
//! tree. Trees built by hand should keep the same shape (set operators take a
//! [`Rhs::List`] or [`Rhs::Param`], comparisons a single value).

use std::fmt;

/// `INCLUDE` or `EXCLUDE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Include,
    Exclude,
}

impl Action {
    /// The keyword as written in canonical text.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Include => "INCLUDE",
            Action::Exclude => "EXCLUDE",
        }
    }
}

/// What the filter selects: items, users (segments) or actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    ItemId,
    UserId,
    ActionId,
}

impl Target {
    /// The keyword as written in canonical text.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::ItemId => "ItemID",
            Target::UserId => "UserID",
            Target::ActionId => "ActionID",
        }
    }

    /// The attribute dataset and the interaction dataset this target may use.
    pub fn datasets(self) -> [Dataset; 2] {
        match self {
            Target::ItemId => [Dataset::Items, Dataset::Interactions],
            Target::UserId => [Dataset::Users, Dataset::Interactions],
            Target::ActionId => [Dataset::Actions, Dataset::ActionInteractions],
        }
    }

    /// Whether conditions on `dataset` are allowed with this target.
    pub fn allows(self, dataset: Dataset) -> bool {
        self.datasets().contains(&dataset)
    }
}

/// A dataset named on the left of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    Items,
    Users,
    Interactions,
    Actions,
    ActionInteractions,
}

impl Dataset {
    /// All datasets, in a stable order.
    pub const ALL: [Dataset; 5] =
        [Dataset::Items, Dataset::Users, Dataset::Interactions, Dataset::Actions, Dataset::ActionInteractions];

    /// The name as written in canonical text.
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Items => "Items",
            Dataset::Users => "Users",
            Dataset::Interactions => "Interactions",
            Dataset::Actions => "Actions",
            Dataset::ActionInteractions => "Action_Interactions",
        }
    }

    /// Case-insensitive lookup of a dataset name.
    pub fn parse(s: &str) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.as_str().eq_ignore_ascii_case(s))
    }

    /// `Interactions` or `Action_Interactions`: conditions test the current
    /// user's events rather than attributes.
    pub fn is_interactions(self) -> bool {
        matches!(self, Dataset::Interactions | Dataset::ActionInteractions)
    }
}

/// A condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    In,
    NotIn,
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    /// The operator as written in canonical text.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::In => "IN",
            Op::NotIn => "NOT IN",
            Op::Eq => "=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// `IN` or `NOT IN`.
    pub fn is_set(self) -> bool {
        matches!(self, Op::In | Op::NotIn)
    }

    /// `<`, `<=`, `>` or `>=`.
    pub fn is_range(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    /// Always finite.
    Num(f64),
    /// `"*"`: any event type (only with `Interactions.EVENT_TYPE`).
    Any,
}

/// Unit of a `NOW()` offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
}

impl TimeUnit {
    /// Seconds per unit.
    pub fn seconds(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3_600,
            TimeUnit::Days => 86_400,
            TimeUnit::Weeks => 604_800,
        }
    }

    /// The suffix letter (`s m h d w`).
    pub fn suffix(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "m",
            TimeUnit::Hours => "h",
            TimeUnit::Days => "d",
            TimeUnit::Weeks => "w",
        }
    }

    /// Inverse of [`TimeUnit::suffix`] (lower-case only: `m` is minutes).
    pub fn from_suffix(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "s" => TimeUnit::Seconds,
            "m" => TimeUnit::Minutes,
            "h" => TimeUnit::Hours,
            "d" => TimeUnit::Days,
            "w" => TimeUnit::Weeks,
            _ => return None,
        })
    }
}

/// `- 30d` / `+ 2h` after `NOW()` (Reko extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeOffset {
    pub negative: bool,
    pub amount: u32,
    pub unit: TimeUnit,
}

impl TimeOffset {
    /// Signed offset in seconds.
    pub fn seconds(self) -> i64 {
        let s = i64::from(self.amount) * self.unit.seconds();
        if self.negative {
            -s
        } else {
            s
        }
    }
}

/// Right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// `("a", "b", 3)`, for `IN` / `NOT IN`.
    List(Vec<Literal>),
    /// A single value, for `=` and range operators.
    Literal(Literal),
    /// `$NAME` or `($NAME)`, bound from `filterValues` at request time.
    Param(String),
    /// `CurrentItem.FIELD`: the request's item (related-items recipes).
    CurrentItem(String),
    /// `NOW()` with an optional offset (Reko extension).
    Now(Option<TimeOffset>),
}

/// `Dataset.FIELD op rhs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub dataset: Dataset,
    pub field: String,
    pub op: Op,
    pub rhs: Rhs,
}

/// `CurrentUser.FIELD op rhs` inside the trailing `IF` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct IfCondition {
    pub field: String,
    pub op: Op,
    pub rhs: Rhs,
}

/// One `INCLUDE|EXCLUDE target WHERE ... [IF ...]` expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    pub action: Action,
    pub target: Target,
    /// The `WHERE` chain as an OR of AND-groups: `AND` binds tighter than
    /// `OR`, so `a AND b OR c` is `[[a, b], [c]]`. Never empty, nor any group.
    pub conditions: Vec<Vec<Condition>>,
    /// `IF` conditions, all of which must hold (empty: no `IF` clause).
    pub if_clause: Vec<IfCondition>,
}

impl Expression {
    /// The dataset all `WHERE` conditions use.
    pub fn dataset(&self) -> Option<Dataset> {
        self.conditions.first().and_then(|g| g.first()).map(|c| c.dataset)
    }

    /// Parameter names in order of first use.
    pub fn parameters(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let rhs = self.conditions.iter().flatten().map(|c| &c.rhs).chain(self.if_clause.iter().map(|c| &c.rhs));
        for r in rhs {
            if let Rhs::Param(p) = r {
                if !out.contains(&p.as_str()) {
                    out.push(p);
                }
            }
        }
        out
    }
}

/// A parsed filter: one or more expressions joined by `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterExpression {
    /// Never empty; all expressions have the same target.
    pub expressions: Vec<Expression>,
}

impl FilterExpression {
    /// The target shared by all expressions.
    pub fn target(&self) -> Target {
        self.expressions.first().map_or(Target::ItemId, |e| e.target)
    }

    /// Distinct parameter names in order of first use.
    pub fn parameters(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in self.expressions.iter().flat_map(|e| e.parameters()) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// Distinct `dataset.field` pairs used, in order of first use;
    /// `CurrentItem.X` counts as `Items.X` and `CurrentUser.X` as `Users.X`;
    /// field names are compared case-insensitively (`Items.genre` and
    /// `Items.GENRE` are one field).
    pub fn fields(&self) -> Vec<(Dataset, &str)> {
        fn add<'a>(out: &mut Vec<(Dataset, &'a str)>, d: Dataset, f: &'a str) {
            if !out.iter().any(|&(od, of)| od == d && of.eq_ignore_ascii_case(f)) {
                out.push((d, f));
            }
        }
        let mut out = Vec::new();
        for e in &self.expressions {
            for c in e.conditions.iter().flatten() {
                add(&mut out, c.dataset, &c.field);
                if let Rhs::CurrentItem(f) = &c.rhs {
                    add(&mut out, Dataset::Items, f);
                }
            }
            for c in &e.if_clause {
                add(&mut out, Dataset::Users, &c.field);
            }
        }
        out
    }

    /// Whether any expression tests the user's interactions (either kind).
    pub fn uses_interactions(&self) -> bool {
        self.expressions.iter().any(|e| e.dataset().is_some_and(Dataset::is_interactions))
    }

    /// Whether any condition refers to `CurrentItem`.
    pub fn uses_current_item(&self) -> bool {
        self.expressions
            .iter()
            .flat_map(|e| e.conditions.iter().flatten())
            .any(|c| matches!(c.rhs, Rhs::CurrentItem(_)))
    }

    /// Whether any expression has an `IF CurrentUser...` clause.
    pub fn uses_current_user(&self) -> bool {
        self.expressions.iter().any(|e| !e.if_clause.is_empty())
    }
}

/// Formats a number so that the lexer reads back the same `f64`.
pub(crate) fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-6..1e16).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn write_str_literal(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write_str_literal(f, s),
            Literal::Num(x) => f.write_str(&fmt_num(*x)),
            Literal::Any => f.write_str("\"*\""),
        }
    }
}

fn write_rhs(f: &mut fmt::Formatter<'_>, op: Op, rhs: &Rhs) -> fmt::Result {
    match rhs {
        Rhs::List(items) => {
            f.write_str("(")?;
            for (i, l) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{l}")?;
            }
            f.write_str(")")
        }
        Rhs::Literal(l) if op.is_set() => write!(f, "({l})"),
        Rhs::Literal(l) => write!(f, "{l}"),
        Rhs::Param(p) if op.is_set() => write!(f, "(${p})"),
        Rhs::Param(p) => write!(f, "${p}"),
        Rhs::CurrentItem(x) => write!(f, "CurrentItem.{x}"),
        Rhs::Now(None) => f.write_str("NOW()"),
        Rhs::Now(Some(o)) => {
            write!(f, "NOW() {} {}{}", if o.negative { "-" } else { "+" }, o.amount, o.unit.suffix())
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} {} ", self.dataset.as_str(), self.field, self.op.as_str())?;
        write_rhs(f, self.op, &self.rhs)
    }
}

impl fmt::Display for IfCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrentUser.{} {} ", self.field, self.op.as_str())?;
        write_rhs(f, self.op, &self.rhs)
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} WHERE", self.action.as_str(), self.target.as_str())?;
        for (gi, group) in self.conditions.iter().enumerate() {
            if gi > 0 {
                f.write_str(" OR")?;
            }
            for (ci, c) in group.iter().enumerate() {
                if ci > 0 {
                    f.write_str(" AND")?;
                }
                write!(f, " {c}")?;
            }
        }
        for (i, c) in self.if_clause.iter().enumerate() {
            f.write_str(if i == 0 { " IF " } else { " AND " })?;
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for FilterExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.expressions.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
