//! Sealing: the two cryptographic primitives every stored byte goes through.
//!
//! - [`HashKey`] turns a (region, plate) pair into a [`PlateTag`], a BLAKE3 keyed hash under
//!   an epoch's 256-bit hash key. The tag is the only form in which a plate is ever stored:
//!   the plate space is about 10^11, so an unkeyed hash would fall to a dictionary in hours;
//!   a keyed one is useless without the key, and the key dies with its epoch.
//! - [`SealKey`] seals bytes with AES-256-GCM: a fresh random 96-bit nonce per message and
//!   associated data that binds each ciphertext to where it belongs (its read id, epoch and
//!   tag), so a record swapped between reads, epochs or keys fails to open.
//!
//! Nonces and read ids come from a per-thread ChaCha20 generator seeded from the operating
//! system (a system call per seal would be too slow for the ingest targets), reseeded in a
//! forked child ([`fast_random`]); keys themselves come straight from the OS
//! ([`os_random`]). Nothing here knows about RocksDB.

use std::cell::RefCell;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::model::epoch::Epoch;
use crate::model::plate::{Plate, Region};
pub use crate::model::record::ReadId;

/// Length of a nonce in a sealed value.
pub const NONCE_LEN: usize = 12;
/// Length of the authentication tag in a sealed value.
pub const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext: format byte, nonce and tag.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// Length of a plate tag (a truncated keyed hash).
pub const TAG_BYTES: usize = 16;

const SEAL_FORMAT_V1: u8 = 1;

/// A sealed value failed to open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The value is too short or of an unknown format.
    #[error("sealed value is malformed (truncated or of an unknown format)")]
    Malformed,
    /// Authentication failed: wrong key, wrong place or altered bytes.
    #[error("sealed value failed authentication: it was altered, moved, or belongs to another key")]
    Authentication,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// Fills `buf` from the operating system's random number generator (used for keys).
pub fn os_random(buf: &mut [u8]) -> Result<(), SealError> {
    getrandom::fill(buf).map_err(|e| SealError::Random(e.to_string()))
}

/// A thread's generator and the process it was seeded in.
struct ThreadRng {
    rng: ChaCha20Rng,
    pid: u32,
}

thread_local! {
    static FAST_RNG: RefCell<Option<ThreadRng>> = const { RefCell::new(None) };
}

/// Fills `buf` from a per-thread ChaCha20 generator seeded from the OS (nonces, read ids).
///
/// The generator remembers the process id it was seeded in and is seeded afresh whenever
/// it runs in another: after `fork`, the child's copy of this thread would otherwise go on
/// with the parent's stream and give the nonces the parent gives next (two AES-GCM
/// messages under one key and one nonce). The check costs one `getpid` per call.
pub fn fast_random(buf: &mut [u8]) -> Result<(), SealError> {
    let pid = std::process::id();
    FAST_RNG.with(|cell| {
        let mut slot = cell.borrow_mut();
        let rng = match &mut *slot {
            Some(t) if t.pid == pid => &mut t.rng,
            stale => {
                let mut seed = [0u8; 32];
                os_random(&mut seed)?;
                let fresh = ChaCha20Rng::from_seed(seed);
                seed.zeroize();
                &mut stale.insert(ThreadRng { rng: fresh, pid }).rng
            }
        };
        rng.fill_bytes(buf);
        Ok(())
    })
}

/// Random bytes drawn from [`fast_random`] in one call (so one process-id check) and handed
/// out in order: the read ids and nonces of one ingest batch, where a `getpid` per nonce
/// would cost more than the sealing. It lives only for the call that drew it and runs no
/// caller code meanwhile, so no forked child can continue it (a child runs only the thread
/// that called `fork`); it is neither `Clone` nor kept. When it runs out, it draws again.
pub(crate) struct Drawn {
    bytes: Vec<u8>,
    at: usize,
}

