//! Baskets: shoppers buying an item and, minutes later, its accessory, the co-purchases that
//! "frequently bought together" learns. Each shopper is fond of one category (90% of their
//! baskets); an item's accessory is a fixed item of another category, so a recipe relating
//! everything a shopper bought (SIMS) sees the shopper's taste, and one that relates what is
//! bought together sees the accessory. The last basket of each shopper is held out.

use rand::{Rng, SeedableRng};

/// The shape of a basket data set.
#[derive(Clone, Debug, PartialEq)]
pub struct BasketConfig {
    pub shoppers: usize,
    pub categories: usize,
    pub items_per_category: usize,
    /// Baskets per shopper, three days apart (the last one held out).
    pub baskets: usize,
    /// Epoch seconds of the first basket.
    pub start: i64,
    pub seed: u64,
}

impl Default for BasketConfig {
    fn default() -> Self {
        Self { shoppers: 300, categories: 10, items_per_category: 10, baskets: 30, start: 1_700_000_000, seed: 17 }
    }
}

/// One purchase (event type `Purchase`).
#[derive(Clone, Debug, PartialEq)]
pub struct Purchase {
    pub user: String,
    pub item: String,
    pub timestamp: i64,
}

/// The purchases of every basket but each shopper's last, and the last baskets as
/// `(item, accessory)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Baskets {
    pub purchases: Vec<Purchase>,
    pub held_out: Vec<(String, String)>,
}

/// Item `k` of `category`.
pub fn basket_item(category: usize, k: usize) -> String {
    format!("c{category}-i{k}")
}

/// The accessory bought with item `k` of `category`: an item of another category (a bijection).
pub fn accessory_of(cfg: &BasketConfig, category: usize, k: usize) -> String {
    basket_item((category + 3) % cfg.categories, (k * 7) % cfg.items_per_category)
}

/// The data set `cfg` describes (a pure function of it).
pub fn baskets(cfg: &BasketConfig) -> Baskets {
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let (mut purchases, mut held_out) = (Vec::new(), Vec::new());
    for u in 0..cfg.shoppers {
        let user = format!("shopper{u}");
        let fond = u % cfg.categories;
        for basket in 0..cfg.baskets {
            let category = if rng.gen_bool(0.9) { fond } else { rng.gen_range(0..cfg.categories) };
            let k = rng.gen_range(0..cfg.items_per_category);
            let t = cfg.start + basket as i64 * 3 * 86_400 + rng.gen_range(0..3_600);
            let (main, accessory) = (basket_item(category, k), accessory_of(cfg, category, k));
            if basket + 1 == cfg.baskets {
                held_out.push((main, accessory));
            } else {
                purchases.push(Purchase { user: user.clone(), item: main, timestamp: t });
                purchases.push(Purchase { user: user.clone(), item: accessory, timestamp: t + 120 });
            }
        }
    }
    Baskets { purchases, held_out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_basket_is_an_item_and_its_accessory_and_the_last_is_held_out() {
        let cfg = BasketConfig { shoppers: 4, baskets: 3, ..BasketConfig::default() };
        let b = baskets(&cfg);
        assert_eq!((b.purchases.len(), b.held_out.len()), (4 * 2 * 2, 4));
        for pair in b.purchases.chunks(2) {
            assert_eq!((&pair[0].user, pair[0].timestamp + 120), (&pair[1].user, pair[1].timestamp));
            let (c, k) = pair[0].item.trim_start_matches('c').split_once("-i").unwrap();
            assert_eq!(pair[1].item, accessory_of(&cfg, c.parse().unwrap(), k.parse().unwrap()));
        }
        assert_eq!(b, baskets(&cfg), "deterministic");
    }
}
