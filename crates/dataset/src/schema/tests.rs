use super::*;
use proptest::prelude::*;

fn schema(name: &str, fields: &str) -> String {
    format!(
        r#"{{"type":"record","name":"{name}","namespace":"com.amazonaws.personalize.schema","fields":[{fields}],"version":"1.0"}}"#
    )
}

fn err(json: &str) -> String {
    parse_schema(json).unwrap_err().to_string()
}

const INTERACTIONS_FIELDS: &str =
    r#"{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}"#;

#[test]
fn parses_reference_example() {
    let s = parse_schema(
        r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema",
 "fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
       {"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},
       {"name":"DEVICE","type":["null","string"],"categorical":true},
       {"name":"TIMESTAMP","type":"long"}],
 "version":"1.0"}"#,
    )
    .unwrap();
    assert_eq!(s.name, "Interactions");
    assert_eq!(s.namespace.as_deref(), Some("com.amazonaws.personalize.schema"));
    assert_eq!(s.fields.len(), 6);
    assert_eq!(s.fields[3], Field::new("EVENT_VALUE", FieldType::Float).nullable());
    assert_eq!(s.fields[4], Field::new("DEVICE", FieldType::String).nullable().categorical());
    assert_eq!(s.field_index("TIMESTAMP"), Some(5));
    assert_eq!(s.field_index("timestamp"), None);
    assert_eq!(s.dataset_type(), Some(DatasetType::Interactions));
    s.check_for(DatasetType::Interactions, None).unwrap();
}

#[test]
fn union_either_order_and_all_types() {
    let s = parse_schema(&schema(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"A","type":["string","null"]},
           {"name":"B","type":"int"},{"name":"C","type":"long"},{"name":"D","type":"float"},
           {"name":"E","type":"double"},{"name":"F","type":["null","boolean"]}"#,
    ))
    .unwrap();
    assert!(s.fields[1].nullable);
    assert_eq!(s.fields[1].field_type, FieldType::String);
    assert_eq!(s.fields[6].field_type, FieldType::Boolean);
    assert!(s.fields[6].nullable);
    s.check_for(DatasetType::Items, None).unwrap();
}

