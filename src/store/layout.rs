//! The key layout: which column family holds what, and how its keys are spelled.
//!
//! ```text
//! column family   key                                         value
//! ─────────────   ─────────────────────────────────────────   ─────────────────────────────────
//! meta            "clock"                                     i64 BE µs: the high-water clock
//!                 "policy"                                    the policy, canonical TOML
//!                 "public_key"                                checkpoint signer's Ed25519 key
//!                 "count/" epoch-name                         u64 BE: reads in the epoch
//!                 "expiry/" epoch-name                        expiry journal (JSON, resumable)
//!                 "purge/" column-family                      deletes awaiting compaction
//!                 "header_bound"                              u64 BE: seq of a header_bound entry
//!                 "key_generation" | "rotation" |             master-key rotation state
//!                 "rotation_audit_pending"                    (see keystore)
//! keys            "epoch/" epoch-name                         wrapped (hash key, data key)
//!                 "audit/fingerprint" | "audit/signing" |     wrapped long-lived keys
//!                 "hotlist"
//!                 "audit/payload/" YYYY-MM                    wrapped key of a month's payloads
//!                 "hold/" case-id-hex                         wrapped case keys of a hold
//!                 "next/" label                               a rotation's prepared copy
//! audit           "e" seq BE8                                 entry (canonical bytes)
//!                 "n" level u8, index BE8                     Merkle node hash (32 B)
//!                 "p" seq BE8                                 sealed justification or alert
//!                 "r" len agency len requester time seq       rate-limit index (empty value)
//!                 "f" fingerprint 32B, seq BE8                reviewer-check index (empty)
//!                 "c"                                         latest signed checkpoint
//! holds           "M" case-id 16B                             hold metadata (JSON)
//!                 "H" case-id 16B, tag 16B, read-id 16B       held read, sealed under the case
//! hotlist         "E" entry-id 16B                            sealed entry (plate, case, ...)
//!                 "N" entry-id 16B                            u64 BE hit count
//! epoch-<name>    "R" plate-tag 16B, read-id 16B              sealed record (metadata)
//!                 "I" read-id 16B                             sealed image (in a blob file)
//! ```
//!
//! Keys carry no bits derived from the capture time beyond the epoch (which the column
//! family names): read ids are random and plate tags are keyed hashes. All integers in keys
//! are big-endian so that keys sort by them.

use crate::model::epoch::Epoch;

/// Name of the column family of store metadata.
pub const CF_META: &str = "meta";
/// Name of the column family of wrapped keys.
pub const CF_KEYS: &str = "keys";
/// Name of the column family of the audit log.
pub const CF_AUDIT: &str = "audit";
/// Name of the column family of legal holds' re-sealed reads.
pub const CF_HOLDS: &str = "holds";
/// Name of the column family of hotlist entries.
pub const CF_HOTLIST: &str = "hotlist";
/// Every fixed column family (besides RocksDB's `default`).
pub const FIXED_CFS: [&str; 5] = [CF_META, CF_KEYS, CF_AUDIT, CF_HOLDS, CF_HOTLIST];
/// Prefix of every epoch's column family name.
pub const EPOCH_CF_PREFIX: &str = "epoch-";

/// Length of the prefix a search seeks on: kind byte and plate tag.
pub const RECORD_PREFIX_LEN: usize = 1 + 16;

/// The column family name of an epoch.
pub fn epoch_cf(epoch: Epoch) -> String {
    format!("{EPOCH_CF_PREFIX}{}", epoch.name())
}

/// The epoch name inside an epoch column family name, if it is one.
pub fn epoch_name_of_cf(cf: &str) -> Option<&str> {
    cf.strip_prefix(EPOCH_CF_PREFIX)
}

/// Key of a read's sealed record: `R || plate tag || read id` (16 bytes each).
pub fn record_key(tag: &[u8; 16], read_id: &[u8; 16]) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[0] = b'R';
    k[1..17].copy_from_slice(tag);
    k[17..].copy_from_slice(read_id);
    k
}

/// The prefix that finds every record of one plate tag: `R || tag`.
pub fn record_prefix(tag: &[u8; 16]) -> [u8; RECORD_PREFIX_LEN] {
    let mut k = [0u8; RECORD_PREFIX_LEN];
    k[0] = b'R';
    k[1..].copy_from_slice(tag);
    k
}

/// The read id at the end of a record key, if the key is one.
pub fn read_id_of_record_key(key: &[u8]) -> Option<[u8; 16]> {
    if key.len() != 33 || key[0] != b'R' {
        return None;
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&key[17..]);
    Some(id)
}

/// Key of a read's sealed image: `I || read id`.
pub fn image_key(read_id: &[u8; 16]) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = b'I';
    k[1..].copy_from_slice(read_id);
    k
}

/// Meta key of the high-water clock.
pub const META_CLOCK: &[u8] = b"clock";
/// Meta key of the policy text.
pub const META_POLICY: &[u8] = b"policy";
/// Meta key of the checkpoint signer's Ed25519 public key (32 bytes; not secret).
pub const META_PUBLIC_KEY: &[u8] = b"public_key";
/// Prefix of the purge marks: `purge/` + a column family whose deletes still await their
/// compaction (see `Store::mark_purge`).
pub const META_PURGE_PREFIX: &[u8] = b"purge/";
/// Meta key of the sequence number (u64 BE) of the `header_bound` audit entry of a store
/// made before headers were sealed (absent in newer stores: their `store_created` entry
/// binds the header).
pub const META_HEADER_BOUND: &[u8] = b"header_bound";

/// Meta key of an epoch's read count.
pub fn meta_count_key(epoch_name: &str) -> Vec<u8> {
    [b"count/".as_slice(), epoch_name.as_bytes()].concat()
}

/// Key (in the keys column family) of a month's wrapped audit payload key
/// (`audit/payload/2026-11`).
pub fn payload_key_label(month: &str) -> String {
    format!("audit/payload/{month}")
}

/// Key (in the keys column family) of an epoch's wrapped keys.
pub fn epoch_key_label(epoch_name: &str) -> String {
    format!("epoch/{epoch_name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::epoch::{EpochWidth, Timestamp};

    #[test]
    fn record_keys_share_the_tag_prefix_and_give_back_the_read_id() {
        let tag = [3; 16];
        let id = [9; 16];
        let k = record_key(&tag, &id);
        assert!(k.starts_with(&record_prefix(&tag)));
        assert_eq!(read_id_of_record_key(&k), Some(id));
        assert_eq!(read_id_of_record_key(&image_key(&id)), None);
    }

    #[test]
    fn epoch_column_families_name_their_epoch() {
        let e = EpochWidth::DAILY.epoch_of(Timestamp::from_unix_secs(1_795_000_000));
        let cf = epoch_cf(e);
        assert_eq!(epoch_name_of_cf(&cf), Some(e.name().as_str()));
        assert_eq!(epoch_name_of_cf(CF_META), None);
    }
}
