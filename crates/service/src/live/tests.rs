//! Real-time state's bookkeeping: stitching, caps, eviction.

use super::*;

fn ev(item: &str, ts: i64) -> LiveEvent {
    let mut e = LiveEvent::new(item, "click", None, ts);
    e.seq = ts;
    e
}

#[test]
fn anonymous_sessions_are_stitched_to_the_user_at_once() {
    let mut g = GroupState::new(Arc::default());
    g.apply(None, "s1", vec![ev("a", 1), ev("b", 2)]);
    assert_eq!(g.events_of("s1").unwrap().len(), 2);
    assert!(g.events_of("u1").is_none());
    g.apply(Some("u1"), "s1", vec![ev("c", 3)]);
    let items: Vec<&str> = g.events_of("u1").unwrap().iter().map(|e| &*e.item_id).collect();
    assert_eq!(items, ["a", "b", "c"]);
    // The session id now resolves to the user; later anonymous events of it go to the user.
    assert_eq!(g.resolve("s1"), "u1");
    g.apply(None, "s1", vec![ev("d", 4)]);
    assert_eq!(g.events_of("s1").unwrap().len(), 4);
    assert!(g.sessions.is_empty());
}

#[test]
fn filter_history_keeps_the_newest_per_event_type() {
    let mut events: Vec<LiveEvent> = (0..150).map(|t| ev("x", t)).collect();
    events.extend((0..3).map(|t| LiveEvent::new("y", "BUY", None, t)));
    newest_per_type(&mut events, 100);
    assert_eq!(events.iter().filter(|e| &*e.event_type == "click").count(), 100);
    assert_eq!(events.iter().filter(|e| &*e.event_type == "BUY").count(), 3);
    assert!(events.iter().filter(|e| &*e.event_type == "click").all(|e| e.timestamp >= 50));
}

#[test]
fn histories_are_bounded_keeping_the_newest() {
    let mut g = GroupState::new(Arc::default());
    for t in 0..(MAX_EVENTS_PER_USER as i64 + 20) {
        g.apply(Some("u"), "s", vec![ev("x", t)]);
    }
    let events = g.events_of("u").unwrap();
    assert_eq!(events.len(), MAX_EVENTS_PER_USER);
    assert_eq!(events[0].timestamp, 20);
}

/// Applies an event to `group` of `live` (a group not loaded yet starts empty).
fn put(live: &LiveState, group: &str, user: Option<&str>, session: &str, t: i64) {
    live.with_group_loading(
        group,
        || Ok(GroupState::new(live.clock.clone())),
        |g| g.apply(user, session, vec![ev("x", t)]),
    )
    .unwrap();
}

/// The users and sessions `group` of `live` holds, sorted.
fn held_in(live: &LiveState, group: &str) -> Vec<String> {
    let mut ids = live
        .with_group_loading(
            group,
            || Ok(GroupState::new(live.clock.clone())),
            |g| g.users.keys().chain(g.sessions.keys()).cloned().collect::<Vec<_>>(),
        )
        .unwrap();
    ids.sort();
    ids
}

