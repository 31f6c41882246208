//! Legal holds (issue 4): reads held for a case survive the expiry of their epoch and are
//! returned only to the placing agency's searches that name that case, inside their window
//! (issue 13); releasing (by that agency only, issue 13) the hold shreds the case key and
//! removes the copies, so that no file under the store directory keeps the held ciphertexts
//! or the wrapped case key (recorded from the raw database before); a hold past its end date
//! is released by expiry (`holds_released`, a `hold_expired` audit entry); a hold longer than
//! `hold_max_days` is denied `hold_too_long` and audited; a denied hold places nothing.

mod support;

use platevault::audit::entry::{EntryKind, Verdict};
use platevault::{
    CaseRequest, EpochWidth, MasterKey, Policy, RemovalRequest, Span, Timestamp, Vault,
};
use support::*;

const T0: &str = "2026-05-01T12:00:00Z";
/// After the epoch of 2026-05-01 has expired (its end + 30 days = 2026-05-31).
const AFTER_EXPIRY: &str = "2026-06-02T00:00:00Z";
const HELD: &str = "HOLDME1";
const NOT_HELD: &str = "NOHOLD1";

fn held_times() -> Vec<Timestamp> {
    ["08:00", "09:00", "10:00"]
        .iter()
        .map(|h| t(&format!("2026-05-01T{h}:00Z")))
        .collect()
}

fn store(dir: &std::path::Path, key: &MasterKey) -> Vault {
    let v = create(dir, key, &Policy::default_policy(), t(T0));
    let mut reads: Vec<_> = held_times()
        .into_iter()
        .map(|at| read(HELD, at, "CAM-H"))
        .collect();
    reads.push(read(NOT_HELD, t("2026-05-01T08:30:00Z"), "CAM-N"));
    assert_eq!(v.ingest(reads).expect("ingest").stored.len(), 4);
    v
}

/// A search over a window that covers the held reads of 2026-05-01 (held copies are returned
/// only inside the window granted; a default window ends up after them once they expire).
fn held_search(v: &Vault, plate: &str, case: &str, requester: &str) -> platevault::SearchOutcome {
    search_req(
        v,
        CaseRequest {
            from: Some(t("2026-05-01T00:00:00Z")),
            to: Some(t("2026-05-31T00:00:00Z")),
            ..request(plate, case, requester)
        },
    )
}

/// A release of CITY-PD's hold on `case` by `requester`.
fn release(v: &Vault, case: &str, requester: &str) -> platevault::ReleaseOutcome {
    v.release_hold(
        case,
        &RemovalRequest {
            requester: requester.into(),
            agency: "CITY-PD".into(),
            role: None,
        },
    )
    .expect("release")
}

fn times(reads: &[platevault::ReadView]) -> Vec<Timestamp> {
    reads.iter().map(|r| r.body.captured_at).collect()
}

