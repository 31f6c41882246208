//! Issue 13, "the read path has side doors": alerts, held reads, hold release and hotlist
//! removal all go through the policy gate now.
//!
//! - Alerts are a gated, audited request for one agency's alerts of one case (`alerts`, then
//!   `alerts_result`), and never show what retention destroyed: after the read's epoch
//!   expired, its hold was released and its hotlist entry expired, nothing is listed (the
//!   review's scenario).
//! - Held reads belong to (agency, case): another agency naming the case, with an MOU for
//!   another offense and a made-up warrant, receives none; the owner receives them only inside
//!   the window granted (and under the age tier's rule); the result entry records how many
//!   reads came from holds.
//! - Releasing a hold and removing a hotlist entry are decided (only the owning agency may)
//!   and audited before anything is destroyed.

mod support;

use platevault::audit::entry::{Entry, EntryKind, Verdict};
use platevault::policy::{AgeTier, Mou, PolicySpec, Requirement};
use platevault::{
    AlertsOutcome, AlertsRequest, CaseRequest, Error, MasterKey, Policy, ReleaseOutcome,
    RemovalRequest, SearchOutcome, SearchRequest, Span, Timestamp, Vault,
};
use support::*;

const T0: &str = "2026-05-01T12:00:00Z";
/// After the epoch of 2026-05-01 has expired (its end + 30 days = 2026-06-01).
const AFTER_EXPIRY: &str = "2026-06-02T00:00:00Z";
const HELD: &str = "HOLDME1";
const RIVER: &str = "RIVER-COUNTY-SO";
const NORTH: &str = "NORTH-TASK-FORCE";

/// The default policy with two MOUs for 2026: RIVER-COUNTY-SO for HOMICIDE, NORTH-TASK-FORCE
/// for ROBBERY; `shared` sets `holds_shared_with_mou`.
fn policy(shared: bool) -> Policy {
    let mou = |agency: &str, offense: &str| Mou {
        agency: agency.into(),
        valid_from: t("2026-01-01T00:00:00Z"),
        valid_to: t("2027-01-01T00:00:00Z"),
        offenses: vec![offense.into()],
    };
    Policy::from_spec(PolicySpec {
        holds_shared_with_mou: shared,
        mou: vec![mou(RIVER, "HOMICIDE"), mou(NORTH, "ROBBERY")],
        ..PolicySpec::default_spec()
    })
    .expect("policy")
}

/// A store at T0 holding three reads of HELD on 2026-05-01.
fn store(dir: &std::path::Path, key: &MasterKey, shared: bool) -> Vault {
    let v = create(dir, key, &policy(shared), t(T0));
    let reads = ["08:00", "09:00", "10:00"]
        .iter()
        .map(|h| read(HELD, t(&format!("2026-05-01T{h}:00Z")), "CAM-H"))
        .collect();
    assert_eq!(v.ingest(reads).expect("ingest").stored.len(), 3);
    v
}

/// `req` as `agency` (and `requester`), for `offense`.
fn as_agency(mut req: CaseRequest, agency: &str, offense: &str) -> CaseRequest {
    req.agency = agency.into();
    req.offense = offense.into();
    req
}

/// `req` over `[from, to)`.
fn window(mut req: CaseRequest, from: &str, to: &str) -> CaseRequest {
    req.from = Some(t(from));
    req.to = Some(t(to));
    req
}

/// The month of the held reads, as a window.
fn may(req: CaseRequest) -> CaseRequest {
    window(req, "2026-05-01T00:00:00Z", "2026-05-31T00:00:00Z")
}

fn search_any(v: &Vault, case: CaseRequest) -> SearchOutcome {
    v.search(&SearchRequest {
        case,
        with_images: false,
    })
    .expect("search")
}

fn alerts_req(agency: &str, case: &str) -> AlertsRequest {
    AlertsRequest {
        case_number: case.into(),
        requester: "DET-7".into(),
        agency: agency.into(),
        ..AlertsRequest::default()
    }
}

fn alerts(v: &Vault, req: &AlertsRequest) -> AlertsOutcome {
    v.alerts(req).expect("alerts")
}

fn by(agency: &str, requester: &str) -> RemovalRequest {
    RemovalRequest {
        requester: requester.into(),
        agency: agency.into(),
        role: None,
    }
}

fn release(v: &Vault, case: &str, agency: &str) -> ReleaseOutcome {
    v.release_hold(case, &by(agency, "SGT-2")).expect("release")
}

