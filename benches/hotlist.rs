//! Hotlist matching at ingest: does a store with 100,000 live hotlist entries ingest as fast
//! as one with none? Issue 7 asks that it stay within 5 %.
//!
//! `cargo bench --bench hotlist -- [--pairs N] [--entries N] [--samples FILE] [--json]`
//!
//! Two stores are opened in this process: `none` (no hotlist) and `hotlist` (`--entries`
//! live entries, 100,000 by default, added through the policy gate like any other, one audited
//! decision each, by distinct requesters so no rate limit applies). None of the entries matches
//! the traffic, so what is measured is the matching itself, not alerts or holds.
//!
//! Measuring the two stores one after the other, as a plain criterion group does, compared
//! two different minutes of a shared machine: the no-hotlist store alone moved by 13 % between
//! runs, far more than the 5 % in question. So the stores are measured *interleaved*: pair
//! after pair (1,500 by default), one 1,000-read batch into each, the order alternating from
//! pair to pair (the second store of a pair runs about 4 % slower, whichever it is), so
//! whatever the machine is doing falls on both alike. The figure is the ratio of the mean batch
//! times, with a 95 % confidence interval from resampling the pairs (bootstrap); the target is
//! met when the whole interval is at or below 1.05. The ratio of the medians is printed too, as
//! a second view; `--samples FILE` writes every pair's times as CSV.
//!
//! Before measuring, both stores are flushed, closed and opened again (timed: the hotlist
//! store's open reads its 100,000 entries back), and the compactions set off by 100,000
//! audited additions are given time to finish. The first batch into each store is timed on
//! its own (the hotlist store's hashes the entries under the epoch's key, which each new
//! epoch's first batch pays), then a few unmeasured pairs warm both up. After the pairs, one
//! entry is added and then removed, and the batch after each change is timed. The stores
//! live under `/dev/shm` when it exists, which makes ingest CPU-bound: the matching's share of
//! a batch is larger there than it would be on a disk, so the test is the stricter one.
//! Ingest is `Durability::Buffered` in both. `--test` (what `.ci/run` passes) runs a small
//! version that checks the bench works, not the figure.

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use platevault::model::record::NewRead;
use platevault::{
    CaseRequest, Durability, MasterKey, Policy, RemovalRequest, Span, Vault, VaultOptions,
};

const BATCH: usize = 1_000;
const TARGET_RATIO: f64 = 1.05;
const USAGE: &str =
    "usage: cargo bench --bench hotlist -- [--pairs N] [--entries N] [--samples FILE] [--json]";

/// What a run measures.
struct Options {
    /// Measured pairs of batches.
    pairs: usize,
    /// Live entries in the second store.
    entries: usize,
    /// Unmeasured pairs before measuring.
    warmup: usize,
    /// Pause for compactions after the setup.
    settle: Duration,
    /// Print one JSON object as the last line.
    json: bool,
    /// Write every measured pair's batch times here (CSV).
    samples: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut o = Options {
        pairs: 1_500,
        entries: 100_000,
        warmup: 40,
        settle: Duration::from_secs(10),
        json: false,
        samples: None,
    };
    let mut test = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            it.next()
                .ok_or(format!("{name} needs a value"))?
                .parse()
                .map_err(|e| format!("{name}: {e}"))
        };
        match a.as_str() {
            "--bench" => {}
            "--test" => test = true,
            "--json" => o.json = true,
            "--samples" => {
                o.samples = Some(it.next().ok_or("--samples needs a file")?.into());
            }
            "--pairs" => o.pairs = value("--pairs")?,
            "--entries" => o.entries = value("--entries")?,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    if test {
        o = Options {
            pairs: 6,
            entries: 1_000,
            warmup: 2,
            settle: Duration::ZERO,
            ..o
        };
    }
    if o.pairs < 2 {
        return Err("--pairs must be at least 2".into());
    }
    Ok(Some(o))
}

fn scratch() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).expect("tempdir in /dev/shm")
    } else {
        tempfile::tempdir().expect("tempdir")
    }
}

fn options() -> VaultOptions {
    VaultOptions::new()
        .durability(Durability::Buffered)
        .tuning(common::tuning())
        .simulated_clock(common::month_end())
}

fn store(dir: &std::path::Path, key: &MasterKey) -> Vault {
    let policy =
        Policy::from_toml("agency = \"CITY-PD\"\nsearches_per_requester_per_hour = 1000000\n")
            .expect("policy");
    Vault::create(dir, key, &policy, &options()).expect("create store")
}

/// Closes a store and opens it again, as a new process would; returns it and the open's time.
fn reopen(vault: Vault, dir: &std::path::Path, key: &MasterKey) -> (Vault, Duration) {
    vault.flush().expect("flush");
    drop(vault);
    let start = Instant::now();
    let vault = Vault::open(dir, key, &options()).expect("open store");
    (vault, start.elapsed())
}

