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

// ---- per-user (large-scale) engine, activity and context ----

fn lognormal(sigma: f64) -> SynthConfig {
    SynthConfig {
        users: 3_000,
        items: 1_000,
        interactions: 60_000,
        seed: 3,
        activity: Activity::LogNormal { sigma },
        ..SynthConfig::default()
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

#[test]
fn demo_defaults_and_output_are_unchanged() {
    let d = SynthConfig::default();
    assert_eq!(d.activity, Activity::Sampled { sigma: 1.1 });
    assert_eq!(d.context_effect, 0.0);
    // Golden output of the original demo algorithm (recorded before the large-scale engine was
    // added): the conformance tests' small config.
    let cfg = SynthConfig { users: 300, items: 200, interactions: 6_000, seed: 11, ..SynthConfig::default() };
    let dir = tempfile::tempdir().unwrap();
    let files = write_dataset(dir.path(), &cfg).unwrap();
    let text = std::fs::read(&files.interactions).unwrap();
    let head: Vec<&str> = std::str::from_utf8(&text).unwrap().lines().take(3).collect();
    assert_eq!(head[1], "u69,i165,click,0.94,tablet,1727917250");
    assert_eq!(head[2], "u288,i101,view,0.62,mobile,1727918585");
    assert_eq!((text.len(), fnv1a(&text)), (228_474, 0xe768_bc10_832d_8af4));
}

#[test]
fn streaming_is_deterministic_and_independent_of_the_thread_count() {
    let cfg = SynthConfig { context_effect: 0.4, ..lognormal(1.0) };
    let write = |threads: usize| {
        let dir = tempfile::tempdir().unwrap();
        let files = pool(threads).install(|| write_dataset_streaming(dir.path(), &cfg)).unwrap();
        (read(&files.interactions), read(&files.items), read(&files.users))
    };
    let one = write(1);
    assert_eq!(one, write(3));
    assert_eq!(one, write(2));
    // In-memory generation of the same config is thread-independent too.
    assert_eq!(pool(1).install(|| generate(&cfg)).unwrap(), pool(3).install(|| generate(&cfg)).unwrap());
    // Another seed, another dataset.
    let dir = tempfile::tempdir().unwrap();
    let other = write_dataset_streaming(dir.path(), &SynthConfig { seed: 4, ..cfg.clone() }).unwrap();
    assert_ne!(one.0, read(&other.interactions));
    // Sampled activity streams deterministically as well.
    let sampled = SynthConfig { activity: Activity::Sampled { sigma: 1.1 }, ..cfg };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let fa = pool(1).install(|| write_dataset_streaming(a.path(), &sampled)).unwrap();
    let fb = pool(2).install(|| write_dataset_streaming(b.path(), &sampled)).unwrap();
    assert_eq!(read(&fa.interactions), read(&fb.interactions));
    assert_eq!(read(&fa.interactions).lines().count(), sampled.interactions + 1);
}

#[test]
fn streamed_rows_are_the_in_memory_rows_grouped_by_user() {
    let cfg = SynthConfig { context_effect: 0.3, ..lognormal(1.0) };
    let dir = tempfile::tempdir().unwrap();
    let files = write_dataset_streaming(dir.path(), &cfg).unwrap();
    let streamed = read(&files.interactions);
    let in_memory_path = dir.path().join("in_memory.csv");
    let data = generate(&cfg).unwrap();
    write_interactions(&in_memory_path, &data.interactions).unwrap();
    let in_memory = read(&in_memory_path);
    // Same bytes per row (formatting identical to the csv writer), different order.
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().skip(1).map(str::to_string).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(sorted(&streamed), sorted(&in_memory));
    assert!(data.interactions.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    // The stream is grouped by user in id order, by time within a user.
    let rows: Vec<(usize, i64)> = streamed
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0][1..].parse().unwrap(), f[5].parse().unwrap())
        })
        .collect();
    assert!(rows.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(read(&files.items), {
        let p = dir.path().join("items2.csv");
        write_items(&p, &data.items).unwrap();
        read(&p)
    });
}

