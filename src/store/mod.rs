//! The ground floor: RocksDB, configured so that an epoch can vanish without a trace.
//!
//! This module knows column families, keys and bytes; it knows nothing of plates, crypto or
//! policy. What it guarantees:
//!
//! - **One column family per epoch** (`epoch-<start>`), images in that family's blob files,
//!   so that expiry is a `drop_cf`: O(1) in the number of reads, and the files go with it.
//! - **Bounded memory however many epochs are live**: one LRU block cache and one write
//!   buffer manager shared by every column family; index and filter blocks live in the cache.
//! - **No stray copies**: no compression (sealed bytes do not compress, and a compressed copy
//!   would hide from a byte scan), no WAL archive (`WAL_ttl_seconds = 0`,
//!   `WAL_size_limit_MB = 0`), no log recycling, a cap on info logs, a new MANIFEST at every
//!   change of the file set (the old one, with the boundary keys of dropped files, is
//!   deleted), [`Store::flush_all`] to flush every memtable (so old WAL files are deleted)
//!   and [`Store::compact_fully`] to force a bottommost compaction of a column family (so
//!   tombstoned values leave its SST files); both confirm from the live file list and the
//!   directory that the files which held deleted data are gone, since RocksDB's manual
//!   compaction reports no status through the crate.
//! - **Crash recovery** in `kTolerateCorruptedTailRecords` mode: a torn WAL tail from a killed
//!   process is dropped; corruption anywhere else is an error, never silent loss.

pub mod header;
pub mod layout;
pub(crate) mod lock;
pub mod perms;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use rocksdb::{
    BlockBasedOptions, BottommostLevelCompaction, BoundColumnFamily, Cache, ColumnFamilyDescriptor,
    CompactOptions, DBCompressionType, DBRecoveryMode, DBWithThreadMode, FlushOptions, LiveFile,
    MultiThreaded, Options, ReadOptions, SliceTransform, WriteBatch, WriteBufferManager,
    WriteOptions,
};

use crate::error::{Error, Result};
use layout::{EPOCH_CF_PREFIX, FIXED_CFS, RECORD_PREFIX_LEN};

type Db = DBWithThreadMode<MultiThreaded>;

/// Memory budget of a store. Shared by every column family, so it does not grow with the
/// number of live epochs.
#[derive(Clone, Copy, Debug)]
pub struct StoreTuning {
    /// The one LRU cache of every column family: data, index and filter blocks, and the
    /// memtables too, which the write buffer manager charges to it. It is the store's memory
    /// budget for data and must exceed `write_buffer_total_bytes`.
    pub block_cache_bytes: usize,
    /// Cap on all memtables together; past it RocksDB flushes the largest.
    pub write_buffer_total_bytes: usize,
    /// Memtable size of one epoch's column family.
    pub epoch_write_buffer_bytes: usize,
    /// Values at least this large (images) go to blob files.
    pub min_blob_bytes: u64,
}

impl Default for StoreTuning {
    fn default() -> Self {
        StoreTuning {
            block_cache_bytes: 128 << 20,
            write_buffer_total_bytes: 64 << 20,
            epoch_write_buffer_bytes: 32 << 20,
            min_blob_bytes: 2048,
        }
    }
}

/// Whether a write is on disk (fsync) before it returns.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Durability {
    /// The write-ahead log is synced before the write returns: survives power loss.
    #[default]
    Sync,
    /// The write reaches the operating system before it returns: survives a killed process,
    /// not a power cut.
    Buffered,
}

/// How a store is opened.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    /// Normal use; one process at a time.
    ReadWrite,
    /// Readers that append nothing (audit verification, deletion verification); may run
    /// while another process holds the store.
    ReadOnly,
}

/// The RocksDB database of a store.
pub struct Store {
    db: Db,
    path: PathBuf,
    access: Access,
    tuning: StoreTuning,
    cache: Cache,
    /// The memtables' shared budget (charged to `cache`); held for the database's life.
    _wbm: WriteBufferManager,
    cf_names: RwLock<BTreeSet<String>>,
    /// Set when a write failed for want of space: RocksDB then refuses every write until its
    /// own recovery (polled every 5 seconds once space returns) clears the error.
    out_of_space: AtomicBool,
    /// Test hook (see [`Store::set_fault_hook`]).
    fault_hook: Option<FaultHook>,
}

/// A test hook: called with a named point, returns true to make the store misbehave there
/// (see the `points` module).
pub type FaultHook = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Named points of the store's test hook.
pub(crate) mod points {
    /// Prefix of the point at which a forced compaction is skipped (`+ family name`).
    pub const COMPACTION_DROPPED: &str = "store:compaction-dropped:";
}

