//! `AsyncVault` offers every blocking operation of `Vault`, from one list, so the two cannot
//! drift apart again (hotlists were once missing from the async facade).
//!
//! A blocking operation is a `pub fn` of `Vault` that takes `&self` and returns a `Result`;
//! each must be a line of the `blocking_operations!` list in `src/vault/async_vault.rs`.
//! Constructors and the few calls that do not block (or that take a closure) are named below
//! with the reason, so that leaving one out is a decision, not an accident.

use std::collections::BTreeSet;
use std::path::Path;

/// `Vault` methods that return a `Result` but have their own async form or none.
const NOT_IN_THE_LIST: &[(&str, &str)] = &[
    ("create", "AsyncVault::create, a constructor"),
    ("open", "AsyncVault::open, a constructor"),
    (
        "is_simulation_store",
        "reads one small header file, no store open",
    ),
];

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// The names of `Vault`'s `pub fn`s that return a `Result`.
fn vault_operations() -> BTreeSet<String> {
    let text = read("src/vault/mod.rs");
    let start = text.find("impl Vault {").expect("impl Vault");
    let body = &text[start..];
    let mut out = BTreeSet::new();
    let mut rest = body;
    while let Some(i) = rest.find("    pub fn ") {
        let sig_start = &rest[i + "    pub fn ".len()..];
        let name: String = sig_start
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let sig_end = sig_start.find('{').unwrap_or(sig_start.len());
        let signature = &sig_start[..sig_end];
        if signature.contains("-> Result<") {
            out.insert(name);
        }
        rest = &sig_start[sig_end..];
    }
    out
}

/// The names in the `blocking_operations!` list.
fn async_list() -> BTreeSet<String> {
    let text = read("src/vault/async_vault.rs");
    let start = text
        .find("blocking_operations! {")
        .expect("the blocking_operations! list");
    let list = &text[start..];
    let end = list.find("\n}\n").expect("end of the list");
    list[..end]
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("fn "))
        .map(|l| {
            l.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn every_blocking_vault_operation_has_its_async_form() {
    let ops = vault_operations();
    assert!(
        ops.contains("search") && ops.contains("hotlist_add"),
        "the checker reads Vault's operations: {ops:?}"
    );
    let listed = async_list();
    let excused: BTreeSet<String> = NOT_IN_THE_LIST.iter().map(|(n, _)| n.to_string()).collect();
    let missing: Vec<&String> = ops
        .iter()
        .filter(|op| !listed.contains(*op) && !excused.contains(*op))
        .collect();
    assert!(
        missing.is_empty(),
        "Vault operations with no line in blocking_operations!: {missing:?}"
    );
    let stale: Vec<&String> = listed.iter().filter(|op| !ops.contains(*op)).collect();
    assert!(
        stale.is_empty(),
        "listed but not Vault operations: {stale:?}"
    );
}
