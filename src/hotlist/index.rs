//! The hotlist's matching index: live entries and, per epoch, the tags of their plates.
//!
//! A plate's tag differs per epoch (each epoch has its own hash key), so the index hashes
//! every live entry's plate once under an epoch's key the first time a read of that epoch
//! arrives, and keeps the tags for the newest few epochs. An added entry is appended (each
//! epoch's tags catch up at their next use); a removal drops the epochs' tags, rebuilt at
//! their next use, but never the entries, which are read from the store only once. Ingest then matches a read against the tag it
//! computes anyway, in a [`TagIndex`] built so that the common case, no match, costs one probe
//! of a table small enough to stay in a core's cache. Plates here live in memory only, zeroized
//! on drop.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::epoch::{Epoch, Timestamp};
use crate::error::Result;
use crate::keys::EpochKeys;
use crate::plate::{Plate, Region};
use crate::seal::{HashKey, PlateTag, fast_random};

/// How many epochs' tag maps stay in memory.
const MAX_CACHED_EPOCHS: usize = 8;

/// A live entry, opened, for matching.
#[derive(Clone)]
pub(crate) struct LiveEntry {
    /// The entry's id.
    pub id: [u8; 16],
    /// Its plate.
    pub plate: Plate,
    /// Its region.
    pub region: Region,
    /// The case it serves.
    pub case: String,
    /// The agency that listed it (upper case).
    pub agency: String,
    /// When it stops matching.
    pub expires: Timestamp,
    /// The audit entry that allowed it.
    pub audit_seq: u64,
}

/// One epoch's view of the index.
pub(crate) struct EpochIndex {
    /// The live entries.
    pub entries: Arc<Vec<LiveEntry>>,
    /// The entries' tags under this epoch's key.
    pub tags: Arc<TagIndex>,
}

/// One epoch's tags of the live entries, for matching: tag → positions in the entry list.
///
/// Nearly every read matches nothing, so the layout is chosen for the miss. A first table
/// holds only each tag's first eight bytes, 9 bytes an entry with its control byte: 100,000
/// entries take about 1.2 MiB and stay in a core's L2 cache, where a table of full tags and
/// position lists (40 bytes a slot, 5 MiB) missed to L3 on every read. Only a read whose
/// prefix is there looks in the map of full tags, which chains the positions of entries
/// sharing a tag (one plate listed for two cases). The prefix is its own hash: tags are keyed
/// BLAKE3 outputs, uniform, and nobody without the epoch's key can choose plates whose tags
/// collide in the table. Entries are added at the end, so an index grows by appending.
#[derive(Clone, Default)]
pub(crate) struct TagIndex {
    /// The tags' first eight bytes.
    prefixes: HashSet<u64, BuildHasherDefault<PrefixHasher>>,
    /// Full tag → the last position with that tag.
    last: HashMap<PlateTag, usize>,
    /// Position → the previous position with the same tag ([`NONE`] for the first).
    previous: Vec<usize>,
}

/// The end of a chain of positions in [`TagIndex`].
const NONE: usize = usize::MAX;

impl TagIndex {
    /// Indexes `tags`, given in entry order.
    pub fn new(tags: impl ExactSizeIterator<Item = PlateTag>) -> TagIndex {
        let mut index = TagIndex {
            prefixes: HashSet::with_capacity_and_hasher(tags.len(), Default::default()),
            last: HashMap::with_capacity(tags.len()),
            previous: Vec::with_capacity(tags.len()),
        };
        index.extend(tags);
        index
    }

    /// How many entries are indexed (positions `0..len`).
    pub fn len(&self) -> usize {
        self.previous.len()
    }

    /// Indexes the tags of the entries at the next positions.
    pub fn extend(&mut self, tags: impl Iterator<Item = PlateTag>) {
        for tag in tags {
            let position = self.previous.len();
            self.prefixes.insert(prefix(&tag));
            self.previous
                .push(self.last.insert(tag, position).unwrap_or(NONE));
        }
    }

    /// Whether an entry may have the tag `tag`: false means none has; true, look with
    /// [`TagIndex::get`]. One probe of the small table.
    pub fn may_hold(&self, tag: &PlateTag) -> bool {
        self.prefixes.contains(&prefix(tag))
    }

    /// The positions of the entries whose tag is `tag` (none, nearly always), newest first.
    pub fn get(&self, tag: &PlateTag) -> impl Iterator<Item = usize> + '_ {
        let mut next = if self.may_hold(tag) {
            self.last.get(tag).copied().unwrap_or(NONE)
        } else {
            NONE
        };
        std::iter::from_fn(move || {
            let position = next;
            next = *self.previous.get(position)?;
            Some(position)
        })
    }
}

