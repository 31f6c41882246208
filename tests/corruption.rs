//! Corruption of every kind of file a store holds, on real RocksDB files: an SST and a blob
//! file of one epoch, the newest write-ahead log, the MANIFEST (and CURRENT), the header
//! `platevault.json`, the SST of the `audit` column family and the SST of the `keys` column
//! family. A store is built once (reads in four daily epochs, with images so that there are
//! blob files, searches in the audit log, a legal hold; the last two ingest batches and
//! searches only in the WAL) and closed, and the reviewer keeps a signed checkpoint; then, on
//! fresh copies per case, bytes are flipped at a few offsets, or the file is truncated, and
//! one copy is opened through the library, the other through the `platevault` binary. Every
//! case shows that the damage is reported with a clear error (`Error::Damaged`,
//! `WrongMasterKey`, ...; CLI exit 6, never exit 1, never a panic or a signal); that no search
//! ever returns a read that differs in any byte from what was ingested (camera, time,
//! coordinates, the image's SHA-256 and the decrypted image itself); that no search silently
//! returns fewer reads than were ingested, except after a WAL cut short, which RocksDB cannot
//! tell from a torn tail, and then only the batches after the cut; and that `audit verify`
//! against the pinned checkpoint never says `ok: true` about an audit log that was damaged
//! or lost entries. Where RocksDB opens the store at all, a search over undamaged epochs still
//! works. A torn WAL tail (the last bytes of the newest log cut off) is not damage: the store
//! opens and loses only the torn record. What each case saw is printed (`--nocapture`) and
//! summarised in docs/reliability.md ("Corruption").

mod support;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use platevault::crypto::keys::KeyError;
use platevault::store::layout::epoch_cf;
use platevault::store::{Access, Store, StoreTuning};
use platevault::verify::Review;
use platevault::verify::audit_log::PinnedCheckpoint;
use platevault::{
    CaseRequest, EpochWidth, Error, MasterKey, NewRead, Policy, ReadView, SearchRequest, Span,
    Timestamp, Vault, VaultOptions,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
// The store's simulated clock starts at t0(); every probe search is for case CASE.
use support::{BIN, CASE, t0};

/// The case of the legal hold.
const HOLD_CASE: &str = "2026-009999";
/// Plates and where their reads live.
const P_ALL: &str = "7KQX291"; // epochs A, B, C (SST) and A, D (WAL only)
const P_A: &str = "QZW4471"; // epoch A only
const P_B: &str = "BRV1180"; // epoch B only
const P_D: &str = "HNT5530"; // epoch D only, WAL only

/// Midnight of the day `days_ago` days before T0's day, plus `minutes`.
fn at(days_ago: i64, minutes: i64) -> Timestamp {
    let day = Timestamp::parse_rfc3339("2026-11-10T00:00:00Z").expect("day");
    Timestamp::from_micros(day.as_micros() + (minutes - days_ago * 1440) * 60_000_000)
}

/// Deterministic image bytes.
fn image(seed: &str, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    blake3::Hasher::new()
        .update(seed.as_bytes())
        .finalize_xof()
        .fill(&mut out);
    out
}

/// One ingested read, as ground truth.
#[derive(Clone, Debug)]
struct Truth {
    plate: String,
    camera: String,
    at: Timestamp,
    lat: f64,
    lon: f64,
    sha: Option<[u8; 32]>,
    /// Which ingest batch (0 to 4) wrote it: 3 and 4 are only in the WAL.
    batch: usize,
}

/// The built store (closed) and what is known about its files.
struct Base {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key: MasterKey,
    truth: Vec<Truth>,
    /// Store-relative paths of the files of each kind.
    files: BTreeMap<&'static str, Vec<String>>,
    /// The reviewer's checkpoint of the whole log (signed note) and the pinned public key.
    note: String,
    public_key: String,
}

/// Column family name of the epoch `days_ago` days before T0's day.
fn epoch_of(days_ago: i64) -> String {
    epoch_cf(EpochWidth::DAILY.epoch_of(at(days_ago, 600)))
}

fn list(dir: &Path, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| {
            let name = e.expect("entry").file_name().into_string().expect("utf8");
            name.ends_with(ext).then_some(name)
        })
        .collect();
    out.sort();
    out
}