impl Drawn {
    /// `len` fresh bytes.
    pub(crate) fn new(len: usize) -> Result<Self, SealError> {
        let mut bytes = vec![0u8; len];
        fast_random(&mut bytes)?;
        Ok(Drawn { bytes, at: 0 })
    }

    /// The next `N` bytes (fresh ones from the generator once the drawn ones run out).
    fn take<const N: usize>(&mut self) -> Result<[u8; N], SealError> {
        let mut out = [0u8; N];
        match self.bytes.get(self.at..self.at + N) {
            Some(next) => {
                out.copy_from_slice(next);
                self.bytes[self.at..self.at + N].fill(0);
                self.at += N;
            }
            None => fast_random(&mut out)?,
        }
        Ok(out)
    }
}

/// A plate's keyed hash under one epoch's (or one case's) hash key.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlateTag(pub [u8; TAG_BYTES]);

impl std::fmt::Debug for PlateTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PlateTag({})", hex::encode(&self.0[..4]))
    }
}

/// A 256-bit BLAKE3 key for plate tags. Zeroized on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct HashKey([u8; 32]);

impl HashKey {
    /// A hash key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        HashKey(bytes)
    }

    /// The tag of a (region, plate) pair. Region and plate are length-prefixed so that no
    /// two different pairs share an input.
    pub fn plate_tag(&self, region: &Region, plate: &Plate) -> PlateTag {
        let mut h = blake3::Hasher::new_keyed(&self.0);
        h.update(b"platevault/plate/v1\0");
        let r = region.as_str().as_bytes();
        let p = plate.expose().as_bytes();
        h.update(&[r.len() as u8]);
        h.update(r);
        h.update(&[p.len() as u8]);
        h.update(p);
        let mut out = [0u8; TAG_BYTES];
        out.copy_from_slice(&h.finalize().as_bytes()[..TAG_BYTES]);
        PlateTag(out)
    }

    /// A keyed hash of several fields (each length-prefixed) under a domain label, for
    /// in-memory identities that must not hold a plate.
    pub fn keyed_fields(&self, domain: &[u8], fields: &[&[u8]]) -> PlateTag {
        let mut h = blake3::Hasher::new_keyed(&self.0);
        h.update(domain);
        for f in fields {
            h.update(&(f.len() as u64).to_be_bytes());
            h.update(f);
        }
        let mut out = [0u8; TAG_BYTES];
        out.copy_from_slice(&h.finalize().as_bytes()[..TAG_BYTES]);
        PlateTag(out)
    }
}

impl std::fmt::Debug for HashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashKey(<redacted>)")
    }
}

/// An AES-256-GCM key with its expanded schedule (zeroized on drop by the cipher).
#[derive(Clone)]
pub struct SealKey {
    cipher: Aes256Gcm,
}

impl SealKey {
    /// A sealing key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let cipher = Aes256Gcm::new(&(*bytes).into());
        SealKey { cipher }
    }

    /// Seals `plaintext` bound to `aad`: `format(1) || nonce(12) || ciphertext || tag(16)`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        fast_random(&mut nonce)?;
        self.seal_with_nonce(nonce, aad, plaintext)
    }

    /// As [`SealKey::seal`], with the nonce taken from `drawn` (one draw for a whole batch).
    pub(crate) fn seal_drawn(
        &self,
        drawn: &mut Drawn,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let nonce = drawn.take::<NONCE_LEN>()?;
        self.seal_with_nonce(nonce, aad, plaintext)
    }

    /// Seals under a nonce the caller drew (never reused: it comes from the generator).
    fn seal_with_nonce(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
        out.push(SEAL_FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let nonce = Nonce::<aes_gcm::aead::consts::U12>::from(nonce);
        let tag = self
            .cipher
            .encrypt_inout_detached(&nonce, aad, InOutBuf::from(&mut out[1 + NONCE_LEN..]))
            .map_err(|_| SealError::Malformed)?;
        out.extend_from_slice(tag.as_slice());
        Ok(out)
    }

    /// Opens a value made by [`SealKey::seal`] with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < SEAL_OVERHEAD || sealed[0] != SEAL_FORMAT_V1 {
            return Err(SealError::Malformed);
        }
        let nonce = Nonce::<aes_gcm::aead::consts::U12>::try_from(&sealed[1..1 + NONCE_LEN])
            .map_err(|_| SealError::Malformed)?;
        let body_end = sealed.len() - TAG_LEN;
        let tag = Tag::<aes_gcm::aead::consts::U16>::try_from(&sealed[body_end..])
            .map_err(|_| SealError::Malformed)?;
        let mut buf = sealed[1 + NONCE_LEN..body_end].to_vec();
        self.cipher
            .decrypt_inout_detached(&nonce, aad, InOutBuf::from(&mut buf[..]), &tag)
            .map_err(|_| SealError::Authentication)?;
        Ok(buf)
    }
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(<redacted>)")
    }
}

