//! Audit entries and their canonical bytes.
//!
//! An entry's canonical bytes are compact JSON with a fixed field order (the order of the
//! fields below; absent optional fields are omitted), UTF-8, no trailing newline. They are
//! what a Merkle leaf commits to: `leaf_hash = BLAKE3(0x00 || bytes)`. A reviewer who gets
//! them from `audit prove` can hex-decode and read them with any JSON tool, and check the
//! hash without platevault. Decoding is strict: unknown fields are refused.
//!
//! Plates never appear: a search names its plate only by `fingerprint`, a keyed hash under
//! the store's long-lived audit key, so repeated searches for one plate are visible without
//! revealing it. Free-text justifications are not in the entry either: they are sealed in a
//! separate payload whose BLAKE3 digest the entry carries (`payload`), so the payload can be
//! crypto-shredded when the audit log's own retention ends without breaking any proof.

use serde::{Deserialize, Serialize};

use crate::model::epoch::{Span, Timestamp};

/// The version of the entry encoding.
pub const ENTRY_VERSION: u8 = 1;

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryKind {
    /// The store was created (policy hash and version).
    StoreCreated,
    /// A search's decision, written before any data is looked at.
    Search,
    /// The outcome of an allowed search: how many reads it returned.
    SearchResult,
    /// A legal hold request's decision (a search that holds its results).
    HoldAdd,
    /// The outcome of an allowed hold request: how many reads were placed on hold.
    HoldPlaced,
    /// A hold released (its case key shredded, its copies removed).
    HoldRelease,
    /// A hold that reached its end date and was released by expiry.
    HoldExpired,
    /// A hotlist entry request's decision.
    HotlistAdd,
    /// A hotlist entry removed early.
    HotlistRemove,
    /// A hotlist entry that reached its expiry.
    HotlistExpired,
    /// A hotlist match at ingest (read id, time and camera are in the sealed payload).
    HotlistAlert,
    /// Expiry is about to destroy an epoch (written before anything is destroyed).
    ExpiryIntent,
    /// An epoch's keys and data are gone: the deletion certificate.
    DeletionCertificate,
    /// The policy was replaced.
    PolicyChange,
    /// The master key was rotated.
    KeyRotation,
    /// A reviewer asked which entries concern a plate.
    ReviewerCheck,
    /// A month's audit payloads (free text) were crypto-shredded at the end of their
    /// retention: their key destroyed, their records deleted (`note` names the month).
    PayloadShred,
    /// A request to list a case's hotlist alerts: its decision, written before any alert's
    /// details are opened.
    Alerts,
    /// The outcome of an allowed alerts request: how many alerts it returned.
    AlertsResult,
    /// A request to release a hold: its decision, written before anything is destroyed.
    HoldReleaseRequest,
    /// A request to remove a hotlist entry: its decision, written before anything is
    /// destroyed.
    HotlistRemoveRequest,
    /// A store made before the header was sealed had its header bound to the log at its
    /// first read-write open: `clock`, `epoch_width` and `header` as `store_created` records
    /// them in newer stores.
    HeaderBound,
    /// A reviewer asked to read the justifications of a period (`from`, `to`; `results`
    /// is how many were shown). Written, durably, before any of them is opened.
    JustificationReview,
}

