//! The peers benchmark: one synthetic month of city traffic through three engines.
//!
//! - `platevault`: a simulation store under the default policy (daily epochs, 30 days),
//!   `Durability::Buffered` (WAL on, no sync per batch), the whole product: canonical plates,
//!   keyed tags, sealed records and images, per-epoch keys, policy and audit on every search.
//! - `rocksdb_raw`: the floor. RocksDB through the `rocksdb` crate with the same layout (a
//!   column family per day, `R || plate || read id` keys with the plaintext region and plate
//!   padded to 16 bytes where the tag would be, images in blob files) and the same memory
//!   settings (see `raw.rs` for the one difference), but no hashing, no encryption, no
//!   policy and no audit.
//! - `sqlite`: what an agency would build instead. SQLite (bundled, WAL mode,
//!   `synchronous=NORMAL`), one table indexed on `(tag, epoch)` and on `epoch`, the same keyed
//!   hashing and sealing as platevault (`platevault::crypto::seal`), batches of 1,000 in one
//!   transaction, expiry by `DELETE ... WHERE epoch = ?`.
//!
//! Every engine sees the same reads (from `platevault::sim::traffic`), in batches of 1,000, and
//! answers the same searches: an exact plate over a 30-day window, that is 30 per-epoch
//! lookups. Only the engine's own calls are timed; generating the traffic is not.
//!
//! The bench binary runs each engine in a child process of its own (peak memory is per
//! process) and drives the three children phase by phase, interleaved: the engines take
//! turns ingesting a tenth of the month each (ten rounds, so that a change of load on a
//! shared machine falls on all of them alike), then every engine searches, then every engine
//! expires three days. Tests drive the same engines in-process with [`run_in_process`].

#![allow(dead_code)]

pub mod platevault_engine;
pub mod raw;
pub mod sqlite;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use platevault::model::record::NewRead;
use platevault::sim::traffic::{SimConfig, Simulation};
use platevault::{StoreTuning, Timestamp};
use serde::{Deserialize, Serialize};

/// Reads in the default run: finishes within a minute on two cores.
pub const DEFAULT_READS: u64 = 100_000;

/// The bench's command line.
pub const USAGE: &str = "usage: cargo bench --bench peers -- [--reads N (default 100000)] [--image-bytes B (default 0)] [--seed S (default 42)] [--epoch-buffer-mib M] [--dir DIR] [--json]";

/// Parsed arguments.
#[derive(Clone, Debug)]
pub struct Options {
    /// The workload.
    pub workload: Workload,
    /// Print one JSON object on the last line.
    pub json: bool,
    /// Child mode: serve this engine.
    pub engine: Option<String>,
    /// Where the engines' directories go (child mode: the engine's own directory).
    pub dir: Option<std::path::PathBuf>,
}

/// Parses the arguments after the program name; `None` for `--help`. Accepts and ignores
/// `--bench`, which cargo passes to every `harness = false` bench target.
pub fn parse_args(args: &[String]) -> Result<Option<Options>> {
    let mut o = Options {
        workload: Workload {
            reads: DEFAULT_READS,
            image_bytes: 0,
            seed: 42,
            epoch_buffer_mib: None,
        },
        json: false,
        engine: None,
        dir: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<String> {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value").into())
        };
        match a.as_str() {
            "--bench" => {}
            "--json" => o.json = true,
            "--reads" => o.workload.reads = value("--reads")?.parse()?,
            "--image-bytes" => o.workload.image_bytes = value("--image-bytes")?.parse()?,
            "--seed" => o.workload.seed = value("--seed")?.parse()?,
            "--epoch-buffer-mib" => {
                o.workload.epoch_buffer_mib = Some(value("--epoch-buffer-mib")?.parse()?)
            }
            "--engine" => o.engine = Some(value("--engine")?),
            "--dir" => o.dir = Some(std::path::PathBuf::from(value("--dir")?)),
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}; {USAGE}").into()),
        }
    }
    if o.workload.reads < BATCH as u64 {
        return Err(format!("--reads must be at least {BATCH}").into());
    }
    Ok(Some(o))
}

