//! Expiry: crypto-shredding and physical removal of whole epochs, one resumable procedure.
//!
//! An epoch expires when all of it has passed retention (`end <= now - retention`); its reads
//! were already invisible to searches from `captured_at + retention`. For each such epoch:
//!
//! 1. **Intent.** Record in the journal (`meta: expiry/<epoch>`) and in the audit log, in one
//!    batch, the epoch's read count and the digests a verifier will look for: 32-byte windows
//!    of its wrapped keys, of a sample of its sealed records and of their keys, spread over
//!    the whole key range (`src/digests.rs`).
//! 2. **Destroy keys.** Delete the wrapped key record; forget the unwrapped keys.
//! 3. **Remove data.** Drop the epoch's column family (its SST and blob files go with it).
//!    No per-read deletes: the cost is O(1) in the epoch's reads.
//! 4. **Purge.** Flush every column family, so RocksDB deletes the write-ahead logs that
//!    still hold the epoch's records or its key; force a bottommost compaction of the keys
//!    column family, so the deleted key leaves its SST files; confirm from the live file list
//!    and the directory that the files which held the key, the retired logs and every SST of
//!    the epoch are gone (else an error, and no certificate: the next run retries).
//! 5. **Certificate.** Append the deletion certificate (epoch, reads, time, digests) and
//!    clear the journal, in one batch.
//!
//! A crash at any step is completed on the next open: the journal says where it stopped.
//!
//! The same run releases legal holds past their end date and removes hotlist entries past
//! their expiry, each audited.

use serde::{Deserialize, Serialize};

use crate::audit::entry::{DeletionDigests, Entry, EntryKind};
use crate::audit::log::Pending;
use crate::crypto::keys::LABEL_AUDIT_PAYLOAD;
use crate::engine::ingest::read_count;
use crate::engine::state::Core;
use crate::error::{Error, Result};
use crate::model::epoch::{Epoch, Timestamp};
use crate::store::layout::{self, CF_KEYS, CF_META};

/// What an expiry run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Epochs destroyed, by name, oldest first.
    pub expired_epochs: Vec<String>,
    /// Reads those epochs held.
    pub reads_removed: u64,
    /// Cases whose holds reached their end date and were released.
    pub holds_released: Vec<String>,
    /// Hotlist entries that reached their expiry and were removed.
    pub hotlist_expired: Vec<String>,
    /// Months whose audit payloads were crypto-shredded.
    pub payload_months_shredded: Vec<String>,
    /// Audit sequence numbers of the deletion certificates written.
    pub certificates: Vec<u64>,
}

impl ExpiryReport {
    /// Adds another run's results to this one.
    pub fn absorb(&mut self, other: &ExpiryReport) {
        self.expired_epochs
            .extend(other.expired_epochs.iter().cloned());
        self.reads_removed += other.reads_removed;
        self.holds_released
            .extend(other.holds_released.iter().cloned());
        self.hotlist_expired
            .extend(other.hotlist_expired.iter().cloned());
        self.payload_months_shredded
            .extend(other.payload_months_shredded.iter().cloned());
        self.certificates.extend(other.certificates.iter().copied());
    }
}

/// Where an interrupted expiry stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stage {
    /// The intent is audited; keys and data may still exist.
    Intent,
    /// The key record is deleted; the column family may still exist.
    KeysDestroyed,
    /// Key and column family are gone; the purge and the certificate remain.
    Dropped,
}

/// The journal record of one epoch's expiry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    stage: Stage,
    reads: u64,
    intent_seq: u64,
    digests: DeletionDigests,
    /// The epoch's SST files when it was dropped.
    #[serde(default)]
    files: Vec<String>,
}

fn journal_key(name: &str) -> Vec<u8> {
    [b"expiry/".as_slice(), name.as_bytes()].concat()
}

/// Named points where tests inject a crash.
pub(crate) mod points {
    pub const AFTER_INTENT: &str = "expiry:after-intent";
    pub const AFTER_KEYS_DESTROYED: &str = "expiry:after-keys-destroyed";
    pub const AFTER_DROP: &str = "expiry:after-drop";
    pub const AFTER_PURGE: &str = "expiry:after-purge";
}

