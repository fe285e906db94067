//! Server-side validation of request shapes: the length, pattern and range
//! constraints of Personalize's API reference, which SDKs do not check (docs/security.md,
//! "Hostile input and overload").
//!
//! The SDKs check almost nothing (botocore: required members, JSON types and `min`), so every
//! `max`, `pattern` and `enum` of the models is enforced here. Violations are collected and reported
//! in one `InvalidInputException` whose message follows the AWS wording:
//!
//! ```text
//! 1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\-_]*
//! ```
//!
//! Nested members use dotted paths, list elements their 1-based index
//! (`solutionConfig.eventsConfig.eventParametersList.1.weight`), map values their key
//! (`context.DEVICE`).
//!
//! All patterns are matched against the whole string (as the AWS validators do) and are implemented
//! by hand: no regex engine.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// A request shape that can check its own constraints.
pub trait Validate {
    fn validate(&self) -> ApiResult<()>;
}

/// A nested structure: validates itself into a shared collector under a member path.
pub trait ValidateAt {
    fn validate_at(&self, v: &mut Violations, path: &str);
}

/// Parses a request body (an empty body counts as `{}`) strictly, and validates it.
///
/// The body must be one JSON object with no member twice at any depth, no member the shape does
/// not have, and numbers a double can hold: what the handler (and the authorization before it)
/// reads is exactly what was sent. JSON errors (a missing required member, a wrong JSON type,
/// malformed JSON) become `InvalidInputException` with a message naming the member.
pub fn parse_request<T: DeserializeOwned + Validate>(body: &[u8]) -> ApiResult<T> {
    let body: &[u8] = if body.iter().all(|b| b.is_ascii_whitespace()) { b"{}" } else { body };
    let invalid = |e: serde_json::Error| ApiError::invalid(format!("Invalid request body: {e}"));
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid("Invalid request body: the request must be a JSON object."));
    }
    serde::de::DeserializeSeed::deserialize(StrictJson, &mut serde_json::Deserializer::from_slice(body))
        .map_err(invalid)?;
    let mut unknown = Vec::new();
    let mut decoder = serde_json::Deserializer::from_slice(body);
    let request: T =
        serde_ignored::deserialize(&mut decoder, |path| unknown.push(path.to_string())).map_err(invalid)?;
    decoder.end().map_err(invalid)?;
    if let Some(path) = unknown.first() {
        return Err(ApiError::invalid(format!(
            "Invalid request body: unknown member '{}'; this operation has no such member.",
            echo(path)
        )));
    }
    request.validate()?;
    Ok(request)
}

/// Walks a JSON document and refuses a member that appears twice in one object (serde keeps
/// the last, a proxy or another reader may keep the first). Depth, number range and string
/// escapes are checked by serde_json itself on the way.
struct StrictJson;

impl<'de> serde::de::DeserializeSeed<'de> for StrictJson {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictJson {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(E::custom("a number out of range"))
        }
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(StrictJson)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate member '{}'", echo(&key))));
            }
            map.next_value_seed(StrictJson)?;
        }
        Ok(())
    }
}

/// Joins a parent path and a member name (`""` + `name` = `name`).
pub fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_string()
    } else {
        format!("{path}.{member}")
    }
}

/// Longest echoed value in a message; longer values are cut and marked with `...`.
pub const MAX_ECHOED_VALUE: usize = 256;

fn echo(value: &str) -> String {
    if value.chars().count() > MAX_ECHOED_VALUE {
        let cut: String = value.chars().take(MAX_ECHOED_VALUE).collect();
        format!("{cut}...")
    } else {
        value.to_string()
    }
}

fn len(s: &str) -> usize {
    s.chars().count()
}

