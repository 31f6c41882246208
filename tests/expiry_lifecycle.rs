//! Expiry over a store's life (issue 4, "What must hold"): 90 simulated days at 30-day
//! retention with daily epochs keep at most 31 live epochs, never return a read older than
//! retention (before or after the sweep) and stop growing on disk; a 3-minute retention with
//! 1-minute epochs hides a read at `captured_at + 3min` and destroys its epoch by 4 minutes;
//! after expiry no file under the store directory holds the epoch's wrapped key or any 32-byte
//! slice of its ciphertexts (recorded from the raw database before), the deletion verifier
//! agrees, and it does find a planted copy (CLI exit 5); setting the clock back after expiry
//! brings nothing back, in process or after reopening; a read already past retention is
//! refused at ingest with the `captured_at` field. Two tests are ignored until bugs are fixed
//! (the exact retention boundary; read-only reviewers beside a busy vault), and one guards
//! against the write stall that once blocked ingest with many live epochs.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use platevault::audit::entry::EntryKind;
use platevault::sim::traffic::{SimConfig, Simulation};
use platevault::verify::Review;
use platevault::{
    MasterKey, NewRead, Policy, RejectReason, SearchRequest, Span, StoreTuning, Timestamp, Vault,
    VaultOptions,
};
use support::*;

const DAY: u64 = 86_400;

fn tracked_plate(day: u64) -> String {
    format!("TRK{day:03}Q")
}

/// The two reads of day `d`'s tracked plate: at 01:00 and 23:00 of that day.
fn tracked_times(t0: Timestamp, d: u64) -> [Timestamp; 2] {
    [secs(t0, d * DAY + 3_600), secs(t0, d * DAY + 23 * 3_600)]
}

fn captured(reads: &[platevault::ReadView]) -> Vec<Timestamp> {
    let mut out: Vec<Timestamp> = reads.iter().map(|r| r.body.captured_at).collect();
    out.sort();
    out
}

#[test]
fn ninety_days_at_thirty_day_retention_stay_bounded_and_never_return_expired_reads() {
    within(Duration::from_secs(120), "the 90-day simulation", || {
        ninety_days(StoreTuning::default())
    });
}

/// Regression: with the first tuning, every idle epoch's memtable counted several MB against
/// a stalling 64 MiB write buffer manager, and ingest blocked forever once ~19 daily epochs
/// were live. Thirty-one live epochs (the most a 30-day policy keeps) must keep ingesting.
#[test]
fn ingest_keeps_working_with_thirty_one_live_daily_epochs_under_the_default_tuning() {
    within(
        Duration::from_secs(30),
        "ingest into 31 daily epochs",
        || {
            let tmp = tempfile::tempdir().expect("tempdir");
            let key = MasterKey::generate().expect("key");
            let t0 = t("2026-01-01T00:00:00Z");
            let v = create(
                &tmp.path().join("store"),
                &key,
                &Policy::default_policy(),
                t0,
            );
            for d in 0..31u64 {
                // Just before the end of day d + 1: day d - 30 has expired, days d - 29..=d + 1
                // (31 epochs) are live once the read of day d + 1 is in.
                v.advance_clock(secs(days(t0, d + 1), 86_000))
                    .expect("advance");
                v.ingest(vec![
                    read("ABC123", secs(days(t0, d), 100), "CAM-1"),
                    read("ABC124", secs(days(t0, d + 1), 100), "CAM-1"),
                ])
                .expect("ingest");
            }
            assert_eq!(v.live_epochs().len(), 31);
        },
    );
}

