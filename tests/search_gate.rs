//! The search gate, end to end on a real store: every request through `Vault::search` is
//! decided by the policy in its fixed rule order (a table of more than 40 requests covers
//! every denial reason, combinations where the first failing rule must win, and allowed
//! requests from the home agency, an outside agency under an MOU and an age tier with and
//! without a warrant); each request appends exactly one decision entry, an allowed one then
//! exactly one result entry naming it with the number of reads returned; a denied request
//! returns no reads and touches no epoch data; reads older than an age tier are withheld,
//! never silently returned (not even from a legal hold); plates appear in the audit log only
//! as fingerprints (same plate, same fingerprint; different plate, different fingerprint);
//! the rate limit counts every attempt per requester over the last hour; an inverted window
//! is an error that writes nothing; and the reviewer check lists exactly the decision
//! entries of a plate, refuses non-reviewers, and is itself audited.

mod support;

use std::collections::BTreeMap;

use platevault::audit::entry::{Entry, EntryKind, Verdict};
use platevault::model::plate::{Plate, Region};
use platevault::{CaseRequest, Error, Policy, SearchRequest, Span, Timestamp, Vault};
use support::*;

const PLATE_A: &str = "7KQX291";
const PLATE_B: &str = "QZW4471";
const WARRANT: &str = "W-2026-0042";

const POLICY: &str = r#"
agency = "CITY-PD"

[[mou]]
agency = "RIVER-COUNTY-SO"
valid_from = "2026-01-01T00:00:00Z"
valid_to = "2027-01-01T00:00:00Z"
offenses = ["HOMICIDE", "KIDNAPPING"]

[[mou]]
agency = "OLD-COUNTY-SO"
valid_from = "2025-01-01T00:00:00Z"
valid_to = "2026-01-01T00:00:00Z"
offenses = ["HOMICIDE"]

[[mou]]
agency = "NEXT-COUNTY-SO"
valid_from = "2027-01-01T00:00:00Z"
valid_to = "2028-01-01T00:00:00Z"
offenses = ["HOMICIDE"]

[[age_tier]]
older_than = "72h"
requires = "warrant"
"#;

/// Plate A in CO was seen 1 h, 2 d, 5 d and 8 d before T0.
const A_CO: [u64; 4] = [1, 48, 120, 192];
/// ... of which these are younger than the 72 h age tier.
const A_RECENT: [u64; 2] = [1, 48];
/// Plate A in US-CO (another region: another plate) was seen once.
const A_US_CO: [u64; 1] = [24];
/// Plate B in CO.
const B_CO: [u64; 2] = [3, 240];

fn fixture_reads() -> Vec<platevault::NewRead> {
    let mut out = Vec::new();
    for (i, h) in A_CO.iter().enumerate() {
        out.push(read_in_region(PLATE_A, "CO", ago(*h), &format!("CAM-A{i}")));
    }
    for h in A_US_CO {
        out.push(read_in_region(PLATE_A, "US-CO", ago(h), "CAM-U"));
    }
    for h in B_CO {
        out.push(read_in_region(PLATE_B, "CO", ago(h), "CAM-B"));
    }
    out.push(read_in_region("MXV8821", "CO", ago(6), "CAM-N"));
    out
}

fn tier_store(tmp: &std::path::Path) -> (Vault, std::path::PathBuf) {
    let policy = Policy::from_toml(POLICY).expect("policy");
    assert_eq!(policy.mous().len(), 3);
    assert_eq!(policy.warrant_age(), Some(Span::from_hours(72)));
    let (vault, _key, dir) = new_store(tmp, &policy);
    let report = vault.ingest(fixture_reads()).expect("ingest");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    (vault, dir)
}

fn search(vault: &Vault, req: &CaseRequest) -> platevault::SearchOutcome {
    vault
        .search(&SearchRequest {
            case: req.clone(),
            with_images: false,
        })
        .expect("search")
}

fn sorted_times(reads: &[platevault::ReadView]) -> Vec<Timestamp> {
    let mut v: Vec<Timestamp> = reads.iter().map(|r| r.body.captured_at).collect();
    v.sort();
    v
}

