//! Time: instants, spans, epochs (the time buckets that expire as a unit) and the clock.
//!
//! Every read belongs to exactly one [`Epoch`], a UTC bucket `[start, start + width)` whose
//! width is fixed when the store is created (1 minute to 7 days). Each epoch has its own keys
//! and its own column family, so that expiry removes it as a unit.
//!
//! The store's [`Clock`] is a high-water mark: it is the maximum of every `now` it has seen
//! and never moves back, so setting a machine's clock back (or passing an old `--now`) cannot
//! make an expired read visible again.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const MICROS_PER_SEC: i64 = 1_000_000;

/// The first instant RFC 3339 can write: 0000-01-01T00:00:00Z, in µs since the Unix epoch.
pub const MIN_RFC3339_MICROS: i64 = -62_167_219_200_000_000;
/// The last instant RFC 3339 can write: 9999-12-31T23:59:59.999999Z.
pub const MAX_RFC3339_MICROS: i64 = 253_402_300_799_999_999;

/// A problem with a time or span given as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not an RFC 3339 time. The text is not kept: a refusal never echoes its input, which
    /// may be a plate typed in the wrong place.
    #[error("not an RFC 3339 time (for example 2026-11-29T14:05:00Z)")]
    BadTimestamp,
    /// Not a span such as `30d` (the text is not kept, as for [`TimeError::BadTimestamp`]).
    #[error(
        "not a span: write a whole number and a unit, for example 90s, 3min, 72h, 30d, 2w, 18mo or 1y"
    )]
    BadSpan,
    /// An epoch width outside 1 minute to 7 days, or not whole minutes.
    #[error("epoch width {0} is not allowed: it must be whole minutes, from 1min to 7d")]
    BadEpochWidth(Span),
    /// A time outside the UTC years 0000 to 9999.
    #[error("time is out of range: it must fall in the UTC years 0000 to 9999")]
    OutOfRange,
}

/// An instant in UTC with microsecond precision (microseconds since 1970-01-01T00:00:00Z).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `micros` microseconds after the Unix epoch.
    pub const fn from_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    /// The instant `secs` seconds after the Unix epoch.
    pub const fn from_unix_secs(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(MICROS_PER_SEC))
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch, rounded down.
    pub const fn unix_secs(self) -> i64 {
        self.0.div_euclid(MICROS_PER_SEC)
    }

    /// The machine's clock now.
    pub fn now_system() -> Self {
        let now = OffsetDateTime::now_utc();
        Timestamp((now.unix_timestamp_nanos() / 1000) as i64)
    }

    /// Parses an RFC 3339 time (any offset; stored as UTC). The instant must fall in the UTC
    /// years 0000 to 9999, the ones RFC 3339 can write, so that it prints back as it parsed.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        let t =
            OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| TimeError::BadTimestamp)?;
        let micros =
            i64::try_from(t.unix_timestamp_nanos() / 1000).map_err(|_| TimeError::OutOfRange)?;
        if !(MIN_RFC3339_MICROS..=MAX_RFC3339_MICROS).contains(&micros) {
            return Err(TimeError::OutOfRange);
        }
        Ok(Timestamp(micros))
    }

    /// Parses what [`Timestamp::to_rfc3339`] writes: an RFC 3339 time, or `@<µs>us` for an
    /// instant outside the years RFC 3339 can write (a value built in code, never typed).
    /// Stored records (audit entries, the canonical policy) read back through this.
    pub fn parse_stored(text: &str) -> Result<Self, TimeError> {
        match text.strip_prefix('@').and_then(|t| t.strip_suffix("us")) {
            Some(micros) => micros
                .parse::<i64>()
                .ok()
                .filter(|m| !(MIN_RFC3339_MICROS..=MAX_RFC3339_MICROS).contains(m))
                .map(Timestamp)
                .ok_or(TimeError::BadTimestamp),
            None => Timestamp::parse_rfc3339(text),
        }
    }

    /// The month (`YYYY-MM`, UTC) of the instant: what audit payload keys are named by.
    pub fn month(self) -> String {
        self.to_rfc3339().chars().take(7).collect()
    }

    /// Formats as RFC 3339 in UTC (`Z`), with a fraction only when there is one; an instant
    /// outside the UTC years 0000 to 9999 is written `@<µs>us` (see [`Timestamp::parse_stored`]).
    pub fn to_rfc3339(self) -> String {
        match OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1000) {
            Ok(t) => t
                .format(&Rfc3339)
                .unwrap_or_else(|_| format!("@{}us", self.0)),
            Err(_) => format!("@{}us", self.0),
        }
    }

    /// This instant plus a span (saturating at the end of time).
    pub fn plus(self, span: Span) -> Self {
        Timestamp(self.0.saturating_add(span.as_micros()))
    }

    /// This instant minus a span (saturating at the start of time).
    pub fn minus(self, span: Span) -> Self {
        Timestamp(self.0.saturating_sub(span.as_micros()))
    }

    /// The span from `earlier` to `self`, or zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Span {
        let micros = self.0.saturating_sub(earlier.0).max(0);
        Span::from_micros_floor(micros)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse_rfc3339(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse_stored(&text).map_err(serde::de::Error::custom)
    }
}

