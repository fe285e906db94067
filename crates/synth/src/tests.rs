use std::collections::{HashMap, HashSet};

use super::*;

fn small() -> SynthConfig {
    SynthConfig { users: 2_000, items: 1_000, interactions: 100_000, seed: 7, ..SynthConfig::default() }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn counts_match_config() {
    let cfg = small();
    let d = generate(&cfg).unwrap();
    assert_eq!(d.users.len(), cfg.users);
    assert_eq!(d.items.len(), cfg.items);
    assert_eq!(d.interactions.len(), cfg.interactions);
    assert!(d.interactions.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
}

#[test]
fn deterministic_for_same_seed_and_different_for_other_seeds() {
    let cfg = small();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let fa = write_dataset(a.path(), &cfg).unwrap();
    let fb = write_dataset(b.path(), &cfg).unwrap();
    assert_eq!(read(&fa.interactions), read(&fb.interactions));
    assert_eq!(read(&fa.items), read(&fb.items));
    assert_eq!(read(&fa.users), read(&fb.users));

    let c = tempfile::tempdir().unwrap();
    let other = SynthConfig { seed: 8, ..cfg };
    let fc = write_dataset(c.path(), &other).unwrap();
    assert_ne!(read(&fa.interactions), read(&fc.interactions));
    assert_ne!(read(&fa.items), read(&fc.items));
}

#[test]
fn headers_match_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_dataset(dir.path(), &SynthConfig { interactions: 1_000, ..small() }).unwrap();
    for (path, schema, header, rows) in [
        (&files.interactions, interactions_schema(), &INTERACTIONS_HEADER[..], 1_000),
        (&files.items, items_schema(), &ITEMS_HEADER[..], 1_000),
        (&files.users, users_schema(), &USERS_HEADER[..], 2_000),
    ] {
        let text = read(path);
        let mut lines = text.lines();
        let first = lines.next().unwrap();
        assert_eq!(first, header.join(","), "{}", path.display());
        // Schema field names, in order, are the header columns.
        let names: Vec<&str> = schema.split("{\"name\":\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
        assert_eq!(names, header, "{schema}");
        let mut n = 0;
        for line in lines {
            assert_eq!(line.split(',').count(), header.len(), "{line}");
            n += 1;
        }
        assert_eq!(n, rows);
        assert!(schema.len() < 20_000);
        assert!(schema.starts_with("{\"type\":\"record\""));
    }
}

#[test]
fn values_are_well_formed() {
    let cfg = small();
    let dir = tempfile::tempdir().unwrap();
    let files = write_dataset(dir.path(), &cfg).unwrap();
    let mut reader = csv::Reader::from_path(&files.interactions).unwrap();
    let mut events: HashMap<String, usize> = HashMap::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        assert!(rec[0].starts_with('u') && rec[1].starts_with('i'));
        *events.entry(rec[2].to_string()).or_default() += 1;
        let v: f64 = rec[3].parse().unwrap();
        assert!(v > 0.0 && v <= 1.0, "{v}");
        assert!(DEVICES.contains(&&rec[4]));
        let ts: i64 = rec[5].parse().unwrap();
        assert!(ts >= cfg.start_timestamp() && ts < cfg.end_timestamp);
    }
    // view > click > purchase, all present.
    assert!(events["view"] > events["click"] && events["click"] > events["purchase"]);
    assert!(events["purchase"] > 0);

    let cats = load_item_categories(&files.items).unwrap();
    assert_eq!(cats.len(), cfg.items);
    let known: HashSet<String> = (0..cfg.categories).map(category_name).collect();
    assert!(cats.values().all(|c| known.contains(c)));
    let mut reader = csv::Reader::from_path(&files.items).unwrap();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let price: f64 = rec[2].parse().unwrap();
        assert!(price >= 0.99);
        let created: i64 = rec[3].parse().unwrap();
        assert!(created < cfg.end_timestamp);
    }
}

#[test]
fn item_popularity_follows_a_power_law() {
    let cfg = SynthConfig { users: 5_000, items: 2_000, interactions: 300_000, ..SynthConfig::default() };
    let d = generate(&cfg).unwrap();
    let mut counts = vec![0usize; cfg.items];
    for i in &d.interactions {
        counts[i.item as usize] += 1;
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let total = cfg.interactions as f64;
    // Head: the top 1% of items hold far more than 1% of the interactions.
    let top1: usize = counts[..cfg.items / 100].iter().sum();
    assert!(top1 as f64 / total > 0.15, "top 1% share {}", top1 as f64 / total);
    // Log-log slope of rank/frequency between ranks 10 and 200 is close to -s.
    let (r1, r2) = (10usize, 200usize);
    let slope = ((counts[r2 - 1] as f64).ln() - (counts[r1 - 1] as f64).ln()) / ((r2 as f64).ln() - (r1 as f64).ln());
    assert!((-1.4..=-0.6).contains(&slope), "slope {slope}");
    // Long tail: the median item is much less popular than the top item.
    assert!(counts[0] > 20 * counts[cfg.items / 2].max(1));
}

#[test]
fn users_prefer_a_few_categories() {
    let cfg = small();
    let d = generate(&cfg).unwrap();
    let mut in_pref = 0usize;
    for i in &d.interactions {
        let user = &d.users[i.user as usize];
        if user.preferred.contains(&d.items[i.item as usize].category) {
            in_pref += 1;
        }
    }
    let share = in_pref as f64 / d.interactions.len() as f64;
    // ≥ preference_strength, plus what the global draws happen to hit.
    assert!(share > 0.8, "share {share}");
    // Users differ: many distinct favourite categories are in use.
    let favourites: HashSet<u16> = d.users.iter().map(|u| u.preferred[0]).collect();
    assert!(favourites.len() >= cfg.categories / 2);
}

#[test]
fn invalid_configs_are_rejected() {
    let bad = SynthConfig { users: 0, ..small() };
    assert_eq!(bad.validate(), Err(SynthError::Zero("users")));
    let err = generate(&bad).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let bad = SynthConfig { preference_strength: 1.5, ..small() };
    assert!(matches!(bad.validate(), Err(SynthError::OutOfRange { .. })));
    let bad = SynthConfig { event_mix: [0.0, 0.0, 0.0], ..small() };
    assert_eq!(bad.validate(), Err(SynthError::EventMix));
}

#[test]
fn more_categories_than_built_in_names() {
    let cfg = SynthConfig { categories: 40, interactions: 5_000, ..small() };
    let d = generate(&cfg).unwrap();
    assert!(d.items.iter().any(|i| i.category as usize >= CATEGORIES.len()));
    assert_eq!(category_name(39), "category_39");
}

#[test]
fn generation_is_fast() {
    // A million rows in well under a few seconds even in debug builds would be too strict on
    // shared CI; check the default demo size completes and is sane.
    let cfg = SynthConfig::default();
    let t = std::time::Instant::now();
    let d = generate(&cfg).unwrap();
    assert_eq!(d.interactions.len(), 500_000);
    let users_with_two = {
        let mut c = vec![0u32; cfg.users];
        for i in &d.interactions {
            c[i.user as usize] += 1;
        }
        c.iter().filter(|&&n| n >= 2).count()
    };
    assert!(users_with_two > cfg.users / 2, "{users_with_two}");
    assert!(t.elapsed().as_secs() < 60);
}
