//! Issue 13, item 11: a refusal echoed a plate given as a JSON number (``invalid type:
//! integer `7291234` ``). No refusal may echo an input value of any type: numbers, strings,
//! booleans, arrays, objects, field names, time strings, paths. Checked here for every
//! refusal built from a parser's error on user input: JSON Lines ingest (by example for each
//! field and kind of value, and as a property over generated lines), policy files (a reads
//! file given as a policy), times and spans, ingest's own checks, hotlist import (JSON Lines
//! and CSV), and the command line's own argument errors (clap quotes what was typed).

mod support;

use std::path::Path;

use platevault::model::jsonl::parse_line;
use platevault::{Policy, Span, Timestamp};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::*;

/// Plate-like values, none of which appears in any message of platevault.
const PLATES: [&str; 3] = ["8VQM306", "7291234", "ZQXJW"];

/// A line with every field valid.
fn valid() -> serde_json::Map<String, Value> {
    let v = json!({
        "plate": "KBD1234", "region": "CO", "captured_at": "2026-11-29T08:00:00Z",
        "camera": "CAM-1", "lat": 39.7, "lon": -104.9, "confidence": 0.9,
    });
    v.as_object().cloned().expect("object")
}

/// Every way a value can be given: as a number (when it is digits), a string, a boolean
/// beside it, inside an array or an object.
fn shapes(value: &str) -> Vec<Value> {
    let mut out = vec![
        json!(value),
        json!([value]),
        json!({ "x": value }),
        json!([[value], { "y": [value] }]),
    ];
    if let Ok(n) = value.parse::<u64>() {
        out.push(json!(n));
        out.push(json!(-(n as i64)));
        out.push(json!(n as f64 + 0.5));
        out.push(json!([n]));
    }
    out
}

#[track_caller]
fn assert_no_echo(reason: &str, values: &[&str], what: &str) {
    for v in values {
        assert!(
            !reason.contains(v),
            "{what}: the refusal quotes `{v}`: {reason}"
        );
    }
}

fn refusal(text: &str) -> Option<String> {
    parse_line(text, Path::new("/nonexistent-platevault-base")).err()
}

#[test]
fn jsonl_refusals_never_quote_a_value_of_any_type_in_any_field() {
    let fields = [
        "plate",
        "region",
        "captured_at",
        "camera",
        "lat",
        "lon",
        "confidence",
        "image_b64",
        "image_path",
    ];
    let mut refused = 0;
    for plate in PLATES {
        for field in fields {
            for shape in shapes(plate) {
                let mut line = valid();
                line.insert(field.to_string(), shape.clone());
                let text = Value::Object(line).to_string();
                if let Some(reason) = refusal(&text) {
                    refused += 1;
                    assert_no_echo(&reason, &[plate], &format!("{field} = {shape}"));
                    assert!(
                        reason.contains(field) || field == "image_path",
                        "{field} = {shape}: the refusal does not name the field: {reason}"
                    );
                }
            }
            // The plate as a field name, with any value.
            let mut line = valid();
            line.insert(plate.to_string(), json!(1));
            let reason = refusal(&Value::Object(line).to_string()).expect("unknown field");
            assert_no_echo(&reason, &[plate], "as a field name");
        }
        // The plate as a whole line, and in broken JSON.
        for text in [
            plate.to_string(),
            format!("\"{plate}\""),
            format!("[{plate}]"),
            format!("{{\"plate\":\"{plate}\""),
            format!("{{\"plate\":{plate}x}}"),
            format!("{{\"plate\":\"{plate}\",}}"),
            format!("{{\"plate\" \"{plate}\"}}"),
            format!("{{{plate}:1}}"),
            format!("{{\"plate\":\"{plate}\",\"plate\":\"{plate}\"}}"),
        ] {
            let reason = refusal(&text).expect("refused");
            assert_no_echo(&reason, &[plate], &text);
        }
    }
    assert!(refused > 100, "only {refused} refusals were made");
    // The review's example, word for word.
    let reason = refusal(
        r#"{"plate":7291234,"region":"CO","captured_at":"2026-11-29T08:00:00Z","camera":"C1"}"#,
    )
    .expect("refused");
    assert_no_echo(&reason, &["7291234"], "plate as a number");
    assert!(
        reason.contains("plate") && reason.contains("number"),
        "{reason}"
    );
}

