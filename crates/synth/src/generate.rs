use std::io;

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::sampler::CdfSampler;
use crate::{category_base_price, Interaction, Item, SynthConfig, SynthDataset, User, AGE_GROUPS, MEMBERSHIPS};

/// Generates the whole dataset in memory (deterministic in `cfg`).
///
/// Independent parts use independent RNG streams derived from the seed, so e.g. changing the
/// number of interactions does not change the users or items.
pub fn generate(cfg: &SynthConfig) -> io::Result<SynthDataset> {
    cfg.validate()?;
    let category_weights: Vec<f64> = (0..cfg.categories).map(|k| 1.0 / ((k + 1) as f64).powf(0.6)).collect();
    let category_sampler = CdfSampler::new(category_weights.iter().copied()).expect("categories");

    let items = generate_items(cfg, &category_sampler);
    let users = generate_users(cfg, &category_sampler);
    let interactions = generate_interactions(cfg, &users, &items);
    Ok(SynthDataset { users, items, interactions })
}

fn stream(cfg: &SynthConfig, salt: u64) -> SmallRng {
    // splitmix-style mixing so nearby seeds/salts give unrelated streams
    let mut z = cfg.seed.wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    SmallRng::seed_from_u64(z ^ (z >> 31))
}

/// Standard normal draw (Box–Muller).
fn normal<R: Rng>(rng: &mut R) -> f64 {
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

fn generate_interactions(cfg: &SynthConfig, users: &[User], items: &[Item]) -> Vec<Interaction> {
    if cfg.interactions == 0 {
        return Vec::new();
    }
    let mut rng = stream(cfg, 3);

    // Heavy-tailed user activity (log-normal).
    let user_sampler = CdfSampler::new((0..users.len()).map(|_| (1.1 * normal(&mut rng)).exp())).expect("users");

    // Zipf item popularity, globally and restricted to each category.
    let item_weight = |it: &Item| 1.0 / (f64::from(it.popularity_rank) + 1.0).powf(cfg.zipf_exponent);
    let global = CdfSampler::new(items.iter().map(item_weight)).expect("items");
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); cfg.categories];
    for (i, it) in items.iter().enumerate() {
        members[it.category as usize].push(i as u32);
    }
    let per_category: Vec<Option<CdfSampler>> =
        members.iter().map(|m| CdfSampler::new(m.iter().map(|&i| item_weight(&items[i as usize])))).collect();
    // Preference weights for a user's 1st, 2nd, 3rd category.
    const PREF_WEIGHTS: [f64; 3] = [0.6, 0.3, 0.1];
    let event_total: f64 = cfg.event_mix.iter().sum();
    let p_view = cfg.event_mix[0] / event_total;
    let p_click = cfg.event_mix[1] / event_total;

    let start = cfg.start_timestamp();
    let end = cfg.end_timestamp;
    let mut out = Vec::with_capacity(cfg.interactions);
    for _ in 0..cfg.interactions {
        let u = user_sampler.sample(&mut rng);
        let user = &users[u];
        let mut in_pref = false;
        let mut item = None;
        if rng.gen::<f64>() < cfg.preference_strength {
            let n = user.preferred.len();
            let mut x = rng.gen::<f64>() * PREF_WEIGHTS[..n].iter().sum::<f64>();
            let mut k = 0;
            while k + 1 < n && x >= PREF_WEIGHTS[k] {
                x -= PREF_WEIGHTS[k];
                k += 1;
            }
            let pick = user.preferred[k];
            if let Some(s) = &per_category[pick as usize] {
                item = Some(members[pick as usize][s.sample(&mut rng)] as usize);
                in_pref = true;
            }
        }
        let item = item.unwrap_or_else(|| global.sample(&mut rng));
        in_pref = in_pref || user.preferred.contains(&items[item].category);

        // Event type; purchases are twice as likely inside the user's favourite categories.
        let r: f64 = rng.gen();
        let boost = if in_pref { 2.0 } else { 1.0 };
        let p_purchase = (1.0 - p_view - p_click) * boost;
        let event_type = if r < p_purchase {
            2
        } else if r < p_purchase + p_click {
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
        let device = if rng.gen::<f64>() < 0.8 { user.device } else { rng.gen_range(0..3) };
        let created = items[item].creation_timestamp;
        let lo = start.max(created);
        let timestamp = rng.gen_range(lo..end.max(lo + 1));
        out.push(Interaction {
            user: u as u32,
            item: item as u32,
            event_type,
            event_value: round2(event_value) as f32,
            device,
            timestamp,
        });
    }
    out.sort_unstable_by_key(|i| (i.timestamp, i.user, i.item, i.event_type));
    out
}