/// A fresh random read id (128 bits from the per-thread generator that makes nonces); ingest
/// takes its ids from a batch's draws instead ([`drawn_read_id`]).
#[cfg(any(test, feature = "testing"))]
pub fn random_read_id() -> Result<ReadId, SealError> {
    let mut id = [0u8; 16];
    fast_random(&mut id)?;
    Ok(ReadId(id))
}

/// A fresh random read id taken from `drawn` (a batch's draws, one pid check per batch).
pub(crate) fn drawn_read_id(drawn: &mut Drawn) -> Result<ReadId, SealError> {
    Ok(ReadId(drawn.take::<16>()?))
}

/// Where a sealed value belongs; its associated data. Any mismatch fails authentication.
#[derive(Copy, Clone, Debug)]
pub enum Binding<'a> {
    /// A read's metadata record in an epoch, filed under a plate tag.
    Record {
        /// The epoch the read belongs to.
        epoch: Epoch,
        /// The read.
        read_id: ReadId,
        /// The plate tag it is filed under.
        tag: PlateTag,
    },
    /// A read's image in an epoch.
    Image {
        /// The epoch the read belongs to.
        epoch: Epoch,
        /// The read.
        read_id: ReadId,
    },
    /// A wrapped key with a label saying what it is for (`epoch/<name>`, `audit`, ...).
    WrappedKey {
        /// The store the key belongs to.
        store_id: &'a [u8; 16],
        /// What the key is for.
        label: &'a str,
    },
    /// A value with a caller-chosen domain (holds, hotlists, audit payloads).
    Other {
        /// A fixed string naming the kind of value.
        domain: &'a str,
        /// The bytes that identify this value.
        id: &'a [u8],
    },
}

