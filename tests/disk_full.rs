//! Disk full and I/O errors: a store on a small size-limited filesystem (a 24 MiB tmpfs;
//! each test prints why it is skipped where one cannot be mounted), filled until writes
//! fail. The failing write returns a clear error (the library: a typed storage error saying
//! there is no space left; the CLI: a non-zero exit that is not a panic, with the message);
//! nothing is half-written (every read acknowledged before the failure is there and intact
//! after reopening, the failed batch is all or nothing, the audit log verifies); a search on
//! the full disk fails rather than answering without its durable audit entry; and the store
//! works again when space returns (a filler file on the same filesystem is deleted: the store
//! reopens, ingests and searches). An expiry that meets the full disk at any of its steps is
//! completed by the next open, with its deletion certificate and a clean deletion
//! verification.
//!
//! Mounting needs root (or CAP_SYS_ADMIN, or an unprivileged user namespace); where it is
//! refused each test prints `SKIPPED` and the reason, and passes.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use platevault::audit::entry::EntryKind;
use platevault::verify::Review;
use platevault::{
    EpochWidth, Error, MasterKey, NewRead, Policy, Span, Timestamp, Vault, VaultOptions,
};
use support::*;

/// The simulated clock's start.
const T0: &str = "2026-06-10T12:00:00Z";
/// Reads per batch, all of one plate, each with an image of this size (blob files).
const BATCH: u64 = 20;
const IMAGE_BYTES: usize = 8 * 1024;
/// Room a filler file leaves for the store, which then fills it: deleting the filler (14 MiB
/// on the 24 MiB tmpfs) must leave room for the reopen, which rewrites what the write-ahead
/// log holds into table and blob files.
const STORE_ROOM: u64 = 10 << 20;

/// A small filesystem mounted for one test, unmounted when dropped.
struct SmallFs {
    dir: PathBuf,
    /// Its size, in bytes.
    bytes: u64,
    _tmp: tempfile::TempDir,
}

