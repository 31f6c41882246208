//! The decision table: every reason, the rule order, windows, tiers, limits.

use super::*;
use crate::policy::{Policy, PolicySpec};

const NOW: &str = "2026-06-15T12:00:00Z";
const PLATE: &str = "7KQX291";
const CITY: &str = include_str!("../../../examples/policies/city.toml");

fn ts(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).expect("valid time")
}

fn now() -> Timestamp {
    ts(NOW)
}

/// `now` minus a span written like `30d`.
fn ago(span: &str) -> Timestamp {
    now().minus(Span::parse(span).expect("valid span"))
}

/// `now` plus a span written like `1h`.
fn ahead(span: &str) -> Timestamp {
    now().plus(Span::parse(span).expect("valid span"))
}

#[derive(Copy, Clone, Debug)]
enum Pol {
    /// The built-in default.
    Default,
    /// `examples/policies/city.toml`: an MOU with RIVER-COUNTY-SO for 2026 and a 72h tier.
    City,
    /// The city policy without its age tier.
    CityNoTier,
    /// The default with 7 days' retention (shorter than the 30-day window).
    Week,
}

fn policy(which: Pol) -> Policy {
    match which {
        Pol::Default => Policy::default_policy(),
        Pol::City => Policy::from_toml(CITY).expect("city policy"),
        Pol::CityNoTier => {
            let mut spec = Policy::from_toml(CITY).expect("city policy").into_spec();
            spec.age_tier.clear();
            Policy::from_spec(spec).expect("valid")
        }
        Pol::Week => {
            let mut spec = PolicySpec::default_spec();
            spec.retention = Span::from_days(7);
            Policy::from_spec(spec).expect("valid")
        }
    }
}

/// A request the default policy allows.
fn base() -> CaseRequest {
    CaseRequest {
        plate: PLATE.into(),
        region: "CO".into(),
        case_number: "2026-001234".into(),
        offense: "HOMICIDE".into(),
        purpose: "investigation".into(),
        requester: "officer-17".into(),
        agency: "CITY-PD".into(),
        justification: Some("dark sedan seen leaving the scene of the shooting".into()),
        warrant: None,
        from: None,
        to: None,
    }
}

fn sheriff(r: &mut CaseRequest) {
    r.agency = "RIVER-COUNTY-SO".into();
}