/// A boxed error: the bench reports what failed and stops.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A result with a boxed error.
pub type Result<T> = std::result::Result<T, BoxError>;

/// Reads per write batch (the floor's batch size).
pub const BATCH: usize = 1_000;
/// Days of traffic: one month of daily epochs, the default policy's retention.
pub const DAYS: u32 = 30;
/// The month is ingested in this many rounds, the engines taking turns, so that a change
/// of load on a shared machine falls on all of them alike.
pub const INGEST_ROUNDS: usize = 10;
/// Distinct plates searched for.
pub const SEARCH_PLATES: usize = 250;
/// Timed searches (after one untimed warm-up pass over every plate).
pub const TIMED_SEARCHES: usize = 1_000;
/// The engines, in the order they run in each phase.
pub const ENGINES: [&str; 3] = ["rocksdb_raw", "platevault", "sqlite"];

/// The instant the simulated month ends (a UTC midnight, so the month is 30 whole epochs).
pub fn month_end() -> Timestamp {
    Timestamp::from_unix_secs(1_793_491_200) // 2026-11-01T00:00:00Z
}

/// What to run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Workload {
    /// Reads over the month.
    pub reads: u64,
    /// Synthetic image bytes per read (0 for metadata only).
    pub image_bytes: usize,
    /// Seed of the simulated city.
    pub seed: u64,
    /// Memtable size of one day's column family, MiB, for platevault and the floor alike
    /// (`None`: `StoreTuning::default()`).
    pub epoch_buffer_mib: Option<usize>,
}

impl Workload {
    /// The memory settings of platevault's store, mirrored by the floor.
    pub fn tuning(&self) -> StoreTuning {
        let mut t = StoreTuning::default();
        if let Some(mib) = self.epoch_buffer_mib {
            t.epoch_write_buffer_bytes = mib << 20;
        }
        t
    }

    /// How long a phase may take before the engine is declared stuck, in seconds.
    pub fn phase_timeout_secs(&self) -> u64 {
        let bytes = self.reads * (300 + self.image_bytes as u64);
        120 + self.reads / 2_000 + bytes / 10_000_000
    }

    /// The simulated city of this workload.
    pub fn simulation(&self) -> Simulation {
        Simulation::new(
            SimConfig::new(self.reads, DAYS, month_end(), self.seed).image_bytes(self.image_bytes),
        )
    }
}

/// What the engines store per read, counted the same way for all of them: the record key
/// (33 bytes), the record as platevault seals it (encoded metadata plus 29 bytes of nonce,
/// tag and format byte) and, with an image, its key (17 bytes) and sealed image.
pub fn logical_bytes(read: &NewRead) -> u64 {
    const SEAL: u64 = platevault::crypto::seal::SEAL_OVERHEAD as u64;
    // version, flags, time, camera length, camera, lat, lon, confidence, image len + digest.
    let mut record = 1 + 1 + 8 + 2 + read.camera.len() as u64;
    if read.lat.is_some() {
        record += 16;
    }
    if read.confidence.is_some() {
        record += 4;
    }
    let image = read.image.as_ref().map_or(0, |img| img.len() as u64);
    if read.image.is_some() {
        record += 4 + 32;
    }
    let mut total = 33 + record + SEAL;
    if read.image.is_some() {
        total += 17 + image + SEAL;
    }
    total
}

/// One search's timings and result count.
#[derive(Clone, Copy, Debug)]
pub struct SearchSample {
    /// The lookup alone (for platevault: `SearchOutcome::lookup_time`, audit excluded).
    pub lookup: Duration,
    /// The whole call (for platevault: `vault.search`, durable audit entries included).
    pub end_to_end: Duration,
    /// Reads returned.
    pub found: usize,
}

