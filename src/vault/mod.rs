//! The public API: a [`Vault`] is an open platevault store.
//!
//! ```text
//! ingest:  Vault::ingest → validate → canonicalise → seal → one write batch
//! search:  Vault::search → policy → audit (durable) → per-epoch lookup → open
//! expiry:  Vault::expire → audit intent → destroy keys → drop epoch → purge → certificate
//! ```
//!
//! A vault is `Send + Sync`: share it in an `Arc` between threads. Only one process may
//! hold a store open for writing; read-only opens (audit and deletion verification) may
//! run beside it.

mod async_vault;

pub use async_vault::{AsyncVault, ExpiryStats, ExpiryTask, MIN_EXPIRY_INTERVAL};

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::audit::entry::{Entry, EntryKind};
use crate::audit::log::Pending;
use crate::crypto::keys::{
    LABEL_AUDIT_FINGERPRINT, LABEL_HOTLIST, LABEL_SIGNING, MasterKey, SecretKey,
};
use crate::crypto::seal::os_random;
use crate::engine::expiry::{self, ExpiryReport};
use crate::engine::hold::{self, HoldInfo, HoldOutcome, ReleaseOutcome};
use crate::engine::hotlist::{
    self, Alert, AlertsOutcome, HotlistEntryInfo, HotlistOutcome, RemoveOutcome,
};
use crate::engine::ingest::{self, IngestReport};
use crate::engine::reviewer_check::{self, JustificationReview, ReviewerOutcome};
use crate::engine::rotation::{self, RotationReport};
use crate::engine::search::{self, SearchOutcome, SearchRequest};
use crate::engine::state::{Core, FaultHook, OpenParams};
use crate::error::{Error, Result};
use crate::model::epoch::{Epoch, Timestamp};
use crate::model::record::NewRead;
use crate::policy::Policy;
use crate::policy::{AlertsRequest, CaseRequest, RemovalRequest};
use crate::store::header::{ClockMode, DB_DIR, FORMAT, Header};
use crate::store::layout::{self, CF_KEYS, CF_META};
use crate::store::lock::lock_store;
use crate::store::perms;
use crate::store::{Access, Durability, Store, StoreTuning};

/// How to create or open a vault. Start from `VaultOptions::default()`.
#[derive(Clone, Default)]
pub struct VaultOptions {
    tuning: StoreTuning,
    durability: Durability,
    simulated_start: Option<Timestamp>,
    fault_hook: Option<FaultHook>,
    store_fault_hook: Option<FaultHook>,
}

impl std::fmt::Debug for VaultOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultOptions")
            .field("tuning", &self.tuning)
            .field("durability", &self.durability)
            .field("simulated_start", &self.simulated_start)
            .finish()
    }
}

impl VaultOptions {
    /// Options with the defaults: synced writes, one 128 MiB cache for blocks and memtables
    /// (of which at most 64 MiB memtables).
    pub fn new() -> Self {
        VaultOptions::default()
    }

    /// Whether ingest batches are synced to disk before they return (default: synced).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The memory budget shared by every column family.
    pub fn tuning(mut self, tuning: StoreTuning) -> Self {
        self.tuning = tuning;
        self
    }

    /// At creation only: make a simulation store whose clock starts at `start` and moves
    /// only by [`Vault::advance_clock`] (tests, demos, benchmarks, `init --now`).
    pub fn simulated_clock(mut self, start: Timestamp) -> Self {
        self.simulated_start = Some(start);
        self
    }

    /// Testing aid: `hook(point)` is called at the named steps of multi-step procedures
    /// (expiry, rotation, holds); returning true stops the procedure there as a crash would.
    #[doc(hidden)]
    pub fn fault_hook(mut self, hook: FaultHook) -> Self {
        self.fault_hook = Some(hook);
        self
    }