/// A plate the simulated city never produces (its plates are three letters, four digits).
fn unlisted_plate(i: usize) -> String {
    format!("HL{i:06}")
}

fn fill_hotlist(vault: &Vault, entries: usize) {
    let expires = common::month_end().plus(Span::from_days(20));
    for i in 0..entries {
        let request = CaseRequest {
            plate: unlisted_plate(i),
            region: "CO".into(),
            case_number: format!("2026-{:06}", i + 1),
            offense: "STOLEN_VEHICLE".into(),
            purpose: "stolen-vehicle".into(),
            requester: format!("BULK-{i}"),
            agency: "CITY-PD".into(),
            ..CaseRequest::default()
        };
        let out = vault.hotlist_add(&request, expires).expect("hotlist add");
        assert!(
            out.entry.is_some(),
            "entry {i} refused: {}",
            out.reason_code()
        );
    }
    assert_eq!(vault.hotlist().expect("list").len(), entries);
}

/// Ingests one batch and returns how long it took.
fn timed_ingest(vault: &Vault, batch: &[NewRead]) -> Duration {
    let batch = batch.to_vec();
    let start = Instant::now();
    let report = vault.ingest(batch).expect("ingest");
    let took = start.elapsed();
    assert_eq!(report.stored.len(), BATCH);
    assert!(report.alerts.is_empty(), "the traffic matched an entry");
    took
}

