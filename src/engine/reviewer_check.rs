//! The reviewers' two views of the audit log, both gated the same way: only reviewers named
//! in the policy may ask, at most the policy's hourly rate in a rate bucket of their own
//! (no search, whatever agency and requester it names, counts in it), and every request,
//! allowed or denied, is itself an audit entry made durable before anything is opened.
//!
//! - The reviewer check (`audit searched`): which audit entries concern one plate. A court
//!   or an oversight body asks "was this car searched, by whom, for which case?" The answer
//!   comes from the audit log alone, through its fingerprint index, without reading any
//!   plate read.
//! - The justification review (`audit justifications`): the free-text justifications of
//!   the searches, holds and hotlist entries of a period (at most [`MAX_REVIEW_PERIOD`]),
//!   with who asked, for which case, offense and purpose, and what was decided. The signal
//!   that exposes misuse is often the reason an officer wrote; CJIS asks for weekly review.
//!   It opens those entries' sealed justification payloads and nothing else: no read, no
//!   plate, no fingerprint, no alert detail.

use serde::Serialize;

use crate::audit::entry::{Entry, EntryKind, Verdict};
use crate::audit::log::{self, AuditLog, Pending, RATE_WINDOW};
use crate::engine::state::Core;
use crate::error::{Error, Result};
use crate::model::epoch::{Span, Timestamp};
use crate::model::plate::{Plate, Region};
use crate::policy::{Policy, canonical_id};

/// The longest period one justification review may cover (a month, so that a monthly
/// review is one request; CJIS asks for a weekly one).
pub const MAX_REVIEW_PERIOD: Span = Span::from_days(31);

/// The period a justification review covers when none is given: the week up to now.
pub const DEFAULT_REVIEW_PERIOD: Span = Span::from_days(7);

/// A denial of a reviewer's request: a stable code and a detail for people.
pub type ReviewDenial = (&'static str, String);

/// What a reviewer check returned.
#[derive(Clone, Debug)]
pub struct ReviewerOutcome {
    /// The check's own audit entry.
    pub audit_seq: u64,
    /// `Some((code, detail))` when denied: `not_a_reviewer`, `rate_limited`,
    /// `plate_malformed` or `region_malformed`.
    pub denial: Option<ReviewDenial>,
    /// The entries whose plate fingerprint matches, oldest first.
    pub entries: Vec<Entry>,
}

/// What a justification review returned.
#[derive(Clone, Debug)]
pub struct JustificationReview {
    /// The review's own audit entry.
    pub audit_seq: u64,
    /// `Some((code, detail))` when denied: `not_a_reviewer`, `rate_limited` or
    /// `period_too_long`.
    pub denial: Option<ReviewDenial>,
    /// First instant of the period (inclusive).
    pub from: Timestamp,
    /// End of the period (exclusive).
    pub to: Timestamp,
    /// Every search, hold and hotlist request of the period that carried a justification,
    /// oldest first (empty when denied).
    pub entries: Vec<ReviewedJustification>,
}

/// One request's justification as a reviewer sees it. Its `Debug` output redacts the text.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ReviewedJustification {
    /// The request's audit entry.
    pub seq: u64,
    /// When it was decided.
    pub time: Timestamp,
    /// `search`, `hold_add` or `hotlist_add`.
    pub kind: EntryKind,
    /// The requesting agency, as recorded.
    pub agency: Option<String>,
    /// The requester, as recorded.
    pub requester: Option<String>,
    /// The case number, as recorded.
    pub case: Option<String>,
    /// The offense code, as recorded.
    pub offense: Option<String>,
    /// The purpose, as recorded.
    pub purpose: Option<String>,
    /// Allowed or denied.
    pub decision: Option<Verdict>,
    /// The decision's reason code.
    pub reason: Option<String>,
    /// The justification as written; None when shredded or withheld.
    pub justification: Option<String>,
    /// True when the month's payloads were crypto-shredded (`audit_payload_retention`).
    pub shredded: bool,
    /// True when the text is withheld: a request denied because its justification spelled
    /// the plate (see `docs/audit.md`).
    pub withheld: bool,
}

impl std::fmt::Debug for ReviewedJustification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewedJustification")
            .field("seq", &self.seq)
            .field("time", &self.time)
            .field("kind", &self.kind)
            .field("decision", &self.decision)
            .field("reason", &self.reason)
            .field(
                "justification",
                &self.justification.as_ref().map(|_| "<redacted>"),
            )
            .field("shredded", &self.shredded)
            .field("withheld", &self.withheld)
            .finish_non_exhaustive()
    }
}

