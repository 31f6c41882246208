//! Hotlists: a listed plate passing a camera raises exactly one alert per read, held for the
//! entry's case; unlisted, expired and removed entries raise none; refusals (prohibited
//! offense, outside agency without an MOU, prohibited justification, expiry beyond policy)
//! are each audited; and no raw file of the store ever holds a hotlist plate in plaintext.

mod support;

use platevault::audit::entry::EntryKind;
use platevault::verify::Review;
use platevault::verify::scan::{Needle, scan_dir};
use platevault::{
    Alert, AlertsRequest, CaseRequest, HotlistEntryInfo, MasterKey, NewRead, Policy,
    RemovalRequest, Timestamp, Vault, VaultOptions,
};
use support::t;

const T0: &str = "2026-11-01T00:00:00Z";

fn store() -> (tempfile::TempDir, std::path::PathBuf, Vault) {
    let (dir, path, _key, vault) = keyed_store(&Policy::default_policy());
    (dir, path, vault)
}

/// A store under `policy`, with its master key (to reopen it).
fn keyed_store(policy: &Policy) -> (tempfile::TempDir, std::path::PathBuf, MasterKey, Vault) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let key = MasterKey::generate().expect("key");
    let vault = Vault::create(
        &path,
        &key,
        policy,
        &VaultOptions::new().simulated_clock(t(T0)),
    )
    .expect("create");
    (dir, path, key, vault)
}

fn request(plate: &str, case: &str) -> CaseRequest {
    CaseRequest {
        plate: plate.into(),
        region: "CO".into(),
        case_number: case.into(),
        offense: "STOLEN_VEHICLE".into(),
        purpose: "stolen-vehicle".into(),
        requester: "DET-7".into(),
        agency: "CITY-PD".into(),
        ..CaseRequest::default()
    }
}

fn read(plate: &str, at: &str, camera: &str) -> NewRead {
    NewRead {
        plate: plate.into(),
        region: "CO".into(),
        captured_at: Some(t(at)),
        camera: camera.into(),
        lat: Some(39.74),
        lon: Some(-104.99),
        ..NewRead::default()
    }
}

/// Lists `plate` for `case` until `until`; the policy must allow it.
fn listed(vault: &Vault, plate: &str, case: &str, until: &str) -> HotlistEntryInfo {
    vault
        .hotlist_add(&request(plate, case), t(until))
        .expect("add")
        .entry
        .expect("allowed")
}

/// CITY-PD's alerts for `case` (DET-7 asks); the policy must allow the request.
fn alerts(vault: &Vault, case: &str, since: Option<Timestamp>) -> Vec<Alert> {
    let out = vault
        .alerts(&AlertsRequest {
            case_number: case.into(),
            requester: "DET-7".into(),
            agency: "CITY-PD".into(),
            since,
            ..AlertsRequest::default()
        })
        .expect("alerts");
    assert!(out.is_allowed(), "{:?}", out.denial);
    out.alerts
}

/// A removal by `requester` of CITY-PD (the agency that lists every entry here).
fn by(requester: &str) -> RemovalRequest {
    RemovalRequest {
        requester: requester.into(),
        agency: "CITY-PD".into(),
        role: None,
    }
}

/// Removes an entry as CITY-PD; the policy must allow it. True when it was removed.
fn remove(vault: &Vault, entry_id: &str, requester: &str) -> bool {
    let out = vault
        .hotlist_remove(entry_id, &by(requester))
        .expect("remove");
    assert!(out.is_allowed(), "{:?}", out.denial);
    out.removed
}

