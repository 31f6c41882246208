//! What a verifier will look for once something is destroyed.
//!
//! Every destruction the store certifies records, in its audit entry (`deletion`), the
//! digests of 32-byte windows of what it destroys, taken just before: the wrapped keys that
//! are shredded and a sample of the sealed values (and of their keys) that are deleted.
//! `verify-deletion` then slides a window over every byte of every file and reports any match
//! ([`crate::verify::deletion`]). The kinds:
//!
//! | destruction | entry | windows of |
//! | --- | --- | --- |
//! | an epoch's expiry | `deletion_certificate` | its wrapped key pair; sampled records (value, key) and images |
//! | a hold released or expired | `hold_release`, `hold_expired` | the case's wrapped key pair; sampled held reads (value, key) |
//! | a hotlist entry removed or expired | `hotlist_remove`, `hotlist_expired` | its sealed entry |
//! | a month of audit payloads shredded | `payload_shred` | the month's wrapped key; sampled payload records |
//! | a master-key rotation | `key_rotation` | a sample of the old wrappings it replaced |
//!
//! **Sampling.** Reading every value would make a destruction O(size); reading the first few
//! in key order would leave the rest of the key range unwatched (a stale copy of the later
//! records would pass). So samples are spread over the whole key range: the first and the last
//! key, and one key at a random point in each of the equal strata between (fresh randomness
//! per destruction, so which values are watched cannot be predicted). Cost: one seek per
//! sample, O(1) in the number of values.

use crate::audit::entry::{DIGEST_WINDOW, DeletionDigests};
use crate::error::Result;
use crate::store::Store;

/// Windows of a sealed value's ciphertext: up to two after its format byte and nonce; for a
/// value too short for those, its last [`DIGEST_WINDOW`] bytes (nonce, ciphertext and tag:
/// unique to this value).
pub(crate) fn windows_of(sealed: &[u8]) -> Vec<Vec<u8>> {
    let start = 1 + crate::crypto::seal::NONCE_LEN;
    let mut out = Vec::new();
    for i in 0..2 {
        let a = start + i * DIGEST_WINDOW;
        if let Some(w) = sealed.get(a..a + DIGEST_WINDOW) {
            out.push(w.to_vec());
        }
    }
    if out.is_empty() && sealed.len() >= DIGEST_WINDOW {
        out.push(sealed[sealed.len() - DIGEST_WINDOW..].to_vec());
    }
    out
}

/// Windows of a sampled key-value: its value's windows and, for keys longer than a window
/// (random ids and keyed tags), the key's last window.
fn record_windows(key: &[u8], value: &[u8], out: &mut Vec<Vec<u8>>) {
    out.extend(windows_of(value));
    if key.len() > DIGEST_WINDOW {
        out.push(key[key.len() - DIGEST_WINDOW..].to_vec());
    }
}

