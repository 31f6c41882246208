//! The check of the stateful fuzz target `vault_model`, shared with
//! `tests/fuzz_vault_model.rs` (which includes this file with `#[path]`, as
//! `tests/hostile_input.rs` includes `checks.rs`), so that CI replays the committed corpus
//! (`fuzz/corpus/vault_model/`) on stable Rust without cargo-fuzz.
//!
//! In the manner of redb's `fuzz_redb`: the input is decoded into at most [`MAX_OPS`]
//! operations on one simulation store under the default policy (30-day retention, daily
//! epochs): ingest, search, hold, hold release, hotlist add and remove, alerts, clock moves,
//! expiry, master-key rotation, reopen, and a crash at one of the named crash points of
//! expiry and rotation (or a purge whose compaction RocksDB dropped), after which the store is
//! reopened as a restarted process would. Every operation is also applied to [`Model`], a
//! plain account of what was acknowledged, and their answers are compared:
//!
//! - ingest stores exactly the reads captured after `now - retention` and raises one alert per
//!   stored read and hotlist entry in force for its plate;
//! - a search returns exactly the acknowledged reads of its plate inside the granted window
//!   and retention, plus (for the owning agency's case) the held copies inside the window
//!   asked for; never a read past retention; a window wholly before retention without a hold,
//!   or an outside agency, is denied with no reads;
//! - holds place exactly the live reads not yet held, are released by their owner or at
//!   their end date; hotlist entries renew, remove and expire as the model says; alerts lie
//!   between those whose read is within retention and all raised for the case;
//! - after every reopen (plain, or after an injected crash): the clock has not moved back,
//!   every acknowledged read within retention is found, the holds and the hotlist are the
//!   model's; after a crashed rotation exactly the key the crash point promises opens the
//!   store (the other is refused with the right error);
//! - at the end, the keyless audit verification (`Review::verify`) says ok and the deletion
//!   verifier finds no plate in the raw files.
//!
//! Panics name the operation and what differed; the plates are the test's own.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use platevault::verify::Review;
use platevault::{
    AlertsRequest, CaseRequest, Error, MasterKey, NewRead, Policy, RemovalRequest, SearchRequest,
    Span, Timestamp, Vault, VaultOptions,
};

/// Operations decoded from one input at most: one run stays well under a second.
pub const MAX_OPS: usize = 40;
/// The plates of the runs (test data).
pub const PLATES: [&str; 3] = ["FZ1001", "FZ2002", "FZ3003"];
const REGION: &str = "CO";
const AGENCY: &str = "CITY-PD";
/// An agency without an MOU under the default policy: always denied.
const OUTSIDE: &str = "OUTSIDE-PD";
/// Cases of legal holds, of hotlist entries, and one no hold is ever placed on.
const HOLD_CASES: [&str; 3] = ["2026-000101", "2026-000102", "2026-000103"];
const HOTLIST_CASES: [&str; 2] = ["2026-000201", "2026-000202"];
const NO_HOLD_CASE: &str = "2026-000999";
const T0: &str = "2026-03-01T00:00:00Z";
/// The default policy's retention and maximum search window.
const RETENTION: Span = Span::from_days(30);
const MAX_WINDOW: Span = Span::from_days(30);
/// Oldest capture an ingest op asks for, in minutes before now (past retention on purpose).
const MAX_AGE_MINUTES: u32 = 35 * 24 * 60;

/// The injected faults: the named crash points of expiry and rotation (`expiry::points`,
/// `rotation::points`) and the store's dropped-compaction point (any column family).
pub const POINTS: [&str; 9] = [
    "expiry:after-intent",
    "expiry:after-keys-destroyed",
    "expiry:after-drop",
    "expiry:after-purge",
    "rotation:after-prepare",
    "rotation:after-header-both",
    "rotation:after-commit",
    "rotation:after-header-new",
    "store:compaction-dropped:",
];

/// Number of operation kinds (the first byte of an operation, modulo this).
pub const OP_KINDS: u8 = 13;

