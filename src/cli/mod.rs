//! The `platevault` command line: argument parsing, dispatch, output and exit codes.
//!
//! Contract (see the product brief, section 4): with `--json`, standard output holds exactly
//! one JSON document, on success and on failure alike; narration, progress and logs go to
//! standard error. Exit codes: 0 success, 1 internal error, 2 bad usage, 3 denied by policy,
//! 4 audit verification failed, 5 deletion trace found, 6 wrong master key or a damaged (or
//! missing) store, 7 store held open by another process.

mod audit;
mod bench_retention;
mod common;
mod demo;
mod expire;
mod hold;
mod hotlist;
mod ingest;
mod init;
mod keygen;
mod policy;
mod rotate;
mod search;
mod simulate;
mod verify_deletion;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use platevault::Timestamp;

pub(crate) use common::{CliError, Exit, Global, Output};

/// platevault: plate-reader data that cannot be misused quietly.
#[derive(Debug, Parser)]
#[command(
    name = "platevault",
    version,
    about = "An embedded store for license-plate-reader data: hashed plates, sealed reads, one audited read path, verifiable expiry.",
    after_help = "Example (the whole lifecycle on synthetic data):\n  platevault demo\n\nExit codes: 0 ok, 1 internal error, 2 bad usage, 3 denied by policy, 4 audit verification failed, 5 deletion trace found, 6 wrong master key or damaged store, 7 store held by another process."
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every command accepts.
#[derive(Debug, clap::Args)]
struct GlobalArgs {
    /// The store directory.
    #[arg(long, global = true, env = "PLATEVAULT_STORE", value_name = "DIR")]
    store: Option<PathBuf>,
    /// A file holding the master key (64 hex characters); preferred over PLATEVAULT_MASTER_KEY.
    #[arg(long, global = true, value_name = "FILE")]
    master_key_file: Option<PathBuf>,
    /// A simulated time (RFC 3339) for a simulation store made with `init --now`.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_time)]
    now: Option<Timestamp>,
    /// Print one JSON document on standard output.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a new master key (64 hex characters) from the OS's random number generator.
    #[command(after_help = "Example:\n  platevault keygen --out master.key")]
    Keygen(keygen::Args),
    /// Create a store (with the built-in default policy unless --policy is given).
    #[command(
        after_help = "Examples:\n  platevault --store ./pv --master-key-file master.key init\n  platevault --store ./sim --master-key-file master.key --now 2026-11-01T00:00:00Z init --policy examples/policies/city.toml"
    )]
    Init(init::Args),
    /// Store plate reads from a JSON Lines file (or - for standard input).
    #[command(
        after_help = "Each line: {\"plate\":\"7KQ-X291\",\"region\":\"CO\",\"captured_at\":\"2026-11-29T08:15:00Z\",\"camera\":\"CAM-17\",\"lat\":39.74,\"lon\":-104.99,\"confidence\":0.93,\"image_b64\":\"...\"}\n(image_path instead of image_b64 reads the image from a file, relative to the input file's folder).\n\nExample:\n  platevault --store ./pv --master-key-file master.key ingest reads.jsonl --json"
    )]
    Ingest(ingest::Args),
    /// Deterministic synthetic city traffic, ingested (or written as JSON Lines with --out).
    #[command(
        after_help = "Examples:\n  platevault --store ./sim --master-key-file master.key simulate --reads 200000 --days 30 --seed 7\n  platevault --now 2026-11-01T00:00:00Z simulate --reads 1000 --days 1 --out reads.jsonl"
    )]
    Simulate(simulate::Args),
    /// The only read path: an exact plate, tied to a case, decided by the policy and audited.
    #[command(
        after_help = "Example:\n  platevault search --plate 7KQX291 --region CO --case 2026-001234 --offense ROBBERY \\\n    --purpose investigation --requester DET-7 --agency CITY-PD --json\n\nExit 3 when the policy denies the search (the denial is audited too)."
    )]
    Search(search::Args),
    /// Run expiry now: destroy every epoch past retention (it also runs by itself).
    #[command(
        after_help = "Example:\n  platevault --store ./pv --master-key-file master.key expire --json"
    )]
    Expire(expire::Args),
    /// Legal holds: keep a case's evidence past expiry.
    #[command(
        subcommand,
        after_help = "Example:\n  platevault hold add --plate 7KQX291 --region CO --case 2026-001234 --offense ROBBERY \\\n    --purpose investigation --requester DET-7 --agency CITY-PD --until 2027-06-01T00:00:00Z"
    )]
    Hold(hold::Command),
    /// Case-tied hotlists: alerts at ingest for listed plates.
    #[command(
        subcommand,
        after_help = "Example:\n  platevault hotlist add --plate 7KQX291 --region CO --case 2026-001234 --offense STOLEN_VEHICLE \\\n    --purpose stolen-vehicle --requester DET-7 --agency CITY-PD --expires 2026-12-20T00:00:00Z"
    )]
    Hotlist(hotlist::Command),
    /// One agency's hotlist alerts for one case (decided and audited like a search; with
    /// --json, one JSON object per line).
    #[command(
        after_help = "Example:\n  platevault alerts --case 2026-001234 --requester DET-7 --agency CITY-PD --since 2026-11-28T00:00:00Z --json\n\nOnly alerts of hotlist entries that agency placed for that case are listed, and none whose read is past retention unless the agency's hold on the case still keeps it.\nExit 3 when the policy denies the request (the denial is audited; with --json one object {\"decision\":\"denied\",...})."
    )]
    Alerts(hotlist::AlertsArgs),
    /// The store's policy: show it, or replace it (audited).
    #[command(
        subcommand,
        after_help = "Example:\n  platevault policy show > policy.toml"
    )]
    Policy(policy::Command),
    /// The audit log: verify, checkpoint, prove, report, and the reviewer check.
    #[command(
        subcommand,
        after_help = "Example:\n  platevault --store ./pv audit verify --checkpoint published.note --public-key 3b6a...e1"
    )]
    Audit(audit::Command),
    /// Scan every raw file of the store for plaintext plates or traces of expired epochs.
    #[command(
        name = "verify-deletion",
        after_help = "Example:\n  platevault --store ./pv verify-deletion --plates known-plates.txt --json\n\nExit 5 when a trace is found. Needs no master key; runs beside a process holding the store."
    )]
    VerifyDeletion(verify_deletion::Args),
    /// Re-wrap every live key under a new master key (two-phase, audited).
    #[command(
        name = "rotate-master-key",
        after_help = "Example:\n  platevault keygen --out new.key\n  platevault --store ./pv --master-key-file master.key rotate-master-key --new-key-file new.key\n\nA crash at any point leaves a store that one of the two keys opens."
    )]
    RotateMasterKey(rotate::Args),
    /// The whole lifecycle on a temporary store with synthetic data, narrated.
    #[command(
        after_help = "Examples:\n  platevault demo\n  platevault demo --reads 50000 --dir ./demo-store"
    )]
    Demo(demo::Args),
    /// Simulate retention policies over months of a city's reads: JSON, Markdown and SVG charts.
    #[command(
        name = "bench-retention",
        after_help = "Example:\n  platevault bench-retention --policies 3min,72h,30d,90d,18mo --months 3 --out retention-report\n\nEach policy runs in a real temporary store on a simulated clock; see docs/benchmarks.md."
    )]
    BenchRetention(bench_retention::Args),
}

