//! Binding request-time `filterValues` to a parsed filter (docs/compatibility.md, "Filters").

use std::collections::BTreeMap;

use crate::ast::{fmt_num, Action, Dataset, Expression, FilterExpression, Literal, Op, Rhs, Target};
use crate::error::FilterError;

/// Most entries in one request's `filterValues`.
pub const MAX_FILTER_VALUES: usize = 25;
/// Longest value of one `filterValues` entry, in characters.
pub const MAX_FILTER_VALUE_CHARS: usize = 1000;

/// One value of a `filterValues` entry.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// A double-quoted value, unescaped.
    Str(String),
    /// An unquoted number.
    Num(f64),
}

/// Whether `s` is a plain decimal number: `-?D+(.D+)?([eE][+-]?D+)?`.
pub(crate) fn is_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// A finite number, if `s` is one.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    if !is_number(s) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses one `filterValues` entry in Personalize's format: values separated
/// by commas, strings double-quoted (`\"` and `\\` escape), numbers bare:
/// `"a","b"` or `10`. Whitespace around values is ignored.
pub fn parse_filter_value(name: &str, raw: &str) -> Result<Vec<FilterValue>, FilterError> {
    let fail = |pos: usize, msg: String| {
        let col = raw[..pos].chars().count() + 1;
        FilterError::Binding(format!("invalid filterValues entry for parameter {name}: {msg} (at character {col})"))
    };
    let mut out = Vec::new();
    let mut rest = raw.char_indices().peekable();
    let skip_ws = |it: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        while it.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            it.next();
        }
    };
    skip_ws(&mut rest);
    if rest.peek().is_none() {
        return Err(FilterError::Binding(format!(
            "the filterValues entry for parameter {name} is empty; give one or more double-quoted strings or numbers separated by commas"
        )));
    }
    loop {
        skip_ws(&mut rest);
        let Some(&(start, c)) = rest.peek() else {
            return Err(fail(raw.len(), "expected a value after the last comma".to_string()));
        };
        if c == '"' {
            rest.next();
            let mut s = String::new();
            loop {
                match rest.next() {
                    None => return Err(fail(start, "this string has no closing double quote".to_string())),
                    Some((_, '"')) => break,
                    Some((_, '\\')) => match rest.next() {
                        Some((_, e @ ('"' | '\\'))) => s.push(e),
                        Some((_, e)) => {
                            s.push('\\');
                            s.push(e);
                        }
                        None => return Err(fail(start, "this string has no closing double quote".to_string())),
                    },
                    Some((_, ch)) => s.push(ch),
                }
            }
            out.push(FilterValue::Str(s));
        } else {
            let mut end = raw.len();
            while let Some(&(i, ch)) = rest.peek() {
                if ch == ',' || ch.is_whitespace() {
                    end = i;
                    break;
                }
                rest.next();
            }
            let tok = &raw[start..end];
            match parse_number(tok) {
                Some(v) => out.push(FilterValue::Num(v)),
                None if c == '\'' => {
                    return Err(fail(start, format!("{tok} is single-quoted; string values must be double-quoted")))
                }
                None => {
                    return Err(fail(
                        start,
                        format!(
                            "{tok} is neither a number nor a double-quoted string; quote string values (\"{tok}\", written \"\\\"{tok}\\\"\" inside the JSON request)"
                        ),
                    ))
                }
            }
        }
        skip_ws(&mut rest);
        match rest.next() {
            None => return Ok(out),
            Some((_, ',')) => {}
            Some((i, ch)) => return Err(fail(i, format!("expected a comma between values, found '{ch}'"))),
        }
    }
}

/// The values a condition tests membership against.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ValueSet {
    /// Every value as text (numbers in canonical form), for string fields.
    pub strs: Vec<Box<str>>,
    /// Every value that is a number (or a string holding one), for numeric fields.
    pub nums: Vec<f64>,
    /// `"*"`: any event type.
    pub any: bool,
}

impl ValueSet {
    fn push_str(&mut self, s: &str) {
        if let Some(v) = parse_number(s) {
            self.nums.push(v);
        }
        self.strs.push(s.into());
    }

    fn push_num(&mut self, v: f64) {
        self.nums.push(v);
        self.strs.push(fmt_num(v).into());
    }

