//! Crash injection at every step of expiry (issue 4): a crash after the intent is audited,
//! after the keys are destroyed, after the column family is dropped, and after the purge, is
//! completed by the next open, whether the crash is a fault injected in process (the vault's
//! test hook) or a real process killed by `abort()` at that point (`PLATEVAULT_CRASH_AT` in
//! the `platevault` binary). Afterwards the epoch is gone, the audit log holds exactly one
//! expiry intent and exactly one deletion certificate for it (with its read count), the log
//! verifies, deletion verification is clean, and the other epoch's reads are intact.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use platevault::audit::entry::EntryKind;
use platevault::{EpochWidth, MasterKey, Policy, Timestamp, Vault, VaultOptions};
use support::*;

/// The epoch that expires, its read count, and the epoch that stays.
const EXPIRING: &str = "2026-04-09T00:00:00Z";
const EXPIRING_READS: u64 = 120;
const STAYING: &str = "2026-04-10T00:00:00Z";
/// Creation time of every store here.
const T0: &str = "2026-04-10T12:00:00Z";
/// A time at which the expiring epoch is past retention and the staying one is not.
const LATER: &str = "2026-05-10T06:00:00Z";

fn expiring_reads() -> Vec<(String, Timestamp)> {
    (0..EXPIRING_READS)
        .map(|i| (format!("GONE{i:04}"), secs(t(EXPIRING), 30 + i * 700)))
        .collect()
}

fn staying_reads() -> Vec<(String, Timestamp)> {
    (0..20)
        .map(|i| (format!("STAY{i:04}"), secs(t(STAYING), 7 * 3_600 + i * 600)))
        .collect()
}

fn plates() -> Vec<String> {
    expiring_reads()
        .into_iter()
        .chain(staying_reads())
        .map(|(p, _)| p)
        .collect()
}

/// What must hold once the interrupted expiry has been completed.
fn assert_completed(dir: &std::path::Path, key: &MasterKey, point: &str) {
    let log = entries(dir);
    assert_eq!(
        count(&log, EntryKind::ExpiryIntent, Some(EXPIRING)),
        1,
        "{point}: exactly one expiry intent"
    );
    assert_eq!(
        count(&log, EntryKind::DeletionCertificate, Some(EXPIRING)),
        1,
        "{point}: exactly one deletion certificate"
    );
    assert_eq!(
        count(&log, EntryKind::DeletionCertificate, None),
        1,
        "{point}: no other epoch expired"
    );
    let cert = log
        .iter()
        .find(|e| e.kind == EntryKind::DeletionCertificate)
        .expect("certificate");
    assert_eq!(cert.results, Some(EXPIRING_READS), "{point}: read count");
    assert!(
        cert.deletion.as_ref().is_some_and(|d| !d.items.is_empty()),
        "{point}: the certificate carries digests"
    );
    assert_log_ok_and_deletion_clean(dir, &plates());

    // The vault agrees, and reopening again changes nothing.
    let v = open(dir, key);
    let expiring = EpochWidth::DAILY.epoch_of(t(EXPIRING));
    let staying = EpochWidth::DAILY.epoch_of(t(STAYING));
    assert!(!v.live_epochs().contains(&expiring), "{point}");
    assert!(v.live_epochs().contains(&staying), "{point}");
    assert!(search(&v, "GONE0100", CASE, "DET-9").reads.is_empty());
    assert_eq!(search(&v, "STAY0003", CASE, "DET-9").reads.len(), 1);
    drop(v);
    let log = entries(dir);
    assert_eq!(count(&log, EntryKind::DeletionCertificate, None), 1);
    assert_eq!(count(&log, EntryKind::ExpiryIntent, None), 1);
}

fn populate(v: &Vault) {
    let mut reads: Vec<_> = expiring_reads()
        .into_iter()
        .map(|(p, at)| read(&p, at, "CAM-1"))
        .collect();
    // Half of the expiring epoch in SST files, half in the write-ahead log.
    let second = reads.split_off(reads.len() / 2);
    v.ingest(reads).expect("ingest");
    v.flush().expect("flush");
    v.ingest(second).expect("ingest");
    v.ingest(
        staying_reads()
            .into_iter()
            .map(|(p, at)| read(&p, at, "CAM-2"))
            .collect(),
    )
    .expect("ingest");
}

