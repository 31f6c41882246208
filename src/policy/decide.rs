//! The decision: may this request be answered, and over which window?
//!
//! [`Policy::decide`] is a pure function of the policy, a [`CaseRequest`] and a
//! [`DecisionContext`] (the store's clock and the requester's recent attempts, counted by the
//! caller from the audit log). It touches no data. Its rules run in a fixed order and the
//! first that fails decides, so the same request always gets the same reason:
//!
//! 0. a requester is named (`requester_missing`);
//! 1. the agency is the home agency, or has an MOU in force now (`no_mou`) that covers the
//!    offense (`offense_not_in_mou`);
//! 2. the case number matches the policy's pattern in full (`case_number_malformed`);
//! 3. the offense is allowed (`offense_not_allowed`);
//! 4. the purpose is known (`purpose_unknown`) and not prohibited (`purpose_prohibited`);
//! 5. the justification holds no prohibited term (`justification_prohibited_term`) and not
//!    the plate (`justification_contains_plate`);
//! 6. the window `[from, to)` is at most the maximum (`window_too_long`), overlaps the
//!    retained period once clamped to it (`window_outside_retention`; unless the context says
//!    the requesting agency may see a legal hold on the case: held copies outlive retention,
//!    so the window is then kept for them as asked, with an empty window for live reads),
//!    and, under an age tier without a warrant, reaches into the recent part
//!    (`warrant_required`);
//! 7. the requester is under the hourly limit (`rate_limited`);
//! 8. the plate (`plate_malformed`) and region (`region_malformed`) parse.
//!
//! An allowed request yields a [`Grant`], which only this module can make: the search path
//! takes a `Grant`, so there is no way to search without a decision. A denial carries a
//! [`DenyReason`] whose [`code`](DenyReason::code) is a contract for scripts, and a detail
//! for people that never contains plate text: it quotes the policy's own values and the
//! request's times, never the request's text fields, so a plate typed into the wrong field
//! does not come back.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::terms::contains_plate;
use super::{Mou, Policy, Purpose, canonical, canonical_offense, same_agency};
use crate::model::epoch::{Span, Timestamp};
use crate::model::plate::{Plate, Region};

/// A request to search (or hold, or hotlist) one plate for one case, as the caller gave it.
/// Its `Debug` output redacts the plate and the justification.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CaseRequest {
    /// The plate as written; canonicalised by the decision.
    pub plate: String,
    /// The issuing region (`CO`, `US-CO`).
    pub region: String,
    /// The case number; must match the policy's pattern.
    pub case_number: String,
    /// The offense code; must be allowed (compared trimmed and upper-cased).
    pub offense: String,
    /// The purpose as written, so that an unknown purpose is a denial, not a parse error.
    pub purpose: String,
    /// Who asks.
    pub requester: String,
    /// For which agency.
    pub agency: String,
    /// Free text saying why; screened for prohibited terms and for the plate.
    pub justification: Option<String>,
    /// A warrant number; an empty one counts as none.
    pub warrant: Option<String>,
    /// Start of the window (inclusive); defaults to the earlier of `to` and now, minus the
    /// maximum window.
    pub from: Option<Timestamp>,
    /// End of the window (exclusive); defaults to now.
    pub to: Option<Timestamp>,
}

impl fmt::Debug for CaseRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseRequest")
            .field("plate", &"<redacted>")
            .field("region", &self.region)
            .field("case_number", &self.case_number)
            .field("offense", &self.offense)
            .field("purpose", &self.purpose)
            .field("requester", &self.requester)
            .field("agency", &self.agency)
            .field(
                "justification",
                &self.justification.as_ref().map(|_| "<redacted>"),
            )
            .field("warrant", &self.warrant)
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

