//! Crash safety under SIGKILL at random moments: a child process runs ingest, search,
//! expiry, legal holds and master-key rotation on one simulation store, and is killed at a
//! random delay (and, in a quarter of the runs, aborted at one of the named crash points of
//! expiry and rotation, `PLATEVAULT_CRASH_AT`); then the store is reopened and checked,
//! many times over on the same store. The child reports each operation on a pipe only after
//! it returned (an ingest batch only once `Vault::ingest` returned with the default synced
//! durability), so the harness knows what was acknowledged before the kill. After every kill:
//! every acknowledged read is present and intact unless its whole epoch has passed retention
//! and been certified deleted; the one batch in flight is all or nothing; no search returns a
//! read past retention and no expired epoch comes back; every `expiry_intent` has its
//! `deletion_certificate` once the store has been reopened, and no journal or key of a
//! certified epoch is left; a hold is either fully placed (metadata, case key and every
//! held copy) or absent; after an interrupted rotation exactly one of the two master keys
//! opens the store and the other is refused; the store's clock never moves back; the audit
//! log verifies and its entries are contiguous.
//!
//! The run is seeded: `PLATEVAULT_CRASH_SEED` fixes the operations the child chooses and the
//! kill delays (the exact instruction a kill lands on still depends on timing), and a failure
//! keeps the store directory for post-mortem. CI runs 40 kills; the long version runs
//! `PLATEVAULT_CRASH_ITERATIONS=5000` (see `docs/reliability.md`). The child is this test
//! binary itself, re-executed with `PLATEVAULT_CRASH_WORKER` set, running `crash_worker`.
//!
//! A SIGKILL tests process crashes, not power loss: what the kernel had accepted survives it
//! even without an fsync.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use platevault::store::header::Header;
use platevault::store::layout::{self, CF_HOLDS, CF_KEYS, CF_META};
use platevault::{
    EpochWidth, Error, MasterKey, RemovalRequest, Span, Timestamp, Vault, VaultOptions,
};
use serde::{Deserialize, Serialize};
use support::*;

/// Set (to the worker's JSON spec) in the child: `crash_worker` then runs the workload.
const WORKER_ENV: &str = "PLATEVAULT_CRASH_WORKER";
/// Retention, epoch width and search window of the store: short, so that a few dozen runs
/// of a few simulated hours each expire many epochs.
const RETENTION: &str = "2d";
const EPOCH: &str = "6h";
const RETENTION_SPAN: Span = Span::from_days(2);
const EPOCH_SPAN: Span = Span::from_hours(6);
/// Reads per ingest batch, all of one plate, 5 hours apart: a batch spans five epochs.
const READS_PER_BATCH: u64 = 6;
/// The simulated clock's start.
const T0: &str = "2026-03-01T00:00:00Z";
/// Operations a worker runs at most before it exits by itself (it is nearly always killed
/// long before).
const MAX_OPS: u64 = 600;

/// Every named crash point (`expiry::points` and `rotation::points`, crate-private).
const POINTS: [&str; 8] = [
    "expiry:after-intent",
    "expiry:after-keys-destroyed",
    "expiry:after-drop",
    "expiry:after-purge",
    "rotation:after-prepare",
    "rotation:after-header-both",
    "rotation:after-commit",
    "rotation:after-header-new",
];

/// What the child is to do.
#[derive(Debug, Serialize, Deserialize)]
struct WorkerSpec {
    store: PathBuf,
    key: PathBuf,
    next_key: PathBuf,
    seed: u64,
    batch_base: u64,
    case_base: u64,
    /// The first operation: `rotate` or `clock` (a day forward, so that epochs expire).
    first: Option<String>,
}

/// The plate of batch `k`.
fn plate(k: u64) -> String {
    format!("B{k}")
}

/// The reads of batch `k` ingested at clock `at`: (captured_at, camera).
fn batch_reads(k: u64, at: Timestamp) -> Vec<(Timestamp, String)> {
    (0..READS_PER_BATCH)
        .map(|j| {
            (
                at.minus(Span::from_minutes(1 + j * 300)),
                format!("C{k}-{j}"),
            )
        })
        .collect()
}

/// The reads of batch `k` a search at `now` may return: captured strictly after
/// `now - retention` (and before `now`).
fn visible(k: u64, at: Timestamp, now: Timestamp) -> BTreeSet<(i64, String)> {
    let horizon = now.minus(RETENTION_SPAN);
    batch_reads(k, at)
        .into_iter()
        .filter(|(c, _)| *c > horizon && *c < now)
        .map(|(c, cam)| (c.as_micros(), cam))
        .collect()
}

