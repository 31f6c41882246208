//! Case-tied hotlists: alerts at ingest, without plaintext plates or open-ended watching.
//!
//! A hotlist entry is a plate tied to a case, an allowed offense, a requester and an
//! authorised agency; adding one passes the same policy gate as a search (same denial
//! reasons, one `hotlist_add` audit entry either way) plus a mandatory expiry no further
//! ahead than the policy's `hotlist_max_days`. Entries are stored sealed under the store's
//! hotlist key (never a plaintext plate on disk) in the `hotlist` column family:
//!
//! ```text
//! E entry-id:16B      sealed entry (plate, region, case, offense, agency, requester, expiry)
//! N entry-id:16B      u64 BE hit count
//! ```
//!
//! Matching happens at ingest against keyed hashes only: the live entries are read from the
//! store once, and for each epoch their plates are hashed once under that epoch's hash key
//! into an in-memory index ([`index`]), kept up to date as entries are added and removed, so
//! a read costs one probe of a small table with the tag ingest computes anyway. A match
//! raises an alert: its read id, time and camera go into the sealed payload of a
//! `hotlist_alert` audit entry (so the audit log holds no plaintext place or time), the
//! matched read is placed on hold for the entry's case (and nothing else is), and both land
//! in the same synced batch as the read itself. Entries expire by themselves and can be
//! removed early; both are audited, one audit entry per entry, in batches of
//! [`REMOVE_BATCH`].

pub(crate) mod alert;
pub(crate) mod index;

pub use alert::Alert;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::audit::entry::{Entry, EntryKind};
use crate::audit::log::{AuditLog, Pending};
use crate::core::Core;
use crate::epoch::{Epoch, Timestamp};
use crate::error::{Error, Result};
use crate::gate::{Decided, RequestKind, decide_and_audit};
use crate::hold::ReleaseBy;
use crate::keys::{EpochKeys, LABEL_HOTLIST};
use crate::plate::{Plate, Region};
use crate::policy::{CaseRequest, Decision};
use crate::seal::{Binding, SealKey, fast_random};
use crate::store::layout::CF_HOTLIST;
use index::{EpochIndex, HotlistIndex, Listing, LiveEntry};

/// A hotlist entry as `hotlist list` shows it: no plate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HotlistEntryInfo {
    /// The entry's id (hex).
    pub entry_id: String,
    /// The case it serves.
    pub case: String,
    /// The offense code.
    pub offense: String,
    /// The agency that asked.
    pub agency: String,
    /// Who asked.
    pub requester: String,
    /// When it stops matching.
    pub expires: Timestamp,
    /// When it was added.
    pub created_at: Timestamp,
    /// Reads it has matched.
    pub hits: u64,
    /// The `hotlist_add` audit entry that allowed it.
    pub audit_seq: u64,
}

/// What a `hotlist add` did.
#[derive(Clone, Debug)]
pub struct HotlistOutcome {
    /// The decision entry's sequence number.
    pub audit_seq: u64,
    /// The policy's decision.
    pub decision: Decision,
    /// The entry added or renewed (allowed requests only).
    pub entry: Option<HotlistEntryInfo>,
    /// True when the request renewed a live entry (same plate, region, case and agency)
    /// instead of adding one: same entry id, the new expiry, hit count kept.
    pub renewed: bool,
}

impl HotlistOutcome {
    /// `allowed`, or the denial's stable reason code.
    pub fn reason_code(&self) -> &'static str {
        match &self.decision {
            Decision::Allowed(_) => "allowed",
            Decision::Denied(d) => d.code(),
        }
    }
}

/// The sealed content of an entry. Its plate is zeroized on drop.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredEntry {
    plate: String,
    region: String,
    case: String,
    offense: String,
    agency: String,
    requester: String,
    expires: Timestamp,
    created_at: Timestamp,
    audit_seq: u64,
}

impl Drop for StoredEntry {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.plate);
    }
}

/// What ingest needs of a matched entry.
#[derive(Clone, Debug)]
pub(crate) struct EntryRef {
    pub id: [u8; 16],
    pub case: String,
    pub audit_seq: u64,
    pub expires: Timestamp,
}