pub(crate) fn parse_time(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(s).map_err(|e| e.to_string())
}

/// The text of a usage error whose clap rendering would quote what was typed (an invalid
/// value, an unexpected argument, an unknown subcommand): any of them can be a plate typed
/// in the wrong place, and a refusal never echoes input. `None` for the other kinds, whose
/// clap text names only the command's own flags.
fn usage_error_text(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let get = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        _ => None,
    };
    let arg = get(ContextKind::InvalidArg).unwrap_or_else(|| "an argument".into());
    let mut text = match e.kind() {
        ErrorKind::InvalidValue => {
            let mut t = format!("error: invalid value for '{arg}' (the value is not shown)");
            if let Some(ContextValue::Strings(valid)) = e.get(ContextKind::ValidValue) {
                t.push_str(&format!("\n  [possible values: {}]", valid.join(", ")));
            }
            t
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            format!("error: invalid value for '{arg}' (the value is not shown){why}")
        }
        ErrorKind::TooManyValues => {
            format!("error: unexpected value for '{arg}' (not shown); no more were expected")
        }
        ErrorKind::UnknownArgument => {
            let token = get(ContextKind::InvalidArg).unwrap_or_default();
            if flag_like(&token) {
                format!("error: unexpected argument '{token}' found")
            } else {
                "error: unexpected argument found (not shown: a value goes right after its flag)"
                    .to_string()
            }
        }
        ErrorKind::InvalidSubcommand => {
            let token = get(ContextKind::InvalidSubcommand).unwrap_or_default();
            if flag_like(&token) {
                format!("error: unrecognized subcommand '{token}'")
            } else {
                "error: unrecognized subcommand (not shown)".to_string()
            }
        }
        _ => return None,
    };
    for (kind, what) in [
        (ContextKind::SuggestedArg, "a similar argument exists"),
        (
            ContextKind::SuggestedSubcommand,
            "a similar subcommand exists",
        ),
    ] {
        if let Some(s) = get(kind) {
            text.push_str(&format!("\n\n  tip: {what}: '{s}'"));
        }
    }
    if let Some(usage) = get(ContextKind::Usage) {
        text.push_str(&format!("\n\n{}", usage.trim_end()));
    }
    text.push_str("\n\nFor more information, try '--help'.\n");
    Some(text)
}

