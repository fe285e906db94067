//! The web console at `/console` (docs/console.md): server-rendered pages (askama templates,
//! escaped by default) with htmx for the try-it form, served by the same listener as the API.
//!
//! * Login with an access key id and secret, checked against the key store SigV4 uses; a
//!   session cookie (random 256-bit id, HttpOnly, SameSite=Strict, Path=/console, Secure when
//!   configured) names a server-side session ([`session::Sessions`], in memory).
//! * Every state-changing form but the login carries the session's CSRF token.
//! * Every read goes through the control plane's own dispatch ([`crate::handle_control_plane`])
//!   and every recommendation through the runtime's ([`crate::handle_runtime_or_events`]), with
//!   the logged-in key's scope: the service's access checks decide what a key sees, as on the API.
//!   What the API has no operation for (data insights, the newest events, a campaign's traffic,
//!   HPO trials, row counts) comes from the service's own functions, which check the same scope.
//! * `/console` paths skip SigV4 (in the `authenticate` middleware) and nothing else does.

pub mod session;

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use reko_api::{ApiError, ApiResult};
use reko_service::{AccessScope, Reko};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{Authentication, KeyScope, Principal};
use session::{Session, Sessions, COOKIE};

/// The vendored htmx (see `assets/VENDORED.md`).
pub const HTMX_VERSION: &str = "2.0.11";
const HTMX_JS: &[u8] = include_bytes!("../../assets/htmx.min.js");
const HTMX_PATH: &str = "/console/assets/htmx-2.0.11.min.js";
/// The vendored uPlot (see `assets/VENDORED.md`), for the plots.
pub const UPLOT_VERSION: &str = "1.6.32";
const UPLOT_JS: &[u8] = include_bytes!("../../assets/uPlot.iife.min.js");
const UPLOT_JS_PATH: &str = "/console/assets/uPlot-1.6.32.iife.min.js";
const UPLOT_CSS: &[u8] = include_bytes!("../../assets/uPlot.min.css");
const UPLOT_CSS_PATH: &str = "/console/assets/uPlot-1.6.32.min.css";
/// The console's own script drawing the plots; its path names its content's hash, so it may be
/// cached for long too.
const PLOTS_JS: &[u8] = include_bytes!("../../assets/plots.js");
static PLOTS_PATH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use sha2::{Digest, Sha256};
    format!("/console/assets/plots-{}.js", &hex::encode(Sha256::digest(PLOTS_JS))[..16])
});
/// The newest rows of an Interactions dataset the group page's plots read.
const INSIGHT_ROWS: usize = 1_000_000;

/// How the console is served.
#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    /// Mark the session cookie `Secure` (the server is reached over TLS, e.g. behind a proxy).
    pub secure_cookie: bool,
    /// The server's settings as the configuration page shows them to a root key
    /// (name, value), secrets already redacted by the caller.
    pub settings: Vec<(String, String)>,
}

#[derive(Clone)]
struct Console {
    reko: Reko,
    authentication: Authentication,
    sessions: Arc<Sessions>,
    config: Arc<ConsoleConfig>,
}

/// Whether a path is the console's (never SigV4-authenticated).
pub(crate) fn is_console_path(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/")
}

