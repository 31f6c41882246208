//! The policy: who may search for what, and how long data lives.
//!
//! A [`Policy`] is loaded from TOML (or is the built-in [`Policy::default_policy`]) and is
//! validated as a whole before anyone can use it: an unknown field is an error, never
//! ignored, and every problem is a [`PolicyError`] that names the field. The policy owns the
//! decision every search, hold and hotlist entry goes through, [`Policy::decide`]: a pure
//! function of the request, the policy and the clock that touches no data and returns a
//! [`Decision`], either a [`Grant`] (the only way to obtain one) or a [`Denial`] with a
//! stable reason code ([`DenyReason::code`]). Free-text screening lives in [`terms`].
//!
//! Two forms exist: [`PolicySpec`], the plain serde record with public fields that a file
//! parses into, and [`Policy`], the validated form with the case number pattern compiled
//! and the prohibited terms folded. [`Policy::to_toml`] writes the canonical text (what
//! `policy show` prints) and [`Policy::hash`] is the BLAKE3 hash of that text, recorded in
//! the audit log whenever the policy changes.

mod canonical;
mod decide;
mod error;
mod gated;
mod purpose;
pub mod terms;

use std::collections::BTreeSet;

use regex::Regex;
use serde::{Deserialize, Serialize};

pub use decide::{CaseRequest, Decision, DecisionContext, Denial, DenyReason, Grant};
pub use error::PolicyError;
pub use gated::{AlertsGrant, AlertsRequest, RemovalRequest};
pub use purpose::{Purpose, UnknownPurpose};

use crate::model::epoch::{EpochWidth, Span, Timestamp};
use terms::ProhibitedTerms;

/// The most epochs a policy may keep live: ceil(retention / epoch) + 1.
pub const MAX_LIVE_EPOCHS: u64 = 1024;

/// The built-in default policy's agency.
pub const DEFAULT_AGENCY: &str = "CITY-PD";

/// The built-in default policy's case number pattern (for example `2026-001234`).
pub const DEFAULT_CASE_NUMBER_PATTERN: &str = "^[0-9]{2,4}-[0-9]{3,10}$";

/// The built-in default policy's allowed offense codes.
pub const DEFAULT_ALLOWED_OFFENSES: [&str; 10] = [
    "HOMICIDE",
    "ROBBERY",
    "KIDNAPPING",
    "AMBER_ALERT",
    "CARJACKING",
    "STOLEN_VEHICLE",
    "HIT_AND_RUN",
    "SEXUAL_ASSAULT",
    "AGGRAVATED_ASSAULT",
    "MISSING_PERSON",
];

/// The built-in default policy's prohibited purposes.
pub const DEFAULT_PROHIBITED_PURPOSES: [Purpose; 2] =
    [Purpose::Immigration, Purpose::ReproductiveHealth];

/// The built-in default policy's prohibited justification terms: the brief's ten, then the
/// names and acronyms of the federal immigration agencies (acronyms, written in capitals,
/// match whole words only; see [`terms`]).
pub const DEFAULT_PROHIBITED_TERMS: [&str; 19] = [
    "ice",
    "immigration",
    "immigrant",
    "deport",
    "detainer",
    "alien",
    "undocumented",
    "customs enforcement",
    "abortion",
    "reproductive",
    "HSI",
    "ERO",
    "CBP",
    "USBP",
    "la migra",
    "homeland security investigation",
    "enforcement and removal operation",
    "border patrol",
    "customs and border",
];

/// The built-in default policy's reviewers.
pub const DEFAULT_REVIEWERS: [&str; 1] = ["OVERSIGHT-1"];

/// Longest agency, requester or reviewer id a policy accepts, in characters.
const MAX_ID_CHARS: usize = 64;

/// Longest offense code, in characters.
const MAX_OFFENSE_CHARS: usize = 40;

/// Serde defaults: the built-in default policy's values, so a short policy file works.
mod defaults {
    use super::*;