#[test]
fn a_one_member_union_is_that_type() {
    // As AWS's promotions and recommender-agent notebooks write categorical fields (Personalize accepts it).
    let s = parse_schema(&schema(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"float"},
           {"name":"CATEGORY_L1","type":["string"],"categorical":true},{"name":"RANK","type":["int"]}"#,
    ))
    .unwrap();
    assert_eq!(s.fields[2], Field::new("CATEGORY_L1", FieldType::String).categorical());
    assert_eq!(s.fields[3], Field::new("RANK", FieldType::Int));
    s.check_for(DatasetType::Items, None).unwrap();
    for bad in [r#"["null"]"#, r#"[]"#, r#"["null","null","string"]"#] {
        let e = err(&schema("Items", &format!(r#"{{"name":"ITEM_ID","type":"string"}},{{"name":"X","type":{bad}}}"#)));
        assert!(e.contains("'X'") && e.contains("exactly one other type"), "{bad}: {e}");
    }
}

#[test]
fn rejects_structural_problems() {
    assert!(err("not json").contains("not valid JSON"));
    assert!(err("[]").contains("JSON object"));
    assert!(err(r#"{"type":"enum","name":"Items","fields":[]}"#).contains("\"record\""));
    assert!(err(r#"{"name":"Items","fields":[]}"#).contains("\"type\""));
    assert!(err(r#"{"type":"record","fields":[]}"#).contains("\"name\""));
    assert!(err(r#"{"type":"record","name":"Items"}"#).contains("\"fields\""));
    assert!(err(r#"{"type":"record","name":"Items","fields":{}}"#).contains("array"));
    assert!(err(r#"{"type":"record","name":"Items","fields":[]}"#).contains("at least one"));
    assert!(err(&schema("Events", INTERACTIONS_FIELDS)).contains("\"Events\""));
    assert!(err(&schema("Items", r#"{"type":"string"}"#)).contains("missing \"name\""));
    assert!(err(&schema("Items", r#"{"name":"A"}"#)).contains("'A' is missing \"type\""));
    let long = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_SCHEMA_CHARS));
    assert!(err(&long).contains("longer than 20000"));
}

#[test]
fn rejects_bad_types() {
    let e = err(&schema("Items", r#"{"name":"TAGS","type":{"type":"array","items":"string"}}"#));
    assert!(e.contains("'TAGS'") && e.contains("complex types"), "{e}");
    let e = err(&schema("Items", r#"{"name":"TAGS","type":"array"}"#));
    assert!(e.contains("'TAGS'") && e.contains("not supported"), "{e}");
    let e = err(&schema("Items", r#"{"name":"X","type":"map"}"#));
    assert!(e.contains("'X'"), "{e}");
    let e = err(&schema("Items", r#"{"name":"X","type":"decimal"}"#));
    assert!(e.contains("'X'") && e.contains("unknown type \"decimal\""), "{e}");
    let e = err(&schema("Items", r#"{"name":"X","type":"null"}"#));
    assert!(e.contains("'X'") && e.contains("union"), "{e}");
    let e = err(&schema("Items", r#"{"name":"X","type":["null","string","int"]}"#));
    assert!(e.contains("'X'") && e.contains("exactly one"), "{e}");
    let e = err(&schema("Items", r#"{"name":"X","type":["string","int"]}"#));
    assert!(e.contains("'X'"), "{e}");
    let e = err(&schema("Items", r#"{"name":"X","type":["null","null"]}"#));
    assert!(e.contains("'X'"), "{e}");
    let e = err(&schema("Items", r#"{"name":"X","type":["null",{"type":"record"}]}"#));
    assert!(e.contains("'X'"), "{e}");
    let e = err(&schema("Items", r#"{"name":"X","type":5}"#));
    assert!(e.contains("'X'"), "{e}");
}

#[test]
fn rejects_bad_names() {
    let e = err(&schema("Items", r#"{"name":"1ABC","type":"string"}"#));
    assert!(e.contains("'1ABC'") && e.contains("[A-Za-z_]"), "{e}");
    let e = err(&schema("Items", r#"{"name":"A-B","type":"string"}"#));
    assert!(e.contains("'A-B'"), "{e}");
    let e = err(&schema("Items", r#"{"name":"","type":"string"}"#));
    assert!(e.contains("must match"), "{e}");
    let name = "A".repeat(151);
    let e = err(&schema("Items", &format!(r#"{{"name":"{name}","type":"string"}}"#)));
    assert!(e.contains("longer than 150"), "{e}");
    let name = "A".repeat(150);
    parse_schema(&schema("Items", &format!(r#"{{"name":"{name}","type":"string"}}"#))).unwrap();
    let e = err(&schema("Items", r#"{"name":"A","type":"string"},{"name":"A","type":"int"}"#));
    assert!(e.contains("'A' is defined more than once"), "{e}");
    let e = err(&schema("Items", r#"{"name":"GENRES_FIELD_1","type":"string"},{"name":"GENRESFIELD1","type":"int"}"#));
    assert!(e.contains("'GENRESFIELD1'") && e.contains("'GENRES_FIELD_1'"), "{e}");
}

#[test]
fn rejects_bad_attributes() {
    let e = err(&schema("Items", r#"{"name":"P","type":"float","categorical":true}"#));
    assert!(e.contains("'P'") && e.contains("categorical") && e.contains("float"), "{e}");
    let e = err(&schema("Items", r#"{"name":"P","type":"int","textual":true}"#));
    assert!(e.contains("'P'") && e.contains("textual"), "{e}");
    let e = err(&schema("Items", r#"{"name":"P","type":"string","categorical":"yes"}"#));
    assert!(e.contains("'P'") && e.contains("true or false"), "{e}");
    let e = err(&schema("Items", r#"{"name":"P","type":"string","categorical":true,"textual":true}"#));
    assert!(e.contains("both"), "{e}");
    // categorical false on a number is fine
    parse_schema(&schema("Items", r#"{"name":"P","type":"float","categorical":false}"#)).unwrap();
    let s = parse_schema(&schema(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"TITLE","type":"string","itemName":true}"#,
    ))
    .unwrap();
    assert!(s.fields[1].item_name);
}

fn check(name: &str, fields: &str, dt: DatasetType, domain: Option<Domain>) -> Result<(), String> {
    parse_schema(&schema(name, fields)).unwrap().check_for(dt, domain).map_err(|e| e.to_string())
}

#[test]
fn interactions_rules() {
    let dt = DatasetType::Interactions;
    check("Interactions", INTERACTIONS_FIELDS, dt, None).unwrap();
    let e = check("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"X","type":"int"}"#, dt, None).unwrap_err();
    assert!(e.contains("\"Interactions\""), "{e}");
    let e = check("Interactions", r#"{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"}"#, dt, None)
        .unwrap_err();
    assert!(e.contains("'TIMESTAMP'") && e.contains("long"), "{e}");
    let e = check(
        "Interactions",
        r#"{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"int"}"#,
        dt,
        None,
    )
    .unwrap_err();
    assert!(e.contains("'TIMESTAMP'") && e.contains("\"int\""), "{e}");
    let e = check(
        "Interactions",
        r#"{"name":"USER_ID","type":["null","string"]},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}"#,
        dt,
        None,
    )
    .unwrap_err();
    assert!(e.contains("'USER_ID'") && e.contains("nullable"), "{e}");
    let with = |extra: &str| format!("{INTERACTIONS_FIELDS},{extra}");
    let e = check("Interactions", &with(r#"{"name":"EVENT_TYPE","type":"string","categorical":true}"#), dt, None)
        .unwrap_err();
    assert!(e.contains("'EVENT_TYPE'") && e.contains("must not be categorical"), "{e}");
    let e = check("Interactions", &with(r#"{"name":"EVENT_TYPE","type":"int"}"#), dt, None).unwrap_err();
    assert!(e.contains("'EVENT_TYPE'"), "{e}");
    check("Interactions", &with(r#"{"name":"EVENT_VALUE","type":["null","float"]}"#), dt, None).unwrap();
    check("Interactions", &with(r#"{"name":"EVENT_VALUE","type":"double"}"#), dt, None).unwrap();
    let e = check("Interactions", &with(r#"{"name":"EVENT_VALUE","type":"long"}"#), dt, None).unwrap_err();
    assert!(e.contains("'EVENT_VALUE'") && e.contains("float or double"), "{e}");
    check("Interactions", &with(r#"{"name":"IMPRESSION","type":["null","string"]}"#), dt, None).unwrap();
    let e = check("Interactions", &with(r#"{"name":"IMPRESSION","type":"long"}"#), dt, None).unwrap_err();
    assert!(e.contains("'IMPRESSION'"), "{e}");
    let e = check("Interactions", &with(r#"{"name":"RECOMMENDATION_ID","type":"int"}"#), dt, None).unwrap_err();
    assert!(e.contains("'RECOMMENDATION_ID'"), "{e}");
    let five = (0..5)
        .map(|i| format!(r#"{{"name":"M{i}","type":["null","string"],"categorical":true}}"#))
        .collect::<Vec<_>>()
        .join(",");
    check("Interactions", &with(&format!("{five},{}", r#"{"name":"EVENT_TYPE","type":"string"}"#)), dt, None).unwrap();
    let e = check("Interactions", &with(&format!("{five},{}", r#"{"name":"M5","type":"int"}"#)), dt, None).unwrap_err();
    assert!(e.contains("6 non-reserved metadata") && e.contains("at most 5"), "{e}");
    let e = check("Interactions", &with(r#"{"name":"NOTES","type":"string","textual":true}"#), dt, None).unwrap_err();
    assert!(e.contains("'NOTES'") && e.contains("Items"), "{e}");
    // domain interactions need EVENT_TYPE
    let e = check("Interactions", INTERACTIONS_FIELDS, dt, Some(Domain::Ecommerce)).unwrap_err();
    assert!(e.contains("'EVENT_TYPE'"), "{e}");
    check("Interactions", &with(r#"{"name":"EVENT_TYPE","type":"string"}"#), dt, Some(Domain::VideoOnDemand)).unwrap();
}

#[test]
fn items_rules() {
    let dt = DatasetType::Items;
    let e = check("Items", r#"{"name":"ITEM_ID","type":"string"}"#, dt, None).unwrap_err();
    assert!(e.contains("at least 1 metadata"), "{e}");
    let e = check("Items", r#"{"name":"GENRES","type":"string","categorical":true}"#, dt, None).unwrap_err();
    assert!(e.contains("'ITEM_ID'"), "{e}");
    check("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"CREATION_TIMESTAMP","type":"long"}"#, dt, None)
        .unwrap();
    let e =
        check("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"CREATION_TIMESTAMP","type":"int"}"#, dt, None)
            .unwrap_err();
    assert!(e.contains("'CREATION_TIMESTAMP'"), "{e}");
    let e = check(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"D1","type":"string","textual":true},{"name":"D2","type":"string","textual":true}"#,
        dt,
        None,
    )
    .unwrap_err();
    assert!(e.contains("textual") && e.contains("D1") && e.contains("D2"), "{e}");
    let many = |n: usize| {
        let mut f = vec![r#"{"name":"ITEM_ID","type":"string"}"#.to_string()];
        f.extend((0..n).map(|i| format!(r#"{{"name":"M{i}","type":"int"}}"#)));
        f.join(",")
    };
    check("Items", &many(100), dt, None).unwrap();
    let e = check("Items", &many(101), dt, None).unwrap_err();
    assert!(e.contains("101 metadata") && e.contains("at most 100"), "{e}");
}

#[test]
fn items_domain_rules() {
    let dt = DatasetType::Items;
    let ecom_ok = r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"float"},{"name":"CATEGORY_L1","type":"string","categorical":true}"#;
    check("Items", ecom_ok, dt, Some(Domain::Ecommerce)).unwrap();
    let e = check(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"CATEGORY_L1","type":"string","categorical":true}"#,
        dt,
        Some(Domain::Ecommerce),
    )
    .unwrap_err();
    assert!(e.contains("'PRICE'"), "{e}");
    let e = check(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"float"},{"name":"CATEGORY_L1","type":"string"}"#,
        dt,
        Some(Domain::Ecommerce),
    )
    .unwrap_err();
    assert!(e.contains("'CATEGORY_L1'") && e.contains("must be categorical"), "{e}");
    let e = check("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"string"},{"name":"CATEGORY_L1","type":"string","categorical":true}"#, dt, Some(Domain::Ecommerce)).unwrap_err();
    assert!(e.contains("'PRICE'"), "{e}");
    let vod_ok = r#"{"name":"ITEM_ID","type":"string"},{"name":"CREATION_TIMESTAMP","type":"long"},{"name":"GENRES","type":"string","categorical":true}"#;
    check("Items", vod_ok, dt, Some(Domain::VideoOnDemand)).unwrap();
    let e = check(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":"string","categorical":true}"#,
        dt,
        Some(Domain::VideoOnDemand),
    )
    .unwrap_err();
    assert!(e.contains("'CREATION_TIMESTAMP'"), "{e}");
    let e = check(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"CREATION_TIMESTAMP","type":"long"}"#,
        dt,
        Some(Domain::VideoOnDemand),
    )
    .unwrap_err();
    assert!(e.contains("'GENRES'"), "{e}");
    // the ecommerce schema is not a VOD schema
    assert!(check("Items", ecom_ok, dt, Some(Domain::VideoOnDemand)).is_err());
}

#[test]
fn users_actions_rules() {
    check("Users", r#"{"name":"USER_ID","type":"string"},{"name":"AGE","type":"int"}"#, DatasetType::Users, None)
        .unwrap();
    let e = check("Users", r#"{"name":"USER_ID","type":"string"}"#, DatasetType::Users, None).unwrap_err();
    assert!(e.contains("at least 1"), "{e}");
    let many = (0..26).map(|i| format!(r#"{{"name":"M{i}","type":"int"}}"#)).collect::<Vec<_>>().join(",");
    let e = check("Users", &format!(r#"{{"name":"USER_ID","type":"string"}},{many}"#), DatasetType::Users, None)
        .unwrap_err();
    assert!(e.contains("at most 25"), "{e}");
    let e = check(
        "Users",
        r#"{"name":"USER_ID","type":"string"},{"name":"SUBSCRIPTION_MODEL","type":"int"}"#,
        DatasetType::Users,
        Some(Domain::VideoOnDemand),
    )
    .unwrap_err();
    assert!(e.contains("'SUBSCRIPTION_MODEL'"), "{e}");

    let dt = DatasetType::Actions;
    check("Actions", r#"{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]},{"name":"REPEAT_FREQUENCY","type":"int"}"#, dt, None).unwrap();
    let e = check("Actions", r#"{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":"float"}"#, dt, None)
        .unwrap_err();
    assert!(e.contains("'VALUE'"), "{e}");
    let e = check(
        "Actions",
        r#"{"name":"ACTION_ID","type":"string"},{"name":"EXPIRATION_TIMESTAMP","type":"string"}"#,
        dt,
        None,
    )
    .unwrap_err();
    assert!(e.contains("'EXPIRATION_TIMESTAMP'"), "{e}");
    let e = check("Actions", r#"{"name":"ACTION_ID","type":"string"}"#, dt, None).unwrap_err();
    assert!(e.contains("at least 1"), "{e}");

    let dt = DatasetType::ActionInteractions;
    let ok = r#"{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}"#;
    check("ActionInteractions", ok, dt, None).unwrap();
    let e = check(
        "ActionInteractions",
        r#"{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}"#,
        dt,
        None,
    )
    .unwrap_err();
    assert!(e.contains("'EVENT_TYPE'"), "{e}");
    let e = check("Interactions", INTERACTIONS_FIELDS, dt, None).unwrap_err();
    assert!(e.contains("\"ActionInteractions\""), "{e}");
}

proptest! {
    #[test]
    fn parse_schema_never_panics(s in ".{0,400}") {
        let _ = parse_schema(&s);
    }

    #[test]
    fn parse_schema_never_panics_on_jsonish(
        name in prop::sample::select(vec!["Interactions", "Items", "Users", "x", ""]),
        fields in prop::collection::vec(
            ("[A-Za-z_0-9\\-]{0,6}",
             prop::sample::select(vec!["\"string\"", "\"int\"", "[\"null\",\"long\"]", "\"null\"", "{}", "[]", "3", "[\"float\",\"null\"]"]),
             prop::sample::select(vec!["", ",\"categorical\":true", ",\"textual\":true", ",\"itemName\":1"])),
            0..6)
    ) {
        let f = fields.iter().map(|(n, t, a)| format!("{{\"name\":\"{n}\",\"type\":{t}{a}}}")).collect::<Vec<_>>().join(",");
        let doc = format!("{{\"type\":\"record\",\"name\":\"{name}\",\"fields\":[{f}]}}");
        if let Ok(s) = parse_schema(&doc) {
            for dt in DatasetType::ALL {
                let _ = s.check_for(dt, None);
                let _ = s.check_for(dt, Some(Domain::Ecommerce));
                let _ = s.check_for(dt, Some(Domain::VideoOnDemand));
            }
        }
    }
}

#[test]
fn a_replacement_schema_may_only_add_nullable_fields() {
    let items = |extra: &str| {
        parse_schema(&schema(
            "Items",
            &format!(
                r#"{{"name":"ITEM_ID","type":"string"}},{{"name":"GENRE","type":"string","categorical":true}}{extra}"#
            ),
        ))
        .unwrap()
    };
    let current = items("");
    // Adding nullable fields (anywhere in the order) is fine; so is the same schema again.
    items(
        r#",{"name":"PRICE","type":["null","float"]},{"name":"DESCRIPTION","type":["string","null"],"textual":true}"#,
    )
    .check_replacement_of(&current)
    .unwrap();
    current.check_replacement_of(&current).unwrap();
    let reordered = parse_schema(&schema(
        "Items",
        r#"{"name":"PRICE","type":["null","float"]},{"name":"GENRE","type":"string","categorical":true},{"name":"ITEM_ID","type":"string"}"#,
    ))
    .unwrap();
    reordered.check_replacement_of(&current).unwrap();

    let refused = |new: &Schema| new.check_replacement_of(&current).unwrap_err().to_string();
    let dropped = parse_schema(&schema(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":["null","float"]}"#,
    ))
    .unwrap();
    assert!(refused(&dropped).contains("Field 'GENRE' of the current schema is missing"), "{}", refused(&dropped));
    let retyped = parse_schema(&schema(
        "Items",
        r#"{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true}"#,
    ))
    .unwrap();
    assert!(
        refused(&retyped).contains("Field 'GENRE' changes type from \"string\" to [\"null\",\"string\"]"),
        "{}",
        refused(&retyped)
    );
    let plain =
        parse_schema(&schema("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string"}"#))
            .unwrap();
    assert!(
        refused(&plain).contains("Field 'GENRE' changes its attributes from categorical to none"),
        "{}",
        refused(&plain)
    );
    let required = items(r#",{"name":"PRICE","type":"float"}"#);
    assert!(refused(&required).contains("New field 'PRICE' must be nullable"), "{}", refused(&required));
    let users = parse_schema(&schema(
        "Users",
        r#"{"name":"USER_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true}"#,
    ))
    .unwrap();
    assert!(refused(&users).contains("\"Users\" schema"), "{}", refused(&users));
}
