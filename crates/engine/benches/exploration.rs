//! Exploration with a campaign's settings, on MovieLens 100K (the folder `REKO_ML100K_DIR`
//! names), through the serving path (`Model::recommend`, `recommend_with_history`,
//! `with_new_items`, `update`):
//!
//! 1. Served lists: per-user temporal split (newest 20% held out), User-Personalization with
//!    default hyperparameters, 25 items per user with the already-seen items excluded, NDCG@10
//!    at `explorationWeight` 0, 0.3 (the campaign default) and 0.9.
//! 2. New items: one new item per genre put after training (as PutItems does), then users who
//!    just watched ten films of that genre: how often the new item is in their top 25.
//! 3. An online simulation: 30 good films are withheld from training and arrive as new items,
//!    three per round; simulated users (whose true taste is a model fitted on all the data)
//!    click what they are shown with a probability set by that taste, and new films they would
//!    like (in their top 200) more readily than anything else (novelty); after each round the
//!    campaign retrains incrementally (trainingMode UPDATE) on the clicks. Cumulative clicks per
//!    weight, and the round from which the best new film is in at least 5% of the lists.
//!
//! `cargo bench -p reko-engine --bench exploration` (fixed seeds: the same output each run).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashSet;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use reko_engine::evaluation::{temporal_split, user_metrics};
use reko_engine::recipes::user_personalization::{self, UpModel};
use reko_engine::{Exploration, HistoryEvent, Model, NewItem, RecommendQuery, TrainingConfig, TrainingData};

const RECIPE: &str = "aws-user-personalization";
const WEIGHTS: [f64; 3] = [0.0, 0.3, 0.9];
const CUT_OFF_DAYS: f64 = 30.0;

fn main() {
    let Some(dir) = reko_dataset::movielens::dir_from_env("exploration bench") else { return };
    let data = common::load_movielens(&dir);
    served_lists(&data);
    new_items(&data);
    simulation(&data);
}

fn exploration(weight: f64, seed: u64) -> Option<Exploration> {
    Some(Exploration { weight, item_age_cut_off_days: CUT_OFF_DAYS, seed: Some(seed) })
}

fn recommend(model: &dyn Model, user: &str, n: usize, seen: &[u32], e: Option<Exploration>) -> Vec<String> {
    let excluded = |i: u32| seen.binary_search(&i).is_ok();
    let q = RecommendQuery {
        user_id: Some(user),
        item_id: None,
        num_results: n,
        exclude: &|_| false,
        exclude_index: Some(&excluded),
        candidates: None,
        context: &[],
        exploration: e,
    };
    model.recommend(&q).into_iter().map(|s| s.item_id).collect()
}

fn served_lists(data: &TrainingData) {
    let split = temporal_split(data, 0.2, 5);
    let model = user_personalization::fit(RECIPE, &split.train, &TrainingConfig::default());
    println!(
        "## Served lists, MovieLens 100K, temporal split ({} test users), 25 per user, seen items excluded",
        split.test.len()
    );
    println!(
        "| explorationWeight | NDCG@10 | of weight 0 | slots explored (top 25) | explored items that were watched |"
    );
    println!("|---|---|---|---|---|");
    let mut base = 0.0;
    let exploit: Vec<Vec<String>> = split
        .test
        .iter()
        .map(|t| {
            let seen = sorted(split.train.user_interactions(t.user).items);
            recommend(&model, data.user_id(t.user), 25, &seen, None)
        })
        .collect();
    for w in WEIGHTS {
        let (mut ndcg, mut explored, mut hits) = (0.0, 0usize, 0usize);
        for (t, plain) in split.test.iter().zip(&exploit) {
            let seen = sorted(split.train.user_interactions(t.user).items);
            let list = recommend(&model, data.user_id(t.user), 25, &seen, exploration(w, u64::from(t.user)));
            let idx: Vec<u32> = list.iter().map(|id| data.item_index(id).unwrap()).collect();
            let relevant = |i: u32| t.relevant.binary_search(&i).is_ok();
            ndcg += user_metrics(&idx[..idx.len().min(10)], relevant, t.relevant.len()).ndcg[1];
            for (id, &i) in list.iter().zip(&idx) {
                if !plain.contains(id) {
                    explored += 1;
                    hits += usize::from(relevant(i));
                }
            }
        }
        ndcg /= split.test.len() as f64;
        if w == 0.0 {
            base = ndcg;
        }
        let slots = 25 * split.test.len();
        println!(
            "| {w} | {ndcg:.4} | {:.1}% | {:.1}% | {:.1}% |",
            100.0 * ndcg / base,
            100.0 * explored as f64 / slots as f64,
            100.0 * hits as f64 / explored.max(1) as f64
        );
    }
}

