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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::crypto::keys::MasterKey;
use crate::error::{Error, Result};
use crate::model::epoch::{Span, Timestamp};
use crate::model::record::NewRead;
use crate::policy::{Policy, PolicySpec};
use crate::sim::traffic::{SimConfig, Simulation};
use crate::store::{Durability, StoreTuning};
use crate::vault::{Vault, VaultOptions};

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

/// Runs the simulation; `progress` is called after every simulated day.
pub fn run(
    config: &RetentionConfig,
    mut progress: impl FnMut(&Progress<'_>),
) -> Result<RetentionReport> {
    if config.policies.is_empty() {
        return Err(Error::InvalidArgument("no policy to simulate".into()));
    }
    if config.days == 0 || config.reads_per_day == 0 {
        return Err(Error::InvalidArgument(
            "simulate at least one day and one read per day".into(),
        ));
    }
    if config.start.unix_secs().rem_euclid(DAY_SECS as i64) != 0 {
        return Err(Error::InvalidArgument(
            "the simulation starts at a UTC midnight".into(),
        ));
    }
    crate::store::perms::create_private_dir_all(&config.work_dir).map_err(|source| Error::Io {
        path: config.work_dir.clone(),
        source,
    })?;
    let mut policies = Vec::with_capacity(config.policies.len());
    for p in &config.policies {
        policies.push(run_policy(config, p, &mut progress)?);
    }
    Ok(RetentionReport {
        days: config.days,
        reads_per_day: config.reads_per_day,
        image_bytes: config.image_bytes,
        seed: config.seed,
        searches_per_day: config.searches_per_day,
        start: config.start.to_rfc3339(),
        expiry_budget: config.expiry_budget,
        method: method_text(config),
        policies,
    })
}

fn method_text(config: &RetentionConfig) -> String {
    format!(
        "One real platevault store per policy (simulated clock, the default policy with the given retention and epoch width). {} reads a day of synthetic city traffic, {} image bytes each. The clock advances in steps of the epoch width (at most 1 hour) and each step's reads are ingested after the clock has moved to the step's end; expiry runs whenever due, exactly as in a live store. A policy is simulated for at most {} epoch expiries (and at least until steady state); a policy that needs less than a day runs a window of day 1 from 07:00 and its expiry time and epochs expired are scaled to the whole day; later days repeat the steady state and are marked extrapolated. Searches: {} a day, deterministic, looking back a Pareto-distributed time (scale 15 min, shape {}); refused for age when older than retention.",
        config.reads_per_day,
        config.image_bytes,
        config.expiry_budget,
        config.searches_per_day,
        SEARCH_TAIL
    )
}

/// A per-minute tally of the reads ingested so far, for the searchable count.
struct MinuteTally {
    start: i64,
    cumulative: Vec<u64>,
}

impl MinuteTally {
    fn new(start: Timestamp, days: u32) -> Self {
        MinuteTally {
            start: start.unix_secs(),
            cumulative: vec![0; days as usize * 1_440 + 1],
        }
    }

    fn index(&self, t: Timestamp) -> usize {
        let m = (t.unix_secs() - self.start).div_euclid(60).max(0) as usize;
        m.min(self.cumulative.len() - 1)
    }

    /// Adds per-minute counts for the minutes of a finished day.
    fn add_day(&mut self, day: u32, per_minute: &[u64]) {
        let base = day as usize * 1_440;
        for (i, n) in per_minute.iter().enumerate() {
            let prev = self.cumulative[base + i];
            self.cumulative[base + i + 1] = prev + n;
        }
    }

    /// Reads captured in `[from, to)` (to the minute).
    fn between(&self, from: Timestamp, to: Timestamp) -> u64 {
        let (a, b) = (self.index(from), self.index(to));
        self.cumulative[b].saturating_sub(self.cumulative[a.min(b)])
    }
}

/// The deterministic look-back of search `i` on day `day`, in seconds.
fn search_age_secs(seed: u64, day: u32, i: u32) -> f64 {
    let mut z = seed
        ^ (u64::from(day)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (u64::from(i)).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // u in (0, 1]
    let u = ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    (SEARCH_MIN_AGE / u.powf(1.0 / SEARCH_TAIL)).min(SEARCH_MAX_AGE)
}

fn run_policy(
    config: &RetentionConfig,
    p: &PolicyUnderTest,
    progress: &mut impl FnMut(&Progress<'_>),
) -> Result<PolicyReport> {
    let wall = Instant::now();
    let days = config.simulated_days(p);
    let policy = p.policy()?;
    let tuning = config.tuning(p);
    let tmp = tempfile::Builder::new()
        .prefix("retention-")
        .tempdir_in(&config.work_dir)
        .map_err(|source| Error::Io {
            path: config.work_dir.clone(),
            source,
        })?;
    let dir = tmp.path().join("store");
    let key = MasterKey::generate()?;
    let options = VaultOptions::new()
        .durability(Durability::Buffered)
        .tuning(tuning)
        .simulated_clock(config.start);
    let vault = Vault::create(&dir, &key, &policy, &options)?;
    let step = p.step();
    let span = config.simulated_secs(p);
    // Below a day: a window of day 1, whose figures are scaled to the whole day where they
    // are rates (expiry time and epochs expired).
    let window = (span < DAY_SECS).then(|| {
        let from = (WINDOW_START_HOUR * 3_600).min(DAY_SECS - span);
        (from, from + span)
    });
    let mut tally = MinuteTally::new(config.start, days);
    let mut out = Vec::with_capacity(days as usize);
    for day in 0..days {
        let day_start = config.start.plus(Span::from_days(u64::from(day)));
        let (from, until) = window.unwrap_or((0, DAY_SECS));
        let day_end = day_start.plus(Span::from_secs(until));
        let sim = Simulation::new(
            SimConfig::new(
                config.reads_per_day,
                1,
                day_start.plus(Span::from_days(1)),
                config
                    .seed
                    .wrapping_add(u64::from(day).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            )
            .image_bytes(config.image_bytes),
        );
        let mut reads = sim.reads().peekable();
        let mut per_minute = vec![0u64; 1_440];
        let mut figures = DayFigures {
            day: day + 1,
            date: day_start.to_rfc3339().chars().take(10).collect(),
            ..DayFigures::default()
        };
        let mut t = day_start.plus(Span::from_secs(from));
        if from > 0 {
            vault.advance_clock(t)?;
            // Reads before the window are not part of it.
            while reads
                .next_if(|r| r.captured_at.is_some_and(|c| c < t))
                .is_some()
            {}
        }
        while t < day_end {
            let next = Timestamp::from_micros((t.plus(step).as_micros()).min(day_end.as_micros()));
            let _ = vault.take_expiry_log();
            let started = Instant::now();
            vault.advance_clock(next)?;
            let took = started.elapsed();
            let log = vault.take_expiry_log();
            if !log.expired_epochs.is_empty() {
                figures.expiry_ms += took.as_secs_f64() * 1e3;
                figures.epochs_expired += log.expired_epochs.len() as u64;
            }
            let mut batch: Vec<NewRead> = Vec::with_capacity(BATCH);
            while let Some(r) = reads.next_if(|r| r.captured_at.is_some_and(|c| c < next)) {
                if let Some(c) = r.captured_at {
                    let minute = ((c.unix_secs() - day_start.unix_secs()) / 60).clamp(0, 1_439);
                    per_minute[minute as usize] += 1;
                }
                batch.push(r);
                if batch.len() == BATCH {
                    ingest(&vault, std::mem::take(&mut batch), &mut figures)?;
                }
            }
            if !batch.is_empty() {
                ingest(&vault, batch, &mut figures)?;
            }
            t = next;
        }
        tally.add_day(day, &per_minute);
        let now = vault.now();
        let epochs = vault.live_epochs();
        figures.live_epochs = epochs.len() as u64;
        for e in epochs {
            figures.live_reads += vault.epoch_read_count(e)?;
        }
        figures.disk_bytes = dir_bytes(&dir, &mut figures.info_log_bytes);
        let horizon = now.minus(p.retention).max(config.start);
        figures.searchable_reads = tally.between(horizon, now);
        figures.searchable_window_hours = now.since(horizon).as_secs() as f64 / 3_600.0;
        if window.is_some() {
            let scale = DAY_SECS as f64 / span as f64;
            figures.expiry_ms *= scale;
            figures.epochs_expired = (figures.epochs_expired as f64 * scale).round() as u64;
        }
        figures.searches = config.searches_per_day;
        figures.refused_for_age = (0..config.searches_per_day)
            .filter(|&i| search_age_secs(config.seed, day, i) > p.retention.as_secs() as f64)
            .count() as u32;
        progress(&Progress {
            policy: &p.label,
            day: day + 1,
            of_days: days,
        });
        out.push(figures);
    }
    drop(vault);
    let expired: u64 = out.iter().map(|d| d.epochs_expired).sum();
    let expiry_ms: f64 = out.iter().map(|d| d.expiry_ms).sum();
    let searches: u64 = out.iter().map(|d| u64::from(d.searches)).sum();
    let refused: u64 = out.iter().map(|d| u64::from(d.refused_for_age)).sum();
    Ok(PolicyReport {
        policy: p.label.clone(),
        retention: p.retention.to_string(),
        retention_secs: p.retention.as_secs(),
        epoch: p.epoch.to_string(),
        step: step.to_string(),
        longest_life_hours: (p.retention.as_secs() + p.epoch.as_secs()) as f64 / 3_600.0,
        live_epochs_steady: p.live_epochs(),
        epoch_buffer_bytes: tuning.epoch_write_buffer_bytes,
        simulated_days: days,
        simulated_hours: span as f64 / 3_600.0,
        window: window
            .map(|(a, b)| format!("{:02}:00-{:02}:00 UTC of day 1", a / 3_600, b / 3_600)),
        extrapolated: span < u64::from(config.days) * DAY_SECS,
        steady_state: span >= p.retention.as_secs() + p.epoch.as_secs(),
        final_disk_bytes: out.last().map_or(0, |d| d.disk_bytes),
        peak_disk_bytes: out.iter().map(|d| d.disk_bytes).max().unwrap_or(0),
        mean_expiry_ms_per_day: expiry_ms / f64::from(days.max(1)),
        mean_expiry_ms_per_epoch: if expired > 0 {
            expiry_ms / expired as f64
        } else {
            0.0
        },
        refused_share: if searches > 0 {
            refused as f64 / searches as f64
        } else {
            0.0
        },
        days: out,
        wall_seconds: wall.elapsed().as_secs_f64(),
    })
}

fn ingest(vault: &Vault, batch: Vec<NewRead>, figures: &mut DayFigures) -> Result<()> {
    let n = batch.len();
    let started = Instant::now();
    let report = vault.ingest(batch)?;
    figures.ingest_ms += started.elapsed().as_secs_f64() * 1e3;
    if report.stored.len() != n {
        let reason = report
            .rejected
            .first()
            .map(|r| r.reason.to_string())
            .unwrap_or_default();
        return Err(Error::Internal(format!(
            "the simulated store refused {} of {n} reads: {reason}",
            report.rejected.len()
        )));
    }
    Ok(())
}

/// Total bytes of the files under `dir`; adds those of RocksDB's info logs to `logs`.
fn dir_bytes(dir: &Path, logs: &mut u64) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0;
    for e in entries.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => total += dir_bytes(&e.path(), logs),
            Ok(_) => {
                let len = e.metadata().map_or(0, |m| m.len());
                let name = e.file_name();
                let name = name.to_string_lossy();
                if name == "LOG" || name.starts_with("LOG.old") {
                    *logs += len;
                }
                total += len;
            }
            Err(_) => {}
        }
    }
    total
}

/// The files [`write_outputs`] wrote.
#[derive(Clone, Debug)]
pub struct Written {
    /// `retention.json`.
    pub json: PathBuf,
    /// `retention.md`.
    pub markdown: PathBuf,
    /// `disk.svg`.
    pub disk_chart: PathBuf,
    /// `searchable.svg`.
    pub searchable_chart: PathBuf,
}

/// Writes `retention.json`, `retention.md`, `disk.svg` and `searchable.svg` into `out`.
pub fn write_outputs(report: &RetentionReport, out: &Path) -> Result<Written> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    crate::store::perms::create_private_dir_all(out).map_err(io(out))?;
    let written = Written {
        json: out.join("retention.json"),
        markdown: out.join("retention.md"),
        disk_chart: out.join("disk.svg"),
        searchable_chart: out.join("searchable.svg"),
    };
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| Error::Internal(format!("cannot encode the report: {e}")))?;
    let write = crate::store::perms::write_private;
    write(&written.json, (json + "\n").as_bytes()).map_err(io(&written.json))?;
    write(&written.markdown, markdown(report).as_bytes()).map_err(io(&written.markdown))?;
    chart(
        report,
        &written.disk_chart,
        "Disk use per retention policy",
        "disk (MB, log scale)",
        |d| d.disk_bytes as f64 / 1e6,
    )?;
    chart(
        report,
        &written.searchable_chart,
        "Reads a search can still reach, per retention policy",
        "reads searchable (log scale)",
        |d| d.searchable_reads as f64,
    )?;
    Ok(written)
}

