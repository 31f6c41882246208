//! Issue 13, "the read path has side doors", through the command line: `alerts`, `hold
//! release` and `hotlist remove` take the gate's flags, every request that parses is decided
//! and audited (denied: exit 3), and the review's scenario (an alert after retention, hold
//! release and entry expiry, on a simulated store) shows nothing.

mod support;

use serde_json::Value;
use support::*;

const CITY_POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policies/city.toml");
const HOT_CASE: &str = "2026-005150";
/// After the epoch of 2026-11-29 has expired (its end + 30 days = 2026-12-30).
const AFTER_EXPIRY: &str = "2026-12-31T00:00:00Z";

fn hot_flags(plate: &str, agency: &str, offense: &str) -> Vec<String> {
    let f = with_flag(case_flags(plate, "CO"), "--case", HOT_CASE);
    let f = with_flag(f, "--offense", offense);
    let f = with_flag(f, "--purpose", "investigation");
    with_flag(f, "--agency", agency)
}

/// A simulation store under the city policy (RIVER-COUNTY-SO has an MOU) without its age
/// tier.
fn city() -> Env {
    let env = Env::new();
    let text = std::fs::read_to_string(CITY_POLICY).expect("city policy");
    // The 72h warrant tier is not what these tests are about.
    let tier = "[[age_tier]]\nolder_than = \"72h\"\nrequires = \"warrant\"\n";
    assert!(text.contains(tier));
    let text = text.replace(tier, "");
    let policy = env.write("policy.toml", text);
    env.cmd()
        .args(["--now", CLI_T0, "init", "--policy"])
        .arg(&policy)
        .arg("--json")
        .run()
        .ok();
    env
}

/// `alerts` for HOT_CASE as `agency`, with `extra` flags; returns the run.
fn alerts(env: &Env, agency: &str, extra: &[&str]) -> support::Run {
    env.cmd()
        .args(["alerts", "--case", HOT_CASE, "--requester", "DET-7"])
        .args(["--agency", agency])
        .args(extra)
        .arg("--json")
        .run()
}

fn entry_at(env: &Env, seq: u64) -> Value {
    let v = env
        .cmd_no_key()
        .args(["audit", "prove", "--seq", &seq.to_string(), "--json"])
        .run()
        .ok()
        .json();
    let bytes = unhex(v["entry"].as_str().expect("entry"));
    serde_json::from_slice(&bytes).expect("entry json")
}

#[test]
fn alerts_need_the_gate_flags_and_a_denial_is_audited_and_exits_3() {
    let env = city();
    // Without the flags the parser refuses it.
    for args in [
        vec!["alerts"],
        vec!["alerts", "--since", "2026-11-28T00:00:00Z"],
        vec!["alerts", "--case", HOT_CASE],
        vec!["alerts", "--case", HOT_CASE, "--requester", "DET-7"],
    ] {
        env.cmd().args(&args).arg("--json").run().code(2);
    }
    let (size, _) = env.log_head();
    let v = alerts(&env, "FED-X", &[]).code(3).json();
    assert_eq!(v["decision"], "denied", "{v}");
    assert_eq!(v["reason"], "no_mou", "{v}");
    assert_eq!(v["audit_seq"].as_u64(), Some(size));
    let e = entry_at(&env, size);
    assert_eq!(e["kind"], "alerts");
    assert_eq!(e["decision"], "denied");
    let v = env
        .cmd()
        .args(["alerts", "--case", "2026-0051*", "--requester", "DET-7"])
        .args(["--agency", "CITY-PD", "--json"])
        .run()
        .code(3)
        .json();
    assert_eq!(v["reason"], "case_number_malformed", "{v}");
    assert_eq!(
        env.log_head().0,
        size + 2,
        "one entry per denied request, no result"
    );
}

#[test]
fn another_agency_gets_none_of_a_cases_alerts() {
    let env = city();
    env.cmd()
        .args(["hotlist", "add"])
        .args(hot_flags("HOT123", "CITY-PD", "ROBBERY"))
        .args(["--expires", "2026-12-05T00:00:00Z", "--json"])
        .run()
        .ok();
    env.ingest(&read_line("HOT123", "CO", "2026-11-29T11:00:00Z", "CAM-9"));
    let mine = alerts(&env, "city-pd", &[]).ok().json_lines();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["camera"], "CAM-9");
    assert_eq!(mine[0]["agency"], "CITY-PD");
    // RIVER-COUNTY-SO has an MOU in force, names the same case, and gets nothing.
    let theirs = alerts(&env, "RIVER-COUNTY-SO", &[]).ok();
    assert!(theirs.json_lines().is_empty());
    assert!(!theirs.stdout.contains("CAM-9"));
}

