//! The retention-policy simulator behind `platevault bench-retention`.
//!
//! For agencies comparing retention laws before they sign one: the same synthetic city
//! traffic ([`crate::sim::traffic`]) is written, day after day, into one real platevault store per
//! policy, each on a simulated clock, and the simulator records at the end of every simulated
//! day what that policy costs and what it gives up:
//!
//! - **live reads** (in the store's epochs, from their counters) and **disk bytes** (every
//!   file under the store directory);
//! - **reads searchable**: reads captured within retention of the clock (to the minute);
//! - **expiry cost**: wall time of that day's expiry runs, and the epochs they destroyed;
//! - **searches refused for age**: a fixed, deterministic stream of investigative searches
//!   per day, each looking back a heavy-tailed time (Pareto, 15 minutes and up, median about
//!   1.4 hours, one in ten beyond three days, one in twenty-five beyond a month); one is refused
//!   when it looks back further than the policy's retention.
//!
//! ## What is simulated exactly, and what is not
//!
//! The clock moves in steps of the epoch width, at most one hour: before each step's reads
//! are ingested the clock is advanced to the end of the step, and the store runs whatever
//! expiry is due (so a 3-minute policy with 1-minute epochs creates and destroys an epoch
//! every simulated minute, each with its keys, column family, purge and deletion
//! certificate, as a real store would). That is costly in real time (tens to hundreds of
//! milliseconds per expiry), so a policy is simulated only until it has run
//! `expiry_budget` epoch expiries (default 180) and at least until steady state (retention
//! plus one epoch, plus an hour). For a minute-epoch policy that is a 3-hour window of day
//! 1 from 07:00 (the morning rush), whose expiry time and epochs expired are scaled to the
//! whole day; for an hourly one, 8 days; daily and weekly epochs run the whole horizon (up
//! to 180 days). Later days are not simulated: they repeat the steady state, and the report
//! says so (`simulated_hours`, `window`, `extrapolated`); the charts draw them as a dashed
//! line at the last simulated value.
//!
//! Every epoch's memtable is sized to the store's shared write-buffer budget divided among
//! the policy's live epochs (at most the default 32 MiB), so that a 90-day policy's 91 live
//! column families fit the budget; that changes when data reaches SST files, not what is
//! stored. Images are synthetic bytes of the chosen size (scale them down to keep runs short;
//! disk figures then scale with the image bytes).
//!
//! The folder: this file holds what is simulated (policies, configuration, the report's
//! types); [`run`] runs it (`run.rs`), `report.rs` writes the JSON and Markdown, and
//! `charts.rs` draws the two SVG charts.

mod charts;
mod report;
mod run;

pub use report::{Written, markdown, write_outputs};
pub use run::run;

use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::epoch::{Span, Timestamp};
use crate::policy::{Policy, PolicySpec};
use crate::store::StoreTuning;

/// The shortest search look-back of the search stream (the Pareto scale).
const SEARCH_MIN_AGE: f64 = 15.0 * 60.0;
/// The Pareto shape of search look-backs: heavy-tailed.
const SEARCH_TAIL: f64 = 0.4;
/// No search looks back more than this (3 years).
const SEARCH_MAX_AGE: f64 = 3.0 * 365.0 * 86_400.0;
/// Reads per ingest call.
const BATCH: usize = 1_000;
/// A policy simulated for less than a day runs a window of day 1 starting at this hour
/// (the morning rush), so that its steady state is seen at busy traffic.
pub const WINDOW_START_HOUR: u64 = 7;
const DAY_SECS: u64 = 86_400;

/// One retention policy to simulate: a retention and the epoch width its store uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyUnderTest {
    /// The label used in reports (`30d`, or `18mo:1d` when the epoch was given).
    pub label: String,
    /// How long a read stays visible.
    pub retention: Span,
    /// The epoch width of the policy's store.
    pub epoch: Span,
}

