//! Hostile input, on stable Rust: every file of the committed fuzz corpus
//! (`fuzz/corpus/<target>/`) is replayed through the very checks the cargo-fuzz targets run
//! (`fuzz/fuzz_targets/checks.rs`, included here), so CI runs the fuzz targets for a short
//! time without nightly or cargo-fuzz; proptest then drives the same checks with random
//! bytes, and states the round trips of the codecs and of canonicalisation directly: a
//! record body and an audit entry decode from their encoding to themselves, a canonical
//! plate and region parse to themselves, and a policy's canonical TOML parses back to an
//! equal policy with the same hash. Together they prove that the parsers of everything that
//! arrives from outside (plates, JSON Lines reads, policies, checkpoints, inclusion proofs)
//! and of everything read back from disk (record bodies, audit entries) refuse garbage with
//! an error rather than a panic, and that what they accept is canonical. The last tests keep
//! the cases of the bugs the fuzzers found (all fixed).
//! The long fuzzing runs are documented in docs/reliability.md ("Hostile input").

#[path = "../fuzz/fuzz_targets/checks.rs"]
mod checks;
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use checks::{Choices, TARGETS};
use platevault::audit::entry::Entry;
use platevault::model::plate::{Plate, Region};
use platevault::model::record::{ImageInfo, MAX_CAMERA_BYTES, RecordBody};
use platevault::verify::Review;
use platevault::{
    CaseRequest, NewRead, Policy, RejectReason, SearchRequest, Timestamp, Vault, VaultOptions,
};
use proptest::prelude::*;
use support::{new_store, t0};

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("corpus")
        .join(target)
}

/// Runs a check on an input, turning a panic into a message.
fn run(check: fn(&[u8]), input: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| check(input))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

// ---------------------------------------------------------------------------------------
// The committed corpus, replayed.
// ---------------------------------------------------------------------------------------

#[test]
fn every_committed_corpus_file_passes_its_targets_checks() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (target, check) in TARGETS {
        let dir = corpus_dir(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("no corpus for {target} at {}: {e}", dir.display()))
            .map(|e| e.expect("corpus entry").path())
            .collect();
        files.sort();
        assert!(
            files.len() >= 10,
            "the corpus of {target} holds only {} files",
            files.len()
        );
        for file in files {
            let bytes = std::fs::read(&file).expect("read corpus file");
            total += 1;
            if let Err(msg) = run(check, &bytes) {
                failures.push(format!("{target}/{}: {msg}", file.display()));
            }
        }
    }
    assert!(total >= 100, "only {total} corpus files");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_shared_checks_know_every_entry_kind() {
    let kinds = checks::entry_kinds();
    assert!(kinds.len() >= 16, "{kinds:?}");
    for k in kinds {
        let name = serde_json::to_string(k).expect("kind name");
        assert_eq!(name, format!("\"{}\"", k.as_str()));
    }
}

// ---------------------------------------------------------------------------------------
// Random bytes through every target's checks (a short fuzz run on stable).
// ---------------------------------------------------------------------------------------

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn random_bytes_pass_the_fast_targets(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        for (target, check) in TARGETS {
            if matches!(target, "checkpoint_note" | "inclusion_proof") {
                continue;
            }
            if let Err(msg) = run(check, &bytes) {
                prop_assert!(false, "{target}: {msg}");
            }
        }
    }

    #[test]
    fn random_text_passes_the_text_targets(text in "\\PC{0,80}") {
        for target in ["plate", "jsonl_line", "policy_toml"] {
            let check = TARGETS.iter().find(|(t, _)| *t == target).expect("target").1;
            if let Err(msg) = run(check, text.as_bytes()) {
                prop_assert!(false, "{target}: {msg}");
            }
        }
    }
}

