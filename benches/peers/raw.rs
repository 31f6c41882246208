//! The floor: RocksDB with platevault's layout and memory settings, and nothing else.
//!
//! Same as `platevault::store` (the same `StoreTuning`): a column family per day; record keys
//! `R || 16 bytes || read id` with a 17-byte prefix extractor and prefix bloom filters in the
//! SST files (no whole-key filtering); images at `I || read id` in blob files; no compression;
//! one LRU block cache holding index and filter blocks, and one write buffer manager charged
//! to it (no stalls), shared by every column family; the same memtable size and 1 MiB arena
//! blocks per day; 2 background jobs. One deliberate difference: no memtable prefix bloom.
//! platevault sizes it at 10 % of each epoch's memtable, allocated when the memtable is
//! created, so 31 live epochs hold 31 × 3.2 MiB of blooms, over the 64 MiB write-buffer cap
//! on their own, and every write then makes RocksDB flush a memtable (see
//! docs/benchmarks.md, "flush storm"); the floor is RocksDB with this layout at its best. Where platevault puts the keyed tag, the plaintext `REGION:PLATE`
//! is padded to 16 bytes; the value is the record's plain encoding padded to the sealed size;
//! the image is stored as is. Left out on purpose, because they are privacy measures rather
//! than layout: the MANIFEST rolled at every change of the file set, paranoid checks, the
//! per-epoch key records, the read counters and the clock record written with each batch.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use platevault::StoreTuning;
use platevault::model::record::{ImageInfo, NewRead, RecordBody};
use rocksdb::{
    BlockBasedOptions, BoundColumnFamily, Cache, DBCompressionType, DBWithThreadMode,
    MultiThreaded, Options, ReadOptions, SliceTransform, WriteBatch, WriteBufferManager,
    WriteOptions,
};

use super::{DAYS, Engine, Result, SearchSample, month_end};

type Db = DBWithThreadMode<MultiThreaded>;

const PREFIX: usize = 17;

/// RocksDB with the same layout, without crypto, policy or audit.
pub struct RawEngine {
    db: Db,
    cache: Cache,
    tuning: StoreTuning,
    created: std::collections::BTreeSet<i64>,
    rng: u64,
}

fn day_of(micros: i64) -> i64 {
    micros.div_euclid(86_400_000_000)
}

fn cf_name(day: i64) -> String {
    format!("day-{day}")
}

impl RawEngine {
    /// Creates the database in `dir/db`.
    pub fn create(dir: &Path, tuning: StoreTuning) -> Result<Self> {
        let cache = Cache::new_lru_cache(tuning.block_cache_bytes);
        let wbm = WriteBufferManager::new_write_buffer_manager_with_cache(
            tuning.write_buffer_total_bytes,
            false,
            cache.clone(),
        );
        let mut o = Options::default();
        o.create_if_missing(true);
        o.set_write_buffer_manager(&wbm);
        o.set_max_background_jobs(2);
        o.set_bytes_per_sync(1 << 20);
        o.set_max_open_files(-1);
        o.set_max_total_wal_size(128 << 20);
        o.set_log_level(rocksdb::LogLevel::Warn);
        o.set_keep_log_file_num(4);
        o.set_compression_type(DBCompressionType::None);
        let db = Db::open(&o, dir.join("db"))?;
        Ok(RawEngine {
            db,
            cache,
            tuning,
            created: Default::default(),
            rng: 0x5EED,
        })
    }

    fn cf_options(&self) -> Options {
        let mut t = BlockBasedOptions::default();
        t.set_block_cache(&self.cache);
        t.set_cache_index_and_filter_blocks(true);
        t.set_pin_l0_filter_and_index_blocks_in_cache(true);
        t.set_bloom_filter(10.0, false);
        t.set_whole_key_filtering(false);
        let mut o = Options::default();
        o.set_compression_type(DBCompressionType::None);
        o.set_write_buffer_size(self.tuning.epoch_write_buffer_bytes);
        o.set_max_write_buffer_number(2);
        o.set_arena_block_size(1 << 20);
        o.set_prefix_extractor(SliceTransform::create_fixed_prefix(PREFIX));
        o.set_block_based_table_factory(&t);
        o.set_enable_blob_files(true);
        o.set_min_blob_size(self.tuning.min_blob_bytes);
        o.set_blob_file_size(256 << 20);
        o.set_blob_compression_type(DBCompressionType::None);
        o.set_enable_blob_gc(false);
        o.set_target_file_size_base(64 << 20);
        o
    }