impl Binding<'_> {
    /// The associated-data bytes for this binding (domain-separated, length-prefixed).
    pub fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        match self {
            Binding::Record {
                epoch,
                read_id,
                tag,
            } => {
                aad.extend_from_slice(b"platevault/record/v1\0");
                aad.extend_from_slice(&epoch.start_secs().to_be_bytes());
                aad.extend_from_slice(&read_id.0);
                aad.extend_from_slice(&tag.0);
            }
            Binding::Image { epoch, read_id } => {
                aad.extend_from_slice(b"platevault/image/v1\0");
                aad.extend_from_slice(&epoch.start_secs().to_be_bytes());
                aad.extend_from_slice(&read_id.0);
            }
            Binding::WrappedKey { store_id, label } => {
                aad.extend_from_slice(b"platevault/key/v1\0");
                aad.extend_from_slice(&store_id[..]);
                aad.extend_from_slice(&(label.len() as u32).to_be_bytes());
                aad.extend_from_slice(label.as_bytes());
            }
            Binding::Other { domain, id } => {
                aad.extend_from_slice(b"platevault/other/v1\0");
                aad.extend_from_slice(&(domain.len() as u32).to_be_bytes());
                aad.extend_from_slice(domain.as_bytes());
                aad.extend_from_slice(&(id.len() as u32).to_be_bytes());
                aad.extend_from_slice(id);
            }
        }
        aad
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::epoch::{EpochWidth, Timestamp};

    fn key(b: u8) -> SealKey {
        SealKey::from_bytes(&[b; 32])
    }

    fn epoch(day: i64) -> Epoch {
        EpochWidth::DAILY.epoch_of(Timestamp::from_unix_secs(1_790_000_000 + day * 86_400))
    }

    #[test]
    fn seal_round_trips_and_nonces_are_fresh() {
        let k = key(1);
        let a = k.seal(b"aad", b"hello").expect("seal");
        let b = k.seal(b"aad", b"hello").expect("seal");
        assert_ne!(a, b, "two seals of one message must differ");
        assert_eq!(a.len(), 5 + SEAL_OVERHEAD);
        assert_eq!(k.open(b"aad", &a).expect("open"), b"hello");
        assert_eq!(k.open(b"aad", &b).expect("open"), b"hello");
        assert_eq!(
            k.open(b"", &k.seal(b"", b"").expect("seal")).expect("open"),
            b""
        );
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let k = key(2);
        let sealed = k.seal(b"aad", b"a camera and a place").expect("seal");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(k.open(b"aad", &bad).is_err(), "flip at {i} must fail");
        }
        assert_eq!(k.open(b"aad", &sealed[..10]), Err(SealError::Malformed));
    }

    #[test]
    fn wrong_key_or_place_is_detected() {
        let k = key(3);
        let read = ReadId([7; 16]);
        let other = ReadId([8; 16]);
        let tag = PlateTag([9; TAG_BYTES]);
        let here = Binding::Record {
            epoch: epoch(0),
            read_id: read,
            tag,
        };
        let sealed = k.seal(&here.aad(), b"record").expect("seal");
        assert!(key(4).open(&here.aad(), &sealed).is_err(), "another key");
        let moved_read = Binding::Record {
            epoch: epoch(0),
            read_id: other,
            tag,
        };
        assert!(
            k.open(&moved_read.aad(), &sealed).is_err(),
            "another read id"
        );
        let moved_epoch = Binding::Record {
            epoch: epoch(1),
            read_id: read,
            tag,
        };
        assert!(
            k.open(&moved_epoch.aad(), &sealed).is_err(),
            "another epoch"
        );
        let moved_tag = Binding::Record {
            epoch: epoch(0),
            read_id: read,
            tag: PlateTag([10; TAG_BYTES]),
        };
        assert!(
            k.open(&moved_tag.aad(), &sealed).is_err(),
            "another plate tag"
        );
        let as_image = Binding::Image {
            epoch: epoch(0),
            read_id: read,
        };
        assert!(k.open(&as_image.aad(), &sealed).is_err(), "another kind");
    }

    #[test]
    fn plate_tags_depend_on_key_region_and_plate() {
        let p = Plate::parse("7KQX291").expect("plate");
        let q = Plate::parse("7KQX292").expect("plate");
        let co = Region::parse("CO").expect("region");
        let usco = Region::parse("US-CO").expect("region");
        let k1 = HashKey::from_bytes([1; 32]);
        let k2 = HashKey::from_bytes([2; 32]);
        let t = k1.plate_tag(&co, &p);
        assert_eq!(
            t,
            k1.plate_tag(&co, &Plate::parse("7kq-x291").expect("plate"))
        );
        assert_ne!(t, k1.plate_tag(&co, &q));
        assert_ne!(t, k1.plate_tag(&usco, &p));
        assert_ne!(t, k2.plate_tag(&co, &p));
        assert!(!format!("{k1:?}").contains("01"));
    }

    #[test]
    fn read_ids_are_random_and_round_trip_hex() {
        let a = random_read_id().expect("rng");
        let b = random_read_id().expect("rng");
        assert_ne!(a, b);
        assert_eq!(ReadId::from_hex(&a.to_hex()), Some(a));
        assert_eq!(ReadId::from_hex("zz"), None);
    }
}