fn times_ago(hours_ago: &[u64]) -> Vec<Timestamp> {
    let mut v: Vec<Timestamp> = hours_ago.iter().map(|h| ago(*h)).collect();
    v.sort();
    v
}

/// One request of the table and what must come of it.
struct Row {
    name: &'static str,
    req: CaseRequest,
    /// `allowed` or the reason code.
    expect: &'static str,
    /// For allowed rows: the reads (hours before T0) that must come back, no more, no less.
    reads: &'static [u64],
    /// For allowed rows: whether the age tier withheld older reads.
    withheld: bool,
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let mut add = |name: &'static str,
                   expect: &'static str,
                   reads: &'static [u64],
                   withheld: bool,
                   edit: &dyn Fn(&mut CaseRequest)| {
        let mut req = unjustified_request(PLATE_A, &format!("DET-{:02}", rows.len()));
        req.warrant = Some(WARRANT.into());
        edit(&mut req);
        rows.push(Row {
            name,
            req,
            expect,
            reads,
            withheld,
        });
    };
    let none: &'static [u64] = &[];

    // Each denial reason on its own.
    add("no requester", "requester_missing", none, false, &|r| {
        r.requester = String::new()
    });
    add("blank requester", "requester_missing", none, false, &|r| {
        r.requester = "   ".into()
    });
    add("agency without MOU", "no_mou", none, false, &|r| {
        r.agency = "FED-TASKFORCE".into()
    });
    add("MOU expired", "no_mou", none, false, &|r| {
        r.agency = "OLD-COUNTY-SO".into();
        r.offense = "HOMICIDE".into();
    });
    add("MOU not yet in force", "no_mou", none, false, &|r| {
        r.agency = "NEXT-COUNTY-SO".into();
        r.offense = "HOMICIDE".into();
    });
    add("blank agency", "no_mou", none, false, &|r| {
        r.agency = String::new()
    });
    add(
        "MOU does not cover offense",
        "offense_not_in_mou",
        none,
        false,
        &|r| r.agency = "RIVER-COUNTY-SO".into(),
    );
    add(
        "case number too short",
        "case_number_malformed",
        none,
        false,
        &|r| r.case_number = "12345".into(),
    );
    add(
        "case number with a tail",
        "case_number_malformed",
        none,
        false,
        &|r| r.case_number = "2026-001234 OR 1=1".into(),
    );
    add(
        "no case number",
        "case_number_malformed",
        none,
        false,
        &|r| r.case_number = String::new(),
    );
    add(
        "offense unknown",
        "offense_not_allowed",
        none,
        false,
        &|r| r.offense = "JAYWALKING".into(),
    );
    add("offense empty", "offense_not_allowed", none, false, &|r| {
        r.offense = String::new()
    });
    add("purpose unknown", "purpose_unknown", none, false, &|r| {
        r.purpose = "fishing".into()
    });
    add(
        "purpose immigration",
        "purpose_prohibited",
        none,
        false,
        &|r| r.purpose = "immigration".into(),
    );
    add(
        "purpose reproductive health",
        "purpose_prohibited",
        none,
        false,
        &|r| r.purpose = "reproductive-health".into(),
    );
    add(
        "justification I.C.E.",
        "justification_prohibited_term",
        none,
        false,
        &|r| r.justification = Some("assist I.C.E. with a detainer".into()),
    );
    add(
        "justification spelled out",
        "justification_prohibited_term",
        none,
        false,
        &|r| r.justification = Some("request from Immigration and Customs Enforcement".into()),
    );
    add(
        "justification deportation",
        "justification_prohibited_term",
        none,
        false,
        &|r| r.justification = Some("pending Deportation hearing".into()),
    );
    add(
        "justification holds the plate",
        "justification_contains_plate",
        none,
        false,
        &|r| r.justification = Some("suspect vehicle 7kq x291 seen at the bank".into()),
    );
    add("window 31 days", "window_too_long", none, false, &|r| {
        r.from = Some(ago(31 * 24));
        r.to = Some(t0());
    });
    add(
        "window before retention",
        "window_outside_retention",
        none,
        false,
        &|r| {
            r.from = Some(ago(60 * 24));
            r.to = Some(ago(40 * 24));
        },
    );
    add(
        "old window without warrant",
        "warrant_required",
        none,
        false,
        &|r| {
            r.warrant = None;
            r.from = Some(ago(8 * 24));
            r.to = Some(ago(4 * 24));
        },
    );
    add(
        "old window with a blank warrant",
        "warrant_required",
        none,
        false,
        &|r| {
            r.warrant = Some("  ".into());
            r.from = Some(ago(8 * 24));
            r.to = Some(ago(4 * 24));
        },
    );
    add(
        "requester over the limit",
        "rate_limited",
        none,
        false,
        &|r| r.requester = "BUSY-1".into(),
    );
    add("wildcard plate", "plate_malformed", none, false, &|r| {
        r.plate = "7KQ*291".into()
    });
    add("empty plate", "plate_malformed", none, false, &|r| {
        r.plate = String::new()
    });
    add("plate too long", "plate_malformed", none, false, &|r| {
        r.plate = "ABCDEFGHIJK".into()
    });
    add("SQL wildcard plate", "plate_malformed", none, false, &|r| {
        r.plate = "7KQ%".into()
    });
    add("empty region", "region_malformed", none, false, &|r| {
        r.region = String::new()
    });
    add("one-letter region", "region_malformed", none, false, &|r| {
        r.region = "C".into()
    });
    add("region too long", "region_malformed", none, false, &|r| {
        r.region = "COLORADO".into()
    });