fn crash_in_process(point: &'static str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &Policy::default_policy(), t(T0));
    populate(&v);
    drop(v);

    // The hook is armed only once the store is open, so that the open itself runs clean.
    let armed = Arc::new(AtomicBool::new(false));
    let hook_armed = Arc::clone(&armed);
    let reached = Arc::new(AtomicBool::new(false));
    let hook_reached = Arc::clone(&reached);
    let options = VaultOptions::new().fault_hook(Arc::new(move |p: &str| {
        let hit = hook_armed.load(Ordering::SeqCst) && p == point;
        if hit {
            hook_reached.store(true, Ordering::SeqCst);
        }
        hit
    }));
    let v = Vault::open(&dir, &key, &options).expect("open");
    armed.store(true, Ordering::SeqCst);
    // Moving the clock runs expiry (it is one of its triggers); an explicit expire() call
    // would too: the first to run it meets the fault.
    let err = v
        .advance_clock(t(LATER))
        .and_then(|_| v.expire())
        .expect_err("the injected fault stops expiry");
    assert!(reached.load(Ordering::SeqCst), "{point} was reached");
    assert!(err.to_string().contains(point), "{point}: {err}");
    let expiring = EpochWidth::DAILY.epoch_of(t(EXPIRING));
    let dropped = matches!(point, "expiry:after-drop" | "expiry:after-purge");
    assert_eq!(
        !v.live_epochs().contains(&expiring),
        dropped,
        "{point}: the column family is dropped only from step 3 on"
    );
    // A search in the crashed process never returns the epoch either.
    assert!(search(&v, "GONE0100", CASE, "DET-8").reads.is_empty());
    drop(v);
    let log = entries(&dir);
    assert_eq!(count(&log, EntryKind::ExpiryIntent, Some(EXPIRING)), 1);
    assert_eq!(count(&log, EntryKind::DeletionCertificate, None), 0);

    // Reopening without the hook completes the expiry.
    let v = open(&dir, &key);
    let done = v.take_expiry_log();
    assert_eq!(done.expired_epochs, vec![EXPIRING.to_string()], "{point}");
    assert_eq!(done.reads_removed, EXPIRING_READS, "{point}");
    drop(v);
    assert_completed(&dir, &key, point);
}

#[test]
fn in_process_fault_after_intent_is_completed_on_open() {
    crash_in_process(EXPIRY_POINTS[0]);
}

#[test]
fn in_process_fault_after_keys_destroyed_is_completed_on_open() {
    crash_in_process(EXPIRY_POINTS[1]);
}

#[test]
fn in_process_fault_after_drop_is_completed_on_open() {
    crash_in_process(EXPIRY_POINTS[2]);
}

#[test]
fn in_process_fault_after_purge_is_completed_on_open() {
    crash_in_process(EXPIRY_POINTS[3]);
}

