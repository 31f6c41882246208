//! File modes: every folder platevault creates is 0700, every file it writes 0600.
//!
//! A store holds more than sealed reads: the audit log names requesters, agencies and case
//! numbers in clear, and `search --images` writes decrypted images. None of it is for other
//! accounts on the machine, so nothing platevault makes may be readable by group or others.
//!
//! RocksDB creates its own files (SST, WAL, MANIFEST, OPTIONS, LOG, blob files) with mode
//! `0644 & !umask` and takes no mode from its caller. Three things close that gap:
//!
//! 1. the store folder and its `db` folder are 0700, so no other account can reach a file
//!    inside whatever the file's own mode (the real protection);
//! 2. the `platevault` binary sets its umask to 0077 before it does anything, so every file
//!    it or RocksDB creates is 0600 (and every folder 0700) from the start;
//! 3. every read-write open (and creation) tightens the store: the folders to 0700 and the
//!    files to owner-only, so an embedding application whose umask is 0022, or a store made
//!    before these modes, is brought back to them. Files RocksDB creates while such an
//!    application runs are 0644 inside a 0700 folder until the next open.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of every folder platevault creates: owner only.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file platevault writes: owner read and write.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parent with mode 0700. An existing folder is left as it is.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Opens `path` for writing, truncated, creating it with mode 0600; a file that already
/// existed (a leftover temporary, an image written before) is set to 0600 too.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Writes `bytes` to `path` (created or truncated) with mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    create_private_file(path)?.write_all(bytes)
}

/// Sets the process umask to 0077, so that every file and folder the process (or a library it
/// calls, such as RocksDB) creates from now on is owner-only. For programs, not libraries:
/// the umask is process-wide.
pub fn restrict_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Tightens the store at `dir`: the folder and every folder below it to 0700, every file to
/// owner-only (the owner's bits are kept, group and other bits removed). Symbolic links are
/// neither followed nor changed; files that vanish meanwhile (RocksDB deletes obsolete files
/// in the background) are skipped. Returns the number of entries changed.
pub fn tighten_store(dir: &Path) -> io::Result<u64> {
    let mut changed = 0;
    tighten(dir, &mut changed, 0)?;
    Ok(changed)
}

/// Deepest folder nesting followed (a store has two levels).
const MAX_DEPTH: u32 = 8;

fn tighten(path: &Path, changed: &mut u64, depth: u32) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode() & 0o7777;
    let wanted = if kind.is_dir() {
        DIR_MODE
    } else {
        mode & 0o700
    };
    if mode != wanted && (kind.is_dir() || mode & 0o077 != 0) {
        match std::fs::set_permissions(path, Permissions::from_mode(wanted)) {
            Ok(()) => *changed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    if kind.is_dir() && depth < MAX_DEPTH {
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            match entry {
                Ok(entry) => tighten(&entry.path(), changed, depth + 1)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p)
            .expect("meta")
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn private_files_and_folders_are_owner_only() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/b");
        create_private_dir_all(&dir).expect("mkdir");
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("f");
        std::fs::write(&f, b"old").expect("write");
        std::fs::set_permissions(&f, Permissions::from_mode(0o644)).expect("chmod");
        write_private(&f, b"new").expect("write");
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read(&f).expect("read"), b"new");
    }

    #[test]
    fn tightening_strips_group_and_other_bits_and_keeps_links() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("store");
        std::fs::create_dir_all(root.join("db")).expect("mkdir");
        std::fs::set_permissions(&root, Permissions::from_mode(0o755)).expect("chmod");
        std::fs::set_permissions(root.join("db"), Permissions::from_mode(0o775)).expect("chmod");
        let sst = root.join("db/000001.sst");
        std::fs::write(&sst, b"x").expect("write");
        std::fs::set_permissions(&sst, Permissions::from_mode(0o644)).expect("chmod");
        let ro = root.join("db/ro");
        std::fs::write(&ro, b"x").expect("write");
        std::fs::set_permissions(&ro, Permissions::from_mode(0o444)).expect("chmod");
        let outside = tmp.path().join("outside");
        std::fs::write(&outside, b"x").expect("write");
        std::fs::set_permissions(&outside, Permissions::from_mode(0o644)).expect("chmod");
        std::os::unix::fs::symlink(&outside, root.join("link")).expect("symlink");

        assert_eq!(tighten_store(&root).expect("tighten"), 4);
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("db")), 0o700);
        assert_eq!(mode(&sst), 0o600);
        assert_eq!(mode(&ro), 0o400);
        assert_eq!(mode(&outside), 0o644, "a link's target is not touched");
        assert_eq!(tighten_store(&root).expect("again"), 0);
        assert_eq!(tighten_store(&tmp.path().join("none")).expect("absent"), 0);
    }
}