/// Runs expiry now: resumes interrupted expiries, then expires every epoch past retention
/// and releases holds past their end date.
pub(crate) fn run(core: &Core) -> Result<ExpiryReport> {
    // A run that panicked left the journal consistent (every step is durable before the
    // next), so a poisoned lock is simply taken over.
    let _one_at_a_time = core
        .expiry
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut report = ExpiryReport::default();
    let now = core.clock.now();
    let horizon = now.minus(core.policy().retention());
    let mut due: Vec<Epoch> = known_epochs(core)?
        .into_iter()
        .filter(|e| e.end() <= horizon)
        .collect();
    for name in journaled(core)? {
        if let Ok(e) = Epoch::from_name(&name, core.width)
            && !due.contains(&e)
        {
            due.push(e);
        }
    }
    due.sort();
    for epoch in due {
        let (reads, seq) = expire_epoch(core, epoch, now)?;
        report.expired_epochs.push(epoch.name());
        report.reads_removed += reads;
        report.certificates.push(seq);
    }
    for h in crate::engine::hold::release_expired(core, now)? {
        report.holds_released.push(h.case);
    }
    report.hotlist_expired = crate::engine::hotlist::expire_entries(core, now)?;
    report.payload_months_shredded = shred_payloads(core, now)?;
    core.set_next_expiry(next_due(core)?);
    Ok(report)
}

/// Runs expiry if the clock has reached the next moment it has work to do (cheap otherwise).
pub(crate) fn run_if_due(core: &Core) -> Result<Option<ExpiryReport>> {
    if core.expiry_due(core.clock.now()) {
        run(core).map(Some)
    } else {
        Ok(None)
    }
}

/// The next moment expiry will have work: the oldest epoch leaving retention or a hold
/// reaching its end date.
fn next_due(core: &Core) -> Result<Timestamp> {
    let retention = core.policy().retention();
    let mut next = Timestamp::from_micros(i64::MAX);
    if let Some(oldest) = known_epochs(core)?.first() {
        next = next.min(oldest.end().plus(retention));
    }
    for h in crate::engine::hold::list(core)? {
        next = next.min(h.until);
    }
    if let Some(t) = crate::engine::hotlist::next_expiry(core)? {
        next = next.min(t);
    }
    let payload_retention = core.policy().audit_payload_retention();
    if let Some(month) = payload_months(core)?.first() {
        next = next.min(month_bounds(month)?.1.plus(payload_retention));
    }
    Ok(next)
}

/// Months that have an audit payload key, oldest first.
fn payload_months(core: &Core) -> Result<Vec<String>> {
    let prefix = format!("{LABEL_AUDIT_PAYLOAD}/");
    let mut out = Vec::new();
    core.store.scan_prefix(CF_KEYS, prefix.as_bytes(), |k, _| {
        if let Ok(month) = std::str::from_utf8(&k[prefix.len()..]) {
            out.push(month.to_string());
        }
        Ok(true)
    })?;
    Ok(out)
}

/// The first instant of a month (`YYYY-MM`) and of the month after it.
fn month_bounds(month: &str) -> Result<(Timestamp, Timestamp)> {
    let bad = || Error::Damaged(format!("an audit payload key names the month {month:?}"));
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(1..=12).contains(&m) {
        return Err(bad());
    }
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let start =
        Timestamp::parse_rfc3339(&format!("{y:04}-{m:02}-01T00:00:00Z")).map_err(|_| bad())?;
    let end =
        Timestamp::parse_rfc3339(&format!("{ny:04}-{nm:02}-01T00:00:00Z")).map_err(|_| bad())?;
    Ok((start, end))
}

