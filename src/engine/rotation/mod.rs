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

pub(crate) mod state;

use crate::crypto::keys::MasterKey;
use crate::engine::rotation::state::{
    META_ROTATION, NEXT, commit, generation, retire_old, wrapped_keys,
};
use crate::engine::state::Core;
use crate::error::{Error, Result};
use crate::store::Durability;
use crate::store::header::Header;
use crate::store::layout::{CF_KEYS, CF_META};

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

/// Rotates the store to `new_master`. Other writers of keys wait for it.
pub(crate) fn rotate(core: &Core, new_master: &MasterKey) -> Result<RotationReport> {
    let _writers = core
        .key_writes
        .write()
        .map_err(|_| Error::Poisoned { lock: "key_writes" })?;
    let store = &core.store;
    let mut header = Header::read(&core.dir)?;
    // The new key's MAC will seal whatever the header says now: it must still say what the
    // open verified, or an edit made since would be laundered into a valid seal.
    if !header.same_behaviour(&core.header) {
        return Err(Error::Damaged(
            "the header (platevault.json) was changed while the store was open; the rotation was not started".into(),
        ));
    }
    let from = generation(store)?;
    let to = from + 1;
    let new_check = crate::engine::state::seal_key_check(&header, new_master, to)?;
    let new_kcv = new_check.kcv.clone();
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
    let record = serde_json::to_vec(&state::Pending { from, to })
        .map_err(|e| Error::Internal(e.to_string()))?;
    batch.put(CF_META, META_ROTATION, &record)?;
    store.write(batch, Durability::Sync)?;
    core.fault(points::AFTER_PREPARE)?;

    // 2. Both keys open the store.
    header.key_checks.retain(|c| c.generation == from);
    header.key_checks.push(new_check);
    header.write(&core.dir)?;
    core.fault(points::AFTER_HEADER_BOTH)?;

    // 3. Commit; from here on only the new key unwraps. The new key-encryption key is put
    // in force first, the old one kept beside it, so an unwrap racing the commit succeeds
    // on either side of it.
    core.set_kek(new_kek);
    if let Err(e) = commit(store, to) {
        core.set_kek(old_kek);
        core.forget_previous_kek();
        return Err(e);
    }
    core.fault(points::AFTER_COMMIT)?;
    // 4. The header keeps the new key only.
    retire_old(&core.dir, to)?;
    core.fault(points::AFTER_HEADER_NEW)?;
    // 5. Purge the old wrappings from the files, then audit.
    store.flush_all()?;
    store.compact_fully(CF_KEYS)?;
    let n = wrapped_keys(store, "")?.len() as u64;
    core.forget_previous_kek();
    core.record_rotation_if_pending()?;
    Ok(RotationReport {
        generation: to,
        keys_rewrapped: n,
    })
}