proptest! {
    // Each case signs and verifies Ed25519 notes: fewer cases.
    #![proptest_config(config(300))]

    #[test]
    fn random_bytes_pass_the_signature_targets(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
        prop_assert!(run(checks::check_checkpoint_note, &bytes).is_ok());
        if let Err(msg) = run(checks::check_inclusion_proof, &bytes) {
            prop_assert!(false, "inclusion_proof: {msg}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Codec and canonicalisation round trips, stated directly.
// ---------------------------------------------------------------------------------------

/// Instants RFC 3339 can write (UTC years 0000 to 9999).
fn writable_time() -> impl Strategy<Value = Timestamp> {
    (checks::MIN_RFC3339_MICROS..=checks::MAX_RFC3339_MICROS).prop_map(Timestamp::from_micros)
}

fn record_body() -> impl Strategy<Value = RecordBody> {
    (
        any::<i64>(),
        "\\PC{0,64}",
        proptest::option::of((any::<u64>(), any::<u64>())),
        proptest::option::of(any::<u32>()),
        proptest::option::of((any::<u32>(), any::<[u8; 32]>())),
    )
        .prop_map(|(micros, camera, coords, confidence, image)| RecordBody {
            captured_at: Timestamp::from_micros(micros),
            camera,
            coords: coords.map(|(a, b)| (f64::from_bits(a), f64::from_bits(b))),
            confidence: confidence.map(f32::from_bits),
            image: image.map(|(len, sha256)| ImageInfo { len, sha256 }),
        })
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn a_record_body_decodes_from_its_encoding_to_itself(body in record_body()) {
        prop_assume!(body.camera.len() <= MAX_CAMERA_BYTES);
        let bytes = body.encode();
        let back = RecordBody::decode(&bytes).expect("decodes");
        // Floats compared to the bit (NaN included) by re-encoding.
        prop_assert_eq!(back.encode(), bytes);
        prop_assert_eq!(back.camera, body.camera);
        prop_assert_eq!(back.captured_at, body.captured_at);
        prop_assert_eq!(back.image, body.image);
    }

    #[test]
    fn an_audit_entry_decodes_from_its_encoding_to_itself(
        choices in proptest::collection::vec(any::<u8>(), 0..300),
        time in writable_time(),
        from in proptest::option::of(writable_time()),
        note in proptest::option::of("\\PC{0,40}"),
    ) {
        let mut e = checks::entry_from(&mut Choices(&choices));
        e.time = time;
        e.from = from;
        e.note = note;
        let bytes = e.encode();
        let back = Entry::decode(e.seq, &bytes).expect("decodes");
        prop_assert_eq!(&back, &e);
        prop_assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn any_spelling_of_a_plain_plate_gives_its_canonical_form(
        core in "[A-Z0-9]{1,10}",
        seps in proptest::collection::vec(prop_oneof![Just(" "), Just("-"), Just("."), Just("\u{2013}"), Just("\u{00B7}")], 0..4),
        at in 0usize..10,
        lower in any::<bool>(),
        fullwidth in any::<bool>(),
    ) {
        let mut spelled = core.clone();
        let pos = at.min(spelled.len());
        spelled.insert_str(pos, &seps.concat());
        if lower {
            spelled = spelled.to_lowercase();
        }
        if fullwidth {
            // Full-width forms (U+FF01..) of ASCII letters and digits: NFKC folds them back.
            spelled = spelled
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c })
                .collect();
        }
        let p = Plate::parse(&spelled).expect("a valid spelling");
        prop_assert_eq!(p.expose(), core.as_str());
        let again = Plate::parse(p.expose()).expect("canonical form parses");
        prop_assert_eq!(again.expose(), core.as_str());
    }

    #[test]
    fn a_canonical_plate_of_common_letters_is_a_fixed_point(raw in "[a-zA-Z0-9äöüßéèçñøåÄÖÜÉÈÇÑØÅ京沪粤 .\\-]{0,14}") {
        if let Ok(p) = Plate::parse(&raw) {
            let again = Plate::parse(p.expose()).expect("canonical form parses");
            prop_assert_eq!(again.expose(), p.expose());
            prop_assert!((1..=10).contains(&p.char_count()));
        }
    }

    #[test]
    fn a_region_parses_to_itself_uppercased(raw in "[a-zA-Z0-9_ -]{0,8}") {
        match Region::parse(&raw) {
            Ok(r) => {
                prop_assert_eq!(r.as_str(), raw.to_ascii_uppercase());
                prop_assert_eq!(Region::parse(r.as_str()), Ok(r.clone()));
                prop_assert!((2..=6).contains(&r.as_str().len()));
            }
            Err(_) => {
                let ok = (2..=6).contains(&raw.len())
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                prop_assert!(!ok, "{raw:?} refused");
            }
        }
    }

    #[test]
    fn a_policys_canonical_text_parses_back_to_it(text in policy_toml()) {
        if let Ok(p) = Policy::from_toml(&text) {
            let canon = p.to_toml();
            let q = Policy::from_toml(&canon).expect("canonical text parses");
            prop_assert_eq!(&q, &p);
            prop_assert_eq!(q.hash(), p.hash());
            prop_assert_eq!(q.to_toml(), canon);
        }
        // And whatever the text, the fuzz target's checks hold.
        prop_assert!(run(checks::check_policy_toml, text.as_bytes()).is_ok());
    }
}

/// A policy file built of plausible (and sometimes invalid) fields.
fn policy_toml() -> impl Strategy<Value = String> {
    let span = prop_oneof![
        (1u64..400).prop_map(|d| format!("{d}d")),
        (1u64..100).prop_map(|h| format!("{h}h")),
        (1u64..300).prop_map(|m| format!("{m}min")),
        (1u64..5000).prop_map(|s| format!("{s}s")),
        (1u64..3).prop_map(|w| format!("{w}w")),
    ];
    let offense = "[A-Z][A-Z0-9_]{0,12}";
    let time = (0i64..4_000_000_000).prop_map(|s| Timestamp::from_unix_secs(s).to_rfc3339());
    let mou = (
        "[A-Z]{2,8}-[A-Z]{1,4}",
        time.clone(),
        time,
        proptest::collection::vec(offense, 1..3),
    );
    (
        "[A-Z][A-Z0-9-]{0,10}",
        proptest::option::of(span.clone()),
        proptest::option::of(prop_oneof![
            Just("1d".to_string()),
            Just("1h".to_string()),
            Just("1min".to_string()),
            Just("2d".to_string())
        ]),
        proptest::option::of(span.clone()),
        proptest::option::of(proptest::collection::vec(offense, 0..5)),
        proptest::option::of(proptest::collection::vec("[a-z ]{1,10}", 0..4)),
        proptest::collection::vec(mou, 0..3),
        proptest::option::of(span),
        any::<bool>(),
    )
        .prop_map(
            |(agency, retention, epoch, window, offenses, terms, mous, tier, rotate)| {
                let q = |s: &str| serde_json::to_string(s).expect("quote");
                let list = |v: &[String]| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
                let mut t = format!("agency = {}\n", q(&agency));
                if let Some(r) = retention {
                    t += &format!("retention = {}\n", q(&r));
                }
                if let Some(e) = epoch {
                    t += &format!("epoch = {}\n", q(&e));
                }
                if let Some(w) = window {
                    t += &format!("max_search_window = {}\n", q(&w));
                }
                let offenses =
                    offenses.unwrap_or_else(|| vec!["ROBBERY".into(), "HOMICIDE".into()]);
                t += &format!("allowed_offenses = [{}]\n", list(&offenses));
                if let Some(terms) = terms {
                    t += &format!("prohibited_terms = [{}]\n", list(&terms));
                }
                t += &format!("rotate_master_key_on_expiry = {rotate}\n");
                for (agency, from, to, mut off) in mous {
                    // Mostly offenses the policy allows, so that the MOU is accepted.
                    if let Some(first) = offenses.first() {
                        off[0] = first.clone();
                    }
                    t += &format!(
                        "\n[[mou]]\nagency = {}\nvalid_from = {}\nvalid_to = {}\noffenses = [{}]\n",
                        q(&agency),
                        q(&from),
                        q(&to),
                        list(&off)
                    );
                }
                if let Some(older) = tier {
                    t += &format!(
                        "\n[[age_tier]]\nolder_than = {}\nrequires = \"warrant\"\n",
                        q(&older)
                    );
                }
                t
            },
        )
}

#[test]
fn the_policy_strategy_makes_mostly_valid_policies() {
    // Guards the strategy above from drifting into policies that are all refused.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let valid = (0..200)
        .filter(|_| {
            let text = policy_toml().new_tree(&mut runner).expect("tree").current();
            Policy::from_toml(&text).is_ok()
        })
        .count();
    assert!(
        valid >= 40,
        "only {valid} of 200 generated policies are valid"
    );
}

// ---------------------------------------------------------------------------------------
// Guards the checks rely on.
// ---------------------------------------------------------------------------------------

/// `RecordBody::encode` cuts a camera id longer than `MAX_CAMERA_BYTES` at a byte count
/// (possibly inside a character, which `decode` then refuses); ingest must keep refusing
/// such ids so that it never happens.
#[test]
fn ingest_refuses_a_camera_id_longer_than_the_record_can_hold() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _, _) = new_store(tmp.path(), &Policy::default_policy());
    let camera = "é".repeat(MAX_CAMERA_BYTES / 2) + "x";
    let report = vault
        .ingest(vec![NewRead {
            plate: "AB123".into(),
            region: "CO".into(),
            captured_at: Some(t0()),
            camera,
            ..NewRead::default()
        }])
        .expect("ingest");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(
        matches!(report.rejected[0].reason, RejectReason::CameraTooLong),
        "{report:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Bugs the fuzzers found, fixed; each test keeps its case.
// ---------------------------------------------------------------------------------------

/// Found by the `plate` fuzzer: uppercasing and removing separators can leave text that is not
/// NFKC; canonicalisation now repeats until it settles.
#[test]
fn canonical_plate_is_a_fixed_point_for_every_accepted_plate() {
    for raw in ["ǰ1", "ΐ", "7\u{5c4}\u{5c5}-\u{5c4}\u{5c5}"] {
        let p = Plate::parse(raw).expect("accepted");
        let again = Plate::parse(p.expose())
            .unwrap_or_else(|e| panic!("{raw:?}: its canonical form is refused: {e}"));
        assert_eq!(again.expose(), p.expose(), "{raw:?}");
    }
}

/// An instant whose UTC year is -1, written with an offset in year 0000.
const YEAR_0000_PLUS_ONE_HOUR: &str = "0000-01-01T00:00:00+01:00";

/// Found by the `policy_toml` fuzzer: a time whose UTC year is -1 used to be accepted and then
/// printed in a form no parser read back. Such a time is now refused where it is typed.
#[test]
fn an_mou_dated_before_year_0000_is_refused_with_a_clear_error() {
    let text = format!(
        "agency = \"CITY-PD\"\n[[mou]]\nagency = \"STATE\"\nvalid_from = \"{YEAR_0000_PLUS_ONE_HOUR}\"\n\
         valid_to = \"2030-01-01T00:00:00Z\"\noffenses = [\"ROBBERY\"]\n"
    );
    let err = Policy::from_toml(&text).expect_err("refused");
    assert!(err.to_string().contains("0000 to 9999"), "{err}");
    assert!(Timestamp::parse_rfc3339(YEAR_0000_PLUS_ONE_HOUR).is_err());
    // The first and last instants RFC 3339 can write still parse, and print back the same.
    for t in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"] {
        let parsed = Timestamp::parse_rfc3339(t).expect("in range");
        assert_eq!(parsed.to_rfc3339(), t);
    }
}

/// Found by fuzzing: a denied search records its window as given, and a window from before
/// year 0000 (built in code; typed text is refused) must not make the audit log unreadable.
#[test]
fn a_search_window_from_year_0000_keeps_the_audit_log_verifiable() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, key, dir) = new_store(tmp.path(), &Policy::default_policy());
    let from = Timestamp::from_micros(checks::MIN_RFC3339_MICROS - 3_600_000_000);
    let out = vault
        .search(&SearchRequest {
            case: CaseRequest {
                plate: "AB123".into(),
                region: "CO".into(),
                case_number: "2026-001234".into(),
                offense: "ROBBERY".into(),
                purpose: "investigation".into(),
                requester: "DET-1".into(),
                agency: "CITY-PD".into(),
                from: Some(from),
                ..CaseRequest::default()
            },
            with_images: false,
        })
        .expect("search");
    assert!(!out.is_allowed());
    drop(vault);
    // The entry is the last of the log: the store still opens (and appends after it).
    let vault = Vault::open(&dir, &key, &VaultOptions::new()).expect("reopens");
    drop(vault);
    let report = Review::open(&dir)
        .expect("review")
        .verify(None)
        .expect("verify");
    assert!(report.ok, "{report:?}");
}

/// Found by the `audit_entry` fuzzer: an entry dated outside RFC 3339's years reads back.
#[test]
fn an_entry_dated_outside_rfc3339_years_round_trips() {
    let mut e = Entry::new(checks::entry_kinds()[1]);
    e.from = Some(Timestamp::from_micros(
        checks::MIN_RFC3339_MICROS - 3_600_000_000,
    ));
    let bytes = e.encode();
    let back = Entry::decode(0, &bytes)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&bytes)));
    assert_eq!(back, e);
}