/// Formats a float the way it was most likely sent (`1` rather than `1.0` for integral values).
fn num(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

// ---- patterns and enums ---------------------------------------------------------------------

pub const NAME_PATTERN: &str = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*";
pub const ARN_PATTERN: &str = r"arn:([a-z\d-]+):personalize:.*:.*:.+";
pub const ROLE_ARN_PATTERN: &str = r"arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+";
pub const KMS_KEY_ARN_PATTERN: &str = r"arn:aws.*:kms:.*:[0-9]{12}:key/.*";
pub const S3_LOCATION_PATTERN: &str = r"(s3|http|https)://.+";
pub const SCHEDULING_EXPRESSION_PATTERN: &str = r"rate\(\d+ days?\)";
pub const TAG_PATTERN: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";
pub const COLUMN_NAME_PATTERN: &str = r"[A-Za-z_][A-Za-z\d_]*";
pub const DATASET_TYPE_PATTERN: &str = r"^[A-Za-z_]+$";
pub const ATTRIBUTE_NAME_PATTERN: &str = r"[A-Za-z\d_]+";
pub const FILTER_ATTRIBUTE_NAME_PATTERN: &str = r"[A-Za-z0-9_]+";
pub const NEXT_TOKEN_PATTERN: &str = r"\p{ASCII}{0,1500}";

pub const DOMAINS: &[&str] = &["ECOMMERCE", "VIDEO_ON_DEMAND"];
pub const IMPORT_MODES: &[&str] = &["FULL", "INCREMENTAL"];
pub const TRAINING_MODES: &[&str] = &["FULL", "UPDATE", "AUTOTRAIN"];
pub const RECIPE_PROVIDERS: &[&str] = &["SERVICE"];
pub const OBJECTIVE_SENSITIVITIES: &[&str] = &["LOW", "MEDIUM", "HIGH", "OFF"];
pub const RANKING_INFLUENCE_TYPES: &[&str] = &["POPULARITY", "FRESHNESS"];

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `^[a-zA-Z0-9][a-zA-Z0-9\-_]*` over the whole string.
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_alnum(c) => chars.all(|c| is_alnum(c) || c == '-' || c == '_'),
        _ => false,
    }
}

/// Splits `arn:<partition>:` off; the partition must match `[a-z\d-]+`.
fn strip_arn_partition(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("arn:")?;
    let colon = rest.find(':')?;
    let partition = &rest[..colon];
    if partition.is_empty() || !partition.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return None;
    }
    Some(&rest[colon + 1..])
}

/// `arn:([a-z\d-]+):personalize:.*:.*:.+` over the whole string (`.` excludes line breaks).
pub fn is_valid_arn(s: &str) -> bool {
    if s.contains(['\n', '\r']) {
        return false;
    }
    let Some(rest) = strip_arn_partition(s) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix("personalize:") else {
        return false;
    };
    // `.*:.*:.+`: two more colons with something after the second one chosen.
    let Some(first) = rest.find(':') else {
        return false;
    };
    let after_first = &rest[first + 1..];
    match after_first.find(':') {
        // The remainder after the first colon following `first` includes every later colon, so
        // it is non-empty unless that colon is the last character (then no other split works).
        Some(second) => second + 1 < after_first.len(),
        None => false,
    }
}

/// `arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+` over the whole string.
pub fn is_valid_role_arn(s: &str) -> bool {
    let Some(rest) = strip_arn_partition(s) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix("iam::") else {
        return false;
    };
    if rest.len() < 13 || !rest.is_char_boundary(12) {
        return false;
    }
    let (account, rest) = rest.split_at(12);
    if !account.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let Some(rest) = rest.strip_prefix(":role") else {
        return false;
    };
    // `/?` followed by `[...]+`; the class itself contains `/`, so `role/x`, `rolex`, `role//x`
    // all match, and `role/` alone matches too (the `/` is taken by the class).
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c))
}

/// `arn:aws.*:kms:.*:[0-9]{12}:key/.*` over the whole string.
pub fn is_valid_kms_key_arn(s: &str) -> bool {
    if s.contains(['\n', '\r']) {
        return false;
    }
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    // Some `:kms:` followed (after any region) by `:<12 digits>:key/`.
    let Some(kms) = rest.find(":kms:") else {
        return false;
    };
    let after_kms = &rest[kms + 5..];
    // `.*:` before the account: the account colon may be the very first character after `:kms:`
    // only if the region is empty, which `.*` allows.
    let bytes = after_kms.as_bytes();
    let mut start = 0;
    while let Some(pos) = after_kms[start..].find(":key/") {
        let key_pos = start + pos;
        if key_pos >= 13 {
            let account = &bytes[key_pos - 12..key_pos];
            if account.iter().all(u8::is_ascii_digit) && bytes[key_pos - 13] == b':' {
                return true;
            }
        }
        start = key_pos + 1;
    }
    false
}

/// `(s3|http|https)://.+` over the whole string.
pub fn is_valid_s3_location(s: &str) -> bool {
    ["s3://", "http://", "https://"]
        .iter()
        .any(|p| s.strip_prefix(p).is_some_and(|r| !r.is_empty() && !r.contains(['\n', '\r'])))
}

