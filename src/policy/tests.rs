//! Loading, validating and writing policies.

use super::*;
use proptest::prelude::*;

const CITY: &str = include_str!("../../examples/policies/city.toml");
const THREE_MINUTE: &str = include_str!("../../examples/policies/three-minute.toml");

fn ts(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).expect("valid time")
}

fn err(text: &str) -> PolicyError {
    Policy::from_toml(text).expect_err("policy must be refused")
}

/// A minimal valid policy with extra lines.
fn with(extra: &str) -> String {
    format!("agency = \"CITY-PD\"\n{extra}\n")
}

const DEFAULT_TEXT: &str = r#"version = 1
agency = "CITY-PD"
retention = "30d"
epoch = "1d"
max_search_window = "30d"
case_number_pattern = "^[0-9]{2,4}-[0-9]{3,10}$"
allowed_offenses = [
    "HOMICIDE",
    "ROBBERY",
    "KIDNAPPING",
    "AMBER_ALERT",
    "CARJACKING",
    "STOLEN_VEHICLE",
    "HIT_AND_RUN",
    "SEXUAL_ASSAULT",
    "AGGRAVATED_ASSAULT",
    "MISSING_PERSON",
]
prohibited_purposes = [
    "immigration",
    "reproductive-health",
]
prohibited_terms = [
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
    "USBP",
    "la migra",
    "homeland security investigation",
    "enforcement and removal operation",
    "border patrol",
    "customs and border",
]
searches_per_requester_per_hour = 60
max_image_bytes = 4194304
hotlist_max_days = 30
hold_max_days = 365
reviewers = [
    "OVERSIGHT-1",
]
audit_payload_retention = "1095d"
rotate_master_key_on_expiry = false
"#;

#[test]
fn the_default_policy_is_the_briefs() {
    let p = Policy::default_policy();
    assert_eq!(p.version(), 1);
    assert_eq!(p.agency(), "CITY-PD");
    assert_eq!(p.retention(), Span::from_days(30));
    assert_eq!(p.epoch_width(), EpochWidth::DAILY);
    assert_eq!(p.live_epochs(), 31);
    assert_eq!(p.max_search_window(), Span::from_days(30));
    assert_eq!(p.case_number_pattern(), "^[0-9]{2,4}-[0-9]{3,10}$");
    assert!(p.case_number_matches("2026-001234"));
    assert_eq!(
        p.allowed_offenses(),
        [
            "HOMICIDE",
            "ROBBERY",
            "KIDNAPPING",
            "AMBER_ALERT",
            "CARJACKING",
            "STOLEN_VEHICLE",
            "HIT_AND_RUN",
            "SEXUAL_ASSAULT",
            "AGGRAVATED_ASSAULT",
            "MISSING_PERSON"
        ]
    );
    assert_eq!(
        p.prohibited_purposes(),
        [Purpose::Immigration, Purpose::ReproductiveHealth]
    );
    assert_eq!(
        p.prohibited_terms(),
        [
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
            "USBP",
            "la migra",
            "homeland security investigation",
            "enforcement and removal operation",
            "border patrol",
            "customs and border"
        ]
    );
    assert!(p.mous().is_empty());
    assert!(p.age_tiers().is_empty());
    assert_eq!(p.warrant_age(), None);
    assert_eq!(p.searches_per_requester_per_hour(), 60);
    assert_eq!(p.max_image_bytes(), 4 * 1024 * 1024);
    assert_eq!(p.hotlist_max_days(), 30);
    assert_eq!(p.hold_max_days(), 365);
    assert_eq!(p.reviewers(), ["OVERSIGHT-1"]);
    assert!(!p.rotate_master_key_on_expiry());
    assert_eq!(Policy::default(), p);
}

#[test]
fn the_default_policy_prints_canonically_and_round_trips() {
    let p = Policy::default_policy();
    assert_eq!(p.to_toml(), DEFAULT_TEXT);
    assert_eq!(Policy::from_toml(&p.to_toml()).expect("parses"), p);
    assert_eq!(p.hash(), *blake3::hash(DEFAULT_TEXT.as_bytes()).as_bytes());
    // A file with only the agency is the default policy.
    assert_eq!(
        Policy::from_toml("agency = \"CITY-PD\"").expect("parses"),
        p
    );
}

