//! The crate's error type: one enum whose variants say what went wrong and what to do next.
//!
//! A denied search is not an error: it is a decision, returned as a value. Errors never carry
//! plate text, coordinates or key material.

use std::path::PathBuf;

/// A specialised `Result` for platevault operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in platevault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The master key does not match the store's key-check value.
    #[error(
        "wrong master key: this store was created with (or rotated to) another key; give the key it was made with"
    )]
    WrongMasterKey,
    /// The key was valid once but a rotation to a new key has been committed.
    #[error(
        "this master key was rotated out: the store now opens only with the key it was rotated to"
    )]
    KeyRotatedOut,
    /// No store at the given path.
    #[error("no platevault store at {}: check the path, or create a store there first", path.display())]
    StoreNotFound {
        /// The directory that was given.
        path: PathBuf,
    },
    /// `init` found something already there.
    #[error("{} is not empty; a store is created only in an empty or new directory: choose another", path.display())]
    StoreExists {
        /// The directory that was given.
        path: PathBuf,
    },
    /// Another process, or another handle in this process, has the store open for writing.
    #[error("the store at {} is held open by another process or handle; wait for it to finish", path.display())]
    StoreLocked {
        /// The store directory.
        path: PathBuf,
    },
    /// Something stored failed a check: altered bytes, a missing file, a broken invariant.
    #[error("the store is damaged: {0}. Restore it from a backup or contact the store's operator")]
    Damaged(String),
    /// A write was attempted on a store opened read-only.
    #[error("the store was opened read-only; this operation writes")]
    ReadOnly,
    /// `--now` (a simulated time) was given to a store that runs on the real clock.
    #[error(
        "this store runs on the system clock and refuses a simulated time; only a store created with a simulated clock accepts one"
    )]
    ClockNotSimulated,
    /// An argument the caller gave is unusable (not a policy decision).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A key could not be read, written or unwrapped.
    #[error(transparent)]
    Key(#[from] crate::crypto::keys::KeyError),
    /// A policy file or value was refused.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    /// RocksDB reported an error.
    #[error("storage error: {0}")]
    Storage(rocksdb::Error),
    /// A file outside RocksDB could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Deleted data was to be purged from the files, but files that held it are still there
    /// after the flush or forced compaction: nothing was certified. The purge mark stays
    /// and the purge is retried at the next open.
    #[error(
        "the purge of {what} is not confirmed: {files:?} still exist after the forced flush or compaction; nothing was certified, and the purge is retried at the next open"
    )]
    PurgeUnconfirmed {
        /// The column family (or the write-ahead log) being purged.
        what: String,
        /// The files (names relative to the database directory) that remain.
        files: Vec<String>,
    },
    /// A lock of the open store was poisoned: a thread panicked while holding it, so what it
    /// guards may be half-changed in memory (never on disk: every step is durable or not
    /// done). Drop every handle on the store and open it again.
    #[error(
        "the store's {lock} lock was poisoned by a panic in another thread; close the store and open it again"
    )]
    Poisoned {
        /// Which lock (as `docs/design.md`'s lock table names it).
        lock: &'static str,
    },
    /// A bug or an impossible state; please report it.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<rocksdb::Error> for Error {
    fn from(e: rocksdb::Error) -> Self {
        match e.kind() {
            rocksdb::ErrorKind::Corruption => Error::Damaged(e.into_string()),
            _ => Error::Storage(e),
        }
    }
}

impl From<crate::crypto::seal::SealError> for Error {
    fn from(e: crate::crypto::seal::SealError) -> Self {
        match e {
            crate::crypto::seal::SealError::Random(msg) => {
                Error::Internal(format!("random number generator: {msg}"))
            }
            other => Error::Damaged(other.to_string()),
        }
    }
}
