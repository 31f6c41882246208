//! Why a policy was refused: each variant names the field and says what to change.

use crate::model::epoch::{Span, Timestamp};

/// A policy file or value that cannot be used. The message names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not TOML, a value has the wrong type, a required field is missing or a
    /// field is unknown (unknown fields are refused, never ignored).
    #[error("policy file rejected: {message}")]
    Syntax {
        /// The parser's message, with the line and column where it has them.
        message: String,
    },
    /// A text field (or list entry) that must say something is empty or only white space.
    #[error("policy field `{field}` is empty: give a value")]
    Empty {
        /// The field, for example `agency` or `mou[1].agency`.
        field: String,
    },
    /// An identifier with surrounding white space, control characters or more than 64
    /// characters.
    #[error(
        "policy field `{field}` must be 1 to 64 characters without control characters or surrounding spaces"
    )]
    BadIdentifier {
        /// The field, for example `reviewers[2]`.
        field: String,
    },
    /// A number that must be positive is zero.
    #[error("policy field `{field}` must be greater than zero")]
    Zero {
        /// The field, for example `searches_per_requester_per_hour`.
        field: String,
    },
    /// The case number pattern is not a regular expression this engine can compile.
    #[error(
        "policy field `case_number_pattern` does not compile: {message} (write a regular expression such as ^[0-9]{{2,4}}-[0-9]{{3,10}}$)"
    )]
    CasePattern {
        /// The regex compiler's message.
        message: String,
    },
    /// The epoch width is not whole minutes from 1 minute to 7 days.
    #[error("policy field `epoch` is {width}: it must be whole minutes from 1min to 7d")]
    EpochWidth {
        /// The width given.
        width: Span,
    },
    /// Retention shorter than one epoch.
    #[error(
        "policy field `retention` ({retention}) is shorter than `epoch` ({epoch}): retention must be at least one epoch"
    )]
    RetentionShorterThanEpoch {
        /// The retention given.
        retention: Span,
        /// The epoch width given.
        epoch: Span,
    },
    /// Retention and epoch width that would keep more than 1,024 epochs live.
    #[error(
        "policy fields `retention` ({retention}) and `epoch` ({epoch}) keep {live} epochs live (ceil(retention / epoch) + 1); at most 1024 are allowed: widen the epoch or shorten retention"
    )]
    TooManyLiveEpochs {
        /// The retention given.
        retention: Span,
        /// The epoch width given.
        epoch: Span,
        /// ceil(retention / epoch) + 1.
        live: u64,
    },
    /// An offense code that is not 1 to 40 characters of `A`-`Z`, `0`-`9` and `_`.
    #[error(
        "policy field `{field}` has a malformed offense code `{code}`: use 1 to 40 characters A-Z, 0-9 and _"
    )]
    OffenseCode {
        /// The field, for example `allowed_offenses` or `mou[1].offenses`.
        field: String,
        /// The code as written (policy text, never plate text).
        code: String,
    },
    /// The same value twice in one list.
    #[error("policy field `{field}` lists `{value}` twice: remove the duplicate")]
    Duplicate {
        /// The list, for example `allowed_offenses`.
        field: String,
        /// The repeated value.
        value: String,
    },
    /// A prohibited term with no letters or digits, which could never match anything.
    #[error(
        "policy field `prohibited_terms[{index}]` has no letters or digits: give a word or remove the entry"
    )]
    EmptyTerm {
        /// 1-based position in the list.
        index: usize,
    },
    /// An MOU whose `valid_from` is not before its `valid_to`.
    #[error(
        "policy field `mou[{index}]` (agency {agency}): valid_from {valid_from} must be before valid_to {valid_to}"
    )]
    MouDates {
        /// 1-based position of the `[[mou]]` entry.
        index: usize,
        /// The MOU's agency.
        agency: String,
        /// Its start.
        valid_from: Timestamp,
        /// Its end.
        valid_to: Timestamp,
    },
    /// An MOU that names an offense the policy does not allow at all.
    #[error(
        "policy field `mou[{index}].offenses` (agency {agency}) names {offense}, which is not in `allowed_offenses`: add it there or remove it from the MOU"
    )]
    MouOffenseNotAllowed {
        /// 1-based position of the `[[mou]]` entry.
        index: usize,
        /// The MOU's agency.
        agency: String,
        /// The offense code.
        offense: String,
    },
    /// An MOU that covers no offense.
    #[error(
        "policy field `mou[{index}].offenses` (agency {agency}) is empty: list the offenses the MOU covers, or remove the MOU"
    )]
    MouWithoutOffenses {
        /// 1-based position of the `[[mou]]` entry.
        index: usize,
        /// The MOU's agency.
        agency: String,
    },
    /// An MOU with the policy's own agency, which needs none.
    #[error(
        "policy field `mou[{index}].agency` is the policy's own agency: the home agency needs no MOU, remove the entry"
    )]
    MouWithHomeAgency {
        /// 1-based position of the `[[mou]]` entry.
        index: usize,
    },
    /// An age tier with a zero `older_than`.
    #[error("policy field `age_tier[{index}].older_than` must be greater than zero")]
    AgeTierZero {
        /// 1-based position of the `[[age_tier]]` entry.
        index: usize,
    },
    /// A replacement policy that changes the epoch width, which is fixed when a store is
    /// created.
    #[error(
        "policy field `epoch` cannot change from {current} to {proposed}: the epoch width is fixed when the store is created"
    )]
    EpochWidthChanged {
        /// The store's epoch width.
        current: Span,
        /// The width in the new policy.
        proposed: Span,
    },
}
