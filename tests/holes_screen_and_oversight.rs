//! Issue 13, "the screen and oversight", items 8 and 10 (item 9, the justification review,
//! is in `holes_justification_review.rs`):
//!
//! - the justification screen is not defeated by spacing, punctuation, look-alike letters
//!   from other scripts or the agencies' own names, while ordinary police justifications
//!   stay allowed (through the real search path: denied, audited, no data read);
//! - reviewers have a rate bucket of their own that no search can fill, and ids are counted
//!   and compared in one canonical form (`det-7` is `DET-7`).
//!
//! These tests use only what existed before the fix, so each was run against the old code
//! too (where the denials below were allowed and the lock-outs happened).

mod support;

use platevault::audit::entry::{EntryKind, Verdict};
use platevault::policy::terms::ProhibitedTerms;
use platevault::policy::{DEFAULT_PROHIBITED_TERMS, PolicySpec};
use platevault::verify::Review;
use platevault::{CaseRequest, Policy, SearchRequest, Span, Vault};
use proptest::prelude::*;
use support::{entries, new_store, read_in_region, t0, unjustified_request};

const PLATE: &str = "7KQX291";

fn search(vault: &Vault, case: CaseRequest) -> platevault::SearchOutcome {
    vault
        .search(&SearchRequest {
            case,
            with_images: false,
        })
        .expect("search")
}

fn justified(text: &str) -> CaseRequest {
    CaseRequest {
        justification: Some(text.into()),
        ..unjustified_request(PLATE, "DET-7")
    }
}

/// A policy as the default, with a rate limit high enough for many searches by one person.
fn roomy_policy() -> Policy {
    Policy::from_spec(PolicySpec {
        searches_per_requester_per_hour: 100_000,
        ..PolicySpec::default_spec()
    })
    .expect("policy")
}

/// Every spelling here must be denied as a prohibited term: the review's examples first.
const MUST_DENY: &[&str] = &[
    // The review's three.
    "I CE",
    "imm igration",
    "\u{026A}\u{1D04}\u{1D07}", // ɪᴄᴇ, Latin small capitals
    // Split by spaces or punctuation in any grouping.
    "IC E",
    "I C E",
    "i.c.e",
    "i-c-e",
    "I_C_E",
    "I/C/E",
    "I . C . E .",
    "assist I  CE with a detainer",
    "immig ration hold",
    "im-mi-gra-tion",
    "imm igrant",
    "de port",
    "de portation case",
    "d.e.p.o.r.t",
    "al ien",
    "a l i e n",
    "un documented",
    "ab ortion",
    "re productive",
    "custom s enforcement",
    // Invisible characters inside a term.
    "I\u{200B}CE",
    "I\u{200D}C\u{200C}E",
    "im\u{00AD}migration",
    "de\u{2060}port",
    "I\u{FEFF}CE",
    // Look-alikes from other scripts and compatibility forms.
    "\u{0406}\u{0421}\u{0415}", // Cyrillic І С Е
    "\u{0456}\u{0441}\u{0435}", // Cyrillic і с е
    "\u{0399}CE",               // Greek capital iota
    "\u{FF29}\u{FF23}\u{FF25}", // full width ＩＣＥ
    "\u{FF49}\u{FF4D}\u{FF4D}\u{FF49}\u{FF47}\u{FF52}\u{FF41}\u{FF54}\u{FF49}\u{FF4F}\u{FF4E}",
    "\u{1D422}\u{1D41C}\u{1D41E}",              // mathematical bold ice
    "d\u{0435}p\u{043E}rt",                     // Cyrillic е о inside Latin
    "\u{0430}lien",                             // Cyrillic а
    "\u{1D00}\u{029F}\u{026A}\u{1D07}\u{0274}", // ᴀʟɪᴇɴ
    "\u{0280}\u{1D07}\u{1D18}\u{0280}\u{1D0F}\u{1D05}\u{1D1C}\u{1D04}\u{1D1B}\u{026A}\u{1D20}\u{1D07}", // ʀᴇᴘʀᴏᴅᴜᴄᴛɪᴠᴇ
    "\u{0406} \u{0421} \u{0415}", // Cyrillic, split
    "de\u{0301}portation",        // combining accent
    // The agencies' own names and acronyms.
    "HSI",
    "hsi case agent",
    "H.S.I.",
    "ERO",
    "ERO Denver",
    "CBP",
    "C.B.P.",
    "USBP",
    "la migra",
    "LA MIGRA",
    "la-migra",
    "Homeland Security Investigations",
    "Enforcement and Removal Operations",
    "U.S. Border Patrol",
    "Customs and Border Protection",
    "\u{029C}s\u{026A}", // ʜsɪ
];

