//! The layout holds: no import circle between sibling modules anywhere in the
//! workspace, and `shared/`'s rooms depend one way (`model` ← `files`,
//! `field`, `store`; `ops` above them all). Read from the `use` lines and
//! `crate::`/`super::` paths of every source file; test modules are left out
//! (a test may use the example campaign from any room).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// One reference from a module to another, with where it is written.
#[derive(Clone, Debug)]
struct Reference {
    from: Module,
    to: Module,
    at: String,
}

struct Crate {
    name: &'static str,
    modules: BTreeMap<Module, PathBuf>,
    /// Names the crate root re-exports (`pub use store::{Store, …}`), by the
    /// module they come from, so `crate::Store` counts as naming `store`.
    reexports: BTreeMap<String, Module>,
}

fn crate_at(name: &'static str, root: &Path) -> Crate {
    let mut modules = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under root");
                let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                let file = parts.pop().expect("file name");
                let stem = file.trim_end_matches(".rs").to_owned();
                if !matches!(stem.as_str(), "mod" | "lib" | "main") || !parts.is_empty() && stem != "mod" {
                    parts.push(stem);
                }
                modules.insert(parts, path);
            }
        }
    }
    let mut krate = Crate { name, modules, reexports: BTreeMap::new() };
    let root_text =
        krate.modules.get(&Vec::new()).map(|f| std::fs::read_to_string(f).expect("root")).unwrap_or_default();
    let mut reexports = BTreeMap::new();
    for stmt in product_code(&root_text).split(';') {
        let Some(used) = stmt.trim().strip_prefix("pub use ") else { continue };
        let (path, names) = match used.split_once("::{") {
            Some((path, names)) => (path, names.trim_end_matches('}').split(',').collect::<Vec<_>>()),
            None => used.rsplit_once("::").map_or((used, vec![]), |(p, n)| (p, vec![n])),
        };
        let module = resolve(&krate, &path.split("::").map(str::to_owned).collect::<Vec<_>>());
        for n in names {
            let n = n.trim().rsplit(" as ").next().unwrap_or("").trim().to_owned();
            if !n.is_empty() {
                reexports.insert(n, module.clone());
            }
        }
    }
    krate.reexports = reexports;
    krate
}

/// The source without `#[cfg(test)]` modules and comments.
fn product_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        if t.starts_with("#[cfg(test)]") {
            // Skip the item that follows, to its closing brace.
            let mut depth = 0i32;
            let mut opened = false;
            for next in lines.by_ref() {
                for c in next.chars() {
                    match c {
                        '{' => (depth, opened) = (depth + 1, true),
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if opened && depth <= 0 || !opened && next.trim_end().ends_with(';') {
                    break;
                }
            }
            continue;
        }
        out.push_str(line.split(" // ").next().unwrap_or(line));
        out.push('\n');
    }
    out
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths written after `crate::` or `super::`, as segments, with the
/// top-level names of `crate::{a::b, c}` groups.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| ident_char(c) && c != '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let segs: Vec<String> = item.trim().split("::").map(|s| s.trim().to_owned()).collect();
                if segs.first().is_some_and(|s| !s.is_empty()) {
                    out.push(segs.into_iter().take_while(|s| s.chars().all(ident_char) && !s.is_empty()).collect());
                }
            }
            continue;
        }
        let path: String = rest.chars().take_while(|c| ident_char(*c) || *c == ':').collect();
        let segs: Vec<String> = path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
        if !segs.is_empty() {
            out.push(segs);
        }
    }
    out
}

/// The longest known module a path names.
fn resolve(krate: &Crate, path: &[String]) -> Module {
    let found =
        (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|m| krate.modules.contains_key(m)).unwrap_or_default();
    match path.first() {
        Some(name) if found.is_empty() => krate.reexports.get(name).cloned().unwrap_or_default(),
        _ => found,
    }
}

fn references(krate: &Crate) -> Vec<Reference> {
    let mut out = Vec::new();
    for (module, file) in &krate.modules {
        let text = std::fs::read_to_string(file).expect("source");
        let code = product_code(&text);
        let shown = file.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(file).display().to_string();
        let mut push = |to: Module| {
            out.push(Reference { from: module.clone(), to, at: shown.clone() });
        };
        for path in paths_after(&code, "crate::") {
            push(resolve(krate, &path));
        }
        // `super::` from a file module names its parent; from a `mod.rs`, the
        // module's parent as well (both are the module's own parent).
        let parent: Module = module[..module.len().saturating_sub(1)].to_vec();
        for path in paths_after(&code, "super::") {
            let mut full = parent.clone();
            full.extend(path);
            push(resolve(krate, &full));
        }
    }
    out
}

/// The edge a reference makes between siblings: the children of the two
/// modules' common parent that hold each. A module naming its own parent or
/// child makes none.
fn sibling_edge(r: &Reference) -> Option<(Module, Module)> {
    let common = r.from.iter().zip(&r.to).take_while(|(a, b)| a == b).count();
    if common == r.from.len() || common == r.to.len() {
        return None;
    }
    Some((r.from[..=common].to_vec(), r.to[..=common].to_vec()))
}