/// What the decision needs besides the request: the store's clock, the rate count and
/// whether the request can reach a legal hold.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DecisionContext {
    /// The store's clock (its high-water mark).
    pub now: Timestamp,
    /// Earlier attempts (allowed or denied) by this agency and requester in the last 60
    /// minutes, counted by the caller from the audit log.
    pub recent_attempts: u32,
    /// True when the requesting agency may see a legal hold on the request's case
    /// ([`Policy::may_see_hold`], checked by the caller from the holds' metadata): the
    /// window is then granted for held copies even where it lies before retention.
    pub case_held: bool,
}

/// The outcome of [`Policy::decide`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The request may be answered, over the grant's window.
    Allowed(Grant),
    /// The request is refused.
    Denied(Denial),
}

impl Decision {
    /// True when allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed(_))
    }

    /// `"allowed"` or `"denied"`, as the JSON output and the audit log write it.
    pub fn label(&self) -> &'static str {
        match self {
            Decision::Allowed(_) => "allowed",
            Decision::Denied(_) => "denied",
        }
    }

    /// The grant, when allowed.
    pub fn grant(&self) -> Option<&Grant> {
        match self {
            Decision::Allowed(g) => Some(g),
            Decision::Denied(_) => None,
        }
    }

    /// The denial, when denied.
    pub fn denial(&self) -> Option<&Denial> {
        match self {
            Decision::Allowed(_) => None,
            Decision::Denied(d) => Some(d),
        }
    }

    /// The grant or the denial as a `Result`.
    pub fn into_result(self) -> Result<Grant, Denial> {
        match self {
            Decision::Allowed(g) => Ok(g),
            Decision::Denied(d) => Err(d),
        }
    }
}

/// Permission to read one plate over one window. Only [`Policy::decide`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    plate: Plate,
    region: Region,
    purpose: Purpose,
    offense: String,
    from: Timestamp,
    to: Timestamp,
    held_from: Timestamp,
    withheld_before: Option<Timestamp>,
}

impl Grant {
    /// The canonical plate.
    pub fn plate(&self) -> &Plate {
        &self.plate
    }

    /// The region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The purpose.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The offense code, as the policy spells it.
    pub fn offense(&self) -> &str {
        &self.offense
    }

    /// First instant of the effective window (inclusive).
    pub fn from(&self) -> Timestamp {
        self.from
    }

    /// End of the effective window (exclusive); never later than now.
    pub fn to(&self) -> Timestamp {
        self.to
    }

    /// First instant of the window for held copies, `[held_from, to)`: the window asked for,
    /// not clamped to retention (held copies outlive it) but cut at an age tier's cut-off
    /// without a warrant. Equal to [`Grant::from`] unless the context said the case is held.
    pub fn held_from(&self) -> Timestamp {
        self.held_from
    }

    /// When an age tier withheld older reads for want of a warrant: the instant before which
    /// reads were withheld, so the caller can tell the user.
    pub fn withheld_before(&self) -> Option<Timestamp> {
        self.withheld_before
    }
}

/// A refusal: a stable reason and a detail for people. The detail never holds plate text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    reason: DenyReason,
    detail: String,
}

impl Denial {
    /// A denial with a reason and a detail; the detail must not contain plate text.
    pub fn new(reason: DenyReason, detail: impl Into<String>) -> Denial {
        Denial {
            reason,
            detail: detail.into(),
        }
    }

    /// Why.
    pub fn reason(&self) -> DenyReason {
        self.reason
    }

    /// The reason's stable code.
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }

    /// What exactly failed and what to do, in words (no plate text).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.reason,
            self.reason.code(),
            self.detail
        )
    }
}

