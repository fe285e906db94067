use super::*;

#[test]
fn the_console_login_checks_the_secret_of_the_key() {
    let scoped = KeyScope { dataset_groups: Some(vec!["arn:g".into()]), ..KeyScope::default() };
    let keys = KeyStore::new(
        "us-east-1",
        [
            AccessKey {
                access_key_id: "AKIDA".into(),
                secret_access_key: "secret-a".into(),
                scope: KeyScope::default(),
            },
            AccessKey { access_key_id: "AKIDB".into(), secret_access_key: "secret-b".into(), scope: scoped.clone() },
        ],
    );
    assert_eq!(
        keys.check_secret("AKIDB", "secret-b"),
        Some(Principal { access_key_id: "AKIDB".into(), scope: scoped })
    );
    assert_eq!(keys.check_secret("AKIDA", "secret-a").map(|p| p.scope), Some(KeyScope::default()));
    for (id, secret) in [("AKIDA", "secret-b"), ("AKIDA", ""), ("AKIDA", "secret-a "), ("AKIDC", "secret-a"), ("", "")]
    {
        assert_eq!(keys.check_secret(id, secret), None, "{id}/{secret}");
    }
    let listed = keys.scopes();
    assert_eq!(listed.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["AKIDA", "AKIDB"]);
}

/// The "GET vanilla" case of AWS's SigV4 test suite (service `service`, region `us-east-1`,
/// secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`), checked through the same code path.
#[test]
fn aws_test_suite_vanilla_request() {
    let canonical = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
                     e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(hex_sha256(canonical.as_bytes()), "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    let sts = format!(
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
        hex_sha256(canonical.as_bytes())
    );
    let k = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20150830");
    let k = hmac(&hmac(&hmac(&k, b"us-east-1"), b"service"), b"aws4_request");
    assert_eq!(
        hex::encode(hmac(&k, sts.as_bytes())),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

/// The same published request (get-vanilla.req with its get-vanilla.authz) through the
/// verifier itself: the header checks pass up to the scope's service (`service`, where the
/// server accepts only `personalize`), and the signature check proper accepts AWS's signature
/// and refuses it once a byte of the request or of the signature changes.
#[test]
fn aws_test_suite_vanilla_request_through_the_verifier() {
    const AUTHZ: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                         SignedHeaders=host;x-amz-date, \
                         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let signed_at = parse_amz_date("20150830T123600Z").unwrap();
    let key = AccessKey {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        scope: KeyScope::default(),
    };
    let request = |host: &'static str, authz: &'static str| RequestHead {
        method: "GET",
        path: "/",
        query: None,
        headers: vec![
            ("Host", host.as_bytes()),
            ("X-Amz-Date", b"20150830T123600Z".as_slice()),
            ("Authorization", authz.as_bytes()),
        ],
    };
    let head = request("example.amazonaws.com", AUTHZ);
    let keys = KeyStore::new("us-east-1", [key.clone()]);
    match keys.check_headers(&head, signed_at) {
        Err(ApiError::InvalidSignature(m)) => {
            assert!(m.contains("'personalize'") && m.contains("'service/"), "{m}")
        }
        Err(e) => panic!("the vector failed before the service check: {e:?}"),
        Ok(_) => panic!("the server accepted the scope's service 'service'"),
    }
    // The checks after the service's, as check_headers would have made them.
    let checked = |head: &RequestHead<'static>, authz: &'static str| {
        let auth = parse_authorization(authz).unwrap();
        let signature = hex::decode(auth.signature).unwrap();
        CheckedHeaders { key: &key, auth, amz_date: "20150830T123600Z", signature }.verify_body(head, b"")
    };
    assert_eq!(
        checked(&head, AUTHZ),
        Ok(Principal { access_key_id: "AKIDEXAMPLE".into(), scope: KeyScope::default() })
    );
    let other_host = request("example.amazonaws.org", AUTHZ);
    assert!(matches!(checked(&other_host, AUTHZ), Err(ApiError::InvalidSignature(_))));
    assert!(matches!(
        CheckedHeaders {
            key: &key,
            auth: parse_authorization(AUTHZ).unwrap(),
            amz_date: "20150830T123600Z",
            signature: hex::decode("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30").unwrap(),
        }
        .verify_body(&head, b""),
        Err(ApiError::InvalidSignature(_))
    ));
    // A non-empty body changes the payload hash, hence the signature.
    let auth = parse_authorization(AUTHZ).unwrap();
    let signature = hex::decode(auth.signature).unwrap();
    let with_body = CheckedHeaders { key: &key, auth, amz_date: "20150830T123600Z", signature };
    assert!(matches!(with_body.verify_body(&head, b"{}"), Err(ApiError::InvalidSignature(_))));
}

#[test]
fn amz_dates_round_trip() {
    let t = parse_amz_date("20261130T054233Z").unwrap();
    assert_eq!(format_amz_date(t), "20261130T054233Z");
    assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
    assert_eq!(parse_amz_date("20240229T235959Z").map(format_amz_date).as_deref(), Some("20240229T235959Z"));
    assert!(parse_amz_date("2026-11-30").is_none() && parse_amz_date("20261330T000000Z").is_none());
}

#[test]
fn malformed_headers_are_incomplete_signatures() {
    assert!(matches!(parse_authorization("Basic abc"), Err(ApiError::IncompleteSignature(_))));
    assert!(matches!(
        parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=00"),
        Err(ApiError::IncompleteSignature(_))
    ));
    let a = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AK/20261130/us-east-1/personalize/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab",
    )
    .unwrap();
    assert_eq!((a.access_key_id, a.region, a.signed_headers.len()), ("AK", "us-east-1", 2));
}

#[test]
fn query_strings_are_sorted_and_encoded() {
    assert_eq!(canonical_query(Some("b=2&a=x%20y&c")), "a=x%20y&b=2&c=");
    assert_eq!(uri_encode(b"/a b/c", true), "/a%20b/c");
    assert_eq!(canonical_query(Some("k=%7e%2B+")), "k=~%2B%2B");
}

const NOW: i64 = 1_795_000_000;
const SECRET: &str = "unit-test-secret-0001";

fn store() -> KeyStore {
    let key =
        AccessKey { access_key_id: "AKIDUNIT".into(), secret_access_key: SECRET.into(), scope: KeyScope::default() };
    KeyStore::new("us-east-1", [key])
}

/// A head for `path?query` carrying `headers` plus `host` and `x-amz-date` (at [`NOW`]).
fn head<'a>(path: &'a str, query: Option<&'a str>, date: &'a str, headers: &[(&'a str, &'a str)]) -> RequestHead<'a> {
    let mut all = vec![("host", b"127.0.0.1:8080".as_slice()), ("x-amz-date", date.as_bytes())];
    all.extend(headers.iter().map(|(n, v)| (*n, v.as_bytes())));
    RequestHead { method: "POST", path, query, headers: all }
}