/// Circles among the edges, each as the modules it passes through.
fn circles(edges: &BTreeMap<(Module, Module), String>) -> Vec<Vec<Module>> {
    let nodes: BTreeSet<&Module> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    let reach = |start: &Module| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.clone()];
        while let Some(n) = todo.pop() {
            for ((a, b), _) in edges.range((n.clone(), Vec::new())..) {
                if *a != n {
                    break;
                }
                if seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&Module, BTreeSet<Module>> = nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut out: Vec<Vec<Module>> = Vec::new();
    let mut placed = BTreeSet::new();
    for n in &nodes {
        if placed.contains(*n) || !reachable[n].contains(*n) {
            continue;
        }
        let group: Vec<Module> = nodes
            .iter()
            .filter(|m| reachable[n].contains(**m) && reachable[*m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        placed.extend(group.iter().cloned());
        out.push(group);
    }
    out
}

fn workspace() -> Vec<Crate> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    vec![
        crate_at("shared", &root.join("shared/src")),
        crate_at("collector", &root.join("collector/src")),
        crate_at("aggregator", &root.join("aggregator/src")),
        crate_at("sipas", &root.join("src")),
    ]
}

fn show(m: &Module) -> String {
    if m.is_empty() { "crate".into() } else { m.join("::") }
}

#[test]
fn the_checker_sees_a_circle_when_there_is_one() {
    // The checker itself, on a made-up crate: a → b → a is found, a child
    // naming its parent is not a circle.
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(dir.path().join("a")).expect("mkdir");
    std::fs::write(dir.path().join("lib.rs"), "pub mod a; pub mod b;").expect("write");
    std::fs::write(dir.path().join("a/mod.rs"), "mod inner; use crate::b::Thing;").expect("write");
    std::fs::write(dir.path().join("a/inner.rs"), "use super::X; use crate::a::Y;").expect("write");
    std::fs::write(
        dir.path().join("b.rs"),
        "pub fn f() { crate::a::inner::g() }\n#[cfg(test)]\nmod t { use crate::b; }",
    )
    .expect("write");
    let krate = crate_at("made-up", dir.path());
    let edges: BTreeMap<(Module, Module), String> =
        references(&krate).iter().filter_map(|r| sibling_edge(r).map(|e| (e, r.at.clone()))).collect();
    let found = circles(&edges);
    assert_eq!(found, vec![vec![vec!["a".to_owned()], vec!["b".to_owned()]]]);
    std::fs::write(dir.path().join("b.rs"), "pub fn f() {}\n#[cfg(test)]\nmod t { use crate::a::inner; }")
        .expect("write");
    let krate = crate_at("made-up", dir.path());
    let edges: BTreeMap<(Module, Module), String> =
        references(&krate).iter().filter_map(|r| sibling_edge(r).map(|e| (e, r.at.clone()))).collect();
    assert!(circles(&edges).is_empty(), "a test module's use is not the product's");
}

#[test]
fn no_module_in_the_workspace_is_in_an_import_circle() {
    let mut found = Vec::new();
    for krate in workspace() {
        let refs = references(&krate);
        assert!(refs.len() >= 10, "{}: the checker read {} references", krate.name, refs.len());
        let edges: BTreeMap<(Module, Module), String> =
            refs.iter().filter_map(|r| sibling_edge(r).map(|e| (e, r.at.clone()))).collect();
        for circle in circles(&edges) {
            let names: Vec<String> = circle.iter().map(show).collect();
            let files: BTreeSet<&String> =
                edges.iter().filter(|((a, b), _)| circle.contains(a) && circle.contains(b)).map(|(_, f)| f).collect();
            found.push(format!("{}: {} (in {files:?})", krate.name, names.join(" ↔ ")));
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn shared_rooms_depend_one_way() {
    let shared = workspace().into_iter().next().expect("shared");
    let rooms: BTreeSet<String> = shared.modules.keys().filter(|m| m.len() == 1).map(|m| m[0].clone()).collect();
    let expected: BTreeSet<String> = ["model", "files", "field", "store", "ops"].map(str::to_owned).into();
    assert_eq!(rooms, expected, "shared/src holds its rooms and lib.rs, nothing beside them");
    // Which room each may name: the model none; files, field and the store
    // only the model; ops any.
    let may = |from: &str, to: &str| from == to || to == "model" || from == "ops";
    let mut wrong = BTreeSet::new();
    for r in references(&shared) {
        let (Some(from), Some(to)) = (r.from.first(), r.to.first()) else { continue };
        if !may(from, to) {
            wrong.insert(format!("{from} → {to} ({}: {})", r.at, show(&r.to)));
        }
    }
    assert!(wrong.is_empty(), "rooms naming what they may not:\n{}", wrong.into_iter().collect::<Vec<_>>().join("\n"));
    for room in &expected {
        let file = &shared.modules[&vec![room.clone()]];
        let text = std::fs::read_to_string(file).expect("room");
        assert!(text.starts_with("//!"), "{} says what lives there", file.display());
    }
}

#[test]
fn states_and_audit_actions_are_spelled_only_by_the_store() {
    // Codes that name nothing else: a status or an action written as a string
    // outside the store (and the model that defines them) is a match that a
    // new state could slip past.
    let codes = [
        "issued",
        "answered",
        "unreachable",
        "frame_import",
        "frame_remove",
        "more_reserves",
        "release_reserve",
        "device_enrol",
        "device_revoke",
        "ballot_numbers",
        "key_ballot",
        "paper_import",
        "review_keep",
        "exclude_response",
        "restore_response",
        "user_disable",
        "user_enable",
        "user_password",
        "user_units",
        "user_unlock",
        "user_revoke_tokens",
    ];
    let mut found = Vec::new();
    for krate in workspace() {
        for (module, file) in &krate.modules {
            if krate.name == "shared" && matches!(module.first().map(String::as_str), Some("store")) {
                continue;
            }
            if krate.name == "shared" && module == &["model".to_owned(), "states".to_owned()] {
                continue;
            }
            let code = product_code(&std::fs::read_to_string(file).expect("source"));
            for c in codes {
                if code.contains(&format!("\"{c}\"")) {
                    found.push(format!("{}: \"{c}\"", file.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "status or action codes outside the store:\n{}", found.join("\n"));
}
