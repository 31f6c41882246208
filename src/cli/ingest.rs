//! `platevault ingest`: JSON Lines in, sealed reads stored, a report of every refused line.
//!
//! The input is streamed: lines are parsed and stored in batches (1,000 reads or 32 MiB of
//! images, whichever comes first), so memory stays flat whatever the file's size. A line that
//! does not parse, or a read the store refuses, is reported with its line number (from 1) and
//! reason; the good lines are stored. Only a failure to read the input itself is exit 2.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use base64::Engine;
use platevault::{NewRead, Timestamp, Vault};
use serde::Deserialize;

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

/// One input line. Unknown fields are refused so that a misspelt field is not silently lost.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    plate: String,
    region: String,
    captured_at: String,
    camera: String,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    image_b64: Option<String>,
    #[serde(default)]
    image_path: Option<String>,
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
        match parse_line(text, base) {
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

fn parse_line(text: &str, base: &Path) -> Result<NewRead, String> {
    let line: Line = serde_json::from_str(text).map_err(|e| json_reason(&e))?;
    let captured_at =
        Timestamp::parse_rfc3339(&line.captured_at).map_err(|e| format!("captured_at: {e}"))?;
    let image = match (line.image_b64, line.image_path) {
        (Some(_), Some(_)) => return Err("give image_b64 or image_path, not both".into()),
        (Some(b64), None) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| format!("image_b64: not valid base64 ({e})"))?,
        ),
        (None, Some(path)) => {
            let p = base.join(&path);
            Some(std::fs::read(&p).map_err(|e| format!("image_path: cannot read {path}: {e}"))?)
        }
        (None, None) => None,
    };
    Ok(NewRead {
        plate: line.plate,
        region: line.region,
        captured_at: Some(captured_at),
        camera: line.camera,
        lat: line.lat,
        lon: line.lon,
        confidence: line.confidence,
        image,
    })
}

/// A serde_json message without its "at line 1 column N" suffix (each line is one document).
/// serde_json quotes an offending string value in "invalid type" messages; those values can
/// be plates, so such messages are replaced by the field-free category.
fn json_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    if msg.starts_with("invalid type: string") {
        return "a field has the wrong type (a string where a number was expected)".into();
    }
    if e.is_syntax() || e.is_eof() {
        return format!("not a JSON object: {msg}");
    }
    msg
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