    pub(super) fn version() -> u32 {
        1
    }
    pub(super) fn retention() -> Span {
        Span::from_days(30)
    }
    pub(super) fn epoch() -> Span {
        Span::from_days(1)
    }
    pub(super) fn max_search_window() -> Span {
        Span::from_days(30)
    }
    pub(super) fn case_number_pattern() -> String {
        DEFAULT_CASE_NUMBER_PATTERN.to_string()
    }
    pub(super) fn allowed_offenses() -> Vec<String> {
        DEFAULT_ALLOWED_OFFENSES.map(String::from).to_vec()
    }
    pub(super) fn prohibited_purposes() -> Vec<Purpose> {
        DEFAULT_PROHIBITED_PURPOSES.to_vec()
    }
    pub(super) fn prohibited_terms() -> Vec<String> {
        DEFAULT_PROHIBITED_TERMS.map(String::from).to_vec()
    }
    pub(super) fn searches_per_requester_per_hour() -> u32 {
        60
    }
    pub(super) fn max_image_bytes() -> u64 {
        4 * 1024 * 1024
    }
    pub(super) fn hotlist_max_days() -> u32 {
        30
    }
    pub(super) fn hold_max_days() -> u32 {
        365
    }
    pub(super) fn reviewers() -> Vec<String> {
        DEFAULT_REVIEWERS.map(String::from).to_vec()
    }
    pub(super) fn audit_payload_retention() -> Span {
        Span::from_days(3 * 365)
    }
}

/// A policy as written in TOML, before validation. Every field but `agency` is optional
/// and defaults to the built-in default policy's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// The policy's own version number, recorded in the audit log on every change.
    #[serde(default = "defaults::version")]
    pub version: u32,
    /// The home agency: the one agency that needs no MOU. Required.
    pub agency: String,
    /// How long a read stays visible after capture (`30d`, `72h`, `3min`).
    #[serde(default = "defaults::retention", with = "canonical::span_serde")]
    pub retention: Span,
    /// The epoch width: whole minutes from 1 minute to 7 days; fixed when a store is created.
    #[serde(default = "defaults::epoch", with = "canonical::span_serde")]
    pub epoch: Span,
    /// The longest `[from, to)` window one search may ask for.
    #[serde(
        default = "defaults::max_search_window",
        with = "canonical::span_serde"
    )]
    pub max_search_window: Span,
    /// A regular expression every case number must match in full.
    #[serde(default = "defaults::case_number_pattern")]
    pub case_number_pattern: String,
    /// Offense codes (`[A-Z0-9_]{1,40}`) a search may be made for.
    #[serde(default = "defaults::allowed_offenses")]
    pub allowed_offenses: Vec<String>,
    /// Purposes that are always denied.
    #[serde(default = "defaults::prohibited_purposes")]
    pub prohibited_purposes: Vec<Purpose>,
    /// Terms that deny a search when its justification contains them (see [`terms`]).
    #[serde(default = "defaults::prohibited_terms")]
    pub prohibited_terms: Vec<String>,
    /// Attempts (allowed or denied) one requester of one agency may make in 60 minutes.
    #[serde(default = "defaults::searches_per_requester_per_hour")]
    pub searches_per_requester_per_hour: u32,
    /// Largest image a read may carry, in bytes.
    #[serde(default = "defaults::max_image_bytes")]
    pub max_image_bytes: u64,
    /// Longest a hotlist entry may run, in days.
    #[serde(default = "defaults::hotlist_max_days")]
    pub hotlist_max_days: u32,
    /// Longest a legal hold may run before it must be renewed, in days.
    #[serde(default = "defaults::hold_max_days")]
    pub hold_max_days: u32,
    /// Ids of the reviewers who may run `audit searched`.
    #[serde(default = "defaults::reviewers")]
    pub reviewers: Vec<String>,
    /// How long the audit log keeps free text (justifications, alert details) readable: each
    /// month's payloads are sealed under their own key, destroyed this long after the month
    /// ends (the entries and their proofs stay; they commit to the payloads by hash only).
    #[serde(
        default = "defaults::audit_payload_retention",
        with = "canonical::span_serde"
    )]
    pub audit_payload_retention: Span,
    /// Rotate the master key whenever an epoch expires. Acted on by the `platevault` command
    /// when the key comes from `--master-key-file` (it writes the new key to that file);
    /// an embedding application calls `Vault::rotate_master_key` itself.
    #[serde(default)]
    pub rotate_master_key_on_expiry: bool,
    /// Whether an outside agency whose MOU in force covers a hold's offense may receive the
    /// held copies of a hold the home agency placed, when it searches that case for that
    /// offense. Off by default: held reads go only to the agency that placed the hold.
    #[serde(default)]
    pub holds_shared_with_mou: bool,
    /// Memoranda of understanding with outside agencies (`[[mou]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mou: Vec<Mou>,
    /// Age tiers: what reads older than some age need (`[[age_tier]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub age_tier: Vec<AgeTier>,
}

