//! `platevault hotlist add|import|list|remove` and `platevault alerts`.

use std::io::BufRead;
use std::path::PathBuf;

use platevault::model::refusal::{self, JsonField, JsonType};
use platevault::{Alert, AlertsRequest, CaseRequest, HotlistEntryInfo, RemovalRequest, Timestamp};
use serde::Deserialize;

use super::search::{CaseArgs, decision_json};
use super::{CliError, Exit, Global, Output};

/// `hotlist` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Add a plate to the hotlist for a case (decided and audited like a search); adding a
    /// plate already listed for the same case and agency renews that entry.
    #[command(
        after_help = "Example:\n  platevault hotlist add --plate 7KQX291 --region CO --case 2026-001234 --offense STOLEN_VEHICLE \\\n    --purpose stolen-vehicle --requester DET-7 --agency CITY-PD --expires 2026-12-20T00:00:00Z\n\nThe same plate, region, case and agency again renews the entry (same entry id, the new expiry, \"renewed\": true).\nExit 3 when the policy denies it (the denial is audited)."
    )]
    Add(AddArgs),
    /// Add many entries from a CSV (with a header row) or JSON Lines file; each line is
    /// decided and audited, refused lines are reported with their reason.
    #[command(
        after_help = "Fields per line: plate, region, case, offense, purpose, requester, agency, expires, and optionally justification, warrant.\nExample:\n  platevault hotlist import stolen.csv --json\n\nExit 3 when the policy refused at least one line (every line is still reported)."
    )]
    Import(ImportArgs),
    /// List the entries in force (no plates: case, offense, agency, expiry, hits).
    #[command(
        after_help = "Example:\n  platevault --store ./pv --master-key-file master.key hotlist list --json"
    )]
    List,
    /// Remove an entry before its expiry. Only the agency that placed it may; the decision
    /// is audited first.
    #[command(
        after_help = "Example:\n  platevault hotlist remove --entry 3f2a...9c --requester SGT-2 --agency CITY-PD\n\nExit 3 when the policy denies it (for example not_owner: another agency's entry); the denial is audited and nothing is removed."
    )]
    Remove(RemoveArgs),
}

/// Arguments of `hotlist add`.
#[derive(Debug, clap::Args)]
pub(crate) struct AddArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// When the entry stops matching (RFC 3339; at most the policy's hotlist_max_days ahead).
    #[arg(long, value_parser = super::parse_time)]
    expires: Timestamp,
}

/// Arguments of `hotlist import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// A CSV file with a header row, or a JSON Lines file (- for standard input).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// Arguments of `hotlist remove`.
#[derive(Debug, clap::Args)]
pub(crate) struct RemoveArgs {
    /// The entry's id (32 hex characters, from `hotlist list`).
    #[arg(long, value_parser = parse_entry_id)]
    entry: String,
    /// Who removes it (recorded in the audit log).
    #[arg(long)]
    requester: String,
    /// Their agency: it must be the agency that placed the entry.
    #[arg(long)]
    agency: String,
}

/// An entry id as `hotlist list` prints it: 32 hex characters.
fn parse_entry_id(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(t.to_ascii_lowercase())
    } else {
        Err("an entry id is 32 hex characters (see `hotlist list`)".into())
    }
}

/// Arguments of `alerts`.
#[derive(Debug, clap::Args)]
pub(crate) struct AlertsArgs {
    /// The case whose alerts to list (format set by the policy).
    #[arg(long)]
    case: String,
    /// Who is asking.
    #[arg(long)]
    requester: String,
    /// The requester's agency: only alerts of hotlist entries it placed are listed.
    #[arg(long)]
    agency: String,
    /// Why (free text; it can only cause a denial, never authorise anything).
    #[arg(long)]
    justification: Option<String>,
    /// A warrant number, where the policy's age tiers require one for older reads.
    #[arg(long)]
    warrant: Option<String>,
    /// Only alerts for reads captured at or after this time (RFC 3339).
    #[arg(long, value_parser = super::parse_time)]
    since: Option<Timestamp>,
}

/// The fields of an import line (JSON Lines or CSV header), for refusals that name the
/// field but never quote a value.
const IMPORT_FIELDS: [JsonField; 10] = [
    text_field("plate", true),
    text_field("region", true),
    text_field("case", true),
    text_field("offense", true),
    text_field("purpose", true),
    text_field("requester", true),
    text_field("agency", true),
    text_field("expires", true),
    text_field("justification", false),
    text_field("warrant", false),
];

const fn text_field(name: &'static str, required: bool) -> JsonField {
    JsonField {
        name,
        ty: JsonType::String,
        required,
    }
}

/// One import line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportLine {
    plate: String,
    region: String,
    case: String,
    offense: String,
    purpose: String,
    requester: String,
    agency: String,
    expires: String,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    warrant: Option<String>,
}

