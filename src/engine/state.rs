//! The shared state of an open store, used by every operation (ingest, lookup, expiry...).
//!
//! [`Core`] ties together the database, the header, the key-encryption key, the epoch
//! keyring, the clock and the policy. It owns two invariants:
//!
//! - **Epoch keys exist before data.** An epoch's wrapped keys are written (synced) before
//!   the first read of the epoch, and unwrapped keys are cached only once they are durable.
//! - **No handle outlives a drop.** Operations that touch an epoch's column family hold
//!   [`Core::epochs`] for reading; expiry drops a family only while holding it for writing,
//!   so RocksDB can delete its files at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::audit::log::{AuditLog, LogKeys};
use crate::crypto::keys::{
    EpochKeys, Kek, LABEL_AUDIT_FINGERPRINT, LABEL_SIGNING, MasterKey, SecretKey, ct_eq,
};
use crate::crypto::seal::SealKey;
use crate::error::{Error, Result};
use crate::model::epoch::{Clock, ClockSource, Epoch, EpochWidth, Timestamp};
use crate::model::plate::{Plate, Region};
use crate::policy::Policy;
use crate::store::header::{ClockMode, DB_DIR, Header, KeyCheck};
use crate::store::layout::{self, CF_KEYS, CF_META};
use crate::store::lock::{StoreLock, lock_store};
use crate::store::{Access, Durability, Store, StoreTuning};

/// Per-epoch read counters, kept in memory and written with each batch.
#[derive(Debug, Default)]
pub(crate) struct IngestState {
    /// Reads per epoch name, loaded lazily from the meta column family.
    pub counts: HashMap<String, u64>,
}

/// The open store.
pub(crate) struct Core {
    /// The store directory.
    pub dir: PathBuf,
    /// The database.
    pub store: Store,
    /// The header as read at open.
    pub header: Header,
    /// The store id.
    pub store_id: [u8; 16],
    /// The epoch width (fixed at creation).
    pub width: EpochWidth,
    /// The key-encryption key of the current master key (replaced by a rotation).
    kek: RwLock<Kek>,
    /// During a rotation, the key-encryption key being replaced: an unwrap that races the
    /// commit tries it too.
    previous_kek: RwLock<Option<Kek>>,
    /// Held for reading by whoever wraps and writes a key; a rotation holds it for writing.
    pub key_writes: RwLock<()>,
    /// The high-water clock.
    pub clock: Clock,
    /// How writes reach the disk.
    pub durability: Durability,
    /// The policy in force.
    policy: RwLock<Arc<Policy>>,
    /// Unwrapped epoch keys.
    keyring: RwLock<HashMap<Epoch, Arc<EpochKeys>>>,
    /// Held for reading while an epoch's column family is in use, for writing to drop one.
    pub epochs: RwLock<()>,
    /// Serialises writers of reads.
    pub ingest: Mutex<IngestState>,
    /// Serialises expiry runs (open, ingest, explicit, background task).
    pub expiry: Mutex<()>,
    /// The audit log.
    audit: AuditLog,
    /// Keys plate fingerprints in the audit log.
    fingerprint_key: SecretKey,
    /// How many epoch column families lookups have read (tests check denials read none).
    pub epoch_lookups: AtomicU64,
    /// When expiry is next due (µs; `i64::MIN` means now).
    next_expiry: AtomicI64,
    /// Test hook for crash injection.
    fault_hook: Option<FaultHook>,
    /// Unwrapped audit payload keys, by month (`YYYY-MM`).
    payload_keys: Mutex<HashMap<String, SealKey>>,
    /// The hotlist matching state.
    pub hotlist: Mutex<crate::engine::hotlist::index::HotlistIndex>,
    /// Serialises changes to the hotlist (add, renew, remove); taken before `hotlist`.
    pub hotlist_changes: Mutex<()>,
    /// Who is told of hotlist alerts (a sink returning false is removed).
    pub alert_sinks: Mutex<Vec<AlertSink>>,
    /// The process lock (read-write opens only); released on drop.
    _lock: Option<StoreLock>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("dir", &self.dir).finish()
    }
}

