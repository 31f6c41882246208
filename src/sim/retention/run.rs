//! Running the simulation: one real store per policy on a simulated clock, day by day.

use std::path::Path;
use std::time::Instant;

use super::{
    BATCH, DAY_SECS, DayFigures, PolicyReport, PolicyUnderTest, Progress, RetentionConfig,
    RetentionReport, SEARCH_MAX_AGE, SEARCH_MIN_AGE, SEARCH_TAIL, WINDOW_START_HOUR,
};
use crate::crypto::keys::MasterKey;
use crate::error::{Error, Result};
use crate::model::epoch::{Span, Timestamp};
use crate::model::record::NewRead;
use crate::sim::traffic::{SimConfig, Simulation};
use crate::store::Durability;
use crate::vault::{Vault, VaultOptions};

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
    crate::files::create_private_dir_all(&config.work_dir).map_err(|source| Error::Io {
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
pub(super) struct MinuteTally {
    start: i64,
    cumulative: Vec<u64>,
}

impl MinuteTally {
    pub(super) fn new(start: Timestamp, days: u32) -> Self {
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
    pub(super) fn add_day(&mut self, day: u32, per_minute: &[u64]) {
        let base = day as usize * 1_440;
        for (i, n) in per_minute.iter().enumerate() {
            let prev = self.cumulative[base + i];
            self.cumulative[base + i + 1] = prev + n;
        }
    }

    /// Reads captured in `[from, to)` (to the minute).
    pub(super) fn between(&self, from: Timestamp, to: Timestamp) -> u64 {
        let (a, b) = (self.index(from), self.index(to));
        self.cumulative[b].saturating_sub(self.cumulative[a.min(b)])
    }
}

/// The deterministic look-back of search `i` on day `day`, in seconds.
pub(super) fn search_age_secs(seed: u64, day: u32, i: u32) -> f64 {
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
