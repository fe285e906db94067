//! Promotions: their share of the slots, their positions, the popularity campaign, bad ones.

use super::*;

// ---- Promotions (group `b`: the promoted cheap items include the put one) -----------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotions_fill_their_share_of_the_slots() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let catalog = put_catalog(fx.now);
    let (is_x, is_z) = (genre_is_in(&catalog, "x"), genre_is_in(&catalog, "z"));
    let u = Some("u05");
    let r = list(get(rt, &g.up, u, ALL, None, &[]).await, "u05");
    // 20 % of 10 slots: two z items, the other eight pass the request's x filter.
    let out = ok(
        promoted(
            rt,
            &g.up,
            u,
            10,
            Some((&g.f_genre, r#""x""#)),
            promotion("z-promo", 20, &g.f_genre, &[("G", r#""z""#)]),
        )
        .await,
        "promotion",
    );
    let (promo, rest) = split_promoted(out.item_list(), "z-promo");
    assert_eq!(promo, restrict(&r, 2, &is_z), "the best two z items, in model order");
    assert_eq!(rest, restrict(&r, 8, &is_x), "the other slots follow the request filter");
    // Overlapping filters: no item twice; the request slots continue below the promoted ones.
    let out = ok(
        promoted(
            rt,
            &g.up,
            u,
            10,
            Some((&g.f_genre, r#""x""#)),
            promotion("x-promo", 20, &g.f_genre, &[("G", r#""x""#)]),
        )
        .await,
        "overlapping promotion",
    );
    let (promo, rest) = split_promoted(out.item_list(), "x-promo");
    let xs = restrict(&r, 10, &is_x);
    assert_eq!(promo, xs[..2].to_vec());
    assert_eq!(rest, xs[2..].to_vec());
    // Fewer qualifying items than slots: all five (i00, i10, i20, i30 and the put item) get
    // promoted, the rest is unfiltered.
    let out = ok(
        promoted(rt, &g.up, u, 10, None, promotion("cheap", 100, &g.f_price, &[("P", "0.3")])).await,
        "promotion of four items",
    );
    let (promo, rest) = split_promoted(out.item_list(), "cheap");
    assert_eq!(promo, restrict(&r, 10, cheap_in(&catalog, 0.3)));
    assert_eq!(promo.len(), 5, "{promo:?}");
    assert!(promo.iter().any(|i| i == "fresh"), "{promo:?}");
    assert_eq!(rest, restrict(&r, 5, |i| !promo.iter().any(|p| p == i)));
    // Slots round to the nearest, at least one.
    for (percent, slots) in [(25, 3), (1, 1), (100, 10)] {
        let out = ok(
            promoted(rt, &g.up, u, 10, None, promotion("z", percent, &g.f_genre, &[("G", r#""z""#)])).await,
            "promotion",
        );
        let (promo, rest) = split_promoted(out.item_list(), "z");
        assert_eq!(promo, restrict(&r, slots, &is_z), "{percent} % of 10");
        assert_eq!(rest, restrict(&r, 10 - slots, |i| !promo.iter().any(|p| p == i)), "{percent} % of 10");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promoted_items_take_random_positions() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let u = Some("u05");
    let mut positions = HashSet::new();
    for _ in 0..20 {
        let out =
            ok(promoted(rt, &g.up, u, 10, None, promotion("z", 20, &g.f_genre, &[("G", r#""z""#)])).await, "promotion");
        let at: Vec<usize> =
            out.item_list().iter().enumerate().filter(|(_, i)| i.promotion_name().is_some()).map(|(k, _)| k).collect();
        assert_eq!(at.len(), 2);
        for (k, item) in out.item_list().iter().enumerate() {
            let promoted = item.reason().first().map(String::as_str) == Some("Promoted item");
            assert_eq!(promoted, at.contains(&k), "reason of {item:?}");
        }
        positions.insert(at);
    }
    assert!(positions.len() > 1, "promoted positions never change: {positions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_popularity_campaign_promotes_too() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let catalog = put_catalog(fx.now);
    let (is_x, is_z) = (genre_is_in(&catalog, "x"), genre_is_in(&catalog, "z"));
    let popular = list(get(rt, &g.pop, None, ALL, None, &[]).await, "popular");
    let out = ok(
        promoted(
            rt,
            &g.pop,
            None,
            10,
            Some((&g.f_genre, r#""x""#)),
            promotion("pz", 30, &g.f_genre, &[("G", r#""z""#)]),
        )
        .await,
        "popular promotion",
    );
    let (promo, rest) = split_promoted(out.item_list(), "pz");
    assert_eq!(promo, restrict(&popular, 3, &is_z));
    assert_eq!(rest, restrict(&popular, 7, &is_x));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_promotions_are_refused() {
    let fx = fixture();
    let (g, rt) = (&fx.b, &runtime_client(&fx.url));
    let u = Some("u05");
    // A promotion needs a filter, with its INCLUDE parameters.
    let no_filter = Promotion::builder().name("nf").percent_promoted_items(20).build();
    let msg =
        expect_code(promoted(rt, &g.up, u, 10, None, no_filter).await, "InvalidInputException", "promotion w/o filter");
    assert!(msg.contains("filterArn"), "{msg}");
    let msg = expect_code(
        promoted(rt, &g.up, u, 10, None, promotion("z", 20, &g.f_genre, &[])).await,
        "InvalidInputException",
        "promotion without G",
    );
    assert!(msg.contains("parameter G"), "{msg}");
    // percentPromotedItems is 1 to 100; at most one promotion.
    for percent in [0, 101] {
        let msg = expect_code(
            promoted(rt, &g.up, u, 10, None, promotion("z", percent, &g.f_genre, &[("G", r#""z""#)])).await,
            "InvalidInputException",
            "percentPromotedItems out of range",
        );
        assert!(msg.contains("percentPromotedItems"), "{msg}");
    }
    let msg = expect_code(
        rt.get_recommendations()
            .campaign_arn(&g.up)
            .user_id("u05")
            .promotions(promotion("a", 10, &g.f_genre, &[("G", r#""z""#)]))
            .promotions(promotion("b", 10, &g.f_genre, &[("G", r#""x""#)]))
            .send()
            .await,
        "InvalidInputException",
        "two promotions",
    );
    assert!(msg.contains("promotions"), "{msg}");
}
