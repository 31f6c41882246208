//! Master-key rotation: re-wrap every live key under a new master key, in two phases.
//!
//! Crypto-shredding an epoch deletes its wrapped key from the store's files, but a copy may
//! survive where no verifier looks: a freed disk block, a remapped flash page, a backup.
//! Rotation makes every such copy useless: once the old master key is destroyed, nothing
//! wrapped under it can be opened. It runs in phases so that a crash at any point leaves a
//! store that one of the two keys opens:
//!
//! 1. **Prepare** (one synced batch): every wrapped key `<label>` is re-wrapped under the new
//!    key as `next/<label>`; `meta: rotation = {from, to}` records the rotation.
//! 2. **Header**: the header lists both keys' key-check values. Both keys now open the store:
//!    the old one rolls the rotation back, the new one rolls it forward.
//! 3. **Commit** (one synced batch): every `next/<label>` replaces `<label>`; the key
//!    generation moves on; a marker asks for the audit entry.
//! 4. **Header**: only the new key remains; the old one is listed as retired (so it is
//!    refused with a clear message).
//! 5. **Purge**: flush and compact the keys column family, so the old wrappings leave its
//!    files; then the `key_rotation` audit entry is appended and the marker cleared.

use serde::{Deserialize, Serialize};

use crate::audit::entry::{Entry, EntryKind};
use crate::audit::log::Pending;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::keys::MasterKey;
use crate::store::header::{Header, KeyCheck};
use crate::store::layout::{CF_KEYS, CF_META};
use crate::store::{Durability, Store};

const META_GENERATION: &[u8] = b"key_generation";
const META_ROTATION: &[u8] = b"rotation";
const META_AUDIT_PENDING: &[u8] = b"rotation_audit_pending";
const NEXT: &str = "next/";

/// Named points where tests inject a crash.
pub(crate) mod points {
    pub const AFTER_PREPARE: &str = "rotation:after-prepare";
    pub const AFTER_HEADER_BOTH: &str = "rotation:after-header-both";
    pub const AFTER_COMMIT: &str = "rotation:after-commit";
    pub const AFTER_HEADER_NEW: &str = "rotation:after-header-new";
}

/// What a rotation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationReport {
    /// The key generation now in force.
    pub generation: u32,
    /// Wrapped keys re-wrapped.
    pub keys_rewrapped: u64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pending_ {
    from: u32,
    to: u32,
}

fn generation(store: &Store) -> Result<u32> {
    match store.get(CF_META, META_GENERATION)? {
        None => Ok(1),
        Some(b) => Ok(u32::from_be_bytes(b.as_slice().try_into().map_err(
            |_| Error::Damaged("the key generation is not 4 bytes".into()),
        )?)),
    }
}

fn pending(store: &Store) -> Result<Option<Pending_>> {
    match store.get(CF_META, META_ROTATION)? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| Error::Damaged(format!("the rotation record: {e}"))),
    }
}

/// Every wrapped key record `(label, value)`, excluding prepared copies.
fn wrapped_keys(store: &Store, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
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

/// Rotates the store to `new_master`. Other writers of keys wait for it.
pub(crate) fn rotate(core: &Core, new_master: &MasterKey) -> Result<RotationReport> {
    let _writers = core
        .key_writes
        .write()
        .map_err(|_| Error::Internal("key lock poisoned".into()))?;
    let store = &core.store;
    let mut header = Header::read(&core.dir)?;
    let from = generation(store)?;
    let to = from + 1;
    let new_kcv = hex::encode(new_master.key_check(&core.store_id));
    if header.key_checks.iter().any(|c| c.kcv == new_kcv)
        || header.retired_key_checks.iter().any(|c| c.kcv == new_kcv)
    {
        return Err(Error::InvalidArgument(
            "the new master key is the current key or a retired one: make a fresh one with `platevault keygen`".into(),
        ));
    }
    let old_kek = core.kek();
    let new_kek = new_master.key_encryption_key(core.store_id);

    // 1. Prepare.
    let keys = wrapped_keys(store, "")?;
    let mut batch = store.batch();
    for (label, wrapped) in &keys {
        let plain = old_kek.unwrap_raw(label, wrapped)?;
        let rewrapped = new_kek.wrap_raw(label, &plain)?;
        batch.put(CF_KEYS, format!("{NEXT}{label}").as_bytes(), &rewrapped)?;
    }
    let record =
        serde_json::to_vec(&Pending_ { from, to }).map_err(|e| Error::Internal(e.to_string()))?;
    batch.put(CF_META, META_ROTATION, &record)?;
    store.write(batch, Durability::Sync)?;
    core.fault(points::AFTER_PREPARE)?;

    // 2. Both keys open the store.
    header.key_checks.retain(|c| c.generation == from);
    header.key_checks.push(KeyCheck {
        generation: to,
        kcv: new_kcv,
    });
    header.write(&core.dir)?;
    core.fault(points::AFTER_HEADER_BOTH)?;

    // 3. Commit; from here on only the new key unwraps.
    commit(store, to)?;
    core.set_kek(new_kek);
    core.fault(points::AFTER_COMMIT)?;
    // 4. The header keeps the new key only.
    retire_old(&core.dir, to)?;
    core.fault(points::AFTER_HEADER_NEW)?;
    // 5. Purge the old wrappings from the files, then audit.
    store.flush_all()?;
    store.compact_fully(CF_KEYS)?;
    let n = wrapped_keys(store, "")?.len() as u64;
    append_audit(core)?;
    Ok(RotationReport {
        generation: to,
        keys_rewrapped: n,
    })
}

/// Step 3: the prepared copies replace the old wrappings, atomically.
fn commit(store: &Store, to: u32) -> Result<()> {
    let prepared = wrapped_keys(store, NEXT)?;
    let mut batch = store.batch();
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
fn retire_old(dir: &std::path::Path, to: u32) -> Result<()> {
    let mut header = Header::read(dir)?;
    let (keep, old): (Vec<KeyCheck>, Vec<KeyCheck>) = header
        .key_checks
        .into_iter()
        .partition(|c| c.generation == to);
    header.key_checks = keep;
    header.retired_key_checks.extend(old);
    header.write(dir)
}

/// Appends the `key_rotation` entry a commit asked for, if any.
pub(crate) fn append_audit(core: &Core) -> Result<()> {
    let Some(b) = core.store.get(CF_META, META_AUDIT_PENDING)? else {
        return Ok(());
    };
    let generation = u32::from_be_bytes(
        b.as_slice()
            .try_into()
            .map_err(|_| Error::Damaged("the rotation marker is not 4 bytes".into()))?,
    );
    let mut entry = Entry::new(EntryKind::KeyRotation);
    entry.generation = Some(generation);
    core.audit()?.append_with(
        &core.store,
        core.clock.now(),
        vec![Pending::plain(entry)],
        |batch, _| batch.delete(CF_META, META_AUDIT_PENDING),
    )?;
    Ok(())
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
            if header.key_checks.len() > 1 {
                // Committed, but the header still lists the old key (crash before step 4).
                retire_old(dir, committed)?;
            }
        }
    }
    Header::read(dir)
}