#[test]
fn streaming_headers_match_schemas() {
    let cfg = SynthConfig { users: 500, items: 300, interactions: 5_000, ..lognormal(1.0) };
    let dir = tempfile::tempdir().unwrap();
    let files = write_dataset_streaming(dir.path(), &cfg).unwrap();
    let bytes = write_interactions_streaming(&dir.path().join("again.csv"), &cfg).unwrap();
    assert_eq!(bytes, std::fs::metadata(&files.interactions).unwrap().len());
    for (path, schema, header, rows) in [
        (&files.interactions, interactions_schema(), &INTERACTIONS_HEADER[..], cfg.interactions),
        (&files.items, items_schema(), &ITEMS_HEADER[..], cfg.items),
        (&files.users, users_schema(), &USERS_HEADER[..], cfg.users),
    ] {
        let names: Vec<&str> = schema.split("{\"name\":\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
        assert_eq!(names, header);
        let mut reader = csv::Reader::from_path(path).unwrap();
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), header);
        let mut n = 0;
        for rec in reader.records() {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), header.len());
            if header == INTERACTIONS_HEADER {
                assert!(EVENT_TYPES.contains(&&rec[2]) && DEVICES.contains(&&rec[4]));
                let v: f64 = rec[3].parse().unwrap();
                assert!(v > 0.0 && v <= 1.0);
                let ts: i64 = rec[5].parse().unwrap();
                assert!(ts >= cfg.start_timestamp() && ts < cfg.end_timestamp);
            }
            n += 1;
        }
        assert_eq!(n, rows, "{}", path.display());
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn lognormal_activity_has_a_lognormal_shape_and_no_idle_user() {
    let sigma = 1.0;
    let cfg = SynthConfig { users: 5_000, interactions: 500_000, ..lognormal(sigma) };
    let counts = user_interaction_counts(&cfg).unwrap();
    assert_eq!(counts.len(), cfg.users);
    assert_eq!(counts.iter().map(|&c| c as usize).sum::<usize>(), cfg.interactions);
    assert!(counts.iter().all(|&c| c >= 1));
    // Beyond the 1 row everyone gets, counts are proportional to exp(sigma·z):
    // ln(count - 1) is normal with standard deviation sigma, and mean/median = exp(sigma²/2).
    let logs: Vec<f64> = counts.iter().filter(|&&c| c > 1).map(|&c| f64::from(c - 1).ln()).collect();
    assert!(logs.len() > cfg.users * 95 / 100);
    let m = logs.iter().sum::<f64>() / logs.len() as f64;
    let sd = (logs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / logs.len() as f64).sqrt();
    assert!((sd - sigma).abs() < 0.1, "sd {sd}");
    let mut as_f64: Vec<f64> = counts.iter().map(|&c| f64::from(c)).collect();
    let mean = cfg.interactions as f64 / cfg.users as f64;
    let ratio = mean / median(&mut as_f64);
    assert!((ratio / (sigma * sigma / 2.0).exp() - 1.0).abs() < 0.15, "mean/median {ratio}");
    // Heavy tail: the most active 1% of users hold several times their share.
    let top: u32 = as_f64.iter().rev().take(cfg.users / 100).map(|&c| c as u32).sum();
    assert!(f64::from(top) / cfg.interactions as f64 > 0.05);

    // The generated rows follow the counts exactly.
    let small = lognormal(sigma);
    let d = generate(&small).unwrap();
    let mut per_user = vec![0u32; small.users];
    for i in &d.interactions {
        per_user[i.user as usize] += 1;
    }
    assert_eq!(per_user, user_interaction_counts(&small).unwrap());

    // Fewer interactions than users: exact total, idle users allowed.
    let sparse = SynthConfig { interactions: 1_000, ..lognormal(sigma) };
    let c = user_interaction_counts(&sparse).unwrap();
    assert_eq!(c.iter().sum::<u32>(), 1_000);
    assert!(c.contains(&0));
    // Sampled activity: exact total as well (a multinomial, so some users get nothing).
    let sampled = SynthConfig { activity: Activity::Sampled { sigma: 1.1 }, ..lognormal(sigma) };
    assert_eq!(user_interaction_counts(&sampled).unwrap().iter().sum::<u32>(), 60_000);
}