/// A memorandum of understanding: an outside agency may search for these offenses while
/// `valid_from <= now < valid_to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mou {
    /// The outside agency's id, as it appears in requests.
    pub agency: String,
    /// First instant the MOU is in force.
    #[serde(with = "canonical::time_serde")]
    pub valid_from: Timestamp,
    /// First instant the MOU is no longer in force.
    #[serde(with = "canonical::time_serde")]
    pub valid_to: Timestamp,
    /// Offense codes it covers; each must also be in `allowed_offenses`.
    pub offenses: Vec<String>,
}

impl Mou {
    /// True when the MOU is in force at `now` (`valid_from <= now < valid_to`).
    pub fn in_force_at(&self, now: Timestamp) -> bool {
        self.valid_from <= now && now < self.valid_to
    }

    /// True when the MOU covers an offense code.
    pub fn covers(&self, offense: &str) -> bool {
        self.offenses.iter().any(|o| o == offense)
    }
}

/// An age tier: reads older than `older_than` (measured from now) need `requires`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeTier {
    /// The age past which the requirement applies.
    #[serde(with = "canonical::span_serde")]
    pub older_than: Span,
    /// What such reads need.
    pub requires: Requirement,
}

/// What an age tier demands before older reads are returned.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// A warrant number on the request.
    Warrant,
}

impl Requirement {
    /// The name used in TOML.
    pub const fn as_str(self) -> &'static str {
        match self {
            Requirement::Warrant => "warrant",
        }
    }
}

/// A validated policy: the specification with its case number pattern compiled and its
/// prohibited terms folded. Build one with [`Policy::from_toml`], [`Policy::from_spec`] or
/// [`Policy::default_policy`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "PolicySpec", into = "PolicySpec")]
pub struct Policy {
    spec: PolicySpec,
    epoch_width: EpochWidth,
    case_number: Regex,
    terms: ProhibitedTerms,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl Eq for Policy {}

impl TryFrom<PolicySpec> for Policy {
    type Error = PolicyError;
    fn try_from(spec: PolicySpec) -> Result<Self, Self::Error> {
        Policy::from_spec(spec)
    }
}

impl From<Policy> for PolicySpec {
    fn from(p: Policy) -> Self {
        p.spec
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::default_policy()
    }
}

impl PolicySpec {
    /// The built-in default policy's specification.
    pub fn default_spec() -> PolicySpec {
        PolicySpec {
            version: defaults::version(),
            agency: DEFAULT_AGENCY.to_string(),
            retention: defaults::retention(),
            epoch: defaults::epoch(),
            max_search_window: defaults::max_search_window(),
            case_number_pattern: defaults::case_number_pattern(),
            allowed_offenses: defaults::allowed_offenses(),
            prohibited_purposes: defaults::prohibited_purposes(),
            prohibited_terms: defaults::prohibited_terms(),
            searches_per_requester_per_hour: defaults::searches_per_requester_per_hour(),
            max_image_bytes: defaults::max_image_bytes(),
            hotlist_max_days: defaults::hotlist_max_days(),
            hold_max_days: defaults::hold_max_days(),
            reviewers: defaults::reviewers(),
            audit_payload_retention: defaults::audit_payload_retention(),
            rotate_master_key_on_expiry: false,
            holds_shared_with_mou: false,
            mou: Vec::new(),
            age_tier: Vec::new(),
        }
    }
}

impl Policy {
    /// The built-in default policy (brief, section 3), used by `init` without `--policy`.
    pub fn default_policy() -> Policy {
        match Policy::from_spec(PolicySpec::default_spec()) {
            Ok(p) => p,
            // The default specification is checked by the unit tests; this arm is unreachable.
            Err(e) => panic!("the built-in default policy is invalid: {e}"),
        }
    }

    /// Parses and validates a policy written in TOML.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        // TOML's own rendering prints the offending source line, and serde's messages quote
        // values: a file given by mistake (a reads or hotlist file) would have its plates
        // echoed. The refusal gives the line, column and kind of problem only.
        let spec: PolicySpec = toml::from_str(text).map_err(|e| PolicyError::Syntax {
            message: crate::model::refusal::toml_reason(&e, text),
        })?;
        Policy::from_spec(spec)
    }

