//! The RocksDB traps that issue 4 names, one test each, on real stores: each test first
//! shows the trap on a bare RocksDB database where that is quick (so the check that follows
//! is known to be able to fail), then asserts that platevault's expiry or hold release
//! handles it, from the raw files.
//!
//! - `drop_cf` frees a column family's files only once no handle remains, and `live_files()`
//!   stops listing a dropped family's files even while they are still on disk;
//! - a range delete is only a tombstone until a forced bottommost compaction;
//! - WAL archiving (`WAL_ttl_seconds`, `WAL_size_limit_MB`) and log recycling keep old bytes;
//! - a write-ahead log stays until every column family with data in it is flushed;
//! - checkpoints (and backups) hold their own copies, which `verify-deletion` reports;
//! - an old MANIFEST keeps the boundary keys of a dropped column family's files.
//!
//! (A flush racing a column family's drop used to fail: `Store::flush_all` now holds the
//! store's family list for the whole flush, so that no family is dropped under it.)

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use platevault::verify::Review;
use platevault::verify::scan::Needle;
use platevault::{MasterKey, Policy, RemovalRequest, Span, Vault};
use rocksdb::{DB, DBWithThreadMode, MultiThreaded, Options};
use support::*;

const T0: &str = "2026-09-10T12:00:00Z";
/// The epoch that expires in every test here (it ends on 09-10, expires on 10-10).
const E: &str = "2026-09-09T00:00:00Z";
/// The epoch that stays.
const F: &str = "2026-09-10T00:00:00Z";
/// A time at which E has expired and F has not.
const EXPIRE_AT: &str = "2026-10-10T06:00:00Z";

/// Ingests `batches` batches of 40 reads into E (every fifth with a 3 KiB image, so E has
/// blob files), flushing after each but the last, and 20 reads into F.
fn populate(v: &Vault, batches: u32) {
    for b in 0..batches {
        let reads = (0..40u32)
            .map(|i| {
                let n = b * 40 + i;
                let mut r = read(
                    &format!("TRAP{n:04}"),
                    secs(t(E), 60 + u64::from(n) * 300),
                    "CAM-E",
                );
                if n % 5 == 0 {
                    r.image = Some(image(n, 3 * 1024));
                }
                r
            })
            .collect();
        v.ingest(reads).expect("ingest");
        if b + 1 < batches {
            v.flush().expect("flush");
        }
    }
    let reads = (0..20u64)
        .map(|i| {
            read(
                &format!("STAY{i:04}"),
                secs(t(F), 7 * 3_600 + i * 600),
                "CAM-F",
            )
        })
        .collect();
    v.ingest(reads).expect("ingest");
}

fn new_store(dir: &Path, key: &MasterKey, batches: u32) -> Vault {
    let v = create(dir, key, &Policy::default_policy(), t(T0));
    populate(&v, batches);
    v
}

/// Every sealed value of epoch E, from the raw database.
fn sealed_of_e(dir: &Path) -> Vec<Vec<u8>> {
    raw_dump(dir).cfs[&epoch_cf(E)]
        .iter()
        .map(|(_, v)| v.clone())
        .collect()
}

fn expire_e(v: &Vault) {
    v.advance_clock(t(EXPIRE_AT)).expect("advance");
    let report = v.take_expiry_log();
    assert_eq!(report.expired_epochs, vec![E.to_string()]);
}

fn only_in(findings: &[platevault::verify::scan::Finding], prefix: &str) -> Vec<String> {
    findings
        .iter()
        .map(|f| f.file.display().to_string())
        .filter(|f| f.starts_with(prefix))
        .collect()
}

