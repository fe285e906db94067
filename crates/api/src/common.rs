//! Shapes shared by several operations: data sources, empty responses, pagination.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::location::DataLocation;
use crate::validate::{is_valid_s3_location, ValidateAt, Violations, S3_LOCATION_PATTERN};

/// `DataSource`: where a dataset import job (or data deletion job) reads its CSV from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_location: Option<String>,
}

/// Longest `dataLocation` accepted for a local path or `file://` URL.
///
/// The model's S3Location is `max 256; (s3|http|https)://.+`. Reko also reads local files, so a
/// location that is not an `s3://`/`http(s)://` URL is taken as a `file://` URL or a plain
/// (absolute or relative) path and only checked for length (1–4096, a common PATH_MAX). URLs with
/// the model's schemes keep the model's 256 limit and pattern.
pub const MAX_LOCAL_DATA_LOCATION: usize = 4096;

impl ValidateAt for DataSource {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        let p = crate::validate::join(path, "dataLocation");
        match &self.data_location {
            // Reko needs a location to read; the model leaves the member optional.
            None => v.push_null(&p),
            Some(loc) => validate_data_location(v, &p, loc),
        }
    }
}

/// Checks a data location (see [`MAX_LOCAL_DATA_LOCATION`] for the rules).
pub fn validate_data_location(v: &mut Violations, path: &str, loc: &str) {
    // Checked as given: a location with leading whitespace is held to the local rules.
    let remote =
        !loc.starts_with(char::is_whitespace) && !matches!(DataLocation::parse(path, loc), DataLocation::Local(_));
    if remote {
        v.max_len(path, loc, 256);
        v.pattern(path, loc, is_valid_s3_location(loc), S3_LOCATION_PATTERN);
    } else {
        v.len_range(path, loc, 1, MAX_LOCAL_DATA_LOCATION);
        if loc == "file://" || loc.contains('\0') {
            v.push(path, loc, "Member must name a file or folder");
        }
    }
}

/// The body of operations without an output shape (Delete*, StopSolutionVersionCreation, ...):
/// serializes as `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyResponse {}

// ---- timestamps -------------------------------------------------------------------------------

/// A `Date` value (epoch seconds) from epoch milliseconds: the service emits millisecond
/// precision (e.g. `1698431822.857`, as the real service answers).
pub fn date_from_millis(millis: i64) -> f64 {
    millis as f64 / 1000.0
}