/// How long a purge waits for RocksDB to delete files it has retired: polls of
/// [`CONFIRM_POLL`], at most [`CONFIRM_PATIENCE`] of them (two seconds).
const CONFIRM_POLL: std::time::Duration = std::time::Duration::from_millis(20);
/// See [`CONFIRM_POLL`].
const CONFIRM_PATIENCE: u32 = 100;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("access", &self.access)
            .finish()
    }
}

impl Store {
    /// Creates a new database at `path` (which must not hold one).
    pub fn create(path: &Path, tuning: StoreTuning) -> Result<Store> {
        let (cache, wbm) = shared_resources(&tuning);
        let mut db_opts = db_options(&wbm)?;
        db_opts.create_if_missing(true);
        db_opts.set_error_if_exists(true);
        db_opts.create_missing_column_families(true);
        // The `default` family (unused) is named too, with a small memtable: RocksDB sizes
        // its WAL preallocation, and the free space it needs before it resumes after a full
        // disk, from the largest memtable of any family (64 MiB if left to its default).
        let cfs = std::iter::once("default")
            .chain(FIXED_CFS.iter().copied())
            .map(|name| ColumnFamilyDescriptor::new(name, small_cf_options(&cache)))
            .collect::<Vec<_>>();
        let db = Db::open_cf_descriptors(&db_opts, path, cfs)?;
        Ok(Store {
            db,
            path: path.to_path_buf(),
            access: Access::ReadWrite,
            tuning,
            cache,
            _wbm: wbm,
            cf_names: RwLock::new(FIXED_CFS.iter().map(|s| s.to_string()).collect()),
            out_of_space: AtomicBool::new(false),
            fault_hook: None,
        })
    }