impl SmallFs {
    /// Mounts a `mib` MiB tmpfs. (A loop-mounted ext4 image needs the same privilege, is
    /// not allowed in an unprivileged user namespace where tmpfs is, and RocksDB's
    /// preallocation of the write-ahead log takes real blocks on ext4, so the same test would
    /// need a much larger image: tmpfs only.)
    fn mount(mib: u64) -> Result<SmallFs, String> {
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = tmp.path().join("mnt");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        run(Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={mib}m,mode=0700"),
                "tmpfs",
            ])
            .arg(&dir))
        .map_err(|e| format!("cannot mount a {mib} MiB tmpfs: {e}"))?;
        Ok(SmallFs {
            dir,
            bytes: mib << 20,
            _tmp: tmp,
        })
    }

    /// Fills the filesystem with `name` until a write fails for lack of space (or `max`
    /// bytes are written); returns the bytes written.
    fn fill(&self, name: &str, max: u64) -> u64 {
        let mut f = std::fs::File::create(self.dir.join(name)).expect("filler");
        let chunk = vec![0x5Au8; 64 * 1024];
        let mut written = 0u64;
        while written < max {
            match f.write(&chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => written += n as u64,
            }
        }
        let _ = f.sync_all();
        written
    }

    /// Free bytes on the filesystem now (`df`).
    fn available(&self) -> u64 {
        let out = Command::new("df")
            .args(["-B1", "--output=avail"])
            .arg(&self.dir)
            .output()
            .expect("df");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .next()
            .expect("df prints the free bytes")
    }

    /// Places a filler file that leaves `free` bytes of the filesystem free for the store;
    /// returns its size.
    fn fill_leaving(&self, name: &str, free: u64) -> u64 {
        let size = self.available().saturating_sub(free);
        self.fill(name, size)
    }

    /// Deletes a filler file: the space it held returns.
    fn free(&self, name: &str) {
        std::fs::remove_file(self.dir.join(name)).expect("remove filler");
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        if run(Command::new("umount").arg(&self.dir)).is_err() {
            let _ = run(Command::new("umount").arg("-l").arg(&self.dir));
        }
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    match cmd.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// The tests of this file run one at a time: one of them spawns the CLI, and a child
/// process forked while another test drops and reopens its vault would keep that vault's
/// lock alive for a moment (see `a_closed_store_reopens_while_another_thread_spawns_processes`
/// in `tests/crash_harness.rs`).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The 24 MiB filesystem, or None after printing why the test is skipped.
fn small_fs(test: &str) -> Option<SmallFs> {
    small_fs_of(test, 24)
}

/// A `mib` MiB filesystem, or None after printing why the test is skipped.
fn small_fs_of(test: &str, mib: u64) -> Option<SmallFs> {
    match SmallFs::mount(mib) {
        Ok(fs) => {
            eprintln!("{test}: store on a {} MiB tmpfs", fs.bytes >> 20);
            Some(fs)
        }
        Err(e) => {
            eprintln!(
                "SKIPPED {test}: {e}; run as root (or with CAP_SYS_ADMIN) to test a full disk"
            );
            None
        }
    }
}

/// The reads of batch `k` at clock `now`: plate `F<k>`, one image each.
fn batch(k: u64, now: Timestamp) -> Vec<NewRead> {
    (0..BATCH)
        .map(|j| NewRead {
            image: Some(rng_image(k * 1_000 + j, IMAGE_BYTES)),
            ..read(
                &format!("F{k}"),
                now.minus(Span::from_minutes(1 + j * 7)),
                &format!("CAM-{k}-{j}"),
            )
        })
        .collect()
}

/// Checks that batch `k` is whole (`present`) or wholly absent, with its images intact.
fn batch_state(v: &Vault, k: u64, now0: Timestamp, requester: &str) -> Result<bool, String> {
    let out = v
        .search(&platevault::SearchRequest {
            case: request(&format!("F{k}"), CASE, requester),
            with_images: true,
        })
        .map_err(|e| format!("search batch {k}: {e}"))?;
    if !out.is_allowed() {
        return Err(format!("search batch {k} denied: {:?}", out.decision));
    }
    if out.reads.is_empty() {
        return Ok(false);
    }
    let want = batch(k, now0);
    if out.reads.len() as u64 != BATCH {
        return Err(format!(
            "batch {k} is half there: {} of {BATCH} reads",
            out.reads.len()
        ));
    }
    for r in &out.reads {
        let w = want
            .iter()
            .find(|w| w.camera == r.body.camera)
            .ok_or_else(|| format!("batch {k}: an unknown read {}", r.body.camera))?;
        if Some(r.body.captured_at) != w.captured_at || r.image != w.image {
            return Err(format!("batch {k}: read {} is not intact", r.body.camera));
        }
    }
    Ok(true)
}

fn is_no_space(e: &Error) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    matches!(e, Error::Storage(_) | Error::Io { .. })
        && (text.contains("no space left") || text.contains("nospace"))
}

/// Ingests batches until one fails; returns (acknowledged batch ids, the failed one, its error).
fn fill_with_ingest(v: &Vault) -> (Vec<u64>, u64, Error) {
    let now = v.now();
    let mut acked = Vec::new();
    for k in 0..10_000u64 {
        match v.ingest(batch(k, now)) {
            Ok(report) => {
                assert_eq!(report.stored.len() as u64, BATCH, "batch {k} stored whole");
                acked.push(k);
            }
            Err(e) => return (acked, k, e),
        }
    }
    panic!("10,000 batches fitted on a small filesystem: the limit is not enforced");
}