fn kinds(path: &std::path::Path) -> Vec<EntryKind> {
    Review::open(path)
        .expect("review")
        .entries()
        .expect("entries")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn a_listed_plate_raises_one_alert_per_read_and_is_held() {
    let (_dir, path, vault) = store();
    let added = vault
        .hotlist_add(
            &request("HOT1234", "2026-000111"),
            t("2026-11-20T00:00:00Z"),
        )
        .expect("add");
    assert_eq!(added.reason_code(), "allowed");
    let entry = added.entry.expect("entry");
    let alerts_rx = vault.subscribe_alerts();

    let report = vault
        .ingest(vec![
            read("HOT-1234", "2026-10-31T08:00:00Z", "CAM-1"),
            read("COLD999", "2026-10-31T08:01:00Z", "CAM-1"),
            read("hot1234", "2026-10-31T09:00:00Z", "CAM-2"),
            NewRead {
                region: "WY".into(),
                ..read("HOT1234", "2026-10-31T10:00:00Z", "CAM-3")
            },
        ])
        .expect("ingest");
    assert_eq!(report.stored.len(), 4);
    assert_eq!(
        report.alerts.len(),
        2,
        "two reads of the listed plate and region"
    );
    let delivered: Vec<_> = alerts_rx.try_iter().collect();
    assert_eq!(delivered.len(), 2, "subscribers get each alert once");
    let mut cameras: Vec<&str> = report.alerts.iter().map(|a| a.camera.as_str()).collect();
    cameras.sort();
    assert_eq!(cameras, ["CAM-1", "CAM-2"]);
    for a in &report.alerts {
        assert_eq!(a.case, "2026-000111");
        assert_eq!(a.entry_id, entry.entry_id);
    }

    // Every alert is audited, and the gated alerts request lists them back to the entry's
    // agency for its case (payloads opened after the request's own audit entry).
    let listed = alerts(&vault, "2026-000111", None);
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|a| a.agency == "CITY-PD" && !a.from_hold));
    assert_eq!(
        kinds(&path)
            .iter()
            .filter(|k| **k == EntryKind::HotlistAlert)
            .count(),
        2
    );
    let since = alerts(&vault, "2026-000111", Some(t("2026-10-31T08:30:00Z")));
    assert_eq!(since.len(), 1);
    assert_eq!(vault.hotlist().expect("list")[0].hits, 2);

    // The matched reads, and nothing else, are held for the entry's case.
    let holds = vault.holds().expect("holds");
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].case, "2026-000111");
    assert_eq!(holds[0].reads, 2);

    // They survive their epoch's expiry and are returned to the case, over a window that
    // covers them (held copies are returned only inside the granted window).
    vault
        .advance_clock(t("2026-12-15T00:00:00Z"))
        .expect("clock");
    assert!(
        vault.live_epochs().is_empty(),
        "the epoch of the reads expired"
    );
    let windowed = |case: &str| CaseRequest {
        from: Some(t("2026-10-31T00:00:00Z")),
        to: Some(t("2026-11-30T00:00:00Z")),
        ..request("HOT1234", case)
    };
    let found = vault
        .search(&platevault::SearchRequest {
            case: windowed("2026-000111"),
            with_images: false,
        })
        .expect("search");
    assert_eq!(found.reads.len(), 2);
    assert!(found.reads.iter().all(|r| r.from_hold));
    // The alerts are past retention now, and still shown: the case's hold keeps the reads.
    let held = alerts(&vault, "2026-000111", None);
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|a| a.from_hold));
    let other_case = vault
        .search(&platevault::SearchRequest {
            case: windowed("2026-000112"),
            with_images: false,
        })
        .expect("search");
    assert!(
        other_case.reads.is_empty(),
        "held only for the entry's case"
    );
}

