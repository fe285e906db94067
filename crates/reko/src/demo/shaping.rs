//! Steps 10–12 of the demo: filters and a promotion shape a user's list, and a similar-items
//! campaign answers "more like this" for one item.

use std::collections::HashSet;

use anyhow::Context;
use aws_sdk_personalizeruntime::types::Promotion;

use super::flow::{sdk, Flow, Models, Res};
use super::showcase::{print_columns, Catalog, Rec, TOP};

/// Index of `purchase` in [`reko_synth::EVENT_TYPES`].
const PURCHASE: u8 = 2;

const NO_PURCHASES: &str = r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#;
const BY_CATEGORY: &str = "INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)";

/// The filters step 10 creates (the category one serves the promotion too).
pub(super) struct Filters {
    by_category: String,
    /// The category the filter was shown with.
    category: u16,
}

impl Flow {
    async fn create_filter(&self, dataset_group: &str, base: &str, expression: &str) -> anyhow::Result<String> {
        let out = sdk(
            self.control
                .create_filter()
                .name(self.name(base))
                .dataset_group_arn(dataset_group)
                .filter_expression(expression)
                .send()
                .await,
            "CreateFilter",
        )?;
        Ok(out.filter_arn().context("CreateFilter returned no filterArn")?.to_string())
    }

    /// Step 10: two filters on one user's list — one on the user's own interactions, one on an
    /// item attribute with a value given per request.
    pub(super) async fn step_filters(
        &self,
        dataset_group: &str,
        models: &Models,
        catalog: &Catalog<'_>,
        shown: &[usize],
        avoid: u16,
    ) -> anyhow::Result<Filters> {
        let no_purchases = self.create_filter(dataset_group, "no-purchases", NO_PURCHASES).await?;
        let by_category = self.create_filter(dataset_group, "by-category", BY_CATEGORY).await?;
        self.wait(&[
            ("Filter no-purchases", Res::Filter(no_purchases.clone())),
            ("Filter by-category", Res::Filter(by_category.clone())),
        ])
        .await?;

        // A user whose list holds items they already bought: the users shown so far first,
        // then the others in id order (at most 50 tries).
        let data = catalog.data;
        let candidates = shown.iter().copied().chain((0..data.users.len()).filter(|&u| catalog.history(u) >= 20));
        let mut pick = None;
        for u in candidates.take(50) {
            let bought = purchases(catalog, u);
            let recs = self.recommend(self.request(&models.personalized).user_id(reko_synth::user_id(u))).await?;
            if recs.iter().any(|r| bought.contains(&r.id)) {
                pick = Some((u, bought, recs));
                break;
            }
        }
        let (user, bought, plain) = match pick {
            Some(found) => found,
            None => {
                let u = shown.first().copied().unwrap_or(0);
                let recs = self.recommend(self.request(&models.personalized).user_id(reko_synth::user_id(u))).await?;
                (u, purchases(catalog, u), recs)
            }
        };
        let id = reko_synth::user_id(user);
        // Another of the user's interests: their most frequent category outside their tastes.
        let prefs = &data.users[user].preferred;
        let category = catalog
            .profile(user)
            .into_iter()
            .map(|(c, _)| c)
            .find(|c| !prefs.contains(c) && *c != avoid)
            .unwrap_or_else(|| other_category(catalog, user, &[avoid]));
        let value = format!("\"{}\"", catalog.name(category));
        let without = self.recommend(self.request(&models.personalized).user_id(&id).filter_arn(&no_purchases)).await?;
        let only = self
            .recommend(
                self.request(&models.personalized)
                    .user_id(&id)
                    .filter_arn(&by_category)
                    .filter_values("CATEGORY", &value),
            )
            .await?;

        self.ui.header(&format!("Filters on {id}'s list (CreateFilter, then filterArn and filterValues)"));
        self.ui.line(&format!("  no-purchases  {NO_PURCHASES}"));
        self.ui.line(&format!("  by-category   {BY_CATEGORY}"));
        self.ui.line(&format!("                with filterValues CATEGORY = {value}"));
        let cells = |recs: &[Rec]| -> Vec<String> {
            recs.iter().map(|r| catalog.cell(&r.id, if bought.contains(&r.id) { "$" } else { "" })).collect()
        };
        print_columns(
            self,
            catalog.cell_width(),
            &["unfiltered".into(), "no-purchases".into(), format!("by-category {}", catalog.name(category))],
            &[cells(&plain), cells(&without), cells(&only)],
        );
        let gone = plain.iter().filter(|r| bought.contains(&r.id)).count();
        self.ui.line(&format!(
            "  $ = bought by {id} ({} purchases); no-purchases drops {gone} of the top {TOP}",
            bought.len()
        ));
        Ok(Filters { by_category, category })
    }

