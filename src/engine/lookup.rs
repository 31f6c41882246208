//! Lookup: the per-epoch exact-plate read and the opening of what it finds.
//!
//! Crate-private on purpose: the only public way here is a search, which first passes the
//! policy and writes its audit entry. A lookup computes one keyed tag per epoch of the
//! window (the tag differs per epoch because the hash key does), seeks that prefix in the
//! epoch's column family, and opens each record, bound to its read id, epoch and tag. A
//! record that fails authentication is an error, never a result. Reads older than the
//! retention are never returned, whether or not expiry has swept their epoch yet.

use std::sync::atomic::Ordering;

use crate::crypto::seal::{Binding, ReadId};
use crate::engine::state::Core;
use crate::error::{Error, Result};
use crate::model::epoch::Timestamp;
use crate::model::plate::{Plate, Region};
use crate::model::record::{ReadView, RecordBody};
use crate::store::layout;

/// Finds every read of `(region, plate)` captured in `[from, to)` and still within retention.
pub(crate) fn lookup(
    core: &Core,
    plate: &Plate,
    region: &Region,
    from: Timestamp,
    to: Timestamp,
    with_images: bool,
) -> Result<Vec<ReadView>> {
    let now = core.clock.now();
    // A read is invisible from `captured_at + retention` on: only reads captured strictly
    // after `now - retention` are visible.
    let horizon = now.minus(core.policy().retention());
    let from = from.max(Timestamp::from_micros(
        horizon.as_micros().saturating_add(1),
    ));
    let mut out = Vec::new();
    if from >= to {
        return Ok(out);
    }
    let _epochs = core
        .epochs
        .read()
        .map_err(|_| Error::Poisoned { lock: "epochs" })?;
    for epoch in core.width.epochs_overlapping(from, to) {
        let cf = layout::epoch_cf(epoch);
        if !core.store.has_cf(&cf) {
            continue;
        }
        let Some(keys) = core.epoch_keys(epoch)? else {
            continue;
        };
        core.epoch_lookups.fetch_add(1, Ordering::Relaxed);
        let tag = keys.hash.plate_tag(region, plate);
        let mut found = Vec::new();
        core.store
            .scan_prefix(&cf, &layout::record_prefix(&tag.0), |key, value| {
                let read_id = layout::read_id_of_record_key(key)
                    .map(ReadId)
                    .ok_or_else(|| {
                        Error::Damaged(format!("a record key in epoch {epoch} is malformed"))
                    })?;
                let aad = Binding::Record {
                    epoch,
                    read_id,
                    tag,
                }
                .aad();
                let plain = keys
                    .data
                    .open(&aad, value)
                    .map_err(|e| Error::Damaged(format!("read {read_id} in epoch {epoch}: {e}")))?;
                let body = RecordBody::decode(&plain)
                    .map_err(|e| Error::Damaged(format!("read {read_id} in epoch {epoch}: {e}")))?;
                if body.captured_at >= from && body.captured_at < to {
                    found.push(ReadView {
                        read_id,
                        body,
                        image: None,
                        from_hold: false,
                    });
                }
                Ok(true)
            })?;
        if with_images {
            for view in &mut found {
                if view.body.image.is_none() {
                    continue;
                }
                let read_id = view.read_id;
                let sealed = core
                    .store
                    .get(&cf, &layout::image_key(&read_id.0))?
                    .ok_or_else(|| {
                        Error::Damaged(format!("the image of read {read_id} is missing"))
                    })?;
                let aad = Binding::Image { epoch, read_id }.aad();
                let image = keys
                    .data
                    .open(&aad, &sealed)
                    .map_err(|e| Error::Damaged(format!("the image of read {read_id}: {e}")))?;
                view.image = Some(image);
            }
        }
        out.extend(found);
    }
    out.sort_by_key(|v| (v.body.captured_at, v.read_id));
    Ok(out)
}
