use std::io;

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::sampler::CdfSampler;
use crate::{
    category_base_price, device_categories, Activity, Interaction, Item, SynthConfig, SynthDataset, User, AGE_GROUPS,
    DEVICES, MEMBERSHIPS,
};

/// Users per chunk of the per-user engine. Fixed (never derived from the thread count) so that
/// the output does not depend on how many threads generate it.
pub(crate) const CHUNK_USERS: usize = 2048;

/// Generates the whole dataset in memory (deterministic in `cfg`), interactions sorted by
/// timestamp.
///
/// Independent parts use independent RNG streams derived from the seed, so e.g. changing the
/// number of interactions does not change the users or items.
///
/// With [`Activity::Sampled`] (the default) every row picks its user independently from one RNG
/// stream: the original demo algorithm, byte-identical to earlier versions when
/// [`SynthConfig::context_effect`] is 0. With [`Activity::LogNormal`] each user's row count is
/// fixed up front ([`user_interaction_counts`]) and rows are generated per user in fixed chunks
/// of users, in parallel; the rows are exactly those [`crate::write_dataset_streaming`] writes
/// (which keeps them grouped by user instead of sorting them by time). The thread count never
/// changes the output.
pub fn generate(cfg: &SynthConfig) -> io::Result<SynthDataset> {
    let (users, items) = generate_catalog(cfg)?;
    let interactions = match cfg.activity {
        Activity::Sampled { sigma } => generate_sampled(cfg, sigma, &users, &items),
        Activity::LogNormal { .. } => {
            let counts = user_interaction_counts(cfg)?;
            let model = Model::new(cfg, &users, &items);
            let chunks = users.len().div_ceil(CHUNK_USERS);
            let parts: Vec<Vec<Interaction>> = (0..chunks).into_par_iter().map(|c| model.chunk(&counts, c)).collect();
            let mut out = Vec::with_capacity(cfg.interactions);
            for p in parts {
                out.extend_from_slice(&p);
            }
            out.par_sort_unstable_by_key(|i| (i.timestamp, i.user, i.item, i.event_type));
            out
        }
    };
    Ok(SynthDataset { users, items, interactions })
}

/// Validates `cfg` and generates its users and items (the part every engine shares).
pub(crate) fn generate_catalog(cfg: &SynthConfig) -> io::Result<(Vec<User>, Vec<Item>)> {
    cfg.validate()?;
    let category_weights: Vec<f64> = (0..cfg.categories).map(|k| 1.0 / ((k + 1) as f64).powf(0.6)).collect();
    let category_sampler = CdfSampler::new(category_weights.iter().copied()).expect("categories");
    let items = generate_items(cfg, &category_sampler);
    let users = generate_users(cfg, &category_sampler);
    Ok((users, items))
}

pub(crate) fn stream(cfg: &SynthConfig, salt: u64) -> SmallRng {
    // splitmix-style mixing so nearby seeds/salts give unrelated streams
    let mut z = cfg.seed.wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    SmallRng::seed_from_u64(z ^ (z >> 31))
}

/// Salt of the RNG stream of user chunk `c` (per-user engine).
fn chunk_salt(c: usize) -> u64 {
    (1 << 32) + c as u64
}

/// Standard normal draw (Box–Muller).
pub(crate) fn normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn generate_items(cfg: &SynthConfig, categories: &CdfSampler) -> Vec<Item> {
    let mut rng = stream(cfg, 1);
    // Popularity ranks are a random permutation so that popular items are spread over ids.
    let mut ranks: Vec<u32> = (0..cfg.items as u32).collect();
    ranks.shuffle(&mut rng);
    let start = cfg.start_timestamp();
    let end = cfg.end_timestamp;
    let year = 365 * 86_400;
    ranks
        .into_iter()
        .map(|popularity_rank| {
            let category = categories.sample(&mut rng) as u16;
            let price = round2((category_base_price(category as usize) * (0.6 * normal(&mut rng)).exp()).max(0.99));
            // 85% of the catalogue predates the window, 15% is added during it.
            let creation_timestamp = if rng.gen::<f64>() < 0.85 {
                rng.gen_range(start - year..start)
            } else {
                rng.gen_range(start..(end - 86_400).max(start + 1))
            };
            Item { category, price, creation_timestamp, popularity_rank }
        })
        .collect()
}