/// The first sequence number whose entry is dated at or after `t` (entries are in time order).
fn first_seq_at(core: &Core, t: Timestamp) -> Result<u64> {
    let (mut lo, mut hi) = (0u64, core.audit()?.size());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if crate::audit::log::read_entry(&core.store, mid)?.time < t {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// Crypto-shreds the audit payloads of every month whose retention has ended: the month's
/// key is deleted (and purged from the files), its payload records deleted, and a
/// `payload_shred` entry appended. The entries themselves, and every proof, stay valid:
/// they commit to the payloads by hash only.
fn shred_payloads(core: &Core, now: Timestamp) -> Result<Vec<String>> {
    let retention = core.policy().audit_payload_retention();
    let mut shredded = Vec::new();
    for month in payload_months(core)? {
        let (start, end) = month_bounds(&month)?;
        if end.plus(retention) > now {
            continue;
        }
        let (first, last) = (first_seq_at(core, start)?, first_seq_at(core, end)?);
        let label = crate::store::layout::payload_key_label(&month);
        let mut entry = Entry::new(EntryKind::PayloadShred);
        entry.note = Some(month.clone());
        entry.from = Some(start);
        entry.to = Some(end);
        // What a verifier will look for: the month's wrapped key and sampled payloads.
        entry.deletion = Some(crate::engine::digests::payload_month(
            &core.store,
            &label,
            first,
            last,
        )?);
        let _key_writes = core
            .key_writes
            .read()
            .map_err(|_| Error::Poisoned { lock: "key_writes" })?;
        core.audit()?
            .append_with(&core.store, now, vec![Pending::plain(entry)], |batch, _| {
                batch.delete(CF_KEYS, label.as_bytes())?;
                batch.delete_range(
                    crate::store::layout::CF_AUDIT,
                    &crate::audit::log::payload_key(first),
                    &crate::audit::log::payload_key(last),
                )?;
                batch.mark_purge(&[CF_KEYS, crate::store::layout::CF_AUDIT])
            })?;
        core.forget_payload_key(&month);
        shredded.push(month);
    }
    if !shredded.is_empty() {
        // The month's key is what shreds its payloads; the sealed payloads go too.
        core.store
            .purge(&[CF_KEYS, crate::store::layout::CF_AUDIT])?;
    }
    Ok(shredded)
}

/// Every epoch the store knows: by column family or by wrapped key.
fn known_epochs(core: &Core) -> Result<Vec<Epoch>> {
    let mut out = core.live_epochs();
    core.store.scan_prefix(CF_KEYS, b"epoch/", |k, _| {
        if let Some(name) = std::str::from_utf8(&k[6..]).ok()
            && let Ok(e) = Epoch::from_name(name, core.width)
            && !out.contains(&e)
        {
            out.push(e);
        }
        Ok(true)
    })?;
    out.sort();
    Ok(out)
}

/// Epoch names with an unfinished expiry.
fn journaled(core: &Core) -> Result<Vec<String>> {
    let mut out = Vec::new();
    core.store.scan_prefix(CF_META, b"expiry/", |k, _| {
        if let Ok(name) = std::str::from_utf8(&k[7..]) {
            out.push(name.to_string());
        }
        Ok(true)
    })?;
    Ok(out)
}

fn read_journal(core: &Core, name: &str) -> Result<Option<Journal>> {
    match core.store.get(CF_META, &journal_key(name))? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| Error::Damaged(format!("expiry journal of {name}: {e}"))),
    }
}

fn journal_bytes(j: &Journal) -> Result<Vec<u8>> {
    serde_json::to_vec(j).map_err(|e| Error::Internal(format!("cannot encode a journal: {e}")))
}

