//! Exploration for User-Personalization campaigns (`itemExplorationConfig`): which items may be
//! explored, which of them a request shows, and where they go in its list.
//!
//! Candidates are items without interactions in the training data (including items added since,
//! by PutItems or imports), items with few interactions, and items created within
//! `explorationItemAgeCutOff` days of the newest interaction. Each request samples an optimistic
//! relevance for them (Thompson sampling with an optimism that grows with `explorationWeight`):
//! the model's estimate plus its uncertainty times `optimism + N(0, 1)`, the uncertainty
//! shrinking with the item's interactions. A candidate takes a slot only when that sample beats
//! the last item the list would show without exploration (the relevance floor); picks take at
//! most `explorationWeight` of the list, best sample first, in the slots at its end. So an
//! irrelevant rare item does not take a slot, a new item that matches a user's taste often
//! does, the items a user is surest to want keep their places, and different requests spread
//! exposure over the plausible candidates.

use rand::rngs::SmallRng;
use rand::{Rng, RngCore, SeedableRng};

use crate::model::Exploration;
use crate::recipes::{als, kmeans};

/// Items with at most this many interactions are explored for their uncertainty; items with
/// more only while younger than the cut-off.
pub(crate) const RARE_MAX: u32 = 9;
/// Items without interactions one request scores at most; more are sampled uniformly.
pub(crate) const DIRECT_MAX: usize = 4096;
/// Rare items (1 to [`RARE_MAX`] interactions), and young items with more, one request scores at
/// most, each sampled uniformly: their uncertainty is small, and large catalogues have tens of
/// thousands of them.
pub(crate) const SAMPLE: usize = 256;
/// A draw whose needed deviation exceeds this many standard deviations is not made (it would
/// succeed less than once in a million).
const HOPELESS_Z: f32 = 5.0;
/// How many candidates ahead `prefetch` is told of.
const PREFETCH_AHEAD: usize = 8;
/// How many draws ahead a pool's entries are fetched.
const POOL_AHEAD: usize = 16;
/// Optimism (in standard deviations of a candidate's relevance) at `explorationWeight` 1; chosen
/// on MovieLens 100K with `cargo bench -p reko-engine --bench exploration` (BENCHMARKS.md).
pub(crate) const OPTIMISM: f64 = 6.0;
/// The uncertainty of an item with `n` interactions is this share of a new item's, over
/// `1 + n`: an item that stayed rare is usually rare for a reason its trained factors already
/// show, while a new item is known only by its metadata.
pub(crate) const RARE_SD_SCALE: f32 = 0.3;

/// The candidates of one model, built once per model.
pub(crate) struct ExplorationIndex {
    /// Items without interactions.
    new: Vec<u32>,
    /// Items with 1 to [`RARE_MAX`] interactions.
    rare: Vec<Candidate>,
    /// The others with a creation time, newest first, and their creation times.
    by_age: Vec<Candidate>,
    created: Vec<i64>,
    /// Mean and standard deviation of the log popularity of items with interactions: what a
    /// request without a user vector assumes of an item without any.
    pub(crate) popularity_prior: (f32, f32),
    /// Items without interactions grouped by identical factors, when they share few.
    pub(crate) profiles: Option<Profiles>,
}

/// Items without interactions have only the factors their metadata predicts, so items with the
/// same metadata tokens have the same factors: a catalogue with hundreds of thousands of new
/// items often has a few hundred distinct ones. A request then scores each distinct row once
/// instead of reading thousands of rows scattered over the factor matrix.
pub(crate) struct Profiles {
    /// The profile of each item (`u32::MAX`: not a grouped new item).
    of: Vec<u32>,
    /// The profile of each item of [`ExplorationIndex::new`], in its order (read with the item,
    /// so a draw from the pool costs one read).
    of_new: Vec<u32>,
    /// One item of each profile, whose factor row stands for all of them.
    pub(crate) representatives: Vec<u32>,
    /// The new items profile by profile: profile `p`'s are `members[starts[p]..starts[p + 1]]`
    /// (a sample then draws only among the profiles that can earn a slot).
    members: Vec<u32>,
    starts: Vec<usize>,
}

impl Profiles {
    /// New items are grouped when there are at least this many per distinct row...
    const MIN_SHARE: usize = 4;
    /// ... and at most this many distinct rows (a request scores each).
    const MAX_PROFILES: usize = 1024;

