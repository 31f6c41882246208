//! `platevault hold add|release|list`: legal holds.

use platevault::{HoldInfo, RemovalRequest, Timestamp};

use super::search::{CaseArgs, decision_json};
use super::{CliError, Exit, Global, Output};

/// `hold` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Run a search (audited) and hold its results for the case until --until.
    #[command(
        after_help = "Example:\n  platevault hold add --plate 7KQX291 --region CO --case 2026-001234 --offense ROBBERY \\\n    --purpose investigation --requester DET-7 --agency CITY-PD --until 2027-06-01T00:00:00Z"
    )]
    Add(AddArgs),
    /// Release your agency's hold on a case: its key is shredded and its copies removed.
    /// Only the agency that placed the hold may; the decision is audited first.
    #[command(
        after_help = "Example:\n  platevault hold release --case 2026-001234 --requester SGT-2 --agency CITY-PD\n\nExit 3 when the policy denies it (for example not_owner: another agency's hold); the denial is audited and nothing is destroyed."
    )]
    Release(ReleaseArgs),
    /// List the holds in force.
    #[command(
        after_help = "Example:\n  platevault --store ./pv --master-key-file master.key hold list --json"
    )]
    List,
}

/// Arguments of `hold add`.
#[derive(Debug, clap::Args)]
pub(crate) struct AddArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// When the hold ends (RFC 3339; at most the policy's hold_max_days ahead, renewable).
    #[arg(long, value_parser = super::parse_time)]
    until: Timestamp,
}

/// Arguments of `hold release`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReleaseArgs {
    /// The case whose hold ends.
    #[arg(long)]
    case: String,
    /// Who releases it (recorded in the audit log).
    #[arg(long)]
    requester: String,
    /// Their agency: it must be the agency that placed the hold.
    #[arg(long)]
    agency: String,
}

pub(crate) fn run(global: &Global, out: &Output, cmd: Command) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    match cmd {
        Command::Add(a) => {
            let req = a.case.request()?;
            let vault = global.open_vault()?;
            let outcome = vault.hold(&req, a.until)?;
            let mut v = decision_json(&outcome.decision, outcome.audit_seq);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("placed".into(), serde_json::json!(outcome.placed));
                obj.insert(
                    "hold".into(),
                    outcome
                        .hold
                        .as_ref()
                        .map_or(serde_json::Value::Null, hold_json),
                );
            }
            let text = match &outcome.hold {
                Some(h) => format!(
                    "hold on case {}: {} read(s) newly held, {} in all, until {} (audit entry {})",
                    h.case, outcome.placed, h.reads, h.until, outcome.audit_seq
                ),
                None => format!(
                    "DENIED ({}): {}",
                    outcome.reason_code(),
                    outcome.decision.denial().map_or("", |d| d.detail())
                ),
            };
            out.result(&v, &text);
            Ok(if outcome.decision.is_allowed() {
                Exit::Ok
            } else {
                Exit::Denied
            })
        }
        Command::Release(a) => {
            let vault = global.open_vault()?;
            let request = RemovalRequest {
                requester: a.requester,
                agency: a.agency,
                role: None,
            };
            let outcome = vault.release_hold(&a.case, &request)?;
            let released = &outcome.released;
            let text = match (&outcome.denial, released) {
                (Some(d), _) => format!(
                    "DENIED ({}): {}\naudit entry {}",
                    d.code(),
                    d.detail(),
                    outcome.audit_seq
                ),
                (None, Some(h)) => format!(
                    "released the hold of {} on case {}: {} read(s) destroyed (audit entry {})",
                    h.agency, h.case, h.reads, outcome.audit_seq
                ),
                (None, None) => format!(
                    "your agency has no hold on case {}; nothing released (audit entry {})",
                    a.case, outcome.audit_seq
                ),
            };
            let mut v = serde_json::json!({
                "decision": if outcome.is_allowed() { "allowed" } else { "denied" },
                "reason": outcome.reason_code(),
                "audit_seq": outcome.audit_seq,
                "released": released.is_some(),
                "case": a.case,
                "reads_removed": released.as_ref().map_or(0, |h| h.reads),
            });
            if let (Some(d), Some(obj)) = (&outcome.denial, v.as_object_mut()) {
                obj.insert("detail".into(), d.detail().into());
            }
            out.result(&v, &text);
            Ok(if outcome.is_allowed() {
                Exit::Ok
            } else {
                Exit::Denied
            })
        }
        Command::List => {
            let vault = global.open_vault()?;
            let holds = vault.holds()?;
            let mut text = format!("{} hold(s)", holds.len());
            for h in &holds {
                text.push_str(&format!(
                    "\n  case {}  {}  {} read(s)  until {}  placed {}",
                    h.case, h.agency, h.reads, h.until, h.placed_at
                ));
            }
            out.result(
                &serde_json::json!({ "holds": holds.iter().map(hold_json).collect::<Vec<_>>() }),
                &text,
            );
            Ok(Exit::Ok)
        }
    }
}

fn hold_json(h: &HoldInfo) -> serde_json::Value {
    serde_json::json!({
        "case": h.case,
        "agency": h.agency,
        "offense": h.offense,
        "until": h.until.to_rfc3339(),
        "placed_at": h.placed_at.to_rfc3339(),
        "reads": h.reads,
        "audit_seq": h.audit_seq,
    })
}
