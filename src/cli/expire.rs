//! `platevault expire`: run expiry now (it also runs by itself on open and during ingest).

use super::{CliError, Exit, Global, Output};

/// Arguments of `expire`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(global: &Global, out: &Output, _args: Args) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    let vault = global.open_vault()?;
    // Opening (and moving the clock with --now) may already have run expiry: run it once
    // more explicitly and report everything this process expired.
    vault.expire()?;
    let report = vault.take_expiry_log();
    let mut text = if report.expired_epochs.is_empty() {
        format!("nothing to expire at {}", vault.now())
    } else {
        format!(
            "expired {} epoch(s), {} read(s) destroyed: {}",
            report.expired_epochs.len(),
            report.reads_removed,
            report.expired_epochs.join(", ")
        )
    };
    if !report.holds_released.is_empty() {
        text.push_str(&format!(
            "\nholds past their end date released: {}",
            report.holds_released.join(", ")
        ));
    }
    out.result(
        &serde_json::json!({
            "expired_epochs": report.expired_epochs,
            "reads_removed": report.reads_removed,
            "holds_released": report.holds_released,
            "hotlist_expired": report.hotlist_expired,
            "payload_months_shredded": report.payload_months_shredded,
            "certificates": report.certificates,
            "now": vault.now().to_rfc3339(),
        }),
        &text,
    );
    Ok(Exit::Ok)
}