/// A hotlist request for `plate` and `case` by `agency` for `offense`.
fn hot(plate: &str, case: &str, agency: &str, offense: &str) -> CaseRequest {
    CaseRequest {
        justification: None,
        ..as_agency(request(plate, case, "DET-7"), agency, offense)
    }
}

fn entry_at(log: &[Entry], seq: u64) -> &Entry {
    let e = &log[seq as usize];
    assert_eq!(e.seq, seq);
    e
}

fn result_of(log: &[Entry], kind: EntryKind, seq: u64) -> Option<&Entry> {
    log.iter()
        .find(|e| e.kind == kind && e.result_of == Some(seq))
}

#[test]
fn the_reviews_scenario_alerts_show_nothing_retention_destroyed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &policy(false), t(T0));
    let plate = "HOTR001";
    let case = "2026-000111";
    let entry = v
        .hotlist_add(
            &hot(plate, case, "CITY-PD", "STOLEN_VEHICLE"),
            t("2026-05-04T12:00:00Z"),
        )
        .expect("add")
        .entry
        .expect("allowed");
    let report = v
        .ingest(vec![read(plate, t("2026-05-01T09:00:00Z"), "CAM-SECRET-7")])
        .expect("ingest");
    assert_eq!(report.alerts.len(), 1);
    assert_eq!(report.alerts[0].agency, "CITY-PD");

    let mut seqs = Vec::new();
    let mut listed = |v: &Vault| {
        let out = alerts(v, &alerts_req("CITY-PD", case));
        assert!(out.is_allowed(), "{:?}", out.denial);
        seqs.push(out.audit_seq);
        out.alerts
    };
    // Within retention: the owner's case lists it.
    let now = listed(&v);
    assert_eq!(now.len(), 1);
    assert_eq!(
        (now[0].camera.as_str(), now[0].entry_id.as_str()),
        ("CAM-SECRET-7", entry.entry_id.as_str())
    );
    assert!(!now[0].from_hold);

    // The read's epoch expires; the alert's hold (until the entry's expiry + retention) still
    // keeps the read, so the gated request shows it, from the hold.
    v.advance_clock(t(AFTER_EXPIRY)).expect("advance");
    assert!(v.live_epochs().is_empty(), "the read's epoch expired");
    assert!(
        v.hotlist().expect("hotlist").is_empty(),
        "the entry expired"
    );
    let held = listed(&v);
    assert_eq!(held.len(), 1);
    assert!(held[0].from_hold);
    assert_eq!(held[0].camera, "CAM-SECRET-7");

    // The hold is released: nothing retention destroyed is shown any more.
    let r = release(&v, case, "CITY-PD");
    assert!(r.is_allowed() && r.released.is_some(), "{r:?}");
    assert!(
        listed(&v).is_empty(),
        "the camera and time outlived the read"
    );
    v.advance_clock(t("2026-07-01T00:00:00Z")).expect("advance");
    assert!(listed(&v).is_empty());
    drop(v);

    let log = entries(&dir);
    let results: Vec<u64> = seqs
        .iter()
        .map(|s| {
            let decision = entry_at(&log, *s);
            assert_eq!(decision.kind, EntryKind::Alerts);
            assert_eq!(decision.decision, Some(Verdict::Allowed));
            assert_eq!(decision.case.as_deref(), Some(case));
            assert_eq!(decision.agency.as_deref(), Some("CITY-PD"));
            assert_eq!(decision.requester.as_deref(), Some("DET-7"));
            let result = result_of(&log, EntryKind::AlertsResult, *s).expect("a result entry");
            assert!(result.seq > *s, "the decision comes first");
            result.results.expect("results")
        })
        .collect();
    assert_eq!(results, vec![1, 1, 0, 0]);
    assert_eq!(
        result_of(&log, EntryKind::AlertsResult, seqs[1]).and_then(|e| e.held),
        Some(1),
        "shown through the hold"
    );
    assert_log_ok_and_deletion_clean(&dir, &[plate.into()]);
}