#[test]
fn drop_cf_frees_the_epochs_files_though_searches_and_flushes_run_beside_expiry() {
    // The trap, on a bare database: a handle kept past drop_cf keeps the files on disk,
    // and live_files() no longer lists them.
    let bare = tempfile::tempdir().expect("tempdir");
    let mut opts = Options::default();
    opts.create_if_missing(true);
    let db = DBWithThreadMode::<MultiThreaded>::open(&opts, bare.path()).expect("open");
    db.create_cf("doomed", &Options::default())
        .expect("create cf");
    let handle = db.cf_handle("doomed").expect("handle");
    db.put_cf(&handle, b"k", b"value of the doomed family")
        .expect("put");
    db.flush_cf(&handle).expect("flush");
    let ssts = files_with_ext(bare.path(), &[".sst"]);
    assert_eq!(ssts.len(), 1);
    db.drop_cf("doomed").expect("drop");
    assert!(db.live_files().expect("live").is_empty(), "not listed");
    assert_eq!(
        files_with_ext(bare.path(), &[".sst"]),
        ssts,
        "but still on disk while a handle remains"
    );
    drop(handle);
    assert!(files_with_ext(bare.path(), &[".sst"]).is_empty());
    drop(db);

    // The vault: E's files, recorded before, are gone from the directory after expiry,
    // although searches and flushes (which hold column family handles) ran on other
    // threads while it dropped the family. Checked on the directory, not by live_files().
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = new_store(&dir, &key, 3);
    v.flush().expect("flush");
    drop(v);
    let raw = raw_dump(&dir);
    let e_ssts: BTreeSet<String> = raw
        .files_of(&epoch_cf(E))
        .iter()
        .map(|f| f.name.trim_start_matches('/').to_string())
        .collect();
    assert!(e_ssts.len() >= 3, "E has several SST files: {e_ssts:?}");
    let db = db_dir(&dir);
    let before = files_with_ext(&db, &[".sst", ".blob"]);
    // Only E has images, so every blob file is E's.
    let e_blobs = files_with_ext(&db, &[".blob"]);
    assert!(!e_blobs.is_empty(), "E has blob files");
    assert!(e_ssts.is_subset(&before));

    let v = open(&dir, &key);
    let stop = Arc::new(AtomicBool::new(false));
    let flush_errors = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for w in 0..3 {
        let v = v.clone();
        let stop = Arc::clone(&stop);
        let flush_errors = Arc::clone(&flush_errors);
        workers.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                if w == 0 {
                    if let Err(e) = v.flush() {
                        flush_errors.lock().expect("lock").push(e.to_string());
                    }
                } else {
                    let plate = format!("TRAP{:04}", n % 120);
                    let _ = search(&v, &plate, CASE, &format!("DET-{w}-{n}"));
                }
            }
        }));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    expire_e(&v);
    std::thread::sleep(std::time::Duration::from_millis(50));
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().expect("worker");
    }
    let after = files_with_ext(&db, &[".sst", ".blob"]);
    let left: Vec<&String> = e_ssts
        .union(&e_blobs)
        .filter(|f| after.contains(*f))
        .collect();
    assert!(
        left.is_empty(),
        "files of the expired epoch remain: {left:?}"
    );
    drop(v);
    let raw = raw_dump(&dir);
    assert!(raw.files_of(&epoch_cf(E)).is_empty());
    assert!(
        !raw.cfs.contains_key(&epoch_cf(E)),
        "the column family is gone"
    );
    assert!(!raw.files_of(&epoch_cf(F)).is_empty(), "F's files stay");
    let after = files_with_ext(&db, &[".sst", ".blob"]);
    assert!(e_ssts.union(&e_blobs).all(|f| !after.contains(f)));
}

