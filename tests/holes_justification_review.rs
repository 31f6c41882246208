//! Issue 13, item 9: the justification was invisible to oversight. The policy's reviewers now
//! read the justifications of a period (`Vault::review_justifications`, `audit
//! justifications`), gated to reviewers, rate-limited in the reviewers' own bucket, audited
//! durably before any justification is opened, opening nothing else; a shredded month's
//! texts are marked as such, and a justification that spelled the plate is never shown.

mod support;

use platevault::audit::entry::{EntryKind, Verdict};
use platevault::vault::AsyncVault;
use platevault::verify::Review;
use platevault::{CaseRequest, Error, Policy, SearchRequest, Span, Vault};
use support::{
    CLI_T0, Env, case_flags, entries, new_store, read_in_region, read_line, t, t0,
    unjustified_request,
};

const PLATE: &str = "7KQX291";

fn search(vault: &Vault, case: CaseRequest) -> platevault::SearchOutcome {
    vault
        .search(&SearchRequest {
            case,
            with_images: false,
        })
        .expect("search")
}

fn justified(requester: &str, text: &str) -> CaseRequest {
    CaseRequest {
        justification: Some(text.into()),
        ..unjustified_request(PLATE, requester)
    }
}

#[test]
fn reviewers_read_the_periods_justifications_after_an_audited_review_and_nothing_else() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    vault
        .ingest(vec![read_in_region(
            PLATE,
            "CO",
            t0().minus(Span::from_hours(2)),
            "CAM-1",
        )])
        .expect("ingest");
    let a = search(
        &vault,
        justified("DET-7", "armed robbery at the corner store"),
    );
    let b = search(&vault, justified("det-9", "assist I CE with a pickup"));
    let c = search(
        &vault,
        CaseRequest {
            agency: "DHS-ICE".into(),
            ..justified("AGENT-1", "federal request")
        },
    );
    let silent = search(&vault, unjustified_request(PLATE, "DET-7")); // no justification: not listed
    assert!(a.is_allowed() && !b.is_allowed() && !c.is_allowed() && silent.is_allowed());
    let hold = vault
        .hold(
            &justified("SGT-2", "hold for the robbery trial"),
            t0().plus(Span::from_days(30)),
        )
        .expect("hold");
    let lookups = vault.epoch_lookups();

    // Not a reviewer: denied, audited, nothing shown.
    let before = entries(&dir).len();
    let denied = vault
        .review_justifications("DET-7", None, None)
        .expect("review");
    assert_eq!(denied.denial.as_ref().map(|d| d.0), Some("not_a_reviewer"));
    assert!(denied.entries.is_empty());
    let log = entries(&dir);
    assert_eq!(log.len(), before + 1);
    let own = &log[denied.audit_seq as usize];
    assert_eq!(own.kind, EntryKind::JustificationReview);
    assert_eq!(own.decision, Some(Verdict::Denied));
    assert_eq!(own.reason.as_deref(), Some("not_a_reviewer"));
    assert_eq!(own.requester.as_deref(), Some("DET-7"));

    // A reviewer (any spelling of the id): the period's justifications, oldest first.
    let review = vault
        .review_justifications("oversight-1", None, None)
        .expect("review");
    assert_eq!(review.denial, None);
    assert_eq!(review.to, t0());
    assert_eq!(review.from, t0().minus(Span::from_days(7)));
    let seqs: Vec<u64> = review.entries.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        vec![a.audit_seq, b.audit_seq, c.audit_seq, hold.audit_seq]
    );
    let texts: Vec<Option<&str>> = review
        .entries
        .iter()
        .map(|e| e.justification.as_deref())
        .collect();
    assert_eq!(
        texts,
        vec![
            Some("armed robbery at the corner store"),
            Some("assist I CE with a pickup"),
            Some("federal request"),
            Some("hold for the robbery trial"),
        ]
    );
    let b_seen = &review.entries[1];
    assert_eq!(b_seen.requester.as_deref(), Some("DET-9"));
    assert_eq!(b_seen.agency.as_deref(), Some("CITY-PD"));
    assert_eq!(b_seen.case.as_deref(), Some("2026-001234"));
    assert_eq!(b_seen.offense.as_deref(), Some("ROBBERY"));
    assert_eq!(b_seen.purpose.as_deref(), Some("investigation"));
    assert_eq!(b_seen.decision, Some(Verdict::Denied));
    assert_eq!(
        b_seen.reason.as_deref(),
        Some("justification_prohibited_term")
    );
    assert_eq!(review.entries[2].agency.as_deref(), Some("DHS-ICE"));
    assert_eq!(review.entries[3].kind, EntryKind::HoldAdd);
    assert!(review.entries.iter().all(|e| !e.shredded && !e.withheld));
    // The review is audited before it is answered, after every entry it shows.
    let log = entries(&dir);
    let own = &log[review.audit_seq as usize];
    assert_eq!(own.kind, EntryKind::JustificationReview);
    assert_eq!(own.decision, Some(Verdict::Allowed));
    assert_eq!(own.requester.as_deref(), Some("OVERSIGHT-1"));
    assert_eq!(own.agency, None);
    assert_eq!(own.results, Some(4));
    assert_eq!((own.from, own.to), (Some(review.from), Some(review.to)));
    assert_eq!(own.payload, None, "the review itself carries no text");
    assert!(seqs.iter().all(|s| *s < review.audit_seq));
    // Nothing else was opened: no epoch read, no plate, no fingerprint in the answer.
    assert_eq!(vault.epoch_lookups(), lookups);
    let debug = format!("{review:?}");
    assert!(
        !debug.contains("robbery"),
        "Debug redacts the texts: {debug}"
    );
    let json = serde_json::to_string(&review.entries).expect("json");
    assert!(
        !json.contains(PLATE) && !json.contains("fingerprint"),
        "{json}"
    );
    assert!(
        Review::open(&dir)
            .expect("review")
            .verify(None)
            .expect("verify")
            .ok
    );
}