/// Rounds a `Date` value to millisecond precision.
pub fn round_date_to_millis(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

// ---- pagination -------------------------------------------------------------------------------

/// Page size when `maxResults` is absent (the models' maximum).
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// Number of items in a page for a (validated) `maxResults`; absent → 100, clamped to 1–100.
pub fn page_size(max_results: Option<i32>) -> usize {
    match max_results {
        None => DEFAULT_PAGE_SIZE,
        Some(n) => n.clamp(1, 100) as usize,
    }
}

const TOKEN_PREFIX: &str = "rk1.";

/// Wraps a position key (whatever the lister resumes from, e.g. the ARN of the next item) into an
/// opaque, ASCII `nextToken`: `rk1.` followed by the key's UTF-8 bytes in lower-case hex.
pub fn encode_next_token(offset_key: &str) -> String {
    format!("{TOKEN_PREFIX}{}", hex::encode(offset_key))
}

/// Reverses [`encode_next_token`]; anything else → `InvalidNextTokenException`.
pub fn decode_next_token(token: &str) -> ApiResult<String> {
    let bad = || {
        let shown: String = token.chars().take(64).collect();
        let ellipsis = if token.chars().count() > 64 { "..." } else { "" };
        ApiError::InvalidNextToken(format!("Invalid nextToken: '{shown}{ellipsis}'"))
    };
    let bytes = hex::decode(token.strip_prefix(TOKEN_PREFIX).ok_or_else(bad)?).map_err(|_| bad())?;
    String::from_utf8(bytes).map_err(|_| bad())
}

/// Cuts one page out of `items`, already in list order, where `key` gives each item's stable
/// position key (e.g. its ARN). The next token names the first item of the following page; a
/// token whose item has disappeared since (deleted) resumes at the first item whose key sorts
/// after it when `items` is sorted by key, else it is rejected as invalid.
pub fn paginate<'a, T>(
    items: &'a [T],
    key: impl Fn(&T) -> String,
    next_token: Option<&str>,
    max_results: Option<i32>,
) -> ApiResult<(Vec<&'a T>, Option<String>)> {
    let start = match next_token {
        None => 0,
        Some(token) => {
            let wanted = decode_next_token(token)?;
            match items.iter().position(|it| key(it) == wanted) {
                Some(i) => i,
                None => {
                    let sorted = items.windows(2).all(|w| key(&w[0]) <= key(&w[1]));
                    if !sorted {
                        return Err(ApiError::InvalidNextToken(format!(
                            "Invalid nextToken: '{token}' (the listing changed)"
                        )));
                    }
                    items.iter().position(|it| key(it) > wanted).unwrap_or(items.len())
                }
            }
        }
    };
    let size = page_size(max_results);
    let end = (start + size).min(items.len());
    let page: Vec<&T> = items[start..end].iter().collect();
    let next = items.get(end).map(|it| encode_next_token(&key(it)));
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(None), 100);
        assert_eq!(page_size(Some(5)), 5);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(1000)), 100);
    }

    #[test]
    fn tokens_round_trip() {
        for key in ["", "arn:aws:personalize:us-east-1:1:campaign/c", "ünï/çødé"] {
            let t = encode_next_token(key);
            assert!(t.is_ascii());
            assert_eq!(decode_next_token(&t).unwrap(), key);
        }
    }

    #[test]
    fn invalid_tokens_are_rejected() {
        for t in ["garbage", "rk1.abc", "rk1.zz", "rk1.ff"] {
            let err = decode_next_token(t).unwrap_err();
            assert_eq!(err.code(), "InvalidNextTokenException");
            assert!(err.message().contains(t), "{}", err.message());
        }
    }

    #[test]
    fn paginate_walks_all_items() {
        let items: Vec<String> = (0..7).map(|i| format!("k{i}")).collect();
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let (page, next) = paginate(&items, |s| s.clone(), token.as_deref(), Some(3)).unwrap();
            seen.extend(page.into_iter().cloned());
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, items);
        // The item a token names was deleted: resume after it.
        let t = encode_next_token("k2x");
        let (page, _) = paginate(&items, |s| s.clone(), Some(&t), Some(2)).unwrap();
        assert_eq!(page, vec![&items[3], &items[4]]);
    }

    #[test]
    fn data_locations() {
        let check = |loc: &str| {
            let mut v = Violations::new();
            DataSource { data_location: Some(loc.to_string()) }.validate_at(&mut v, "dataSource");
            v.finish()
        };
        assert!(check("s3://bucket/interactions.csv").is_ok());
        assert!(check("file:///data/interactions.csv").is_ok());
        assert!(check("/data/interactions.csv").is_ok());
        assert!(check("data/folder/").is_ok());
        assert!(check(&format!("/{}", "a".repeat(1000))).is_ok());
        let err = check(&format!("s3://{}", "a".repeat(300))).unwrap_err();
        assert!(err.message().contains("at 'dataSource.dataLocation'"));
        assert!(err.message().contains("less than or equal to 256"));
        assert!(check("s3://").is_err());
        assert!(check("").is_err());
        let mut v = Violations::new();
        DataSource::default().validate_at(&mut v, "dataSource");
        assert!(v.finish().unwrap_err().message().contains("Value null at 'dataSource.dataLocation'"));
    }

    #[test]
    fn dates_have_millisecond_precision() {
        assert_eq!(date_from_millis(1_698_431_822_857), 1_698_431_822.857);
        assert_eq!(round_date_to_millis(1_704_067_200.123_456), 1_704_067_200.123);
        assert_eq!(serde_json::to_string(&date_from_millis(1_698_431_822_857)).unwrap(), "1698431822.857");
    }

    #[test]
    fn empty_response_is_empty_object() {
        assert_eq!(serde_json::to_string(&EmptyResponse {}).unwrap(), "{}");
    }
}