#[test]
fn ingest_on_a_full_disk_fails_cleanly_and_the_store_works_again_when_space_returns() {
    let _serial = serial();
    // 40 MiB: deleting the filler (30 MiB) leaves room for the reopen to turn the whole
    // write-ahead log (up to the 10 MiB the store filled) into blob and table files while
    // the old log still exists, plus the new log's preallocation.
    let Some(fs) = small_fs_of("ingest on a full disk", 40) else {
        return;
    };
    let dir = fs.dir.join("store");
    let key = MasterKey::generate().expect("key");
    let v = Vault::create(
        &dir,
        &key,
        &Policy::default_policy(),
        &VaultOptions::new().simulated_clock(t(T0)),
    )
    .expect("create");
    fs.fill_leaving("filler", STORE_ROOM);
    let now0 = v.now();
    let (acked, failed, err) = fill_with_ingest(&v);
    eprintln!(
        "{} batches of {BATCH} reads acknowledged, batch {failed} failed: {err}",
        acked.len()
    );
    assert!(
        !acked.is_empty(),
        "some batches fitted before the disk was full"
    );
    assert!(
        is_no_space(&err),
        "the failing ingest must be a storage error saying the disk is full: {err:?}"
    );

    // On the full disk a search cannot make its decision durable, so it must not answer.
    match v.search(&platevault::SearchRequest {
        case: request("F0", CASE, "DET-FULL"),
        with_images: false,
    }) {
        Err(e) => eprintln!("search on the full disk: {e}"),
        Ok(out) => assert!(
            out.reads.is_empty() && !out.is_allowed(),
            "a search answered without its durable audit entry: {} reads",
            out.reads.len()
        ),
    }
    drop(v);

    // Space returns; the store reopens with everything acknowledged, and works.
    fs.free("filler");
    let v = Vault::open(&dir, &key, &VaultOptions::new()).expect("reopen once space returned");
    for &k in &acked {
        assert!(
            batch_state(&v, k, now0, &format!("DET-A{k}")).expect("acknowledged batch"),
            "acknowledged batch {k} is missing"
        );
    }
    let landed = batch_state(&v, failed, now0, "DET-FAILED").expect("the failed batch");
    eprintln!(
        "the failed batch {failed} is {}",
        if landed { "whole" } else { "absent" }
    );
    // Ingest and search work again.
    let next = failed + 1;
    let report = v
        .ingest(batch(next, v.now()))
        .unwrap_or_else(|e| panic!("ingest once space returned: {e}"));
    assert_eq!(report.stored.len() as u64, BATCH);
    assert!(batch_state(&v, next, v.now(), "DET-AFTER").expect("search"));
    drop(v);
    let entries = audit_entries_verified(&dir).expect("the audit log verifies");
    expiries_complete(&entries).expect("no half-applied expiry");
}

/// A vault that hit the full disk works again once space returns, without being reopened
/// (a long-running service holding an `AsyncVault` should not need a restart). The first
/// write after space returns waits for RocksDB's error recovery (it polls every 5 seconds).
#[test]
fn the_same_vault_works_again_once_space_returns() {
    let _serial = serial();
    let Some(fs) = small_fs("same vault after a full disk") else {
        return;
    };
    let dir = fs.dir.join("store");
    let key = MasterKey::generate().expect("key");
    let v = Vault::create(
        &dir,
        &key,
        &Policy::default_policy(),
        &VaultOptions::new()
            .simulated_clock(t(T0))
            // RocksDB resumes only once the free space exceeds its largest memtable (an
            // epoch's, 32 MiB with the default tuning): small memtables on this small disk.
            .tuning(platevault::StoreTuning {
                block_cache_bytes: 16 << 20,
                write_buffer_total_bytes: 4 << 20,
                epoch_write_buffer_bytes: 2 << 20,
                ..platevault::StoreTuning::default()
            }),
    )
    .expect("create");
    fs.fill_leaving("filler", STORE_ROOM);
    let (_, failed, err) = fill_with_ingest(&v);
    assert!(is_no_space(&err), "{err:?}");
    fs.free("filler");
    let now = v.now();
    let after = v.ingest(batch(failed + 1, now));
    let searched = v.search(&platevault::SearchRequest {
        case: request("F0", CASE, "DET-SAME"),
        with_images: false,
    });
    assert!(
        after.is_ok() && searched.is_ok(),
        "once space returned, the same vault still fails: ingest {:?}, search {:?}",
        after.err().map(|e| e.to_string()),
        searched.err().map(|e| e.to_string())
    );
}

