//! Raw-file scanning: look for byte strings in every file under a directory.
//!
//! This is how a reviewer checks a store without trusting it: not by asking RocksDB what it
//! holds, but by reading every byte of every file (SST, blob, WAL, MANIFEST, info logs, the
//! header) and reporting where a needle occurs. Symbolic links are followed, with loop
//! protection, and listed ([`walk`]): a `db` that is a link to a folder elsewhere is scanned
//! where it leads. Files are read in chunks with an overlap of
//! the longest needle, so memory stays flat whatever a file's size; all needles are searched
//! in one pass (Aho-Corasick).

use std::io::Read;
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;

/// A byte string to look for, with a label saying what it is (never the plate itself).
#[derive(Clone)]
pub struct Needle {
    /// What a match means (`plaintext plate`, `wrapped key of epoch ...`).
    pub kind: String,
    /// The bytes to find.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Needle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Needle({}, {} bytes)", self.kind, self.bytes.len())
    }
}

/// One occurrence of a needle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the scanned directory.
    pub file: PathBuf,
    /// Byte offset of the match in the file.
    pub offset: u64,
    /// The needle's kind.
    pub kind: String,
}

/// A symbolic link met under a scanned directory, and what the walk did with it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Symlink {
    /// The link, relative to the scanned directory.
    pub path: PathBuf,
    /// Where it leads (resolved, absolute); `None` when it leads nowhere.
    pub target: Option<PathBuf>,
    /// True when what it leads to was scanned through it.
    pub followed: bool,
    /// Why it was not followed, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The files of a directory tree, found with symbolic links followed.
///
/// The policy is to follow: a link (the `db` directory itself, a file, a subdirectory) leads
/// to bytes the store reads, or that someone placed there, so they are scanned like the
/// rest, and every link is listed ([`Tree::symlinks`]) so a reviewer sees where the bytes
/// came from. Each directory is entered and each file scanned once, however many paths lead
/// to it (identity by device and inode): a link loop ends the walk of that branch.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// Every regular file: its path and its path relative to the scanned directory (through
    /// the links that led to it), sorted by the latter.
    pub files: Vec<(PathBuf, PathBuf)>,
    /// Every symbolic link met, in walk order.
    pub symlinks: Vec<Symlink>,
    /// Entries that are neither regular files nor directories (sockets, pipes, devices),
    /// relative paths; not scanned.
    pub skipped: Vec<PathBuf>,
}

/// The identity of a file or directory, whatever path leads to it.
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// The identity of a file or directory, whatever path leads to it.
#[cfg(not(unix))]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    // No inode numbers: fall back on size and time, good enough to stop a loop.
    let t = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    (meta.len(), t)
}

/// Walks `dir` recursively, following symbolic links; see [`Tree`].
pub fn walk(dir: &Path) -> std::io::Result<Tree> {
    use std::collections::HashSet;
    let mut tree = Tree::default();
    let mut dirs_seen: HashSet<(u64, u64)> = HashSet::new();
    let mut files_seen: HashSet<(u64, u64)> = HashSet::new();
    dirs_seen.insert(identity(&std::fs::metadata(dir)?));
    let mut stack = vec![(dir.to_path_buf(), PathBuf::new())];
    while let Some((d, rel)) = stack.pop() {
        let mut entries = match std::fs::read_dir(&d) {
            Ok(it) => it.collect::<std::io::Result<Vec<_>>>()?,
            // A directory removed while walking (RocksDB's own temporary ones) is no finding.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        entries.sort_by_key(|e| std::cmp::Reverse(e.file_name()));
        for entry in entries {
            let path = entry.path();
            let rel_path = rel.join(entry.file_name());
            let link = entry.file_type()?.is_symlink();
            // Metadata of what the entry leads to (links followed).
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) if link && e.kind() != std::io::ErrorKind::PermissionDenied => {
                    tree.symlinks.push(Symlink {
                        path: rel_path,
                        target: None,
                        followed: false,
                        note: Some(format!("leads nowhere: {e}")),
                    });
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let target = || std::fs::canonicalize(&path).ok();
            if meta.is_dir() {
                let first = dirs_seen.insert(identity(&meta));
                if link {
                    tree.symlinks.push(Symlink {
                        path: rel_path.clone(),
                        target: target(),
                        followed: first,
                        note: (!first).then(|| {
                            "a directory already scanned (a loop, or a second path to it)".into()
                        }),
                    });
                }
                if first {
                    stack.push((path, rel_path));
                }
            } else if meta.is_file() {
                let first = files_seen.insert(identity(&meta));
                if link {
                    tree.symlinks.push(Symlink {
                        path: rel_path.clone(),
                        target: target(),
                        followed: first,
                        note: (!first).then(|| "a file already scanned under another path".into()),
                    });
                }
                if first {
                    tree.files.push((path, rel_path));
                }
            } else {
                if link {
                    tree.symlinks.push(Symlink {
                        path: rel_path.clone(),
                        target: target(),
                        followed: false,
                        note: Some("not a regular file or directory".into()),
                    });
                }
                tree.skipped.push(rel_path);
            }
        }
    }
    tree.files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(tree)
}

/// Every regular file under `dir`, recursively (symbolic links followed, each file once),
/// in a stable order.
pub fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(walk(dir)?.files.into_iter().map(|(p, _)| p).collect())
}

