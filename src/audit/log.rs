//! The durable audit log: entries, Merkle nodes and the signed tree head in the `audit`
//! column family.
//!
//! An append costs O(log n): the log keeps the [`Frontier`] (the right edge of the tree) in
//! memory, and each append writes, in one synced RocksDB batch, the entry's canonical bytes,
//! every Merkle node the new leaf completes, its sealed payload if any, its index records
//! (for the rate limit and the reviewer check), and a new checkpoint signed with the store's
//! Ed25519 key. The in-memory state changes only after the batch is durable, so a failed or
//! interrupted append leaves no trace and no gap. Appends are serialised by one mutex: the
//! chain has no gaps and no forks, whatever the number of threads.
//!
//! Layout (keys in the `audit` column family):
//!
//! ```text
//! e seq:u64be                        entry canonical bytes
//! n level:u8 index:u64be             hash of the complete subtree (level, index)
//! p seq:u64be                        sealed justification payload
//! r len:u16be agency len:u16be requester time:i64be seq:u64be   rate-limit index
//! v len:u16be reviewer time:i64be seq:u64be                     reviewers' rate-limit index
//! f fingerprint:32B seq:u64be        reviewer-check index
//! c                                  the latest signed checkpoint (a C2SP signed note)
//! ```
//!
//! Every index key of an entry is a function of the entry alone, [`index_keys_of`], used by
//! the writer and by `audit verify` alike. Requests (searches, holds, hotlist entries) count
//! under `r` by agency and requester as the entry records them; since ids are recorded in
//! [`crate::policy::canonical_id`] form, that is one bucket per canonical id. A reviewer's
//! requests (no agency recorded) count under `v` by reviewer alone, a bucket that no search
//! can reach whatever agency and requester it names. Reviewer checks written before the `v`
//! bucket existed recorded the agency `REVIEW` and keep their `r` key.

use std::sync::Mutex;

use ed25519_dalek::SigningKey;

use super::checkpoint::Checkpoint;
use super::entry::{Entry, EntryDecodeError};
use super::merkle::{self, Blake3Hasher, Frontier, Hash, NodeSource, TreeHasher};
use crate::crypto::seal::{Binding, SealKey};
use crate::error::{Error, Result};
use crate::model::epoch::{Span, Timestamp};
use crate::store::layout::CF_AUDIT;
use crate::store::{Durability, Store, StoreBatch};

/// Rate limits count attempts over this span.
pub const RATE_WINDOW: Span = Span::from_minutes(60);

const PFX_ENTRY: u8 = b'e';
const PFX_NODE: u8 = b'n';
const PFX_PAYLOAD: u8 = b'p';
const PFX_RATE: u8 = b'r';
const PFX_REVIEW: u8 = b'v';
const PFX_FINGERPRINT: u8 = b'f';
const KEY_CHECKPOINT: &[u8] = b"c";

/// Key of entry `seq`.
pub fn entry_key(seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = PFX_ENTRY;
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// Key of Merkle node `(level, index)`.
pub fn node_key(level: u8, index: u64) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[0] = PFX_NODE;
    k[1] = level;
    k[2..].copy_from_slice(&index.to_be_bytes());
    k
}

/// Key of the sealed payload of entry `seq`.
pub fn payload_key(seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = PFX_PAYLOAD;
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn rate_prefix(agency: &str, requester: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(5 + agency.len() + requester.len() + 16);
    k.push(PFX_RATE);
    k.extend_from_slice(&(agency.len() as u16).to_be_bytes());
    k.extend_from_slice(agency.as_bytes());
    k.extend_from_slice(&(requester.len() as u16).to_be_bytes());
    k.extend_from_slice(requester.as_bytes());
    k
}

fn review_prefix(reviewer: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + reviewer.len() + 16);
    k.push(PFX_REVIEW);
    k.extend_from_slice(&(reviewer.len() as u16).to_be_bytes());
    k.extend_from_slice(reviewer.as_bytes());
    k
}