/// A length of time in whole seconds, written `90s`, `3min`, `72h`, `30d`, `2w`, `18mo`
/// (30 days each) or `1y` (365 days).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Span(u64);

/// Units a span prints in: days at most, as people write retention laws (`30d`, `72h`).
const DISPLAY_UNITS: [(&str, u64); 4] = [("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)];

impl Span {
    /// A span of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Span(secs)
    }

    /// A span of `minutes` minutes.
    pub const fn from_minutes(minutes: u64) -> Self {
        Span(minutes * 60)
    }

    /// A span of `hours` hours.
    pub const fn from_hours(hours: u64) -> Self {
        Span(hours * 3_600)
    }

    /// A span of `days` days.
    pub const fn from_days(days: u64) -> Self {
        Span(days * 86_400)
    }

    fn from_micros_floor(micros: i64) -> Self {
        Span((micros / MICROS_PER_SEC) as u64)
    }

    /// Length in seconds.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// Length in microseconds (saturating).
    pub const fn as_micros(self) -> i64 {
        if self.0 > (i64::MAX / MICROS_PER_SEC) as u64 {
            i64::MAX
        } else {
            self.0 as i64 * MICROS_PER_SEC
        }
    }

    /// Parses `30d`, `72h`, `3min` and the like.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let t = text.trim();
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let (number, unit) = t.split_at(digits);
        let bad = || TimeError::BadSpan;
        let n: u64 = number.parse().map_err(|_| bad())?;
        let unit = unit.trim();
        let per = match unit {
            "s" | "sec" | "secs" => 1,
            "min" | "mins" => 60,
            "h" | "hr" | "hrs" => 3_600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 7 * 86_400,
            "mo" | "month" | "months" => 30 * 86_400,
            "y" | "year" | "years" => 365 * 86_400,
            _ => return Err(bad()),
        };
        n.checked_mul(per).map(Span).ok_or_else(bad)
    }
}

impl fmt::Display for Span {
    /// The largest unit that divides the span exactly (`86400` seconds prints as `1d`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        for (name, per) in DISPLAY_UNITS {
            if self.0.is_multiple_of(per) {
                return write!(f, "{}{}", self.0 / per, name);
            }
        }
        write!(f, "{}s", self.0)
    }
}

impl FromStr for Span {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Span::parse(s)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Span::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The width of every epoch of a store: whole minutes, from 1 minute to 7 days.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct EpochWidth(Span);

impl EpochWidth {
    /// One UTC day, the default.
    pub const DAILY: EpochWidth = EpochWidth(Span::from_days(1));

    /// Checks that a span is a usable epoch width.
    pub fn new(span: Span) -> Result<Self, TimeError> {
        let secs = span.as_secs();
        if (60..=7 * 86_400).contains(&secs) && secs.is_multiple_of(60) {
            Ok(EpochWidth(span))
        } else {
            Err(TimeError::BadEpochWidth(span))
        }
    }

    /// The width as a span.
    pub const fn span(self) -> Span {
        self.0
    }

    /// The epoch that holds an instant.
    pub fn epoch_of(self, t: Timestamp) -> Epoch {
        let w = self.0.as_secs() as i64;
        Epoch {
            start: t.unix_secs().div_euclid(w) * w,
            width: self.0.as_secs() as u32,
        }
    }

    /// Every epoch that overlaps `[from, to)`, oldest first.
    pub fn epochs_overlapping(self, from: Timestamp, to: Timestamp) -> Vec<Epoch> {
        let mut out = Vec::new();
        if to <= from {
            return out;
        }
        let mut e = self.epoch_of(from);
        while e.start() < to {
            out.push(e);
            e = e.next();
        }
        out
    }
}

impl fmt::Display for EpochWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One time bucket `[start, start + width)`, aligned to the Unix epoch.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Epoch {
    start: i64,
    width: u32,
}

impl Epoch {
    /// First instant of the epoch.
    pub fn start(self) -> Timestamp {
        Timestamp::from_unix_secs(self.start)
    }

    /// First instant after the epoch.
    pub fn end(self) -> Timestamp {
        Timestamp::from_unix_secs(self.start + i64::from(self.width))
    }

    /// Start in whole seconds since the Unix epoch.
    pub fn start_secs(self) -> i64 {
        self.start
    }

    /// The epoch's width.
    pub fn width(self) -> EpochWidth {
        EpochWidth(Span::from_secs(u64::from(self.width)))
    }

    /// The epoch after this one.
    pub fn next(self) -> Epoch {
        Epoch {
            start: self.start + i64::from(self.width),
            width: self.width,
        }
    }