/// Scans every file under `dir` for every needle; returns every occurrence.
pub fn scan_dir(dir: &Path, needles: &[Needle]) -> std::io::Result<Vec<Finding>> {
    scan_tree(&walk(dir)?, needles)
}

/// Scans every file of a walked tree for every needle; returns every occurrence.
pub fn scan_tree(tree: &Tree, needles: &[Needle]) -> std::io::Result<Vec<Finding>> {
    let needles: Vec<&Needle> = needles.iter().filter(|n| !n.bytes.is_empty()).collect();
    if needles.is_empty() {
        return Ok(Vec::new());
    }
    let ac = AhoCorasick::new(needles.iter().map(|n| &n.bytes))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let longest = needles.iter().map(|n| n.bytes.len()).max().unwrap_or(1);
    let mut findings = Vec::new();
    for (path, rel) in &tree.files {
        scan_file(path, rel, &ac, &needles, longest, &mut findings)?;
    }
    Ok(findings)
}

fn scan_file(
    path: &Path,
    rel: &Path,
    ac: &AhoCorasick,
    needles: &[&Needle],
    longest: usize,
    findings: &mut Vec<Finding>,
) -> std::io::Result<()> {
    for_each_chunk(path, longest.saturating_sub(1), |base, buf, carried| {
        for m in ac.find_overlapping_iter(buf) {
            // Matches wholly inside the carried overlap were reported with the last chunk.
            if m.end() <= carried {
                continue;
            }
            findings.push(Finding {
                file: rel.to_path_buf(),
                offset: base + m.start() as u64,
                kind: needles[m.pattern().as_usize()].kind.clone(),
            });
        }
    })
}

/// Digests of fixed-length byte windows to look for: the anchor is the window's first four
/// bytes (a fast filter), the digest its BLAKE3 hash.
#[derive(Clone, Debug, Default)]
pub struct WindowSet {
    window: usize,
    filter: Vec<u64>,
    digests: std::collections::HashMap<[u8; 4], Vec<([u8; 32], String)>>,
}

impl WindowSet {
    /// An empty set for windows of `window` bytes (at least 4).
    pub fn new(window: usize) -> Self {
        WindowSet {
            window: window.max(4),
            filter: vec![0u64; 1 << 10],
            digests: Default::default(),
        }
    }

    /// Adds a window by its anchor and digest, with the kind a match reports.
    pub fn add(&mut self, anchor: [u8; 4], digest: [u8; 32], kind: String) {
        let bit = u16::from_le_bytes([anchor[0], anchor[1]]) as usize;
        self.filter[bit >> 6] |= 1 << (bit & 63);
        self.digests.entry(anchor).or_default().push((digest, kind));
    }

    /// True if nothing was added.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.window
    }

    fn check(&self, buf: &[u8], at: usize) -> Option<&str> {
        let bit = u16::from_le_bytes([buf[at], buf[at + 1]]) as usize;
        if self.filter[bit >> 6] & (1 << (bit & 63)) == 0 {
            return None;
        }
        let anchor: [u8; 4] = buf[at..at + 4].try_into().ok()?;
        let candidates = self.digests.get(&anchor)?;
        let digest = blake3::hash(&buf[at..at + self.window]);
        candidates
            .iter()
            .find(|(d, _)| d == digest.as_bytes())
            .map(|(_, kind)| kind.as_str())
    }
}