/// A test hook: called at named points of multi-step procedures; returning true makes the
/// procedure stop there with an error, as a crash would.
pub type FaultHook = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Receives hotlist alerts; returns false to stop receiving them.
pub type AlertSink = Box<dyn Fn(&crate::engine::hotlist::alert::Alert) -> bool + Send + Sync>;

/// How to open a store.
#[derive(Clone)]
pub(crate) struct OpenParams {
    pub tuning: StoreTuning,
    pub durability: Durability,
    pub access: Access,
    pub fault_hook: Option<FaultHook>,
    pub store_fault_hook: Option<FaultHook>,
}

impl Core {
    /// Opens the store at `dir` with `master`, refusing a wrong key before touching the DB.
    pub fn open(dir: &Path, master: &MasterKey, params: OpenParams) -> Result<Core> {
        let header = Header::read(dir)?;
        let store_id = header.store_id_bytes()?;
        let generation = check_master_key(&header, master, &store_id)?;
        // The header is plain JSON: its clock mode and epoch width count only if this key
        // sealed them. An edited header is refused here, before RocksDB is opened.
        let sealed = verify_header_mac(&header, master, generation)?;
        let lock = match params.access {
            Access::ReadWrite => Some(lock_store(dir)?),
            Access::ReadOnly => None,
        };
        let mut store = Store::open(&dir.join(DB_DIR), params.tuning, params.access)?;
        store.set_fault_hook(params.store_fault_hook.clone());
        let binding = check_binding(&store, &header, sealed)?;
        let header = match params.access {
            Access::ReadWrite => {
                let header = crate::engine::rotation::state::recover(dir, &store, generation)?;
                store.finish_pending_purges()?;
                header
            }
            Access::ReadOnly => header,
        };
        let mut core = Core::assemble(dir, header, store, master, params.durability, lock)?;
        core.set_fault_hook(params.fault_hook);
        if params.access == Access::ReadWrite {
            core.seal_header(master, generation, binding)?;
            core.record_rotation_if_pending()?;
        }
        Ok(core)
    }

    /// Completes the binding of a header made before headers were sealed: seals it with the
    /// master key that opened it (the header is written first), then appends the
    /// `header_bound` entry and its marker in one batch. A crash between the two leaves a
    /// sealed header without its entry, which the next open appends. Trust on first use: an
    /// edit made before this first sealing open cannot be told apart (docs/storage.md).
    fn seal_header(&mut self, master: &MasterKey, generation: u32, binding: Binding) -> Result<()> {
        match binding {
            Binding::Bound => return Ok(()),
            Binding::Unsealed => {
                // Sealed on trust, but only on a log that is what its signed tree head says
                // and that never bound a header (else the MAC was stripped).
                let key = self.audit.verifying_key().ok_or(Error::ReadOnly)?;
                if crate::audit::binding::scan_before_sealing(
                    &self.store,
                    self.audit.origin(),
                    &key,
                )? {
                    return Err(stripped_mac());
                }
                let mut header = self.header.clone();
                let check = seal_key_check(&header, master, generation)?;
                for c in header.key_checks.iter_mut() {
                    if c.generation == generation {
                        *c = check.clone();
                    }
                }
                header.write(&self.dir)?;
                tracing::info!("sealed the header of a store made before header MACs");
                self.header = header;
            }
            Binding::SealedWithoutEntry => {}
        }
        let entry = crate::audit::binding::bound_entry(&self.header);
        self.audit.append_with(
            &self.store,
            self.clock.now(),
            vec![crate::audit::log::Pending::plain(entry)],
            |batch, seqs| {
                let seq = seqs.first().copied().unwrap_or(0);
                batch.put(CF_META, layout::META_HEADER_BOUND, &seq.to_be_bytes())
            },
        )?;
        Ok(())
    }