/// Ordinary justifications that merely contain the letters: all must stay allowed.
const MUST_ALLOW: &[&str] = &[
    "police office",
    "notice",
    "justice",
    "office",
    "Alice",
    "robbery suspect vehicle seen near office",
    "police notice",
    "justice department request",
    "Alice's car",
    "service call",
    "device theft",
    "price sticker",
    "slice",
    "nice",
    "Venice",
    "I certify the vehicle was used in the robbery",
    "suspect Ali entered the store at 10pm",
    "victim's niece reported the car",
    "detained a suspect after the robbery",
    "the suspect aborted the sale",
    "witness statement, practice field lot",
    "airport parking garage camera",
    "law enforcement partner request",
    "lien on the vehicle",
    "Hsieh, the victim, saw the car",
    "erosion near the bridge where the car was dumped",
    "transported to the ER, O'Brien said the car left",
    "a migraine kept the witness home",
    "removal of the vehicle from the lot",
    "border of the parking lot",
    "patrol car 12 saw the sedan",
    "seized 287 g of cocaine from the trunk",
    "icy road, hit and run",
];

#[test]
fn every_spelling_of_a_prohibited_term_is_denied_audited_and_reads_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &roomy_policy());
    vault
        .ingest(vec![read_in_region(
            PLATE,
            "CO",
            t0().minus(Span::from_hours(1)),
            "CAM-1",
        )])
        .expect("ingest");
    let lookups = vault.epoch_lookups();
    for text in MUST_DENY {
        let out = search(&vault, justified(text));
        assert_eq!(
            out.reason_code(),
            "justification_prohibited_term",
            "{text:?} must be denied"
        );
        assert!(out.reads.is_empty());
    }
    assert_eq!(vault.epoch_lookups(), lookups, "no denied search read data");
    let log = entries(&dir);
    let denied = log
        .iter()
        .filter(|e| e.reason.as_deref() == Some("justification_prohibited_term"))
        .count();
    assert_eq!(denied, MUST_DENY.len(), "every denial is audited");
}

#[test]
fn ordinary_justifications_stay_allowed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, _dir) = new_store(tmp.path(), &roomy_policy());
    vault
        .ingest(vec![read_in_region(
            PLATE,
            "CO",
            t0().minus(Span::from_hours(1)),
            "CAM-1",
        )])
        .expect("ingest");
    for text in MUST_ALLOW {
        let out = search(&vault, justified(text));
        assert_eq!(out.reason_code(), "allowed", "{text:?} must be allowed");
        assert_eq!(out.reads.len(), 1);
    }
}

#[test]
fn the_default_policy_names_the_agencies_and_keeps_the_briefs_terms() {
    let p = Policy::default_policy();
    for term in [
        "ice",
        "immigration",
        "immigrant",
        "deport",
        "detainer",
        "alien",
        "undocumented",
        "customs enforcement",
        "abortion",
        "reproductive",
        "HSI",
        "ERO",
        "CBP",
        "la migra",
    ] {
        assert!(
            p.prohibited_terms().iter().any(|t| t == term),
            "{term} is a default term"
        );
    }
    // Acronyms are whole words: the letters at the start of a longer word do not match.
    for text in ["hsing", "Eros", "erode", "cbps", "herons"] {
        assert_eq!(p.find_prohibited_term(text), None, "{text:?}");
    }
}

