use reko_api::*;

use super::FilterRequest;
use crate::{Reko, ServiceConfig};

use crate::test_support::{drain, group_with_dataset};

/// A decision that depends only on the filter's values and the Items table is kept and served
/// again for the same values, and is recomputed once a PutItems changes the table.
#[test]
fn kept_decisions_follow_put_items() {
    let dir = tempfile::tempdir().unwrap();
    let reko = Reko::open(ServiceConfig { data_dir: dir.path().join("d"), workers: 0, ..Default::default() }).unwrap();
    let schema = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true}],"version":"1.0"}"#;
    let (dsg, items) = group_with_dataset(&reko, "g", schema, "ITEMS");
    let put = |id: &str, genre: &str| {
        let properties = Some(format!(r#"{{"genre":"{genre}"}}"#));
        reko.put_items(PutItemsRequest {
            dataset_arn: items.clone(),
            items: vec![Item { item_id: id.into(), properties }],
        })
        .unwrap();
    };
    put("i0", "Drama");
    put("i1", "Comedy");
    let filter = |name: &str, expression: &str| {
        let req = CreateFilterRequest {
            name: name.into(),
            dataset_group_arn: dsg.clone(),
            filter_expression: expression.into(),
            tags: None,
        };
        let arn = reko.create_filter(req).unwrap().filter_arn;
        drain(&reko);
        arn
    };
    let by_genre = filter("genre", "INCLUDE ItemID WHERE Items.GENRE IN ($G)");
    let by_item = filter("like", "INCLUDE ItemID WHERE Items.GENRE IN CurrentItem.GENRE");
    let values = |genre: &str| [("G".to_string(), format!("\"{genre}\""))].into_iter().collect();
    let gate = |arn: &str, values: &std::collections::BTreeMap<String, String>, item: Option<&str>| {
        let r = FilterRequest {
            filter_arn: arn,
            values: Some(values),
            dataset_group_arn: &dsg,
            user_id: None,
            item_id: item,
        };
        reko.item_gate(&r).unwrap().expect("a filter that applies")
    };
    let allowed = |g: &super::ItemGate| ["i0", "i1"].into_iter().filter(|id| g.with(|ok| ok(id))).collect::<Vec<_>>();
    let (drama, comedy) = (values("Drama"), values("Comedy"));
    let first = gate(&by_genre, &drama, None);
    assert_eq!(allowed(&first), ["i0"]);
    assert_eq!(allowed(&gate(&by_genre, &comedy, None)), ["i1"]);
    let again = gate(&by_genre, &drama, None);
    assert!(std::sync::Arc::ptr_eq(&first.decision, &again.decision), "the same values reuse the decision");
    // A model whose catalogue is i1, i0 and an item without a record is told the filter's few
    // items by index.
    let catalogue: Vec<std::sync::Arc<str>> = ["i1", "i0", "bare"].into_iter().map(Into::into).collect();
    let rows = super::ModelRows::default();
    let candidates = |g: &super::ItemGate| g.with_index(&rows, Some(&catalogue), |_, _, c| c.map(<[u32]>::to_vec));
    assert_eq!(candidates(&first), Some(vec![1]));
    // A decision on the request's item is not kept.
    let none = std::collections::BTreeMap::new();
    let like = gate(&by_item, &none, Some("i0"));
    assert!(!std::sync::Arc::ptr_eq(&like.decision, &gate(&by_item, &none, Some("i0")).decision));
    assert_eq!(allowed(&like), ["i0"]);
    // PutItems changes the table: the kept decision no longer holds.
    put("i1", "Drama");
    let after = gate(&by_genre, &drama, None);
    assert!(!std::sync::Arc::ptr_eq(&first.decision, &after.decision));
    assert_eq!(allowed(&after), ["i0", "i1"]);
    assert!(allowed(&gate(&by_genre, &comedy, None)).is_empty());
    assert_eq!(candidates(&after), Some(vec![1, 0]), "in the order of the rows");
    // What an EXCLUDE lets through is not a list of rows: the record-less item passes too.
    let not_drama = filter("not-drama", "EXCLUDE ItemID WHERE Items.GENRE IN ($G)");
    let g = gate(&not_drama, &drama, None);
    assert_eq!(candidates(&g), None);
    assert!(g.with_index(&rows, Some(&catalogue), |_, by_index, _| by_index.unwrap()(2)));
    reko.shutdown();
}
