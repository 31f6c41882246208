//! The decisions for the gated requests that are not a plate search: listing a case's
//! hotlist alerts, and releasing a hold or removing a hotlist entry.
//!
//! Like [`Policy::decide`], each is a pure function of the policy, the request and a
//! [`DecisionContext`], touching no data; the caller makes the decision durable in the audit
//! log before it acts on it. Their rules run in a fixed order, the first that fails decides,
//! and they share the reason codes of a search:
//!
//! - alerts ([`Policy::decide_alerts`]): a requester is named (`requester_missing`); the
//!   agency is the home agency or has an MOU in force now (`no_mou`; which of its entries'
//!   offenses the MOU covers is checked per alert, [`Policy::may_see_alerts_of`]); the case
//!   number matches the pattern (`case_number_malformed`); the justification holds no
//!   prohibited term (`justification_prohibited_term`); the requester is under the hourly
//!   limit (`rate_limited`). Under an age tier without a warrant, alerts of older reads are
//!   withheld (the grant says from when).
//! - releases and removals ([`Policy::decide_removal`]): a requester is named
//!   (`requester_missing`); the case number, when the request names one, matches the
//!   pattern (`case_number_malformed`); the agency owns what is to be destroyed
//!   (`not_owner`); the requester is under the hourly limit (`rate_limited`).
//!
//! Held copies ([`Policy::may_see_hold`]) go to the agency that placed the hold, and, only
//! when the policy sets `holds_shared_with_mou`, to an outside agency whose MOU in force
//! covers the offense of a hold the home agency placed, when it asks for that offense.

use std::fmt;

use super::decide::{Denial, DenyReason};
use super::{DecisionContext, Policy, canonical_offense, same_agency};
use crate::model::epoch::Timestamp;

/// A request to list the hotlist alerts of one case, for one agency. Its `Debug` output
/// redacts the justification.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AlertsRequest {
    /// The case number; must match the policy's pattern. Only alerts of hotlist entries
    /// for this case (and this agency) are returned.
    pub case_number: String,
    /// Who asks.
    pub requester: String,
    /// For which agency: only alerts of entries this agency placed are returned.
    pub agency: String,
    /// Free text saying why; screened for prohibited terms like a search's.
    pub justification: Option<String>,
    /// A warrant number, where the policy's age tiers require one for older reads.
    pub warrant: Option<String>,
    /// Only alerts for reads captured at or after this time.
    pub since: Option<Timestamp>,
}

impl fmt::Debug for AlertsRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertsRequest")
            .field("case_number", &self.case_number)
            .field("requester", &self.requester)
            .field("agency", &self.agency)
            .field(
                "justification",
                &self.justification.as_ref().map(|_| "<redacted>"),
            )
            .field("warrant", &self.warrant)
            .field("since", &self.since)
            .finish()
    }
}

/// Permission to list one agency's alerts for one case. Only [`Policy::decide_alerts`]
/// makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertsGrant {
    case: String,
    agency: String,
    since: Option<Timestamp>,
    withheld_before: Option<Timestamp>,
}

impl AlertsGrant {
    /// The case number, trimmed.
    pub fn case(&self) -> &str {
        &self.case
    }

    /// The agency, trimmed and upper-cased (as the audit log records agencies).
    pub fn agency(&self) -> &str {
        &self.agency
    }

    /// Only alerts of reads captured at or after this time.
    pub fn since(&self) -> Option<Timestamp> {
        self.since
    }

    /// When an age tier withheld alerts of older reads for want of a warrant: the instant
    /// before which they were withheld.
    pub fn withheld_before(&self) -> Option<Timestamp> {
        self.withheld_before
    }
}

/// A request to release a hold or remove a hotlist entry: destroying evidence is gated
/// (only the agency that placed it may) and audited before anything is destroyed.
///
/// Identity hook: in the policy's `verified` identity mode (brief, section 8; built by
/// another issue), the requester and agency will come from a verified credential and the
/// credential must carry the policy's `hold` or `hotlist` role (a supervisor). Until then
/// ids are declared by the caller, and `role` cannot be checked: a request that names one
/// is refused with an error rather than silently treated as checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemovalRequest {
    /// Who asks (recorded in the audit log).
    pub requester: String,
    /// Their agency: it must be the agency that placed the hold or entry.
    pub agency: String,
    /// The caller's role, for `verified` identity mode only (see the type's documentation);
    /// must be `None` while identities are declared.
    pub role: Option<String>,
}

