//! The simulation's outputs: `retention.json`, `retention.md` and, through `charts`, the SVGs.

use std::path::{Path, PathBuf};

use super::RetentionReport;
use super::charts::chart;
use crate::error::{Error, Result};

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
    crate::files::create_private_dir_all(out).map_err(io(out))?;
    let written = Written {
        json: out.join("retention.json"),
        markdown: out.join("retention.md"),
        disk_chart: out.join("disk.svg"),
        searchable_chart: out.join("searchable.svg"),
    };
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| Error::Internal(format!("cannot encode the report: {e}")))?;
    let write = crate::files::write_private;
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