#[test]
fn a_flush_beside_expiry_never_fails() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let t0 = t("2026-09-01T00:00:00Z");
    let v = create(&dir, &key, &Policy::default_policy(), t0);
    v.advance_clock(days(t0, 12)).expect("advance");
    for d in 0..12u64 {
        let reads = (0..30u64)
            .map(|i| {
                read(
                    &format!("FLUSH{i:03}"),
                    secs(days(t0, d), 60 + i * 60),
                    "CAM-1",
                )
            })
            .collect();
        v.ingest(reads).expect("ingest");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flusher = {
        let v = v.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut errors = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                if let Err(e) = v.flush() {
                    errors.push(e.to_string());
                }
            }
            errors
        })
    };
    // Twelve expiries, one epoch each.
    for d in 0..12u64 {
        v.advance_clock(days(t0, d + 31)).expect("advance");
    }
    assert!(v.live_epochs().is_empty(), "all twelve expired");
    stop.store(true, Ordering::SeqCst);
    let errors = flusher.join().expect("flusher");
    assert!(
        errors.is_empty(),
        "flushes failed beside expiry: {errors:?}"
    );
}

#[test]
fn a_range_delete_is_a_tombstone_until_compaction_and_hold_release_compacts() {
    // The trap: after delete_range and a flush, the values are still in an SST file.
    let bare = tempfile::tempdir().expect("tempdir");
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    let db = DB::open_cf(&opts, bare.path(), ["holds"]).expect("open");
    let cf = db.cf_handle("holds").expect("cf");
    let marker = b"RANGE-DELETED-MARKER-0123456789".to_vec();
    for i in 0..10u8 {
        let mut v = marker.clone();
        v.push(i);
        db.put_cf(cf, [b'H', i], v).expect("put");
    }
    db.flush_cf(cf).expect("flush");
    db.delete_range_cf(cf, [b'H'], [b'I'])
        .expect("delete range");
    db.flush_cf(cf).expect("flush");
    assert!(
        db.get_cf(cf, [b'H', 3]).expect("get").is_none(),
        "deleted for readers"
    );
    let needle = whole_needles("marker", std::slice::from_ref(&marker));
    assert!(
        !scan(bare.path(), &needle).is_empty(),
        "but the bytes are still in the files"
    );
    let mut compact = rocksdb::CompactOptions::default();
    compact.set_bottommost_level_compaction(rocksdb::BottommostLevelCompaction::Force);
    db.compact_range_cf_opt(cf, None::<&[u8]>, None::<&[u8]>, &compact);
    assert!(
        scan(bare.path(), &needle).is_empty(),
        "gone after a forced bottommost compaction"
    );
    drop(db);

    // The vault's hold release: delete_range plus a forced compaction.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &Policy::default_policy(), t(T0));
    let reads = (0..25u64)
        .map(|i| read("HELDPLT", secs(t(F), 3_600 + i * 600), "CAM-H"))
        .collect();
    v.ingest(reads).expect("ingest");
    let outcome = v
        .hold(
            &request("HELDPLT", CASE, "DET-1"),
            t(T0).plus(Span::from_days(90)),
        )
        .expect("hold");
    assert_eq!(outcome.placed, 25);
    v.flush().expect("flush");
    drop(v);
    let held: Vec<Vec<u8>> = raw_dump(&dir)
        .with_prefix("holds", b"H")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(held.len(), 25);
    let needles = slice_needles("held copy", &held);
    assert!(
        !only_in(&scan(&dir, &needles), "db/").is_empty(),
        "held copies are in SST files"
    );
    let v = open(&dir, &key);
    v.release_hold(
        CASE,
        &RemovalRequest {
            requester: "SGT-1".into(),
            agency: "CITY-PD".into(),
            role: None,
        },
    )
    .expect("release")
    .released
    .expect("a hold");
    let found = scan(&dir, &needles);
    assert!(found.is_empty(), "tombstoned held copies remain: {found:?}");
    drop(v);
    assert!(scan(&dir, &needles).is_empty());
}

/// Reads `name=value` lines of the newest OPTIONS file.
fn options_file(db: &Path) -> String {
    let newest = files_with_ext(db, &[""])
        .into_iter()
        .filter(|n| n.starts_with("OPTIONS-"))
        .max_by_key(|n| n[8..].parse::<u64>().unwrap_or(0))
        .expect("an OPTIONS file");
    std::fs::read_to_string(db.join(newest)).expect("read OPTIONS")
}

