//! The deletion verifier: checks, from the raw files, that what the store destroyed is gone
//! and that no plaintext plate is anywhere.
//!
//! It trusts the audit log only for *what to look for*, never for the answer. Every entry
//! that certifies a destruction carries digests of 32-byte windows of what it destroyed,
//! recorded just before (`src/digests.rs`): deletion certificates (an expired epoch's
//! wrapped keys, sampled records and their keys), released and expired holds (the case
//! keys, sampled held reads), removed and expired hotlist entries (the sealed entry),
//! shredded audit payload months (the month's key, sampled payloads) and key rotations
//! (sampled old wrappings). The verifier slides a 32-byte window over every byte of every
//! file under the store directory (SST, blob, WAL, MANIFEST, info logs, header), symbolic
//! links followed and listed, and reports each window whose digest matches. It also asks
//! RocksDB (read-only) whether any column family, SST file or key record of an expired epoch
//! or a shredded month remains, whether a purge is still pending, flags epochs overdue for
//! expiry (by a clock whose mode the log vouches for), and, given a list of plates, searches
//! every file for them in plaintext.
//!
//! What it cannot see: freed disk blocks, flash remapping, copies outside the directory
//! (backups, snapshots). Master-key rotation covers those: once the old master key is
//! destroyed, any stale copy of a wrapped key is useless.

use serde::Serialize;

use super::Review;
use crate::audit::entry::{Entry, EntryKind};
use crate::error::{Error, Result};
use crate::model::epoch::{Epoch, Timestamp};
use crate::model::plate::Plate;
use crate::store::header::ClockMode;
use crate::store::layout::{self, CF_KEYS, CF_META};
use crate::verify::scan::{
    Finding, Needle, Symlink, WindowSet, scan_tree, scan_tree_windows, walk,
};

/// How the verifier treats symbolic links under the store: it follows them (with loop
/// protection) and lists each in [`DeletionReport::symlinks`].
pub const SYMLINK_POLICY: &str = "follow";

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
    /// Destructions whose digests were searched for, by kind of audit entry
    /// (`deletion_certificate`, `hold_release`, `hold_expired`, `hotlist_remove`,
    /// `hotlist_expired`, `payload_shred`, `key_rotation`).
    pub destructions: std::collections::BTreeMap<String, u64>,
    /// What the verifier does with symbolic links: `follow` ([`SYMLINK_POLICY`]).
    pub symlink_policy: String,
    /// Every symbolic link met under the store, where it leads and whether it was followed.
    pub symlinks: Vec<Symlink>,
    /// Entries under the store that are neither files nor directories (not scanned).
    pub special_files_skipped: Vec<String>,
    /// The clock by which "overdue" was judged.
    pub clock: ClockBasis,
}