fn ninety_days(tuning: StoreTuning) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let t0 = t("2026-01-01T00:00:00Z");
    let retention = Span::from_days(30);
    let v = Vault::create(
        &dir,
        &key,
        &Policy::default_policy(),
        &VaultOptions::new().simulated_clock(t0).tuning(tuning),
    )
    .expect("create");

    // A few hundred synthetic reads a day, each with a 3 KiB image (blob files), grouped by day.
    const DAYS: u64 = 90;
    let sim = Simulation::new(
        SimConfig::new(300 * DAYS, DAYS as u32, days(t0, DAYS), 11).image_bytes(3 * 1024),
    );
    let mut by_day: BTreeMap<u64, Vec<NewRead>> = BTreeMap::new();
    for r in sim.reads() {
        let at = r.captured_at.expect("time");
        let d = (at.unix_secs() - t0.unix_secs()) as u64 / DAY;
        by_day.entry(d).or_default().push(r);
    }
    assert_eq!(by_day.len() as u64, DAYS, "every day has traffic");

    let mut bytes = Vec::new();
    for d in 0..DAYS {
        let requester = format!("DET-{d}");
        // End of day d: the clock moves (expiry runs by itself), then the day's reads arrive.
        let now = v.advance_clock(days(t0, d + 1)).expect("advance");
        let mut reads = by_day.remove(&d).expect("day");
        for at in tracked_times(t0, d) {
            reads.push(read(&tracked_plate(d), at, "CAM-TRK"));
        }
        let report = v.ingest(reads).expect("ingest");
        assert!(report.rejected.is_empty(), "day {d}: {:?}", report.rejected);

        let horizon = now.minus(retention);
        let live = v.live_epochs();
        assert!(live.len() <= 31, "day {d}: {} live epochs", live.len());
        for e in &live {
            assert!(
                e.end() > horizon,
                "day {d}: epoch {e} is wholly past retention but still live"
            );
        }
        // Nothing within retention was destroyed early.
        for k in d.saturating_sub(29)..=d {
            let e = platevault::EpochWidth::DAILY.epoch_of(days(t0, k));
            assert!(
                live.contains(&e),
                "day {d}: epoch of day {k} vanished early"
            );
        }

        // Searches for tracked plates around the retention edge.
        for back in [0u64, 29, 30, 31, 45] {
            let Some(k) = d.checked_sub(back) else {
                continue;
            };
            let out = search(&v, &tracked_plate(k), CASE, &requester);
            let expected: Vec<Timestamp> = tracked_times(t0, k)
                .into_iter()
                .filter(|at| *at >= horizon)
                .collect();
            assert_eq!(
                captured(&out.reads),
                expected,
                "day {d}: plate of day {k} (now {now})"
            );
            for r in &out.reads {
                assert!(
                    r.body.captured_at >= horizon,
                    "day {d}: an expired read came back"
                );
            }
        }
        bytes.push(dir_bytes(&dir));

        // Half a day later, before any sweep of day d-29's epoch: its 01:00 read is past
        // retention and must not come back, its 23:00 read still must.
        let mid = v
            .advance_clock(secs(days(t0, d + 1), 12 * 3_600))
            .expect("advance");
        if let Some(k) = d.checked_sub(29) {
            let e = platevault::EpochWidth::DAILY.epoch_of(days(t0, k));
            assert!(
                v.live_epochs().contains(&e),
                "day {d}: epoch of day {k} is still live"
            );
            let out = search(&v, &tracked_plate(k), CASE, &requester);
            assert_eq!(
                captured(&out.reads),
                vec![tracked_times(t0, k)[1]],
                "day {d} (now {mid}): only the read still within retention"
            );
        }
    }

    // Disk use stops growing: from day 40 on, the store stays within 1.3x of its size then.
    let at40 = bytes[40];
    let late_max = *bytes[60..].iter().max().expect("days");
    assert!(
        late_max as f64 <= 1.3 * at40 as f64,
        "the store keeps growing: {at40} bytes at day 40, up to {late_max} over days 60-90 (per day: {bytes:?})"
    );
    // And it did grow while filling up (so the bound means something).
    assert!(
        bytes[29] as f64 > 3.0 * bytes[3] as f64,
        "per day: {bytes:?}"
    );
    // The audit log is read once the vault is closed (see the reader test below).
    drop(v);
    let certs = count(&entries(&dir), EntryKind::DeletionCertificate, None);
    // Epochs of days 0..=59 have expired (at the last now, day 90 00:00 + 12h).
    assert_eq!(certs, 60, "one deletion certificate per expired epoch");
}

