//! The key store's rotation state: which master-key generation wraps the live keys, and the
//! prepared copies of an unfinished rotation.
//!
//! Wrapped keys live in the `keys` column family under their labels; during a rotation the
//! copies wrapped under the new master key wait as `next/<label>`, and `meta: rotation`
//! records `{from, to}`. This module holds the steps that need only the database and the
//! header (commit, retire, roll back, recover at open); [`crate::engine::rotation`] drives a rotation
//! of an open store with them.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::header::{Header, KeyCheck};
use crate::store::layout::{CF_KEYS, CF_META};
use crate::store::{Durability, Store};

pub(crate) const META_GENERATION: &[u8] = b"key_generation";
pub(crate) const META_ROTATION: &[u8] = b"rotation";
pub(crate) const META_AUDIT_PENDING: &[u8] = b"rotation_audit_pending";
/// Digests (JSON `DeletionDigests`) of a sample of the wrappings a committed rotation
/// replaced, for its `key_rotation` entry (written with the commit, cleared with the entry).
pub(crate) const META_ROTATION_DIGESTS: &[u8] = b"rotation_digests";
pub(crate) const NEXT: &str = "next/";

/// An unfinished rotation, from one generation to the next.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pending {
    pub from: u32,
    pub to: u32,
}

/// The master-key generation that wraps the live keys (1 until the first rotation).
pub(crate) fn generation(store: &Store) -> Result<u32> {
    match store.get(CF_META, META_GENERATION)? {
        None => Ok(1),
        Some(b) => Ok(u32::from_be_bytes(b.as_slice().try_into().map_err(
            |_| Error::Damaged("the key generation is not 4 bytes".into()),
        )?)),
    }
}

/// The unfinished rotation, if any.
pub(crate) fn pending(store: &Store) -> Result<Option<Pending>> {
    match store.get(CF_META, META_ROTATION)? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| Error::Damaged(format!("the rotation record: {e}"))),
    }
}

/// Every wrapped key record `(label, value)` under `prefix` (all but prepared copies for "").
pub(crate) fn wrapped_keys(store: &Store, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    store.scan_prefix(CF_KEYS, prefix.as_bytes(), |k, v| {
        let label = std::str::from_utf8(k)
            .map_err(|_| Error::Damaged("a key label is not UTF-8".into()))?;
        if prefix.is_empty() && label.starts_with(NEXT) {
            return Ok(true);
        }
        out.push((label.to_string(), v.to_vec()));
        Ok(true)
    })?;
    Ok(out)
}

/// Step 3: the prepared copies replace the old wrappings, atomically.
pub(crate) fn commit(store: &Store, to: u32) -> Result<()> {
    let prepared = wrapped_keys(store, NEXT)?;
    // The wrappings about to be replaced, sampled for the deletion verifier: once the purge
    // is done, none may remain in any file.
    let renewed: std::collections::HashSet<&str> =
        prepared.iter().map(|(n, _)| &n[NEXT.len()..]).collect();
    let replaced: Vec<(String, Vec<u8>)> = wrapped_keys(store, "")?
        .into_iter()
        .filter(|(label, _)| renewed.contains(label.as_str()))
        .collect();
    let digests = serde_json::to_vec(&crate::engine::digests::rotation(&replaced)?)
        .map_err(|e| Error::Internal(format!("cannot encode rotation digests: {e}")))?;
    let mut batch = store.batch();
    batch.put(CF_META, META_ROTATION_DIGESTS, &digests)?;
    for (next_label, value) in &prepared {
        let label = &next_label[NEXT.len()..];
        batch.put(CF_KEYS, label.as_bytes(), value)?;
        batch.delete(CF_KEYS, next_label.as_bytes())?;
    }
    batch.put(CF_META, META_GENERATION, &to.to_be_bytes())?;
    batch.delete(CF_META, META_ROTATION)?;
    batch.put(CF_META, META_AUDIT_PENDING, &to.to_be_bytes())?;
    store.write(batch, Durability::Sync)
}

/// Step 4: the header keeps only generation `to`; older keys are listed as retired.
pub(crate) fn retire_old(dir: &std::path::Path, to: u32) -> Result<()> {
    let mut header = Header::read(dir)?;
    let (keep, old): (Vec<KeyCheck>, Vec<KeyCheck>) = header
        .key_checks
        .into_iter()
        .partition(|c| c.generation == to);
    header.key_checks = keep;
    header.retired_key_checks.extend(old);
    header.write(dir)
}

/// At open, before any key is unwrapped: completes or undoes an interrupted rotation, given
/// the generation of the master key that opened the store. Returns the header to use.
pub(crate) fn recover(dir: &std::path::Path, store: &Store, key_generation: u32) -> Result<Header> {
    let committed = generation(store)?;
    match pending(store)? {
        Some(p) if key_generation == p.from => {
            // The old key opens an unfinished rotation: undo it (header first).
            let mut header = Header::read(dir)?;
            header.key_checks.retain(|c| c.generation == p.from);
            header.write(dir)?;
            let prepared = wrapped_keys(store, NEXT)?;
            let mut batch = store.batch();
            for (label, _) in &prepared {
                batch.delete(CF_KEYS, label.as_bytes())?;
            }
            batch.delete(CF_META, META_ROTATION)?;
            store.write(batch, Durability::Sync)?;
            store.flush_all()?;
            store.compact_fully(CF_KEYS)?;
        }
        Some(p) if key_generation == p.to => {
            // The new key opens a prepared rotation: finish it.
            commit(store, p.to)?;
            retire_old(dir, p.to)?;
            store.flush_all()?;
            store.compact_fully(CF_KEYS)?;
        }
        Some(_) => {
            return Err(Error::Damaged(
                "an unfinished key rotation names neither this key's generation".into(),
            ));
        }
        None if key_generation < committed => return Err(Error::KeyRotatedOut),
        None if key_generation > committed => {
            return Err(Error::Damaged(
                "the header names a key generation the key store never committed".into(),
            ));
        }
        None => {
            let header = Header::read(dir)?;
            let purge_pending = store.get(CF_META, META_AUDIT_PENDING)?.is_some();
            if header.key_checks.len() > 1 {
                // Committed, but the header still lists the old key (crash before step 4).
                retire_old(dir, committed)?;
            }
            if header.key_checks.len() > 1 || purge_pending {
                // Step 5 never ran: purge the old wrappings from the files. (The audit entry
                // that ends it is appended once the store is open.)
                store.flush_all()?;
                store.compact_fully(CF_KEYS)?;
            }
        }
    }
    Header::read(dir)
}
