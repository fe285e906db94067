//! Parsing one piece of records into column builders: each value checked against its field.

use super::*;

pub(super) fn finish(schema: &Schema, cols: Vec<Builder>) -> Result<RecordBatch, ImportError> {
    let names = schema.fields.iter().map(|f| f.name.clone()).collect();
    RecordBatch::new(names, cols.into_iter().map(Builder::finish).collect())
        .map_err(|e| ImportError::Schema(e.to_string()))
}

#[inline]
pub(super) fn is_blank(rec: &csv::ByteRecord) -> bool {
    rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty())
}

/// Parses the records of `bytes` (whose first line is `first_line`) into builders; returns
/// them, the rows, the bytes consumed and the coercions. Unless `last`, a record that reaches
/// the end of `bytes` may go on in bytes not read yet: it is left unparsed (not consumed).
pub(super) fn parse_piece(
    bytes: &[u8],
    first_line: u64,
    rows_hint: usize,
    last: bool,
    ctx: &FileCtx<'_>,
    progress: &Progress<'_>,
) -> Result<(Vec<Builder>, usize, usize, Tally), ImportError> {
    let mut tally = Tally::default();
    let mut builders: Vec<Builder> = ctx.specs.iter().map(|s| Builder::new(s.field_type, rows_hint)).collect();
    let mut rdr = csv_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let ncols = ctx.col_map.len();
    let mut rows: usize = 0;
    let mut consumed: usize = 0;
    let mut unreported: u64 = 0;
    let line_of = |rec: &csv::ByteRecord| line_at(bytes, first_line, rec.position().map_or(0, |p| p.byte()));
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => {
                consumed = bytes.len();
                break;
            }
            Err(e) => {
                let line = line_at(bytes, first_line, e.position().map_or(0, |p| p.byte()));
                return Err(ImportError::Csv { file: ctx.file.clone(), line, message: e.to_string() });
            }
        }
        let end = rdr.position().byte() as usize;
        if !last && end >= bytes.len() {
            break;
        }
        if rec.len() != ncols {
            if is_blank(&rec) {
                consumed = end;
                continue;
            }
            return Err(ImportError::FieldCount {
                file: ctx.file.clone(),
                line: line_of(&rec),
                expected: ncols,
                found: rec.len(),
            });
        }
        consumed = end;
        if ncols == 1 && is_blank(&rec) {
            continue;
        }
        let mut skipped = false;
        let (issues_before, nulled_before) = (tally.issues.len(), tally.nulled_values);
        for (i, field) in rec.iter().enumerate() {
            let Some(target) = ctx.col_map[i] else { continue };
            let spec = &ctx.specs[target];
            if let Err(message) = builders[target].push(field, spec) {
                if !(ctx.lenient && spec.field_type.is_numeric()) {
                    return Err(ImportError::Value {
                        file: ctx.file.clone(),
                        line: line_of(&rec),
                        column: spec.name.to_string(),
                        message,
                    });
                }
                // Lenient: a nullable field's value becomes null; otherwise the row is skipped.
                let issue = ValueIssue {
                    file: ctx.file.clone(),
                    line: line_of(&rec),
                    column: spec.name.to_string(),
                    value: show(field),
                    row_skipped: !spec.nullable,
                };
                if spec.nullable {
                    tally.note(issue);
                    builders[target].push_nulls(1);
                } else {
                    // Drop what this row already pushed, and its values already set to null:
                    // the row is reported once, as skipped.
                    builders.iter_mut().for_each(|b| b.truncate(rows));
                    tally.issues.truncate(issues_before);
                    tally.nulled_values = nulled_before;
                    tally.note(issue);
                    skipped = true;
                    break;
                }
            }
        }
        if skipped {
            continue;
        }
        rows += 1;
        unreported += 1;
        if unreported == PROGRESS_EVERY {
            progress.add(unreported);
            unreported = 0;
        }
    }
    progress.add(unreported);
    for &m in &ctx.missing {
        builders[m].push_nulls(rows);
    }
    Ok((builders, rows, consumed, tally))
}

/// Shows a value in an error message, truncated.
pub(super) fn show(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut out = String::from("'");
    let mut chars = s.chars();
    out.extend(chars.by_ref().take(SHOW_CHARS));
    out.push('\'');
    if chars.next().is_some() {
        out.push_str(&format!(" (truncated, {} characters in all)", s.chars().count()));
    }
    out
}

pub(super) fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

#[inline]
pub(super) fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?;
        v = if neg { v.checked_sub(d as i64)? } else { v.checked_add(d as i64)? };
    }
    Some(v)
}

pub(super) enum Builder {
    Str(StrBuilder),
    Int(Vec<i32>, ValidityBuilder),
    Long(Vec<i64>, ValidityBuilder),
    Float(Vec<f32>, ValidityBuilder),
    Double(Vec<f64>, ValidityBuilder),
    Bool(Vec<bool>, ValidityBuilder),
}