/// `audit verify` and `verify-deletion` open the store read-only so that they can run while
/// another process holds it (brief, section 4): beside a vault that ingests, searches and
/// expires, every such reader must see a consistent store (never a hole in the audit log).
#[test]
fn readers_beside_a_busy_vault_see_a_consistent_store() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let t0 = t("2026-01-01T00:00:00Z");
    let v = create(&dir, &key, &Policy::default_policy(), t0);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let v = v.clone();
        let done = std::sync::Arc::clone(&done);
        std::thread::spawn(move || {
            for d in 0..45u64 {
                v.advance_clock(days(t0, d + 1)).expect("advance");
                let reads = (0..50u64)
                    .map(|i| read(&format!("BUSY{i:03}"), secs(days(t0, d), 60 + i * 600), "C"))
                    .collect();
                v.ingest(reads).expect("ingest");
                for i in 0..3 {
                    search(&v, &format!("BUSY{i:03}"), CASE, &format!("DET-{d}"));
                }
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let mut problems = Vec::new();
    let mut reads = 0;
    while !done.load(std::sync::atomic::Ordering::SeqCst) {
        reads += 1;
        match Review::open(&dir).and_then(|r| Ok((r.verify(None)?, r.verify_deletion(&[])?))) {
            Ok((report, _)) if report.ok => {}
            Ok((report, _)) => problems.push(format!("audit verify: {:?}", report.problem)),
            Err(e) => problems.push(e.to_string()),
        }
    }
    writer.join().expect("writer");
    drop(v);
    assert!(
        problems.is_empty(),
        "{} of {reads} read-only opens saw an inconsistent store: {problems:?}",
        problems.len()
    );
}

#[test]
fn three_minute_retention_with_one_minute_epochs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let policy = Policy::from_toml(include_str!("../examples/policies/three-minute.toml"))
        .expect("three-minute policy");
    assert_eq!(policy.retention(), Span::from_minutes(3));
    let t0 = t("2026-03-01T10:00:00Z");
    let v = create(&dir, &key, &policy, t0);
    let captured_at = secs(t0, 15);
    v.advance_clock(secs(t0, 20)).expect("advance");
    let report = v
        .ingest(vec![
            read("MIN3RULE", captured_at, "CAM-1"),
            read("MIN3LATE", secs(t0, 59), "CAM-1"),
        ])
        .expect("ingest");
    assert_eq!(report.stored.len(), 2);
    let epoch = platevault::EpochWidth::new(Span::from_minutes(1))
        .expect("width")
        .epoch_of(captured_at);
    assert!(v.live_epochs().contains(&epoch));

    let mut n = 0;
    let mut find = |v: &Vault, plate: &str| {
        n += 1;
        search(v, plate, CASE, &format!("DET-{n}")).reads.len()
    };
    assert_eq!(find(&v, "MIN3RULE"), 1, "visible right after capture");
    v.advance_clock(secs(captured_at, 179)).expect("advance");
    assert_eq!(find(&v, "MIN3RULE"), 1, "visible at 2 min 59 s");

    // Invisible past captured_at + 3 min, while its epoch still lives (the exact instant
    // captured_at + 3 min is checked by the test below).
    v.advance_clock(Timestamp::from_micros(
        secs(captured_at, 180).as_micros() + 1,
    ))
    .expect("advance");
    assert!(v.live_epochs().contains(&epoch), "the epoch is not due yet");
    assert_eq!(
        find(&v, "MIN3RULE"),
        0,
        "a read must be invisible from captured_at + retention"
    );
    v.advance_clock(secs(captured_at, 181)).expect("advance");
    assert_eq!(find(&v, "MIN3RULE"), 0);
    assert_eq!(
        find(&v, "MIN3LATE"),
        1,
        "the later read of the epoch is still visible"
    );

    // Destroyed once the whole epoch is past retention: at epoch end + 3 min = t0 + 4 min,
    // that is by captured_at + 4 min.
    v.advance_clock(secs(t0, 239)).expect("advance");
    assert!(v.live_epochs().contains(&epoch));
    v.advance_clock(secs(t0, 240)).expect("advance");
    assert!(
        secs(t0, 240) <= secs(captured_at, 240),
        "destroyed within retention + epoch width"
    );
    assert!(
        !v.live_epochs().contains(&epoch),
        "the epoch is destroyed at its end + retention"
    );
    assert_eq!(find(&v, "MIN3LATE"), 0);
    drop(v);
    let log = entries(&dir);
    assert_eq!(
        count(&log, EntryKind::DeletionCertificate, Some(&epoch.name())),
        1
    );
    let cert = log
        .iter()
        .find(|e| e.kind == EntryKind::DeletionCertificate)
        .expect("certificate");
    assert_eq!(
        cert.results,
        Some(2),
        "the certificate counts the epoch's reads"
    );
    assert_log_ok_and_deletion_clean(&dir, &["MIN3RULE".into(), "MIN3LATE".into()]);
}

#[test]
fn a_read_is_invisible_exactly_at_captured_at_plus_retention() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = MasterKey::generate().expect("key");
    let policy = Policy::from_toml(include_str!("../examples/policies/three-minute.toml"))
        .expect("three-minute policy");
    let t0 = t("2026-03-01T10:00:00Z");
    let v = create(&tmp.path().join("store"), &key, &policy, t0);
    let captured_at = secs(t0, 15);
    v.advance_clock(secs(t0, 20)).expect("advance");
    v.ingest(vec![read("MIN3EDGE", captured_at, "CAM-1")])
        .expect("ingest");
    v.advance_clock(secs(captured_at, 180)).expect("advance");
    assert_eq!(
        search(&v, "MIN3EDGE", CASE, "DET-1").reads.len(),
        0,
        "invisible at captured_at + 3 min"
    );
}