    // A plate typed into the wrong field is denied and not written down.
    add(
        "plate typed as the case number",
        "case_number_malformed",
        none,
        false,
        &|r| r.case_number = "7KQX291".into(),
    );
    add(
        "plate typed as the offense",
        "offense_not_allowed",
        none,
        false,
        &|r| r.offense = "7KQ-X291".into(),
    );
    add(
        "plate typed as the purpose",
        "purpose_unknown",
        none,
        false,
        &|r| r.purpose = "7kq x291".into(),
    );

    // Combinations: the first failing rule, in the fixed order, decides.
    add(
        "no requester, outside agency, bad case",
        "requester_missing",
        none,
        false,
        &|r| {
            r.requester = String::new();
            r.agency = "FED-TASKFORCE".into();
            r.case_number = "x".into();
        },
    );
    add(
        "outside agency asking for immigration with ICE in the text",
        "no_mou",
        none,
        false,
        &|r| {
            r.agency = "FED-TASKFORCE".into();
            r.purpose = "immigration".into();
            r.justification = Some("ICE".into());
        },
    );
    add(
        "MOU agency with an offense nobody allows",
        "offense_not_in_mou",
        none,
        false,
        &|r| {
            r.agency = "RIVER-COUNTY-SO".into();
            r.offense = "JAYWALKING".into();
        },
    );
    add(
        "bad case, bad offense, prohibited purpose",
        "case_number_malformed",
        none,
        false,
        &|r| {
            r.case_number = "CASE-1".into();
            r.offense = "JAYWALKING".into();
            r.purpose = "immigration".into();
        },
    );
    add(
        "bad offense and prohibited purpose",
        "offense_not_allowed",
        none,
        false,
        &|r| {
            r.offense = "JAYWALKING".into();
            r.purpose = "immigration".into();
        },
    );
    add(
        "unknown purpose and prohibited term",
        "purpose_unknown",
        none,
        false,
        &|r| {
            r.purpose = "curiosity".into();
            r.justification = Some("ICE asked".into());
        },
    );
    add(
        "prohibited purpose, prohibited term, long window",
        "purpose_prohibited",
        none,
        false,
        &|r| {
            r.purpose = "reproductive-health".into();
            r.justification = Some("abortion clinic".into());
            r.from = Some(ago(40 * 24));
            r.to = Some(t0());
        },
    );
    add(
        "prohibited term and the plate in the text",
        "justification_prohibited_term",
        none,
        false,
        &|r| r.justification = Some("deport the owner of 7KQX291".into()),
    );
    add(
        "plate in the text and a long window",
        "justification_contains_plate",
        none,
        false,
        &|r| {
            r.justification = Some("7KQ-X291".into());
            r.from = Some(ago(40 * 24));
            r.to = Some(t0());
        },
    );
    add(
        "long window and a bad plate",
        "window_too_long",
        none,
        false,
        &|r| {
            r.plate = "7KQ?291".into();
            r.from = Some(ago(40 * 24));
            r.to = Some(t0());
        },
    );
    add(
        "window outside retention by a requester over the limit",
        "window_outside_retention",
        none,
        false,
        &|r| {
            r.requester = "BUSY-1".into();
            r.from = Some(ago(50 * 24));
            r.to = Some(ago(35 * 24));
        },
    );
    add(
        "warrant needed and a bad plate",
        "warrant_required",
        none,
        false,
        &|r| {
            r.warrant = None;
            r.plate = "***".into();
            r.from = Some(ago(9 * 24));
            r.to = Some(ago(5 * 24));
        },
    );
    add(
        "requester over the limit with a bad plate",
        "rate_limited",
        none,
        false,
        &|r| {
            r.requester = "BUSY-1".into();
            r.plate = "7KQ*291".into();
        },
    );
    add(
        "requester over the limit with a bad case",
        "case_number_malformed",
        none,
        false,
        &|r| {
            r.requester = "BUSY-1".into();
            r.case_number = "bad".into();
        },
    );
    add(
        "bad plate and bad region",
        "plate_malformed",
        none,
        false,
        &|r| {
            r.plate = "7KQ*291".into();
            r.region = "C".into();
        },
    );