/// The gate both views share: a reviewer named in the policy, under the hourly limit,
/// counted in the reviewers' own bucket. Run under the audit writer lock.
fn reviewer_denial(
    core: &Core,
    policy: &Policy,
    reviewer: &str,
    now: Timestamp,
) -> Result<Option<ReviewDenial>> {
    if !policy.is_reviewer(reviewer) {
        return Ok(Some((
            "not_a_reviewer",
            "only reviewers named in the policy may do this".into(),
        )));
    }
    let recent = AuditLog::review_attempts_since(&core.store, reviewer, now.minus(RATE_WINDOW))?;
    let limit = policy.searches_per_requester_per_hour();
    if recent >= limit {
        return Ok(Some((
            "rate_limited",
            format!("at most {limit} reviewer requests per hour"),
        )));
    }
    Ok(None)
}

/// A reviewer's audit entry: no agency (reviewers count in their own bucket).
fn review_entry(kind: EntryKind, reviewer: &str, denial: Option<&ReviewDenial>) -> Entry {
    let mut entry = Entry::new(kind);
    entry.requester = Some(reviewer.to_string());
    entry.decision = Some(if denial.is_none() {
        Verdict::Allowed
    } else {
        Verdict::Denied
    });
    entry.reason = Some(denial.map_or("allowed", |d| d.0).into());
    entry
}

pub(crate) fn check(
    core: &Core,
    plate: &str,
    region: &str,
    reviewer: &str,
) -> Result<ReviewerOutcome> {
    let policy = core.policy();
    let now = core.clock.now();
    let reviewer = canonical_id(reviewer);
    let parsed = (Plate::parse(plate), Region::parse(region));
    let fingerprint = match &parsed {
        (Ok(p), Ok(r)) => Some(core.fingerprint(r, p)?),
        _ => None,
    };
    let (audit_seq, (denial, entries)) =
        core.audit()?.decide_then_append(&core.store, now, || {
            let denial = match reviewer_denial(core, &policy, &reviewer, now)? {
                Some(d) => Some(d),
                None if parsed.0.is_err() => {
                    Some(("plate_malformed", "give the exact plate".into()))
                }
                None if parsed.1.is_err() => {
                    Some(("region_malformed", "give the region, for example CO".into()))
                }
                None => None,
            };
            let mut entries = Vec::new();
            if denial.is_none()
                && let Some(fp) = &fingerprint
            {
                for seq in AuditLog::seqs_with_fingerprint(&core.store, fp)? {
                    entries.push(log::read_entry(&core.store, seq)?);
                }
            }
            let mut entry = review_entry(EntryKind::ReviewerCheck, &reviewer, denial.as_ref());
            entry.fingerprint = fingerprint.map(hex::encode);
            entry.results = Some(entries.len() as u64);
            Ok((Pending::plain(entry), (denial, entries)))
        })?;
    Ok(ReviewerOutcome {
        audit_seq,
        denial,
        entries,
    })
}

