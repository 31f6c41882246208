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

use crate::crypto::keys::EpochKeys;
use crate::crypto::seal::{HashKey, PlateTag, fast_random};
use crate::error::Result;
use crate::model::epoch::{Epoch, Timestamp};
use crate::model::plate::{Plate, Region};

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
    /// The offense it was listed for (its alerts' holds are placed for it).
    pub offense: String,
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

/// Which live entry holds each listing (plate, region, case, agency), so that adding a listing
/// again renews its entry instead of listing the plate twice. Listings are hashed under a
/// random key made when the entries are loaded, in memory only, so the map holds no plate.
struct Identities {
    key: HashKey,
    /// Listing → the entry holding it and that entry's expiry.
    by_listing: HashMap<PlateTag, ([u8; 16], Timestamp)>,
    /// Live entries that `by_listing` does not point to because another entry has the same
    /// listing: duplicates in a store written before renewals existed, or an entry past its
    /// expiry (not removed yet) that a new entry replaced.
    shadowed: usize,
}

impl Identities {
    /// The map of `entries`; where several share a listing, the latest expiry holds it.
    fn new(entries: &[LiveEntry]) -> Result<Identities> {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        fast_random(key.as_mut())?;
        let mut ids = Identities {
            key: HashKey::from_bytes(*key),
            by_listing: HashMap::with_capacity(entries.len()),
            shadowed: 0,
        };
        for e in entries {
            ids.offer(e);
        }
        Ok(ids)
    }

    fn of(&self, listing: Listing<'_>) -> PlateTag {
        identity(&self.key, listing)
    }

    /// Points the listing of `e` at `e` unless an entry expiring later holds it.
    fn offer(&mut self, e: &LiveEntry) {
        let k = self.of(e.listing());
        match self.by_listing.get_mut(&k) {
            None => {
                self.by_listing.insert(k, (e.id, e.expires));
            }
            Some(held) if held.0 == e.id => held.1 = e.expires,
            Some(held) => {
                self.shadowed += 1;
                if held.1 < e.expires {
                    *held = (e.id, e.expires);
                }
            }
        }
    }

    /// The entry holding `listing` if it is still in force at `now`.
    fn live(&self, listing: Listing<'_>, now: Timestamp) -> Option<[u8; 16]> {
        self.by_listing
            .get(&self.of(listing))
            .filter(|(_, expires)| *expires > now)
            .map(|(id, _)| *id)
    }

    /// Forgets `removed`; a listing they held passes to a surviving duplicate, if any.
    fn forget<'a>(
        &mut self,
        removed: impl Iterator<Item = &'a LiveEntry>,
        survivors: &[LiveEntry],
    ) {
        let mut orphaned = HashSet::new();
        for e in removed {
            let k = self.of(e.listing());
            if self.by_listing.get(&k).is_some_and(|held| held.0 == e.id) {
                self.by_listing.remove(&k);
                orphaned.insert(k);
            } else {
                self.shadowed = self.shadowed.saturating_sub(1);
            }
        }
        if orphaned.is_empty() || self.shadowed == 0 {
            return;
        }
        for s in survivors {
            let k = self.of(s.listing());
            if orphaned.contains(&k) {
                if !self.by_listing.contains_key(&k) {
                    self.shadowed = self.shadowed.saturating_sub(1);
                    self.by_listing.insert(k, (s.id, s.expires));
                } else {
                    // Two survivors: `offer` keeps the later expiry and counts one shadowed.
                    self.shadowed = self.shadowed.saturating_sub(1);
                    self.offer(s);
                }
            }
        }
    }
}