fn generate_users(cfg: &SynthConfig, categories: &CdfSampler) -> Vec<User> {
    let mut rng = stream(cfg, 2);
    let age_groups = CdfSampler::new([0.14, 0.26, 0.22, 0.16, 0.13, 0.09]).expect("weights");
    let memberships = CdfSampler::new([0.70, 0.20, 0.10]).expect("weights");
    let devices = CdfSampler::new([0.60, 0.30, 0.10]).expect("weights");
    debug_assert_eq!(age_groups.len(), AGE_GROUPS.len());
    debug_assert_eq!(memberships.len(), MEMBERSHIPS.len());
    let max_prefs = cfg.categories.min(3);
    (0..cfg.users)
        .map(|_| {
            let n_prefs = rng.gen_range(1..=max_prefs);
            let mut preferred: Vec<u16> = Vec::with_capacity(n_prefs);
            while preferred.len() < n_prefs {
                let c = categories.sample(&mut rng) as u16;
                if !preferred.contains(&c) {
                    preferred.push(c);
                }
            }
            User {
                age_group: age_groups.sample(&mut rng) as u8,
                membership: memberships.sample(&mut rng) as u8,
                device: devices.sample(&mut rng) as u8,
                preferred,
            }
        })
        .collect()
}

/// Number of interaction rows of every user (index-aligned with the users), summing exactly to
/// `cfg.interactions`.
///
/// * [`Activity::LogNormal`]: user `u` gets a weight `w_u = exp(sigma·z_u)` (`z_u` standard
///   normal). When `interactions >= users` every user gets 1 row plus a share of the remaining
///   `interactions - users` rows proportional to `w_u` (cumulative rounding, so the total is
///   exact); otherwise the shares of all rows (users may then get 0).
/// * [`Activity::Sampled`]: the counts of `interactions` independent draws of a user with
///   weights `w_u` (a multinomial; users can get 0). Only the streaming writer uses these counts:
///   [`generate`] keeps its original row-by-row algorithm for this mode.
pub fn user_interaction_counts(cfg: &SynthConfig) -> io::Result<Vec<u32>> {
    cfg.validate()?;
    let n = cfg.interactions as u64;
    let mut counts = vec![0u32; cfg.users];
    match cfg.activity {
        Activity::LogNormal { sigma } => {
            let mut rng = stream(cfg, 5);
            let weights: Vec<f64> = (0..cfg.users).map(|_| (sigma * normal(&mut rng)).exp()).collect();
            let total: f64 = weights.iter().sum();
            let floor = u64::from(n >= cfg.users as u64);
            let extra = n - floor * cfg.users as u64;
            let (mut cum, mut prev) = (0.0f64, 0u64);
            for (i, w) in weights.iter().enumerate() {
                cum += w;
                let target = if i + 1 == weights.len() {
                    extra
                } else {
                    ((cum / total * extra as f64).round() as u64).min(extra)
                };
                counts[i] = (floor + (target - prev)) as u32;
                prev = target;
            }
        }
        Activity::Sampled { sigma } => {
            let mut rng = stream(cfg, 6);
            let sampler = CdfSampler::new((0..cfg.users).map(|_| (sigma * normal(&mut rng)).exp())).expect("users");
            for _ in 0..n {
                counts[sampler.sample(&mut rng)] += 1;
            }
        }
    }
    Ok(counts)
}

/// Preference weights for a user's 1st, 2nd, 3rd category.
const PREF_WEIGHTS: [f64; 3] = [0.6, 0.3, 0.1];

/// Everything needed to draw one interaction row of a given user.
pub(crate) struct Model<'a> {
    cfg: &'a SynthConfig,
    users: &'a [User],
    items: &'a [Item],
    global: CdfSampler,
    members: Vec<Vec<u32>>,
    per_category: Vec<Option<CdfSampler>>,
    /// Per device: its categories that have at least one item.
    device_sets: Vec<Vec<u16>>,
    p_view: f64,
    p_click: f64,
}