    /// Testing aid: `hook(point)` is called at the store's own points; returning true for
    /// `store:compaction-dropped:<family>` makes a forced compaction of that family not
    /// happen, as one whose error RocksDB reported and the `rocksdb` crate dropped would
    /// (the purge must then refuse to confirm it).
    #[doc(hidden)]
    pub fn store_fault_hook(mut self, hook: FaultHook) -> Self {
        self.store_fault_hook = Some(hook);
        self
    }

    fn params(&self, access: Access) -> OpenParams {
        OpenParams {
            tuning: self.tuning,
            durability: self.durability,
            access,
            fault_hook: self.fault_hook.clone(),
            store_fault_hook: self.store_fault_hook.clone(),
        }
    }
}

/// What a policy change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyChange {
    /// Hash (hex) of the policy replaced.
    pub old_hash: String,
    /// Hash (hex) of the policy now in force.
    pub new_hash: String,
    /// Version of the policy replaced.
    pub old_version: u32,
    /// Version of the policy now in force.
    pub new_version: u32,
    /// The audit entry recording the change.
    pub audit_seq: u64,
}

/// A store's public identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreInfo {
    /// The store's random id (hex).
    pub store_id: String,
    /// The Ed25519 public key of its checkpoints (hex).
    pub public_key: String,
}

/// An open platevault store.
#[derive(Clone, Debug)]
pub struct Vault {
    core: Arc<Core>,
    /// Everything expiry did through this vault since the log was last taken.
    expiry_log: Arc<Mutex<ExpiryReport>>,
    /// Epochs expired since the vault was opened.
    epochs_expired: Arc<AtomicU64>,
}

impl Vault {
    /// Creates a store in `dir` (which must not exist or be empty) under `master`, with
    /// `policy`. Nothing is left behind if creation fails.
    pub fn create(
        dir: &Path,
        master: &MasterKey,
        policy: &Policy,
        options: &VaultOptions,
    ) -> Result<Vault> {
        prepare_empty_dir(dir)?;
        match create_inner(dir, master, policy, options) {
            Ok(core) => Ok(Vault::from_core(core)),
            Err(e) => {
                let _ = std::fs::remove_dir_all(dir);
                Err(e)
            }
        }
    }

    /// Whether the store in `dir` runs on a simulated clock, read from a header the master
    /// key has verified (an edited header is [`Error::Damaged`]); opens nothing. This is how
    /// a caller decides whether a `--now` is acceptable before opening the store, since
    /// opening may run expiry.
    pub fn is_simulation_store(dir: &Path, master: &MasterKey) -> Result<bool> {
        let (header, _) = crate::engine::state::read_verified_header(dir, master)?;
        Ok(header.clock == ClockMode::Simulated)
    }

    /// Opens the store in `dir`. A wrong master key is refused before anything is written.
    /// An interrupted expiry is completed, and epochs past retention expire, before it returns.
    /// Folders and files are tightened to owner-only modes (0700 and 0600) first; see
    /// [`crate::files`].
    pub fn open(dir: &Path, master: &MasterKey, options: &VaultOptions) -> Result<Vault> {
        let vault = Vault::from_core(Core::open(dir, master, options.params(Access::ReadWrite))?);
        // A store made before these modes, or grown by a process whose umask let RocksDB make
        // 0644 files, is tightened here; a failure (files of another account) is not a reason
        // to refuse the store, only to say so.
        if let Err(e) = perms::tighten_store(dir) {
            tracing::warn!("could not restrict the store's file modes to owner-only: {e}");
        }
        vault.expire()?;
        Ok(vault)
    }