fn crash_child_process(point: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key_path = tmp.path().join("master.key");
    let key = key_file(&key_path);
    assert_exit(
        &cli(&dir, &key_path, &[], &["--now", T0, "init", "--json"]),
        0,
    );
    let reads: Vec<(String, Timestamp)> = expiring_reads()
        .into_iter()
        .chain(staying_reads())
        .collect();
    let lines: Vec<(&str, Timestamp, &str)> = reads
        .iter()
        .map(|(p, at)| (p.as_str(), *at, "CAM-1"))
        .collect();
    let input = tmp.path().join("reads.jsonl");
    std::fs::write(&input, jsonl(&lines)).expect("write reads");
    let out = cli(
        &dir,
        &key_path,
        &[],
        &["ingest", input.to_str().expect("utf-8 path"), "--json"],
    );
    assert_exit(&out, 0);
    assert_eq!(json(&out)["accepted"], reads.len());

    // The child aborts at the named point of the expiry that moving the clock triggers.
    let out = cli(
        &dir,
        &key_path,
        &[("PLATEVAULT_CRASH_AT", point)],
        &["--now", LATER, "expire", "--json"],
    );
    assert!(!out.status.success(), "{point}: the child must crash");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(6),
            "{point}: killed by SIGABRT, status {:?}",
            out.status
        );
    }
    let log = entries(&dir);
    assert_eq!(
        count(&log, EntryKind::ExpiryIntent, Some(EXPIRING)),
        1,
        "{point}"
    );
    assert_eq!(
        count(&log, EntryKind::DeletionCertificate, None),
        0,
        "{point}"
    );

    // The next run completes it and reports it.
    let out = cli(&dir, &key_path, &[], &["expire", "--json"]);
    assert_exit(&out, 0);
    let doc = json(&out);
    assert_eq!(
        doc["expired_epochs"],
        serde_json::json!([EXPIRING]),
        "{point}: {doc}"
    );
    assert_eq!(doc["reads_removed"], EXPIRING_READS, "{point}: {doc}");
    assert_eq!(doc["now"], LATER);
    let out = cli(&dir, &key_path, &[], &["audit", "verify", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["ok"], true);
    let out = cli(&dir, &key_path, &[], &["verify-deletion", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["clean"], true);
    assert_completed(&dir, &key, point);
}

#[test]
fn killed_child_after_intent_is_completed_by_the_next_run() {
    crash_child_process(EXPIRY_POINTS[0]);
}

#[test]
fn killed_child_after_keys_destroyed_is_completed_by_the_next_run() {
    crash_child_process(EXPIRY_POINTS[1]);
}

#[test]
fn killed_child_after_drop_is_completed_by_the_next_run() {
    crash_child_process(EXPIRY_POINTS[2]);
}

#[test]
fn killed_child_after_purge_is_completed_by_the_next_run() {
    crash_child_process(EXPIRY_POINTS[3]);
}

/// Expiry has several triggers (open, ingest, the clock, an explicit call, the async API's
/// background task) that may run at once in one process: each epoch must still be expired
/// exactly once, with one intent and one certificate.
#[test]
fn concurrent_expiry_runs_expire_each_epoch_exactly_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let t0 = t("2026-09-01T00:00:00Z");
    let v = create(&dir, &key, &Policy::default_policy(), t0);
    v.advance_clock(days(t0, 12)).expect("advance");
    for d in 0..12u64 {
        let reads = (0..20u64)
            .map(|i| {
                read(
                    &format!("RACE{i:03}"),
                    secs(days(t0, d), 60 + i * 60),
                    "CAM-1",
                )
            })
            .collect();
        v.ingest(reads).expect("ingest");
    }
    let start = Arc::new(std::sync::Barrier::new(4));
    let mut runners = Vec::new();
    for r in 0..4 {
        let v = v.clone();
        let start = Arc::clone(&start);
        runners.push(std::thread::spawn(move || {
            start.wait();
            let mut errors = Vec::new();
            for d in 0..12u64 {
                let result = if r == 0 {
                    v.advance_clock(days(t0, d + 31)).map(|_| ())
                } else {
                    v.expire().map(|_| ())
                };
                if let Err(e) = result {
                    errors.push(e.to_string());
                }
            }
            errors
        }));
    }
    let errors: Vec<String> = runners
        .into_iter()
        .flat_map(|r| r.join().expect("runner"))
        .collect();
    v.expire().expect("a last run");
    assert!(v.live_epochs().is_empty(), "all twelve epochs expired");
    drop(v);
    let log = entries(&dir);
    for d in 0..12u64 {
        let name = days(t0, d).to_rfc3339();
        assert_eq!(
            (
                count(&log, EntryKind::ExpiryIntent, Some(&name)),
                count(&log, EntryKind::DeletionCertificate, Some(&name))
            ),
            (1, 1),
            "epoch {name}: one intent and one certificate (errors: {errors:?})"
        );
    }
    assert!(errors.is_empty(), "expiry runs failed: {errors:?}");
    assert_log_ok_and_deletion_clean(&dir, &[]);
}