fn build() -> Base {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let vault = Vault::create(
        &dir,
        &key,
        &Policy::default_policy(),
        &VaultOptions::new().simulated_clock(t0()),
    )
    .expect("create");
    let db = dir.join("db");
    let mut truth: Vec<Truth> = Vec::new();
    let mut n = 0usize;
    let mut ingest =
        |vault: &Vault, batch: usize, spec: &[(&str, i64, i64, usize)], fill: usize| {
            let mut reads = Vec::new();
            let mut add = |plate: &str, days: i64, minutes: i64, img: usize| {
                n += 1;
                let camera = format!("CAM-{n:03}");
                let (lat, lon) = (39.5 + n as f64 / 1000.0, -104.9 - n as f64 / 977.0);
                let bytes = (img > 0).then(|| image(&camera, img));
                truth.push(Truth {
                    plate: plate.into(),
                    camera: camera.clone(),
                    at: at(days, minutes),
                    lat,
                    lon,
                    sha: bytes.as_ref().map(|b| Sha256::digest(b).into()),
                    batch,
                });
                reads.push(NewRead {
                    plate: plate.into(),
                    region: "CO".into(),
                    captured_at: Some(at(days, minutes)),
                    camera,
                    lat: Some(lat),
                    lon: Some(lon),
                    confidence: Some(0.875),
                    image: bytes,
                });
            };
            for &(plate, days, minutes, img) in spec {
                add(plate, days, minutes, img);
            }
            // Other plates, so that an epoch's SST has several data blocks.
            let days = spec[0].1;
            for i in 0..fill {
                add(&format!("F{batch}X{i:03}"), days, (i as i64 * 7) % 1400, 0);
            }
            let report = vault.ingest(reads).expect("ingest");
            assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        };
    let search = |vault: &Vault, plate: &str| {
        let out = vault
            .search(&SearchRequest {
                case: request(plate, CASE, None),
                with_images: false,
            })
            .expect("search");
        assert!(out.is_allowed());
    };
    let mut files: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut blobs_before = list(&db, ".blob");
    let mut new_blobs = |files: &mut BTreeMap<&'static str, Vec<String>>, kind: &'static str| {
        let now = list(&db, ".blob");
        let fresh: Vec<String> = now
            .iter()
            .filter(|b| !blobs_before.contains(b))
            .map(|b| format!("db/{b}"))
            .collect();
        assert!(!fresh.is_empty(), "the flush of {kind} made no blob file");
        files.insert(kind, fresh);
        blobs_before = now;
    };

    // Epoch A (3 days back): flushed to an SST and a blob file.
    ingest(
        &vault,
        0,
        &[
            (P_ALL, 3, 480, 3000),
            (P_ALL, 3, 1050, 5000),
            (P_A, 3, 540, 2500),
            (P_A, 3, 600, 0),
            (P_A, 3, 1320, 4000),
        ],
        120,
    );
    vault.flush().expect("flush");
    new_blobs(&mut files, "blob of epoch A");
    // Epoch B.
    ingest(
        &vault,
        1,
        &[
            (P_ALL, 2, 300, 3500),
            (P_ALL, 2, 900, 2200),
            (P_B, 2, 100, 0),
            (P_B, 2, 700, 6000),
            (P_B, 2, 1200, 0),
        ],
        120,
    );
    vault.flush().expect("flush");
    new_blobs(&mut files, "blob of epoch B");
    // Epoch C, searches and a hold, flushed.
    ingest(&vault, 2, &[(P_ALL, 1, 200, 2100), (P_ALL, 1, 1000, 0)], 40);
    for plate in [P_ALL, P_A, P_B, P_ALL] {
        search(&vault, plate);
    }
    let hold = vault
        .hold(
            &request(P_ALL, HOLD_CASE, None),
            t0().plus(Span::from_days(60)),
        )
        .expect("hold");
    assert!(hold.placed >= 1, "the hold placed {}", hold.placed);
    vault.flush().expect("flush");
    // Only in the WAL: two batches (epoch D, and a late read of epoch A) and searches.
    ingest(&vault, 3, &[(P_D, 0, 60, 3000), (P_ALL, 3, 1380, 2600)], 0);
    search(&vault, P_D);
    ingest(&vault, 4, &[(P_D, 0, 300, 0), (P_ALL, 0, 400, 2400)], 0);
    search(&vault, P_ALL);
    drop(vault);
    // The reviewer publishes a checkpoint of the whole log and pins the store's key.
    let cp = Review::open(&dir)
        .expect("review")
        .checkpoint()
        .expect("checkpoint");
    std::fs::write(tmp.path().join("published.note"), &cp.note).expect("write note");

    // Which SST holds which column family.
    let store = Store::open(&db, StoreTuning::default(), Access::ReadOnly).expect("raw open");
    let live = store.live_files().expect("live files");
    let sst_of = |cf: &str| -> Vec<String> {
        live.iter()
            .filter(|f| f.column_family_name == cf)
            .map(|f| format!("db/{}", f.name.trim_start_matches('/')))
            .collect()
    };
    files.insert("SST of epoch A", sst_of(&epoch_of(3)));
    files.insert("SST of epoch B", sst_of(&epoch_of(2)));
    files.insert("SST of the audit family", sst_of("audit"));
    files.insert("SST of the keys family", sst_of("keys"));
    drop(store);
    let wal = list(&db, ".log")
        .into_iter()
        .filter(|l| std::fs::metadata(db.join(l)).is_ok_and(|m| m.len() > 0))
        .max()
        .expect("a non-empty WAL");
    files.insert("WAL", vec![format!("db/{wal}")]);
    let current = std::fs::read_to_string(db.join("CURRENT")).expect("CURRENT");
    files.insert("MANIFEST", vec![format!("db/{}", current.trim())]);
    files.insert("CURRENT", vec!["db/CURRENT".into()]);
    files.insert("header", vec!["platevault.json".into()]);
    for (kind, list) in files.iter_mut() {
        // Several flushes may have made several files of one family: the oldest is damaged.
        assert!(!list.is_empty(), "no file of {kind}");
        list.sort();
    }
    Base {
        _tmp: tmp,
        dir,
        key,
        truth,
        files,
        note: cp.note,
        public_key: cp.public_key,
    }
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(build)
}

