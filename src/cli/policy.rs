//! `platevault policy show|apply`: the store's policy as TOML, and replacing it (audited).

use std::path::PathBuf;

use platevault::Policy;
use platevault::review::Review;

use super::{CliError, Exit, Global, Output};

/// `policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Print the store's policy as TOML (the built-in default when no store is given).
    #[command(
        after_help = "Examples:\n  platevault policy show            # the built-in default\n  platevault --store ./pv policy show"
    )]
    Show,
    /// Replace the store's policy with a TOML file (audited with both versions' hashes).
    #[command(
        after_help = "Example:\n  platevault --store ./pv --master-key-file master.key policy apply city.toml"
    )]
    Apply(ApplyArgs),
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
