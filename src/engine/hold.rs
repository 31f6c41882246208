//! Legal holds: evidence for a named case that survives expiry, and nothing more.
//!
//! A hold belongs to one agency's case: it is keyed by (agency, case), so two agencies that
//! use the same case number hold (and see) different things. It comes from a request that
//! passes the same policy gate as a search (same flags, audited as `hold_add`) plus an end
//! date no further ahead than the policy allows. The reads it finds are re-sealed under the
//! hold's own keys (a hash key and a data key, wrapped under the master key like every other
//! key) into the `holds` column family, so they outlive their epoch. Held reads are returned
//! only to the owning agency's searches for that case (or, if the policy sets
//! `holds_shared_with_mou`, to an outside agency whose MOU covers the hold's offense, asking
//! for it), and only inside the window the search was granted (`visible`, `held_reads`).
//! Releasing the hold is a gated request too: only the owning agency may, and its decision is
//! audited before anything is destroyed (`release_request`). Releasing (or reaching the end
//! date) shreds the hold keys and removes the copies, with an audit entry; the keys and holds
//! column families are then compacted so no file keeps them.
//!
//! Layout in the `holds` column family:
//!
//! ```text
//! M hold-id:16B                               hold metadata (JSON: HoldInfo)
//! H hold-id:16B tag:16B read-id:16B           a held read (sealed body and image)
//! ```
//! where `hold-id` is the first 16 bytes of a BLAKE3 hash (in derive-key mode) of the agency
//! (trimmed, upper-cased) and the case number (trimmed), each length-prefixed, and `tag` is
//! the plate's keyed hash under the hold's hash key. Stores made before holds were keyed by
//! agency have holds whose id is the first 16 bytes of BLAKE3(case number) and whose
//! metadata names no agency: such a hold belongs to the agency of the audit entry that last
//! placed or renewed it (`audit_seq`: a `hold_add`, or for a hotlist alert's hold the
//! entry's `hotlist_add`), and keeps its id; renewing it writes the agency into it.

use serde::{Deserialize, Serialize};

use crate::audit::entry::{Entry, EntryKind, Verdict};
use crate::audit::log::Pending;
use crate::crypto::keys::{EpochKeys, SecretKey};
use crate::crypto::seal::{Binding, PlateTag, ReadId};
use crate::engine::gate::{
    Decided, Ids, RequestKind, decide_and_audit, decide_with, recorded_case,
};
use crate::engine::state::Core;
use crate::error::{Error, Result};
use crate::model::epoch::Timestamp;
use crate::model::plate::{Plate, Region};
use crate::model::record::{ReadView, RecordBody};
use crate::policy::{CaseRequest, Decision, Denial, RemovalRequest};
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
    /// The agency that placed it, its owner (upper-cased). Stored since holds are keyed by
    /// agency; for an older hold, the agency of the audit entry at `audit_seq`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agency: String,
    /// The offense of the request that last placed or renewed it (empty when unknown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub offense: String,
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

/// The 16-byte id of an (agency, case) hold in keys.
fn hold_id(agency: &str, case: &str) -> [u8; 16] {
    let agency = canonical_agency(agency);
    let case = case.trim();
    let mut h = blake3::Hasher::new_derive_key("platevault 2026 hold id (agency, case) v2");
    h.update(&(agency.len() as u64).to_le_bytes());
    h.update(agency.as_bytes());
    h.update(&(case.len() as u64).to_le_bytes());
    h.update(case.as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    id
}

/// The id of a hold made before holds were keyed by agency: BLAKE3(case number).
fn legacy_id(case: &str) -> [u8; 16] {
    let mut id = [0u8; 16];
    id.copy_from_slice(&blake3::hash(case.trim().as_bytes()).as_bytes()[..16]);
    id
}

/// An agency as holds name it: trimmed and upper-cased, like the audit log's agency field.
fn canonical_agency(agency: &str) -> String {
    crate::engine::gate::id(agency).to_ascii_uppercase()
}

/// A hold as stored: its id in keys and its metadata (agency attributed for an old hold).
#[derive(Clone, Debug)]
pub(crate) struct StoredHold {
    /// The id its keys use.
    pub id: [u8; 16],
    /// Its metadata.
    pub info: HoldInfo,
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
        Some(b) => parse_info(core, &b).map(Some),
    }
}