    fn cf(&self, day: i64) -> Result<Arc<BoundColumnFamily<'_>>> {
        self.db
            .cf_handle(&cf_name(day))
            .ok_or_else(|| format!("no column family for day {day}").into())
    }

    fn read_id(&mut self) -> [u8; 16] {
        let mut id = [0u8; 16];
        for half in id.chunks_mut(8) {
            self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            half.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        id
    }
}

/// `R || REGION:PLATE padded to 16 bytes`.
pub fn plate_prefix(plate: &str, region: &str) -> [u8; PREFIX] {
    let mut k = [0u8; PREFIX];
    k[0] = b'R';
    let text = format!("{region}:{plate}");
    let n = text.len().min(16);
    k[1..1 + n].copy_from_slice(&text.as_bytes()[..n]);
    k
}

impl Engine for RawEngine {
    fn ingest(&mut self, batch: Vec<NewRead>) -> Result<()> {
        let mut wb = WriteBatch::default();
        for read in &batch {
            let at = read.captured_at.ok_or("read without a time")?;
            let day = day_of(at.as_micros());
            if self.created.insert(day) {
                let opts = self.cf_options();
                self.db.create_cf(cf_name(day), &opts)?;
            }
            let id = self.read_id();
            let cf = self.cf(day)?;
            let mut key = [0u8; 33];
            key[..PREFIX].copy_from_slice(&plate_prefix(&read.plate, &read.region));
            key[PREFIX..].copy_from_slice(&id);
            let body = RecordBody {
                captured_at: at,
                camera: read.camera.clone(),
                coords: read.lat.zip(read.lon),
                confidence: read.confidence,
                image: read.image.as_ref().map(|img| ImageInfo {
                    len: img.len() as u32,
                    sha256: [0; 32],
                }),
            };
            let mut value = body.encode();
            value.resize(value.len() + platevault::crypto::seal::SEAL_OVERHEAD, 0);
            wb.put_cf(&cf, key, &value);
            if let Some(img) = &read.image {
                let mut ikey = [0u8; 17];
                ikey[0] = b'I';
                ikey[1..].copy_from_slice(&id);
                wb.put_cf(&cf, ikey, img);
            }
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(false);
        self.db.write_opt(wb, &wo)?;
        Ok(())
    }

    fn search(&mut self, plate: &str, region: &str, _n: usize) -> Result<SearchSample> {
        let started = Instant::now();
        let prefix = plate_prefix(plate, region);
        let mut upper = prefix.to_vec();
        // The prefix's successor (the last byte is never 0xff: it is padding or ASCII).
        if let Some(last) = upper.last_mut() {
            *last += 1;
        }
        let first = day_of(month_end().as_micros()) - i64::from(DAYS);
        let mut found: Vec<Vec<u8>> = Vec::new();
        for day in first..first + i64::from(DAYS) {
            let Some(cf) = self.db.cf_handle(&cf_name(day)) else {
                continue;
            };
            let mut ro = ReadOptions::default();
            ro.set_iterate_upper_bound(upper.clone());
            ro.set_prefix_same_as_start(true);
            let mut it = self.db.raw_iterator_cf_opt(&cf, ro);
            it.seek(prefix);
            while it.valid() {
                match (it.key(), it.value()) {
                    (Some(k), Some(v)) if k.starts_with(&prefix) => found.push(v.to_vec()),
                    _ => break,
                }
                it.next();
            }
            it.status()?;
        }
        let took = started.elapsed();
        Ok(SearchSample {
            lookup: took,
            end_to_end: took,
            found: found.len(),
        })
    }

    fn expire_oldest_day(&mut self) -> Result<(Duration, Option<u64>)> {
        let oldest = *self.created.first().ok_or("nothing to expire")?;
        let started = Instant::now();
        self.db.drop_cf(&cf_name(oldest))?;
        let took = started.elapsed();
        self.created.remove(&oldest);
        Ok((took, None))
    }

    fn settings(&self) -> String {
        let t = &self.tuning;
        format!(
            "rocksdb crate, CF per day, R||REGION:PLATE(16)||id keys, prefix bloom, blob files >= {} B, no compression, block cache {} MiB and write buffer manager {} MiB shared, {} MiB memtables per day, WAL on, no sync, batches of 1,000; no hashing, encryption, policy or audit",
            t.min_blob_bytes,
            t.block_cache_bytes >> 20,
            t.write_buffer_total_bytes >> 20,
            t.epoch_write_buffer_bytes >> 20
        )
    }
}