/// The Markdown summary.
pub fn markdown(report: &RetentionReport) -> String {
    let mut s = String::new();
    s.push_str("# Retention policies compared\n\n");
    s.push_str(&format!(
        "{} simulated days from {}, {} reads a day, {} image bytes per read, {} investigative searches a day, seed {}.\n\n",
        report.days, report.start, report.reads_per_day, report.image_bytes, report.searches_per_day, report.seed
    ));
    s.push_str("| policy | epoch | longest life on disk | live epochs | simulated | disk at end | peak disk | live reads at end | searchable at end | expiry per day | per epoch | searches refused for age |\n");
    s.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for p in &report.policies {
        let last = p.days.last().cloned().unwrap_or_default();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {}{} | {} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} % |\n",
            p.policy,
            p.epoch,
            hours_text(p.longest_life_hours),
            p.live_epochs_steady,
            match &p.window {
                Some(w) => format!("{:.0} h ({w})", p.simulated_hours),
                None => format!("{} d", p.simulated_days),
            },
            if p.extrapolated { ", then steady" } else { "" },
            mb(p.final_disk_bytes),
            mb(p.peak_disk_bytes),
            last.live_reads,
            last.searchable_reads,
            p.mean_expiry_ms_per_day,
            p.mean_expiry_ms_per_epoch,
            100.0 * p.refused_share
        ));
    }
    s.push_str("\n![disk use](disk.svg)\n\n![reads searchable](searchable.svg)\n\n");
    s.push_str("## How to read it\n\n");
    s.push_str("- *Longest life on disk* is retention plus one epoch: a read is invisible from capture + retention and destroyed when its whole epoch has passed retention.\n");
    s.push_str("- *Disk* counts every file of the store (SST, blob, WAL, MANIFEST, the audit log and its deletion certificates, and RocksDB's informational log, which holds warnings only).\n");
    s.push_str("- *Live reads* are the reads in epochs that still exist; *searchable* are those within retention of the clock (live reads minus the not yet swept tail).\n");
    s.push_str("- *Expiry per day* is the wall time of that day's expiry runs on this machine (each destroys an epoch's keys, drops its column family, retires the WALs, compacts the key family and writes a deletion certificate).\n");
    s.push_str("- *Searches refused for age* look back further than the retention; the look-backs are heavy-tailed, the same stream for every policy.\n\n");
    s.push_str("## Method\n\n");
    s.push_str(&report.method);
    s.push('\n');
    let extrapolated: Vec<&str> = report
        .policies
        .iter()
        .filter(|p| p.extrapolated)
        .map(|p| p.policy.as_str())
        .collect();
    if !extrapolated.is_empty() {
        s.push_str(&format!(
            "\nSimulated for fewer days than the horizon (their later days repeat the steady state; dashed in the charts): {}.\n",
            extrapolated.join(", ")
        ));
    }
    s
}

