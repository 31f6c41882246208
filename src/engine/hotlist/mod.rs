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
//! raises an alert: a `hotlist_alert` audit entry whose sealed payload names the read id,
//! case, agency, entry and the read's epoch, with the read's time and camera sealed again
//! under that epoch's data key (so they die with the read's epoch, not with the audit
//! payload three years later); the matched read is placed on hold for the entry's agency
//! and case (and nothing else is); all of it lands in the same synced batch as the read.
//!
//! Alerts are read back only through the gate (`alerts`): one agency's alerts for one case,
//! decided and audited (`alerts`, then `alerts_result`) before any alert's details are
//! opened, and never an alert whose read retention has destroyed unless that agency's hold on
//! the case still keeps the read. Entries expire by themselves and can be removed early by
//! the agency that placed them (`remove_request`, decided and audited before anything is
//! destroyed); both are audited, one audit entry per entry, in batches of [`REMOVE_BATCH`].

pub(crate) mod alert;
pub(crate) mod index;

pub use alert::Alert;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::audit::entry::{Entry, EntryKind, Verdict};
use crate::audit::log::{AuditLog, Pending};
use crate::crypto::keys::{EpochKeys, LABEL_HOTLIST};
use crate::crypto::seal::{Binding, ReadId, SealKey, fast_random};
use crate::engine::gate::{
    Decided, Ids, RequestKind, decide_and_audit, decide_with, recorded_case, recorded_warrant,
};
use crate::engine::hold::{check_no_role, stamp_decision};
use crate::engine::state::Core;
use crate::error::{Error, Result};
use crate::model::epoch::{Epoch, Timestamp};
use crate::model::plate::{Plate, Region};
use crate::policy::{AlertsGrant, AlertsRequest, CaseRequest, Decision, Denial, RemovalRequest};
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
    pub agency: String,
    pub offense: String,
    pub audit_seq: u64,
    pub expires: Timestamp,
}

/// What a `hotlist remove` request did.
#[derive(Clone, Debug)]
pub struct RemoveOutcome {
    /// The decision entry's sequence number (`hotlist_remove_request`).
    pub audit_seq: u64,
    /// Why it was refused (None when allowed).
    pub denial: Option<Denial>,
    /// True when the entry was removed (false when denied or when there was no such entry).
    pub removed: bool,
}

impl RemoveOutcome {
    /// True when the policy allowed the request.
    pub fn is_allowed(&self) -> bool {
        self.denial.is_none()
    }

    /// `allowed`, or the denial's stable reason code.
    pub fn reason_code(&self) -> &'static str {
        self.denial.as_ref().map_or("allowed", Denial::code)
    }
}

/// What an alerts request did.
#[derive(Clone, Debug)]
pub struct AlertsOutcome {
    /// The decision entry's sequence number (`alerts`).
    pub audit_seq: u64,
    /// Why it was refused (None when allowed).
    pub denial: Option<Denial>,
    /// The alerts (empty when denied), oldest read first.
    pub alerts: Vec<Alert>,
    /// The result entry's sequence number (allowed requests only).
    pub result_seq: Option<u64>,
    /// When an age tier withheld alerts of older reads for want of a warrant: the instant
    /// before which they were withheld.
    pub withheld_before: Option<Timestamp>,
}

impl AlertsOutcome {
    /// True when the policy allowed the request.
    pub fn is_allowed(&self) -> bool {
        self.denial.is_none()
    }

    /// `allowed`, or the denial's stable reason code.
    pub fn reason_code(&self) -> &'static str {
        self.denial.as_ref().map_or("allowed", Denial::code)
    }
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
        offense: e.offense.clone(),
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
        .map_err(|_| Error::Poisoned { lock: "hotlist" })
}

fn ingest_lock(
    core: &Core,
) -> Result<std::sync::MutexGuard<'_, crate::engine::state::IngestState>> {
    core.ingest
        .lock()
        .map_err(|_| Error::Poisoned { lock: "ingest" })
}

