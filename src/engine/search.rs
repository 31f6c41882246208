//! Search, the only read path: policy → audit (durable) → per-epoch lookup → open.
//!
//! Every request that reaches [`search`] is decided by the policy and recorded in the audit
//! log, allowed or denied, and the decision entry is synced to disk before any read is looked
//! at; its sequence number is the search's `audit_seq`. A denied request returns no reads and
//! touches no epoch data. An allowed one reads only the exact plate over the granted window,
//! and the held copies of the holds the requesting agency may see for that case (its own;
//! see `hold::visible`) over the window granted for held copies (`held_from` in the decision
//! entry), then appends a result entry naming the decision entry, the number of reads
//! returned and, when a hold was reachable, how many of them came from holds (`held`).
//!
//! The rate limit is counted from the audit log under the log's writer lock, so concurrent
//! requests (threads or processes, one at a time per store) cannot slip past it.

use crate::audit::entry::{Entry, EntryKind};
use crate::audit::log::Pending;
use crate::engine::gate::{RequestKind, decide_and_audit};
use crate::engine::lookup::lookup;
use crate::engine::state::Core;
use crate::error::Result;
use crate::model::record::ReadView;
use crate::policy::{CaseRequest, Decision};

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

/// The only read path.
pub(crate) fn search(core: &Core, req: &SearchRequest) -> Result<SearchOutcome> {
    // Which legal holds this request could reach (their metadata only: owner, case,
    // offense). The decision needs to know: held copies outlive retention, so a window
    // before it is granted for them, and only for them.
    let holds = crate::engine::hold::visible(core, &req.case)?;
    let decided = decide_and_audit(
        core,
        RequestKind::Search,
        &req.case,
        None,
        None,
        !holds.is_empty(),
        |_, _| None,
    )?;
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
        // Held copies: only the holds this agency may see for this case, only inside the
        // granted window for held copies (the window asked for, not clamped to retention,
        // cut at an age tier's cut-off without a warrant).
        Ok(_) => crate::engine::hold::held_reads(
            core,
            &holds,
            grant.plate(),
            grant.region(),
            Some(grant.held_from()),
            Some(grant.to()),
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
    if !holds.is_empty() {
        // What was disclosed from holds, apart from the live reads.
        entry.held = Some(reads.iter().filter(|r| r.from_hold).count() as u64);
    }
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