/// Why a request was denied. The [`code`](DenyReason::code)s are a contract for scripts.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DenyReason {
    /// No requester was named (`requester_missing`).
    RequesterMissing,
    /// An outside agency without an MOU in force now (`no_mou`).
    NoMou,
    /// An outside agency whose MOU in force does not cover the offense (`offense_not_in_mou`).
    OffenseNotInMou,
    /// The case number does not match the policy's pattern (`case_number_malformed`).
    CaseNumberMalformed,
    /// The offense is not in the policy's allowed list (`offense_not_allowed`).
    OffenseNotAllowed,
    /// The purpose is not one of the known purposes (`purpose_unknown`).
    PurposeUnknown,
    /// The purpose is prohibited by the policy (`purpose_prohibited`).
    PurposeProhibited,
    /// The justification contains a prohibited term (`justification_prohibited_term`).
    JustificationProhibitedTerm,
    /// The justification contains the searched plate (`justification_contains_plate`).
    JustificationContainsPlate,
    /// The window is longer than the policy's maximum (`window_too_long`).
    WindowTooLong,
    /// Nothing of the window lies in the retained period (`window_outside_retention`).
    WindowOutsideRetention,
    /// The whole window is older than an age tier and no warrant was given
    /// (`warrant_required`).
    WarrantRequired,
    /// The requester reached the hourly limit (`rate_limited`).
    RateLimited,
    /// The plate is not a valid plate (`plate_malformed`).
    PlateMalformed,
    /// The region is not a valid region (`region_malformed`).
    RegionMalformed,
    /// A hold that ends in the past or further ahead than the policy allows
    /// (`hold_too_long`).
    HoldTooLong,
    /// A hotlist entry that expires in the past or further ahead than the policy allows
    /// (`hotlist_expiry_too_long`).
    HotlistExpiryTooLong,
    /// The hold or hotlist entry belongs to another agency (`not_owner`).
    NotOwner,
}

impl DenyReason {
    /// Every reason, in rule order.
    pub const ALL: [DenyReason; 18] = [
        DenyReason::RequesterMissing,
        DenyReason::NoMou,
        DenyReason::OffenseNotInMou,
        DenyReason::CaseNumberMalformed,
        DenyReason::OffenseNotAllowed,
        DenyReason::PurposeUnknown,
        DenyReason::PurposeProhibited,
        DenyReason::JustificationProhibitedTerm,
        DenyReason::JustificationContainsPlate,
        DenyReason::WindowTooLong,
        DenyReason::WindowOutsideRetention,
        DenyReason::WarrantRequired,
        DenyReason::RateLimited,
        DenyReason::PlateMalformed,
        DenyReason::RegionMalformed,
        DenyReason::HoldTooLong,
        DenyReason::HotlistExpiryTooLong,
        DenyReason::NotOwner,
    ];

