//! The audit log read back without the key (through a read-only `Review`): its entries,
//! counts of them, and the verifications the tests assert.

use std::path::Path;

use platevault::audit::entry::{Entry, EntryKind};
use platevault::verify::Review;

/// Every entry of the store's log, read through a read-only [`Review`] (works while a
/// `Vault` holds the store).
pub fn entries(store: &Path) -> Vec<Entry> {
    Review::open(store)
        .expect("review open")
        .entries()
        .expect("entries")
}

/// True for the entry kinds that are a request's decision (one per search, hold, hotlist,
/// alerts, hold release or hotlist removal request: "one audit entry per request").
pub fn is_decision(e: &Entry) -> bool {
    matches!(
        e.kind,
        EntryKind::Search
            | EntryKind::HoldAdd
            | EntryKind::HotlistAdd
            | EntryKind::Alerts
            | EntryKind::HoldReleaseRequest
            | EntryKind::HotlistRemoveRequest
    )
}

/// How many entries are a request's decision ([`is_decision`]).
pub fn decision_count(entries: &[Entry]) -> usize {
    entries.iter().filter(|e| is_decision(e)).count()
}

/// How many entries of `kind` (for `epoch`, when given) the log holds.
pub fn count(entries: &[Entry], kind: EntryKind, epoch: Option<&str>) -> usize {
    entries
        .iter()
        .filter(|e| e.kind == kind && epoch.is_none_or(|name| e.epoch.as_deref() == Some(name)))
        .count()
}

/// How many entries of `kind` the log holds, whatever their epoch.
pub fn count_kind(entries: &[Entry], kind: EntryKind) -> usize {
    count(entries, kind, None)
}

/// Asserts the audit log verifies and deletion verification is clean.
pub fn assert_log_ok_and_deletion_clean(store: &Path, plates: &[String]) {
    let review = Review::open(store).expect("review");
    let report = review.verify(None).expect("verify");
    assert!(report.ok, "the audit log must verify: {report:?}");
    let deletion = review.verify_deletion(plates).expect("verify deletion");
    assert!(
        deletion.clean,
        "deletion verification must be clean: {:?}",
        deletion.findings
    );
}

/// Verifies the audit log read-only (no key, no lock): the recomputed tree matches every
/// stored node and the signed tree head, and the entries are contiguous from 0. Returns them.
pub fn audit_entries_verified(store: &Path) -> Result<Vec<Entry>, String> {
    let review = Review::open(store).map_err(|e| format!("read-only open: {e}"))?;
    let report = review
        .verify(None)
        .map_err(|e| format!("audit verify: {e}"))?;
    if !report.ok {
        return Err(format!("the audit log does not verify: {report:?}"));
    }
    let entries = review
        .entries()
        .map_err(|e| format!("audit entries: {e}"))?;
    if entries.len() as u64 != report.size {
        return Err(format!(
            "{} entries but the verified tree has {}",
            entries.len(),
            report.size
        ));
    }
    if let Some((i, e)) = entries.iter().enumerate().find(|(i, e)| e.seq != *i as u64) {
        return Err(format!("audit entry at position {i} has seq {}", e.seq));
    }
    Ok(entries)
}

/// Verifies the audit log read-only, streaming (memory O(log n), whatever its size): the
/// recomputed tree matches every stored node and the signed tree head. Returns its size.
pub fn audit_verifies(store: &Path) -> Result<u64, String> {
    let review = Review::open(store).map_err(|e| format!("read-only open: {e}"))?;
    let report = review
        .verify(None)
        .map_err(|e| format!("audit verify: {e}"))?;
    if !report.ok {
        return Err(format!("the audit log does not verify: {report:?}"));
    }
    Ok(report.size)
}

/// Checks that every expiry the log announced was completed: each `expiry_intent` has
/// exactly one `deletion_certificate` for the same epoch after it, and no epoch was
/// announced or certified twice. Returns the certified epoch names.
pub fn expiries_complete(entries: &[Entry]) -> Result<Vec<String>, String> {
    let mut intents = std::collections::BTreeMap::new();
    let mut certified = std::collections::BTreeMap::new();
    for e in entries {
        let name = || e.epoch.clone().unwrap_or_default();
        match e.kind {
            EntryKind::ExpiryIntent if intents.insert(name(), e.seq).is_some() => {
                return Err(format!("epoch {} has two expiry intents", name()));
            }
            EntryKind::DeletionCertificate => {
                let Some(&intent) = intents.get(&name()) else {
                    return Err(format!("epoch {} is certified without an intent", name()));
                };
                if e.result_of != Some(intent) {
                    return Err(format!(
                        "the certificate of epoch {} names intent {:?}, not {intent}",
                        name(),
                        e.result_of
                    ));
                }
                if certified.insert(name(), e.seq).is_some() {
                    return Err(format!("epoch {} is certified twice", name()));
                }
            }
            _ => {}
        }
    }
    if let Some(name) = intents.keys().find(|n| !certified.contains_key(*n)) {
        return Err(format!(
            "epoch {name} has an expiry intent but no deletion certificate: a half-applied expiry"
        ));
    }
    Ok(certified.into_keys().collect())
}
