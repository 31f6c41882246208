//! Smoke tests of the benchmark commands at a tiny size: the output's shape and sanity only.
//! Nothing here times anything or asserts on speed (fixed costs dominate tiny runs, and the
//! machines are shared); the figures themselves are in docs/benchmarks.md.

#[path = "../benches/common/mod.rs"]
mod common;
#[path = "../benches/peers/mod.rs"]
mod peers;

use std::process::Command;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_peers_bench_accepts_cargos_bench_flag_and_its_own() {
    let o = peers::parse_args(&args(&[
        "--reads",
        "20000",
        "--image-bytes",
        "8192",
        "--json",
        "--bench",
    ]))
    .expect("parse")
    .expect("not help");
    assert_eq!(o.workload.reads, 20_000);
    assert_eq!(o.workload.image_bytes, 8192);
    assert!(o.json);
    let d = peers::parse_args(&args(&["--bench"]))
        .expect("parse")
        .expect("not help");
    assert_eq!(d.workload.reads, peers::DEFAULT_READS);
    assert!(
        peers::parse_args(&args(&["--help"]))
            .expect("help")
            .is_none()
    );
    assert!(peers::parse_args(&args(&["--frobnicate"])).is_err());
    assert!(peers::parse_args(&args(&["--reads"])).is_err());
}

fn check_peers_report(report: &peers::Report, reads: u64, image_bytes: usize) {
    let json: serde_json::Value =
        serde_json::from_str(&report.to_json().expect("json")).expect("one JSON object");
    assert_eq!(json["reads"], reads);
    assert_eq!(json["image_bytes"], image_bytes);
    let engines = json["engines"].as_object().expect("engines");
    assert_eq!(engines.len(), 3, "{engines:?}");
    let mut found = Vec::new();
    for name in ["platevault", "rocksdb_raw", "sqlite"] {
        let e = &engines[name];
        for field in [
            "ingest_reads_per_s",
            "ingest_mb_per_s",
            "search_p50_us",
            "search_p99_us",
            "expire_day_ms",
            "disk_bytes",
            "peak_rss_bytes",
        ] {
            let v = e[field]
                .as_f64()
                .unwrap_or_else(|| panic!("{name}.{field} missing"));
            assert!(v.is_finite() && v > 0.0, "{name}.{field} = {v}");
        }
        assert!(e["search_p99_us"].as_f64() >= e["search_p50_us"].as_f64());
        found.push(e["reads_found"].as_u64().expect("reads_found"));
    }
    assert!(found[0] > 0, "the searched plates have reads");
    assert!(
        found.iter().all(|&f| f == found[0]),
        "every engine returns the same reads: {found:?}"
    );
    let pv = &engines["platevault"];
    assert!(pv["search_e2e_p99_us"].as_f64() >= pv["search_p99_us"].as_f64());
    let day = pv["expire_day_reads"].as_u64().expect("reads expired");
    assert!(day > 0 && day < reads, "one day of reads expired: {day}");
    let ratios = json["ratios"].as_object().expect("ratios");
    for r in [
        "ingest_vs_raw",
        "ingest_vs_sqlite",
        "expire_vs_sqlite",
        "expire_vs_raw_drop",
        "search_p99_vs_raw",
    ] {
        let v = ratios[r]
            .as_f64()
            .unwrap_or_else(|| panic!("ratio {r} missing"));
        assert!(v.is_finite() && v > 0.0, "{r} = {v}");
    }
    let targets = json["targets"].as_array().expect("targets");
    assert!(targets.iter().all(|t| t["met"].is_boolean()));
    let table = report.to_table();
    for name in ["platevault", "rocksdb_raw", "sqlite", "ingest_vs_raw"] {
        assert!(table.contains(name), "{table}");
    }
}

#[test]
fn the_peers_bench_runs_three_engines_metadata_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workload = peers::Workload {
        reads: 2_000,
        image_bytes: 0,
        seed: 5,
        epoch_buffer_mib: None,
    };
    let report = peers::run_in_process(&workload, dir.path()).expect("peers");
    check_peers_report(&report, 2_000, 0);
}

#[test]
fn the_peers_bench_runs_three_engines_with_images() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workload = peers::Workload {
        reads: 1_000,
        image_bytes: 8_192,
        seed: 6,
        epoch_buffer_mib: None,
    };
    let report = peers::run_in_process(&workload, dir.path()).expect("peers");
    check_peers_report(&report, 1_000, 8_192);
}

#[test]
fn bench_retention_writes_json_markdown_and_charts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let output = Command::new(env!("CARGO_BIN_EXE_platevault"))
        .args([
            "bench-retention",
            "--policies",
            "12h:6h,72h,30d",
            "--days",
            "5",
            "--reads-per-day",
            "3000",
            "--searches-per-day",
            "200",
            "--json",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run platevault");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(stdout.trim().lines().count(), 1, "one JSON document");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(json["days"], 5);
    let policies = json["policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 3);
    for p in policies {
        let days = p["days"].as_array().expect("days");
        assert_eq!(days.len(), 5, "every policy here is simulated every day");
        for d in days {
            for field in [
                "live_reads",
                "disk_bytes",
                "info_log_bytes",
                "searchable_reads",
                "expiry_ms",
                "refused_for_age",
                "searches",
            ] {
                assert!(d[field].is_number(), "{field} in {d}");
            }
            assert!(d["disk_bytes"].as_u64() > Some(0));
            assert!(d["searchable_reads"].as_u64() <= d["live_reads"].as_u64());
        }
    }
    // Order by retention: 12h, 72h, 30d. At the end (12h and 72h are in steady state), a
    // shorter retention keeps no more data, reaches no more reads and refuses no fewer
    // searches. Data = disk minus RocksDB's info logs, which are capped (about 5 MB) and
    // written mostly by expiry runs, so that they favour the longer retention.
    let last = |p: &serde_json::Value, f: &str| {
        p["days"]
            .as_array()
            .and_then(|d| d.last())
            .and_then(|d| d[f].as_u64())
            .expect("figure")
    };
    let data = |p: &serde_json::Value| last(p, "disk_bytes") - last(p, "info_log_bytes");
    assert_eq!(policies[0]["steady_state"], true);
    assert_eq!(policies[1]["steady_state"], true);
    for w in policies.windows(2) {
        assert!(
            data(&w[0]) <= data(&w[1]),
            "{} vs {}",
            w[0]["policy"],
            w[1]["policy"]
        );
        assert!(last(&w[0], "searchable_reads") <= last(&w[1], "searchable_reads"));
        assert!(last(&w[0], "refused_for_age") >= last(&w[1], "refused_for_age"));
    }
    assert!(last(&policies[0], "refused_for_age") > last(&policies[2], "refused_for_age"));
    assert!(policies[0]["days"][4]["epochs_expired"].as_u64() > Some(0));

    for (file, marker) in [
        ("retention.json", "\"policies\""),
        ("retention.md", "| policy |"),
        ("disk.svg", "<svg"),
        ("searchable.svg", "<svg"),
    ] {
        let text = std::fs::read_to_string(out.join(file)).expect(file);
        assert!(text.len() > 200 && text.contains(marker), "{file}");
    }
    let svg = std::fs::read_to_string(out.join("disk.svg")).expect("svg");
    for label in ["12h:6h", "72h", "30d"] {
        assert!(svg.contains(label), "legend names {label}");
    }
}

#[test]
fn bench_retention_refuses_a_bad_policy_as_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_platevault"))
        .args(["bench-retention", "--policies", "3min:1d", "--json"])
        .output()
        .expect("run platevault");
    assert_eq!(output.status.code(), Some(2));
}