/// One engine under test.
pub trait Engine {
    /// Stores one batch of reads.
    fn ingest(&mut self, batch: Vec<NewRead>) -> Result<()>;
    /// Searches one exact plate over the 30-day window; `n` numbers the search.
    fn search(&mut self, plate: &str, region: &str, n: usize) -> Result<SearchSample>;
    /// Removes the oldest day; returns how long it took and how many reads it removed
    /// (when the engine can tell).
    fn expire_oldest_day(&mut self) -> Result<(Duration, Option<u64>)>;
    /// How the engine was set up, in one line.
    fn settings(&self) -> String;
}

/// Opens an engine by name in `dir`.
pub fn open_engine(name: &str, dir: &Path, workload: &Workload) -> Result<Box<dyn Engine>> {
    match name {
        "platevault" => Ok(Box::new(platevault_engine::PlatevaultEngine::create(
            dir, workload,
        )?)),
        "rocksdb_raw" => Ok(Box::new(raw::RawEngine::create(dir, workload.tuning())?)),
        "sqlite" => Ok(Box::new(sqlite::SqliteEngine::create(
            dir,
            workload.tuning().block_cache_bytes,
        )?)),
        other => Err(format!("unknown engine {other:?}; known: {ENGINES:?}").into()),
    }
}

/// The result of the ingest phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IngestFigures {
    /// Reads stored.
    pub reads: u64,
    /// Seconds inside the engine's ingest calls.
    pub seconds: f64,
    /// Reads per second.
    pub reads_per_s: f64,
    /// Workload megabytes (10^6 bytes, see [`logical_bytes`]) per second.
    pub mb_per_s: f64,
    /// Bytes of every file under the engine's directory after ingest.
    pub disk_bytes: u64,
}

/// The result of the search phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SearchFigures {
    /// Timed searches.
    pub searches: usize,
    /// Median lookup time, microseconds.
    pub p50_us: f64,
    /// 99th percentile lookup time, microseconds.
    pub p99_us: f64,
    /// Median whole-call time, microseconds.
    pub e2e_p50_us: f64,
    /// 99th percentile whole-call time, microseconds.
    pub e2e_p99_us: f64,
    /// Reads returned by the timed searches, all together (equal across engines).
    pub reads_found: u64,
    /// Most reads one search returned.
    pub max_found: u64,
}

/// Consecutive days expired in the expiry phase.
pub const EXPIRED_DAYS: usize = 3;

/// The result of the expiry phase: the oldest [`EXPIRED_DAYS`] days, one after the other.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExpireFigures {
    /// Median milliseconds to remove one day.
    pub ms: f64,
    /// Milliseconds for the first day (right after the bulk ingest: for platevault its purge
    /// then flushes every memtable of the month).
    pub first_ms: f64,
    /// Milliseconds of each day, in order.
    pub each_ms: Vec<f64>,
    /// Reads the first day held, when the engine reports it.
    pub reads_removed: Option<u64>,
}

/// One engine's whole result.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EngineFigures {
    /// How the engine was set up.
    pub settings: String,
    /// Ingest.
    pub ingest: IngestFigures,
    /// Search.
    pub search: SearchFigures,
    /// Expiry of one day.
    pub expire: ExpireFigures,
    /// Peak resident memory of the process (VmHWM).
    pub peak_rss_bytes: u64,
}

/// Drives one engine through the phases; the same code runs in a child or in-process.
pub struct Driver {
    workload: Workload,
    engine: Box<dyn Engine>,
    dir: PathBuf,
    plates: Vec<(String, String)>,
    traffic: Box<dyn Iterator<Item = NewRead>>,
    ingested: IngestFigures,
    bytes: u64,
}

impl Driver {
    /// Opens `engine` in `dir` (a fresh directory).
    pub fn new(engine: &str, dir: &Path, workload: &Workload) -> Result<Driver> {
        std::fs::create_dir_all(dir)?;
        // The month's traffic, generated lazily as the rounds ask for it (the simulation is
        // leaked: one per engine process, alive until it exits).
        let sim: &'static Simulation = Box::leak(Box::new(workload.simulation()));
        Ok(Driver {
            workload: workload.clone(),
            engine: open_engine(engine, dir, workload)?,
            dir: dir.to_path_buf(),
            plates: Vec::new(),
            traffic: Box::new(sim.reads()),
            ingested: IngestFigures::default(),
            bytes: 0,
        })
    }

