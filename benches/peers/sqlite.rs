//! What an agency would build instead: SQLite with the same keyed hashing and sealing.
//!
//! One table, `reads(tag, epoch, read_id, record, image)`, indexed on `(tag, epoch)` and on
//! `epoch`; WAL mode, `synchronous=NORMAL` (no sync per commit, as the floor's "no sync"),
//! a page cache as large as platevault's block cache. Each day has its own hash key and data key
//! (held in memory: the peer gets its key management for free); the tag is
//! `HashKey::plate_tag` of the canonical region and plate, the record and image are sealed
//! with `SealKey::seal` bound to the same associated data as platevault's. Batches of 1,000
//! in one transaction; expiry is `DELETE FROM reads WHERE epoch = ?` and its commit.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use platevault::EpochWidth;
use platevault::crypto::seal::{Binding, HashKey, ReadId, SealKey, os_random};
use platevault::model::epoch::Epoch;
use platevault::model::plate::{Plate, Region};
use platevault::model::record::{ImageInfo, NewRead, RecordBody};
use rusqlite::{Connection, params};

use super::{DAYS, Engine, Result, SearchSample, month_end};

struct DayKeys {
    hash: HashKey,
    data: SealKey,
}

/// SQLite with platevault's hashing and sealing.
pub struct SqliteEngine {
    conn: Connection,
    keys: BTreeMap<Epoch, DayKeys>,
    cache_bytes: usize,
}

fn day_number(epoch: Epoch) -> i64 {
    epoch.start_secs().div_euclid(86_400)
}

impl SqliteEngine {
    /// Creates the database `dir/reads.sqlite`.
    pub fn create(dir: &Path, cache_bytes: usize) -> Result<Self> {
        let conn = Connection::open(dir.join("reads.sqlite"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // cache_size < 0 is in KiB.
        conn.pragma_update(None, "cache_size", -((cache_bytes >> 10) as i64))?;
        conn.execute_batch(
            "CREATE TABLE reads (
                 tag BLOB NOT NULL,
                 epoch INTEGER NOT NULL,
                 read_id BLOB NOT NULL,
                 record BLOB NOT NULL,
                 image BLOB
             );
             CREATE INDEX reads_by_tag ON reads(tag, epoch);
             CREATE INDEX reads_by_epoch ON reads(epoch);",
        )?;
        Ok(SqliteEngine {
            conn,
            keys: BTreeMap::new(),
            cache_bytes,
        })
    }

    fn keys_of(&mut self, epoch: Epoch) -> Result<&DayKeys> {
        match self.keys.entry(epoch) {
            std::collections::btree_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::btree_map::Entry::Vacant(e) => {
                let mut h = [0u8; 32];
                let mut d = [0u8; 32];
                os_random(&mut h)?;
                os_random(&mut d)?;
                Ok(e.insert(DayKeys {
                    hash: HashKey::from_bytes(h),
                    data: SealKey::from_bytes(&d),
                }))
            }
        }
    }
}

impl Engine for SqliteEngine {
    fn ingest(&mut self, batch: Vec<NewRead>) -> Result<()> {
        // Seal first (the same per-read work as platevault), then one transaction.
        let mut rows = Vec::with_capacity(batch.len());
        for read in batch {
            let plate = Plate::parse(&read.plate)?;
            let region = Region::parse(&read.region)?;
            let at = read.captured_at.ok_or("read without a time")?;
            let epoch = EpochWidth::DAILY.epoch_of(at);
            let keys = self.keys_of(epoch)?;
            let read_id = platevault::crypto::seal::random_read_id()?;
            let tag = keys.hash.plate_tag(&region, &plate);
            let body = RecordBody {
                captured_at: at,
                camera: read.camera,
                coords: read.lat.zip(read.lon),
                confidence: read.confidence,
                image: read.image.as_deref().map(ImageInfo::of),
            };
            let record = keys.data.seal(
                &Binding::Record {
                    epoch,
                    read_id,
                    tag,
                }
                .aad(),
                &body.encode(),
            )?;
            let image = match &read.image {
                Some(img) => Some(
                    keys.data
                        .seal(&Binding::Image { epoch, read_id }.aad(), img)?,
                ),
                None => None,
            };
            rows.push((tag, day_number(epoch), read_id, record, image));
        }
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO reads (tag, epoch, read_id, record, image) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (tag, day, id, record, image) in &rows {
                insert.execute(params![&tag.0[..], day, &id.0[..], record, image])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn search(&mut self, plate: &str, region: &str, _n: usize) -> Result<SearchSample> {
        let started = Instant::now();
        let plate = Plate::parse(plate)?;
        let region = Region::parse(region)?;
        let first = EpochWidth::DAILY
            .epoch_of(month_end().minus(platevault::Span::from_days(u64::from(DAYS))));
        let mut epoch = first;
        let mut found = Vec::new();
        let mut select = self
            .conn
            .prepare_cached("SELECT read_id, record FROM reads WHERE tag = ?1 AND epoch = ?2")?;
        for _ in 0..DAYS {
            if let Some(keys) = self.keys.get(&epoch) {
                let tag = keys.hash.plate_tag(&region, &plate);
                let mut rows = select.query(params![&tag.0[..], day_number(epoch)])?;
                while let Some(row) = rows.next()? {
                    let id: Vec<u8> = row.get(0)?;
                    let sealed: Vec<u8> = row.get(1)?;
                    let read_id = ReadId(id.as_slice().try_into()?);
                    let aad = Binding::Record {
                        epoch,
                        read_id,
                        tag,
                    }
                    .aad();
                    let body = RecordBody::decode(&keys.data.open(&aad, &sealed)?)?;
                    found.push((read_id, body));
                }
            }
            epoch = epoch.next();
        }
        found.sort_by_key(|(id, b)| (b.captured_at, *id));
        let took = started.elapsed();
        Ok(SearchSample {
            lookup: took,
            end_to_end: took,
            found: found.len(),
        })
    }

    fn expire_oldest_day(&mut self) -> Result<(Duration, Option<u64>)> {
        let (&oldest, _) = self.keys.first_key_value().ok_or("nothing to expire")?;
        let started = Instant::now();
        let tx = self.conn.transaction()?;
        let removed = tx.execute(
            "DELETE FROM reads WHERE epoch = ?1",
            params![day_number(oldest)],
        )?;
        tx.commit()?;
        let took = started.elapsed();
        self.keys.remove(&oldest);
        Ok((took, Some(removed as u64)))
    }

    fn settings(&self) -> String {
        format!(
            "SQLite {} (bundled), WAL, synchronous=NORMAL, {} MiB page cache (platevault's block cache), indexes on (tag, epoch) and epoch, platevault's keyed hashing and AES-256-GCM sealing with per-day keys, 1,000 rows per transaction, expiry = DELETE ... WHERE epoch = ?",
            rusqlite::version(),
            self.cache_bytes >> 20
        )
    }
}