    /// Builds the state around an opened database (used by open and create).
    pub fn assemble(
        dir: &Path,
        header: Header,
        store: Store,
        master: &MasterKey,
        durability: Durability,
        lock: Option<StoreLock>,
    ) -> Result<Core> {
        let store_id = header.store_id_bytes()?;
        let width = header.epoch_width()?;
        let policy_text = store
            .get(CF_META, layout::META_POLICY)?
            .ok_or_else(|| Error::Damaged("the store has no policy".into()))?;
        let policy_text = String::from_utf8(policy_text)
            .map_err(|_| Error::Damaged("the stored policy is not UTF-8".into()))?;
        let policy = Policy::from_toml(&policy_text)
            .map_err(|e| Error::Damaged(format!("the stored policy does not parse: {e}")))?;
        // The header is plain JSON; the policy sits in RocksDB, under its checksums. The epoch
        // width is fixed at init, so the two must agree, or every lookup would miss.
        if policy.epoch_width() != width {
            return Err(Error::Damaged(format!(
                "the header's epoch width ({}) differs from the stored policy's ({})",
                width,
                policy.epoch_width()
            )));
        }
        let high_water = match store.get(CF_META, layout::META_CLOCK)? {
            Some(b) => Timestamp::from_micros(i64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| Error::Damaged("the stored clock is not 8 bytes".into()))?,
            )),
            None => header.created_at,
        };
        let kek = master.key_encryption_key(store_id);
        let long_lived = |label: &str| -> Result<SecretKey> {
            let wrapped = store
                .get(CF_KEYS, label.as_bytes())?
                .ok_or_else(|| Error::Damaged(format!("the key {label} is missing")))?;
            kek.unwrap(label, &wrapped, 1)?
                .pop()
                .ok_or_else(|| Error::Damaged(format!("the key {label} is empty")))
        };
        let fingerprint_key = long_lived(LABEL_AUDIT_FINGERPRINT)?;
        let signing = long_lived(LABEL_SIGNING)?;
        let audit = AuditLog::load(
            &store,
            &store_id,
            Some(LogKeys {
                signing: ed25519_dalek::SigningKey::from_bytes(signing.expose()),
            }),
        )?;
        let source = match header.clock {
            ClockMode::System => ClockSource::System,
            ClockMode::Simulated => ClockSource::Simulated,
        };
        // The clock resumes from the latest time the store has recorded anywhere: its clock
        // record (written by ingest and clock moves) and its audit log (every search), so a
        // restart with the machine's clock set back cannot make anything visible again.
        let high_water = audit.last_time().map_or(high_water, |t| t.max(high_water));
        Ok(Core {
            dir: dir.to_path_buf(),
            kek: RwLock::new(kek),
            previous_kek: RwLock::new(None),
            key_writes: RwLock::new(()),
            store,
            header,
            store_id,
            width,
            clock: Clock::new(source, high_water),
            durability,
            policy: RwLock::new(Arc::new(policy)),
            keyring: RwLock::new(HashMap::new()),
            epochs: RwLock::new(()),
            ingest: Mutex::new(IngestState::default()),
            expiry: Mutex::new(()),
            epoch_lookups: AtomicU64::new(0),
            audit,
            fingerprint_key,
            next_expiry: AtomicI64::new(i64::MIN),
            fault_hook: None,
            payload_keys: Mutex::new(HashMap::new()),
            hotlist: Mutex::new(crate::engine::hotlist::index::HotlistIndex::default()),
            hotlist_changes: Mutex::new(()),
            alert_sinks: Mutex::new(Vec::new()),
            _lock: lock,
        })
    }

    /// The key-encryption key in force.
    pub fn kek(&self) -> Kek {
        match self.kek.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the key-encryption key after a committed rotation, keeping the old one for
    /// unwraps that raced the commit until [`Core::forget_previous_kek`].
    pub fn set_kek(&self, kek: Kek) {
        let old = match self.kek.write() {
            Ok(mut k) => std::mem::replace(&mut *k, kek),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), kek),
        };
        if let Ok(mut p) = self.previous_kek.write() {
            *p = Some(old);
        }
    }

    /// Forgets the key-encryption key a rotation replaced (once its wrappings are purged).
    pub fn forget_previous_kek(&self) {
        if let Ok(mut p) = self.previous_kek.write() {
            *p = None;
        }
    }

    /// Unwraps a wrapped key with the key-encryption key in force, or, while a rotation is
    /// being committed, with the one it replaces.
    pub fn unwrap_key(&self, label: &str, wrapped: &[u8], count: usize) -> Result<Vec<SecretKey>> {
        match self.kek().unwrap(label, wrapped, count) {
            Ok(k) => Ok(k),
            Err(e) => {
                let previous = self.previous_kek.read().ok().and_then(|p| p.clone());
                match previous {
                    Some(old) => Ok(old.unwrap(label, wrapped, count).map_err(|_| e)?),
                    None => Err(e.into()),
                }
            }
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(p) => Arc::clone(&p),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the policy in memory (the caller has written it to the store).
    pub fn set_policy(&self, policy: Policy) {
        match self.policy.write() {
            Ok(mut p) => *p = Arc::new(policy),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(policy),
        }
    }

    /// The keys of an epoch, if the epoch has any (it may never have had a read, or expired).
    pub fn epoch_keys(&self, epoch: Epoch) -> Result<Option<Arc<EpochKeys>>> {
        if let Some(k) = self
            .keyring
            .read()
            .map_err(|_| poisoned("keyring"))?
            .get(&epoch)
        {
            return Ok(Some(Arc::clone(k)));
        }
        let label = layout::epoch_key_label(&epoch.name());
        let Some(wrapped) = self.store.get(CF_KEYS, label.as_bytes())? else {
            return Ok(None);
        };
        let secrets = self.unwrap_key(&label, &wrapped, 2)?;
        let keys = Arc::new(EpochKeys::from_secrets(&secrets[0], &secrets[1]));
        self.keyring
            .write()
            .map_err(|_| poisoned("keyring"))?
            .insert(epoch, Arc::clone(&keys));
        Ok(Some(keys))
    }

    /// The keys of an epoch, creating them (and its column family) if it has none. Called
    /// with the ingest lock held.
    pub fn ensure_epoch(&self, epoch: Epoch) -> Result<Arc<EpochKeys>> {
        let cf = layout::epoch_cf(epoch);
        if let Some(k) = self.epoch_keys(epoch)? {
            if !self.store.has_cf(&cf) {
                self.store.create_epoch_cf(&cf)?;
            }
            return Ok(k);
        }
        let hash = SecretKey::generate()?;
        let data = SecretKey::generate()?;
        let label = layout::epoch_key_label(&epoch.name());
        let _key_writes = self.key_writes.read().map_err(|_| poisoned("key_writes"))?;
        let wrapped = self.kek().wrap(&label, &[&hash, &data])?;
        self.note_expiry_candidate(epoch.end().plus(self.policy().retention()));
        self.store.create_epoch_cf(&cf)?;
        let mut batch = self.store.batch();
        batch.put(CF_KEYS, label.as_bytes(), &wrapped)?;
        self.store.write(batch, Durability::Sync)?;
        let keys = Arc::new(EpochKeys::from_secrets(&hash, &data));
        self.keyring
            .write()
            .map_err(|_| poisoned("keyring"))?
            .insert(epoch, Arc::clone(&keys));
        Ok(keys)
    }

    /// Forgets an epoch's unwrapped keys (the memory is zeroized when the last user drops them).
    pub fn forget_epoch_keys(&self, epoch: Epoch) {
        if let Ok(mut ring) = self.keyring.write() {
            ring.remove(&epoch);
        }
    }

    /// Installs the crash-injection test hook.
    pub fn set_fault_hook(&mut self, hook: Option<FaultHook>) {
        self.fault_hook = hook;
    }

    /// A crash-injection point: aborts the process when `PLATEVAULT_CRASH_AT` names it (for
    /// the CLI's crash tests), or fails when the test hook says so.
    pub fn fault(&self, point: &str) -> Result<()> {
        if std::env::var_os("PLATEVAULT_CRASH_AT").is_some_and(|v| v == point) {
            std::process::abort();
        }
        if let Some(hook) = &self.fault_hook
            && hook(point)
        {
            return Err(Error::Internal(format!("injected fault at {point}")));
        }
        Ok(())
    }

    /// True when the clock has reached the next moment expiry has work to do.
    pub fn expiry_due(&self, now: Timestamp) -> bool {
        now.as_micros() >= self.next_expiry.load(Ordering::Acquire)
    }

    /// Records when expiry next has work to do.
    pub fn set_next_expiry(&self, at: Timestamp) {
        self.next_expiry.store(at.as_micros(), Ordering::Release);
    }

    /// Brings the next expiry forward to `at` if that is sooner (a new epoch, a new hold).
    pub fn note_expiry_candidate(&self, at: Timestamp) {
        self.next_expiry.fetch_min(at.as_micros(), Ordering::AcqRel);
    }

    /// Tells every sink of alerts (and forgets sinks that are gone).
    pub fn deliver_alerts(&self, alerts: &[crate::engine::hotlist::alert::Alert]) {
        if alerts.is_empty() {
            return;
        }
        if let Ok(mut sinks) = self.alert_sinks.lock() {
            sinks.retain(|sink| alerts.iter().all(sink));
        }
    }

    /// Appends the `key_rotation` audit entry a committed rotation asked for, if any (a
    /// rotation interrupted after its commit gets its entry at the next open).
    pub fn record_rotation_if_pending(&self) -> Result<()> {
        let Some(b) = self
            .store
            .get(CF_META, crate::engine::rotation::state::META_AUDIT_PENDING)?
        else {
            return Ok(());
        };
        let generation = u32::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| Error::Damaged("the rotation marker is not 4 bytes".into()))?,
        );
        let mut entry =
            crate::audit::entry::Entry::new(crate::audit::entry::EntryKind::KeyRotation);
        entry.generation = Some(generation);
        // The old wrappings the rotation purged, for the deletion verifier (absent after a
        // rotation committed by an older build).
        if let Some(b) = self.store.get(
            CF_META,
            crate::engine::rotation::state::META_ROTATION_DIGESTS,
        )? {
            entry.deletion =
                Some(serde_json::from_slice(&b).map_err(|e| {
                    Error::Damaged(format!("the rotation's deletion digests: {e}"))
                })?);
        }
        self.audit.append_with(
            &self.store,
            self.clock.now(),
            vec![crate::audit::log::Pending::plain(entry)],
            |batch, _| {
                batch.delete(CF_META, crate::engine::rotation::state::META_AUDIT_PENDING)?;
                batch.delete(
                    CF_META,
                    crate::engine::rotation::state::META_ROTATION_DIGESTS,
                )
            },
        )?;
        Ok(())
    }

    /// The audit log.
    pub fn audit(&self) -> Result<&AuditLog> {
        Ok(&self.audit)
    }

    /// The audit fingerprint of a (region, plate): a keyed hash under the long-lived audit
    /// key, so that repeated searches for one plate are visible without revealing it.
    pub fn fingerprint(&self, region: &Region, plate: &Plate) -> Result<[u8; 32]> {
        let mut h = blake3::Hasher::new_keyed(self.fingerprint_key.expose());
        h.update(b"platevault/fingerprint/v1\0");
        let r = region.as_str().as_bytes();
        let p = plate.expose().as_bytes();
        h.update(&[r.len() as u8]);
        h.update(r);
        h.update(&[p.len() as u8]);
        h.update(p);
        Ok(*h.finalize().as_bytes())
    }

    /// The payload key of `month` (`YYYY-MM`), made (wrapped, synced) on first use. Call it
    /// without holding the audit writer lock or `key_writes`: it may take `key_writes`.
    pub fn payload_key(&self, month: &str) -> Result<SealKey> {
        if let Some(k) = self.existing_payload_key(month)? {
            return Ok(k);
        }
        let _key_writes = self.key_writes.read().map_err(|_| poisoned("key_writes"))?;
        let label = crate::store::layout::payload_key_label(month);
        // Another thread may have made it meanwhile.
        if let Some(wrapped) = self.store.get(CF_KEYS, label.as_bytes())? {
            return self.cache_payload_key(month, &label, &wrapped);
        }
        let secret = SecretKey::generate()?;
        let wrapped = self.kek().wrap(&label, &[&secret])?;
        let mut batch = self.store.batch();
        batch.put(CF_KEYS, label.as_bytes(), &wrapped)?;
        self.store.write(batch, Durability::Sync)?;
        let key = SealKey::from_bytes(secret.expose());
        if let Ok(mut cache) = self.payload_keys.lock() {
            cache.insert(month.to_string(), key.clone());
        }
        Ok(key)
    }

    /// The payload key of `month`, if it exists (None once it has been shredded).
    pub fn existing_payload_key(&self, month: &str) -> Result<Option<SealKey>> {
        if let Some(k) = self
            .payload_keys
            .lock()
            .map_err(|_| poisoned("payload_keys"))?
            .get(month)
        {
            return Ok(Some(k.clone()));
        }
        let label = crate::store::layout::payload_key_label(month);
        match self.store.get(CF_KEYS, label.as_bytes())? {
            Some(wrapped) => self.cache_payload_key(month, &label, &wrapped).map(Some),
            None => Ok(None),
        }
    }

    fn cache_payload_key(&self, month: &str, label: &str, wrapped: &[u8]) -> Result<SealKey> {
        let secret = self
            .unwrap_key(label, wrapped, 1)?
            .pop()
            .ok_or_else(|| Error::Damaged(format!("the key {label} is empty")))?;
        let key = SealKey::from_bytes(secret.expose());
        if let Ok(mut cache) = self.payload_keys.lock() {
            cache.insert(month.to_string(), key.clone());
        }
        Ok(key)
    }

    /// Forgets a shredded month's payload key.
    pub fn forget_payload_key(&self, month: &str) {
        if let Ok(mut cache) = self.payload_keys.lock() {
            cache.remove(month);
        }
    }

    /// A free text to seal into an audit payload now, under this month's key.
    pub fn payload_text(
        &self,
        text: String,
        now: Timestamp,
    ) -> Result<crate::audit::log::PayloadText> {
        let month = now.month();
        let key = self.payload_key(&month)?;
        Ok(crate::audit::log::PayloadText { text, month, key })
    }

    /// A long-lived key (audit fingerprint, signing seed, hotlist) by its label.
    pub fn long_lived_key(&self, label: &str) -> Result<SecretKey> {
        let wrapped = self
            .store
            .get(CF_KEYS, label.as_bytes())?
            .ok_or_else(|| Error::Damaged(format!("the key {label} is missing")))?;
        let mut secrets = self.unwrap_key(label, &wrapped, 1)?;
        secrets
            .pop()
            .ok_or_else(|| Error::Damaged(format!("the key {label} is empty")))
    }

    /// Every epoch that has a column family, oldest first.
    pub fn live_epochs(&self) -> Vec<Epoch> {
        self.store
            .epoch_cf_names()
            .iter()
            .filter_map(|cf| layout::epoch_name_of_cf(cf))
            .filter_map(|name| Epoch::from_name(name, self.width).ok())
            .collect()
    }
}

