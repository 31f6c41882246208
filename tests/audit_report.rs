//! The transparency report counts what the audit log holds: after a mixed workload over two
//! months (home and outside-agency searches, allowed and denied for several reasons, legal
//! holds placed, refused and released, reviewer checks, a policy change, and an expiry of
//! three epochs by moving the clock past retention), every figure of
//! `TransparencyReport::build` equals an independent count over the log's entries and the
//! number known from the workload itself; the Markdown and JSON forms carry those figures and
//! no plate.

mod support;

use std::collections::BTreeMap;

use platevault::audit::entry::{Entry, EntryKind, Verdict};
use platevault::audit::report::{Tally, TransparencyReport};
use platevault::verify::Review;
use platevault::{CaseRequest, Policy, RemovalRequest, SearchRequest, Span, Vault};
use support::*;

const POLICY: &str = r#"
agency = "CITY-PD"

[[mou]]
agency = "RIVER-COUNTY-SO"
valid_from = "2026-01-01T00:00:00Z"
valid_to = "2027-06-01T00:00:00Z"
offenses = ["HOMICIDE", "KIDNAPPING"]
"#;

const PLATES: [&str; 3] = ["AAA111", "BBB222", "CCC333"];

/// A search of the workload and what the policy must say.
struct Planned {
    plate: &'static str,
    agency: &'static str,
    offense: &'static str,
    purpose: &'static str,
    case: &'static str,
    justification: Option<&'static str>,
    /// The window's start, when the search names one (its end is then 30 days later).
    from: Option<&'static str>,
    expect: &'static str,
}

const fn s(
    plate: &'static str,
    agency: &'static str,
    offense: &'static str,
    purpose: &'static str,
    expect: &'static str,
) -> Planned {
    Planned {
        plate,
        agency,
        offense,
        purpose,
        case: CASE,
        justification: None,
        from: None,
        expect,
    }
}

fn november() -> Vec<Planned> {
    vec![
        s("AAA111", "CITY-PD", "ROBBERY", "investigation", "allowed"),
        s(
            "BBB222",
            "CITY-PD",
            "STOLEN_VEHICLE",
            "stolen-vehicle",
            "allowed",
        ),
        s("CCC333", "CITY-PD", "HOMICIDE", "investigation", "allowed"),
        s("NOSUCH1", "CITY-PD", "ROBBERY", "investigation", "allowed"),
        s(
            "AAA111",
            "RIVER-COUNTY-SO",
            "HOMICIDE",
            "investigation",
            "allowed",
        ),
        s(
            "CCC333",
            "RIVER-COUNTY-SO",
            "KIDNAPPING",
            "missing-person",
            "allowed",
        ),
        s(
            "AAA111",
            "CITY-PD",
            "ROBBERY",
            "immigration",
            "purpose_prohibited",
        ),
        s(
            "BBB222",
            "CITY-PD",
            "HOMICIDE",
            "reproductive-health",
            "purpose_prohibited",
        ),
        s("AAA111", "FED-X", "HOMICIDE", "investigation", "no_mou"),
        s("BBB222", "FED-X", "ROBBERY", "investigation", "no_mou"),
        s(
            "AAA111",
            "RIVER-COUNTY-SO",
            "ROBBERY",
            "investigation",
            "offense_not_in_mou",
        ),
        Planned {
            case: "bad-case",
            ..s(
                "CCC333",
                "CITY-PD",
                "ROBBERY",
                "investigation",
                "case_number_malformed",
            )
        },
        Planned {
            justification: Some("ICE request"),
            ..s(
                "CCC333",
                "CITY-PD",
                "CARJACKING",
                "investigation",
                "justification_prohibited_term",
            )
        },
    ]
}

fn december() -> Vec<Planned> {
    vec![
        // The held case: its reads outlive their epochs (returned inside the window asked
        // for, which must reach back to them).
        Planned {
            case: "2026-000777",
            from: Some("2026-11-08T00:00:00Z"),
            ..s("AAA111", "CITY-PD", "ROBBERY", "investigation", "allowed")
        },
        s(
            "BBB222",
            "CITY-PD",
            "STOLEN_VEHICLE",
            "investigation",
            "allowed",
        ),
        s("AAA111", "FED-X", "HOMICIDE", "investigation", "no_mou"),
    ]
}