#[test]
fn the_period_is_bounded_and_ordered_and_reviews_share_the_reviewers_bucket() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    let old = t0().minus(Span::from_days(20));
    // A period with nothing in it, and periods at the limit and past it.
    let empty = vault
        .review_justifications("OVERSIGHT-1", Some(old), Some(old.plus(Span::from_days(1))))
        .expect("review");
    assert_eq!(empty.denial, None);
    assert!(empty.entries.is_empty());
    let month = vault
        .review_justifications("OVERSIGHT-1", Some(t0().minus(Span::from_days(31))), None)
        .expect("review");
    assert_eq!(month.denial, None);
    let long = vault
        .review_justifications("OVERSIGHT-1", Some(t0().minus(Span::from_days(32))), None)
        .expect("review");
    assert_eq!(long.denial.as_ref().map(|d| d.0), Some("period_too_long"));
    assert_eq!(
        entries(&dir)[long.audit_seq as usize].reason.as_deref(),
        Some("period_too_long"),
        "the denial is audited"
    );
    let backwards = vault.review_justifications("OVERSIGHT-1", Some(t0()), Some(old));
    assert!(matches!(backwards, Err(Error::InvalidArgument(_))));

    // Reviews and reviewer checks count in one bucket, the reviewers' own.
    let limit = Policy::default_policy().searches_per_requester_per_hour();
    for _ in 3..limit {
        let c = vault
            .reviewer_check(PLATE, "CO", "OVERSIGHT-1")
            .expect("check");
        assert_eq!(c.denial, None);
    }
    let over = vault
        .review_justifications("OVERSIGHT-1", None, None)
        .expect("review");
    assert_eq!(over.denial.as_ref().map(|d| d.0), Some("rate_limited"));
    // An hour later the reviewer may ask again; searches never counted against it.
    for _ in 0..limit {
        search(
            &vault,
            CaseRequest {
                agency: "REVIEW".into(),
                ..unjustified_request(PLATE, "OVERSIGHT-1")
            },
        );
    }
    vault
        .advance_clock(t0().plus(Span::from_minutes(61)))
        .expect("clock");
    let again = vault
        .review_justifications("OVERSIGHT-1", None, None)
        .expect("review");
    assert_eq!(again.denial, None);
    assert!(
        Review::open(&dir)
            .expect("review")
            .verify(None)
            .expect("verify")
            .ok
    );
}