/// Decodes hold metadata; a hold stored without its agency (before holds were keyed by
/// agency) is attributed to the agency, and offense, of the audit entry that last placed it.
fn parse_info(core: &Core, bytes: &[u8]) -> Result<HoldInfo> {
    let mut info: HoldInfo =
        serde_json::from_slice(bytes).map_err(|e| Error::Damaged(format!("hold metadata: {e}")))?;
    if info.agency.is_empty() {
        let placed = crate::audit::log::read_entry(&core.store, info.audit_seq)?;
        if matches!(placed.kind, EntryKind::HoldAdd | EntryKind::HotlistAdd) {
            info.agency = placed.agency.unwrap_or_default();
            if info.offense.is_empty() {
                info.offense = placed.offense.unwrap_or_default();
            }
        }
    }
    Ok(info)
}

/// The hold `agency` placed on `case`, if any: under its (agency, case) id, or an older hold
/// of the case (keyed by case alone) that belongs to that agency.
pub(crate) fn owned(core: &Core, agency: &str, case: &str) -> Result<Option<StoredHold>> {
    let agency = canonical_agency(agency);
    for id in [hold_id(&agency, case), legacy_id(case)] {
        if let Some(info) = read_info(core, &id)?
            && info.case == case.trim()
            && info.agency == agency
        {
            return Ok(Some(StoredHold { id, info }));
        }
    }
    Ok(None)
}

/// The holds whose copies a request may receive: the requesting agency's own hold on the
/// case, and, when the policy shares holds with MOU agencies, the home agency's hold if the
/// policy lets this agency see it ([`crate::policy::Policy::may_see_hold`]). Reads hold
/// metadata only (no held read is opened).
pub(crate) fn visible(core: &Core, req: &CaseRequest) -> Result<Vec<StoredHold>> {
    let policy = core.policy();
    let now = core.clock.now();
    let mut out = Vec::new();
    if !policy.case_number_matches(&req.case_number) || req.agency.trim().is_empty() {
        return Ok(out);
    }
    if let Some(own) = owned(core, &req.agency, &req.case_number)? {
        out.push(own);
    }
    if policy.holds_shared_with_mou()
        && !policy.is_home_agency(&req.agency)
        && let Some(home) = owned(core, policy.agency(), &req.case_number)?
        && policy.may_see_hold(
            &req.agency,
            &req.offense,
            &home.info.agency,
            &home.info.offense,
            now,
        )
    {
        out.push(home);
    }
    Ok(out)
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
        false,
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
    let reads = crate::engine::lookup::lookup(
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
        .map_err(|_| Error::Poisoned { lock: "key_writes" })?;
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
        &HoldOwner {
            agency: &req.agency,
            offense: grant.offense(),
            case: &case,
        },
        &[(grant.region(), grant.plate(), inputs)],
        until,
        audit_seq,
        now,
    )?;
    let mut entry = Entry::new(EntryKind::HoldPlaced);
    entry.result_of = Some(audit_seq);
    entry.agency = Some(info.agency.clone());
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

/// Whose hold: the owning agency, the offense it was placed for, the case.
pub(crate) struct HoldOwner<'a> {
    /// The agency placing the hold (as the request named it).
    pub agency: &'a str,
    /// The offense of the request placing it (canonical).
    pub offense: &'a str,
    /// The case number (trimmed).
    pub case: &'a str,
}