    /// Its name: the start time in RFC 3339 (`2026-11-29T00:00:00Z`). Names are not secret.
    pub fn name(self) -> String {
        self.start().to_rfc3339()
    }

    /// Parses a name made by [`Epoch::name`] for a store of the given width.
    pub fn from_name(name: &str, width: EpochWidth) -> Result<Epoch, TimeError> {
        let t = Timestamp::parse_rfc3339(name)?;
        let e = width.epoch_of(t);
        if e.start() == t {
            Ok(e)
        } else {
            Err(TimeError::BadTimestamp)
        }
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Where a store's clock takes its time from.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ClockSource {
    /// The machine's clock (a real store).
    System,
    /// Only explicit [`Clock::observe`] calls move time (a simulation store, `--now`).
    Simulated,
}

/// The store's clock: a high-water mark over every time it has seen. It never moves back.
#[derive(Debug)]
pub struct Clock {
    source: ClockSource,
    high: AtomicI64,
}

impl Clock {
    /// A clock that starts at `high_water` (the value persisted by the store).
    pub fn new(source: ClockSource, high_water: Timestamp) -> Self {
        Clock {
            source,
            high: AtomicI64::new(high_water.as_micros()),
        }
    }

    /// Where this clock takes its time from.
    pub fn source(&self) -> ClockSource {
        self.source
    }

    /// The current time: the maximum of the source and every time seen so far.
    pub fn now(&self) -> Timestamp {
        match self.source {
            ClockSource::System => self.observe(Timestamp::now_system()),
            ClockSource::Simulated => self.high_water(),
        }
    }

    /// Tells the clock about a time; it moves forward to it, never back. Returns the new now.
    pub fn observe(&self, t: Timestamp) -> Timestamp {
        let prev = self.high.fetch_max(t.as_micros(), Ordering::AcqRel);
        Timestamp::from_micros(prev.max(t.as_micros()))
    }

    /// The highest time seen, without consulting the source.
    pub fn high_water(&self) -> Timestamp {
        Timestamp::from_micros(self.high.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("valid time")
    }

    #[test]
    fn spans_parse_and_print_canonically() {
        assert_eq!(Span::parse("30d").expect("ok"), Span::from_days(30));
        assert_eq!(Span::parse("72h").expect("ok"), Span::from_hours(72));
        assert_eq!(Span::parse("3min").expect("ok"), Span::from_minutes(3));
        assert_eq!(Span::parse("18mo").expect("ok"), Span::from_days(540));
        assert_eq!(Span::from_hours(72).to_string(), "3d");
        assert_eq!(Span::from_minutes(90).to_string(), "90min");
        assert_eq!(Span::from_days(30).to_string(), "30d");
        assert_eq!(Span::parse("1y").expect("ok").to_string(), "365d");
        for bad in [
            "",
            "d",
            "3m",
            "3 parsecs",
            "-1d",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(Span::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_round_trip_rfc3339_in_utc() {
        let t = ts("2026-11-29T14:05:00+02:00");
        assert_eq!(t.to_rfc3339(), "2026-11-29T12:05:00Z");
        assert_eq!(
            ts("2026-11-29T12:05:00.25Z").as_micros() % 1_000_000,
            250_000
        );
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn epochs_bucket_time_and_name_themselves() {
        let w = EpochWidth::DAILY;
        let e = w.epoch_of(ts("2026-11-29T23:59:59Z"));
        assert_eq!(e.name(), "2026-11-29T00:00:00Z");
        assert_eq!(e.end(), ts("2026-11-30T00:00:00Z"));
        assert_eq!(Epoch::from_name(&e.name(), w).expect("parses"), e);
        assert!(Epoch::from_name("2026-11-29T00:00:01Z", w).is_err());
        let minute = EpochWidth::new(Span::from_minutes(1)).expect("ok");
        let span =
            minute.epochs_overlapping(ts("2026-01-01T00:00:30Z"), ts("2026-01-01T00:03:00Z"));
        assert_eq!(span.len(), 3);
        assert!(EpochWidth::new(Span::from_secs(30)).is_err());
        assert!(EpochWidth::new(Span::from_days(8)).is_err());
        assert!(EpochWidth::new(Span::from_secs(90)).is_err());
    }

    #[test]
    fn the_clock_never_moves_back() {
        let c = Clock::new(ClockSource::Simulated, ts("2026-01-02T00:00:00Z"));
        assert_eq!(
            c.observe(ts("2026-01-01T00:00:00Z")),
            ts("2026-01-02T00:00:00Z")
        );
        assert_eq!(
            c.observe(ts("2026-01-03T00:00:00Z")),
            ts("2026-01-03T00:00:00Z")
        );
        assert_eq!(c.now(), ts("2026-01-03T00:00:00Z"));
        let sys = Clock::new(ClockSource::System, ts("2999-01-01T00:00:00Z"));
        assert_eq!(sys.now(), ts("2999-01-01T00:00:00Z"));
    }
}
