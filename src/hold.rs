//! Legal holds: evidence for a named case that survives expiry, and nothing more.
//!
//! A hold comes from a request that passes the same policy gate as a search (same flags,
//! audited as `hold_add`) plus an end date no further ahead than the policy allows. The
//! reads it finds are re-sealed under the case's own keys (a hash key and a data key,
//! wrapped under the master key like every other key) into the `holds` column family, so
//! they outlive their epoch. Held reads are returned only to searches that name the same
//! case. Releasing the hold (or reaching its end date) shreds the case keys and removes the
//! copies, with an audit entry; the keys and holds column families are then compacted so no
//! file keeps them.
//!
//! Layout in the `holds` column family:
//!
//! ```text
//! M case-id:16B                               hold metadata (JSON: case, until, reads)
//! H case-id:16B tag:16B read-id:16B           a held read (sealed body and image)
//! ```
//! where `case-id` is the first 16 bytes of BLAKE3(case number) and `tag` is the plate's
//! keyed hash under the case's hash key.

use serde::{Deserialize, Serialize};

use crate::audit::entry::{Entry, EntryKind};
use crate::audit::log::Pending;
use crate::core::Core;
use crate::epoch::Timestamp;
use crate::error::{Error, Result};
use crate::gate::{Decided, RequestKind, decide_and_audit};
use crate::keys::{EpochKeys, SecretKey};
use crate::plate::{Plate, Region};
use crate::policy::{CaseRequest, Decision};
use crate::record::{ReadView, RecordBody};
use crate::seal::{Binding, PlateTag, ReadId};
use crate::store::layout::{CF_HOLDS, CF_KEYS};
use crate::store::{StoreBatch, prefix_successor};

/// A hold on a case, as `hold list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldInfo {
    /// The case number.
    pub case: String,
    /// When the hold ends (it is released by expiry then).
    pub until: Timestamp,
    /// When it was first placed.
    pub placed_at: Timestamp,
    /// How many reads it holds.
    pub reads: u64,
    /// Audit sequence number of the request that last placed or renewed it.
    pub audit_seq: u64,
}

/// What a hold request did.
#[derive(Clone, Debug)]
pub struct HoldOutcome {
    /// The decision entry's sequence number.
    pub audit_seq: u64,
    /// The policy's decision.
    pub decision: Decision,
    /// Reads newly placed on hold by this request.
    pub placed: u64,
    /// The hold after this request (allowed requests only).
    pub hold: Option<HoldInfo>,
}

impl HoldOutcome {
    /// `allowed`, or the denial's stable reason code.
    pub fn reason_code(&self) -> &'static str {
        match &self.decision {
            Decision::Allowed(_) => "allowed",
            Decision::Denied(d) => d.code(),
        }
    }
}

/// The 16-byte id of a case in keys.
fn case_id(case: &str) -> [u8; 16] {
    let mut id = [0u8; 16];
    id.copy_from_slice(&blake3::hash(case.trim().as_bytes()).as_bytes()[..16]);
    id
}

fn key_label(case_id: &[u8; 16]) -> String {
    format!("hold/{}", hex::encode(case_id))
}

fn meta_key(case_id: &[u8; 16]) -> Vec<u8> {
    [b"M".as_slice(), case_id].concat()
}

fn reads_prefix(case_id: &[u8; 16]) -> Vec<u8> {
    [b"H".as_slice(), case_id].concat()
}

fn read_key(case_id: &[u8; 16], tag: PlateTag, read_id: ReadId) -> Vec<u8> {
    [b"H".as_slice(), case_id, &tag.0, &read_id.0].concat()
}

fn binding_id(case_id: &[u8; 16], tag: PlateTag, read_id: ReadId) -> Vec<u8> {
    [case_id.as_slice(), &tag.0, &read_id.0].concat()
}

/// The sealed content of a held read: its body, then its image bytes (if any).
fn encode_held(body: &RecordBody, image: Option<&[u8]>) -> Vec<u8> {
    let b = body.encode();
    let mut out = Vec::with_capacity(4 + b.len() + image.map_or(0, <[u8]>::len));
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(&b);
    if let Some(img) = image {
        out.extend_from_slice(img);
    }
    out
}

fn decode_held(bytes: &[u8]) -> Result<(RecordBody, Vec<u8>)> {
    let bad = || Error::Damaged("a held read is malformed".into());
    let len_bytes: [u8; 4] = bytes
        .get(..4)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    let body_bytes = bytes.get(4..4 + len).ok_or_else(bad)?;
    let body = RecordBody::decode(body_bytes).map_err(|e| Error::Damaged(e.to_string()))?;
    Ok((body, bytes[4 + len..].to_vec()))
}

fn hold_keys(core: &Core, case_id: &[u8; 16]) -> Result<Option<EpochKeys>> {
    let label = key_label(case_id);
    match core.store.get(CF_KEYS, label.as_bytes())? {
        None => Ok(None),
        Some(w) => {
            let s = core.unwrap_key(&label, &w, 2)?;
            Ok(Some(EpochKeys::from_secrets(&s[0], &s[1])))
        }
    }
}

