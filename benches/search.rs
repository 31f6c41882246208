//! Search over a 30-day window (30 daily epochs of the default policy), on a store pre-filled
//! once with a month of the simulated city's reads, and the audit path alone.
//!
//! - `search/end_to_end`: the whole `Vault::search` of one plate: policy decision,
//!   durable decision entry, 30 per-epoch lookups, opening, durable result entry;
//! - `search/lookup`: the same searches, timed by `SearchOutcome::lookup_time` (the lookup
//!   alone, audit excluded);
//! - `audit/denied_search`: a search the policy denies: a decision and one durable audit
//!   append (a Merkle leaf, its nodes, a signed checkpoint, fsync), and no data read.

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use platevault::Durability;

const READS: u64 = 200_000;

fn search(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = common::vault(&dir.path().join("store"), Durability::Buffered);
    let reads = common::reads(READS, 30, 0, 7);
    for batch in reads.chunks(1_000) {
        vault.ingest(batch.to_vec()).expect("ingest");
    }
    // Plates of reads at an even stride, as in the peers bench: vehicles as often as they
    // pass cameras.
    let plates: Vec<(String, String)> = reads
        .iter()
        .step_by(reads.len() / 250)
        .map(|r| (r.plate.clone(), r.region.clone()))
        .collect();
    drop(reads);
    let mut n = 0u64;

    let mut g = c.benchmark_group("search");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("end_to_end", |b| {
        b.iter(|| {
            n += 1;
            let (p, r) = &plates[n as usize % plates.len()];
            let out = vault.search(&common::allowed(p, r, n)).expect("search");
            assert!(out.is_allowed());
            out
        })
    });
    g.bench_function("lookup", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let (p, r) = &plates[n as usize % plates.len()];
                total += vault
                    .search(&common::allowed(p, r, n))
                    .expect("search")
                    .lookup_time;
            }
            total
        })
    });
    g.finish();

    let mut g = c.benchmark_group("audit");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("denied_search", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                n += 1;
                let (p, r) = &plates[n as usize % plates.len()];
                let out = vault.search(&common::denied(p, r, n)).expect("search");
                assert!(!out.is_allowed());
            }
            started.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