/// True for what is shaped like a flag or subcommand name (lowercase letters and hyphens,
/// at most 40): named in a refusal; anything else may be a value and is not shown.
fn flag_like(token: &str) -> bool {
    let name = token.trim_start_matches('-');
    !name.is_empty()
        && token.len() <= 40
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

/// Parses the arguments, runs the command and returns the contract's exit code.
pub fn run() -> ExitCode {
    // Owner-only from the first file on: the store, RocksDB's own files, images, reports and
    // exports are 0600 in 0700 folders (RocksDB takes no file mode; the umask is the only way
    // to give its files one).
    platevault::files::restrict_umask();
    let json_requested = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let safe = usage_error_text(&e);
            if json_requested {
                let msg = e.kind().to_string();
                let detail = safe.unwrap_or_else(|| e.to_string());
                common::print_json(&serde_json::json!({
                    "error": msg,
                    "detail": detail.trim(),
                    "exit_code": Exit::Usage.code(),
                }));
            } else {
                match safe {
                    Some(text) => eprintln!("{}", text.trim_end()),
                    None => {
                        let _ = e.print();
                    }
                }
            }
            return Exit::Usage.into();
        }
    };
    common::init_logging();
    let out = Output::new(cli.global.json);
    let global = Global::new(cli.global.store, cli.global.master_key_file, cli.global.now);
    let result = match cli.command {
        Command::Keygen(a) => keygen::run(&global, &out, a),
        Command::Init(a) => init::run(&global, &out, a),
        Command::Ingest(a) => ingest::run(&global, &out, a),
        Command::Search(a) => search::run(&global, &out, a),
        Command::Expire(a) => expire::run(&global, &out, a),
        Command::Hold(c) => hold::run(&global, &out, c),
        Command::Policy(c) => policy::run(&global, &out, c),
        Command::Hotlist(c) => hotlist::run(&global, &out, c),
        Command::Alerts(a) => hotlist::run_alerts(&global, &out, a),
        Command::Audit(c) => audit::run(&global, &out, c),
        Command::VerifyDeletion(a) => verify_deletion::run(&global, &out, a),
        Command::RotateMasterKey(a) => rotate::run(&global, &out, a),
        Command::Simulate(a) => simulate::run(&global, &out, a),
        Command::Demo(a) => demo::run(&global, &out, a),
        Command::BenchRetention(a) => bench_retention::run(&global, &out, a),
    };
    match result {
        Ok(exit) => {
            // The command's result is already printed: a failure of the key-file rotation
            // that follows goes to standard error, so --json output stays one document.
            if let Err(e) = global.after_command() {
                eprintln!("error: {}", e.message);
                return Exit::Internal.into();
            }
            exit.into()
        }
        Err(err) => {
            out.error(&err);
            err.exit.into()
        }
    }
}