/// Reads of the epoch that will expire (2026-02-09), some with images, half flushed to SST
/// files and half left in the write-ahead log; and reads of a later epoch that stays.
fn populate_two_epochs(v: &Vault) -> (Vec<String>, Vec<String>) {
    let e_day = t("2026-02-09T00:00:00Z");
    let f_day = t("2026-02-10T00:00:00Z");
    let mut e_plates = Vec::new();
    let mut batch = Vec::new();
    for i in 0..200u32 {
        let plate = format!("EXP{i:04}Z");
        let mut r = read(&plate, secs(e_day, 60 + u64::from(i) * 400), "CAM-E");
        if i % 10 == 0 {
            r.image = Some(image(i, 4096));
        }
        e_plates.push(plate);
        batch.push(r);
        if i == 99 {
            v.ingest(std::mem::take(&mut batch)).expect("ingest");
            v.flush().expect("flush");
        }
    }
    v.ingest(batch).expect("ingest");
    let mut f_plates = Vec::new();
    let mut batch = Vec::new();
    for i in 0..50u32 {
        let plate = format!("KEEP{i:04}");
        batch.push(read(&plate, secs(f_day, 60 + u64::from(i) * 600), "CAM-F"));
        f_plates.push(plate);
    }
    v.ingest(batch).expect("ingest");
    (e_plates, f_plates)
}