    /// The engine's settings line.
    pub fn settings(&self) -> String {
        self.engine.settings()
    }

    /// Stores round `round` (of [`INGEST_ROUNDS`]) of the month in batches of [`BATCH`];
    /// only the engine's calls are timed. Picks the plates to search for on the way (the
    /// same ones for every engine). The figures are complete after the last round.
    pub fn ingest_round(&mut self, round: usize) -> Result<IngestFigures> {
        let total = self.workload.reads;
        let upto = total * (round as u64 + 1) / INGEST_ROUNDS as u64;
        // Plates of reads taken at an even stride: vehicles as often as they pass cameras
        // (commuters and the long tail alike), the same ones for every engine.
        let stride = (total / SEARCH_PLATES as u64).max(1);
        let mut busy = Duration::ZERO;
        while self.ingested.reads < upto {
            let n = (upto - self.ingested.reads).min(BATCH as u64) as usize;
            let batch: Vec<NewRead> = self.traffic.by_ref().take(n).collect();
            if batch.is_empty() {
                break;
            }
            for r in &batch {
                self.bytes += logical_bytes(r);
                if self.ingested.reads.is_multiple_of(stride) && self.plates.len() < SEARCH_PLATES {
                    self.plates.push((r.plate.clone(), r.region.clone()));
                }
                self.ingested.reads += 1;
            }
            let started = Instant::now();
            self.engine.ingest(batch)?;
            busy += started.elapsed();
        }
        let f = &mut self.ingested;
        f.seconds += busy.as_secs_f64();
        let secs = f.seconds.max(1e-9);
        f.reads_per_s = f.reads as f64 / secs;
        f.mb_per_s = self.bytes as f64 / 1e6 / secs;
        if round + 1 == INGEST_ROUNDS {
            f.disk_bytes = dir_bytes(&self.dir);
        }
        Ok(f.clone())
    }

    /// Stores the whole month (every round).
    pub fn ingest(&mut self) -> Result<IngestFigures> {
        let mut f = IngestFigures::default();
        for round in 0..INGEST_ROUNDS {
            f = self.ingest_round(round)?;
        }
        Ok(f)
    }

    /// One untimed pass over every plate (warm cache), then [`TIMED_SEARCHES`] timed ones.
    pub fn search(&mut self) -> Result<SearchFigures> {
        if self.plates.is_empty() {
            return Err("search before ingest".into());
        }
        let mut n = 0usize;
        for (plate, region) in self.plates.clone() {
            self.engine.search(&plate, &region, n)?;
            n += 1;
        }
        let mut lookups = Vec::with_capacity(TIMED_SEARCHES);
        let mut e2e = Vec::with_capacity(TIMED_SEARCHES);
        let mut found = 0u64;
        let mut max_found = 0u64;
        for i in 0..TIMED_SEARCHES {
            let (plate, region) = &self.plates[i % self.plates.len()];
            let s = self.engine.search(plate, region, n)?;
            n += 1;
            lookups.push(s.lookup.as_secs_f64() * 1e6);
            e2e.push(s.end_to_end.as_secs_f64() * 1e6);
            found += s.found as u64;
            max_found = max_found.max(s.found as u64);
        }
        Ok(SearchFigures {
            searches: TIMED_SEARCHES,
            p50_us: percentile(&mut lookups, 50.0),
            p99_us: percentile(&mut lookups, 99.0),
            e2e_p50_us: percentile(&mut e2e, 50.0),
            e2e_p99_us: percentile(&mut e2e, 99.0),
            reads_found: found,
            max_found,
        })
    }