    /// Groups `new` by identical rows of `y` (stride `s`); `None` when grouping saves little.
    fn build(new: &[u32], n: usize, y: &[f32], s: usize) -> Option<Profiles> {
        if new.len() < 2 * Self::MIN_SHARE || y.len() < n * s {
            return None;
        }
        let row = |i: u32| &y[i as usize * s..(i as usize + 1) * s];
        let mut distinct = kmeans::DistinctRows::default();
        let (mut of, mut representatives) = (vec![u32::MAX; n], Vec::<u32>::new());
        for &i in new {
            let (p, first) = distinct.id(row(i));
            if first {
                if (representatives.len() + 1) * Self::MIN_SHARE > new.len()
                    || representatives.len() == Self::MAX_PROFILES
                {
                    return None;
                }
                representatives.push(i);
            }
            of[i as usize] = p;
        }
        let of_new: Vec<u32> = new.iter().map(|&i| of[i as usize]).collect();
        let (positions, starts) = kmeans::group_by_cluster(&of_new, representatives.len());
        let members = positions.into_iter().map(|j| new[j as usize]).collect();
        Some(Profiles { of, of_new, representatives, members, starts })
    }

    /// The profile of item `i`, if it is a grouped new item.
    pub(crate) fn of(&self, i: u32) -> Option<usize> {
        self.of.get(i as usize).filter(|&&p| p != u32::MAX).map(|&p| p as usize)
    }
}

/// An item of a sampled pool with what a draw needs before reading its factor row (a sample's
/// draws land anywhere in the catalogue).
#[derive(Debug, Clone, Copy)]
struct Candidate {
    item: u32,
    /// Interactions.
    count: u32,
    /// ‖factor row‖: a bound of the item's logit for a user, so that a hopeless item is
    /// skipped without reading its row.
    norm: f32,
}

/// One request's exploration.
pub(crate) struct Request<'a> {
    pub exploration: &'a Exploration,
    /// Slots exploration may take.
    pub slots: usize,
    /// The logit a candidate's sample must reach: the last item of the list without exploration
    /// (−∞ when that list is short).
    pub floor: f32,
    /// Standard deviation of the logit of an item without interactions, for this user.
    pub sd: f32,
    /// Newest interaction of the training data (the cut-off counts from it).
    pub newest: i64,
    /// The relevance of each profile's new items (`Profiles`), when a new item's relevance is
    /// its profile's alone (no context, no objective): their draws then read no item data.
    pub profile_logits: Option<&'a [f32]>,
}

/// A candidate that earned a slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pick {
    /// The sampled relevance that placed it.
    pub sampled: f32,
    /// The model's logit (what its score reports).
    pub logit: f32,
    pub item: u32,
}