    /// Validates a specification and compiles what it needs.
    pub fn from_spec(spec: PolicySpec) -> Result<Policy, PolicyError> {
        check_id("agency", &spec.agency)?;
        let epoch_width = EpochWidth::new(spec.epoch)
            .map_err(|_| PolicyError::EpochWidth { width: spec.epoch })?;
        if spec.retention < spec.epoch {
            return Err(PolicyError::RetentionShorterThanEpoch {
                retention: spec.retention,
                epoch: spec.epoch,
            });
        }
        let live = live_epochs(spec.retention, spec.epoch);
        if live > MAX_LIVE_EPOCHS {
            return Err(PolicyError::TooManyLiveEpochs {
                retention: spec.retention,
                epoch: spec.epoch,
                live,
            });
        }
        if spec.max_search_window.as_secs() == 0 {
            return Err(zero("max_search_window"));
        }
        if spec.audit_payload_retention.as_secs() == 0 {
            return Err(zero("audit_payload_retention"));
        }
        let case_number = compile_case_pattern(&spec.case_number_pattern)?;
        check_offenses("allowed_offenses", &spec.allowed_offenses)?;
        check_unique(
            "prohibited_purposes",
            spec.prohibited_purposes.iter().map(|p| p.as_str()),
        )?;
        for (i, t) in spec.prohibited_terms.iter().enumerate() {
            if t.trim().is_empty() {
                return Err(PolicyError::Empty {
                    field: format!("prohibited_terms[{}]", i + 1),
                });
            }
        }
        check_unique("prohibited_terms", spec.prohibited_terms.iter())?;
        let terms = ProhibitedTerms::new(&spec.prohibited_terms)
            .map_err(|e| PolicyError::EmptyTerm { index: e.0 + 1 })?;
        if spec.searches_per_requester_per_hour == 0 {
            return Err(zero("searches_per_requester_per_hour"));
        }
        if spec.max_image_bytes == 0 {
            return Err(zero("max_image_bytes"));
        }
        if spec.hotlist_max_days == 0 {
            return Err(zero("hotlist_max_days"));
        }
        if spec.hold_max_days == 0 {
            return Err(zero("hold_max_days"));
        }
        for (i, r) in spec.reviewers.iter().enumerate() {
            check_id(&format!("reviewers[{}]", i + 1), r)?;
        }
        check_unique("reviewers", spec.reviewers.iter())?;
        for (i, m) in spec.mou.iter().enumerate() {
            let index = i + 1;
            check_id(&format!("mou[{index}].agency"), &m.agency)?;
            if same_agency(&m.agency, &spec.agency) {
                return Err(PolicyError::MouWithHomeAgency { index });
            }
            if m.valid_from >= m.valid_to {
                return Err(PolicyError::MouDates {
                    index,
                    agency: m.agency.clone(),
                    valid_from: m.valid_from,
                    valid_to: m.valid_to,
                });
            }
            if m.offenses.is_empty() {
                return Err(PolicyError::MouWithoutOffenses {
                    index,
                    agency: m.agency.clone(),
                });
            }
            check_offenses(&format!("mou[{index}].offenses"), &m.offenses)?;
            if let Some(o) = m
                .offenses
                .iter()
                .find(|o| !spec.allowed_offenses.contains(o))
            {
                return Err(PolicyError::MouOffenseNotAllowed {
                    index,
                    agency: m.agency.clone(),
                    offense: o.clone(),
                });
            }
        }
        for (i, t) in spec.age_tier.iter().enumerate() {
            if t.older_than.as_secs() == 0 {
                return Err(PolicyError::AgeTierZero { index: i + 1 });
            }
        }
        Ok(Policy {
            spec,
            epoch_width,
            case_number,
            terms,
        })
    }

    /// The canonical TOML text: what `policy show` prints; [`Policy::from_toml`] reads it back
    /// to an equal policy.
    pub fn to_toml(&self) -> String {
        canonical::to_toml(&self.spec)
    }

    /// BLAKE3 of [`Policy::to_toml`], recorded in the audit log when the policy changes.
    pub fn hash(&self) -> [u8; 32] {
        blake3::hash(self.to_toml().as_bytes()).into()
    }

    /// Checks that `proposed` may replace this policy in a store (the epoch width is fixed).
    pub fn check_replacement(&self, proposed: &Policy) -> Result<(), PolicyError> {
        if self.spec.epoch != proposed.spec.epoch {
            return Err(PolicyError::EpochWidthChanged {
                current: self.spec.epoch,
                proposed: proposed.spec.epoch,
            });
        }
        Ok(())
    }

    /// The validated specification.
    pub fn spec(&self) -> &PolicySpec {
        &self.spec
    }