impl PolicyUnderTest {
    /// Parses `RETENTION` or `RETENTION:EPOCH` (`3min`, `72h`, `18mo:7d`). Without an epoch,
    /// [`PolicyUnderTest::default_epoch`] picks one.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let (ret, epoch) = match text.split_once(':') {
            Some((r, e)) => (r, Some(e)),
            None => (text, None),
        };
        // The refusal says which part is wrong, never what was typed (no refusal echoes input).
        let retention = Span::parse(ret)
            .map_err(|e| Error::InvalidArgument(format!("a policy's retention: {e}")))?;
        let epoch = match epoch {
            Some(e) => Span::parse(e)
                .map_err(|err| Error::InvalidArgument(format!("a policy's epoch: {err}")))?,
            None => Self::default_epoch(retention),
        };
        let p = PolicyUnderTest {
            label: text.to_string(),
            retention,
            epoch,
        };
        p.policy()?;
        Ok(p)
    }

    /// The epoch width used when none is given: 1 minute below an hour of retention, 1 hour
    /// below 72 hours, 1 day up to a year, 7 days beyond (so live epochs stay well under the
    /// policy limit of 1,024).
    pub fn default_epoch(retention: Span) -> Span {
        let secs = retention.as_secs();
        if secs < 3_600 {
            Span::from_minutes(1)
        } else if secs < 72 * 3_600 {
            Span::from_hours(1)
        } else if secs <= 365 * DAY_SECS {
            Span::from_days(1)
        } else {
            Span::from_days(7)
        }
    }

    /// The default policy with this retention and epoch width (and a search window no
    /// longer than the retention).
    pub fn policy(&self) -> Result<Policy> {
        let mut spec = PolicySpec::default_spec();
        spec.retention = self.retention;
        spec.epoch = self.epoch;
        spec.max_search_window = self.retention.min(spec.max_search_window);
        Ok(Policy::from_spec(spec)?)
    }

    /// Epochs live at once in steady state (retention / width, plus the current one).
    pub fn live_epochs(&self) -> u64 {
        self.retention
            .as_secs()
            .div_ceil(self.epoch.as_secs().max(1))
            + 1
    }

    /// The clock step: the epoch width, at most one hour.
    pub fn step(&self) -> Span {
        self.epoch.min(Span::from_hours(1))
    }
}

/// What to simulate.
#[derive(Clone, Debug)]
pub struct RetentionConfig {
    /// The policies, each in its own store.
    pub policies: Vec<PolicyUnderTest>,
    /// Simulated days (the horizon).
    pub days: u32,
    /// Reads per simulated day.
    pub reads_per_day: u64,
    /// Synthetic image bytes per read (0 for none).
    pub image_bytes: usize,
    /// Seed of the traffic and of the search stream.
    pub seed: u64,
    /// Investigative searches per simulated day.
    pub searches_per_day: u32,
    /// First simulated instant (a UTC midnight).
    pub start: Timestamp,
    /// A policy is simulated until it has run this many epoch expiries (and at least until
    /// steady state); its later days repeat the steady state.
    pub expiry_budget: u64,
    /// Where the temporary stores go (removed afterwards).
    pub work_dir: PathBuf,
    /// Fixed memtable size per epoch, instead of the budget divided among live epochs.
    pub epoch_buffer_bytes: Option<usize>,
}

impl RetentionConfig {
    /// Six policies from a 3-minute law to 18 months, 3 months of 20,000 reads a day.
    pub fn new(work_dir: PathBuf) -> Self {
        RetentionConfig {
            policies: ["3min", "72h", "21d", "30d", "90d", "18mo"]
                .iter()
                .filter_map(|p| PolicyUnderTest::parse(p).ok())
                .collect(),
            days: 90,
            reads_per_day: 20_000,
            image_bytes: 0,
            seed: 1,
            searches_per_day: 50,
            start: Timestamp::from_unix_secs(1_767_225_600), // 2026-01-01T00:00:00Z
            expiry_budget: 180,
            work_dir,
            epoch_buffer_bytes: None,
        }
    }

    /// Seconds a policy is simulated for: enough for `expiry_budget` expiries and for
    /// steady state (retention plus one epoch, plus an hour), at most the horizon. Below a
    /// day it is a window of day 1 (see [`WINDOW_START_HOUR`]).
    pub fn simulated_secs(&self, p: &PolicyUnderTest) -> u64 {
        let by_budget = self.expiry_budget.saturating_mul(p.epoch.as_secs());
        let steady = p.retention.as_secs() + p.epoch.as_secs() + 3_600;
        let whole = u64::from(self.days) * DAY_SECS;
        let secs = by_budget.max(steady).min(whole);
        if secs >= DAY_SECS {
            // Whole days: a policy that runs past day 1 runs whole days.
            secs.div_ceil(DAY_SECS).saturating_mul(DAY_SECS).min(whole)
        } else {
            secs.div_ceil(3_600) * 3_600
        }
    }

