//! Recursive-descent parser for Personalize's filter expression grammar ("Filter expression
//! structure and elements",
//! <https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html>), including
//! the language rules that need no schema.

use crate::ast::{
    Action, Condition, Dataset, Expression, FilterExpression, IfCondition, Literal, Op, Rhs, Target, TimeOffset,
    TimeUnit,
};
use crate::error::{ParseError, ParseErrorKind};
use crate::lexer::{lex, Tok, Token};

// Beside the parser, so that the syntax tree does not import it back.
impl std::str::FromStr for FilterExpression {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Longest accepted expression, in characters (CreateFilter's `filterExpression` limit).
pub const MAX_EXPRESSION_CHARS: usize = 2500;
/// Longest parameter name, in characters.
pub const MAX_PARAM_NAME_CHARS: usize = 50;

const DATASETS: &[&str] = &["\"Items\"", "\"Users\"", "\"Interactions\"", "\"Actions\"", "\"Action_Interactions\""];
const OPS: &[&str] = &["\"IN\"", "\"NOT IN\"", "\"=\"", "\"<\"", "\"<=\"", "\">\"", "\">=\""];
const EVENT_TYPE: &str = "EVENT_TYPE";
const TIMESTAMP: &str = "TIMESTAMP";

/// Parses filter expression text (the `filterExpression` of CreateFilter).
///
/// Keywords, targets, dataset names, `CurrentItem`/`CurrentUser` and `NOW`
/// are case-insensitive; field and parameter names are case-sensitive.
pub fn parse(text: &str) -> Result<FilterExpression, ParseError> {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        let msg = if chars == 0 { "the filter expression is empty" } else { "the filter expression is blank" };
        return Err(ParseError::new(text, 0, ParseErrorKind::Invalid(msg.to_string())));
    }
    if chars > MAX_EXPRESSION_CHARS {
        let pos = text.char_indices().nth(MAX_EXPRESSION_CHARS).map_or(0, |(i, _)| i);
        return Err(ParseError::new(
            text,
            pos,
            ParseErrorKind::Invalid(format!(
                "the filter expression is {chars} characters long; at most {MAX_EXPRESSION_CHARS} are allowed, the excess starts"
            )),
        ));
    }
    let mut p = Parser { src: text, toks: lex(text), i: 0, target: None };
    let mut expressions = vec![p.expression()?];
    while p.peek().tok == Tok::Pipe {
        p.bump();
        expressions.push(p.expression()?);
    }
    Ok(FilterExpression { expressions })
}

/// What the right-hand side of a condition may contain.
#[derive(Clone, Copy)]
struct RhsCtx<'a> {
    /// `Interactions.EVENT_TYPE`: `"*"` allowed.
    event_type: bool,
    /// `Interactions.TIMESTAMP`: numbers only.
    timestamp: bool,
    /// An Items condition of an ItemID filter.
    current_item_ok: bool,
    /// Inside the `IF` clause.
    in_if: bool,
    /// The left-hand side, for messages.
    lhs: &'a str,
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    i: usize,
    /// Target of the first expression.
    target: Option<Target>,
}

impl<'s> Parser<'s> {
    fn peek(&self) -> &Token {
        &self.toks[self.i]
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn text(&self, t: &Token) -> &'s str {
        &self.src[t.start..t.end]
    }

    fn is_kw(&self, t: &Token, kw: &str) -> bool {
        t.tok == Tok::Word && self.text(t).eq_ignore_ascii_case(kw)
    }