/// What a keyed open found of the header's binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    /// Sealed by the key and bound by the log: nothing to do.
    Bound,
    /// An old store's header: no MAC, no binding entry; sealed at this (read-write) open.
    Unsealed,
    /// Sealed, but the `header_bound` entry was never appended (a crash in between).
    SealedWithoutEntry,
}

/// Checks the header against the audit log, given whether its MAC verified (`sealed`). A
/// header that lost its MAC while the log binds it (or ever bound it) is damage: someone
/// stripped the MAC to edit the fields it covered.
pub(crate) fn check_binding(store: &Store, header: &Header, sealed: bool) -> Result<Binding> {
    use crate::audit::binding::{HeaderBinding, check};
    match check(store, header)? {
        HeaderBinding::Entry(_) if sealed => Ok(Binding::Bound),
        HeaderBinding::Entry(_) => Err(stripped_mac()),
        HeaderBinding::Unbound if sealed => Ok(Binding::SealedWithoutEntry),
        // Whether a header_bound entry exists is decided, with the whole log checked
        // against its signed tree head, before sealing (`Core::seal_header`).
        HeaderBinding::Unbound => Ok(Binding::Unsealed),
        // The MAC vouches for the header; the damaged log is `audit verify`'s to report.
        HeaderBinding::LogUnreadable(_) if sealed => Ok(Binding::Bound),
        HeaderBinding::LogUnreadable(why) => Err(Error::Damaged(format!(
            "the header is not sealed and the audit log cannot vouch for it: {why}"
        ))),
    }
}

