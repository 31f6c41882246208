//! `platevault keygen`: a new master key.

use std::path::PathBuf;

use platevault::MasterKey;

use super::{CliError, Exit, Global, Output};

/// Arguments of `keygen`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Write the key to this new file (mode 0600) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn run(_global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    let key = MasterKey::generate().map_err(|e| CliError::internal(e.to_string()))?;
    match args.out {
        Some(path) => {
            key.write_new_file(&path)
                .map_err(|e| CliError::usage(e.to_string()))?;
            out.result(
                &serde_json::json!({ "path": path.display().to_string() }),
                &format!(
                    "wrote a new master key to {} (mode 0600); keep it off the store's disk and its backups",
                    path.display()
                ),
            );
        }
        None => {
            let hex = key.to_hex();
            out.result(&serde_json::json!({ "key": hex.as_str() }), &hex);
        }
    }
    Ok(Exit::Ok)
}