fn to_request(p: &Planned, i: usize) -> CaseRequest {
    let mut r = unjustified_request(p.plate, &format!("REQ-{i}"));
    r.agency = p.agency.into();
    r.offense = p.offense.into();
    r.purpose = p.purpose.into();
    r.case_number = p.case.into();
    r.justification = p.justification.map(String::from);
    if let Some(from) = p.from {
        r.from = Some(t(from));
        r.to = Some(t(from).plus(Span::from_days(30)));
    }
    r
}

fn run(vault: &Vault, plan: &[Planned], first: usize) -> u64 {
    let mut returned = 0;
    for (i, p) in plan.iter().enumerate() {
        let out = vault
            .search(&SearchRequest {
                case: to_request(p, first + i),
                with_images: false,
            })
            .expect("search");
        assert_eq!(out.reason_code(), p.expect, "search {}", first + i);
        returned += out.reads.len() as u64;
    }
    returned
}

fn add(t: &mut Tally, v: Option<Verdict>) {
    match v {
        Some(Verdict::Allowed) => t.allowed += 1,
        Some(Verdict::Denied) => t.denied += 1,
        None => panic!("a request entry without a decision"),
    }
}

fn tally(allowed: u64, denied: u64) -> Tally {
    Tally { allowed, denied }
}

/// The report's figures counted again from the entries, the simple way.
struct Counted {
    searches: Tally,
    by_month: BTreeMap<String, (Tally, u64, u64, u64)>,
    by_offense: BTreeMap<String, Tally>,
    by_purpose: BTreeMap<String, Tally>,
    by_agency: BTreeMap<String, (Tally, Tally)>,
    denials: BTreeMap<String, u64>,
    outside: Tally,
    results: u64,
    epochs: u64,
    destroyed: u64,
    hold_requests: Tally,
    held: u64,
    released: u64,
    reviewer: Tally,
    policy_changes: u64,
}

fn count(entries: &[Entry], home: &str) -> Counted {
    let month = |e: &Entry| e.time.to_rfc3339()[..7].to_string();
    let mut c = Counted {
        searches: Tally::default(),
        by_month: BTreeMap::new(),
        by_offense: BTreeMap::new(),
        by_purpose: BTreeMap::new(),
        by_agency: BTreeMap::new(),
        denials: BTreeMap::new(),
        outside: Tally::default(),
        results: 0,
        epochs: 0,
        destroyed: 0,
        hold_requests: Tally::default(),
        held: 0,
        released: 0,
        reviewer: Tally::default(),
        policy_changes: 0,
    };
    for e in entries.iter().filter(|e| e.kind == EntryKind::Search) {
        add(&mut c.searches, e.decision);
        add(&mut c.by_month.entry(month(e)).or_default().0, e.decision);
        add(
            c.by_offense
                .entry(e.offense.clone().expect("offense"))
                .or_default(),
            e.decision,
        );
        add(
            c.by_purpose
                .entry(e.purpose.clone().expect("purpose"))
                .or_default(),
            e.decision,
        );
    }
    for e in entries.iter().filter(|e| is_decision(e)) {
        let agency = e.agency.clone().expect("agency");
        let slot = c.by_agency.entry(agency.clone()).or_default();
        if e.kind == EntryKind::Search {
            add(&mut slot.0, e.decision);
        } else {
            add(&mut slot.1, e.decision);
        }
        if agency != home {
            add(&mut c.outside, e.decision);
        }
        if e.decision == Some(Verdict::Denied) {
            *c.denials
                .entry(e.reason.clone().expect("reason"))
                .or_default() += 1;
        }
    }
    for e in entries {
        match e.kind {
            EntryKind::SearchResult => {
                c.results += e.results.expect("results");
                c.by_month.entry(month(e)).or_default().1 += e.results.expect("results");
            }
            EntryKind::DeletionCertificate => {
                c.epochs += 1;
                c.destroyed += e.results.expect("reads");
                let m = c.by_month.entry(month(e)).or_default();
                m.2 += 1;
                m.3 += e.results.expect("reads");
            }
            EntryKind::HoldAdd => add(&mut c.hold_requests, e.decision),
            EntryKind::HoldPlaced => c.held += e.results.expect("placed"),
            EntryKind::HoldRelease => c.released += 1,
            EntryKind::ReviewerCheck => add(&mut c.reviewer, e.decision),
            EntryKind::PolicyChange => c.policy_changes += 1,
            _ => {}
        }
    }
    c
}

