//! `platevault init`: create a store.

use std::path::PathBuf;

use platevault::{Policy, Vault, VaultOptions};

use super::{CliError, Exit, Global, Output};

/// Arguments of `init`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A policy file (TOML); without it the built-in default policy (`policy show`) is used.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

pub(crate) fn run(global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    let dir = global.store_dir()?;
    let key = global.master_key()?;
    let policy = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!("cannot read policy file {}: {e}", path.display()))
            })?;
            Policy::from_toml(&text)
                .map_err(|e| CliError::usage(format!("policy file {}: {e}", path.display())))?
        }
        None => Policy::default_policy(),
    };
    let mut options = VaultOptions::new();
    if let Some(now) = global.now {
        options = options.simulated_clock(now);
    }
    let vault = Vault::create(&dir, &key, &policy, &options)?;
    let info = vault.info()?;
    out.result(
        &serde_json::json!({
            "store": dir.display().to_string(),
            "store_id": info.store_id,
            "simulated": vault.is_simulated(),
            "now": vault.now().to_rfc3339(),
            "agency": policy.agency(),
            "policy_version": policy.version(),
            "policy_hash": hex::encode(policy.hash()),
            "epoch_width": policy.epoch_width().to_string(),
            "retention": policy.retention().to_string(),
            "public_key": info.public_key,
        }),
        &format!(
            "created store {} for {} ({} clock; retention {}, epochs of {})\ncheckpoint public key: {}\npublish this key where reviewers can find it: it verifies the audit log's checkpoints.",
            dir.display(),
            policy.agency(),
            if vault.is_simulated() { "simulated" } else { "system" },
            policy.retention(),
            policy.epoch_width(),
            info.public_key,
        ),
    );
    Ok(Exit::Ok)
}