impl ExplorationIndex {
    /// `popularity[i]` is item `i`'s share of (recency-weighted) interactions; `y` the item
    /// factors (stride `s`).
    pub(crate) fn build(counts: &[u32], created: &[i64], popularity: &[f32], y: &[f32], s: usize) -> Self {
        let new: Vec<u32> = (0..counts.len() as u32).filter(|&i| counts[i as usize] == 0).collect();
        let profiles = Profiles::build(&new, counts.len(), y, s);
        let candidate = |i: u32| {
            let row = y.get(i as usize * s..(i as usize + 1) * s).unwrap_or(&[]);
            let norm = if row.is_empty() { f32::INFINITY } else { als::dot(row, row).sqrt() };
            Candidate { item: i, count: counts[i as usize], norm }
        };
        let rare: Vec<Candidate> =
            (0..counts.len() as u32).filter(|&i| (1..=RARE_MAX).contains(&counts[i as usize])).map(candidate).collect();
        let mut aged: Vec<(i64, u32)> = (0..counts.len() as u32)
            .filter(|&i| counts[i as usize] > RARE_MAX && created[i as usize] != i64::MIN)
            .map(|i| (created[i as usize], i))
            .collect();
        aged.sort_unstable_by(|a, b| b.cmp(a));
        let (created, by_age): (Vec<i64>, Vec<Candidate>) = aged.into_iter().map(|(t, i)| (t, candidate(i))).unzip();
        let logs: Vec<f64> =
            popularity.iter().zip(counts).filter(|(_, &c)| c > 0).map(|(&p, _)| f64::from(p + 1e-9).ln()).collect();
        let n = logs.len().max(1) as f64;
        let mean = logs.iter().sum::<f64>() / n;
        let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n).sqrt();
        // Requests read the pools at random.
        crate::memory::prefer_huge_pages(&new);
        crate::memory::prefer_huge_pages(&rare);
        crate::memory::prefer_huge_pages(&by_age);
        ExplorationIndex { new, rare, by_age, created, popularity_prior: (mean as f32, sd as f32), profiles }
    }

    /// The candidates `req` explores, best sample first: at most `req.slots`, each passing `ok`
    /// and with a sample at or above the floor. `logit(i, n)` is the model's estimate of item `i`,
    /// which has `n` interactions (NaN: not scorable); `reach(norm)` the highest logit an item
    /// with interactions whose factor row has that norm can have (∞: no bound), so that a
    /// hopeless one is skipped unread; `prefetch(i)` is told a few candidates
    /// ahead which item `logit` will read next (candidates lie anywhere in a large catalogue's
    /// factors, so each would otherwise be a cache miss).
    pub(crate) fn pick(
        &self,
        req: &Request<'_>,
        logit: impl Fn(u32, u32) -> f32,
        reach: impl Fn(f32) -> f32,
        ok: impl Fn(u32) -> bool,
        prefetch: impl Fn(u32),
    ) -> Vec<Pick> {
        let e = req.exploration;
        if req.slots == 0 || e.weight <= 0.0 {
            return Vec::new();
        }
        let cut = e.item_age_cut_off_days * 86_400.0;
        let young = self.created.partition_point(|&created| (req.newest.saturating_sub(created)) as f64 <= cut);
        let mut rng = SmallRng::seed_from_u64(e.seed.unwrap_or_else(rand::random));
        let optimism = (OPTIMISM * e.weight) as f32;
        let mut picks: Vec<Pick> = Vec::new();
        let mut normal = Normal::default();
        let sd_of = |n: u32| if n == 0 { req.sd } else { req.sd * RARE_SD_SCALE / (1.0 + n as f32) };
        // Whether an item with relevance `mu` and `n` interactions cannot earn a slot.
        let hopeless = |mu: f32, n: u32| {
            let sd = sd_of(n);
            mu.is_nan() || sd <= 0.0 || (req.floor - mu) / sd - optimism > HOPELESS_Z
        };
        // Item `item()` with relevance `mu` and `n` interactions; the item is looked up only
        // when its sample earns a slot (a draw among the new items lands anywhere in a large
        // array: looking every draw up was most of a request's exploration).
        let mut consider = |item: &dyn Fn() -> u32, mu: f32, n: u32, rng: &mut SmallRng| {
            if hopeless(mu, n) {
                return;
            }
            let sd = sd_of(n);
            let sampled = mu + sd * (optimism + normal.sample(rng));
            if sampled >= req.floor {
                let i = item();
                if ok(i) {
                    picks.push(Pick { sampled, logit: mu, item: i });
                }
            }
        };
        let (mut draws, mut positions) = (Vec::new(), Vec::new());
        // Items without interactions: all of them while they are few, else a sample; grouped
        // ones take their profile's relevance.
        if let (Some(grouped), Some(profiles)) = (req.profile_logits, &self.profiles) {
            let mut visit = |j: usize, rng: &mut SmallRng| {
                let mu = grouped[profiles.of_new[j] as usize];
                consider(&|| self.new[j], mu, 0, rng)
            };
            if self.new.len() <= DIRECT_MAX {
                (0..self.new.len()).for_each(|j| visit(j, &mut rng));
            } else {
                // `DIRECT_MAX` uniform draws among the new items, of which only those landing
                // in a profile that can earn a slot matter: how many land there, then where.
                let hopeful: Vec<usize> = (0..grouped.len()).filter(|&p| !hopeless(grouped[p], 0)).collect();
                // Where each hopeful profile's members end, counted over the hopeful ones only.
                let ends: Vec<usize> = hopeful
                    .iter()
                    .scan(0, |end, &p| {
                        *end += profiles.starts[p + 1] - profiles.starts[p];
                        Some(*end)
                    })
                    .collect();
                let within = ends.last().copied().unwrap_or(0);
                let threshold = ((within as u128) << 32) / self.new.len() as u128;
                let hits = (0..DIRECT_MAX).filter(|_| u128::from(rng.next_u32()) < threshold).count();
                for _ in 0..hits {
                    let r = rng.gen_range(0..within);
                    let k = ends.partition_point(|&end| end <= r);
                    let (p, first) = (hopeful[k], if k == 0 { 0 } else { ends[k - 1] });
                    let at = profiles.starts[p] + r - first;
                    consider(&|| profiles.members[at], grouped[p], 0, &mut rng);
                }
            }
        }
        let new_pool = if req.profile_logits.is_some() && self.profiles.is_some() { &[][..] } else { &self.new[..] };
        // A pool's candidates (`at(j)`: its `j`-th): all of them while they are at most
        // `budget`, else `budget` uniform draws. Those whose bound is already hopeless are
        // skipped (a hopeless item draws nothing, so the picks are the same).
        let mut sample =
            |len: usize, at: &dyn Fn(usize) -> Candidate, fetch: &dyn Fn(usize), budget: usize, rng: &mut SmallRng| {
                draws.clear();
                let live = |c: &Candidate| c.count == 0 || !hopeless(reach(c.norm), c.count);
                if len <= budget {
                    draws.extend((0..len).map(at).filter(live));
                } else {
                    // The draws first, their candidates fetched a few ahead: each lies anywhere in
                    // a pool of hundreds of thousands.
                    positions.clear();
                    positions.extend((0..budget).map(|_| rng.gen_range(0..len)));
                    positions.iter().take(POOL_AHEAD).for_each(|&j| fetch(j));
                    for (k, &j) in positions.iter().enumerate() {
                        if let Some(&ahead) = positions.get(k + POOL_AHEAD) {
                            fetch(ahead);
                        }
                        let c = at(j);
                        if live(&c) {
                            draws.push(c);
                        }
                    }
                }
                for j in 0..draws.len() {
                    if let Some(next) = draws.get(j + PREFETCH_AHEAD) {
                        prefetch(next.item);
                    }
                    let c = draws[j];
                    consider(&|| c.item, logit(c.item, c.count), c.count, rng);
                }
            };
        let new_item = |i: u32| Candidate { item: i, count: 0, norm: f32::INFINITY };
        let (rare, by_age) = (&self.rare, &self.by_age);
        sample(new_pool.len(), &|j| new_item(new_pool[j]), &|j| als::prefetch(&new_pool[j]), DIRECT_MAX, &mut rng);
        sample(rare.len(), &|j| rare[j], &|j| als::prefetch(&rare[j]), SAMPLE, &mut rng);
        sample(young, &|j| by_age[j], &|j| als::prefetch(&by_age[j]), SAMPLE, &mut rng);
        picks.sort_unstable_by(|a, b| b.sampled.total_cmp(&a.sampled).then(a.item.cmp(&b.item)));
        // Sampling draws with replacement: keep each item's best draw.
        let mut seen = rustc_hash::FxHashSet::default();
        picks.retain(|p| seen.insert(p.item));
        picks.truncate(req.slots);
        picks
    }
}