/// What makes two entries the same listing: plate, region, case and agency, hashed under
/// the index's own key (so the map holds no plate).
fn identity(key: &HashKey, listing: Listing<'_>) -> PlateTag {
    key.keyed_fields(
        b"platevault/hotlist-identity/v1\0",
        &[
            listing.region.as_str().as_bytes(),
            listing.plate.expose().as_bytes(),
            listing.case.as_bytes(),
            listing.agency.as_bytes(),
        ],
    )
}

/// What makes two entries the same listing (see [`HotlistIndex::find_same`]).
#[derive(Clone, Copy)]
pub(crate) struct Listing<'a> {
    /// The plate.
    pub plate: &'a Plate,
    /// Its region.
    pub region: &'a Region,
    /// The case (trimmed).
    pub case: &'a str,
    /// The agency (trimmed, upper case).
    pub agency: &'a str,
}

impl LiveEntry {
    fn listing(&self) -> Listing<'_> {
        Listing {
            plate: &self.plate,
            region: &self.region,
            case: &self.case,
            agency: &self.agency,
        }
    }
}

/// A tag's first eight bytes.
fn prefix(tag: &PlateTag) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&tag.0[..8]);
    u64::from_le_bytes(b)
}

/// The hasher of [`TagIndex`]'s prefixes: the prefix itself (see [`TagIndex`] for why that
/// is safe). Anything but a `u64` is folded in, so the hasher stays correct if misused.
#[derive(Default)]
pub(crate) struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

/// The index, held by the open store.
#[derive(Default)]
pub(crate) struct HotlistIndex {
    /// Whether `entries` holds every live entry (false until the first use).
    loaded: bool,
    entries: Arc<Vec<LiveEntry>>,
    by_epoch: HashMap<Epoch, Arc<TagIndex>>,
    /// Keys [`HotlistIndex::identity`]: random, made at the first use, in memory only.
    identity_key: Option<HashKey>,
    /// Identity (plate, region, case, agency) → entry id, to renew rather than duplicate.
    identities: HashMap<PlateTag, [u8; 16]>,
}

impl std::fmt::Debug for HotlistIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HotlistIndex({} entries)", self.entries.len())
    }
}

impl HotlistIndex {
    /// Every live entry, read with `load` the first time.
    pub fn entries(
        &mut self,
        load: impl FnOnce() -> Result<Vec<LiveEntry>>,
    ) -> Result<Arc<Vec<LiveEntry>>> {
        if !self.loaded {
            let mut key = zeroize::Zeroizing::new([0u8; 32]);
            fast_random(key.as_mut())?;
            let key = HashKey::from_bytes(*key);
            let entries = load()?;
            self.identities = entries
                .iter()
                .map(|e| (identity(&key, e.listing()), e.id))
                .collect();
            self.identity_key = Some(key);
            self.entries = Arc::new(entries);
            self.by_epoch.clear();
            self.loaded = true;
        }
        Ok(Arc::clone(&self.entries))
    }

    /// The id of the live entry with this listing, if any (adding it again renews that
    /// entry). `load` reads the entries on the first use.
    pub fn find_same(
        &mut self,
        listing: Listing<'_>,
        load: impl FnOnce() -> Result<Vec<LiveEntry>>,
    ) -> Result<Option<[u8; 16]>> {
        self.entries(load)?;
        Ok(self
            .identity_key
            .as_ref()
            .and_then(|key| self.identities.get(&identity(key, listing)))
            .copied())
    }

    /// Adds an entry just stored. (Before the first use there is nothing to add to: the
    /// first use reads it from the store.) The epochs' tag indexes catch up at their next use.
    pub fn insert(&mut self, entry: LiveEntry) {
        if !self.loaded {
            return;
        }
        if let Some(key) = &self.identity_key {
            self.identities
                .insert(identity(key, entry.listing()), entry.id);
        }
        Arc::make_mut(&mut self.entries).push(entry);
    }

    /// Replaces a live entry just renewed (same id, plate, region, case and agency, so its
    /// tags and identity stay; a new expiry and audit entry).
    pub fn renew(&mut self, entry: LiveEntry) {
        if !self.loaded {
            return;
        }
        let entries = Arc::make_mut(&mut self.entries);
        match entries.iter_mut().find(|e| e.id == entry.id) {
            Some(live) => *live = entry,
            None => self.insert(entry),
        }
    }