impl EntryKind {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::StoreCreated => "store_created",
            EntryKind::Search => "search",
            EntryKind::SearchResult => "search_result",
            EntryKind::HoldAdd => "hold_add",
            EntryKind::HoldPlaced => "hold_placed",
            EntryKind::HoldRelease => "hold_release",
            EntryKind::HoldExpired => "hold_expired",
            EntryKind::HotlistAdd => "hotlist_add",
            EntryKind::HotlistRemove => "hotlist_remove",
            EntryKind::HotlistExpired => "hotlist_expired",
            EntryKind::HotlistAlert => "hotlist_alert",
            EntryKind::ExpiryIntent => "expiry_intent",
            EntryKind::DeletionCertificate => "deletion_certificate",
            EntryKind::PolicyChange => "policy_change",
            EntryKind::KeyRotation => "key_rotation",
            EntryKind::ReviewerCheck => "reviewer_check",
            EntryKind::PayloadShred => "payload_shred",
            EntryKind::Alerts => "alerts",
            EntryKind::AlertsResult => "alerts_result",
            EntryKind::HoldReleaseRequest => "hold_release_request",
            EntryKind::HotlistRemoveRequest => "hotlist_remove_request",
            EntryKind::HeaderBound => "header_bound",
            EntryKind::JustificationReview => "justification_review",
        }
    }

    /// True for the kinds that are a request's decision (and count toward a rate limit).
    pub fn is_request(self) -> bool {
        matches!(
            self,
            EntryKind::Search
                | EntryKind::HoldAdd
                | EntryKind::HotlistAdd
                | EntryKind::ReviewerCheck
                | EntryKind::Alerts
                | EntryKind::HoldReleaseRequest
                | EntryKind::HotlistRemoveRequest
                | EntryKind::JustificationReview
        )
    }

    /// True for a reviewer's requests (`audit searched`, `audit justifications`): they
    /// count in the reviewer's own rate bucket, which no search can fill.
    pub fn is_review(self) -> bool {
        matches!(
            self,
            EntryKind::ReviewerCheck | EntryKind::JustificationReview
        )
    }
}

/// Allowed or denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The request passed the policy.
    Allowed,
    /// The request was refused.
    Denied,
}

impl Verdict {
    /// `allowed` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
        }
    }
}

/// Length of the byte windows whose digests a destruction records.
pub const DIGEST_WINDOW: usize = 32;

/// Digests an expiry records before it destroys an epoch, so that a verifier can look for
/// what nobody holds any more (see `verify-deletion`). Each item covers one window of
/// `window` bytes: its first four bytes (`anchor`, a fast filter for a scanner; four bytes of
/// ciphertext under a destroyed key reveal nothing) and the BLAKE3 digest of the whole window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionDigests {
    /// Length of each window in bytes.
    pub window: u32,
    /// One item per window.
    pub items: Vec<WindowDigest>,
}

/// The digest of one byte window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowDigest {
    /// Hex of the window's first four bytes.
    pub anchor: String,
    /// Hex of BLAKE3(window).
    pub blake3: String,
}

impl DeletionDigests {
    /// Digests of windows of `window` bytes (shorter windows are skipped).
    pub fn from_windows(window: usize, windows: &[Vec<u8>]) -> Self {
        let items = windows
            .iter()
            .filter(|w| w.len() == window && window >= 4)
            .map(|w| WindowDigest {
                anchor: hex::encode(&w[..4]),
                blake3: blake3::hash(w).to_hex().to_string(),
            })
            .collect();
        DeletionDigests {
            window: window as u32,
            items,
        }
    }
}

/// One audit entry. Which optional fields are present depends on `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Encoding version ([`ENTRY_VERSION`]).
    pub v: u8,
    /// Sequence number: the entry's 0-based leaf index in the Merkle tree.
    pub seq: u64,
    /// The store's clock when the entry was made.
    pub time: Timestamp,
    /// What the entry records.
    pub kind: EntryKind,
    /// Who asked (requester id as the application authenticated it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// The requester's agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// Case number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// Offense code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offense: Option<String>,
    /// Purpose, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Keyed fingerprint (hex) of the (region, plate) searched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Start of the window asked for (or granted, on a result entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// End of the window asked for (or granted, on a result entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Warrant number, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warrant: Option<String>,
    /// A hold's end or a hotlist entry's expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// Allowed or denied (request entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Verdict>,
    /// The stable reason code (`allowed`, `no_mou`, `purpose_prohibited`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// BLAKE3 (hex) of the sealed justification payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The decision entry this entry completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_of: Option<u64>,
    /// Number of reads returned, held, removed or matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<u64>,
    /// Reads withheld for want of a warrant started before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld_before: Option<Timestamp>,
    /// An epoch's name (expiry entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// Digests for the deletion verifier (deletion certificates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<DeletionDigests>,
    /// A hotlist entry's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
    /// Hash (hex) of the previous policy (policy changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_old: Option<String>,
    /// Hash (hex) of the policy now in force (creation, policy changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_new: Option<String>,
    /// Version of the policy now in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<u32>,
    /// Master-key generation now in force (rotations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u32>,
    /// On a search decision that may reach legal holds: the start of the window applied to
    /// held copies (they end at `to` too; they are not clamped to retention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_from: Option<Timestamp>,
    /// On a `search_result` or `alerts_result`: how many of `results` came from legal holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<u64>,
    /// The store's clock mode, `system` or `simulated` (`store_created`, `header_bound`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// The store's epoch width, fixed at creation (`store_created`, `header_bound`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_width: Option<Span>,
    /// The digest (hex) of the header's behaviour fields
    /// (`Header::binding_digest`; `store_created`, `header_bound`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The full canonical TOML text of the policy now in force (creation, policy changes),
    /// whose BLAKE3 is `policy_new`. A policy is the agency's public rules, so it is kept in
    /// clear: a reviewer reads every version from the log itself, and a purpose removed for
    /// one search and restored after shows as a version without it. Absent in entries written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_text: Option<String>,
    /// Free words for anything else worth recording (never plate text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An entry's bytes could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("audit entry {seq} is malformed: {reason}")]