#[test]
fn alert_requests_are_gated_and_every_denial_is_audited_and_shows_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let mut spec = policy(false).into_spec();
    spec.searches_per_requester_per_hour = 12;
    let v = create(&dir, &key, &Policy::from_spec(spec).expect("policy"), t(T0));
    let case = "2026-000222";
    v.hotlist_add(
        &hot("HOTG001", case, "CITY-PD", "STOLEN_VEHICLE"),
        t("2026-05-10T00:00:00Z"),
    )
    .expect("add");
    assert_eq!(
        v.ingest(vec![read("HOTG001", t("2026-05-01T10:00:00Z"), "CAM-1")])
            .expect("ingest")
            .alerts
            .len(),
        1
    );
    let denials: Vec<(AlertsRequest, &str)> = vec![
        (
            AlertsRequest {
                requester: " ".into(),
                ..alerts_req("CITY-PD", case)
            },
            "requester_missing",
        ),
        (alerts_req("FED-X", case), "no_mou"),
        (
            alerts_req("CITY-PD", "2026-000222*"),
            "case_number_malformed",
        ),
        (
            alerts_req("CITY-PD", " 2026-000222"),
            "case_number_malformed",
        ),
        (alerts_req("CITY-PD", "HOTG001"), "case_number_malformed"),
        (
            AlertsRequest {
                justification: Some("ICE detainer pick-up".into()),
                ..alerts_req("CITY-PD", case)
            },
            "justification_prohibited_term",
        ),
    ];
    let mut denied = Vec::new();
    for (req, code) in &denials {
        let out = alerts(&v, req);
        assert_eq!(out.reason_code(), *code, "{req:?}");
        assert!(out.alerts.is_empty() && out.result_seq.is_none());
        denied.push((out.audit_seq, *code));
    }
    // The agency in lower case with spaces is the same agency; the case must be exact.
    for agency in ["city-pd", " CITY-PD "] {
        let out = alerts(&v, &alerts_req(agency, case));
        assert_eq!(out.alerts.len(), 1, "{agency}");
    }
    // Every attempt counts toward the rate limit, denied ones too: the hotlist entry, four
    // denials and two listings so far make 7 of the 12 an hour.
    for _ in 0..5 {
        assert!(alerts(&v, &alerts_req("CITY-PD", case)).is_allowed());
    }
    let limited = alerts(&v, &alerts_req("CITY-PD", case));
    assert_eq!(limited.reason_code(), "rate_limited");
    assert!(limited.alerts.is_empty());
    denied.push((limited.audit_seq, "rate_limited"));
    drop(v);

    let log = entries(&dir);
    for (seq, code) in denied {
        let e = entry_at(&log, seq);
        assert_eq!(e.kind, EntryKind::Alerts);
        assert_eq!(e.decision, Some(Verdict::Denied));
        assert_eq!(e.reason.as_deref(), Some(code));
        assert!(
            result_of(&log, EntryKind::AlertsResult, seq).is_none(),
            "a denied request reads nothing"
        );
    }
    // A plate typed as the case number never reaches the log.
    assert!(
        log.iter()
            .all(|e| !String::from_utf8_lossy(&e.encode()).contains("HOTG001"))
    );
    // A prohibited justification is kept only in the sealed payload.
    assert!(
        log.iter()
            .any(|e| e.kind == EntryKind::Alerts && e.payload.is_some())
    );
}