    // Allowed.
    add("home agency with warrant", "allowed", &A_CO, false, &|_| {});
    add(
        "home agency without warrant: older reads withheld",
        "allowed",
        &A_RECENT,
        true,
        &|r| r.warrant = None,
    );
    add("plate written another way", "allowed", &A_CO, false, &|r| {
        r.plate = "7kq-x291".into()
    });
    add("region in lower case", "allowed", &A_CO, false, &|r| {
        r.region = "co".into()
    });
    add(
        "same plate, other region",
        "allowed",
        &A_US_CO,
        false,
        &|r| r.region = "US-CO".into(),
    );
    add(
        "outside agency under its MOU",
        "allowed",
        &A_CO,
        false,
        &|r| {
            r.agency = "river-county-so".into();
            r.offense = "HOMICIDE".into();
        },
    );
    add(
        "outside agency under its MOU without warrant",
        "allowed",
        &A_RECENT,
        true,
        &|r| {
            r.agency = "RIVER-COUNTY-SO".into();
            r.offense = "kidnapping".into();
            r.warrant = None;
        },
    );
    add(
        "window reaching past the tier without warrant",
        "allowed",
        &A_RECENT,
        true,
        &|r| {
            r.warrant = None;
            r.from = Some(ago(96));
            r.to = Some(t0());
        },
    );
    add(
        "narrow window with warrant",
        "allowed",
        &[1, 48, 120],
        false,
        &|r| {
            r.from = Some(ago(121));
            r.to = Some(t0());
        },
    );
    add(
        "window ending in the future",
        "allowed",
        &[1],
        false,
        &|r| {
            r.from = Some(ago(24));
            r.to = Some(t0().plus(Span::from_days(1)));
        },
    );
    add("another plate", "allowed", &B_CO, false, &|r| {
        r.plate = PLATE_B.into();
        r.offense = "stolen_vehicle".into();
        r.purpose = "stolen-vehicle".into();
    });
    add("a plate never seen", "allowed", &[], false, &|r| {
        r.plate = "NOSUCH1".into()
    });
    add(
        "harmless words that look like terms",
        "allowed",
        &A_CO,
        false,
        &|r| r.justification = Some("police office, justice center, officer Alice".into()),
    );
    add("purpose spelled loosely", "allowed", &A_CO, false, &|r| {
        r.purpose = " Missing_Person ".into();
        r.offense = "MISSING_PERSON".into();
    });
    rows
}