/// One operation of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Reads of (plate index, minutes before now).
    Ingest(Vec<(u8, u32)>),
    /// A search for a plate; `case` 0 is a case without a hold, 1..=3 a hold case; `window`
    /// is (from, to) in days before now, or the default; `outside` asks as another agency.
    Search {
        plate: u8,
        case: u8,
        window: Option<(u8, u8)>,
        outside: bool,
    },
    /// A hold on a hold case (0..3) for a plate, `days` long.
    Hold { plate: u8, case: u8, days: u8 },
    /// Its owner releases a hold case's hold.
    ReleaseHold { case: u8 },
    /// A hotlist entry (plate, hotlist case 0..2) expiring in `days`.
    HotlistAdd { plate: u8, case: u8, days: u8 },
    /// Removes the `pick`-th live entry (an unknown id when there is none).
    HotlistRemove { pick: u8 },
    /// The alerts of a hotlist case.
    Alerts { case: u8 },
    /// Moves the clock forward.
    Advance { minutes: u64 },
    /// Runs expiry.
    Expire,
    /// Rotates the master key.
    Rotate,
    /// Closes and reopens the store.
    Reopen,
    /// Arms `POINTS[point]`, runs what reaches it (a rotation, or a clock move of `days`
    /// days, which runs expiry), then reopens as after a crash.
    Crash { point: u8, days: u8 },
}

impl Op {
    /// The operation kind's index, for coverage counts.
    pub fn kind(&self) -> usize {
        match self {
            Op::Ingest(_) => 0,
            Op::Search { .. } => 1,
            Op::Hold { .. } => 2,
            Op::ReleaseHold { .. } => 3,
            Op::HotlistAdd { .. } => 4,
            Op::HotlistRemove { .. } => 5,
            Op::Alerts { .. } => 6,
            Op::Advance { .. } => 7,
            Op::Expire => 8,
            Op::Rotate => 9,
            Op::Reopen => 10,
            Op::Crash { .. } => 11,
        }
    }
}

/// Number of distinct [`Op::kind`]s.
pub const KINDS: usize = 12;

struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    /// The next byte, 0 past the end (so every input decodes).
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
}

/// Decodes an input into at most [`MAX_OPS`] operations. Every input decodes.
pub fn decode(data: &[u8]) -> Vec<Op> {
    let mut b = Bytes { data, at: 0 };
    let mut ops = Vec::new();
    while b.at < data.len() && ops.len() < MAX_OPS {
        let op = match b.byte() % OP_KINDS {
            0 | 1 => {
                let n = 1 + b.byte() % 4;
                Op::Ingest(
                    (0..n)
                        .map(|_| {
                            let plate = b.byte() % 3;
                            let age = u16::from_be_bytes([b.byte(), b.byte()]);
                            (plate, 1 + u32::from(age) % MAX_AGE_MINUTES)
                        })
                        .collect(),
                )
            }
            2 => {
                let plate = b.byte() % 3;
                let sel = b.byte();
                let (w1, w2) = (b.byte(), b.byte());
                let window = (w1 >= 128).then(|| {
                    let from = 1 + w1 % 45;
                    (from, from.saturating_sub(1 + w2 % 30))
                });
                Op::Search {
                    plate,
                    case: sel % 4,
                    window,
                    outside: sel >= 0xF0,
                }
            }
            3 => Op::Hold {
                plate: b.byte() % 3,
                case: b.byte() % 3,
                days: 1 + b.byte() % 60,
            },
            4 => Op::ReleaseHold { case: b.byte() % 3 },
            5 => Op::HotlistAdd {
                plate: b.byte() % 3,
                case: b.byte() % 2,
                days: 1 + b.byte() % 29,
            },
            6 => Op::HotlistRemove { pick: b.byte() },
            7 => Op::Alerts { case: b.byte() % 2 },
            8 => {
                let unit = b.byte() % 3;
                let amount = u64::from(b.byte());
                Op::Advance {
                    minutes: match unit {
                        0 => 1 + amount,
                        1 => (1 + amount % 48) * 60,
                        _ => (1 + amount % 20) * 1440,
                    },
                }
            }
            9 => Op::Expire,
            10 => Op::Rotate,
            11 => Op::Reopen,
            _ => Op::Crash {
                point: b.byte() % POINTS.len() as u8,
                days: b.byte(),
            },
        };
        ops.push(op);
    }
    ops
}

/// An acknowledged read: plate index, capture time (µs) and its unique camera.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Read {
    at: i64,
    camera: String,
    plate: u8,
}

/// A legal hold of the model.
#[derive(Clone, Debug, Default)]
struct HoldModel {
    until: Option<Timestamp>,
    reads: BTreeSet<Read>,
}

