//! `platevault search`: the only read path, and the case flags it shares with `hold add` and
//! `hotlist add`.

use std::path::PathBuf;

use platevault::files as perms;
use platevault::{CaseRequest, Decision, ReadView, SearchOutcome, SearchRequest, Timestamp};

use super::{CliError, Exit, Global, Output};

/// The flags that tie a request to a case. Every one that parses is decided by the policy
/// and audited; a malformed plate, case number, offense or purpose is a denial (exit 3).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CaseArgs {
    /// The exact plate (spaces, hyphens and dots are ignored; no wildcards).
    #[arg(long)]
    pub plate: String,
    /// The issuing region, for example CO or US-CO.
    #[arg(long)]
    pub region: String,
    /// The case number (format set by the policy, for example 2026-001234).
    #[arg(long)]
    pub case: String,
    /// The offense code (from the policy's allowed list, for example ROBBERY).
    #[arg(long)]
    pub offense: String,
    /// The purpose: investigation, missing-person, stolen-vehicle or amber-alert.
    #[arg(long)]
    pub purpose: String,
    /// Who is asking.
    #[arg(long)]
    pub requester: String,
    /// The requester's agency.
    #[arg(long)]
    pub agency: String,
    /// Why (free text; it can only cause a denial, never authorise anything).
    #[arg(long)]
    pub justification: Option<String>,
    /// A warrant number, where the policy's age tiers require one.
    #[arg(long)]
    pub warrant: Option<String>,
    /// Start of the window (RFC 3339); defaults to the end minus the policy's maximum window.
    #[arg(long, value_parser = super::parse_time)]
    pub from: Option<Timestamp>,
    /// End of the window (RFC 3339, exclusive); defaults to now.
    #[arg(long, value_parser = super::parse_time)]
    pub to: Option<Timestamp>,
}

impl CaseArgs {
    /// The library's request; `from` after `to` is a usage error (exit 2).
    pub(crate) fn request(&self) -> Result<CaseRequest, CliError> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            // The times themselves are not repeated: a refusal echoes no input value.
            return Err(CliError::usage(
                "--from is after --to: the window is [from, to); give an earlier --from",
            ));
        }
        Ok(CaseRequest {
            plate: self.plate.clone(),
            region: self.region.clone(),
            case_number: self.case.clone(),
            offense: self.offense.clone(),
            purpose: self.purpose.clone(),
            requester: self.requester.clone(),
            agency: self.agency.clone(),
            justification: self.justification.clone(),
            warrant: self.warrant.clone(),
            from: self.from,
            to: self.to,
        })
    }
}

/// Arguments of `search`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    case: CaseArgs,
    /// Write the decrypted images of the reads found into this directory (<read_id>.jpg).
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
}

pub(crate) fn run(global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    let request = SearchRequest {
        case: args.case.request()?,
        with_images: args.images.is_some(),
    };
    let vault = global.open_vault()?;
    let outcome = vault.search(&request)?;
    if let Some(dir) = &args.images
        && outcome.is_allowed()
    {
        write_images(dir, &outcome.reads)?;
    }
    out.result(&outcome_json(&outcome), &outcome_text(&outcome));
    Ok(if outcome.is_allowed() {
        Exit::Ok
    } else {
        Exit::Denied
    })
}

/// One read as the JSON contract shows it.
pub(crate) fn read_json(r: &ReadView) -> serde_json::Value {
    serde_json::json!({
        "read_id": r.read_id.to_hex(),
        "captured_at": r.body.captured_at.to_rfc3339(),
        "camera": r.body.camera,
        "lat": r.body.coords.map(|c| c.0),
        "lon": r.body.coords.map(|c| c.1),
        // f32 widened as printed, so 0.93 stays 0.93 rather than 0.9300000071525574.
        "confidence": r.body.confidence.and_then(|c| c.to_string().parse::<f64>().ok()),
        "image_sha256": r.body.image.map(|i| hex::encode(i.sha256)),
        "image_bytes": r.body.image.map(|i| i.len),
        "from_hold": r.from_hold,
    })
}

/// The decision fields shared by search, hold and hotlist outputs.
pub(crate) fn decision_json(decision: &Decision, audit_seq: u64) -> serde_json::Value {
    match decision {
        Decision::Allowed(g) => serde_json::json!({
            "decision": "allowed",
            "reason": "allowed",
            "audit_seq": audit_seq,
            "window": { "from": g.from().to_rfc3339(), "to": g.to().to_rfc3339() },
            "withheld_before": g.withheld_before().map(|t| t.to_rfc3339()),
        }),
        Decision::Denied(d) => serde_json::json!({
            "decision": "denied",
            "reason": d.code(),
            "detail": d.detail(),
            "audit_seq": audit_seq,
        }),
    }
}

fn outcome_json(o: &SearchOutcome) -> serde_json::Value {
    let mut v = decision_json(&o.decision, o.audit_seq);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "reads".into(),
            serde_json::Value::Array(o.reads.iter().map(read_json).collect()),
        );
        obj.insert("result_seq".into(), serde_json::json!(o.result_seq));
    }
    v
}

fn outcome_text(o: &SearchOutcome) -> String {
    match &o.decision {
        Decision::Denied(d) => format!(
            "DENIED ({}): {}\naudit entry {}",
            d.code(),
            d.detail(),
            o.audit_seq
        ),
        Decision::Allowed(g) => {
            let mut s = format!(
                "allowed: {} read(s) from {} to {} (audit entry {})",
                o.reads.len(),
                g.from(),
                g.to(),
                o.audit_seq
            );
            if let Some(t) = g.withheld_before() {
                s.push_str(&format!(
                    "\nreads before {t} were withheld: the policy requires a warrant (--warrant) for them"
                ));
            }
            for r in &o.reads {
                let place = r
                    .body
                    .coords
                    .map(|(a, b)| format!(" at {a:.5},{b:.5}"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "\n  {}  camera {}{}  read {}{}",
                    r.body.captured_at,
                    r.body.camera,
                    place,
                    r.read_id,
                    if r.from_hold { "  (held)" } else { "" }
                ));
            }
            s
        }
    }
}

/// Writes the decrypted images owner-only: the folder, when this creates it, 0700 and every
/// image 0600 (an image is evidence about a person's whereabouts).
fn write_images(dir: &std::path::Path, reads: &[ReadView]) -> Result<(), CliError> {
    perms::create_private_dir_all(dir)
        .map_err(|e| CliError::internal(format!("cannot create {}: {e}", dir.display())))?;
    for r in reads {
        if let Some(img) = &r.image {
            let path = dir.join(format!("{}.jpg", r.read_id));
            perms::write_private(&path, img)
                .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    Ok(())
}
