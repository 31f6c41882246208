//! `platevault audit ...`: verify the log, publish checkpoints, prove entries, report, and
//! the reviewers' two views (`searched`, `justifications`). All but those two open the store
//! read-only and need no master key.

use std::path::PathBuf;

use platevault::audit::checkpoint::verifying_key_from_hex;
use platevault::audit::report::TransparencyReport;
use platevault::verify::Review;
use platevault::verify::audit_log::{InclusionProof, PinnedCheckpoint, check_inclusion};

use super::{CliError, Exit, Global, Output};

/// `audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Recompute the log from its entries; with --checkpoint, prove it only grew since then;
    /// with --proof, check a proof from `audit prove` without any store.
    #[command(
        after_help = "Examples:\n  platevault audit verify --checkpoint published.note --public-key 3b6a...e1 --json\n  platevault audit verify --proof proof.json --public-key 3b6a...e1\n\nExit 4 when verification fails. Needs no master key; runs beside a process holding the store."
    )]
    Verify(VerifyArgs),
    /// Print the log's latest signed checkpoint (publish it off the machine).
    #[command(after_help = "Example:\n  platevault audit checkpoint > $(date +%F).note")]
    Checkpoint,
    /// An inclusion proof of entry N (or a consistency proof from an earlier size).
    #[command(
        after_help = "Examples:\n  platevault audit prove --seq 42 --json > proof.json\n  platevault audit prove --consistency-from 40 --json"
    )]
    Prove(ProveArgs),
    /// The transparency report (Markdown or JSON), from the audit log alone.
    #[command(
        after_help = "Examples:\n  platevault audit report\n  platevault audit report --format json --out report/"
    )]
    Report(ReportArgs),
    /// The reviewer check: which audit entries concern this plate (itself audited).
    #[command(
        after_help = "Example:\n  platevault audit searched --plate 7KQX291 --region CO --reviewer OVERSIGHT-1 --json\n\nExit 3 when the reviewer is not named in the policy or is over the rate limit."
    )]
    Searched(SearchedArgs),
    /// The justification review: what officers wrote as the reason for the searches, holds
    /// and hotlist entries of a period, for the policy's reviewers (itself audited).
    #[command(
        after_help = "Examples:\n  platevault audit justifications --reviewer OVERSIGHT-1 --json\n  platevault audit justifications --reviewer OVERSIGHT-1 --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z\n\nThe period is [from, to): --to defaults to now, --from to a week before --to; at most 31 days.\nExit 3 when the reviewer is not named in the policy, is over the rate limit, or the period is too long."
    )]
    Justifications(JustificationsArgs),
}

/// Arguments of `audit verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// A checkpoint kept from earlier (a signed note printed by `audit checkpoint`).
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// The public key to trust for the checkpoint (hex); without it, the store's own key.
    #[arg(long, value_name = "HEX")]
    public_key: Option<String>,
    /// Check this inclusion proof (the JSON of `audit prove --seq N --json`) against its
    /// checkpoint (or --checkpoint) and --public-key; needs no store.
    #[arg(long, value_name = "FILE", requires = "public_key")]
    proof: Option<PathBuf>,
}

/// Arguments of `audit prove`.
#[derive(Debug, clap::Args)]
pub(crate) struct ProveArgs {
    /// The entry's sequence number (its 0-based leaf index).
    #[arg(
        long,
        required_unless_present = "consistency_from",
        conflicts_with = "consistency_from"
    )]
    seq: Option<u64>,
    /// Prove that the log of this earlier size is a prefix of the current log.
    #[arg(long, value_name = "N")]
    consistency_from: Option<u64>,
}

/// Arguments of `audit report`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// md (default) or json.
    #[arg(long, default_value = "md", value_parser = ["md", "json"])]
    format: String,
    /// Write report.md and report.json into this directory instead of standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Arguments of `audit searched`.
