use super::*;

/// A folder store outside the data directory (so reads go through the cache).
fn shared_folder() -> (tempfile::TempDir, ArtifactStore) {
    let tmp = tempfile::tempdir().unwrap();
    let location = ArtifactLocation::Folder(tmp.path().join("shared"));
    let store = ArtifactStore::open(&location, &tmp.path().join("data"), &Default::default()).unwrap();
    (tmp, store)
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn locations_parse_with_errors_naming_the_field_and_value() {
    let parse = |v: &str| ArtifactLocation::parse("artifact_store", v);
    assert_eq!(parse("/srv/models").unwrap(), ArtifactLocation::Folder("/srv/models".into()));
    assert_eq!(
        parse("s3://reko-models/prod/v1/").unwrap(),
        ArtifactLocation::S3 { bucket: "reko-models".into(), prefix: "prod/v1".into() }
    );
    assert_eq!(parse("S3://b").unwrap(), ArtifactLocation::S3 { bucket: "b".into(), prefix: String::new() });
    assert_eq!(parse("s3://b/p").unwrap().to_string(), "s3://b/p");
    assert_eq!(ArtifactLocation::default().to_string(), "data_dir/models");
    for (bad, why) in [
        ("", "empty"),
        ("s3:///models", "no bucket"),
        ("s3://Bucket_1/x", "bucket name"),
        ("s3://b/a/../c", "'..'"),
        ("s3://b/a//c", "empty"),
        ("gs://b/models", "only a folder or s3://"),
    ] {
        let e = parse(bad).unwrap_err().to_string();
        assert!(e.contains(&format!("Value '{bad}' at 'artifact_store'")) && e.contains(why), "{bad}: {e}");
    }
}

#[test]
fn data_locations_overlapping_an_s3_store_are_found() {
    let store = ArtifactLocation::parse("f", "s3://models/prod").unwrap();
    for (bucket, key, overlaps) in [
        ("models", "prod/sol/v1/model-1.rkm", true),
        ("models", "prod", true),
        ("models", "prod/", true),
        ("models", "", true),
        ("models", "production/x.csv", false),
        ("models", "staging/prod", false),
        ("other", "prod/x", false),
    ] {
        assert_eq!(store.overlaps_s3(bucket, key), overlaps, "{bucket}/{key}");
    }
    let whole = ArtifactLocation::parse("f", "s3://models").unwrap();
    assert!(whole.overlaps_s3("models", "anything.csv"));
    assert!(!ArtifactLocation::DataDir.overlaps_s3("models", "prod"));
    assert_eq!(ArtifactLocation::Folder("/m".into()).folder(), Some(Path::new("/m")));
}

#[test]
fn keys_never_leave_the_store() {
    for bad in ["", "/abs", "a//b", "a/../b", "../x", "a/.hidden", "a\\b"] {
        assert!(matches!(check_key(bad), Err(ArtifactStoreError::InvalidKey(_))), "{bad:?}");
    }
    assert!(check_key("@111122223333/sol/abc/model-00.rkm").is_ok());
    let (_tmp, store) = shared_folder();
    assert!(matches!(store.get("../../etc/passwd", "00"), Err(ArtifactStoreError::InvalidKey(_))));
    assert!(matches!(store.delete_under("sol/.."), Err(ArtifactStoreError::InvalidKey(_))));
}

#[test]
fn objects_are_named_by_their_checksum_and_never_overwritten() {
    let (tmp, store) = shared_folder();
    let (key, sha) = store.put("sol/v1", b"model one").unwrap();
    assert_eq!(sha, sha256_hex(b"model one"));
    assert_eq!(key, format!("sol/v1/model-{sha}.rkm"));
    let file = tmp.path().join("shared").join(&key);
    assert_eq!(std::fs::read(&file).unwrap(), b"model one");
    // The same content again: the same key, the object kept.
    assert_eq!(store.put("sol/v1", b"model one").unwrap(), (key.clone(), sha.clone()));
    // Another content is another key.
    let (other, _) = store.put("sol/v1", b"model two").unwrap();
    assert_ne!(other, key);
    // An object damaged in place is not replaced by a put: the put fails, naming it.
    std::fs::write(&file, b"damaged").unwrap();
    let e = store.put("sol/v1", b"model one").unwrap_err();
    assert!(matches!(&e, ArtifactStoreError::Conflict(l) if l.contains(&key)), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), b"damaged");
}

#[test]
fn temporary_files_are_never_visible_under_a_key() {
    let (tmp, store) = shared_folder();
    let (key, _) = store.put("sol/v1", &vec![7u8; 1 << 20]).unwrap();
    // Only the finished object: the temporary file was linked, then removed.
    assert_eq!(files(&tmp.path().join("shared")), std::slice::from_ref(&key));
    // A put whose link cannot be made (the key is a folder) leaves nothing behind either.
    let blocked = format!("sol/v2/model-{}.rkm", sha256_hex(b"x"));
    std::fs::create_dir_all(tmp.path().join("shared").join(&blocked).join("inside")).unwrap();
    assert!(store.put("sol/v2", b"x").is_err());
    let dir = tmp.path().join("shared/sol/v2");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "only the folder in the way: {left:?}");
    // Temporary files a crash left in the cache are removed at start.
    let cache = store.cached_path("sol/v1").unwrap();
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join(".model-x.rkm.tmp-1-1"), b"half").unwrap();
    assert_eq!(store.prune_cache(&HashSet::from([key])), 1);
}