    fn from_core(core: Core) -> Vault {
        Vault {
            core: Arc::new(core),
            expiry_log: Arc::new(Mutex::new(ExpiryReport::default())),
            epochs_expired: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Records what an expiry run did, for [`Vault::take_expiry_log`].
    fn note_expiry(&self, report: ExpiryReport) -> ExpiryReport {
        self.epochs_expired
            .fetch_add(report.expired_epochs.len() as u64, Ordering::Relaxed);
        if let Ok(mut log) = self.expiry_log.lock() {
            log.absorb(&report);
        }
        report
    }

    /// Runs expiry if the clock has reached a moment it has work to do.
    fn expire_if_due(&self) -> Result<()> {
        if let Some(report) = expiry::run_if_due(&self.core)? {
            self.note_expiry(report);
        }
        Ok(())
    }

    /// Validates, seals and stores reads in one atomic batch; the report says exactly which
    /// were stored and why the others were refused. Runs expiry afterwards when an epoch has
    /// passed retention since the last run.
    pub fn ingest(&self, reads: Vec<NewRead>) -> Result<IngestReport> {
        let report = ingest::ingest(&self.core, reads)?;
        self.core.deliver_alerts(&report.alerts);
        self.expire_if_due()?;
        Ok(report)
    }

    /// The only read path: decides the request by the policy, makes the decision durable in
    /// the audit log, and only then (if allowed) reads the exact plate over the granted window.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchOutcome> {
        search::search(&self.core, request)
    }

    /// Runs expiry now: every epoch wholly past retention is crypto-shredded and removed,
    /// holds past their end date are released.
    pub fn expire(&self) -> Result<ExpiryReport> {
        Ok(self.note_expiry(expiry::run(&self.core)?))
    }

    /// Adds a hotlist entry: `request` is decided and audited like a search, and `expires`
    /// must be no further ahead than the policy's `hotlist_max_days`. Adding a plate and region
    /// already listed for the same case and agency renews that entry (same id, new expiry;
    /// [`HotlistOutcome::renewed`]).
    pub fn hotlist_add(&self, request: &CaseRequest, expires: Timestamp) -> Result<HotlistOutcome> {
        hotlist::add(&self.core, request, expires)
    }

    /// Removes a hotlist entry before its expiry, if the policy allows: only the agency that
    /// placed the entry may (`not_owner` otherwise), and the decision is audited
    /// (`hotlist_remove_request`) before anything is destroyed. A malformed entry id is an
    /// error; an unknown one is allowed and removes nothing.
    pub fn hotlist_remove(
        &self,
        entry_id: &str,
        request: &RemovalRequest,
    ) -> Result<RemoveOutcome> {
        hotlist::remove_request(&self.core, entry_id, request)
    }

    /// The hotlist entries in force (no plates: case, offense, agency, expiry, hits).
    pub fn hotlist(&self) -> Result<Vec<HotlistEntryInfo>> {
        hotlist::list(&self.core)
    }

    /// One agency's hotlist alerts for one case (optionally those captured since
    /// `request.since`): decided by the policy and audited like a search (`alerts`, then
    /// `alerts_result`) before any alert's details are opened. Only alerts of hotlist entries
    /// that agency placed for that case are returned, and an alert whose read is past
    /// retention only while the agency's hold on the case keeps the read.
    pub fn alerts(&self, request: &AlertsRequest) -> Result<AlertsOutcome> {
        hotlist::alerts(&self.core, request)
    }

    /// Calls `f` for every hotlist alert raised from now on (after its read, hold and audit
    /// entry are durable); `f` returns false to stop being called. This is a push at ingest
    /// time to the embedding application (which is handing the store these very reads), not
    /// a read of stored data: route each alert to its [`Alert::agency`] only.
    pub fn on_alert(&self, f: impl Fn(&Alert) -> bool + Send + Sync + 'static) {
        if let Ok(mut sinks) = self.core.alert_sinks.lock() {
            sinks.push(Box::new(f));
        }
    }

    /// A channel that receives every hotlist alert raised from now on.
    pub fn subscribe_alerts(&self) -> std::sync::mpsc::Receiver<Alert> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.on_alert(move |a| tx.send(a.clone()).is_ok());
        rx
    }

    /// The reviewer check: which audit entries concern this plate. Only reviewers named in
    /// the policy may ask, rate-limited, and the check is itself audited.
    pub fn reviewer_check(
        &self,
        plate: &str,
        region: &str,
        reviewer: &str,
    ) -> Result<ReviewerOutcome> {
        reviewer_check::check(&self.core, plate, region, reviewer)
    }