#[test]
fn the_example_policies_parse_and_round_trip() {
    let city = Policy::from_toml(CITY).expect("city.toml parses");
    assert_eq!(city.agency(), "CITY-PD");
    assert_eq!(city.mous().len(), 1);
    let mou = &city.mous()[0];
    assert_eq!(mou.agency, "RIVER-COUNTY-SO");
    assert_eq!(mou.valid_to.since(mou.valid_from), Span::from_days(365));
    assert!(mou.covers("HOMICIDE") && !mou.covers("ROBBERY"));
    assert_eq!(city.warrant_age(), Some(Span::from_hours(72)));
    // Apart from the MOU and the age tier, the city example is the default policy.
    let mut spec = city.spec().clone();
    spec.mou.clear();
    spec.age_tier.clear();
    assert_eq!(spec, PolicySpec::default_spec());
    assert_eq!(
        Policy::from_toml(&city.to_toml()).expect("round trip"),
        city
    );

    let three = Policy::from_toml(THREE_MINUTE).expect("three-minute.toml parses");
    assert_eq!(three.retention(), Span::from_minutes(3));
    assert_eq!(three.epoch_width().span(), Span::from_minutes(1));
    assert_eq!(three.live_epochs(), 4);
    assert_eq!(three.max_search_window(), Span::from_minutes(3));
    assert_eq!(
        Policy::from_toml(&three.to_toml()).expect("round trip"),
        three
    );
}

#[test]
fn the_hash_follows_the_content() {
    let a = Policy::default_policy();
    let mut spec = a.spec().clone();
    spec.version = 2;
    let b = Policy::from_spec(spec).expect("valid");
    assert_ne!(a.hash(), b.hash());
    assert_eq!(a.hash(), Policy::default_policy().hash());
    // Comments and layout of the source do not change the hash: it covers the canonical text.
    let commented = format!("# a comment\n\n{}", a.to_toml());
    assert_eq!(
        Policy::from_toml(&commented).expect("parses").hash(),
        a.hash()
    );
}

#[test]
fn unknown_fields_are_refused_everywhere() {
    let top = err(&with("retension = \"30d\""));
    assert!(
        matches!(&top, PolicyError::Syntax { message } if message.contains("retension")),
        "{top}"
    );
    let mou = err(&with(
        "[[mou]]\nagency = \"X-SO\"\nvalid_from = \"2026-01-01T00:00:00Z\"\nvalid_to = \"2027-01-01T00:00:00Z\"\noffenses = [\"HOMICIDE\"]\npurposes = [\"investigation\"]",
    ));
    assert!(
        matches!(&mou, PolicyError::Syntax { message } if message.contains("purposes")),
        "{mou}"
    );
    let tier = err(&with(
        "[[age_tier]]\nolder_than = \"72h\"\nrequires = \"warrant\"\nunless = \"judge\"",
    ));
    assert!(
        matches!(&tier, PolicyError::Syntax { message } if message.contains("unless")),
        "{tier}"
    );
    for bad in [
        with("prohibited_purposes = [\"fishing\"]"),
        with("[[age_tier]]\nolder_than = \"72h\"\nrequires = \"subpoena\""),
        with("retention = 30"),
        with("retention = \"30 parsecs\""),
        with("version = -1"),
        "version = 1".to_string(),
        "agency = \"CITY-PD\"\nagency = \"TWICE\"".to_string(),
        "not toml at all".to_string(),
    ] {
        assert!(
            matches!(Policy::from_toml(&bad), Err(PolicyError::Syntax { .. })),
            "{bad}"
        );
    }
    let missing = err("version = 1");
    assert!(missing.to_string().contains("agency"), "{missing}");
}

#[test]
fn mou_times_may_be_quoted_or_toml_datetimes() {
    let unquoted = Policy::from_toml(&with(
        "[[mou]]\nagency = \"X-SO\"\nvalid_from = 2026-01-01T00:00:00Z\nvalid_to = 2027-01-01T02:00:00+02:00\noffenses = [\"HOMICIDE\"]",
    ))
    .expect("TOML date-times are accepted");
    assert_eq!(unquoted.mous()[0].valid_from, ts("2026-01-01T00:00:00Z"));
    assert_eq!(unquoted.mous()[0].valid_to, ts("2027-01-01T00:00:00Z"));
    let local = err(&with(
        "[[mou]]\nagency = \"X-SO\"\nvalid_from = 2026-01-01T00:00:00\nvalid_to = 2027-01-01T00:00:00Z\noffenses = [\"HOMICIDE\"]",
    ));
    assert!(matches!(local, PolicyError::Syntax { .. }), "{local}");
}