/// The rate-limit index key of an entry, if it is a request: `v` + reviewer for a
/// reviewer's request that names no agency, `r` + agency + requester for any other.
pub fn rate_key_of(entry: &Entry) -> Option<Vec<u8>> {
    if !entry.kind.is_request() {
        return None;
    }
    let requester = entry.requester.as_ref()?;
    let mut k = match &entry.agency {
        // A reviewer's bucket: keyed by kind of requester, so a search cannot fill it.
        None if entry.kind.is_review() => review_prefix(requester),
        None => return None,
        Some(agency) => rate_prefix(agency, requester),
    };
    k.extend_from_slice(&entry.time.as_micros().to_be_bytes());
    k.extend_from_slice(&entry.seq.to_be_bytes());
    Some(k)
}

/// Every index key an entry implies: its rate-limit key and, for searches, holds and hotlist
/// entries, its plate-fingerprint key. The one definition of the index: the writer stores
/// exactly these keys, and `audit verify` recomputes them from each entry.
pub fn index_keys_of(entry: &Entry) -> Vec<Vec<u8>> {
    let mut keys = Vec::with_capacity(2);
    if let Some(k) = rate_key_of(entry) {
        keys.push(k);
    }
    if let Some(fp) = indexed_fingerprint(entry) {
        keys.push(fingerprint_key(&fp, entry.seq));
    }
    keys
}

/// The plate fingerprint an entry is indexed under, if its kind is indexed and it has one.
fn indexed_fingerprint(entry: &Entry) -> Option<[u8; 32]> {
    if !fingerprint_indexed(entry.kind) {
        return None;
    }
    let bytes = hex::decode(entry.fingerprint.as_deref()?).ok()?;
    bytes.try_into().ok()
}

/// The reviewer-check index key of an entry's plate fingerprint.
pub fn fingerprint_key(fingerprint: &[u8; 32], seq: u64) -> Vec<u8> {
    let mut k = fingerprint_prefix(fingerprint).to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// True for the entry kinds whose plate fingerprint is indexed for the reviewer check.
pub fn fingerprint_indexed(kind: crate::audit::entry::EntryKind) -> bool {
    use crate::audit::entry::EntryKind;
    matches!(
        kind,
        EntryKind::Search | EntryKind::HoldAdd | EntryKind::HotlistAdd
    )
}

/// First byte of the rate-limit index keys.
pub const INDEX_RATE_PREFIX: u8 = PFX_RATE;
/// First byte of the reviewers' rate-limit index keys.
pub const INDEX_REVIEW_PREFIX: u8 = PFX_REVIEW;
/// First byte of the reviewer-check (fingerprint) index keys.
pub const INDEX_FINGERPRINT_PREFIX: u8 = PFX_FINGERPRINT;

/// The sequence number an index key (`r`, `v` or `f`) names, if the key is well formed: an
/// `r` key is `r, u16 len, agency, u16 len, requester, time BE8, seq BE8`, a `v` key is
/// `v, u16 len, reviewer, time BE8, seq BE8`, an `f` key is `f, fingerprint 32B, seq BE8`.
pub fn index_key_seq(key: &[u8]) -> Option<u64> {
    let tail = match *key.first()? {
        PFX_RATE => {
            let agency = u16::from_be_bytes(key.get(1..3)?.try_into().ok()?) as usize;
            let at = 3 + agency;
            let requester = u16::from_be_bytes(key.get(at..at + 2)?.try_into().ok()?) as usize;
            let rest = key.get(at + 2 + requester..)?;
            (rest.len() == 16).then_some(&rest[8..])?
        }
        PFX_REVIEW => {
            let reviewer = u16::from_be_bytes(key.get(1..3)?.try_into().ok()?) as usize;
            let rest = key.get(3 + reviewer..)?;
            (rest.len() == 16).then_some(&rest[8..])?
        }
        PFX_FINGERPRINT if key.len() == 41 => &key[33..],
        _ => return None,
    };
    Some(u64::from_be_bytes(tail.try_into().ok()?))
}

/// The stored sealed payload of an entry, if it still exists.
pub fn stored_payload(store: &Store, seq: u64) -> Result<Option<Vec<u8>>> {
    store.get(CF_AUDIT, &payload_key(seq))
}

fn fingerprint_prefix(fingerprint: &[u8; 32]) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[0] = PFX_FINGERPRINT;
    k[1..].copy_from_slice(fingerprint);
    k
}

/// Reads the Merkle nodes the log stored.
pub struct StoredNodes<'a>(pub &'a Store);

