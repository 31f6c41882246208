//! `platevault ingest`: JSON Lines in, sealed reads stored, a report of every refused line.
//!
//! The input is streamed: lines are parsed and stored in batches (1,000 reads or 32 MiB of
//! images, whichever comes first), so memory stays flat whatever the file's size. A line that
//! does not parse, or a read the store refuses, is reported with its line number (from 1) and
//! reason; the good lines are stored. Only a failure to read the input itself is exit 2.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use platevault::{NewRead, Vault};

use super::{CliError, Exit, Global, Output};

const BATCH_READS: usize = 1_000;
const BATCH_IMAGE_BYTES: usize = 32 << 20;

/// Arguments of `ingest`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The JSON Lines file, or - for standard input.
    #[arg(value_name = "FILE")]
    input: PathBuf,
}

/// A refused line.
pub(crate) struct LineRejection {
    pub line: u64,
    pub reason: String,
}

/// Running totals of an ingest.
#[derive(Default)]
pub(crate) struct Totals {
    pub accepted: u64,
    pub rejected: Vec<LineRejection>,
}

pub(crate) fn run(global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    let vault = global.open_vault()?;
    let (reader, total_bytes, base): (Box<dyn Read>, Option<u64>, PathBuf) =
        if args.input.as_os_str() == "-" {
            (Box::new(std::io::stdin()), None, PathBuf::from("."))
        } else {
            let f = std::fs::File::open(&args.input).map_err(|e| {
                CliError::usage(format!("cannot open {}: {e}", args.input.display()))
            })?;
            let len = f.metadata().ok().map(|m| m.len());
            let base = args
                .input
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            (Box::new(f), len, base)
        };
    let progress = progress_bar(total_bytes);
    let started = Instant::now();
    let totals = ingest_stream(&vault, BufReader::new(reader), &base, |bytes, accepted| {
        if let Some(pb) = &progress {
            pb.set_position(bytes);
            pb.set_message(format!("{accepted} reads"));
        }
    })?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let secs = started.elapsed().as_secs_f64();
    let rejected: Vec<serde_json::Value> = totals
        .rejected
        .iter()
        .map(|r| serde_json::json!({ "line": r.line, "reason": r.reason }))
        .collect();
    let mut text = format!(
        "accepted {} reads, rejected {} lines ({:.0} reads/s)",
        totals.accepted,
        totals.rejected.len(),
        totals.accepted as f64 / secs.max(1e-9)
    );
    for r in totals.rejected.iter().take(20) {
        text.push_str(&format!("\n  line {}: {}", r.line, r.reason));
    }
    if totals.rejected.len() > 20 {
        text.push_str(&format!(
            "\n  ... and {} more (use --json for all)",
            totals.rejected.len() - 20
        ));
    }
    out.result(
        &serde_json::json!({ "accepted": totals.accepted, "rejected": rejected }),
        &text,
    );
    Ok(Exit::Ok)
}

/// Reads JSON Lines from `input` and stores them in batches; `progress(bytes, accepted)` is
/// called after each batch.
pub(crate) fn ingest_stream(
    vault: &Vault,
    mut input: impl BufRead,
    base: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<Totals, CliError> {
    let mut totals = Totals::default();
    let mut batch: Vec<NewRead> = Vec::with_capacity(BATCH_READS);
    let mut batch_lines: Vec<u64> = Vec::with_capacity(BATCH_READS);
    let mut batch_image_bytes = 0usize;
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    let mut bytes = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| CliError::usage(format!("cannot read the input: {e}")))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        line_no += 1;
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim(),
            Err(_) => {
                totals.rejected.push(LineRejection {
                    line: line_no,
                    reason: "the line is not UTF-8".into(),
                });
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        match platevault::model::jsonl::parse_line(text, base) {
            Ok(read) => {
                batch_image_bytes += read.image.as_ref().map_or(0, Vec::len);
                batch.push(read);
                batch_lines.push(line_no);
            }
            Err(reason) => totals.rejected.push(LineRejection {
                line: line_no,
                reason,
            }),
        }
        if batch.len() >= BATCH_READS || batch_image_bytes >= BATCH_IMAGE_BYTES {
            flush(vault, &mut batch, &mut batch_lines, &mut totals)?;
            batch_image_bytes = 0;
            progress(bytes, totals.accepted);
        }
    }
    flush(vault, &mut batch, &mut batch_lines, &mut totals)?;
    progress(bytes, totals.accepted);
    totals.rejected.sort_by_key(|r| r.line);
    Ok(totals)
}

fn flush(
    vault: &Vault,
    batch: &mut Vec<NewRead>,
    lines: &mut Vec<u64>,
    totals: &mut Totals,
) -> Result<(), CliError> {
    if batch.is_empty() {
        return Ok(());
    }
    let report = vault.ingest(std::mem::take(batch))?;
    totals.accepted += report.stored.len() as u64;
    for r in report.rejected {
        totals.rejected.push(LineRejection {
            line: lines[r.index],
            reason: r.reason.to_string(),
        });
    }
    lines.clear();
    Ok(())
}

fn progress_bar(total: Option<u64>) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = match total {
        Some(len) => indicatif::ProgressBar::new(len),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    Some(pb)
}