impl Builder {
    pub(super) fn new(t: FieldType, rows: usize) -> Builder {
        match t {
            FieldType::String => Builder::Str(StrBuilder::with_capacity(rows, rows * 8)),
            FieldType::Int => Builder::Int(Vec::with_capacity(rows), ValidityBuilder::default()),
            FieldType::Long => Builder::Long(Vec::with_capacity(rows), ValidityBuilder::default()),
            FieldType::Float => Builder::Float(Vec::with_capacity(rows), ValidityBuilder::default()),
            FieldType::Double => Builder::Double(Vec::with_capacity(rows), ValidityBuilder::default()),
            FieldType::Boolean => Builder::Bool(Vec::with_capacity(rows), ValidityBuilder::default()),
        }
    }

    pub(super) fn finish(self) -> Column {
        match self {
            Builder::Str(b) => Column::Str(b.finish()),
            Builder::Int(v, m) => Column::Int(v, m.finish()),
            Builder::Long(v, m) => Column::Long(v, m.finish()),
            Builder::Float(v, m) => Column::Float(v, m.finish()),
            Builder::Double(v, m) => Column::Double(v, m.finish()),
            Builder::Bool(v, m) => Column::Bool(v, m.finish()),
        }
    }

    /// Drops the rows from `len` on (a skipped row's values).
    pub(super) fn truncate(&mut self, len: usize) {
        match self {
            Builder::Str(b) => b.truncate(len),
            Builder::Int(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
            Builder::Long(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
            Builder::Float(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
            Builder::Double(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
            Builder::Bool(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
        }
    }

    pub(super) fn push_nulls(&mut self, n: usize) {
        match self {
            Builder::Str(b) => b.push_nulls(n),
            Builder::Int(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, 0);
            }
            Builder::Long(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, 0);
            }
            Builder::Float(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, 0.0);
            }
            Builder::Double(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, 0.0);
            }
            Builder::Bool(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, false);
            }
        }
    }

    /// Validates and appends one raw CSV value; the error is the message
    /// (file/line/column are added by the caller).
    #[inline]
    pub(super) fn push(&mut self, raw: &[u8], spec: &Spec<'_>) -> Result<(), String> {
        if let Builder::Str(b) = self {
            return push_str(b, raw, spec);
        }
        let v = trim_ascii(raw);
        if v.is_empty() {
            if !spec.nullable {
                return Err(format!("empty value, but the field is not nullable (type {})", spec.field_type));
            }
            self.push_nulls(1);
            return Ok(());
        }
        let bad = |what: &str| format!("{} is not a valid {what}", show(raw));
        match self {
            Builder::Str(_) => unreachable!("handled above"),
            Builder::Long(vals, m) => {
                vals.push(parse_i64(v).ok_or_else(|| bad("long"))?);
                m.push_valid();
            }
            Builder::Int(vals, m) => {
                let x = parse_i64(v).ok_or_else(|| bad("int"))?;
                vals.push(i32::try_from(x).map_err(|_| bad("int (out of range)"))?);
                m.push_valid();
            }
            Builder::Float(vals, m) => {
                let x = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<f32>().ok())
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| bad("float"))?;
                vals.push(x);
                m.push_valid();
            }
            Builder::Double(vals, m) => {
                let x = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| bad("double"))?;
                vals.push(x);
                m.push_valid();
            }
            Builder::Bool(vals, m) => {
                let x = match v {
                    b"true" => true,
                    b"false" => false,
                    _ => return Err(bad("boolean (use lower-case true or false)")),
                };
                vals.push(x);
                m.push_valid();
            }
        }
        Ok(())
    }
}

#[inline]
pub(super) fn push_str(b: &mut StrBuilder, raw: &[u8], spec: &Spec<'_>) -> Result<(), String> {
    if raw.is_empty() {
        if spec.nullable {
            b.push_null();
            return Ok(());
        }
        return Err("empty value, but the field is not nullable (type string)".to_string());
    }
    let s = std::str::from_utf8(raw).map_err(|_| format!("{} is not valid UTF-8", show(raw)))?;
    if spec.textual {
        if s.len() > MAX_TEXTUAL_CHARS {
            if let Some((cut, _)) = s.char_indices().nth(MAX_TEXTUAL_CHARS) {
                b.push(&s[..cut]);
                return Ok(());
            }
        }
        b.push(s);
        return Ok(());
    }
    if let Some(max) = spec.max_chars {
        if s.len() > max {
            let n = s.chars().count();
            if n > max {
                return Err(format!("{} is {n} characters long; the maximum is {max}", show(raw)));
            }
        }
    }
    if let Some(allowed) = spec.allowed {
        if !allowed.contains(&s) {
            return Err(format!("{} is not a valid value; expected one of {}", show(raw), allowed.join(", ")));
        }
    }
    b.push(s);
    Ok(())
}