#[test]
fn an_image_path_named_after_a_plate_is_not_quoted() {
    let mut line = valid();
    line.insert("image_path".into(), json!("images/8VQM306.jpg"));
    let reason = refusal(&Value::Object(line).to_string()).expect("no such file");
    assert_no_echo(&reason, &["8VQM306"], "image_path");
    assert!(reason.starts_with("image_path"), "{reason}");
    let mut line = valid();
    line.insert("image_b64".into(), json!("8VQM306$$"));
    let reason = refusal(&Value::Object(line).to_string()).expect("bad base64");
    assert_no_echo(&reason, &["8VQM306", "$"], "image_b64");
}

/// A JSON value built from plate-like tokens, big numbers, booleans and nesting.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        "[A-Z]{2,4}[0-9]{3,5}".prop_map(Value::from),
        (100_000u64..u64::MAX).prop_map(Value::from),
        (100_000i64..i64::MAX).prop_map(|n| Value::from(-n)),
        (100_000u32..u32::MAX).prop_map(|n| Value::from(f64::from(n) + 0.25)),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[A-Z][A-Z0-9]{4,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A line: some of the real fields (valid or not) and some made-up keys.
fn line() -> impl Strategy<Value = (Value, bool)> {
    let field = prop::sample::select(vec![
        "plate",
        "region",
        "captured_at",
        "camera",
        "lat",
        "lon",
        "confidence",
        "image_b64",
        "image_path",
    ]);
    (
        prop::collection::vec((field, value()), 0..6),
        prop::collection::vec(("[A-Z0-9]{5,8}", value()), 0..2),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(fields, extra, start_valid, truncate)| {
            let mut obj = if start_valid {
                valid()
            } else {
                serde_json::Map::new()
            };
            for (k, v) in fields {
                obj.insert(k.to_string(), v);
            }
            for (k, v) in extra {
                obj.insert(k, v);
            }
            (Value::Object(obj), truncate)
        })
}

/// Every scalar's text in a value, keys included (what a refusal must never contain).
fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
        Value::Object(m) => {
            for (k, x) in m {
                if k.bytes()
                    .any(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    out.push(k.clone());
                }
                texts(x, out);
            }
        }
        _ => {}
    }
}

/// The fixed words of every refusal (field names, examples): a value that is one of them
/// (or inside one) proves nothing.
const VOCABULARY: &str = "plate region captured_at camera lat lon confidence image_b64 \
    image_path 2026-11-29T14:05:00Z RFC 3339 KBD1234 CAM-1 CO";

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// The same property as the `jsonl_line` fuzz target, on stable Rust: whatever the line,
    /// its refusal contains no value of it (a position such as "column 57" aside).
    #[test]
    fn no_generated_line_has_a_value_quoted_in_its_refusal((v, truncate) in line()) {
        let mut text = v.to_string();
        if truncate {
            text.truncate(text.len() * 2 / 3);
            while !text.is_char_boundary(text.len()) {
                text.pop();
            }
        }
        if let Some(reason) = refusal(&text) {
            let reason: String = strip_columns(&reason);
            let mut values = Vec::new();
            texts(&v, &mut values);
            for value in values {
                let checkable = value.len() >= 5
                    && value.chars().any(char::is_alphanumeric)
                    && !VOCABULARY.contains(value.as_str());
                prop_assert!(
                    !(checkable && reason.contains(&value)),
                    "the refusal of {} quotes `{}`: {}", text, value, reason
                );
            }
        }
    }
}

/// The refusal without positions (`column 57`): a number there is a place, not a value.
fn strip_columns(reason: &str) -> String {
    let mut out = String::new();
    let mut words = reason.split(' ').peekable();
    while let Some(w) = words.next() {
        out.push_str(w);
        out.push(' ');
        if w == "column" || w == "line" {
            words.next();
        }
    }
    out
}

#[test]
fn time_and_span_errors_do_not_repeat_the_text() {
    for text in ["8VQM306", "7291234", "2026-13-45T99:00:00Z"] {
        let e = Timestamp::parse_rfc3339(text).expect_err("not a time");
        assert_no_echo(&e.to_string(), &[text], "time");
        assert_no_echo(&format!("{e:?}"), &[text], "time (Debug)");
        let e = Span::parse(text).expect_err("not a span");
        assert_no_echo(&e.to_string(), &[text], "span");
        assert_no_echo(&format!("{e:?}"), &[text], "span (Debug)");
    }
}