    /// Drops the entries whose ids are in `ids`; the epochs' tag indexes are rebuilt at their
    /// next use (positions move).
    pub fn remove(&mut self, ids: &HashSet<[u8; 16]>) {
        if self.loaded {
            if let Some(key) = &self.identity_key {
                for e in self.entries.iter().filter(|e| ids.contains(&e.id)) {
                    self.identities.remove(&identity(key, e.listing()));
                }
            }
            Arc::make_mut(&mut self.entries).retain(|e| !ids.contains(&e.id));
        }
        self.by_epoch.clear();
    }

    /// The index for `epoch`, loading the entries with `load` when needed; None when the
    /// hotlist is empty.
    pub fn for_epoch(
        &mut self,
        epoch: Epoch,
        keys: &EpochKeys,
        load: impl FnOnce() -> Result<Vec<LiveEntry>>,
    ) -> Result<Option<EpochIndex>> {
        let entries = self.entries(load)?;
        if entries.is_empty() {
            return Ok(None);
        }
        let tag_of = |e: &LiveEntry| keys.hash.plate_tag(&e.region, &e.plate);
        let tags = match self.by_epoch.get_mut(&epoch) {
            Some(tags) => {
                let indexed = tags.len();
                if indexed < entries.len() {
                    Arc::make_mut(tags).extend(entries[indexed..].iter().map(tag_of));
                }
                Arc::clone(tags)
            }
            None => {
                let tags = Arc::new(TagIndex::new(entries.iter().map(tag_of)));
                // Reads arrive for the last few epochs: keep the newest few indexes only.
                while self.by_epoch.len() >= MAX_CACHED_EPOCHS {
                    let Some(oldest) = self.by_epoch.keys().min().copied() else {
                        break;
                    };
                    self.by_epoch.remove(&oldest);
                }
                self.by_epoch.insert(epoch, Arc::clone(&tags));
                tags
            }
        };
        Ok(Some(EpochIndex { entries, tags }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(prefix: u64, rest: u64) -> PlateTag {
        let mut t = [0u8; 16];
        t[..8].copy_from_slice(&prefix.to_le_bytes());
        t[8..].copy_from_slice(&rest.to_le_bytes());
        PlateTag(t)
    }

    fn hits(index: &TagIndex, t: PlateTag) -> Vec<usize> {
        let mut v: Vec<usize> = index.get(&t).collect();
        assert_eq!(v.len(), index.get(&t).count());
        v.sort_unstable();
        v
    }

    #[test]
    fn finds_every_entry_of_a_tag_and_nothing_else() {
        // Entries 1 and 3 share a tag (one plate on two cases); entry 2 shares only the
        // first eight bytes with them, which must not make it match their tag.
        let mut index = TagIndex::new([tag(7, 1), tag(9, 9), tag(9, 2)].into_iter());
        index.extend([tag(9, 9), tag(u64::MAX, 0)].into_iter());
        assert_eq!(index.len(), 5);
        assert_eq!(hits(&index, tag(9, 9)), vec![1, 3]);
        assert_eq!(hits(&index, tag(9, 2)), vec![2]);
        assert_eq!(hits(&index, tag(7, 1)), vec![0]);
        assert_eq!(hits(&index, tag(u64::MAX, 0)), vec![4]);
        assert!(index.may_hold(&tag(9, 3)));
        assert!(
            hits(&index, tag(9, 3)).is_empty(),
            "prefix present, tag absent"
        );
        assert!(!index.may_hold(&tag(8, 1)));
        assert!(hits(&index, tag(8, 1)).is_empty(), "prefix absent");
        assert!(hits(&TagIndex::default(), tag(7, 1)).is_empty());
    }

    #[test]
    fn agrees_with_a_plain_map_on_many_tags() {
        let tags: Vec<PlateTag> = (0..5_000u64)
            .map(|i| {
                let h = blake3::hash(&(i % 4_000).to_le_bytes());
                PlateTag(h.as_bytes()[..16].try_into().unwrap())
            })
            .collect();
        let index = TagIndex::new(tags.iter().copied());
        let mut expected: HashMap<PlateTag, Vec<usize>> = HashMap::new();
        for (i, t) in tags.iter().enumerate() {
            expected.entry(*t).or_default().push(i);
        }
        for (t, positions) in &expected {
            assert!(index.may_hold(t));
            assert_eq!(&hits(&index, *t), positions);
        }
        for i in 4_000..6_000u64 {
            let h = blake3::hash(&i.to_le_bytes());
            let t = PlateTag(h.as_bytes()[..16].try_into().unwrap());
            assert!(hits(&index, t).is_empty());
        }
    }
}
