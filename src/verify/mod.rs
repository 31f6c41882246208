//! What a reviewer can do without the master key, and without writing anything.
//!
//! A [`Review`] opens a store read-only (RocksDB's read-only mode, no process lock), so it
//! runs while another process holds the store, and it appends nothing. From it a reviewer
//! verifies the audit log against a checkpoint they kept ([`Review::verify`]), gets signed
//! checkpoints and inclusion or consistency proofs, builds the transparency report, and
//! verifies deletion from the raw files ([`deletion`]). A proof, once out of the store, is
//! checked by [`audit_log::check_inclusion`] with nothing but the proof, the entry, the
//! checkpoint and the pinned public key.

pub mod audit_log;
pub mod deletion;
pub mod scan;

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use crate::audit::binding::HeaderBinding;
use crate::audit::checkpoint::{Checkpoint, public_key_hex};
use crate::audit::entry::Entry;
use crate::audit::log::{self, origin_of};
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::store::header::{DB_DIR, Header};
use crate::store::layout::{self, CF_META};
use crate::store::lock::writer_holds;
use crate::store::{Access, Store, StoreTuning};

/// A store opened read-only for review.
pub struct Review {
    dir: PathBuf,
    header: Header,
    binding: HeaderBinding,
    store: Store,
    origin: String,
    public_key: VerifyingKey,
}

impl std::fmt::Debug for Review {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Review").field("dir", &self.dir).finish()
    }
}

/// The store's latest signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// Entries in the log.
    pub size: u64,
    /// Root hash (hex).
    pub root: String,
    /// The Ed25519 signature (hex).
    pub signature: String,
    /// The signer's public key (hex).
    pub public_key: String,
    /// The whole signed note (C2SP tlog-checkpoint), to publish off the machine.
    pub note: String,
    /// The key name on its signature line (the origin).
    pub key_name: String,
}

impl Review {
    /// Opens the store at `dir` read-only. Needs no master key and takes no lock. Beside a
    /// writer, a view caught mid-change (a family dropped between listing and opening, a
    /// file retired) is retried a few times before the error is reported.
    pub fn open(dir: &Path) -> Result<Review> {
        let mut attempt = 0u64;
        loop {
            match Review::open_once(dir) {
                Err(e) if attempt < 8 && writer_holds(dir) => {
                    tracing::debug!("read-only open beside a writer retried: {e}");
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20 * attempt));
                }
                other => return other,
            }
        }
    }

    fn open_once(dir: &Path) -> Result<Review> {
        let header = Header::read(dir)?;
        let store_id = header.store_id_bytes()?;
        let small = StoreTuning {
            block_cache_bytes: 16 << 20,
            write_buffer_total_bytes: 8 << 20,
            epoch_write_buffer_bytes: 4 << 20,
            ..StoreTuning::default()
        };
        let store = Store::open(&dir.join(DB_DIR), small, Access::ReadOnly)?;
        // Without the master key the header's MAC cannot be checked: its clock mode, epoch
        // width, store id and creation time are checked against the log instead.
        let binding = crate::audit::binding::check(&store, &header)?;
        let pk = store
            .get(CF_META, layout::META_PUBLIC_KEY)?
            .ok_or_else(|| Error::Damaged("the store has no checkpoint public key".into()))?;
        let pk: [u8; 32] = pk
            .as_slice()
            .try_into()
            .map_err(|_| Error::Damaged("the checkpoint public key is not 32 bytes".into()))?;
        let public_key = VerifyingKey::from_bytes(&pk)
            .map_err(|_| Error::Damaged("the checkpoint public key is not valid".into()))?;
        Ok(Review {
            dir: dir.to_path_buf(),
            origin: origin_of(&store_id),
            header,
            binding,
            store,
            public_key,
        })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The store's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// How the header was checked against the audit log: bound by an entry (its clock mode
    /// and epoch width can be trusted as far as the log can), unbound (a store made before
    /// the binding existed and not opened read-write since), or not checkable (entry 0 is
    /// damaged, which `audit verify` reports). A header that differs from its binding entry
    /// never gets this far: [`Review::open`] refuses it as damage.
    pub fn header_binding(&self) -> &HeaderBinding {
        &self.binding
    }

    /// The checkpoint origin (also the key name of its signature line).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The public key the store says signs its checkpoints (pin your own copy instead).
    pub fn public_key(&self) -> &VerifyingKey {
        &self.public_key
    }

    /// The policy in force.
    pub fn policy(&self) -> Result<Policy> {
        let text = self
            .store
            .get(CF_META, layout::META_POLICY)?
            .ok_or_else(|| Error::Damaged("the store has no policy".into()))?;
        let text = String::from_utf8(text)
            .map_err(|_| Error::Damaged("the stored policy is not UTF-8".into()))?;
        Policy::from_toml(&text)
            .map_err(|e| Error::Damaged(format!("the stored policy does not parse: {e}")))
    }

    /// The latest signed checkpoint, verified against the store's own public key.
    pub fn checkpoint(&self) -> Result<CheckpointInfo> {
        self.consistently(Review::checkpoint_once, |_| true)
    }

    fn checkpoint_once(&self) -> Result<CheckpointInfo> {
        let note = log::stored_checkpoint(&self.store)?
            .ok_or_else(|| Error::Damaged("the audit log has no checkpoint".into()))?;
        let cp = Checkpoint::open(&note, &self.origin, &self.public_key).map_err(|e| {
            Error::Damaged(format!("the store's own checkpoint does not verify: {e}"))
        })?;
        let (_, lines) = Checkpoint::parse_unverified(&note)
            .map_err(|e| Error::Damaged(format!("the stored checkpoint: {e}")))?;
        let signature = lines
            .iter()
            .find(|l| l.key_name == self.origin)
            .map(|l| hex::encode(&l.signature))
            .unwrap_or_default();
        Ok(CheckpointInfo {
            size: cp.size,
            root: hex::encode(cp.root),
            signature,
            public_key: public_key_hex(&self.public_key),
            note,
            key_name: self.origin.clone(),
        })
    }

    /// Every entry of the log, in order (for the transparency report).
    pub fn entries(&self) -> Result<Vec<Entry>> {
        self.consistently(Review::entries_once, |_| true)
    }

    fn entries_once(&self) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        log::for_each_entry_bytes(&self.store, |seq, bytes| {
            out.push(Entry::decode(seq, bytes).map_err(|e| Error::Damaged(e.to_string()))?);
            Ok(())
        })?;
        Ok(out)
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// True while another process (or this one) holds the store open for writing.
    pub fn writer_present(&self) -> bool {
        writer_holds(&self.dir)
    }

    /// Runs `op` on this view of the store. A read-only view of a store that a writer is
    /// changing can be torn (a WAL the writer just retired, a file it just compacted away),
    /// so when `op` fails or its answer is not `accept`able while a writer is present, it
    /// runs again on fresh views, a few times, before its last answer is returned.
    fn consistently<T>(
        &self,
        op: impl Fn(&Review) -> Result<T>,
        accept: impl Fn(&T) -> bool,
    ) -> Result<T> {
        let mut outcome = op(self);
        let mut attempt = 0u64;
        while attempt < 6 && !outcome.as_ref().is_ok_and(&accept) && self.writer_present() {
            attempt += 1;
            std::thread::sleep(std::time::Duration::from_millis(20 * attempt));
            outcome = Review::open(&self.dir).and_then(|fresh| op(&fresh));
        }
        outcome
    }
}
