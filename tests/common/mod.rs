//! Helpers shared by the audit and search integration tests: simulation stores in temp
//! dirs, request builders, counting audit entries through a read-only [`Review`], copying a
//! store, and raw access to the RocksDB files for tampering (the `audit` column family keys
//! documented at the top of `src/audit/log.rs`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use platevault::audit::checkpoint::Checkpoint;
use platevault::audit::entry::{Entry, EntryKind};
use platevault::audit::log::{entry_key, node_key, origin_of};
use platevault::audit::merkle::{Blake3Hasher, Frontier, TreeHasher};
use platevault::crypto::keys::LABEL_SIGNING;
use platevault::store::header::Header;
use platevault::verify::Review;
use platevault::{CaseRequest, MasterKey, NewRead, Policy, Span, Timestamp, Vault, VaultOptions};

/// The simulated clock's start in every test.
pub const T0: &str = "2026-11-10T12:00:00Z";

/// The case number every well-formed request uses unless it says otherwise.
pub const CASE: &str = "2026-001234";

pub fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("time")
}

pub fn t0() -> Timestamp {
    t(T0)
}

pub fn hours(h: u64) -> Span {
    Span::from_hours(h)
}

/// `t0 - h hours`.
pub fn ago(h: u64) -> Timestamp {
    t0().minus(hours(h))
}

/// A simulation store at `<tmp>/store` whose clock starts at [`T0`].
pub fn new_store(tmp: &Path, policy: &Policy) -> (Vault, MasterKey, PathBuf) {
    let dir = tmp.join("store");
    let key = MasterKey::generate().expect("key");
    let vault = Vault::create(
        &dir,
        &key,
        policy,
        &VaultOptions::new().simulated_clock(t0()),
    )
    .expect("create store");
    (vault, key, dir)
}

pub fn read(plate: &str, region: &str, at: Timestamp, camera: &str) -> NewRead {
    NewRead {
        plate: plate.into(),
        region: region.into(),
        captured_at: Some(at),
        camera: camera.into(),
        lat: Some(39.7392),
        lon: Some(-104.9903),
        confidence: Some(0.9),
        image: None,
    }
}

/// A well-formed home-agency request for `plate` in `CO`.
pub fn request(plate: &str, requester: &str) -> CaseRequest {
    CaseRequest {
        plate: plate.into(),
        region: "CO".into(),
        case_number: CASE.into(),
        offense: "ROBBERY".into(),
        purpose: "investigation".into(),
        requester: requester.into(),
        agency: "CITY-PD".into(),
        justification: None,
        warrant: None,
        from: None,
        to: None,
    }
}

/// Every entry of the store's log, read through a read-only [`Review`] (works while a
/// `Vault` holds the store).
pub fn entries(dir: &Path) -> Vec<Entry> {
    Review::open(dir)
        .expect("review open")
        .entries()
        .expect("entries")
}

/// True for the entry kinds that are a request's decision (one per search, hold, hotlist,
/// alerts, hold release or hotlist removal request: "one audit entry per request").
pub fn is_decision(e: &Entry) -> bool {
    matches!(
        e.kind,
        EntryKind::Search
            | EntryKind::HoldAdd
            | EntryKind::HotlistAdd
            | EntryKind::Alerts
            | EntryKind::HoldReleaseRequest
            | EntryKind::HotlistRemoveRequest
    )
}

pub fn decision_count(entries: &[Entry]) -> usize {
    entries.iter().filter(|e| is_decision(e)).count()
}

/// Copies a (closed) store directory recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for item in std::fs::read_dir(from).expect("read_dir") {
        let item = item.expect("dir entry");
        let target = to.join(item.file_name());
        if item.file_type().expect("file type").is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), &target).expect("copy");
        }
    }
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
