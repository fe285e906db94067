//! Steps 7–9 of the demo: what the trained models are for. Offline metrics of the personalized
//! recipe next to popularity, users with different tastes getting different lists, and a new
//! user's list following a few real-time events.
//!
//! Everything shown here is a function of the data and seed (exploration is off), so these
//! steps print the same lines in every run.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::Event;
use aws_sdk_personalizeruntime::operation::get_recommendations::builders::GetRecommendationsFluentBuilder;
use reko_synth::SynthDataset;

use super::flow::{sdk, Flow, Models, Res, Trained};
use super::ui::metric_sort_key;

/// List length of every request.
pub(super) const TOP: usize = 10;

/// One recommended item.
pub(super) struct Rec {
    pub(super) id: String,
    pub(super) promotion: Option<String>,
}

/// Categories of items and per-user histories, from the generated data.
pub(super) struct Catalog<'a> {
    pub(super) data: &'a SynthDataset,
    names: Vec<String>,
    /// Interactions per user and per item.
    history: Vec<usize>,
    item_events: Vec<usize>,
    /// Width of a category column.
    width: usize,
}

impl<'a> Catalog<'a> {
    pub(super) fn new(data: &'a SynthDataset) -> Catalog<'a> {
        let n = data.items.iter().map(|i| i.category as usize + 1).max().unwrap_or(0);
        let names: Vec<String> = (0..n).map(reko_synth::category_name).collect();
        let width = names.iter().map(String::len).max().unwrap_or(0).max(8);
        let mut history = vec![0; data.users.len()];
        let mut item_events = vec![0; data.items.len()];
        for i in &data.interactions {
            history[i.user as usize] += 1;
            item_events[i.item as usize] += 1;
        }
        Catalog { data, names, history, item_events, width }
    }

    /// The category of an item id (`i17` → index 16), if the item is generated.
    pub(super) fn category_of(&self, id: &str) -> Option<u16> {
        let k: usize = id.strip_prefix('i')?.parse().ok()?;
        Some(self.data.items.get(k.checked_sub(1)?)?.category)
    }

    pub(super) fn name(&self, category: u16) -> &str {
        self.names.get(category as usize).map(String::as_str).unwrap_or("?")
    }

    pub(super) fn categories(&self) -> impl Iterator<Item = u16> {
        0..self.names.len() as u16
    }

    /// `i2370  fashion      ★`: an item, its category and a one-character mark (or blank).
    pub(super) fn cell(&self, id: &str, mark: &str) -> String {
        let category = self.category_of(id).map(|c| self.name(c)).unwrap_or("?");
        let mark = if mark.is_empty() { " " } else { mark };
        format!("{id:<6} {category:<w$} {mark}", w = self.width)
    }

    /// Width of [`Catalog::cell`].
    pub(super) fn cell_width(&self) -> usize {
        6 + 1 + self.width + 2
    }

    /// A user's interactions per category, most frequent first.
    pub(super) fn profile(&self, user: usize) -> Vec<(u16, usize)> {
        let mut counts: HashMap<u16, usize> = HashMap::new();
        for i in self.data.interactions.iter().filter(|i| i.user as usize == user) {
            *counts.entry(self.data.items[i.item as usize].category).or_default() += 1;
        }
        let mut out: Vec<(u16, usize)> = counts.into_iter().collect();
        out.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c));
        out
    }

    /// Items of a category, most interacted first (ties by id).
    pub(super) fn popular_in(&self, category: u16) -> Vec<usize> {
        let mut items: Vec<usize> =
            (0..self.data.items.len()).filter(|&k| self.data.items[k].category == category).collect();
        items.sort_by_key(|&k| (std::cmp::Reverse(self.item_events[k]), k));
        items
    }

    pub(super) fn history(&self, user: usize) -> usize {
        self.history[user]
    }

    pub(super) fn most_interacted_item(&self) -> Option<usize> {
        (0..self.item_events.len()).max_by_key(|&k| (self.item_events[k], std::cmp::Reverse(k)))
    }

    /// How many of `recs` are in `categories`.
    pub(super) fn count_in(&self, recs: &[Rec], categories: &[u16]) -> usize {
        recs.iter().filter(|r| self.category_of(&r.id).is_some_and(|c| categories.contains(&c))).count()
    }
}

