//! The store's writer lock: one read-write open of a store at a time, across processes and
//! within one.
//!
//! The lock is an `fcntl` record lock on `platevault.lock` in the store directory. Unlike a
//! `flock` lock, which belongs to an open file description, an `fcntl` lock belongs to the
//! process: a child that another thread forks holds a copy of the descriptor until it execs,
//! but never the lock, so a store closed here can be opened again at once. In return, `fcntl`
//! locks do not exclude the process that holds them, and closing *any* descriptor of the file
//! releases them; so this process's own holders are kept in a registry, and every open and
//! close of the lock file happens under the registry's mutex.

use std::collections::BTreeSet;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustix::fs::{FlockOperation, fcntl_lock};
use rustix::io::Errno;

use super::header::LOCK_FILE;
use crate::error::{Error, Result};

/// The store directories (canonical paths) this process holds open for writing.
static HELD: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// A held writer lock; released on drop.
#[derive(Debug)]
pub(crate) struct StoreLock {
    /// The lock file's descriptor: closing it releases the lock.
    file: Option<File>,
    /// The registry key of the store directory.
    key: PathBuf,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        // Close first, then leave the registry, both under the mutex: a thread of this
        // process that locks the store next must not have its lock released by our close.
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        drop(self.file.take());
        held.remove(&self.key);
    }
}

fn registry_key(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// True when the error says another process holds a conflicting lock.
fn is_conflict(e: Errno) -> bool {
    e == Errno::AGAIN || e == Errno::ACCESS
}

/// Takes the store's writer lock, or reports that someone has it.
pub(crate) fn lock_store(dir: &Path) -> Result<StoreLock> {
    let key = registry_key(dir);
    let locked = || Error::StoreLocked {
        path: dir.to_path_buf(),
    };
    let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
    if held.contains(&key) {
        return Err(locked());
    }
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(super::perms::FILE_MODE)
        .open(&path)
        .map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    match fcntl_lock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(e) if is_conflict(e) => return Err(locked()),
        Err(e) => {
            return Err(Error::Io {
                path,
                source: e.into(),
            });
        }
    }
    held.insert(key.clone());
    Ok(StoreLock {
        file: Some(file),
        key,
    })
}

/// True while a process (this one included) holds the store at `dir` open for writing.
pub(crate) fn writer_holds(dir: &Path) -> bool {
    let held = HELD.lock().unwrap_or_else(|p| p.into_inner());
    if held.contains(&registry_key(dir)) {
        return true;
    }
    // No thread of this process holds it (and none can take it while we hold the mutex), so
    // closing this probe's descriptor releases nothing of ours.
    match File::open(dir.join(LOCK_FILE)) {
        Ok(f) => matches!(
            fcntl_lock(&f, FlockOperation::NonBlockingLockShared),
            Err(e) if is_conflict(e)
        ),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_writer_per_store_within_a_process_and_released_on_drop() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert!(!writer_holds(tmp.path()));
        let first = lock_store(tmp.path()).expect("first lock");
        assert!(writer_holds(tmp.path()));
        assert!(matches!(
            lock_store(tmp.path()),
            Err(Error::StoreLocked { .. })
        ));
        // A probe of this process must not release the lock it holds.
        assert!(writer_holds(tmp.path()));
        drop(first);
        assert!(!writer_holds(tmp.path()));
        let again = lock_store(tmp.path()).expect("relocked after drop");
        drop(again);
    }
}