#[test]
fn the_reviews_scenario_on_a_simulated_store() {
    let env = city();
    let v = env
        .cmd()
        .args(["hotlist", "add"])
        .args(hot_flags("HOT123", "CITY-PD", "ROBBERY"))
        // The alert's hold lasts until the expiry plus retention: 2027-01-01.
        .args(["--expires", "2026-12-02T00:00:00Z", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(v["decision"], "allowed", "{v}");
    env.ingest(&read_line(
        "HOT123",
        "CO",
        "2026-11-29T11:00:00Z",
        "CAM-SECRET",
    ));
    let listed = alerts(&env, "CITY-PD", &[]).ok().json_lines();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["from_hold"], false);

    // Past retention, the epoch expired; the alert's hold still keeps the read.
    env.cmd()
        .args(["--now", AFTER_EXPIRY, "expire", "--json"])
        .run()
        .ok();
    let held = alerts(&env, "CITY-PD", &[]).ok().json_lines();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["from_hold"], true);
    assert_eq!(held[0]["camera"], "CAM-SECRET");
    let entries = env
        .cmd()
        .args(["hotlist", "list", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(
        entries["entries"],
        serde_json::json!([]),
        "the entry expired"
    );

    // Another agency may not release the hold (exit 3, audited, the hold stays).
    let (size, _) = env.log_head();
    let v = env
        .cmd()
        .args(["hold", "release", "--case", HOT_CASE])
        .args([
            "--requester",
            "AGENT-9",
            "--agency",
            "RIVER-COUNTY-SO",
            "--json",
        ])
        .run()
        .code(3)
        .json();
    assert_eq!(
        (v["decision"].as_str(), v["reason"].as_str()),
        (Some("denied"), Some("not_owner"))
    );
    assert_eq!(v["released"], false);
    assert_eq!(env.log_head().0, size + 1);
    let holds = env.cmd().args(["hold", "list", "--json"]).run().ok().json();
    assert_eq!(holds["holds"][0]["agency"], "CITY-PD", "{holds}");

    // The owner releases it: nothing the retention destroyed is shown any more.
    let v = env
        .cmd()
        .args(["hold", "release", "--case", HOT_CASE])
        .args(["--requester", "SGT-2", "--agency", "CITY-PD", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(v["released"], true, "{v}");
    let after = alerts(&env, "CITY-PD", &[]).ok();
    assert!(after.json_lines().is_empty());
    assert!(!after.stdout.contains("CAM-SECRET"));
    let text = env
        .cmd()
        .args([
            "alerts",
            "--case",
            HOT_CASE,
            "--requester",
            "DET-7",
            "--agency",
            "CITY-PD",
        ])
        .run()
        .ok();
    assert!(!text.stdout.contains("CAM-SECRET"), "{}", text.stdout);
    let clean = env
        .cmd_no_key()
        .args(["verify-deletion", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(clean["clean"], true, "{clean}");
}

#[test]
fn hotlist_remove_is_gated_and_needs_a_well_formed_id() {
    let env = city();
    let v = env
        .cmd()
        .args(["hotlist", "add"])
        .args(hot_flags("HOT555", "CITY-PD", "ROBBERY"))
        .args(["--expires", "2026-12-05T00:00:00Z", "--json"])
        .run()
        .ok()
        .json();
    let id = v["entry"]["entry_id"].as_str().expect("id").to_string();
    // Missing flags or a malformed id: refused by the parser.
    env.cmd()
        .args(["hotlist", "remove", "--entry", &id, "--json"])
        .run()
        .code(2);
    env.cmd()
        .args(["hotlist", "remove", "--entry", "HOT555"])
        .args(["--requester", "SGT-2", "--agency", "CITY-PD", "--json"])
        .run()
        .code(2);
    let (size, _) = env.log_head();
    let v = env
        .cmd()
        .args(["hotlist", "remove", "--entry", &id])
        .args([
            "--requester",
            "AGENT-9",
            "--agency",
            "RIVER-COUNTY-SO",
            "--json",
        ])
        .run()
        .code(3)
        .json();
    assert_eq!(v["reason"], "not_owner", "{v}");
    assert_eq!(v["removed"], false);
    assert_eq!(v["audit_seq"].as_u64(), Some(size));
    let listed = env
        .cmd()
        .args(["hotlist", "list", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(listed["entries"].as_array().map(Vec::len), Some(1));
    let v = env
        .cmd()
        .args(["hotlist", "remove", "--entry", &id.to_ascii_uppercase()])
        .args(["--requester", "SGT-2", "--agency", "city-pd", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(
        (v["decision"].as_str(), v["removed"].as_bool()),
        (Some("allowed"), Some(true))
    );
}