fn found(out: &platevault::SearchOutcome) -> BTreeSet<(i64, String)> {
    out.reads
        .iter()
        .map(|r| (r.body.captured_at.as_micros(), r.body.camera.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The child.
// ---------------------------------------------------------------------------------------

/// The child's workload. In the parent (no `PLATEVAULT_CRASH_WORKER`) it does nothing.
#[test]
fn crash_worker() {
    let Ok(spec) = std::env::var(WORKER_ENV) else {
        return;
    };
    let spec: WorkerSpec = serde_json::from_str(&spec).expect("worker spec");
    // An abort at a named point must not leave a core dump (with key material) behind.
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Core,
        rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    if let Err(msg) = worker(&spec) {
        say(&format!("FAIL {msg}"));
        std::process::exit(3);
    }
    std::process::exit(0);
}

/// One line to the harness; `println!` flushes at the newline.
fn say(line: &str) {
    println!("PV {line}");
}

fn worker(spec: &WorkerSpec) -> Result<(), String> {
    let key = MasterKey::from_file(&spec.key).map_err(|e| e.to_string())?;
    let v = Vault::open(&spec.store, &key, &VaultOptions::new())
        .map_err(|e| format!("open after a crash: {e}"))?;
    say(&format!("OPENED {}", v.now().as_micros()));
    let mut rng = Rng::new(spec.seed);
    let mut acked: Vec<(u64, Timestamp)> = Vec::new();
    let mut holds: Vec<String> = Vec::new();
    let mut next_batch = spec.batch_base;
    let mut next_case = spec.case_base;
    let mut requests = 0u64;
    let mut rotated = false;
    let mut requester = || {
        requests += 1;
        format!("W{}-{requests}", spec.seed % 1_000_000)
    };
    for step in 0..MAX_OPS {
        let op = match (step, spec.first.as_deref()) {
            (0, Some("rotate")) => 99,
            (0, Some("clock")) => 50,
            _ => rng.below(100),
        };
        match op {
            0..=44 => {
                let at = v.now();
                let k = next_batch;
                next_batch += 1;
                // One batch in nine is of a plate hotlisted just before: its reads, their
                // holds and their alert entries land in one batch.
                let hot = rng.chance(11);
                if hot {
                    let case = format!("2026-9{k:07}");
                    let out = v
                        .hotlist_add(
                            &hotlist_request(&plate(k), &case, &requester()),
                            at.plus(Span::from_days(1)),
                        )
                        .map_err(|e| format!("hotlist add: {e}"))?;
                    if !out.decision.is_allowed() {
                        return Err(format!("hotlist add denied: {:?}", out.decision));
                    }
                    say(&format!("HOTLIST {k}"));
                }
                let reads = batch_reads(k, at)
                    .into_iter()
                    .map(|(c, cam)| read(&plate(k), c, &cam))
                    .collect();
                say(&format!("INGEST {k} {}", at.as_micros()));
                let report = v.ingest(reads).map_err(|e| format!("ingest: {e}"))?;
                if report.stored.len() as u64 != READS_PER_BATCH {
                    return Err(format!("batch {k}: refused reads {:?}", report.rejected));
                }
                let alerts = if hot { READS_PER_BATCH } else { 0 };
                if report.alerts.len() as u64 != alerts {
                    return Err(format!(
                        "batch {k} raised {} alerts, not {alerts}",
                        report.alerts.len()
                    ));
                }
                say(&format!("ACK {k}"));
                acked.push((k, at));
            }
            45..=64 => {
                let hours = if op == 50 {
                    24
                } else if rng.chance(10) {
                    18
                } else {
                    rng.between(1, 6)
                };
                let to = v.now().plus(Span::from_hours(hours));
                let now = v.advance_clock(to).map_err(|e| format!("clock: {e}"))?;
                say(&format!("CLOCK {}", now.as_micros()));
            }
            65..=79 => {
                let Some(&(k, at)) = pick(&mut rng, &acked) else {
                    continue;
                };
                let out = try_search(&v, &plate(k), CASE, &requester())?;
                let want = visible(k, at, v.now());
                let got = found(&out);
                if got != want {
                    return Err(format!(
                        "search for batch {k} at {}: got {got:?}, want {want:?}",
                        v.now()
                    ));
                }
                say(&format!("SEARCH {k} {}", got.len()));
            }
            80..=87 => {
                let Some(&(k, at)) = pick(&mut rng, &acked) else {
                    continue;
                };
                let case = format!("2026-{next_case:06}");
                next_case += 1;
                let now = v.now();
                let until = now.plus(Span::from_days(2));
                let expected = visible(k, at, now).len();
                say(&format!("HOLD {case} {k} {} {expected}", until.as_micros()));
                let out = v
                    .hold(&request(&plate(k), &case, &requester()), until)
                    .map_err(|e| format!("hold: {e}"))?;
                if !out.decision.is_allowed() || out.placed != expected as u64 {
                    return Err(format!(
                        "hold {case}: {:?}, placed {} of {expected}",
                        out.decision, out.placed
                    ));
                }
                say(&format!("HELD {case}"));
                holds.push(case);
            }
            88..=91 => {
                if holds.is_empty() {
                    continue;
                }
                let case = holds.swap_remove(rng.below(holds.len() as u64) as usize);
                say(&format!("RELEASE {case}"));
                let by = RemovalRequest {
                    requester: requester(),
                    agency: "CITY-PD".into(),
                    role: None,
                };
                let out = v
                    .release_hold(&case, &by)
                    .map_err(|e| format!("release: {e}"))?;
                if !out.is_allowed() {
                    return Err(format!("release {case}: {:?}", out.denial));
                }
                say(&format!("RELEASED {case}"));
            }
            92..=95 => {
                v.expire().map_err(|e| format!("expire: {e}"))?;
                say("EXPIRED");
            }
            _ => {
                if rotated {
                    continue;
                }
                let new_key = MasterKey::from_file(&spec.next_key).map_err(|e| e.to_string())?;
                say("ROTATE");
                v.rotate_master_key(&new_key)
                    .map_err(|e| format!("rotate: {e}"))?;
                say("ROTATED");
                rotated = true;
            }
        }
    }
    Ok(())
}

/// A hotlist request for `plate` under `case`.
fn hotlist_request(plate: &str, case: &str, requester: &str) -> platevault::CaseRequest {
    platevault::CaseRequest {
        offense: "STOLEN_VEHICLE".into(),
        purpose: "stolen-vehicle".into(),
        justification: Some("reported stolen".into()),
        ..request(plate, case, requester)
    }
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.below(items.len() as u64) as usize)
    }
}

// ---------------------------------------------------------------------------------------
// The harness's model of what must be in the store.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// Acknowledged (or found durable after a crash): must be there.
    Durable,
    /// In flight when the child died: all or nothing, decided at the next check.
    InFlight,
    /// In flight and found absent: must never appear.
    Lost,
}

