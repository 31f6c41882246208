//! Audit verification and proofs.
//!
//! [`Review::verify`] recomputes the whole tree from the entries themselves (it trusts no
//! stored hash), checks every stored Merkle node and the store's signed tree head against
//! the recomputation, and, given a checkpoint the reviewer kept from earlier (signature
//! checked against a pinned key), checks that the first `size` entries still hash to that
//! checkpoint's root and that a consistency proof from it verifies: truncation, rewriting,
//! reordering and forks after the checkpoint all fail. It streams: memory is O(log n).
//!
//! Proofs follow RFC 9162 with BLAKE3 as the hash, so any RFC 9162 verifier with that hash
//! accepts them; [`check_inclusion`] is such a verifier, needing no store.

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use super::Review;
use crate::audit::checkpoint::Checkpoint;
use crate::audit::entry::{Entry, EntryKind};
use crate::audit::log::{self, StoredNodes};
use crate::audit::merkle::{
    self, Blake3Hasher, Frontier, Hash, NodeSource, TreeHasher, verify_consistency,
    verify_inclusion,
};
use crate::error::{Error, Result};
use crate::model::epoch::Timestamp;

/// The outcome of a verification: `ok`, the log's size and root, and the first problem found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// True when nothing is wrong.
    pub ok: bool,
    /// Entries in the log.
    pub size: u64,
    /// Root of the recomputed tree (hex).
    pub root: String,
    /// What is wrong, in words; absent when `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Size of the reviewer's checkpoint, when one was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_size: Option<u64>,
}

/// An inclusion proof, as `audit prove --seq N --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The entry's sequence number (0-based leaf index).
    pub seq: u64,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The entry's canonical bytes (hex).
    pub entry: String,
    /// `BLAKE3(0x00 || entry)` (hex).
    pub leaf_hash: String,
    /// The root of the tree of `tree_size` entries (hex).
    pub root: String,
    /// The audit path, from the leaf's sibling up (hex).
    pub proof: Vec<String>,
    /// The store's signed checkpoint for `tree_size`, when it has one of that size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

/// A consistency proof, as `audit prove --consistency-from N --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The earlier size.
    pub size1: u64,
    /// The later (current) size.
    pub size2: u64,
    /// Root at `size1` (hex).
    pub root1: String,
    /// Root at `size2` (hex).
    pub root2: String,
    /// The proof (hex).
    pub proof: Vec<String>,
}

/// A checkpoint the reviewer brings, with the key they trust for it.
#[derive(Clone, Debug)]
pub struct PinnedCheckpoint<'a> {
    /// The signed note.
    pub note: &'a str,
    /// The key to trust; `None` trusts the key the store names (weaker).
    pub public_key: Option<VerifyingKey>,
}

impl Review {
    /// Recomputes and checks the whole log; see the module documentation.
    pub fn verify(&self, pinned: Option<PinnedCheckpoint<'_>>) -> Result<VerifyReport> {
        self.consistently(|r| r.verify_once(pinned.clone()), |report| report.ok)
    }

    /// An inclusion proof of entry `seq` in the current tree.
    pub fn prove(&self, seq: u64) -> Result<InclusionProof> {
        self.consistently(|r| r.prove_once(seq), |_| true)
    }

    /// A consistency proof from the tree of `size1` entries to the current tree.
    pub fn prove_consistency(&self, size1: u64) -> Result<ConsistencyProof> {
        self.consistently(|r| r.prove_consistency_once(size1), |_| true)
    }