#[test]
fn every_request_is_decided_in_rule_order_and_audited_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, dir) = tier_store(tmp.path());
    // Every (seq, plate, region) searched, for the fingerprint and reviewer checks.
    let mut searched: Vec<(u64, String, String)> = Vec::new();

    // BUSY-1 uses up the hour's 60 attempts (denied ones count).
    for _ in 0..60 {
        let mut req = unjustified_request("BUSY1PL", "BUSY-1");
        req.case_number = "not-a-case".into();
        let out = search(&vault, &req);
        assert_eq!(out.reason_code(), "case_number_malformed");
        searched.push((out.audit_seq, req.plate, req.region));
    }

    let rows = rows();
    assert!(rows.len() >= 40, "{} rows", rows.len());
    let mut reasons_seen = std::collections::BTreeSet::new();
    for row in &rows {
        let name = row.name;
        let before = entries(&dir);
        let lookups_before = vault.epoch_lookups();
        let out = search(&vault, &row.req);
        let after = entries(&dir);
        reasons_seen.insert(out.reason_code());
        searched.push((out.audit_seq, row.req.plate.clone(), row.req.region.clone()));

        assert_eq!(out.reason_code(), row.expect, "{name}: {:?}", out.decision);
        assert_eq!(
            decision_count(&after),
            decision_count(&before) + 1,
            "{name}: exactly one decision entry"
        );
        let added = &after[before.len()..];
        let decision = &added[0];
        assert_eq!(
            decision.seq, out.audit_seq,
            "{name}: audit_seq is its index"
        );
        assert_eq!(decision.kind, EntryKind::Search, "{name}");
        assert_eq!(decision.reason.as_deref(), Some(row.expect), "{name}");
        assert_eq!(
            decision.requester.as_deref(),
            Some(row.req.requester.trim()),
            "{name}"
        );
        assert_eq!(
            decision.agency.as_deref(),
            Some(row.req.agency.trim().to_ascii_uppercase().as_str()),
            "{name}"
        );

        if row.expect == "allowed" {
            assert_eq!(decision.decision, Some(Verdict::Allowed), "{name}");
            assert_eq!(added.len(), 2, "{name}: decision then one result entry");
            let result = &added[1];
            assert_eq!(result.kind, EntryKind::SearchResult, "{name}");
            assert_eq!(result.result_of, Some(out.audit_seq), "{name}");
            assert_eq!(result.results, Some(out.reads.len() as u64), "{name}");
            assert_eq!(out.result_seq, Some(result.seq), "{name}");
            assert_eq!(
                sorted_times(&out.reads),
                times_ago(row.reads),
                "{name}: the reads returned"
            );
            if !row.reads.is_empty() {
                assert!(
                    vault.epoch_lookups() > lookups_before,
                    "{name}: an allowed search reads its epochs"
                );
            }
            let grant = out.decision.grant().expect("grant");
            let cutoff = ago(72);
            if row.withheld {
                assert_eq!(grant.withheld_before(), Some(cutoff), "{name}");
                assert_eq!(decision.withheld_before, Some(cutoff), "{name}");
                assert!(
                    out.reads.iter().all(|r| r.body.captured_at >= cutoff),
                    "{name}: no read older than the tier without a warrant"
                );
            } else {
                assert_eq!(grant.withheld_before(), None, "{name}");
                assert_eq!(decision.withheld_before, None, "{name}");
            }
        } else {
            assert_eq!(decision.decision, Some(Verdict::Denied), "{name}");
            assert_eq!(added.len(), 1, "{name}: a denial writes one entry only");
            assert!(out.reads.is_empty(), "{name}: a denial returns no reads");
            assert_eq!(out.result_seq, None, "{name}");
            assert_eq!(
                vault.epoch_lookups(),
                lookups_before,
                "{name}: a denial touches no epoch data"
            );
            assert!(
                !after.iter().any(|e| e.result_of == Some(out.audit_seq)),
                "{name}: nothing completes a denied request"
            );
        }
    }

    // Every reason of the search gate was produced, and allowed searches too.
    for code in [
        "requester_missing",
        "no_mou",
        "offense_not_in_mou",
        "case_number_malformed",
        "offense_not_allowed",
        "purpose_unknown",
        "purpose_prohibited",
        "justification_prohibited_term",
        "justification_contains_plate",
        "window_too_long",
        "window_outside_retention",
        "warrant_required",
        "rate_limited",
        "plate_malformed",
        "region_malformed",
        "allowed",
    ] {
        assert!(reasons_seen.contains(code), "no row produced {code}");
    }

    let all = entries(&dir);
    assert_eq!(decision_count(&all), 60 + rows.len());
    check_fingerprints(&all, &searched);
    check_no_plate_text(&all);
    check_reviewer(&vault, &dir, &searched);
}