fn index_lock(core: &Core) -> Result<std::sync::MutexGuard<'_, HotlistIndex>> {
    core.hotlist
        .lock()
        .map_err(|_| Error::Poisoned { lock: "hotlist" })
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
        false,
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
/// have been renewed since it was picked). `by` names who acted (a request, whose decision
/// entry is `result_of`); without it the entry names the entry's own agency. Returns the ids
/// that were removed.
fn remove_entries(
    core: &Core,
    ids: &[[u8; 16]],
    by: Option<&Ids>,
    kind: EntryKind,
    expired_at: Option<Timestamp>,
    result_of: Option<u64>,
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
            entry.case = Some(crate::engine::gate::screen(&stored.case, plate.as_ref()));
            entry.offense = Some(stored.offense.clone());
            match by {
                Some(ids) => {
                    entry.requester = Some(ids.requester.clone());
                    entry.agency = Some(ids.agency.clone());
                }
                None => {
                    entry.agency =
                        Some(crate::engine::gate::screen(&stored.agency, plate.as_ref()));
                }
            }
            entry.result_of = result_of;
            entry.results = Some(hits(core, id)?);
            entry.deletion = Some(crate::engine::digests::hotlist_entry(
                &core.store,
                &entry_key(id),
            )?);
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

/// Removes an entry early, if the policy allows: the request is decided (only the agency
/// that placed the entry may remove it) and its `hotlist_remove_request` entry made durable
/// before anything is destroyed. A malformed id is an error (nothing to decide).
pub(crate) fn remove_request(
    core: &Core,
    entry_id: &str,
    req: &RemovalRequest,
) -> Result<RemoveOutcome> {
    check_no_role(req)?;
    let id = parse_id(entry_id).ok_or_else(|| {
        Error::InvalidArgument("an entry id is 32 hex characters (see `hotlist list`)".into())
    })?;
    let (owner, case, offense, ids) = {
        let stored = get(core, &id)?;
        let plate = stored.as_ref().and_then(|e| Plate::parse(&e.plate).ok());
        (
            stored.as_ref().map(|e| e.agency.clone()),
            stored
                .as_ref()
                .map(|e| crate::engine::gate::screen(&e.case, plate.as_ref())),
            stored.as_ref().map(|e| e.offense.clone()),
            // Screened for the entry's plate: a plate typed as an id never reaches the log.
            Ids::of(&req.agency, &req.requester, plate.as_ref()),
        )
    };
    let (audit_seq, denial) = decide_with(core, &ids, None, None, false, |policy, ctx| {
        let decision = policy.decide_removal(req, None, owner.as_deref(), ctx);
        let mut entry = Entry::new(EntryKind::HotlistRemoveRequest);
        entry.entry_id = Some(hex::encode(id));
        entry.case = case.clone();
        entry.offense = offense.clone();
        stamp_decision(&mut entry, &decision);
        (entry, decision.err())
    })?;
    let removed = denial.is_none()
        && owner.is_some()
        && !remove_entries(
            core,
            &[id],
            Some(&ids),
            EntryKind::HotlistRemove,
            None,
            Some(audit_seq),
        )?
        .is_empty();
    Ok(RemoveOutcome {
        audit_seq,
        denial,
        removed,
    })
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
        None,
        EntryKind::HotlistExpired,
        Some(now),
        None,
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

/// An alert's payload as stored since alerts are gated: who and what, with the read's time
/// and camera sealed under the read's epoch's data key, so that they are destroyed with the
/// epoch (expiry shreds that key) and not kept for the audit payload's own retention.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredAlert {
    /// Payload format: 2 (format 1 was the [`Alert`] itself, details in the payload).
    v: u8,
    read_id: String,
    case: String,
    agency: String,
    entry_id: String,
    /// The read's epoch (its name).
    epoch: String,
    /// Hex of [`AlertDetails`] sealed under the epoch's data key.
    details: String,
}

/// An alert's read details: what dies with the read's epoch.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertDetails {
    captured_at: Timestamp,
    camera: String,
}

/// The associated data an alert's details are sealed with: read, entry and epoch.
fn details_binding(read_id: &str, entry_id: &str, epoch: &str) -> Vec<u8> {
    let id = [
        read_id.as_bytes(),
        b"/",
        entry_id.as_bytes(),
        b"/",
        epoch.as_bytes(),
    ]
    .concat();
    Binding::Other {
        domain: "alert",
        id: &id,
    }
    .aad()
}

/// What an alert's payload gave back.
enum Opened {
    /// Read id, time and camera.
    Details(Alert),
    /// The read id only: the details were sealed under an epoch key that expiry destroyed.
    EpochGone(String),
    /// Nothing: the month's payloads were shredded.
    Shredded,
}