    /// Days a policy is simulated for, counting a partial day as one.
    pub fn simulated_days(&self, p: &PolicyUnderTest) -> u32 {
        u32::try_from(self.simulated_secs(p).div_ceil(DAY_SECS))
            .unwrap_or(u32::MAX)
            .max(1)
    }

    fn tuning(&self, p: &PolicyUnderTest) -> StoreTuning {
        let mut t = StoreTuning::default();
        t.epoch_write_buffer_bytes = match self.epoch_buffer_bytes {
            Some(b) => b,
            None => {
                let share = t.write_buffer_total_bytes / (2 * p.live_epochs() as usize + 2);
                share.clamp(1 << 20, t.epoch_write_buffer_bytes)
            }
        };
        t
    }
}

/// What one policy looked like at the end of one simulated day.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DayFigures {
    /// Day number, from 1.
    pub day: u32,
    /// The day's date (UTC).
    pub date: String,
    /// Reads in live epochs (including the tail past retention not yet swept).
    pub live_reads: u64,
    /// Epochs with a column family.
    pub live_epochs: u64,
    /// Bytes of every file under the store directory.
    pub disk_bytes: u64,
    /// Of those, RocksDB's informational logs (`LOG`, `LOG.old.*`; warnings only, capped):
    /// `disk_bytes - info_log_bytes` is what the data, its indexes and the audit log take.
    pub info_log_bytes: u64,
    /// Reads captured within retention of the clock: what a search could still return.
    pub searchable_reads: u64,
    /// How far back a search reaches now, hours (the retention, or less while filling).
    pub searchable_window_hours: f64,
    /// Milliseconds spent in expiry during the day.
    pub expiry_ms: f64,
    /// Epochs destroyed during the day.
    pub epochs_expired: u64,
    /// Milliseconds spent in ingest during the day.
    pub ingest_ms: f64,
    /// Investigative searches made during the day.
    pub searches: u32,
    /// Of those, searches looking back further than retention: refused for age.
    pub refused_for_age: u32,
}

/// A policy's results.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyReport {
    /// The policy's label.
    pub policy: String,
    /// Its retention (`30d`).
    pub retention: String,
    /// Its retention in seconds.
    pub retention_secs: u64,
    /// The epoch width of its store.
    pub epoch: String,
    /// The clock step.
    pub step: String,
    /// Longest life of a read on disk: retention plus one epoch, hours.
    pub longest_life_hours: f64,
    /// Epochs live at once in steady state.
    pub live_epochs_steady: u64,
    /// Memtable size per epoch used, bytes.
    pub epoch_buffer_bytes: usize,
    /// Days actually simulated with a real store (a partial day counts as one).
    pub simulated_days: u32,
    /// Hours actually simulated with a real store.
    pub simulated_hours: f64,
    /// For a policy simulated for less than a day: the window of day 1 (`07:00-10:00`);
    /// its expiry time and epochs expired are scaled to the whole day.
    pub window: Option<String>,
    /// True when later days repeat the last simulated one (not simulated).
    pub extrapolated: bool,
    /// True when the simulation reached steady state.
    pub steady_state: bool,
    /// One entry per simulated day.
    pub days: Vec<DayFigures>,
    /// Disk bytes at the end of the last simulated day.
    pub final_disk_bytes: u64,
    /// Largest disk use of any day.
    pub peak_disk_bytes: u64,
    /// Mean expiry time per simulated day, milliseconds.
    pub mean_expiry_ms_per_day: f64,
    /// Mean expiry time per epoch destroyed, milliseconds.
    pub mean_expiry_ms_per_epoch: f64,
    /// Share of the search stream refused for age over the simulated days.
    pub refused_share: f64,
    /// Wall-clock seconds the policy's simulation took.
    pub wall_seconds: f64,
}