    /// Opens an existing database with every column family it has.
    pub fn open(path: &Path, tuning: StoreTuning, access: Access) -> Result<Store> {
        let (cache, wbm) = shared_resources(&tuning);
        let db_opts = db_options(&wbm)?;
        let names = Db::list_cf(&db_opts, path).map_err(unopenable)?;
        let cfs = names
            .iter()
            .map(|name| {
                let opts = if name.starts_with(EPOCH_CF_PREFIX) {
                    epoch_cf_options(&cache, &tuning)
                } else {
                    small_cf_options(&cache)
                };
                ColumnFamilyDescriptor::new(name, opts)
            })
            .collect::<Vec<_>>();
        let db = match access {
            Access::ReadWrite => Db::open_cf_descriptors(&db_opts, path, cfs),
            Access::ReadOnly => Db::open_cf_descriptors_read_only(&db_opts, path, cfs, false),
        }
        .map_err(unopenable)?;

        let missing: Vec<&str> = FIXED_CFS
            .iter()
            .copied()
            .filter(|f| !names.iter().any(|n| n == f))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Damaged(format!(
                "the database lacks the column families {missing:?}"
            )));
        }
        Ok(Store {
            db,
            path: path.to_path_buf(),
            access,
            tuning,
            cache,
            _wbm: wbm,
            cf_names: RwLock::new(names.into_iter().filter(|n| n != "default").collect()),
            out_of_space: AtomicBool::new(false),
            fault_hook: None,
        })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cf(&self, name: &str) -> Result<Arc<BoundColumnFamily<'_>>> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| Error::Damaged(format!("column family {name} is missing")))
    }

    /// A handle to a column family, for many writes into it ([`StoreBatch::put_in`]).
    pub fn family(&self, name: &str) -> Result<Arc<BoundColumnFamily<'_>>> {
        self.cf(name)
    }

    /// True if the column family exists.
    pub fn has_cf(&self, name: &str) -> bool {
        self.cf_names
            .read()
            .map(|s| s.contains(name))
            .unwrap_or(false)
    }

    /// Names of every epoch column family, oldest first (names sort by time).
    pub fn epoch_cf_names(&self) -> Vec<String> {
        self.cf_names
            .read()
            .map(|s| {
                s.iter()
                    .filter(|n| n.starts_with(EPOCH_CF_PREFIX))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Creates an epoch's column family (with the shared cache and write buffer manager).
    pub fn create_epoch_cf(&self, name: &str) -> Result<()> {
        let mut names = self.cf_names.write().map_err(|_| poisoned("cf_names"))?;
        if names.contains(name) {
            return Ok(());
        }
        self.db
            .create_cf(name, &epoch_cf_options(&self.cache, &self.tuning))?;
        names.insert(name.to_string());
        Ok(())
    }

    /// Drops a column family. Its files are deleted once no handle to it remains; callers
    /// must hold no `BoundColumnFamily` of it (the vault's epoch lock guarantees that).
    pub fn drop_cf(&self, name: &str) -> Result<()> {
        let mut names = self.cf_names.write().map_err(|_| poisoned("cf_names"))?;
        if !names.contains(name) {
            return Ok(());
        }
        self.db.drop_cf(name)?;
        names.remove(name);
        Ok(())
    }

    /// Reads one value.
    pub fn get(&self, cf: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let cf = self.cf(cf)?;
        Ok(self.db.get_cf(&cf, key)?)
    }

    /// Starts a write batch; nothing is written until [`Store::write`].
    pub fn batch(&self) -> StoreBatch<'_> {
        StoreBatch {
            store: self,
            batch: WriteBatch::default(),
            ops: 0,
        }
    }

    /// Writes a batch atomically.
    pub fn write(&self, batch: StoreBatch<'_>, durability: Durability) -> Result<()> {
        if self.access == Access::ReadOnly {
            return Err(Error::ReadOnly);
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(durability == Durability::Sync);
        if self.out_of_space.load(Ordering::Acquire) {
            self.await_space_recovery(&wo)?;
        }
        match self.db.write_opt(batch.batch, &wo) {
            Ok(()) => Ok(()),
            Err(e) => {
                if is_no_space(&e) {
                    self.out_of_space.store(true, Ordering::Release);
                }
                Err(e.into())
            }
        }
    }

    /// After a write failed on a full disk, RocksDB stops all writes until its error
    /// recovery, which polls for free space every 5 seconds, resumes it. Once the disk has
    /// room again, wait for that (an empty write says when) rather than fail; while the disk
    /// is still full, fail at once.
    fn await_space_recovery(&self, wo: &WriteOptions) -> Result<()> {
        /// RocksDB polls every 5 s; give it one more poll's worth of slack.
        const PATIENCE: std::time::Duration = std::time::Duration::from_secs(11);
        let started = std::time::Instant::now();
        loop {
            match self.db.write_opt(WriteBatch::default(), wo) {
                Ok(()) => {
                    self.out_of_space.store(false, Ordering::Release);
                    return Ok(());
                }
                Err(e) if !is_no_space(&e) => return Err(e.into()),
                Err(e) => {
                    if free_bytes(&self.path) < SPACE_TO_RESUME || started.elapsed() > PATIENCE {
                        return Err(e.into());
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
        }
    }

    /// Calls `f` for every key that starts with `prefix`, in key order, until it returns false.
    pub fn scan_prefix(
        &self,
        cf: &str,
        prefix: &[u8],
        mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let handle = self.cf(cf)?;
        let mut ro = ReadOptions::default();
        if let Some(upper) = prefix_successor(prefix) {
            ro.set_iterate_upper_bound(upper);
        }
        // Searches seek on exactly the extractor's prefix: let the prefix bloom filters skip
        // the files that cannot hold it.
        ro.set_prefix_same_as_start(prefix.len() == RECORD_PREFIX_LEN);
        let mut it = self.db.raw_iterator_cf_opt(&handle, ro);
        it.seek(prefix);
        while it.valid() {
            let (Some(k), Some(v)) = (it.key(), it.value()) else {
                break;
            };
            if !k.starts_with(prefix) || !f(k, v)? {
                return Ok(());
            }
            it.next();
        }
        it.status()?;
        Ok(())
    }

    /// Calls `f` for every key in `[from, to)`, in key order, until it returns false.
    pub fn scan_range(
        &self,
        cf: &str,
        from: &[u8],
        to: &[u8],
        mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let handle = self.cf(cf)?;
        let mut ro = ReadOptions::default();
        ro.set_iterate_upper_bound(to.to_vec());
        ro.set_total_order_seek(true);
        let mut it = self.db.raw_iterator_cf_opt(&handle, ro);
        it.seek(from);
        while it.valid() {
            let (Some(k), Some(v)) = (it.key(), it.value()) else {
                break;
            };
            if !f(k, v)? {
                return Ok(());
            }
            it.next();
        }
        it.status()?;
        Ok(())
    }

    /// Reads many values of one column family at once (RocksDB's batched MultiGet), in the
    /// order of `keys`, which must be sorted: `f(index, value)` for each.
    pub fn get_sorted(
        &self,
        cf: &str,
        keys: &[Vec<u8>],
        mut f: impl FnMut(usize, Option<&[u8]>) -> Result<()>,
    ) -> Result<()> {
        let handle = self.cf(cf)?;
        for (i, value) in self
            .db
            .batched_multi_get_cf(&handle, keys.iter(), true)
            .into_iter()
            .enumerate()
        {
            f(i, value?.as_deref())?;
        }
        Ok(())
    }

    /// The first key (and its value) in `[from, to)`, if any.
    pub fn first_in_range(
        &self,
        cf: &str,
        from: &[u8],
        to: &[u8],
    ) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let mut found = None;
        self.scan_range(cf, from, to, |k, v| {
            found = Some((k.to_vec(), v.to_vec()));
            Ok(false)
        })?;
        Ok(found)
    }

    /// The last key (and its value) in `[from, to)`, if any.
    pub fn last_in_range(
        &self,
        cf: &str,
        from: &[u8],
        to: &[u8],
    ) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let handle = self.cf(cf)?;
        let mut ro = ReadOptions::default();
        ro.set_total_order_seek(true);
        ro.set_iterate_lower_bound(from.to_vec());
        let mut it = self.db.raw_iterator_cf_opt(&handle, ro);
        it.seek_for_prev(to);
        while it.valid() {
            match (it.key(), it.value()) {
                (Some(k), _) if k >= to => it.prev(),
                (Some(k), Some(v)) if k >= from => return Ok(Some((k.to_vec(), v.to_vec()))),
                _ => break,
            }
        }
        it.status()?;
        Ok(None)
    }

    /// The greatest key that starts with `prefix`, if any.
    pub fn last_key_with_prefix(&self, cf: &str, prefix: &[u8]) -> Result<Option<Vec<u8>>> {
        let handle = self.cf(cf)?;
        let mut ro = ReadOptions::default();
        ro.set_total_order_seek(true);
        let mut it = self.db.raw_iterator_cf_opt(&handle, ro);
        match prefix_successor(prefix) {
            Some(upper) => it.seek_for_prev(&upper),
            None => it.seek_to_last(),
        }
        // seek_for_prev lands on the last key <= upper; upper itself is not in the prefix.
        while it.valid() {
            match it.key() {
                Some(k) if k.starts_with(prefix) => return Ok(Some(k.to_vec())),
                Some(k) if k > prefix => it.prev(),
                _ => break,
            }
        }
        it.status()?;
        Ok(None)
    }

    /// Flushes every memtable (so that RocksDB deletes the write-ahead logs that held them)
    /// and waits for it, then confirms from the directory that the logs it retired are gone
    /// ([`Error::PurgeUnconfirmed`] if one stays).
    pub fn flush_all(&self) -> Result<()> {
        let logs_before = self.wal_numbers()?;
        self.flush_all_unconfirmed()?;
        self.confirm_wals_retired(&logs_before)
    }

    fn flush_all_unconfirmed(&self) -> Result<()> {
        // Held to the end: no column family is dropped (or created) while it is flushed, so
        // the flush never meets a dropped family and never holds a handle past a drop.
        let names = self.cf_names.read().map_err(|_| poisoned("cf_names"))?;
        let handles = names
            .iter()
            .map(|n| self.cf(n))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Arc<BoundColumnFamily<'_>>> = handles.iter().collect();
        let mut fo = FlushOptions::default();
        fo.set_wait(true);
        self.db.flush_cfs_opt(&refs, &fo)?;
        drop(handles);
        drop(names);
        Ok(())
    }

    /// Rewrites a column family's files from scratch: flush its memtable, then a forced
    /// bottommost compaction, after which deleted values and their tombstones are gone.
    ///
    /// RocksDB's manual compaction returns no status through the `rocksdb` crate, so the
    /// result is confirmed instead: every SST file the family had after the flush (the files
    /// that may hold the deleted values) must have left the live file list and the
    /// directory. If one has not, this returns [`Error::PurgeUnconfirmed`] and the caller
    /// certifies nothing (a purge mark stays, to be completed at the next open).
    pub fn compact_fully(&self, cf: &str) -> Result<()> {
        let _names = self.cf_names.read().map_err(|_| poisoned("cf_names"))?;
        let handle = self.cf(cf)?;
        let mut fo = FlushOptions::default();
        fo.set_wait(true);
        self.db.flush_cf_opt(&handle, &fo)?;
        let held = self.cf_file_names(cf)?;
        let dropped = self
            .fault_hook
            .as_ref()
            .is_some_and(|hook| hook(&format!("{}{cf}", points::COMPACTION_DROPPED)));
        if !dropped {
            let mut co = CompactOptions::default();
            co.set_exclusive_manual_compaction(true);
            co.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
            self.db
                .compact_range_cf_opt(&handle, None::<&[u8]>, None::<&[u8]>, &co);
        }
        drop(handle);
        self.confirm_files_gone(cf, &held)
    }

    /// Waits (briefly) until none of `held` (SST names of `cf`, as `live_files` spells them)
    /// is live or on disk. A file still live was not rewritten: that will not change, so it
    /// fails at once. A file no longer live but still on disk is pinned by an open iterator
    /// and goes when it is released; a bounded wait, then failure.
    fn confirm_files_gone(&self, cf: &str, held: &[String]) -> Result<()> {
        let mut waited = 0u32;
        loop {
            let live: BTreeSet<String> = self.cf_file_names(cf)?.into_iter().collect();
            let still_live: Vec<String> =
                held.iter().filter(|f| live.contains(*f)).cloned().collect();
            if !still_live.is_empty() {
                return Err(Error::PurgeUnconfirmed {
                    what: format!("column family {cf}"),
                    files: still_live,
                });
            }
            let on_disk: Vec<String> = held
                .iter()
                .filter(|f| self.path.join(f.trim_start_matches('/')).exists())
                .cloned()
                .collect();
            if on_disk.is_empty() {
                return Ok(());
            }
            if waited >= CONFIRM_PATIENCE {
                return Err(Error::PurgeUnconfirmed {
                    what: format!("column family {cf}"),
                    files: on_disk,
                });
            }
            waited += 1;
            std::thread::sleep(CONFIRM_POLL);
        }
    }

    /// The numbers of the write-ahead log files (`NNNNNN.log`) in the database directory.
    fn wal_numbers(&self) -> Result<BTreeSet<u64>> {
        let entries = std::fs::read_dir(&self.path).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })?;
        let mut out = BTreeSet::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".log"))
                .and_then(|n| n.parse::<u64>().ok())
            {
                out.insert(n);
            }
        }
        Ok(out)
    }

    /// After a flush of every family: if it switched to a new log, every log from before it
    /// held only flushed data and must be gone (RocksDB deletes it once the flush is
    /// installed; a bounded wait for that). If it did not switch (every memtable was empty),
    /// the log in use holds nothing unflushed and stays.
    fn confirm_wals_retired(&self, before: &BTreeSet<u64>) -> Result<()> {
        let Some(&newest_before) = before.last() else {
            return Ok(());
        };
        let mut waited = 0u32;
        loop {
            let after = self.wal_numbers()?;
            if after.last().is_none_or(|&n| n <= newest_before) {
                return Ok(());
            }
            let stale: Vec<String> = before
                .intersection(&after)
                .map(|n| format!("/{n:06}.log"))
                .collect();
            if stale.is_empty() {
                return Ok(());
            }
            if waited >= CONFIRM_PATIENCE {
                return Err(Error::PurgeUnconfirmed {
                    what: "the write-ahead log".into(),
                    files: stale,
                });
            }
            waited += 1;
            std::thread::sleep(CONFIRM_POLL);
        }
    }

    /// Installs the test hook that can make [`Store::compact_fully`] skip its compaction (as
    /// a compaction whose error RocksDB reported and the crate dropped): called with
    /// `store:compaction-dropped:<family>`, true skips it.
    pub(crate) fn set_fault_hook(&mut self, hook: Option<FaultHook>) {
        self.fault_hook = hook;
    }

    /// Makes the deletes of a batch physical: flushes every memtable (so that no live
    /// write-ahead log still holds the deleted values), compacts each family in `cfs` from
    /// scratch, then clears their purge marks ([`StoreBatch::mark_purge`]).
    pub fn purge(&self, cfs: &[&str]) -> Result<()> {
        self.flush_all()?;
        let mut clear = self.batch();
        for cf in cfs {
            self.compact_fully(cf)?;
            clear.delete(layout::CF_META, &purge_mark(cf))?;
        }
        self.write(clear, Durability::Sync)?;
        // The MANIFEST rolled at the compaction holds a snapshot of the file set from just
        // before it: the boundary keys of the files just compacted away (a held read's key,
        // for instance). One more change of the file set (the flush of the cleared marks)
        // rolls it again, to a snapshot without them, and the old MANIFEST is deleted.
        let meta = self.cf(layout::CF_META)?;
        let mut fo = FlushOptions::default();
        fo.set_wait(true);
        self.db.flush_cf_opt(&meta, &fo)?;
        Ok(())
    }

    /// Completes the purges that a crash interrupted (a mark written with the deletes, not
    /// yet cleared): run at every read-write open.
    pub fn finish_pending_purges(&self) -> Result<()> {
        let mut pending = Vec::new();
        self.scan_prefix(layout::CF_META, layout::META_PURGE_PREFIX, |key, _| {
            let cf = &key[layout::META_PURGE_PREFIX.len()..];
            pending.push(String::from_utf8_lossy(cf).into_owned());
            Ok(true)
        })?;
        if pending.is_empty() {
            return Ok(());
        }
        tracing::info!("completing interrupted purges of {pending:?}");
        // A mark of a family that no longer exists is only cleared.
        let mut gone = self.batch();
        for cf in pending.iter().filter(|cf| !self.has_cf(cf)) {
            gone.delete(layout::CF_META, &purge_mark(cf))?;
        }
        self.write(gone, Durability::Sync)?;
        let present: Vec<&str> = pending
            .iter()
            .map(String::as_str)
            .filter(|cf| self.has_cf(cf))
            .collect();
        self.purge(&present)
    }

    /// The SST files of a column family now (before it is dropped, so that afterwards one
    /// can check the directory: RocksDB stops listing a dropped family's files at once).
    pub fn cf_file_names(&self, cf: &str) -> Result<Vec<String>> {
        Ok(self
            .live_files()?
            .into_iter()
            .filter(|f| f.column_family_name == cf)
            .map(|f| f.name)
            .collect())
    }

    /// Every live SST file and its column family (blob files are not listed by RocksDB).
    pub fn live_files(&self) -> Result<Vec<LiveFile>> {
        Ok(self.db.live_files()?)
    }

    /// Bytes the shared block cache holds now.
    pub fn cache_usage(&self) -> usize {
        self.cache.get_usage()
    }
}