/// Each validation rule, with the error it must give.
#[test]
fn each_validation_error_names_its_field() {
    let mou = |agency: &str, from: &str, to: &str, offenses: &str| {
        with(&format!(
            "[[mou]]\nagency = \"{agency}\"\nvalid_from = \"{from}\"\nvalid_to = \"{to}\"\noffenses = {offenses}"
        ))
    };
    let y1 = "2026-01-01T00:00:00Z";
    let y2 = "2027-01-01T00:00:00Z";
    let cases: Vec<(String, PolicyError)> = vec![
        (
            "agency = \"\"".into(),
            PolicyError::Empty {
                field: "agency".into(),
            },
        ),
        (
            "agency = \"  \"".into(),
            PolicyError::Empty {
                field: "agency".into(),
            },
        ),
        (
            "agency = \" CITY-PD\"".into(),
            PolicyError::BadIdentifier {
                field: "agency".into(),
            },
        ),
        (
            format!("agency = \"{}\"", "A".repeat(65)),
            PolicyError::BadIdentifier {
                field: "agency".into(),
            },
        ),
        (
            with("epoch = \"90s\""),
            PolicyError::EpochWidth {
                width: Span::from_secs(90),
            },
        ),
        (
            with("epoch = \"8d\"\nretention = \"30d\""),
            PolicyError::EpochWidth {
                width: Span::from_days(8),
            },
        ),
        (
            with("retention = \"12h\""),
            PolicyError::RetentionShorterThanEpoch {
                retention: Span::from_hours(12),
                epoch: Span::from_days(1),
            },
        ),
        (
            with("retention = \"1024min\"\nepoch = \"1min\""),
            PolicyError::TooManyLiveEpochs {
                retention: Span::from_minutes(1024),
                epoch: Span::from_minutes(1),
                live: 1025,
            },
        ),
        (
            with("retention = \"1100d\""),
            PolicyError::TooManyLiveEpochs {
                retention: Span::from_days(1100),
                epoch: Span::from_days(1),
                live: 1101,
            },
        ),
        (
            with("max_search_window = \"0s\""),
            PolicyError::Zero {
                field: "max_search_window".into(),
            },
        ),
        (
            with("case_number_pattern = \"\""),
            PolicyError::Empty {
                field: "case_number_pattern".into(),
            },
        ),
        (
            with("allowed_offenses = [\"HOMICIDE\", \"theft\"]"),
            PolicyError::OffenseCode {
                field: "allowed_offenses".into(),
                code: "theft".into(),
            },
        ),
        (
            with(&format!("allowed_offenses = [\"{}\"]", "A".repeat(41))),
            PolicyError::OffenseCode {
                field: "allowed_offenses".into(),
                code: "A".repeat(41),
            },
        ),
        (
            with("allowed_offenses = [\"\"]"),
            PolicyError::OffenseCode {
                field: "allowed_offenses".into(),
                code: String::new(),
            },
        ),
        (
            with("allowed_offenses = [\"HOMICIDE\", \"HOMICIDE\"]"),
            PolicyError::Duplicate {
                field: "allowed_offenses".into(),
                value: "HOMICIDE".into(),
            },
        ),
        (
            with("prohibited_purposes = [\"immigration\", \"immigration\"]"),
            PolicyError::Duplicate {
                field: "prohibited_purposes".into(),
                value: "immigration".into(),
            },
        ),
        (
            with("prohibited_terms = [\"ice\", \"\"]"),
            PolicyError::Empty {
                field: "prohibited_terms[2]".into(),
            },
        ),
        (
            with("prohibited_terms = [\"ice\", \"--\"]"),
            PolicyError::EmptyTerm { index: 2 },
        ),
        (
            with("searches_per_requester_per_hour = 0"),
            PolicyError::Zero {
                field: "searches_per_requester_per_hour".into(),
            },
        ),
        (
            with("max_image_bytes = 0"),
            PolicyError::Zero {
                field: "max_image_bytes".into(),
            },
        ),
        (
            with("hotlist_max_days = 0"),
            PolicyError::Zero {
                field: "hotlist_max_days".into(),
            },
        ),
        (
            with("hold_max_days = 0"),
            PolicyError::Zero {
                field: "hold_max_days".into(),
            },
        ),
        (
            with("reviewers = [\"OVERSIGHT-1\", \"\"]"),
            PolicyError::Empty {
                field: "reviewers[2]".into(),
            },
        ),
        (
            with("reviewers = [\"OVERSIGHT-1\", \"OVERSIGHT-1\"]"),
            PolicyError::Duplicate {
                field: "reviewers".into(),
                value: "OVERSIGHT-1".into(),
            },
        ),
        (
            mou("", y1, y2, "[\"HOMICIDE\"]"),
            PolicyError::Empty {
                field: "mou[1].agency".into(),
            },
        ),
        (
            mou("city-pd", y1, y2, "[\"HOMICIDE\"]"),
            PolicyError::MouWithHomeAgency { index: 1 },
        ),
        (
            mou("X-SO", y2, y1, "[\"HOMICIDE\"]"),
            PolicyError::MouDates {
                index: 1,
                agency: "X-SO".into(),
                valid_from: ts(y2),
                valid_to: ts(y1),
            },
        ),
        (
            mou("X-SO", y1, y1, "[\"HOMICIDE\"]"),
            PolicyError::MouDates {
                index: 1,
                agency: "X-SO".into(),
                valid_from: ts(y1),
                valid_to: ts(y1),
            },
        ),
        (
            mou("X-SO", y1, y2, "[]"),
            PolicyError::MouWithoutOffenses {
                index: 1,
                agency: "X-SO".into(),
            },
        ),
        (
            mou("X-SO", y1, y2, "[\"homicide\"]"),
            PolicyError::OffenseCode {
                field: "mou[1].offenses".into(),
                code: "homicide".into(),
            },
        ),
        (
            mou("X-SO", y1, y2, "[\"HOMICIDE\", \"JAYWALKING\"]"),
            PolicyError::MouOffenseNotAllowed {
                index: 1,
                agency: "X-SO".into(),
                offense: "JAYWALKING".into(),
            },
        ),
        (
            with("[[age_tier]]\nolder_than = \"0s\"\nrequires = \"warrant\""),
            PolicyError::AgeTierZero { index: 1 },
        ),
    ];
    for (text, expected) in cases {
        let got = err(&text);
        assert_eq!(got, expected, "{text}");
        // Every message names a field and says something to do or why.
        let message = got.to_string();
        assert!(message.contains("policy field"), "{message}");
    }
}