#[test]
fn alerts_go_only_to_the_agency_and_case_whose_entry_raised_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &policy(false), t(T0));
    let case = "2026-000333";
    // The same case number, used by two agencies.
    v.hotlist_add(
        &hot("CITYP01", case, "CITY-PD", "STOLEN_VEHICLE"),
        t("2026-05-10T00:00:00Z"),
    )
    .expect("add");
    let river = v
        .hotlist_add(
            &hot("RIVERP1", case, RIVER, "HOMICIDE"),
            t("2026-05-10T00:00:00Z"),
        )
        .expect("add");
    assert_eq!(river.reason_code(), "allowed");
    let report = v
        .ingest(vec![
            read("CITYP01", t("2026-05-01T09:00:00Z"), "CAM-C"),
            read("RIVERP1", t("2026-05-01T09:05:00Z"), "CAM-R"),
        ])
        .expect("ingest");
    assert_eq!(report.alerts.len(), 2);

    let cameras = |agency: &str, case: &str| -> Vec<String> {
        let out = alerts(&v, &alerts_req(agency, case));
        assert!(out.is_allowed(), "{agency}: {:?}", out.denial);
        out.alerts.into_iter().map(|a| a.camera).collect()
    };
    assert_eq!(cameras("CITY-PD", case), ["CAM-C"]);
    assert_eq!(cameras(RIVER, case), ["CAM-R"]);
    assert_eq!(cameras("river-county-so", case), ["CAM-R"]);
    assert!(cameras("CITY-PD", "2026-000334").is_empty());
    assert!(
        cameras(NORTH, case).is_empty(),
        "an MOU agency sees only its own"
    );

    // Each alert held its read for its own agency's case: two holds on one case number.
    let holds = v.holds().expect("holds");
    let mut owners: Vec<(&str, &str)> = holds
        .iter()
        .map(|h| (h.agency.as_str(), h.case.as_str()))
        .collect();
    owners.sort_unstable();
    assert_eq!(owners, [("CITY-PD", case), (RIVER, case)]);

    // After the epoch expired, each agency's search of the case gets its own held read only.
    v.advance_clock(t(AFTER_EXPIRY)).expect("advance");
    let held = |plate: &str, agency: &str, offense: &str| {
        search_any(
            &v,
            may(as_agency(request(plate, case, "DET-9"), agency, offense)),
        )
        .reads
    };
    assert_eq!(held("CITYP01", "CITY-PD", "ROBBERY").len(), 1);
    assert!(held("RIVERP1", "CITY-PD", "ROBBERY").is_empty());
    assert_eq!(held("RIVERP1", RIVER, "HOMICIDE").len(), 1);
    assert!(held("CITYP01", RIVER, "HOMICIDE").is_empty());
}

#[test]
fn an_mou_agency_with_another_offense_and_a_made_up_warrant_gets_no_held_reads() {
    for shared in [false, true] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("store");
        let key = MasterKey::generate().expect("key");
        let v = store(&dir, &key, shared);
        let hold = v
            .hold(&request(HELD, CASE, "DET-1"), t("2026-09-01T00:00:00Z"))
            .expect("hold");
        assert_eq!(hold.placed, 3);
        v.advance_clock(t(AFTER_EXPIRY)).expect("advance");

        // The review's request: another agency, an MOU for a different offense, a warrant
        // string of its own making, the hold's case number.
        let mut req = may(as_agency(request(HELD, CASE, "AGENT-9"), RIVER, "HOMICIDE"));
        req.warrant = Some("W-MADE-UP-1".into());
        let out = search_any(&v, req.clone());
        assert_eq!(out.reason_code(), "allowed", "its MOU covers HOMICIDE");
        assert!(
            out.reads.is_empty(),
            "shared={shared}: {:?}",
            out.reads.len()
        );
        // The same with the hold's offense: RIVER's MOU does not cover ROBBERY.
        req.offense = "ROBBERY".into();
        assert_eq!(search_any(&v, req).reason_code(), "offense_not_in_mou");

        // NORTH-TASK-FORCE's MOU covers ROBBERY: with holds shared, it gets the home
        // agency's held copies when it asks for that offense; otherwise nothing.
        let north = search_any(
            &v,
            may(as_agency(request(HELD, CASE, "TF-1"), NORTH, "ROBBERY")),
        );
        assert_eq!(north.reason_code(), "allowed");
        assert_eq!(
            north.reads.len(),
            if shared { 3 } else { 0 },
            "shared={shared}"
        );
        assert!(north.reads.iter().all(|r| r.from_hold));

        // The owner still gets them.
        let own = search_any(&v, may(request(HELD, CASE, "DET-1")));
        assert_eq!(own.reads.len(), 3);
        let agency_lower = search_any(
            &v,
            may(as_agency(
                request(HELD, CASE, "DET-1"),
                "city-pd",
                "ROBBERY",
            )),
        );
        assert_eq!(
            agency_lower.reads.len(),
            3,
            "the agency's spelling does not matter"
        );
        drop(v);

        let log = entries(&dir);
        let decision = entry_at(&log, out.audit_seq);
        assert_eq!(decision.held_from, None, "no hold was reachable");
        let result = result_of(&log, EntryKind::SearchResult, out.audit_seq).expect("result");
        assert_eq!((result.results, result.held), (Some(0), None));
        let result = result_of(&log, EntryKind::SearchResult, north.audit_seq).expect("result");
        if shared {
            assert_eq!((result.results, result.held), (Some(3), Some(3)));
        } else {
            assert_eq!(result.held, None);
        }
    }
}