/// A batch of writes to several column families, applied atomically by [`Store::write`].
pub struct StoreBatch<'a> {
    store: &'a Store,
    batch: WriteBatch,
    ops: usize,
}

impl StoreBatch<'_> {
    /// Adds a put.
    pub fn put(&mut self, cf: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let handle = self.store.cf(cf)?;
        self.batch.put_cf(&handle, key, value);
        self.ops += 1;
        Ok(())
    }

    /// Adds a put into a column family whose handle the caller holds ([`Store::family`]).
    pub fn put_in(&mut self, family: &Arc<BoundColumnFamily<'_>>, key: &[u8], value: &[u8]) {
        self.batch.put_cf(family, key, value);
        self.ops += 1;
    }

    /// Marks column families whose deletes in this batch must be compacted away: the marks
    /// commit with the deletes, and [`Store::purge`] clears them once the bytes are gone; a
    /// crash in between leaves them for [`Store::finish_pending_purges`] at the next open.
    pub fn mark_purge(&mut self, cfs: &[&str]) -> Result<()> {
        for cf in cfs {
            self.put(layout::CF_META, &purge_mark(cf), b"")?;
        }
        Ok(())
    }

    /// Adds a delete.
    pub fn delete(&mut self, cf: &str, key: &[u8]) -> Result<()> {
        let handle = self.store.cf(cf)?;
        self.batch.delete_cf(&handle, key);
        self.ops += 1;
        Ok(())
    }

    /// Adds a range delete of `[from, to)`: only a tombstone until a forced compaction.
    pub fn delete_range(&mut self, cf: &str, from: &[u8], to: &[u8]) -> Result<()> {
        let handle = self.store.cf(cf)?;
        self.batch.delete_range_cf(&handle, from, to);
        self.ops += 1;
        Ok(())
    }
}

