//! Ingest: validate → canonicalise → seal → one write batch.
//!
//! Each read is checked on its own; a bad one is reported with the field that is wrong and
//! the good ones are stored, all in a single atomic write batch, so the report says exactly
//! which reads were stored and nothing is ever half-written. The plate and region become a
//! keyed tag under the epoch's hash key; everything else is sealed under the epoch's data
//! key, bound to its read id, epoch and tag. The batch is shuffled before it is written so
//! that the write-ahead log does not record capture order within a batch.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::crypto::keys::EpochKeys;
use crate::crypto::seal::{Binding, Drawn, NONCE_LEN, PlateTag, ReadId, fast_random};
use crate::engine::hotlist::{self, Alert};
use crate::engine::state::Core;
use crate::error::{Error, Result};
use crate::model::epoch::{Epoch, Span, Timestamp};
use crate::model::plate::{Plate, PlateError, Region, RegionError};
use crate::model::record::{ImageInfo, MAX_CAMERA_BYTES, NewRead, RecordBody};
use crate::store::layout::{self, CF_HOTLIST, CF_META};

/// How far past the store's clock a capture time may be ("far in the future" beyond it).
pub const FUTURE_TOLERANCE: Span = Span::from_minutes(5);

/// Why one read was refused. Each names its field; none quotes a value of the read (a plate,
/// a capture time): the structured fields carry them for the caller who gave them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RejectReason {
    /// The plate is not a valid exact plate.
    #[error("plate: {0}")]
    Plate(PlateError),
    /// The region is missing or malformed.
    #[error("region: {0}")]
    Region(RegionError),
    /// No capture time.
    #[error("captured_at: missing; give the capture time in RFC 3339 (UTC)")]
    MissingTime,
    /// A capture time more than five minutes past the store's clock.
    #[error("captured_at: more than 5 minutes after the store's clock ({now})")]
    FutureTime {
        /// The capture time given.
        captured_at: Timestamp,
        /// The store's clock.
        now: Timestamp,
    },
    /// A capture time already past retention: it would be invisible at once.
    #[error("captured_at: already past the retention of {retention}")]
    PastRetention {
        /// The capture time given.
        captured_at: Timestamp,
        /// The policy's retention.
        retention: Span,
    },
    /// No camera id.
    #[error("camera: missing; every read needs its camera id")]
    MissingCamera,
    /// A camera id longer than allowed.
    #[error("camera: longer than {MAX_CAMERA_BYTES} bytes")]
    CameraTooLong,
    /// Only one of latitude and longitude.
    #[error("lat/lon: give both latitude and longitude, or neither")]
    PartialCoordinates,
    /// Latitude outside [-90, 90].
    #[error("lat: must be a number from -90 to 90")]
    LatitudeOutOfRange,
    /// Longitude outside [-180, 180].
    #[error("lon: must be a number from -180 to 180")]
    LongitudeOutOfRange,
    /// Confidence outside [0, 1].
    #[error("confidence: must be a number from 0 to 1")]
    ConfidenceOutOfRange,
    /// An image larger than the policy allows.
    #[error("image: {bytes} bytes is over the policy's limit of {max} bytes")]
    ImageTooLarge {
        /// The image's size.
        bytes: usize,
        /// The policy's limit.
        max: u64,
    },
}

impl RejectReason {
    /// The field the problem is in (`plate`, `region`, `captured_at`, ...).
    pub fn field(&self) -> &'static str {
        match self {
            RejectReason::Plate(_) => "plate",
            RejectReason::Region(_) => "region",
            RejectReason::MissingTime
            | RejectReason::FutureTime { .. }
            | RejectReason::PastRetention { .. } => "captured_at",
            RejectReason::MissingCamera | RejectReason::CameraTooLong => "camera",
            RejectReason::PartialCoordinates | RejectReason::LatitudeOutOfRange => "lat",
            RejectReason::LongitudeOutOfRange => "lon",
            RejectReason::ConfidenceOutOfRange => "confidence",
            RejectReason::ImageTooLarge { .. } => "image",
        }
    }
}

/// One stored read: its position in the input and its new id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Index of the read in the slice given to ingest.
    pub index: usize,
    /// The id it was stored under.
    pub read_id: ReadId,
}

/// One refused read: its position in the input and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// Index of the read in the slice given to ingest.
    pub index: usize,
    /// Why it was refused.
    pub reason: RejectReason,
}

/// What an ingest call did: exactly which reads were stored and which were refused, and the
/// hotlist alerts the stored reads raised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngestReport {
    /// Reads stored, in input order.
    pub stored: Vec<Stored>,
    /// Reads refused, in input order.
    pub rejected: Vec<Rejected>,
    /// Hotlist alerts raised by the stored reads (each audited, each read held).
    pub alerts: Vec<Alert>,
}