#[test]
fn reads_are_verified_and_a_corrupt_cache_is_fetched_again() {
    let (tmp, store) = shared_folder();
    let (key, sha) = store.put("sol/v1", b"the model").unwrap();
    assert_eq!(store.get(&key, &sha).unwrap(), b"the model");
    let cached = store.cached_path(&key).unwrap();
    assert!(cached.starts_with(tmp.path().join("data").join(CACHE_DIR)));
    assert_eq!(std::fs::read(&cached).unwrap(), b"the model", "cached on first read");
    // A damaged cached copy is discarded and fetched again.
    std::fs::write(&cached, b"bit rot").unwrap();
    assert_eq!(store.get(&key, &sha).unwrap(), b"the model");
    assert_eq!(std::fs::read(&cached).unwrap(), b"the model");
    // A damaged object in the store fails the read (and nothing is cached).
    std::fs::remove_file(&cached).unwrap();
    std::fs::write(tmp.path().join("shared").join(&key), b"garbage").unwrap();
    let e = store.get(&key, &sha).unwrap_err();
    assert!(matches!(&e, ArtifactStoreError::Corrupt { location, .. } if location.contains(&key)), "{e}");
    assert!(!cached.exists());
    // A missing object says so.
    let missing = format!("sol/v9/model-{sha}.rkm");
    assert!(matches!(store.get(&missing, &sha), Err(ArtifactStoreError::Missing(l)) if l.contains("v9")));
}

#[test]
fn a_store_in_the_data_directory_is_read_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let store = ArtifactStore::open(&ArtifactLocation::DataDir, &data, &Default::default()).unwrap();
    let (key, sha) = store.put("sol/v1", b"m").unwrap();
    assert!(data.join("models").join(&key).exists());
    assert_eq!(store.get(&key, &sha).unwrap(), b"m");
    assert!(store.cached_path(&key).is_none() && !data.join(CACHE_DIR).exists(), "no copy");
    std::fs::write(data.join("models").join(&key), b"x").unwrap();
    assert!(matches!(store.get(&key, &sha), Err(ArtifactStoreError::Corrupt { .. })));
    // A folder inside the data directory is read in place too.
    let inside = ArtifactLocation::Folder(data.join("elsewhere"));
    assert!(ArtifactStore::open(&inside, &data, &Default::default()).unwrap().cached_path("k").is_none());
}

#[test]
fn deletions_remove_objects_and_cached_copies_and_the_cache_is_pruned() {
    let (tmp, store) = shared_folder();
    let (a, sha_a) = store.put("sol/v1", b"a").unwrap();
    let (b, sha_b) = store.put("sol2/v1", b"b").unwrap();
    store.get(&a, &sha_a).unwrap();
    store.get(&b, &sha_b).unwrap();
    store.delete_under("sol").unwrap();
    assert_eq!(files(&tmp.path().join("shared")), std::slice::from_ref(&b), "sol2 is not under sol");
    assert!(!store.cached_path(&a).unwrap().exists());
    store.delete_under("sol").unwrap();
    // At start, copies of models the catalog no longer names go.
    assert_eq!(store.prune_cache(&HashSet::from([b.clone()])), 0);
    assert_eq!(store.prune_cache(&HashSet::new()), 1);
    assert!(files(&tmp.path().join("data").join(CACHE_DIR)).is_empty());
}

#[test]
fn the_store_is_never_a_data_location() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    let open = |artifact_store: ArtifactLocation| {
        crate::Reko::open(crate::ServiceConfig {
            data_dir: tmp.path().join("data"),
            workers: 0,
            allowed_data_roots: Some(vec![tmp.path().to_path_buf()]),
            artifact_store,
            ..Default::default()
        })
        .unwrap()
    };
    // A folder store inside an allowed root is still refused, as the data directory is.
    let reko = open(ArtifactLocation::Folder(shared.clone()));
    let places = reko.places_in(None);
    assert!(places.check(&shared.join("sol/v1/model-0.rkm")).is_err());
    assert!(places.check(&tmp.path().join("input.csv")).is_ok());
    reko.shutdown();
    drop(reko);
    let reko = open(ArtifactLocation::parse("f", "s3://models/prod").unwrap());
    let places = reko.places_in(None);
    let check = |l: &str| reko.check_data_location(&places, &reko_api::DataLocation::parse("jobInput", l), "jobInput");
    let e = check("s3://models/prod/sol/").unwrap_err().to_string();
    assert!(e.contains("Value 's3://models/prod/sol/' at 'jobInput'") && e.contains("artifact store"), "{e}");
    assert!(check("s3://models/").is_err());
    assert!(check("s3://models/input/users.json").is_ok());
    reko.shutdown();
}