/// The justification review of `[from, to)`; `to` defaults to now (and then the period
/// includes now) and `from` to a week before `to`. A period that starts after it ends is a usage error; one longer than
/// [`MAX_REVIEW_PERIOD`] is a denial (audited).
pub(crate) fn justifications(
    core: &Core,
    reviewer: &str,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<JustificationReview> {
    let policy = core.policy();
    let now = core.clock.now();
    let reviewer = canonical_id(reviewer);
    let given_to = to;
    let to = to.unwrap_or(now);
    let from = from.unwrap_or_else(|| to.minus(DEFAULT_REVIEW_PERIOD));
    if from > to {
        return Err(Error::InvalidArgument(format!(
            "the period starts ({from}) after it ends ({to}): it is [from, to)"
        )));
    }
    let too_long = to > from.plus(MAX_REVIEW_PERIOD);
    // Which entries the period holds is read from the entries (their metadata, which
    // `audit prove` shows anyone) before the writer lock is taken, so that a long period
    // does not hold up searches; nothing sealed is opened until the review is audited.
    // Nothing is dated after now yet. A period that ends now (the default) includes now:
    // entries made in the same instant as the review are in it.
    let just_after_now = Timestamp::from_micros(now.as_micros().saturating_add(1));
    let end = given_to.map_or(just_after_now, |t| t.min(just_after_now));
    let listed = if policy.is_reviewer(&reviewer) && !too_long {
        justified_entries(core, from, end)?
    } else {
        Vec::new()
    };
    let (audit_seq, denial) = core.audit()?.decide_then_append(&core.store, now, || {
        let denial = match reviewer_denial(core, &policy, &reviewer, now)? {
            Some(d) => Some(d),
            None if too_long => Some((
                "period_too_long",
                format!(
                    "a review covers at most {} days: narrow --from/--to",
                    MAX_REVIEW_PERIOD.as_secs() / 86_400
                ),
            )),
            None => None,
        };
        let mut entry = review_entry(EntryKind::JustificationReview, &reviewer, denial.as_ref());
        entry.from = Some(from);
        entry.to = Some(to);
        entry.results = Some(if denial.is_none() {
            listed.len() as u64
        } else {
            0
        });
        Ok((Pending::plain(entry), denial))
    })?;
    let mut entries = Vec::new();
    if denial.is_none() {
        // The review's entry is durable: now, and only now, the justifications are opened.
        for e in &listed {
            entries.push(open_justification(core, e)?);
        }
    }
    Ok(JustificationReview {
        audit_seq,
        denial,
        from,
        to,
        entries,
    })
}

/// The kinds whose payload is a justification (an alert's payload is not).
fn carries_justification(kind: EntryKind) -> bool {
    matches!(
        kind,
        EntryKind::Search | EntryKind::HoldAdd | EntryKind::HotlistAdd
    )
}

/// The entries dated in `[from, to)` that carry a justification. Entry times never go back
/// (the log dates each entry no earlier than the one before), so the first is found by
/// bisection and the rest are read in order.
fn justified_entries(core: &Core, from: Timestamp, to: Timestamp) -> Result<Vec<Entry>> {
    let size = core.audit()?.size();
    let (mut lo, mut hi) = (0u64, size);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if log::read_entry(&core.store, mid)?.time < from {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut out = Vec::new();
    for seq in lo..size {
        let entry = log::read_entry(&core.store, seq)?;
        if entry.time >= to {
            break;
        }
        if carries_justification(entry.kind) && entry.payload.is_some() {
            out.push(entry);
        }
    }
    Ok(out)
}

/// One entry's justification, opened under its month's payload key if that still exists.
fn open_justification(core: &Core, e: &Entry) -> Result<ReviewedJustification> {
    // Since justifications are screened when sealed, such a request's payload holds only a
    // marker; before, it held the text as typed, plate included. Either way: withheld.
    let withheld = e.reason.as_deref() == Some("justification_contains_plate");
    let text = if withheld {
        None
    } else {
        AuditLog::open_payload(&core.store, e.seq, |month| core.existing_payload_key(month))?
    };
    Ok(ReviewedJustification {
        seq: e.seq,
        time: e.time,
        kind: e.kind,
        agency: e.agency.clone(),
        requester: e.requester.clone(),
        case: e.case.clone(),
        offense: e.offense.clone(),
        purpose: e.purpose.clone(),
        decision: e.decision,
        reason: e.reason.clone(),
        shredded: !withheld && text.is_none(),
        withheld,
        justification: text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::MasterKey;
    use crate::engine::search::SearchRequest;
    use crate::policy::CaseRequest;
    use crate::vault::{Vault, VaultOptions};

    #[test]
    fn a_justification_that_spells_the_plate_is_sealed_as_a_marker() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let key = MasterKey::generate().expect("key");
        let now = Timestamp::parse_rfc3339("2026-11-10T12:00:00Z").expect("time");
        let vault = Vault::create(
            &tmp.path().join("store"),
            &key,
            &Policy::default_policy(),
            &VaultOptions::new().simulated_clock(now),
        )
        .expect("create");
        let mut seqs = Vec::new();
        for text in ["plate 7 K Q X 2 9 1 seen at the bank", "ICE wants 7KQX291"] {
            let out = vault
                .search(&SearchRequest {
                    case: CaseRequest {
                        plate: "7KQX291".into(),
                        region: "CO".into(),
                        case_number: "2026-001234".into(),
                        offense: "ROBBERY".into(),
                        purpose: "investigation".into(),
                        requester: "DET-1".into(),
                        agency: "CITY-PD".into(),
                        justification: Some(text.into()),
                        ..CaseRequest::default()
                    },
                    with_images: false,
                })
                .expect("search");
            assert!(!out.is_allowed());
            seqs.push(out.audit_seq);
        }
        let core = vault.core();
        for seq in seqs {
            let sealed = AuditLog::open_payload(&core.store, seq, |m| core.existing_payload_key(m))
                .expect("open");
            assert_eq!(
                sealed.as_deref(),
                Some(crate::engine::gate::JUSTIFICATION_WITH_PLATE),
                "whatever the denial, the plate is not sealed"
            );
        }
    }
}
