//! The deletion verifier: checks, from the raw files, that expired epochs are gone and that
//! no plaintext plate is anywhere.
//!
//! It trusts the audit log's deletion certificates only for *what to look for*, never for
//! the answer: each certificate lists digests of 32-byte windows of the epoch's wrapped keys,
//! of a sample of its sealed records and of their keys, recorded before the epoch was
//! destroyed. The verifier slides a 32-byte window over every byte of every file under the
//! store directory (SST, blob, WAL, MANIFEST, info logs, header) and reports each window whose
//! digest matches. It also asks RocksDB (read-only) whether any column family, SST file or
//! key record of an expired epoch remains, flags epochs overdue for expiry, and, given a list
//! of plates, searches every file for them in plaintext.
//!
//! What it cannot see: freed disk blocks, flash remapping, copies outside the directory
//! (backups, snapshots). Master-key rotation covers those: once the old master key is
//! destroyed, any stale copy of a wrapped key is useless.

use serde::Serialize;

use super::Review;
use crate::audit::entry::EntryKind;
use crate::epoch::Epoch;
use crate::error::{Error, Result};
use crate::plate::Plate;
use crate::scan::{Finding, Needle, WindowSet, scan_dir, scan_dir_windows};
use crate::store::layout::{self, CF_KEYS, CF_META};

/// What a deletion verification found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeletionReport {
    /// True when nothing was found.
    pub clean: bool,
    /// Every trace, with file (relative to the store) and offset.
    pub findings: Vec<FindingJson>,
    /// Epochs with a deletion certificate.
    pub expired_epochs: usize,
    /// Digests searched for.
    pub digests: usize,
    /// Plates searched for.
    pub plates: usize,
    /// Plates too short to search for without false alarms (fewer than 5 characters).
    pub plates_skipped: usize,
    /// Files scanned.
    pub files: usize,
    /// Bytes scanned.
    pub bytes: u64,
}

/// One finding, as `verify-deletion --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingJson {
    /// The file, relative to the store directory.
    pub file: String,
    /// Byte offset in the file (0 for findings about a whole file or column family).
    pub offset: u64,
    /// What was found.
    pub kind: String,
}

impl From<Finding> for FindingJson {
    fn from(f: Finding) -> Self {
        FindingJson {
            file: f.file.display().to_string(),
            offset: f.offset,
            kind: f.kind,
        }
    }
}

/// Plates shorter than this are not searched for: random bytes would match them.
pub const MIN_SCANNED_PLATE_CHARS: usize = 5;

impl Review {
    /// Verifies deletion; `plates` are plates (as written) to look for in plaintext.
    pub fn verify_deletion(&self, plates: &[String]) -> Result<DeletionReport> {
        self.consistently(|r| r.verify_deletion_once(plates), |report| report.clean)
    }

    fn verify_deletion_once(&self, plates: &[String]) -> Result<DeletionReport> {
        let mut report = DeletionReport::default();
        // The policy's width (fixed at init, under RocksDB's checksums), not the header's.
        let width = self.policy()?.epoch_width();
        let mut set = WindowSet::new(crate::expiry::DIGEST_WINDOW);
        let mut expired: Vec<String> = Vec::new();
        let entries = self.entries()?;
        for entry in &entries {
            if entry.kind != EntryKind::DeletionCertificate {
                continue;
            }
            let Some(epoch) = entry.epoch.clone() else {
                continue;
            };
            if let Some(d) = &entry.deletion {
                for item in &d.items {
                    let (Some(anchor), Some(digest)) = (
                        decode_fixed::<4>(&item.anchor),
                        decode_fixed::<32>(&item.blake3),
                    ) else {
                        return Err(Error::Damaged(format!(
                            "the deletion certificate of epoch {epoch} has a malformed digest"
                        )));
                    };
                    set.add(anchor, digest, format!("expired_epoch_material ({epoch})"));
                    report.digests += 1;
                }
            }
            expired.push(epoch);
        }
        report.expired_epochs = expired.len();

        let mut findings: Vec<FindingJson> = Vec::new();
        // What RocksDB itself still knows of the expired epochs.
        let store = self.store();
        let live_files = store.live_files()?;
        for name in &expired {
            let cf = Epoch::from_name(name, width)
                .map(layout::epoch_cf)
                .unwrap_or_else(|_| format!("{}{name}", layout::EPOCH_CF_PREFIX));
            if store.has_cf(&cf) {
                findings.push(FindingJson {
                    file: "db/MANIFEST".into(),
                    offset: 0,
                    kind: format!("expired_epoch_column_family ({name})"),
                });
            }
            for f in live_files.iter().filter(|f| f.column_family_name == cf) {
                findings.push(FindingJson {
                    file: format!("db{}", f.name),
                    offset: 0,
                    kind: format!("expired_epoch_file ({name})"),
                });
            }
            let label = layout::epoch_key_label(name);
            if store.get(CF_KEYS, label.as_bytes())?.is_some() {
                findings.push(FindingJson {
                    file: "db".into(),
                    offset: 0,
                    kind: format!("expired_epoch_key_record ({name})"),
                });
            }
        }
        // Epochs past retention that no expiry has swept yet.
        let recorded = match store.get(CF_META, layout::META_CLOCK)? {
            Some(b) => crate::epoch::Timestamp::from_micros(i64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| Error::Damaged("the stored clock is not 8 bytes".into()))?,
            )),
            None => self.header().created_at,
        };
        // The store's clock is the later of its record and its last audit entry.
        let now = entries.last().map_or(recorded, |e| e.time.max(recorded));
        let horizon = now.minus(self.policy()?.retention());
        for cf in store.epoch_cf_names() {
            if let Some(name) = layout::epoch_name_of_cf(&cf)
                && let Ok(e) = Epoch::from_name(name, width)
                && e.end() <= horizon
            {
                findings.push(FindingJson {
                    file: "db".into(),
                    offset: 0,
                    kind: format!("overdue_epoch ({name}): past retention, not yet expired"),
                });
            }
        }

        // Raw bytes: every window of every file, and plaintext plates.
        let dir = self.dir();
        let io = |e: std::io::Error| Error::Io {
            path: dir.to_path_buf(),
            source: e,
        };
        findings.extend(
            scan_dir_windows(dir, &set)
                .map_err(io)?
                .into_iter()
                .map(FindingJson::from),
        );
        let mut needles = Vec::new();
        for raw in plates {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let Ok(p) = Plate::parse(raw) else {
                report.plates_skipped += 1;
                continue;
            };
            if p.char_count() < MIN_SCANNED_PLATE_CHARS {
                report.plates_skipped += 1;
                continue;
            }
            report.plates += 1;
            let canonical = p.expose().to_string();
            let mut forms = vec![canonical.clone(), canonical.to_lowercase()];
            if raw != canonical {
                forms.push(raw.to_string());
            }
            for form in forms {
                needles.push(Needle {
                    kind: "plaintext_plate".into(),
                    bytes: form.into_bytes(),
                });
            }
        }
        findings.extend(
            scan_dir(dir, &needles)
                .map_err(io)?
                .into_iter()
                .map(FindingJson::from),
        );
        for f in crate::scan::files_under(dir).map_err(io)? {
            report.files += 1;
            report.bytes += std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        }
        findings.sort_by(|a, b| (&a.file, a.offset).cmp(&(&b.file, b.offset)));
        findings.dedup();
        report.clean = findings.is_empty();
        report.findings = findings;
        Ok(report)
    }
}

fn decode_fixed<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}