/// Prints `columns` side by side under `headers`, one row per rank (`rank` column first).
pub(super) fn print_columns(flow: &Flow, width: usize, headers: &[String], columns: &[Vec<String>]) {
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let pad = |s: &str| format!("{s:<width$}");
    let head: Vec<String> = headers.iter().map(|h| pad(&truncate(h, width))).collect();
    flow.ui.line(format!("  rank  {}", head.join("  ")).trim_end());
    for r in 0..rows {
        let cells: Vec<String> = columns.iter().map(|c| pad(c.get(r).map(String::as_str).unwrap_or(""))).collect();
        flow.ui.line(format!("  {:>4}  {}", r + 1, cells.join("  ")).trim_end());
    }
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// `books 81%, home 4%, music 3%`: the first three categories of a profile with their shares.
fn shares(catalog: &Catalog, profile: &[(u16, usize)], total: usize) -> String {
    let parts: Vec<String> = profile
        .iter()
        .take(3)
        .map(|&(c, n)| format!("{} {:.0}%", catalog.name(c), 100.0 * n as f64 / total.max(1) as f64))
        .collect();
    parts.join(", ")
}

impl Flow {
    /// Sends a GetRecommendations request; the item ids (and promotion names) in list order.
    pub(super) async fn recommend(&self, request: GetRecommendationsFluentBuilder) -> anyhow::Result<Vec<Rec>> {
        let out = sdk(request.num_results(TOP as i32).send().await, "GetRecommendations")?;
        Ok(out
            .item_list()
            .iter()
            .map(|i| Rec {
                id: i.item_id().unwrap_or("?").to_string(),
                promotion: i.promotion_name().map(str::to_string),
            })
            .collect())
    }

    /// Step 7: offline metrics of the personalized recipe next to popularity (GetSolutionMetrics).
    pub(super) async fn step_metrics(&self, models: &Models) -> anyhow::Result<()> {
        let pair = [&models.personalized, &models.popularity];
        let mut values: Vec<HashMap<String, f64>> = Vec::new();
        for m in pair {
            let out = sdk(
                self.control.get_solution_metrics().solution_version_arn(&m.version).send().await,
                "GetSolutionMetrics",
            )?;
            values.push(out.metrics().cloned().unwrap_or_default());
        }
        self.ui.header("Offline metrics (GetSolutionMetrics: each version scored on held-out users)");
        let names: BTreeSet<&String> = values.iter().flat_map(|m| m.keys()).collect();
        let mut names: Vec<&String> = names.into_iter().collect();
        names.sort_by_key(|k| metric_sort_key(k));
        if names.is_empty() {
            self.ui.line("  (no metrics reported)");
            return Ok(());
        }
        self.ui.line(&format!("  {:<44} {:>12} {:>12}", "metric", "personalized", "popularity"));
        for name in names {
            let cell = |m: &HashMap<String, f64>| m.get(name).map(|v| format!("{v:.4}")).unwrap_or("-".into());
            self.ui.line(&format!("  {name:<44} {:>12} {:>12}", cell(&values[0]), cell(&values[1])));
        }
        self.ui.line(&format!("  personalized = {}, popularity = {}", pair[0].recipe, pair[1].recipe));
        Ok(())
    }

    /// Step 8: users with clearly different tastes get different lists. Returns the users shown
    /// (indexes), for the later steps.
    pub(super) async fn step_tastes(&self, models: &Models, catalog: &Catalog<'_>) -> anyhow::Result<Vec<usize>> {
        let users = pick_users(catalog, self.show_users.max(1));
        let data = catalog.data;
        self.ui.header(&format!("Different tastes, different lists ({}, top {TOP})", models.personalized.recipe));
        self.ui.line(&format!("  {:<7} {:>6}  history by category", "user", "events"));
        for &u in &users {
            let profile = catalog.profile(u);
            let total = catalog.history(u);
            self.ui.line(&format!(
                "  {:<7} {:>6}  {}",
                reko_synth::user_id(u),
                total,
                shares(catalog, &profile, total)
            ));
        }
        self.ui.line("");
        let popular =
            self.recommend(self.runtime.get_recommendations().campaign_arn(&models.popularity.campaign)).await?;
        let (mut headers, mut columns, mut matched, mut popular_matched) = (vec![], vec![], vec![], vec![]);
        for &u in &users {
            let id = reko_synth::user_id(u);
            let likes = &data.users[u].preferred;
            let recs = self.recommend(self.request(&models.personalized).user_id(&id)).await?;
            let liked: Vec<&str> = likes.iter().map(|&c| catalog.name(c)).collect();
            headers.push(format!("{id} likes {}", liked.join("+")));
            columns.push(
                recs.iter()
                    .map(|r| {
                        let mark = catalog.category_of(&r.id).is_some_and(|c| likes.contains(&c));
                        catalog.cell(&r.id, if mark { "★" } else { "" })
                    })
                    .collect(),
            );
            matched.push(format!("{}/{}", catalog.count_in(&recs, likes), recs.len()));
            popular_matched.push(format!("{}/{}", catalog.count_in(&popular, likes), popular.len()));
        }
        let width = catalog.cell_width();
        print_columns(self, width, &headers, &columns);
        let row = |label: &str, cells: &[String]| {
            let cells: Vec<String> = cells.iter().map(|c| format!("{c:<width$}")).collect();
            self.ui.line(format!("  {label:<4}  {}", cells.join("  ")).trim_end());
        };
        row("★", &matched);
        self.ui.line("  ★ = in the user's preferred categories (reko-synth's ground truth)");
        self.ui.line(&format!(
            "  {}'s list, the same for everyone, has {} of them",
            models.popularity.recipe,
            popular_matched.join(", ")
        ));
        Ok(users)
    }

    /// A GetRecommendations request on a campaign.
    pub(super) fn request(&self, model: &Trained) -> GetRecommendationsFluentBuilder {
        self.runtime.get_recommendations().campaign_arn(&model.campaign)
    }

    /// Step 9: a brand-new user's list before and after five clicks sent with PutEvents.
    /// Returns the clicked category.
    pub(super) async fn step_new_user(
        &self,
        dataset_group: &str,
        models: &Models,
        catalog: &Catalog<'_>,
    ) -> anyhow::Result<u16> {
        let tracker = sdk(
            self.control
                .create_event_tracker()
                .name(self.name("tracker"))
                .dataset_group_arn(dataset_group)
                .send()
                .await,
            "CreateEventTracker",
        )?;
        let tracking_id = tracker.tracking_id().context("CreateEventTracker returned no trackingId")?.to_string();
        let arn = tracker.event_tracker_arn().context("CreateEventTracker returned no eventTrackerArn")?;
        self.wait(&[("Event tracker", Res::EventTracker(arn.to_string()))]).await?;

        let user = "visitor-1";
        let before = self.recommend(self.request(&models.personalized).user_id(user)).await?;
        // The first category (in catalogue order) the cold-start list leaves out.
        let category = catalog
            .categories()
            .find(|&c| catalog.count_in(&before, &[c]) == 0 && catalog.popular_in(c).len() >= 20)
            .or_else(|| catalog.categories().next())
            .context("no categories")?;
        let clicked: Vec<String> =
            catalog.popular_in(category).into_iter().skip(5).take(5).map(reko_synth::item_id).collect();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut events = Vec::new();
        for (k, item) in clicked.iter().enumerate() {
            events.push(
                Event::builder()
                    .event_type("click")
                    .item_id(item)
                    .sent_at(DateTime::from_secs(now as i64 - 60 + k as i64))
                    .build()
                    .context("building an event")?,
            );
        }
        sdk(
            self.events
                .put_events()
                .tracking_id(&tracking_id)
                .user_id(user)
                .session_id("visitor-1-session")
                .set_event_list(Some(events))
                .send()
                .await,
            "PutEvents",
        )?;
        let after = self.recommend(self.request(&models.personalized).user_id(user)).await?;

        let name = catalog.name(category);
        self.ui.header(&format!("A new user's list follows their clicks (event tracker + PutEvents, {user})"));
        self.ui.line(&format!("  {user} clicks on {} {name} items: {}", clicked.len(), clicked.join(", ")));
        let mark = |recs: &[Rec]| -> Vec<String> {
            recs.iter()
                .map(|r| {
                    let m = if clicked.contains(&r.id) {
                        "•"
                    } else if catalog.category_of(&r.id) == Some(category) {
                        "★"
                    } else {
                        ""
                    };
                    catalog.cell(&r.id, m)
                })
                .collect()
        };
        print_columns(
            self,
            catalog.cell_width(),
            &["before (no history)".to_string(), format!("after {} clicks", clicked.len())],
            &[mark(&before), mark(&after)],
        );
        self.ui.line(&format!(
            "  ★ = {name}, • = clicked; {name} items in the top {TOP}: {} before, {} after",
            catalog.count_in(&before, &[category]),
            catalog.count_in(&after, &[category])
        ));
        Ok(category)
    }
}

/// Up to `n` users with clearly different tastes: a single preferred category each (all
/// different) and a real history; failing that, any users with distinct first preferences.
fn pick_users(catalog: &Catalog, n: usize) -> Vec<usize> {
    let users = &catalog.data.users;
    let mut chosen: Vec<usize> = Vec::new();
    let mut tastes: Vec<u16> = Vec::new();
    for strict in [true, false] {
        for (u, user) in users.iter().enumerate() {
            if chosen.len() >= n {
                return chosen;
            }
            let prefs = &user.preferred;
            let Some(&first) = prefs.first() else { continue };
            let enough = catalog.history(u) >= if strict { 30 } else { 10 };
            if !enough || (strict && prefs.len() != 1) || tastes.contains(&first) || chosen.contains(&u) {
                continue;
            }
            chosen.push(u);
            tastes.push(first);
        }
    }
    chosen
}
