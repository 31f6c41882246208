//! platevault itself: a simulation store under the built-in default policy.

use std::path::Path;
use std::time::{Duration, Instant};

use platevault::model::epoch::Span;
use platevault::model::record::NewRead;
use platevault::{Durability, MasterKey, Policy, StoreTuning, Vault, VaultOptions};

use super::{Engine, Result, SearchSample, Workload, month_end};

/// A platevault store whose clock stands at the end of the simulated month.
pub struct PlatevaultEngine {
    vault: Vault,
    tuning: StoreTuning,
    days_expired: u64,
}

impl PlatevaultEngine {
    /// Creates the store in `dir/store`.
    pub fn create(dir: &Path, workload: &Workload) -> Result<Self> {
        let key = MasterKey::generate()?;
        let options = VaultOptions::new()
            .durability(Durability::Buffered)
            .tuning(workload.tuning())
            .simulated_clock(month_end());
        let vault = Vault::create(
            &dir.join("store"),
            &key,
            &Policy::default_policy(),
            &options,
        )?;
        Ok(PlatevaultEngine {
            vault,
            tuning: workload.tuning(),
            days_expired: 0,
        })
    }
}

impl Engine for PlatevaultEngine {
    fn ingest(&mut self, batch: Vec<NewRead>) -> Result<()> {
        let n = batch.len();
        let report = self.vault.ingest(batch)?;
        if report.stored.len() != n {
            return Err(format!(
                "platevault refused {} of {n} reads, first: {:?}",
                report.rejected.len(),
                report.rejected.first().map(|r| r.reason.to_string())
            )
            .into());
        }
        Ok(())
    }

    fn search(&mut self, plate: &str, region: &str, n: usize) -> Result<SearchSample> {
        // One requester per search: the default policy allows 60 per requester and hour.
        let request = crate::common::allowed(plate, region, n as u64);
        let started = Instant::now();
        let outcome = self.vault.search(&request)?;
        let end_to_end = started.elapsed();
        if !outcome.is_allowed() {
            return Err(format!("search denied: {}", outcome.reason_code()).into());
        }
        Ok(SearchSample {
            lookup: outcome.lookup_time,
            end_to_end,
            found: outcome.reads.len(),
        })
    }

    fn expire_oldest_day(&mut self) -> Result<(Duration, Option<u64>)> {
        let _ = self.vault.take_expiry_log();
        // Moving the clock one more day on makes the oldest epoch due; `advance_clock` runs
        // the whole expiry procedure before it returns (plus one synced clock write).
        self.days_expired += 1;
        let to = month_end().plus(Span::from_days(self.days_expired));
        let started = Instant::now();
        self.vault.advance_clock(to)?;
        let took = started.elapsed();
        let log = self.vault.take_expiry_log();
        if log.expired_epochs.len() != 1 {
            return Err(format!("expected one expired epoch, got {:?}", log.expired_epochs).into());
        }
        Ok((took, Some(log.reads_removed)))
    }

    fn settings(&self) -> String {
        let t = self.tuning;
        format!(
            "default policy (30d retention, daily epochs), Durability::Buffered (WAL on, no sync per batch; audit appends synced), block cache {} MiB, write buffers {} MiB shared, {} MiB per epoch",
            t.block_cache_bytes >> 20,
            t.write_buffer_total_bytes >> 20,
            t.epoch_write_buffer_bytes >> 20
        )
    }
}
