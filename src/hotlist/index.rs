//! The hotlist's matching index: live entries and, per epoch, the tags of their plates.
//!
//! A plate's tag differs per epoch (each epoch has its own hash key), so the index hashes
//! every live entry's plate once under an epoch's key the first time a read of that epoch
//! arrives, and keeps the map for the newest few epochs. Any change to the entries drops the
//! whole index; the next read rebuilds it. Ingest then matches a read with one hash-map
//! lookup of the tag it computes anyway. Plates here live in memory only, zeroized on drop.

use std::collections::HashMap;
use std::sync::Arc;

use crate::epoch::{Epoch, Timestamp};
use crate::error::Result;
use crate::keys::EpochKeys;
use crate::plate::{Plate, Region};
use crate::seal::PlateTag;

/// How many epochs' tag maps stay in memory.
const MAX_CACHED_EPOCHS: usize = 8;

/// A live entry, opened, for matching.
pub(crate) struct LiveEntry {
    /// The entry's id.
    pub id: [u8; 16],
    /// Its plate.
    pub plate: Plate,
    /// Its region.
    pub region: Region,
    /// The case it serves.
    pub case: String,
    /// When it stops matching.
    pub expires: Timestamp,
    /// The audit entry that allowed it.
    pub audit_seq: u64,
}

/// One epoch's view of the index.
pub(crate) struct EpochIndex {
    /// The live entries.
    pub entries: Arc<Vec<LiveEntry>>,
    /// Tag → positions in `entries`.
    pub tags: Arc<HashMap<PlateTag, Vec<usize>>>,
}

/// The index, held by the open store.
#[derive(Default)]
pub(crate) struct HotlistIndex {
    loaded: bool,
    entries: Arc<Vec<LiveEntry>>,
    by_epoch: HashMap<Epoch, Arc<HashMap<PlateTag, Vec<usize>>>>,
}

impl std::fmt::Debug for HotlistIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HotlistIndex({} entries)", self.entries.len())
    }
}

impl HotlistIndex {
    /// Forgets everything (the entries changed).
    pub fn invalidate(&mut self) {
        *self = HotlistIndex::default();
    }

    /// The index for `epoch`, loading the entries with `load` when needed; None when the
    /// hotlist is empty.
    pub fn for_epoch(
        &mut self,
        epoch: Epoch,
        keys: &EpochKeys,
        load: impl FnOnce() -> Result<Vec<LiveEntry>>,
    ) -> Result<Option<EpochIndex>> {
        if !self.loaded {
            self.entries = Arc::new(load()?);
            self.by_epoch.clear();
            self.loaded = true;
        }
        if self.entries.is_empty() {
            return Ok(None);
        }
        let tags = match self.by_epoch.get(&epoch) {
            Some(t) => Arc::clone(t),
            None => {
                let mut map: HashMap<PlateTag, Vec<usize>> =
                    HashMap::with_capacity(self.entries.len());
                for (i, e) in self.entries.iter().enumerate() {
                    map.entry(keys.hash.plate_tag(&e.region, &e.plate))
                        .or_default()
                        .push(i);
                }
                let map = Arc::new(map);
                // Reads arrive for the last few epochs: keep the newest few maps only.
                while self.by_epoch.len() >= MAX_CACHED_EPOCHS {
                    let Some(oldest) = self.by_epoch.keys().min().copied() else {
                        break;
                    };
                    self.by_epoch.remove(&oldest);
                }
                self.by_epoch.insert(epoch, Arc::clone(&map));
                map
            }
        };
        Ok(Some(EpochIndex {
            entries: Arc::clone(&self.entries),
            tags,
        }))
    }
}
