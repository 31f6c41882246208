//! Shared helpers for the expiry, hold, rotation and RocksDB-trap tests: stores in temp
//! directories, reads and case requests, read-only access to the raw RocksDB files, raw byte
//! scans of a store directory, and the `platevault` binary.
//!
//! Nothing here is a mock: every helper works on a real store on disk.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use platevault::audit::entry::{Entry, EntryKind};
use platevault::verify::Review;
use platevault::verify::scan::{Finding, Needle, files_under, scan_dir};
use platevault::{
    CaseRequest, MasterKey, NewRead, Policy, SearchOutcome, SearchRequest, Span, Timestamp, Vault,
    VaultOptions,
};

/// A case number that matches the default policy's pattern.
pub const CASE: &str = "2026-001234";
/// Another valid case number.
pub const OTHER_CASE: &str = "2026-009999";
/// Where a sealed value's ciphertext starts: a format byte, then a 12-byte nonce.
pub const CIPHERTEXT_START: usize = 1 + 12;
/// Every crash point of expiry (`expiry::points`, crate-private; spelled as in src/expiry.rs).
pub const EXPIRY_POINTS: [&str; 4] = [
    "expiry:after-intent",
    "expiry:after-keys-destroyed",
    "expiry:after-drop",
    "expiry:after-purge",
];
/// Every crash point of rotation (`rotation::points`, spelled as in src/rotation.rs).
pub const ROTATION_POINTS: [&str; 4] = [
    "rotation:after-prepare",
    "rotation:after-header-both",
    "rotation:after-commit",
    "rotation:after-header-new",
];

/// Parses an RFC 3339 time.
pub fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("time")
}

/// `t` plus whole seconds.
pub fn secs(t: Timestamp, s: u64) -> Timestamp {
    t.plus(Span::from_secs(s))
}

/// `t` plus whole days.
pub fn days(t: Timestamp, d: u64) -> Timestamp {
    t.plus(Span::from_days(d))
}

/// A read of `plate` in region CO at `at`.
pub fn read(plate: &str, at: Timestamp, camera: &str) -> NewRead {
    NewRead {
        plate: plate.into(),
        region: "CO".into(),
        captured_at: Some(at),
        camera: camera.into(),
        lat: Some(39.7392),
        lon: Some(-104.9903),
        confidence: Some(0.9),
        image: None,
    }
}

/// A recognisable synthetic image of `len` bytes (goes to a blob file above 2 KiB).
pub fn image(seed: u32, len: usize) -> Vec<u8> {
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.push(state as u8);
    }
    out.truncate(len);
    out
}

/// An allowed request under the default policy: ROBBERY, investigation, CITY-PD.
pub fn request(plate: &str, case: &str, requester: &str) -> CaseRequest {
    CaseRequest {
        plate: plate.into(),
        region: "CO".into(),
        case_number: case.into(),
        offense: "ROBBERY".into(),
        purpose: "investigation".into(),
        requester: requester.into(),
        agency: "CITY-PD".into(),
        justification: Some("armed robbery, suspect vehicle".into()),
        warrant: None,
        from: None,
        to: None,
    }
}

/// Runs a search that the policy must allow and returns what it found.
pub fn search(v: &Vault, plate: &str, case: &str, requester: &str) -> SearchOutcome {
    search_req(v, request(plate, case, requester))
}

/// Runs a search request that the policy must allow.
pub fn search_req(v: &Vault, case: CaseRequest) -> SearchOutcome {
    let out = v
        .search(&SearchRequest {
            case,
            with_images: false,
        })
        .expect("search");
    assert!(
        out.is_allowed(),
        "the search should be allowed: {:?}",
        out.decision
    );
    out
}

/// Creates a simulation store (clock starts at `t0`) with `policy`.
pub fn create(dir: &Path, key: &MasterKey, policy: &Policy, t0: Timestamp) -> Vault {
    Vault::create(dir, key, policy, &VaultOptions::new().simulated_clock(t0)).expect("create")
}

/// Opens an existing store.
pub fn open(dir: &Path, key: &MasterKey) -> Vault {
    Vault::open(dir, key, &VaultOptions::new()).expect("open")
}

/// The RocksDB directory of a store.
pub fn db_dir(store: &Path) -> PathBuf {
    store.join("db")
}

/// One SST file as RocksDB's `live_files()` lists it.
#[derive(Clone, Debug)]
pub struct RawFile {
    pub cf: String,
    pub name: String,
    pub start_key: Option<Vec<u8>>,
    pub end_key: Option<Vec<u8>>,
}

/// Every (key, value) of one column family, in key order.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Everything a store's database holds, read through RocksDB itself (read-only).
#[derive(Clone, Debug, Default)]
pub struct RawDb {
    /// Every key and value, per column family.
    pub cfs: BTreeMap<String, Pairs>,
    /// Every live SST file.
    pub live_files: Vec<RawFile>,
}