/// Verifies `head` + `body` signed over `signed` (with the Authorization header added).
fn verify_signed(head: RequestHead<'_>, signed: &[&str], body: &[u8]) -> Result<Principal, ApiError> {
    let mut head: RequestHead<'_> = head;
    let authorization = sign_for_tests("AKIDUNIT", SECRET, "us-east-1", &head, signed, body);
    head.headers.push(("authorization", authorization.as_bytes()));
    store().verify(&SignedRequest { head, body }, NOW)
}

#[test]
fn percent_before_a_multibyte_character_does_not_panic() {
    // `%a` then the two bytes of 'é': the old decoder sliced the str inside the character.
    let query = "%a\u{e9}";
    assert_eq!(canonical_query(Some(query)), "%25a%C3%A9=");
    assert_eq!(uri_decode("%\u{e9}%4"), "%\u{e9}%4".as_bytes());
    assert_eq!(uri_decode("%+1%41"), b"%+1A", "a sign is not a hex digit");
    let date = format_amz_date(NOW);
    let body = b"{}";
    // Signed over that query: it verifies (both sides canonicalise it the same way).
    let target = [("x-amz-target", "AmazonPersonalize.ListRecipes")];
    let signed = ["host", "x-amz-date", "x-amz-target"];
    assert!(verify_signed(head("/", Some(query), &date, &target), &signed, body).is_ok());
    // Signed without it, sent with it: the signature does not match.
    let mut h = head("/", None, &date, &target);
    let authorization = sign_for_tests("AKIDUNIT", SECRET, "us-east-1", &h, &signed, body);
    h.headers.push(("authorization", authorization.as_bytes()));
    h.query = Some(query);
    let refused = store().verify(&SignedRequest { head: h, body }, NOW);
    assert!(matches!(refused, Err(ApiError::InvalidSignature(_))), "{refused:?}");
}

#[test]
fn the_control_plane_target_must_be_signed() {
    let date = format_amz_date(NOW);
    let target = [("x-amz-target", "AmazonPersonalize.DeleteDatasetGroup")];
    let refused = verify_signed(head("/", None, &date, &target), &["host", "x-amz-date"], b"{}");
    match refused {
        Err(ApiError::IncompleteSignature(m)) => assert!(m.contains("x-amz-target"), "{m}"),
        other => panic!("expected IncompleteSignature, got {other:?}"),
    }
    let signed = ["host", "x-amz-date", "x-amz-target"];
    assert!(verify_signed(head("/", None, &date, &target), &signed, b"{}").is_ok());
    // The runtime and events paths carry no target.
    assert!(verify_signed(head("/recommendations", None, &date, &[]), &["host", "x-amz-date"], b"{}").is_ok());
}