#[derive(Clone, Debug)]
struct Batch {
    at: Timestamp,
    fate: Fate,
    /// Its plate was hotlisted before it was ingested: each read raises an alert.
    hot: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HoldFate {
    /// Being placed when the child died.
    Placing,
    /// Placed (acknowledged, or found fully placed).
    Placed,
    /// Being released when the child died.
    Releasing,
    /// Gone: released, or never placed.
    Gone,
}

#[derive(Clone, Debug)]
struct Hold {
    until: Timestamp,
    reads: u64,
    fate: HoldFate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rotation {
    NotStarted,
    InFlight,
    Done,
}

/// What one run of the child reported.
#[derive(Debug)]
struct RunReport {
    rotation: Rotation,
    opened_at: Option<Timestamp>,
    ops: u64,
}

/// Counters for the summary line (and docs/reliability.md).
#[derive(Debug, Default)]
struct Stats {
    sigkills: u64,
    aborts: BTreeMap<String, u64>,
    exited: u64,
    ops_acked: u64,
    killed_before_open: u64,
    inflight_batch_present: u64,
    inflight_batch_absent: u64,
    inflight_hold_present: u64,
    inflight_hold_absent: u64,
    inflight_release_done: u64,
    inflight_release_undone: u64,
    rotation_rolled_back: u64,
    rotation_rolled_forward: u64,
    rotations_acked: u64,
    expiry_journals_found: u64,
    rotation_records_found: u64,
    epochs_certified: u64,
    searches_checked: u64,
    reads_checked: u64,
    alerts: u64,
}

struct Model {
    store: PathBuf,
    keys_dir: PathBuf,
    width: EpochWidth,
    batches: BTreeMap<u64, Batch>,
    holds: BTreeMap<String, Hold>,
    certified: BTreeSet<String>,
    /// Batches whose plate was hotlisted, until they are ingested.
    hot: BTreeSet<u64>,
    /// Alerts the durable hot batches raised.
    alerts_expected: u64,
    key_path: PathBuf,
    clock_floor: Timestamp,
    last_now: Timestamp,
    next_batch: u64,
    next_case: u64,
    checks: u64,
    stats: Stats,
}

impl Model {
    /// Applies the lines a run printed (complete lines only, in order).
    fn absorb(&mut self, lines: &[String]) -> Result<RunReport, String> {
        let mut report = RunReport {
            rotation: Rotation::NotStarted,
            opened_at: None,
            ops: 0,
        };
        for line in lines {
            // libtest may print "test crash_worker ... " on the same line as the first report.
            let Some((_, rest)) = line.split_once("PV ") else {
                continue;
            };
            let words: Vec<&str> = rest.split_whitespace().collect();
            let num = |i: usize| -> Result<i64, String> {
                words
                    .get(i)
                    .and_then(|w| w.parse().ok())
                    .ok_or_else(|| format!("bad line from the child: {line}"))
            };
            match words.first().copied() {
                Some("OPENED") => report.opened_at = Some(Timestamp::from_micros(num(1)?)),
                Some("HOTLIST") => {
                    self.hot.insert(num(1)? as u64);
                    report.ops += 1;
                }
                Some("INGEST") => {
                    let k = num(1)? as u64;
                    self.batches.insert(
                        k,
                        Batch {
                            at: Timestamp::from_micros(num(2)?),
                            fate: Fate::InFlight,
                            hot: self.hot.remove(&k),
                        },
                    );
                }
                Some("ACK") => {
                    let b = self
                        .batches
                        .get_mut(&(num(1)? as u64))
                        .ok_or_else(|| format!("ack of an unknown batch: {line}"))?;
                    b.fate = Fate::Durable;
                    if b.hot {
                        self.alerts_expected += READS_PER_BATCH;
                    }
                    report.ops += 1;
                }
                Some("CLOCK") => {
                    self.clock_floor = self.clock_floor.max(Timestamp::from_micros(num(1)?));
                    report.ops += 1;
                }
                Some("HOLD") => {
                    self.holds.insert(
                        words[1].to_string(),
                        Hold {
                            until: Timestamp::from_micros(num(3)?),
                            reads: num(4)? as u64,
                            fate: HoldFate::Placing,
                        },
                    );
                }
                Some("HELD") => {
                    self.hold_mut(words[1])?.fate = HoldFate::Placed;
                    report.ops += 1;
                }
                Some("RELEASE") => self.hold_mut(words[1])?.fate = HoldFate::Releasing,
                Some("RELEASED") => {
                    self.hold_mut(words[1])?.fate = HoldFate::Gone;
                    report.ops += 1;
                }
                Some("ROTATE") => report.rotation = Rotation::InFlight,
                Some("ROTATED") => {
                    report.rotation = Rotation::Done;
                    report.ops += 1;
                }
                Some("SEARCH") | Some("EXPIRED") => report.ops += 1,
                Some("FAIL") => return Err(format!("the child found a violation: {rest}")),
                _ => return Err(format!("unknown line from the child: {line}")),
            }
        }
        Ok(report)
    }

