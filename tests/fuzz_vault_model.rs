//! The stateful fuzz target `vault_model`, on stable Rust: every file of its committed corpus
//! (`fuzz/corpus/vault_model/`) and a few hundred inputs drawn from a fixed-seed generator
//! run through the very check the cargo-fuzz target runs
//! (`fuzz/fuzz_targets/vault_model_check.rs`, included here): operations on a simulation
//! store, with crashes injected at the named crash points, compared with a plain model after
//! every step (see that file for what is checked). `PLATEVAULT_FUZZ_MODEL_RUNS` sets how many
//! generated inputs run (default 150), `PLATEVAULT_FUZZ_MODEL_SEED` their seed. The long
//! fuzzing runs are documented in docs/reliability.md ("A model of the vault").

#[path = "../fuzz/fuzz_targets/vault_model_check.rs"]
mod vault_model_check;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use vault_model_check::{KINDS, Op, POINTS, check_vault_model, decode};

fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/vault_model");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no corpus at {}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).expect("read corpus file");
            (f, bytes)
        })
        .collect()
}

/// Runs the check on an input, turning a panic into its message.
fn run(input: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| check_vault_model(input))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// splitmix64: a fixed-seed source of inputs, the same on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn the_committed_corpus_covers_every_operation_and_every_crash_point() {
    let files = corpus();
    assert!(
        (10..=60).contains(&files.len()),
        "{} corpus files",
        files.len()
    );
    let mut kinds = [0usize; KINDS];
    let mut points = [0usize; POINTS.len()];
    for (_, bytes) in &files {
        for op in decode(bytes) {
            kinds[op.kind()] += 1;
            if let Op::Crash { point, .. } = op {
                points[usize::from(point)] += 1;
            }
        }
    }
    assert!(
        kinds.iter().all(|&n| n > 0),
        "operation kinds used: {kinds:?}"
    );
    assert!(
        points.iter().all(|&n| n > 0),
        "crash points used: {points:?}"
    );
}

#[test]
fn every_committed_corpus_file_agrees_with_the_model() {
    let mut failures = Vec::new();
    for (file, bytes) in corpus() {
        if let Err(msg) = run(&bytes) {
            failures.push(format!("{}: {msg}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generated_inputs_agree_with_the_model() {
    let runs = env_u64("PLATEVAULT_FUZZ_MODEL_RUNS", 150);
    let seed = env_u64("PLATEVAULT_FUZZ_MODEL_SEED", 20_261_203);
    let mut rng = SplitMix(seed);
    let mut failures = Vec::new();
    for i in 0..runs {
        let len = 8 + (rng.next() % 160) as usize;
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if let Err(msg) = run(&input) {
            failures.push(format!("input {i} (hex {}): {msg}", hex(&input)));
            if failures.len() >= 3 {
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