#[test]
fn lognormal_engine_keeps_zipf_popularity_and_preferences() {
    let cfg = SynthConfig { users: 5_000, items: 2_000, interactions: 300_000, ..lognormal(1.0) };
    let d = generate(&cfg).unwrap();
    let mut counts = vec![0usize; cfg.items];
    let mut in_pref = 0usize;
    for i in &d.interactions {
        counts[i.item as usize] += 1;
        in_pref += usize::from(d.users[i.user as usize].preferred.contains(&d.items[i.item as usize].category));
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let total = cfg.interactions as f64;
    let top1: usize = counts[..cfg.items / 100].iter().sum();
    assert!(top1 as f64 / total > 0.15, "top 1% share {}", top1 as f64 / total);
    let (r1, r2) = (10usize, 200usize);
    let slope = ((counts[r2 - 1] as f64).ln() - (counts[r1 - 1] as f64).ln()) / ((r2 as f64).ln() - (r1 as f64).ln());
    assert!((-1.4..=-0.6).contains(&slope), "slope {slope}");
    assert!(in_pref as f64 / total > 0.8);
}

/// Per device: the share of each category among that device's interactions.
fn category_share_by_device(d: &SynthDataset, categories: usize) -> Vec<Vec<f64>> {
    let mut n = vec![vec![0usize; categories]; DEVICES.len()];
    for i in &d.interactions {
        n[i.device as usize][d.items[i.item as usize].category as usize] += 1;
    }
    n.iter()
        .map(|row| {
            let t = row.iter().sum::<usize>().max(1) as f64;
            row.iter().map(|&c| c as f64 / t).collect()
        })
        .collect()
}

fn total_variation(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / 2.0
}

#[test]
fn context_effect_makes_the_device_predict_the_category() {
    for activity in [Activity::LogNormal { sigma: 1.0 }, Activity::Sampled { sigma: 1.1 }] {
        let base = SynthConfig { users: 4_000, items: 1_500, interactions: 80_000, seed: 9, activity, ..small() };
        let off = category_share_by_device(&generate(&base).unwrap(), base.categories);
        let on_cfg = SynthConfig { context_effect: 0.5, ..base.clone() };
        let on_data = generate(&on_cfg).unwrap();
        let on = category_share_by_device(&on_data, base.categories);
        for (a, b) in [(0, 1), (0, 2), (1, 2)] {
            let tv_off = total_variation(&off[a], &off[b]);
            let tv_on = total_variation(&on[a], &on[b]);
            // (Without context the only differences are sampling noise: ~0.03-0.05 here.)
            assert!(tv_off < 0.1, "{activity:?}: without context, devices {a}/{b} differ by {tv_off}");
            assert!(tv_on > 0.35, "{activity:?}: with context, devices {a}/{b} differ only by {tv_on}");
        }
        // On each device, its own categories dominate.
        for (d, share) in on.iter().enumerate() {
            let own: f64 = device_categories(base.categories, d).iter().map(|&c| share[c as usize]).sum();
            assert!(own > 0.6, "{activity:?}: device {d} own-category share {own}");
        }
        // The devices themselves keep their mix (mostly the user's primary device, mobile first).
        let mut per_device = [0usize; 3];
        for i in &on_data.interactions {
            per_device[i.device as usize] += 1;
        }
        assert!(per_device[0] > per_device[1] && per_device[1] > per_device[2], "{per_device:?}");
    }
    assert_eq!(device_categories(12, 0), vec![0, 3, 6, 9]);
    assert_eq!(device_categories(2, 2), Vec::<u16>::new());
    // Fewer categories than devices: the device without categories falls back to the usual draw.
    let tiny = SynthConfig { categories: 2, context_effect: 1.0, interactions: 2_000, ..lognormal(1.0) };
    assert_eq!(generate(&tiny).unwrap().interactions.len(), 2_000);
}

#[test]
fn new_options_are_validated() {
    let bad = SynthConfig { context_effect: 1.5, ..small() };
    assert!(matches!(bad.validate(), Err(SynthError::OutOfRange { field: "context_effect", .. })));
    let bad = SynthConfig { context_effect: f64::NAN, ..small() };
    assert!(bad.validate().is_err());
    let bad = SynthConfig { activity: Activity::LogNormal { sigma: -1.0 }, ..small() };
    assert!(matches!(bad.validate(), Err(SynthError::OutOfRange { field: "activity.sigma", .. })));
    let bad = SynthConfig { users: 0, ..lognormal(1.0) };
    assert!(write_dataset_streaming(tempfile::tempdir().unwrap().path(), &bad).is_err());
    assert!(user_interaction_counts(&bad).is_err());
    let large = SynthConfig::large();
    assert_eq!((large.users, large.items, large.interactions), (1_000_000, 100_000, 25_000_000));
    assert_eq!(large.activity, Activity::LogNormal { sigma: 1.0 });
    large.validate().unwrap();
    // The config (with its new fields) round-trips through serde with defaults for absent keys.
    let cfg: SynthConfig =
        serde_json::from_str(r#"{"users":10,"activity":{"log_normal":{"sigma":0.5}},"context_effect":0.2}"#).unwrap();
    assert_eq!(cfg.activity, Activity::LogNormal { sigma: 0.5 });
    assert_eq!(cfg.items, SynthConfig::default().items);
}
