//! Batched ingest: 1,000 reads per `Vault::ingest` call, as a live city sends them (one day
//! of traffic, so one or two epochs per batch), reported in reads per second.
//!
//! - `metadata/buffered`: no image, `Durability::Buffered` (the peers bench's setting);
//! - `metadata/synced`: no image, `Durability::Sync` (the default: one fsync per batch);
//! - `image_8k/buffered`: an 8 KiB image per read.

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use platevault::Durability;

const BATCH: usize = 1_000;

fn ingest(c: &mut Criterion) {
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(BATCH as u64));
    for (name, image_bytes, durability) in [
        ("metadata/buffered", 0usize, Durability::Buffered),
        ("metadata/synced", 0, Durability::Sync),
        ("image_8k/buffered", 8 << 10, Durability::Buffered),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = common::vault(&dir.path().join("store"), durability);
        // 20 batches of one day's traffic, replayed round-robin (each read gets a new id).
        let reads = common::reads(20 * BATCH as u64, 1, image_bytes, 1);
        let batches: Vec<Vec<_>> = reads.chunks(BATCH).map(<[_]>::to_vec).collect();
        let mut next = 0usize;
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    next += 1;
                    batches[next % batches.len()].clone()
                },
                |batch| {
                    let report = vault.ingest(batch).expect("ingest");
                    assert_eq!(report.stored.len(), BATCH);
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
