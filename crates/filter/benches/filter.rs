//! Benchmark: parse + bind + evaluate filters over a synthetic 100k-item table.
//!
//! Run: `cargo bench -p reko-filter --bench filter`
//! (set REKO_BENCH_ITEMS to change the size).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use reko_dataset::{Field, FieldType, Schema};
use reko_filter::{parse, AttributeTable, EvalContext, Interaction, Value};

/// xorshift64*: enough randomness for synthetic data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Name, filter text and `filterValues`.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

fn per_iter(total: Duration, iters: u32) -> f64 {
    total.as_secs_f64() * 1e6 / f64::from(iters)
}

fn main() {
    let n: usize = std::env::var("REKO_BENCH_ITEMS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let schema = Schema {
        name: "Items".into(),
        namespace: None,
        fields: vec![
            Field::new("ITEM_ID", FieldType::String),
            Field::new("CATEGORY", FieldType::String).categorical(),
            Field::new("PRICE", FieldType::Float),
            Field::new("CREATION_TIMESTAMP", FieldType::Long),
        ],
    };
    let categories: Vec<String> = (0..12).map(|c| format!("cat-{c:02}")).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let t = Instant::now();
    let mut items = AttributeTable::new(&schema);
    for i in 0..n {
        let c1 = &categories[(rng.next() % 12) as usize];
        let cat =
            if rng.next() % 4 == 0 { format!("{c1}|{}", categories[(rng.next() % 12) as usize]) } else { c1.clone() };
        let price = (rng.next() % 10_000) as f64 / 100.0;
        let ts = 1_600_000_000.0 + (rng.next() % 100_000_000) as f64;
        items
            .upsert(
                &format!("item-{i:08}"),
                &[("CATEGORY", Value::Str(&cat)), ("PRICE", Value::Num(price)), ("CREATION_TIMESTAMP", Value::Num(ts))],
            )
            .unwrap();
    }
    println!("table: {} items, 12 categories, built in {:.2?}", items.len(), t.elapsed());

    let event_ids: Vec<String> = (0..100).map(|_| format!("item-{:08}", rng.next() % n as u64)).collect();
    let events: Vec<Interaction<'_>> = event_ids
        .iter()
        .enumerate()
        .map(|(i, id)| Interaction {
            item_id: id,
            event_type: if i % 3 == 0 { "purchase" } else { "click" },
            timestamp: 1_700_000_000 - i as i64 * 3_600,
        })
        .collect();
    let ctx = EvalContext::new(1_700_000_000).with_interactions(&events);
    let probe: Vec<u32> = (0..500).map(|_| (rng.next() % n as u64) as u32).collect();

    let cases: [Case<'_>; 4] = [
        ("categorical IN ($C), 1 value", "INCLUDE ItemID WHERE Items.CATEGORY IN ($C)", &[("C", "\"cat-03\"")]),
        (
            "categorical IN ($C), 3 values",
            "INCLUDE ItemID WHERE Items.CATEGORY IN ($C)",
            &[("C", "\"cat-03\",\"cat-07\",\"cat-11\"")],
        ),
        ("numeric <=", "INCLUDE ItemID WHERE Items.PRICE <= $PRICE", &[("PRICE", "25")]),
        (
            "mixed: IN + NOW() window | EXCLUDE purchases (7d)",
            "INCLUDE ItemID WHERE Items.CATEGORY IN ($C) AND Items.CREATION_TIMESTAMP > NOW() - 365d | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\") AND Interactions.TIMESTAMP > NOW() - 7d",
            &[("C", "\"cat-03\",\"cat-04\"")],
        ),
    ];
    let iters = 2_000u32;
    for (name, text, pairs) in cases {
        let values: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let filter = parse(text).unwrap();
        let bound = filter.bind(&values).unwrap();
        let allowed = bound.item_rows(&items, &ctx).unwrap().allowed_rows().map_or(n, |r| r.count());
        // warm-up
        for _ in 0..50 {
            black_box(bound.item_rows(&items, &ctx).unwrap());
        }
        let t = Instant::now();
        for _ in 0..iters {
            black_box(parse(black_box(text)).unwrap());
        }
        let parse_us = per_iter(t.elapsed(), iters);
        let t = Instant::now();
        for _ in 0..iters {
            black_box(filter.bind(black_box(&values)).unwrap());
        }
        let bind_us = per_iter(t.elapsed(), iters);
        let t = Instant::now();
        for _ in 0..iters {
            black_box(bound.item_rows(black_box(&items), &ctx).unwrap());
        }
        let eval_us = per_iter(t.elapsed(), iters);
        let t = Instant::now();
        let mut kept = 0usize;
        for _ in 0..iters {
            let f = parse(black_box(text)).unwrap();
            let b = f.bind(&values).unwrap();
            let d = b.item_rows(&items, &ctx).unwrap();
            kept += probe.iter().filter(|&&r| d.allows_row(r)).count();
        }
        let total_us = per_iter(t.elapsed(), iters);
        black_box(kept);
        println!(
            "{name:<50} allowed {allowed:>6}/{n}: parse {parse_us:6.2} µs, bind {bind_us:5.2} µs, evaluate {eval_us:7.2} µs, parse+bind+evaluate+500 lookups {total_us:7.2} µs"
        );
    }
}
