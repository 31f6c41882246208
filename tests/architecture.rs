//! The layers of `src/` hold: no module imports one on a higher layer, and no two modules
//! import each other, directly or through others.
//!
//! Every file under `src/` (but the binary's `cli/` and `main.rs`) is a module, named by its
//! path (`src/engine/hold.rs` is `engine::hold`, a `mod.rs` names its folder). An import is
//! any `crate::…` path outside comments and `#[cfg(test)]` code, resolved to the longest
//! module path it starts with. The layers, from the top, are the table below; `error` is the
//! crate's vocabulary, imported by every layer, and may itself import only the leaf error
//! types of `crypto` and `policy` (which import nothing of it). `docs/design.md` shows the
//! same table; this test is what keeps both true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules, highest layer first. A module may import its own layer's modules
/// (without cycles) and any layer below it.
const LAYERS: &[&[&str]] = &[
    &["sim"],
    &["vault"],
    &["engine"],
    &["verify"],
    &["policy", "audit"],
    &["crypto"],
    &["store"],
    &["model"],
];

/// What `error` may import: the error types it wraps.
const ERROR_MAY_IMPORT: &[&str] = &["crypto::keys", "crypto::seal", "policy"];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file, or None for the binary's files.
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src_dir()).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "cli" || p == "main") {
        return None;
    }
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    Some(parts.join("::"))
}

/// The code of a file without its `#[cfg(test)]` tail and without comment lines.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b::…` path in the code (the identifiers after `crate::`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(after.len());
        out.push(after[..end].trim_end_matches(':').to_string());
        rest = &after[end..];
    }
    out
}

fn resolve(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut segs: Vec<&str> = path.split("::").collect();
    while !segs.is_empty() {
        let candidate = segs.join("::");
        if modules.contains(&candidate) {
            return Some(candidate);
        }
        segs.pop();
    }
    None
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top(module)))
}

/// The import graph: module -> the modules it imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let named: Vec<(String, PathBuf)> = files
        .into_iter()
        .filter_map(|f| module_of(&f).map(|m| (m, f)))
        .collect();
    let modules: BTreeSet<String> = named.iter().map(|(m, _)| m.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &named {
        let code = code_of(&std::fs::read_to_string(file).expect("read file"));
        for path in crate_paths(&code) {
            if let Some(target) = resolve(&path, &modules)
                && &target != module
                && !target.is_empty()
            {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    edges
}

#[test]
fn every_top_level_module_has_a_layer() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let unplaced: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_of(f))
        .filter(|m| !m.is_empty() && m != "error" && layer_of(m).is_none())
        .map(|m| top(&m).to_string())
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules with no layer in tests/architecture.rs (and docs/design.md): {unplaced:?}"
    );
}

#[test]
fn no_module_imports_one_on_a_higher_layer() {
    let mut wrong = Vec::new();
    for (from, targets) in graph() {
        for to in targets {
            if from == "error" {
                if !ERROR_MAY_IMPORT.contains(&to.as_str()) && to != "error" {
                    wrong.push(format!("error -> {to}"));
                }
                continue;
            }
            if to == "error" {
                continue;
            }
            if let (Some(a), Some(b)) = (layer_of(&from), layer_of(&to))
                && b < a
            {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point up: {wrong:#?}");
}

#[test]
fn no_two_modules_import_each_other() {
    let g = graph();
    // Tarjan-free check: for each edge a -> b, b must not reach a.
    fn reaches(g: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone())
                && let Some(next) = g.get(&n)
            {
                stack.extend(next.iter().cloned());
            }
        }
        false
    }
    let mut cycles = Vec::new();
    for (a, targets) in &g {
        for b in targets {
            if reaches(&g, b, a) {
                cycles.push(format!("{a} -> {b} -> … -> {a}"));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn the_checker_sees_imports() {
    // The test above cannot pass by seeing nothing: the engine's gate imports the policy.
    let g = graph();
    assert!(g.get("engine::gate").is_some_and(|t| t.contains("policy")));
    assert!(
        g.get("vault")
            .is_some_and(|t| t.iter().any(|m| m.starts_with("engine")))
    );
}
