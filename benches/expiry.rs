//! Expiry of one epoch: a fresh store per sample holding two days of reads under the default
//! policy (30 days, daily epochs); the clock moves to one day past the older day's retention
//! and the whole procedure runs (intent and audit entry, keys destroyed, column family
//! dropped, WALs retired by a flush, keys compacted, deletion certificate).
//!
//! `Vault::advance_clock` runs expiry as soon as an epoch is due, so the routine timed is
//! `advance_clock` (the expiry plus one synced clock record).

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use platevault::Durability;

fn expiry(c: &mut Criterion) {
    let mut g = c.benchmark_group("expiry");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for (name, reads_per_day, image_bytes) in [
        ("one_epoch/20k_reads", 20_000u64, 0usize),
        ("one_epoch/2k_reads_8k_images", 2_000, 8 << 10),
    ] {
        let reads = common::reads(2 * reads_per_day, 2, image_bytes, 3);
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().expect("tempdir");
                    let vault = common::vault(&dir.path().join("store"), Durability::Buffered);
                    for batch in reads.chunks(1_000) {
                        vault.ingest(batch.to_vec()).expect("ingest");
                    }
                    let _ = vault.take_expiry_log();
                    (dir, vault)
                },
                |(dir, vault)| {
                    // The older of the two days ends at month_end - 1 day: due 30 days later.
                    let due = common::month_end().plus(platevault::Span::from_days(29));
                    vault.advance_clock(due).expect("advance");
                    let log = vault.take_expiry_log();
                    assert_eq!(log.expired_epochs.len(), 1);
                    (dir, vault)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, expiry);
criterion_main!(benches);
