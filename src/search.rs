//! Search, the only read path: policy → audit (durable) → per-epoch lookup → open.
//!
//! Every request that reaches [`search`] is decided by the policy and recorded in the audit
//! log, allowed or denied, and the decision entry is synced to disk before any read is looked
//! at; its sequence number is the search's `audit_seq`. A denied request returns no reads and
//! touches no epoch data. An allowed one reads only the exact plate over the granted window
//! (and the reads its case holds), then appends a result entry naming the decision entry and
//! the number of reads returned.
//!
//! The rate limit is counted from the audit log under the log's writer lock, so concurrent
//! requests (threads or processes, one at a time per store) cannot slip past it.

use crate::audit::entry::{Entry, EntryKind, Verdict};
use crate::audit::log::{AuditLog, Pending, RATE_WINDOW};
use crate::core::Core;
use crate::epoch::Timestamp;
use crate::error::{Error, Result};
use crate::lookup::lookup;
use crate::plate::{Plate, Region};
use crate::policy::{CaseRequest, Decision, DecisionContext, Policy, Purpose};
use crate::record::ReadView;

/// A search: the case context, and whether to return image bytes.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    /// Plate, region, case, offense, purpose, requester, agency, justification, warrant and
    /// window, as the caller gave them.
    pub case: CaseRequest,
    /// Return the decrypted image bytes with each read.
    pub with_images: bool,
}

/// What a search did.
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    /// The decision entry's sequence number (its leaf index in the audit tree).
    pub audit_seq: u64,
    /// The policy's decision.
    pub decision: Decision,
    /// The reads found (empty when denied), oldest first.
    pub reads: Vec<ReadView>,
    /// The result entry's sequence number (allowed searches only).
    pub result_seq: Option<u64>,
    /// Time spent reading and opening epoch data (zero when denied): the lookup alone,
    /// without the policy decision and the durable audit entries, for benchmarks.
    pub lookup_time: std::time::Duration,
}

impl SearchOutcome {
    /// True when the policy allowed the search.
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// `allowed`, or the denial's stable reason code.
    pub fn reason_code(&self) -> &'static str {
        match &self.decision {
            Decision::Allowed(_) => "allowed",
            Decision::Denied(d) => d.code(),
        }
    }
}

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
pub(crate) fn decide_and_audit(
    core: &Core,
    kind: RequestKind,
    req: &CaseRequest,
    until: Option<Timestamp>,
    entry_id: Option<&str>,
    extra_check: impl FnOnce(&Policy, Timestamp) -> Option<crate::policy::Denial>,
) -> Result<Decided> {
    if let (Some(from), Some(to)) = (req.from, req.to)
        && from > to
    {
        return Err(Error::InvalidArgument(format!(
            "the window starts ({from}) after it ends ({to})"
        )));
    }
    let policy = core.policy();
    let audit = core.audit()?;
    let now = core.clock.now();
    let agency_key = req.agency.trim().to_ascii_uppercase();
    let requester_key = req.requester.trim().to_string();
    let fingerprint = fingerprint_of(core, req)?;
    let (audit_seq, decision) = audit.decide_then_append(&core.store, now, || {
        let recent = AuditLog::attempts_since(
            &core.store,
            &agency_key,
            &requester_key,
            now.minus(RATE_WINDOW),
        )?;
        let mut decision = policy.decide(
            req,
            &DecisionContext {
                now,
                recent_attempts: recent,
            },
        );
        if decision.is_allowed()
            && let Some(denial) = extra_check(&policy, now)
        {
            decision = Decision::Denied(denial);
        }
        let mut entry = Entry::new(kind.entry_kind());
        entry.requester = Some(requester_key.clone());
        entry.agency = Some(agency_key.clone());
        entry.case = Some(if policy.case_number_matches(&req.case_number) {
            req.case_number.trim().to_string()
        } else {
            "<malformed>".into()
        });
        entry.offense = Some(sanitize_offense(&req.offense));
        entry.purpose = Some(match req.purpose.trim().parse::<Purpose>() {
            Ok(p) => p.as_str().to_string(),
            Err(_) => "<unknown>".into(),
        });
        entry.fingerprint = fingerprint.map(hex::encode);
        entry.warrant = req
            .warrant
            .as_ref()
            .filter(|w| !w.trim().is_empty())
            .map(|w| w.trim().chars().take(64).collect());
        entry.until = until;
        match &decision {
            Decision::Allowed(g) => {
                entry.entry_id = entry_id.map(str::to_string);
                entry.decision = Some(Verdict::Allowed);
                entry.reason = Some("allowed".into());
                entry.from = Some(g.from());
                entry.to = Some(g.to());
                entry.withheld_before = g.withheld_before();
            }
            Decision::Denied(d) => {
                entry.decision = Some(Verdict::Denied);
                entry.reason = Some(d.code().into());
                entry.from = req.from;
                entry.to = req.to;
            }
        }
        let pending = Pending {
            entry,
            payload: req
                .justification
                .as_ref()
                .filter(|j| !j.trim().is_empty())
                .cloned(),
            fingerprint,
        };
        Ok((pending, decision))
    })?;
    Ok(Decided {
        audit_seq,
        decision,
    })
}