/// The canonical (plate, region) of a request, when both parse.
fn canonical(plate: &str, region: &str) -> Option<(String, String)> {
    let p = Plate::parse(plate).ok()?;
    let r = Region::parse(region).ok()?;
    Some((p.expose().to_string(), r.as_str().to_string()))
}

fn check_fingerprints(all: &[Entry], searched: &[(u64, String, String)]) {
    let mut by_plate: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (seq, plate, region) in searched {
        let e = &all[*seq as usize];
        match canonical(plate, region) {
            Some(key) => {
                let fp = e
                    .fingerprint
                    .clone()
                    .unwrap_or_else(|| panic!("entry {seq} has no fingerprint"));
                assert_eq!(fp.len(), 64, "a 256-bit fingerprint in hex");
                by_plate.entry(key).or_default().push(fp);
            }
            None => assert_eq!(
                e.fingerprint, None,
                "entry {seq}: no fingerprint for a malformed plate or region"
            ),
        }
    }
    assert!(by_plate.len() >= 5, "{:?}", by_plate.keys());
    let mut distinct = std::collections::BTreeSet::new();
    for (key, fps) in &by_plate {
        assert!(
            fps.iter().all(|f| f == &fps[0]),
            "one plate, one fingerprint: {key:?}"
        );
        assert!(
            distinct.insert(fps[0].clone()),
            "two plates share a fingerprint: {key:?}"
        );
    }
    // Plate A searched as 7KQX291, 7kq-x291 and in region "co": one fingerprint.
    assert!(by_plate[&(PLATE_A.to_string(), "CO".to_string())].len() > 20);
}

fn check_no_plate_text(all: &[Entry]) {
    let needles = [
        "7KQX291",
        "7kqx291",
        "7KQ-X291",
        "7kq-x291",
        "7kq x291",
        "7KQ*291",
        "7KQ?291",
        "7KQ%",
        "QZW4471",
        "qzw4471",
        "BUSY1PL",
        "NOSUCH1",
        "ABCDEFGHIJK",
        "MXV8821",
    ];
    for e in all {
        let bytes = e.encode();
        for n in needles {
            assert!(
                !contains(&bytes, n.as_bytes()),
                "entry {} ({}) holds plate text {n}",
                e.seq,
                e.kind.as_str()
            );
        }
        // Justifications are sealed: the entry carries only the payload's digest.
        let text = String::from_utf8(bytes).expect("utf8");
        for word in ["bank", "I.C.E.", "Deportation", "clinic", "officer Alice"] {
            assert!(
                !text.contains(word),
                "entry {} holds justification text",
                e.seq
            );
        }
    }
}