pub(crate) fn run(global: &Global, out: &Output, cmd: Command) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    match cmd {
        Command::Add(a) => {
            let req = a.case.request()?;
            let vault = global.open_vault()?;
            let outcome = vault.hotlist_add(&req, a.expires)?;
            let mut v = decision_json(&outcome.decision, outcome.audit_seq);
            if let Some(obj) = v.as_object_mut() {
                obj.insert(
                    "entry".into(),
                    outcome
                        .entry
                        .as_ref()
                        .map_or(serde_json::Value::Null, entry_json),
                );
                obj.insert("renewed".into(), outcome.renewed.into());
            }
            let text = match &outcome.entry {
                Some(e) => format!(
                    "hotlist entry {} for case {} {}until {} (audit entry {})",
                    e.entry_id,
                    e.case,
                    if outcome.renewed { "renewed " } else { "" },
                    e.expires,
                    outcome.audit_seq
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
        Command::Import(a) => import(global, out, &a.file),
        Command::List => {
            let vault = global.open_vault()?;
            let entries = vault.hotlist()?;
            let mut text = format!(
                "{} hotlist entr{}",
                entries.len(),
                if entries.len() == 1 { "y" } else { "ies" }
            );
            for e in &entries {
                text.push_str(&format!(
                    "\n  {}  case {}  {}  {}  until {}  {} hit(s)",
                    e.entry_id, e.case, e.offense, e.agency, e.expires, e.hits
                ));
            }
            out.result(
                &serde_json::json!({ "entries": entries.iter().map(entry_json).collect::<Vec<_>>() }),
                &text,
            );
            Ok(Exit::Ok)
        }
        Command::Remove(a) => {
            let vault = global.open_vault()?;
            let request = RemovalRequest {
                requester: a.requester,
                agency: a.agency,
                role: None,
            };
            let outcome = vault.hotlist_remove(&a.entry, &request)?;
            let mut v = serde_json::json!({
                "decision": if outcome.is_allowed() { "allowed" } else { "denied" },
                "reason": outcome.reason_code(),
                "audit_seq": outcome.audit_seq,
                "removed": outcome.removed,
                "entry_id": a.entry,
            });
            if let (Some(d), Some(obj)) = (&outcome.denial, v.as_object_mut()) {
                obj.insert("detail".into(), d.detail().into());
            }
            let text = match &outcome.denial {
                Some(d) => format!(
                    "DENIED ({}): {}\naudit entry {}",
                    d.code(),
                    d.detail(),
                    outcome.audit_seq
                ),
                None if outcome.removed => format!(
                    "removed hotlist entry {} (audit entry {})",
                    a.entry, outcome.audit_seq
                ),
                None => format!(
                    "no hotlist entry {}; nothing removed (audit entry {})",
                    a.entry, outcome.audit_seq
                ),
            };
            out.result(&v, &text);
            Ok(if outcome.is_allowed() {
                Exit::Ok
            } else {
                Exit::Denied
            })
        }
    }
}

/// `platevault alerts`: one agency's alerts for one case, decided and audited; with --json,
/// one JSON object per alert and line (a denial: one decision object).
pub(crate) fn run_alerts(global: &Global, out: &Output, a: AlertsArgs) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    let request = AlertsRequest {
        case_number: a.case,
        requester: a.requester,
        agency: a.agency,
        justification: a.justification,
        warrant: a.warrant,
        since: a.since,
    };
    let vault = global.open_vault()?;
    let outcome = vault.alerts(&request)?;
    if let Some(d) = &outcome.denial {
        out.result(
            &serde_json::json!({
                "decision": "denied",
                "reason": d.code(),
                "detail": d.detail(),
                "audit_seq": outcome.audit_seq,
            }),
            &format!(
                "DENIED ({}): {}\naudit entry {}",
                d.code(),
                d.detail(),
                outcome.audit_seq
            ),
        );
        return Ok(Exit::Denied);
    }
    let alerts = &outcome.alerts;
    if out.is_json() {
        for alert in alerts {
            let mut v = alert_json(alert);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("request_seq".into(), outcome.audit_seq.into());
            }
            super::common::print_json(&v);
        }
        return Ok(Exit::Ok);
    }
    for alert in alerts {
        if alert.details_shredded {
            println!(
                "alerted {}  case {}  entry {}  (read, time and camera shredded with the month's audit payloads)",
                alert.captured_at, alert.case, alert.entry_id
            );
        } else {
            println!(
                "{}  case {}  camera {}  read {}  entry {}{}",
                alert.captured_at,
                alert.case,
                alert.camera,
                alert.read_id,
                alert.entry_id,
                if alert.from_hold { "  (held)" } else { "" }
            );
        }
    }
    println!(
        "{} alert(s) for case {} of {} (audit entry {})",
        alerts.len(),
        request.case_number.trim(),
        request.agency.trim().to_ascii_uppercase(),
        outcome.audit_seq
    );
    if let Some(t) = outcome.withheld_before {
        println!(
            "alerts of reads before {t} were withheld: the policy requires a warrant (--warrant) for them"
        );
    }
    Ok(Exit::Ok)
}