/// The whole simulation.
#[derive(Clone, Debug, Serialize)]
pub struct RetentionReport {
    /// Simulated days (the horizon).
    pub days: u32,
    /// Reads per day.
    pub reads_per_day: u64,
    /// Image bytes per read.
    pub image_bytes: usize,
    /// Seed.
    pub seed: u64,
    /// Searches per day.
    pub searches_per_day: u32,
    /// First simulated instant.
    pub start: String,
    /// Expiry budget per policy.
    pub expiry_budget: u64,
    /// How the simulation was done, in words.
    pub method: String,
    /// One entry per policy, in the order given.
    pub policies: Vec<PolicyReport>,
}

/// Progress: called at the end of every simulated day of every policy.
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    /// The policy being simulated.
    pub policy: &'a str,
    /// Days simulated so far for it.
    pub day: u32,
    /// Days it will be simulated for.
    pub of_days: u32,
}

#[cfg(test)]
mod tests {
    use super::run::{MinuteTally, search_age_secs};
    use super::*;

    #[test]
    fn policies_parse_with_and_without_an_epoch() {
        let p = PolicyUnderTest::parse("3min").expect("3min");
        assert_eq!(p.epoch, Span::from_minutes(1));
        assert_eq!(p.live_epochs(), 4);
        assert_eq!(
            PolicyUnderTest::parse("72h").expect("72h").epoch,
            Span::from_days(1)
        );
        assert_eq!(
            PolicyUnderTest::parse("18mo").expect("18mo").epoch,
            Span::from_days(7)
        );
        let q = PolicyUnderTest::parse("18mo:1d").expect("18mo:1d");
        assert_eq!(q.epoch, Span::from_days(1));
        assert!(
            PolicyUnderTest::parse("3min:1d").is_err(),
            "epoch wider than retention"
        );
        assert!(
            PolicyUnderTest::parse("1y:1min").is_err(),
            "too many live epochs"
        );
        assert!(PolicyUnderTest::parse("soon").is_err());
    }

    #[test]
    fn short_policies_are_simulated_until_steady_state_only() {
        let mut c = RetentionConfig::new(PathBuf::from("/nonexistent"));
        c.days = 90;
        let by = |s: &str| c.simulated_days(&PolicyUnderTest::parse(s).expect("policy"));
        assert_eq!(by("3min"), 1, "a window of day 1");
        let three_min = PolicyUnderTest::parse("3min").expect("3min");
        assert_eq!(
            c.simulated_secs(&three_min),
            3 * 3_600,
            "180 one-minute epochs"
        );
        assert_eq!(by("24h"), 8, "180 hourly epochs, rounded up to whole days");
        assert_eq!(by("72h"), 90);
        assert_eq!(by("30d"), 90);
        assert_eq!(by("18mo"), 90);
    }

    #[test]
    fn the_search_stream_is_heavy_tailed_and_fixed() {
        let ages: Vec<f64> = (0..10_000).map(|i| search_age_secs(1, 3, i)).collect();
        assert_eq!(ages[17], search_age_secs(1, 3, 17));
        let beyond = |secs: f64| ages.iter().filter(|&&a| a > secs).count() as f64 / 1e4;
        assert!(ages.iter().all(|&a| a >= SEARCH_MIN_AGE));
        let mut sorted = ages.clone();
        sorted.sort_by(f64::total_cmp);
        let median_hours = sorted[5_000] / 3_600.0;
        assert!((1.2..1.6).contains(&median_hours), "{median_hours}");
        assert!(
            (0.07..0.14).contains(&beyond(72.0 * 3_600.0)),
            "{}",
            beyond(259_200.0)
        );
        assert!((0.02..0.06).contains(&beyond(30.0 * 86_400.0)));
    }

    #[test]
    fn the_minute_tally_counts_a_window() {
        let start = Timestamp::from_unix_secs(1_767_225_600);
        let mut t = MinuteTally::new(start, 1);
        let mut per = vec![0u64; 1_440];
        per[0] = 5;
        per[10] = 7;
        t.add_day(0, &per);
        let at = |m: u64| start.plus(Span::from_minutes(m));
        assert_eq!(t.between(at(0), at(1_440)), 12);
        assert_eq!(t.between(at(1), at(1_440)), 7);
        assert_eq!(t.between(at(0), at(10)), 5);
    }
}
