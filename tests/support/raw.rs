//! Raw access to a store's files, past the library: the RocksDB column families read (and,
//! for tamper tests, written) with the `rocksdb` crate, the key layouts the tests rebuild,
//! and byte scans for ciphertext that must be gone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use platevault::MasterKey;
use platevault::audit::checkpoint::Checkpoint;
use platevault::audit::entry::Entry;
use platevault::audit::log::{entry_key, node_key, origin_of};
use platevault::audit::merkle::{Blake3Hasher, Frontier, TreeHasher};
use platevault::crypto::keys::LABEL_SIGNING;
use platevault::store::header::Header;
use platevault::verify::scan::{Finding, Needle, scan_dir};

use super::db_dir;

/// Where a sealed value's ciphertext starts: a format byte, then a 12-byte nonce.
pub const CIPHERTEXT_START: usize = 1 + 12;

/// One SST file as RocksDB's `live_files()` lists it.
#[derive(Clone, Debug)]
pub struct RawFile {
    pub cf: String,
    pub name: String,
    pub start_key: Option<Vec<u8>>,
    pub end_key: Option<Vec<u8>>,
}

/// Every (key, value) of one column family, in key order.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Everything a store's database holds, read through RocksDB itself (read-only).
#[derive(Clone, Debug, Default)]
pub struct RawDb {
    /// Every key and value, per column family.
    pub cfs: BTreeMap<String, Pairs>,
    /// Every live SST file.
    pub live_files: Vec<RawFile>,
}