/// `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$` (letters, separators, numbers, and `_.:/=+-@`).
pub fn is_valid_tag_text(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphabetic() || c.is_numeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
    })
}

/// `[A-Za-z_][A-Za-z\d_]*`.
pub fn is_valid_column_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => chars.all(|c| c.is_ascii_alphanumeric() || c == '_'),
        _ => false,
    }
}

/// `^[A-Za-z_]+$`.
pub fn is_valid_dataset_type(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
}

/// `[A-Za-z\d_]+` (also FilterAttributeName's `[A-Za-z0-9_]+`).
pub fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `rate\(\d+ days?\)`; returns the number of days.
pub fn parse_scheduling_expression(s: &str) -> Option<u64> {
    let inner = s.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.split_once(' ')?;
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) || !(unit == "day" || unit == "days") {
        return None;
    }
    Some(n.parse().unwrap_or(u64::MAX))
}

// ---- the collector ----------------------------------------------------------------------------

/// Collects constraint violations; [`Violations::finish`] turns them into one error.
#[derive(Debug, Default)]
pub struct Violations {
    items: Vec<String>,
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Records `Value '<value>' at '<path>' failed to satisfy constraint: <constraint>`.
    pub fn push(&mut self, path: &str, value: &str, constraint: &str) {
        self.items.push(format!("Value '{}' at '{path}' failed to satisfy constraint: {constraint}", echo(value)));
    }

    /// Records a violation about a collection, echoing its size instead of its contents.
    pub fn push_collection(&mut self, path: &str, size: usize, constraint: &str) {
        self.items.push(format!("Value with {size} elements at '{path}' failed to satisfy constraint: {constraint}"));
    }

    /// `Value null at '<path>' failed to satisfy constraint: Member must not be null`.
    pub fn push_null(&mut self, path: &str) {
        self.items.push(format!("Value null at '{path}' failed to satisfy constraint: Member must not be null"));
    }

    /// `1 validation error detected: ...` / `N validation errors detected: a; b`.
    pub fn finish(self) -> ApiResult<()> {
        match self.items.len() {
            0 => Ok(()),
            1 => Err(ApiError::invalid(format!("1 validation error detected: {}", self.items[0]))),
            n => Err(ApiError::invalid(format!("{n} validation errors detected: {}", self.items.join("; ")))),
        }
    }

    // -- primitive checks --

    pub fn min_len(&mut self, path: &str, value: &str, min: usize) {
        if len(value) < min {
            self.push(path, value, &format!("Member must have length greater than or equal to {min}"));
        }
    }

    pub fn max_len(&mut self, path: &str, value: &str, max: usize) {
        if len(value) > max {
            self.push(path, value, &format!("Member must have length less than or equal to {max}"));
        }
    }

    pub fn len_range(&mut self, path: &str, value: &str, min: usize, max: usize) {
        self.min_len(path, value, min);
        self.max_len(path, value, max);
    }

    pub fn opt_max_len(&mut self, path: &str, value: Option<&String>, max: usize) {
        if let Some(value) = value {
            self.max_len(path, value, max);
        }
    }

    pub fn pattern(&mut self, path: &str, value: &str, ok: bool, pattern: &str) {
        if !ok {
            self.push(path, value, &format!("Member must satisfy regular expression pattern: {pattern}"));
        }
    }

    pub fn one_of(&mut self, path: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.push(path, value, &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")));
        }
    }

    pub fn opt_one_of(&mut self, path: &str, value: Option<&String>, allowed: &[&str]) {
        if let Some(value) = value {
            self.one_of(path, value, allowed);
        }
    }

    pub fn int_range(&mut self, path: &str, value: i64, min: Option<i64>, max: Option<i64>) {
        if let Some(min) = min {
            if value < min {
                self.push(path, &value.to_string(), &format!("Member must have value greater than or equal to {min}"));
            }
        }
        if let Some(max) = max {
            if value > max {
                self.push(path, &value.to_string(), &format!("Member must have value less than or equal to {max}"));
            }
        }
    }

    pub fn float_range(&mut self, path: &str, value: f64, min: Option<f64>, max: Option<f64>) {
        if !value.is_finite() {
            self.push(path, &num(value), "Member must be a finite number");
            return;
        }
        if let Some(min) = min {
            if value < min {
                self.push(path, &num(value), &format!("Member must have value greater than or equal to {}", num(min)));
            }
        }
        if let Some(max) = max {
            if value > max {
                self.push(path, &num(value), &format!("Member must have value less than or equal to {}", num(max)));
            }
        }
    }