/// The smallest key greater than every key starting with `prefix`, if there is one.
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut up = prefix.to_vec();
    while let Some(last) = up.pop() {
        if last < 0xff {
            up.push(last + 1);
            return Some(up);
        }
    }
    None
}

/// The purge mark of a column family.
fn purge_mark(cf: &str) -> Vec<u8> {
    [layout::META_PURGE_PREFIX, cf.as_bytes()].concat()
}

/// Free space below which a store that ran out of space does not wait for RocksDB's recovery.
const SPACE_TO_RESUME: u64 = 1 << 20;

/// True when RocksDB reports a full disk.
fn is_no_space(e: &rocksdb::Error) -> bool {
    e.as_ref().to_ascii_lowercase().contains("no space left")
}

/// Bytes an unprivileged writer may still use on the filesystem of `path` (0 if unknown).
fn free_bytes(path: &Path) -> u64 {
    rustix::fs::statvfs(path).map_or(0, |s| s.f_bavail.saturating_mul(s.f_frsize))
}

/// An existing store whose database will not open (a missing CURRENT, MANIFEST or table
/// file, a torn directory) is damaged, not an internal error; a held lock stays a lock.
fn unopenable(e: rocksdb::Error) -> Error {
    let text = e.to_string();
    // A held lock stays a lock, and a full disk stays a full disk (it is not damage: the
    // store opens once space returns).
    if (text.contains("lock") && text.contains("LOCK")) || is_no_space(&e) {
        return Error::Storage(e);
    }
    match e.kind() {
        rocksdb::ErrorKind::IOError
        | rocksdb::ErrorKind::NotFound
        | rocksdb::ErrorKind::InvalidArgument
        | rocksdb::ErrorKind::Corruption => {
            Error::Damaged(format!("the database will not open: {text}"))
        }
        _ => Error::Storage(e),
    }
}