    /// The justification review: the free-text justifications of the searches, holds and
    /// hotlist requests dated in `[from, to)` (`to` defaults to now, `from` to a week before
    /// `to`; at most 31 days), with who asked, for which case, offense and purpose, and the
    /// decision. Only reviewers named in the policy may ask, rate-limited in the reviewers'
    /// own bucket; the review is audited, durably, before any justification is opened, and
    /// nothing else is opened. `from` after `to` is [`Error::InvalidArgument`].
    pub fn review_justifications(
        &self,
        reviewer: &str,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<JustificationReview> {
        reviewer_check::justifications(&self.core, reviewer, from, to)
    }

    /// Replaces the policy (audited with the old and new versions' hashes and the new
    /// version's full text, which is public). The epoch width is fixed at creation; a
    /// policy that changes it is refused.
    pub fn apply_policy(&self, policy: &Policy) -> Result<PolicyChange> {
        let old = self.core.policy();
        old.check_replacement(policy)?;
        let text = policy.to_toml();
        let mut entry = Entry::new(EntryKind::PolicyChange);
        entry.policy_old = Some(hex::encode(old.hash()));
        entry.policy_new = Some(hex::encode(policy.hash()));
        entry.policy_version = Some(policy.version());
        entry.policy_text = Some(text.clone());
        let seq = self.core.audit()?.append_with(
            &self.core.store,
            self.core.clock.now(),
            vec![Pending::plain(entry)],
            |batch, _| batch.put(CF_META, layout::META_POLICY, text.as_bytes()),
        )?;
        self.core.set_policy(policy.clone());
        // A shorter retention may have made epochs due.
        self.core.set_next_expiry(Timestamp::from_micros(i64::MIN));
        self.expire_if_due()?;
        Ok(PolicyChange {
            old_hash: hex::encode(old.hash()),
            new_hash: hex::encode(policy.hash()),
            old_version: old.version(),
            new_version: policy.version(),
            audit_seq: seq.first().copied().unwrap_or(0),
        })
    }

    /// Re-wraps every live key under `new_master`, in two phases (a crash at any point
    /// leaves a store that one of the two keys opens), audited. Afterwards only
    /// `new_master` opens the store; destroy the old key to make every stale copy of a
    /// wrapped key (old disk blocks, backups) useless.
    pub fn rotate_master_key(&self, new_master: &MasterKey) -> Result<RotationReport> {
        rotation::rotate(&self.core, new_master)
    }

    /// Epochs expired since this vault was opened.
    pub fn epochs_expired_since_open(&self) -> u64 {
        self.epochs_expired.load(Ordering::Relaxed)
    }

    /// How many epoch column families lookups have read since open: lets tests check that a
    /// denied request touched no epoch data.
    #[doc(hidden)]
    pub fn epoch_lookups(&self) -> u64 {
        self.core
            .epoch_lookups
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Everything expiry did in this vault (on open, during ingest, by [`Vault::expire`] or
    /// the background task) since the last call.
    pub fn take_expiry_log(&self) -> ExpiryReport {
        match self.expiry_log.lock() {
            Ok(mut log) => std::mem::take(&mut *log),
            Err(_) => ExpiryReport::default(),
        }
    }

    /// Places a legal hold: `request` is decided and audited like a search, and the reads it
    /// finds are kept for its case until `until` (at most the policy's `hold_max_days`).
    pub fn hold(&self, request: &CaseRequest, until: Timestamp) -> Result<HoldOutcome> {
        hold::place(&self.core, request, until)
    }

    /// Releases the requesting agency's hold on a case, if the policy allows: only the agency
    /// that placed it may (`not_owner` otherwise), and the decision is audited
    /// (`hold_release_request`) before its keys are shredded and its copies removed.
    pub fn release_hold(&self, case: &str, request: &RemovalRequest) -> Result<ReleaseOutcome> {
        hold::release_request(&self.core, case, request)
    }

    /// Every hold in force.
    pub fn holds(&self) -> Result<Vec<HoldInfo>> {
        hold::list(&self.core)
    }

    /// The store's clock now (never earlier than any time it has seen).
    pub fn now(&self) -> Timestamp {
        self.core.clock.now()
    }

    /// Moves a simulation store's clock forward to `t` (never back) and persists it.
    /// Refused by a store that runs on the system clock.
    pub fn advance_clock(&self, t: Timestamp) -> Result<Timestamp> {
        if self.core.header.clock != ClockMode::Simulated {
            return Err(Error::ClockNotSimulated);
        }
        let now = self.core.clock.observe(t);
        let mut batch = self.core.store.batch();
        batch.put(CF_META, layout::META_CLOCK, &now.as_micros().to_be_bytes())?;
        self.core.store.write(batch, Durability::Sync)?;
        self.expire_if_due()?;
        Ok(now)
    }

    /// True for a simulation store (created with a simulated clock).
    pub fn is_simulated(&self) -> bool {
        self.core.header.clock == ClockMode::Simulated
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        self.core.policy()
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.core.dir
    }

    /// Every epoch that currently has data (a column family), oldest first.
    pub fn live_epochs(&self) -> Vec<Epoch> {
        self.core.live_epochs()
    }

    /// Reads stored in an epoch (from its counter; O(1)).
    pub fn epoch_read_count(&self, epoch: Epoch) -> Result<u64> {
        ingest::read_count(&self.core, &epoch.name())
    }

    /// Moves every memtable into SST and blob files and retires the write-ahead logs that
    /// held them (for example before a backup, or to inspect the files).
    pub fn flush(&self) -> Result<()> {
        self.core.store.flush_all()
    }

    /// Memory the store's shared block cache holds now, in bytes; the memtables are charged
    /// to it by the write buffer manager, so this covers them too.
    pub fn memory_usage(&self) -> usize {
        self.core.store.cache_usage()
    }

    /// The store's identity: its id and the public key that verifies its checkpoints.
    pub fn info(&self) -> Result<StoreInfo> {
        let secret = self.core.long_lived_key(LABEL_SIGNING)?;
        let signing = ed25519_dalek::SigningKey::from_bytes(secret.expose());
        Ok(StoreInfo {
            store_id: hex::encode(self.core.store_id),
            public_key: hex::encode(signing.verifying_key().to_bytes()),
        })
    }

    /// The shared state, for the crate's own tests.
    #[cfg(test)]
    pub(crate) fn core(&self) -> &Core {
        &self.core
    }
}

fn prepare_empty_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::StoreExists {
                    path: dir.to_path_buf(),
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => perms::create_private_dir_all(dir)
            .map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            }),
        Err(source) => Err(Error::Io {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

fn create_inner(
    dir: &Path,
    master: &MasterKey,
    policy: &Policy,
    options: &VaultOptions,
) -> Result<Core> {
    let mut store_id = [0u8; 16];
    os_random(&mut store_id)?;
    let (clock, created_at) = match options.simulated_start {
        Some(t) => (ClockMode::Simulated, t),
        None => (ClockMode::System, Timestamp::now_system()),
    };
    let mut header = Header {
        format: FORMAT.to_string(),
        store_id: hex::encode(store_id),
        created_at,
        clock,
        epoch_width: policy.epoch_width().span(),
        key_checks: Vec::new(),
        retired_key_checks: Vec::new(),
    };
    // The store folder and the database folder are owner-only before anything is written
    // in them: RocksDB takes no file mode, so the folders are what keeps its files private.
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(perms::DIR_MODE))
        .map_err(io(dir))?;
    perms::create_private_dir_all(&dir.join(DB_DIR)).map_err(io(&dir.join(DB_DIR)))?;
    // Sealed by the master key, and bound to the log by the store_created entry below.
    header.key_checks = vec![crate::engine::state::seal_key_check(&header, master, 1)?];
    let lock = lock_store(dir)?;
    let mut store = Store::create(&dir.join(DB_DIR), options.tuning)?;
    store.set_fault_hook(options.store_fault_hook.clone());
    let kek = master.key_encryption_key(store_id);
    let mut batch = store.batch();
    let policy_text = policy.to_toml();
    batch.put(CF_META, layout::META_POLICY, policy_text.as_bytes())?;
    batch.put(
        CF_META,
        layout::META_CLOCK,
        &created_at.as_micros().to_be_bytes(),
    )?;
    for label in [LABEL_AUDIT_FINGERPRINT, LABEL_SIGNING, LABEL_HOTLIST] {
        let secret = SecretKey::generate()?;
        if label == LABEL_SIGNING {
            let public = ed25519_dalek::SigningKey::from_bytes(secret.expose()).verifying_key();
            batch.put(CF_META, layout::META_PUBLIC_KEY, &public.to_bytes())?;
        }
        batch.put(CF_KEYS, label.as_bytes(), &kek.wrap(label, &[&secret])?)?;
    }
    store.write(batch, Durability::Sync)?;
    let mut core = Core::assemble(
        dir,
        header.clone(),
        store,
        master,
        options.durability,
        Some(lock),
    )?;
    core.set_fault_hook(options.fault_hook.clone());
    let mut entry = Entry::new(EntryKind::StoreCreated);
    entry.policy_new = Some(hex::encode(policy.hash()));
    entry.policy_version = Some(policy.version());
    entry.agency = Some(policy.agency().to_string());
    crate::audit::binding::stamp(&mut entry, &header);
    // The first version's text, so that the log alone holds the whole history.
    entry.policy_text = Some(policy_text);
    core.audit()?
        .append(&core.store, created_at, Pending::plain(entry))?;
    // The header is written last: a directory without one is not a store.
    header.write(dir)?;
    // Whatever RocksDB made under a permissive umask becomes owner-only too.
    perms::tighten_store(dir).map_err(io(dir))?;
    Ok(core)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::lookup::lookup;
    use crate::model::plate::{Plate, Region};
    use crate::store::layout::{CF_KEYS, epoch_cf, record_prefix};

    const T0: &str = "2026-11-01T00:00:00Z";

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("time")
    }

    fn read(plate: &str, at: &str, camera: &str) -> NewRead {
        NewRead {
            plate: plate.into(),
            region: "CO".into(),
            captured_at: Some(t(at)),
            camera: camera.into(),
            lat: Some(39.7392),
            lon: Some(-104.9903),
            confidence: Some(0.9),
            image: None,
        }
    }

    fn new_vault(dir: &Path, key: &MasterKey) -> Vault {
        Vault::create(
            dir,
            key,
            &Policy::default_policy(),
            &VaultOptions::new().simulated_clock(t(T0)),
        )
        .expect("create")
    }

    fn find(
        v: &Vault,
        plate: &str,
        region: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::ReadView>> {
        lookup(
            v.core(),
            &Plate::parse(plate).expect("plate"),
            &Region::parse(region).expect("region"),
            t(from),
            t(to),
            true,
        )
    }

    #[test]
    fn reads_survive_reopen_and_lookup_is_exact() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store");
        let key = MasterKey::generate().expect("key");
        let v = new_vault(&path, &key);
        v.advance_clock(t("2026-11-03T12:00:00Z")).expect("clock");
        let mut with_image = read("7KQ-X291", "2026-11-02T08:00:00Z", "CAM-2");
        with_image.image = Some(b"\xff\xd8 an image".to_vec());
        let report = v
            .ingest(vec![
                read("7KQX291", "2026-11-01T08:00:00Z", "CAM-1"),
                with_image,
                read("7KQX292", "2026-11-02T09:00:00Z", "CAM-3"),
                NewRead {
                    region: "US-CO".into(),
                    ..read("7KQX291", "2026-11-02T10:00:00Z", "CAM-4")
                },
            ])
            .expect("ingest");
        assert_eq!(report.stored.len(), 4);
        assert!(report.rejected.is_empty());
        drop(v);

        let v = Vault::open(&path, &key, &VaultOptions::new()).expect("reopen");
        let found = find(&v, "7kq x291", "co", T0, "2026-11-03T00:00:00Z").expect("lookup");
        let cams: Vec<&str> = found.iter().map(|r| r.body.camera.as_str()).collect();
        assert_eq!(
            cams,
            vec!["CAM-1", "CAM-2"],
            "exact plate and region, both epochs"
        );
        assert_eq!(found[1].image.as_deref(), Some(&b"\xff\xd8 an image"[..]));
        assert_eq!(found[0].body.coords, Some((39.7392, -104.9903)));
        let window = find(
            &v,
            "7KQX291",
            "CO",
            "2026-11-02T00:00:00Z",
            "2026-11-03T00:00:00Z",
        )
        .expect("lookup");
        assert_eq!(window.len(), 1, "window is [from, to)");
        assert!(
            find(&v, "7KQX29", "CO", T0, "2026-11-03T00:00:00Z")
                .expect("lookup")
                .is_empty()
        );
        assert_eq!(v.live_epochs().len(), 2);
        let e = v.live_epochs()[0];
        assert_eq!(v.epoch_read_count(e).expect("count"), 1);
    }

    #[test]
    fn wrong_master_key_is_refused_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store");
        let key = MasterKey::generate().expect("key");
        let v = new_vault(&path, &key);
        v.ingest(vec![read("ABC123", "2026-10-31T23:00:00Z", "CAM-1")])
            .expect("ingest");
        drop(v);
        let snapshot = || {
            crate::verify::scan::files_under(&path)
                .expect("list")
                .into_iter()
                .map(|p| {
                    let bytes = std::fs::read(&p).expect("read");
                    (p, blake3::hash(&bytes))
                })
                .collect::<Vec<_>>()
        };
        let before = snapshot();
        let wrong = MasterKey::generate().expect("key");
        let err = Vault::open(&path, &wrong, &VaultOptions::new()).expect_err("wrong key");
        assert!(matches!(err, Error::WrongMasterKey), "{err}");
        assert_eq!(
            before,
            snapshot(),
            "a refused open must not change any file"
        );
        assert!(Vault::open(&path, &key, &VaultOptions::new()).is_ok());
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store");
        let key = MasterKey::generate().expect("key");
        let _v = new_vault(&path, &key);
        let err = Vault::open(&path, &key, &VaultOptions::new()).expect_err("locked");
        assert!(matches!(err, Error::StoreLocked { .. }), "{err}");
        let err = Vault::create(&path, &key, &Policy::default_policy(), &VaultOptions::new())
            .expect_err("exists");
        assert!(matches!(err, Error::StoreExists { .. }), "{err}");
        let missing = dir.path().join("nothing");
        let err = Vault::open(&missing, &key, &VaultOptions::new()).expect_err("missing");
        assert!(matches!(err, Error::StoreNotFound { .. }), "{err}");
    }

    #[test]
    fn bad_reads_are_reported_by_field_and_the_rest_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = MasterKey::generate().expect("key");
        let v = new_vault(&dir.path().join("s"), &key);
        let good = read("GOOD1", "2026-10-31T12:00:00Z", "CAM-1");
        let reads = vec![
            read("AB*12", "2026-10-31T12:00:00Z", "CAM-1"),
            NewRead {
                region: String::new(),
                ..good.clone()
            },
            read("GOOD2", "2026-11-01T00:06:00Z", "CAM-1"),
            read("GOOD3", "2026-09-01T00:00:00Z", "CAM-1"),
            NewRead {
                lat: Some(91.0),
                ..good.clone()
            },
            NewRead {
                lon: None,
                ..good.clone()
            },
            NewRead {
                camera: " ".into(),
                ..good.clone()
            },
            NewRead {
                image: Some(vec![0; 4 * 1024 * 1024 + 1]),
                ..good.clone()
            },
            NewRead {
                confidence: Some(1.5),
                ..good.clone()
            },
            good.clone(),
        ];
        let report = v.ingest(reads).expect("ingest");
        let fields: Vec<(usize, &str)> = report
            .rejected
            .iter()
            .map(|r| (r.index, r.reason.field()))
            .collect();
        assert_eq!(
            fields,
            vec![
                (0, "plate"),
                (1, "region"),
                (2, "captured_at"),
                (3, "captured_at"),
                (4, "lat"),
                (5, "lat"),
                (6, "camera"),
                (7, "image"),
                (8, "confidence"),
            ]
        );
        assert_eq!(report.stored.len(), 1);
        assert_eq!(report.stored[0].index, 9);
        for r in &report.rejected {
            assert!(
                !r.reason.to_string().contains("AB"),
                "no plate text in reasons"
            );
        }
    }