#[derive(Debug, clap::Args)]
pub(crate) struct SearchedArgs {
    /// The plate to look for.
    #[arg(long)]
    plate: String,
    /// Its region.
    #[arg(long)]
    region: String,
    /// The reviewer asking (must be named in the policy's reviewers).
    #[arg(long)]
    reviewer: String,
}

/// Arguments of `audit justifications`.
#[derive(Debug, clap::Args)]
pub(crate) struct JustificationsArgs {
    /// The reviewer asking (must be named in the policy's reviewers).
    #[arg(long)]
    reviewer: String,
    /// Start of the period (RFC 3339, inclusive); defaults to a week before --to.
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_time)]
    from: Option<platevault::Timestamp>,
    /// End of the period (RFC 3339, exclusive); defaults to now.
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_time)]
    to: Option<platevault::Timestamp>,
}

fn open_review(global: &Global) -> Result<Review, CliError> {
    if global.now.is_some() {
        return Err(CliError::usage(
            "--now does not apply: audit commands only read the store",
        ));
    }
    Ok(Review::open(&global.store_dir()?)?)
}

fn read_file(path: &PathBuf) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))
}

/// A checkpoint as saved by hand or by tools (`jq -r` adds a newline): trailing blank lines
/// after the signatures are not part of the signed note.
fn read_note(path: &PathBuf) -> Result<String, CliError> {
    let text = read_file(path)?;
    Ok(format!("{}\n", text.trim_end_matches(['\n', '\r', ' '])))
}

