//! `platevault simulate`: deterministic synthetic city traffic, into the store or to a file.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use base64::Engine;
use platevault::sim::traffic::{SimConfig, Simulation};
use platevault::{NewRead, Timestamp, Vault};

use super::{CliError, Exit, Global, Output};

/// Reads per ingest batch.
const BATCH: usize = 1_000;

/// Arguments of `simulate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// How many reads.
    #[arg(long, default_value_t = 100_000)]
    reads: u64,
    /// Over how many days (ending at the store's clock, or at --now with --out).
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Seed of every random choice: the same arguments give the same reads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Bytes of synthetic image per read (0 for none).
    #[arg(long, default_value_t = 0)]
    image_bytes: usize,
    /// Write JSON Lines here instead of ingesting (needs no store or key).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// What a simulation run stored.
pub(crate) struct SimTotals {
    pub accepted: u64,
    pub rejected: u64,
    pub alerts: u64,
    pub seconds: f64,
}

pub(crate) fn run(global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    if args.reads == 0 || args.days == 0 {
        return Err(CliError::usage("--reads and --days must be at least 1"));
    }
    if let Some(path) = &args.out {
        let end = global.now.unwrap_or_else(Timestamp::now_system);
        let sim = Simulation::new(config(&args, end));
        let written = write_jsonl(&sim, path)?;
        out.result(
            &serde_json::json!({ "written": written, "out": path.display().to_string(), "end": end.to_rfc3339() }),
            &format!("wrote {written} reads to {}", path.display()),
        );
        return Ok(Exit::Ok);
    }
    super::common::disable_core_dumps();
    let vault = global.open_vault()?;
    let end = vault.now();
    let sim = Simulation::new(config(&args, end));
    let totals = ingest_simulation(&vault, &sim, std::io::stderr().is_terminal())?;
    out.result(
        &serde_json::json!({
            "accepted": totals.accepted,
            "rejected": totals.rejected,
            "alerts": totals.alerts,
            "reads_per_s": (totals.accepted as f64 / totals.seconds.max(1e-9)).round(),
            "from": sim.config().start().to_rfc3339(),
            "to": end.to_rfc3339(),
        }),
        &format!(
            "simulated {} reads of {} cameras over {} day(s) ending {end}: {} stored, {} refused ({:.0} reads/s)",
            args.reads,
            sim.config().cameras,
            args.days,
            totals.accepted,
            totals.rejected,
            totals.accepted as f64 / totals.seconds.max(1e-9)
        ),
    );
    Ok(Exit::Ok)
}

fn config(args: &Args, end: Timestamp) -> SimConfig {
    SimConfig::new(args.reads, args.days, end, args.seed).image_bytes(args.image_bytes)
}

/// Ingests a simulation in batches, with a progress bar on a terminal.
pub(crate) fn ingest_simulation(
    vault: &Vault,
    sim: &Simulation,
    progress: bool,
) -> Result<SimTotals, CliError> {
    let pb = progress.then(|| {
        let pb = indicatif::ProgressBar::new(sim.config().reads);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} reads ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let started = Instant::now();
    let mut totals = SimTotals {
        accepted: 0,
        rejected: 0,
        alerts: 0,
        seconds: 0.0,
    };
    let mut batch: Vec<NewRead> = Vec::with_capacity(BATCH);
    let flush = |batch: &mut Vec<NewRead>, totals: &mut SimTotals| -> Result<(), CliError> {
        if batch.is_empty() {
            return Ok(());
        }
        let n = batch.len() as u64;
        let report = vault.ingest(std::mem::take(batch))?;
        totals.accepted += report.stored.len() as u64;
        totals.rejected += report.rejected.len() as u64;
        totals.alerts += report.alerts.len() as u64;
        if let Some(pb) = &pb {
            pb.inc(n);
        }
        Ok(())
    };
    for read in sim.reads() {
        batch.push(read);
        if batch.len() >= BATCH {
            flush(&mut batch, &mut totals)?;
        }
    }
    flush(&mut batch, &mut totals)?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    totals.seconds = started.elapsed().as_secs_f64();
    Ok(totals)
}

fn write_jsonl(sim: &Simulation, path: &std::path::Path) -> Result<u64, CliError> {
    // Owner-only (0600): the file holds plates in clear.
    let file = platevault::files::create_private_file(path)
        .map_err(|e| CliError::usage(format!("cannot create {}: {e}", path.display())))?;
    let mut w = std::io::BufWriter::new(file);
    let mut n = 0u64;
    let b64 = base64::engine::general_purpose::STANDARD;
    for r in sim.reads() {
        let line = serde_json::json!({
            "plate": r.plate,
            "region": r.region,
            "captured_at": r.captured_at.map(|t| t.to_rfc3339()),
            "camera": r.camera,
            "lat": r.lat,
            "lon": r.lon,
            "confidence": r.confidence.and_then(|c| c.to_string().parse::<f64>().ok()),
            "image_b64": r.image.as_ref().map(|i| b64.encode(i)),
        });
        let mut obj = line;
        if let Some(map) = obj.as_object_mut() {
            map.retain(|_, v| !v.is_null());
        }
        writeln!(w, "{obj}")
            .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))?;
        n += 1;
    }
    w.flush()
        .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(n)
}