pub struct EntryDecodeError {
    /// The entry's position.
    pub seq: u64,
    /// What is wrong.
    pub reason: String,
}

impl Entry {
    /// A blank entry of a kind; the log fills in `seq` and `time`.
    pub fn new(kind: EntryKind) -> Self {
        Entry {
            v: ENTRY_VERSION,
            seq: 0,
            time: Timestamp::from_micros(0),
            kind,
            requester: None,
            agency: None,
            case: None,
            offense: None,
            purpose: None,
            fingerprint: None,
            from: None,
            to: None,
            warrant: None,
            until: None,
            decision: None,
            reason: None,
            payload: None,
            result_of: None,
            results: None,
            withheld_before: None,
            epoch: None,
            deletion: None,
            entry_id: None,
            policy_old: None,
            policy_new: None,
            policy_version: None,
            generation: None,
            held_from: None,
            held: None,
            clock: None,
            epoch_width: None,
            header: None,
            policy_text: None,
            note: None,
        }
    }

    /// The canonical bytes (compact JSON, fixed field order).
    pub fn encode(&self) -> Vec<u8> {
        // Serialising a struct of strings, numbers and timestamps cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes canonical bytes strictly, and checks they are canonical (re-encoding gives
    /// the same bytes), so that one entry has exactly one encoding.
    pub fn decode(seq: u64, bytes: &[u8]) -> Result<Entry, EntryDecodeError> {
        let err = |reason: String| EntryDecodeError { seq, reason };
        let entry: Entry = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
        if entry.v != ENTRY_VERSION {
            return Err(err(format!("unknown version {}", entry.v)));
        }
        if entry.encode() != bytes {
            return Err(err("not in canonical form".into()));
        }
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_canonically() {
        let mut e = Entry::new(EntryKind::Search);
        e.seq = 7;
        e.time = Timestamp::from_unix_secs(1_795_000_000);
        e.requester = Some("DET-1".into());
        e.decision = Some(Verdict::Denied);
        e.reason = Some("purpose_prohibited".into());
        let bytes = e.encode();
        let text = std::str::from_utf8(&bytes).expect("utf8");
        assert!(
            text.starts_with("{\"v\":1,\"seq\":7,\"time\":\"2026-11-18T"),
            "{text}"
        );
        assert!(!text.contains("null"), "absent fields are omitted: {text}");
        assert_eq!(Entry::decode(7, &bytes).expect("decode"), e);
    }

    #[test]
    fn non_canonical_or_unknown_bytes_are_refused() {
        let mut e = Entry::new(EntryKind::StoreCreated);
        e.time = Timestamp::from_unix_secs(1_795_000_000);
        let text = String::from_utf8(e.encode()).expect("utf8");
        let spaced = text.replace(",", ", ");
        assert!(Entry::decode(0, spaced.as_bytes()).is_err());
        let extra = text.replace("{\"v\":1", "{\"v\":1,\"plate\":\"X\"");
        assert!(Entry::decode(0, extra.as_bytes()).is_err());
        assert!(Entry::decode(0, b"\xff").is_err());
    }
}