#[test]
fn the_case_number_pattern_must_compile_and_matches_in_full() {
    for bad in ["[0-9", "a)|(b", "(", "x{99999999}", "\\p{NoSuchClass}"] {
        let text = with(&format!("case_number_pattern = '{bad}'"));
        assert!(
            matches!(err(&text), PolicyError::CasePattern { .. }),
            "{bad} must be refused"
        );
    }
    let p = Policy::from_toml(&with("case_number_pattern = '[A-Z]{2}-[0-9]+'")).expect("valid");
    assert!(p.case_number_matches("AB-123"));
    assert!(!p.case_number_matches("xAB-123"));
    assert!(!p.case_number_matches("AB-123x"));
    assert!(!p.case_number_matches("AB-123\n"));
    // Alternation stays inside the anchors.
    let alt = Policy::from_toml(&with("case_number_pattern = 'A|B'")).expect("valid");
    assert!(alt.case_number_matches("A") && alt.case_number_matches("B"));
    assert!(!alt.case_number_matches("AB") && !alt.case_number_matches("xB"));
}

#[test]
fn live_epoch_limit_is_exact() {
    let ok = Policy::from_toml(&with("retention = \"1023min\"\nepoch = \"1min\"")).expect("ok");
    assert_eq!(ok.live_epochs(), 1024);
    let ok = Policy::from_toml(&with("retention = \"1000min\"\nepoch = \"7min\"")).expect("ok");
    assert_eq!(ok.live_epochs(), 144); // ceil(1000 / 7) + 1
    assert!(Policy::from_toml(&with("retention = \"1d\"\nepoch = \"1d\"")).is_ok());
}

#[test]
fn a_replacement_may_not_change_the_epoch_width() {
    let current = Policy::default_policy();
    let same = Policy::from_toml(CITY).expect("valid");
    assert_eq!(current.check_replacement(&same), Ok(()));
    let other = Policy::from_toml(&with("epoch = \"1h\"")).expect("valid");
    assert_eq!(
        current.check_replacement(&other),
        Err(PolicyError::EpochWidthChanged {
            current: Span::from_days(1),
            proposed: Span::from_hours(1),
        })
    );
}

#[test]
fn reviewers_and_agencies_compare_as_documented() {
    let p = Policy::default_policy();
    assert!(p.is_reviewer("OVERSIGHT-1"));
    assert!(p.is_reviewer(" OVERSIGHT-1 "));
    // Ids compare in one canonical form (case, width, invisible characters, spacing).
    assert!(p.is_reviewer("oversight-1"));
    assert!(p.is_reviewer("ＯＶＥＲＳＩＧＨＴ－１"));
    assert!(p.is_reviewer("OVER\u{200B}SIGHT-1"));
    assert!(!p.is_reviewer("OVERSIGHT-1X"));
    assert!(!p.is_reviewer("OVERS\u{0406}GHT-1")); // a Cyrillic I is another id
    assert!(!p.is_reviewer(""));
    assert!(!p.is_reviewer("OVERSIGHT-2"));
    assert!(p.is_home_agency("city-pd"));
    assert!(p.is_home_agency(" CITY-PD"));
    assert!(!p.is_home_agency("CITY-PD-2"));
    assert!(p.is_offense_allowed(" homicide"));
    assert!(!p.is_offense_allowed("JAYWALKING"));
}