#[test]
fn expired_and_removed_entries_raise_nothing() {
    let (_dir, path, vault) = store();
    let short = listed(&vault, "EXP0001", "2026-000201", "2026-11-01T00:30:00Z");
    let removed = listed(&vault, "REM0001", "2026-000202", "2026-11-20T00:00:00Z");
    assert!(remove(&vault, &removed.entry_id, "DET-7"));
    assert!(
        !remove(&vault, &removed.entry_id, "DET-7"),
        "already removed"
    );
    vault
        .advance_clock(t("2026-11-01T01:00:00Z"))
        .expect("clock");
    let left: Vec<String> = vault
        .hotlist()
        .expect("list")
        .into_iter()
        .map(|e| e.entry_id)
        .collect();
    assert!(
        !left.contains(&short.entry_id),
        "expired entries are removed by expiry"
    );
    let report = vault
        .ingest(vec![
            read("EXP0001", "2026-11-01T00:50:00Z", "CAM-1"),
            read("REM0001", "2026-11-01T00:51:00Z", "CAM-1"),
            read("NOTLISTED1", "2026-11-01T00:52:00Z", "CAM-1"),
        ])
        .expect("ingest");
    assert!(report.alerts.is_empty());
    for case in ["2026-000201", "2026-000202"] {
        assert!(alerts(&vault, case, None).is_empty());
    }
    let k = kinds(&path);
    assert!(k.contains(&EntryKind::HotlistRemove));
    assert!(k.contains(&EntryKind::HotlistExpired));
}

#[test]
fn refusals_are_audited_and_store_nothing() {
    let (_dir, path, vault) = store();
    let expires = t("2026-11-20T00:00:00Z");
    let cases: Vec<(CaseRequest, Timestamp, &str)> = vec![
        (
            CaseRequest {
                offense: "IMMIGRATION_VIOLATION".into(),
                ..request("IMM0001", "2026-000301")
            },
            expires,
            "offense_not_allowed",
        ),
        (
            CaseRequest {
                purpose: "immigration".into(),
                ..request("IMM0002", "2026-000302")
            },
            expires,
            "purpose_prohibited",
        ),
        (
            CaseRequest {
                agency: "ICE".into(),
                requester: "AGENT-1".into(),
                ..request("IMM0003", "2026-000303")
            },
            expires,
            "no_mou",
        ),
        (
            CaseRequest {
                justification: Some("Detainer request from I.C.E.".into()),
                ..request("IMM0004", "2026-000304")
            },
            expires,
            "justification_prohibited_term",
        ),
        (
            request("IMM0005", "2026-000305"),
            t("2027-06-01T00:00:00Z"),
            "hotlist_expiry_too_long",
        ),
    ];
    let before = kinds(&path).len();
    for (req, exp, reason) in &cases {
        let out = vault.hotlist_add(req, *exp).expect("decided");
        assert_eq!(out.reason_code(), *reason);
        assert!(out.entry.is_none());
    }
    let after = kinds(&path);
    assert_eq!(
        after.len() - before,
        cases.len(),
        "one audit entry per refusal"
    );
    assert!(after[before..].iter().all(|k| *k == EntryKind::HotlistAdd));
    assert!(vault.hotlist().expect("list").is_empty());
}

#[test]
fn no_hotlist_plate_reaches_any_file_in_plaintext() {
    let (_dir, path, vault) = store();
    let plates = ["PLNTXT01", "PLNTXT02", "PLNTXT03"];
    for (i, p) in plates.iter().enumerate() {
        vault
            .hotlist_add(
                &request(p, &format!("2026-00040{i}")),
                t("2026-11-20T00:00:00Z"),
            )
            .expect("add");
    }
    vault
        .ingest(vec![read("PLNTXT01", "2026-10-31T12:00:00Z", "CAM-1")])
        .expect("ingest");
    vault.flush().expect("flush");
    let entry = vault.hotlist().expect("list")[1].entry_id.clone();
    assert!(remove(&vault, &entry, "DET-7"));
    drop(vault);
    let mut needles = Vec::new();
    for p in plates {
        needles.push(Needle {
            kind: "hotlist plate".into(),
            bytes: p.as_bytes().to_vec(),
        });
        needles.push(Needle {
            kind: "hotlist plate (lower case)".into(),
            bytes: p.to_lowercase().into_bytes(),
        });
    }
    let found = scan_dir(&path, &needles).expect("scan");
    assert!(found.is_empty(), "plaintext hotlist plates: {found:?}");
}