/// What the store should hold: a plain account of every acknowledged operation.
#[derive(Debug)]
pub struct Model {
    now: Timestamp,
    reads: Vec<Read>,
    holds: BTreeMap<u8, HoldModel>,
    /// (plate, hotlist case) → (entry id, expires).
    entries: BTreeMap<(u8, u8), (String, Timestamp)>,
    /// Alerts raised per hotlist case: the reads that raised them.
    alerts: BTreeMap<u8, Vec<Read>>,
}

impl Model {
    fn oldest(&self) -> i64 {
        self.now.minus(RETENTION).as_micros()
    }

    /// The acknowledged reads of `plate` a lookup over `[from, to)` may return now.
    fn live(&self, plate: u8, from: i64, to: i64) -> BTreeSet<Read> {
        let oldest = self.oldest();
        self.reads
            .iter()
            .filter(|r| r.plate == plate && r.at > oldest && r.at >= from && r.at < to)
            .cloned()
            .collect()
    }

    /// What expiry does when the clock reaches a moment: holds and entries end.
    fn apply_time(&mut self) {
        let now = self.now;
        self.holds.retain(|_, h| h.until.is_some_and(|u| u > now));
        self.entries.retain(|_, (_, e)| *e > now);
    }
}

/// What a search returned: (read, from a hold).
type Found = BTreeMap<Read, bool>;

/// A store directory under /dev/shm (or the system temp dir), removed on drop.
struct TempStore(PathBuf);

impl TempStore {
    fn new() -> TempStore {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        // A memory file system where there is one: a run syncs the audit log dozens of
        // times, and in-process crashes do not depend on what reached the disk.
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!(
            "pv-fuzz-vault-model-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        TempStore(dir)
    }

    fn store(&self) -> PathBuf {
        self.0.join("store")
    }
}

impl Drop for TempStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The fault both hooks watch: armed with a point, it fires once, there.
#[derive(Clone, Default)]
struct Fault {
    armed: Arc<Mutex<Option<&'static str>>>,
    fired: Arc<Mutex<Option<String>>>,
}

impl Fault {
    fn hit(&self, point: &str) -> bool {
        let Ok(mut armed) = self.armed.lock() else {
            return false;
        };
        let hit = armed.is_some_and(|a| {
            if a.ends_with(':') {
                point.starts_with(a)
            } else {
                point == a
            }
        });
        if hit {
            *armed = None;
            if let Ok(mut fired) = self.fired.lock() {
                *fired = Some(point.to_string());
            }
        }
        hit
    }

    fn arm(&self, point: &'static str) {
        *self.armed.lock().expect("fault lock") = Some(point);
        *self.fired.lock().expect("fault lock") = None;
    }

    /// Disarms; returns the point that fired, if one did.
    fn disarm(&self) -> Option<String> {
        *self.armed.lock().expect("fault lock") = None;
        self.fired.lock().expect("fault lock").take()
    }
}

/// One run: the store, its keys, the model, and where it is.
struct Run {
    tmp: TempStore,
    options: VaultOptions,
    fault: Fault,
    vault: Option<Vault>,
    key: MasterKey,
    keys_made: u8,
    model: Model,
    requests: u64,
    cameras: u64,
    step: usize,
    op: String,
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("time")
}

/// Runs the operations an input decodes to against a fresh store and the model; panics when
/// they disagree.
pub fn check_vault_model(data: &[u8]) {
    let ops = decode(data);
    let mut run = Run::new();
    for (i, op) in ops.iter().enumerate() {
        run.step = i;
        run.op = format!("{op:?}");
        run.apply(op);
    }
    run.step = ops.len();
    run.op = "end".into();
    run.reopen();
    run.finish();
}

impl Run {
    fn new() -> Run {
        let tmp = TempStore::new();
        std::fs::create_dir_all(&tmp.0).expect("temp dir");
        let fault = Fault::default();
        let (h1, h2) = (fault.clone(), fault.clone());
        let options = VaultOptions::new()
            .fault_hook(Arc::new(move |p: &str| h1.hit(p)))
            .store_fault_hook(Arc::new(move |p: &str| h2.hit(p)));
        let key = MasterKey::from_bytes([1; 32]);
        let now = t(T0);
        let vault = Vault::create(
            &tmp.store(),
            &key,
            &Policy::default_policy(),
            &options.clone().simulated_clock(now),
        )
        .expect("create the store");
        Run {
            tmp,
            options,
            fault,
            vault: Some(vault),
            key,
            keys_made: 1,
            model: Model {
                now,
                reads: Vec::new(),
                holds: BTreeMap::new(),
                entries: BTreeMap::new(),
                alerts: BTreeMap::new(),
            },
            requests: 0,
            cameras: 0,
            step: 0,
            op: String::new(),
        }
    }