fn entry_key(id: &[u8; 16]) -> Vec<u8> {
    [b"E".as_slice(), id].concat()
}

fn hits_key(id: &[u8; 16]) -> Vec<u8> {
    [b"N".as_slice(), id].concat()
}

fn sealing_key(core: &Core) -> Result<SealKey> {
    let secret = core.long_lived_key(LABEL_HOTLIST)?;
    Ok(SealKey::from_bytes(secret.expose()))
}

fn binding(id: &[u8; 16]) -> Vec<u8> {
    Binding::Other {
        domain: "hotlist",
        id,
    }
    .aad()
}

fn parse_id(text: &str) -> Option<[u8; 16]> {
    let mut id = [0u8; 16];
    hex::decode_to_slice(text.trim(), &mut id).ok()?;
    Some(id)
}

/// Every stored entry, opened.
fn load(core: &Core) -> Result<Vec<([u8; 16], StoredEntry)>> {
    let key = sealing_key(core)?;
    let mut out = Vec::new();
    core.store.scan_prefix(CF_HOTLIST, b"E", |k, v| {
        let id: [u8; 16] = k
            .get(1..17)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::Damaged("a hotlist key is malformed".into()))?;
        out.push((id, open_entry(&key, &id, v)?));
        Ok(true)
    })?;
    Ok(out)
}

/// One stored entry, opened; None when there is no such entry.
fn get(core: &Core, id: &[u8; 16]) -> Result<Option<StoredEntry>> {
    let Some(sealed) = core.store.get(CF_HOTLIST, &entry_key(id))? else {
        return Ok(None);
    };
    open_entry(&sealing_key(core)?, id, &sealed).map(Some)
}

fn open_entry(key: &SealKey, id: &[u8; 16], sealed: &[u8]) -> Result<StoredEntry> {
    let damaged = |e: &dyn std::fmt::Display| {
        Error::Damaged(format!("hotlist entry {}: {e}", hex::encode(id)))
    };
    let plain = zeroize::Zeroizing::new(key.open(&binding(id), sealed).map_err(|e| damaged(&e))?);
    serde_json::from_slice(&plain).map_err(|e| damaged(&e))
}

/// What matching needs of a stored entry.
fn live_entry(id: [u8; 16], e: &StoredEntry) -> Result<LiveEntry> {
    let (Ok(plate), Ok(region)) = (Plate::parse(&e.plate), Region::parse(&e.region)) else {
        return Err(Error::Damaged(format!(
            "hotlist entry {} holds an invalid plate or region",
            hex::encode(id)
        )));
    };
    Ok(LiveEntry {
        id,
        plate,
        region,
        case: e.case.clone(),
        agency: e.agency.clone(),
        expires: e.expires,
        audit_seq: e.audit_seq,
    })
}

/// Every live entry, from the in-memory index (read from the store on its first use).
fn live(core: &Core) -> Result<Arc<Vec<LiveEntry>>> {
    index_lock(core)?.entries(|| load_live(core))
}

fn load_live(core: &Core) -> Result<Vec<LiveEntry>> {
    load(core)?
        .into_iter()
        .map(|(id, e)| live_entry(id, &e))
        .collect()
}

fn changes_lock(core: &Core) -> Result<std::sync::MutexGuard<'_, ()>> {
    core.hotlist_changes
        .lock()
        .map_err(|_| Error::Internal("hotlist lock poisoned".into()))
}

fn ingest_lock(core: &Core) -> Result<std::sync::MutexGuard<'_, crate::core::IngestState>> {
    core.ingest
        .lock()
        .map_err(|_| Error::Internal("ingest lock poisoned".into()))
}

fn index_lock(core: &Core) -> Result<std::sync::MutexGuard<'_, HotlistIndex>> {
    core.hotlist
        .lock()
        .map_err(|_| Error::Internal("hotlist lock poisoned".into()))
}

fn hits(core: &Core, id: &[u8; 16]) -> Result<u64> {
    match core.store.get(CF_HOTLIST, &hits_key(id))? {
        None => Ok(0),
        Some(b) => Ok(u64::from_be_bytes(b.as_slice().try_into().map_err(
            |_| Error::Damaged("a hotlist hit count is not 8 bytes".into()),
        )?)),
    }
}

