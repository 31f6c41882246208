//! The reviewer check (`audit searched`): which audit entries concern one plate.
//!
//! A court or an oversight body asks "was this car searched, by whom, for which case?" The
//! answer comes from the audit log alone, through its fingerprint index, without reading any
//! plate read. Only reviewers named in the policy may ask, at most the policy's hourly rate,
//! and every check (allowed or denied) is itself an audit entry.

use crate::audit::entry::{Entry, EntryKind, Verdict};
use crate::audit::log::{self, AuditLog, Pending, RATE_WINDOW};
use crate::core::Core;
use crate::error::Result;
use crate::plate::{Plate, Region};

/// The agency under which reviewer checks are recorded and rate-limited.
pub const REVIEW_AGENCY: &str = "REVIEW";

/// What a reviewer check returned.
#[derive(Clone, Debug)]
pub struct ReviewerOutcome {
    /// The check's own audit entry.
    pub audit_seq: u64,
    /// `Some((code, detail))` when denied: `not_a_reviewer`, `rate_limited`,
    /// `plate_malformed` or `region_malformed`.
    pub denial: Option<(&'static str, String)>,
    /// The entries whose plate fingerprint matches, oldest first.
    pub entries: Vec<Entry>,
}

pub(crate) fn check(
    core: &Core,
    plate: &str,
    region: &str,
    reviewer: &str,
) -> Result<ReviewerOutcome> {
    let policy = core.policy();
    let now = core.clock.now();
    let reviewer = crate::gate::id(reviewer);
    let parsed = (Plate::parse(plate), Region::parse(region));
    let fingerprint = match &parsed {
        (Ok(p), Ok(r)) => Some(core.fingerprint(r, p)?),
        _ => None,
    };
    let (audit_seq, (denial, entries)) =
        core.audit()?.decide_then_append(&core.store, now, || {
            let recent = AuditLog::attempts_since(
                &core.store,
                REVIEW_AGENCY,
                &reviewer,
                now.minus(RATE_WINDOW),
            )?;
            let denial: Option<(&'static str, String)> = if !policy.is_reviewer(&reviewer) {
                Some((
                    "not_a_reviewer",
                    "only reviewers named in the policy may run this check".into(),
                ))
            } else if recent >= policy.searches_per_requester_per_hour() {
                Some((
                    "rate_limited",
                    format!(
                        "at most {} checks per hour",
                        policy.searches_per_requester_per_hour()
                    ),
                ))
            } else if parsed.0.is_err() {
                Some(("plate_malformed", "give the exact plate".into()))
            } else if parsed.1.is_err() {
                Some(("region_malformed", "give the region, for example CO".into()))
            } else {
                None
            };
            let mut entries = Vec::new();
            if denial.is_none()
                && let Some(fp) = &fingerprint
            {
                for seq in AuditLog::seqs_with_fingerprint(&core.store, fp)? {
                    entries.push(log::read_entry(&core.store, seq)?);
                }
            }
            let mut entry = Entry::new(EntryKind::ReviewerCheck);
            entry.requester = Some(reviewer.clone());
            entry.agency = Some(REVIEW_AGENCY.into());
            entry.fingerprint = fingerprint.map(hex::encode);
            entry.decision = Some(if denial.is_none() {
                Verdict::Allowed
            } else {
                Verdict::Denied
            });
            entry.reason = Some(denial.as_ref().map_or("allowed", |d| d.0).into());
            entry.results = Some(entries.len() as u64);
            Ok((
                Pending {
                    entry,
                    payload: None,
                    fingerprint: None,
                },
                (denial, entries),
            ))
        })?;
    Ok(ReviewerOutcome {
        audit_seq,
        denial,
        entries,
    })
}