fn check_reviewer(vault: &Vault, dir: &std::path::Path, searched: &[(u64, String, String)]) {
    let lookups = vault.epoch_lookups();
    let target = canonical(PLATE_A, "CO");
    let expected: Vec<u64> = searched
        .iter()
        .filter(|(_, p, r)| canonical(p, r) == target)
        .map(|(s, _, _)| *s)
        .collect();
    let before = entries(dir);
    let rc = vault
        .reviewer_check("7kq x291", "co", "OVERSIGHT-1")
        .expect("reviewer check");
    assert!(rc.denial.is_none(), "{:?}", rc.denial);
    let got: Vec<u64> = rc.entries.iter().map(|e| e.seq).collect();
    assert_eq!(got, expected, "exactly the decision entries of the plate");
    assert!(rc.entries.iter().all(|e| e.kind == EntryKind::Search));
    assert!(
        rc.entries
            .iter()
            .any(|e| e.decision == Some(Verdict::Denied))
            && rc
                .entries
                .iter()
                .any(|e| e.decision == Some(Verdict::Allowed)),
        "allowed and denied searches are both listed"
    );
    let after = entries(dir);
    assert_eq!(after.len(), before.len() + 1, "the check appends one entry");
    let own = &after[rc.audit_seq as usize];
    assert_eq!(own.kind, EntryKind::ReviewerCheck);
    assert_eq!(own.reason.as_deref(), Some("allowed"));
    assert_eq!(own.requester.as_deref(), Some("OVERSIGHT-1"));
    assert_eq!(own.results, Some(expected.len() as u64));
    assert_eq!(own.fingerprint, rc.entries[0].fingerprint);
    assert_eq!(decision_count(&after), decision_count(&before));
    assert_eq!(vault.epoch_lookups(), lookups, "the check reads no epoch");

    // A second check lists the same entries (reviewer checks are not listed).
    let again = vault
        .reviewer_check(PLATE_A, "CO", "OVERSIGHT-1")
        .expect("check");
    assert_eq!(again.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), got);

    // A plate nobody searched: nothing.
    let none = vault
        .reviewer_check("ZZZ999", "CO", "OVERSIGHT-1")
        .expect("check");
    assert!(none.denial.is_none() && none.entries.is_empty());

    // Not a reviewer: denied, nothing listed, audited.
    for who in ["DET-01", "", "OVERSIGHT-10"] {
        let before = entries(dir);
        let rc = vault
            .reviewer_check(PLATE_A, "CO", who)
            .expect("reviewer check");
        assert_eq!(
            rc.denial.as_ref().map(|d| d.0),
            Some("not_a_reviewer"),
            "{who:?}"
        );
        assert!(rc.entries.is_empty());
        let after = entries(dir);
        assert_eq!(after.len(), before.len() + 1);
        let own = &after[rc.audit_seq as usize];
        assert_eq!(own.kind, EntryKind::ReviewerCheck);
        assert_eq!(own.decision, Some(Verdict::Denied));
        assert_eq!(own.reason.as_deref(), Some("not_a_reviewer"));
    }
    // A malformed plate: denied as such, audited.
    let rc = vault
        .reviewer_check("7KQ*", "CO", "OVERSIGHT-1")
        .expect("check");
    assert_eq!(rc.denial.as_ref().map(|d| d.0), Some("plate_malformed"));
    assert!(rc.entries.is_empty());
    assert_eq!(vault.epoch_lookups(), lookups);
}

#[test]
fn the_default_policy_allows_home_searches_and_denies_every_outside_agency() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    vault.ingest(fixture_reads()).expect("ingest");
    let out = search(&vault, &unjustified_request(PLATE_A, "DET-1"));
    assert!(out.is_allowed());
    assert_eq!(
        sorted_times(&out.reads),
        times_ago(&A_CO),
        "no age tier by default"
    );
    for agency in ["RIVER-COUNTY-SO", "FBI", "city-pd-2"] {
        let mut req = unjustified_request(PLATE_A, "AGENT-1");
        req.agency = agency.into();
        req.offense = "HOMICIDE".into();
        let lookups = vault.epoch_lookups();
        let out = search(&vault, &req);
        assert_eq!(out.reason_code(), "no_mou", "{agency}");
        assert!(out.reads.is_empty());
        assert_eq!(vault.epoch_lookups(), lookups);
    }
    // The home agency compares trimmed and ignoring case.
    let mut req = unjustified_request(PLATE_A, "DET-2");
    req.agency = " city-pd ".into();
    assert!(search(&vault, &req).is_allowed());
    assert_eq!(decision_count(&entries(&dir)), 5);
}

