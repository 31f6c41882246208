//! The policy's history, read from the audit log, and the checks that keep it honest.
//!
//! Every policy a store has had is in the log: `store_created` records the first, each
//! `policy_change` the next, each with the BLAKE3 of the policy's canonical TOML
//! (`policy_new`) and, in entries written since the text is recorded, the text itself
//! (`policy_text`). So a key holder who removes a prohibited purpose, searches, and puts the
//! purpose back leaves three versions a reviewer can read and compare, not two hashes.
//!
//! [`PolicyTrail`] is fed the entries in order by `audit verify` and checks that
//! - a recorded text hashes to the `policy_new` its entry records (a text changed after the
//!   fact, even by someone who recomputes the tree and re-signs its head, is caught);
//! - only `store_created` and `policy_change` entries carry a policy text;
//! - the policy in force in the store hashes to the last `policy_new` of the log: a policy
//!   written into the store without going through `apply_policy` (and so without an entry)
//!   is caught. (The store writes the canonical text and logs its hash in one atomic batch,
//!   in every version, so old stores pass this check too.)

use crate::audit::entry::{Entry, EntryKind};
use crate::model::epoch::Timestamp;

/// One version of the policy, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVersion {
    /// The entry that put this version in force.
    pub seq: u64,
    /// When (the store's clock).
    pub time: Timestamp,
    /// `store_created` for the first version, `policy_change` for the others.
    pub kind: EntryKind,
    /// The policy's own version number.
    pub version: Option<u32>,
    /// BLAKE3 (hex) of the policy's canonical TOML.
    pub hash: Option<String>,
    /// BLAKE3 (hex) of the policy it replaced (policy changes).
    pub replaced: Option<String>,
    /// The canonical TOML text (absent in entries written before texts were recorded).
    pub text: Option<String>,
}

/// True for the entry kinds that put a policy in force.
pub fn records_policy(kind: EntryKind) -> bool {
    matches!(kind, EntryKind::StoreCreated | EntryKind::PolicyChange)
}

/// Every policy version in `entries`, oldest first.
pub fn history(entries: &[Entry]) -> Vec<PolicyVersion> {
    entries
        .iter()
        .filter(|e| records_policy(e.kind))
        .map(|e| PolicyVersion {
            seq: e.seq,
            time: e.time,
            kind: e.kind,
            version: e.policy_version,
            hash: e.policy_new.clone(),
            replaced: e.policy_old.clone(),
            text: e.policy_text.clone(),
        })
        .collect()
}

/// BLAKE3 (hex) of a policy text, as `policy_new` records it.
pub fn text_hash(text: &[u8]) -> String {
    blake3::hash(text).to_hex().to_string()
}

/// The policy checks of `audit verify`, fed every entry in order.
#[derive(Clone, Debug, Default)]
pub struct PolicyTrail {
    /// `policy_new` of the last entry that put a policy in force.
    last: Option<(u64, String)>,
}

impl PolicyTrail {
    /// A trail that has seen no entry.
    pub fn new() -> Self {
        PolicyTrail::default()
    }

    /// Checks one entry; `Err` says what is wrong, in words for the verification report.
    pub fn observe(&mut self, entry: &Entry) -> Result<(), String> {
        let seq = entry.seq;
        if let Some(text) = &entry.policy_text {
            if !records_policy(entry.kind) {
                return Err(format!(
                    "entry {seq} ({}) carries a policy text, but only store_created and policy_change entries record a policy",
                    entry.kind.as_str()
                ));
            }
            match &entry.policy_new {
                Some(h) if *h == text_hash(text.as_bytes()) => {}
                Some(_) => {
                    return Err(format!(
                        "the policy text of entry {seq} does not hash to the policy_new it records: the text was changed after the entry was written"
                    ));
                }
                None => {
                    return Err(format!(
                        "entry {seq} carries a policy text without its hash (policy_new)"
                    ));
                }
            }
        }
        if records_policy(entry.kind)
            && let Some(h) = &entry.policy_new
        {
            self.last = Some((seq, h.clone()));
        }
        Ok(())
    }

    /// After the last entry: checks that the policy in force (its stored text) is the one
    /// the log last put in force.
    pub fn finish(&self, policy_in_force: &[u8]) -> Result<(), String> {
        match &self.last {
            Some((seq, h)) if *h != text_hash(policy_in_force) => Err(format!(
                "the policy in force is not the one audit entry {seq} put in force: it was replaced without an audit entry"
            )),
            _ => Ok(()),
        }
    }
}

/// A line diff of two texts (longest common subsequence): lines only in `old` start with
/// `-`, lines only in `new` with `+`, common lines with a space. Texts over 4,000 lines are
/// compared as wholes (a policy is a few dozen lines).
pub fn diff_lines(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() > 4_000 || b.len() > 4_000 {
        let mut out: Vec<String> = a.iter().map(|l| format!("-{l}")).collect();
        out.extend(b.iter().map(|l| format!("+{l}")));
        return out;
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(format!(" {}", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+{}", b[j]));
            j += 1;
        } else {
            out.push(format!("-{}", a[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy_entry(seq: u64, kind: EntryKind, text: &str) -> Entry {
        let mut e = Entry::new(kind);
        e.seq = seq;
        e.policy_new = Some(text_hash(text.as_bytes()));
        e.policy_text = Some(text.to_string());
        e
    }

    #[test]
    fn the_trail_accepts_an_honest_history_and_catches_changed_texts() {
        let mut trail = PolicyTrail::new();
        trail
            .observe(&policy_entry(0, EntryKind::StoreCreated, "a = 1\n"))
            .expect("created");
        trail
            .observe(&Entry::new(EntryKind::Search))
            .expect("search");
        trail
            .observe(&policy_entry(2, EntryKind::PolicyChange, "a = 2\n"))
            .expect("change");
        trail.finish(b"a = 2\n").expect("in force");
        let err = trail.finish(b"a = 3\n").expect_err("swapped policy");
        assert!(err.contains("without an audit entry"), "{err}");

        let mut changed = policy_entry(3, EntryKind::PolicyChange, "a = 2\n");
        changed.policy_text = Some("a = 1\n".into());
        let err = trail.observe(&changed).expect_err("changed text");
        assert!(err.contains("does not hash"), "{err}");

        let mut stray = Entry::new(EntryKind::Search);
        stray.policy_text = Some("a = 1\n".into());
        assert!(trail.observe(&stray).is_err());

        // An old log: hashes only.
        let mut old = Entry::new(EntryKind::StoreCreated);
        old.policy_new = Some(text_hash(b"b = 1\n"));
        let mut trail = PolicyTrail::new();
        trail.observe(&old).expect("old entry");
        trail.finish(b"b = 1\n").expect("old store");
    }

    #[test]
    fn the_diff_shows_a_removed_line() {
        let d = diff_lines("a\nb\nc\n", "a\nc\nd\n");
        assert_eq!(d, vec![" a", "-b", " c", "+d"]);
        assert_eq!(diff_lines("", "x"), vec!["+x"]);
    }
}