#[test]
fn after_expiry_no_file_holds_the_epochs_wrapped_key_or_ciphertexts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key_path = tmp.path().join("master.key");
    let key = key_file(&key_path);
    let v = create(
        &dir,
        &key,
        &Policy::default_policy(),
        t("2026-02-10T12:00:00Z"),
    );
    let (e_plates, f_plates) = populate_two_epochs(&v);
    let e_name = "2026-02-09T00:00:00Z";
    let f_name = "2026-02-10T00:00:00Z";
    drop(v);

    // Record, from the raw database, what expiry must destroy (and a control that stays).
    let raw = raw_dump(&dir);
    let wrapped = raw
        .get("keys", epoch_key_label(e_name).as_bytes())
        .expect("wrapped key of the epoch")
        .to_vec();
    let sealed: Vec<Vec<u8>> = raw.cfs[&epoch_cf(e_name)]
        .iter()
        .map(|(_, v)| v.clone())
        .collect();
    assert_eq!(sealed.len(), 220, "200 records and 20 images");
    let f_wrapped = raw
        .get("keys", epoch_key_label(f_name).as_bytes())
        .expect("wrapped key of the later epoch")
        .to_vec();
    let mut needles = whole_needles("wrapped key", std::slice::from_ref(&wrapped));
    needles.extend(slice_needles("ciphertext", &sealed));
    let before = scan(&dir, &needles);
    assert!(
        before.iter().any(|f| f.kind == "wrapped key"),
        "the scan sees the wrapped key before expiry"
    );
    assert!(
        before.iter().filter(|f| f.kind == "ciphertext").count() >= sealed.len(),
        "the scan sees the ciphertexts before expiry"
    );

    // Expire: the clock reaches the epoch's end + 30 days.
    let v = open(&dir, &key);
    v.advance_clock(t("2026-03-12T00:00:00Z")).expect("advance");
    let report = v.take_expiry_log();
    assert_eq!(report.expired_epochs, vec![e_name.to_string()]);
    assert_eq!(report.reads_removed, 200);
    assert!(v.expire().expect("expire").expired_epochs.is_empty());
    assert_eq!(search(&v, "EXP0150Z", CASE, "DET-1").reads.len(), 0);
    assert_eq!(search(&v, "KEEP0001", CASE, "DET-1").reads.len(), 1);
    drop(v);

    let after = scan(&dir, &needles);
    assert!(
        after.is_empty(),
        "traces of the expired epoch remain: {after:?}"
    );
    assert!(
        !scan(
            &dir,
            &whole_needles("control", std::slice::from_ref(&f_wrapped))
        )
        .is_empty(),
        "the live epoch's wrapped key is still found (the scan is not blind)"
    );
    let mut plates = e_plates.clone();
    plates.extend(f_plates);
    assert_log_ok_and_deletion_clean(&dir, &plates);
    let out = cli(&dir, &key_path, &[], &["verify-deletion", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["clean"], true);

    // A deliberately planted copy is found, by the library and by the CLI (exit 5).
    let planted = dir.join("planted-copy.bin");
    let mut bytes = b"some unrelated prefix bytes ".to_vec();
    bytes.extend_from_slice(&wrapped);
    bytes.extend_from_slice(&sealed[150]);
    std::fs::write(&planted, &bytes).expect("plant");
    let report = Review::open(&dir)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify");
    assert!(!report.clean);
    assert!(
        report.findings.iter().all(|f| f.file == "planted-copy.bin"),
        "{:?}",
        report.findings
    );
    let out = cli(&dir, &key_path, &[], &["verify-deletion", "--json"]);
    assert_exit(&out, 5);
    let doc = json(&out);
    assert_eq!(doc["clean"], false);
    let findings = doc["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["file"], "planted-copy.bin", "{f}");
        assert!(f["offset"].as_u64().is_some());
        assert!(
            f["kind"].as_str().is_some_and(|k| k.contains(e_name)),
            "{f}"
        );
    }
    // The first window of the wrapped key's ciphertext sits right after the prefix.
    let wrapped_at = 28 + CIPHERTEXT_START as u64;
    assert!(
        findings
            .iter()
            .any(|f| f["offset"].as_u64() == Some(wrapped_at)),
        "the planted wrapped key is reported at its offset: {findings:?}"
    );
    std::fs::remove_file(&planted).expect("remove");
    assert_exit(
        &cli(&dir, &key_path, &[], &["verify-deletion", "--json"]),
        0,
    );
}