/// Adds held copies of `groups` to `owner`'s hold in `batch`, creating the hold's keys if
/// needed, and the hold's updated metadata. Returns the hold and how many reads were newly
/// held. The caller holds `core.key_writes` for reading until the batch is written.
pub(crate) fn hold_in_batch(
    core: &Core,
    batch: &mut StoreBatch<'_>,
    owner: &HoldOwner<'_>,
    groups: &[HeldGroup<'_>],
    until: Timestamp,
    audit_seq: u64,
    now: Timestamp,
) -> Result<(HoldInfo, u64)> {
    let existing = owned(core, owner.agency, owner.case)?;
    let cid = existing
        .as_ref()
        .map_or_else(|| hold_id(owner.agency, owner.case), |h| h.id);
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
    let previous = existing.map(|h| h.info);
    let info = HoldInfo {
        case: owner.case.trim().to_string(),
        until: previous.as_ref().map_or(until, |p| p.until.max(until)),
        placed_at: previous.as_ref().map_or(now, |p| p.placed_at),
        reads: previous.as_ref().map_or(0, |p| p.reads) + placed,
        audit_seq,
        agency: canonical_agency(owner.agency),
        offense: owner.offense.to_string(),
    };
    let info_bytes = serde_json::to_vec(&info)
        .map_err(|e| Error::Internal(format!("cannot encode hold metadata: {e}")))?;
    batch.put(CF_HOLDS, &meta_key(&cid), &info_bytes)?;
    Ok((info, placed))
}

/// The held reads of `(region, plate)` in `holds`, captured within `[from, to)` where given
/// (each read once).
pub(crate) fn held_reads(
    core: &Core,
    holds: &[StoredHold],
    plate: &Plate,
    region: &Region,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    with_images: bool,
) -> Result<Vec<ReadView>> {
    let mut out: Vec<ReadView> = Vec::new();
    for hold in holds {
        for r in held_reads_of(core, &hold.id, plate, region, from, to, with_images)? {
            if !out.iter().any(|o| o.read_id == r.read_id) {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// The held reads of `(region, plate)` in one hold, within `[from, to)` where given.
fn held_reads_of(
    core: &Core,
    cid: &[u8; 16],
    plate: &Plate,
    region: &Region,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    with_images: bool,
) -> Result<Vec<ReadView>> {
    let Some(keys) = hold_keys(core, cid)? else {
        return Ok(Vec::new());
    };
    let tag = keys.hash.plate_tag(region, plate);
    let mut prefix = reads_prefix(cid);
    prefix.extend_from_slice(&tag.0);
    let mut out = Vec::new();
    core.store.scan_prefix(CF_HOLDS, &prefix, |k, v| {
        let read_id = k
            .get(33..49)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(ReadId)
            .ok_or_else(|| Error::Damaged("a held read's key is malformed".into()))?;
        let view = open_held(&keys, cid, tag, read_id, v, with_images)?;
        let at = view.body.captured_at;
        if from.is_none_or(|f| at >= f) && to.is_none_or(|t| at < t) {
            out.push(view);
        }
        Ok(true)
    })?;
    Ok(out)
}

/// Opens one held read.
fn open_held(
    keys: &EpochKeys,
    cid: &[u8; 16],
    tag: PlateTag,
    read_id: ReadId,
    sealed: &[u8],
    with_images: bool,
) -> Result<ReadView> {
    let aad = Binding::Other {
        domain: "hold",
        id: &binding_id(cid, tag, read_id),
    }
    .aad();
    let plain = keys
        .data
        .open(&aad, sealed)
        .map_err(|e| Error::Damaged(format!("held read {read_id}: {e}")))?;
    let (body, image) = decode_held(&plain)?;
    Ok(ReadView {
        read_id,
        image: (with_images && body.image.is_some()).then_some(image),
        body,
        from_hold: true,
    })
}

/// The held copies in `hold` of the given read ids (found by id alone, whatever the plate),
/// opened, without images. For alerts: a read past retention is shown only through its
/// case's hold.
pub(crate) fn held_by_id(
    core: &Core,
    hold: &StoredHold,
    ids: &std::collections::BTreeSet<ReadId>,
) -> Result<Vec<ReadView>> {
    let mut out = Vec::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let Some(keys) = hold_keys(core, &hold.id)? else {
        return Ok(out);
    };
    core.store
        .scan_prefix(CF_HOLDS, &reads_prefix(&hold.id), |k, v| {
            let (Some(tag), Some(read_id)) = (
                k.get(17..33).and_then(|b| <[u8; 16]>::try_from(b).ok()),
                k.get(33..49).and_then(|b| <[u8; 16]>::try_from(b).ok()),
            ) else {
                return Err(Error::Damaged("a held read's key is malformed".into()));
            };
            let read_id = ReadId(read_id);
            if ids.contains(&read_id) {
                out.push(open_held(
                    &keys,
                    &hold.id,
                    PlateTag(tag),
                    read_id,
                    v,
                    false,
                )?);
            }
            Ok(true)
        })?;
    Ok(out)
}

/// Every hold (with its id), by case number and agency.
pub(crate) fn all(core: &Core) -> Result<Vec<StoredHold>> {
    let mut raw = Vec::new();
    core.store.scan_prefix(CF_HOLDS, b"M", |k, v| {
        let id = k
            .get(1..17)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .ok_or_else(|| Error::Damaged("a hold metadata key is malformed".into()))?;
        raw.push((id, v.to_vec()));
        Ok(true)
    })?;
    let mut out = raw
        .into_iter()
        .map(|(id, bytes)| {
            Ok(StoredHold {
                id,
                info: parse_info(core, &bytes)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| (&a.info.case, &a.info.agency).cmp(&(&b.info.case, &b.info.agency)));
    Ok(out)
}

/// Every hold, by case number and agency.
pub(crate) fn list(core: &Core) -> Result<Vec<HoldInfo>> {
    Ok(all(core)?.into_iter().map(|h| h.info).collect())
}

/// What a hold release request did.
#[derive(Clone, Debug)]
pub struct ReleaseOutcome {
    /// The decision entry's sequence number (`hold_release_request`).
    pub audit_seq: u64,
    /// Why it was refused (None when allowed).
    pub denial: Option<Denial>,
    /// The hold released (None when denied, or when the agency had no hold on the case).
    pub released: Option<HoldInfo>,
}

impl ReleaseOutcome {
    /// True when the policy allowed the request.
    pub fn is_allowed(&self) -> bool {
        self.denial.is_none()
    }

    /// `allowed`, or the denial's stable reason code.
    pub fn reason_code(&self) -> &'static str {
        self.denial.as_ref().map_or("allowed", Denial::code)
    }
}

/// Refuses a role while no role can be verified (see [`RemovalRequest`]).
pub(crate) fn check_no_role(req: &RemovalRequest) -> Result<()> {
    if req.role.is_some() {
        return Err(Error::InvalidArgument(
            "a role can only be checked in verified identity mode, which this store's policy \
             does not use: leave the role out (ids are declared)"
                .into(),
        ));
    }
    Ok(())
}

/// Releases `agency`'s hold on `case`, if the policy allows: the request is decided (only the
/// agency that placed the hold may release it) and its `hold_release_request` entry made
/// durable before anything is destroyed; then the hold is released as [`release`] does.
pub(crate) fn release_request(
    core: &Core,
    case: &str,
    req: &RemovalRequest,
) -> Result<ReleaseOutcome> {
    check_no_role(req)?;
    let target = owned(core, &req.agency, case)?;
    // Whose hold it is: the requester's own, else another agency's hold on that case.
    let owner = match &target {
        Some(h) => Some(h.info.agency.clone()),
        None => all(core)?
            .into_iter()
            .find(|h| h.info.case == case.trim())
            .map(|h| h.info.agency),
    };
    let ids = Ids::of(&req.agency, &req.requester, None);
    let (audit_seq, denial) = decide_with(core, &ids, None, None, false, |policy, ctx| {
        let decision = policy.decide_removal(req, Some(case), owner.as_deref(), ctx);
        let mut entry = Entry::new(EntryKind::HoldReleaseRequest);
        entry.case = Some(recorded_case(policy, case, None));
        stamp_decision(&mut entry, &decision);
        (entry, decision.err())
    })?;
    let released = match (&denial, &target) {
        (None, Some(hold)) => release(
            core,
            hold,
            Some(&ids),
            EntryKind::HoldRelease,
            Some(audit_seq),
        )?,
        _ => None,
    };
    Ok(ReleaseOutcome {
        audit_seq,
        denial,
        released,
    })
}

/// Writes a removal decision into its entry.
pub(crate) fn stamp_decision(entry: &mut Entry, decision: &std::result::Result<(), Denial>) {
    match decision {
        Ok(()) => {
            entry.decision = Some(Verdict::Allowed);
            entry.reason = Some("allowed".into());
        }
        Err(d) => {
            entry.decision = Some(Verdict::Denied);
            entry.reason = Some(d.code().into());
        }
    }
}

/// Releases a hold: shreds its keys and removes the copies, with an audit entry (naming who
/// acted, when a request did, and its decision entry), then compacts so that no file keeps
/// them. Returns the hold released, or None if it was no longer there.
pub(crate) fn release(
    core: &Core,
    hold: &StoredHold,
    by: Option<&Ids>,
    kind: EntryKind,
    result_of: Option<u64>,
) -> Result<Option<HoldInfo>> {
    let cid = hold.id;
    let Some(info) = read_info(core, &cid)? else {
        return Ok(None);
    };
    let mut entry = Entry::new(kind);
    entry.case = Some(info.case.clone());
    entry.results = Some(info.reads);
    entry.result_of = result_of;
    match by {
        Some(ids) => {
            entry.requester = Some(ids.requester.clone());
            entry.agency = Some(ids.agency.clone());
        }
        None => entry.agency = Some(info.agency.clone()).filter(|a| !a.is_empty()),
    }
    let prefix = reads_prefix(&cid);
    let end = prefix_successor(&prefix).unwrap_or_else(|| vec![0xff; 18]);
    // No rotation may be re-wrapping keys meanwhile (it would write the case key back).
    let key_writes = core
        .key_writes
        .read()
        .map_err(|_| Error::Poisoned { lock: "key_writes" })?;
    // What a verifier will look for once the keys and copies are gone.
    entry.deletion = Some(crate::engine::digests::hold(
        &core.store,
        &key_label(&cid),
        &prefix,
    )?);
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

/// Releases every hold whose end date has passed (run by expiry; the store itself acts, so
/// no request is decided).
pub(crate) fn release_expired(core: &Core, now: Timestamp) -> Result<Vec<HoldInfo>> {
    let mut released = Vec::new();
    for h in all(core)? {
        if h.info.until <= now
            && let Some(info) = release(core, &h, None, EntryKind::HoldExpired, None)?
        {
            released.push(info);
        }
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Mou, PolicySpec};
    use crate::{MasterKey, NewRead, Policy, SearchRequest, Vault, VaultOptions};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("time")
    }

    const CASE: &str = "2026-000901";

    fn request(plate: &str, agency: &str, offense: &str) -> CaseRequest {
        CaseRequest {
            plate: plate.into(),
            region: "CO".into(),
            case_number: CASE.into(),
            offense: offense.into(),
            purpose: "investigation".into(),
            requester: "DET-1".into(),
            agency: agency.into(),
            from: Some(t("2026-05-01T00:00:00Z")),
            to: Some(t("2026-05-31T00:00:00Z")),
            ..CaseRequest::default()
        }
    }

    /// Places a hold as stores did before holds were keyed by agency: under BLAKE3(case)
    /// alone, with metadata that names no agency and no offense.
    fn place_legacy(core: &Core, plate: &Plate, region: &Region, audit_seq: u64) -> u64 {
        let reads = crate::engine::lookup::lookup(
            core,
            plate,
            region,
            t("2026-05-01T00:00:00Z"),
            t("2026-05-02T00:00:00Z"),
            false,
        )
        .expect("lookup");
        let cid = legacy_id(CASE);
        let _key_writes = core.key_writes.read().expect("lock");
        let hash = SecretKey::generate().expect("key");
        let data = SecretKey::generate().expect("key");
        let mut batch = core.store.batch();
        let wrapped = core
            .kek()
            .wrap(&key_label(&cid), &[&hash, &data])
            .expect("wrap");
        batch
            .put(CF_KEYS, key_label(&cid).as_bytes(), &wrapped)
            .expect("put");
        let keys = EpochKeys::from_secrets(&hash, &data);
        let tag = keys.hash.plate_tag(region, plate);
        for r in &reads {
            let aad = Binding::Other {
                domain: "hold",
                id: &binding_id(&cid, tag, r.read_id),
            }
            .aad();
            let value = keys
                .data
                .seal(&aad, &encode_held(&r.body, None))
                .expect("seal");
            batch
                .put(CF_HOLDS, &read_key(&cid, tag, r.read_id), &value)
                .expect("put");
        }
        let old = serde_json::json!({
            "case": CASE,
            "until": "2026-08-01T00:00:00Z",
            "placed_at": "2026-05-01T12:00:00Z",
            "reads": reads.len(),
            "audit_seq": audit_seq,
        });
        batch
            .put(CF_HOLDS, &meta_key(&cid), old.to_string().as_bytes())
            .expect("put");
        core.store
            .write(batch, crate::store::Durability::Sync)
            .expect("write");
        reads.len() as u64
    }

    #[test]
    fn a_hold_of_an_older_store_belongs_to_the_agency_that_placed_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let policy = Policy::from_spec(PolicySpec {
            mou: vec![Mou {
                agency: "RIVER-COUNTY-SO".into(),
                valid_from: t("2026-01-01T00:00:00Z"),
                valid_to: t("2027-01-01T00:00:00Z"),
                offenses: vec!["HOMICIDE".into(), "ROBBERY".into()],
            }],
            ..PolicySpec::default_spec()
        })
        .expect("policy");
        let v = Vault::create(
            &dir.path().join("store"),
            &MasterKey::generate().expect("key"),
            &policy,
            &VaultOptions::new().simulated_clock(t("2026-05-01T12:00:00Z")),
        )
        .expect("create");
        let read = |plate: &str, at: &str| NewRead {
            plate: plate.into(),
            region: "CO".into(),
            captured_at: Some(t(at)),
            camera: "CAM-1".into(),
            ..NewRead::default()
        };
        v.ingest(vec![
            read("OLDHLD1", "2026-05-01T08:00:00Z"),
            read("OLDHLD1", "2026-05-01T09:00:00Z"),
            read("NEWHLD1", "2026-05-01T10:00:00Z"),
        ])
        .expect("ingest");
        // An old hold's audit entry: CITY-PD's hold_add (this one denied, as only the entry
        // matters here) names the agency and the offense.
        let placed_by = v
            .hold(
                &request("OLDHLD1", "CITY-PD", "ROBBERY"),
                t("2027-12-01T00:00:00Z"),
            )
            .expect("hold");
        assert_eq!(placed_by.reason_code(), "hold_too_long");
        let plate = Plate::parse("OLDHLD1").expect("plate");
        let region = Region::parse("CO").expect("region");
        assert_eq!(
            place_legacy(v.core(), &plate, &region, placed_by.audit_seq),
            2
        );

        let holds = v.holds().expect("holds");
        assert_eq!(holds.len(), 1);
        assert_eq!(
            (holds[0].agency.as_str(), holds[0].offense.as_str()),
            ("CITY-PD", "ROBBERY")
        );
        v.advance_clock(t("2026-06-02T00:00:00Z")).expect("advance");
        let search = |req: CaseRequest| {
            v.search(&SearchRequest {
                case: req,
                with_images: false,
            })
            .expect("search")
        };
        let own = search(request("OLDHLD1", "CITY-PD", "ROBBERY"));
        assert_eq!(own.reads.len(), 2);
        assert!(own.reads.iter().all(|r| r.from_hold));
        let other = search(request("OLDHLD1", "RIVER-COUNTY-SO", "ROBBERY"));
        assert_eq!(other.reason_code(), "allowed");
        assert!(other.reads.is_empty(), "another agency's hold");
        let by = |agency: &str| RemovalRequest {
            requester: "SGT-2".into(),
            agency: agency.into(),
            role: None,
        };
        let denied = v
            .release_hold(CASE, &by("RIVER-COUNTY-SO"))
            .expect("release");
        assert_eq!(denied.reason_code(), "not_owner");

        // A renewal by its owner writes into the old hold (keeping what it holds) and now
        // names the agency in its metadata.
        v.advance_clock(t("2026-06-02T00:00:01Z")).expect("advance");
        let renewed = v
            .hold(
                &request("OLDHLD1", "CITY-PD", "ROBBERY"),
                t("2026-12-01T00:00:00Z"),
            )
            .expect("hold");
        assert_eq!(renewed.reason_code(), "allowed");
        let holds = v.holds().expect("holds");
        assert_eq!(holds.len(), 1, "the same hold");
        assert_eq!(holds[0].until, t("2026-12-01T00:00:00Z"));
        let raw = v
            .core()
            .store
            .get(CF_HOLDS, &meta_key(&legacy_id(CASE)))
            .expect("get")
            .expect("the old hold's metadata");
        assert!(String::from_utf8_lossy(&raw).contains("\"agency\":\"CITY-PD\""));
        assert_eq!(
            search(request("OLDHLD1", "CITY-PD", "ROBBERY")).reads.len(),
            2
        );

        let released = v.release_hold(CASE, &by("city-pd")).expect("release");
        assert_eq!(released.reason_code(), "allowed");
        assert_eq!(released.released.map(|h| h.reads), Some(2));
        assert!(v.holds().expect("holds").is_empty());
    }
}