/// Expires one epoch from wherever its journal says it stopped. Returns (reads, certificate seq).
fn expire_epoch(core: &Core, epoch: Epoch, now: Timestamp) -> Result<(u64, u64)> {
    let name = epoch.name();
    let cf = layout::epoch_cf(epoch);
    let key_label = layout::epoch_key_label(&name);
    let mut journal = match read_journal(core, &name)? {
        Some(j) => j,
        None => {
            // 1. Intent: count, digests, audit entry and journal in one batch.
            let reads = read_count(core, &name)?;
            let digests = crate::engine::digests::epoch(&core.store, &cf, &key_label)?;
            let mut entry = Entry::new(EntryKind::ExpiryIntent);
            entry.epoch = Some(name.clone());
            entry.results = Some(reads);
            let mut journal = Journal {
                stage: Stage::Intent,
                reads,
                intent_seq: 0,
                digests,
                files: Vec::new(),
            };
            let seqs = core.audit()?.append_with(
                &core.store,
                now,
                vec![Pending::plain(entry)],
                |batch, seqs| {
                    journal.intent_seq = seqs.first().copied().unwrap_or(0);
                    batch.put(CF_META, &journal_key(&name), &journal_bytes(&journal)?)?;
                    Ok(())
                },
            )?;
            journal.intent_seq = seqs.first().copied().unwrap_or(0);
            core.fault(points::AFTER_INTENT)?;
            journal
        }
    };

    if journal.stage == Stage::Intent {
        // 2. Destroy the keys (and the read counter), durably, before touching the data. No
        // rotation may be re-wrapping keys meanwhile (it would write this one back).
        let mut next = journal.clone();
        next.stage = Stage::KeysDestroyed;
        {
            let _key_writes = core
                .key_writes
                .read()
                .map_err(|_| Error::Poisoned { lock: "key_writes" })?;
            let mut batch = core.store.batch();
            batch.delete(CF_KEYS, key_label.as_bytes())?;
            batch.delete(CF_META, &layout::meta_count_key(&name))?;
            batch.put(CF_META, &journal_key(&name), &journal_bytes(&next)?)?;
            core.store.write(batch, crate::store::Durability::Sync)?;
        }
        core.forget_epoch_keys(epoch);
        // Taken only after `key_writes` is released: ingest takes the ingest lock first and
        // `key_writes` second, so holding both the other way round could deadlock.
        if let Ok(mut state) = core.ingest.lock() {
            state.counts.remove(&name);
        }
        journal = next;
        core.fault(points::AFTER_KEYS_DESTROYED)?;
    }

    if journal.stage == Stage::KeysDestroyed {
        // 3. Remove the data: drop the column family while no lookup or ingest holds it.
        {
            let _guard = core
                .epochs
                .write()
                .map_err(|_| Error::Poisoned { lock: "epochs" })?;
            journal.files = core.store.cf_file_names(&cf)?;
            core.store.drop_cf(&cf)?;
        }
        let mut next = journal.clone();
        next.stage = Stage::Dropped;
        let mut batch = core.store.batch();
        batch.put(CF_META, &journal_key(&name), &journal_bytes(&next)?)?;
        core.store.write(batch, crate::store::Durability::Sync)?;
        journal = next;
        core.fault(points::AFTER_DROP)?;
    }

    // 4. Purge: retire the WALs, compact the key record's tombstone away, and check that
    // the epoch's SST files left the directory (RocksDB no longer lists a dropped family's
    // files, so the names were taken before the drop).
    core.store.flush_all()?;
    core.store.compact_fully(CF_KEYS)?;
    let db_dir = core.store.path();
    let leftovers: Vec<&String> = journal
        .files
        .iter()
        .filter(|f| db_dir.join(f.trim_start_matches('/')).exists())
        .collect();
    if !leftovers.is_empty() {
        return Err(Error::Internal(format!(
            "epoch {name} was dropped but its files {leftovers:?} are still on disk; expiry will retry"
        )));
    }
    core.fault(points::AFTER_PURGE)?;

    // 5. Certificate and end of the journal, in one batch.
    let mut entry = Entry::new(EntryKind::DeletionCertificate);
    entry.epoch = Some(name.clone());
    entry.results = Some(journal.reads);
    entry.result_of = Some(journal.intent_seq);
    entry.deletion = Some(journal.digests.clone());
    let seqs = core.audit()?.append_with(
        &core.store,
        core.clock.now(),
        vec![Pending::plain(entry)],
        |batch, _| batch.delete(CF_META, &journal_key(&name)),
    )?;
    Ok((journal.reads, seqs.first().copied().unwrap_or(0)))
}