/// Slides a window over every byte of every file under `dir` and reports each window whose
/// BLAKE3 digest is in `set`.
pub fn scan_dir_windows(dir: &Path, set: &WindowSet) -> std::io::Result<Vec<Finding>> {
    scan_tree_windows(&walk(dir)?, set)
}

/// Slides a window over every byte of every file of a walked tree and reports each window
/// whose BLAKE3 digest is in `set`.
pub fn scan_tree_windows(tree: &Tree, set: &WindowSet) -> std::io::Result<Vec<Finding>> {
    let mut findings = Vec::new();
    if set.is_empty() {
        return Ok(findings);
    }
    let w = set.window();
    for (path, rel) in &tree.files {
        for_each_chunk(path, w - 1, |base, buf, carried| {
            if buf.len() < w {
                return;
            }
            // Windows starting in the carried overlap could not complete last time, so each
            // window is checked exactly once: start positions from 0 here, but a window that
            // started inside the overlap ended past it only now.
            let first = carried.saturating_sub(w - 1);
            for at in first..=buf.len() - w {
                if at + w <= carried {
                    continue;
                }
                if let Some(kind) = set.check(buf, at) {
                    findings.push(Finding {
                        file: rel.clone(),
                        offset: base + at as u64,
                        kind: kind.to_string(),
                    });
                }
            }
        })?;
    }
    Ok(findings)
}

/// Reads a file in 4 MiB chunks, each starting with the last `overlap` bytes of the one
/// before; calls `f(offset of buf[0], buf, bytes carried over)`.
fn for_each_chunk(
    path: &Path,
    overlap: usize,
    mut f: impl FnMut(u64, &[u8], usize),
) -> std::io::Result<()> {
    const CHUNK: usize = 4 << 20;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        // A file RocksDB deleted between listing and opening is not a finding.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut buf = vec![0u8; CHUNK + overlap];
    let mut carried = 0usize;
    let mut base = 0u64;
    loop {
        let mut filled = carried;
        while filled < buf.len() {
            let n = file.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == carried && base > 0 {
            break;
        }
        f(base, &buf[..filled], carried);
        if filled < buf.len() {
            break;
        }
        let keep = overlap.min(filled);
        buf.copy_within(filled - keep..filled, 0);
        base += (filled - keep) as u64;
        carried = keep;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_windows_by_digest_across_chunk_boundaries_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let window: Vec<u8> = (0..32u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(5))
            .collect();
        let mut data = vec![0xAAu8; (4 << 20) + 64];
        let at = (4 << 20) - 10;
        data[at..at + 32].copy_from_slice(&window);
        data[100..132].copy_from_slice(&window);
        std::fs::write(dir.path().join("f"), &data).expect("write");
        let mut set = WindowSet::new(32);
        let anchor: [u8; 4] = window[..4].try_into().expect("4 bytes");
        set.add(anchor, *blake3::hash(&window).as_bytes(), "material".into());
        let found = scan_dir_windows(dir.path(), &set).expect("scan");
        let offsets: Vec<u64> = found.iter().map(|f| f.offset).collect();
        assert_eq!(offsets, vec![100, at as u64]);
        let mut other = WindowSet::new(32);
        other.add(anchor, [0; 32], "x".into());
        assert!(
            scan_dir_windows(dir.path(), &other)
                .expect("scan")
                .is_empty()
        );
    }

    #[test]
    fn finds_needles_across_chunk_boundaries_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut data = vec![0u8; (4 << 20) + 100];
        let at = (4 << 20) - 3; // straddles the first chunk boundary
        data[at..at + 8].copy_from_slice(b"NEEDLE01");
        data[10..18].copy_from_slice(b"NEEDLE01");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/file.bin"), &data).expect("write");
        std::fs::write(dir.path().join("clean"), b"nothing here").expect("write");
        let found = scan_dir(
            dir.path(),
            &[Needle {
                kind: "marker".into(),
                bytes: b"NEEDLE01".to_vec(),
            }],
        )
        .expect("scan");
        let offsets: Vec<u64> = found.iter().map(|f| f.offset).collect();
        assert_eq!(offsets, vec![10, at as u64]);
        assert!(found.iter().all(|f| f.file == Path::new("sub/file.bin")));
    }
}