#[test]
fn held_reads_survive_expiry_for_their_case_only_and_vanish_on_release() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = store(&dir, &key);
    let outcome = v
        .hold(&request(HELD, CASE, "DET-1"), t("2026-08-01T00:00:00Z"))
        .expect("hold");
    assert_eq!(outcome.reason_code(), "allowed");
    assert_eq!(outcome.placed, 3);
    assert_eq!(outcome.hold.as_ref().map(|h| h.reads), Some(3));
    // While the epoch lives, a search returns each read once.
    assert_eq!(times(&search(&v, HELD, CASE, "DET-1").reads), held_times());
    assert_eq!(
        times(&search(&v, HELD, OTHER_CASE, "DET-2").reads),
        held_times()
    );

    // The epoch expires; the held copies stay, for this case only.
    v.advance_clock(t(AFTER_EXPIRY)).expect("advance");
    let epoch = EpochWidth::DAILY.epoch_of(t(T0));
    assert!(!v.live_epochs().contains(&epoch), "the epoch expired");
    let out = held_search(&v, HELD, CASE, "DET-1");
    assert_eq!(times(&out.reads), held_times());
    assert!(out.reads.iter().all(|r| r.from_hold));
    assert_eq!(out.reads[0].body.camera, "CAM-H");
    assert!(
        search(&v, HELD, CASE, "DET-1").reads.is_empty(),
        "the default window (the last 30 days) does not reach back to the held reads"
    );
    assert!(
        held_search(&v, HELD, OTHER_CASE, "DET-2").reads.is_empty(),
        "another case sees nothing of the expired epoch"
    );
    assert!(
        held_search(&v, NOT_HELD, CASE, "DET-1").reads.is_empty(),
        "the case sees only what it held"
    );
    let holds = v.holds().expect("holds");
    assert_eq!(holds.len(), 1);
    assert_eq!((holds[0].case.as_str(), holds[0].reads), (CASE, 3));
    assert_eq!(
        (holds[0].agency.as_str(), holds[0].offense.as_str()),
        ("CITY-PD", "ROBBERY")
    );
    v.flush().expect("flush");
    drop(v);

    // Held copies survive a reopen; record their raw bytes and the wrapped case key.
    let raw = raw_dump(&dir);
    let held: Vec<Vec<u8>> = raw
        .with_prefix("holds", b"H")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(
        held.len(),
        3,
        "three held copies in the holds column family"
    );
    let case_keys: Vec<Vec<u8>> = raw
        .with_prefix("keys", b"hold/")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(case_keys.len(), 1, "one wrapped case key");
    let mut needles = slice_needles("held copy", &held);
    needles.extend(whole_needles("case key", &case_keys));
    let before = scan(&dir, &needles);
    assert!(before.iter().any(|f| f.kind == "held copy"));
    assert!(before.iter().any(|f| f.kind == "case key"));

    let v = open(&dir, &key);
    assert_eq!(held_search(&v, HELD, CASE, "DET-1").reads.len(), 3);
    let outcome = release(&v, CASE, "DET-1");
    assert_eq!(outcome.reason_code(), "allowed");
    let released = outcome.released.expect("there was a hold");
    assert_eq!(released.reads, 3);
    assert!(held_search(&v, HELD, CASE, "DET-1").reads.is_empty());
    assert!(v.holds().expect("holds").is_empty());
    let again = release(&v, CASE, "DET-1");
    assert!(again.is_allowed() && again.released.is_none());
    drop(v);

    let after = scan(&dir, &needles);
    assert!(
        after.is_empty(),
        "held bytes remain after release: {after:?}"
    );
    let log = entries(&dir);
    assert_eq!(count(&log, EntryKind::HoldPlaced, None), 1);
    let releases: Vec<_> = log
        .iter()
        .filter(|e| e.kind == EntryKind::HoldRelease)
        .collect();
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].case.as_deref(), Some(CASE));
    assert_eq!(releases[0].results, Some(3));
    assert_eq!(releases[0].requester.as_deref(), Some("DET-1"));
    assert_eq!(releases[0].agency.as_deref(), Some("CITY-PD"));
    let requests: Vec<_> = log
        .iter()
        .filter(|e| e.kind == EntryKind::HoldReleaseRequest)
        .collect();
    assert_eq!(
        requests.len(),
        2,
        "each release request is decided and audited, even with nothing left to release"
    );
    assert!(
        requests
            .iter()
            .all(|e| e.decision == Some(Verdict::Allowed))
    );
    assert_eq!(
        releases[0].result_of,
        log.iter()
            .find(|e| e.kind == EntryKind::HoldReleaseRequest)
            .map(|e| e.seq)
    );
    assert_log_ok_and_deletion_clean(&dir, &[HELD.into(), NOT_HELD.into()]);
    let v = open(&dir, &key);
    assert!(held_search(&v, HELD, CASE, "DET-3").reads.is_empty());
}