    /// Removes the oldest [`EXPIRED_DAYS`] days, one at a time.
    pub fn expire(&mut self) -> Result<ExpireFigures> {
        let mut each = Vec::with_capacity(EXPIRED_DAYS);
        let mut first_removed = None;
        for i in 0..EXPIRED_DAYS {
            let (took, removed) = self.engine.expire_oldest_day()?;
            if i == 0 {
                first_removed = removed;
            }
            each.push(took.as_secs_f64() * 1e3);
        }
        let first = each[0];
        let mut sorted = each.clone();
        Ok(ExpireFigures {
            ms: percentile(&mut sorted, 50.0),
            first_ms: first,
            each_ms: each,
            reads_removed: first_removed,
        })
    }
}

/// The `p`-th percentile (nearest rank) of `values`.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// Total bytes of the files under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => total += dir_bytes(&e.path()),
            Ok(_) => total += e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => {}
        }
    }
    total
}

/// Peak resident memory of this process (VmHWM in /proc/self/status), in bytes.
pub fn peak_rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// The whole report: `{"reads","image_bytes","engines","ratios",...}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Reads over the month.
    pub reads: u64,
    /// Image bytes per read.
    pub image_bytes: usize,
    /// The engines' figures, flattened to the documented fields.
    pub engines: serde_json::Map<String, serde_json::Value>,
    /// The side-by-side ratios.
    pub ratios: serde_json::Map<String, serde_json::Value>,
    /// Each of the brief's targets: its bound, the measured ratio and whether it holds.
    pub targets: Vec<serde_json::Value>,
    /// Seed, days, batch size, searches, mode.
    pub setup: serde_json::Value,
}