    /// The stable snake_case code written in JSON output and the audit log.
    pub const fn code(self) -> &'static str {
        match self {
            DenyReason::RequesterMissing => "requester_missing",
            DenyReason::NoMou => "no_mou",
            DenyReason::OffenseNotInMou => "offense_not_in_mou",
            DenyReason::CaseNumberMalformed => "case_number_malformed",
            DenyReason::OffenseNotAllowed => "offense_not_allowed",
            DenyReason::PurposeUnknown => "purpose_unknown",
            DenyReason::PurposeProhibited => "purpose_prohibited",
            DenyReason::JustificationProhibitedTerm => "justification_prohibited_term",
            DenyReason::JustificationContainsPlate => "justification_contains_plate",
            DenyReason::WindowTooLong => "window_too_long",
            DenyReason::WindowOutsideRetention => "window_outside_retention",
            DenyReason::WarrantRequired => "warrant_required",
            DenyReason::RateLimited => "rate_limited",
            DenyReason::PlateMalformed => "plate_malformed",
            DenyReason::RegionMalformed => "region_malformed",
            DenyReason::HoldTooLong => "hold_too_long",
            DenyReason::HotlistExpiryTooLong => "hotlist_expiry_too_long",
            DenyReason::NotOwner => "not_owner",
        }
    }

    /// The reason with a given code, for reading audit entries back.
    pub fn from_code(code: &str) -> Option<DenyReason> {
        DenyReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// A sentence a user can act on.
    pub const fn message(self) -> &'static str {
        match self {
            DenyReason::RequesterMissing => {
                "no requester named: every search must name the person who asks for it"
            }
            DenyReason::NoMou => {
                "the requesting agency is not the home agency and has no MOU in force now"
            }
            DenyReason::OffenseNotInMou => {
                "the requesting agency's MOU does not cover this offense"
            }
            DenyReason::CaseNumberMalformed => {
                "the case number does not have the format the policy requires"
            }
            DenyReason::OffenseNotAllowed => {
                "the offense is not one the policy allows searches for"
            }
            DenyReason::PurposeUnknown => "the purpose is not one of the known purposes",
            DenyReason::PurposeProhibited => "searches for this purpose are prohibited by policy",
            DenyReason::JustificationProhibitedTerm => {
                "the justification contains a term the policy prohibits"
            }
            DenyReason::JustificationContainsPlate => {
                "the justification contains the plate: give the plate only as the plate"
            }
            DenyReason::WindowTooLong => {
                "the search window is longer than the policy allows: narrow from/to"
            }
            DenyReason::WindowOutsideRetention => {
                "the search window lies outside the retention period: no reads exist there"
            }
            DenyReason::WarrantRequired => "reads this old need a warrant: give its number",
            DenyReason::RateLimited => {
                "too many attempts by this requester in the last hour: wait before trying again"
            }
            DenyReason::PlateMalformed => "the plate is not a valid plate",
            DenyReason::RegionMalformed => "the region is not a valid region",
            DenyReason::HoldTooLong => {
                "a hold must end after now and no later than the policy's maximum hold length"
            }
            DenyReason::HotlistExpiryTooLong => {
                "a hotlist entry must expire after now and no later than the policy's maximum"
            }
            DenyReason::NotOwner => {
                "only the agency that placed a hold or hotlist entry may release or remove it"
            }
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl Serialize for DenyReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for DenyReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        DenyReason::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown deny reason `{code}`")))
    }
}

fn deny<T>(reason: DenyReason, detail: impl Into<String>) -> Result<T, Denial> {
    Err(Denial::new(reason, detail))
}

/// Both ends of a window, in microseconds, as the difference that may exceed `i64`.
fn length_micros(from: Timestamp, to: Timestamp) -> i128 {
    i128::from(to.as_micros()) - i128::from(from.as_micros())
}

impl Policy {
    /// Decides a request. Pure: the same policy, request and context give the same decision.
    pub fn decide(&self, req: &CaseRequest, ctx: &DecisionContext) -> Decision {
        match self.evaluate(req, ctx) {
            Ok(grant) => Decision::Allowed(grant),
            Err(denial) => Decision::Denied(denial),
        }
    }

    /// Checks the end of a legal hold: after `now`, at most `hold_max_days` ahead.
    pub fn check_hold_until(&self, now: Timestamp, until: Timestamp) -> Result<(), Denial> {
        check_ahead(
            now,
            until,
            self.hold_max_days(),
            DenyReason::HoldTooLong,
            "hold",
            "hold_max_days",
        )
    }

    /// Checks a hotlist entry's expiry: after `now`, at most `hotlist_max_days` ahead.
    pub fn check_hotlist_expiry(&self, now: Timestamp, expires: Timestamp) -> Result<(), Denial> {
        check_ahead(
            now,
            expires,
            self.hotlist_max_days(),
            DenyReason::HotlistExpiryTooLong,
            "hotlist entry",
            "hotlist_max_days",
        )
    }