    fn v(&self) -> &Vault {
        self.vault.as_ref().expect("the store is open")
    }

    /// Panics with the operation that failed.
    fn fail(&self, what: impl std::fmt::Display) -> ! {
        panic!("vault_model op {} ({}): {what}", self.step, self.op)
    }

    fn ok<T>(&self, r: platevault::Result<T>, what: &str) -> T {
        r.unwrap_or_else(|e| self.fail(format!("{what}: {e}")))
    }

    fn requester(&mut self) -> String {
        self.requests += 1;
        format!("FZ-R{}", self.requests)
    }

    fn next_key(&mut self) -> MasterKey {
        self.keys_made += 1;
        MasterKey::from_bytes([self.keys_made; 32])
    }

    fn case_request(&mut self, plate: u8, case: &str, agency: &str) -> CaseRequest {
        CaseRequest {
            plate: PLATES[plate as usize].into(),
            region: REGION.into(),
            case_number: case.into(),
            offense: "ROBBERY".into(),
            purpose: "investigation".into(),
            requester: self.requester(),
            agency: agency.into(),
            ..CaseRequest::default()
        }
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Ingest(reads) => self.ingest(reads),
            Op::Search {
                plate,
                case,
                window,
                outside,
            } => {
                self.search(*plate, *case, *window, *outside);
            }
            Op::Hold { plate, case, days } => self.hold(*plate, *case, *days),
            Op::ReleaseHold { case } => self.release(*case),
            Op::HotlistAdd { plate, case, days } => self.hotlist_add(*plate, *case, *days),
            Op::HotlistRemove { pick } => self.hotlist_remove(*pick),
            Op::Alerts { case } => self.alerts(*case),
            Op::Advance { minutes } => {
                let to = self.model.now.plus(Span::from_minutes(*minutes));
                let now = self.ok(self.v().advance_clock(to), "advance the clock");
                self.model.now = to;
                if now != to {
                    self.fail(format!("the clock says {now}, not {to}"));
                }
                self.model.apply_time();
            }
            Op::Expire => {
                self.ok(self.v().expire(), "expire");
                self.model.apply_time();
            }
            Op::Rotate => {
                let new = self.next_key();
                self.ok(self.v().rotate_master_key(&new), "rotate");
                self.key = new;
            }
            Op::Reopen => {
                self.reopen();
                self.full_check();
            }
            Op::Crash { point, days } => self.crash(*point, *days),
        }
    }

    fn ingest(&mut self, reads: &[(u8, u32)]) {
        let now = self.model.now;
        let oldest = self.model.oldest();
        let mut batch = Vec::new();
        let mut want_stored = Vec::new();
        let mut want_alerts: Vec<(u8, Read)> = Vec::new();
        for (i, &(plate, age)) in reads.iter().enumerate() {
            self.cameras += 1;
            let at = now.minus(Span::from_minutes(u64::from(age)));
            let read = Read {
                at: at.as_micros(),
                camera: format!("CAM-{}", self.cameras),
                plate,
            };
            batch.push(NewRead {
                plate: PLATES[plate as usize].into(),
                region: REGION.into(),
                captured_at: Some(at),
                camera: read.camera.clone(),
                lat: Some(39.7392),
                lon: Some(-104.9903),
                ..NewRead::default()
            });
            if read.at > oldest {
                want_stored.push(i);
                for (&(p, case), (_, expires)) in &self.model.entries {
                    if p == plate && *expires > now {
                        want_alerts.push((case, read.clone()));
                    }
                }
                self.model.reads.push(read);
            }
        }
        let report = self.ok(self.v().ingest(batch), "ingest");
        let stored: Vec<usize> = report.stored.iter().map(|s| s.index).collect();
        if stored != want_stored {
            self.fail(format!("stored {stored:?}, the model {want_stored:?}"));
        }
        let rejected: Vec<usize> = report.rejected.iter().map(|r| r.index).collect();
        let want_rejected: Vec<usize> = (0..reads.len())
            .filter(|i| !want_stored.contains(i))
            .collect();
        if rejected != want_rejected {
            self.fail(format!(
                "rejected {rejected:?}, the model {want_rejected:?}"
            ));
        }
        if report.alerts.len() != want_alerts.len() {
            self.fail(format!(
                "{} alerts raised, the model {}",
                report.alerts.len(),
                want_alerts.len()
            ));
        }
        for (case, read) in want_alerts {
            self.model.alerts.entry(case).or_default().push(read);
        }
    }