/// Where the sample points of a key range lie.
enum Points<'a> {
    /// Keys are `prefix` followed by uniformly random bytes (tags, random ids).
    Uniform(&'a [u8]),
    /// Keys are `prefix` followed by a big-endian u64 in `[first, last)` (sequence numbers).
    Numbered(&'a [u8], u64, u64),
}

/// Up to `n` key-values of `[from, to)` in `cf`, spread over the whole range: the first, the
/// last, and the first key at or after a random point of each of `n - 2` equal strata.
fn sample(
    store: &Store,
    cf: &str,
    from: &[u8],
    to: &[u8],
    points: Points<'_>,
    n: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut push = |kv: Option<(Vec<u8>, Vec<u8>)>| {
        if let Some(kv) = kv
            && !out.iter().any(|(k, _)| *k == kv.0)
        {
            out.push(kv);
        }
    };
    if n == 0 {
        return Ok(Vec::new());
    }
    push(store.first_in_range(cf, from, to)?);
    if n >= 2 {
        push(store.last_in_range(cf, from, to)?);
    }
    let strata = n.saturating_sub(2) as u64;
    for i in 0..strata {
        let mut r = [0u8; 16];
        crate::crypto::seal::os_random(&mut r)?;
        let random = u64::from_be_bytes(r[..8].try_into().unwrap_or_default());
        let point = match points {
            Points::Uniform(prefix) => {
                let width = u64::MAX / strata;
                let at = (i * width).saturating_add(random % width.max(1));
                [prefix, &at.to_be_bytes(), &r[8..]].concat()
            }
            Points::Numbered(prefix, first, last) => {
                let span = last.saturating_sub(first);
                if span == 0 {
                    break;
                }
                let width = span.div_ceil(strata).max(1);
                let at = first + (i * width + random % width).min(span - 1);
                [prefix, &at.to_be_bytes()].concat()
            }
        };
        let from_point = if point.as_slice() > from {
            point
        } else {
            from.to_vec()
        };
        push(store.first_in_range(cf, &from_point, to)?);
    }
    Ok(out)
}

/// How many sealed records of an epoch a certificate samples.
pub const SAMPLED_RECORDS: usize = 8;
/// How many images of an epoch a certificate samples.
pub const SAMPLED_IMAGES: usize = 4;
/// How many held reads a hold's release samples.
pub const SAMPLED_HELD: usize = 8;
/// How many payload records a month's shredding samples.
pub const SAMPLED_PAYLOADS: usize = 8;
/// How many old wrappings a rotation samples.
pub const SAMPLED_WRAPPINGS: usize = 32;

/// An epoch's digests: its wrapped key pair, sampled records (value and key) and images.
pub(crate) fn epoch(store: &Store, cf: &str, key_label: &str) -> Result<DeletionDigests> {
    let mut windows: Vec<Vec<u8>> = Vec::new();
    if let Some(wrapped) = store.get(crate::store::layout::CF_KEYS, key_label.as_bytes())? {
        windows.extend(windows_of(&wrapped));
    }
    if store.has_cf(cf) {
        // Records and images each on their own: image keys sort first and must not crowd
        // the records out.
        for (prefix, upper, wanted) in [(b"R", b"S", SAMPLED_RECORDS), (b"I", b"J", SAMPLED_IMAGES)]
        {
            for (k, v) in sample(store, cf, prefix, upper, Points::Uniform(prefix), wanted)? {
                record_windows(&k, &v, &mut windows);
            }
        }
    }
    Ok(DeletionDigests::from_windows(DIGEST_WINDOW, &windows))
}

/// A hold's digests (before its release): the case's wrapped key pair (`key_label` in the
/// keys family) and sampled held reads (keys starting with `reads_prefix` in the holds
/// family).
pub(crate) fn hold(store: &Store, key_label: &str, reads_prefix: &[u8]) -> Result<DeletionDigests> {
    use crate::store::layout::{CF_HOLDS, CF_KEYS};
    let mut windows: Vec<Vec<u8>> = Vec::new();
    if let Some(wrapped) = store.get(CF_KEYS, key_label.as_bytes())? {
        windows.extend(windows_of(&wrapped));
    }
    let upper = crate::store::prefix_successor(reads_prefix).unwrap_or_else(|| vec![0xff; 18]);
    for (k, v) in sample(
        store,
        CF_HOLDS,
        reads_prefix,
        &upper,
        Points::Uniform(reads_prefix),
        SAMPLED_HELD,
    )? {
        record_windows(&k, &v, &mut windows);
    }
    Ok(DeletionDigests::from_windows(DIGEST_WINDOW, &windows))
}

/// A hotlist entry's digests (before its removal): windows of its sealed entry (which holds
/// the plate under the long-lived hotlist key, so a stale copy would still open).
pub(crate) fn hotlist_entry(store: &Store, key: &[u8]) -> Result<DeletionDigests> {
    let mut windows = Vec::new();
    if let Some(sealed) = store.get(crate::store::layout::CF_HOTLIST, key)? {
        windows.extend(windows_of(&sealed));
    }
    Ok(DeletionDigests::from_windows(DIGEST_WINDOW, &windows))
}

/// A month's payload digests (before its shredding): its wrapped key and sampled payload
/// records of the entries `[first, last)`.
pub(crate) fn payload_month(
    store: &Store,
    key_label: &str,
    first: u64,
    last: u64,
) -> Result<DeletionDigests> {
    use crate::audit::log::payload_key;
    use crate::store::layout::{CF_AUDIT, CF_KEYS};
    let mut windows: Vec<Vec<u8>> = Vec::new();
    if let Some(wrapped) = store.get(CF_KEYS, key_label.as_bytes())? {
        windows.extend(windows_of(&wrapped));
    }
    let (from, to) = (payload_key(first), payload_key(last));
    for (_, v) in sample(
        store,
        CF_AUDIT,
        &from,
        &to,
        Points::Numbered(&from[..1], first, last),
        SAMPLED_PAYLOADS,
    )? {
        windows.extend(windows_of(&v));
    }
    Ok(DeletionDigests::from_windows(DIGEST_WINDOW, &windows))
}

/// A rotation's digests: a sample of the old wrappings `(label, wrapped)` it replaces,
/// spread over the labels (a random offset, then evenly spaced).
pub(crate) fn rotation(old: &[(String, Vec<u8>)]) -> Result<DeletionDigests> {
    let mut windows = Vec::new();
    if !old.is_empty() {
        let step = old.len().div_ceil(SAMPLED_WRAPPINGS).max(1);
        let mut r = [0u8; 8];
        crate::crypto::seal::os_random(&mut r)?;
        let offset = (u64::from_be_bytes(r) % step as u64) as usize;
        for (_, wrapped) in old.iter().skip(offset).step_by(step) {
            windows.extend(windows_of(wrapped));
        }
    }
    Ok(DeletionDigests::from_windows(DIGEST_WINDOW, &windows))
}