#[test]
fn a_shredded_months_justifications_are_marked_and_a_plate_is_never_shown() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let policy = Policy::from_toml("agency = \"CITY-PD\"\naudit_payload_retention = \"30d\"\n")
        .expect("policy");
    let dir = tmp.path().join("store");
    let key = platevault::MasterKey::generate().expect("key");
    let vault = Vault::create(
        &dir,
        &key,
        &policy,
        &platevault::VaultOptions::new().simulated_clock(t("2026-11-10T00:00:00Z")),
    )
    .expect("create");
    let nov = search(&vault, justified("DET-1", "robbery in November"));
    // A justification that spells the plate: denied, and never shown to anyone.
    let spelled = search(&vault, justified("DET-1", "saw 7kq-x291 leave the bank"));
    assert_eq!(spelled.reason_code(), "justification_contains_plate");
    vault
        .advance_clock(t("2026-12-15T00:00:00Z"))
        .expect("clock");
    let dec = search(&vault, justified("DET-1", "robbery in December"));
    vault
        .advance_clock(t("2026-12-31T00:00:01Z"))
        .expect("clock");
    assert_eq!(
        vault.take_expiry_log().payload_months_shredded,
        vec!["2026-11".to_string()]
    );
    let review = vault
        .review_justifications(
            "OVERSIGHT-1",
            Some(t("2026-12-01T00:00:00Z")),
            Some(t("2026-12-31T00:00:00Z")),
        )
        .expect("review");
    assert_eq!(review.entries.len(), 1);
    assert_eq!(review.entries[0].seq, dec.audit_seq);
    assert_eq!(
        review.entries[0].justification.as_deref(),
        Some("robbery in December")
    );
    let review = vault
        .review_justifications(
            "OVERSIGHT-1",
            Some(t("2026-11-09T00:00:00Z")),
            Some(t("2026-12-01T00:00:00Z")),
        )
        .expect("review");
    let seen: Vec<(u64, bool, bool, Option<&str>)> = review
        .entries
        .iter()
        .map(|e| (e.seq, e.shredded, e.withheld, e.justification.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (nov.audit_seq, true, false, None),
            (spelled.audit_seq, false, true, None),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_facade_reviews_too() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, _dir) = new_store(tmp.path(), &Policy::default_policy());
    search(&vault, justified("DET-7", "carjacking on 5th"));
    let av = AsyncVault::new(vault);
    let r = av
        .review_justifications("OVERSIGHT-1".into(), None, None)
        .await
        .expect("review");
    assert_eq!(r.denial, None);
    assert_eq!(r.entries.len(), 1);
    let r = av
        .review_justifications("DET-7".into(), None, None)
        .await
        .expect("review");
    assert_eq!(r.denial.as_ref().map(|d| d.0), Some("not_a_reviewer"));
}

#[test]
fn the_cli_shows_justifications_to_reviewers_with_the_documented_shape_and_exit_codes() {
    let env = Env::sim();
    env.ingest(&read_line("CLI001", "CO", "2026-11-29T09:00:00Z", "CAM-1"));
    let mut flags = case_flags("CLI001", "CO");
    flags.extend(["--justification".into(), "robbery on Main St".into()]);
    let searched = env
        .cmd()
        .arg("search")
        .args(&flags)
        .arg("--json")
        .run()
        .ok()
        .json();
    let ask = |extra: &[&str], code| {
        env.cmd()
            .args(["audit", "justifications", "--json"])
            .args(extra)
            .run()
            .code(code)
            .json()
    };
    let v = ask(&["--reviewer", "OVERSIGHT-1"], 0);
    assert_eq!(v["decision"], "allowed", "{v}");
    assert_eq!(v["reason"], "allowed");
    assert!(v["audit_seq"].as_u64().is_some());
    assert_eq!(v["to"], CLI_T0);
    let list = v["entries"].as_array().expect("entries");
    assert_eq!(list.len(), 1, "{v}");
    let e = &list[0];
    assert_eq!(e["seq"], searched["audit_seq"]);
    assert_eq!(e["justification"], "robbery on Main St");
    assert_eq!(e["shredded"], false);
    assert_eq!(e["withheld"], false);
    for k in [
        "time",
        "kind",
        "agency",
        "requester",
        "case",
        "offense",
        "purpose",
        "decision",
        "reason",
    ] {
        assert!(e.get(k).is_some(), "{k} missing: {e}");
    }
    assert_eq!(
        e.as_object().expect("object").len(),
        13,
        "nothing but the documented fields: {e}"
    );
    let v = ask(&["--reviewer", "DET-7"], 3);
    assert_eq!(v["decision"], "denied");
    assert_eq!(v["reason"], "not_a_reviewer");
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(0));
    let v = ask(
        &[
            "--reviewer",
            "OVERSIGHT-1",
            "--from",
            "2026-10-01T00:00:00Z",
            "--to",
            "2026-11-29T00:00:00Z",
        ],
        3,
    );
    assert_eq!(v["reason"], "period_too_long");
    env.cmd()
        .args(["audit", "justifications", "--reviewer", "OVERSIGHT-1"])
        .args([
            "--from",
            "2026-11-29T00:00:00Z",
            "--to",
            "2026-11-28T00:00:00Z",
        ])
        .run()
        .code(2);
    let text = env
        .cmd()
        .args(["audit", "justifications", "--reviewer", "OVERSIGHT-1"])
        .run()
        .ok()
        .stdout;
    assert!(text.contains("robbery on Main St"), "{text}");
    env.log_head();
}
