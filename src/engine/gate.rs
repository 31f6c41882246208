//! The policy gate: every gated request (a search, a hold, a hotlist entry, an alerts
//! listing, a hold release or hotlist removal) is decided by the policy and its decision made
//! durable in the audit log, before anything else.
//!
//! [`decide_with`] counts the requester's recent attempts from the audit log and appends the
//! decision entry under the log's writer lock, so concurrent requests cannot slip past the
//! rate limit; [`decide_and_audit`] is it for case requests (search, hold, hotlist). They
//! record what was asked in a form that cannot carry a plate: the plate only as its keyed
//! fingerprint, free text (the justification) only in the sealed payload, and any other field
//! that is malformed or contains the searched plate replaced by a marker. Search, hold,
//! hotlist and alerts build on it; none of them builds on another's gate.

use crate::audit::entry::{Entry, EntryKind, Verdict};
use crate::audit::log::{AuditLog, Pending, RATE_WINDOW};
use crate::engine::state::Core;
use crate::error::{Error, Result};
use crate::model::epoch::Timestamp;
use crate::model::plate::{Plate, Region};
use crate::policy::terms::contains_plate;
use crate::policy::{CaseRequest, Decision, DecisionContext, Policy, Purpose, canonical_id};

/// What is sealed instead of a justification that spells the searched plate.
pub const JUSTIFICATION_WITH_PLATE: &str = "<redacted: the justification spelled the plate>";

/// Longest requester, agency or warrant id recorded in the audit log.
pub const MAX_ID_CHARS: usize = 64;

/// The kind of request being decided: a plain search, a hold, a hotlist entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestKind {
    Search,
    Hold,
    Hotlist,
}

impl RequestKind {
    fn entry_kind(self) -> EntryKind {
        match self {
            RequestKind::Search => EntryKind::Search,
            RequestKind::Hold => EntryKind::HoldAdd,
            RequestKind::Hotlist => EntryKind::HotlistAdd,
        }
    }
}

/// A decided, audited request.
pub(crate) struct Decided {
    pub audit_seq: u64,
    pub decision: Decision,
}

/// Decides a request and makes its decision entry durable. `extra_check` may turn an allowed
/// decision into a denial (a hold's end date, a hotlist entry's expiry) before it is audited.
/// `case_held` says whether the requesting agency may see a legal hold on the case (a search's
/// window may then reach held copies before retention; see [`DecisionContext::case_held`]).
pub(crate) fn decide_and_audit(
    core: &Core,
    kind: RequestKind,
    req: &CaseRequest,
    until: Option<Timestamp>,
    entry_id: Option<&str>,
    case_held: bool,
    extra_check: impl FnOnce(&Policy, Timestamp) -> Option<crate::policy::Denial>,
) -> Result<Decided> {
    if let (Some(from), Some(to)) = (req.from, req.to)
        && from > to
    {
        return Err(Error::InvalidArgument(format!(
            "the window starts ({from}) after it ends ({to})"
        )));
    }
    let plate = Plate::parse(&req.plate).ok();
    let ids = Ids::of(&req.agency, &req.requester, plate.as_ref());
    let fingerprint = fingerprint_of(core, req)?;
    // A justification that spells the plate is sealed as a marker: the plate must not reach
    // the audit log, not even sealed, since reviewers read justifications.
    let justification = req.justification.as_deref().map(|text| match &plate {
        Some(p) if contains_plate(text, p) => JUSTIFICATION_WITH_PLATE,
        _ => text,
    });
    let (audit_seq, decision) = decide_with(
        core,
        &ids,
        justification,
        fingerprint,
        case_held,
        |policy, ctx| {
            let mut decision = policy.decide(req, ctx);
            if decision.is_allowed()
                && let Some(denial) = extra_check(policy, ctx.now)
            {
                decision = Decision::Denied(denial);
            }
            let mut entry = Entry::new(kind.entry_kind());
            entry.case = Some(recorded_case(policy, &req.case_number, plate.as_ref()));
            entry.offense = Some(screen(&sanitize_offense(&req.offense), plate.as_ref()));
            entry.purpose = Some(match req.purpose.trim().parse::<Purpose>() {
                Ok(p) => p.as_str().to_string(),
                Err(_) => "<unknown>".into(),
            });
            entry.warrant = recorded_warrant(req.warrant.as_deref(), plate.as_ref());
            entry.until = until;
            match &decision {
                Decision::Allowed(g) => {
                    entry.entry_id = entry_id.map(str::to_string);
                    entry.decision = Some(Verdict::Allowed);
                    entry.reason = Some("allowed".into());
                    entry.from = Some(g.from());
                    entry.to = Some(g.to());
                    entry.withheld_before = g.withheld_before();
                    entry.held_from = case_held.then(|| g.held_from());
                }
                Decision::Denied(d) => {
                    entry.decision = Some(Verdict::Denied);
                    entry.reason = Some(d.code().into());
                    entry.from = req.from;
                    entry.to = req.to;
                }
            }
            (entry, decision)
        },
    )?;
    Ok(Decided {
        audit_seq,
        decision,
    })
}