pub(crate) fn run(global: &Global, out: &Output, cmd: Command) -> Result<Exit, CliError> {
    match cmd {
        Command::Verify(a) if a.proof.is_some() => check_proof(out, a),
        Command::Verify(a) => {
            let review = open_review(global)?;
            let note = a.checkpoint.as_ref().map(read_note).transpose()?;
            let key = a
                .public_key
                .as_deref()
                .map(verifying_key_from_hex)
                .transpose()
                .map_err(|e| CliError::usage(e.to_string()))?;
            let pinned = note.as_deref().map(|n| PinnedCheckpoint {
                note: n,
                public_key: key,
            });
            let report = review.verify(pinned)?;
            let text = if report.ok {
                format!(
                    "ok: {} entries, root {}{}",
                    report.size,
                    report.root,
                    report
                        .checkpoint_size
                        .map(|s| format!("; consistent with the checkpoint of size {s}"))
                        .unwrap_or_default()
                )
            } else {
                format!(
                    "AUDIT VERIFICATION FAILED: {}",
                    report.problem.as_deref().unwrap_or("")
                )
            };
            out.result(&to_json(&report), &text);
            Ok(if report.ok {
                Exit::Ok
            } else {
                Exit::AuditFailed
            })
        }
        Command::Checkpoint => {
            let review = open_review(global)?;
            let cp = review.checkpoint()?;
            out.result(
                &serde_json::json!({
                    "size": cp.size,
                    "root": cp.root,
                    "signature": cp.signature,
                    "public_key": cp.public_key,
                    "key_name": cp.key_name,
                    "note": cp.note,
                }),
                cp.note.trim_end(),
            );
            Ok(Exit::Ok)
        }
        Command::Prove(a) => {
            let review = open_review(global)?;
            if let Some(size1) = a.consistency_from {
                let p = review.prove_consistency(size1).map_err(prove_error)?;
                let text = format!(
                    "consistency {} -> {}\nroot1 {}\nroot2 {}\nproof:\n  {}",
                    p.size1,
                    p.size2,
                    p.root1,
                    p.root2,
                    p.proof.join("\n  ")
                );
                out.result(&to_json(&p), &text);
            } else {
                let seq = a.seq.unwrap_or(0);
                let p = review.prove(seq).map_err(prove_error)?;
                let text = format!(
                    "entry {} of {}\nentry {}\nleaf {}\nroot {}\nproof:\n  {}",
                    p.seq,
                    p.tree_size,
                    String::from_utf8_lossy(&hex::decode(&p.entry).unwrap_or_default()),
                    p.leaf_hash,
                    p.root,
                    p.proof.join("\n  ")
                );
                out.result(&to_json(&p), &text);
            }
            Ok(Exit::Ok)
        }
        Command::Report(a) => {
            let review = open_review(global)?;
            let policy = review.policy()?;
            let entries = review.entries()?;
            let report = TransparencyReport::build(policy.agency(), entries.iter());
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::internal(e.to_string()))?;
            let md = report.to_markdown();
            let json_wanted = a.format == "json" || out.is_json();
            match &a.out {
                Some(dir) => {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        CliError::internal(format!("cannot create {}: {e}", dir.display()))
                    })?;
                    for (name, body) in [("report.md", &md), ("report.json", &json)] {
                        let p = dir.join(name);
                        std::fs::write(&p, body).map_err(|e| {
                            CliError::internal(format!("cannot write {}: {e}", p.display()))
                        })?;
                    }
                    out.result(
                        &serde_json::json!({
                            "markdown": dir.join("report.md").display().to_string(),
                            "json": dir.join("report.json").display().to_string(),
                            "log_size": report.log_size,
                        }),
                        &format!(
                            "wrote {} and {}",
                            dir.join("report.md").display(),
                            dir.join("report.json").display()
                        ),
                    );
                }
                None if json_wanted => super::common::print_json(&to_json(&report)),
                None => print!("{md}"),
            }
            Ok(Exit::Ok)
        }
        Command::Searched(a) => {
            super::common::disable_core_dumps();
            let vault = global.open_vault()?;
            let outcome = vault.reviewer_check(&a.plate, &a.region, &a.reviewer)?;
            let entries: Vec<serde_json::Value> = outcome
                .entries
                .iter()
                .map(|e| serde_json::to_value(e).unwrap_or_default())
                .collect();
            let mut text = match &outcome.denial {
                Some(d) => format!("DENIED ({}): {}", d.0, d.1),
                None => format!(
                    "{} audit entr{} concern this plate (reviewer check recorded as entry {})",
                    entries.len(),
                    if entries.len() == 1 { "y" } else { "ies" },
                    outcome.audit_seq
                ),
            };
            for e in &outcome.entries {
                text.push_str(&format!(
                    "\n  #{} {} {} by {} of {} case {} offense {} purpose {}: {}",
                    e.seq,
                    e.time,
                    e.kind.as_str(),
                    e.requester.as_deref().unwrap_or("-"),
                    e.agency.as_deref().unwrap_or("-"),
                    e.case.as_deref().unwrap_or("-"),
                    e.offense.as_deref().unwrap_or("-"),
                    e.purpose.as_deref().unwrap_or("-"),
                    e.reason.as_deref().unwrap_or("-"),
                ));
            }
            out.result(
                &serde_json::json!({
                    "decision": if outcome.denial.is_none() { "allowed" } else { "denied" },
                    "reason": outcome.denial.as_ref().map_or("allowed", |d| d.0),
                    "audit_seq": outcome.audit_seq,
                    "entries": entries,
                }),
                &text,
            );
            Ok(if outcome.denial.is_none() {
                Exit::Ok
            } else {
                Exit::Denied
            })
        }
        Command::Justifications(a) => justifications(global, out, a),
    }
}