#[test]
fn held_reads_are_returned_only_inside_the_granted_window_and_the_result_counts_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = store(&dir, &key, false);
    assert_eq!(
        v.hold(&request(HELD, CASE, "DET-1"), t("2026-12-01T00:00:00Z"))
            .expect("hold")
            .placed,
        3
    );
    // A later read of the plate, still live when the held ones' epoch has expired.
    v.advance_clock(t("2026-05-20T12:00:00Z")).expect("advance");
    v.ingest(vec![read(HELD, t("2026-05-20T08:00:00Z"), "CAM-L")])
        .expect("ingest");
    v.advance_clock(t(AFTER_EXPIRY)).expect("advance");

    let at = |reads: &[platevault::ReadView]| -> Vec<(String, bool)> {
        reads
            .iter()
            .map(|r| (r.body.captured_at.to_rfc3339(), r.from_hold))
            .collect()
    };
    // Live and held together: the result entry counts both and the held ones apart.
    let both = search_any(&v, may(request(HELD, CASE, "DET-1")));
    assert_eq!(
        at(&both.reads),
        [
            ("2026-05-01T08:00:00Z".to_string(), true),
            ("2026-05-01T09:00:00Z".to_string(), true),
            ("2026-05-01T10:00:00Z".to_string(), true),
            ("2026-05-20T08:00:00Z".to_string(), false),
        ]
    );
    // The default window (the last 30 days) does not reach back to the held reads.
    let default = search_any(&v, request(HELD, CASE, "DET-1"));
    assert_eq!(
        at(&default.reads),
        [("2026-05-20T08:00:00Z".to_string(), false)]
    );
    // A window wholly before retention reaches the held copies only, and only its part.
    let part = search_any(
        &v,
        window(
            request(HELD, CASE, "DET-1"),
            "2026-05-01T08:30:00Z",
            "2026-05-01T09:30:00Z",
        ),
    );
    assert_eq!(part.reason_code(), "allowed");
    assert_eq!(
        at(&part.reads),
        [("2026-05-01T09:00:00Z".to_string(), true)]
    );
    let none = search_any(
        &v,
        window(
            request(HELD, CASE, "DET-1"),
            "2026-05-02T00:00:00Z",
            "2026-05-03T00:00:00Z",
        ),
    );
    assert!(none.reads.is_empty());
    // Without a hold such a window is refused, as before.
    let other = search_any(
        &v,
        window(
            request(HELD, OTHER_CASE, "DET-1"),
            "2026-05-01T00:00:00Z",
            "2026-05-02T00:00:00Z",
        ),
    );
    assert_eq!(other.reason_code(), "window_outside_retention");

    // An age tier (72h, warrant) applies to held copies as to live reads.
    let mut spec = v.policy().as_ref().clone().into_spec();
    spec.version += 1;
    spec.age_tier = vec![AgeTier {
        older_than: Span::from_hours(72),
        requires: Requirement::Warrant,
    }];
    v.apply_policy(&Policy::from_spec(spec).expect("policy"))
        .expect("apply");
    let no_warrant = search_any(&v, may(request(HELD, CASE, "DET-1")));
    assert_eq!(no_warrant.reason_code(), "allowed");
    assert!(no_warrant.reads.is_empty(), "{:?}", at(&no_warrant.reads));
    let mut req = may(request(HELD, CASE, "DET-1"));
    req.warrant = Some("W-2026-77".into());
    let with_warrant = search_any(&v, req);
    assert_eq!(with_warrant.reads.len(), 4);
    drop(v);

    let log = entries(&dir);
    let d = entry_at(&log, both.audit_seq);
    assert_eq!(
        d.from,
        Some(t("2026-05-03T00:00:00Z")),
        "live part clamped to retention"
    );
    assert_eq!(
        d.held_from,
        Some(t("2026-05-01T00:00:00Z")),
        "held part as asked"
    );
    assert_eq!(d.to, Some(t("2026-05-31T00:00:00Z")));
    let r = result_of(&log, EntryKind::SearchResult, both.audit_seq).expect("result");
    assert_eq!((r.results, r.held), (Some(4), Some(3)));
    let r = result_of(&log, EntryKind::SearchResult, part.audit_seq).expect("result");
    assert_eq!((r.results, r.held), (Some(1), Some(1)));
    let d = entry_at(&log, part.audit_seq);
    assert_eq!(d.from, d.to, "nothing live can lie in the window");
    let r = result_of(&log, EntryKind::SearchResult, default.audit_seq).expect("result");
    assert_eq!((r.results, r.held), (Some(1), Some(0)));
    let d = entry_at(&log, no_warrant.audit_seq);
    assert_eq!(d.withheld_before, Some(t("2026-05-30T00:00:00Z")));
    assert_eq!(d.held_from, Some(t("2026-05-30T00:00:00Z")));
}