/// Opening a store on a disk too full to recover its write-ahead log fails with a storage
/// error that says the disk is full, not as a damaged store (which tells the operator to
/// restore from a backup; exit 6 in the CLI); once space returns the store opens intact.
#[test]
fn opening_a_store_on_a_full_disk_reports_no_space_not_damage() {
    let _serial = serial();
    let Some(fs) = small_fs("open on a full disk") else {
        return;
    };
    let outside = tempfile::tempdir().expect("tempdir");
    let key_path = outside.path().join("master.key");
    let key = MasterKey::generate().expect("key");
    key.write_new_file(&key_path).expect("key file");
    let dir = fs.dir.join("store");
    let v = Vault::create(
        &dir,
        &key,
        &Policy::default_policy(),
        &VaultOptions::new().simulated_clock(t(T0)),
    )
    .expect("create");
    let now0 = v.now();
    for k in 0..20 {
        v.ingest(batch(k, now0)).expect("ingest");
    }
    drop(v);
    fill_file(&fs.dir.join("filler"));

    let open = Vault::open(&dir, &key, &VaultOptions::new());
    let cli = Command::new(env!("CARGO_BIN_EXE_platevault"))
        .arg("--store")
        .arg(&dir)
        .arg("--master-key-file")
        .arg(&key_path)
        .args(["expire", "--json"])
        .env_remove("PLATEVAULT_MASTER_KEY")
        .env_remove("PLATEVAULT_STORE")
        .env_remove("PLATEVAULT_CRASH_AT")
        .output()
        .expect("run platevault");
    eprintln!(
        "open on a full disk: {:?}; CLI: {:?} {}",
        open.as_ref().map(|_| ()).map_err(|e| format!("{e:?}")),
        cli.status,
        String::from_utf8_lossy(&cli.stdout).trim()
    );
    fs.free("filler");
    let v = Vault::open(&dir, &key, &VaultOptions::new()).expect("opens once space returned");
    for k in 0..20 {
        assert!(
            batch_state(&v, k, now0, &format!("DET-O{k}")).expect("batch"),
            "batch {k}"
        );
    }
    drop(v);
    if let Err(e) = &open {
        assert!(
            !matches!(e, Error::Damaged(_)) && is_no_space(e),
            "a full disk at open must be reported as such, not as damage: {e:?}"
        );
    }
    assert_ne!(
        cli.status.code(),
        Some(6),
        "the CLI reports a full disk as a damaged store (exit 6)"
    );
}