/// The only read path.
pub(crate) fn search(core: &Core, req: &SearchRequest) -> Result<SearchOutcome> {
    let decided = decide_and_audit(core, RequestKind::Search, &req.case, None, None, |_, _| {
        None
    })?;
    let Decision::Allowed(grant) = &decided.decision else {
        return Ok(SearchOutcome {
            audit_seq: decided.audit_seq,
            decision: decided.decision,
            reads: Vec::new(),
            result_seq: None,
            lookup_time: std::time::Duration::ZERO,
        });
    };
    let started = std::time::Instant::now();
    let found = lookup(
        core,
        grant.plate(),
        grant.region(),
        grant.from(),
        grant.to(),
        req.with_images,
    );
    let held = match &found {
        Ok(_) => crate::hold::held_reads(
            core,
            &req.case.case_number,
            grant.plate(),
            grant.region(),
            req.case.from,
            req.case.to,
            req.with_images,
        ),
        Err(_) => Ok(Vec::new()),
    };
    let lookup_time = started.elapsed();
    let (reads, failure) = match (found, held) {
        (Ok(mut reads), Ok(held)) => {
            merge_held(&mut reads, held);
            (reads, None)
        }
        (Err(e), _) | (_, Err(e)) => (Vec::new(), Some(e)),
    };
    let mut entry = Entry::new(EntryKind::SearchResult);
    entry.result_of = Some(decided.audit_seq);
    entry.results = Some(reads.len() as u64);
    if let Some(e) = &failure {
        entry.note = Some(format!("lookup failed: {e}"));
    }
    let result_seq = core
        .audit()?
        .append(&core.store, core.clock.now(), Pending::plain(entry))?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(SearchOutcome {
        audit_seq: decided.audit_seq,
        decision: decided.decision,
        reads,
        result_seq: Some(result_seq),
        lookup_time,
    })
}

/// Adds held copies that the epoch lookup did not already return (a held read whose epoch
/// still lives is returned once).
pub(crate) fn merge_held(reads: &mut Vec<ReadView>, held: Vec<ReadView>) {
    for h in held {
        if !reads.iter().any(|r| r.read_id == h.read_id) {
            reads.push(h);
        }
    }
    reads.sort_by_key(|v| (v.body.captured_at, v.read_id));
}

/// The audit fingerprint of the request's plate, when it is a valid plate and region.
fn fingerprint_of(core: &Core, req: &CaseRequest) -> Result<Option<[u8; 32]>> {
    let (Ok(plate), Ok(region)) = (Plate::parse(&req.plate), Region::parse(&req.region)) else {
        return Ok(None);
    };
    Ok(Some(core.fingerprint(&region, &plate)?))
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