/// Opens the payload of a `hotlist_alert` entry (either format).
fn open_alert(core: &Core, entry: &Entry) -> Result<Opened> {
    let seq = entry.seq;
    let bad = |e: &dyn std::fmt::Display| Error::Damaged(format!("alert {seq}: {e}"));
    let Some(text) =
        AuditLog::open_payload(&core.store, seq, |month| core.existing_payload_key(month))?
    else {
        return Ok(Opened::Shredded);
    };
    let text = zeroize::Zeroizing::new(text);
    let Ok(stored) = serde_json::from_str::<StoredAlert>(&text) else {
        // Format 1 (stores made before alerts were gated): the details sit in the payload.
        let mut alert = serde_json::from_str::<Alert>(&text).map_err(|e| bad(&e))?;
        alert.audit_seq = seq;
        return Ok(Opened::Details(alert));
    };
    let epoch = Epoch::from_name(&stored.epoch, core.width).map_err(|e| bad(&e))?;
    let Some(keys) = core.epoch_keys(epoch)? else {
        return Ok(Opened::EpochGone(stored.read_id));
    };
    let sealed = hex::decode(&stored.details).map_err(|e| bad(&e))?;
    let plain = zeroize::Zeroizing::new(
        keys.data
            .open(
                &details_binding(&stored.read_id, &stored.entry_id, &stored.epoch),
                &sealed,
            )
            .map_err(|e| bad(&e))?,
    );
    let details: AlertDetails = serde_json::from_slice(&plain).map_err(|e| bad(&e))?;
    Ok(Opened::Details(Alert {
        read_id: stored.read_id,
        case: stored.case,
        captured_at: details.captured_at,
        camera: details.camera,
        entry_id: stored.entry_id,
        audit_seq: seq,
        details_shredded: false,
        agency: stored.agency,
        from_hold: false,
    }))
}

/// Lists one agency's hotlist alerts for one case, if the policy allows: the request is
/// decided and its `alerts` entry made durable before any alert's details are opened; then
/// only alerts of that agency's entries for that case are read, an alert whose read is past
/// retention is shown only if the agency's hold on the case still keeps the read (its details
/// then come from the held copy), and an `alerts_result` entry records how many were shown
/// (and how many of those through the hold).
pub(crate) fn alerts(core: &Core, req: &AlertsRequest) -> Result<AlertsOutcome> {
    let ids = Ids::of(&req.agency, &req.requester, None);
    let (audit_seq, decision) = decide_with(
        core,
        &ids,
        req.justification.as_deref(),
        None,
        false,
        |policy, ctx| {
            let decision = policy.decide_alerts(req, ctx);
            let mut entry = Entry::new(EntryKind::Alerts);
            entry.case = Some(recorded_case(policy, &req.case_number, None));
            entry.warrant = recorded_warrant(req.warrant.as_deref(), None);
            entry.from = req.since;
            match &decision {
                Ok(g) => {
                    entry.decision = Some(Verdict::Allowed);
                    entry.reason = Some("allowed".into());
                    entry.withheld_before = g.withheld_before();
                }
                Err(d) => {
                    entry.decision = Some(Verdict::Denied);
                    entry.reason = Some(d.code().into());
                }
            }
            (entry, decision)
        },
    )?;
    let grant = match decision {
        Ok(g) => g,
        Err(d) => {
            return Ok(AlertsOutcome {
                audit_seq,
                denial: Some(d),
                alerts: Vec::new(),
                result_seq: None,
                withheld_before: None,
            });
        }
    };
    let listed = collect_alerts(core, &grant);
    let mut entry = Entry::new(EntryKind::AlertsResult);
    entry.result_of = Some(audit_seq);
    match &listed {
        Ok(alerts) => {
            entry.results = Some(alerts.len() as u64);
            entry.held = Some(alerts.iter().filter(|a| a.from_hold).count() as u64);
        }
        Err(e) => {
            entry.results = Some(0);
            entry.note = Some(format!("listing failed: {e}"));
        }
    }
    let result_seq = core
        .audit()?
        .append(&core.store, core.clock.now(), Pending::plain(entry))?;
    Ok(AlertsOutcome {
        audit_seq,
        denial: None,
        alerts: listed?,
        result_seq: Some(result_seq),
        withheld_before: grant.withheld_before(),
    })
}