#[test]
fn the_rate_limit_counts_every_attempt_per_requester_over_the_last_hour() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    vault.ingest(fixture_reads()).expect("ingest");
    // 60 attempts, a sixth of them denied: all count.
    for i in 0..60 {
        let mut req = unjustified_request(PLATE_A, "DET-R");
        if i % 6 == 0 {
            req.purpose = "immigration".into();
        }
        let out = search(&vault, &req);
        assert_eq!(out.is_allowed(), i % 6 != 0, "attempt {}", i + 1);
    }
    let lookups = vault.epoch_lookups();
    let out = search(&vault, &unjustified_request(PLATE_A, "DET-R"));
    assert_eq!(out.reason_code(), "rate_limited", "the 61st attempt");
    assert!(out.reads.is_empty());
    assert_eq!(vault.epoch_lookups(), lookups);
    let e = &entries(&dir)[out.audit_seq as usize];
    assert_eq!(e.reason.as_deref(), Some("rate_limited"));

    // Another requester of the same agency is not limited; the same name at another
    // agency is another requester (denied there for its own reason, not the rate).
    assert!(search(&vault, &unjustified_request(PLATE_A, "DET-S")).is_allowed());
    let mut other = unjustified_request(PLATE_A, "DET-R");
    other.agency = "FED-TASKFORCE".into();
    assert_eq!(search(&vault, &other).reason_code(), "no_mou");

    // 59 minutes on, the hour still holds the 61 attempts.
    vault
        .advance_clock(t0().plus(Span::from_minutes(59)))
        .expect("clock");
    assert_eq!(
        search(&vault, &unjustified_request(PLATE_A, "DET-R")).reason_code(),
        "rate_limited"
    );
    // 61 minutes on, only the one attempt made at +59 min is in the last hour.
    vault
        .advance_clock(t0().plus(Span::from_minutes(61)))
        .expect("clock");
    let out = search(&vault, &unjustified_request(PLATE_A, "DET-R"));
    assert!(out.is_allowed(), "{:?}", out.decision);
}

#[test]
fn a_window_that_ends_before_it_starts_is_an_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    vault.ingest(fixture_reads()).expect("ingest");
    let before = entries(&dir);
    let lookups = vault.epoch_lookups();
    let mut req = unjustified_request(PLATE_A, "DET-1");
    req.from = Some(ago(1));
    req.to = Some(ago(2));
    let err = vault
        .search(&SearchRequest {
            case: req.clone(),
            with_images: false,
        })
        .expect_err("inverted window");
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    // A hold with the same window is refused the same way.
    let err = vault
        .hold(&req, t0().plus(Span::from_days(10)))
        .expect_err("inverted window");
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    let after = entries(&dir);
    assert_eq!(after.len(), before.len(), "no audit entry at all");
    assert_eq!(vault.epoch_lookups(), lookups);
}

#[test]
fn an_age_tier_withholds_older_reads_even_when_a_hold_kept_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, dir) = tier_store(tmp.path());
    // A hold placed with a warrant keeps every read of plate A for the case.
    let mut with_warrant = unjustified_request(PLATE_A, "DET-H");
    with_warrant.warrant = Some(WARRANT.into());
    let held = vault
        .hold(&with_warrant, t0().plus(Span::from_days(100)))
        .expect("hold");
    assert_eq!(held.reason_code(), "allowed");
    assert_eq!(held.placed, A_CO.len() as u64);

    // The same case searched without a warrant gets only the reads younger than 72 h.
    let out = search(&vault, &unjustified_request(PLATE_A, "DET-H"));
    assert!(out.is_allowed());
    let cutoff = ago(72);
    let grant = out.decision.grant().expect("grant");
    assert_eq!(grant.withheld_before(), Some(cutoff));
    assert_eq!(
        sorted_times(&out.reads),
        times_ago(&A_RECENT),
        "reads older than the age tier came back without a warrant (from the hold: {:?})",
        out.reads.iter().map(|r| r.from_hold).collect::<Vec<_>>()
    );
    let result = &entries(&dir)[out.result_seq.expect("result") as usize];
    assert_eq!(result.results, Some(A_RECENT.len() as u64));
}