fn request(plate: &str, case: &str, from: Option<Timestamp>) -> CaseRequest {
    CaseRequest {
        plate: plate.into(),
        region: "CO".into(),
        case_number: case.into(),
        offense: "ROBBERY".into(),
        purpose: "investigation".into(),
        requester: "DET-9".into(),
        agency: "CITY-PD".into(),
        from,
        ..CaseRequest::default()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for item in std::fs::read_dir(from).expect("read_dir") {
        let item = item.expect("entry");
        let target = to.join(item.file_name());
        if item.file_type().expect("type").is_dir() {
            copy_dir(&item.path(), &target);
        } else if item.file_name() != "LOCK" {
            std::fs::copy(item.path(), &target).expect("copy");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Damage and probes.
// ---------------------------------------------------------------------------------------

/// Where in a file.
#[derive(Clone, Copy, Debug)]
enum At {
    /// This many bytes from the start.
    Start(usize),
    /// The middle.
    Middle,
    /// This many bytes before the end.
    End(usize),
}

/// What is done to the file.
#[derive(Clone, Copy, Debug)]
enum Damage {
    /// Nothing (the control case).
    Nothing,
    /// XOR the byte there with 0x5A.
    Flip(At),
    /// XOR the byte at the offset with the given mask (targeted header edits).
    FlipWith(usize, u8),
    /// Keep only this share (per mille) of the file.
    Truncate(u64),
    /// Cut off the last `n` bytes (a torn WAL tail).
    CutTail(u64),
}

impl Damage {
    fn apply(self, path: &Path) -> String {
        let mut bytes = std::fs::read(path).expect("read damaged file");
        let len = bytes.len();
        let what = match self {
            Damage::Nothing => "untouched".to_string(),
            Damage::Flip(at) => {
                let i = match at {
                    At::Start(n) => n.min(len - 1),
                    At::Middle => len / 2,
                    At::End(n) => len.saturating_sub(n),
                };
                bytes[i] ^= 0x5A;
                format!("flip byte {i} of {len}")
            }
            Damage::FlipWith(i, mask) => {
                bytes[i] ^= mask;
                format!(
                    "byte {i} of {len} {:?} -> {:?}",
                    char::from(bytes[i] ^ mask),
                    char::from(bytes[i])
                )
            }
            Damage::Truncate(per_mille) => {
                let keep = (len as u64 * per_mille / 1000) as usize;
                bytes.truncate(keep);
                format!("truncate {len} -> {keep} bytes")
            }
            Damage::CutTail(n) => {
                let keep = len.saturating_sub(n as usize);
                bytes.truncate(keep);
                format!("cut the last {n} of {len} bytes")
            }
        };
        std::fs::write(path, bytes).expect("write damaged file");
        what
    }
}

/// How much loss a case tolerates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loss {
    /// None: a search returns every ingested read of its window, or fails.
    None,
    /// A WAL cut at its end: only the last batches, newest first (3 and 4: WAL only).
    TornTail,
}

/// One probe search: plate, case and window start (the end is the store's clock).
struct Probe {
    plate: &'static str,
    case: &'static str,
    from: Option<Timestamp>,
}

fn probes() -> Vec<Probe> {
    vec![
        Probe {
            plate: P_ALL,
            case: CASE,
            from: None,
        },
        Probe {
            plate: P_A,
            case: CASE,
            from: None,
        },
        Probe {
            plate: P_B,
            case: CASE,
            from: None,
        },
        Probe {
            plate: P_D,
            case: CASE,
            from: None,
        },
        // Only epochs B, C and D: isolation from epoch A.
        Probe {
            plate: P_B,
            case: CASE,
            from: Some(at(2, 0)),
        },
        // The hold's case: held copies too.
        Probe {
            plate: P_ALL,
            case: HOLD_CASE,
            from: None,
        },
    ]
}

/// A read as a search returned it (library or CLI), for comparison with the truth.
#[derive(Debug)]
struct Got {
    camera: String,
    at: Timestamp,
    lat: Option<f64>,
    lon: Option<f64>,
    sha: Option<[u8; 32]>,
    /// SHA-256 of the decrypted image the search gave (library `with_images`, CLI
    /// `--images`); `Some(None)` for a read without an image.
    image_sha: Option<Option<[u8; 32]>>,
    from_hold: bool,
    /// True when it came as JSON from the CLI.
    from_json: bool,
}

impl Got {
    /// The value as this read carries it: exact from the library; from the CLI, printed and
    /// parsed back by serde_json (whose default float parser may be off by one ulp, the
    /// same way for the same text).
    fn json(&self, x: f64) -> f64 {
        if !self.from_json {
            return x;
        }
        let text = serde_json::to_string(&x).expect("print");
        serde_json::from_str(&text).expect("parse")
    }

    fn of_view(v: &ReadView) -> Got {
        Got {
            camera: v.body.camera.clone(),
            at: v.body.captured_at,
            lat: v.body.coords.map(|c| c.0),
            lon: v.body.coords.map(|c| c.1),
            sha: v.body.image.map(|i| i.sha256),
            image_sha: Some(v.image.as_ref().map(|b| Sha256::digest(b).into())),
            from_hold: v.from_hold,
            from_json: false,
        }
    }

    /// A read of `search --json --images DIR`: its image is the file `<read_id>.jpg`.
    fn of_json(r: &Value, images: &Path) -> Got {
        let sha = r["image_sha256"].as_str().map(|h| {
            let mut out = [0u8; 32];
            hex::decode_to_slice(h, &mut out).expect("image_sha256 hex");
            out
        });
        Got {
            camera: r["camera"].as_str().expect("camera").to_string(),
            at: Timestamp::parse_rfc3339(r["captured_at"].as_str().expect("captured_at"))
                .expect("captured_at parses"),
            lat: r["lat"].as_f64(),
            lon: r["lon"].as_f64(),
            sha,
            image_sha: Some(sha.map(|_| {
                let id = r["read_id"].as_str().expect("read_id");
                let bytes = std::fs::read(images.join(format!("{id}.jpg"))).expect("image file");
                Sha256::digest(&bytes).into()
            })),
            from_hold: r["from_hold"].as_bool().unwrap_or(false),
            from_json: true,
        }
    }
}

/// Checks what a successful search returned against the truth; returns a problem, if any.
fn judge(base: &Base, probe: &Probe, got: &[Got], loss: Loss) -> Result<String, String> {
    let from = probe.from.unwrap_or(Timestamp::from_micros(i64::MIN));
    let expected: Vec<&Truth> = base
        .truth
        .iter()
        .filter(|t| t.plate == probe.plate && t.at >= from)
        .collect();
    for g in got {
        let Some(t) = base.truth.iter().find(|t| t.camera == g.camera) else {
            return Err(format!("a read of an unknown camera {:?}", g.camera));
        };
        let same = t.plate == probe.plate
            && t.at == g.at
            && g.lat.map(f64::to_bits) == Some(g.json(t.lat).to_bits())
            && g.lon.map(f64::to_bits) == Some(g.json(t.lon).to_bits())
            && g.sha == t.sha
            && g.image_sha.is_none_or(|s| s == t.sha);
        if !same {
            return Err(format!(
                "a read differs from what was ingested: got {g:?}, ingested {t:?}"
            ));
        }
    }
    let mut missing: Vec<&Truth> = expected
        .iter()
        .copied()
        .filter(|t| !got.iter().any(|g| !g.from_hold && g.camera == t.camera))
        .collect();
    if probe.case == HOLD_CASE {
        // Held copies stand in for their originals.
        missing.retain(|t| !got.iter().any(|g| g.camera == t.camera));
    }
    if missing.is_empty() {
        return Ok(format!("{} reads, all exact", got.len()));
    }
    let lost_batches: Vec<usize> = missing.iter().map(|t| t.batch).collect();
    let present_batches: Vec<usize> = expected
        .iter()
        .filter(|t| !missing.iter().any(|m| m.camera == t.camera))
        .map(|t| t.batch)
        .collect();
    let tail_only = lost_batches.iter().all(|b| *b >= 3)
        && lost_batches
            .iter()
            .all(|l| present_batches.iter().all(|p| p < l));
    if loss == Loss::TornTail && tail_only {
        return Ok(format!(
            "{} reads, all exact; lost the torn batches {lost_batches:?}",
            got.len()
        ));
    }
    Err(format!(
        "silently returned {} of {} reads (lost batches {lost_batches:?})",
        expected.len() - missing.len(),
        expected.len()
    ))
}

/// An error a damaged store may give: one that says damage or key (CLI exit 6).
fn clear(e: &Error) -> bool {
    matches!(
        e,
        Error::Damaged(_)
            | Error::WrongMasterKey
            | Error::KeyRotatedOut
            | Error::StoreNotFound { .. }
            | Error::Key(KeyError::Unwrap { .. })
    )
}

/// What one case saw, in one line per face.
#[derive(Default)]
struct Seen {
    lines: Vec<String>,
    problems: Vec<String>,
}

impl Seen {
    fn note(&mut self, s: String) {
        self.lines.push(s);
    }
    fn problem(&mut self, s: String) {
        self.problems.push(s);
    }
}

/// Everything checked through the library on one damaged copy.
fn through_library(base: &Base, dir: &Path, audit_damaged: bool, loss: Loss, seen: &mut Seen) {
    // Read-only review first: it writes nothing.
    let key = platevault::audit::checkpoint::verifying_key_from_hex(&base.public_key)
        .expect("public key");
    let pinned = PinnedCheckpoint {
        note: &base.note,
        public_key: Some(key),
    };
    match Review::open(dir).and_then(|r| r.verify(Some(pinned))) {
        Ok(report) if report.ok && audit_damaged => seen.problem(format!(
            "library audit verify says ok for a damaged audit log (size {})",
            report.size
        )),
        Ok(report) => seen.note(format!(
            "lib verify: ok={} {}",
            report.ok,
            report.problem.unwrap_or_default()
        )),
        Err(e) if clear(&e) => seen.note(format!("lib verify: error {}", short(&e.to_string()))),
        Err(e) => seen.problem(format!("library audit verify: unclear error {e:?}")),
    }
    let vault = match Vault::open(dir, &base.key, &VaultOptions::new()) {
        Ok(v) => v,
        Err(e) if clear(&e) => {
            seen.note(format!("lib open: refused: {}", short(&e.to_string())));
            return;
        }
        Err(e) => {
            seen.problem(format!("library open: unclear error {e:?}"));
            return;
        }
    };
    let mut line = String::from("lib open: ok; searches:");
    for probe in probes() {
        let out = vault.search(&SearchRequest {
            case: request(probe.plate, probe.case, probe.from),
            with_images: true,
        });
        match out {
            Ok(o) => {
                let got: Vec<Got> = o.reads.iter().map(Got::of_view).collect();
                match judge(base, &probe, &got, loss) {
                    Ok(_) => line.push_str(&format!(" {}={}", label(&probe), got.len())),
                    Err(p) => seen.problem(format!("library search {}: {p}", label(&probe))),
                }
            }
            Err(e) if clear(&e) => line.push_str(&format!(" {}=error", label(&probe))),
            Err(e) => seen.problem(format!("library search {}: unclear {e:?}", label(&probe))),
        }
    }
    seen.note(line);
}

fn label(p: &Probe) -> String {
    let mut s = p.plate.to_string();
    if p.from.is_some() {
        s.push_str("[B..]");
    }
    if p.case == HOLD_CASE {
        s.push_str("[hold]");
    }
    s
}

fn short(s: &str) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() > 110 {
        format!("{}...", s.chars().take(110).collect::<String>())
    } else {
        s
    }
}

/// Runs the binary; `None` for its exit code when a signal ended it.
fn cli(dir: &Path, key: Option<&MasterKey>, args: &[&str]) -> (Option<i32>, String, String) {
    let mut c = Command::new(BIN);
    c.env_remove("PLATEVAULT_STORE")
        .env_remove("PLATEVAULT_MASTER_KEY")
        .env_remove("PLATEVAULT_LOG")
        .arg("--store")
        .arg(dir)
        .args(args);
    if let Some(k) = key {
        c.env("PLATEVAULT_MASTER_KEY", k.to_hex().as_str());
    }
    let out = c.output().expect("run platevault");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Everything checked through the binary on another damaged copy.
fn through_cli(base: &Base, dir: &Path, audit_damaged: bool, loss: Loss, seen: &mut Seen) {
    let note = dir.with_extension("note");
    std::fs::write(&note, &base.note).expect("write note");
    let note = note.to_str().expect("utf8 path");
    let args = [
        "audit",
        "verify",
        "--checkpoint",
        note,
        "--public-key",
        &base.public_key,
        "--json",
    ];
    let (code, out, err) = cli(dir, None, &args);
    match code {
        Some(0) if audit_damaged => seen.problem(format!(
            "`audit verify` exit 0 on a damaged audit log: {}",
            out.trim()
        )),
        Some(0) | Some(4) => {
            let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
            let ok = v["ok"].as_bool();
            if ok != Some(code == Some(0)) {
                seen.problem(format!("`audit verify` exit {code:?} with {}", out.trim()));
            }
            seen.note(format!(
                "cli verify: exit {} {}",
                code.unwrap_or(-1),
                short(v["problem"].as_str().unwrap_or(""))
            ));
        }
        Some(6) => seen.note(format!("cli verify: exit 6 {}", short(err.trim()))),
        other => seen.problem(format!(
            "`audit verify` exit {other:?} (want 0, 4 or 6): {}",
            short(err.trim())
        )),
    }
    let mut line = String::from("cli searches:");
    for (n, probe) in probes().into_iter().filter(|p| p.case == CASE).enumerate() {
        let from = probe.from.map(|t| t.to_rfc3339());
        let images = dir.with_extension(format!("images-{n}"));
        let images_arg = images.to_str().expect("utf8 path").to_string();
        let mut args = vec![
            "search",
            "--plate",
            probe.plate,
            "--region",
            "CO",
            "--case",
            probe.case,
            "--offense",
            "ROBBERY",
            "--purpose",
            "investigation",
            "--requester",
            "DET-9",
            "--agency",
            "CITY-PD",
            "--images",
            &images_arg,
            "--json",
        ];
        if let Some(f) = &from {
            args.extend(["--from", f.as_str()]);
        }
        let (code, out, err) = cli(dir, Some(&base.key), &args);
        match code {
            Some(0) => {
                let v: Value = match serde_json::from_str(&out) {
                    Ok(v) => v,
                    Err(e) => {
                        seen.problem(format!("search exit 0 without JSON ({e}): {out}"));
                        continue;
                    }
                };
                let got: Vec<Got> = v["reads"]
                    .as_array()
                    .map(|a| a.iter().map(|r| Got::of_json(r, &images)).collect())
                    .unwrap_or_default();
                match judge(base, &probe, &got, loss) {
                    Ok(_) => line.push_str(&format!(" {}={}", label(&probe), got.len())),
                    Err(p) => seen.problem(format!("cli search {}: exit 0 but {p}", label(&probe))),
                }
            }
            Some(6) => line.push_str(&format!(" {}=exit6", label(&probe))),
            other => seen.problem(format!(
                "cli search {}: exit {other:?} (want 0 or 6): {}",
                label(&probe),
                short(err.trim())
            )),
        }
    }
    seen.note(line);
}

/// One case: damage a fresh copy (two, one per face), check both faces.
fn run_case(kind: &str, damage: Damage, audit_damaged: bool, loss: Loss) -> Seen {
    let base = base();
    let file = &base.files[kind][0];
    let mut seen = Seen::default();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (lib_dir, cli_dir) = (tmp.path().join("lib"), tmp.path().join("cli"));
    copy_dir(&base.dir, &lib_dir);
    copy_dir(&base.dir, &cli_dir);
    let what = damage.apply(&lib_dir.join(file));
    damage.apply(&cli_dir.join(file));
    seen.note(format!("{kind} ({file}): {what}"));
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut s = Seen::default();
        through_library(base, &lib_dir, audit_damaged, loss, &mut s);
        through_cli(base, &cli_dir, audit_damaged, loss, &mut s);
        s
    }));
    match outcome {
        Ok(s) => {
            seen.lines.extend(s.lines);
            seen.problems.extend(s.problems);
        }
        Err(p) => seen.problem(format!(
            "panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
    seen
}

/// Runs the cases, prints what each saw, and fails with every problem found.
fn run_all(cases: &[(&str, Damage, bool, Loss)]) {
    let mut problems = Vec::new();
    for &(kind, damage, audit, loss) in cases {
        let seen = run_case(kind, damage, audit, loss);
        eprintln!("--- {}", seen.lines.join("\n    "));
        for p in &seen.problems {
            eprintln!("    PROBLEM: {p}");
        }
        problems.extend(
            seen.problems
                .iter()
                .map(|p| format!("{kind} {damage:?}: {p}")),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The usual damage: a byte near the start, one in the middle, one near the end (an SST's
/// footer), and the file cut to half its length.
fn usual(kind: &'static str, audit: bool) -> Vec<(&'static str, Damage, bool, Loss)> {
    vec![
        (kind, Damage::Flip(At::Start(16)), audit, Loss::None),
        (kind, Damage::Flip(At::Middle), audit, Loss::None),
        (kind, Damage::Flip(At::End(20)), audit, Loss::None),
        (kind, Damage::Truncate(500), audit, Loss::None),
    ]
}

// ---------------------------------------------------------------------------------------
// The cases, one test per kind of file (they run in parallel).
// ---------------------------------------------------------------------------------------

#[test]
fn undamaged_copy_opens_and_every_probe_is_exact() {
    run_all(&[("CURRENT", Damage::Nothing, false, Loss::None)]);
}

#[test]
fn damaged_epoch_sst() {
    let mut cases = usual("SST of epoch A", false);
    cases.push((
        "SST of epoch A",
        Damage::Flip(At::Start(5000)),
        false,
        Loss::None,
    ));
    cases.push((
        "SST of epoch B",
        Damage::Flip(At::End(20)),
        false,
        Loss::None,
    ));
    run_all(&cases);
}

#[test]
fn damaged_epoch_blob_file() {
    let mut cases = usual("blob of epoch A", false);
    cases.push((
        "blob of epoch B",
        Damage::Flip(At::Start(3000)),
        false,
        Loss::None,
    ));
    run_all(&cases);
}

#[test]
fn damaged_wal() {
    // The WAL holds batches 3 and 4 (reads and images) and the last searches' audit entries.
    // A WAL cut short anywhere reads as a torn tail (see the next test): its later batches
    // are lost without an error, and only the pinned checkpoint shows the audit entries gone.
    let mut cases = usual("WAL", true);
    cases[3].3 = Loss::TornTail;
    run_all(&cases);
}

#[test]
fn torn_wal_tail_is_not_damage_and_loses_at_most_the_torn_batch() {
    let cases = [
        ("WAL", Damage::CutTail(3), false, Loss::TornTail),
        ("WAL", Damage::CutTail(40), false, Loss::TornTail),
    ];
    for &(kind, damage, audit, loss) in &cases {
        let seen = run_case(kind, damage, audit, loss);
        eprintln!("--- {}", seen.lines.join("\n    "));
        assert!(seen.problems.is_empty(), "{:?}", seen.problems);
        // And it opened: a torn tail is not damage.
        assert!(
            seen.lines.iter().any(|l| l.starts_with("lib open: ok")),
            "a torn WAL tail must open: {:?}",
            seen.lines
        );
        assert!(
            !seen
                .lines
                .iter()
                .any(|l| l.contains("=exit6") || l.contains("=error")),
            "a torn WAL tail must not fail a search: {:?}",
            seen.lines
        );
    }
}

#[test]
fn damaged_manifest_and_current() {
    let mut cases = usual("MANIFEST", true);
    cases.push(("CURRENT", Damage::Flip(At::Start(3)), true, Loss::None));
    cases.push(("CURRENT", Damage::Truncate(0), true, Loss::None));
    run_all(&cases);
}

/// Byte offset in the header of the first character of the value of `field`.
fn header_value_at(field: &str) -> usize {
    let text = std::fs::read_to_string(base().dir.join("platevault.json")).expect("header");
    let key = format!("\"{field}\": ");
    let i = text.find(&key).expect("field in header") + key.len();
    // Skip an opening quote or bracket and whatever leads to the first letter or digit.
    i + text[i..]
        .find(|c: char| c.is_ascii_alphanumeric())
        .expect("a value")
}

#[test]
fn damaged_header() {
    let cases = [
        ("header", Damage::FlipWith(0, 0x5A), false, Loss::None), // `{` -> `!`
        ("header", Damage::Truncate(500), false, Loss::None),
        // The store id: another store's key-check value, so "wrong master key".
        (
            "header",
            Damage::FlipWith(header_value_at("store_id"), 0x01),
            false,
            Loss::None,
        ),
        // A key-check value.
        (
            "header",
            Damage::FlipWith(header_value_at("kcv") + 1, 0x01),
            false,
            Loss::None,
        ),
        // The format name.
        (
            "header",
            Damage::FlipWith(header_value_at("format"), 0x20),
            false,
            Loss::None,
        ),
        // The key generation: 1 -> 3.
        (
            "header",
            Damage::FlipWith(header_value_at("generation"), 0x02),
            false,
            Loss::None,
        ),
        // The clock mode: "simulated" -> "cimulated".
        (
            "header",
            Damage::FlipWith(header_value_at("clock"), 0x10),
            false,
            Loss::None,
        ),
    ];
    run_all(&cases);
}

#[test]
fn header_epoch_width_change_is_reported_as_damage() {
    run_all(&[(
        "header",
        Damage::FlipWith(header_value_at("epoch_width"), 0x02), // "1d" -> "3d"
        false,
        Loss::None,
    )]);
}

#[test]
fn damaged_audit_sst() {
    run_all(&usual("SST of the audit family", true));
}

#[test]
fn damaged_keys_sst() {
    run_all(&usual("SST of the keys family", false));
}