    fn push_literal(&mut self, l: &Literal) {
        match l {
            Literal::Str(s) => self.push_str(s),
            Literal::Num(v) => self.push_num(*v),
            Literal::Any => self.any = true,
        }
    }
}

/// A bound right-hand side.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BoundRhs {
    /// Membership (`IN`, `NOT IN`, `=`).
    Set(ValueSet),
    /// A range threshold.
    Num(f64),
    /// `CurrentItem.FIELD`.
    CurrentItem(Box<str>),
    /// `NOW()` plus this many seconds.
    Now(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BoundCond {
    pub field: Box<str>,
    pub op: Op,
    pub rhs: BoundRhs,
    /// `Interactions.EVENT_TYPE` (matched case-insensitively, `"*"` allowed).
    pub event_type: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BoundExpr {
    pub action: Action,
    /// The dataset of the `WHERE` chain.
    pub dataset: Dataset,
    /// OR of AND-groups.
    pub groups: Vec<Vec<BoundCond>>,
    /// Conditions on the requesting user, all of which must hold.
    pub if_clause: Vec<BoundCond>,
}

/// A filter with its parameters substituted, ready to evaluate per request.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundFilter {
    pub(crate) target: Target,
    pub(crate) exprs: Vec<BoundExpr>,
}

impl BoundFilter {
    /// The target of the filter.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Number of expressions that take part (EXCLUDE expressions with missing
    /// parameters were dropped).
    pub fn active_expressions(&self) -> usize {
        self.exprs.len()
    }

    /// Nothing to apply: every expression was dropped.
    pub fn is_noop(&self) -> bool {
        self.exprs.is_empty()
    }

    /// Whether evaluation reads the user's interactions, so the caller can
    /// skip fetching them otherwise.
    pub fn uses_interactions(&self) -> bool {
        self.exprs.iter().any(|e| e.dataset.is_interactions())
    }

    /// Whether evaluation reads the requesting user's attributes.
    pub fn uses_current_user(&self) -> bool {
        self.exprs.iter().any(|e| !e.if_clause.is_empty())
    }

    /// Whether the decision depends on more than the table evaluated against: the user's
    /// interactions or attributes, the request's item, or the time. One that does not holds for
    /// every request with the same values while the table is unchanged.
    pub fn depends_on_request(&self) -> bool {
        self.uses_interactions()
            || self.uses_current_user()
            || self
                .exprs
                .iter()
                .flat_map(|e| e.groups.iter().flatten())
                .any(|c| matches!(c.rhs, BoundRhs::CurrentItem(_) | BoundRhs::Now(_)))
    }
}

fn numeric_value(v: &FilterValue) -> Option<f64> {
    match v {
        FilterValue::Num(x) => Some(*x),
        FilterValue::Str(s) => parse_number(s),
    }
}

fn bind_rhs(op: Op, rhs: &Rhs, lhs: &str, values: &BTreeMap<&str, Vec<FilterValue>>) -> Result<BoundRhs, FilterError> {
    Ok(match rhs {
        Rhs::List(lits) => {
            let mut set = ValueSet::default();
            lits.iter().for_each(|l| set.push_literal(l));
            BoundRhs::Set(set)
        }
        Rhs::Literal(l) if op.is_range() => match l {
            Literal::Num(v) => BoundRhs::Num(*v),
            Literal::Str(s) => BoundRhs::Num(parse_number(s).unwrap_or(f64::NAN)),
            Literal::Any => BoundRhs::Num(f64::NAN),
        },
        Rhs::Literal(l) => {
            let mut set = ValueSet::default();
            set.push_literal(l);
            BoundRhs::Set(set)
        }
        Rhs::Param(p) => {
            let vals = &values[p.as_str()];
            if !op.is_set() && vals.len() != 1 {
                return Err(FilterError::Binding(format!(
                    "parameter {p} is compared with {op} ({lhs} {op} ${p}) and needs exactly one value, but filterValues gives {}",
                    vals.len()
                )));
            }
            if op.is_range() {
                let v = numeric_value(&vals[0]).ok_or_else(|| {
                    FilterError::Binding(format!(
                        "parameter {p} is compared with {op} ({lhs} {op} ${p}) and needs a number, but filterValues gives a string; write numbers unquoted, e.g. \"10\""
                    ))
                })?;
                BoundRhs::Num(v)
            } else {
                let mut set = ValueSet::default();
                for v in vals {
                    match v {
                        FilterValue::Str(s) => set.push_str(s),
                        FilterValue::Num(x) => set.push_num(*x),
                    }
                }
                BoundRhs::Set(set)
            }
        }
        Rhs::CurrentItem(f) => BoundRhs::CurrentItem(f.as_str().into()),
        Rhs::Now(o) => BoundRhs::Now(o.map_or(0, |o| o.seconds())),
    })
}

fn bind_expr(e: &Expression, values: &BTreeMap<&str, Vec<FilterValue>>) -> Result<BoundExpr, FilterError> {
    let dataset = e.dataset().unwrap_or(Dataset::Items);
    let mut groups = Vec::with_capacity(e.conditions.len());
    for g in &e.conditions {
        let mut out = Vec::with_capacity(g.len());
        for c in g {
            let lhs = format!("{}.{}", c.dataset, c.field);
            out.push(BoundCond {
                field: c.field.as_str().into(),
                op: c.op,
                rhs: bind_rhs(c.op, &c.rhs, &lhs, values)?,
                event_type: c.dataset.is_interactions() && c.field == "EVENT_TYPE",
            });
        }
        groups.push(out);
    }
    let mut if_clause = Vec::with_capacity(e.if_clause.len());
    for c in &e.if_clause {
        let lhs = format!("CurrentUser.{}", c.field);
        if_clause.push(BoundCond {
            field: c.field.as_str().into(),
            op: c.op,
            rhs: bind_rhs(c.op, &c.rhs, &lhs, values)?,
            event_type: false,
        });
    }
    Ok(BoundExpr { action: e.action, dataset, groups, if_clause })
}

impl FilterExpression {
    /// Substitutes the request's `filterValues`.
    ///
    /// INCLUDE expressions need all their parameters; EXCLUDE expressions
    /// with a missing parameter are dropped (as in Personalize; docs/compatibility.md, "Filters").
    pub fn bind(&self, values: &BTreeMap<String, String>) -> Result<BoundFilter, FilterError> {
        if values.len() > MAX_FILTER_VALUES {
            return Err(FilterError::Binding(format!(
                "filterValues has {} entries; at most {MAX_FILTER_VALUES} are allowed",
                values.len()
            )));
        }
        let used = self.parameters();
        // Personalize rejects names the filter does not define; silently
        // ignoring them would hide typos in parameter names.
        let unknown: Vec<&str> = values.keys().map(String::as_str).filter(|k| !used.contains(k)).collect();
        if !unknown.is_empty() {
            let defined = if used.is_empty() {
                "it has no parameters".to_string()
            } else {
                format!("its parameters are {}", used.join(", "))
            };
            return Err(FilterError::Binding(format!(
                "filterValues names {} {} that the filter does not use; {defined}",
                if unknown.len() == 1 { "parameter" } else { "parameters" },
                unknown.join(", ")
            )));
        }
        let mut parsed = BTreeMap::new();
        for (k, v) in values {
            let n = v.chars().count();
            if n > MAX_FILTER_VALUE_CHARS {
                return Err(FilterError::Binding(format!(
                    "the filterValues entry for parameter {k} is {n} characters long; at most {MAX_FILTER_VALUE_CHARS} are allowed"
                )));
            }
            parsed.insert(k.as_str(), parse_filter_value(k, v)?);
        }
        let mut exprs = Vec::with_capacity(self.expressions.len());
        for e in &self.expressions {
            if let Some(missing) = e.parameters().into_iter().find(|p| !parsed.contains_key(p)) {
                match e.action {
                    Action::Include => {
                        return Err(FilterError::Binding(format!(
                        "filterValues has no value for parameter {missing}, which the INCLUDE expression \"{e}\" needs"
                    )))
                    }
                    Action::Exclude => continue,
                }
            }
            exprs.push(bind_expr(e, &parsed)?);
        }
        Ok(BoundFilter { target: self.target(), exprs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn vals(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn bind(text: &str, pairs: &[(&str, &str)]) -> Result<BoundFilter, String> {
        parse(text).unwrap().bind(&vals(pairs)).map_err(|e| e.to_string())
    }

    #[test]
    fn what_a_decision_depends_on() {
        let depends = |text: &str| {
            let values: &[(&str, &str)] = if text.contains("$C") { &[("C", "\"shoes\"")] } else { &[] };
            bind(text, values).unwrap().depends_on_request()
        };
        assert!(!depends("INCLUDE ItemID WHERE Items.CATEGORY IN ($C)"));
        assert!(!depends("EXCLUDE ItemID WHERE Items.PRICE > 10 | INCLUDE ItemID WHERE Items.CATEGORY IN ($C)"));
        assert!(depends("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"click\")"));
        assert!(depends("INCLUDE ItemID WHERE Items.CATEGORY IN CurrentItem.CATEGORY"));
        assert!(depends("INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > NOW() - 1d"));
        assert!(depends("INCLUDE ItemID WHERE Items.CATEGORY IN ($C) IF CurrentUser.AGE > 18"));
    }

    #[test]
    fn numbers() {
        for s in ["0", "10", "-3", "1.5", "1e5", "2.5E-3", "1e+2"] {
            assert!(is_number(s), "{s}");
        }
        for s in ["", "-", "+1", ".5", "1.", "1e", "1e+", "0x10", "inf", "NaN", "1 ", "1,2"] {
            assert!(!is_number(s), "{s}");
        }
        assert_eq!(parse_number("1e400"), None);
    }

    #[test]
    fn filter_value_format() {
        use FilterValue::*;
        let p = |s: &str| parse_filter_value("P", s);
        assert_eq!(p(r#""a","b""#).unwrap(), vec![Str("a".into()), Str("b".into())]);
        assert_eq!(p("10").unwrap(), vec![Num(10.0)]);
        assert_eq!(
            p(r#" "a" , 10,-2.5 ,"x,y" "#).unwrap(),
            vec![Str("a".into()), Num(10.0), Num(-2.5), Str("x,y".into())]
        );
        assert_eq!(
            p(r#""q\"uote","back\\slash","\n""#).unwrap(),
            vec![Str("q\"uote".into()), Str("back\\slash".into()), Str("\\n".into())]
        );
        assert_eq!(p(r#""""#).unwrap(), vec![Str(String::new())]);
        assert_eq!(p(r#""Horror|Action""#).unwrap(), vec![Str("Horror|Action".into())]);
    }

    #[test]
    fn filter_value_errors() {
        let e = |s: &str| parse_filter_value("GENRE", s).unwrap_err().to_string();
        assert_eq!(
            e(""),
            "the filterValues entry for parameter GENRE is empty; give one or more double-quoted strings or numbers separated by commas"
        );
        assert!(e("  ").contains("is empty"));
        let m = e("comedy");
        assert!(
            m.starts_with(
                "invalid filterValues entry for parameter GENRE: comedy is neither a number nor a double-quoted string"
            ),
            "{m}"
        );
        assert!(
            m.contains(r#"written "\"comedy\"" inside the JSON request"#) && m.ends_with("(at character 1)"),
            "{m}"
        );
        assert!(e(r#""a",comedy"#).ends_with("(at character 5)"));
        assert!(e("'a'").contains("'a' is single-quoted; string values must be double-quoted"));
        assert!(e(r#""a"#).contains("this string has no closing double quote (at character 1)"));
        assert!(e(r#""a\"#).contains("no closing double quote"));
        assert!(e(r#""a","#).contains("expected a value after the last comma"));
        assert!(e(r#""a" "b""#).contains("expected a comma between values, found '\"' (at character 5)"));
        assert!(e(r#""a"x"#).contains("expected a comma between values, found 'x'"));
        assert!(e("1e400").contains("1e400 is neither a number"));
    }

    #[test]
    fn binding_substitutes_values() {
        let b = bind(
            r#"INCLUDE ItemID WHERE Items.GENRE IN ($G) AND Items.PRICE <= $P IF CurrentUser.AGE = $A"#,
            &[("G", r#""a",3"#), ("P", "10"), ("A", r#""18""#)],
        )
        .unwrap();
        assert_eq!(b.active_expressions(), 1);
        assert!(!b.is_noop() && b.uses_current_user() && !b.uses_interactions());
        let e = &b.exprs[0];
        let BoundRhs::Set(set) = &e.groups[0][0].rhs else { panic!() };
        assert_eq!(set.strs, vec!["a".into(), "3".into()]);
        assert_eq!(set.nums, vec![3.0]);
        assert_eq!(e.groups[0][1].rhs, BoundRhs::Num(10.0));
        let BoundRhs::Set(age) = &e.if_clause[0].rhs else { panic!() };
        assert_eq!(age.nums, vec![18.0]);
        // quoted numbers are accepted where a number is needed
        bind(r#"INCLUDE ItemID WHERE Items.PRICE <= $P"#, &[("P", r#""10.5""#)]).unwrap();
        // literals and NOW()
        let b = bind(
            r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*", "Click") AND Interactions.TIMESTAMP > NOW() - 2h"#,
            &[],
        )
        .unwrap();
        assert!(b.uses_interactions());
        let BoundRhs::Set(set) = &b.exprs[0].groups[0][0].rhs else { panic!() };
        assert!(set.any && b.exprs[0].groups[0][0].event_type);
        assert_eq!(b.exprs[0].groups[0][1].rhs, BoundRhs::Now(-7200));
    }

    #[test]
    fn missing_parameters() {
        let text = r#"INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Items.BRAND IN ($BRAND)"#;
        let e = bind(text, &[("BRAND", r#""x""#)]).unwrap_err();
        assert_eq!(
            e,
            r#"filterValues has no value for parameter GENRE, which the INCLUDE expression "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)" needs"#
        );
        // EXCLUDE expressions with missing values are skipped
        let b = bind(text, &[("GENRE", r#""x""#)]).unwrap();
        assert_eq!(b.active_expressions(), 1);
        assert_eq!(b.exprs[0].action, Action::Include);
        let b =
            bind(r#"EXCLUDE ItemID WHERE Items.GENRE IN ($G) IF CurrentUser.AGE > $AGE"#, &[("G", r#""x""#)]).unwrap();
        assert!(b.is_noop());
        let e = bind(r#"INCLUDE ItemID WHERE Items.GENRE IN ("x") IF CurrentUser.AGE > $AGE"#, &[]).unwrap_err();
        assert!(e.contains("no value for parameter AGE"), "{e}");
    }

    #[test]
    fn binding_errors() {
        let text = r#"INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE < $MAX"#;
        let e = bind(text, &[("GENRE", r#""a""#), ("MAX", "1"), ("GENER", r#""a""#), ("X", "1")]).unwrap_err();
        assert_eq!(
            e,
            "filterValues names parameters GENER, X that the filter does not use; its parameters are GENRE, MAX"
        );
        let e = bind(r#"INCLUDE ItemID WHERE Items.GENRE IN ("a")"#, &[("G", "1")]).unwrap_err();
        assert_eq!(e, "filterValues names parameter G that the filter does not use; it has no parameters");
        let e = bind(text, &[("GENRE", r#""a""#), ("MAX", "1,2")]).unwrap_err();
        assert_eq!(
            e,
            "parameter MAX is compared with < (Items.PRICE < $MAX) and needs exactly one value, but filterValues gives 2"
        );
        let e = bind(text, &[("GENRE", r#""a""#), ("MAX", r#""cheap""#)]).unwrap_err();
        assert!(e.starts_with("parameter MAX is compared with < (Items.PRICE < $MAX) and needs a number"), "{e}");
        let e = bind(r#"INCLUDE UserID WHERE Users.X = $V"#, &[("V", r#""a","b""#)]).unwrap_err();
        assert!(e.contains("needs exactly one value"), "{e}");
        let e = bind(text, &[("GENRE", "drama"), ("MAX", "1")]).unwrap_err();
        assert!(e.starts_with("invalid filterValues entry for parameter GENRE: drama is neither"), "{e}");
        let long = format!("\"{}\"", "x".repeat(999));
        let e = bind(text, &[("GENRE", &long), ("MAX", "1")]).unwrap_err();
        assert_eq!(e, "the filterValues entry for parameter GENRE is 1001 characters long; at most 1000 are allowed");
        let ok = format!("\"{}\"", "é".repeat(998));
        bind(text, &[("GENRE", &ok), ("MAX", "1")]).unwrap();

        let many: Vec<String> = (0..26).map(|i| format!("P{i}")).collect();
        let conds: Vec<String> = many.iter().map(|p| format!("Items.X IN (${p})")).collect();
        let text = format!("EXCLUDE ItemID WHERE {}", conds.join(" OR "));
        let pairs: Vec<(&str, &str)> = many.iter().map(|p| (p.as_str(), "1")).collect();
        assert_eq!(bind(&text, &pairs).unwrap_err(), "filterValues has 26 entries; at most 25 are allowed");
        bind(&text, &pairs[..25]).unwrap();
    }
}