    fn evaluate(&self, req: &CaseRequest, ctx: &DecisionContext) -> Result<Grant, Denial> {
        let now = ctx.now;

        // (0) Someone must be accountable for the request.
        if req.requester.trim().is_empty() {
            return deny(
                DenyReason::RequesterMissing,
                "name the requester: the audit log records who asked for every search",
            );
        }

        // (1) Home agency, or an MOU in force now that covers the offense.
        let offense = canonical_offense(&req.offense);
        if !self.is_home_agency(&req.agency) {
            self.check_mou(&req.agency, &offense, now)?;
        }

        // (2) The case number.
        if !self.case_number_matches(&req.case_number) {
            return deny(
                DenyReason::CaseNumberMalformed,
                format!(
                    "the case number must match the policy's pattern {} in full",
                    self.case_number_pattern()
                ),
            );
        }

        // (3) The offense.
        if !self.is_offense_allowed(&offense) {
            return deny(
                DenyReason::OffenseNotAllowed,
                format!(
                    "the offense must be one of: {}",
                    self.allowed_offenses().join(", ")
                ),
            );
        }

        // (4) The purpose.
        let Ok(purpose) = req.purpose.parse::<Purpose>() else {
            let usable: Vec<&str> = Purpose::ALL
                .into_iter()
                .filter(|p| !self.is_purpose_prohibited(*p))
                .map(Purpose::as_str)
                .collect();
            return deny(
                DenyReason::PurposeUnknown,
                format!("the purpose must be one of: {}", usable.join(", ")),
            );
        };
        if self.is_purpose_prohibited(purpose) {
            return deny(
                DenyReason::PurposeProhibited,
                format!("the policy prohibits searches for the purpose {purpose}"),
            );
        }

        // (5) The justification: free text can only deny.
        let plate = Plate::parse(&req.plate);
        if let Some(text) = &req.justification {
            if let Some(term) = self.find_prohibited_term(text) {
                return deny(
                    DenyReason::JustificationProhibitedTerm,
                    format!(
                        "the justification contains the prohibited term \"{term}\" (terms match \
                         the start of any word, whatever the spelling or spacing); such searches are not allowed"
                    ),
                );
            }
            if let Ok(p) = &plate
                && contains_plate(text, p)
            {
                return deny(
                    DenyReason::JustificationContainsPlate,
                    "remove the plate from the justification: it is given separately and the \
                     justification is kept in the audit log",
                );
            }
        }

        // (6) The window.
        let Window {
            from,
            to,
            held_from,
            withheld_before,
        } = self.window(req, now, ctx.case_held)?;

        // (7) The rate limit, counting every earlier attempt in the last 60 minutes.
        let limit = self.searches_per_requester_per_hour();
        if ctx.recent_attempts >= limit {
            return deny(
                DenyReason::RateLimited,
                format!(
                    "{} attempts by this requester in the last 60 minutes; the policy allows {limit} per hour",
                    ctx.recent_attempts
                ),
            );
        }

        // (8) The plate and region themselves.
        let plate = match plate {
            Ok(p) => p,
            Err(e) => return deny(DenyReason::PlateMalformed, e.to_string()),
        };
        let region = match Region::parse(&req.region) {
            Ok(r) => r,
            Err(e) => return deny(DenyReason::RegionMalformed, e.to_string()),
        };

        Ok(Grant {
            plate,
            region,
            purpose,
            offense,
            from,
            to,
            held_from,
            withheld_before,
        })
    }

    /// Rule 1 for an outside agency.
    fn check_mou(&self, agency: &str, offense: &str, now: Timestamp) -> Result<(), Denial> {
        let theirs: Vec<&Mou> = self
            .mous()
            .iter()
            .filter(|m| same_agency(&m.agency, agency))
            .collect();
        let in_force: Vec<&Mou> = theirs
            .iter()
            .copied()
            .filter(|m| m.in_force_at(now))
            .collect();
        if in_force.is_empty() {
            let home = self.agency();
            let name = theirs.first().map_or("", |m| m.agency.as_str());
            let next_start = theirs
                .iter()
                .map(|m| m.valid_from)
                .filter(|t| *t > now)
                .min();
            let last_end = theirs.iter().map(|m| m.valid_to).max();
            let detail = match (next_start, last_end) {
                (Some(start), _) => format!("the MOU with {name} is not in force until {start}"),
                (None, Some(end)) => {
                    format!("the MOU with {name} ended at {end}; it must be renewed in the policy")
                }
                (None, None) => format!(
                    "only {home} searches without an MOU; the requesting agency has no MOU with {home}"
                ),
            };
            return deny(DenyReason::NoMou, detail);
        }
        if !in_force.iter().any(|m| m.covers(offense)) {
            let mut covered: Vec<&str> = in_force
                .iter()
                .flat_map(|m| m.offenses.iter().map(String::as_str))
                .collect();
            covered.sort_unstable();
            covered.dedup();
            return deny(
                DenyReason::OffenseNotInMou,
                format!(
                    "the MOU with {} in force now covers only: {}",
                    in_force.first().map_or("", |m| m.agency.as_str()),
                    covered.join(", ")
                ),
            );
        }
        Ok(())
    }

