//! `platevault bench-retention`: simulate retention policies over months of a city's reads,
//! each in a real temporary store, and write JSON, a Markdown summary and SVG charts.

use std::io::IsTerminal;
use std::path::PathBuf;

use platevault::Timestamp;
use platevault::sim::retention::{self, PolicyUnderTest, RetentionConfig};

use super::{CliError, Exit, Global, Output};

/// Arguments of `bench-retention`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Retention policies to compare, comma-separated: RETENTION or RETENTION:EPOCH
    /// (the epoch width defaults to 1min below 1h, 1h below 72h, 1d up to 1y, else 7d).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "3min,72h,21d,30d,90d,18mo",
        value_parser = parse_policy
    )]
    policies: Vec<PolicyUnderTest>,
    /// Months to simulate (30 days each).
    #[arg(long, default_value_t = 3)]
    months: u32,
    /// Days to simulate instead of --months.
    #[arg(long)]
    days: Option<u32>,
    /// Reads per simulated day.
    #[arg(long, default_value_t = 20_000)]
    reads_per_day: u64,
    /// Synthetic image bytes per read (scale real image sizes down to keep runs short).
    #[arg(long, default_value_t = 0)]
    image_bytes: usize,
    /// Seed of the traffic and of the search stream.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Investigative searches per simulated day (the refused-for-age stream).
    #[arg(long, default_value_t = 50)]
    searches_per_day: u32,
    /// First simulated day (a UTC midnight).
    #[arg(long, value_parser = super::parse_time, default_value = "2026-01-01T00:00:00Z")]
    start: Timestamp,
    /// Epoch expiries simulated per policy at most (short-epoch policies stop after steady state).
    #[arg(long, default_value_t = 180)]
    expiry_budget: u64,
    /// Memtable size per epoch in MiB (default: the write-buffer budget shared among live epochs).
    #[arg(long)]
    epoch_buffer_mib: Option<usize>,
    /// Where retention.json, retention.md, disk.svg and searchable.svg are written.
    #[arg(long, default_value = "retention-report")]
    out: PathBuf,
    /// Where the temporary stores live while they run (default: inside --out).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

fn parse_policy(text: &str) -> Result<PolicyUnderTest, String> {
    PolicyUnderTest::parse(text).map_err(|e| e.to_string())
}

pub(crate) fn run(_global: &Global, out: &Output, args: Args) -> Result<Exit, CliError> {
    let days = args.days.unwrap_or(args.months.saturating_mul(30));
    if days == 0 {
        return Err(CliError::usage("simulate at least one day"));
    }
    if args.reads_per_day == 0 {
        return Err(CliError::usage("--reads-per-day must be at least 1"));
    }
    if args.start.unix_secs().rem_euclid(86_400) != 0 {
        return Err(CliError::usage("--start must be a UTC midnight"));
    }
    let work_dir = args.work_dir.clone().unwrap_or_else(|| args.out.clone());
    let mut config = RetentionConfig::new(work_dir);
    config.policies = args.policies;
    config.days = days;
    config.reads_per_day = args.reads_per_day;
    config.image_bytes = args.image_bytes;
    config.seed = args.seed;
    config.searches_per_day = args.searches_per_day;
    config.start = args.start;
    config.expiry_budget = args.expiry_budget.max(1);
    config.epoch_buffer_bytes = args.epoch_buffer_mib.map(|m| m << 20);

    let total: u64 = config
        .policies
        .iter()
        .map(|p| u64::from(config.simulated_days(p)))
        .sum();
    let bar = progress_bar(total);
    let report = retention::run(&config, |p| {
        if let Some(bar) = &bar {
            bar.set_message(format!("{} day {}/{}", p.policy, p.day, p.of_days));
            bar.inc(1);
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let written = retention::write_outputs(&report, &args.out)?;
    let mut value = serde_json::to_value(&report)
        .map_err(|e| CliError::internal(format!("cannot encode the report: {e}")))?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "files".into(),
            serde_json::json!({
                "json": written.json,
                "markdown": written.markdown,
                "disk_chart": written.disk_chart,
                "searchable_chart": written.searchable_chart,
            }),
        );
    }
    let text = format!(
        "{}\nwritten: {}, {}, {}, {}",
        retention::markdown(&report),
        written.json.display(),
        written.markdown.display(),
        written.disk_chart.display(),
        written.searchable_chart.display()
    );
    out.result(&value, &text);
    Ok(Exit::Ok)
}

/// A progress bar over simulated policy-days, on standard error, only on a terminal.
fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} policy-days {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    Some(pb)
}