fn read_info(core: &Core, case_id: &[u8; 16]) -> Result<Option<HoldInfo>> {
    match core.store.get(CF_HOLDS, &meta_key(case_id))? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| Error::Damaged(format!("hold metadata: {e}"))),
    }
}

/// Places a hold: the request is decided and audited like a search; when allowed, every
/// read it finds is re-sealed under the case's keys, atomically with a `hold_placed` entry.
pub(crate) fn place(core: &Core, req: &CaseRequest, until: Timestamp) -> Result<HoldOutcome> {
    let Decided {
        audit_seq,
        decision,
        ..
    } = decide_and_audit(
        core,
        RequestKind::Hold,
        req,
        Some(until),
        None,
        |policy, now| policy.check_hold_until(now, until).err(),
    )?;
    let Decision::Allowed(grant) = &decision else {
        return Ok(HoldOutcome {
            audit_seq,
            decision,
            placed: 0,
            hold: None,
        });
    };
    let case = req.case_number.trim().to_string();
    let reads = crate::lookup::lookup(
        core,
        grant.plate(),
        grant.region(),
        grant.from(),
        grant.to(),
        true,
    )?;
    // No rotation may re-wrap keys between wrapping the case key and writing it.
    let _key_writes = core
        .key_writes
        .read()
        .map_err(|_| Error::Internal("key lock poisoned".into()))?;
    let now = core.clock.now();
    let inputs: Vec<HeldInput<'_>> = reads
        .iter()
        .map(|r| HeldInput {
            read_id: r.read_id,
            body: &r.body,
            image: r.image.as_deref(),
        })
        .collect();
    let mut batch = core.store.batch();
    let (info, placed) = hold_in_batch(
        core,
        &mut batch,
        &case,
        &[(grant.region(), grant.plate(), inputs)],
        until,
        audit_seq,
        now,
    )?;
    let mut entry = Entry::new(EntryKind::HoldPlaced);
    entry.result_of = Some(audit_seq);
    entry.case = Some(case);
    entry.results = Some(placed);
    entry.until = Some(info.until);
    core.audit()?
        .append_to_batch(&core.store, batch, now, vec![Pending::plain(entry)])?;
    core.note_expiry_candidate(info.until);
    Ok(HoldOutcome {
        audit_seq,
        decision,
        placed,
        hold: Some(info),
    })
}

/// A read to hold: its id, its body and its image bytes.
pub(crate) struct HeldInput<'a> {
    /// The read's id.
    pub read_id: ReadId,
    /// Its metadata.
    pub body: &'a RecordBody,
    /// Its image, if it has one.
    pub image: Option<&'a [u8]>,
}

/// Reads of one plate to hold: its region, the plate and the reads.
pub(crate) type HeldGroup<'a> = (&'a Region, &'a Plate, Vec<HeldInput<'a>>);