fn hours_text(h: f64) -> String {
    if h < 1.0 {
        format!("{:.0} min", h * 60.0)
    } else if h < 72.0 {
        format!("{h:.0} h")
    } else {
        format!("{:.0} d", h / 24.0)
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Line colours (the Tableau 10 palette: distinct on white, in print and for most colour
/// vision deficiencies).
const COLORS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

fn chart(
    report: &RetentionReport,
    path: &Path,
    title: &str,
    y_label: &str,
    value: impl Fn(&DayFigures) -> f64,
) -> Result<()> {
    use plotters::prelude::*;
    let plot_err =
        |e: &dyn std::fmt::Display| Error::Internal(format!("chart {}: {e}", path.display()));
    let mut series: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
    let mut lo = f64::MAX;
    let mut hi = f64::MIN;
    for (i, p) in report.policies.iter().enumerate() {
        let points: Vec<(f64, f64)> = p
            .days
            .iter()
            .map(|d| (f64::from(d.day), value(d).max(1e-3)))
            .collect();
        for (_, y) in &points {
            lo = lo.min(*y);
            hi = hi.max(*y);
        }
        series.insert(i, points);
    }
    if lo > hi {
        lo = 1e-3;
        hi = 1.0;
    }
    let (lo, hi) = (lo / 2.0, hi * 2.0);
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..f64::from(report.days.max(1)), (lo..hi).log_scale())
        .map_err(|e| plot_err(&e))?;
    chart
        .configure_mesh()
        .x_desc("simulated day")
        .y_desc(y_label)
        .draw()
        .map_err(|e| plot_err(&e))?;
    for (i, p) in report.policies.iter().enumerate() {
        let (r, g, b) = COLORS[i % COLORS.len()];
        let color = RGBColor(r, g, b).to_rgba();
        let points = series.remove(&i).unwrap_or_default();
        let last = points.last().copied();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| plot_err(&e))?
            .label(format!("{} ({} epochs)", p.policy, p.epoch))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        if p.extrapolated
            && let Some((x, y)) = last
        {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, y), (f64::from(report.days), y)],
                    6,
                    4,
                    color.stroke_width(2),
                ))
                .map_err(|e| plot_err(&e))?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| plot_err(&e))?;
    root.present().map_err(|e| plot_err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
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