    /// Upper bound on the number of elements of a list or entries of a map.
    pub fn max_count(&mut self, path: &str, count: usize, max: usize) {
        if count > max {
            self.push_collection(path, count, &format!("Member must have length less than or equal to {max}"));
        }
    }

    // -- shape checks --

    /// Name: length 1–63, `^[a-zA-Z0-9][a-zA-Z0-9\-_]*`.
    pub fn name(&mut self, path: &str, value: &str) {
        self.len_range(path, value, 1, 63);
        if !value.is_empty() {
            self.pattern(path, value, is_valid_name(value), NAME_PATTERN);
        }
    }

    pub fn opt_name(&mut self, path: &str, value: Option<&String>) {
        if let Some(value) = value {
            self.name(path, value);
        }
    }

    /// Arn: max 256, `arn:([a-z\d-]+):personalize:.*:.*:.+`.
    pub fn arn(&mut self, path: &str, value: &str) {
        self.max_len(path, value, 256);
        self.pattern(path, value, is_valid_arn(value), ARN_PATTERN);
    }

    pub fn opt_arn(&mut self, path: &str, value: Option<&String>) {
        if let Some(value) = value {
            self.arn(path, value);
        }
    }

    /// RoleArn: max 256, IAM role pattern.
    pub fn role_arn(&mut self, path: &str, value: &str) {
        self.max_len(path, value, 256);
        self.pattern(path, value, is_valid_role_arn(value), ROLE_ARN_PATTERN);
    }

    pub fn opt_role_arn(&mut self, path: &str, value: Option<&String>) {
        if let Some(value) = value {
            self.role_arn(path, value);
        }
    }

    /// KmsKeyArn: max 2048, KMS key pattern.
    pub fn kms_key_arn(&mut self, path: &str, value: &str) {
        self.max_len(path, value, 2048);
        self.pattern(path, value, is_valid_kms_key_arn(value), KMS_KEY_ARN_PATTERN);
    }

    pub fn domain(&mut self, path: &str, value: Option<&String>) {
        self.opt_one_of(path, value, DOMAINS);
    }

    /// MaxResults: 1–100.
    pub fn max_results(&mut self, value: Option<i32>) {
        if let Some(n) = value {
            self.int_range("maxResults", n.into(), Some(1), Some(100));
        }
    }

    /// NextToken: max 1500, ASCII only.
    pub fn next_token(&mut self, value: Option<&String>) {
        if let Some(token) = value {
            self.max_len("nextToken", token, 1500);
            self.pattern("nextToken", token, token.is_ascii(), NEXT_TOKEN_PATTERN);
        }
    }

    /// TagKey: 1–128, tag pattern.
    pub fn tag_key(&mut self, path: &str, key: &str) {
        self.len_range(path, key, 1, 128);
        self.pattern(path, key, is_valid_tag_text(key), TAG_PATTERN);
    }

    /// A `map<ParameterName, ParameterValue>`: ≤`max_entries`, keys ≤256, values ≤1000.
    pub fn parameter_map(&mut self, path: &str, map: Option<&BTreeMap<String, String>>, max_entries: usize) {
        let Some(map) = map else { return };
        self.max_count(path, map.len(), max_entries);
        for (key, value) in map {
            self.map_key(path, key, key.chars().count() <= 256, "Member must have length less than or equal to 256");
            self.max_len(&join(path, key), value, 1000);
        }
    }

    /// A violation of a map key: the key is echoed and the constraint is wrapped as AWS does
    /// (`Map keys must satisfy constraint: [...]`).
    pub fn map_key(&mut self, path: &str, key: &str, ok: bool, constraint: &str) {
        if !ok {
            self.push(path, key, &format!("Map keys must satisfy constraint: [{constraint}]"));
        }
    }

    /// SchedulingExpression: 1–16 chars, `rate\(\d+ days?\)`, N in 1–30.
    pub fn scheduling_expression(&mut self, path: &str, value: &str) {
        self.len_range(path, value, 1, 16);
        match parse_scheduling_expression(value) {
            None => self.pattern(path, value, false, SCHEDULING_EXPRESSION_PATTERN),
            Some(days) if !(1..=30).contains(&days) => {
                self.push(path, value, "Member must specify between 1 and 30 days")
            }
            Some(_) => {}
        }
    }