impl NodeSource for StoredNodes<'_> {
    type Error = Error;

    fn node(&self, level: u8, index: u64) -> Result<Hash> {
        let bytes = self
            .0
            .get(CF_AUDIT, &node_key(level, index))?
            .ok_or_else(|| Error::Damaged(format!("audit node ({level}, {index}) is missing")))?;
        bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::Damaged(format!("audit node ({level}, {index}) is not 32 bytes")))
    }
}

/// Keys the writer of the log needs (absent in read-only opens).
pub struct LogKeys {
    /// Signs each new tree head.
    pub signing: SigningKey,
}

/// Free text to seal into an entry's payload (a justification, an alert's details), with
/// the key of the month it is sealed under: destroying that key shreds the month's texts.
pub struct PayloadText {
    /// The text.
    pub text: String,
    /// The month (`YYYY-MM`) whose key seals it.
    pub month: String,
    /// That month's payload key.
    pub key: SealKey,
}

impl std::fmt::Debug for PayloadText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PayloadText(<redacted>, {})", self.month)
    }
}

/// A stored payload record: `month length u8 || month || sealed text`.
fn payload_record(month: &str, sealed: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(1 + month.len() + sealed.len());
    v.push(month.len() as u8);
    v.extend_from_slice(month.as_bytes());
    v.extend_from_slice(sealed);
    v
}

/// The month and sealed text of a stored payload record.
fn split_payload_record(record: &[u8]) -> Option<(&str, &[u8])> {
    let (&len, rest) = record.split_first()?;
    let len = len as usize;
    let month = std::str::from_utf8(rest.get(..len)?).ok()?;
    Some((month, rest.get(len..)?))
}

fn payload_aad(seq: u64) -> Vec<u8> {
    Binding::Other {
        domain: "audit-payload",
        id: &seq.to_be_bytes(),
    }
    .aad()
}

impl std::fmt::Debug for LogKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogKeys(<redacted>)")
    }
}

/// An entry to append, with its sealed-payload plaintext (the justification), if any.
#[derive(Debug)]
pub struct Pending {
    /// The entry; `seq` and `time` are filled in by the log.
    pub entry: Entry,
    /// Free text to seal into the entry's payload.
    pub payload: Option<PayloadText>,
    /// The plate fingerprint to index for the reviewer check. The index is computed from
    /// the entry ([`index_keys_of`]); when given, this must be the entry's `fingerprint`
    /// (the append is refused otherwise).
    pub fingerprint: Option<[u8; 32]>,
}

impl Pending {
    /// An entry without payload or fingerprint.
    pub fn plain(entry: Entry) -> Self {
        Pending {
            entry,
            payload: None,
            fingerprint: None,
        }
    }
}

struct WriterState {
    frontier: Frontier,
    last_time: Timestamp,
}

/// The audit log of an open store.
pub struct AuditLog {
    origin: String,
    keys: Option<LogKeys>,
    writer: Mutex<WriterState>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("origin", &self.origin)
            .finish()
    }
}

/// The checkpoint origin line of a store: `platevault/<store id>`.
pub fn origin_of(store_id: &[u8; 16]) -> String {
    format!("platevault/{}", hex::encode(store_id))
}

impl AuditLog {
    /// Loads the log's state: its size (from the last entry) and frontier (O(log n) reads).
    pub fn load(store: &Store, store_id: &[u8; 16], keys: Option<LogKeys>) -> Result<AuditLog> {
        let size = stored_size(store)?;
        let frontier = Frontier::load(&StoredNodes(store), size).map_err(merkle_err)?;
        let last_time = if size == 0 {
            Timestamp::from_micros(i64::MIN)
        } else {
            read_entry(store, size - 1)?.time
        };
        Ok(AuditLog {
            origin: origin_of(store_id),
            keys,
            writer: Mutex::new(WriterState {
                frontier,
                last_time,
            }),
        })
    }

    /// The checkpoint origin (also the signer's key name).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The public key of the tree-head signer (None for a read-only log).
    pub fn verifying_key(&self) -> Option<ed25519_dalek::VerifyingKey> {
        self.keys.as_ref().map(|k| k.signing.verifying_key())
    }

