//! Filters see the same data after a restart.

use super::*;

// ---- After a restart filters see the same data --------------------------------------------------

/// Restarts a server, so it stages a group on a server of its own, and writes to it what the
/// tests above write (each checked there): a purchase, the heavy and windowed purchases,
/// PutUsers and PutItems.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_see_the_same_data_after_a_restart() {
    let now = unix_now();
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let mut server = Server::start(&data_dir);
    let (c, rt, ev) = (&server.control.clone(), &server.runtime.clone(), &server.events.clone());
    let files = write_data(&tmp.path().join("csv"), now);
    let schemas = create_schemas(c).await;
    let g = &stage(c, "flt", &schemas, &files).await;
    let f0 = list(get(rt, &g.up, Some("u01"), ALL, Some(&g.f_purchase), &[]).await, "no purchases");
    put_events(ev, &g.tracking_id, "u01", vec![event("Purchase", &f0[0], now)]).await;
    put_events(ev, &g.tracking_id, "heavy", vec![event("purchase", "i01", now - 5000)]).await;
    put_heavy_purchases(ev, &g.tracking_id, now).await;
    let r = list(get(rt, &g.up, Some("u04"), ALL, None, &[]).await, "u04");
    put_window_purchases(ev, &g.tracking_id, now, &r[0], &r[1]).await;
    put_user(ev, &g.ds_users, "u00", 20, "std").await;
    put_user(ev, &g.ds_users, "u01", 21, "vip").await;
    put_new_items(ev, &g.ds_items, now).await;

    // Filter definitions, put items and users, and real-time events all come back from storage.
    let probes: Vec<Probe> = vec![
        ("genre", &g.up, Some("u03"), &g.f_genre, vec![("G", r#""z""#)]),
        ("purchases", &g.up, Some("u01"), &g.f_purchase, vec![]),
        ("window", &g.up, Some("heavy"), &g.f_purchase, vec![]),
        ("window", &g.up, Some("u04"), &g.f_window, vec![]),
        ("price", &g.up, Some("u02"), &g.f_price, vec![("P", "4.8")]),
        ("vip", &g.up, Some("u01"), &g.f_vip, vec![]),
        ("vip", &g.up, Some("u00"), &g.f_vip, vec![]),
        ("recent", &g.up, Some("u03"), &g.f_recent, vec![]),
        ("recent", &g.pop, None, &g.f_recent, vec![]),
    ];
    let mut before = Vec::new();
    for (what, camp, user, filter, values) in &probes {
        before.push(list(get(rt, camp, *user, ALL, Some(filter), values).await, what));
    }
    server.kill();
    server = Server::start(&data_dir);
    let rt = &server.runtime.clone();
    for ((what, camp, user, filter, values), want) in probes.iter().zip(&before) {
        let got = list(get(rt, camp, *user, ALL, Some(filter), values).await, what);
        assert_eq!(&got, want, "{what} ({user:?}) after a restart");
    }
}