    #[test]
    fn a_record_moved_to_another_read_is_refused_not_returned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = MasterKey::generate().expect("key");
        let v = new_vault(&dir.path().join("s"), &key);
        v.ingest(vec![
            read("MOVE1", "2026-10-31T10:00:00Z", "CAM-1"),
            read("MOVE1", "2026-10-31T11:00:00Z", "CAM-2"),
        ])
        .expect("ingest");
        let epoch = v.live_epochs()[0];
        let cf = epoch_cf(epoch);
        let keys = v.core().epoch_keys(epoch).expect("keys").expect("present");
        let tag = keys.hash.plate_tag(
            &Region::parse("CO").expect("region"),
            &Plate::parse("MOVE1").expect("plate"),
        );
        let mut records = Vec::new();
        v.core()
            .store
            .scan_prefix(&cf, &record_prefix(&tag.0), |k, val| {
                records.push((k.to_vec(), val.to_vec()));
                Ok(true)
            })
            .expect("scan");
        assert_eq!(records.len(), 2);
        // Copy read A's sealed record over read B's key.
        let mut batch = v.core().store.batch();
        batch.put(&cf, &records[1].0, &records[0].1).expect("put");
        v.core()
            .store
            .write(batch, Durability::Sync)
            .expect("write");
        let err = find(&v, "MOVE1", "CO", "2026-10-31T00:00:00Z", T0).expect_err("tamper");
        assert!(matches!(err, Error::Damaged(_)), "{err}");
        // A wrapped epoch key moved to another epoch's label does not open either.
        let label = crate::store::layout::epoch_key_label(&epoch.name());
        let wrapped = v
            .core()
            .store
            .get(CF_KEYS, label.as_bytes())
            .expect("get")
            .expect("key");
        let other = crate::store::layout::epoch_key_label(&epoch.next().name());
        assert!(v.core().kek().unwrap(&other, &wrapped, 2).is_err());
    }

    #[test]
    fn reads_past_retention_are_invisible_before_any_sweep() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = MasterKey::generate().expect("key");
        let v = new_vault(&dir.path().join("s"), &key);
        v.ingest(vec![read("OLD1", "2026-10-31T10:00:00Z", "CAM-1")])
            .expect("ingest");
        assert_eq!(
            find(&v, "OLD1", "CO", "2026-10-01T00:00:00Z", T0)
                .expect("lookup")
                .len(),
            1
        );
        v.advance_clock(t("2026-11-30T10:00:01Z")).expect("clock");
        assert!(
            find(
                &v,
                "OLD1",
                "CO",
                "2026-10-01T00:00:00Z",
                "2026-12-01T00:00:00Z"
            )
            .expect("lookup")
            .is_empty()
        );
        // The clock does not move back.
        v.advance_clock(t(T0)).expect("clock");
        assert_eq!(v.now(), t("2026-11-30T10:00:01Z"));
        assert!(
            find(&v, "OLD1", "CO", "2026-10-01T00:00:00Z", T0)
                .expect("lookup")
                .is_empty()
        );
    }
}