fn stripped_mac() -> Error {
    Error::Damaged(
        "the header (platevault.json) lost its MAC although the audit log binds it: it was edited"
            .into(),
    )
}

/// A key check for generation `generation` of `master`, with its MAC over `header`.
pub(crate) fn seal_key_check(
    header: &Header,
    master: &MasterKey,
    generation: u32,
) -> Result<KeyCheck> {
    let mut check = KeyCheck {
        generation,
        kcv: hex::encode(master.key_check(&header.store_id_bytes()?)),
        mac: None,
    };
    check.mac = Some(hex::encode(master.header_mac(&header.mac_message(&check))));
    Ok(check)
}

/// Checks the MAC of the key check of `generation` under `master`: Ok(true) when it matches,
/// Ok(false) when that key check has none (a header written before MACs existed), and
/// [`Error::Damaged`] when it does not match (a field was edited).
pub(crate) fn verify_header_mac(
    header: &Header,
    master: &MasterKey,
    generation: u32,
) -> Result<bool> {
    let Some(check) = header
        .key_checks
        .iter()
        .find(|c| c.generation == generation)
    else {
        return Err(Error::Damaged(format!(
            "the header has no key check of generation {generation}"
        )));
    };
    let Some(mac) = &check.mac else {
        return Ok(false);
    };
    let mut stored = [0u8; 32];
    if hex::decode_to_slice(mac, &mut stored).is_err() {
        return Err(Error::Damaged(
            "a MAC in the header is not 64 hex digits".into(),
        ));
    }
    if !ct_eq(&stored, &master.header_mac(&header.mac_message(check))) {
        return Err(Error::Damaged(format!(
            "the header (platevault.json) was changed after the master key sealed it: its format, store id, creation time, clock mode (now {}) or epoch width (now {}) is not what was sealed",
            header.clock.as_str(),
            header.epoch_width
        )));
    }
    Ok(true)
}