/// `audit justifications`: the reviewers' reading of the period's justifications.
fn justifications(global: &Global, out: &Output, a: JustificationsArgs) -> Result<Exit, CliError> {
    if let (Some(f), Some(t)) = (a.from, a.to)
        && f > t
    {
        return Err(CliError::usage(format!(
            "--from ({f}) is after --to ({t}): the period is [from, to)"
        )));
    }
    super::common::disable_core_dumps();
    let vault = global.open_vault()?;
    let review = vault.review_justifications(&a.reviewer, a.from, a.to)?;
    let entries: Vec<serde_json::Value> = review.entries.iter().map(to_json).collect();
    let mut text = match &review.denial {
        Some(d) => format!("DENIED ({}): {}", d.0, d.1),
        None => format!(
            "{} justification{} from {} to {} (review recorded as entry {})",
            entries.len(),
            if entries.len() == 1 { "" } else { "s" },
            review.from,
            review.to,
            review.audit_seq
        ),
    };
    for e in &review.entries {
        let said = match (&e.justification, e.shredded, e.withheld) {
            (Some(j), _, _) => format!("{j:?}"),
            (None, true, _) => "(shredded: past the audit log's retention for free text)".into(),
            _ => "(withheld: it spelled the plate)".into(),
        };
        text.push_str(&format!(
            "\n  #{} {} {} by {} of {} case {} offense {} purpose {}: {}\n    {}",
            e.seq,
            e.time,
            e.kind.as_str(),
            e.requester.as_deref().unwrap_or("-"),
            e.agency.as_deref().unwrap_or("-"),
            e.case.as_deref().unwrap_or("-"),
            e.offense.as_deref().unwrap_or("-"),
            e.purpose.as_deref().unwrap_or("-"),
            e.reason.as_deref().unwrap_or("-"),
            said,
        ));
    }
    out.result(
        &serde_json::json!({
            "decision": if review.denial.is_none() { "allowed" } else { "denied" },
            "reason": review.denial.as_ref().map_or("allowed", |d| d.0),
            "detail": review.denial.as_ref().map(|d| d.1.clone()),
            "audit_seq": review.audit_seq,
            "from": review.from,
            "to": review.to,
            "entries": entries,
        }),
        &text,
    );
    Ok(if review.denial.is_none() {
        Exit::Ok
    } else {
        Exit::Denied
    })
}

/// `audit verify --proof`: the reviewer's side, with no store.
fn check_proof(out: &Output, a: VerifyArgs) -> Result<Exit, CliError> {
    let path = a.proof.unwrap_or_default();
    let proof: InclusionProof = serde_json::from_str(&read_file(&path)?)
        .map_err(|e| CliError::usage(format!("{} is not a proof: {e}", path.display())))?;
    let note = match &a.checkpoint {
        Some(p) => read_note(p)?,
        None => proof.checkpoint.clone().ok_or_else(|| {
            CliError::usage("the proof carries no checkpoint: give --checkpoint FILE")
        })?,
    };
    let key = verifying_key_from_hex(a.public_key.as_deref().unwrap_or_default())
        .map_err(|e| CliError::usage(e.to_string()))?;
    // The signer's key name is the checkpoint's origin (its first line).
    let key_name = note.lines().next().unwrap_or_default().to_string();
    match check_inclusion(&proof, &note, &key_name, &key) {
        Ok(entry) => {
            out.result(
                &serde_json::json!({
                    "ok": true,
                    "seq": proof.seq,
                    "size": proof.tree_size,
                    "root": proof.root,
                    "kind": entry.kind.as_str(),
                }),
                &format!(
                    "ok: entry {} ({}) is in the log of {} entries signed by that key",
                    proof.seq,
                    entry.kind.as_str(),
                    proof.tree_size
                ),
            );
            Ok(Exit::Ok)
        }
        Err(e) => {
            out.result(
                &serde_json::json!({
                    "ok": false,
                    "size": proof.tree_size,
                    "root": proof.root,
                    "problem": e.to_string(),
                }),
                &format!("AUDIT VERIFICATION FAILED: {e}"),
            );
            Ok(Exit::AuditFailed)
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// A proof that cannot be made (no such entry, a log too damaged to prove from) fails the
/// audit check: exit 4 (the number itself parsed, so it is not a usage error).
fn prove_error(e: platevault::Error) -> CliError {
    match e {
        platevault::Error::InvalidArgument(m) => CliError {
            exit: Exit::AuditFailed,
            message: m,
        },
        platevault::Error::Damaged(m) => CliError {
            exit: Exit::AuditFailed,
            message: format!("the audit log cannot be proven from: {m}"),
        },
        other => other.into(),
    }
}
