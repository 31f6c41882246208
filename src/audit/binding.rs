//! The header bound to the audit log: what a reader without the master key can check.
//!
//! The header (`platevault.json`) is plain JSON; its clock mode and epoch width change how
//! the store behaves (a simulated clock accepts `--now` and never moves by itself). A
//! read-write open checks them against the MAC the master key made (`core`); a keyless
//! reader cannot, so it checks them against the audit log instead: the `store_created`
//! entry of a store records the digest of the header's behaviour fields
//! ([`Header::binding_digest`]), and a store made before that field existed gets a
//! `header_bound` entry (whose sequence number `meta: header_bound` keeps) at its first
//! read-write open. A header that differs from its binding entry is damage.
//!
//! The entry is as trustworthy as the log: a forger who rewrites entry 0 must also recompute
//! the Merkle tree and sign a new tree head, which needs the checkpoint key (wrapped under the
//! master key); `audit verify --checkpoint` with a pinned key catches a forger who also
//! replaced the public key.

use ed25519_dalek::VerifyingKey;

use crate::audit::checkpoint::Checkpoint;
use crate::audit::entry::{Entry, EntryKind};
use crate::audit::log::{for_each_entry_bytes, read_entry, stored_checkpoint, stored_size};
use crate::audit::merkle::{Blake3Hasher, Frontier, TreeHasher};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::header::Header;
use crate::store::layout::{CF_META, META_HEADER_BOUND};

/// Where the log binds the header, if it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderBinding {
    /// The entry (`store_created` or `header_bound`) at this sequence number records the
    /// header's digest, and the header matches it.
    Entry(u64),
    /// A store made before the binding existed and not yet opened read-write since: the
    /// log says nothing of the clock mode or epoch width.
    Unbound,
    /// Entry 0 cannot be read as a `store_created` entry: the log itself is damaged (which
    /// `audit verify` reports); the header cannot be checked against it.
    LogUnreadable(String),
}

impl HeaderBinding {
    /// True when the header was checked against the log.
    pub fn is_bound(&self) -> bool {
        matches!(self, HeaderBinding::Entry(_))
    }
}

/// The entry that binds a header made before the binding existed (appended once, at the
/// first read-write open).
pub fn bound_entry(header: &Header) -> Entry {
    let mut entry = Entry::new(EntryKind::HeaderBound);
    stamp(&mut entry, header);
    entry
}

/// Records the header's clock mode, epoch width and digest in an entry (`store_created`).
pub fn stamp(entry: &mut Entry, header: &Header) {
    entry.clock = Some(header.clock.as_str().to_string());
    entry.epoch_width = Some(header.epoch_width);
    entry.header = Some(header.binding_digest());
}

/// Checks `header` against the entry that binds it: entry 0 (`store_created`) when it records
/// a digest, else the `header_bound` entry `meta: header_bound` names. A mismatch, a missing
/// or foreign binding entry, is [`Error::Damaged`].
pub fn check(store: &Store, header: &Header) -> Result<HeaderBinding> {
    if stored_size(store)? == 0 {
        return Ok(HeaderBinding::LogUnreadable(
            "the audit log is empty: it lacks the store_created entry".into(),
        ));
    }
    let created = match read_entry(store, 0) {
        Ok(e) => e,
        Err(Error::Damaged(why)) => return Ok(HeaderBinding::LogUnreadable(why)),
        Err(e) => return Err(e),
    };
    if created.kind != EntryKind::StoreCreated {
        return Ok(HeaderBinding::LogUnreadable(format!(
            "audit entry 0 is a {} entry, not store_created",
            created.kind.as_str()
        )));
    }
    if created.header.is_some() {
        compare(&created, header)?;
        return Ok(HeaderBinding::Entry(0));
    }
    let Some(b) = store.get(CF_META, META_HEADER_BOUND)? else {
        return Ok(HeaderBinding::Unbound);
    };
    let seq = u64::from_be_bytes(
        b.as_slice()
            .try_into()
            .map_err(|_| Error::Damaged("the header_bound marker is not 8 bytes".into()))?,
    );
    let bound = read_entry(store, seq)?;
    if bound.kind != EntryKind::HeaderBound {
        return Err(Error::Damaged(format!(
            "the header_bound marker names audit entry {seq}, a {} entry",
            bound.kind.as_str()
        )));
    }
    compare(&bound, header)?;
    Ok(HeaderBinding::Entry(seq))
}

/// For an unsealed header of an older store, before it is sealed on trust: walks the whole
/// log once, recomputing its Merkle root, and requires that it matches the stored signed
/// tree head (signed by `key`, the store's own checkpoint key, which only the master key
/// unwraps), so that no entry was rewritten to look older (a `store_created` stripped of
/// its digest) or hidden; returns whether a `header_bound` entry exists (then the MAC was
/// stripped: damage).
pub fn scan_before_sealing(store: &Store, origin: &str, key: &VerifyingKey) -> Result<bool> {
    let h = Blake3Hasher;
    let mut frontier = Frontier::new();
    let mut found = false;
    for_each_entry_bytes(store, |seq, bytes| {
        frontier.append(&h, h.hash_leaf(bytes));
        if !found
            && bytes.windows(14).any(|w| w == b"\"header_bound\"")
            && read_entry(store, seq)?.kind == EntryKind::HeaderBound
        {
            found = true;
        }
        Ok(())
    })?;
    let note = stored_checkpoint(store)?
        .ok_or_else(|| Error::Damaged("the audit log has no signed tree head".into()))?;
    let signed = Checkpoint::open(&note, origin, key).map_err(|e| {
        Error::Damaged(format!(
            "the audit log's signed tree head does not verify under the store's key: {e}"
        ))
    })?;
    if signed.size != frontier.size() || signed.root != frontier.root(&h) {
        return Err(Error::Damaged(
            "the audit log's entries do not match its signed tree head: entries were rewritten; the header is not sealed on such a log".into(),
        ));
    }
    Ok(found)
}

fn compare(entry: &Entry, header: &Header) -> Result<()> {
    if entry.header.as_deref() == Some(header.binding_digest().as_str()) {
        return Ok(());
    }
    let what = match (&entry.clock, &entry.epoch_width) {
        (Some(c), _) if c != header.clock.as_str() => format!(
            "its clock mode is {} but audit entry {} recorded {c}",
            header.clock.as_str(),
            entry.seq
        ),
        (_, Some(w)) if *w != header.epoch_width => format!(
            "its epoch width is {} but audit entry {} recorded {w}",
            header.epoch_width, entry.seq
        ),
        _ => format!(
            "its store id or creation time differs from what audit entry {} recorded",
            entry.seq
        ),
    };
    Err(Error::Damaged(format!(
        "the header (platevault.json) was changed: {what}"
    )))
}
