//! The engine's top-level modules import one another without cycles, and so do every workspace
//! crate's (issue 17): an edge A → B
//! for every `crate::B` path (use lines, re-exports, inline paths) in the code of module A
//! (`src/A.rs` and everything under `src/A/`). Test code (`#[cfg(test)]` items, `tests.rs`
//! files, `test_support`) is left out: tests may exercise the whole crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module name → its non-test source files.
fn modules(src: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "tests") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "tests.rs") {
                out.push(p);
            }
        }
    }
    let mut mods: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "test_support" {
            continue;
        }
        let files = mods.entry(name).or_default();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
    mods
}

/// `src` without `#[cfg(test)]` items (attribute to the matching `}` or the `;`) and `//` lines.
fn production_code(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at + "#[cfg(test)]".len()..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, c) in item.char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// What `lib.rs` re-exports (`pub use m::{A, b};`): item name → module `m`, so that a path
/// through a re-export (`crate::train`) counts as an import of the module defining it.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(at) = stmt.find("pub use ") else { continue };
        let Some((module, items)) = stmt[at + "pub use ".len()..].split_once("::") else { continue };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            out.insert(item.to_string(), module.trim().to_string());
        }
    }
    out
}

/// The names following `crate::` in `code` (`crate::a::x` and `crate::{a, b::y}`).
fn imported(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let after = &code[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(group.split(',').map(|p| ident(p.trim())).filter(|s| !s.is_empty()));
        } else {
            out.insert(ident(after));
        }
    }
    out
}

/// A cycle through `v`, if any (depth-first search; `state`: 1 on the path, 2 done).
fn cycle_from(
    v: &str,
    edges: &BTreeMap<String, BTreeSet<String>>,
    state: &mut BTreeMap<String, u8>,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    state.insert(v.to_string(), 1);
    path.push(v.to_string());
    for w in &edges[v] {
        match state.get(w.as_str()).copied().unwrap_or(0) {
            1 => {
                let start = path.iter().position(|p| p == w).unwrap();
                let mut c = path[start..].to_vec();
                c.push(w.clone());
                return Some(c);
            }
            0 => {
                if let Some(c) = cycle_from(w, edges, state, path) {
                    return Some(c);
                }
            }
            _ => {}
        }
    }
    path.pop();
    state.insert(v.to_string(), 2);
    None
}

/// Module → the modules of the same crate its production code names.
fn edges_of(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules(src);
    let root = ["lib.rs", "main.rs"].iter().map(|f| src.join(f)).find(|p| p.is_file()).expect("a crate root");
    let reexported = reexports(&std::fs::read_to_string(root).unwrap());
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, files) in &mods {
        let targets = edges.entry(m.clone()).or_default();
        for f in files {
            let code = production_code(&std::fs::read_to_string(f).unwrap());
            // A module name is the module (`recipes` is also a re-exported function).
            let names = imported(&code).into_iter().map(|t| {
                if mods.contains_key(&t) {
                    t
                } else {
                    reexported.get(&t).cloned().unwrap_or(t)
                }
            });
            targets.extend(names.filter(|t| t != m && mods.contains_key(t)));
        }
    }
    edges
}

fn assert_acyclic(krate: &str, edges: &BTreeMap<String, BTreeSet<String>>) {
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if state.get(m.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = cycle_from(m, edges, &mut state, &mut Vec::new()) {
                panic!("import cycle between {krate}'s modules: {}", c.join(" -> "));
            }
        }
    }
}

#[test]
fn top_level_modules_import_without_cycles() {
    let edges = edges_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    for (m, targets) in &edges {
        println!("{m:16} -> {}", targets.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    assert!(edges.contains_key("registry") && edges["registry"].contains("recipes"), "the graph was read");
    assert_acyclic("the engine", &edges);
}

/// The same rule for every crate of the workspace (they sit beside this one under `crates/`).
#[test]
fn every_crate_imports_without_cycles() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            let name = src.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
            assert_acyclic(&name, &edges_of(&src));
            checked.push(name);
        }
    }
    checked.sort();
    println!("checked: {}", checked.join(", "));
    assert!(checked.len() >= 9 && checked.contains(&"service".to_string()), "{checked:?}");
}

#[test]
fn the_reader_sees_groups_and_skips_tests() {
    let code = production_code(
        "use crate::{a, b::x};\nuse crate::c::y;\n// crate::d\n#[cfg(test)]\nmod tests { use crate::e; }\n#[cfg(test)]\nuse crate::f;\n",
    );
    assert_eq!(imported(&code), ["a", "b", "c"].map(String::from).into_iter().collect());
    let r = reexports("pub mod x;\npub use pipeline::{\n    train, update,\n};\npub use error::EngineError;\n");
    assert_eq!(r["train"], "pipeline");
    assert_eq!(r["update"], "pipeline");
    assert_eq!(r["EngineError"], "error");
}