/// Look-alike letters a person reads as the Latin letter, from several scripts and forms.
fn look_alikes(c: char) -> Vec<char> {
    match c {
        'a' => vec![
            'a', 'A', '\u{0430}', '\u{0410}', '\u{03B1}', '\u{FF41}', '\u{1D00}',
        ],
        'b' => vec!['b', 'B', '\u{0412}', '\u{0392}', '\u{0299}', '\u{FF42}'],
        'c' => vec![
            'c', 'C', '\u{0441}', '\u{0421}', '\u{03F2}', '\u{1D04}', '\u{FF43}',
        ],
        'd' => vec!['d', 'D', '\u{0501}', '\u{1D05}', '\u{FF44}'],
        'e' => vec![
            'e', 'E', '\u{0435}', '\u{0415}', '\u{0395}', '\u{1D07}', '\u{FF45}',
        ],
        'g' => vec!['g', 'G', '\u{0261}', '\u{0262}', '\u{FF47}'],
        'h' => vec![
            'h', 'H', '\u{04BB}', '\u{041D}', '\u{0397}', '\u{029C}', '\u{FF48}',
        ],
        'i' => vec![
            'i', 'I', '\u{0456}', '\u{0406}', '\u{0399}', '\u{026A}', '\u{FF49}', '\u{0131}',
        ],
        'l' => vec!['l', 'L', '\u{04CF}', '\u{029F}', '\u{FF4C}'],
        'm' => vec!['m', 'M', '\u{041C}', '\u{039C}', '\u{1D0D}', '\u{FF4D}'],
        'n' => vec!['n', 'N', '\u{039D}', '\u{0274}', '\u{FF4E}'],
        'o' => vec![
            'o', 'O', '\u{043E}', '\u{041E}', '\u{03BF}', '\u{039F}', '\u{1D0F}', '0',
        ],
        'p' => vec![
            'p', 'P', '\u{0440}', '\u{0420}', '\u{03A1}', '\u{1D18}', '\u{FF50}',
        ],
        'r' => vec!['r', 'R', '\u{0433}', '\u{0280}', '\u{FF52}'],
        's' => vec!['s', 'S', '\u{0455}', '\u{0405}', '\u{A731}', '\u{FF53}'],
        't' => vec!['t', 'T', '\u{0422}', '\u{03A4}', '\u{1D1B}', '\u{FF54}'],
        'u' => vec!['u', 'U', '\u{1D1C}', '\u{03C5}', '\u{FF55}'],
        'v' => vec!['v', 'V', '\u{1D20}', '\u{03BD}', '\u{FF56}'],
        other => vec![other, other.to_ascii_uppercase()],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any default term, each letter replaced by any of its look-alikes, split anywhere by
    /// spaces, punctuation or invisible characters, with an ending, is denied.
    #[test]
    fn look_alikes_and_splits_together_are_caught(
        index in 0usize..DEFAULT_PROHIBITED_TERMS.len(),
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 40),
        cuts in proptest::collection::vec(
            prop::option::weighted(0.3, prop::sample::select(vec![
                " ", ".", "-", "_", "/", " . ", "\u{200B}", "\u{00AD}", "\u{2063}", "\u{00A0}",
            ])),
            40,
        ),
        after in prop::sample::select(vec!["", " request", ", case 2026-001234"]),
    ) {
        let term = DEFAULT_PROHIBITED_TERMS[index];
        let terms = ProhibitedTerms::new(&DEFAULT_PROHIBITED_TERMS).expect("terms");
        let mut text = String::from("per ");
        for (i, c) in term.chars().enumerate() {
            if c == ' ' {
                text.push(' ');
                continue;
            }
            if i > 0 && let Some(sep) = cuts[i % cuts.len()] {
                text.push_str(sep);
            }
            let lc = c.to_ascii_lowercase();
            let options = look_alikes(lc);
            text.push(*picks[i % picks.len()].get(&options));
        }
        text.push_str(after);
        prop_assert!(terms.find(&text).is_some(), "{:?} must match {}", text, term);
    }
}

// ---------------------------------------------------------------------------------------
// Item 10: reviewers have their own bucket; ids compare in one canonical form.
// ---------------------------------------------------------------------------------------