impl<'a> Model<'a> {
    pub(crate) fn new(cfg: &'a SynthConfig, users: &'a [User], items: &'a [Item]) -> Self {
        // Zipf item popularity, globally and restricted to each category.
        let item_weight = |it: &Item| 1.0 / (f64::from(it.popularity_rank) + 1.0).powf(cfg.zipf_exponent);
        let global = CdfSampler::new(items.iter().map(item_weight)).expect("items");
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); cfg.categories];
        for (i, it) in items.iter().enumerate() {
            members[it.category as usize].push(i as u32);
        }
        let per_category: Vec<Option<CdfSampler>> =
            members.iter().map(|m| CdfSampler::new(m.iter().map(|&i| item_weight(&items[i as usize])))).collect();
        let device_sets = (0..DEVICES.len())
            .map(|d| {
                device_categories(cfg.categories, d)
                    .into_iter()
                    .filter(|&c| per_category[c as usize].is_some())
                    .collect()
            })
            .collect();
        let event_total: f64 = cfg.event_mix.iter().sum();
        Model {
            cfg,
            users,
            items,
            global,
            members,
            per_category,
            device_sets,
            p_view: cfg.event_mix[0] / event_total,
            p_click: cfg.event_mix[1] / event_total,
        }
    }

    fn device<R: Rng>(&self, rng: &mut R, user: &User) -> u8 {
        if rng.gen::<f64>() < 0.8 {
            user.device
        } else {
            rng.gen_range(0..DEVICES.len() as u8)
        }
    }

    fn in_category<R: Rng>(&self, rng: &mut R, category: u16) -> Option<usize> {
        let s = self.per_category[category as usize].as_ref()?;
        Some(self.members[category as usize][s.sample(rng)] as usize)
    }

    /// One row of user `u`. `device_first` draws the device before the item (needed for the
    /// context effect); `false` keeps the RNG call order of the original demo generator.
    pub(crate) fn row<R: Rng>(&self, rng: &mut R, u: usize, device_first: bool) -> Interaction {
        let user = &self.users[u];
        let early_device = device_first.then(|| self.device(rng, user));
        let mut item = None;
        // Context: on device d, with probability `context_effect` the category is one of d's.
        if let Some(d) = early_device {
            let set = &self.device_sets[d as usize];
            if self.cfg.context_effect > 0.0 && !set.is_empty() && rng.gen::<f64>() < self.cfg.context_effect {
                let k = rng.gen_range(0..set.len());
                item = self.in_category(rng, set[k]);
            }
        }
        if item.is_none() && rng.gen::<f64>() < self.cfg.preference_strength {
            let n = user.preferred.len();
            let mut x = rng.gen::<f64>() * PREF_WEIGHTS[..n].iter().sum::<f64>();
            let mut k = 0;
            while k + 1 < n && x >= PREF_WEIGHTS[k] {
                x -= PREF_WEIGHTS[k];
                k += 1;
            }
            item = self.in_category(rng, user.preferred[k]);
        }
        let item = item.unwrap_or_else(|| self.global.sample(rng));
        let in_pref = user.preferred.contains(&self.items[item].category);

        // Event type; purchases are twice as likely inside the user's favourite categories.
        let r: f64 = rng.gen();
        let boost = if in_pref { 2.0 } else { 1.0 };
        let p_purchase = (1.0 - self.p_view - self.p_click) * boost;
        let event_type = if r < p_purchase {
            2
        } else if r < p_purchase + self.p_click {
            1
        } else {
            0
        };
        // Engagement: views/clicks are deeper on preferred items; purchases are 1.0.
        let g: f64 = rng.gen();
        let event_value = match event_type {
            0 if in_pref => 0.30 + 0.70 * g.sqrt(),
            0 => 0.05 + 0.95 * g * g,
            1 if in_pref => 0.60 + 0.40 * g,
            1 => 0.40 + 0.60 * g,
            _ => 1.0,
        };
        let device = early_device.unwrap_or_else(|| self.device(rng, user));
        let start = self.cfg.start_timestamp();
        let end = self.cfg.end_timestamp;
        let lo = start.max(self.items[item].creation_timestamp);
        let timestamp = rng.gen_range(lo..end.max(lo + 1));
        Interaction {
            user: u as u32,
            item: item as u32,
            event_type,
            event_value: round2(event_value) as f32,
            device,
            timestamp,
        }
    }

    /// The rows of user chunk `c` (users `c·CHUNK_USERS..`), grouped by user in id order and
    /// sorted by time within a user. Depends only on `cfg`, `counts` and `c`.
    pub(crate) fn chunk(&self, counts: &[u32], c: usize) -> Vec<Interaction> {
        let mut rng = stream(self.cfg, chunk_salt(c));
        let users = c * CHUNK_USERS..((c + 1) * CHUNK_USERS).min(self.users.len());
        let total: usize = counts[users.clone()].iter().map(|&n| n as usize).sum();
        let mut out = Vec::with_capacity(total);
        for u in users {
            let from = out.len();
            for _ in 0..counts[u] {
                out.push(self.row(&mut rng, u, true));
            }
            out[from..].sort_unstable_by_key(|i| (i.timestamp, i.item, i.event_type));
        }
        out
    }
}

/// The original demo algorithm: every row draws its user from log-normal weights.
fn generate_sampled(cfg: &SynthConfig, sigma: f64, users: &[User], items: &[Item]) -> Vec<Interaction> {
    if cfg.interactions == 0 {
        return Vec::new();
    }
    let mut rng = stream(cfg, 3);
    // Heavy-tailed user activity (log-normal weights).
    let user_sampler = CdfSampler::new((0..users.len()).map(|_| (sigma * normal(&mut rng)).exp())).expect("users");
    let model = Model::new(cfg, users, items);
    let device_first = cfg.context_effect > 0.0;
    let mut out = Vec::with_capacity(cfg.interactions);
    for _ in 0..cfg.interactions {
        let u = user_sampler.sample(&mut rng);
        out.push(model.row(&mut rng, u, device_first));
    }
    out.sort_unstable_by_key(|i| (i.timestamp, i.user, i.item, i.event_type));
    out
}