/// The alerts an allowed request may see (see [`alerts`]).
fn collect_alerts(core: &Core, grant: &AlertsGrant) -> Result<Vec<Alert>> {
    let policy = core.policy();
    let now = core.clock.now();
    // A read is invisible from `captured_at + retention` on.
    let horizon = now.minus(policy.retention());
    let shown = |at: Timestamp| {
        grant.since().is_none_or(|s| at >= s) && grant.withheld_before().is_none_or(|w| at >= w)
    };
    // The alert entries of this case whose hotlist entry this agency placed (the case and the
    // `hotlist_add` entry's agency and offense are in clear in the log: nothing is opened
    // to choose them).
    let mut seqs = Vec::new();
    crate::audit::log::for_each_entry_bytes(&core.store, |seq, bytes| {
        // Cheap pre-filter on the canonical bytes before decoding.
        if bytes.windows(13).any(|w| w == b"hotlist_alert") {
            seqs.push(seq);
        }
        Ok(())
    })?;
    let mut owners: std::collections::BTreeMap<u64, bool> = std::collections::BTreeMap::new();
    let mut mine = Vec::new();
    for seq in seqs {
        let entry = crate::audit::log::read_entry(&core.store, seq)?;
        if entry.kind != EntryKind::HotlistAlert || entry.case.as_deref() != Some(grant.case()) {
            continue;
        }
        let Some(added) = entry.result_of else {
            continue;
        };
        let ours = match owners.get(&added) {
            Some(b) => *b,
            None => {
                let add = crate::audit::log::read_entry(&core.store, added)?;
                let b = add.kind == EntryKind::HotlistAdd
                    && add.agency.as_deref() == Some(grant.agency())
                    && add.case.as_deref() == Some(grant.case())
                    && add
                        .offense
                        .as_deref()
                        .is_some_and(|o| policy.may_see_alerts_of(grant.agency(), o, now));
                owners.insert(added, b);
                b
            }
        };
        if ours {
            mine.push(entry);
        }
    }
    let mut out = Vec::new();
    // Alerts whose read is past retention (or whose epoch is gone): shown only through the
    // agency's hold on the case, if it still keeps the read.
    let mut past: Vec<(Entry, String)> = Vec::new();
    for entry in mine {
        match open_alert(core, &entry)? {
            Opened::Details(mut alert) => {
                if alert.captured_at > horizon {
                    if shown(alert.captured_at) {
                        alert.case = grant.case().to_string();
                        alert.agency = grant.agency().to_string();
                        out.push(alert);
                    }
                } else {
                    past.push((entry, alert.read_id));
                }
            }
            Opened::EpochGone(read_id) => past.push((entry, read_id)),
            Opened::Shredded => {
                // The month's payloads were shredded: only the alert's own time is left.
                if entry.time > horizon && shown(entry.time) {
                    out.push(Alert {
                        read_id: String::new(),
                        case: grant.case().to_string(),
                        captured_at: entry.time,
                        camera: String::new(),
                        entry_id: entry.entry_id.clone().unwrap_or_default(),
                        audit_seq: entry.seq,
                        details_shredded: true,
                        agency: grant.agency().to_string(),
                        from_hold: false,
                    });
                }
            }
        }
    }
    if !past.is_empty()
        && let Some(hold) = crate::engine::hold::owned(core, grant.agency(), grant.case())?
    {
        let wanted: std::collections::BTreeSet<ReadId> = past
            .iter()
            .filter_map(|(_, r)| ReadId::from_hex(r))
            .collect();
        let held = crate::engine::hold::held_by_id(core, &hold, &wanted)?;
        for (entry, read_id) in &past {
            let Some(view) = held.iter().find(|v| v.read_id.to_hex() == *read_id) else {
                continue; // retention destroyed it and no hold keeps it: not shown
            };
            if shown(view.body.captured_at) {
                out.push(Alert {
                    read_id: read_id.clone(),
                    case: grant.case().to_string(),
                    captured_at: view.body.captured_at,
                    camera: view.body.camera.clone(),
                    entry_id: entry.entry_id.clone().unwrap_or_default(),
                    audit_seq: entry.seq,
                    details_shredded: false,
                    agency: grant.agency().to_string(),
                    from_hold: true,
                });
            }
        }
    }
    out.sort_by_key(|a| (a.captured_at, a.audit_seq));
    Ok(out)
}