/// A request's requester and agency as the audit log records them (and counts them for the
/// rate limit): in one canonical form (`policy::canonical_id`: `det-7` is `DET-7`), either
/// replaced by a marker if it spells the request's plate.
pub(crate) struct Ids {
    /// The agency, as recorded.
    pub agency: String,
    /// The requester, as recorded.
    pub requester: String,
}

impl Ids {
    /// The recorded form of an agency and requester.
    pub(crate) fn of(agency: &str, requester: &str, plate: Option<&Plate>) -> Ids {
        Ids {
            agency: screen(&canonical_id(agency), plate),
            requester: screen(&canonical_id(requester), plate),
        }
    }
}

/// Decides a gated request and appends its decision entry, durably, before the caller acts
/// on it: under the audit writer lock, counts the requester's recent attempts, calls
/// `decide` with the policy and the context, and appends the entry it returns (its
/// requester, agency, payload and fingerprint filled in here). The justification, when not
/// blank, goes to the entry's sealed payload. Returns the entry's sequence number and what
/// `decide` returned beside it.
pub(crate) fn decide_with<T>(
    core: &Core,
    ids: &Ids,
    justification: Option<&str>,
    fingerprint: Option<[u8; 32]>,
    case_held: bool,
    decide: impl FnOnce(&Policy, &DecisionContext) -> (Entry, T),
) -> Result<(u64, T)> {
    let policy = core.policy();
    let audit = core.audit()?;
    let now = core.clock.now();
    // The month's payload key is fetched (or made) before the audit writer lock is taken.
    let mut payload = match justification.filter(|j| !j.trim().is_empty()) {
        Some(text) => Some(core.payload_text(text.to_string(), now)?),
        None => None,
    };
    audit.decide_then_append(&core.store, now, || {
        let payload = payload.take();
        let recent = AuditLog::attempts_since(
            &core.store,
            &ids.agency,
            &ids.requester,
            now.minus(RATE_WINDOW),
        )?;
        let ctx = DecisionContext {
            now,
            recent_attempts: recent,
            case_held,
        };
        let (mut entry, out) = decide(&policy, &ctx);
        entry.requester = Some(ids.requester.clone());
        entry.agency = Some(ids.agency.clone());
        entry.fingerprint = fingerprint.map(hex::encode);
        let pending = Pending {
            entry,
            payload,
            fingerprint,
        };
        Ok((pending, out))
    })
}

/// A case number as recorded: trimmed if it matches the policy's pattern (and does not spell
/// the plate), else `<malformed>`.
pub(crate) fn recorded_case(policy: &Policy, case: &str, plate: Option<&Plate>) -> String {
    if policy.case_number_matches(case) {
        screen(case.trim(), plate)
    } else {
        "<malformed>".into()
    }
}

/// A warrant number as recorded: None when absent or blank, else capped and screened.
pub(crate) fn recorded_warrant(warrant: Option<&str>, plate: Option<&Plate>) -> Option<String> {
    warrant
        .filter(|w| !w.trim().is_empty())
        .map(|w| screen(&id(w), plate))
}

/// The audit fingerprint of the request's plate, when it is a valid plate and region.
fn fingerprint_of(core: &Core, req: &CaseRequest) -> Result<Option<[u8; 32]>> {
    let (Ok(plate), Ok(region)) = (Plate::parse(&req.plate), Region::parse(&req.region)) else {
        return Ok(None);
    };
    Ok(Some(core.fingerprint(&region, &plate)?))
}

/// A warrant number (or an id outside the gate) as recorded: trimmed, at most
/// [`MAX_ID_CHARS`] characters. Requester, agency and reviewer ids are recorded in
/// [`canonical_id`] form instead.
pub(crate) fn id(text: &str) -> String {
    text.trim().chars().take(MAX_ID_CHARS).collect()
}

/// A recorded field that spells the searched plate (in any spacing or case) is replaced by a
/// marker, so that a plate typed into the wrong field never reaches the audit log.
pub(crate) fn screen(field: &str, plate: Option<&Plate>) -> String {
    if let Some(p) = plate {
        let folded: String = field
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_uppercase)
            .collect();
        if folded.contains(p.expose()) {
            return "<redacted: contained the plate>".into();
        }
    }
    field.to_string()
}

/// Offense codes are recorded as given only when they look like codes; anything else could
/// be free text (and so could hold a plate).
fn sanitize_offense(offense: &str) -> String {
    let o = offense.trim().to_ascii_uppercase();
    let ok = (1..=40).contains(&o.len())
        && o.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok { o } else { "<malformed>".into() }
}