#[derive(Debug)]
enum Want {
    Allow {
        from: Timestamp,
        to: Timestamp,
        withheld: Option<Timestamp>,
    },
    Deny(&'static str),
}

fn allow(from: Timestamp, to: Timestamp) -> Want {
    Want::Allow {
        from,
        to,
        withheld: None,
    }
}

fn withheld(from: Timestamp, to: Timestamp) -> Want {
    Want::Allow {
        from,
        to,
        withheld: Some(from),
    }
}

struct Case {
    name: &'static str,
    policy: Pol,
    now: Timestamp,
    attempts: u32,
    edit: fn(&mut CaseRequest),
    want: Want,
}

fn case(name: &'static str, policy: Pol, edit: fn(&mut CaseRequest), want: Want) -> Case {
    Case {
        name,
        policy,
        now: now(),
        attempts: 0,
        edit,
        want,
    }
}

fn table() -> Vec<Case> {
    use Pol::*;
    use Want::Deny;
    let full = || allow(ago("30d"), now());
    vec![
        // Allowed home requests and the default window.
        case("home, defaults", Default, |_| {}, full()),
        case(
            "home agency in lower case",
            Default,
            |r| r.agency = "city-pd".into(),
            full(),
        ),
        case(
            "no justification",
            Default,
            |r| r.justification = None,
            full(),
        ),
        case(
            "shortest case number",
            Default,
            |r| r.case_number = "26-123".into(),
            full(),
        ),
        case(
            "offense in lower case",
            Default,
            |r| r.offense = " homicide".into(),
            full(),
        ),
        case(
            "purpose spelled loosely",
            Default,
            |r| r.purpose = "Missing_Person".into(),
            full(),
        ),
        case(
            "plate with separators",
            Default,
            |r| r.plate = "7kq-x 291".into(),
            full(),
        ),
        // Rule 0.
        case(
            "requester empty",
            Default,
            |r| r.requester.clear(),
            Deny("requester_missing"),
        ),
        case(
            "requester blank",
            Default,
            |r| r.requester = "  ".into(),
            Deny("requester_missing"),
        ),
        case(
            "requester empty beats outside agency",
            Default,
            |r| {
                r.requester.clear();
                r.agency = "FBI".into();
            },
            Deny("requester_missing"),
        ),
        // Rule 1: agencies and MOUs.
        case(
            "outside agency, no MOU",
            Default,
            |r| r.agency = "FBI".into(),
            Deny("no_mou"),
        ),
        case(
            "agency empty",
            Default,
            |r| r.agency.clear(),
            Deny("no_mou"),
        ),
        case(
            "outside agency with a prohibited purpose: rule 1 first",
            Default,
            |r| {
                r.agency = "ICE-ERO".into();
                r.purpose = "immigration".into();
            },
            Deny("no_mou"),
        ),
        case(
            "outside agency with everything wrong: rule 1 first",
            Default,
            |r| {
                r.agency = "FBI".into();
                r.case_number = "x".into();
                r.offense = "JAYWALKING".into();
                r.plate = "*".into();
            },
            Deny("no_mou"),
        ),
        case("MOU in force, covered offense", CityNoTier, sheriff, full()),
        case(
            "MOU agency in other case",
            CityNoTier,
            |r| r.agency = "river-county-so".into(),
            full(),
        ),
        case(
            "MOU does not cover the offense",
            CityNoTier,
            |r| {
                sheriff(r);
                r.offense = "ROBBERY".into();
            },
            Deny("offense_not_in_mou"),
        ),
        case(
            "MOU and an offense not allowed at all: rule 1 first",
            CityNoTier,
            |r| {
                sheriff(r);
                r.offense = "JAYWALKING".into();
            },
            Deny("offense_not_in_mou"),
        ),
        Case {
            now: ts("2027-02-01T00:00:00Z"),
            ..case("MOU expired", CityNoTier, sheriff, Deny("no_mou"))
        },
        Case {
            now: ts("2025-12-31T23:59:59Z"),
            ..case("MOU not yet in force", CityNoTier, sheriff, Deny("no_mou"))
        },
        Case {
            now: ts("2027-01-01T00:00:00Z"),
            ..case("MOU at its valid_to", CityNoTier, sheriff, Deny("no_mou"))
        },
        Case {
            now: ts("2026-01-01T00:00:00Z"),
            ..case(
                "MOU at its valid_from",
                CityNoTier,
                sheriff,
                allow(ts("2025-12-02T00:00:00Z"), ts("2026-01-01T00:00:00Z")),
            )
        },
        case(
            "the home agency under the city policy",
            CityNoTier,
            |r| r.offense = "ROBBERY".into(),
            full(),
        ),
        // Rule 2.
        case(
            "case number too short",
            Default,
            |r| r.case_number = "2026-12".into(),
            Deny("case_number_malformed"),
        ),
        case(
            "case number with a suffix",
            Default,
            |r| r.case_number = "2026-001234x".into(),
            Deny("case_number_malformed"),
        ),
        case(
            "case number with a leading space",
            Default,
            |r| r.case_number = " 2026-001234".into(),
            Deny("case_number_malformed"),
        ),
        case(
            "case number empty",
            Default,
            |r| r.case_number.clear(),
            Deny("case_number_malformed"),
        ),
        case(
            "bad case number and bad offense: rule 2 first",
            Default,
            |r| {
                r.case_number = "none".into();
                r.offense = "JAYWALKING".into();
            },
            Deny("case_number_malformed"),
        ),
        // Rule 3.
        case(
            "offense not allowed",
            Default,
            |r| r.offense = "JAYWALKING".into(),
            Deny("offense_not_allowed"),
        ),
        case(
            "offense empty",
            Default,
            |r| r.offense.clear(),
            Deny("offense_not_allowed"),
        ),
        case(
            "bad offense and prohibited purpose: rule 3 first",
            Default,
            |r| {
                r.offense = "TRESPASS".into();
                r.purpose = "immigration".into();
            },
            Deny("offense_not_allowed"),
        ),
        // Rule 4.
        case(
            "purpose unknown",
            Default,
            |r| r.purpose = "fishing".into(),
            Deny("purpose_unknown"),
        ),
        case(
            "purpose empty",
            Default,
            |r| r.purpose.clear(),
            Deny("purpose_unknown"),
        ),
        case(
            "purpose immigration",
            Default,
            |r| r.purpose = "immigration".into(),
            Deny("purpose_prohibited"),
        ),
        case(
            "purpose reproductive-health",
            Default,
            |r| r.purpose = "reproductive-health".into(),
            Deny("purpose_prohibited"),
        ),
        case(
            "MOU agency with a prohibited purpose",
            CityNoTier,
            |r| {
                sheriff(r);
                r.purpose = "immigration".into();
            },
            Deny("purpose_prohibited"),
        ),
        case(
            "unknown purpose and prohibited term: rule 4 first",
            Default,
            |r| {
                r.purpose = "enforcement".into();
                r.justification = Some("I.C.E. asked".into());
            },
            Deny("purpose_unknown"),
        ),
        // Rule 5.
        case(
            "prohibited term",
            Default,
            |r| r.justification = Some("request from ICE".into()),
            Deny("justification_prohibited_term"),
        ),
        case(
            "prohibited term disguised",
            Default,
            |r| r.justification = Some("d3p\u{200B}ortation hearing".into()),
            Deny("justification_prohibited_term"),
        ),
        case(
            "prohibited term beats a window too long",
            Default,
            |r| {
                r.justification = Some("Customs Enforcement".into());
                r.from = Some(ago("60d"));
            },
            Deny("justification_prohibited_term"),
        ),
        case(
            "justification names the plate",
            Default,
            |r| r.justification = Some("following 7kq x291 since Monday".into()),
            Deny("justification_contains_plate"),
        ),
        case(
            "justification names the plate, spaced out",
            Default,
            |r| r.justification = Some("plate 7-K-Q-X-2-9-1".into()),
            Deny("justification_contains_plate"),
        ),
        case(
            "prohibited term and plate: the term is checked first",
            Default,
            |r| r.justification = Some("7KQX291 for ICE".into()),
            Deny("justification_prohibited_term"),
        ),
        case(
            "justification mentioning police and justice is fine",
            Default,
            |r| r.justification = Some("police office: justice for the victim's niece".into()),
            full(),
        ),
        // Rule 6: windows.
        case(
            "explicit window",
            Default,
            |r| {
                r.from = Some(ago("2d"));
                r.to = Some(ago("1d"));
            },
            allow(ago("2d"), ago("1d")),
        ),
        case(
            "window exactly the maximum",
            Default,
            |r| {
                r.from = Some(ago("31d"));
                r.to = Some(ago("1d"));
            },
            allow(ago("30d"), ago("1d")),
        ),
        case(
            "window one second too long",
            Default,
            |r| {
                r.from = Some(ago("30d").minus(Span::from_secs(1)));
                r.to = Some(now());
            },
            Deny("window_too_long"),
        ),
        case(
            "window too long, only `from` given",
            Default,
            |r| r.from = Some(ago("45d")),
            Deny("window_too_long"),
        ),
        case(
            "only `to` given, in the past",
            Default,
            |r| r.to = Some(ago("2d")),
            allow(ago("30d"), ago("2d")),
        ),
        case(
            "only `from` given",
            Default,
            |r| r.from = Some(ago("3d")),
            allow(ago("3d"), now()),
        ),
        case(
            "`to` in the future is clamped to now",
            Default,
            |r| {
                r.from = Some(ago("1d"));
                r.to = Some(ahead("1d"));
            },
            allow(ago("1d"), now()),
        ),
        case(
            "default window clamped to a shorter retention",
            Week,
            |_| {},
            allow(ago("7d"), now()),
        ),
        case(
            "window reaching past retention is clamped",
            Week,
            |r| {
                r.from = Some(ago("20d"));
                r.to = Some(ago("1d"));
            },
            allow(ago("7d"), ago("1d")),
        ),
        case(
            "window entirely before retention",
            Week,
            |r| {
                r.from = Some(ago("20d"));
                r.to = Some(ago("10d"));
            },
            Deny("window_outside_retention"),
        ),
        case(
            "window ending exactly at the retention edge",
            Week,
            |r| {
                r.from = Some(ago("20d"));
                r.to = Some(ago("7d"));
            },
            Deny("window_outside_retention"),
        ),
        case(
            "window entirely in the future",
            Default,
            |r| {
                r.from = Some(ahead("1h"));
                r.to = Some(ahead("2h"));
            },
            Deny("window_outside_retention"),
        ),
        case(
            "from after to",
            Default,
            |r| {
                r.from = Some(ago("1d"));
                r.to = Some(ago("2d"));
            },
            Deny("window_outside_retention"),
        ),
        case(
            "empty window",
            Default,
            |r| {
                r.from = Some(ago("1d"));
                r.to = Some(ago("1d"));
            },
            Deny("window_outside_retention"),
        ),
        // Rule 6: the age tier.
        case(
            "age tier withholds older reads",
            City,
            |_| {},
            withheld(ago("72h"), now()),
        ),
        case(
            "age tier for an MOU agency",
            City,
            sheriff,
            withheld(ago("72h"), now()),
        ),
        case(
            "age tier with a warrant",
            City,
            |r| r.warrant = Some("W-2026-77".into()),
            full(),
        ),
        case(
            "age tier with a blank warrant",
            City,
            |r| r.warrant = Some(" ".into()),
            withheld(ago("72h"), now()),
        ),
        case(
            "age tier, window within the recent part",
            City,
            |r| r.from = Some(ago("1d")),
            allow(ago("1d"), now()),
        ),
        case(
            "age tier, window entirely older",
            City,
            |r| {
                r.from = Some(ago("10d"));
                r.to = Some(ago("4d"));
            },
            Deny("warrant_required"),
        ),
        case(
            "age tier, window ending at the tier edge",
            City,
            |r| {
                r.from = Some(ago("10d"));
                r.to = Some(ago("72h"));
            },
            Deny("warrant_required"),
        ),
        case(
            "age tier, window entirely older, with a warrant",
            City,
            |r| {
                r.from = Some(ago("10d"));
                r.to = Some(ago("4d"));
                r.warrant = Some("W-1".into());
            },
            allow(ago("10d"), ago("4d")),
        ),
        case(
            "age tier, window straddling the edge",
            City,
            |r| {
                r.from = Some(ago("5d"));
                r.to = Some(ago("1d"));
            },
            withheld(ago("72h"), ago("1d")),
        ),
        // Rule 7: the rate limit.
        Case {
            attempts: 59,
            ..case("one below the limit", Default, |_| {}, full())
        },
        Case {
            attempts: 60,
            ..case("at the limit", Default, |_| {}, Deny("rate_limited"))
        },
        Case {
            attempts: 60,
            ..case(
                "rate limit beats a malformed plate",
                Default,
                |r| r.plate = "7KQ*".into(),
                Deny("rate_limited"),
            )
        },
        Case {
            attempts: 60,
            ..case(
                "warrant required beats rate limit",
                City,
                |r| r.to = Some(ago("4d")),
                Deny("warrant_required"),
            )
        },
        Case {
            attempts: 1000,
            ..case(
                "window too long beats rate limit",
                Default,
                |r| r.from = Some(ago("40d")),
                Deny("window_too_long"),
            )
        },
        // Rule 8: plate and region.
        case(
            "plate with a wildcard",
            Default,
            |r| r.plate = "7KQ*".into(),
            Deny("plate_malformed"),
        ),
        case(
            "plate empty",
            Default,
            |r| r.plate = " - ".into(),
            Deny("plate_malformed"),
        ),
        case(
            "plate too long",
            Default,
            |r| r.plate = "ABCDEFGHIJK".into(),
            Deny("plate_malformed"),
        ),
        case(
            "region too short",
            Default,
            |r| r.region = "C".into(),
            Deny("region_malformed"),
        ),
        case(
            "region empty",
            Default,
            |r| r.region.clear(),
            Deny("region_malformed"),
        ),
        case(
            "plate and region both malformed",
            Default,
            |r| {
                r.plate = "?".into();
                r.region = "C_O".into();
            },
            Deny("plate_malformed"),
        ),
    ]
}

#[test]
fn the_decision_table() {
    let cases = table();
    assert!(cases.len() >= 40);
    for c in &cases {
        let p = policy(c.policy);
        let mut req = base();
        (c.edit)(&mut req);
        let ctx = DecisionContext {
            now: c.now,
            recent_attempts: c.attempts,
            case_held: false,
        };
        let decision = p.decide(&req, &ctx);
        assert_eq!(decision, p.decide(&req, &ctx), "{}: decide is pure", c.name);
        match (&c.want, &decision) {
            (Want::Deny(code), Decision::Denied(d)) => {
                assert_eq!(d.code(), *code, "{}: {}", c.name, d.detail());
                assert_eq!(DenyReason::from_code(code), Some(d.reason()));
                assert!(!d.detail().is_empty(), "{}", c.name);
                for shown in [d.detail().to_string(), d.to_string(), format!("{d:?}")] {
                    assert!(!shown.contains("7KQ"), "{}: plate text in {shown}", c.name);
                }
                assert_eq!(decision.label(), "denied");
            }
            (Want::Allow { from, to, withheld }, Decision::Allowed(g)) => {
                assert_eq!((g.from(), g.to()), (*from, *to), "{}: window", c.name);
                assert_eq!(g.withheld_before(), *withheld, "{}: withheld", c.name);
                assert_eq!(g.plate().expose(), PLATE, "{}", c.name);
                assert_eq!(g.region().as_str(), "CO");
                assert!(!format!("{g:?}").contains(PLATE), "{}", c.name);
                assert_eq!(decision.label(), "allowed");
            }
            (want, got) => panic!("{}: wanted {want:?}, got {got:?}", c.name),
        }
    }
    // Every reason `decide` can give appears in the table.
    let seen: std::collections::BTreeSet<&str> = cases
        .iter()
        .filter_map(|c| match c.want {
            Want::Deny(code) => Some(code),
            Want::Allow { .. } => None,
        })
        .collect();
    for reason in DenyReason::ALL {
        if !matches!(
            reason,
            DenyReason::HoldTooLong | DenyReason::HotlistExpiryTooLong | DenyReason::NotOwner
        ) {
            assert!(seen.contains(reason.code()), "{} untested", reason.code());
        }
    }
}

#[test]
fn the_grant_carries_canonical_values() {
    let mut req = base();
    req.plate = "7kq x291".into();
    req.region = "us-co".into();
    req.offense = "carjacking ".into();
    req.purpose = "Stolen-Vehicle".into();
    let ctx = DecisionContext {
        now: now(),
        recent_attempts: 0,
        case_held: false,
    };
    let grant = Policy::default_policy()
        .decide(&req, &ctx)
        .into_result()
        .expect("allowed");
    assert_eq!(grant.plate().expose(), PLATE);
    assert_eq!(grant.region().as_str(), "US-CO");
    assert_eq!(grant.offense(), "CARJACKING");
    assert_eq!(grant.purpose(), Purpose::StolenVehicle);
}

#[test]
fn no_detail_echoes_what_the_request_said() {
    // A plate typed into the wrong field must not come back in the denial.
    let p = policy(Pol::CityNoTier);
    let ctx = DecisionContext {
        now: now(),
        recent_attempts: 0,
        case_held: false,
    };
    let edits: [fn(&mut CaseRequest); 6] = [
        |r| r.agency = PLATE.into(),
        |r| r.case_number = PLATE.into(),
        |r| r.offense = PLATE.into(),
        |r| r.purpose = PLATE.into(),
        |r| r.region = PLATE.into(),
        |r| r.plate = format!("{PLATE}*"),
    ];
    for edit in edits {
        let mut req = base();
        edit(&mut req);
        let d = p.decide(&req, &ctx);
        let denial = d.denial().expect("denied");
        assert!(!denial.detail().contains("7KQ"), "{}", denial.detail());
    }
    let mut req = base();
    req.agency = "RIVER-COUNTY-SO".into();
    req.offense = "ROBBERY".into();
    let d = p.decide(&req, &ctx);
    let detail = d.denial().expect("denied").detail().to_string();
    assert!(
        detail.contains("HOMICIDE") && detail.contains("RIVER-COUNTY-SO"),
        "{detail}"
    );
    let expired = DecisionContext {
        now: ts("2027-03-01T00:00:00Z"),
        recent_attempts: 0,
        case_held: false,
    };
    req.offense = "HOMICIDE".into();
    let d = p.decide(&req, &expired);
    let detail = d.denial().expect("denied").detail().to_string();
    assert!(detail.contains("ended at 2027-01-01T00:00:00Z"), "{detail}");
}

#[test]
fn case_requests_redact_plate_and_justification_in_debug() {
    let mut req = base();
    req.justification = Some("secret note about 7KQX291".into());
    let shown = format!("{req:?}");
    assert!(!shown.contains("7KQX291"), "{shown}");
    assert!(!shown.contains("secret note"), "{shown}");
    assert!(
        shown.contains("<redacted>") && shown.contains("2026-001234"),
        "{shown}"
    );
}

#[test]
fn reason_codes_are_stable_and_unique() {
    let codes: Vec<&str> = DenyReason::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(
        codes,
        [
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
            "hold_too_long",
            "hotlist_expiry_too_long",
            "not_owner",
        ]
    );
    for r in DenyReason::ALL {
        assert_eq!(DenyReason::from_code(r.code()), Some(r));
        let json = serde_json::to_string(&r).expect("serialises");
        assert_eq!(json, format!("\"{}\"", r.code()));
        assert_eq!(
            serde_json::from_str::<DenyReason>(&json).expect("parses"),
            r
        );
        assert!(!r.to_string().is_empty());
    }
    assert_eq!(DenyReason::from_code("allowed"), None);
}

#[test]
fn holds_and_hotlist_entries_are_bounded() {
    let p = Policy::default_policy();
    let n = now();
    assert_eq!(p.check_hold_until(n, ahead("365d")), Ok(()));
    assert_eq!(p.check_hold_until(n, ahead("1s")), Ok(()));
    for bad in [
        ahead("366d"),
        ahead("365d").plus(Span::from_secs(1)),
        n,
        ago("1d"),
    ] {
        let d = p.check_hold_until(n, bad).expect_err("refused");
        assert_eq!(d.code(), "hold_too_long");
    }
    assert_eq!(p.check_hotlist_expiry(n, ahead("30d")), Ok(()));
    for bad in [ahead("31d"), n, ago("1s")] {
        let d = p.check_hotlist_expiry(n, bad).expect_err("refused");
        assert_eq!(d.code(), "hotlist_expiry_too_long");
        assert!(d.detail().contains("hotlist"), "{}", d.detail());
    }
}

#[test]
fn a_held_case_keeps_its_window_for_held_copies_only() {
    // Without a hold, a window wholly before retention is refused; with one, it is granted
    // for held copies as asked, with an empty live window, and an age tier still cuts it.
    let held = |now: Timestamp| DecisionContext {
        now,
        recent_attempts: 0,
        case_held: true,
    };
    let mut req = base();
    req.from = Some(ago("50d"));
    req.to = Some(ago("40d"));
    let p = policy(Pol::Default);
    let plain = DecisionContext {
        now: now(),
        recent_attempts: 0,
        case_held: false,
    };
    assert_eq!(
        p.decide(&req, &plain).denial().map(Denial::code),
        Some("window_outside_retention")
    );
    let g = p.decide(&req, &held(now())).into_result().expect("allowed");
    assert_eq!((g.held_from(), g.to()), (ago("50d"), ago("40d")));
    assert_eq!(g.from(), g.to(), "nothing live can lie in the window");
    // A window straddling retention: live part clamped, held part as asked.
    req.from = Some(ago("35d"));
    req.to = Some(ago("10d"));
    let g = p.decide(&req, &held(now())).into_result().expect("allowed");
    assert_eq!(
        (g.from(), g.held_from(), g.to()),
        (ago("30d"), ago("35d"), ago("10d"))
    );
    let g = p.decide(&req, &plain).into_result().expect("allowed");
    assert_eq!(g.held_from(), g.from(), "no hold: one window");
    // The window still may not be longer than the maximum, nor end after now.
    req.from = Some(ago("70d"));
    req.to = Some(ago("35d"));
    assert_eq!(
        p.decide(&req, &held(now())).denial().map(Denial::code),
        Some("window_too_long")
    );
    // Under the city's 72h tier without a warrant, held copies are cut like live reads.
    let city = policy(Pol::City);
    req.from = Some(ago("5d"));
    req.to = None;
    let g = city
        .decide(&req, &held(now()))
        .into_result()
        .expect("allowed");
    assert_eq!(g.held_from(), ago("3d"));
    assert_eq!(g.withheld_before(), Some(ago("3d")));
    req.from = Some(ago("50d"));
    req.to = Some(ago("40d"));
    assert_eq!(
        city.decide(&req, &held(now())).denial().map(Denial::code),
        Some("warrant_required")
    );
    req.warrant = Some("W-1".into());
    let g = city
        .decide(&req, &held(now()))
        .into_result()
        .expect("allowed");
    assert_eq!(g.held_from(), ago("50d"));
}
