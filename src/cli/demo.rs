//! `platevault demo`: the whole lifecycle on a temporary store with synthetic data, narrated.
//!
//! A newcomer's first command. It makes a fresh key and a simulation store with the example
//! city policy, simulates a month of a city's reads, runs allowed and denied searches (an
//! immigration-flavoured one, an outside agency without an MOU), shows the audit log and an
//! inclusion proof verifying, places a legal hold, raises a hotlist alert, moves the clock
//! past retention, expires, verifies deletion from the raw files, and prints the
//! transparency report.

use std::io::IsTerminal;
use std::path::PathBuf;

use platevault::audit::report::TransparencyReport;
use platevault::sim::traffic::{SimConfig, Simulation};
use platevault::verify::Review;
use platevault::verify::audit_log::{PinnedCheckpoint, check_inclusion};
use platevault::{
    AlertsRequest, CaseRequest, Decision, MasterKey, NewRead, Policy, SearchOutcome, SearchRequest,
    Span, Timestamp, Vault, VaultOptions,
};

use super::{CliError, Exit, Global, Output};

/// The example city policy (an MOU with a county sheriff, a warrant after 72 hours).
const CITY_POLICY: &str = include_str!("../../examples/policies/city.toml");

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Reads to simulate over the month.
    #[arg(long, default_value_t = 2_000_000)]
    reads: u64,
    /// Bytes of synthetic image per read (0 for none).
    #[arg(long, default_value_t = 0)]
    image_bytes: usize,
    /// Keep the store in this (new) directory instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Narration: to standard output for people, to standard error under --json.
struct Narrator {
    json: bool,
    step: u32,
}

impl Narrator {
    fn step(&mut self, title: &str) {
        self.step += 1;
        self.line(&format!("\n== {}. {title}", self.step));
    }

    fn line(&self, text: &str) {
        if self.json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }
}

fn req(
    plate: &str,
    region: &str,
    case: &str,
    offense: &str,
    purpose: &str,
    agency: &str,
) -> CaseRequest {
    CaseRequest {
        plate: plate.into(),
        region: region.into(),
        case_number: case.into(),
        offense: offense.into(),
        purpose: purpose.into(),
        requester: if agency == "CITY-PD" {
            "DET-7".into()
        } else {
            format!("{agency}-AGENT")
        },
        agency: agency.into(),
        ..CaseRequest::default()
    }
}

fn verdict(o: &SearchOutcome) -> String {
    match &o.decision {
        Decision::Allowed(g) => format!(
            "ALLOWED: {} read(s) from {} to {}{} (audit entry {})",
            o.reads.len(),
            g.held_from().min(g.from()),
            g.to(),
            g.withheld_before()
                .map(|t| format!("; reads before {t} withheld: a warrant is required for them"))
                .unwrap_or_default(),
            o.audit_seq
        ),
        Decision::Denied(d) => format!(
            "DENIED {}: {} (audit entry {})",
            d.code(),
            d.detail(),
            o.audit_seq
        ),
    }
}