/// Reads the header of the store at `dir` and checks it with `master` without opening the
/// database: the key must match a key check and that key check's MAC must verify. Returns
/// the header and whether it was sealed (false: an old store's header, sealed by the next
/// read-write open).
pub(crate) fn read_verified_header(dir: &Path, master: &MasterKey) -> Result<(Header, bool)> {
    let header = Header::read(dir)?;
    let generation = check_master_key(&header, master, &header.store_id_bytes()?)?;
    let sealed = verify_header_mac(&header, master, generation)?;
    Ok((header, sealed))
}

/// Refuses a master key whose key-check value is not in the header.
pub(crate) fn check_master_key(
    header: &Header,
    master: &MasterKey,
    store_id: &[u8; 16],
) -> Result<u32> {
    let kcv = master.key_check(store_id);
    let matches = |check: &crate::store::header::KeyCheck| -> Result<bool> {
        let mut stored = [0u8; 32];
        if hex::decode_to_slice(&check.kcv, &mut stored).is_err() {
            return Err(Error::Damaged(
                "a key-check value in the header is not hex".into(),
            ));
        }
        Ok(ct_eq(&stored, &kcv))
    };
    for check in &header.key_checks {
        if matches(check)? {
            return Ok(check.generation);
        }
    }
    for check in &header.retired_key_checks {
        if matches(check)? {
            return Err(Error::KeyRotatedOut);
        }
    }
    Err(Error::WrongMasterKey)
}

fn poisoned(lock: &'static str) -> Error {
    Error::Poisoned { lock }
}
