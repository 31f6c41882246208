//! `platevault rotate-master-key`: re-wrap every live key under a new master key.

use std::path::PathBuf;

use platevault::MasterKey;

use super::{CliError, Exit, Global, Output};

/// Arguments of `rotate-master-key`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The new master key (a file made by `platevault keygen --out`).
    #[arg(long, value_name = "FILE")]
    new_key_file: PathBuf,
}

pub(crate) fn run(global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    let new_key =
        MasterKey::from_file(&args.new_key_file).map_err(|e| CliError::usage(e.to_string()))?;
    let vault = global.open_vault()?;
    let report = vault.rotate_master_key(&new_key)?;
    out.result(
        &serde_json::json!({
            "generation": report.generation,
            "keys_rewrapped": report.keys_rewrapped,
        }),
        &format!(
            "rotated to key generation {}: {} wrapped key(s) now under the new master key.\nOnly {} opens the store now; destroy the old key so that stale copies of wrapped keys (old disk blocks, backups) are useless.",
            report.generation,
            report.keys_rewrapped,
            args.new_key_file.display()
        ),
    );
    Ok(Exit::Ok)
}
