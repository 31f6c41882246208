//! The header file (`platevault.json`): what must be known before the database is opened.
//!
//! It holds the store's random id, its epoch width, whether its clock is simulated, and the
//! key-check value of each master key that may open it (two during a key rotation). A wrong
//! master key is refused here, before RocksDB is opened, so a refused open writes nothing.
//! Nothing in it is secret: a key-check value is a keyed hash of the store id under a key
//! derived from the master key. It is replaced atomically (write, fsync, rename, fsync dir).
//!
//! The header is plain JSON that anyone with write access to the directory can edit, so
//! nothing in it is trusted on its word. Each key check carries a MAC ([`Header::mac_message`])
//! under a key derived from its master key, over every field that changes behaviour (format,
//! store id, creation time, clock mode, epoch width) and the key check itself; and the audit
//! log's `store_created` entry (or, for a store made before the MAC existed, its
//! `header_bound` entry) records a digest of the same fields ([`Header::binding_digest`]).
//! A read-write open checks the MAC (`core`); the keyless readers check the digest
//! (`review`). This module only spells the bytes; it knows no keys. See
//! `docs/storage.md#the-header-file`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::epoch::{EpochWidth, Span, Timestamp};

/// File name of the header inside a store directory.
pub const HEADER_FILE: &str = "platevault.json";
/// Name of the RocksDB directory inside a store directory.
pub const DB_DIR: &str = "db";
/// File name of the process lock inside a store directory.
pub const LOCK_FILE: &str = "platevault.lock";
/// The format this code writes and reads.
pub const FORMAT: &str = "platevault/1";

/// One master key that may open the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCheck {
    /// Rotation generation (1 at creation, +1 per rotation).
    pub generation: u32,
    /// Hex of the key-check value.
    pub kcv: String,
    /// Hex of the header MAC under this generation's master key (absent only in headers
    /// written before the MAC existed; added at their first read-write open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// The header's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Must equal [`FORMAT`].
    pub format: String,
    /// The store's random id, hex.
    pub store_id: String,
    /// When the store was created (by its own clock).
    pub created_at: Timestamp,
    /// `system` or `simulated`: only a simulated store accepts `--now`.
    pub clock: ClockMode,
    /// The width of every epoch, fixed at creation.
    pub epoch_width: Span,
    /// Master keys that may open the store; two only while a rotation is under way.
    pub key_checks: Vec<KeyCheck>,
    /// Master keys rotated out (so that one is refused with a clear message).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired_key_checks: Vec<KeyCheck>,
}

/// Where the store's clock takes its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// The machine's clock.
    System,
    /// Only `--now` moves the clock (simulation, tests, demos, benchmarks).
    Simulated,
}

impl ClockMode {
    /// `system` or `simulated`, as the header spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockMode::System => "system",
            ClockMode::Simulated => "simulated",
        }
    }
}

impl Header {
    /// The store id as bytes.
    pub fn store_id_bytes(&self) -> Result<[u8; 16]> {
        let mut id = [0u8; 16];
        hex::decode_to_slice(&self.store_id, &mut id)
            .map_err(|_| Error::Damaged("the header's store id is not 32 hex digits".into()))?;
        Ok(id)
    }

    /// The epoch width.
    pub fn epoch_width(&self) -> Result<EpochWidth> {
        EpochWidth::new(self.epoch_width)
            .map_err(|e| Error::Damaged(format!("the header's epoch width is invalid: {e}")))
    }