pub(crate) fn run(global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    super::common::disable_core_dumps();
    if global.store.is_some() || global.now.is_some() {
        eprintln!(
            "note: demo makes its own store and clock; --store, PLATEVAULT_STORE and --now are ignored (use --dir to keep the store)"
        );
    }
    if args.reads == 0 {
        return Err(CliError::usage("--reads must be at least 1"));
    }
    let mut n = Narrator {
        json: out.is_json(),
        step: 0,
    };
    let temp = tempfile::tempdir()
        .map_err(|e| CliError::internal(format!("cannot make a temporary directory: {e}")))?;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => temp.path().join("store"),
    };
    let start = Timestamp::parse_rfc3339("2026-11-01T00:00:00Z")
        .map_err(|e| CliError::internal(e.to_string()))?;
    let policy = Policy::from_toml(CITY_POLICY)
        .map_err(|e| CliError::internal(format!("the example policy: {e}")))?;

    n.line("platevault demo: one month of a city's plate reads, and the promises the store keeps.");
    n.step("A fresh master key and a store");
    let key = MasterKey::generate().map_err(|e| CliError::internal(e.to_string()))?;
    let vault = Vault::create(
        &dir,
        &key,
        &policy,
        &VaultOptions::new().simulated_clock(start),
    )?;
    let info = vault.info()?;
    n.line(&format!(
        "Store {} for {}: retention {}, epochs of {}, searches only for {} offenses, never for {}.",
        dir.display(),
        policy.agency(),
        policy.retention(),
        policy.epoch_width(),
        policy.allowed_offenses().len(),
        policy
            .prohibited_purposes()
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    ));
    n.line(&format!(
        "The master key lives only in this process. Checkpoints are signed by key {}.",
        info.public_key
    ));

    n.step("A month of traffic");
    let sim =
        Simulation::new(SimConfig::new(args.reads, 30, start, 2026).image_bytes(args.image_bytes));
    n.line(&format!(
        "Simulating {} reads from {} cameras over 30 days (rush hours, commuters, a long tail of one-time plates)...",
        args.reads,
        sim.config().cameras
    ));
    let totals = super::simulate::ingest_simulation(&vault, &sim, std::io::stderr().is_terminal())?;
    n.line(&format!(
        "Stored {} reads in {:.1} s ({:.0} reads/s). On disk each plate is only a keyed hash under its day's key; camera, place and time are sealed.",
        totals.accepted,
        totals.seconds,
        totals.accepted as f64 / totals.seconds.max(1e-9)
    ));
    let commuters = sim.sample_commuters(3);
    let (plate, region) = commuters[0].clone();
    let (hot_plate, hot_region) = commuters[2].clone();

    n.step("An allowed search: an exact plate, a case, an allowed offense");
    let case = "2026-004711";
    let mut r = req(&plate, &region, case, "ROBBERY", "investigation", "CITY-PD");
    let first = vault.search(&SearchRequest {
        case: r.clone(),
        with_images: false,
    })?;
    n.line(&format!(
        "Detective DET-7, case {case}, robbery, plate {plate} ({region}): {}",
        verdict(&first)
    ));
    r.warrant = Some("W-2026-0931".into());
    let warranted = vault.search(&SearchRequest {
        case: r.clone(),
        with_images: false,
    })?;
    n.line(&format!(
        "The same search with warrant W-2026-0931: {}",
        verdict(&warranted)
    ));
    for read in warranted.reads.iter().take(3) {
        n.line(&format!(
            "    {}  camera {}",
            read.body.captured_at, read.body.camera
        ));
    }

    n.step("Searches the city promised never to run");
    let denied_cases: Vec<(&str, CaseRequest)> = vec![
        (
            "purpose: immigration",
            CaseRequest {
                purpose: "immigration".into(),
                ..r.clone()
            },
        ),
        (
            "justification mentioning I.C.E.",
            CaseRequest {
                justification: Some("Assist I.C.E. with a detainer".into()),
                ..r.clone()
            },
        ),
        (
            "an outside agency without an MOU",
            req(&plate, &region, case, "ROBBERY", "investigation", "DHS-ICE"),
        ),
        (
            "the county sheriff (MOU) for an offense its MOU does not cover",
            req(
                &plate,
                &region,
                case,
                "ROBBERY",
                "investigation",
                "RIVER-COUNTY-SO",
            ),
        ),
        (
            "a partial plate",
            CaseRequest {
                plate: format!("{}*", &plate[..3]),
                ..r.clone()
            },
        ),
        (
            "no case number",
            CaseRequest {
                case_number: "unknown".into(),
                ..r.clone()
            },
        ),
    ];
    let mut denial_seq = None;
    for (what, request) in denied_cases {
        let o = vault.search(&SearchRequest {
            case: request,
            with_images: false,
        })?;
        n.line(&format!("  {what}: {}", verdict(&o)));
        denial_seq.get_or_insert(o.audit_seq);
    }
    let mou = vault.search(&SearchRequest {
        case: req(
            &plate,
            &region,
            "2026-000077",
            "HOMICIDE",
            "investigation",
            "RIVER-COUNTY-SO",
        ),
        with_images: false,
    })?;
    n.line(&format!(
        "  the county sheriff (MOU) for a homicide: {}",
        verdict(&mou)
    ));
    n.line("Every one of these is in the audit log, allowed or denied, written before any data was read.");

    n.step("The audit log: a published checkpoint and a proof");
    let review = Review::open(&dir)?;
    let checkpoint = review.checkpoint()?;
    n.line(&format!(
        "The log holds {} entries. Its signed checkpoint, to publish off the machine:",
        checkpoint.size
    ));
    for l in checkpoint.note.lines() {
        n.line(&format!("    {l}"));
    }
    let seq = denial_seq.unwrap_or(0);
    let proof = review.prove(seq)?;
    check_inclusion(
        &proof,
        &checkpoint.note,
        &checkpoint.key_name,
        review.public_key(),
    )
    .map_err(|e| CliError::internal(format!("the demo's own proof failed: {e}")))?;
    n.line(&format!(
        "Inclusion proof of entry {seq} ({} hashes) checks out against the checkpoint with nothing but the public key. The entry:",
        proof.proof.len()
    ));
    n.line(&format!(
        "    {}",
        String::from_utf8_lossy(&entry_bytes(&proof.entry))
    ));
    drop(review);

    n.step("A legal hold and a hotlist");
    let hold = vault.hold(&r, start.plus(Span::from_days(180)))?;
    n.line(&format!(
        "Case {case} holds {} read(s) of plate {plate} until {}: they will survive expiry, for this case only.",
        hold.placed,
        hold.hold.as_ref().map(|h| h.until.to_rfc3339()).unwrap_or_default()
    ));
    let hot = vault.hotlist_add(
        &req(
            &hot_plate,
            &hot_region,
            "2026-005150",
            "STOLEN_VEHICLE",
            "stolen-vehicle",
            "CITY-PD",
        ),
        start.plus(Span::from_days(14)),
    )?;
    n.line(&format!(
        "Stolen vehicle {hot_plate} on the hotlist for case 2026-005150 until {} ({}).",
        start.plus(Span::from_days(14)),
        hot.reason_code()
    ));
    let alerts = vault.ingest(vec![NewRead {
        plate: hot_plate.clone(),
        region: hot_region.clone(),
        captured_at: Some(start.minus(Span::from_minutes(2))),
        camera: "CAM-042".into(),
        lat: Some(39.7392),
        lon: Some(-104.9903),
        confidence: Some(0.97),
        image: None,
    }])?;
    for a in &alerts.alerts {
        n.line(&format!(
            "ALERT: read {} at {} by {} matches entry {} (case {} of {}), audited and held for that agency's case.",
            a.read_id, a.captured_at, a.camera, a.entry_id, a.case, a.agency
        ));
    }
    let listed = vault.alerts(&AlertsRequest {
        case_number: "2026-005150".into(),
        requester: "DET-7".into(),
        agency: "CITY-PD".into(),
        ..AlertsRequest::default()
    })?;
    n.line(&format!(
        "Reading alerts back is a gated request like a search: DET-7 of CITY-PD lists case 2026-005150's alerts, {} (audit entry {}).",
        listed.alerts.len(),
        listed.audit_seq
    ));

    n.step("Time passes: expiry");
    let later = start.plus(Span::from_days(31));
    vault.advance_clock(later)?;
    vault.expire()?;
    let report = vault.take_expiry_log();
    n.line(&format!(
        "The clock moves to {later}. {} daily epochs expired: their keys destroyed, their files dropped, {} reads gone. {} epoch(s) remain.",
        report.expired_epochs.len(),
        report.reads_removed,
        vault.live_epochs().len()
    ));
    // The month the hold covers: before retention now, so only held copies can lie there.
    let month = CaseRequest {
        from: Some(start.minus(Span::from_days(30))),
        to: Some(start),
        ..r.clone()
    };
    let held = vault.search(&SearchRequest {
        case: month.clone(),
        with_images: false,
    })?;
    n.line(&format!(
        "Case {case} searches plate {plate} again over the month it held: {}; {} of them from the hold.",
        verdict(&held),
        held.reads.iter().filter(|x| x.from_hold).count()
    ));
    let other = vault.search(&SearchRequest {
        case: CaseRequest {
            case_number: "2026-009999".into(),
            ..month.clone()
        },
        with_images: false,
    })?;
    n.line(&format!(
        "Another case searching the same plate over that month: {}.",
        verdict(&other)
    ));
    let outside = vault.search(&SearchRequest {
        case: CaseRequest {
            agency: "RIVER-COUNTY-SO".into(),
            offense: "HOMICIDE".into(),
            warrant: Some("W-MADE-UP".into()),
            ..month
        },
        with_images: false,
    })?;
    n.line(&format!(
        "Another agency naming case {case}: {} The hold belongs to CITY-PD's case.",
        verdict(&outside)
    ));
    vault.advance_clock(start)?;
    n.line(&format!(
        "Setting the clock back to {start} changes nothing: the store's clock stays at {}.",
        vault.now()
    ));

    n.step("Deletion, verified from the raw files");
    let review = Review::open(&dir)?;
    let deletion = review.verify_deletion(&[plate.clone(), hot_plate.clone()])?;
    n.line(&format!(
        "Scanned {} files ({} bytes) for {} digests of destroyed keys and records and for the plates searched: {}.",
        deletion.files,
        deletion.bytes,
        deletion.digests,
        if deletion.clean { "clean".to_string() } else { format!("{} trace(s) found", deletion.findings.len()) }
    ));
    let verified = review.verify(Some(PinnedCheckpoint {
        note: &checkpoint.note,
        public_key: Some(*review.public_key()),
    }))?;
    n.line(&format!(
        "The audit log ({} entries) is consistent with the checkpoint published earlier: {}.",
        verified.size,
        if verified.ok {
            "ok"
        } else {
            verified.problem.as_deref().unwrap_or("failed")
        }
    ));

    n.step("The transparency report");
    let entries = review.entries()?;
    let transparency = TransparencyReport::build(policy.agency(), entries.iter());
    n.line(&transparency.to_markdown());
    if args.dir.is_some() {
        n.line(&format!(
            "The store is kept in {}. Its master key was not saved: it existed only in this demo.",
            dir.display()
        ));
    }
    if out.is_json() {
        super::common::print_json(&serde_json::json!({
            "reads_stored": totals.accepted,
            "ingest_reads_per_s": (totals.accepted as f64 / totals.seconds.max(1e-9)).round(),
            "allowed_search_reads": first.reads.len(),
            "warranted_search_reads": warranted.reads.len(),
            "expired_epochs": report.expired_epochs.len(),
            "reads_removed": report.reads_removed,
            "held_reads_after_expiry": held.reads.len(),
            "alerts": alerts.alerts.len(),
            "deletion_clean": deletion.clean,
            "audit_ok": verified.ok,
            "audit_size": verified.size,
        }));
    }
    Ok(if deletion.clean && verified.ok {
        Exit::Ok
    } else {
        Exit::Internal
    })
}

fn entry_bytes(hex_text: &str) -> Vec<u8> {
    hex::decode(hex_text).unwrap_or_default()
}