/// The audit entry of an alert. Its payload names the read, case, agency, entry and the
/// read's epoch; the read's time and camera are sealed under `keys`, the epoch's keys.
pub(crate) fn alert_pending(
    core: &Core,
    alert: &Alert,
    entry_audit_seq: u64,
    epoch: Epoch,
    keys: &EpochKeys,
    now: Timestamp,
) -> Result<Pending> {
    let mut entry = Entry::new(EntryKind::HotlistAlert);
    entry.case = Some(alert.case.clone());
    entry.entry_id = Some(alert.entry_id.clone());
    entry.result_of = Some(entry_audit_seq);
    let epoch_name = epoch.name();
    let details = zeroize::Zeroizing::new(
        serde_json::to_vec(&AlertDetails {
            captured_at: alert.captured_at,
            camera: alert.camera.clone(),
        })
        .map_err(|e| Error::Internal(e.to_string()))?,
    );
    let sealed = keys.data.seal(
        &details_binding(&alert.read_id, &alert.entry_id, &epoch_name),
        &details,
    )?;
    let stored = StoredAlert {
        v: 2,
        read_id: alert.read_id.clone(),
        case: alert.case.clone(),
        agency: alert.agency.clone(),
        entry_id: alert.entry_id.clone(),
        epoch: epoch_name,
        details: hex::encode(sealed),
    };
    let text = serde_json::to_string(&stored).map_err(|e| Error::Internal(e.to_string()))?;
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
                None,
                EntryKind::HotlistExpired,
                Some(t(at)),
                None,
            )
            .expect("remove")
        };
        assert!(expire("2026-11-09T23:59:59Z").is_empty(), "not expired yet");
        assert_eq!(v.hotlist().expect("list").len(), 1);
        assert_eq!(expire("2026-11-10T00:00:00Z"), vec![id]);
        assert!(v.hotlist().expect("list").is_empty());
    }

    #[test]
    fn an_alerts_time_and_camera_die_with_the_reads_epoch() {
        // The audit payload outlives the read by years; what it names of the read (time and
        // camera) is sealed under the read's epoch key, which expiry destroys.
        let dir = tempfile::tempdir().expect("tempdir");
        let v = Vault::create(
            &dir.path().join("store"),
            &MasterKey::generate().expect("key"),
            &Policy::default_policy(),
            &VaultOptions::new().simulated_clock(t("2026-11-01T00:00:00Z")),
        )
        .expect("create");
        let request = CaseRequest {
            plate: "PAY0001".into(),
            region: "CO".into(),
            case_number: "2026-000702".into(),
            offense: "STOLEN_VEHICLE".into(),
            purpose: "stolen-vehicle".into(),
            requester: "DET-7".into(),
            agency: "CITY-PD".into(),
            ..CaseRequest::default()
        };
        v.hotlist_add(&request, t("2026-11-05T00:00:00Z"))
            .expect("add");
        let report = v
            .ingest(vec![crate::NewRead {
                plate: "PAY0001".into(),
                region: "CO".into(),
                captured_at: Some(t("2026-10-31T09:17:00Z")),
                camera: "CAM-PAYLOAD-9".into(),
                ..crate::NewRead::default()
            }])
            .expect("ingest");
        let seq = report.alerts[0].audit_seq;
        let core = v.core();
        let text = AuditLog::open_payload(&core.store, seq, |m| core.existing_payload_key(m))
            .expect("open")
            .expect("payload");
        assert!(text.contains(&report.alerts[0].read_id), "{text}");
        assert!(!text.contains("CAM-PAYLOAD-9"), "{text}");
        assert!(!text.contains("09:17"), "{text}");
        let entry = crate::audit::log::read_entry(&core.store, seq).expect("entry");
        match open_alert(core, &entry).expect("open") {
            Opened::Details(a) => assert_eq!(a.camera, "CAM-PAYLOAD-9"),
            _ => panic!("the details are readable while the epoch lives"),
        }
        // The epoch expires (the hold keeps the read, not the payload's details).
        v.advance_clock(t("2026-12-02T00:00:00Z")).expect("clock");
        assert!(matches!(
            open_alert(core, &entry).expect("open"),
            Opened::EpochGone(_)
        ));
    }
}