impl RawDb {
    /// The value of `key` in column family `cf`.
    pub fn get(&self, cf: &str, key: &[u8]) -> Option<&[u8]> {
        self.cfs
            .get(cf)?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// Every (key, value) of `cf` whose key starts with `prefix`.
    pub fn with_prefix(&self, cf: &str, prefix: &[u8]) -> Pairs {
        self.cfs
            .get(cf)
            .map(|kv| {
                kv.iter()
                    .filter(|(k, _)| k.starts_with(prefix))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The SST files of column family `cf`.
    pub fn files_of(&self, cf: &str) -> Vec<RawFile> {
        self.live_files
            .iter()
            .filter(|f| f.cf == cf)
            .cloned()
            .collect()
    }
}

/// Opens the store's database read-only with the `rocksdb` crate (no master key, no lock:
/// it may run beside an open vault) and copies out every key and value of every column
/// family, and the live SST files.
pub fn raw_dump(store: &Path) -> RawDb {
    let path = db_dir(store);
    let opts = rocksdb::Options::default();
    let names = rocksdb::DB::list_cf(&opts, &path).expect("list_cf");
    let db = rocksdb::DB::open_cf_for_read_only(&opts, &path, &names, false)
        .expect("open the raw database read-only");
    let mut out = RawDb::default();
    for name in &names {
        let cf = db.cf_handle(name).expect("column family handle");
        let mut kv = Vec::new();
        for item in db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
            let (k, v) = item.expect("iterate");
            kv.push((k.to_vec(), v.to_vec()));
        }
        out.cfs.insert(name.clone(), kv);
    }
    out.live_files = db
        .live_files()
        .expect("live_files")
        .into_iter()
        .map(|f| RawFile {
            cf: f.column_family_name,
            name: f.name,
            start_key: f.start_key,
            end_key: f.end_key,
        })
        .collect();
    out
}

/// The column family of an epoch, by epoch name.
pub fn epoch_cf(name: &str) -> String {
    format!("epoch-{name}")
}

/// The keys-CF label of an epoch's wrapped keys.
pub fn epoch_key_label(name: &str) -> String {
    format!("epoch/{name}")
}

/// 32-byte slices covering a sealed value's ciphertext (after format byte and nonce): the
/// bytes a verifier must never find once the value's key is destroyed.
pub fn ciphertext_slices(sealed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if sealed.len() < CIPHERTEXT_START + 32 {
        if sealed.len() >= 32 {
            out.push(sealed[sealed.len() - 32..].to_vec());
        }
        return out;
    }
    let mut at = CIPHERTEXT_START;
    while at + 32 <= sealed.len() {
        out.push(sealed[at..at + 32].to_vec());
        at += 32;
    }
    out.push(sealed[sealed.len() - 32..].to_vec());
    out
}

/// Needles for every value's ciphertext slices.
pub fn slice_needles(kind: &str, values: &[Vec<u8>]) -> Vec<Needle> {
    values
        .iter()
        .flat_map(|v| ciphertext_slices(v))
        .map(|bytes| Needle {
            kind: kind.to_string(),
            bytes,
        })
        .collect()
}

/// Needles for whole byte strings.
pub fn whole_needles(kind: &str, values: &[Vec<u8>]) -> Vec<Needle> {
    values
        .iter()
        .map(|bytes| Needle {
            kind: kind.to_string(),
            bytes: bytes.clone(),
        })
        .collect()
}

/// Every occurrence of any needle in any file under `dir`.
pub fn scan(dir: &Path, needles: &[Needle]) -> Vec<Finding> {
    scan_dir(dir, needles).expect("scan")
}

/// Every audit entry of the store (read-only, no key).
pub fn entries(store: &Path) -> Vec<Entry> {
    Review::open(store)
        .expect("review")
        .entries()
        .expect("entries")
}

/// How many entries of `kind` (for `epoch`, when given) the log holds.
pub fn count(entries: &[Entry], kind: EntryKind, epoch: Option<&str>) -> usize {
    entries
        .iter()
        .filter(|e| e.kind == kind && epoch.is_none_or(|name| e.epoch.as_deref() == Some(name)))
        .count()
}

/// Asserts the audit log verifies and deletion verification is clean.
pub fn assert_log_ok_and_deletion_clean(store: &Path, plates: &[String]) {
    let review = Review::open(store).expect("review");
    let report = review.verify(None).expect("verify");
    assert!(report.ok, "the audit log must verify: {report:?}");
    let deletion = review.verify_deletion(plates).expect("verify deletion");
    assert!(
        deletion.clean,
        "deletion verification must be clean: {:?}",
        deletion.findings
    );
}

/// Total bytes of every file under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    files_under(dir)
        .expect("list")
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum()
}

/// Names of the files directly in `dir` whose name ends with one of `exts` (".sst").
pub fn files_with_ext(dir: &Path, exts: &[&str]) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| exts.iter().any(|x| n.ends_with(x)))
        .collect()
}

/// A fresh master key written to `path` (hex, as `keygen` writes it).
pub fn key_file(path: &Path) -> MasterKey {
    let key = MasterKey::generate().expect("key");
    key.write_new_file(path).expect("write key file");
    key
}

/// Runs the `platevault` binary with `--store` and `--master-key-file`, extra environment
/// variables, and `args`.
pub fn cli(store: &Path, key_file: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_platevault"));
    cmd.arg("--store")
        .arg(store)
        .arg("--master-key-file")
        .arg(key_file)
        .args(args)
        .env_remove("PLATEVAULT_MASTER_KEY")
        .env_remove("PLATEVAULT_STORE")
        .env_remove("PLATEVAULT_CRASH_AT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run platevault")
}

/// The one JSON document a `--json` command printed on standard output.
pub fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Asserts a command exited with `code`, showing its output otherwise.
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes reads as JSON Lines for `platevault ingest`.
pub fn jsonl(reads: &[(&str, Timestamp, &str)]) -> String {
    reads
        .iter()
        .map(|(plate, at, camera)| {
            serde_json::json!({
                "plate": plate,
                "region": "CO",
                "captured_at": at.to_rfc3339(),
                "camera": camera,
                "lat": 39.74,
                "lon": -104.99,
                "confidence": 0.9,
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Runs `f` on a thread and fails the test if it has not finished within `limit` (a stalled
/// RocksDB write would otherwise hang the test run forever). A panic in `f` is re-raised.
pub fn within<F: FnOnce() + Send + 'static>(limit: std::time::Duration, what: &str, f: F) {
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => worker.join().expect("worker"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?}: it is stalled")
        }
    }
}