#[test]
fn the_report_counts_exactly_what_the_log_holds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let policy = Policy::from_toml(POLICY).expect("policy");
    let (vault, _key, dir) = new_store(tmp.path(), &policy);

    // Nine reads over three daily epochs (Nov 8, 9 and 10).
    let mut reads = Vec::new();
    for (day, plates) in [
        ("2026-11-08", &["AAA111", "AAA111", "BBB222"][..]),
        ("2026-11-09", &["AAA111", "CCC333"][..]),
        ("2026-11-10", &["AAA111", "AAA111", "BBB222", "CCC333"][..]),
    ] {
        for (i, p) in plates.iter().enumerate() {
            reads.push(read_in_region(
                p,
                "CO",
                t(&format!("{day}T0{i}:30:00Z")),
                "CAM-1",
            ));
        }
    }
    assert_eq!(vault.ingest(reads).expect("ingest").stored.len(), 9);

    // November: searches, holds, reviewer checks, a policy change.
    let nov = november();
    let mut returned = run(&vault, &nov, 0);
    assert_eq!(returned, 5 + 2 + 2 + 5 + 2, "reads returned in November");
    let until = t0().plus(Span::from_days(60));
    let hold = |case: &str, plate: &str, purpose: &str, until| {
        let mut r = unjustified_request(plate, "DET-HOLD");
        r.case_number = case.into();
        r.purpose = purpose.into();
        vault.hold(&r, until).expect("hold")
    };
    let h1 = hold("2026-000777", "AAA111", "investigation", until);
    assert_eq!((h1.reason_code(), h1.placed), ("allowed", 5));
    let h2 = hold("2026-000888", "BBB222", "investigation", until);
    assert_eq!((h2.reason_code(), h2.placed), ("allowed", 2));
    let h3 = hold(
        "2026-000999",
        "CCC333",
        "investigation",
        t0().plus(Span::from_days(400)),
    );
    assert_eq!(h3.reason_code(), "hold_too_long");
    let h4 = hold("2026-000999", "CCC333", "immigration", until);
    assert_eq!(h4.reason_code(), "purpose_prohibited");
    let released = vault
        .release_hold(
            "2026-000888",
            &RemovalRequest {
                requester: "SGT-HOLD".into(),
                agency: "CITY-PD".into(),
                role: None,
            },
        )
        .expect("release");
    assert!(released.released.is_some());
    let ok = vault
        .reviewer_check("AAA111", "CO", "OVERSIGHT-1")
        .expect("check");
    assert!(ok.denial.is_none());
    let no = vault
        .reviewer_check("AAA111", "CO", "DET-1")
        .expect("check");
    assert!(no.denial.is_some());
    let mut spec = vault.policy().as_ref().clone().into_spec();
    spec.version = 2;
    vault
        .apply_policy(&Policy::from_spec(spec).expect("policy v2"))
        .expect("apply");

    // Past retention: the three epochs expire (by the clock, then by `expire`).
    vault
        .advance_clock(t("2026-12-11T12:00:00Z"))
        .expect("clock");
    vault.expire().expect("expire");
    let expired = vault.take_expiry_log();
    assert_eq!(expired.expired_epochs.len(), 3, "{expired:?}");
    assert_eq!(expired.reads_removed, 9);

    // December.
    let dec = december();
    returned += run(&vault, &dec, nov.len());

    let review = Review::open(&dir).expect("review");
    let entries = review.entries().expect("entries");
    let home = review.policy().expect("policy").agency().to_string();
    let report = TransparencyReport::build(&home, entries.iter());
    let c = count(&entries, &home);

    // Against the independent count over the entries.
    assert_eq!(report.agency, "CITY-PD");
    assert_eq!(report.log_size, entries.len() as u64);
    assert_eq!(report.first_entry, Some(T0.to_string()));
    assert_eq!(
        report.last_entry,
        Some(entries.last().expect("entries").time.to_rfc3339())
    );
    assert_eq!(report.searches, c.searches);
    assert_eq!(report.by_offense, c.by_offense);
    assert_eq!(report.by_purpose, c.by_purpose);
    assert_eq!(report.denials_by_reason, c.denials);
    assert_eq!(report.outside_agency_requests, c.outside);
    assert_eq!(report.results_returned, c.results);
    assert_eq!(report.epochs_expired, c.epochs);
    assert_eq!(report.reads_destroyed, c.destroyed);
    assert_eq!(report.holds.requests, c.hold_requests);
    assert_eq!(report.holds.reads_held, c.held);
    assert_eq!(report.holds.released, c.released);
    assert_eq!(report.holds.expired, 0);
    assert_eq!(report.reviewer_checks, c.reviewer);
    assert_eq!(report.policy_changes, c.policy_changes);
    assert_eq!(report.key_rotations, 0);
    assert_eq!(
        report.by_month.keys().collect::<Vec<_>>(),
        c.by_month.keys().collect::<Vec<_>>()
    );
    for (m, (searches, results, epochs, destroyed)) in &c.by_month {
        let r = &report.by_month[m];
        assert_eq!(
            (
                r.searches,
                r.results_returned,
                r.epochs_expired,
                r.reads_destroyed
            ),
            (*searches, *results, *epochs, *destroyed),
            "{m}"
        );
    }
    assert_eq!(
        report.by_agency.keys().collect::<Vec<_>>(),
        c.by_agency.keys().collect::<Vec<_>>()
    );
    for (a, (searches, other)) in &c.by_agency {
        let r = &report.by_agency[a];
        assert_eq!((r.searches, r.other_requests), (*searches, *other), "{a}");
        assert_eq!(r.home, a == "CITY-PD", "{a}");
    }

    // Against what the workload did.
    let plan: Vec<&Planned> = nov.iter().chain(dec.iter()).collect();
    let allowed = |p: &&&Planned| p.expect == "allowed";
    let n_allowed = plan.iter().filter(allowed).count() as u64;
    let n = plan.len() as u64;
    assert_eq!(report.searches, tally(n_allowed, n - n_allowed));
    assert_eq!(report.searches, tally(8, 8));
    assert_eq!(report.by_month["2026-11"].searches, tally(6, 7));
    assert_eq!(report.by_month["2026-12"].searches, tally(2, 1));
    assert_eq!(report.by_month["2026-12"].epochs_expired, 3);
    assert_eq!(report.by_month["2026-12"].reads_destroyed, 9);
    assert_eq!(report.by_month["2026-11"].results_returned, 16);
    assert_eq!(report.results_returned, returned);
    assert_eq!(
        report.by_month["2026-12"].results_returned,
        returned - 16,
        "the held case's reads, after their epochs expired"
    );
    assert!(returned > 16, "the hold kept reads past expiry");
    let mut offenses: BTreeMap<String, Tally> = BTreeMap::new();
    let mut purposes: BTreeMap<String, Tally> = BTreeMap::new();
    for p in &plan {
        let v = Some(if p.expect == "allowed" {
            Verdict::Allowed
        } else {
            Verdict::Denied
        });
        add(offenses.entry(p.offense.into()).or_default(), v);
        add(purposes.entry(p.purpose.into()).or_default(), v);
    }
    assert_eq!(report.by_offense, offenses);
    assert_eq!(report.by_purpose, purposes);
    let denials: BTreeMap<String, u64> = [
        ("purpose_prohibited", 3), // two searches and a hold
        ("no_mou", 3),
        ("offense_not_in_mou", 1),
        ("case_number_malformed", 1),
        ("justification_prohibited_term", 1),
        ("hold_too_long", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(report.denials_by_reason, denials);
    assert_eq!(report.outside_agency_requests, tally(2, 4));
    assert_eq!(report.by_agency["RIVER-COUNTY-SO"].searches, tally(2, 1));
    assert_eq!(report.by_agency["FED-X"].searches, tally(0, 3));
    assert_eq!(report.by_agency["CITY-PD"].searches, tally(6, 4));
    // Four hold requests (two allowed) and the release request (allowed).
    assert_eq!(report.by_agency["CITY-PD"].other_requests, tally(3, 2));
    assert_eq!(report.holds.requests, tally(2, 2));
    assert_eq!(report.holds.reads_held, 7);
    assert_eq!(report.holds.released, 1);
    assert_eq!(report.epochs_expired, 3);
    assert_eq!(report.reads_destroyed, 9);
    assert_eq!(report.reviewer_checks, tally(1, 1));
    assert_eq!(report.policy_changes, 1);

    // Markdown carries the figures, and no plate.
    let md = report.to_markdown();
    for line in [
        "| searches | 16 |".to_string(),
        "| searches allowed | 8 |".to_string(),
        "| searches denied | 8 |".to_string(),
        format!("| reads returned | {returned} |"),
        "| requests from outside agencies | 6 |".to_string(),
        "| outside-agency requests denied | 4 |".to_string(),
        "| epochs destroyed by expiry | 3 |".to_string(),
        "| reads destroyed by expiry | 9 |".to_string(),
        "| hold requests | 4 |".to_string(),
        "| reads placed on hold | 7 |".to_string(),
        "| holds released | 1 |".to_string(),
        "| reviewer checks | 2 |".to_string(),
        "| policy changes | 1 |".to_string(),
        "| 2026-11 | 6 | 7 |".to_string(),
        "| 2026-12 | 2 | 1 |".to_string(),
        "| CITY-PD (home) | 6 | 4 |".to_string(),
        "| RIVER-COUNTY-SO (outside) | 2 | 1 |".to_string(),
        "| FED-X (outside) | 0 | 3 |".to_string(),
        "| purpose_prohibited | 3 |".to_string(),
        "| no_mou | 3 |".to_string(),
        "| HOMICIDE | 2 | 3 |".to_string(),
        "| investigation | 6 | 6 |".to_string(),
        "| 2026-12 | 3 | 9 |".to_string(),
    ] {
        assert!(md.contains(&line), "markdown lacks {line:?}:\n{md}");
    }
    for plate in PLATES.iter().chain(["NOSUCH1"].iter()) {
        assert!(!md.contains(plate), "markdown holds a plate");
    }
    // JSON carries the same figures.
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["searches"]["allowed"], 8);
    assert_eq!(json["searches"]["denied"], 8);
    assert_eq!(json["denials_by_reason"]["no_mou"], 3);
    assert_eq!(json["outside_agency_requests"]["denied"], 4);
    assert_eq!(json["epochs_expired"], 3);
    assert_eq!(json["results_returned"], returned);
}

#[test]
fn a_request_naming_no_agency_is_not_counted_as_the_home_agency() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    let mut req = unjustified_request("AAA111", "DET-1");
    req.agency = "  ".into();
    let out = vault
        .search(&SearchRequest {
            case: req,
            with_images: false,
        })
        .expect("search");
    assert_eq!(
        out.reason_code(),
        "no_mou",
        "the policy treats it as outside"
    );
    let report = TransparencyReport::build("CITY-PD", entries(&dir).iter());
    assert_eq!(report.searches, tally(0, 1));
    assert_eq!(
        report.outside_agency_requests,
        tally(0, 1),
        "a request denied for want of an MOU is an outside-agency request"
    );
    assert!(
        report
            .by_agency
            .iter()
            .all(|(name, a)| !a.home || name == "CITY-PD"),
        "only the home agency is marked home: {:?}",
        report.by_agency
    );
}