/// Builds the report from the three engines' figures.
pub fn report(
    workload: &Workload,
    figures: &[(String, EngineFigures)],
    mode: &str,
) -> Result<Report> {
    let get = |name: &str| -> Result<&EngineFigures> {
        figures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f)
            .ok_or_else(|| format!("no figures for engine {name}").into())
    };
    let mut engines = serde_json::Map::new();
    for (name, f) in figures {
        let mut e = serde_json::json!({
            "ingest_reads_per_s": round(f.ingest.reads_per_s, 0),
            "ingest_mb_per_s": round(f.ingest.mb_per_s, 2),
            "search_p50_us": round(f.search.p50_us, 1),
            "search_p99_us": round(f.search.p99_us, 1),
            "expire_day_ms": round(f.expire.ms, 2),
            "expire_first_day_ms": round(f.expire.first_ms, 2),
            "expire_each_ms": f.expire.each_ms.iter().map(|v| round(*v, 2)).collect::<Vec<_>>(),
            "search_reads_mean": round(f.search.reads_found as f64 / f.search.searches.max(1) as f64, 1),
            "search_reads_max": f.search.max_found,
            "disk_bytes": f.ingest.disk_bytes,
            "peak_rss_bytes": f.peak_rss_bytes,
            "reads_found": f.search.reads_found,
            "settings": f.settings,
        });
        if name == "platevault"
            && let Some(obj) = e.as_object_mut()
        {
            obj.insert(
                "search_e2e_p50_us".into(),
                round(f.search.e2e_p50_us, 1).into(),
            );
            obj.insert(
                "search_e2e_p99_us".into(),
                round(f.search.e2e_p99_us, 1).into(),
            );
            if let Some(r) = f.expire.reads_removed {
                obj.insert("expire_day_reads".into(), r.into());
            }
        }
        engines.insert(name.clone(), e);
    }
    let pv = get("platevault")?;
    let raw = get("rocksdb_raw")?;
    let sql = get("sqlite")?;
    let ratio = |a: f64, b: f64| if b > 0.0 { round(a / b, 3) } else { 0.0 };
    let mut ratios = serde_json::Map::new();
    let ingest_vs_raw = ratio(pv.ingest.reads_per_s, raw.ingest.reads_per_s);
    let ingest_vs_sqlite = ratio(pv.ingest.reads_per_s, sql.ingest.reads_per_s);
    let expire_vs_sqlite = ratio(sql.expire.ms, pv.expire.ms);
    let expire_vs_raw_drop = ratio(pv.expire.ms, raw.expire.ms);
    let search_p99_vs_raw = ratio(pv.search.p99_us, raw.search.p99_us);
    ratios.insert("ingest_vs_raw".into(), ingest_vs_raw.into());
    ratios.insert("ingest_vs_sqlite".into(), ingest_vs_sqlite.into());
    ratios.insert("expire_vs_sqlite".into(), expire_vs_sqlite.into());
    ratios.insert("expire_vs_raw_drop".into(), expire_vs_raw_drop.into());
    ratios.insert("search_p99_vs_raw".into(), search_p99_vs_raw.into());

    let images = workload.image_bytes > 0;
    let mut targets = vec![
        target(
            "ingest_vs_raw",
            ">=",
            if images { 0.85 } else { 0.6 },
            ingest_vs_raw,
        ),
        target(
            "ingest_vs_sqlite",
            ">=",
            if images { 2.0 } else { 8.0 },
            ingest_vs_sqlite,
        ),
        target("expire_vs_sqlite", ">=", 5.0, expire_vs_sqlite),
        target("expire_vs_raw_drop", "<=", 4.0, expire_vs_raw_drop),
    ];
    if !images {
        targets.push(target("search_p99_vs_raw", "<=", 2.0, search_p99_vs_raw));
    }
    targets.push(target(
        "platevault.search_e2e_p99_ms",
        "<",
        3.0,
        round(pv.search.e2e_p99_us / 1e3, 3),
    ));
    targets.push(target(
        "platevault.peak_rss_mib",
        "<",
        300.0,
        round(pv.peak_rss_bytes as f64 / (1 << 20) as f64, 1),
    ));
    Ok(Report {
        reads: workload.reads,
        image_bytes: workload.image_bytes,
        engines,
        ratios,
        targets,
        setup: serde_json::json!({
            "seed": workload.seed,
            "days": DAYS,
            "daily_epochs": true,
            "batch": BATCH,
            "search_plates": SEARCH_PLATES,
            "expired_days": EXPIRED_DAYS,
            "expire_day_ms": "median of the oldest 3 days expired one after the other; expire_first_day_ms is the first, right after the bulk ingest",
            "timed_searches": TIMED_SEARCHES,
            "search_window_days": DAYS,
            "mode": mode,
            "note": "brief targets are meant for --reads 2000000 (metadata) and --reads 200000 --image-bytes 8192; fixed costs dominate small runs",
        }),
    })
}

fn target(figure: &str, op: &str, bound: f64, measured: f64) -> serde_json::Value {
    let met = match op {
        ">=" => measured >= bound,
        "<=" => measured <= bound,
        _ => measured < bound,
    };
    serde_json::json!({"figure": figure, "target": format!("{op} {bound}"), "measured": measured, "met": met})
}

fn round(v: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (v * m).round() / m
}