    /// The time of the last entry (None for an empty log).
    pub fn last_time(&self) -> Option<Timestamp> {
        self.writer
            .lock()
            .ok()
            .filter(|w| w.frontier.size() > 0)
            .map(|w| w.last_time)
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.writer.lock().map(|w| w.frontier.size()).unwrap_or(0)
    }

    /// Appends entries atomically (with whatever `extra` adds to the same batch), synced to
    /// disk before it returns. Returns the entries' sequence numbers.
    pub fn append_with(
        &self,
        store: &Store,
        now: Timestamp,
        pending: Vec<Pending>,
        extra: impl FnOnce(&mut StoreBatch<'_>, &[u64]) -> Result<()>,
    ) -> Result<Vec<u64>> {
        let mut w = self.lock()?;
        self.append_locked(&mut w, store, store.batch(), now, pending, extra)
    }

    /// Appends entries to a batch the caller has filled (an ingest batch whose reads raised
    /// alerts), and writes it synced: the reads and their audit entries land together.
    pub fn append_to_batch(
        &self,
        store: &Store,
        batch: StoreBatch<'_>,
        now: Timestamp,
        pending: Vec<Pending>,
    ) -> Result<Vec<u64>> {
        let mut w = self.lock()?;
        self.append_locked(&mut w, store, batch, now, pending, |_, _| Ok(()))
    }

    /// Appends one entry; returns its sequence number.
    pub fn append(&self, store: &Store, now: Timestamp, pending: Pending) -> Result<u64> {
        let seqs = self.append_with(store, now, vec![pending], |_, _| Ok(()))?;
        first(&seqs)
    }

    /// Runs `decide` and appends the entry it returns while holding the writer lock, so that
    /// a decision that depends on the log (a rate limit) cannot interleave with another
    /// append. Returns the entry's sequence number and what `decide` returned beside it.
    pub fn decide_then_append<T>(
        &self,
        store: &Store,
        now: Timestamp,
        decide: impl FnOnce() -> Result<(Pending, T)>,
    ) -> Result<(u64, T)> {
        let mut w = self.lock()?;
        let (pending, out) = decide()?;
        let seqs =
            self.append_locked(&mut w, store, store.batch(), now, vec![pending], |_, _| {
                Ok(())
            })?;
        Ok((first(&seqs)?, out))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, WriterState>> {
        self.writer.lock().map_err(|_| Error::Poisoned {
            lock: "audit writer",
        })
    }

    fn append_locked(
        &self,
        w: &mut WriterState,
        store: &Store,
        mut batch: StoreBatch<'_>,
        now: Timestamp,
        pending: Vec<Pending>,
        extra: impl FnOnce(&mut StoreBatch<'_>, &[u64]) -> Result<()>,
    ) -> Result<Vec<u64>> {
        let keys = self.keys.as_ref().ok_or(Error::ReadOnly)?;
        let mut frontier = w.frontier.clone();
        let time = now.max(w.last_time);
        let mut seqs = Vec::with_capacity(pending.len());
        for p in pending {
            let seq = frontier.size();
            let mut entry = p.entry;
            entry.seq = seq;
            entry.time = time;
            if let Some(payload) = &p.payload {
                let sealed = payload
                    .key
                    .seal(&payload_aad(seq), payload.text.as_bytes())?;
                let record = payload_record(&payload.month, &sealed);
                entry.payload = Some(blake3::hash(&record).to_hex().to_string());
                batch.put(CF_AUDIT, &payload_key(seq), &record)?;
            }
            let bytes = entry.encode();
            let leaf = Blake3Hasher.hash_leaf(&bytes);
            batch.put(CF_AUDIT, &entry_key(seq), &bytes)?;
            for (level, index, hash) in frontier.append(&Blake3Hasher, leaf) {
                batch.put(CF_AUDIT, &node_key(level, index), &hash)?;
            }
            if p.fingerprint.is_some() && p.fingerprint != indexed_fingerprint(&entry) {
                return Err(Error::Internal(format!(
                    "audit entry {seq}: the fingerprint to index is not the entry's own"
                )));
            }
            for k in index_keys_of(&entry) {
                batch.put(CF_AUDIT, &k, &[])?;
            }
            seqs.push(seq);
        }
        extra(&mut batch, &seqs)?;
        let note = Checkpoint {
            origin: self.origin.clone(),
            size: frontier.size(),
            root: frontier.root(&Blake3Hasher),
        }
        .sign(&keys.signing, &self.origin);
        batch.put(CF_AUDIT, KEY_CHECKPOINT, note.as_bytes())?;
        store.write(batch, Durability::Sync)?;
        w.frontier = frontier;
        w.last_time = time;
        Ok(seqs)
    }

    /// Request attempts (allowed or denied) by `agency` + `requester` at or after `since`.
    pub fn attempts_since(
        store: &Store,
        agency: &str,
        requester: &str,
        since: Timestamp,
    ) -> Result<u32> {
        count_from(store, rate_prefix(agency, requester), since)
    }

    /// A reviewer's requests (allowed or denied) at or after `since`, counted in the
    /// reviewers' own bucket; `reviewer` in [`crate::policy::canonical_id`] form.
    pub fn review_attempts_since(store: &Store, reviewer: &str, since: Timestamp) -> Result<u32> {
        count_from(store, review_prefix(reviewer), since)
    }

    /// Sequence numbers of the entries indexed under a plate fingerprint.
    pub fn seqs_with_fingerprint(store: &Store, fingerprint: &[u8; 32]) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        store.scan_prefix(CF_AUDIT, &fingerprint_prefix(fingerprint), |k, _| {
            if let Some(tail) = k.get(33..41) {
                let mut b = [0u8; 8];
                b.copy_from_slice(tail);
                out.push(u64::from_be_bytes(b));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// Opens the sealed payload of an entry, if it still exists and its month's key has not
    /// been destroyed; `key_of(month)` gives that month's key.
    pub fn open_payload(
        store: &Store,
        seq: u64,
        key_of: impl FnOnce(&str) -> Result<Option<SealKey>>,
    ) -> Result<Option<String>> {
        let Some(record) = store.get(CF_AUDIT, &payload_key(seq))? else {
            return Ok(None);
        };
        let (month, sealed) = split_payload_record(&record).ok_or_else(|| {
            Error::Damaged(format!("the payload of audit entry {seq} is malformed"))
        })?;
        let Some(key) = key_of(month)? else {
            return Ok(None);
        };
        let plain = key.open(&payload_aad(seq), sealed)?;
        String::from_utf8(plain)
            .map(Some)
            .map_err(|_| Error::Damaged(format!("the payload of audit entry {seq} is not UTF-8")))
    }
}

/// Index records under `prefix` dated at or after `since`.
fn count_from(store: &Store, prefix: Vec<u8>, since: Timestamp) -> Result<u32> {
    let mut from = prefix.clone();
    from.extend_from_slice(&since.as_micros().to_be_bytes());
    let to = crate::store::prefix_successor(&prefix).unwrap_or_else(|| vec![0xff; 64]);
    let mut n = 0u32;
    store.scan_range(CF_AUDIT, &from, &to, |_, _| {
        n = n.saturating_add(1);
        Ok(true)
    })?;
    Ok(n)
}

/// Number of entries in a stored log (one past the last entry's sequence number).
pub fn stored_size(store: &Store) -> Result<u64> {
    match store.last_key_with_prefix(CF_AUDIT, &[PFX_ENTRY])? {
        None => Ok(0),
        Some(k) if k.len() == 9 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&k[1..]);
            Ok(u64::from_be_bytes(b) + 1)
        }
        Some(_) => Err(Error::Damaged("an audit entry key is malformed".into())),
    }
}

/// The raw canonical bytes of entry `seq`.
pub fn read_entry_bytes(store: &Store, seq: u64) -> Result<Vec<u8>> {
    store
        .get(CF_AUDIT, &entry_key(seq))?
        .ok_or_else(|| Error::Damaged(format!("audit entry {seq} is missing")))
}

/// Entry `seq`, decoded.
pub fn read_entry(store: &Store, seq: u64) -> Result<Entry> {
    let bytes = read_entry_bytes(store, seq)?;
    Entry::decode(seq, &bytes).map_err(decode_err)
}

/// The latest signed checkpoint the log stored (a C2SP signed note), if any.
pub fn stored_checkpoint(store: &Store) -> Result<Option<String>> {
    match store.get(CF_AUDIT, KEY_CHECKPOINT)? {
        None => Ok(None),
        Some(b) => String::from_utf8(b)
            .map(Some)
            .map_err(|_| Error::Damaged("the stored checkpoint is not UTF-8".into())),
    }
}

/// Calls `f(seq, bytes)` for every stored entry in order, checking there are no gaps.
pub fn for_each_entry_bytes(
    store: &Store,
    mut f: impl FnMut(u64, &[u8]) -> Result<()>,
) -> Result<u64> {
    let mut expected = 0u64;
    let mut failure = None;
    store.scan_prefix(CF_AUDIT, &[PFX_ENTRY], |k, v| {
        if k.len() != 9 {
            failure = Some(Error::Damaged("an audit entry key is malformed".into()));
            return Ok(false);
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&k[1..]);
        let seq = u64::from_be_bytes(b);
        if seq != expected {
            failure = Some(Error::Damaged(format!(
                "audit entry {expected} is missing (next is {seq})"
            )));
            return Ok(false);
        }
        f(seq, v)?;
        expected += 1;
        Ok(true)
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(expected),
    }
}

fn first(seqs: &[u64]) -> Result<u64> {
    seqs.first()
        .copied()
        .ok_or_else(|| Error::Internal("an append returned no sequence number".into()))
}

fn merkle_err(e: merkle::MerkleError<Error>) -> Error {
    match e {
        merkle::MerkleError::Source { source, .. } => source,
        other => Error::Damaged(format!("audit tree: {other}")),
    }
}

fn decode_err(e: EntryDecodeError) -> Error {
    Error::Damaged(e.to_string())
}

/// A Merkle error from the stored nodes, as a crate error.
pub fn from_merkle(e: merkle::MerkleError<Error>) -> Error {
    merkle_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::entry::EntryKind;

    fn entry(kind: EntryKind, agency: Option<&str>, requester: &str) -> Entry {
        let mut e = Entry::new(kind);
        e.seq = 9;
        e.time = Timestamp::from_unix_secs(1_795_000_000);
        e.agency = agency.map(str::to_string);
        e.requester = Some(requester.to_string());
        e
    }

    #[test]
    fn reviewers_have_a_bucket_of_their_own_and_old_entries_keep_their_keys() {
        let review = entry(EntryKind::ReviewerCheck, None, "OVERSIGHT-1");
        let search = entry(EntryKind::Search, Some("REVIEW"), "OVERSIGHT-1");
        let legacy = entry(EntryKind::ReviewerCheck, Some("REVIEW"), "OVERSIGHT-1");
        let justification = entry(EntryKind::JustificationReview, None, "OVERSIGHT-1");
        let key = |e: &Entry| rate_key_of(e).expect("a request has a rate key");
        assert_eq!(key(&review)[0], PFX_REVIEW);
        assert_eq!(key(&justification)[0], PFX_REVIEW);
        assert_eq!(key(&review), key(&justification), "one reviewers' bucket");
        assert_eq!(key(&search)[0], PFX_RATE);
        // A reviewer check written before the reviewers' bucket keeps the key it was
        // written with, so old logs verify.
        assert_eq!(key(&legacy), key(&search));
        assert_ne!(key(&review), key(&search));
        // Ids are keyed as recorded: an old lower-case entry keeps its own key.
        let lower = entry(EntryKind::Search, Some("CITY-PD"), "det-7");
        let upper = entry(EntryKind::Search, Some("CITY-PD"), "DET-7");
        assert_ne!(key(&lower), key(&upper));
        // Kinds that are not requests have no rate key; the fingerprint index follows the
        // entry's own fingerprint.
        assert!(rate_key_of(&entry(EntryKind::HoldRelease, Some("CITY-PD"), "DET-7")).is_none());
        let mut fp = entry(EntryKind::Search, Some("CITY-PD"), "DET-7");
        fp.fingerprint = Some(hex::encode([7u8; 32]));
        assert_eq!(
            index_keys_of(&fp),
            vec![key(&fp), fingerprint_key(&[7u8; 32], 9)]
        );
        let mut check = review.clone();
        check.fingerprint = Some(hex::encode([7u8; 32]));
        assert_eq!(
            index_keys_of(&check),
            vec![key(&review)],
            "checks are not indexed"
        );
    }
}