    /// Recomputes and checks the whole log, once, on this view.
    fn verify_once(&self, pinned: Option<PinnedCheckpoint<'_>>) -> Result<VerifyReport> {
        let mut report = VerifyReport {
            ok: true,
            size: 0,
            root: String::new(),
            problem: None,
            checkpoint_size: None,
        };
        // The reviewer's checkpoint, if any: a bad signature refuses it outright.
        let mut refused = None;
        let theirs = match &pinned {
            None => None,
            Some(p) => {
                let key = p.public_key.unwrap_or(*self.public_key());
                match Checkpoint::open(p.note, self.origin(), &key) {
                    Ok(cp) => Some(cp),
                    Err(e) => {
                        // Still walk the log, so the report gives its real size and root.
                        refused = Some(format!("the checkpoint is refused: {e}"));
                        None
                    }
                }
            }
        };
        report.checkpoint_size = theirs.as_ref().map(|c| c.size);

        let h = Blake3Hasher;
        let nodes = StoredNodes(self.store());
        let mut frontier = Frontier::new();
        let mut root_at_theirs: Option<Hash> = None;
        let mut last_time = Timestamp::from_micros(i64::MIN);
        let mut problem: Option<String> = None;
        // How many index records the entries imply; each stored record is checked against
        // its entry after the walk.
        let mut expected_rate = 0u64;
        let mut expected_review = 0u64;
        let mut expected_fingerprint = 0u64;
        let mut shredded_months = std::collections::BTreeSet::new();
        let mut missing_payloads: Vec<(u64, String)> = Vec::new();
        let mut policy_trail = crate::audit::policy_history::PolicyTrail::new();
        let walked = log::for_each_entry_bytes(self.store(), |seq, bytes| {
            if problem.is_some() {
                return Ok(());
            }
            let entry = match Entry::decode(seq, bytes) {
                Ok(e) => e,
                Err(e) => {
                    problem = Some(e.to_string());
                    return Ok(());
                }
            };
            if entry.seq != seq {
                problem = Some(format!(
                    "entry {seq} says it is entry {}: entries were moved or reordered",
                    entry.seq
                ));
                return Ok(());
            }
            if entry.time < last_time {
                problem = Some(format!(
                    "entry {seq} is dated before the entry ahead of it: entries were reordered"
                ));
                return Ok(());
            }
            if let Some(r) = entry.result_of
                && r >= seq
            {
                problem = Some(format!("entry {seq} completes a later entry {r}"));
                return Ok(());
            }
            last_time = entry.time;
            if let Err(p) = policy_trail.observe(&entry) {
                problem = Some(p);
                return Ok(());
            }
            if entry.kind == EntryKind::PayloadShred
                && let Some(month) = &entry.note
            {
                shredded_months.insert(month.clone());
            }
            if let Some(digest) = &entry.payload {
                match log::stored_payload(self.store(), seq) {
                    // A present payload must match; a missing one must belong to a month
                    // whose payloads were shredded (checked at the end of the walk).
                    Ok(Some(sealed)) if blake3::hash(&sealed).to_hex().as_str() != digest => {
                        problem = Some(format!(
                            "the sealed payload of entry {seq} does not match the digest the entry commits to"
                        ));
                        return Ok(());
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => missing_payloads.push((seq, entry.time.month())),
                    Err(e) => {
                        problem = Some(e.to_string());
                        return Ok(());
                    }
                }
            }
            for k in log::index_keys_of(&entry) {
                match k.first() {
                    Some(&log::INDEX_RATE_PREFIX) => expected_rate += 1,
                    Some(&log::INDEX_REVIEW_PREFIX) => expected_review += 1,
                    _ => expected_fingerprint += 1,
                }
            }
            for (level, index, hash) in frontier.append(&h, h.hash_leaf(bytes)) {
                match nodes.node(level, index) {
                    Ok(stored) if stored == hash => {}
                    Ok(_) => {
                        problem = Some(format!(
                            "the stored Merkle node ({level}, {index}) does not match the entries"
                        ));
                        return Ok(());
                    }
                    Err(e) => {
                        problem = Some(e.to_string());
                        return Ok(());
                    }
                }
            }
            if theirs.as_ref().is_some_and(|c| c.size == frontier.size()) {
                root_at_theirs = Some(frontier.root(&h));
            }
            Ok(())
        });
        if let Err(e) = walked {
            problem.get_or_insert(e.to_string());
        }
        let size = frontier.size();
        let root = frontier.root(&h);
        report.size = size;
        report.root = hex::encode(root);
        if problem.is_none()
            && let Some((seq, _)) = missing_payloads
                .iter()
                .find(|(_, month)| !shredded_months.contains(month))
        {
            problem = Some(format!(
                "the payload of entry {seq} is missing, and its month's payloads were never shredded"
            ));
        }
        use crate::store::layout::{CF_META, META_POLICY};
        if problem.is_none()
            && let Some(in_force) = self.store().get(CF_META, META_POLICY)?
        {
            problem = policy_trail.finish(&in_force).err();
        }
        if let Some(p) = refused.or(problem) {
            return Ok(fail(report, p));
        }

        // The rate-limit and reviewer indexes must hold exactly the keys the entries imply:
        // a deleted index key would hide a search from `audit searched` or reset a rate limit,
        // an added one would charge a requester for searches never made.
        if let Some(p) =
            self.check_indexes(size, [expected_rate, expected_review, expected_fingerprint])?
        {
            return Ok(fail(report, p));
        }

        // The store's own signed tree head must match the entries.
        match log::stored_checkpoint(self.store())? {
            None if size > 0 => return Ok(fail(report, "the log has no signed tree head".into())),
            None => {}
            Some(note) => match Checkpoint::open(&note, self.origin(), self.public_key()) {
                Err(e) => {
                    return Ok(fail(
                        report,
                        format!("the store's signed tree head does not verify: {e}"),
                    ));
                }
                Ok(cp) if cp.size != size || cp.root != root => {
                    return Ok(fail(
                        report,
                        format!(
                            "the store's signed tree head (size {}) does not match the entries (size {size})",
                            cp.size
                        ),
                    ));
                }
                Ok(_) => {}
            },
        }

        if let Some(cp) = theirs {
            if cp.size > size {
                return Ok(fail(
                    report,
                    format!(
                        "the log has {size} entries but the checkpoint has {}: entries were removed (truncated)",
                        cp.size
                    ),
                ));
            }
            if cp.size == 0 {
                return Ok(report);
            }
            match root_at_theirs {
                Some(r) if r == cp.root => {}
                _ => {
                    return Ok(fail(
                        report,
                        format!(
                            "the first {} entries no longer hash to the checkpoint's root: entries before it were changed, reordered or the log forked",
                            cp.size
                        ),
                    ));
                }
            }
            // Belt and braces: the proof a remote reviewer would get must verify too.
            let proof =
                merkle::consistency_proof(&h, &nodes, cp.size, size).map_err(log::from_merkle)?;
            if let Err(e) = verify_consistency(&h, cp.size, size, &cp.root, &root, &proof) {
                return Ok(fail(report, format!("the consistency proof fails: {e}")));
            }
        }
        Ok(report)
    }

    /// Checks the `r` (rate-limit) and `f` (reviewer-check) indexes against the entries:
    /// every stored index key must be exactly the key its entry implies (the entry it names is
    /// read, decoded and its key recomputed) with an empty value, and each index must hold as
    /// many keys as the
    /// entries imply. Each entry implies at most one key per index, so a stored set whose
    /// every key is implied and whose size equals the implied count is the implied set: no
    /// key is missing, added, moved or changed. It streams: the index in key order, one entry
    /// read per key, memory O(1). Returns the first problem found.
    fn check_indexes(
        &self,
        size: u64,
        [expected_rate, expected_review, expected_fingerprint]: [u64; 3],
    ) -> Result<Option<String>> {
        let store = self.store();
        for (prefix, name, expected) in [
            (log::INDEX_RATE_PREFIX, "rate-limit", expected_rate),
            (
                log::INDEX_REVIEW_PREFIX,
                "reviewers' rate-limit",
                expected_review,
            ),
            (
                log::INDEX_FINGERPRINT_PREFIX,
                "reviewer-check",
                expected_fingerprint,
            ),
        ] {
            let mut stored = 0u64;
            let mut problem: Option<String> = None;
            // Index keys in chunks: each chunk's entries are read with one batched read, in
            // sequence order, so memory stays bounded and the reads are not one by one.
            let mut chunk: Vec<(Vec<u8>, u64)> = Vec::with_capacity(INDEX_CHUNK);
            let check_chunk = |chunk: &mut Vec<(Vec<u8>, u64)>| -> Result<Option<String>> {
                let found = check_index_chunk(store, prefix, name, chunk);
                chunk.clear();
                found
            };
            store.scan_prefix(crate::store::layout::CF_AUDIT, &[prefix], |key, value| {
                stored += 1;
                // Index records are keys only: a value is something smuggled in.
                if !value.is_empty() {
                    problem = Some(format!(
                        "a {name} index record carries a value of {} bytes: index records were changed",
                        value.len()
                    ));
                    return Ok(false);
                }
                let Some(seq) = log::index_key_seq(key) else {
                    problem = Some(format!(
                        "a {name} index record is malformed: index records were added or changed"
                    ));
                    return Ok(false);
                };
                if seq >= size {
                    problem = Some(format!(
                        "a {name} index record names entry {seq}, past the end of the log ({size} entries): index records were added"
                    ));
                    return Ok(false);
                }
                chunk.push((key.to_vec(), seq));
                if chunk.len() == INDEX_CHUNK {
                    problem = check_chunk(&mut chunk)?;
                    return Ok(problem.is_none());
                }
                Ok(true)
            })?;
            if problem.is_none() {
                problem = check_chunk(&mut chunk)?;
            }
            if problem.is_none() && stored != expected {
                problem = Some(format!(
                    "the {name} index holds {stored} records but the entries imply {expected}: index records were {}",
                    if stored < expected {
                        "removed"
                    } else {
                        "added"
                    }
                ));
            }
            if problem.is_some() {
                return Ok(problem);
            }
        }
        Ok(None)
    }

    /// An inclusion proof on this view.
    fn prove_once(&self, seq: u64) -> Result<InclusionProof> {
        let h = Blake3Hasher;
        let nodes = StoredNodes(self.store());
        let size = log::stored_size(self.store())?;
        if seq >= size {
            return Err(Error::InvalidArgument(format!(
                "the log has {size} entries (0 to {}); there is no entry {seq}",
                size.saturating_sub(1)
            )));
        }
        let bytes = log::read_entry_bytes(self.store(), seq)?;
        let leaf = h.hash_leaf(&bytes);
        let root = merkle::root(&h, &nodes, size).map_err(log::from_merkle)?;
        let proof = merkle::inclusion_proof(&h, &nodes, seq, size).map_err(log::from_merkle)?;
        let checkpoint = log::stored_checkpoint(self.store())?
            .filter(|note| Checkpoint::parse_unverified(note).is_ok_and(|(c, _)| c.size == size));
        Ok(InclusionProof {
            seq,
            tree_size: size,
            entry: hex::encode(&bytes),
            leaf_hash: hex::encode(leaf),
            root: hex::encode(root),
            proof: proof.iter().map(hex::encode).collect(),
            checkpoint,
        })
    }

    /// A consistency proof on this view.
    fn prove_consistency_once(&self, size1: u64) -> Result<ConsistencyProof> {
        let h = Blake3Hasher;
        let nodes = StoredNodes(self.store());
        let size2 = log::stored_size(self.store())?;
        if size1 == 0 || size1 > size2 {
            return Err(Error::InvalidArgument(format!(
                "--consistency-from must be from 1 to the log's size ({size2})"
            )));
        }
        let root1 = merkle::root(&h, &nodes, size1).map_err(log::from_merkle)?;
        let root2 = merkle::root(&h, &nodes, size2).map_err(log::from_merkle)?;
        let proof =
            merkle::consistency_proof(&h, &nodes, size1, size2).map_err(log::from_merkle)?;
        Ok(ConsistencyProof {
            size1,
            size2,
            root1: hex::encode(root1),
            root2: hex::encode(root2),
            proof: proof.iter().map(hex::encode).collect(),
        })
    }
}

/// How many index keys are checked per batched read of their entries.
const INDEX_CHUNK: usize = 4096;

/// The fields of an entry that its index keys are made of (decoded without the rest).
#[derive(Deserialize)]
struct IndexedFields<'a> {
    seq: u64,
    time: Timestamp,
    kind: EntryKind,
    #[serde(default, borrow)]
    agency: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    requester: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    fingerprint: Option<std::borrow::Cow<'a, str>>,
}

