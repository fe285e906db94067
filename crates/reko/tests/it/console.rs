//! The web console against a real `reko serve`: login (a wrong secret gets no cookie), pages that
//! show the dataset groups, solutions and campaigns the test made, the try-it form answering with
//! the campaign's items through the real runtime call, CSRF tokens, a scoped key seeing only its
//! dataset group, the login redirect without a session, `--no-console`, and that the console's
//! cookie never stands in for a SigV4 signature on the API.

use std::io::{Read, Write};

use crate::common::*;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const SCOPED_ID: &str = "AKIDCONSOLESCOPED";
const SCOPED_SECRET: &str = "console-scoped-secret-0001";

/// One answer: status, head (lower-cased header names kept as sent), body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    head: String,
    pub(crate) body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// A plain HTTP request (no signature), with the console cookie if given and a form body.
pub(crate) fn send(url: &str, method: &str, path: &str, cookie: Option<&str>, form: Option<&[(&str, &str)]>) -> Answer {
    let authority = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let body = form.map(encode_form).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if form.is_some() {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8_lossy(&out[..end]).to_string();
    let mut payload = out[end + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        payload = moto::dechunk(&payload);
    }
    Answer { status: head[9..12].parse().unwrap(), head, body: String::from_utf8_lossy(&payload).to_string() }
}

fn encode_form(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

pub(crate) fn get(url: &str, path: &str, cookie: &str) -> Answer {
    send(url, "GET", path, Some(cookie), None)
}

/// Logs in; the `name=value` of the session cookie.
pub(crate) fn login(url: &str, key: (&str, &str)) -> String {
    let answer =
        send(url, "POST", "/console/login", None, Some(&[("access_key_id", key.0), ("secret_access_key", key.1)]));
    assert_eq!(answer.status, 303, "login of {}: {}", key.0, answer.body);
    assert_eq!(answer.header("location").as_deref(), Some("/console"));
    let cookie = answer.header("set-cookie").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "not behind TLS: {cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    assert_eq!(pair.len(), "reko_console=".len() + 64, "256 random bits: {pair}");
    pair
}

/// The CSRF token in a page's forms.
fn csrf(page: &str) -> String {
    let start = page.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    page[start..start + 64].to_string()
}

pub(crate) fn q(arn: &str) -> String {
    arn.replace(':', "%3A").replace('/', "%2F")
}

async fn group_with_campaign(
    c: &aws_sdk_personalize::Client,
    dir: &std::path::Path,
    name: &str,
    schema: &str,
) -> String {
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for u in 0..50 {
        for k in 0..25 {
            csv.push_str(&format!(
                "u{u},{name}-i{},click,{}\n",
                (u * 7 + k * k) % 30,
                1_700_000_000 + (u * 25 + k) * 60
            ));
        }
    }
    let file = dir.join(format!("{name}.csv"));
    std::fs::write(&file, &csv).unwrap();
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let dataset = create_dataset(c, &dsg, name, &format!("{name}-interactions"), "Interactions", schema).await;
    let job = import(c, &format!("{name}-import"), &dataset, &file_url(&file), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let solution = create_solution(c, &dsg, &format!("{name}-pop"), "aws-popularity-count").await;
    let version = train(c, &solution).await;
    deploy(c, &format!("{name}-campaign"), &version).await
}

#[test]
fn the_console_logs_in_shows_real_data_answers_the_try_it_form_and_keeps_scopes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let config = scoped_key_config(&dir, SCOPED_ID, SCOPED_SECRET, &arn("dataset-group", "console-a"));
    let server = Server::start_with(&dir.join("data"), &["--config", config.to_str().unwrap()]);
    let url = server.url.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (camp_a, camp_b, expected) = runtime.block_on(async {
        let c = &server.control;
        let schema = create_schema(c, "console-interactions", SCHEMA).await;
        let camp_a = group_with_campaign(c, &dir, "console-a", &schema).await;
        let camp_b = group_with_campaign(c, &dir, "console-b", &schema).await;
        let answer = ok(
            server.runtime.get_recommendations().campaign_arn(&camp_a).user_id("u1").num_results(5).send().await,
            "GetRecommendations",
        );
        (camp_a, camp_b, ids(answer.item_list()))
    });
    assert_eq!(expected.len(), 5);
    let (group_a, group_b) = (arn("dataset-group", "console-a"), arn("dataset-group", "console-b"));

    // Without a session, every page redirects to the login page, and the try-it form too.
    let pages = [
        "/console".to_string(),
        "/console/jobs".into(),
        "/console/keys".into(),
        format!("/console/group?arn={}", q(&group_a)),
        format!("/console/campaign?arn={}", q(&camp_a)),
        format!("/console/solution?arn={}", q(&arn("solution", "console-a-pop"))),
        format!("/console/events?arn={}", q(&group_a)),
        format!("/console/events/tail?arn={}", q(&group_a)),
        format!("/console/filters?arn={}", q(&group_a)),
        "/console/config".into(),
    ];
    for page in &pages {
        let answer = send(&url, "GET", page, None, None);
        assert_eq!((answer.status, answer.header("location")), (303, Some("/console/login".into())), "{page}");
        let forged = send(&url, "GET", page, Some("reko_console=00ff"), None);
        assert_eq!(forged.status, 303, "{page} with an unknown session");
    }
    let anonymous = send(&url, "POST", "/console/campaign/try", None, Some(&[("arn", &camp_a), ("user_id", "u1")]));
    assert_eq!(anonymous.status, 303);
    assert!(!anonymous.body.contains(&expected[0]));
    let login_page = send(&url, "GET", "/console/login", None, None);
    assert_eq!(login_page.status, 200);
    assert!(login_page.body.contains("secret_access_key"));

    // A wrong secret, an unknown key: no cookie.
    for (id, secret) in [(ACCESS_KEY_ID, "wrong-secret"), (ACCESS_KEY_ID, ""), ("AKIDNOBODY", SECRET_ACCESS_KEY)] {
        let answer =
            send(&url, "POST", "/console/login", None, Some(&[("access_key_id", id), ("secret_access_key", secret)]));
        assert_eq!(answer.status, 401, "{id}/{secret}: {}", answer.body);
        assert!(answer.header("set-cookie").is_none());
        assert!(answer.body.contains("wrong secret"), "{}", answer.body);
    }

    // The root key sees everything.
    let root = login(&url, (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    let overview = get(&url, "/console", &root);
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert!(overview.header("content-type").unwrap().starts_with("text/html"));
    assert!(overview.header("content-security-policy").is_some());
    for name in ["console-a", "console-b", "console-a-campaign", "console-b-campaign", "minProvisionedTPS"] {
        assert!(overview.body.contains(name), "{name} missing from the overview:\n{}", overview.body);
    }
    let token = csrf(&overview.body);

    let jobs = get(&url, "/console/jobs", &root);
    assert_eq!(jobs.status, 200);
    for text in ["succeeded", &camp_a, &group_b, "console-a-import"] {
        assert!(jobs.body.contains(text), "{text} missing from the jobs page:\n{}", jobs.body);
    }

    let group = get(&url, &format!("/console/group?arn={}", q(&group_a)), &root);
    assert_eq!(group.status, 200, "{}", group.body);
    for text in [
        "console-a-interactions",
        "USER_ID",
        "TIMESTAMP",
        "console-a-import",
        "1250 rows imported",
        "console-a-pop",
        "aws-popularity-count",
        "ACTIVE",
        "console-a-campaign",
    ] {
        assert!(group.body.contains(text), "{text} missing from the group page:\n{}", group.body);
    }
    assert!(!group.body.contains("console-b"), "another group's resources on the group page");
    // The data insights of its Interactions dataset, as uPlot's data: interactions per day (UTC)
    // and per item, most popular first (30 items), drawn by the console's own script.
    assert!(
        group.body.contains(r#"data-plot="per-day" data-series="[[1699920000,1700006400],[107,1143]]""#),
        "{}",
        group.body
    );
    assert!(group.body.contains("1250 interactions over 2 days, 30 items"), "{}", group.body);
    assert!(group.body.contains(r#"data-plot="long-tail" data-series="[[1,2,"#));
    for asset in ["/console/assets/uPlot-1.6.32.iife.min.js", "/console/assets/uPlot-1.6.32.min.css"] {
        assert!(group.body.contains(asset), "{asset}");
        let answer = send(&url, "GET", asset, None, None);
        assert_eq!(answer.status, 200, "{asset}");
        assert!(answer.header("cache-control").unwrap().contains("max-age=31536000"));
    }
    let plots = group.body.split("/console/assets/plots-").nth(1).and_then(|s| s.split('"').next()).expect("plots.js");
    let plots = send(&url, "GET", &format!("/console/assets/plots-{plots}"), None, None);
    assert!(plots.status == 200 && plots.body.contains("new uPlot("), "{}", plots.body);
    assert!(!group.body.contains("<script>"), "no inline script");
    // The offline metrics of the trained version, as GetSolutionMetrics reports them.
    let metrics = runtime.block_on(async {
        let c = &server.control;
        let versions = ok(
            c.list_solution_versions().solution_arn(arn("solution", "console-a-pop")).send().await,
            "ListSolutionVersions",
        );
        let version = versions.solution_versions()[0].solution_version_arn().unwrap().to_string();
        ok(c.get_solution_metrics().solution_version_arn(version).send().await, "GetSolutionMetrics")
    });
    let metrics = metrics.metrics().expect("metrics");
    assert!(!metrics.is_empty());
    for (name, value) in metrics {
        assert!(group.body.contains(&format!("<th>{name}</th>")), "{name} column missing:\n{}", group.body);
        assert!(group.body.contains(&format!("{value:.4}")), "{name} = {value} missing:\n{}", group.body);
    }

    let campaign = get(&url, &format!("/console/campaign?arn={}", q(&camp_a)), &root);
    assert_eq!(campaign.status, 200, "{}", campaign.body);
    assert!(
        campaign.body.contains("hx-post=\"/console/campaign/try\"") && campaign.body.contains("console-a-campaign")
    );
    assert!(campaign.body.contains("/console/assets/htmx-2.0.11.min.js"));

    // The try-it form answers with the campaign's items, as GetRecommendations does.
    let try_it =
        |cookie: &str, fields: &[(&str, &str)]| send(&url, "POST", "/console/campaign/try", Some(cookie), Some(fields));
    let answer = try_it(&root, &[("csrf", &token), ("arn", &camp_a), ("user_id", "u1"), ("num_results", "5")]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mut at = 0;
    for item in &expected {
        let found = answer.body[at..]
            .find(&format!("<td>{item}</td>"))
            .unwrap_or_else(|| panic!("{item} in order:\n{}", answer.body));
        at += found + 1;
    }
    assert!(answer.body.contains("recommendationId"));
    // A refused call shows the service's error verbatim.
    let refused = try_it(&root, &[("csrf", &token), ("arn", &camp_a), ("user_id", "u1"), ("num_results", "1000")]);
    assert_eq!(refused.status, 200);
    assert!(refused.body.contains("InvalidInputException") && refused.body.contains("numResults"), "{}", refused.body);
    assert!(!refused.body.contains(&format!("<td>{}</td>", expected[0])));

    // What the caller typed comes back escaped, never as markup.
    let hostile = "<script>alert(1)</script>";
    let escaped = try_it(&root, &[("csrf", &token), ("arn", &camp_a), ("user_id", hostile), ("num_results", hostile)]);
    assert!(escaped.body.contains("Exception"), "{}", escaped.body);
    assert!(
        !escaped.body.contains("<script>") && escaped.body.contains("&#60;script&#62;alert(1)"),
        "{}",
        escaped.body
    );

    // State-changing forms need the session's CSRF token.
    let no_token = try_it(&root, &[("arn", &camp_a), ("user_id", "u1")]);
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    assert!(!no_token.body.contains(&format!("<td>{}</td>", expected[0])));
    let wrong = try_it(&root, &[("csrf", &"0".repeat(64)), ("arn", &camp_a), ("user_id", "u1")]);
    assert_eq!(wrong.status, 403);

    // htmx, from the binary, cached for long.
    let htmx = send(&url, "GET", "/console/assets/htmx-2.0.11.min.js", None, None);
    assert_eq!(htmx.status, 200);
    assert!(htmx.header("cache-control").unwrap().contains("max-age=31536000"));
    assert!(htmx.body.contains("htmx"));

    // Keys and configuration: ids and scopes, the server's settings, never secrets.
    let keys = get(&url, "/console/keys", &root);
    assert_eq!(keys.status, 200);
    assert!(
        keys.body.contains(ACCESS_KEY_ID) && keys.body.contains(SCOPED_ID) && keys.body.contains("configuration page")
    );
    let config = get(&url, "/console/config", &root);
    assert_eq!(config.status, 200);
    assert!(config.body.contains("usage_retention_days"), "{}", config.body);
    // The new pages of the group render for the root key.
    let solution = get(&url, &format!("/console/solution?arn={}", q(&arn("solution", "console-a-pop"))), &root);
    assert!(solution.status == 200 && solution.body.contains("Versions side by side"), "{}", solution.body);
    let events = get(&url, &format!("/console/events?arn={}", q(&group_a)), &root);
    assert!(events.status == 200 && events.body.contains("console-a-i"), "{}", events.body);
    let filters = get(&url, &format!("/console/filters?arn={}", q(&group_a)), &root);
    assert!(filters.status == 200 && filters.body.contains("Test a filter"), "{}", filters.body);
    for secret in [SECRET_ACCESS_KEY, SCOPED_SECRET] {
        for page in [&keys.body, &config.body, &overview.body, &group.body, &campaign.body] {
            assert!(!page.contains(secret), "a secret on a page");
        }
    }

    // A key scoped to console-a sees console-a only, through the service's access checks.
    let scoped = login(&url, (SCOPED_ID, SCOPED_SECRET));
    let overview = get(&url, "/console", &scoped);
    assert_eq!(overview.status, 200);
    assert!(overview.body.contains("console-a-campaign"), "{}", overview.body);
    assert!(!overview.body.contains("console-b"), "another group on the scoped overview:\n{}", overview.body);
    let scoped_token = csrf(&overview.body);
    assert_ne!(scoped_token, token, "a token per session");
    for page in [format!("/console/campaign?arn={}", q(&camp_b)), format!("/console/group?arn={}", q(&group_b))] {
        let answer = get(&url, &page, &scoped);
        assert_eq!(answer.status, 404, "{page}: {}", answer.body);
        assert!(!answer.body.contains("console-b-pop"));
    }
    let jobs = get(&url, "/console/jobs", &scoped);
    assert!(jobs.body.contains(&camp_a) && !jobs.body.contains("console-b"), "{}", jobs.body);
    let other = try_it(&scoped, &[("csrf", &scoped_token), ("arn", &camp_b), ("user_id", "u1"), ("num_results", "5")]);
    assert!(other.body.contains("ResourceNotFoundException") && !other.body.contains("console-b-i"), "{}", other.body);
    let own = try_it(&scoped, &[("csrf", &scoped_token), ("arn", &camp_a), ("user_id", "u1"), ("num_results", "5")]);
    assert!(own.body.contains(&format!("<td>{}</td>", expected[0])), "{}", own.body);
    // Another session's token is refused.
    let crossed = try_it(&scoped, &[("csrf", &token), ("arn", &camp_a), ("user_id", "u1")]);
    assert_eq!(crossed.status, 403);
    let keys = get(&url, "/console/keys", &scoped);
    assert!(keys.body.contains(SCOPED_ID) && !keys.body.contains(ACCESS_KEY_ID), "{}", keys.body);
    assert!(!keys.body.contains("/console/config") && !keys.body.contains("console-b"), "{}", keys.body);
    let config = get(&url, "/console/config", &scoped);
    assert_eq!(config.status, 403);
    assert!(!config.body.contains("usage_retention_days"));
    for page in [
        format!("/console/solution?arn={}", q(&arn("solution", "console-b-pop"))),
        format!("/console/events?arn={}", q(&group_b)),
        format!("/console/events/tail?arn={}", q(&group_b)),
        format!("/console/filters?arn={}", q(&group_b)),
    ] {
        let answer = get(&url, &page, &scoped);
        assert_eq!(answer.status, 404, "{page}: {}", answer.body);
        assert!(!answer.body.contains("console-b-i"), "{}", answer.body);
    }

    // The console's cookie is no signature: the API still refuses unsigned requests.
    for cookie in [&root, &scoped] {
        let mut s = std::net::TcpStream::connect(url.strip_prefix("http://").unwrap()).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: reko\r\nCookie: {cookie}\r\nX-Amz-Target: AmazonPersonalize.ListDatasetGroups\r\n\
             Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 403"), "{out}");
        assert!(!out.contains("console-a"));
        let tasks = get(&url, "/reko/tasks", cookie);
        assert_eq!(tasks.status, 403, "{}", tasks.body);
        let recommendations = send(&url, "POST", "/recommendations", Some(cookie), Some(&[("campaignArn", &camp_a)]));
        assert_eq!(recommendations.status, 403);
    }

    // Logout needs the token, then the session is gone.
    assert_eq!(send(&url, "POST", "/console/logout", Some(&root), Some(&[("csrf", "")])).status, 403);
    let out = send(&url, "POST", "/console/logout", Some(&root), Some(&[("csrf", &token)]));
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(get(&url, "/console", &root).status, 303);
    assert_eq!(get(&url, "/console", &scoped).status, 200, "other sessions stay");
    drop(server);
}

#[test]
fn no_console_turns_the_console_off() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_with(&tmp.path().join("data"), &["--no-console"]);
    for path in ["/console", "/console/login", "/console/jobs", "/console/assets/htmx-2.0.11.min.js"] {
        assert_eq!(send(&server.url, "GET", path, None, None).status, 404, "{path}");
    }
    let login = send(
        &server.url,
        "POST",
        "/console/login",
        None,
        Some(&[("access_key_id", ACCESS_KEY_ID), ("secret_access_key", SECRET_ACCESS_KEY)]),
    );
    assert_eq!(login.status, 404);
    assert!(login.header("set-cookie").is_none());
    // The API is as it was: unsigned requests refused.
    assert_eq!(send(&server.url, "GET", "/reko/tasks", None, None).status, 403);
}