/// How many alerts each listed case got from one ingest call.
fn alerts_by_case(vault: &Vault, reads: Vec<NewRead>) -> Vec<(String, usize)> {
    let report = vault.ingest(reads).expect("ingest");
    let mut by_case = std::collections::BTreeMap::new();
    for a in report.alerts {
        *by_case.entry(a.case).or_insert(0) += 1;
    }
    by_case.into_iter().collect()
}

fn owned(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
    pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect()
}

#[test]
fn changes_while_matching_take_effect_at_once_and_survive_a_reopen() {
    let (_dir, path, key, vault) = keyed_store(&Policy::default_policy());
    let entries = |v: &Vault| v.hotlist().expect("list").len();
    let until = t("2026-11-20T00:00:00Z");
    let a = vault
        .hotlist_add(&request("HOT0001", "2026-000501"), until)
        .expect("add")
        .entry
        .expect("entry");
    // The first ingest reads the entries and hashes them under the epoch's key.
    assert_eq!(
        alerts_by_case(
            &vault,
            vec![read("HOT0001", "2026-10-31T08:00:00Z", "CAM-1")]
        ),
        owned(&[("2026-000501", 1)])
    );
    // Added while the index is in use: another plate, and the same plate for another case.
    vault
        .hotlist_add(&request("HOT0002", "2026-000502"), until)
        .expect("add");
    vault
        .hotlist_add(&request("HOT0001", "2026-000503"), until)
        .expect("add");
    assert_eq!(entries(&vault), 3);
    let traffic = || {
        vec![
            read("HOT0001", "2026-10-31T09:00:00Z", "CAM-1"),
            read("HOT0002", "2026-10-31T09:01:00Z", "CAM-2"),
            read("COLD0003", "2026-10-31T09:02:00Z", "CAM-2"),
            // An epoch the index has not seen yet.
            read("HOT0002", "2026-10-30T09:00:00Z", "CAM-3"),
        ]
    };
    assert_eq!(
        alerts_by_case(&vault, traffic()),
        owned(&[("2026-000501", 1), ("2026-000502", 2), ("2026-000503", 1)])
    );
    // Removed while the index is in use.
    assert!(remove(&vault, &a.entry_id, "DET-7"));
    assert_eq!(
        alerts_by_case(&vault, traffic()),
        owned(&[("2026-000502", 2), ("2026-000503", 1)])
    );
    // A reopened store reads the same entries back from its files.
    drop(vault);
    let vault = Vault::open(&path, &key, &VaultOptions::new()).expect("reopen");
    assert_eq!(entries(&vault), 2);
    assert_eq!(
        alerts_by_case(&vault, traffic()),
        owned(&[("2026-000502", 2), ("2026-000503", 1)])
    );
}

#[test]
fn a_thousand_entries_and_more_expire_together_each_audited() {
    // More than one removal batch (1,000 entries) expiring at the same instant, after the
    // index is in use.
    const N: usize = 1_200;
    let policy =
        Policy::from_toml("agency = \"CITY-PD\"\nsearches_per_requester_per_hour = 1000000\n")
            .expect("policy");
    let (_dir, path, _key, vault) = keyed_store(&policy);
    let until = t("2026-11-02T00:00:00Z");
    for i in 0..N {
        let out = vault
            .hotlist_add(
                &request(&format!("EXP{i:05}"), &format!("2026-{i:06}")),
                until,
            )
            .expect("add");
        assert_eq!(out.reason_code(), "allowed", "entry {i}");
    }
    assert_eq!(
        alerts_by_case(
            &vault,
            vec![read("EXP00007", "2026-10-31T08:00:00Z", "CAM-1")]
        ),
        owned(&[("2026-000007", 1)])
    );
    vault
        .advance_clock(t("2026-11-02T00:00:01Z"))
        .expect("clock");
    assert!(vault.hotlist().expect("list").is_empty());
    let expired = kinds(&path)
        .into_iter()
        .filter(|k| *k == EntryKind::HotlistExpired)
        .count();
    assert_eq!(expired, N, "one audit entry per expired entry");
    assert!(
        alerts_by_case(
            &vault,
            vec![read("EXP00007", "2026-11-02T00:00:00Z", "CAM-1")]
        )
        .is_empty()
    );
    let verified = Review::open(&path)
        .expect("review")
        .verify(None)
        .expect("verify");
    assert!(
        verified.ok,
        "the audit log verifies: {:?}",
        verified.problem
    );
}