fn info(core: &Core, id: &[u8; 16], e: &StoredEntry) -> Result<HotlistEntryInfo> {
    Ok(HotlistEntryInfo {
        entry_id: hex::encode(id),
        case: e.case.clone(),
        offense: e.offense.clone(),
        agency: e.agency.clone(),
        requester: e.requester.clone(),
        expires: e.expires,
        created_at: e.created_at,
        hits: hits(core, id)?,
        audit_seq: e.audit_seq,
    })
}

/// Adds an entry: decided and audited like a search, with an expiry the policy allows.
pub(crate) fn add(core: &Core, req: &CaseRequest, expires: Timestamp) -> Result<HotlistOutcome> {
    let mut id = [0u8; 16];
    fast_random(&mut id)?;
    // One change to the list at a time: a renewal must find the entry it renews.
    let _changes = changes_lock(core)?;
    // The same plate, region, case and agency already listed: this renews that entry (same
    // id, new expiry, a new audit entry) rather than listing the plate twice, which would
    // raise two alerts per read. A plate or region that does not parse is refused below.
    let agency = crate::policy::canonical_id(&req.agency);
    let renews = match (Plate::parse(&req.plate), Region::parse(&req.region)) {
        (Ok(plate), Ok(region)) => index_lock(core)?.find_same(
            Listing {
                plate: &plate,
                region: &region,
                case: req.case_number.trim(),
                agency: &agency,
            },
            core.clock.now(),
            || load_live(core),
        )?,
        _ => None,
    };
    if let Some(existing) = renews {
        id = existing;
    }
    let id_hex = hex::encode(id);
    let Decided {
        audit_seq,
        decision,
    } = decide_and_audit(
        core,
        RequestKind::Hotlist,
        req,
        Some(expires),
        Some(&id_hex),
        |policy, now| policy.check_hotlist_expiry(now, expires).err(),
    )?;
    let Decision::Allowed(grant) = &decision else {
        return Ok(HotlistOutcome {
            audit_seq,
            decision,
            entry: None,
            renewed: false,
        });
    };
    let created_at = match renews {
        Some(id) => get(core, &id)?.map(|e| e.created_at),
        None => None,
    };
    let stored = StoredEntry {
        plate: grant.plate().expose().to_string(),
        region: grant.region().as_str().to_string(),
        case: req.case_number.trim().to_string(),
        offense: grant.offense().to_string(),
        agency,
        requester: req.requester.trim().to_string(),
        expires,
        created_at: created_at.unwrap_or_else(|| core.clock.now()),
        audit_seq,
    };
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(&stored).map_err(|e| Error::Internal(e.to_string()))?,
    );
    let sealed = sealing_key(core)?.seal(&binding(&id), &plain)?;
    let live = live_entry(id, &stored)?;
    let mut batch = core.store.batch();
    batch.put(CF_HOTLIST, &entry_key(&id), &sealed)?;
    if renews.is_none() {
        batch.put(CF_HOTLIST, &hits_key(&id), &0u64.to_be_bytes())?;
    }
    {
        // Stored and indexed while no ingest runs (an ingest matches against the index as
        // it was when it started, so it must not straddle the change) and under the index's
        // lock (so that a first use reading the entries from the store cannot see this one
        // and then have it added again).
        let _ingest = ingest_lock(core)?;
        let mut index = index_lock(core)?;
        core.store.write(batch, crate::store::Durability::Sync)?;
        if renews.is_some() {
            index.renew(live);
        } else {
            index.insert(live);
        }
    }
    core.note_expiry_candidate(expires);
    Ok(HotlistOutcome {
        audit_seq,
        entry: Some(info(core, &id, &stored)?),
        decision,
        renewed: renews.is_some(),
    })
}

/// Every entry, without plates.
pub(crate) fn list(core: &Core) -> Result<Vec<HotlistEntryInfo>> {
    let mut out = load(core)?
        .iter()
        .map(|(id, e)| info(core, id, e))
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| (a.created_at, &a.entry_id).cmp(&(b.created_at, &b.entry_id)));
    Ok(out)
}