#[test]
fn wal_archiving_and_log_recycling_are_off_and_old_logs_are_deleted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = new_store(&dir, &key, 3);
    let db = db_dir(&dir);
    let options = options_file(&db);
    for setting in [
        "WAL_ttl_seconds=0",
        "WAL_size_limit_MB=0",
        "recycle_log_file_num=0",
    ] {
        assert!(
            options.lines().any(|l| l.trim() == setting),
            "{setting} in the OPTIONS file"
        );
    }
    let logs_before = files_with_ext(&db, &[".log"]);
    assert!(!logs_before.is_empty());
    expire_e(&v);
    let logs_after = files_with_ext(&db, &[".log"]);
    let kept: Vec<&String> = logs_before.intersection(&logs_after).collect();
    assert!(kept.is_empty(), "old logs kept after expiry: {kept:?}");
    assert!(!db.join("archive").exists(), "no WAL archive");
    drop(v);
    assert!(!db.join("archive").exists(), "no WAL archive");
}

#[test]
fn a_log_stays_until_every_family_is_flushed_and_expiry_flushes_them_all() {
    // The trap: a log with data of two families survives a flush of only one of them.
    let bare = tempfile::tempdir().expect("tempdir");
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    let db = DB::open_cf(&opts, bare.path(), ["a", "b"]).expect("open");
    let marker = b"LOGGED-IN-FAMILY-A-0123456789abcdef".to_vec();
    db.put_cf(db.cf_handle("a").expect("a"), b"k", &marker)
        .expect("put");
    db.put_cf(db.cf_handle("b").expect("b"), b"k", b"other family")
        .expect("put");
    db.flush_cf(db.cf_handle("a").expect("a")).expect("flush a");
    let needle = whole_needles("marker", std::slice::from_ref(&marker));
    let in_logs = |found: Vec<platevault::verify::scan::Finding>| {
        found
            .iter()
            .filter(|f| f.file.to_string_lossy().ends_with(".log"))
            .count()
    };
    assert!(
        in_logs(scan(bare.path(), &needle)) > 0,
        "A is flushed, yet its bytes stay in the log that B still needs"
    );
    db.flush_cf(db.cf_handle("b").expect("b")).expect("flush b");
    assert_eq!(
        in_logs(scan(bare.path(), &needle)),
        0,
        "gone once B is flushed"
    );
    drop(db);

    // The vault: E's records only in the WAL and memtable, then other families written
    // (the audit log by a search, epoch F by ingest); expiry must still retire that log.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &Policy::default_policy(), t(T0));
    let reads = (0..60u64)
        .map(|i| read(&format!("WALE{i:04}"), secs(t(E), 60 + i * 900), "CAM-E"))
        .collect();
    v.ingest(reads).expect("ingest");
    assert_eq!(search(&v, "WALE0001", CASE, "DET-1").reads.len(), 1);
    let reads = (0..20u64)
        .map(|i| {
            read(
                &format!("WALF{i:04}"),
                secs(t(F), 7 * 3_600 + i * 600),
                "CAM-F",
            )
        })
        .collect();
    v.ingest(reads).expect("ingest");
    // Read E's sealed values beside the open vault (read-only, replaying the WAL).
    let sealed = sealed_of_e(&dir);
    assert_eq!(sealed.len(), 60);
    let needles = slice_needles("E ciphertext", &sealed);
    let db = db_dir(&dir);
    let found = scan(&db, &needles);
    assert!(
        !found.is_empty()
            && found
                .iter()
                .all(|f| f.file.to_string_lossy().ends_with(".log")),
        "E's records are in the write-ahead log only: {found:?}"
    );
    // More writes to other families after E's.
    assert_eq!(search(&v, "WALF0001", CASE, "DET-2").reads.len(), 1);
    expire_e(&v);
    let found = scan(&dir, &needles);
    assert!(found.is_empty(), "E's records remain: {found:?}");
    // The surviving epoch is intact.
    assert_eq!(search(&v, "WALF0002", CASE, "DET-3").reads.len(), 1);
    drop(v);
    assert!(scan(&dir, &needles).is_empty());
}