    fn invalid(&self, pos: usize, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.src, pos, ParseErrorKind::Invalid(msg.into()))
    }

    fn unexpected(&self, t: &Token, expected: &[&str]) -> ParseError {
        if t.tok == Tok::Unterminated {
            return self.invalid(t.start, "unterminated string literal: the closing quote is missing");
        }
        ParseError::new(
            self.src,
            t.start,
            ParseErrorKind::Unexpected {
                expected: expected.iter().map(|s| s.to_string()).collect(),
                found: self.describe(t),
            },
        )
    }

    fn describe(&self, t: &Token) -> String {
        const MAX: usize = 40;
        let raw = self.text(t);
        let short = match raw.char_indices().nth(MAX) {
            Some((i, _)) => format!("{}...", &raw[..i]),
            None => raw.to_string(),
        };
        match t.tok {
            Tok::Eof => "end of input".to_string(),
            Tok::Str(_) => format!("string {short}"),
            _ => format!("\"{short}\""),
        }
    }

    fn expression(&mut self) -> Result<Expression, ParseError> {
        let t = self.bump();
        let action = if self.is_kw(&t, "INCLUDE") {
            Action::Include
        } else if self.is_kw(&t, "EXCLUDE") {
            Action::Exclude
        } else {
            return Err(self.unexpected(&t, &["\"INCLUDE\"", "\"EXCLUDE\""]));
        };

        let t = self.bump();
        let target = [Target::ItemId, Target::UserId, Target::ActionId]
            .into_iter()
            .find(|tg| self.is_kw(&t, tg.as_str()))
            .ok_or_else(|| self.unexpected(&t, &["\"ItemID\"", "\"UserID\"", "\"ActionID\""]))?;
        match self.target {
            Some(first) if first != target => {
                return Err(self.invalid(
                    t.start,
                    format!(
                        "all expressions of a filter must have the same target, but this one uses {target} and the first uses {first}"
                    ),
                ))
            }
            Some(_) => {}
            None => self.target = Some(target),
        }

        let t = self.bump();
        if !self.is_kw(&t, "WHERE") {
            return Err(self.unexpected(&t, &["\"WHERE\""]));
        }

        let mut conditions = vec![Vec::new()];
        let mut dataset = None;
        loop {
            let c = self.condition(target, &mut dataset)?;
            conditions.last_mut().expect("never empty").push(c);
            let t = self.peek().clone();
            if self.is_kw(&t, "AND") {
                self.bump();
            } else if self.is_kw(&t, "OR") {
                self.bump();
                conditions.push(Vec::new());
            } else {
                break;
            }
        }

        let mut if_clause = Vec::new();
        if self.is_kw(&self.peek().clone(), "IF") {
            self.bump();
            loop {
                if_clause.push(self.if_condition()?);
                let t = self.peek().clone();
                if self.is_kw(&t, "AND") {
                    self.bump();
                    let n = self.peek().clone();
                    if n.tok == Tok::Word {
                        if let Some(d) = Dataset::parse(self.text(&n)) {
                            return Err(self.invalid(
                                n.start,
                                format!("the IF clause must be the last part of an expression; move this {d} condition before IF"),
                            ));
                        }
                    }
                } else if self.is_kw(&t, "OR") {
                    return Err(self.invalid(t.start, "IF conditions can only be joined with AND, not OR"));
                } else if self.is_kw(&t, "IF") {
                    return Err(self.invalid(t.start, "an expression can have only one IF clause"));
                } else {
                    break;
                }
            }
        }

        let t = self.peek().clone();
        if !matches!(t.tok, Tok::Pipe | Tok::Eof) {
            return Err(if if_clause.is_empty() {
                self.unexpected(&t, &["\"AND\"", "\"OR\"", "\"IF\"", "\"|\"", "end of input"])
            } else {
                self.unexpected(&t, &["\"AND\"", "\"|\"", "end of input"])
            });
        }
        Ok(Expression { action, target, conditions, if_clause })
    }

    fn condition(&mut self, target: Target, dataset: &mut Option<Dataset>) -> Result<Condition, ParseError> {
        let t = self.bump();
        if self.is_kw(&t, "CurrentUser") {
            return Err(self.invalid(
                t.start,
                "CurrentUser can only be used in the IF clause at the end of an expression, e.g. IF CurrentUser.AGE > 18",
            ));
        }
        if self.is_kw(&t, "CurrentItem") {
            return Err(self.invalid(
                t.start,
                "CurrentItem can only be used on the right-hand side of a condition, e.g. Items.GENRE IN CurrentItem.GENRE",
            ));
        }
        let ds = match t.tok {
            Tok::Word => Dataset::parse(self.text(&t)),
            _ => None,
        }
        .ok_or_else(|| self.unexpected(&t, DATASETS))?;
        if !target.allows(ds) {
            let [a, b] = target.datasets();
            return Err(self.invalid(t.start, format!("{target} filters can only use {a} or {b} fields, not {ds}")));
        }
        match *dataset {
            Some(first) if first != ds => {
                return Err(self.invalid(
                    t.start,
                    format!(
                        "one expression cannot mix {first} and {ds} conditions; write them as separate expressions joined with |"
                    ),
                ))
            }
            Some(_) => {}
            None => *dataset = Some(ds),
        }
        self.expect_dot()?;
        let (mut field, field_pos) = self.field_name()?;
        if ds.is_interactions() {
            // Interactions fields are the reserved, fixed names; written in any case
            // (`Interactions.event_type`, as AWS's sample notebooks do) they are stored
            // in the schema's upper-case spelling.
            if let Some(canonical) = [EVENT_TYPE, TIMESTAMP].into_iter().find(|n| n.eq_ignore_ascii_case(&field)) {
                field = canonical.to_string();
            }
        }
        if ds.is_interactions() && field != EVENT_TYPE && field != TIMESTAMP {
            return Err(self.invalid(
                field_pos,
                format!("{ds} conditions can only use {ds}.EVENT_TYPE (or {ds}.TIMESTAMP, a Reko extension), not {ds}.{field}"),
            ));
        }
        let event_type = ds.is_interactions() && field == EVENT_TYPE;
        let timestamp = ds.is_interactions() && field == TIMESTAMP;
        let (op, op_pos) = self.op()?;
        if event_type && op.is_range() {
            return Err(
                self.invalid(op_pos, format!("{ds}.EVENT_TYPE can only be used with IN, NOT IN or =, not {op}"))
            );
        }
        if timestamp && op.is_set() {
            return Err(
                self.invalid(op_pos, format!("{ds}.TIMESTAMP can only be used with =, <, <=, > or >=, not {op}"))
            );
        }
        let lhs = format!("{ds}.{field}");
        let ctx = RhsCtx {
            event_type,
            timestamp,
            current_item_ok: target == Target::ItemId && ds == Dataset::Items,
            in_if: false,
            lhs: &lhs,
        };
        let rhs = self.rhs(op, ctx)?;
        Ok(Condition { dataset: ds, field, op, rhs })
    }

    fn if_condition(&mut self) -> Result<IfCondition, ParseError> {
        let t = self.bump();
        if !self.is_kw(&t, "CurrentUser") {
            if self.is_kw(&t, "CurrentItem") {
                return Err(self.invalid(t.start, "IF conditions can only test CurrentUser fields, not CurrentItem"));
            }
            return Err(self.unexpected(&t, &["\"CurrentUser\""]));
        }
        self.expect_dot()?;
        let (field, _) = self.field_name()?;
        let (op, _) = self.op()?;
        let lhs = format!("CurrentUser.{field}");
        let ctx = RhsCtx { event_type: false, timestamp: false, current_item_ok: false, in_if: true, lhs: &lhs };
        let rhs = self.rhs(op, ctx)?;
        Ok(IfCondition { field, op, rhs })
    }

    fn expect_dot(&mut self) -> Result<(), ParseError> {
        let t = self.bump();
        if t.tok != Tok::Dot {
            return Err(self.unexpected(&t, &["\".\""]));
        }
        Ok(())
    }

    fn field_name(&mut self) -> Result<(String, usize), ParseError> {
        let t = self.bump();
        if t.tok != Tok::Word {
            return Err(self.unexpected(&t, &["a field name"]));
        }
        Ok((self.text(&t).to_string(), t.start))
    }

    fn op(&mut self) -> Result<(Op, usize), ParseError> {
        let t = self.bump();
        let op = match t.tok {
            Tok::Eq => Op::Eq,
            Tok::Lt => Op::Lt,
            Tok::Le => Op::Le,
            Tok::Gt => Op::Gt,
            Tok::Ge => Op::Ge,
            Tok::Word if self.is_kw(&t, "IN") => Op::In,
            Tok::Word if self.is_kw(&t, "NOT") => {
                let n = self.bump();
                if !self.is_kw(&n, "IN") {
                    return Err(self.unexpected(&n, &["\"IN\""]));
                }
                Op::NotIn
            }
            _ => return Err(self.unexpected(&t, OPS)),
        };
        Ok((op, t.start))
    }

    fn rhs(&mut self, op: Op, ctx: RhsCtx<'_>) -> Result<Rhs, ParseError> {
        let t = self.peek().clone();
        if self.is_kw(&t, "CurrentItem") || self.is_kw(&t, "CurrentUser") {
            return self.current_ref(ctx);
        }
        if t.tok == Tok::Param {
            return self.param(op);
        }
        if op.is_set() {
            if t.tok != Tok::LParen {
                return Err(self.unexpected(&t, &["\"(\"", "a $parameter", "\"CurrentItem.<field>\""]));
            }
            self.bump();
            if self.peek().tok == Tok::Param {
                return self.paren_param(op);
            }
            let mut values = Vec::new();
            loop {
                values.push(self.literal(op, ctx)?);
                let t = self.bump();
                match t.tok {
                    Tok::Comma => {}
                    Tok::RParen => break,
                    _ => return Err(self.unexpected(&t, &["\",\"", "\")\""])),
                }
            }
            return Ok(Rhs::List(values));
        }
        match t.tok {
            Tok::LParen => {
                self.bump();
                if self.peek().tok == Tok::Param {
                    return self.paren_param(op);
                }
                let lit = self.literal(op, ctx)?;
                let n = self.bump();
                match n.tok {
                    Tok::RParen => Ok(Rhs::Literal(lit)),
                    Tok::Comma => Err(self.invalid(
                        t.start,
                        format!(
                            "the {op} operator takes a single value, not a list; use IN (...) to test a list of values"
                        ),
                    )),
                    _ => Err(self.unexpected(&n, &["\")\""])),
                }
            }
            Tok::Word if self.is_kw(&t, "NOW") => self.now(ctx),
            Tok::Num { .. } | Tok::Minus | Tok::Str(_) => Ok(Rhs::Literal(self.literal(op, ctx)?)),
            _ => {
                let mut expected = vec!["a number"];
                if op == Op::Eq && !ctx.timestamp {
                    expected.push("a string");
                }
                expected.push("a $parameter");
                if !ctx.in_if && ctx.current_item_ok {
                    expected.push("\"CurrentItem.<field>\"");
                }
                if !ctx.event_type {
                    expected.push("\"NOW()\"");
                }
                Err(self.unexpected(&t, &expected))
            }
        }
    }

    /// `$NAME`; the caller has seen the `Param` token.
    fn param(&mut self, op: Op) -> Result<Rhs, ParseError> {
        let t = self.bump();
        let name = &self.src[t.start + 1..t.end];
        if name.is_empty() {
            return Err(self.invalid(t.start, "expected a parameter name after \"$\" (letters, digits and _)"));
        }
        if name.len() > MAX_PARAM_NAME_CHARS {
            return Err(self.invalid(
                t.start,
                format!(
                    "the parameter name ${name} is {} characters long; at most {MAX_PARAM_NAME_CHARS} are allowed",
                    name.len()
                ),
            ));
        }
        if op == Op::NotIn {
            return Err(self.invalid(
                t.start,
                format!("a $parameter cannot be used with NOT IN (found ${name}); list the values, e.g. NOT IN (\"a\", \"b\")"),
            ));
        }
        Ok(Rhs::Param(name.to_string()))
    }

    /// `$NAME)` after `(`.
    fn paren_param(&mut self, op: Op) -> Result<Rhs, ParseError> {
        let p = self.param(op)?;
        let t = self.bump();
        match t.tok {
            Tok::RParen => Ok(p),
            Tok::Comma => Err(self.invalid(t.start, "a $parameter must be the only value inside the parentheses")),
            _ => Err(self.unexpected(&t, &["\")\""])),
        }
    }

    fn literal(&mut self, op: Op, ctx: RhsCtx<'_>) -> Result<Literal, ParseError> {
        let t = self.bump();
        match &t.tok {
            Tok::Str(s) if s == "*" => {
                if ctx.event_type {
                    Ok(Literal::Any)
                } else {
                    Err(self.invalid(
                        t.start,
                        format!(
                            "\"*\" (any event type) can only be used with Interactions.EVENT_TYPE, not {}",
                            ctx.lhs
                        ),
                    ))
                }
            }
            Tok::Str(s) => {
                if op.is_range() {
                    return Err(
                        self.invalid(t.start, format!("the {op} operator needs a number, found {}", self.describe(&t)))
                    );
                }
                if ctx.timestamp {
                    return Err(self.invalid(
                        t.start,
                        format!("{} holds epoch seconds and needs a number, found {}", ctx.lhs, self.describe(&t)),
                    ));
                }
                Ok(Literal::Str(s.clone()))
            }
            Tok::Num { .. } => Ok(Literal::Num(self.number(&t, false)?)),
            Tok::Minus => {
                let n = self.bump();
                if !matches!(n.tok, Tok::Num { .. }) {
                    return Err(self.unexpected(&n, &["a number"]));
                }
                Ok(Literal::Num(self.number(&n, true)?))
            }
            Tok::Param => Err(self.invalid(t.start, "a $parameter must be the only value inside the parentheses")),
            _ => {
                let expected: &[&str] =
                    if op.is_range() || ctx.timestamp { &["a number"] } else { &["a string", "a number"] };
                Err(self.unexpected(&t, expected))
            }
        }
    }

    fn number(&self, t: &Token, negative: bool) -> Result<f64, ParseError> {
        let Tok::Num { num_end } = t.tok else { return Err(self.unexpected(t, &["a number"])) };
        if num_end != t.end {
            return Err(self.invalid(t.start, format!("invalid number \"{}\"", self.text(t))));
        }
        let v: f64 = self.text(t).parse().map_err(|_| self.invalid(t.start, "invalid number"))?;
        if !v.is_finite() {
            return Err(self.invalid(t.start, format!("the number {} is too large", self.text(t))));
        }
        Ok(if negative { -v } else { v })
    }

    fn now(&mut self, ctx: RhsCtx<'_>) -> Result<Rhs, ParseError> {
        let t = self.bump();
        if ctx.event_type {
            return Err(self.invalid(t.start, format!("NOW() cannot be compared with {}", ctx.lhs)));
        }
        for expected in [Tok::LParen, Tok::RParen] {
            let n = self.bump();
            if n.tok != expected {
                return Err(self.unexpected(&n, if expected == Tok::LParen { &["\"(\""] } else { &["\")\""] }));
            }
        }
        let negative = match self.peek().tok {
            Tok::Minus => true,
            Tok::Plus => false,
            _ => return Ok(Rhs::Now(None)),
        };
        self.bump();
        let n = self.bump();
        let bad = |p: &Self| {
            p.invalid(
                n.start,
                "expected a duration after NOW() - such as 30d: a whole number followed by s, m, h, d or w",
            )
        };
        let Tok::Num { num_end } = n.tok else { return Err(bad(self)) };
        let digits = &self.src[n.start..num_end];
        let unit = TimeUnit::from_suffix(&self.src[num_end..n.end]).ok_or_else(|| bad(self))?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(self));
        }
        let amount: u32 =
            digits.parse().map_err(|_| self.invalid(n.start, format!("the duration {digits} is too large")))?;
        Ok(Rhs::Now(Some(TimeOffset { negative, amount, unit })))
    }

    fn current_ref(&mut self, ctx: RhsCtx<'_>) -> Result<Rhs, ParseError> {
        let t = self.bump();
        let name = self.text(&t);
        if ctx.in_if {
            return Err(self.invalid(
                t.start,
                format!("IF conditions must compare {} with a value or a $parameter, not {name}", ctx.lhs),
            ));
        }
        if self.is_kw(&t, "CurrentUser") {
            return Err(self.invalid(
                t.start,
                "CurrentUser can only be used in the IF clause at the end of an expression, e.g. IF CurrentUser.AGE > 18",
            ));
        }
        if !ctx.current_item_ok {
            return Err(self.invalid(
                t.start,
                format!("CurrentItem can only be compared with Items fields in ItemID filters, not with {}", ctx.lhs),
            ));
        }
        self.expect_dot()?;
        let (field, _) = self.field_name()?;
        Ok(Rhs::CurrentItem(field))
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