#[test]
fn cli_ingest_on_a_full_disk_exits_with_a_message_not_a_panic() {
    let _serial = serial();
    let Some(fs) = small_fs("CLI ingest on a full disk") else {
        return;
    };
    let outside = tempfile::tempdir().expect("tempdir");
    let key_path = outside.path().join("master.key");
    MasterKey::generate()
        .expect("key")
        .write_new_file(&key_path)
        .expect("key file");
    let store = fs.dir.join("store");
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_platevault"))
            .arg("--store")
            .arg(&store)
            .arg("--master-key-file")
            .arg(&key_path)
            .args(args)
            .env_remove("PLATEVAULT_MASTER_KEY")
            .env_remove("PLATEVAULT_STORE")
            .env_remove("PLATEVAULT_CRASH_AT")
            .output()
            .expect("run platevault")
    };
    let init = cli(&["--now", T0, "init", "--json"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    fs.fill_leaving("filler", 12 << 20);

    // As many bytes of 4 KiB images as the whole filesystem, into the half of it left; the
    // CLI stores them in batches of 1,000 reads (about 4 MiB), so a few batches fit before
    // the disk is full.
    let now = t(T0);
    let input = outside.path().join("reads.jsonl");
    let mut lines = String::new();
    use base64::Engine as _;
    for i in 0..fs.bytes / 4096 {
        lines.push_str(
            &serde_json::json!({
                "plate": format!("Q{i}"),
                "region": "CO",
                "captured_at": now.minus(Span::from_secs(60 + i)).to_rfc3339(),
                "camera": format!("CAM-{i}"),
                "image_b64": base64::engine::general_purpose::STANDARD.encode(rng_image(i, 4 * 1024)),
            })
            .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&input, lines).expect("input");
    let out = cli(&["ingest", input.to_str().expect("utf-8"), "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "CLI ingest on a full disk: {:?}\nstdout: {stdout}stderr: {stderr}",
        out.status
    );
    assert!(!out.status.success(), "the ingest cannot have fitted");
    assert!(
        out.status.code().is_some(),
        "killed by a signal: {:?}",
        out.status
    );
    assert_ne!(out.status.code(), Some(101), "a panic: {stderr}");
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON document");
    let message = doc["error"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        message.contains("no space left"),
        "the error names the full disk: {doc}"
    );
    assert_eq!(doc["exit_code"], out.status.code().expect("code"));

    // Space returns: the log verifies, every batch the CLI wrote is whole (the CLI writes
    // batches of 1,000 reads), and the store ingests and searches again.
    fs.free("filler");
    let verify = cli(&["audit", "verify", "--json"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let small = outside.path().join("small.jsonl");
    std::fs::write(
        &small,
        serde_json::json!({
            "plate": "AFTER1", "region": "CO", "captured_at": now.minus(Span::from_secs(5)).to_rfc3339(),
            "camera": "CAM-AFTER",
        })
        .to_string()
            + "\n",
    )
    .expect("small input");
    let again = cli(&["ingest", small.to_str().expect("utf-8"), "--json"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let found = cli(&[
        "search",
        "--plate",
        "AFTER1",
        "--region",
        "CO",
        "--case",
        CASE,
        "--offense",
        "ROBBERY",
        "--purpose",
        "investigation",
        "--requester",
        "DET-CLI",
        "--agency",
        "CITY-PD",
        "--json",
    ]);
    assert!(
        found.status.success(),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&found.stdout).expect("search JSON");
    assert_eq!(doc["reads"].as_array().map(Vec::len), Some(1));

    let key = MasterKey::from_file(&key_path).expect("key");
    let v = Vault::open(&store, &key, &VaultOptions::new()).expect("open");
    let stored: u64 = v
        .live_epochs()
        .into_iter()
        .map(|e| v.epoch_read_count(e).expect("count"))
        .sum();
    assert_eq!(
        (stored - 1) % 1_000,
        0,
        "{} reads of the failed file are stored: not whole batches",
        stored - 1
    );
    eprintln!(
        "the CLI stored {} whole batches before the disk was full",
        (stored - 1) / 1_000
    );
}

/// The disk fills up at each step of expiry in turn (a fault hook fills it when the step is
/// reached), so the next step's write fails; once space returns, the next open completes
/// the expiry: one intent and one certificate per epoch, the epochs gone, deletion
/// verification clean, the recent reads intact.
#[test]
fn an_expiry_interrupted_by_a_full_disk_completes_on_the_next_open() {
    let _serial = serial();
    for point in EXPIRY_POINTS {
        let Some(fs) = small_fs(&format!("expiry on a full disk after {point}")) else {
            return;
        };
        expiry_meets_a_full_disk(&fs, point);
    }
}

/// Every step of expiry after which the disk is made full (`expiry::points`).
const EXPIRY_POINTS: [&str; 4] = [
    "expiry:after-intent",
    "expiry:after-keys-destroyed",
    "expiry:after-drop",
    "expiry:after-purge",
];

fn expiry_meets_a_full_disk(fs: &SmallFs, point: &'static str) {
    let dir = fs.dir.join("store");
    let key = MasterKey::generate().expect("key");
    let t0 = t(T0);
    let v = Vault::create(
        &dir,
        &key,
        &Policy::default_policy(),
        &VaultOptions::new().simulated_clock(t0),
    )
    .expect("create");
    // Two old epochs and a recent one, some of it in SST and blob files.
    let old = [t0.minus(Span::from_days(3)), t0.minus(Span::from_days(2))];
    let mut old_plates = Vec::new();
    for (i, at) in old.iter().enumerate() {
        let reads = (0..30u64)
            .map(|j| {
                let p = format!("OLD{i}X{j}");
                old_plates.push(p.clone());
                read(&p, at.plus(Span::from_minutes(j)), "CAM-O")
            })
            .collect();
        v.ingest(reads).expect("ingest old");
    }
    v.ingest(batch(1, t0)).expect("ingest recent");
    v.flush().expect("flush");
    drop(v);

    // Reopen with a hook that fills the disk when expiry reaches `point`.
    let filler = fs.dir.join("filler");
    let hook_filler = filler.clone();
    let filled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hook_filled = std::sync::Arc::clone(&filled);
    let options = VaultOptions::new().fault_hook(std::sync::Arc::new(move |p: &str| {
        if p == point && !hook_filled.swap(true, std::sync::atomic::Ordering::SeqCst) {
            fill_file(&hook_filler);
        }
        false
    }));
    let v = Vault::open(&dir, &key, &options).expect("open");
    let later = t0.plus(Span::from_days(29)).plus(Span::from_hours(1));
    let result = v.advance_clock(later).and_then(|_| v.expire());
    assert!(
        filled.load(std::sync::atomic::Ordering::SeqCst),
        "{point} was reached"
    );
    match &result {
        Err(e) => {
            eprintln!("expiry with the disk full after {point}: {e}");
            assert!(
                is_no_space(e),
                "{point}: a full disk is a storage error: {e:?}"
            );
        }
        Ok(_) => panic!("{point}: expiry cannot have finished on a full disk"),
    }
    drop(v);
    let log = audit_entries_verified(&dir).expect("the audit log verifies");
    assert!(
        count_kind(&log, EntryKind::ExpiryIntent) >= 1,
        "{point}: the intent was durable before the disk filled"
    );

    std::fs::remove_file(&filler).expect("free space");
    let v = Vault::open(&dir, &key, &VaultOptions::new()).expect("reopen once space returned");
    let now = v.now();
    assert_eq!(now, later, "{point}: the clock was durable");
    for at in old {
        let e = EpochWidth::DAILY.epoch_of(at);
        assert!(
            !v.live_epochs().contains(&e),
            "{point}: epoch {} expired",
            e.name()
        );
    }
    assert!(
        batch_state(&v, 1, t0, "DET-EXP").expect("recent batch"),
        "{point}: the recent batch stays"
    );
    drop(v);
    let entries = audit_entries_verified(&dir).expect("the audit log verifies");
    let certified = expiries_complete(&entries).expect("every expiry intent has its certificate");
    assert_eq!(
        certified.len(),
        2,
        "{point}: both old epochs certified: {certified:?}"
    );
    let deletion = Review::open(&dir)
        .expect("review")
        .verify_deletion(&old_plates)
        .expect("verify deletion");
    assert!(
        deletion.clean,
        "{point}: deletion traces left: {:?}",
        deletion.findings
    );
}

/// Writes `path` until the filesystem is full.
fn fill_file(path: &Path) {
    let mut f = std::fs::File::create(path).expect("filler");
    let chunk = vec![0xA5u8; 64 * 1024];
    while matches!(f.write(&chunk), Ok(n) if n > 0) {}
    let _ = f.sync_all();
}