impl Report {
    /// The one-line JSON document.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string(self)?)
    }

    /// A table for people.
    pub fn to_table(&self) -> String {
        let mut s = format!(
            "peers: {} reads over {} days (daily epochs), image bytes {}, batches of {}, {} timed searches of a {}-day window\n\n",
            self.reads, DAYS, self.image_bytes, BATCH, TIMED_SEARCHES, DAYS
        );
        s.push_str(&format!(
            "{:<12} {:>11} {:>7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8} {:>8}\n",
            "engine",
            "ingest r/s",
            "MB/s",
            "p50 us",
            "p99 us",
            "e2e p99",
            "expire ms",
            "1st day",
            "disk MB",
            "peak MiB"
        ));
        for name in ENGINES {
            let Some(e) = self.engines.get(name) else {
                continue;
            };
            let f = |k: &str| e.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
            let e2e = if name == "platevault" {
                format!("{:.0}", f("search_e2e_p99_us"))
            } else {
                "-".into()
            };
            s.push_str(&format!(
                "{:<12} {:>11.0} {:>7.1} {:>8.1} {:>8.1} {:>9} {:>9.2} {:>9.2} {:>8.1} {:>8.1}\n",
                name,
                f("ingest_reads_per_s"),
                f("ingest_mb_per_s"),
                f("search_p50_us"),
                f("search_p99_us"),
                e2e,
                f("expire_day_ms"),
                f("expire_first_day_ms"),
                f("disk_bytes") / 1e6,
                f("peak_rss_bytes") / (1u64 << 20) as f64,
            ));
        }
        s.push_str(&format!(
            "\nsearches return {} reads on average, {} at most; expire ms = median of {EXPIRED_DAYS} consecutive days, 1st day = right after the bulk ingest\n",
            self.engines
                .get("platevault")
                .and_then(|e| e.get("search_reads_mean"))
                .cloned()
                .unwrap_or_default(),
            self.engines
                .get("platevault")
                .and_then(|e| e.get("search_reads_max"))
                .cloned()
                .unwrap_or_default(),
        ));
        s.push_str("\nsettings:\n");
        for name in ENGINES {
            if let Some(set) = self
                .engines
                .get(name)
                .and_then(|e| e.get("settings"))
                .and_then(serde_json::Value::as_str)
            {
                s.push_str(&format!("  {name}: {set}\n"));
            }
        }
        s.push_str("\nratios and the brief's targets:\n");
        for t in &self.targets {
            s.push_str(&format!(
                "  {:<30} {:>10}  target {:<8} {}\n",
                t["figure"].as_str().unwrap_or(""),
                t["measured"],
                t["target"].as_str().unwrap_or(""),
                if t["met"].as_bool().unwrap_or(false) {
                    "met"
                } else {
                    "MISSED"
                }
            ));
        }
        s
    }
}

/// Runs the three engines one after the other in this process, interleaved by phase (for
/// tests: peak memory is then the whole process's, not an engine's).
pub fn run_in_process(workload: &Workload, dir: &Path) -> Result<Report> {
    let mut drivers = Vec::new();
    for name in ENGINES {
        drivers.push((name, Driver::new(name, &dir.join(name), workload)?));
    }
    let mut figures: Vec<(String, EngineFigures)> = drivers
        .iter()
        .map(|(n, d)| {
            (
                n.to_string(),
                EngineFigures {
                    settings: d.settings(),
                    ..EngineFigures::default()
                },
            )
        })
        .collect();
    for round in 0..INGEST_ROUNDS {
        for (i, (_, d)) in drivers.iter_mut().enumerate() {
            figures[i].1.ingest = d.ingest_round(round)?;
        }
    }
    for (i, (_, d)) in drivers.iter_mut().enumerate() {
        figures[i].1.search = d.search()?;
    }
    for (i, (_, d)) in drivers.iter_mut().enumerate() {
        figures[i].1.expire = d.expire()?;
    }
    let rss = peak_rss_bytes();
    for f in &mut figures {
        f.1.peak_rss_bytes = rss;
    }
    report(
        workload,
        &figures,
        "in-process (peak memory is the whole process's)",
    )
}

/// The child side: opens one engine and answers `ingest`, `search`, `expire` and `finish`
/// commands (one per line on stdin) with one JSON line each on stdout.
pub fn serve_child(engine: &str, dir: &Path, workload: &Workload) -> Result<()> {
    let mut driver = Driver::new(engine, dir, workload)?;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let reply = match line.trim() {
            "settings" => serde_json::to_string(&driver.settings())?,
            "ingest" => serde_json::to_string(&driver.ingest()?)?,
            cmd if cmd.starts_with("ingest ") => {
                let round: usize = cmd["ingest ".len()..].trim().parse()?;
                serde_json::to_string(&driver.ingest_round(round)?)?
            }
            "search" => serde_json::to_string(&driver.search()?)?,
            "expire" => serde_json::to_string(&driver.expire()?)?,
            "finish" => {
                writeln!(out, "{}", peak_rss_bytes())?;
                out.flush()?;
                return Ok(());
            }
            other => return Err(format!("unknown command {other:?}").into()),
        };
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(())
}