#[test]
fn a_policy_file_refusal_never_quotes_its_lines() {
    let reads = concat!(
        r#"{"plate":"8VQM306","region":"CO","captured_at":"2026-11-29T08:00:00Z","camera":"C1"}"#,
        "\n"
    );
    let csv = "plate,region,case\n8VQM306,CO,2026-001234\n";
    for (text, values) in [
        (reads.to_string(), vec!["8VQM306"]),
        (csv.to_string(), vec!["8VQM306"]),
        ("agency = 8VQM306\n".to_string(), vec!["8VQM306"]),
        ("agency = \"CITY-PD\"\nretention = 7291234\n".into(), vec!["7291234"]),
        ("agency = \"CITY-PD\"\nretention = \"8VQM306\"\n".into(), vec!["8VQM306"]),
        ("agency = \"CITY-PD\"\nversion = \"8VQM306\"\n".into(), vec!["8VQM306"]),
        ("agency = \"CITY-PD\"\nprohibited_purposes = [\"8VQM306\"]\n".into(), vec!["8VQM306"]),
        ("agency = \"CITY-PD\"\nZQXJW99 = 1\n".into(), vec!["ZQXJW99"]),
        ("agency = \"CITY-PD\"\n8VQM306 = 1\n".into(), vec!["8VQM306"]),
        ("agency = \"CITY-PD\"\nagency = \"8VQM306\"\n".into(), vec!["8VQM306"]),
        (
            "agency = \"CITY-PD\"\n[[mou]]\nagency = \"X-SO\"\nvalid_from = \"8VQM306\"\nvalid_to = \"2027-01-01T00:00:00Z\"\noffenses = [\"HOMICIDE\"]\n".into(),
            vec!["8VQM306"],
        ),
    ] {
        let e = Policy::from_toml(&text).expect_err("refused");
        assert_no_echo(&e.to_string(), &values, &text);
    }
    // Still useful: the position and the kind of problem, and a misspelt field by name.
    let e = Policy::from_toml("agency = \"CITY-PD\"\nretention = 7291234\n").expect_err("type");
    assert!(e.to_string().contains("line 2"), "{e}");
    let e = Policy::from_toml("agency = \"CITY-PD\"\nretension = \"30d\"\n").expect_err("typo");
    assert!(e.to_string().contains("retension"), "{e}");
}

// ---------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------

#[track_caller]
fn assert_usage_refusal_is_clean(run: Run, values: &[&str]) {
    assert_eq!(
        run.code, 2,
        "`{}`: {}\n{}",
        run.what, run.stdout, run.stderr
    );
    assert_no_echo(&run.stderr, values, &run.what);
    assert_no_echo(&run.stdout, values, &run.what);
}

#[test]
fn command_line_errors_do_not_repeat_what_was_typed() {
    let env = Env::sim();
    let flags = case_flags("KBD1234", "CO");
    for json in [false, true] {
        let with_json = |c: Cmd| if json { c.arg("--json") } else { c };
        // A plate typed without its flag.
        let run = with_json(env.cmd().arg("search").arg("8VQM306").args(&flags)).run();
        assert_usage_refusal_is_clean(run, &["8VQM306"]);
        // A plate typed where a time goes.
        for flag in ["--from", "--to"] {
            let run = with_json(env.cmd().arg("search").args(&flags).args([flag, "8VQM306"])).run();
            assert_usage_refusal_is_clean(run, &["8VQM306"]);
        }
        let run = with_json(env.cmd().args(["--now", "7291234", "expire"])).run();
        assert_usage_refusal_is_clean(run, &["7291234"]);
        let run = with_json(
            env.cmd()
                .args(["hold", "add"])
                .args(&flags)
                .args(["--until", "8VQM306"]),
        )
        .run();
        assert_usage_refusal_is_clean(run, &["8VQM306"]);
        // A value that is not one of a flag's choices, a number flag, a subcommand.
        let run = with_json(env.cmd().args(["audit", "report", "--format", "8VQM306"])).run();
        assert_usage_refusal_is_clean(run, &["8VQM306"]);
        let run = with_json(
            env.bare()
                .args(["simulate", "--reads", "8VQM306", "--days", "1"]),
        )
        .run();
        assert_usage_refusal_is_clean(run, &["8VQM306"]);
        let run = with_json(env.bare().arg("8VQM306")).run();
        assert_usage_refusal_is_clean(run, &["8VQM306"]);
        let run = with_json(
            env.bare()
                .args(["bench-retention", "--policies", "8VQM306"]),
        )
        .run();
        assert_usage_refusal_is_clean(run, &["8VQM306"]);
        // A flag with a value glued on.
        let run = with_json(env.cmd().arg("search").args(&flags).arg("--plat=8VQM306")).run();
        assert_usage_refusal_is_clean(run, &["8VQM306"]);
    }
    // A misspelt flag is still named, with the suggestion.
    let run = env
        .cmd()
        .arg("search")
        .args(&flags)
        .arg("--justificaton")
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--justificaton"), "{}", run.stderr);
    assert!(run.stderr.contains("--justification"), "{}", run.stderr);
    // And a time error still says what a time looks like.
    let run = env
        .cmd()
        .arg("search")
        .args(&flags)
        .args(["--from", "8VQM306"])
        .run();
    assert!(run.stderr.contains("--from"), "{}", run.stderr);
    assert!(run.stderr.contains("RFC 3339"), "{}", run.stderr);
}