fn alert_json(a: &Alert) -> serde_json::Value {
    if a.details_shredded {
        return serde_json::json!({
            "read_id": null,
            "case": a.case,
            "agency": a.agency,
            "captured_at": null,
            "camera": null,
            "entry_id": a.entry_id,
            "audit_seq": a.audit_seq,
            "alerted_at": a.captured_at.to_rfc3339(),
            "details_shredded": true,
        });
    }
    serde_json::json!({
        "read_id": a.read_id,
        "case": a.case,
        "agency": a.agency,
        "captured_at": a.captured_at.to_rfc3339(),
        "camera": a.camera,
        "entry_id": a.entry_id,
        "audit_seq": a.audit_seq,
        "from_hold": a.from_hold,
    })
}

fn entry_json(e: &HotlistEntryInfo) -> serde_json::Value {
    serde_json::json!({
        "entry_id": e.entry_id,
        "case": e.case,
        "offense": e.offense,
        "agency": e.agency,
        "requester": e.requester,
        "expires": e.expires.to_rfc3339(),
        "created_at": e.created_at.to_rfc3339(),
        "hits": e.hits,
        "audit_seq": e.audit_seq,
    })
}

fn import(global: &Global, out: &Output, file: &PathBuf) -> Result<Exit, CliError> {
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(file).map_err(
            |e| CliError::usage(format!("cannot open {}: {e}", file.display())),
        )?))
    };
    let vault = global.open_vault()?;
    // CSV (a header row first) unless the first line is a JSON object.
    let mut csv_header: Option<Vec<String>> = None;
    let mut json_lines: Option<bool> = None;
    let (mut accepted, mut renewed, mut denied) = (0u64, 0u64, 0u64);
    let mut rejected = Vec::new();
    let mut entries = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|e| CliError::usage(format!("cannot read the input: {e}")))?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let is_json = *json_lines.get_or_insert_with(|| text.starts_with('{'));
        let parsed = if is_json {
            serde_json::from_str::<ImportLine>(text)
                .map_err(|e| refusal::json_line_reason(&e, text, &IMPORT_FIELDS))
        } else if let Some(h) = &csv_header {
            csv_line(h, text)
        } else {
            csv_header = Some(
                split_csv(text)
                    .into_iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
            );
            continue;
        };
        let (req, expires) = match parsed.and_then(to_request) {
            Ok(r) => r,
            Err(reason) => {
                rejected.push(serde_json::json!({ "line": line_no, "reason": reason }));
                continue;
            }
        };
        let outcome = vault.hotlist_add(&req, expires)?;
        match &outcome.entry {
            Some(e) => {
                accepted += 1;
                renewed += u64::from(outcome.renewed);
                entries.push(entry_json(e));
            }
            None => {
                denied += 1;
                rejected.push(serde_json::json!({
                    "line": line_no,
                    "reason": outcome.reason_code(),
                    "detail": outcome.decision.denial().map(|d| d.detail().to_string()),
                    "audit_seq": outcome.audit_seq,
                }));
            }
        }
    }
    let mut text = format!(
        "accepted {accepted} entries ({renewed} of them renewals), refused {} lines",
        rejected.len()
    );
    for r in rejected.iter().take(20) {
        text.push_str(&format!(
            "\n  line {}: {}",
            r["line"],
            r["reason"].as_str().unwrap_or_default()
        ));
    }
    out.result(
        &serde_json::json!({
            "accepted": accepted,
            "renewed": renewed,
            "rejected": rejected,
            "entries": entries,
        }),
        &text,
    );
    Ok(if denied > 0 { Exit::Denied } else { Exit::Ok })
}

fn to_request(l: ImportLine) -> Result<(CaseRequest, Timestamp), String> {
    let expires = Timestamp::parse_rfc3339(&l.expires).map_err(|e| format!("expires: {e}"))?;
    Ok((
        CaseRequest {
            plate: l.plate,
            region: l.region,
            case_number: l.case,
            offense: l.offense,
            purpose: l.purpose,
            requester: l.requester,
            agency: l.agency,
            justification: l.justification.filter(|j| !j.is_empty()),
            warrant: l.warrant.filter(|w| !w.is_empty()),
            from: None,
            to: None,
        },
        expires,
    ))
}

fn csv_line(header: &[String], text: &str) -> Result<ImportLine, String> {
    let fields = split_csv(text);
    if fields.len() != header.len() {
        return Err(format!(
            "expected {} comma-separated fields (as in the header), found {}",
            header.len(),
            fields.len()
        ));
    }
    let mut obj = serde_json::Map::new();
    for (h, v) in header.iter().zip(fields) {
        obj.insert(h.clone(), serde_json::Value::String(v));
    }
    serde_json::from_value(serde_json::Value::Object(obj)).map_err(|e| {
        let names: Vec<&str> = IMPORT_FIELDS.iter().map(|f| f.name).collect();
        refusal::serde_reason(&e.to_string(), &names)
    })
}

/// Splits one CSV line (RFC 4180 quoting: "a, b" and "say ""hi""").
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn csv_fields_split_with_quotes() {
        assert_eq!(
            split_csv("a,b ,\"c, d\",\"say \"\"hi\"\"\""),
            vec!["a", "b", "c, d", "say \"hi\""]
        );
        assert_eq!(split_csv(""), vec![""]);
    }
}