#[test]
fn only_the_owning_agency_may_release_a_hold_and_every_attempt_is_audited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = store(&dir, &key, false);
    v.hold(&request(HELD, CASE, "DET-1"), t("2026-09-01T00:00:00Z"))
        .expect("hold");
    // RIVER-COUNTY-SO holds the same case number (its own case) for another plate.
    v.ingest(vec![read("RIVHOLD", t("2026-05-01T11:00:00Z"), "CAM-R")])
        .expect("ingest");
    let river = v
        .hold(
            &as_agency(request("RIVHOLD", CASE, "AGENT-9"), RIVER, "HOMICIDE"),
            t("2026-09-01T00:00:00Z"),
        )
        .expect("hold");
    assert_eq!((river.reason_code(), river.placed), ("allowed", 1));
    assert_eq!(v.holds().expect("holds").len(), 2);

    let mut denied = Vec::new();
    for (case, agency, requester, code) in [
        (CASE, "FED-X", "SGT-2", "not_owner"),
        (CASE, NORTH, "SGT-2", "not_owner"),
        (CASE, "CITY-PD", " ", "requester_missing"),
        (" 2026-001234", "CITY-PD", "SGT-2", "case_number_malformed"),
        ("2026-001234 ", "CITY-PD", "SGT-2", "case_number_malformed"),
    ] {
        let out = v
            .release_hold(case, &by(agency, requester))
            .expect("release");
        assert_eq!(out.reason_code(), code, "{case:?} {agency}");
        assert!(out.released.is_none());
        denied.push((out.audit_seq, code));
    }
    // A role cannot be checked while identities are declared: refused, not ignored.
    let with_role = RemovalRequest {
        role: Some("supervisor".into()),
        ..by("CITY-PD", "SGT-2")
    };
    assert!(matches!(
        v.release_hold(CASE, &with_role),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(v.holds().expect("holds").len(), 2, "nothing was released");
    v.advance_clock(t(AFTER_EXPIRY)).expect("advance");
    assert_eq!(
        search_any(&v, may(request(HELD, CASE, "DET-1")))
            .reads
            .len(),
        3,
        "the evidence is intact"
    );

    // The owner (its name in any ASCII case) releases its own hold, and only that one.
    let out = release(&v, CASE, "city-pd");
    assert_eq!(out.reason_code(), "allowed");
    assert_eq!(out.released.as_ref().map(|h| h.reads), Some(3));
    let left = v.holds().expect("holds");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].agency, RIVER);
    assert!(
        search_any(&v, may(request(HELD, CASE, "DET-1")))
            .reads
            .is_empty()
    );
    let river_reads = search_any(
        &v,
        may(as_agency(
            request("RIVHOLD", CASE, "AGENT-9"),
            RIVER,
            "HOMICIDE",
        )),
    );
    assert_eq!(river_reads.reads.len(), 1);
    // CITY-PD has no hold left on the case; RIVER's is not its to release.
    let again = release(&v, CASE, "CITY-PD");
    assert_eq!(again.reason_code(), "not_owner");
    let release_seq = out.audit_seq;
    drop(v);

    let log = entries(&dir);
    for (seq, code) in denied {
        let e = entry_at(&log, seq);
        assert_eq!(e.kind, EntryKind::HoldReleaseRequest);
        assert_eq!(
            (e.decision, e.reason.as_deref()),
            (Some(Verdict::Denied), Some(code))
        );
        assert!(result_of(&log, EntryKind::HoldRelease, seq).is_none());
    }
    let d = entry_at(&log, release_seq);
    assert_eq!(d.agency.as_deref(), Some("CITY-PD"));
    assert_eq!(d.case.as_deref(), Some(CASE));
    let released = result_of(&log, EntryKind::HoldRelease, release_seq).expect("release");
    assert_eq!(released.results, Some(3));
    assert_eq!(count(&log, EntryKind::HoldRelease, None), 1);
}