/// How many entries one removal batch writes (each with its audit entry); expiry removes
/// any number of entries in batches of this size.
const REMOVE_BATCH: usize = 1_000;

/// Removes entries (early, or at their expiry), one audit entry each; then compacts so no
/// file keeps them. With `expired_at`, an entry is removed only if it expired by then (it may
/// have been renewed since it was picked). Returns the ids that were removed.
fn remove_entries(
    core: &Core,
    ids: &[[u8; 16]],
    by: &ReleaseBy,
    kind: EntryKind,
    expired_at: Option<Timestamp>,
) -> Result<Vec<[u8; 16]>> {
    // One change to the list at a time: what is read here is still so when it is written.
    let _changes = changes_lock(core)?;
    let mut removed = Vec::new();
    for chunk in ids.chunks(REMOVE_BATCH) {
        let mut found = Vec::with_capacity(chunk.len());
        let mut pending = Vec::with_capacity(chunk.len());
        for id in chunk {
            let Some(stored) = get(core, id)? else {
                continue;
            };
            if expired_at.is_some_and(|at| stored.expires > at) {
                continue;
            }
            let plate = Plate::parse(&stored.plate).ok();
            let mut entry = Entry::new(kind);
            entry.entry_id = Some(hex::encode(id));
            entry.case = Some(crate::gate::screen(&stored.case, plate.as_ref()));
            entry.offense = Some(stored.offense.clone());
            by.stamp(&mut entry, plate.as_ref());
            entry.results = Some(hits(core, id)?);
            pending.push(Pending::plain(entry));
            found.push(*id);
        }
        if found.is_empty() {
            continue;
        }
        // Written while no ingest runs (so no alert for these entries lands after their
        // removal, and no hit count outlives them) and under the index's lock (see `add`).
        let _ingest = ingest_lock(core)?;
        let mut index = index_lock(core)?;
        core.audit()?
            .append_with(&core.store, core.clock.now(), pending, |batch, _| {
                for id in &found {
                    batch.delete(CF_HOTLIST, &entry_key(id))?;
                    batch.delete(CF_HOTLIST, &hits_key(id))?;
                }
                batch.mark_purge(&[CF_HOTLIST])
            })?;
        index.remove(&found.iter().copied().collect());
        removed.extend(found);
    }
    if !removed.is_empty() {
        // Make the removal physical: retire the WAL that held the entries, compact their
        // SSTs away (resumed at the next open if this process dies first).
        core.store.purge(&[CF_HOTLIST])?;
    }
    Ok(removed)
}

/// Removes an entry early (audited). Returns false when there is no such entry.
pub(crate) fn remove(core: &Core, entry_id: &str, by: &ReleaseBy) -> Result<bool> {
    let id = parse_id(entry_id).ok_or_else(|| {
        Error::InvalidArgument("an entry id is 32 hex characters (see `hotlist list`)".into())
    })?;
    Ok(!remove_entries(core, &[id], by, EntryKind::HotlistRemove, None)?.is_empty())
}

/// Removes every entry past its expiry (run by expiry). Returns their ids.
pub(crate) fn expire_entries(core: &Core, now: Timestamp) -> Result<Vec<String>> {
    let expired: Vec<[u8; 16]> = live(core)?
        .iter()
        .filter(|e| e.expires <= now)
        .map(|e| e.id)
        .collect();
    let removed = remove_entries(
        core,
        &expired,
        &ReleaseBy::default(),
        EntryKind::HotlistExpired,
        Some(now),
    )?;
    Ok(removed.iter().map(hex::encode).collect())
}

/// The earliest expiry of a live entry, if any.
pub(crate) fn next_expiry(core: &Core) -> Result<Option<Timestamp>> {
    Ok(live(core)?.iter().map(|e| e.expires).min())
}

/// The matching index of an epoch (built on its first use, kept up to date after).
pub(crate) fn index_for(core: &Core, epoch: Epoch, keys: &EpochKeys) -> Result<Option<EpochIndex>> {
    index_lock(core)?.for_epoch(epoch, keys, || load_live(core))
}