    /// Validates a nested structure if present.
    pub fn nested<T: ValidateAt>(&mut self, path: &str, value: Option<&T>) {
        if let Some(value) = value {
            value.validate_at(self, path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DescribeDatasetGroupRequest, GetRecommendationsRequest};

    fn refused<T: DeserializeOwned + Validate + std::fmt::Debug>(body: &str) -> String {
        match parse_request::<T>(body.as_bytes()) {
            Err(ApiError::InvalidInput(m)) => m,
            other => panic!("{body} was not refused: {other:?}"),
        }
    }

    const B: &str = "arn:aws:personalize:us-east-1:123456789012:dataset-group/b";

    #[test]
    fn bodies_are_decoded_strictly() {
        type Describe = DescribeDatasetGroupRequest;
        assert_eq!(
            parse_request::<Describe>(format!(r#"{{"datasetGroupArn":"{B}"}}"#).as_bytes()).unwrap().dataset_group_arn,
            B
        );
        // Not an object: an array of the members in order, a string, a number.
        refused::<Describe>(&format!(r#"["{B}"]"#));
        refused::<Describe>(&format!(r#"  "{B}""#));
        refused::<Describe>("1");
        // Unknown members, at the top and nested, named in the error.
        assert!(refused::<Describe>(&format!(r#"{{"datasetGroupArn":"{B}","x":1}}"#)).contains("'x'"));
        let nested = r#"{"campaignArn":"arn:aws:personalize:us-east-1:123456789012:campaign/c","userId":"u","promotions":[{"name":"p","percentPromotedItems":10,"filterArn":"arn:aws:personalize:us-east-1:123456789012:filter/f","evil":1}]}"#;
        assert!(refused::<GetRecommendationsRequest>(nested).contains("evil"));
        // Members twice (the last would win in serde, the first in another reader).
        assert!(refused::<Describe>(&format!(r#"{{"datasetGroupArn":"{B}","datasetGroupArn":"{B}"}}"#))
            .contains("duplicate"));
        // Numbers out of range, lone surrogates, nesting beyond the reader's limit, trailing data.
        refused::<Describe>(&format!(r#"{{"datasetGroupArn":"{B}","x":1e400}}"#));
        refused::<Describe>(&format!(r#"{{"datasetGroupArn":"{B}","x":"\udc00"}}"#));
        refused::<Describe>(&format!(r#"{{"datasetGroupArn":"{B}","x":{}1{}}}"#, "[".repeat(200), "]".repeat(200)));
        refused::<Describe>(&format!(r#"{{"datasetGroupArn":"{B}"}} {{}}"#));
    }

    #[test]
    fn name_pattern() {
        assert!(is_valid_name("a"));
        assert!(is_valid_name("my-group_1"));
        assert!(is_valid_name("0abc"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("-abc"));
        assert!(!is_valid_name("bad name!"));
        assert!(!is_valid_name("a.b"));
    }

    #[test]
    fn arn_pattern() {
        assert!(is_valid_arn("arn:aws:personalize:us-east-1:123456789012:dataset-group/x"));
        assert!(is_valid_arn("arn:aws:personalize:::recipe/aws-sims"));
        assert!(is_valid_arn("arn:aws-cn:personalize:cn-north-1:1:solution/s/0b76212f"));
        assert!(is_valid_arn("arn:aws:personalize:r:a:solution/s/$LATEST"));
        assert!(!is_valid_arn("arn:aws:personalize:::"));
        assert!(is_valid_arn("arn:aws:personalize::::"));
        assert!(!is_valid_arn("arn:aws:personalize::"));
        assert!(!is_valid_arn("notanarn"));
        assert!(!is_valid_arn("arn:aws:s3:::bucket/x"));
        assert!(!is_valid_arn("arn:AWS:personalize:::recipe/x"));
        assert!(!is_valid_arn("arn::personalize:::recipe/x"));
        assert!(!is_valid_arn("xarn:aws:personalize:::recipe/x"));
    }

    #[test]
    fn role_and_kms_patterns() {
        assert!(is_valid_role_arn("arn:aws:iam::123456789012:role/PersonalizeRole"));
        assert!(is_valid_role_arn("arn:aws:iam::123456789012:role/path/to/R-1"));
        assert!(!is_valid_role_arn("arn:aws:iam::12345678901:role/R"));
        assert!(!is_valid_role_arn("arn:aws:iam::123456789012:user/R"));
        assert!(!is_valid_role_arn("arn:aws:iam::123456789012:role"));
        assert!(!is_valid_role_arn("arn:aws:iam::123456789012:role/bad role"));
        assert!(is_valid_kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(is_valid_kms_key_arn("arn:aws-us-gov:kms::123456789012:key/"));
        assert!(!is_valid_kms_key_arn("arn:aws:kms:us-east-1:12345:key/x"));
        assert!(!is_valid_kms_key_arn("arn:aws:iam::123456789012:key/x"));
    }

    #[test]
    fn other_patterns() {
        assert!(is_valid_s3_location("s3://bucket/key.csv"));
        assert!(is_valid_s3_location("https://host/x"));
        assert!(!is_valid_s3_location("s3://"));
        assert!(!is_valid_s3_location("ftp://x"));
        assert!(is_valid_tag_text("env: prod/eu=1+2@x_y.z-"));
        assert!(is_valid_tag_text("Größe 5"));
        assert!(!is_valid_tag_text("a*b"));
        assert!(is_valid_column_name("_col1"));
        assert!(!is_valid_column_name("1col"));
        assert!(is_valid_dataset_type("Action_Interactions"));
        assert!(!is_valid_dataset_type("ITEMS2"));
        assert_eq!(parse_scheduling_expression("rate(7 days)"), Some(7));
        assert_eq!(parse_scheduling_expression("rate(1 day)"), Some(1));
        assert_eq!(parse_scheduling_expression("rate(7 hours)"), None);
        assert_eq!(parse_scheduling_expression("rate( days)"), None);
    }

    #[test]
    fn messages_follow_aws_wording() {
        let mut v = Violations::new();
        v.name("name", "bad name!");
        let err = v.finish().unwrap_err();
        assert_eq!(
            err.message(),
            "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*"
        );
        assert_eq!(err.code(), "InvalidInputException");

        let mut v = Violations::new();
        v.max_results(Some(1000));
        v.max_results(Some(0));
        let msg = v.finish().unwrap_err().message();
        assert!(msg.starts_with("2 validation errors detected: "), "{msg}");
        assert!(msg.contains(
            "Value '1000' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"
        ));
        assert!(msg.contains(
            "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ));
    }

    #[test]
    fn long_values_are_truncated_in_messages() {
        let mut v = Violations::new();
        let long = "a".repeat(1000);
        v.name("name", &long);
        let msg = v.finish().unwrap_err().message();
        assert!(msg.contains(&format!("'{}...'", "a".repeat(256))));
        assert!(!msg.contains(&"a".repeat(257)));
        assert!(msg.contains("Member must have length less than or equal to 63"));
    }

    #[test]
    fn tags_and_maps() {
        use crate::tags::Tag;

        let mut v = Violations::new();
        let tags = vec![
            Tag { tag_key: String::new(), tag_value: "ok".into() },
            Tag { tag_key: "k".into(), tag_value: "bad*".into() },
        ];
        v.tags("tags", Some(&tags));
        let msg = v.finish().unwrap_err().message();
        assert!(msg.contains("at 'tags.1.tagKey'"), "{msg}");
        assert!(msg.contains("Value 'bad*' at 'tags.2.tagValue'"), "{msg}");

        let mut v = Violations::new();
        let many: Vec<Tag> = (0..201).map(|i| Tag { tag_key: format!("k{i}"), tag_value: String::new() }).collect();
        v.tags("tags", Some(&many));
        let msg = v.finish().unwrap_err().message();
        assert!(msg.contains("Value with 201 elements at 'tags'"), "{msg}");

        let mut v = Violations::new();
        let mut m = BTreeMap::new();
        m.insert("k".to_string(), "x".repeat(1001));
        v.parameter_map("p", Some(&m), 100);
        assert!(v.finish().unwrap_err().message().contains("at 'p.k' failed"));
    }

    #[test]
    fn scheduling_expression_bounds() {
        for (expr, ok) in [
            ("rate(1 day)", true),
            ("rate(30 days)", true),
            ("rate(0 days)", false),
            ("rate(31 days)", false),
            ("rate(7 weeks)", false),
        ] {
            let mut v = Violations::new();
            v.scheduling_expression("s", expr);
            assert_eq!(v.finish().is_ok(), ok, "{expr}");
        }
    }
}