#[test]
fn only_the_owning_agency_may_remove_a_hotlist_entry() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &policy(false), t(T0));
    let entry = v
        .hotlist_add(
            &hot("HOTRM01", "2026-000444", "CITY-PD", "STOLEN_VEHICLE"),
            t("2026-05-10T00:00:00Z"),
        )
        .expect("add")
        .entry
        .expect("allowed");
    let id = entry.entry_id.as_str();
    let mut denied = Vec::new();
    for (agency, requester, code) in [
        (RIVER, "AGENT-9", "not_owner"),
        ("FED-X", "AGENT-9", "not_owner"),
        ("CITY-PD", "", "requester_missing"),
    ] {
        let out = v
            .hotlist_remove(id, &by(agency, requester))
            .expect("remove");
        assert_eq!(out.reason_code(), code, "{agency}");
        assert!(!out.removed);
        denied.push((out.audit_seq, code));
    }
    assert_eq!(v.hotlist().expect("list").len(), 1, "the entry is intact");
    assert_eq!(
        v.ingest(vec![read("HOTRM01", t("2026-05-01T11:00:00Z"), "CAM-1")])
            .expect("ingest")
            .alerts
            .len(),
        1,
        "and still matches"
    );
    assert!(matches!(
        v.hotlist_remove("not-an-id", &by("CITY-PD", "SGT-2")),
        Err(Error::InvalidArgument(_))
    ));
    let unknown = v
        .hotlist_remove(&"ab".repeat(16), &by("CITY-PD", "SGT-2"))
        .expect("remove");
    assert!(unknown.is_allowed() && !unknown.removed);
    let upper = id.to_ascii_uppercase();
    let out = v
        .hotlist_remove(&upper, &by("city-pd", "SGT-2"))
        .expect("remove");
    assert_eq!(out.reason_code(), "allowed");
    assert!(out.removed);
    assert!(v.hotlist().expect("list").is_empty());
    drop(v);

    let log = entries(&dir);
    for (seq, code) in denied {
        let e = entry_at(&log, seq);
        assert_eq!(e.kind, EntryKind::HotlistRemoveRequest);
        assert_eq!(
            (e.decision, e.reason.as_deref()),
            (Some(Verdict::Denied), Some(code))
        );
        assert_eq!(e.entry_id.as_deref(), Some(id));
        assert!(result_of(&log, EntryKind::HotlistRemove, seq).is_none());
    }
    let removal = result_of(&log, EntryKind::HotlistRemove, out.audit_seq).expect("removal");
    assert_eq!(removal.agency.as_deref(), Some("CITY-PD"));
    assert_eq!(count(&log, EntryKind::HotlistRemove, None), 1);
}

#[test]
fn alerts_follow_the_age_tier_and_since() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let mut spec = policy(false).into_spec();
    spec.age_tier = vec![AgeTier {
        older_than: Span::from_hours(72),
        requires: Requirement::Warrant,
    }];
    let v = create(&dir, &key, &Policy::from_spec(spec).expect("policy"), t(T0));
    let case = "2026-000555";
    v.hotlist_add(
        &hot("HOTAT01", case, "CITY-PD", "STOLEN_VEHICLE"),
        t("2026-05-20T00:00:00Z"),
    )
    .expect("add");
    v.ingest(vec![read("HOTAT01", t("2026-05-01T09:00:00Z"), "CAM-OLD")])
        .expect("ingest");
    v.advance_clock(t("2026-05-10T00:00:00Z")).expect("advance");
    v.ingest(vec![read("HOTAT01", t("2026-05-09T09:00:00Z"), "CAM-NEW")])
        .expect("ingest");
    let cameras = |req: &AlertsRequest| -> (Vec<String>, Option<Timestamp>) {
        let out = alerts(&v, req);
        assert!(out.is_allowed(), "{:?}", out.denial);
        (
            out.alerts.into_iter().map(|a| a.camera).collect(),
            out.withheld_before,
        )
    };
    let (shown, withheld) = cameras(&alerts_req("CITY-PD", case));
    assert_eq!(shown, ["CAM-NEW"]);
    assert_eq!(withheld, Some(t("2026-05-07T00:00:00Z")));
    let with_warrant = AlertsRequest {
        warrant: Some("W-1".into()),
        ..alerts_req("CITY-PD", case)
    };
    assert_eq!(cameras(&with_warrant).0, ["CAM-OLD", "CAM-NEW"]);
    let since = AlertsRequest {
        since: Some(t("2026-05-05T00:00:00Z")),
        ..with_warrant
    };
    assert_eq!(cameras(&since).0, ["CAM-NEW"]);
}
