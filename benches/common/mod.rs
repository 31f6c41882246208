//! What the criterion benches share: a store like the peers bench's, reads from the
//! simulated city, and search requests that the default policy allows.

#![allow(dead_code)]

use std::path::Path;

use platevault::model::epoch::Span;
use platevault::model::record::NewRead;
use platevault::sim::traffic::{SimConfig, Simulation};
use platevault::{
    CaseRequest, Durability, MasterKey, Policy, SearchRequest, StoreTuning, Timestamp, Vault,
    VaultOptions,
};

/// The end of the simulated month (a UTC midnight): the store's clock in every bench.
pub fn month_end() -> Timestamp {
    Timestamp::from_unix_secs(1_793_491_200) // 2026-11-01T00:00:00Z
}

/// The store's memory settings: `StoreTuning::default()`, except that
/// `PLATEVAULT_BENCH_EPOCH_BUFFER_MIB` sets the memtable size of an epoch (see
/// docs/benchmarks.md, "write stall").
pub fn tuning() -> StoreTuning {
    let mut t = StoreTuning::default();
    if let Some(mib) = std::env::var("PLATEVAULT_BENCH_EPOCH_BUFFER_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        t.epoch_write_buffer_bytes = mib << 20;
    }
    t
}

/// A simulation store under the default policy, its clock at [`month_end`].
pub fn vault(dir: &Path, durability: Durability) -> Vault {
    let key = MasterKey::generate().expect("master key");
    let options = VaultOptions::new()
        .durability(durability)
        .tuning(tuning())
        .simulated_clock(month_end());
    Vault::create(dir, &key, &Policy::default_policy(), &options).expect("create store")
}

/// `reads` reads of the simulated city spread over the `days` days before [`month_end`].
pub fn reads(reads: u64, days: u32, image_bytes: usize, seed: u64) -> Vec<NewRead> {
    Simulation::new(SimConfig::new(reads, days, month_end(), seed).image_bytes(image_bytes))
        .reads()
        .collect()
}

/// A search the default policy allows, by a requester of its own (the policy allows 60
/// searches per requester and hour, and the simulated clock does not move).
pub fn allowed(plate: &str, region: &str, n: u64) -> SearchRequest {
    SearchRequest {
        case: CaseRequest {
            plate: plate.into(),
            region: region.into(),
            case_number: "2026-001234".into(),
            offense: "ROBBERY".into(),
            purpose: "investigation".into(),
            requester: format!("DET-{n}"),
            agency: "CITY-PD".into(),
            ..CaseRequest::default()
        },
        with_images: false,
    }
}

/// A search the default policy denies (a prohibited purpose): a decision and a durable
/// audit entry, and no data read.
pub fn denied(plate: &str, region: &str, n: u64) -> SearchRequest {
    let mut r = allowed(plate, region, n);
    r.case.purpose = "immigration".into();
    r
}

/// One day.
pub const DAY: Span = Span::from_days(1);
