//! Helpers shared by the reliability tests (`crash_harness`, `soak`, `disk_full`): a seeded
//! random number generator (so that a failure is reproducible from its seed), simulated
//! time, reads and case requests, read-only views of a store's audit log and raw column
//! families, and the process's resident memory.
//!
//! Nothing here is a mock: every helper works on a real store on disk.
#![allow(dead_code)]

use std::path::Path;

use platevault::audit::entry::{Entry, EntryKind};
use platevault::verify::Review;
use platevault::{Policy, SearchOutcome, SearchRequest, Vault};

// The helpers every integration test shares (a case number, times, reads, requests).
#[path = "../support/mod.rs"]
mod support;
pub use support::{CASE, read, request, t};

/// SplitMix64: small, fast and the same on every machine. Not for secrets.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose whole sequence follows from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x6A09_E667_F3BC_C909)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, n)` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A number in `[lo, hi]`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A synthetic image of `len` bytes that begins like a JPEG (above 2 KiB it goes to a blob
/// file).
pub fn image(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 8);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    while out.len() < len {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn search(
    v: &Vault,
    plate: &str,
    case: &str,
    requester: &str,
) -> Result<SearchOutcome, String> {
    let out = v
        .search(&SearchRequest {
            case: request(plate, case, requester),
            with_images: false,
        })
        .map_err(|e| format!("search for {plate} failed: {e}"))?;
    if !out.is_allowed() {
        return Err(format!("search for {plate} was denied: {:?}", out.decision));
    }
    Ok(out)
}

/// A policy on the default one with another retention, epoch width and search window
/// (spans as the policy writes them: `2d`, `6h`).
pub fn policy(retention: &str, epoch: &str, max_window: &str) -> Policy {
    Policy::from_toml(&format!(
        "agency = \"CITY-PD\"\nretention = \"{retention}\"\nepoch = \"{epoch}\"\nmax_search_window = \"{max_window}\"\n"
    ))
    .expect("policy")
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

/// How many entries of `kind` the log holds.
pub fn count(entries: &[Entry], kind: EntryKind) -> usize {
    entries.iter().filter(|e| e.kind == kind).count()
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

/// Every (key, value) of some column families of a store's database, read through RocksDB
/// itself in read-only mode (no master key, no lock; it may run beside an open vault).
pub struct RawStore {
    db: rocksdb::DB,
}

impl RawStore {
    /// Opens the database of the store at `store` read-only.
    pub fn open(store: &Path) -> Result<RawStore, String> {
        let path = store.join("db");
        let opts = rocksdb::Options::default();
        let names = rocksdb::DB::list_cf(&opts, &path).map_err(|e| format!("list_cf: {e}"))?;
        let db = rocksdb::DB::open_cf_for_read_only(&opts, &path, &names, false)
            .map_err(|e| format!("raw read-only open: {e}"))?;
        Ok(RawStore { db })
    }

    /// Every (key, value) of column family `cf` whose key starts with `prefix`.
    pub fn with_prefix(&self, cf: &str, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let Some(handle) = self.db.cf_handle(cf) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mode = rocksdb::IteratorMode::From(prefix, rocksdb::Direction::Forward);
        for item in self.db.iterator_cf(handle, mode) {
            let Ok((k, v)) = item else { break };
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        out
    }

    /// The value of `key` in column family `cf`.
    pub fn get(&self, cf: &str, key: &[u8]) -> Option<Vec<u8>> {
        let handle = self.db.cf_handle(cf)?;
        self.db.get_cf(handle, key).ok().flatten()
    }

    /// True when the column family exists.
    pub fn has_cf(&self, cf: &str) -> bool {
        self.db.cf_handle(cf).is_some()
    }
}

/// The 16-byte id under which an agency's hold on a case is stored, as `src/hold.rs`
/// documents its layout: the first 16 bytes of a BLAKE3 derive-key hash of the agency
/// (trimmed, upper-cased) and the case number (trimmed), each prefixed by its length.
pub fn hold_case_id(agency: &str, case: &str) -> [u8; 16] {
    let agency = agency.trim().to_ascii_uppercase();
    let case = case.trim();
    let mut h = blake3::Hasher::new_derive_key("platevault 2026 hold id (agency, case) v2");
    h.update(&(agency.len() as u64).to_le_bytes());
    h.update(agency.as_bytes());
    h.update(&(case.len() as u64).to_le_bytes());
    h.update(case.as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    id
}

/// The process's resident set size, in KiB (`VmRSS` of `/proc/self/status`); 0 where there
/// is no procfs.
pub fn vm_rss_kib() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A number from an environment variable, or `default` when it is unset or unparseable.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}