#[test]
fn a_checkpoint_keeps_its_own_copy_and_verify_deletion_reports_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = new_store(&dir, &key, 2);
    drop(v);
    let sealed = sealed_of_e(&dir);
    let wrapped = raw_dump(&dir)
        .get("keys", epoch_key_label(E).as_bytes())
        .expect("E's wrapped key")
        .to_vec();
    let mut needles: Vec<Needle> = slice_needles("E ciphertext", &sealed);
    needles.extend(whole_needles("E wrapped key", &[wrapped]));

    // A checkpoint (as a backup tool would make) inside the store directory.
    {
        let path = db_dir(&dir);
        let opts = Options::default();
        let names = DB::list_cf(&opts, &path).expect("list_cf");
        let db = DB::open_cf(&opts, &path, &names).expect("open read-write");
        rocksdb::checkpoint::Checkpoint::new(&db)
            .expect("checkpoint")
            .create_checkpoint(dir.join("backup-checkpoint"))
            .expect("create checkpoint");
    }

    let v = open(&dir, &key);
    expire_e(&v);
    drop(v);
    let found = scan(&dir, &needles);
    assert!(!found.is_empty(), "the checkpoint keeps E's bytes");
    assert_eq!(
        only_in(&found, "backup-checkpoint/").len(),
        found.len(),
        "only the checkpoint keeps them: {found:?}"
    );
    assert!(found.iter().any(|f| f.kind == "E wrapped key"));
    // The verifier reports the copy, so that nobody mistakes the store for clean: copies
    // outside the store's own files are what master-key rotation is for.
    let report = Review::open(&dir)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify");
    assert!(!report.clean, "the checkpoint's copy is reported");
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.file.starts_with("backup-checkpoint/")),
        "{:?}",
        report.findings
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.kind.contains("expired_epoch_material") && f.kind.contains(E)),
        "{:?}",
        report.findings
    );
    std::fs::remove_dir_all(dir.join("backup-checkpoint")).expect("remove the checkpoint");
    assert_log_ok_and_deletion_clean(&dir, &[]);
}

#[test]
fn no_manifest_keeps_the_boundary_keys_of_an_expired_epochs_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = new_store(&dir, &key, 4);
    v.flush().expect("flush");
    drop(v);
    let raw = raw_dump(&dir);
    let mut boundary: Vec<Vec<u8>> = Vec::new();
    for f in raw.files_of(&epoch_cf(E)) {
        boundary.extend(f.start_key.clone());
        boundary.extend(f.end_key.clone());
    }
    assert!(boundary.len() >= 2, "E has SST files");
    let record_keys: Vec<Vec<u8>> = raw.cfs[&epoch_cf(E)]
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    let mut needles = whole_needles("boundary key", &boundary);
    needles.extend(whole_needles("record key", &record_keys));
    let in_manifests = |found: &[platevault::verify::scan::Finding]| -> Vec<String> {
        found
            .iter()
            .filter(|f| {
                f.file
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("MANIFEST-"))
            })
            .map(|f| format!("{} @ {}: {}", f.file.display(), f.offset, f.kind))
            .collect()
    };
    assert!(
        !in_manifests(&scan(&dir, &needles)).is_empty(),
        "the MANIFEST holds E's boundary keys while E lives"
    );

    let v = open(&dir, &key);
    expire_e(&v);
    let found = scan(&dir, &needles);
    assert!(
        in_manifests(&found).is_empty(),
        "a MANIFEST keeps E's keys: {:?}",
        in_manifests(&found)
    );
    assert!(found.is_empty(), "E's keys remain: {found:?}");
    drop(v);
    assert!(scan(&dir, &needles).is_empty());
}
