//! Simulated time: the clock starts the shared helpers use, parsing, and spans added to or
//! taken from a time.

use platevault::{Span, Timestamp};

/// Where the simulated clock of a store made by [`super::new_store`] starts.
pub const T0: &str = "2026-11-10T12:00:00Z";

/// Where the simulated clock of a store made through the binary ([`super::Env::sim`])
/// starts (`init --now CLI_T0`).
pub const CLI_T0: &str = "2026-11-29T12:00:00Z";

/// Parses an RFC 3339 time.
pub fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("time")
}

/// [`T0`] as a time.
pub fn t0() -> Timestamp {
    t(T0)
}

/// A span of whole hours.
pub fn hours(h: u64) -> Span {
    Span::from_hours(h)
}

/// `t0 - h hours`.
pub fn ago(h: u64) -> Timestamp {
    t0().minus(hours(h))
}

/// `t` plus whole seconds.
pub fn secs(t: Timestamp, s: u64) -> Timestamp {
    t.plus(Span::from_secs(s))
}

/// `t` plus whole days.
pub fn days(t: Timestamp, d: u64) -> Timestamp {
    t.plus(Span::from_days(d))
}