/// Checks a chunk of index keys `(key, seq)` of one index: reads the entries they name (one
/// batched read, in sequence order) and requires each key to be the one its entry implies.
fn check_index_chunk(
    store: &crate::store::Store,
    prefix: u8,
    name: &str,
    chunk: &mut [(Vec<u8>, u64)],
) -> Result<Option<String>> {
    chunk.sort_by_key(|(_, seq)| *seq);
    let entry_keys: Vec<Vec<u8>> = chunk
        .iter()
        .map(|(_, seq)| log::entry_key(*seq).to_vec())
        .collect();
    let mut problem = None;
    store.get_sorted(crate::store::layout::CF_AUDIT, &entry_keys, |i, bytes| {
        if problem.is_some() {
            return Ok(());
        }
        let (key, seq) = (&chunk[i].0, chunk[i].1);
        let Some(bytes) = bytes else {
            problem = Some(format!(
                "a {name} index record names entry {seq}, which is missing"
            ));
            return Ok(());
        };
        // The walk checked that every entry decodes canonically; only these fields matter.
        let fields: IndexedFields = match serde_json::from_slice(bytes) {
            Ok(f) => f,
            Err(e) => {
                problem = Some(format!("audit entry {seq} is malformed: {e}"));
                return Ok(());
            }
        };
        // The one definition of an entry's index keys (`log::index_keys_of`), applied to the
        // fields it reads.
        let mut entry = Entry::new(fields.kind);
        entry.seq = fields.seq;
        entry.time = fields.time;
        entry.agency = fields.agency.map(|a| a.into_owned());
        entry.requester = fields.requester.map(|r| r.into_owned());
        entry.fingerprint = fields.fingerprint.map(|f| f.into_owned());
        let implied = log::index_keys_of(&entry)
            .into_iter()
            .find(|k| k.first() == Some(&prefix));
        if implied.as_deref() != Some(key.as_slice()) {
            problem = Some(format!(
                "a {name} index record names entry {seq}, but that entry implies {}: index records were added, moved or changed",
                if implied.is_some() {
                    "another key"
                } else {
                    "no such record"
                }
            ));
        }
        Ok(())
    })?;
    Ok(problem)
}