#[test]
fn header_checks_need_no_body() {
    let date = format_amz_date(NOW);
    let keys = store();
    let mut h = head("/events", None, &date, &[]);
    let authorization = sign_for_tests("AKIDUNIT", SECRET, "us-east-1", &h, &["host", "x-amz-date"], b"{}");
    h.headers.push(("authorization", authorization.as_bytes()));
    let checked = keys.check_headers(&h, NOW).expect("well-formed headers");
    assert!(checked.verify_body(&h, b"{}").is_ok());
    assert!(matches!(checked.verify_body(&h, b"{ }"), Err(ApiError::InvalidSignature(_))));
    // Unknown key, expired date, bad signature encoding: refused from the headers alone.
    let unknown = authorization.replace("AKIDUNIT", "AKIDNOBODY");
    h.headers.last_mut().unwrap().1 = unknown.as_bytes();
    assert!(matches!(keys.check_headers(&h, NOW), Err(ApiError::UnrecognizedClient(_))));
    h.headers.last_mut().unwrap().1 = authorization.as_bytes();
    assert!(matches!(keys.check_headers(&h, NOW + 3600), Err(ApiError::InvalidSignature(_))));
    let short = format!("{}00", &authorization[..authorization.len() - 64]);
    h.headers.last_mut().unwrap().1 = short.as_bytes();
    assert!(matches!(keys.check_headers(&h, NOW), Err(ApiError::InvalidSignature(_))));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Bytes biased towards what trips decoders: `%`, hex digits, separators, multi-byte
    /// UTF-8 and invalid UTF-8.
    fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"%".to_vec()),
            Just(b"&".to_vec()),
            Just(b"=".to_vec()),
            Just("\u{e9}".as_bytes().to_vec()),
            Just("\u{1F600}".as_bytes().to_vec()),
            Just(vec![0xff]),
            "[0-9a-fA-F/ ;,+]{1,3}".prop_map(String::into_bytes),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    fn lossy(b: Vec<u8>) -> String {
        String::from_utf8_lossy(&b).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn canonicalisation_and_verification_never_panic(
            method in tricky_bytes().prop_map(lossy),
            path in tricky_bytes().prop_map(lossy),
            query in prop::option::of(tricky_bytes().prop_map(lossy)),
            headers in prop::collection::vec((tricky_bytes().prop_map(lossy), tricky_bytes()), 0..6),
            signed in prop_oneof![
                3 => Just(vec!["host".to_string(), "x-amz-date".to_string(), "x-amz-target".to_string()]),
                1 => prop::collection::vec(
                    prop_oneof![Just("host".to_string()), Just("x-amz-target".to_string()),
                                tricky_bytes().prop_map(lossy)],
                    0..5,
                ),
            ],
            key_id in prop_oneof![Just("AKIDUNIT".to_string()), tricky_bytes().prop_map(lossy)],
            date in prop_oneof![Just(format_amz_date(NOW)), tricky_bytes().prop_map(lossy)],
            signature in prop_oneof!["[0-9a-f]{64}", tricky_bytes().prop_map(lossy)],
            raw_authorization in prop::option::of(tricky_bytes()),
            body in tricky_bytes(),
        ) {
            let _ = canonical_query(query.as_deref());
            let _ = uri_encode(path.as_bytes(), true);
            // A well-formed Authorization around arbitrary parts reaches the canonicalisation;
            // a raw one exercises the parser.
            let scope = format!("{}/us-east-1/personalize/aws4_request", date.get(..8).unwrap_or(&date));
            let authorization = raw_authorization.unwrap_or_else(|| {
                format!("{ALGORITHM} Credential={key_id}/{scope}, SignedHeaders={}, Signature={signature}",
                    signed.join(";")).into_bytes()
            });
            let mut all: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
            all.push(("host", b"h".as_slice()));
            all.push(("x-amz-date", date.as_bytes()));
            all.push(("x-amz-target", b"AmazonPersonalize.ListRecipes".as_slice()));
            all.push(("authorization", authorization.as_slice()));
            let head = RequestHead { method: &method, path: &path, query: query.as_deref(), headers: all };
            let _ = store().verify(&SignedRequest { head, body: &body }, NOW);
        }

        /// Whatever the bytes, a request signed over them verifies: signer and verifier
        /// canonicalise them the same way, without panicking.
        #[test]
        fn signed_requests_verify_whatever_their_bytes(
            method in tricky_bytes().prop_map(lossy),
            path in tricky_bytes().prop_map(lossy),
            query in prop::option::of(tricky_bytes().prop_map(lossy)),
            target in tricky_bytes(),
            body in tricky_bytes(),
        ) {
            let date = format_amz_date(NOW);
            let headers = vec![
                ("host", b"h".as_slice()),
                ("x-amz-date", date.as_bytes()),
                ("x-amz-target", target.as_slice()),
            ];
            let head = RequestHead { method: &method, path: &path, query: query.as_deref(), headers };
            let signed = ["host", "x-amz-date", "x-amz-target"];
            let authorization = sign_for_tests("AKIDUNIT", SECRET, "us-east-1", &head, &signed, &body);
            let mut head: RequestHead<'_> = head;
            head.headers.push(("authorization", authorization.as_bytes()));
            let verified = store().verify(&SignedRequest { head, body: &body }, NOW);
            prop_assert!(verified.is_ok(), "{:?}", verified);
        }
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let k = AccessKey { access_key_id: "AK".into(), secret_access_key: "s3cr3t".into(), scope: KeyScope::default() };
    assert!(!format!("{k:?}").contains("s3cr3t"));
}