#[test]
fn setting_the_clock_back_after_expiry_brings_nothing_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key_path = tmp.path().join("master.key");
    let key = key_file(&key_path);
    let t0 = t("2026-02-10T12:00:00Z");
    let v = create(&dir, &key, &Policy::default_policy(), t0);
    v.ingest(vec![
        read("BACK001", t("2026-02-09T08:00:00Z"), "CAM-1"),
        read("BACK001", t("2026-02-10T08:00:00Z"), "CAM-1"),
    ])
    .expect("ingest");
    v.advance_clock(t("2026-02-20T00:00:00Z")).expect("advance");
    v.ingest(vec![read("BACK001", t("2026-02-19T08:00:00Z"), "CAM-1")])
        .expect("ingest");
    let e = platevault::EpochWidth::DAILY.epoch_of(t("2026-02-09T08:00:00Z"));
    assert_eq!(search(&v, "BACK001", CASE, "DET-1").reads.len(), 3);
    // The epoch of 2026-02-09 ends on 02-10 and expires 30 days later, on 03-12.
    let later = t("2026-03-13T12:00:00Z");
    v.advance_clock(later).expect("advance");
    assert!(!v.live_epochs().contains(&e), "expired");
    assert_eq!(search(&v, "BACK001", CASE, "DET-1").reads.len(), 1);

    // Back in time: the clock stays, nothing comes back.
    assert_eq!(v.advance_clock(t0).expect("advance back"), later);
    assert_eq!(v.now(), later);
    let out = search(&v, "BACK001", CASE, "DET-2");
    assert_eq!(captured(&out.reads), vec![t("2026-02-19T08:00:00Z")]);
    let mut old_window = request("BACK001", CASE, "DET-2");
    old_window.from = Some(e.start());
    old_window.to = Some(e.end());
    let out = v
        .search(&SearchRequest {
            case: old_window.clone(),
            with_images: false,
        })
        .expect("search");
    assert!(
        out.reads.is_empty(),
        "a window over the expired epoch finds nothing"
    );
    drop(v);

    // Reopening (even with options naming an earlier simulated start) does not move it back.
    let v = Vault::open(&dir, &key, &VaultOptions::new().simulated_clock(t0)).expect("open");
    assert_eq!(v.now(), later);
    assert!(!v.live_epochs().contains(&e));
    assert_eq!(search(&v, "BACK001", CASE, "DET-3").reads.len(), 1);
    assert!(
        v.search(&SearchRequest {
            case: old_window,
            with_images: false,
        })
        .expect("search")
        .reads
        .is_empty()
    );
    drop(v);

    // Nor does the CLI's --now.
    let out = cli(
        &dir,
        &key_path,
        &[],
        &["--now", "2026-02-10T12:00:00Z", "expire", "--json"],
    );
    assert_exit(&out, 0);
    let doc = json(&out);
    assert_eq!(doc["now"], later.to_rfc3339());
    assert_eq!(doc["expired_epochs"].as_array().map(Vec::len), Some(0));
    let out = cli(
        &dir,
        &key_path,
        &[],
        &[
            "--now",
            "2026-02-09T12:00:00Z",
            "search",
            "--plate",
            "BACK001",
            "--region",
            "CO",
            "--case",
            CASE,
            "--offense",
            "ROBBERY",
            "--purpose",
            "investigation",
            "--requester",
            "DET-4",
            "--agency",
            "CITY-PD",
            "--json",
        ],
    );
    assert_exit(&out, 0);
    let doc = json(&out);
    let reads = doc["reads"].as_array().expect("reads");
    assert_eq!(reads.len(), 1, "{doc}");
    assert_eq!(reads[0]["captured_at"], "2026-02-19T08:00:00Z");
    assert_log_ok_and_deletion_clean(&dir, &["BACK001".into()]);
}

#[test]
fn ingest_of_a_read_already_past_retention_is_refused_with_the_captured_at_field() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let t0 = t("2026-06-15T12:00:00Z");
    let v = create(&dir, &key, &Policy::default_policy(), t0);
    let horizon = t0.minus(Span::from_days(30));
    let report = v
        .ingest(vec![
            read("PAST001", horizon.minus(Span::from_secs(1)), "CAM-1"),
            read("PAST002", horizon.plus(Span::from_secs(60)), "CAM-1"),
            read("PAST003", t("2026-01-01T00:00:00Z"), "CAM-1"),
        ])
        .expect("ingest");
    let refused: Vec<(usize, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.index, r.reason.field()))
        .collect();
    assert_eq!(refused, vec![(0, "captured_at"), (2, "captured_at")]);
    assert!(
        report
            .rejected
            .iter()
            .all(|r| matches!(r.reason, RejectReason::PastRetention { .. })),
        "{:?}",
        report.rejected
    );
    assert!(
        report.rejected[0]
            .reason
            .to_string()
            .starts_with("captured_at")
    );
    assert_eq!(report.stored.len(), 1);
    assert_eq!(report.stored[0].index, 1);
    assert_eq!(
        v.live_epochs().len(),
        1,
        "no epoch was created for the refused reads"
    );
}