    fn hold_mut(&mut self, case: &str) -> Result<&mut Hold, String> {
        self.holds
            .get_mut(case)
            .ok_or_else(|| format!("a line about an unknown hold {case}"))
    }
}

// ---------------------------------------------------------------------------------------
// The harness.
// ---------------------------------------------------------------------------------------

#[test]
fn sigkill_at_random_points_never_loses_acknowledged_work() {
    if std::env::var_os(WORKER_ENV).is_some() {
        return;
    }
    let iterations = env_u64("PLATEVAULT_CRASH_ITERATIONS", 40);
    let seed = env_u64("PLATEVAULT_CRASH_SEED", 20_260_301);
    eprintln!(
        "crash harness: {iterations} kills, seed {seed} (reproduce with PLATEVAULT_CRASH_SEED={seed} PLATEVAULT_CRASH_ITERATIONS={iterations})"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = tmp.path().join("store");
    let keys_dir = tmp.path().join("keys");
    std::fs::create_dir_all(&keys_dir).expect("keys dir");
    let key_path = keys_dir.join("key-0");
    let key = MasterKey::generate().expect("key");
    key.write_new_file(&key_path).expect("key file");
    let t0 = t(T0);
    drop(
        Vault::create(
            &store,
            &key,
            &policy(RETENTION, EPOCH, RETENTION),
            &VaultOptions::new().simulated_clock(t0),
        )
        .expect("create"),
    );
    let mut model = Model {
        store,
        keys_dir,
        width: EpochWidth::new(EPOCH_SPAN).expect("width"),
        batches: BTreeMap::new(),
        holds: BTreeMap::new(),
        certified: BTreeSet::new(),
        hot: BTreeSet::new(),
        alerts_expected: 0,
        key_path,
        clock_floor: t0,
        last_now: t0,
        next_batch: 0,
        next_case: 0,
        checks: 0,
        stats: Stats::default(),
    };
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    for i in 0..iterations {
        if let Err(msg) = one_kill(&mut model, &mut rng, seed, i) {
            let kept = tmp.path().to_path_buf();
            std::mem::forget(tmp);
            panic!(
                "crash harness, seed {seed}, iteration {i}: {msg}\n(the store is kept in {}; the child's standard error in worker-stderr.txt there)",
                kept.display()
            );
        }
        if (i + 1) % 100 == 0 {
            eprintln!(
                "crash harness: {} kills in {:.0} s, {:?}",
                i + 1,
                started.elapsed().as_secs_f64(),
                model.stats
            );
        }
    }
    let s = &model.stats;
    eprintln!(
        "crash harness: {iterations} runs in {:.1} s (seed {seed}): {} SIGKILLs, aborts at named points {:?}, {} runs finished on their own; {} operations acknowledged, {} checks passed; in-flight batches present {} / absent {}; in-flight holds present {} / absent {}; in-flight releases done {} / undone {}; rotations acked {}, interrupted ones rolled back {} / forward {}; {} expiry journals and {} rotation records found after a kill and completed; {} epochs certified deleted; {} kills before the child had opened the store; {} searches checking {} reads; {} hotlist alerts audited; simulated clock at {}",
        started.elapsed().as_secs_f64(),
        s.sigkills,
        s.aborts,
        s.exited,
        s.ops_acked,
        model.checks,
        s.inflight_batch_present,
        s.inflight_batch_absent,
        s.inflight_hold_present,
        s.inflight_hold_absent,
        s.inflight_release_done,
        s.inflight_release_undone,
        s.rotations_acked,
        s.rotation_rolled_back,
        s.rotation_rolled_forward,
        s.expiry_journals_found,
        s.rotation_records_found,
        s.epochs_certified,
        s.killed_before_open,
        s.searches_checked,
        s.reads_checked,
        s.alerts,
        model.last_now,
    );
    assert_eq!(model.checks, iterations);
    if iterations >= 40 {
        // The CI run must have exercised what it claims to.
        assert!(s.sigkills > 0, "no run was killed by SIGKILL");
        assert!(s.epochs_certified > 0, "no epoch expired");
        assert!(s.rotations_acked + s.rotation_rolled_back + s.rotation_rolled_forward > 0);
    }
}

/// One child run, one kill, one check.
fn one_kill(model: &mut Model, rng: &mut Rng, seed: u64, i: u64) -> Result<(), String> {
    let next_key_path = model.keys_dir.join(format!("key-{}", i + 1));
    MasterKey::generate()
        .and_then(|k| k.write_new_file(&next_key_path))
        .map_err(|e| format!("next key: {e}"))?;
    let crash_at = rng
        .chance(25)
        .then(|| POINTS[rng.below(POINTS.len() as u64) as usize]);
    let first = match crash_at {
        Some(p) if p.starts_with("rotation") => Some("rotate".to_string()),
        Some(_) => Some("clock".to_string()),
        None => rng.chance(10).then(|| "rotate".to_string()),
    };
    let delay = if rng.chance(25) {
        rng.between(0, 60)
    } else {
        rng.between(60, 700)
    };
    let spec = WorkerSpec {
        store: model.store.clone(),
        key: model.key_path.clone(),
        next_key: next_key_path.clone(),
        seed: rng.next_u64(),
        batch_base: model.next_batch,
        case_base: model.next_case,
        first,
    };
    // Ids the child may use; the next run starts after them.
    model.next_batch += MAX_OPS;
    model.next_case += MAX_OPS;

    let stderr_path = model
        .store
        .parent()
        .expect("parent")
        .join("worker-stderr.txt");
    let stderr = std::fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    cmd.args(["--exact", "crash_worker", "--nocapture", "--test-threads=1"])
        .env(
            WORKER_ENV,
            serde_json::to_string(&spec).map_err(|e| e.to_string())?,
        )
        .env_remove("PLATEVAULT_CRASH_AT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr));
    if let Some(point) = crash_at {
        cmd.env("PLATEVAULT_CRASH_AT", point);
    }
    let mut child = cmd.spawn().map_err(|e| format!("spawn the child: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    // The pipe is drained as the child writes; after the kill it is read to its end, so
    // every complete line written before the kill is seen.
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    std::thread::sleep(Duration::from_millis(delay));
    let _ = child.kill();
    let status = child.wait().map_err(|e| e.to_string())?;
    let lines = reader.join().map_err(|_| "the pipe reader panicked")?;
    let child_err = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    {
        use std::os::unix::process::ExitStatusExt;
        match (status.signal(), status.code()) {
            (Some(9), _) => model.stats.sigkills += 1,
            (Some(6), _) => {
                *model
                    .stats
                    .aborts
                    .entry(crash_at.unwrap_or("unnamed").to_string())
                    .or_default() += 1;
            }
            (None, Some(0)) => model.stats.exited += 1,
            _ => {
                return Err(format!(
                    "the child ended with {status:?}\nits lines: {lines:?}\nits stderr: {}",
                    child_err()
                ));
            }
        }
    }
    if std::env::var_os("PLATEVAULT_CRASH_VERBOSE").is_some() {
        eprintln!("run {i}: {status:?} after {delay} ms, crash point {crash_at:?}: {lines:?}");
    }
    let report = model
        .absorb(&lines)
        .map_err(|e| format!("{e}\n{}", child_err()))?;
    model.stats.ops_acked += report.ops;
    match report.opened_at {
        None => model.stats.killed_before_open += 1,
        Some(at) if at < model.last_now => {
            return Err(format!(
                "the child opened the store at {at}, before the last check's clock {}",
                model.last_now
            ));
        }
        Some(_) => {}
    }
    check(model, rng, report.rotation, &next_key_path, seed, i)
}

/// Reopens the store after a kill and checks every promise.
fn check(
    model: &mut Model,
    rng: &mut Rng,
    rotation: Rotation,
    next_key_path: &Path,
    seed: u64,
    i: u64,
) -> Result<(), String> {
    // What the crash left, before anything completes it.
    if let Ok(raw) = RawStore::open(&model.store) {
        model.stats.expiry_journals_found += raw.with_prefix(CF_META, b"expiry/").len() as u64;
        if raw.get(CF_META, b"rotation").is_some() {
            model.stats.rotation_records_found += 1;
        }
    }

    // Keys: exactly one of the two opens the store after recovery.
    let old = MasterKey::from_file(&model.key_path).map_err(|e| e.to_string())?;
    let new = MasterKey::from_file(next_key_path).map_err(|e| e.to_string())?;
    let refused = |r: &Result<Vault, Error>| {
        matches!(r, Err(Error::WrongMasterKey) | Err(Error::KeyRotatedOut))
    };
    let open = |k: &MasterKey| Vault::open(&model.store, k, &VaultOptions::new());
    let (v, new_key_won) = match rotation {
        Rotation::NotStarted => (open(&old).map_err(|e| format!("reopen: {e}"))?, false),
        Rotation::Done => {
            model.stats.rotations_acked += 1;
            let r = open(&old);
            if !refused(&r) {
                return Err(format!(
                    "a completed rotation: the old key must be refused, got {:?}",
                    r.map(|_| ())
                ));
            }
            (
                open(&new).map_err(|e| format!("reopen with the new key: {e}"))?,
                true,
            )
        }
        Rotation::InFlight => {
            let new_first = rng.chance(50);
            let (a, b) = if new_first {
                (&new, &old)
            } else {
                (&old, &new)
            };
            match open(a) {
                Ok(v) => (v, new_first),
                Err(Error::WrongMasterKey | Error::KeyRotatedOut) => (
                    open(b).map_err(|e| format!("neither key opens the store: {e}"))?,
                    !new_first,
                ),
                Err(e) => return Err(format!("reopen after an interrupted rotation: {e}")),
            }
        }
    };
    if rotation == Rotation::InFlight {
        if new_key_won {
            model.stats.rotation_rolled_forward += 1;
        } else {
            model.stats.rotation_rolled_back += 1;
        }
    }

    let now = v.now();
    if now < model.clock_floor {
        return Err(format!(
            "the clock moved back: {now} is before the acknowledged {}",
            model.clock_floor
        ));
    }
    model.last_now = now;
    let horizon = now.minus(RETENTION_SPAN);

    // Expiry ran at open: no live epoch is past retention, none certified comes back.
    let live: Vec<_> = v.live_epochs();
    for e in &live {
        if e.end() <= horizon {
            return Err(format!(
                "epoch {} is past retention at {now} but still live",
                e.name()
            ));
        }
        if model.certified.contains(&e.name()) {
            return Err(format!(
                "epoch {} was certified deleted but is back",
                e.name()
            ));
        }
    }
    let live_names: BTreeSet<String> = live.iter().map(|e| e.name()).collect();

    // Read counts per live epoch: the acknowledged reads, plus the batch in flight if it
    // landed (all of it or none of it).
    let mut acked: BTreeMap<String, u64> = BTreeMap::new();
    let mut inflight: BTreeMap<String, u64> = BTreeMap::new();
    let mut inflight_batch = None;
    let mut gone: BTreeSet<String> = BTreeSet::new();
    for (&k, b) in &model.batches {
        let into = match b.fate {
            Fate::Durable => &mut acked,
            Fate::InFlight => {
                inflight_batch = Some(k);
                &mut inflight
            }
            Fate::Lost => continue,
        };
        for (c, _) in batch_reads(k, b.at) {
            let e = model.width.epoch_of(c);
            if live_names.contains(&e.name()) {
                *into.entry(e.name()).or_default() += 1;
            } else if b.fate == Fate::Durable {
                if e.end() > horizon {
                    return Err(format!(
                        "acknowledged batch {k}: its read at {c} is gone, but epoch {} is not past retention at {now}",
                        e.name()
                    ));
                }
                // Checked against the deletion certificates once the log is read.
                gone.insert(e.name());
            }
        }
    }
    let mut counts = BTreeMap::new();
    for e in &live {
        let n = v
            .epoch_read_count(*e)
            .map_err(|err| format!("read count of {}: {err}", e.name()))?;
        counts.insert(e.name(), n);
    }
    let expect = |with_inflight: bool| -> BTreeMap<String, u64> {
        live_names
            .iter()
            .map(|name| {
                let mut n = acked.get(name).copied().unwrap_or(0);
                if with_inflight {
                    n += inflight.get(name).copied().unwrap_or(0);
                }
                (name.clone(), n)
            })
            .collect()
    };
    let inflight_landed = if counts == expect(false) {
        false
    } else if inflight_batch.is_some() && counts == expect(true) {
        true
    } else {
        return Err(format!(
            "read counts per epoch {counts:?} match neither the acknowledged reads {:?} nor those plus the batch in flight {:?}",
            expect(false),
            expect(true)
        ));
    };

    // Searches: every batch of this run and a sample of older ones return exactly their
    // reads within retention, intact.
    let mut sample: Vec<u64> = model
        .batches
        .iter()
        .filter(|(_, b)| b.fate != Fate::Lost && b.at > horizon.minus(Span::from_hours(26)))
        .map(|(&k, _)| k)
        .collect();
    let recent_start = model.next_batch.saturating_sub(MAX_OPS);
    let (recent, older): (Vec<u64>, Vec<u64>) = sample.drain(..).partition(|&k| k >= recent_start);
    let mut to_check = recent;
    for _ in 0..6 {
        if let Some(&k) = pick(rng, &older) {
            to_check.push(k);
        }
    }
    to_check.sort_unstable();
    to_check.dedup();
    for (n, k) in to_check.into_iter().enumerate() {
        let b = model.batches[&k].clone();
        let requester = format!("CHK{i}-{n}-{}", seed % 1000);
        let out = try_search(&v, &plate(k), CASE, &requester)?;
        let got = found(&out);
        let want = visible(k, b.at, now);
        let present = match b.fate {
            Fate::Durable => true,
            Fate::InFlight => inflight_landed,
            Fate::Lost => false,
        };
        let expected = if present { want } else { BTreeSet::new() };
        if got != expected {
            return Err(format!(
                "batch {k} ({:?}, in flight landed: {inflight_landed}) at {now}: search found {got:?}, expected {expected:?}",
                b.fate
            ));
        }
        if out.reads.iter().any(|r| r.body.captured_at <= horizon) {
            return Err(format!("a search returned a read past retention at {now}"));
        }
        model.stats.searches_checked += 1;
        model.stats.reads_checked += got.len() as u64;
    }
    for b in model.batches.values_mut() {
        if b.fate == Fate::InFlight {
            b.fate = if inflight_landed {
                model.stats.inflight_batch_present += 1;
                if b.hot {
                    model.alerts_expected += READS_PER_BATCH;
                }
                Fate::Durable
            } else {
                model.stats.inflight_batch_absent += 1;
                Fate::Lost
            };
        }
    }
    drop(v);

    // The audit log verifies, and every expiry it announced is complete.
    let entries = audit_entries_verified(&model.store)?;
    let certified = expiries_complete(&entries)?;
    let alerts = count_kind(&entries, platevault::audit::entry::EntryKind::HotlistAlert) as u64;
    if alerts != model.alerts_expected {
        return Err(format!(
            "{alerts} hotlist alerts in the audit log, but the durable hot batches raised {}",
            model.alerts_expected
        ));
    }
    model.stats.alerts = alerts;
    for name in &certified {
        if live_names.contains(name) {
            return Err(format!("epoch {name} is certified deleted but still live"));
        }
        if model.certified.insert(name.clone()) {
            model.stats.epochs_certified += 1;
        }
    }
    if let Some(name) = gone.iter().find(|n| !model.certified.contains(*n)) {
        return Err(format!(
            "acknowledged reads of epoch {name} are gone without a deletion certificate"
        ));
    }

    // Raw state: no expiry journal, no rotation record, no key or count of a certified
    // epoch; each hold whole or absent.
    let raw = RawStore::open(&model.store)?;
    if !raw.with_prefix(CF_META, b"expiry/").is_empty() {
        return Err("an expiry journal is left after reopening".into());
    }
    if raw.get(CF_META, b"rotation").is_some() {
        return Err("a rotation record is left after reopening".into());
    }
    if !raw.with_prefix(CF_KEYS, b"next/").is_empty() {
        return Err("prepared key wrappings are left after reopening".into());
    }
    for name in &model.certified {
        if raw
            .get(CF_KEYS, layout::epoch_key_label(name).as_bytes())
            .is_some()
        {
            return Err(format!(
                "the wrapped key of certified epoch {name} is still stored"
            ));
        }
        if raw.get(CF_META, &layout::meta_count_key(name)).is_some() {
            return Err(format!(
                "the read count of certified epoch {name} is still stored"
            ));
        }
        if raw.has_cf(&format!("epoch-{name}")) {
            return Err(format!(
                "the column family of certified epoch {name} is still there"
            ));
        }
    }
    for (case, h) in model.holds.iter_mut() {
        let cid = hold_case_id("CITY-PD", case);
        let meta = raw.get(CF_HOLDS, &[b"M".as_slice(), &cid].concat());
        let copies = raw
            .with_prefix(CF_HOLDS, &[b"H".as_slice(), &cid].concat())
            .len() as u64;
        let key = raw
            .get(CF_KEYS, format!("hold/{}", hex::encode(cid)).as_bytes())
            .is_some();
        let present = match (&meta, key, copies) {
            (None, false, 0) => false,
            (Some(m), true, n) => {
                let info: serde_json::Value =
                    serde_json::from_slice(m).map_err(|e| format!("hold {case}: {e}"))?;
                if info["reads"] != n || n != h.reads {
                    return Err(format!(
                        "hold {case} is half placed: metadata says {} reads, {n} copies stored, {} expected",
                        info["reads"], h.reads
                    ));
                }
                true
            }
            _ => {
                return Err(format!(
                    "hold {case} is half there: metadata {}, case key {key}, {copies} copies",
                    meta.is_some()
                ));
            }
        };
        let expired = h.until <= now;
        h.fate = match (h.fate, present) {
            (_, true) if expired => {
                return Err(format!(
                    "hold {case} ended at {} but is still there at {now}",
                    h.until
                ));
            }
            (HoldFate::Placed, false) if !expired => {
                return Err(format!("acknowledged hold {case} is missing"));
            }
            (HoldFate::Gone, true) => {
                return Err(format!("released hold {case} is back"));
            }
            (HoldFate::Placing, p) => {
                if p {
                    model.stats.inflight_hold_present += 1;
                } else {
                    model.stats.inflight_hold_absent += 1;
                }
                if p { HoldFate::Placed } else { HoldFate::Gone }
            }
            (HoldFate::Releasing, p) => {
                if p {
                    model.stats.inflight_release_undone += 1;
                } else {
                    model.stats.inflight_release_done += 1;
                }
                if p { HoldFate::Placed } else { HoldFate::Gone }
            }
            (_, true) => HoldFate::Placed,
            (_, false) => HoldFate::Gone,
        };
    }
    drop(raw);
    // Holds that ended or were released are not looked at again.
    model.holds.retain(|_, h| h.fate == HoldFate::Placed);

    // The key that did not open the store is refused now, and the header lists one key.
    let (winner, loser) = if new_key_won { (new, old) } else { (old, new) };
    match Vault::open(&model.store, &loser, &VaultOptions::new()) {
        Err(Error::WrongMasterKey | Error::KeyRotatedOut) => {}
        other => {
            return Err(format!(
                "after recovery the other master key must be refused, got {:?}",
                other.map(|_| ())
            ));
        }
    }
    let header = Header::read(&model.store).map_err(|e| e.to_string())?;
    if header.key_checks.len() != 1 {
        return Err(format!(
            "after recovery the header lists {} master keys",
            header.key_checks.len()
        ));
    }
    drop(winner);
    if new_key_won {
        model.key_path = next_key_path.to_path_buf();
    }
    // Batches too old to have a read within retention are done with.
    model
        .batches
        .retain(|_, b| b.at > horizon.minus(Span::from_days(3)) || b.fate == Fate::InFlight);
    model.checks += 1;
    Ok(())
}

/// Closing a store and opening it again at once works even while another thread of the
/// process spawns child processes (as a service embedding the library, or a test harness
/// running tests in parallel, does).
#[test]
fn a_closed_store_reopens_while_another_thread_spawns_processes() {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spawning = std::sync::Arc::clone(&stop);
    let spawner = std::thread::spawn(move || {
        let mut n = 0u64;
        while !spawning.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = Command::new("true").output();
            n += 1;
        }
        n
    });
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    drop(
        Vault::create(
            &dir,
            &key,
            &policy(RETENTION, EPOCH, RETENTION),
            &VaultOptions::new().simulated_clock(t(T0)),
        )
        .expect("create"),
    );
    let mut refused = 0;
    for _ in 0..100 {
        match Vault::open(&dir, &key, &VaultOptions::new()) {
            Ok(v) => drop(v),
            Err(Error::StoreLocked { .. }) => refused += 1,
            Err(e) => panic!("reopen: {e}"),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let spawned = spawner.join().expect("spawner");
    assert_eq!(
        refused, 0,
        "{refused} of 100 reopens of a closed store were refused as held by another process while {spawned} children were spawned"
    );
}