/// Adds held copies of `groups` for `case` to `batch`, creating the case keys if needed, and
/// the hold's updated metadata. Returns the hold and how many reads were newly held. The
/// caller holds `core.key_writes` for reading until the batch is written.
pub(crate) fn hold_in_batch(
    core: &Core,
    batch: &mut StoreBatch<'_>,
    case: &str,
    groups: &[HeldGroup<'_>],
    until: Timestamp,
    audit_seq: u64,
    now: Timestamp,
) -> Result<(HoldInfo, u64)> {
    let cid = case_id(case);
    let keys = match hold_keys(core, &cid)? {
        Some(k) => k,
        None => {
            let hash = SecretKey::generate()?;
            let data = SecretKey::generate()?;
            let wrapped = core.kek().wrap(&key_label(&cid), &[&hash, &data])?;
            batch.put(CF_KEYS, key_label(&cid).as_bytes(), &wrapped)?;
            EpochKeys::from_secrets(&hash, &data)
        }
    };
    let mut placed = 0u64;
    for (region, plate, reads) in groups {
        let tag = keys.hash.plate_tag(region, plate);
        for r in reads {
            let key = read_key(&cid, tag, r.read_id);
            if core.store.get(CF_HOLDS, &key)?.is_some() {
                continue; // already held for this case
            }
            let aad = Binding::Other {
                domain: "hold",
                id: &binding_id(&cid, tag, r.read_id),
            }
            .aad();
            let value = keys.data.seal(&aad, &encode_held(r.body, r.image))?;
            batch.put(CF_HOLDS, &key, &value)?;
            placed += 1;
        }
    }
    let previous = read_info(core, &cid)?;
    let info = HoldInfo {
        case: case.to_string(),
        until: previous.as_ref().map_or(until, |p| p.until.max(until)),
        placed_at: previous.as_ref().map_or(now, |p| p.placed_at),
        reads: previous.as_ref().map_or(0, |p| p.reads) + placed,
        audit_seq,
    };
    let info_bytes = serde_json::to_vec(&info)
        .map_err(|e| Error::Internal(format!("cannot encode hold metadata: {e}")))?;
    batch.put(CF_HOLDS, &meta_key(&cid), &info_bytes)?;
    Ok((info, placed))
}

/// The held reads of `(region, plate)` for a case, within `[from, to)` where given.
pub(crate) fn held_reads(
    core: &Core,
    case: &str,
    plate: &Plate,
    region: &Region,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    with_images: bool,
) -> Result<Vec<ReadView>> {
    let cid = case_id(case);
    let Some(keys) = hold_keys(core, &cid)? else {
        return Ok(Vec::new());
    };
    let tag = keys.hash.plate_tag(region, plate);
    let mut prefix = reads_prefix(&cid);
    prefix.extend_from_slice(&tag.0);
    let mut out = Vec::new();
    core.store.scan_prefix(CF_HOLDS, &prefix, |k, v| {
        let read_id = k
            .get(33..49)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(ReadId)
            .ok_or_else(|| Error::Damaged("a held read's key is malformed".into()))?;
        let aad = Binding::Other {
            domain: "hold",
            id: &binding_id(&cid, tag, read_id),
        }
        .aad();
        let plain = keys
            .data
            .open(&aad, v)
            .map_err(|e| Error::Damaged(format!("held read {read_id}: {e}")))?;
        let (body, image) = decode_held(&plain)?;
        let in_window =
            from.is_none_or(|f| body.captured_at >= f) && to.is_none_or(|t| body.captured_at < t);
        if in_window {
            out.push(ReadView {
                read_id,
                image: (with_images && body.image.is_some()).then_some(image),
                body,
                from_hold: true,
            });
        }
        Ok(true)
    })?;
    Ok(out)
}

/// Every hold, by case number.
pub(crate) fn list(core: &Core) -> Result<Vec<HoldInfo>> {
    let mut out = Vec::new();
    core.store.scan_prefix(CF_HOLDS, b"M", |_, v| {
        out.push(
            serde_json::from_slice(v).map_err(|e| Error::Damaged(format!("hold metadata: {e}")))?,
        );
        Ok(true)
    })?;
    out.sort_by(|a: &HoldInfo, b| a.case.cmp(&b.case));
    Ok(out)
}

/// Who releases a hold, for the audit entry.
#[derive(Clone, Debug, Default)]
pub struct ReleaseBy {
    /// The requester releasing it.
    pub requester: Option<String>,
    /// Their agency.
    pub agency: Option<String>,
}

impl ReleaseBy {
    /// Names who acted in an audit entry: ids capped as the gate caps them, agency
    /// upper-cased, and either replaced by a marker if it spells `plate` (when known).
    pub(crate) fn stamp(&self, entry: &mut Entry, plate: Option<&crate::plate::Plate>) {
        let screened = |text: &str| crate::gate::screen(text, plate);
        entry.requester = self
            .requester
            .as_deref()
            .map(|r| screened(&crate::gate::id(r)));
        entry.agency = self
            .agency
            .as_deref()
            .map(|a| screened(&crate::gate::id(a).to_ascii_uppercase()));
    }
}

/// Releases a hold: shreds the case keys and removes the copies, with an audit entry, then
/// compacts so that no file keeps them. Returns the hold released, or None if there was none.
pub(crate) fn release(
    core: &Core,
    case: &str,
    by: &ReleaseBy,
    kind: EntryKind,
) -> Result<Option<HoldInfo>> {
    let cid = case_id(case);
    let Some(info) = read_info(core, &cid)? else {
        return Ok(None);
    };
    let mut entry = Entry::new(kind);
    entry.case = Some(info.case.clone());
    entry.results = Some(info.reads);
    by.stamp(&mut entry, None);
    let prefix = reads_prefix(&cid);
    let end = prefix_successor(&prefix).unwrap_or_else(|| vec![0xff; 18]);
    // No rotation may be re-wrapping keys meanwhile (it would write the case key back).
    let key_writes = core
        .key_writes
        .read()
        .map_err(|_| Error::Internal("key lock poisoned".into()))?;
    // What a verifier will look for once the keys and copies are gone.
    entry.deletion = Some(crate::digests::hold(core, &key_label(&cid), &prefix)?);
    core.audit()?.append_with(
        &core.store,
        core.clock.now(),
        vec![Pending::plain(entry)],
        |batch, _| {
            batch.delete(CF_KEYS, key_label(&cid).as_bytes())?;
            batch.delete_range(CF_HOLDS, &prefix, &end)?;
            batch.delete(CF_HOLDS, &meta_key(&cid))?;
            batch.mark_purge(&[CF_KEYS, CF_HOLDS])
        },
    )?;
    drop(key_writes);
    // The deletes are durable; now make them physical (resumed at the next open if this
    // process dies first).
    core.store.purge(&[CF_KEYS, CF_HOLDS])?;
    Ok(Some(info))
}

/// Releases every hold whose end date has passed (run by expiry).
pub(crate) fn release_expired(core: &Core, now: Timestamp) -> Result<Vec<HoldInfo>> {
    let mut released = Vec::new();
    for h in list(core)? {
        if h.until <= now
            && let Some(info) =
                release(core, &h.case, &ReleaseBy::default(), EntryKind::HoldExpired)?
        {
            released.push(info);
        }
    }
    Ok(released)
}
