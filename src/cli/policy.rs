//! `platevault policy show|apply|history`: the store's policy as TOML, replacing it (audited),
//! and every version it has had, read from the audit log.

use std::path::PathBuf;

use platevault::Policy;
use platevault::audit::policy_history;
use platevault::verify::Review;

use super::{CliError, Exit, Global, Output};

/// `policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Print the store's policy as TOML (the built-in default when no store is given).
    #[command(
        after_help = "Examples:\n  platevault policy show            # the built-in default\n  platevault --store ./pv policy show"
    )]
    Show,
    /// Replace the store's policy with a TOML file (audited with both versions' hashes and
    /// the new version's text).
    #[command(
        after_help = "Example:\n  platevault --store ./pv --master-key-file master.key policy apply city.toml"
    )]
    Apply(ApplyArgs),
    /// Every policy the store has had, from the audit log: each version's entry, hash and
    /// what it changed (the lines removed and added), or its whole text with --full.
    #[command(
        after_help = "Examples:\n  platevault --store ./pv policy history\n  platevault --store ./pv policy history --full --json\n\nNeeds no master key. Versions recorded before policy texts were kept show their hashes only."
    )]
    History(HistoryArgs),
}

/// Arguments of `policy history`.
#[derive(Debug, clap::Args)]
pub(crate) struct HistoryArgs {
    /// Print each version's whole text instead of what it changed.
    #[arg(long)]
    full: bool,
}

/// Arguments of `policy apply`.
#[derive(Debug, clap::Args)]
pub(crate) struct ApplyArgs {
    /// The new policy (TOML).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

pub(crate) fn run(global: &Global, out: &Output, cmd: Command) -> Result<Exit, CliError> {
    match cmd {
        Command::Show => {
            if global.now.is_some() {
                return Err(CliError::usage(
                    "--now does not apply: policy show only reads the store",
                ));
            }
            let policy = match &global.store {
                Some(dir) => Review::open(dir)?.policy()?,
                None => Policy::default_policy(),
            };
            let toml = policy.to_toml();
            out.result(
                &serde_json::json!({
                    "toml": toml,
                    "version": policy.version(),
                    "hash": hex::encode(policy.hash()),
                    "agency": policy.agency(),
                    "retention": policy.retention().to_string(),
                    "epoch": policy.epoch_width().to_string(),
                }),
                toml.trim_end(),
            );
            Ok(Exit::Ok)
        }
        Command::History(a) => history(global, out, &a),
        Command::Apply(a) => {
            super::common::disable_core_dumps();
            let text = std::fs::read_to_string(&a.file).map_err(|e| {
                CliError::usage(format!("cannot read policy file {}: {e}", a.file.display()))
            })?;
            let policy = Policy::from_toml(&text)
                .map_err(|e| CliError::usage(format!("policy file {}: {e}", a.file.display())))?;
            let vault = global.open_vault()?;
            let change = vault.apply_policy(&policy)?;
            out.result(
                &serde_json::json!({
                    "old_hash": change.old_hash,
                    "new_hash": change.new_hash,
                    "old_version": change.old_version,
                    "new_version": change.new_version,
                    "audit_seq": change.audit_seq,
                }),
                &format!(
                    "policy version {} replaced version {} (audit entry {})",
                    change.new_version, change.old_version, change.audit_seq
                ),
            );
            Ok(Exit::Ok)
        }
    }
}

/// `policy history`: the versions the audit log records, oldest first.
fn history(global: &Global, out: &Output, args: &HistoryArgs) -> Result<Exit, CliError> {
    if global.now.is_some() {
        return Err(CliError::usage(
            "--now does not apply: policy history only reads the store",
        ));
    }
    let Some(dir) = &global.store else {
        return Err(CliError::usage(
            "policy history needs a store: give --store DIR (or PLATEVAULT_STORE)",
        ));
    };
    let review = Review::open(dir)?;
    let versions = policy_history::history(&review.entries()?);
    let mut json = Vec::with_capacity(versions.len());
    let mut text = format!("{} policy version(s) in the audit log", versions.len());
    let mut previous: Option<&str> = None;
    for v in &versions {
        let changes = match (previous, v.text.as_deref()) {
            (Some(old), Some(new)) => Some(
                policy_history::diff_lines(old, new)
                    .into_iter()
                    .filter(|l| !l.starts_with(' '))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        };
        let hash = v.hash.as_deref().unwrap_or("unknown");
        text.push_str(&format!(
            "\n\nentry {} at {}: {} (policy version {}, hash {})",
            v.seq,
            v.time,
            v.kind.as_str(),
            v.version.map_or_else(|| "?".to_string(), |n| n.to_string()),
            &hash[..hash.len().min(16)]
        ));
        match (&v.text, &changes) {
            (None, _) => text.push_str("\n  (recorded before policy texts were kept: hash only)"),
            (Some(t), _) if args.full || previous.is_none() => {
                for line in t.lines() {
                    text.push_str(&format!("\n  {line}"));
                }
            }
            (Some(_), Some(c)) if c.is_empty() => text.push_str("\n  (no change to the text)"),
            (Some(_), Some(c)) => {
                for line in c {
                    text.push_str(&format!("\n  {line}"));
                }
            }
            (Some(_), None) => text.push_str(
                "\n  (the version before has no recorded text: run with --full to see this one)",
            ),
        }
        json.push(serde_json::json!({
            "seq": v.seq,
            "time": v.time.to_rfc3339(),
            "kind": v.kind.as_str(),
            "version": v.version,
            "hash": v.hash,
            "replaced": v.replaced,
            "text": v.text,
            "removed": changes.as_ref().map(|c| lines_with(c, '-')),
            "added": changes.as_ref().map(|c| lines_with(c, '+')),
        }));
        previous = v.text.as_deref();
    }
    out.result(&serde_json::json!({ "versions": json }), &text);
    Ok(Exit::Ok)
}

/// The diff lines that start with `mark`, without it.
fn lines_with(diff: &[String], mark: char) -> Vec<&str> {
    diff.iter().filter_map(|l| l.strip_prefix(mark)).collect()
}