/// The console's routes, with their own state.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(
    reko: Reko,
    authentication: Authentication,
    config: ConsoleConfig,
) -> Router<S> {
    let console = Console { reko, authentication, sessions: Arc::new(Sessions::default()), config: Arc::new(config) };
    Router::new()
        .route("/console", get(overview))
        .route("/console/", get(overview))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/jobs", get(jobs))
        .route("/console/dead-letters", get(dead_letters))
        .route("/console/group", get(group))
        .route("/console/campaign", get(campaign))
        .route("/console/campaign/try", post(try_it))
        .route("/console/solution", get(solution))
        .route("/console/experiments", get(experiments::experiments))
        .route("/console/experiment", get(experiments::experiment))
        .route("/console/events", get(events))
        .route("/console/events/tail", get(events_tail))
        .route("/console/filters", get(filters))
        .route("/console/filters/test", post(filter_test))
        .route("/console/keys", get(keys))
        .route("/console/config", get(config_page))
        .route(HTMX_PATH, get(|| async { asset(HTMX_JS, JAVASCRIPT) }))
        .route(UPLOT_JS_PATH, get(|| async { asset(UPLOT_JS, JAVASCRIPT) }))
        .route(UPLOT_CSS_PATH, get(|| async { asset(UPLOT_CSS, "text/css; charset=utf-8") }))
        .route(PLOTS_PATH.as_str(), get(|| async { asset(PLOTS_JS, JAVASCRIPT) }))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .with_state(console)
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A rendered page with the console's headers: HTML, never cached, never framed, scripts only
/// from the console itself.
fn html(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert("x-frame-options", HeaderValue::from_static("DENY"));
            h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
            h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
            h.insert(
                "content-security-policy",
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            response
        }
        Err(e) => {
            tracing::error!("rendering a console page failed: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

fn redirect(to: &'static str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static(to));
    // htmx follows a redirect inside the swap; this makes it reload the whole page instead.
    response.headers_mut().insert("hx-redirect", HeaderValue::from_static(to));
    response
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    nav: Option<Nav>,
    title: &'a str,
    message: String,
}

fn error_page(status: StatusCode, nav: Option<Nav>, message: String) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    html(status, &ErrorPage { nav, title, message })
}

/// An error of a service call as a page: a resource the key may not see is a missing one (404).
fn api_error_page(nav: Nav, e: &ApiError) -> Response {
    let status = match e.code() {
        "ResourceNotFoundException" => StatusCode::NOT_FOUND,
        "AccessDeniedException" => StatusCode::FORBIDDEN,
        "InvalidInputException" => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_page(status, Some(nav), format!("{}: {}", e.code(), e.message()))
}

async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, None, "No console page here.".into())
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// A file of the console's, from the binary.
fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The path names the version (or the content's hash): a new file is a new path.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

// ---------------------------------------------------------------------------------------------
// Plots

/// The plotting scripts a page with plots loads.
struct PlotAssets {
    uplot_js: &'static str,
    uplot_css: &'static str,
    plots_js: &'static str,
}

fn plot_assets() -> PlotAssets {
    PlotAssets { uplot_js: UPLOT_JS_PATH, uplot_css: UPLOT_CSS_PATH, plots_js: PLOTS_PATH.as_str() }
}

/// uPlot's data (`[[x...], [y...], ...]`) and the series' labels (x first), as the JSON
/// `data-series` and `data-labels` attributes `assets/plots.js` reads.
struct Plot {
    series: String,
    labels: String,
}

impl Plot {
    fn new(columns: &[Value], labels: &[&str]) -> Plot {
        Plot { series: Value::Array(columns.to_vec()).to_string(), labels: json!(labels).to_string() }
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// What the navigation bar of every logged-in page needs.
#[derive(Debug, Clone)]
struct Nav {
    key_id: String,
    csrf: String,
    htmx: &'static str,
    /// A root key (the configuration page is its only).
    root: bool,
}

/// The session id in the request's cookies, if any.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

impl Console {
    /// The request's live session and its id.
    fn session(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        let id = session_cookie(headers)?;
        let session = self.sessions.get(&id)?;
        Some((id, session))
    }

    fn cookie(&self, value: &str, max_age: Option<u32>) -> HeaderValue {
        let mut cookie = format!("{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict");
        if let Some(age) = max_age {
            cookie.push_str(&format!("; Max-Age={age}"));
        }
        if self.config.secure_cookie {
            cookie.push_str("; Secure");
        }
        HeaderValue::from_str(&cookie).expect("a cookie of hex digits")
    }
}

fn nav(session: &Session) -> Nav {
    Nav {
        key_id: session.principal.access_key_id.clone(),
        csrf: session.csrf.clone(),
        htmx: HTMX_PATH,
        root: session.principal.scope.dataset_groups.is_none(),
    }
}

/// The dataset groups the caller's key may see, as the API computes it.
fn scope_of(principal: &Principal) -> AccessScope {
    crate::scope_of(principal)
}

/// Runs the page's reads off the executor, as the caller, or answers the login redirect.
async fn with_session<T: Send + 'static>(
    console: &Console,
    headers: &HeaderMap,
    read: impl FnOnce(&Ctl) -> ApiResult<T> + Send + 'static,
) -> Result<(Nav, T), Response> {
    let Some((_, session)) = console.session(headers) else { return Err(redirect("/console/login")) };
    let nav = nav(&session);
    let (reko, scope) = (console.reko.clone(), scope_of(&session.principal));
    match crate::blocking(move || read(&Ctl { reko: &reko, scope: &scope })).await {
        Ok(value) => Ok((nav, value)),
        Err(e) => Err(api_error_page(nav, &e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Login and logout

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    nav: Option<Nav>,
    error: Option<String>,
    access_key_id: String,
}

async fn login_page(State(console): State<Console>, headers: HeaderMap) -> Response {
    if console.session(&headers).is_some() {
        return redirect("/console");
    }
    html(StatusCode::OK, &LoginPage { nav: None, error: None, access_key_id: String::new() })
}

#[derive(Deserialize)]
struct LoginForm {
    access_key_id: String,
    secret_access_key: String,
}

async fn login(State(console): State<Console>, Form(form): Form<LoginForm>) -> Response {
    let refused = |status: StatusCode, error: &str| {
        let page = LoginPage { nav: None, error: Some(error.to_string()), access_key_id: form.access_key_id.clone() };
        html(status, &page)
    };
    let principal = match &console.authentication {
        // --insecure-no-auth: the API takes anyone as root, and so does the console.
        Authentication::Disabled => Principal { access_key_id: form.access_key_id.clone(), scope: KeyScope::default() },
        Authentication::SigV4(keys) => match keys.check_secret(&form.access_key_id, &form.secret_access_key) {
            Some(p) => p,
            None => {
                tracing::info!(access_key_id = %form.access_key_id, "console login refused");
                return refused(StatusCode::UNAUTHORIZED, "Unknown access key id or wrong secret.");
            }
        },
    };
    if principal.scope.runtime_only {
        return refused(
            StatusCode::FORBIDDEN,
            "This key may only call the runtime and events services; the console needs a key that may read the control plane.",
        );
    }
    tracing::info!(access_key_id = %principal.access_key_id, "console login");
    let id = console.sessions.create(principal);
    let mut response = redirect("/console");
    response.headers_mut().insert(header::SET_COOKIE, console.cookie(&id, None));
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(console): State<Console>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let Some((id, session)) = console.session(&headers) else { return redirect("/console/login") };
    if !session.csrf_ok(&form.csrf) {
        return csrf_refused(&session);
    }
    console.sessions.remove(&id);
    let mut response = redirect("/console/login");
    response.headers_mut().insert(header::SET_COOKIE, console.cookie("", Some(0)));
    response
}

fn csrf_refused(session: &Session) -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        Some(nav(session)),
        "The form's CSRF token is missing or not this session's; reload the page and try again.".into(),
    )
}

// ---------------------------------------------------------------------------------------------
// Reading through the control plane

/// Control-plane calls as the logged-in key.
struct Ctl<'a> {
    reko: &'a Reko,
    scope: &'a AccessScope,
}

impl Ctl<'_> {
    fn call(&self, operation: &str, body: Value) -> ApiResult<Value> {
        crate::handle_control_plane(self.reko, self.scope, operation, body.to_string().as_bytes())
    }

    /// The offline metrics of a solution version (none until it is ACTIVE).
    fn version_metrics(&self, arn: &str, status: &str) -> ApiResult<serde_json::Map<String, Value>> {
        if status != reko_api::ResourceStatus::Active.as_str() {
            return Ok(Default::default());
        }
        let m = self.call("GetSolutionMetrics", json!({ "solutionVersionArn": arn }))?;
        Ok(m["metrics"].as_object().cloned().unwrap_or_default())
    }

    /// Every page of a List operation: the items under `key`.
    fn list(&self, operation: &str, body: Value, key: &str) -> ApiResult<Vec<Value>> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut request = body.clone();
            request["maxResults"] = json!(100);
            if let Some(t) = &token {
                request["nextToken"] = json!(t);
            }
            let page = self.call(operation, request)?;
            items.extend(page[key].as_array().cloned().unwrap_or_default());
            match page["nextToken"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(items),
            }
        }
    }

    /// The plots of an Interactions dataset (none when they cannot be computed: the page shows
    /// the rest).
    fn insights(&self, dataset_arn: &str, dataset: &str) -> Option<InsightsView> {
        let i = match self.reko.interaction_insights(self.scope, dataset_arn, INSIGHT_ROWS) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(dataset = dataset_arn, "the console's data insights failed: {e}");
                return None;
            }
        };
        let (days, per_day): (Vec<i64>, Vec<u64>) = i.per_day.iter().copied().unzip();
        let (ranks, popularity): (Vec<u64>, Vec<u64>) = i.item_popularity.iter().copied().unzip();
        let (lengths, users): (Vec<u64>, Vec<u64>) = i.history_lengths.iter().copied().unzip();
        let rows = self.reko.dataset_rows(self.scope, dataset_arn).unwrap_or(i.rows);
        Some(InsightsView {
            history: json!([lengths, users]).to_string(),
            rules: group::data_rules(&i, rows),
            dataset: dataset.to_string(),
            rows: i.rows,
            truncated: i.truncated,
            items: i.items,
            days: days.len(),
            per_day: json!([days, per_day]).to_string(),
            long_tail: json!([ranks, popularity]).to_string(),
        })
    }

    fn tasks(&self) -> ApiResult<Vec<TaskRow>> {
        let tasks = self.reko.list_tasks_in(self.scope).map_err(ApiError::from)?;
        Ok(tasks.into_iter().map(TaskRow::from).collect())
    }
}

fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS`, UTC.
fn time(v: &Value, key: &str) -> String {
    v[key].as_f64().map(format_time).unwrap_or_default()
}

fn format_time(t: f64) -> String {
    let t = t as i64;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = reko_api::calendar::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The last part of an ARN (a resource's name or id).
fn tail(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn format_duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, s % 3600 / 60)
    }
}

// ---------------------------------------------------------------------------------------------
// Overview

struct GroupRow {
    name: String,
    arn: String,
    status: String,
    created: String,
    datasets: usize,
    solutions: usize,
    campaigns: usize,
}

struct CampaignRow {
    name: String,
    arn: String,
    status: String,
    min_tps: String,
    group: String,
    solution: String,
    solution_arn: String,
}

struct TaskRow {
    id: i64,
    kind: String,
    resource: String,
    state: String,
    progress: String,
    detail: String,
    duration: String,
    running: bool,
}

impl From<reko_service::TaskInfo> for TaskRow {
    fn from(t: reko_service::TaskInfo) -> Self {
        let running = t.state == "running" || t.state == "queued";
        let end = if running { reko_service::resource::now() } else { t.updated };
        TaskRow {
            id: t.task_id,
            kind: t.kind,
            resource: t.resource_arn,
            progress: format!("{:.0}%", t.progress * 100.0),
            state: t.state,
            detail: t.detail,
            duration: format_duration(end - t.created),
            running,
        }
    }
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    nav: Option<Nav>,
    groups: Vec<GroupRow>,
    campaigns: Vec<CampaignRow>,
    running: Vec<TaskRow>,
}

/// The campaigns of a solution with their minProvisionedTPS.
fn campaigns_of(ctl: &Ctl, solution: &Value, group: &str) -> ApiResult<Vec<CampaignRow>> {
    let solution_arn = text(solution, "solutionArn");
    let mut rows = Vec::new();
    for c in ctl.list("ListCampaigns", json!({ "solutionArn": solution_arn }), "campaigns")? {
        let arn = text(&c, "campaignArn");
        let described = ctl.call("DescribeCampaign", json!({ "campaignArn": arn }))?;
        rows.push(CampaignRow {
            name: text(&c, "name"),
            status: text(&c, "status"),
            min_tps: text(&described["campaign"], "minProvisionedTPS"),
            arn,
            group: group.to_string(),
            solution: text(solution, "name"),
            solution_arn: solution_arn.clone(),
        });
    }
    Ok(rows)
}

async fn overview(State(console): State<Console>, headers: HeaderMap) -> Response {
    let read = |ctl: &Ctl| {
        let mut groups = Vec::new();
        let mut campaigns = Vec::new();
        for g in ctl.list("ListDatasetGroups", json!({}), "datasetGroups")? {
            let arn = text(&g, "datasetGroupArn");
            let datasets = ctl.list("ListDatasets", json!({ "datasetGroupArn": arn }), "datasets")?;
            let solutions = ctl.list("ListSolutions", json!({ "datasetGroupArn": arn }), "solutions")?;
            let mut group_campaigns = Vec::new();
            for s in &solutions {
                group_campaigns.extend(campaigns_of(ctl, s, &text(&g, "name"))?);
            }
            groups.push(GroupRow {
                name: text(&g, "name"),
                status: text(&g, "status"),
                created: time(&g, "creationDateTime"),
                datasets: datasets.len(),
                solutions: solutions.len(),
                campaigns: group_campaigns.len(),
                arn,
            });
            campaigns.extend(group_campaigns);
        }
        let running = ctl.tasks()?.into_iter().filter(|t| t.running).collect();
        Ok((groups, campaigns, running))
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, (groups, campaigns, running))) => {
            html(StatusCode::OK, &OverviewPage { nav: Some(nav), groups, campaigns, running })
        }
        Err(response) => response,
    }
}

// ---------------------------------------------------------------------------------------------
// Jobs

#[derive(Template)]
#[template(path = "console/jobs.html")]
struct JobsPage {
    nav: Option<Nav>,
    tasks: Vec<TaskRow>,
}

async fn jobs(State(console): State<Console>, headers: HeaderMap) -> Response {
    match with_session(&console, &headers, |ctl| ctl.tasks()).await {
        Ok((nav, mut tasks)) => {
            tasks.reverse();
            html(StatusCode::OK, &JobsPage { nav: Some(nav), tasks })
        }
        Err(response) => response,
    }
}

// ---------------------------------------------------------------------------------------------
// Keys and configuration

struct KeyRow {
    access_key_id: String,
    dataset_groups: String,
    runtime_only: bool,
    data_roots: String,
    s3_roles: String,
    you: bool,
}

#[derive(Template)]
#[template(path = "console/keys.html")]
struct KeysPage {
    nav: Option<Nav>,
    authentication: &'static str,
    keys: Vec<KeyRow>,
    root: bool,
}

fn key_row(id: &str, scope: &KeyScope, you: &str) -> KeyRow {
    fn list(v: &Option<Vec<String>>, all: &str) -> String {
        v.as_ref().map_or_else(|| all.to_string(), |v| if v.is_empty() { "none".into() } else { v.join(", ") })
    }
    let roots = scope.data_roots.as_ref().map(|r| r.iter().map(|p| p.display().to_string()).collect());
    KeyRow {
        access_key_id: id.to_string(),
        dataset_groups: list(&scope.dataset_groups, "all"),
        runtime_only: scope.runtime_only,
        data_roots: list(&roots, "the server's"),
        s3_roles: list(&scope.s3_roles, "all"),
        you: id == you,
    }
}

#[derive(Template)]
#[template(path = "console/config.html")]
struct ConfigPage {
    nav: Option<Nav>,
    settings: Vec<(String, String)>,
}

/// The server's settings, read-only, secrets redacted by whoever built them: a root key's only.
async fn config_page(State(console): State<Console>, headers: HeaderMap) -> Response {
    let Some((_, session)) = console.session(&headers) else { return redirect("/console/login") };
    if session.principal.scope.dataset_groups.is_some() {
        let message = "The server's configuration is shown to root keys only.".to_string();
        return error_page(StatusCode::FORBIDDEN, Some(nav(&session)), message);
    }
    html(StatusCode::OK, &ConfigPage { nav: Some(nav(&session)), settings: console.config.settings.clone() })
}

async fn keys(State(console): State<Console>, headers: HeaderMap) -> Response {
    let Some((_, session)) = console.session(&headers) else { return redirect("/console/login") };
    let principal = &session.principal;
    let root = principal.scope.dataset_groups.is_none();
    let (authentication, keys) = match &console.authentication {
        Authentication::Disabled => ("none (--insecure-no-auth)", Vec::new()),
        Authentication::SigV4(store) => (
            "SigV4",
            store
                .scopes()
                .iter()
                // A scoped key sees its own key only: the others' scopes name other groups.
                .filter(|(id, _)| root || *id == principal.access_key_id)
                .map(|(id, scope)| key_row(id, scope, &principal.access_key_id))
                .collect(),
        ),
    };
    html(StatusCode::OK, &KeysPage { nav: Some(nav(&session)), authentication, keys, root })
}

mod campaign;
mod dead_letters;
mod events;
mod experiments;
mod filters;
mod group;
mod solution;

use campaign::{campaign, try_it};
use dead_letters::dead_letters;
use events::{events, events_tail};
use filters::{filter_test, filters};
use group::{group, InsightsView};
use solution::solution;

/// `?arn=` of the group and campaign pages.
#[derive(Deserialize)]
pub(super) struct ArnQuery {
    #[serde(default)]
    pub(super) arn: String,
}

#[cfg(test)]
mod tests;