#[test]
fn policies_travel_through_serde_and_are_validated_on_the_way_in() {
    let city = Policy::from_toml(CITY).expect("valid");
    let json = serde_json::to_string(&city).expect("serialises");
    assert!(json.contains("\"retention\":\"30d\""), "{json}");
    assert!(
        json.contains("\"valid_from\":\"2026-01-01T00:00:00Z\""),
        "{json}"
    );
    let back: Policy = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, city);
    let broken = json.replace("\"epoch\":\"1d\"", "\"epoch\":\"90s\"");
    assert!(serde_json::from_str::<Policy>(&broken).is_err());
    let unknown = json.replacen('{', "{\"surprise\":1,", 1);
    assert!(serde_json::from_str::<Policy>(&unknown).is_err());
}

fn arb_spec() -> impl Strategy<Value = PolicySpec> {
    (
        "[A-Z][A-Z0-9 -]{0,20}[A-Z0-9]",
        1u64..=30,
        proptest::collection::vec("\\PC{1,16}", 0..5),
        proptest::collection::vec("[A-Za-z0-9\"\\\\'. -]{1,20}", 0..3),
        proptest::collection::vec("[A-Z0-9_]{1,12}", 1..5),
        any::<u32>(),
        proptest::option::of(1u64..100_000),
    )
        .prop_map(
            |(agency, days, terms, reviewers, offenses, version, tier)| {
                let mut spec = PolicySpec::default_spec();
                spec.agency = agency;
                spec.version = version;
                spec.retention = Span::from_days(days);
                spec.prohibited_terms = terms;
                spec.reviewers = reviewers;
                spec.allowed_offenses = offenses.clone();
                spec.mou = vec![Mou {
                    agency: "OTHER-SO".into(),
                    valid_from: Timestamp::from_micros(1_700_000_000_123_456),
                    valid_to: Timestamp::from_unix_secs(1_800_000_000),
                    offenses: offenses.into_iter().take(1).collect(),
                }];
                spec.age_tier = tier
                    .map(|secs| AgeTier {
                        older_than: Span::from_secs(secs),
                        requires: Requirement::Warrant,
                    })
                    .into_iter()
                    .collect();
                spec
            },
        )
}

proptest! {
    #[test]
    fn every_valid_policy_round_trips_through_its_canonical_text(spec in arb_spec()) {
        if let Ok(p) = Policy::from_spec(spec) {
            let text = p.to_toml();
            let back = Policy::from_toml(&text).expect("canonical text parses");
            prop_assert_eq!(back.to_toml(), text);
            prop_assert_eq!(back.hash(), p.hash());
            prop_assert_eq!(back, p);
        }
    }

    #[test]
    fn arbitrary_text_is_refused_or_accepted_without_panicking(text in "\\PC{0,200}") {
        let _ = Policy::from_toml(&text);
    }
}

#[test]
fn ids_have_one_canonical_form() {
    for (given, canonical) in [
        ("DET-7", "DET-7"),
        ("det-7", "DET-7"),
        ("  det-7 ", "DET-7"),
        ("\u{FF24}\u{FF25}\u{FF34}-\u{FF17}", "DET-7"),
        ("DET\u{200B}-7\u{00AD}", "DET-7"),
        ("Officer   Jane\tDoe", "OFFICER JANE DOE"),
        ("stra\u{00DF}e", "STRASSE"),
        ("city-pd", "CITY-PD"),
        ("", ""),
    ] {
        assert_eq!(canonical_id(given), canonical, "{given:?}");
    }
    assert_eq!(canonical_id(&"x".repeat(100)).chars().count(), 64);
    // Look-alikes from other scripts stay distinct ids.
    assert_ne!(canonical_id("D\u{0415}T-7"), "DET-7");
}

proptest! {
    #[test]
    fn canonical_ids_are_a_fixed_point(text in "\\PC{0,80}") {
        let once = canonical_id(&text);
        prop_assert_eq!(canonical_id(&once), once.clone());
        prop_assert!(once.chars().count() <= 64);
    }
}