    /// The fields that change how the store behaves, length-prefixed, without the key checks:
    /// what the audit log binds ([`Header::binding_digest`]) and every MAC covers.
    fn behaviour_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        let mut field = |bytes: &[u8]| {
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(bytes);
        };
        field(self.store_id.as_bytes());
        field(&self.created_at.as_micros().to_be_bytes());
        field(self.clock.as_str().as_bytes());
        field(&self.epoch_width.as_micros().to_be_bytes());
        out
    }

    /// The digest (hex) of the behaviour fields (store id, creation time, clock mode, epoch
    /// width) that the audit log's `store_created` (or `header_bound`) entry records, so a
    /// reader without the master key can check the header against the signed log.
    pub fn binding_digest(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"platevault/header-binding/v1\0");
        h.update(&self.behaviour_bytes());
        h.finalize().to_hex().to_string()
    }

    /// The bytes a key check's MAC covers: the format, every behaviour field and the key
    /// check's own generation and key-check value.
    pub fn mac_message(&self, check: &KeyCheck) -> Vec<u8> {
        let mut out = b"platevault/header-mac/v1\0".to_vec();
        out.extend_from_slice(&(self.format.len() as u32).to_be_bytes());
        out.extend_from_slice(self.format.as_bytes());
        out.extend_from_slice(&self.behaviour_bytes());
        out.extend_from_slice(&check.generation.to_be_bytes());
        out.extend_from_slice(&(check.kcv.len() as u32).to_be_bytes());
        out.extend_from_slice(check.kcv.as_bytes());
        out
    }

    /// True when `other` has the same format and behaviour fields (key checks aside).
    pub fn same_behaviour(&self, other: &Header) -> bool {
        self.format == other.format && self.behaviour_bytes() == other.behaviour_bytes()
    }

    /// Reads the header of the store at `dir`.
    pub fn read(dir: &Path) -> Result<Header> {
        let path = dir.join(HEADER_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Err(Error::StoreNotFound {
                    path: dir.to_path_buf(),
                });
            }
            Err(source) => return Err(Error::Io { path, source }),
        };
        // Bytes that are not UTF-8 are an edited or torn header: damage, not an I/O error.
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::Damaged(format!("{} is not UTF-8 text", path.display())))?;
        let header: Header = serde_json::from_str(&text).map_err(|e| {
            Error::Damaged(format!("{} is not a valid header: {e}", path.display()))
        })?;
        if header.format != FORMAT {
            return Err(Error::Damaged(format!(
                "{} has format {:?}; this build reads {FORMAT}",
                path.display(),
                header.format
            )));
        }
        header.store_id_bytes()?;
        header.epoch_width()?;
        if header.key_checks.is_empty() || header.key_checks.len() > 2 {
            return Err(Error::Damaged(format!(
                "{} must list one or two key checks",
                path.display()
            )));
        }
        Ok(header)
    }

    /// Replaces the header of the store at `dir` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Internal(format!("cannot encode the header: {e}")))?;
        write_atomically(&dir.join(HEADER_FILE), text.as_bytes())
    }
}

/// Writes a file by writing a temporary sibling, syncing it, renaming it over the target and
/// syncing the directory, so that a crash leaves either the old or the new file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |path: &Path| {
        let path: PathBuf = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let tmp = path.with_extension("tmp");
    {
        let mut f = super::perms::create_private_file(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io(path))?;
    if let Some(dir) = path.parent() {
        let d = std::fs::File::open(dir).map_err(io(dir))?;
        d.sync_all().map_err(io(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: FORMAT.into(),
            store_id: "00112233445566778899aabbccddeeff".into(),
            created_at: Timestamp::from_unix_secs(1_795_000_000),
            clock: ClockMode::Simulated,
            epoch_width: Span::from_days(1),
            key_checks: vec![KeyCheck {
                generation: 1,
                kcv: "ab".repeat(32),
                mac: None,
            }],
            retired_key_checks: Vec::new(),
        }
    }

    #[test]
    fn header_round_trips_and_is_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            Header::read(dir.path()),
            Err(Error::StoreNotFound { .. })
        ));
        header().write(dir.path()).expect("write");
        assert_eq!(Header::read(dir.path()).expect("read"), header());
        std::fs::write(dir.path().join(HEADER_FILE), "{\"format\":\"x\"}").expect("write");
        assert!(matches!(Header::read(dir.path()), Err(Error::Damaged(_))));
        let mut h = header();
        h.format = "platevault/99".into();
        h.write(dir.path()).expect("write");
        assert!(matches!(Header::read(dir.path()), Err(Error::Damaged(_))));
    }
}