    /// Rule 6: the effective window, the window for held copies, and where an age tier
    /// withheld older reads.
    fn window(&self, req: &CaseRequest, now: Timestamp, case_held: bool) -> Result<Window, Denial> {
        let max = self.max_search_window();
        let to = req.to.unwrap_or(now);
        // `from` defaults to now minus the maximum window; when `to` is earlier than now, to
        // `to` minus the maximum, so that giving only `to` never inverts the window.
        let from = req.from.unwrap_or_else(|| to.min(now).minus(max));
        if length_micros(from, to) > i128::from(max.as_micros()) {
            return deny(
                DenyReason::WindowTooLong,
                // The request's own times are not echoed (a refusal quotes no input value).
                format!(
                    "the window asked for is longer than the policy's maximum of {}",
                    canonical::span_text(max)
                ),
            );
        }
        let oldest = now.minus(self.retention());
        let to = to.min(now);
        // Held copies outlive retention: for them the window is the one asked for.
        let mut held_from = from;
        let mut from = from.max(oldest);
        if to <= from {
            if !case_held || to <= held_from {
                return deny(
                    DenyReason::WindowOutsideRetention,
                    format!(
                        "reads are kept for {}: only the window from {oldest} to {now} can hold reads",
                        canonical::span_text(self.retention())
                    ),
                );
            }
            // Nothing live can lie in the window: an empty live window, the held one as asked.
            from = to;
        }
        if !case_held {
            held_from = from;
        }
        let has_warrant = req.warrant.as_deref().is_some_and(|w| !w.trim().is_empty());
        let mut withheld_before = None;
        if let Some(age) = self.warrant_age()
            && !has_warrant
        {
            let cutoff = now.minus(age);
            if to <= cutoff {
                return deny(
                    DenyReason::WarrantRequired,
                    format!(
                        "reads older than {} (before {cutoff}) need a warrant number, and the whole window is older",
                        canonical::span_text(age)
                    ),
                );
            }
            if held_from < cutoff {
                withheld_before = Some(cutoff);
                held_from = cutoff;
                from = from.max(cutoff);
            }
        }
        Ok(Window {
            from,
            to,
            held_from,
            withheld_before,
        })
    }
}

/// The windows rule 6 grants.
struct Window {
    /// The live window's start (clamped to retention and to an age tier's cut-off).
    from: Timestamp,
    /// Both windows' end, never later than now.
    to: Timestamp,
    /// The held copies' window start (not clamped to retention).
    held_from: Timestamp,
    /// Where an age tier withheld older reads, if it did.
    withheld_before: Option<Timestamp>,
}

/// A future end time at most `max_days` ahead of `now`.
fn check_ahead(
    now: Timestamp,
    until: Timestamp,
    max_days: u32,
    reason: DenyReason,
    what: &str,
    field: &str,
) -> Result<(), Denial> {
    if until <= now {
        return deny(
            reason,
            format!("a {what} must end after now ({now}); the end given is not later"),
        );
    }
    let latest = now.plus(Span::from_days(u64::from(max_days)));
    if until > latest {
        return deny(
            reason,
            format!(
                "a {what} may run at most {max_days} days ({field}): end it no later than {latest} and renew it if needed"
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