impl Policy {
    /// Decides an alerts request. Pure: the same policy, request and context give the same
    /// decision.
    pub fn decide_alerts(
        &self,
        req: &AlertsRequest,
        ctx: &DecisionContext,
    ) -> Result<AlertsGrant, Denial> {
        let now = ctx.now;
        if req.requester.trim().is_empty() {
            return Err(Denial::new(
                DenyReason::RequesterMissing,
                "name the requester: the audit log records who asked for every alert listing",
            ));
        }
        if !self.is_home_agency(&req.agency) && !self.has_mou_in_force(&req.agency, now) {
            return Err(Denial::new(
                DenyReason::NoMou,
                format!(
                    "only {} and agencies with an MOU in force may list alerts",
                    self.agency()
                ),
            ));
        }
        if !self.case_number_matches(&req.case_number) {
            return Err(Denial::new(
                DenyReason::CaseNumberMalformed,
                format!(
                    "the case number must match the policy's pattern {} in full",
                    self.case_number_pattern()
                ),
            ));
        }
        if let Some(text) = &req.justification
            && let Some(term) = self.find_prohibited_term(text)
        {
            return Err(Denial::new(
                DenyReason::JustificationProhibitedTerm,
                format!(
                    "the justification contains the prohibited term \"{term}\"; such requests are not allowed"
                ),
            ));
        }
        let limit = self.searches_per_requester_per_hour();
        if ctx.recent_attempts >= limit {
            return Err(Denial::new(
                DenyReason::RateLimited,
                format!(
                    "{} attempts by this requester in the last 60 minutes; the policy allows {limit} per hour",
                    ctx.recent_attempts
                ),
            ));
        }
        let has_warrant = req.warrant.as_deref().is_some_and(|w| !w.trim().is_empty());
        let withheld_before = match self.warrant_age() {
            Some(age) if !has_warrant => Some(now.minus(age)),
            _ => None,
        };
        Ok(AlertsGrant {
            case: req.case_number.trim().to_string(),
            agency: req.agency.trim().to_ascii_uppercase(),
            since: req.since,
            withheld_before,
        })
    }

    /// Decides a hold release or hotlist removal. `case` is the case number the request
    /// names (a hold release), `owner` the agency that placed what is to be destroyed (None
    /// when there is nothing to destroy). Pure.
    pub fn decide_removal(
        &self,
        req: &RemovalRequest,
        case: Option<&str>,
        owner: Option<&str>,
        ctx: &DecisionContext,
    ) -> Result<(), Denial> {
        if req.requester.trim().is_empty() {
            return Err(Denial::new(
                DenyReason::RequesterMissing,
                "name the requester: the audit log records who destroys evidence",
            ));
        }
        if let Some(case) = case
            && !self.case_number_matches(case)
        {
            return Err(Denial::new(
                DenyReason::CaseNumberMalformed,
                format!(
                    "the case number must match the policy's pattern {} in full",
                    self.case_number_pattern()
                ),
            ));
        }
        if let Some(owner) = owner
            && !same_agency(owner, &req.agency)
        {
            return Err(Denial::new(
                DenyReason::NotOwner,
                format!("it was placed by {owner}: only that agency may release or remove it"),
            ));
        }
        let limit = self.searches_per_requester_per_hour();
        if ctx.recent_attempts >= limit {
            return Err(Denial::new(
                DenyReason::RateLimited,
                format!(
                    "{} attempts by this requester in the last 60 minutes; the policy allows {limit} per hour",
                    ctx.recent_attempts
                ),
            ));
        }
        Ok(())
    }

    /// True when `agency`, asking about a case for `offense`, may receive the held copies of
    /// a hold on that case placed by `hold_agency` for `hold_offense`: its own hold, or
    /// (with `holds_shared_with_mou`) the home agency's hold when `agency` is outside, asks
    /// for the hold's offense and has an MOU in force now that covers it.
    pub fn may_see_hold(
        &self,
        agency: &str,
        offense: &str,
        hold_agency: &str,
        hold_offense: &str,
        now: Timestamp,
    ) -> bool {
        if same_agency(agency, hold_agency) {
            return true;
        }
        let hold_offense = canonical_offense(hold_offense);
        self.holds_shared_with_mou()
            && self.is_home_agency(hold_agency)
            && !self.is_home_agency(agency)
            && canonical_offense(offense) == hold_offense
            && self.mou_covers(agency, &hold_offense, now)
    }

    /// True when `agency` may see the alerts of its own hotlist entry for `offense` now: the
    /// offense is still allowed and, for an outside agency, an MOU in force covers it.
    pub fn may_see_alerts_of(&self, agency: &str, offense: &str, now: Timestamp) -> bool {
        let offense = canonical_offense(offense);
        self.is_offense_allowed(&offense)
            && (self.is_home_agency(agency) || self.mou_covers(agency, &offense, now))
    }

    /// True when `agency` has an MOU in force at `now`.
    fn has_mou_in_force(&self, agency: &str, now: Timestamp) -> bool {
        self.mous()
            .iter()
            .any(|m| same_agency(&m.agency, agency) && m.in_force_at(now))
    }