/// Batch times in microseconds, one pair per index.
struct Pairs {
    none: Vec<f64>,
    hotlist: Vec<f64>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// A small deterministic generator for the bootstrap (splitmix64), so a run's interval
/// is reproducible from its samples.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// The ratio `stat(hotlist) / stat(none)` of the batch times and its 95 % bootstrap
/// interval, resampling whole pairs.
fn ratio_with_interval(p: &Pairs, stat: fn(&[f64]) -> f64) -> (f64, f64, f64) {
    let ratio = stat(&p.hotlist) / stat(&p.none);
    let n = p.none.len();
    let mut rng = SplitMix(20_261_129);
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    let mut ratios: Vec<f64> = (0..2_000)
        .map(|_| {
            for k in 0..n {
                let i = rng.below(n);
                a[k] = p.none[i];
                b[k] = p.hotlist[i];
            }
            stat(&b) / stat(&a)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    (
        ratio,
        ratios[ratios.len() * 25 / 1000],
        ratios[ratios.len() * 975 / 1000],
    )
}

fn main() {
    let o = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("hotlist bench: {e}");
            std::process::exit(2);
        }
    };
    let reads = common::reads(20 * BATCH as u64, 1, 0, 7);
    let batches: Vec<&[NewRead]> = reads.chunks(BATCH).collect();

    let dir = scratch();
    let key = MasterKey::generate().expect("key");
    let (none_dir, hotlist_dir) = (dir.path().join("none"), dir.path().join("hotlist"));
    let none = store(&none_dir, &key);
    let hotlist = store(&hotlist_dir, &key);
    let start = Instant::now();
    fill_hotlist(&hotlist, o.entries);
    eprintln!(
        "hotlist bench: {} entries added in {:.1} s",
        o.entries,
        start.elapsed().as_secs_f64()
    );
    // Both reopened, as a process starting on these stores would: the hotlist store's open
    // reads its entries back.
    let (none, open_none) = reopen(none, &none_dir, &key);
    let (hotlist, open_hotlist) = reopen(hotlist, &hotlist_dir, &key);
    std::thread::sleep(o.settle);

    // The first batch into each store, alone: the hotlist store's hashes the entries under
    // the epoch's key (what every new epoch's first batch pays).
    let first_none = timed_ingest(&none, batches[0]);
    let first_hotlist = timed_ingest(&hotlist, batches[0]);

    let mut p = Pairs {
        none: Vec::with_capacity(o.pairs),
        hotlist: Vec::with_capacity(o.pairs),
    };
    for i in 0..o.warmup + o.pairs {
        let batch = batches[i % batches.len()];
        let (a, b) = if i % 2 == 0 {
            let a = timed_ingest(&none, batch);
            (a, timed_ingest(&hotlist, batch))
        } else {
            let b = timed_ingest(&hotlist, batch);
            (timed_ingest(&none, batch), b)
        };
        if i >= o.warmup {
            p.none.push(a.as_secs_f64() * 1e6);
            p.hotlist.push(b.as_secs_f64() * 1e6);
        }
    }

    // What a change to the list costs the next batch: an added entry is appended to the
    // index; a removal makes the epoch's tags be hashed again.
    let added = hotlist
        .hotlist_add(
            &CaseRequest {
                plate: unlisted_plate(o.entries),
                region: "CO".into(),
                case_number: "2026-999999".into(),
                offense: "STOLEN_VEHICLE".into(),
                purpose: "stolen-vehicle".into(),
                requester: "BULK-LAST".into(),
                agency: "CITY-PD".into(),
                ..CaseRequest::default()
            },
            common::month_end().plus(Span::from_days(20)),
        )
        .expect("hotlist add")
        .entry
        .expect("allowed");
    let after_add = timed_ingest(&hotlist, batches[1]);
    let start = Instant::now();
    assert!(
        hotlist
            .hotlist_remove(
                &added.entry_id,
                &RemovalRequest {
                    requester: "SGT-1".into(),
                    agency: "CITY-PD".into(),
                    role: None,
                },
            )
            .expect("remove")
            .removed
    );
    let remove = start.elapsed();
    let after_remove = timed_ingest(&hotlist, batches[2]);

    let (ratio, low, high) = ratio_with_interval(&p, mean);
    let (m_ratio, m_low, m_high) = ratio_with_interval(&p, median);
    if let Some(path) = &o.samples {
        let mut csv = String::from("pair,first,none_us,hotlist_us\n");
        for i in 0..p.none.len() {
            let first = if (o.warmup + i) % 2 == 0 {
                "none"
            } else {
                "hotlist"
            };
            csv.push_str(&format!(
                "{i},{first},{:.1},{:.1}\n",
                p.none[i], p.hotlist[i]
            ));
        }
        std::fs::write(path, csv).expect("write the samples");
    }
    let met = high <= TARGET_RATIO;
    println!(
        "hotlist_ingest: {} interleaved pairs of {BATCH}-read batches, {} live entries",
        o.pairs, o.entries
    );
    for (name, v) in [("no hotlist", &p.none), ("hotlist", &p.hotlist)] {
        println!(
            "  {name:<10}  mean {:>7.0} µs  median {:>7.0} µs  ({:.0} reads/s)",
            mean(v),
            median(v),
            BATCH as f64 / (mean(v) / 1e6)
        );
    }
    println!(
        "  open: no hotlist {:.1} ms, hotlist {:.1} ms (reads the entries back)",
        open_none.as_secs_f64() * 1e3,
        open_hotlist.as_secs_f64() * 1e3
    );
    println!(
        "  first batch: no hotlist {:.1} ms, hotlist {:.1} ms (hashes the entries for the epoch)",
        first_none.as_secs_f64() * 1e3,
        first_hotlist.as_secs_f64() * 1e3
    );
    println!(
        "  after an entry is added: next batch {:.1} ms; removing it: {:.1} ms, next batch {:.1} ms",
        after_add.as_secs_f64() * 1e3,
        remove.as_secs_f64() * 1e3,
        after_remove.as_secs_f64() * 1e3
    );
    println!(
        "  ratio of means {ratio:.4}  (95 % interval {low:.4} to {high:.4}); target <= {TARGET_RATIO}: {}",
        if met { "met" } else { "not shown" }
    );
    println!(
        "  ratio of medians {m_ratio:.4}  (95 % interval {m_low:.4} to {m_high:.4}), a second view"
    );
    if o.json {
        println!(
            "{{\"pairs\":{},\"entries\":{},\"batch\":{BATCH},\"none_mean_us\":{:.1},\"hotlist_mean_us\":{:.1},\"none_median_us\":{:.1},\"hotlist_median_us\":{:.1},\"ratio\":{ratio:.4},\"ratio_low\":{low:.4},\"ratio_high\":{high:.4},\"median_ratio\":{m_ratio:.4},\"median_ratio_low\":{m_low:.4},\"median_ratio_high\":{m_high:.4},\"target\":{TARGET_RATIO},\"met\":{met},\"open_none_ms\":{:.2},\"open_hotlist_ms\":{:.2},\"first_batch_none_ms\":{:.2},\"first_batch_hotlist_ms\":{:.2},\"after_add_batch_ms\":{:.2},\"remove_ms\":{:.2},\"after_remove_batch_ms\":{:.2}}}",
            o.pairs,
            o.entries,
            mean(&p.none),
            mean(&p.hotlist),
            median(&p.none),
            median(&p.hotlist),
            open_none.as_secs_f64() * 1e3,
            open_hotlist.as_secs_f64() * 1e3,
            first_none.as_secs_f64() * 1e3,
            first_hotlist.as_secs_f64() * 1e3,
            after_add.as_secs_f64() * 1e3,
            remove.as_secs_f64() * 1e3,
            after_remove.as_secs_f64() * 1e3
        );
    }
}