impl RawDb {
    /// The value of `key` in column family `cf`.
    pub fn get(&self, cf: &str, key: &[u8]) -> Option<&[u8]> {
        self.cfs
            .get(cf)?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// Every (key, value) of `cf` whose key starts with `prefix`.
    pub fn with_prefix(&self, cf: &str, prefix: &[u8]) -> Pairs {
        self.cfs
            .get(cf)
            .map(|kv| {
                kv.iter()
                    .filter(|(k, _)| k.starts_with(prefix))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The SST files of column family `cf`.
    pub fn files_of(&self, cf: &str) -> Vec<RawFile> {
        self.live_files
            .iter()
            .filter(|f| f.cf == cf)
            .cloned()
            .collect()
    }
}

/// Opens the store's database read-only with the `rocksdb` crate (no master key, no lock:
/// it may run beside an open vault) and copies out every key and value of every column
/// family, and the live SST files.
pub fn raw_dump(store: &Path) -> RawDb {
    let path = db_dir(store);
    let opts = rocksdb::Options::default();
    let names = rocksdb::DB::list_cf(&opts, &path).expect("list_cf");
    let db = rocksdb::DB::open_cf_for_read_only(&opts, &path, &names, false)
        .expect("open the raw database read-only");
    let mut out = RawDb::default();
    for name in &names {
        let cf = db.cf_handle(name).expect("column family handle");
        let mut kv = Vec::new();
        for item in db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
            let (k, v) = item.expect("iterate");
            kv.push((k.to_vec(), v.to_vec()));
        }
        out.cfs.insert(name.clone(), kv);
    }
    out.live_files = db
        .live_files()
        .expect("live_files")
        .into_iter()
        .map(|f| RawFile {
            cf: f.column_family_name,
            name: f.name,
            start_key: f.start_key,
            end_key: f.end_key,
        })
        .collect();
    out
}

/// The column family of an epoch, by epoch name.
pub fn epoch_cf(name: &str) -> String {
    format!("epoch-{name}")
}

/// The keys-CF label of an epoch's wrapped keys.
pub fn epoch_key_label(name: &str) -> String {
    format!("epoch/{name}")
}

/// 32-byte slices covering a sealed value's ciphertext (after format byte and nonce): the
/// bytes a verifier must never find once the value's key is destroyed.
pub fn ciphertext_slices(sealed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if sealed.len() < CIPHERTEXT_START + 32 {
        if sealed.len() >= 32 {
            out.push(sealed[sealed.len() - 32..].to_vec());
        }
        return out;
    }
    let mut at = CIPHERTEXT_START;
    while at + 32 <= sealed.len() {
        out.push(sealed[at..at + 32].to_vec());
        at += 32;
    }
    out.push(sealed[sealed.len() - 32..].to_vec());
    out
}

/// Needles for every value's ciphertext slices.
pub fn slice_needles(kind: &str, values: &[Vec<u8>]) -> Vec<Needle> {
    values
        .iter()
        .flat_map(|v| ciphertext_slices(v))
        .map(|bytes| Needle {
            kind: kind.to_string(),
            bytes,
        })
        .collect()
}

/// Needles for whole byte strings.
pub fn whole_needles(kind: &str, values: &[Vec<u8>]) -> Vec<Needle> {
    values
        .iter()
        .map(|bytes| Needle {
            kind: kind.to_string(),
            bytes: bytes.clone(),
        })
        .collect()
}

/// Every occurrence of any needle in any file under `dir`.
pub fn scan(dir: &Path, needles: &[Needle]) -> Vec<Finding> {
    scan_dir(dir, needles).expect("scan")
}

/// Every (key, value) of some column families of a store's database, read through RocksDB
/// itself in read-only mode (no master key, no lock; it may run beside an open vault).
pub struct RawStore {
    db: rocksdb::DB,
}

impl RawStore {
    /// Opens the database of the store at `store` read-only.
    pub fn open(store: &Path) -> Result<RawStore, String> {
        let path = store.join("db");
        let opts = rocksdb::Options::default();
        let names = rocksdb::DB::list_cf(&opts, &path).map_err(|e| format!("list_cf: {e}"))?;
        let db = rocksdb::DB::open_cf_for_read_only(&opts, &path, &names, false)
            .map_err(|e| format!("raw read-only open: {e}"))?;
        Ok(RawStore { db })
    }

    /// Every (key, value) of column family `cf` whose key starts with `prefix`.
    pub fn with_prefix(&self, cf: &str, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let Some(handle) = self.db.cf_handle(cf) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mode = rocksdb::IteratorMode::From(prefix, rocksdb::Direction::Forward);
        for item in self.db.iterator_cf(handle, mode) {
            let Ok((k, v)) = item else { break };
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        out
    }

    /// The value of `key` in column family `cf`.
    pub fn get(&self, cf: &str, key: &[u8]) -> Option<Vec<u8>> {
        let handle = self.db.cf_handle(cf)?;
        self.db.get_cf(handle, key).ok().flatten()
    }

    /// True when the column family exists.
    pub fn has_cf(&self, cf: &str) -> bool {
        self.db.cf_handle(cf).is_some()
    }
}

/// The 16-byte id under which an agency's hold on a case is stored, as `src/hold.rs`
/// documents its layout: the first 16 bytes of a BLAKE3 derive-key hash of the agency
/// (trimmed, upper-cased) and the case number (trimmed), each prefixed by its length.
pub fn hold_case_id(agency: &str, case: &str) -> [u8; 16] {
    let agency = agency.trim().to_ascii_uppercase();
    let case = case.trim();
    let mut h = blake3::Hasher::new_derive_key("platevault 2026 hold id (agency, case) v2");
    h.update(&(agency.len() as u64).to_le_bytes());
    h.update(agency.as_bytes());
    h.update(&(case.len() as u64).to_le_bytes());
    h.update(case.as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    id
}

/// Does `haystack` contain `needle`?
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The store's RocksDB opened directly with the `rocksdb` crate and default options, to
/// tamper with the `audit` column family as someone with the files (and maybe the master
/// key) would. The store must be closed.
pub struct RawAudit {
    db: rocksdb::DB,
    dir: PathBuf,
}

impl RawAudit {
    pub fn open(store_dir: &Path) -> RawAudit {
        let path = store_dir.join("db");
        let opts = rocksdb::Options::default();
        let names = rocksdb::DB::list_cf(&opts, &path).expect("list_cf");
        let db = rocksdb::DB::open_cf(&opts, &path, names).expect("open raw db");
        RawAudit {
            db,
            dir: store_dir.to_path_buf(),
        }
    }

    fn cf(&self) -> &rocksdb::ColumnFamily {
        self.db.cf_handle("audit").expect("audit column family")
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.db.get_cf(self.cf(), key).expect("get")
    }

    pub fn put(&self, key: &[u8], value: &[u8]) {
        self.db.put_cf(self.cf(), key, value).expect("put");
    }

    pub fn delete(&self, key: &[u8]) {
        self.db.delete_cf(self.cf(), key).expect("delete");
    }

    pub fn entry(&self, seq: u64) -> Vec<u8> {
        self.get(&entry_key(seq)).expect("entry present")
    }

    /// A wrapped key by its label, from the `keys` column family.
    pub fn keys_value(&self, label: &str) -> Option<Vec<u8>> {
        let cf = self.db.cf_handle("keys").expect("keys column family");
        self.db.get_cf(cf, label.as_bytes()).expect("get")
    }

    pub fn put_entry(&self, seq: u64, bytes: &[u8]) {
        self.put(&entry_key(seq), bytes);
    }

    pub fn delete_entry(&self, seq: u64) {
        self.delete(&entry_key(seq));
    }

    /// Every key of the audit column family starting with `prefix`.
    pub fn keys_with_prefix(&self, prefix: &[u8]) -> Vec<Vec<u8>> {
        self.db
            .iterator_cf(
                self.cf(),
                rocksdb::IteratorMode::From(prefix, rocksdb::Direction::Forward),
            )
            .map(|kv| kv.expect("iterate").0.to_vec())
            .take_while(|k| k.starts_with(prefix))
            .collect()
    }

    /// Number of entries (`e` keys).
    pub fn size(&self) -> u64 {
        self.keys_with_prefix(b"e").len() as u64
    }

    pub fn checkpoint(&self) -> Option<String> {
        self.get(b"c")
            .map(|b| String::from_utf8(b).expect("checkpoint utf8"))
    }

    pub fn set_checkpoint(&self, note: &str) {
        self.put(b"c", note.as_bytes());
    }

    pub fn delete_checkpoint(&self) {
        self.delete(b"c");
    }

    /// Deletes every entry at `size` or later, their index records (a careful forger removes
    /// those too) and every Merkle node covering any of them.
    pub fn truncate(&self, size: u64) {
        for k in self.keys_with_prefix(b"e") {
            let seq = u64::from_be_bytes(k[1..9].try_into().expect("seq"));
            if seq >= size {
                self.delete(&k);
            }
        }
        for prefix in [b"r", b"f"] {
            for k in self.keys_with_prefix(prefix) {
                let seq = u64::from_be_bytes(k[k.len() - 8..].try_into().expect("seq"));
                if seq >= size {
                    self.delete(&k);
                }
            }
        }
        for k in self.keys_with_prefix(b"n") {
            let level = k[1];
            let index = u64::from_be_bytes(k[2..10].try_into().expect("index"));
            let end = (index + 1) << level;
            if end > size {
                self.delete(&k);
            }
        }
    }

    /// What a holder of the master key can do after rewriting entries: recompute every Merkle
    /// node from the entries as they now are and sign a fresh tree head with the store's own
    /// checkpoint key, so that the store is consistent with itself again.
    pub fn reseal(&self, master: &MasterKey) {
        for prefix in [b"n", b"r", b"f"] {
            for k in self.keys_with_prefix(prefix) {
                self.delete(&k);
            }
        }
        let h = Blake3Hasher;
        let mut frontier = Frontier::new();
        for k in self.keys_with_prefix(b"e") {
            let bytes = self.get(&k).expect("entry");
            for (level, index, hash) in frontier.append(&h, h.hash_leaf(&bytes)) {
                self.put(&node_key(level, index), &hash);
            }
            // The indexes, rebuilt from the entries as they now are.
            let seq = u64::from_be_bytes(k[1..9].try_into().expect("seq"));
            let entry =
                platevault::audit::entry::Entry::decode(seq, &bytes).expect("entry decodes");
            if let Some(rk) = platevault::audit::log::rate_key_of(&entry) {
                self.put(&rk, &[]);
            }
            if platevault::audit::log::fingerprint_indexed(entry.kind)
                && let Some(fp) = entry.fingerprint.as_deref()
            {
                let mut raw = [0u8; 32];
                hex::decode_to_slice(fp, &mut raw).expect("fingerprint hex");
                self.put(&platevault::audit::log::fingerprint_key(&raw, seq), &[]);
            }
        }
        let header = Header::read(&self.dir).expect("header");
        let store_id = header.store_id_bytes().expect("store id");
        let kek = master.key_encryption_key(store_id);
        let keys_cf = self.db.cf_handle("keys").expect("keys column family");
        let wrapped = self
            .db
            .get_cf(keys_cf, LABEL_SIGNING.as_bytes())
            .expect("get")
            .expect("wrapped signing key");
        let secret = kek
            .unwrap(LABEL_SIGNING, &wrapped, 1)
            .expect("unwrap signing key")
            .pop()
            .expect("one key");
        let signing = ed25519_dalek::SigningKey::from_bytes(secret.expose());
        let origin = origin_of(&store_id);
        let note = Checkpoint {
            origin: origin.clone(),
            size: frontier.size(),
            root: frontier.root(&h),
        }
        .sign(&signing, &origin);
        self.set_checkpoint(&note);
    }
}

impl Drop for RawAudit {
    fn drop(&mut self) {
        // Leave the edits in SST files too, not only in the WAL.
        if let Some(cf) = self.db.cf_handle("audit") {
            let _ = self.db.flush_cf(cf);
        }
    }
}

/// Re-encodes an entry with another sequence number (canonical bytes, as the log writes).
pub fn with_seq(bytes: &[u8], seq: u64) -> Vec<u8> {
    let mut e: Entry = serde_json::from_slice(bytes).expect("entry json");
    e.seq = seq;
    e.encode()
}