    /// True when `agency` has an MOU in force at `now` that covers `offense` (canonical).
    fn mou_covers(&self, agency: &str, offense: &str, now: Timestamp) -> bool {
        self.mous()
            .iter()
            .any(|m| same_agency(&m.agency, agency) && m.in_force_at(now) && m.covers(offense))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Mou, PolicySpec};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("time")
    }

    fn policy(shared: bool) -> Policy {
        Policy::from_spec(PolicySpec {
            holds_shared_with_mou: shared,
            mou: vec![Mou {
                agency: "RIVER-COUNTY-SO".into(),
                valid_from: ts("2026-01-01T00:00:00Z"),
                valid_to: ts("2027-01-01T00:00:00Z"),
                offenses: vec!["HOMICIDE".into()],
            }],
            ..PolicySpec::default_spec()
        })
        .expect("policy")
    }

    fn ctx(attempts: u32) -> DecisionContext {
        DecisionContext {
            now: ts("2026-06-01T00:00:00Z"),
            recent_attempts: attempts,
            case_held: false,
        }
    }

    fn alerts(edit: impl FnOnce(&mut AlertsRequest)) -> Result<AlertsGrant, Denial> {
        let mut req = AlertsRequest {
            case_number: "2026-001234".into(),
            requester: "DET-7".into(),
            agency: "city-pd ".into(),
            ..AlertsRequest::default()
        };
        edit(&mut req);
        policy(false).decide_alerts(&req, &ctx(0))
    }

    #[test]
    fn alert_requests_are_decided_in_rule_order() {
        let g = alerts(|_| {}).expect("allowed");
        assert_eq!((g.case(), g.agency()), ("2026-001234", "CITY-PD"));
        let code = |r: Result<AlertsGrant, Denial>| r.expect_err("denied").code();
        assert_eq!(
            code(alerts(|r| r.requester = " ".into())),
            "requester_missing"
        );
        assert_eq!(code(alerts(|r| r.agency = "FED".into())), "no_mou");
        assert!(alerts(|r| r.agency = "river-county-so".into()).is_ok());
        assert_eq!(
            code(alerts(|r| r.case_number = "2026-001234*".into())),
            "case_number_malformed"
        );
        assert_eq!(
            code(alerts(|r| r.justification = Some("ICE detainer".into()))),
            "justification_prohibited_term"
        );
        let req = AlertsRequest {
            case_number: "2026-001234".into(),
            requester: "DET-7".into(),
            agency: "CITY-PD".into(),
            ..AlertsRequest::default()
        };
        assert_eq!(
            policy(false)
                .decide_alerts(&req, &ctx(60))
                .expect_err("denied")
                .code(),
            "rate_limited"
        );
    }

    #[test]
    fn only_the_owner_may_release_or_remove() {
        let p = policy(false);
        let req = |agency: &str| RemovalRequest {
            requester: "SGT-1".into(),
            agency: agency.into(),
            role: None,
        };
        let c = ctx(0);
        assert!(
            p.decide_removal(&req("city-pd"), Some("2026-001234"), Some("CITY-PD"), &c)
                .is_ok()
        );
        assert!(p.decide_removal(&req("X"), None, None, &c).is_ok());
        let code = |r: Result<(), Denial>| r.expect_err("denied").code();
        assert_eq!(
            code(p.decide_removal(&req("RIVER-COUNTY-SO"), None, Some("CITY-PD"), &c)),
            "not_owner"
        );
        assert_eq!(
            code(p.decide_removal(&req("CITY-PD"), Some("12"), Some("CITY-PD"), &c)),
            "case_number_malformed"
        );
        let mut nobody = req("CITY-PD");
        nobody.requester.clear();
        assert_eq!(
            code(p.decide_removal(&nobody, None, Some("CITY-PD"), &c)),
            "requester_missing"
        );
        assert_eq!(
            code(p.decide_removal(&req("CITY-PD"), None, Some("CITY-PD"), &ctx(60))),
            "rate_limited"
        );
    }

    #[test]
    fn held_copies_go_to_their_agency_and_to_a_covering_mou_only_when_shared() {
        let now = ts("2026-06-01T00:00:00Z");
        for shared in [false, true] {
            let p = policy(shared);
            assert!(p.may_see_hold("city-pd", "ROBBERY", "CITY-PD", "HOMICIDE", now));
            assert!(!p.may_see_hold("RIVER-COUNTY-SO", "ROBBERY", "CITY-PD", "ROBBERY", now));
            assert_eq!(
                p.may_see_hold("RIVER-COUNTY-SO", "homicide", "CITY-PD", "HOMICIDE", now),
                shared
            );
            // The MOU must be in force, and the hold must be the home agency's.
            let later = ts("2027-02-01T00:00:00Z");
            assert!(!p.may_see_hold("RIVER-COUNTY-SO", "HOMICIDE", "CITY-PD", "HOMICIDE", later));
            assert!(!p.may_see_hold("CITY-PD", "HOMICIDE", "RIVER-COUNTY-SO", "HOMICIDE", now));
        }
    }
}