fn sorted(items: &[u32]) -> Vec<u32> {
    let mut v = items.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

const NEW_ITEM_GENRES: [&str; 8] =
    ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi", "Thriller", "Children's"];

fn new_items(data: &TrainingData) {
    let model = user_personalization::fit(RECIPE, data, &TrainingConfig::default());
    let newest = data.max_timestamp().unwrap_or(0);
    let put: Vec<NewItem> = NEW_ITEM_GENRES
        .iter()
        .map(|g| NewItem {
            item_id: format!("new-{g}"),
            tokens: vec![format!("GENRES={g}"), "YEAR~1995".into()],
            created: Some(newest),
        })
        .collect();
    let model = model.with_new_items(&put);
    // Films by genre, most watched first.
    let mut counts = vec![0usize; data.num_items()];
    for &i in data.interaction_items() {
        counts[i as usize] += 1;
    }
    let genre_films = |g: &str| -> Vec<u32> {
        let token = data.features().get(&format!("GENRES={g}"));
        let mut films: Vec<u32> = (0..data.num_items() as u32)
            .filter(|&i| token.is_some_and(|t| data.item_features(i).contains(&t)))
            .collect();
        films.sort_by_key(|&i| std::cmp::Reverse(counts[i as usize]));
        films
    };
    println!();
    println!("## A new item per genre, put after training; 40 users per genre who just watched 10 of its films");
    println!("| explorationWeight | new item in the top 25 |");
    println!("|---|---|");
    let mut rng = SmallRng::seed_from_u64(42);
    let users: Vec<u32> = (0..40).map(|_| rng.gen_range(0..data.num_users() as u32)).collect();
    for w in WEIGHTS {
        let (mut shown, mut asked) = (0, 0);
        for g in NEW_ITEM_GENRES {
            let films = genre_films(g);
            for &u in &users {
                let seen = sorted(data.user_interactions(u).items);
                let watched: Vec<u32> =
                    films.iter().copied().filter(|i| seen.binary_search(i).is_err()).take(10).collect();
                let history: Vec<HistoryEvent> = watched
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| HistoryEvent {
                        item_id: data.item_id(i).to_string(),
                        event_type: Some("rating".into()),
                        timestamp: newest + 60 * k as i64,
                    })
                    .collect();
                let mut skip = seen.clone();
                skip.extend(&watched);
                skip.sort_unstable();
                let excluded = |i: u32| skip.binary_search(&i).is_ok();
                let q = RecommendQuery {
                    user_id: Some(data.user_id(u)),
                    item_id: None,
                    num_results: 25,
                    exclude: &|_| false,
                    exclude_index: Some(&excluded),
                    candidates: None,
                    context: &[],
                    exploration: exploration(w, u64::from(u) * 31 + asked as u64),
                };
                let list = model.recommend_with_history(&q, &history);
                shown += usize::from(list.iter().any(|s| s.item_id == format!("new-{g}")));
                asked += 1;
            }
        }
        println!("| {w} | {:.1}% ({shown} of {asked}) |", 100.0 * shown as f64 / asked as f64);
    }
}

/// Rounds of the online simulation, users served per round, list length.
const ROUNDS: usize = 20;
const USERS_PER_ROUND: usize = 300;
const LIST: usize = 10;

