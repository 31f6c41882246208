//! `platevault verify-deletion`: scan every raw file of the store for traces of plaintext or
//! of anything the store destroyed (expired epochs, released holds, removed hotlist entries,
//! shredded audit months, rotated-out wrappings). Read-only; needs no master key. Symbolic
//! links under the store are followed and listed.

use std::path::PathBuf;

use platevault::verify::Review;

use super::{CliError, Exit, Global, Output};

/// Arguments of `verify-deletion`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A file of plates (one per line) to look for in plaintext in every file.
    #[arg(long, value_name = "FILE")]
    plates: Option<PathBuf>,
}

pub(crate) fn run(global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    if global.now.is_some() {
        return Err(CliError::usage(
            "--now does not apply: verify-deletion only reads the store",
        ));
    }
    let plates: Vec<String> = match &args.plates {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", p.display())))?
            .lines()
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    let review = Review::open(&global.store_dir()?)?;
    let report = review.verify_deletion(&plates)?;
    let mut text = if report.clean {
        format!(
            "clean: {} file(s), {} byte(s) scanned; {} expired epoch(s) checked against {} digest(s); {} plate(s) searched",
            report.files, report.bytes, report.expired_epochs, report.digests, report.plates
        )
    } else {
        format!("DELETION TRACES FOUND ({}):", report.findings.len())
    };
    for f in report.findings.iter().take(50) {
        text.push_str(&format!("\n  {} @ {}: {}", f.file, f.offset, f.kind));
    }
    // Symbolic links are followed (their targets scanned), and said so.
    for link in &report.symlinks {
        let target = link
            .target
            .as_ref()
            .map_or_else(|| "nowhere".to_string(), |t| t.display().to_string());
        let what = match (&link.note, link.followed) {
            (_, true) => "followed".to_string(),
            (Some(note), false) => format!("not followed: {note}"),
            (None, false) => "not followed".to_string(),
        };
        text.push_str(&format!(
            "\nsymlink: {} -> {target} ({what})",
            link.path.display()
        ));
    }
    if !report.clock.verified {
        text.push_str(&format!(
            "\nnote: the header's clock mode ({}) is not bound to the audit log yet (a store made before that; a read-write open binds it): overdue epochs were judged by the system clock",
            report.clock.mode
        ));
    }
    if report.plates_skipped > 0 {
        text.push_str(&format!(
            "\nnote: {} plate(s) shorter than 5 characters (or invalid) were not searched: random bytes would match them",
            report.plates_skipped
        ));
    }
    out.result(
        &serde_json::to_value(&report).unwrap_or(serde_json::Value::Null),
        &text,
    );
    Ok(if report.clean {
        Exit::Ok
    } else {
        Exit::DeletionTrace
    })
}