fn fail(mut report: VerifyReport, problem: String) -> VerifyReport {
    report.ok = false;
    report.problem = Some(problem);
    report
}

/// Why a proof did not check out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofCheckError {
    /// A field is not the hex it should be.
    #[error("{0} is not valid hex of the right length")]
    BadHex(&'static str),
    /// The checkpoint is missing, malformed or not signed by the pinned key.
    #[error("the checkpoint is refused: {0}")]
    Checkpoint(String),
    /// The proof is for another tree than the checkpoint's.
    #[error("the proof is for tree size {proof} but the checkpoint is for size {checkpoint}")]
    SizeMismatch {
        /// Tree size in the proof.
        proof: u64,
        /// Tree size in the checkpoint.
        checkpoint: u64,
    },
    /// The leaf hash does not match the entry bytes.
    #[error("the leaf hash is not BLAKE3(0x00 || entry): the entry was altered")]
    LeafMismatch,
    /// The audit path does not lead to the checkpoint's root.
    #[error("the inclusion proof does not lead to the checkpoint's root: {0}")]
    Path(String),
}

/// Checks an inclusion proof with nothing but the proof, its entry, a signed checkpoint and
/// the pinned public key: the reviewer's side, no store needed. `key_name` is the signer's
/// name on the note (the store's origin, `platevault/<store id>`).
pub fn check_inclusion(
    proof: &InclusionProof,
    checkpoint_note: &str,
    key_name: &str,
    public_key: &VerifyingKey,
) -> std::result::Result<Entry, ProofCheckError> {
    let cp = Checkpoint::open(checkpoint_note, key_name, public_key)
        .map_err(|e| ProofCheckError::Checkpoint(e.to_string()))?;
    if cp.size != proof.tree_size {
        return Err(ProofCheckError::SizeMismatch {
            proof: proof.tree_size,
            checkpoint: cp.size,
        });
    }
    let entry = hex::decode(&proof.entry).map_err(|_| ProofCheckError::BadHex("entry"))?;
    let leaf = hash_of(&proof.leaf_hash, "leaf_hash")?;
    let h = Blake3Hasher;
    if h.hash_leaf(&entry) != leaf {
        return Err(ProofCheckError::LeafMismatch);
    }
    let path = proof
        .proof
        .iter()
        .map(|p| hash_of(p, "proof"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    verify_inclusion(&h, proof.seq, proof.tree_size, &leaf, &path, &cp.root)
        .map_err(|e| ProofCheckError::Path(e.to_string()))?;
    let decoded =
        Entry::decode(proof.seq, &entry).map_err(|e| ProofCheckError::Path(e.to_string()))?;
    if decoded.seq != proof.seq {
        return Err(ProofCheckError::Path(format!(
            "the entry says it is entry {}, the proof says {}",
            decoded.seq, proof.seq
        )));
    }
    Ok(decoded)
}

fn hash_of(text: &str, what: &'static str) -> std::result::Result<Hash, ProofCheckError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| ProofCheckError::BadHex(what))?;
    Ok(out)
}