/// The clock by which the verifier judged which epochs are overdue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClockBasis {
    /// The mode the header gives (`system` or `simulated`).
    pub mode: String,
    /// True when the audit log vouches for the mode (the header matches its binding entry);
    /// false for a store made before the binding and not opened read-write since, whose
    /// claim is not trusted: overdue is then judged by the system clock too.
    pub verified: bool,
    /// The time "now" was taken to be.
    pub now: String,
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
        let mut report = DeletionReport {
            symlink_policy: SYMLINK_POLICY.into(),
            ..DeletionReport::default()
        };
        // The policy's width (fixed at init, under RocksDB's checksums), not the header's.
        let width = self.policy()?.epoch_width();
        let mut set = WindowSet::new(crate::audit::entry::DIGEST_WINDOW);
        let mut expired: Vec<String> = Vec::new();
        let mut shredded_months: Vec<String> = Vec::new();
        let mut last_time: Option<Timestamp> = None;
        // One pass over the log, entry by entry: every destruction's digests.
        crate::audit::log::for_each_entry_bytes(self.store(), |seq, bytes| {
            let entry = Entry::decode(seq, bytes).map_err(|e| Error::Damaged(e.to_string()))?;
            last_time = Some(entry.time);
            if let Some(d) = &entry.deletion {
                let kind = material_kind(&entry);
                for item in &d.items {
                    let (Some(anchor), Some(digest)) = (
                        decode_fixed::<4>(&item.anchor),
                        decode_fixed::<32>(&item.blake3),
                    ) else {
                        return Err(Error::Damaged(format!(
                            "audit entry {seq} ({}) has a malformed deletion digest",
                            entry.kind.as_str()
                        )));
                    };
                    set.add(anchor, digest, kind.clone());
                    report.digests += 1;
                }
                *report
                    .destructions
                    .entry(entry.kind.as_str().to_string())
                    .or_default() += 1;
            }
            match entry.kind {
                EntryKind::DeletionCertificate => {
                    if let Some(epoch) = entry.epoch {
                        expired.push(epoch);
                    }
                }
                EntryKind::PayloadShred => {
                    if let Some(month) = entry.note {
                        shredded_months.push(month);
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        report.expired_epochs = expired.len();

        let mut findings: Vec<FindingJson> = Vec::new();
        let store_level = |kind: String| FindingJson {
            file: "db".into(),
            offset: 0,
            kind,
        };
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
                findings.push(store_level(format!("expired_epoch_key_record ({name})")));
            }
        }
        // A shredded month's key is never made again (its month is long past).
        for month in &shredded_months {
            let label = crate::store::layout::payload_key_label(month);
            if store.get(CF_KEYS, label.as_bytes())?.is_some() {
                findings.push(store_level(format!("shredded_month_key_record ({month})")));
            }
        }
        // Deletes whose purge (flush and forced compaction) was never confirmed: until the
        // next read-write open completes it, the deleted bytes may still be in the files.
        store.scan_prefix(CF_META, layout::META_PURGE_PREFIX, |k, _| {
            let cf = String::from_utf8_lossy(&k[layout::META_PURGE_PREFIX.len()..]).into_owned();
            findings.push(store_level(format!("purge_pending ({cf})")));
            Ok(true)
        })?;
        // Epochs past retention that no expiry has swept yet, by a clock the log vouches for.
        let recorded = match store.get(CF_META, layout::META_CLOCK)? {
            Some(b) => Timestamp::from_micros(i64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| Error::Damaged("the stored clock is not 8 bytes".into()))?,
            )),
            None => self.header().created_at,
        };
        // The store's clock is the later of its record and its last audit entry; a store on
        // the system clock has reached at least the system time (it simply has not run
        // since). A mode the log does not vouch for is not trusted to freeze the clock.
        let recorded = last_time.map_or(recorded, |t| t.max(recorded));
        let verified = self.header_binding().is_bound();
        let system_clock = !verified || self.header().clock == ClockMode::System;
        let now = if system_clock {
            recorded.max(Timestamp::now_system())
        } else {
            recorded
        };
        report.clock = ClockBasis {
            mode: self.header().clock.as_str().into(),
            verified,
            now: now.to_rfc3339(),
        };
        let horizon = now.minus(self.policy()?.retention());
        for cf in store.epoch_cf_names() {
            if let Some(name) = layout::epoch_name_of_cf(&cf)
                && let Ok(e) = Epoch::from_name(name, width)
                && e.end() <= horizon
            {
                findings.push(store_level(format!(
                    "overdue_epoch ({name}): past retention, not yet expired"
                )));
            }
        }

        // Raw bytes: every window of every file, and plaintext plates. Symbolic links are
        // followed (each file once) and listed.
        let dir = self.dir();
        let io = |e: std::io::Error| Error::Io {
            path: dir.to_path_buf(),
            source: e,
        };
        let tree = walk(dir).map_err(io)?;
        findings.extend(
            scan_tree_windows(&tree, &set)
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
            scan_tree(&tree, &needles)
                .map_err(io)?
                .into_iter()
                .map(FindingJson::from),
        );
        for (path, _) in &tree.files {
            report.files += 1;
            report.bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        }
        report.symlinks = tree.symlinks;
        report.special_files_skipped = tree
            .skipped
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        findings.sort_by(|a, b| (&a.file, a.offset).cmp(&(&b.file, b.offset)));
        findings.dedup();
        report.clean = findings.is_empty();
        report.findings = findings;
        Ok(report)
    }
}

/// What a match of an entry's digests means, as a finding's `kind`.
fn material_kind(entry: &Entry) -> String {
    let seq = entry.seq;
    match entry.kind {
        EntryKind::DeletionCertificate => format!(
            "expired_epoch_material ({})",
            entry.epoch.as_deref().unwrap_or("?")
        ),
        EntryKind::HoldRelease | EntryKind::HoldExpired => {
            format!("released_hold_material (audit entry {seq})")
        }
        EntryKind::HotlistRemove | EntryKind::HotlistExpired => format!(
            "removed_hotlist_entry_material ({})",
            entry.entry_id.as_deref().unwrap_or("?")
        ),
        EntryKind::PayloadShred => format!(
            "shredded_payload_material ({})",
            entry.note.as_deref().unwrap_or("?")
        ),
        EntryKind::KeyRotation => format!("rotated_out_wrapping_material (audit entry {seq})"),
        other => format!("destroyed_material ({} entry {seq})", other.as_str()),
    }
}

fn decode_fixed<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}