/// The list shown, `want` long, as `(item, logit, explored)`: the best of the exploitation list `main`
/// (`(logit, item)`, best first), then the `picks` in the slots at the end of the list they
/// take from it. Exploration never moves the items a user is surest to want.
pub(crate) fn merge(main: &[(f32, u32)], picks: &[Pick], want: usize) -> Vec<(u32, f32, bool)> {
    let head = want.saturating_sub(picks.len()).min(main.len());
    let main = main[..head].iter().map(|&(l, i)| (i, l, false));
    main.chain(picks.iter().map(|p| (p.item, p.logit, true))).take(want).collect()
}

/// Draws from N(0, 1) by Marsaglia's polar method: two per logarithm, no trigonometry (a
/// request draws for thousands of candidates).
#[derive(Default)]
struct Normal {
    spare: Option<f32>,
}

impl Normal {
    fn sample(&mut self, rng: &mut SmallRng) -> f32 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let (u, v): (f64, f64) = (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
            let r = u * u + v * v;
            if r > 0.0 && r < 1.0 {
                let f = (-2.0 * r.ln() / r).sqrt();
                self.spare = Some((v * f) as f32);
                return (u * f) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(e: &Exploration, slots: usize, floor: f32) -> Request<'_> {
        Request { exploration: e, slots, floor, sd: 1.0, newest: 100 * 86_400, profile_logits: None }
    }

    /// Beyond `DIRECT_MAX` grouped new items, the draws that matter land in the profiles that
    /// can earn a slot as uniform draws over all new items would: about a third of 4,096 draws
    /// here, spread over the whole profile, and none in the hopeless ones.
    #[test]
    fn sampled_new_items_come_from_the_hopeful_profiles_at_the_uniform_rate() {
        let n = 12_000;
        let counts = vec![0u32; n];
        let y: Vec<f32> = (0..n).map(|i| (i % 3) as f32 + 1.0).collect();
        let ix = ExplorationIndex::build(&counts, &vec![i64::MIN; n], &vec![0.0; n], &y, 1);
        let profiles = ix.profiles.as_ref().expect("three rows shared by 4,000 items each");
        let logits = [0.0, -100.0, -100.0];
        let e = Exploration { weight: 1.0, item_age_cut_off_days: 30.0, seed: Some(7) };
        let req = Request { profile_logits: Some(&logits), ..request(&e, n, 0.0) };
        let picks = ix.pick(&req, |_, _| f32::NAN, |_| f32::INFINITY, |_| true, |_| {});
        assert!(picks.iter().all(|p| profiles.of(p.item) == Some(0)), "only the hopeful profile");
        // 4,096 draws, a third of them in the profile: about 1,150 distinct of its 4,000 items.
        assert!((1_050..1_250).contains(&picks.len()), "{} picks", picks.len());
        let (lo, hi) = picks.iter().fold((u32::MAX, 0), |(lo, hi), p| (lo.min(p.item), hi.max(p.item)));
        assert!(lo < 100 && hi > n as u32 - 100, "drawn over the whole profile: {lo}..{hi}");
    }

    /// The work of one request's exploration does not grow with the catalogue: with new items
    /// grouped by profile and rare items far below the floor, it reads no row at all, whether
    /// the catalogue holds 20,000 items or 200,000; with rare items in reach, at most `SAMPLE`.
    #[test]
    fn exploration_reads_as_many_rows_at_any_catalogue_size() {
        let rows_read = |n: usize, rare_reach: f32| {
            // Two thirds new (2 profiles), a third rare (3 interactions, row norm 1).
            let counts: Vec<u32> = (0..n).map(|i| if i % 3 == 2 { 3 } else { 0 }).collect();
            let y: Vec<f32> = (0..n).map(|i| [2.0, 3.0, 1.0][i % 3]).collect();
            let ix = ExplorationIndex::build(&counts, &vec![i64::MIN; n], &vec![0.0; n], &y, 1);
            let logits = [0.0, -100.0];
            let e = Exploration { weight: 0.3, item_age_cut_off_days: 30.0, seed: Some(5) };
            let req = Request { profile_logits: Some(&logits), ..request(&e, 10, 0.0) };
            let read = std::cell::Cell::new(0usize);
            let logit = |_, _| {
                read.set(read.get() + 1);
                -100.0
            };
            ix.pick(&req, logit, |norm| norm * rare_reach, |_| true, |_| {});
            read.get()
        };
        assert_eq!((rows_read(20_000, -50.0), rows_read(200_000, -50.0)), (0, 0));
        assert_eq!((rows_read(20_000, 1.0), rows_read(200_000, 1.0)), (SAMPLE, SAMPLE));
    }

    #[test]
    fn candidates_are_rare_or_young_items() {
        // Item 0: new; 1: rare; 2: popular and old; 3: popular and created 5 days before the newest event.
        let counts = [0, 3, 500, 500];
        let created = [i64::MIN, i64::MIN, 0, 95 * 86_400];
        let ix = ExplorationIndex::build(&counts, &created, &[0.0; 4], &[0.0; 4], 1);
        let e = Exploration { weight: 1.0, item_age_cut_off_days: 30.0, seed: Some(1) };
        let picks = ix.pick(&request(&e, 4, f32::NEG_INFINITY), |_, _| 0.0, |_| f32::INFINITY, |_| true, |_| {});
        let mut items: Vec<u32> = picks.iter().map(|p| p.item).collect();
        items.sort_unstable();
        assert_eq!(items, [0, 1, 3]);
        let e = Exploration { item_age_cut_off_days: 1.0, ..e };
        let picks = ix.pick(&request(&e, 4, f32::NEG_INFINITY), |_, _| 0.0, |_| f32::INFINITY, |_| true, |_| {});
        assert!(picks.iter().all(|p| p.item < 2), "{picks:?}");
    }

    #[test]
    fn a_candidate_far_below_the_floor_never_takes_a_slot() {
        let counts = [0, 0];
        let ix = ExplorationIndex::build(&counts, &[i64::MIN; 2], &[0.0; 2], &[0.0; 2], 1);
        let logit = |i: u32, _| if i == 0 { -50.0 } else { 0.5 };
        let mut shown = [0; 2];
        for seed in 0..500 {
            let e = Exploration { weight: 0.9, item_age_cut_off_days: 30.0, seed: Some(seed) };
            for p in ix.pick(&request(&e, 2, 1.0), logit, |_| f32::INFINITY, |_| true, |_| {}) {
                shown[p.item as usize] += 1;
            }
        }
        assert_eq!(shown[0], 0);
        // Just below the floor with full uncertainty: shown most of the time at weight 0.9.
        assert!(shown[1] > 350, "{shown:?}");
    }

    #[test]
    fn uncertainty_shrinks_with_interactions_and_optimism_with_the_weight() {
        let counts = [0, 9];
        let ix = ExplorationIndex::build(&counts, &[i64::MIN; 2], &[0.0; 2], &[0.0; 2], 1);
        let rate = |weight: f64, item: u32| {
            (0..1000)
                .filter(|&seed| {
                    let e = Exploration { weight, item_age_cut_off_days: 30.0, seed: Some(seed) };
                    ix.pick(&request(&e, 2, 1.0), |_, _| 0.0, |_| f32::INFINITY, |_| true, |_| {})
                        .iter()
                        .any(|p| p.item == item)
                })
                .count()
        };
        assert!(rate(0.9, 0) > rate(0.9, 1), "a new item is more uncertain than one with 9 interactions");
        assert!(rate(0.9, 0) > rate(0.3, 0), "a higher weight explores more");
        assert_eq!(rate(0.0, 0), 0);
    }

    #[test]
    fn requests_spread_exposure_over_equal_candidates() {
        let counts = [0u32; 50];
        let ix = ExplorationIndex::build(&counts, &[i64::MIN; 50], &[0.0; 50], &[0.0; 50], 1);
        let mut shown = [0; 50];
        for seed in 0..400 {
            let e = Exploration { weight: 0.3, item_age_cut_off_days: 30.0, seed: Some(seed) };
            for p in ix.pick(&request(&e, 3, 0.0), |_, _| 0.0, |_| f32::INFINITY, |_| true, |_| {}) {
                shown[p.item as usize] += 1;
            }
        }
        assert!(shown.iter().all(|&n| n > 0), "{shown:?}");
    }

    #[test]
    fn new_items_are_grouped_only_when_they_share_rows() {
        // 16 new items over 2 distinct rows (stride 2), then 16 with rows of their own.
        let shared: Vec<f32> = (0..16).flat_map(|i| [(i % 2) as f32, 1.0]).collect();
        let counts = [0u32; 16];
        let ix = ExplorationIndex::build(&counts, &[i64::MIN; 16], &[0.0; 16], &shared, 2);
        let p = ix.profiles.expect("16 items over 2 rows");
        assert_eq!(p.representatives, [0, 1]);
        assert_eq!((p.of(4), p.of(5)), (Some(0), Some(1)));
        let distinct: Vec<f32> = (0..16).flat_map(|i| [i as f32, 1.0]).collect();
        assert!(ExplorationIndex::build(&counts, &[i64::MIN; 16], &[0.0; 16], &distinct, 2).profiles.is_none());
    }

    #[test]
    fn the_normal_draws_have_mean_0_and_variance_1() {
        let (mut rng, mut normal) = (SmallRng::seed_from_u64(3), Normal::default());
        let draws: Vec<f64> = (0..200_000).map(|_| f64::from(normal.sample(&mut rng))).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        let beyond_2 = draws.iter().filter(|d| d.abs() > 2.0).count() as f64 / draws.len() as f64;
        assert!(mean.abs() < 0.01 && (var - 1.0).abs() < 0.01, "mean {mean}, variance {var}");
        assert!((beyond_2 - 0.0455).abs() < 0.002, "share beyond 2 sd: {beyond_2}");
    }

    #[test]
    fn picks_take_the_slots_at_the_end_of_the_list() {
        let main = [(3.0, 10), (2.0, 11), (1.0, 12)];
        let picks = [Pick { sampled: 2.5, logit: 0.1, item: 20 }, Pick { sampled: 1.5, logit: 0.2, item: 21 }];
        let list: Vec<u32> = merge(&main, &picks, 3).into_iter().map(|x| x.0).collect();
        assert_eq!(list, [10, 20, 21]);
        assert_eq!(merge(&main, &[], 3).into_iter().map(|x| x.0).collect::<Vec<_>>(), [10, 11, 12]);
        assert_eq!(merge(&main[..1], &picks, 3).into_iter().map(|x| x.0).collect::<Vec<_>>(), [10, 20, 21]);
    }
}