fn poisoned(lock: &'static str) -> Error {
    Error::Poisoned { lock }
}

fn shared_resources(tuning: &StoreTuning) -> (Cache, WriteBufferManager) {
    let cache = Cache::new_lru_cache(tuning.block_cache_bytes);
    // No write stalls: past the cap the manager makes RocksDB flush the largest memtables.
    // (With stalls allowed, every live epoch's first arena block counts toward the cap, and
    // a few dozen epochs can stall writes for good with nothing left to flush.)
    let wbm = WriteBufferManager::new_write_buffer_manager_with_cache(
        tuning.write_buffer_total_bytes,
        false,
        cache.clone(),
    );
    (cache, wbm)
}

fn db_options(wbm: &WriteBufferManager) -> Result<Options> {
    let mut o = Options::default();
    o.set_write_buffer_manager(wbm);
    o.set_wal_recovery_mode(DBRecoveryMode::TolerateCorruptedTailRecords);
    // No copies of old bytes: no WAL archive, no recycled logs.
    o.set_wal_ttl_seconds(0);
    o.set_wal_size_limit_mb(0);
    o.set_recycle_log_file_num(0);
    // Info logs name epochs (not secret) but must not grow without bound. Warnings and
    // errors only: at the info level RocksDB prints every flush, every new column family's
    // full options and every MANIFEST roll, which was most of the CPU time of an expiry with
    // minute epochs (perf: vfprintf and gettid under AutoRollLogger).
    o.set_log_level(rocksdb::LogLevel::Warn);
    o.set_keep_log_file_num(4);
    o.set_max_log_file_size(1 << 20);
    // A WAL cannot be deleted while any column family with data in it is unflushed: cap the
    // total so that rarely written epochs are flushed rather than pinning old logs.
    o.set_max_total_wal_size(128 << 20);
    o.set_max_background_jobs(2);
    o.set_bytes_per_sync(1 << 20);
    o.set_max_open_files(-1);
    o.set_paranoid_checks(true);
    // Every background change of the file set (a flush, a compaction) starts a new MANIFEST,
    // a snapshot of the live column families and files only, and the old one is deleted; so
    // the boundary keys of a dropped epoch's files do not linger in an old MANIFEST. The
    // snapshot is small (a line per live file). RocksDB 11 rolls the MANIFEST only past
    // max(max_manifest_file_size, last snapshot × (1 + max_manifest_space_amp_pct / 100)),
    // so both are set to their minimum (the second has no setter in the Rust crate).
    o.set_max_manifest_file_size(1);
    Ok(o.get_options_from_string("max_manifest_space_amp_pct=0")?)
}