    /// Searches and compares with the model; returns what was found.
    fn search(&mut self, plate: u8, case: u8, window: Option<(u8, u8)>, outside: bool) -> Found {
        let now = self.model.now;
        let case_name = if case == 0 {
            NO_HOLD_CASE
        } else {
            HOLD_CASES[usize::from(case - 1)]
        };
        let agency = if outside { OUTSIDE } else { AGENCY };
        let mut req = self.case_request(plate, case_name, agency);
        let (from, to) = match window {
            None => (now.minus(MAX_WINDOW), now),
            Some((f, t)) => {
                let from = now.minus(Span::from_days(u64::from(f)));
                let to = now.minus(Span::from_days(u64::from(t)));
                req.from = Some(from);
                req.to = Some(to);
                (from, to)
            }
        };
        let out = self.ok(
            self.v().search(&SearchRequest {
                case: req,
                with_images: false,
            }),
            "search",
        );
        let hold = (case > 0)
            .then(|| self.model.holds.get(&(case - 1)))
            .flatten();
        let (from, to) = (from.as_micros(), to.as_micros().min(now.as_micros()));
        let from_live = from.max(self.model.oldest());
        let denied = outside || (to <= from_live && (hold.is_none() || to <= from));
        if denied {
            if out.is_allowed() || !out.reads.is_empty() {
                self.fail(format!(
                    "search allowed ({}) with {} reads, the model denies it",
                    out.reason_code(),
                    out.reads.len()
                ));
            }
            return Found::new();
        }
        if !out.is_allowed() {
            self.fail(format!(
                "search denied ({}), the model allows it",
                out.reason_code()
            ));
        }
        let live = self.model.live(plate, from_live, to);
        let held: BTreeSet<Read> = hold
            .map(|h| {
                h.reads
                    .iter()
                    .filter(|r| r.plate == plate && r.at >= from && r.at < to)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let mut found = Found::new();
        for r in &out.reads {
            let Some(read) = self.model.reads.iter().find(|m| m.camera == r.body.camera) else {
                self.fail("a search returned a read never acknowledged")
            };
            if read.at != r.body.captured_at.as_micros() || read.plate != plate {
                self.fail(format!("{} differs from what was ingested", read.camera));
            }
            if read.at <= self.model.oldest() && !r.from_hold {
                self.fail(format!("{} is past retention yet returned", read.camera));
            }
            let expected = if r.from_hold {
                held.contains(read) && !live.contains(read)
            } else {
                live.contains(read)
            };
            if !expected || found.insert(read.clone(), r.from_hold).is_some() {
                self.fail(format!(
                    "{} returned (from a hold: {}) but not expected there, or twice",
                    read.camera, r.from_hold
                ));
            }
        }
        let want: BTreeSet<&Read> = live.iter().chain(held.iter()).collect();
        let got: BTreeSet<&Read> = found.keys().collect();
        if got != want {
            let missing: Vec<&str> = want.difference(&got).map(|r| r.camera.as_str()).collect();
            self.fail(format!("search misses {missing:?}"));
        }
        found
    }

    fn hold(&mut self, plate: u8, case: u8, days: u8) {
        let until = self.model.now.plus(Span::from_days(u64::from(days)));
        let req = self.case_request(plate, HOLD_CASES[usize::from(case)], AGENCY);
        let out = self.ok(self.v().hold(&req, until), "hold");
        if !out.decision.is_allowed() {
            self.fail(format!("hold denied: {}", out.reason_code()));
        }
        let now = self.model.now.as_micros();
        let live = self.model.live(plate, now - MAX_WINDOW.as_micros(), now);
        let h = self.model.holds.entry(case).or_default();
        let new: Vec<Read> = live.difference(&h.reads).cloned().collect();
        h.until = Some(h.until.map_or(until, |u| u.max(until)));
        let want = new.len() as u64;
        h.reads.extend(new);
        if out.placed != want {
            self.fail(format!("hold placed {}, the model {want}", out.placed));
        }
    }

    fn removal(&mut self) -> RemovalRequest {
        RemovalRequest {
            requester: self.requester(),
            agency: AGENCY.into(),
            role: None,
        }
    }

    fn release(&mut self, case: u8) {
        let by = self.removal();
        let out = self.ok(
            self.v().release_hold(HOLD_CASES[usize::from(case)], &by),
            "release a hold",
        );
        if !out.is_allowed() {
            self.fail("the owner's release was denied");
        }
        let had = self.model.holds.remove(&case).is_some();
        if out.released.is_some() != had {
            self.fail(format!(
                "released {}, the model had a hold: {had}",
                out.released.is_some()
            ));
        }
    }

    fn hotlist_add(&mut self, plate: u8, case: u8, days: u8) {
        let expires = self.model.now.plus(Span::from_days(u64::from(days)));
        let req = self.case_request(plate, HOTLIST_CASES[usize::from(case)], AGENCY);
        let out = self.ok(self.v().hotlist_add(&req, expires), "hotlist add");
        if !out.decision.is_allowed() {
            self.fail(format!("hotlist add denied: {}", out.reason_code()));
        }
        let Some(entry) = &out.entry else {
            self.fail("an allowed hotlist add without its entry")
        };
        let previous = self.model.entries.get(&(plate, case)).cloned();
        if out.renewed != previous.is_some() {
            self.fail(format!(
                "renewed {}, the model had the entry: {}",
                out.renewed,
                previous.is_some()
            ));
        }
        if let Some((id, _)) = &previous
            && *id != entry.entry_id
        {
            self.fail("a renewal changed the entry's id");
        }
        self.model
            .entries
            .insert((plate, case), (entry.entry_id.clone(), expires));
    }

    fn hotlist_remove(&mut self, pick: u8) {
        let listed: Vec<(u8, u8)> = self.model.entries.keys().copied().collect();
        let chosen = (!listed.is_empty()).then(|| listed[usize::from(pick) % listed.len()]);
        let id = chosen
            .and_then(|k| self.model.entries.get(&k))
            .map_or_else(|| "00".repeat(16), |(id, _)| id.clone());
        let by = self.removal();
        let out = self.ok(self.v().hotlist_remove(&id, &by), "hotlist remove");
        if !out.is_allowed() {
            self.fail("the owner's hotlist removal was denied");
        }
        if out.removed != chosen.is_some() {
            self.fail(format!(
                "removed {}, the model had the entry: {}",
                out.removed,
                chosen.is_some()
            ));
        }
        if let Some(k) = chosen {
            self.model.entries.remove(&k);
        }
    }

    fn alerts(&mut self, case: u8) {
        let req = AlertsRequest {
            case_number: HOTLIST_CASES[usize::from(case)].into(),
            requester: self.requester(),
            agency: AGENCY.into(),
            justification: None,
            warrant: None,
            since: None,
        };
        let out = self.ok(self.v().alerts(&req), "alerts");
        if out.denial.is_some() {
            self.fail("the alerts of the agency's own case were denied");
        }
        let raised = self.model.alerts.get(&case).cloned().unwrap_or_default();
        let oldest = self.model.oldest();
        let within = raised.iter().filter(|r| r.at > oldest).count();
        let n = out.alerts.len();
        if n < within || n > raised.len() {
            self.fail(format!(
                "{n} alerts, the model raised {} of which {within} are within retention",
                raised.len()
            ));
        }
    }

    /// Closes the store and opens it again with the key in force.
    fn reopen(&mut self) {
        drop(self.vault.take());
        let v = Vault::open(&self.tmp.store(), &self.key, &self.options)
            .unwrap_or_else(|e| self.fail(format!("reopen: {e}")));
        self.vault = Some(v);
        self.model.apply_time();
    }

    fn crash(&mut self, point: u8, days: u8) {
        let name = POINTS[usize::from(point) % POINTS.len()];
        self.fault.arm(name);
        let rotation = name.starts_with("rotation:");
        let new = rotation.then(|| self.next_key());
        let result = match &new {
            Some(new) => self.v().rotate_master_key(new).map(|_| ()),
            None => {
                let to = self
                    .model
                    .now
                    .plus(Span::from_days(1 + u64::from(days) % 40));
                // The clock is persisted before expiry runs: it moves either way.
                self.model.now = to;
                self.v().advance_clock(to).map(|_| ())
            }
        };
        let fired = self.fault.disarm();
        match (&result, &fired) {
            (Ok(()), None) => {}
            (Err(e), Some(at)) => {
                let named = e.to_string().contains(at.as_str())
                    || matches!(e, Error::PurgeUnconfirmed { .. });
                if !named {
                    self.fail(format!("the fault at {at} ended with another error: {e}"));
                }
            }
            (Ok(()), Some(at)) => {
                self.fail(format!("the fault at {at} fired, yet the call succeeded"))
            }
            (Err(e), None) => self.fail(format!("failed without a fault: {e}")),
        }
        drop(self.vault.take());
        if let Some(new) = new {
            if fired.is_none() {
                self.fail("a rotation never reached its crash points");
            }
            // Which key opens the store after a crash at each point (docs/keys.md).
            let (use_new, refused) = match name {
                "rotation:after-prepare" => (false, Some(true)),
                "rotation:after-header-both" => (days % 2 == 1, None),
                _ => (true, Some(false)),
            };
            if let Some(refused_is_new) = refused {
                let wrong = if refused_is_new { &new } else { &self.key };
                match Vault::open(&self.tmp.store(), wrong, &self.options) {
                    Ok(_) => self.fail("the key the crash point rules out opened the store"),
                    Err(Error::WrongMasterKey) if refused_is_new => {}
                    Err(Error::KeyRotatedOut) if !refused_is_new => {}
                    Err(e) => self.fail(format!("the ruled-out key was refused with: {e}")),
                }
            }
            if use_new {
                self.key = new;
            }
        }
        self.reopen();
        self.full_check();
    }

    /// After a reopen: the clock, every plate's live reads, each hold's held copies, the
    /// holds and the hotlist are the model's.
    fn full_check(&mut self) {
        let now = self.v().now();
        if now != self.model.now {
            self.fail(format!(
                "the reopened clock says {now}, the model {}",
                self.model.now
            ));
        }
        for plate in 0..PLATES.len() as u8 {
            self.search(plate, 0, None, false);
            let cases: Vec<u8> = self.model.holds.keys().copied().collect();
            for case in cases {
                // The oldest window a search may ask for reaches the held copies past
                // retention.
                self.search(plate, case + 1, Some((45, 15)), false);
                self.search(plate, case + 1, None, false);
            }
        }
        let holds = self.ok(self.v().holds(), "list holds");
        let got: BTreeMap<String, (Timestamp, u64)> = holds
            .into_iter()
            .filter(|h| HOLD_CASES.contains(&h.case.as_str()))
            .map(|h| (h.case, (h.until, h.reads)))
            .collect();
        let want: BTreeMap<String, (Timestamp, u64)> = self
            .model
            .holds
            .iter()
            .map(|(c, h)| {
                (
                    HOLD_CASES[usize::from(*c)].to_string(),
                    (h.until.unwrap_or(now), h.reads.len() as u64),
                )
            })
            .collect();
        if got != want {
            self.fail(format!("holds {got:?}, the model {want:?}"));
        }
        let listed = self.ok(self.v().hotlist(), "list the hotlist");
        let got: BTreeSet<(String, Timestamp)> = listed
            .into_iter()
            .map(|e| (e.entry_id, e.expires))
            .collect();
        let want: BTreeSet<(String, Timestamp)> = self.model.entries.values().cloned().collect();
        if got != want {
            self.fail(format!("hotlist {got:?}, the model {want:?}"));
        }
    }

    /// The end of a run: the audit log verifies without a key, and no plate is in the files.
    fn finish(&mut self) {
        self.full_check();
        drop(self.vault.take());
        let review = Review::open(&self.tmp.store())
            .unwrap_or_else(|e| self.fail(format!("open the review: {e}")));
        let report = review
            .verify(None)
            .unwrap_or_else(|e| self.fail(format!("verify the audit log: {e}")));
        if !report.ok {
            self.fail(format!(
                "the audit log does not verify: {:?}",
                report.problem
            ));
        }
        let plates: Vec<String> = PLATES.iter().map(|p| p.to_string()).collect();
        let deletion = review
            .verify_deletion(&plates)
            .unwrap_or_else(|e| self.fail(format!("verify deletion: {e}")));
        if !deletion.clean {
            self.fail(format!(
                "the deletion verifier found {} traces",
                deletion.findings.len()
            ));
        }
    }
}
