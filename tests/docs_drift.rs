//! One home per fact, kept true: the design documents name every column family, key prefix
//! and lock that the code has.
//!
//! - Every column family and every key prefix in the layout table of `src/store/layout.rs`
//!   has a row in the section of its column family in `docs/storage.md`, and every constant
//!   key of `layout.rs` is in that table.
//! - Every `Mutex` and `RwLock` held by the open store (`src/engine/state.rs`), the RocksDB
//!   wrapper (`src/store/mod.rs`), the audit log (`src/audit/log.rs`) and `Vault`
//!   (`src/vault/mod.rs`) is named, in backticks, in the "Concurrency" section of
//!   `docs/design.md`, and its lock order names every lock that is taken in an order.
//!
//! The README's examples are kept true the same way, as doctests.

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// The rows of the layout table in `layout.rs`'s module docs: (column family, key prefix).
fn layout_table() -> Vec<(String, String)> {
    let text = read("src/store/layout.rs");
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("column family"))
        .expect("the layout table's header");
    let value_col = lines[header].find("value").expect("a value column");
    let mut rows = Vec::new();
    let mut cf = String::new();
    for line in &lines[header + 2..] {
        if line.starts_with("```") {
            break;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if !line.starts_with(' ') && !first.is_empty() {
            cf = first.to_string();
        }
        let key_part: String = line.chars().take(value_col).collect();
        let mut rest = key_part.as_str();
        while let Some(a) = rest.find('"') {
            let after = &rest[a + 1..];
            let Some(b) = after.find('"') else { break };
            rows.push((cf.clone(), after[..b].to_string()));
            rest = &after[b + 1..];
        }
    }
    rows
}

/// The text of `docs/storage.md` from the heading of a column family to the next heading.
fn storage_section(doc: &str, cf: &str) -> Option<String> {
    let heading = format!("### `{cf}`");
    let start = doc.find(&heading)?;
    let body = &doc[start + heading.len()..];
    let end = body.find("\n#").unwrap_or(body.len());
    Some(body[..end].to_string())
}

#[test]
fn the_layout_table_is_read() {
    let rows = layout_table();
    assert!(
        rows.len() >= 20,
        "only {} rows read from layout.rs",
        rows.len()
    );
    assert!(rows.contains(&("meta".into(), "purge/".into())));
    assert!(rows.contains(&("epoch-<name>".into(), "R".into())));
}

#[test]
fn every_column_family_and_key_prefix_has_its_row_in_storage_md() {
    let doc = read("docs/storage.md");
    let mut missing = Vec::new();
    for (cf, prefix) in layout_table() {
        let Some(section) = storage_section(&doc, &cf) else {
            missing.push(format!("no section ### `{cf}`"));
            continue;
        };
        // A one-letter prefix must stand alone in backticks (`e`); a longer one may run on
        // (`count/<epoch>`, `epoch/<name>`).
        let found = if prefix.chars().count() == 1 {
            section.contains(&format!("`{prefix}`"))
        } else {
            section.contains(&format!("`{prefix}"))
        };
        if !found {
            missing.push(format!("{cf}: key {prefix:?}"));
        }
    }
    assert!(missing.is_empty(), "docs/storage.md lacks: {missing:#?}");
}

#[test]
fn every_column_family_constant_and_meta_key_is_in_the_layout_table() {
    let code = read("src/store/layout.rs");
    let rows = layout_table();
    let mut missing = Vec::new();
    for line in code.lines() {
        let line = line.trim();
        if !line.starts_with("pub const ") {
            continue;
        }
        // `pub const CF_META: &str = "meta";` or `pub const META_CLOCK: &[u8] = b"clock";`
        let Some(q) = line.find('"') else { continue };
        let value = &line[q + 1..line.rfind('"').unwrap_or(q + 1)];
        let known = if line.contains("CF_") && line.contains("&str") {
            rows.iter().any(|(cf, _)| cf == value) || value == "epoch-"
        } else {
            rows.iter().any(|(_, k)| k == value)
        };
        if !known {
            missing.push(value.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "constants not in layout.rs's table: {missing:?}"
    );
}

/// Names of the `Mutex`/`RwLock` fields declared in a file (struct fields only).
fn lock_fields(rel: &str) -> Vec<String> {
    read(rel)
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//"))
        .filter(|l| l.contains(": Mutex<") || l.contains(": RwLock<"))
        .filter_map(|l| {
            let l = l
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            let name = l.split(':').next()?.trim();
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
                .then(|| name.to_string())
        })
        .collect()
}

#[test]
fn every_lock_is_in_the_design_docs_lock_table() {
    let design = read("docs/design.md");
    let start = design
        .find("## Concurrency")
        .expect("a Concurrency section");
    let section = &design[start..];
    let section = &section[..section[2..].find("\n## ").map_or(section.len(), |i| i + 2)];
    let mut missing = Vec::new();
    let mut seen = 0;
    for file in [
        "src/engine/state.rs",
        "src/store/mod.rs",
        "src/audit/log.rs",
        "src/vault/mod.rs",
    ] {
        for name in lock_fields(file) {
            seen += 1;
            if !section.contains(&format!("`{name}`")) {
                missing.push(format!("{file}: {name}"));
            }
        }
    }
    assert!(seen >= 12, "only {seen} locks found: the checker is blind");
    assert!(
        missing.is_empty(),
        "locks missing from docs/design.md: {missing:?}"
    );
}