/// Every alert so far (from the audit log), optionally since a time; needs the master key
/// to open the alerts' sealed payloads.
pub(crate) fn alerts_since(core: &Core, since: Option<Timestamp>) -> Result<Vec<Alert>> {
    let mut out = Vec::new();
    let mut seqs = Vec::new();
    crate::audit::log::for_each_entry_bytes(&core.store, |seq, bytes| {
        // Cheap pre-filter on the canonical bytes before decoding.
        if bytes.windows(13).any(|w| w == b"hotlist_alert") {
            seqs.push(seq);
        }
        Ok(())
    })?;
    for seq in seqs {
        let entry = crate::audit::log::read_entry(&core.store, seq)?;
        if entry.kind != EntryKind::HotlistAlert {
            continue;
        }
        let mut alert = match AuditLog::open_payload(&core.store, seq, |month| {
            core.existing_payload_key(month)
        })? {
            Some(text) => serde_json::from_str::<Alert>(&text)
                .map_err(|e| Error::Damaged(format!("alert {seq}: {e}")))?,
            // Its month's payloads were shredded: the alert is still listed, without details.
            None => Alert {
                read_id: String::new(),
                case: entry.case.clone().unwrap_or_default(),
                captured_at: entry.time,
                camera: String::new(),
                entry_id: entry.entry_id.clone().unwrap_or_default(),
                audit_seq: seq,
                details_shredded: true,
            },
        };
        alert.audit_seq = seq;
        if since.is_none_or(|s| alert.captured_at >= s) {
            out.push(alert);
        }
    }
    Ok(out)
}

/// The audit entry of an alert; its details go into the sealed payload.
pub(crate) fn alert_pending(
    core: &Core,
    alert: &Alert,
    entry_audit_seq: u64,
    now: Timestamp,
) -> Result<Pending> {
    let mut entry = Entry::new(EntryKind::HotlistAlert);
    entry.case = Some(alert.case.clone());
    entry.entry_id = Some(alert.entry_id.clone());
    entry.result_of = Some(entry_audit_seq);
    let text = serde_json::to_string(alert).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Pending {
        entry,
        payload: Some(core.payload_text(text, now)?),
        fingerprint: None,
    })
}

/// The hit-count key of an entry, for ingest's batch.
pub(crate) fn hits_key_of(id: &[u8; 16]) -> Vec<u8> {
    hits_key(id)
}

/// An entry's current hit count.
pub(crate) fn hit_count(core: &Core, id: &[u8; 16]) -> Result<u64> {
    hits(core, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MasterKey, Policy, Vault, VaultOptions};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("time")
    }

    #[test]
    fn expiry_removes_only_what_is_still_expired_when_it_writes() {
        // Expiry picks the expired ids first and removes them afterwards; an entry renewed
        // in between must stay.
        let dir = tempfile::tempdir().expect("tempdir");
        let v = Vault::create(
            &dir.path().join("store"),
            &MasterKey::generate().expect("key"),
            &Policy::default_policy(),
            &VaultOptions::new().simulated_clock(t("2026-11-01T00:00:00Z")),
        )
        .expect("create");
        let request = CaseRequest {
            plate: "REN0002".into(),
            region: "CO".into(),
            case_number: "2026-000701".into(),
            offense: "STOLEN_VEHICLE".into(),
            purpose: "stolen-vehicle".into(),
            requester: "DET-7".into(),
            agency: "CITY-PD".into(),
            ..CaseRequest::default()
        };
        let entry = v
            .hotlist_add(&request, t("2026-11-10T00:00:00Z"))
            .expect("add")
            .entry
            .expect("allowed");
        let id = parse_id(&entry.entry_id).expect("id");
        let expire = |at: &str| {
            remove_entries(
                v.core(),
                &[id],
                &ReleaseBy::default(),
                EntryKind::HotlistExpired,
                Some(t(at)),
            )
            .expect("remove")
        };
        assert!(expire("2026-11-09T23:59:59Z").is_empty(), "not expired yet");
        assert_eq!(v.hotlist().expect("list").len(), 1);
        assert_eq!(expire("2026-11-10T00:00:00Z"), vec![id]);
        assert!(v.hotlist().expect("list").is_empty());
    }
}
