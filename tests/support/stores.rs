//! Stores made and opened through the library in temp directories, policies, master-key
//! files, and whole-directory copies and sizes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use platevault::verify::scan::files_under;
use platevault::{MasterKey, Policy, Timestamp, Vault, VaultOptions};

use super::t0;

/// A simulation store at `<tmp>/store` with a fresh key, whose clock starts at
/// [`super::T0`].
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

/// Creates a simulation store at `dir` (clock starts at `t0`) with `policy`.
pub fn create(dir: &Path, key: &MasterKey, policy: &Policy, t0: Timestamp) -> Vault {
    Vault::create(dir, key, policy, &VaultOptions::new().simulated_clock(t0)).expect("create")
}

/// Opens an existing store.
pub fn open(dir: &Path, key: &MasterKey) -> Vault {
    Vault::open(dir, key, &VaultOptions::new()).expect("open")
}

/// A policy on the default one with another retention, epoch width and search window
/// (spans as the policy writes them: `2d`, `6h`).
pub fn policy(retention: &str, epoch: &str, max_window: &str) -> Policy {
    Policy::from_toml(&format!(
        "agency = \"CITY-PD\"\nretention = \"{retention}\"\nepoch = \"{epoch}\"\nmax_search_window = \"{max_window}\"\n"
    ))
    .expect("policy")
}

/// A fresh master key written to `path` (hex, as `keygen` writes it).
pub fn key_file(path: &Path) -> MasterKey {
    let key = MasterKey::generate().expect("key");
    key.write_new_file(path).expect("write key file");
    key
}

/// The RocksDB directory of a store.
pub fn db_dir(store: &Path) -> PathBuf {
    store.join("db")
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

/// Total bytes of every file under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    files_under(dir)
        .expect("list")
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum()
}

/// Names of the files directly in `dir` whose name ends with one of `exts` (".sst").
pub fn files_with_ext(dir: &Path, exts: &[&str]) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| exts.iter().any(|x| n.ends_with(x)))
        .collect()
}