#[test]
fn searches_naming_the_reviewer_cannot_lock_the_reviewer_out() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    let limit = Policy::default_policy().searches_per_requester_per_hour();
    // Anyone can send these: every one is denied (no MOU), audited, and counted.
    for agency in ["REVIEW", "review", " Review "] {
        for _ in 0..limit {
            let out = search(
                &vault,
                CaseRequest {
                    agency: agency.into(),
                    ..unjustified_request(PLATE, "OVERSIGHT-1")
                },
            );
            assert!(!out.is_allowed());
        }
    }
    let check = vault
        .reviewer_check(PLATE, "CO", "OVERSIGHT-1")
        .expect("check");
    assert_eq!(check.denial, None, "the reviewer was locked out");
    assert_eq!(check.entries.len(), 3 * limit as usize);
    assert!(
        Review::open(&dir)
            .expect("review")
            .verify(None)
            .expect("verify")
            .ok
    );
}

#[test]
fn reviewer_checks_do_not_count_against_searches_and_have_their_own_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    let limit = Policy::default_policy().searches_per_requester_per_hour();
    for _ in 0..limit {
        let c = vault
            .reviewer_check(PLATE, "CO", "oversight-1")
            .expect("check");
        assert_eq!(c.denial, None);
    }
    let over = vault
        .reviewer_check(PLATE, "CO", "OVERSIGHT-1")
        .expect("check");
    assert_eq!(
        over.denial.as_ref().map(|d| d.0),
        Some("rate_limited"),
        "`oversight-1` and `OVERSIGHT-1` are one reviewer, one bucket"
    );
    // The reviewer's bucket is not the searches' bucket either way.
    let out = search(
        &vault,
        CaseRequest {
            agency: "REVIEW".into(),
            ..unjustified_request(PLATE, "OVERSIGHT-1")
        },
    );
    assert_eq!(out.reason_code(), "no_mou");
    let out = search(&vault, unjustified_request(PLATE, "OVERSIGHT-1"));
    assert_eq!(out.reason_code(), "allowed");
    let log = entries(&dir);
    let own = log
        .iter()
        .filter(|e| e.kind == EntryKind::ReviewerCheck)
        .collect::<Vec<_>>();
    assert_eq!(own.len(), limit as usize + 1);
    assert!(
        own.iter()
            .all(|e| e.requester.as_deref() == Some("OVERSIGHT-1") && e.agency.is_none()),
        "reviewer entries name the canonical reviewer and no agency"
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
fn requester_ids_are_counted_in_one_canonical_form() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    let limit = Policy::default_policy().searches_per_requester_per_hour() as usize;
    let forms = [
        "DET-7",
        "det-7",
        " det-7 ",
        "Det-7",
        "\u{FF24}\u{FF25}\u{FF34}-\u{FF17}", // full width
        "DET\u{200B}-7",
        "det-7\u{00AD}",
    ];
    let agencies = ["CITY-PD", "city-pd", " City-PD", "\u{FF43}ity-pd"];
    for i in 0..limit {
        let out = search(
            &vault,
            CaseRequest {
                agency: agencies[i % agencies.len()].into(),
                ..unjustified_request(PLATE, forms[i % forms.len()])
            },
        );
        assert!(out.is_allowed(), "attempt {i}: {}", out.reason_code());
    }
    for form in forms {
        let out = search(&vault, unjustified_request(PLATE, form));
        assert_eq!(
            out.reason_code(),
            "rate_limited",
            "{form:?} is a fresh bucket"
        );
    }
    let log = entries(&dir);
    assert!(
        log.iter()
            .filter(|e| e.kind == EntryKind::Search)
            .all(|e| e.requester.as_deref() == Some("DET-7")
                && e.agency.as_deref() == Some("CITY-PD")),
        "ids are recorded in their canonical form"
    );
    assert_eq!(
        log.iter()
            .filter(|e| e.kind == EntryKind::Search && e.decision == Some(Verdict::Denied))
            .count(),
        forms.len()
    );
    // Someone else is not affected.
    assert!(search(&vault, unjustified_request(PLATE, "DET-8")).is_allowed());
    assert!(
        Review::open(&dir)
            .expect("review")
            .verify(None)
            .expect("verify")
            .ok
    );
}