struct ChildEngine {
    name: &'static str,
    child: Child,
    stdin: ChildStdin,
    lines: std::sync::mpsc::Receiver<std::io::Result<String>>,
    timeout: Duration,
}

impl ChildEngine {
    fn spawn(name: &'static str, exe: &Path, dir: &Path, workload: &Workload) -> Result<Self> {
        let mut cmd = Command::new(exe);
        cmd.arg("--engine")
            .arg(name)
            .arg("--dir")
            .arg(dir.join(name))
            .arg("--reads")
            .arg(workload.reads.to_string())
            .arg("--image-bytes")
            .arg(workload.image_bytes.to_string())
            .arg("--seed")
            .arg(workload.seed.to_string());
        if let Some(mib) = workload.epoch_buffer_mib {
            cmd.arg("--epoch-buffer-mib").arg(mib.to_string());
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout: ChildStdout = child.stdout.take().ok_or("no stdout")?;
        // A reader thread, so that a stuck engine is noticed (recv_timeout) and killed.
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(ChildEngine {
            name,
            child,
            stdin,
            lines,
            timeout: Duration::from_secs(workload.phase_timeout_secs()),
        })
    }

    fn ask<T: serde::de::DeserializeOwned>(&mut self, command: &str) -> Result<T> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        match self.lines.recv_timeout(self.timeout) {
            Ok(line) => Ok(serde_json::from_str(line?.trim())?),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                Err(format!(
                    "engine {} gave no answer to {command} within {} s and was killed (stuck; see docs/benchmarks.md, 'write stall')",
                    self.name,
                    self.timeout.as_secs()
                )
                .into())
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                Err(format!("engine {} exited during {command}", self.name).into())
            }
        }
    }
}

impl Drop for ChildEngine {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The parent side: one child process per engine (re-executing this binary with
/// `--engine NAME`), driven phase by phase, interleaved.
pub fn run_children(workload: &Workload, dir: &Path, exe: &Path) -> Result<Report> {
    let mut children = Vec::new();
    for name in ENGINES {
        children.push(ChildEngine::spawn(name, exe, dir, workload)?);
    }
    let mut figures: Vec<(String, EngineFigures)> = Vec::new();
    for c in &mut children {
        let settings: String = c.ask("settings")?;
        figures.push((
            c.name.to_string(),
            EngineFigures {
                settings,
                ..EngineFigures::default()
            },
        ));
    }
    let started = Instant::now();
    for round in 0..INGEST_ROUNDS {
        for (i, c) in children.iter_mut().enumerate() {
            eprintln!(
                "peers: [{:>6.1}s] {} ingests round {}/{INGEST_ROUNDS}",
                started.elapsed().as_secs_f64(),
                c.name,
                round + 1
            );
            figures[i].1.ingest = c.ask(&format!("ingest {round}"))?;
        }
    }
    for (i, c) in children.iter_mut().enumerate() {
        eprintln!(
            "peers: [{:>6.1}s] {} searches",
            started.elapsed().as_secs_f64(),
            c.name
        );
        figures[i].1.search = c.ask("search")?;
    }
    for (i, c) in children.iter_mut().enumerate() {
        eprintln!(
            "peers: [{:>6.1}s] {} expires {EXPIRED_DAYS} days",
            started.elapsed().as_secs_f64(),
            c.name
        );
        figures[i].1.expire = c.ask("expire")?;
    }
    eprintln!("peers: [{:>6.1}s] done", started.elapsed().as_secs_f64());
    for (i, c) in children.iter_mut().enumerate() {
        figures[i].1.peak_rss_bytes = c.ask("finish")?;
        let status = c.child.wait()?;
        if !status.success() {
            return Err(format!("engine {} exited with {status}", c.name).into());
        }
    }
    report(
        workload,
        &figures,
        "one child process per engine, phases interleaved",
    )
}