#[test]
fn ingest_hotlist_import_and_policy_apply_refusals_do_not_repeat_values() {
    let env = Env::sim();
    // The review's example through the binary.
    let v = env.ingest(concat!(
        r#"{"plate":7291234,"region":"CO","captured_at":"2026-11-29T08:00:00Z","camera":"C1"}"#,
        "\n",
        r#"{"plate":"8VQM306","region":"CO","captured_at":"2027-11-29T08:00:00Z","camera":"C1"}"#,
        "\n",
        r#"{"plate":"8VQM306","region":"CO","captured_at":"2026-11-29T08:00:00","camera":"C1"}"#,
        "\n",
    ));
    let rejected = v["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 3, "{v}");
    assert_no_echo(
        &v.to_string(),
        &["7291234", "8VQM306", "2027-11-29", "2026-11-29T08:00:00"],
        "ingest --json",
    );

    // Hotlist import, JSON Lines and CSV.
    let lines = concat!(
        r#"{"plate":7291234,"region":"CO","case":"2026-001234","offense":"ROBBERY","purpose":"investigation","requester":"DET-7","agency":"CITY-PD","expires":"2026-12-05T00:00:00Z"}"#,
        "\n",
        r#"{"plate":"8VQM306","region":"CO","case":"2026-001234","offense":"ROBBERY","purpose":"investigation","requester":"DET-7","agency":"CITY-PD","expires":"ZQXJW77"}"#,
        "\n",
        r#"{"plate":"8VQM306","ZQXJW88":"x","region":"CO"}"#,
        "\n",
    );
    let path = env.write("hot.jsonl", lines);
    let run = env
        .cmd()
        .args(["hotlist", "import"])
        .arg(&path)
        .arg("--json")
        .run();
    let v = run.json();
    assert_eq!(v["rejected"].as_array().map(Vec::len), Some(3), "{v}");
    assert_no_echo(
        &v.to_string(),
        &["7291234", "8VQM306", "ZQXJW77", "ZQXJW88"],
        "hotlist import",
    );
    let csv = "plate,region,case,offense,purpose,requester,agency,expires,ZQXJW99\n\
               8VQM306,CO,2026-001234,ROBBERY,investigation,DET-7,CITY-PD,2026-12-05T00:00:00Z,x\n\
               8VQM306,CO,2026-001234,ROBBERY,investigation,DET-7,CITY-PD,ZQXJW77\n";
    let csv_header_ok = "plate,region,case,offense,purpose,requester,agency,expires\n\
               8VQM306,CO,2026-001234,ROBBERY,investigation,DET-7,CITY-PD,ZQXJW77\n";
    for (name, body) in [("hot.csv", csv), ("hot2.csv", csv_header_ok)] {
        let path = env.write(name, body);
        let run = env
            .cmd()
            .args(["hotlist", "import"])
            .arg(&path)
            .arg("--json")
            .run();
        let v = run.json();
        assert!(
            !v["rejected"].as_array().expect("rejected").is_empty(),
            "{v}"
        );
        assert_no_echo(&v.to_string(), &["8VQM306", "ZQXJW77", "ZQXJW99"], name);
        assert_no_echo(&run.stderr, &["8VQM306", "ZQXJW77", "ZQXJW99"], name);
    }

    // A reads file given as a policy, to `policy apply` and to `init --policy`.
    let reads = env.write(
        "reads.jsonl",
        concat!(
            r#"{"plate":"8VQM306","region":"CO","captured_at":"2026-11-29T08:00:00Z","camera":"C1"}"#,
            "\n"
        ),
    );
    for json in [false, true] {
        let mut c = env.cmd().args(["policy", "apply"]).arg(&reads);
        if json {
            c = c.arg("--json");
        }
        let run = c.run();
        assert_ne!(run.code, 0);
        assert_no_echo(&run.stderr, &["8VQM306"], "policy apply");
        assert_no_echo(&run.stdout, &["8VQM306"], "policy apply");
        let other = Env::new();
        let run = other
            .cmd()
            .args(["--now", CLI_T0, "init", "--policy"])
            .arg(&reads)
            .run();
        assert_ne!(run.code, 0);
        assert_no_echo(&run.stderr, &["8VQM306"], "init --policy");
    }
}