    /// The specification, to change and validate again with [`Policy::from_spec`].
    pub fn into_spec(self) -> PolicySpec {
        self.spec
    }

    /// The policy's version number.
    pub fn version(&self) -> u32 {
        self.spec.version
    }

    /// The home agency's id.
    pub fn agency(&self) -> &str {
        &self.spec.agency
    }

    /// How long a read stays visible after capture.
    pub fn retention(&self) -> Span {
        self.spec.retention
    }

    /// The epoch width.
    pub fn epoch_width(&self) -> EpochWidth {
        self.epoch_width
    }

    /// The number of epochs kept live: ceil(retention / epoch) + 1 (at most 1,024).
    pub fn live_epochs(&self) -> u64 {
        live_epochs(self.spec.retention, self.spec.epoch)
    }

    /// The longest window one search may ask for.
    pub fn max_search_window(&self) -> Span {
        self.spec.max_search_window
    }

    /// The case number pattern as written.
    pub fn case_number_pattern(&self) -> &str {
        &self.spec.case_number_pattern
    }

    /// True when a case number matches the pattern in full.
    pub fn case_number_matches(&self, case_number: &str) -> bool {
        self.case_number.is_match(case_number)
    }

    /// The allowed offense codes.
    pub fn allowed_offenses(&self) -> &[String] {
        &self.spec.allowed_offenses
    }

    /// True when an offense code (compared after trimming and ASCII upper-casing) is allowed.
    pub fn is_offense_allowed(&self, offense: &str) -> bool {
        let code = canonical_offense(offense);
        self.spec.allowed_offenses.contains(&code)
    }

    /// The prohibited purposes.
    pub fn prohibited_purposes(&self) -> &[Purpose] {
        &self.spec.prohibited_purposes
    }

    /// True when a purpose is prohibited.
    pub fn is_purpose_prohibited(&self, purpose: Purpose) -> bool {
        self.spec.prohibited_purposes.contains(&purpose)
    }

    /// The prohibited justification terms as written.
    pub fn prohibited_terms(&self) -> &[String] {
        &self.spec.prohibited_terms
    }

    /// The first prohibited term a text contains, as the policy wrote it.
    pub fn find_prohibited_term(&self, text: &str) -> Option<&str> {
        self.terms.find(text)
    }

    /// Attempts one requester of one agency may make in 60 minutes.
    pub fn searches_per_requester_per_hour(&self) -> u32 {
        self.spec.searches_per_requester_per_hour
    }

    /// Largest image a read may carry, in bytes.
    pub fn max_image_bytes(&self) -> u64 {
        self.spec.max_image_bytes
    }

    /// Longest a hotlist entry may run, in days.
    pub fn hotlist_max_days(&self) -> u32 {
        self.spec.hotlist_max_days
    }

    /// Longest a hold may run, in days.
    pub fn hold_max_days(&self) -> u32 {
        self.spec.hold_max_days
    }

    /// The reviewers' ids.
    pub fn reviewers(&self) -> &[String] {
        &self.spec.reviewers
    }

    /// True when `id` is a reviewer named by the policy (compared in [`canonical_id`] form).
    pub fn is_reviewer(&self, id: &str) -> bool {
        let id = canonical_id(id);
        !id.is_empty() && self.spec.reviewers.iter().any(|r| canonical_id(r) == id)
    }

    /// How long audit payloads (free text) stay readable after their month ends.
    pub fn audit_payload_retention(&self) -> Span {
        self.spec.audit_payload_retention
    }

    /// Whether the master key is rotated whenever an epoch expires.
    pub fn rotate_master_key_on_expiry(&self) -> bool {
        self.spec.rotate_master_key_on_expiry
    }

    /// Whether held copies of the home agency's holds may go to an outside agency whose MOU
    /// covers the hold's offense ([`PolicySpec::holds_shared_with_mou`]).
    pub fn holds_shared_with_mou(&self) -> bool {
        self.spec.holds_shared_with_mou
    }

    /// The MOUs.
    pub fn mous(&self) -> &[Mou] {
        &self.spec.mou
    }

    /// The age tiers.
    pub fn age_tiers(&self) -> &[AgeTier] {
        &self.spec.age_tier
    }

    /// The age past which reads need a warrant: the smallest warrant tier, if any.
    pub fn warrant_age(&self) -> Option<Span> {
        self.spec
            .age_tier
            .iter()
            .filter(|t| t.requires == Requirement::Warrant)
            .map(|t| t.older_than)
            .min()
    }