#[test]
fn adding_a_listed_plate_again_for_its_case_renews_the_entry() {
    let (_dir, path, vault) = store();
    let first = vault
        .hotlist_add(
            &request("REN0001", "2026-000601"),
            t("2026-11-10T00:00:00Z"),
        )
        .expect("add");
    assert!(!first.renewed);
    let first = first.entry.expect("entry");
    assert_eq!(
        alerts_by_case(
            &vault,
            vec![read("REN0001", "2026-10-31T08:00:00Z", "CAM-1")]
        ),
        owned(&[("2026-000601", 1)])
    );

    // Another detective of the same agency renews it, spelling the plate another way.
    let again = vault
        .hotlist_add(
            &CaseRequest {
                requester: "DET-8".into(),
                ..request("ren-0001", "2026-000601")
            },
            t("2026-11-25T00:00:00Z"),
        )
        .expect("renew");
    assert!(again.renewed);
    let renewed = again.entry.expect("entry");
    assert_eq!(renewed.entry_id, first.entry_id);
    assert_eq!(renewed.expires, t("2026-11-25T00:00:00Z"));
    assert_eq!(renewed.created_at, first.created_at);
    assert_eq!(renewed.requester, "DET-8");
    assert_eq!(renewed.hits, 1, "the hit count is kept");
    assert_eq!(vault.hotlist().expect("list").len(), 1);
    // Each renewal is a `hotlist_add` audit entry naming the same entry.
    let adds = Review::open(&path)
        .expect("review")
        .entries()
        .expect("entries")
        .into_iter()
        .filter(|e| {
            e.kind == EntryKind::HotlistAdd && e.entry_id.as_deref() == Some(&first.entry_id)
        })
        .count();
    assert_eq!(adds, 2);

    // The same plate for another case is another entry.
    let other = vault
        .hotlist_add(
            &request("REN0001", "2026-000602"),
            t("2026-11-20T00:00:00Z"),
        )
        .expect("add");
    assert!(!other.renewed);
    assert_ne!(other.entry.expect("entry").entry_id, first.entry_id);

    // Past the first expiry the renewed entry still matches, once a read.
    vault
        .advance_clock(t("2026-11-12T00:00:00Z"))
        .expect("clock");
    assert_eq!(vault.hotlist().expect("list").len(), 2);
    assert_eq!(
        alerts_by_case(
            &vault,
            vec![read("REN0001", "2026-11-11T12:00:00Z", "CAM-2")]
        ),
        owned(&[("2026-000601", 1), ("2026-000602", 1)])
    );
}

#[test]
fn a_removal_that_names_the_plate_as_its_requester_does_not_log_it() {
    let (_dir, path, vault) = store();
    let entry = listed(&vault, "SCR0001", "2026-000801", "2026-11-20T00:00:00Z");
    assert!(remove(&vault, &entry.entry_id, "scr 0001"));
    let log = Review::open(&path)
        .expect("review")
        .entries()
        .expect("entries");
    for kind in [EntryKind::HotlistRemoveRequest, EntryKind::HotlistRemove] {
        let removal = log
            .iter()
            .find(|e| e.kind == kind)
            .expect("removal audited");
        assert_eq!(
            removal.requester.as_deref(),
            Some("<redacted: contained the plate>")
        );
        assert_eq!(removal.agency.as_deref(), Some("CITY-PD"));
    }
}