    /// Step 11: a promotion reserves 30% of a user's list for one category.
    pub(super) async fn step_promotion(
        &self,
        models: &Models,
        catalog: &Catalog<'_>,
        shown: &[usize],
        filters: &Filters,
        avoid: u16,
    ) -> anyhow::Result<()> {
        let user = shown.get(1).or(shown.first()).copied().unwrap_or(0);
        let id = reko_synth::user_id(user);
        let category = other_category(catalog, user, &[avoid, filters.category]);
        let name = catalog.name(category);
        let promotion_name = format!("promote-{name}");
        let promotion = Promotion::builder()
            .name(&promotion_name)
            .percent_promoted_items(30)
            .filter_arn(&filters.by_category)
            .filter_values("CATEGORY", format!("\"{name}\""))
            .build();
        let plain = self.recommend(self.request(&models.personalized).user_id(&id)).await?;
        let promoted = self.recommend(self.request(&models.personalized).user_id(&id).promotions(promotion)).await?;

        self.ui.header(&format!("A promotion on {id}'s list (GetRecommendations promotions)"));
        self.ui
            .line(&format!("  {promotion_name}: percentPromotedItems 30, filter by-category with CATEGORY \"{name}\""));
        // Promoted items take random slots in each response (as in Personalize); listing them
        // first keeps the output reproducible.
        let (mut with, rest): (Vec<&Rec>, Vec<&Rec>) = promoted.iter().partition(|r| r.promotion.is_some());
        let n_promoted = with.len();
        with.extend(rest);
        print_columns(
            self,
            catalog.cell_width(),
            &["without promotion".into(), "with promotion".into()],
            &[
                plain.iter().map(|r| catalog.cell(&r.id, "")).collect(),
                with.iter().map(|r| catalog.cell(&r.id, if r.promotion.is_some() { "▲" } else { "" })).collect(),
            ],
        );
        self.ui.line(&format!(
            "  ▲ = promotionName {promotion_name} ({n_promoted} of {TOP}); promoted items take random slots"
        ));
        self.ui.line("  in each response, listed first here; the other slots keep the model's order");
        Ok(())
    }

    /// Step 12: items related to one item (the similar-items campaign, GetRecommendations
    /// with an itemId).
    pub(super) async fn step_similar_items(
        &self,
        models: &Models,
        catalog: &Catalog<'_>,
        shown: &[usize],
    ) -> anyhow::Result<()> {
        // The top item of the first shown user's favourite category (else the top item).
        let taste = shown.first().and_then(|&u| catalog.data.users[u].preferred.first().copied());
        let item = taste
            .and_then(|c| catalog.popular_in(c).first().copied())
            .or_else(|| catalog.most_interacted_item())
            .context("no items")?;
        let id = reko_synth::item_id(item);
        let category = catalog.data.items[item].category;
        let related = self.recommend(self.request(&models.similar).item_id(&id)).await?;
        // Users who interacted with the item, and with each related item.
        let data = catalog.data;
        let fans: HashSet<u32> = data.interactions.iter().filter(|i| i.item as usize == item).map(|i| i.user).collect();
        let shared = |other: &str| -> usize {
            let Some(k) = other.strip_prefix('i').and_then(|k| k.parse::<usize>().ok()) else { return 0 };
            let users: HashSet<u32> = data
                .interactions
                .iter()
                .filter(|i| i.item as usize + 1 == k && fans.contains(&i.user))
                .map(|i| i.user)
                .collect();
            users.len()
        };

        self.ui.header(&format!("Similar items ({}, GetRecommendations with itemId)", models.similar.recipe));
        let name = catalog.name(category);
        self.ui.line(&format!("  {id} ({name}), the {name} item most users interacted with ({})", fans.len()));
        let width = catalog.cell_width();
        self.ui.line(&format!("  rank  {:<width$}  users in common", "related item"));
        for (rank, r) in related.iter().enumerate() {
            let same = catalog.category_of(&r.id) == Some(category);
            self.ui.line(&format!(
                "  {:>4}  {:<width$}  {:>5}",
                rank + 1,
                catalog.cell(&r.id, if same { "★" } else { "" }),
                shared(&r.id)
            ));
        }
        self.ui.line(&format!(
            "  ★ = {} like {id}: {}/{} of the related items",
            catalog.name(category),
            catalog.count_in(&related, &[category]),
            related.len()
        ));
        Ok(())
    }
}

/// Item ids the user purchased in the generated data.
fn purchases(catalog: &Catalog, user: usize) -> HashSet<String> {
    catalog
        .data
        .interactions
        .iter()
        .filter(|i| i.user as usize == user && i.event_type == PURCHASE)
        .map(|i| reko_synth::item_id(i.item as usize))
        .collect()
}

/// The first category (in catalogue order) outside the user's preferences and `avoid`.
fn other_category(catalog: &Catalog, user: usize, avoid: &[u16]) -> u16 {
    let prefs = &catalog.data.users[user].preferred;
    catalog
        .categories()
        .find(|c| !prefs.contains(c) && !avoid.contains(c))
        .or_else(|| catalog.categories().find(|c| !prefs.contains(c)))
        .unwrap_or(0)
}