    /// True when an agency id is the home agency (compared in [`canonical_id`] form).
    pub fn is_home_agency(&self, agency: &str) -> bool {
        same_agency(agency, &self.spec.agency)
    }
}

/// ceil(retention / epoch) + 1, the number of epochs that can hold live reads.
fn live_epochs(retention: Span, epoch: Span) -> u64 {
    match epoch.as_secs() {
        0 => u64::MAX,
        e => retention.as_secs().div_ceil(e).saturating_add(1),
    }
}

/// Agency ids compare in [`canonical_id`] form.
fn same_agency(a: &str, b: &str) -> bool {
    canonical_id(a) == canonical_id(b)
}

/// The one form in which requester, agency and reviewer ids are compared, counted (rate
/// limits) and recorded in the audit log, so that `det-7`, `DET-7`, ` det-7 ` and `ＤＥＴ-７`
/// are one id: NFKC; invisible characters (zero-width, soft hyphen, bidi controls) removed;
/// surrounding white space trimmed and inner runs of it made one space; the Unicode upper
/// case of the lower case (`ß` is `SS`); NFKC again; at most 64 characters. Look-alike
/// letters from other scripts are *not* folded: `DЕT-7` with a Cyrillic `Е` is another id
/// (a stricter comparison can only refuse a reviewer, never admit one).
pub fn canonical_id(text: &str) -> String {
    let mut id = canonical_id_step(text);
    // Case mapping and NFKC can interact on rare characters: repeat to a fixed point.
    for _ in 0..3 {
        let again = canonical_id_step(&id);
        if again == id {
            break;
        }
        id = again;
    }
    id
}

fn canonical_id_step(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let visible: String = text
        .nfkc()
        .filter(|c| !terms::is_ignorable(*c))
        .collect::<String>()
        .to_lowercase()
        .to_uppercase();
    let spaced = visible.split_whitespace().collect::<Vec<_>>().join(" ");
    spaced.nfkc().take(MAX_ID_CHARS).collect()
}

/// An offense code as compared: trimmed and ASCII upper-cased.
fn canonical_offense(offense: &str) -> String {
    offense.trim().to_ascii_uppercase()
}

/// True for `[A-Z0-9_]{1,40}`.
fn is_offense_code(code: &str) -> bool {
    (1..=MAX_OFFENSE_CHARS).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn zero(field: &str) -> PolicyError {
    PolicyError::Zero {
        field: field.to_string(),
    }
}

/// An id: not empty, no surrounding spaces, no control characters, at most 64 characters.
fn check_id(field: &str, value: &str) -> Result<(), PolicyError> {
    if value.trim().is_empty() {
        return Err(PolicyError::Empty {
            field: field.to_string(),
        });
    }
    if value.trim() != value
        || value.chars().any(char::is_control)
        || value.chars().count() > MAX_ID_CHARS
    {
        return Err(PolicyError::BadIdentifier {
            field: field.to_string(),
        });
    }
    Ok(())
}

fn check_offenses(field: &str, codes: &[String]) -> Result<(), PolicyError> {
    if let Some(code) = codes.iter().find(|c| !is_offense_code(c)) {
        return Err(PolicyError::OffenseCode {
            field: field.to_string(),
            code: code.clone(),
        });
    }
    check_unique(field, codes.iter())
}

fn check_unique<I, S>(field: &str, items: I) -> Result<(), PolicyError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut seen = BTreeSet::new();
    for item in items {
        let item = item.as_ref();
        if !seen.insert(item.to_string()) {
            return Err(PolicyError::Duplicate {
                field: field.to_string(),
                value: item.to_string(),
            });
        }
    }
    Ok(())
}

/// Compiles the pattern anchored at both ends, so a case number must match it in full.
fn compile_case_pattern(pattern: &str) -> Result<Regex, PolicyError> {
    if pattern.trim().is_empty() {
        return Err(PolicyError::Empty {
            field: "case_number_pattern".to_string(),
        });
    }
    let build = |text: &str| {
        regex::RegexBuilder::new(text)
            .size_limit(1 << 20)
            .nest_limit(64)
            .build()
            .map_err(|e| PolicyError::CasePattern {
                message: e.to_string(),
            })
    };
    // On its own first: a pattern such as `a)|(b` would otherwise escape the anchoring group.
    build(pattern)?;
    build(&format!(r"\A(?:{pattern})\z"))
}

#[cfg(test)]
mod tests;