fn table_options(cache: &Cache, prefix_bloom: bool) -> BlockBasedOptions {
    let mut t = BlockBasedOptions::default();
    t.set_block_cache(cache);
    t.set_cache_index_and_filter_blocks(true);
    t.set_pin_l0_filter_and_index_blocks_in_cache(true);
    t.set_bloom_filter(10.0, false);
    if prefix_bloom {
        // Searches are prefix seeks: filter on the prefix only.
        t.set_whole_key_filtering(false);
    }
    t
}

fn small_cf_options(cache: &Cache) -> Options {
    let mut o = Options::default();
    o.set_compression_type(DBCompressionType::None);
    o.set_write_buffer_size(4 << 20);
    o.set_max_write_buffer_number(2);
    o.set_block_based_table_factory(&table_options(cache, false));
    o
}

fn epoch_cf_options(cache: &Cache, tuning: &StoreTuning) -> Options {
    let mut o = Options::default();
    o.set_compression_type(DBCompressionType::None);
    o.set_write_buffer_size(tuning.epoch_write_buffer_bytes);
    o.set_max_write_buffer_number(2);
    // Every live epoch has a memtable, and a flushed one is replaced at once by an empty one:
    // so no memtable prefix bloom (it is allocated whole with each memtable, 0.1 x the write
    // buffer, and held hundreds of MiB with a few hundred minute epochs), and arena blocks of
    // 1 MiB rather than an eighth of the write buffer.
    o.set_arena_block_size(1 << 20);
    o.set_prefix_extractor(SliceTransform::create_fixed_prefix(RECORD_PREFIX_LEN));
    o.set_block_based_table_factory(&table_options(cache, true));
    o.set_enable_blob_files(true);
    o.set_min_blob_size(tuning.min_blob_bytes);
    o.set_blob_file_size(256 << 20);
    o.set_blob_compression_type(DBCompressionType::None);
    o.set_enable_blob_gc(false);
    o.set_target_file_size_base(64 << 20);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successor_is_the_next_prefix() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_successor(&[0xff, 0xff]), None);
    }

    #[test]
    fn epochs_come_and_go_as_column_families() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let store = Store::create(&path, StoreTuning::default()).expect("create");
        store.create_epoch_cf("epoch-a").expect("create cf");
        let mut b = store.batch();
        b.put("epoch-a", b"Rkey", b"value").expect("put");
        b.put(layout::CF_META, b"x", b"y").expect("put");
        store.write(b, Durability::Sync).expect("write");
        assert_eq!(store.epoch_cf_names(), vec!["epoch-a".to_string()]);
        drop(store);

        let store = Store::open(&path, StoreTuning::default(), Access::ReadWrite).expect("open");
        assert_eq!(
            store.get("epoch-a", b"Rkey").expect("get"),
            Some(b"value".to_vec())
        );
        let mut seen = Vec::new();
        store
            .scan_prefix("epoch-a", b"R", |k, _| {
                seen.push(k.to_vec());
                Ok(true)
            })
            .expect("scan");
        assert_eq!(seen, vec![b"Rkey".to_vec()]);
        store.drop_cf("epoch-a").expect("drop");
        assert!(store.epoch_cf_names().is_empty());
        drop(store);
        let store = Store::open(&path, StoreTuning::default(), Access::ReadOnly).expect("open ro");
        assert!(!store.has_cf("epoch-a"));
        let mut b = store.batch();
        b.put(layout::CF_META, b"x", b"z").expect("put");
        assert!(matches!(
            store.write(b, Durability::Sync),
            Err(Error::ReadOnly)
        ));
    }

    /// True if any file under `dir` contains `needle`.
    fn bytes_remain(dir: &Path, needle: &[u8]) -> bool {
        std::fs::read_dir(dir).expect("read dir").any(|e| {
            let data = std::fs::read(e.expect("entry").path()).unwrap_or_default();
            data.windows(needle.len()).any(|w| w == needle)
        })
    }

    #[test]
    fn a_purge_is_refused_while_the_files_that_held_the_value_are_still_on_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let secret = b"pinned-copy-0123456789-that-must-go";
        let store = Store::create(&path, StoreTuning::default()).expect("create");
        let mut b = store.batch();
        b.put(layout::CF_HOLDS, b"Hkey", secret).expect("put");
        store.write(b, Durability::Sync).expect("write");
        store.flush_all().expect("flush");
        // An iterator opened now pins the SST that holds the value: the compaction rewrites
        // it, but RocksDB cannot delete it while the iterator lives.
        let handle = store.cf(layout::CF_HOLDS).expect("handle");
        let mut pin = store.db.raw_iterator_cf(&handle);
        pin.seek_to_first();
        assert!(pin.valid());
        let mut b = store.batch();
        b.delete(layout::CF_HOLDS, b"Hkey").expect("delete");
        b.mark_purge(&[layout::CF_HOLDS]).expect("mark");
        store.write(b, Durability::Sync).expect("write");
        let err = store.purge(&[layout::CF_HOLDS]).expect_err("unconfirmed");
        assert!(matches!(err, Error::PurgeUnconfirmed { .. }), "{err}");
        assert!(
            bytes_remain(&path, secret),
            "the pinned file still holds it"
        );
        let mut marks = 0;
        store
            .scan_prefix(layout::CF_META, layout::META_PURGE_PREFIX, |_, _| {
                marks += 1;
                Ok(true)
            })
            .expect("scan");
        assert_eq!(marks, 1, "the mark stays until the purge is confirmed");
        drop(pin);
        drop(handle);
        store.purge(&[layout::CF_HOLDS]).expect("purge");
        assert!(
            !bytes_remain(&path, secret),
            "gone once the iterator let go"
        );
    }

    #[test]
    fn a_dropped_compaction_is_caught_by_the_live_file_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let mut store = Store::create(&path, StoreTuning::default()).expect("create");
        let mut b = store.batch();
        b.put(
            layout::CF_KEYS,
            b"epoch/x",
            b"wrapped-key-bytes-0123456789abcdef",
        )
        .expect("put");
        store.write(b, Durability::Sync).expect("write");
        store.flush_all().expect("flush");
        let mut b = store.batch();
        b.delete(layout::CF_KEYS, b"epoch/x").expect("delete");
        store.write(b, Durability::Sync).expect("write");
        store.set_fault_hook(Some(Arc::new(|p: &str| {
            p == format!("{}{}", points::COMPACTION_DROPPED, layout::CF_KEYS)
        })));
        let err = store.compact_fully(layout::CF_KEYS).expect_err("dropped");
        match err {
            Error::PurgeUnconfirmed { files, .. } => assert!(!files.is_empty()),
            other => panic!("{other}"),
        }
        store.set_fault_hook(None);
        store.compact_fully(layout::CF_KEYS).expect("compacted");
    }

    #[test]
    fn a_purge_cut_short_by_a_crash_completes_at_the_next_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let secret = b"held-copy-0123456789-that-must-go";
        let store = Store::create(&path, StoreTuning::default()).expect("create");
        let mut b = store.batch();
        b.put(layout::CF_HOLDS, b"Hkey", secret).expect("put");
        store.write(b, Durability::Sync).expect("write");
        store.flush_all().expect("flush");
        assert!(bytes_remain(&path, secret), "the value is in an SST file");
        // The delete and its mark commit; the process dies before the purge.
        let mut b = store.batch();
        b.delete(layout::CF_HOLDS, b"Hkey").expect("delete");
        b.mark_purge(&[layout::CF_HOLDS]).expect("mark");
        store.write(b, Durability::Sync).expect("write");
        drop(store);
        assert!(bytes_remain(&path, secret), "deleted, not yet purged");

        let store = Store::open(&path, StoreTuning::default(), Access::ReadWrite).expect("open");
        store.finish_pending_purges().expect("finish");
        assert!(!bytes_remain(&path, secret), "the purge completed at open");
        let mut marks = 0;
        store
            .scan_prefix(layout::CF_META, layout::META_PURGE_PREFIX, |_, _| {
                marks += 1;
                Ok(true)
            })
            .expect("scan");
        assert_eq!(marks, 0, "the mark is cleared");
    }
}