#[test]
fn a_hold_past_its_end_date_is_released_by_expiry() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = store(&dir, &key);
    let until = t(T0).plus(Span::from_days(3));
    let outcome = v.hold(&request(HELD, CASE, "DET-1"), until).expect("hold");
    assert_eq!(outcome.placed, 3);
    v.take_expiry_log();

    v.advance_clock(until.minus(Span::from_secs(1)))
        .expect("advance");
    assert_eq!(
        v.holds().expect("holds").len(),
        1,
        "still held before its end"
    );
    v.advance_clock(until.plus(Span::from_secs(1)))
        .expect("advance");
    let report = v.take_expiry_log();
    assert_eq!(report.holds_released, vec![CASE.to_string()]);
    assert!(report.expired_epochs.is_empty(), "no epoch was due");
    assert!(v.holds().expect("holds").is_empty());
    drop(v);
    let log = entries(&dir);
    let expired: Vec<_> = log
        .iter()
        .filter(|e| e.kind == EntryKind::HoldExpired)
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].case.as_deref(), Some(CASE));
    assert_eq!(count(&log, EntryKind::HoldRelease, None), 0);
    let v = open(&dir, &key);

    // The epoch's own reads are still there (within retention), but once the epoch expires,
    // nothing is left for the case.
    assert_eq!(search(&v, HELD, CASE, "DET-1").reads.len(), 3);
    v.advance_clock(t(AFTER_EXPIRY)).expect("advance");
    let out = held_search(&v, HELD, CASE, "DET-1");
    assert!(out.reads.is_empty(), "{:?}", times(&out.reads));
    drop(v);
    assert_log_ok_and_deletion_clean(&dir, &[HELD.into()]);
}

#[test]
fn a_hold_beyond_hold_max_days_is_denied_and_audited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = store(&dir, &key);
    assert_eq!(v.policy().hold_max_days(), 365);
    let now = v.now();
    let mut denied = Vec::new();
    for until in [
        now.plus(Span::from_days(365)).plus(Span::from_secs(1)),
        now.plus(Span::from_days(3650)),
        now.minus(Span::from_secs(1)),
    ] {
        let outcome = v.hold(&request(HELD, CASE, "DET-1"), until).expect("hold");
        assert_eq!(outcome.reason_code(), "hold_too_long", "until {until}");
        assert_eq!(outcome.placed, 0);
        assert!(outcome.hold.is_none());
        denied.push((outcome.audit_seq, until));
    }
    assert!(v.holds().expect("holds").is_empty());
    // Exactly hold_max_days is allowed.
    let outcome = v
        .hold(
            &request(HELD, CASE, "DET-1"),
            now.plus(Span::from_days(365)),
        )
        .expect("hold");
    assert_eq!(outcome.reason_code(), "allowed");
    assert_eq!(outcome.placed, 3);
    drop(v);
    let log = entries(&dir);
    for (seq, until) in denied {
        let entry = &log[seq as usize];
        assert_eq!(entry.seq, seq);
        assert_eq!(entry.kind, EntryKind::HoldAdd);
        assert_eq!(entry.decision, Some(Verdict::Denied));
        assert_eq!(entry.reason.as_deref(), Some("hold_too_long"));
        assert_eq!(entry.case.as_deref(), Some(CASE));
        assert_eq!(entry.until, Some(until));
    }
    assert_eq!(
        count(&log, EntryKind::HoldPlaced, None),
        1,
        "only the allowed hold was placed"
    );
}

#[test]
fn a_denied_hold_places_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = store(&dir, &key);
    let mut req = request(HELD, CASE, "DET-1");
    req.purpose = "immigration".into();
    let outcome = v.hold(&req, t(T0).plus(Span::from_days(60))).expect("hold");
    assert_eq!(outcome.reason_code(), "purpose_prohibited");
    assert_eq!(outcome.placed, 0);
    assert!(outcome.hold.is_none());
    assert!(v.holds().expect("holds").is_empty());
    drop(v);
    let log = entries(&dir);
    let entry = &log[outcome.audit_seq as usize];
    assert_eq!(entry.kind, EntryKind::HoldAdd);
    assert_eq!(entry.decision, Some(Verdict::Denied));
    assert_eq!(entry.reason.as_deref(), Some("purpose_prohibited"));
    assert_eq!(count(&log, EntryKind::HoldPlaced, None), 0);

    let v = open(&dir, &key);
    v.advance_clock(t(AFTER_EXPIRY)).expect("advance");
    assert!(
        held_search(&v, HELD, CASE, "DET-1").reads.is_empty(),
        "nothing was held for the case"
    );
    drop(v);
    let raw = raw_dump(&dir);
    assert!(
        raw.cfs["holds"].is_empty(),
        "the holds column family is empty"
    );
    assert!(raw.with_prefix("keys", b"hold/").is_empty(), "no case key");
}