fn simulation(data: &TrainingData) {
    // True taste: a model of all the data; a user likes their top 50 films (click 40%), their
    // top 200 somewhat (10%), others rarely (0.5%).
    let world = user_personalization::fit(RECIPE, data, &TrainingConfig::default());
    let n_users = data.num_users() as u32;
    let taste: Vec<(HashSet<u32>, HashSet<u32>)> = (0..n_users)
        .map(|u| {
            let top = world.top_indices_for_vector(world.user_vector_by_index(u), 200, &[]);
            (top[..50].iter().copied().collect(), top.into_iter().collect())
        })
        .collect();
    // 30 good films (popularity ranks 20..320, every 10th) arrive as new items.
    let mut counts = vec![0usize; data.num_items()];
    for &i in data.interaction_items() {
        counts[i as usize] += 1;
    }
    let mut by_pop: Vec<u32> = (0..data.num_items() as u32).collect();
    by_pop.sort_by_key(|&i| std::cmp::Reverse(counts[i as usize]));
    let arrivals: Vec<u32> = by_pop[20..320].iter().step_by(10).copied().collect();
    let new: HashSet<u32> = arrivals.iter().copied().collect();
    let best_new = *new.iter().max_by_key(|&&i| (taste.iter().filter(|t| t.1.contains(&i)).count(), i)).unwrap();
    let start = strip_items(data, &new);
    let newest = data.max_timestamp().unwrap_or(0);
    println!();
    println!(
        "## Online simulation: {} new films (3 a round), {ROUNDS} rounds of {USERS_PER_ROUND} users, top {LIST}, UPDATE retraining after each round",
        new.len()
    );
    println!(
        "| explorationWeight | clicks | clicks on new films | first round the best new film is in ≥ 5% of lists |"
    );
    println!("|---|---|---|---|");
    for w in WEIGHTS {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut model: UpModel = user_personalization::fit(RECIPE, &start, &TrainingConfig::default());
        let mut clicks: Vec<(u32, u32, i64)> = Vec::new();
        let (mut total, mut on_new, mut widely) = (0usize, 0usize, None);
        for round in 0..ROUNDS {
            let mut best_shown = 0;
            for _ in 0..USERS_PER_ROUND {
                let u = rng.gen_range(0..n_users);
                let mut seen: Vec<u32> = data.user_interactions(u).items.to_vec();
                seen.retain(|i| !new.contains(i));
                seen.extend(clicks.iter().filter(|c| c.0 == u).map(|c| c.1));
                // The model's catalogue is in its own order: exclude by id.
                let mut seen: HashSet<&str> = seen.iter().map(|&i| data.item_id(i)).collect();
                seen.extend(arrivals[(3 * (round + 1)).min(arrivals.len())..].iter().map(|&i| data.item_id(i)));
                let q = RecommendQuery {
                    user_id: Some(data.user_id(u)),
                    item_id: None,
                    num_results: LIST,
                    exclude: &|id| seen.contains(id),
                    exclude_index: None,
                    candidates: None,
                    context: &[],
                    exploration: exploration(w, rng.gen()),
                };
                let list: Vec<String> = model.recommend(&q).into_iter().map(|s| s.item_id).collect();
                for id in list {
                    let i = data.item_index(&id).unwrap();
                    best_shown += usize::from(i == best_new);
                    let p = if new.contains(&i) && taste[u as usize].1.contains(&i) {
                        0.5
                    } else if taste[u as usize].0.contains(&i) {
                        0.4
                    } else if taste[u as usize].1.contains(&i) {
                        0.1
                    } else {
                        0.005
                    };
                    if rng.gen_bool(p) {
                        total += 1;
                        on_new += usize::from(new.contains(&i));
                        clicks.push((u, i, newest + 3600 * (round as i64 + 1)));
                    }
                }
            }
            if widely.is_none() && best_shown * 20 >= USERS_PER_ROUND {
                widely = Some(round + 1);
            }
            let with_clicks = append(&start, &clicks);
            model = user_personalization::update(RECIPE, &model, &with_clicks, &TrainingConfig::default());
        }
        println!("| {w} | {total} | {on_new} | {} |", widely.map_or("never".to_string(), |r| r.to_string()));
    }
}

/// `data` without any interaction with `items` (the catalogue keeps them).
fn strip_items(data: &TrainingData, items: &HashSet<u32>) -> TrainingData {
    rebuild(data, &[], |i| !items.contains(&i))
}

/// `data` plus the interactions `extra` (user, item, time).
fn append(data: &TrainingData, extra: &[(u32, u32, i64)]) -> TrainingData {
    rebuild(data, extra, |_| true)
}

fn rebuild(data: &TrainingData, extra: &[(u32, u32, i64)], keep: impl Fn(u32) -> bool) -> TrainingData {
    let mut b = reko_engine::TrainingDataBuilder::new();
    for (u, h) in data.iter_users() {
        for k in 0..h.len() {
            if keep(h.items[k]) {
                b.push_interaction(
                    data.user_id(u),
                    data.item_id(h.items[k]),
                    h.timestamps[k],
                    Some("rating"),
                    Some(4.0),
                );
            }
        }
    }
    for &(u, i, t) in extra {
        b.push_interaction(data.user_id(u), data.item_id(i), t, Some("rating"), Some(4.0));
    }
    for i in 0..data.num_items() as u32 {
        let tokens: Vec<&str> = data.item_features(i).iter().map(|&f| data.features().name(f)).collect();
        b.push_item_features(data.item_id(i), &tokens);
    }
    b.build()
}