#[test]
fn live_users_are_capped_evicting_the_least_recently_used() {
    let live = LiveState::new(3, 1000, DEFAULT_FILTER_INTERACTIONS_PER_TYPE);
    put(&live, "g1", Some("a"), "a", 1);
    put(&live, "g1", Some("b"), "b", 2);
    put(&live, "g2", None, "s", 3);
    assert_eq!(live.held(), 3);
    // `a` asks for recommendations: `b` is now the least recently used.
    live.with_group_loading("g1", || unreachable!("loaded"), |g| g.touch("a")).unwrap();
    put(&live, "g2", Some("d"), "d", 4);
    assert_eq!(live.held(), 3, "the cap holds, all groups together");
    assert_eq!(held_in(&live, "g1"), ["a"]);
    assert_eq!(held_in(&live, "g2"), ["d", "s"]);
    // Many more users than the cap: the map stays at the cap, keeping the most recent.
    for u in 0..100 {
        put(&live, "g1", Some(&format!("u{u:03}")), &format!("u{u:03}"), 10 + u);
    }
    assert_eq!(live.held(), 3);
    assert_eq!(held_in(&live, "g1"), ["u097", "u098", "u099"]);
    assert!(held_in(&live, "g2").is_empty());
    // A stitched session counts; evicting its user drops the link too.
    put(&live, "g1", Some("u099"), "web-1", 200);
    assert_eq!(live.held(), 3);
    assert_eq!(held_in(&live, "g1"), ["u098", "u099"]);
    live.with_group_loading("g1", || unreachable!("loaded"), |g| assert_eq!(g.resolve("web-1"), "u099")).unwrap();
    put(&live, "g1", Some("n1"), "n1", 201);
    assert_eq!(live.held(), 3);
    assert_eq!(held_in(&live, "g1"), ["n1", "u099"]);
    // `u099` is now the least recently used: it goes, and its session link with it.
    put(&live, "g1", Some("n2"), "n2", 202);
    assert_eq!(live.held(), 2);
    assert_eq!(held_in(&live, "g1"), ["n1", "n2"]);
    live.with_group_loading(
        "g1",
        || unreachable!("loaded"),
        |g| {
            assert!(g.stitched.is_empty(), "the evicted user's session link went with it");
            assert_eq!(g.resolve("web-1"), "web-1");
        },
    )
    .unwrap();
    // Forgetting a group releases what it held.
    live.forget("g1");
    assert_eq!(live.held(), 0);
}

#[test]
fn live_events_are_capped_too() {
    let live = LiveState::new(1000, 10, DEFAULT_FILTER_INTERACTIONS_PER_TYPE);
    for t in 0..4 {
        put(&live, "g1", Some("a"), "a", t);
    }
    for t in 0..4 {
        put(&live, "g2", Some("b"), "b", t);
    }
    put(&live, "g1", None, "anon", 10);
    live.with_group_loading("g1", || unreachable!("loaded"), |g| g.touch("a")).unwrap();
    assert_eq!((live.held(), live.held_events()), (3, 9));
    // Two more events: `b` (4 events, least recently used) goes.
    put(&live, "g1", Some("a"), "a", 11);
    put(&live, "g1", Some("a"), "a", 12);
    assert_eq!((live.held(), live.held_events()), (2, 7));
    assert!(held_in(&live, "g2").is_empty());
    // A session's events move to the user it is stitched to: counted once.
    put(&live, "g1", Some("a"), "anon", 13);
    assert_eq!((live.held(), live.held_events()), (2, 8), "user a and the link anon → a");
    live.forget("g1");
    live.forget("g2");
    assert_eq!((live.held(), live.held_events()), (0, 0));
}

#[test]
fn replays_beyond_the_cap_keep_the_most_recent_users() {
    let mut g = GroupState::new(Arc::default());
    for u in 0..10 {
        g.apply(Some(&format!("u{u}")), "s", vec![ev("x", u)]);
        while g.len() > 4 && g.evict_oldest() {}
    }
    // u9 and the session `s` stitched to it, then u8, u7.
    assert_eq!(g.len(), 4);
    let mut users: Vec<&String> = g.users.keys().collect();
    users.sort();
    assert_eq!(users, ["u7", "u8", "u9"]);
    assert_eq!(g.resolve("s"), "u9");
}

#[test]
fn a_user_keeps_a_bounded_number_of_stitched_sessions() {
    let mut g = GroupState::new(Arc::default());
    for s in 0..(MAX_SESSIONS_PER_USER + 5) {
        g.apply(Some("u"), &format!("s{s}"), vec![ev("x", s as i64)]);
    }
    assert_eq!(g.stitched.len(), MAX_SESSIONS_PER_USER);
    assert_eq!(g.resolve("s0"), "s0", "the oldest sessions were forgotten");
    assert_eq!(g.resolve(&format!("s{}", MAX_SESSIONS_PER_USER + 4)), "u");
    // A session that moves to another user leaves the first user's list.
    g.apply(Some("v"), "s104", vec![ev("y", 1000)]);
    assert_eq!(g.resolve("s104"), "v");
    assert_eq!(g.users["u"].sessions.len(), MAX_SESSIONS_PER_USER - 1);
    assert_eq!(g.len(), 2 + g.stitched.len());
}