/// A read that passed validation.
struct Valid {
    index: usize,
    plate: Plate,
    region: Region,
    epoch: Epoch,
    body: RecordBody,
    image: Option<Vec<u8>>,
}

impl fmt::Debug for Valid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Valid({})", self.index)
    }
}

/// Validates, seals and stores a batch of reads in one atomic write.
pub(crate) fn ingest(core: &Core, reads: Vec<NewRead>) -> Result<IngestReport> {
    // Held for the whole call, so that expiry cannot drop an epoch between the retention
    // check below and the write.
    let _epochs = core.epochs.read().map_err(|_| poisoned("epochs"))?;
    let now = core.clock.now();
    let policy = core.policy();
    let retention = policy.retention();
    let max_image = policy.max_image_bytes();
    let mut report = IngestReport::default();
    let mut valid = Vec::with_capacity(reads.len());
    for (index, read) in reads.into_iter().enumerate() {
        match validate(core, read, now, retention, max_image) {
            Ok(mut v) => {
                v.index = index;
                valid.push(v);
            }
            Err(reason) => report.rejected.push(Rejected { index, reason }),
        }
    }
    if valid.is_empty() {
        return Ok(report);
    }
    shuffle(&mut valid)?;

    let mut state = core.ingest.lock().map_err(|_| poisoned("ingest"))?;
    let mut keys: BTreeMap<Epoch, (Arc<EpochKeys>, String, u64)> = BTreeMap::new();
    for v in &valid {
        if let Some(entry) = keys.get_mut(&v.epoch) {
            entry.2 += 1;
            continue;
        }
        let k = core.ensure_epoch(v.epoch)?;
        keys.insert(v.epoch, (k, layout::epoch_cf(v.epoch), 1));
    }

    let mut indexes = BTreeMap::new();
    for (epoch, (k, _, _)) in &keys {
        if let Some(index) = hotlist::index_for(core, *epoch, k)? {
            indexes.insert(*epoch, index);
        }
    }
    // Tag every read, match the tags against the hotlist, then seal each read and add it to
    // the one write batch in the shuffled order. (Sealing on scoped threads was measured
    // slower: twice the time per 1,000-read batch on two cores, `cargo bench --bench ingest`.)
    let families = keys
        .iter()
        .map(|(epoch, (_, cf, _))| Ok((*epoch, core.store.family(cf)?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    let mut batch = core.store.batch();
    // Every read id and nonce of the batch in one draw: one process-id check (the fork
    // guard of `fast_random`) per batch instead of two or three per read.
    let images = valid.iter().filter(|v| v.image.is_some()).count();
    let mut drawn = Drawn::new(valid.len() * (16 + NONCE_LEN) + images * NONCE_LEN)?;
    let mut stored = Vec::with_capacity(valid.len());
    let mut matches: Vec<Match> = Vec::new();
    // Tag every read first, then look all the tags up in the hotlist in one tight pass: the
    // look-ups are independent loads that the CPU overlaps, where one look-up between two
    // seals waited out a cache miss each time (`cargo bench --bench hotlist`).
    let tags: Vec<PlateTag> = valid
        .iter()
        .map(|v| keys[&v.epoch].0.hash.plate_tag(&v.region, &v.plate))
        .collect();
    let candidates: Vec<bool> = if indexes.is_empty() {
        vec![false; valid.len()]
    } else {
        valid
            .iter()
            .zip(&tags)
            .map(|(v, t)| indexes.get(&v.epoch).is_some_and(|i| i.tags.may_hold(t)))
            .collect()
    };
    for ((v, tag), candidate) in valid.into_iter().zip(tags).zip(candidates) {
        let index = if candidate {
            indexes.get(&v.epoch)
        } else {
            None
        };
        let s = seal_one(v, tag, index, &keys, now, &mut drawn)?;
        let family = &families[&s.epoch];
        batch.put_in(
            family,
            &layout::record_key(&s.tag.0, &s.read_id.0),
            &s.record,
        );
        if let Some(image) = &s.image {
            batch.put_in(family, &layout::image_key(&s.read_id.0), image);
        }
        matches.extend(s.matches);
        stored.push(Stored {
            index: s.index,
            read_id: s.read_id,
        });
    }
    let mut new_counts = Vec::with_capacity(keys.len());
    for (epoch, (_, _, added)) in &keys {
        let name = epoch.name();
        let current = match state.counts.get(&name) {
            Some(c) => *c,
            None => read_count(core, &name)?,
        };
        let total = current + added;
        batch.put(
            CF_META,
            &layout::meta_count_key(&name),
            &total.to_be_bytes(),
        )?;
        new_counts.push((name, total));
    }
    batch.put(CF_META, layout::META_CLOCK, &now.as_micros().to_be_bytes())?;
    if matches.is_empty() {
        core.store.write(batch, core.durability)?;
    } else {
        report.alerts = write_with_alerts(core, batch, &matches, now)?;
    }
    for (name, total) in new_counts {
        state.counts.insert(name, total);
    }
    stored.sort_by_key(|s| s.index);
    report.stored = stored;
    Ok(report)
}

/// A read that matched a hotlist entry.
/// One read, tagged and sealed, with the hotlist entries it matched.
struct SealedRead {
    index: usize,
    epoch: Epoch,
    read_id: ReadId,
    tag: PlateTag,
    record: Vec<u8>,
    image: Option<Vec<u8>>,
    matches: Vec<Match>,
}

/// Seals one read, whose tag is `tag`, under its epoch's keys, and matches it against
/// `index`, the hotlist of its epoch when the tag may be on it.
fn seal_one(
    v: Valid,
    tag: PlateTag,
    index: Option<&hotlist::index::EpochIndex>,
    keys: &BTreeMap<Epoch, (Arc<EpochKeys>, String, u64)>,
    now: Timestamp,
    drawn: &mut Drawn,
) -> Result<SealedRead> {
    let (k, _, _) = &keys[&v.epoch];
    let read_id = crate::crypto::seal::drawn_read_id(drawn)?;
    let mut matches = Vec::new();
    if let Some(index) = index {
        for i in index.tags.get(&tag) {
            let e = &index.entries[i];
            if e.expires > now {
                matches.push(Match {
                    entry: hotlist::EntryRef {
                        id: e.id,
                        case: e.case.clone(),
                        agency: e.agency.clone(),
                        offense: e.offense.clone(),
                        audit_seq: e.audit_seq,
                        expires: e.expires,
                    },
                    epoch: v.epoch,
                    keys: Arc::clone(k),
                    read_id,
                    plate: v.plate.clone(),
                    region: v.region.clone(),
                    body: v.body.clone(),
                    image: v.image.clone(),
                });
            }
        }
    }
    let record = k.data.seal_drawn(
        drawn,
        &Binding::Record {
            epoch: v.epoch,
            read_id,
            tag,
        }
        .aad(),
        &v.body.encode(),
    )?;
    let image = match &v.image {
        Some(image) => Some(
            k.data.seal_drawn(
                drawn,
                &Binding::Image {
                    epoch: v.epoch,
                    read_id,
                }
                .aad(),
                image,
            )?,
        ),
        None => None,
    };
    Ok(SealedRead {
        index: v.index,
        epoch: v.epoch,
        read_id,
        tag,
        record,
        image,
        matches,
    })
}

struct Match {
    entry: hotlist::EntryRef,
    /// The read's epoch and its keys (the alert's details are sealed under them).
    epoch: Epoch,
    keys: Arc<EpochKeys>,
    read_id: ReadId,
    plate: Plate,
    region: Region,
    body: RecordBody,
    image: Option<Vec<u8>>,
}

/// Writes a batch whose reads matched hotlist entries: each matched read is held for its
/// entry's agency and case, each entry's hit count moves on, and one `hotlist_alert` audit
/// entry per match is appended, all in the same synced batch as the reads.
fn write_with_alerts(
    core: &Core,
    mut batch: crate::store::StoreBatch<'_>,
    matches: &[Match],
    now: Timestamp,
) -> Result<Vec<Alert>> {
    let mut alerts: Vec<Alert> = matches
        .iter()
        .map(|m| Alert {
            read_id: m.read_id.to_hex(),
            case: m.entry.case.clone(),
            captured_at: m.body.captured_at,
            camera: m.body.camera.clone(),
            entry_id: hex::encode(m.entry.id),
            audit_seq: 0,
            details_shredded: false,
            agency: m.entry.agency.clone(),
            from_hold: false,
        })
        .collect();
    // The alerts' details go into sealed payloads under this month's key, fetched (or made)
    // before the key-writer lock below is taken.
    let pendings = alerts
        .iter()
        .zip(matches)
        .map(|(a, m)| hotlist::alert_pending(core, a, m.entry.audit_seq, m.epoch, &m.keys, now))
        .collect::<Result<Vec<_>>>()?;
    let _key_writes = core.key_writes.read().map_err(|_| poisoned("key_writes"))?;
    // A matched read is evidence for the entry's case: held while the entry is in force and
    // one retention period after, then released by expiry (a `hold add` can extend it).
    let retention = core.policy().retention();
    let mut by_case: BTreeMap<(&str, &str), Vec<&Match>> = BTreeMap::new();
    for m in matches {
        by_case
            .entry((m.entry.agency.as_str(), m.entry.case.as_str()))
            .or_default()
            .push(m);
    }
    for ((agency, case), ms) in &by_case {
        let groups: Vec<crate::engine::hold::HeldGroup<'_>> = ms
            .iter()
            .map(|m| {
                (
                    &m.region,
                    &m.plate,
                    vec![crate::engine::hold::HeldInput {
                        read_id: m.read_id,
                        body: &m.body,
                        image: m.image.as_deref(),
                    }],
                )
            })
            .collect();
        let seq = ms.first().map_or(0, |m| m.entry.audit_seq);
        let until = ms
            .iter()
            .map(|m| m.entry.expires)
            .max()
            .unwrap_or(now)
            .plus(retention);
        let offense = ms.first().map_or("", |m| m.entry.offense.as_str());
        let owner = crate::engine::hold::HoldOwner {
            agency,
            offense,
            case,
        };
        crate::engine::hold::hold_in_batch(core, &mut batch, &owner, &groups, until, seq, now)?;
    }
    let mut hits: BTreeMap<[u8; 16], u64> = BTreeMap::new();
    for m in matches {
        *hits.entry(m.entry.id).or_default() += 1;
    }
    for (id, n) in &hits {
        let total = hotlist::hit_count(core, id)? + n;
        batch.put(CF_HOTLIST, &hotlist::hits_key_of(id), &total.to_be_bytes())?;
    }
    let seqs = core
        .audit()?
        .append_to_batch(&core.store, batch, now, pendings)?;
    for (a, seq) in alerts.iter_mut().zip(seqs) {
        a.audit_seq = seq;
    }
    Ok(alerts)
}

/// The stored read count of an epoch.
pub(crate) fn read_count(core: &Core, epoch_name: &str) -> Result<u64> {
    match core
        .store
        .get(CF_META, &layout::meta_count_key(epoch_name))?
    {
        Some(b) => Ok(u64::from_be_bytes(b.as_slice().try_into().map_err(
            |_| {
                Error::Damaged(format!(
                    "the read count of epoch {epoch_name} is not 8 bytes"
                ))
            },
        )?)),
        None => Ok(0),
    }
}

fn validate(
    core: &Core,
    read: NewRead,
    now: Timestamp,
    retention: Span,
    max_image: u64,
) -> std::result::Result<Valid, RejectReason> {
    let plate = Plate::parse(&read.plate).map_err(RejectReason::Plate)?;
    let region = Region::parse(&read.region).map_err(RejectReason::Region)?;
    let captured_at = read.captured_at.ok_or(RejectReason::MissingTime)?;
    if captured_at > now.plus(FUTURE_TOLERANCE) {
        return Err(RejectReason::FutureTime { captured_at, now });
    }
    if captured_at <= now.minus(retention) {
        return Err(RejectReason::PastRetention {
            captured_at,
            retention,
        });
    }
    if read.camera.trim().is_empty() {
        return Err(RejectReason::MissingCamera);
    }
    if read.camera.len() > MAX_CAMERA_BYTES {
        return Err(RejectReason::CameraTooLong);
    }
    let coords = match (read.lat, read.lon) {
        (None, None) => None,
        (Some(lat), Some(lon)) => {
            if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                return Err(RejectReason::LatitudeOutOfRange);
            }
            if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                return Err(RejectReason::LongitudeOutOfRange);
            }
            Some((lat, lon))
        }
        _ => return Err(RejectReason::PartialCoordinates),
    };
    if let Some(c) = read.confidence
        && !(c.is_finite() && (0.0..=1.0).contains(&c))
    {
        return Err(RejectReason::ConfidenceOutOfRange);
    }
    if let Some(img) = &read.image
        && img.len() as u64 > max_image
    {
        return Err(RejectReason::ImageTooLarge {
            bytes: img.len(),
            max: max_image,
        });
    }
    let image_info = read.image.as_deref().map(ImageInfo::of);
    Ok(Valid {
        index: 0,
        plate,
        region,
        epoch: core.width.epoch_of(captured_at),
        body: RecordBody {
            captured_at,
            camera: read.camera,
            coords,
            confidence: read.confidence,
            image: image_info,
        },
        image: read.image,
    })
}

/// Fisher-Yates with the fast CSPRNG.
fn shuffle<T>(items: &mut [T]) -> Result<()> {
    let n = items.len();
    if n < 2 {
        return Ok(());
    }
    let mut rand = vec![0u8; 8 * n];
    fast_random(&mut rand)?;
    for i in (1..n).rev() {
        let r = u64::from_le_bytes(rand[8 * i..8 * i + 8].try_into().unwrap_or([0; 8]));
        let j = (r % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    Ok(())
}

fn poisoned(lock: &'static str) -> Error {
    Error::Poisoned { lock }
}
