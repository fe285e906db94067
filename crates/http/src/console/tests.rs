use super::campaign::{runtime_request, TryForm};
use super::*;

#[test]
fn the_vendored_htmx_is_the_recorded_one() {
    use sha2::{Digest, Sha256};
    let recorded = include_str!("../../assets/VENDORED.md");
    let sha = hex::encode(Sha256::digest(HTMX_JS));
    assert!(recorded.contains(&sha), "assets/htmx.min.js has sha256 {sha}, not the one in VENDORED.md");
    assert!(recorded.contains(HTMX_VERSION) && HTMX_PATH.contains(HTMX_VERSION));
    assert!(std::str::from_utf8(HTMX_JS).unwrap().contains(&format!("version:\"{HTMX_VERSION}\"")));
}

#[test]
fn the_vendored_uplot_is_the_recorded_one() {
    use sha2::{Digest, Sha256};
    let recorded = include_str!("../../assets/VENDORED.md");
    for (file, bytes) in [("uPlot.iife.min.js", UPLOT_JS), ("uPlot.min.css", UPLOT_CSS)] {
        let sha = hex::encode(Sha256::digest(bytes));
        assert!(recorded.contains(&sha), "assets/{file} has sha256 {sha}, not the one in VENDORED.md");
    }
    assert!(recorded.contains(UPLOT_VERSION));
    assert!(UPLOT_JS_PATH.contains(UPLOT_VERSION) && UPLOT_CSS_PATH.contains(UPLOT_VERSION));
    assert!(std::str::from_utf8(UPLOT_JS)
        .unwrap()
        .starts_with(&format!("/*! https://github.com/leeoniya/uPlot (v{UPLOT_VERSION}) */")));
    assert!(PLOTS_PATH.starts_with("/console/assets/plots-") && PLOTS_PATH.ends_with(".js"));
}

#[test]
fn the_session_cookie_is_found_among_others() {
    let mut headers = HeaderMap::new();
    headers.insert(header::COOKIE, HeaderValue::from_static("a=1; reko_console=abc; b=2"));
    assert_eq!(session_cookie(&headers).as_deref(), Some("abc"));
    headers.insert(header::COOKIE, HeaderValue::from_static("reko_consolex=abc"));
    assert_eq!(session_cookie(&headers), None);
}

#[test]
fn the_try_it_form_becomes_the_runtime_request() {
    let form = TryForm {
        arn: "arn:c".into(),
        user_id: " u1 ".into(),
        num_results: "5".into(),
        filter_values: "GENRE=\"comedy\"\n\nbad line\n".into(),
        context: "DEVICE = phone".into(),
        item_list: "i1, i2\ni3".into(),
        ..TryForm::default()
    };
    let (path, body) = runtime_request(&form, false);
    assert_eq!(path, "/recommendations");
    assert_eq!(
        body,
        json!({"campaignArn": "arn:c", "userId": "u1", "numResults": 5,
               "filterValues": {"GENRE": "\"comedy\""}, "context": {"DEVICE": "phone"}})
    );
    let (path, body) = runtime_request(&form, true);
    assert_eq!(path, "/personalize-ranking");
    assert_eq!(body["inputList"], json!(["i1", "i2", "i3"]));
    assert!(body.get("numResults").is_none());
    let bad = TryForm { num_results: "many".into(), ..TryForm::default() };
    assert_eq!(runtime_request(&bad, false).1["numResults"], "many", "left to the service to refuse");
}

#[test]
fn times_and_durations_read_well() {
    assert_eq!(format_time(0.0), "1970-01-01 00:00:00");
    assert_eq!(format_time(1_700_000_000.5), "2023-11-14 22:13:20");
    assert_eq!(format_duration(59.4), "59 s");
    assert_eq!(format_duration(3725.0), "1 h 2 min");
}