/// The index, held by the open store.
#[derive(Default)]
pub(crate) struct HotlistIndex {
    /// Whether `entries` holds every live entry (false until the first use).
    loaded: bool,
    entries: Arc<Vec<LiveEntry>>,
    by_epoch: HashMap<Epoch, Arc<TagIndex>>,
    /// Who holds each listing (made with `entries`).
    identities: Option<Identities>,
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
            let entries = load()?;
            self.identities = Some(Identities::new(&entries)?);
            self.entries = Arc::new(entries);
            self.by_epoch.clear();
            self.loaded = true;
        }
        Ok(Arc::clone(&self.entries))
    }

    /// The id of the entry with this listing still in force at `now`, if any (adding the
    /// listing again renews that entry). `load` reads the entries on the first use.
    pub fn find_same(
        &mut self,
        listing: Listing<'_>,
        now: Timestamp,
        load: impl FnOnce() -> Result<Vec<LiveEntry>>,
    ) -> Result<Option<[u8; 16]>> {
        self.entries(load)?;
        Ok(self
            .identities
            .as_ref()
            .and_then(|ids| ids.live(listing, now)))
    }

    /// Adds an entry just stored. (Before the first use there is nothing to add to: the
    /// first use reads it from the store.) The epochs' tag indexes catch up at their next use.
    pub fn insert(&mut self, entry: LiveEntry) {
        if !self.loaded {
            return;
        }
        if let Some(ids) = &mut self.identities {
            ids.offer(&entry);
        }
        Arc::make_mut(&mut self.entries).push(entry);
    }

    /// Replaces a live entry just renewed (same id, plate, region, case and agency, so its
    /// tags stay; a new expiry and audit entry).
    pub fn renew(&mut self, entry: LiveEntry) {
        if !self.loaded {
            return;
        }
        if let Some(ids) = &mut self.identities {
            ids.offer(&entry);
        }
        let entries = Arc::make_mut(&mut self.entries);
        match entries.iter_mut().find(|e| e.id == entry.id) {
            Some(live) => *live = entry,
            None => entries.push(entry),
        }
    }

    /// Drops the entries whose ids are in `ids`; the epochs' tag indexes are rebuilt at their
    /// next use (positions move).
    pub fn remove(&mut self, ids: &HashSet<[u8; 16]>) {
        if self.loaded {
            let gone: Vec<LiveEntry> = self
                .entries
                .iter()
                .filter(|e| ids.contains(&e.id))
                .cloned()
                .collect();
            Arc::make_mut(&mut self.entries).retain(|e| !ids.contains(&e.id));
            if let Some(identities) = &mut self.identities {
                identities.forget(gone.iter(), &self.entries);
            }
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
                // Entries only grow between removals, and a removal drops every epoch's
                // tags; rebuild anyway should that ever not hold.
                let indexed = tags.len();
                if indexed > entries.len() {
                    *tags = Arc::new(TagIndex::new(entries.iter().map(tag_of)));
                } else if indexed < entries.len() {
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

    fn entry(n: u8, plate: &str, case: &str, expires: i64) -> LiveEntry {
        LiveEntry {
            id: [n; 16],
            plate: Plate::parse(plate).expect("plate"),
            region: Region::parse("CO").expect("region"),
            case: case.into(),
            agency: "CITY-PD".into(),
            offense: "ROBBERY".into(),
            expires: Timestamp::from_unix_secs(expires),
            audit_seq: u64::from(n),
        }
    }

    fn holder(index: &mut HotlistIndex, like: &LiveEntry, now: i64) -> Option<u8> {
        index
            .find_same(like.listing(), Timestamp::from_unix_secs(now), || {
                unreachable!("loaded")
            })
            .expect("find")
            .map(|id| id[0])
    }

    #[test]
    fn a_listing_is_held_by_its_latest_live_entry() {
        // Entries 1 and 2 list the same plate for one case (a store from before renewals);
        // 3 is another case.
        let mut index = HotlistIndex::default();
        index
            .entries(|| {
                Ok(vec![
                    entry(1, "DUP0001", "2026-000001", 200),
                    entry(2, "DUP0001", "2026-000001", 100),
                    entry(3, "DUP0001", "2026-000002", 100),
                ])
            })
            .expect("load");
        let one = entry(0, "dup-0001", "2026-000001", 0);
        assert_eq!(holder(&mut index, &one, 50), Some(1), "the latest expiry");
        assert_eq!(
            holder(&mut index, &entry(0, "DUP0001", "2026-000002", 0), 50),
            Some(3)
        );
        assert_eq!(
            holder(&mut index, &entry(0, "DUP0001", "2026-000003", 0), 50),
            None
        );
        // Removing the holder passes the listing to the surviving duplicate...
        index.remove(&[[1; 16]].into_iter().collect());
        assert_eq!(holder(&mut index, &one, 50), Some(2));
        // ...which, once past its expiry, renews nothing: a new entry takes the listing.
        assert_eq!(holder(&mut index, &one, 100), None);
        index.insert(entry(4, "DUP0001", "2026-000001", 300));
        assert_eq!(holder(&mut index, &one, 100), Some(4));
        // Removing the expired one then leaves the new one holding it.
        index.remove(&[[2; 16]].into_iter().collect());
        assert_eq!(holder(&mut index, &one, 100), Some(4));
        // A renewal moves the expiry the listing is judged by.
        index.renew(entry(4, "DUP0001", "2026-000001", 150));
        assert_eq!(holder(&mut index, &one, 149), Some(4));
        assert_eq!(holder(&mut index, &one, 150), None);
        let left: Vec<u8> = index
            .entries(|| unreachable!("loaded"))
            .expect("entries")
            .iter()
            .map(|e| e.id[0])
            .collect();
        assert_eq!(left, vec![3, 4]);
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
