//! The key hierarchy: one master key outside the store, everything else wrapped under it.
//!
//! ```text
//!  master key (256 bits, held by the embedding application, never stored)
//!   ├─ key-check value  = BLAKE3-keyed(derive(master, "key check"), store id)  → header file
//!   ├─ header MAC       = BLAKE3-keyed(derive(master, "header MAC"), behaviour fields) → header
//!   └─ key-encryption key = derive(master, "key encryption")  (AES-256-GCM)
//!        ├─ epoch keys (one pair per epoch: a BLAKE3 hash key and an AES-256-GCM data key)
//!        ├─ audit fingerprint key, checkpoint signing key (Ed25519), hotlist key
//!        ├─ audit payload keys, one per month (shredded when the month's retention ends)
//!        └─ case keys of legal holds, the hotlist key
//! ```
//!
//! Every wrapped key is sealed with associated data naming the store and what the key is
//! for, so a wrapped key copied to another label or store does not open. Secret bytes live
//! in [`SecretKey`] (zeroized on drop, never printed). Fresh keys come from the OS RNG.

use std::fmt;
use std::io::Write;
use std::path::Path;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::crypto::seal::{Binding, HashKey, SealError, SealKey, os_random};

/// Derivation context for the key-encryption key.
const KEK_CONTEXT: &str = "platevault 2026-11 key-encryption key";
/// Derivation context for the key-check value.
const KCV_CONTEXT: &str = "platevault 2026-11 key-check value";
/// Derivation context for the MAC of the header's behaviour fields.
const HEADER_MAC_CONTEXT: &str = "platevault 2026-12 header MAC";

/// Label of the long-lived key that fingerprints plates in the audit log.
pub const LABEL_AUDIT_FINGERPRINT: &str = "audit/fingerprint";
/// Label prefix of the monthly keys that seal audit payloads (`audit/payload/2026-11`).
pub const LABEL_AUDIT_PAYLOAD: &str = "audit/payload";
/// Label of the seed of the Ed25519 key that signs checkpoints.
pub const LABEL_SIGNING: &str = "audit/signing";
/// Label of the long-lived key that seals hotlist entries.
pub const LABEL_HOTLIST: &str = "hotlist";

/// A problem with a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The master key text is not 64 hex characters.
    #[error(
        "a master key is 64 hexadecimal characters (256 bits); make one with `platevault keygen`"
    )]
    BadMasterKeyText,
    /// A key file could not be read or written.
    #[error("cannot use key file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A wrapped key did not open: wrong master key or altered bytes.
    #[error(
        "a wrapped key ({label}) did not open under this master key: the key store is damaged or belongs to another key"
    )]
    Unwrap {
        /// What the key is for.
        label: String,
    },
    /// Randomness or sealing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// The 256-bit master key. Supplied by the embedding application; never written to the store.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// A new random master key from the operating system's RNG.
    pub fn generate() -> Result<Self, KeyError> {
        let mut k = [0u8; 32];
        os_random(&mut k)?;
        Ok(MasterKey(k))
    }

    /// A master key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    /// Parses 64 hex characters (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let mut k = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut k).map_err(|_| KeyError::BadMasterKeyText)?;
        Ok(MasterKey(k))
    }

    /// The key as 64 lowercase hex characters (zeroized when dropped).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0))
    }

    /// Reads a key file holding 64 hex characters.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|source| KeyError::File {
                    path: path.display().to_string(),
                    source,
                })?,
            );
        MasterKey::from_hex(&text)
    }

    /// Writes the key to a new file with mode 0600; refuses to overwrite an existing file.
    pub fn write_new_file(&self, path: &Path) -> Result<(), KeyError> {
        let err = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(err)?;
        let mut line = self.to_hex();
        line.push('\n');
        f.write_all(line.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        Ok(())
    }

    /// The key-check value for a store: proves a key is the right one without revealing it.
    pub fn key_check(&self, store_id: &[u8; 16]) -> [u8; 32] {
        let mut k = blake3::derive_key(KCV_CONTEXT, &self.0);
        let out = *blake3::keyed_hash(&k, store_id).as_bytes();
        k.zeroize();
        out
    }

    /// The MAC of the header bytes `message` ([`crate::store::header::Header::mac_message`]):
    /// binds the clock mode, epoch width and the other behaviour fields to this key, so
    /// an edit of the plain-JSON header is refused at open.
    pub fn header_mac(&self, message: &[u8]) -> [u8; 32] {
        let mut k = blake3::derive_key(HEADER_MAC_CONTEXT, &self.0);
        let out = *blake3::keyed_hash(&k, message).as_bytes();
        k.zeroize();
        out
    }

    /// The key-encryption key that wraps every other key of a store.
    pub fn key_encryption_key(&self, store_id: [u8; 16]) -> Kek {
        let mut k = blake3::derive_key(KEK_CONTEXT, &self.0);
        let seal = SealKey::from_bytes(&k);
        k.zeroize();
        Kek { seal, store_id }
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// 32 secret bytes: an epoch key, an audit key, a signing seed. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// A fresh key from the operating system's RNG.
    pub fn generate() -> Result<Self, KeyError> {
        let mut k = [0u8; 32];
        os_random(&mut k)?;
        Ok(SecretKey(k))
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    fn from_slice(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(SecretKey(arr))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The key-encryption key of one store (derived from the master key).
#[derive(Clone)]
pub struct Kek {
    seal: SealKey,
    store_id: [u8; 16],
}

impl Kek {
    /// Wraps one or more secrets under a label (`epoch/<name>`, `audit`, `hold/<case>`).
    pub fn wrap(&self, label: &str, secrets: &[&SecretKey]) -> Result<Vec<u8>, KeyError> {
        let mut plain = Zeroizing::new(Vec::with_capacity(32 * secrets.len()));
        for s in secrets {
            plain.extend_from_slice(s.expose());
        }
        let binding = Binding::WrappedKey {
            store_id: &self.store_id,
            label,
        };
        Ok(self.seal.seal(&binding.aad(), &plain)?)
    }

    /// Unwraps `count` secrets wrapped under `label`.
    pub fn unwrap(
        &self,
        label: &str,
        wrapped: &[u8],
        count: usize,
    ) -> Result<Vec<SecretKey>, KeyError> {
        let binding = Binding::WrappedKey {
            store_id: &self.store_id,
            label,
        };
        let fail = || KeyError::Unwrap {
            label: label.to_string(),
        };
        let plain = Zeroizing::new(
            self.seal
                .open(&binding.aad(), wrapped)
                .map_err(|_| fail())?,
        );
        if plain.len() != 32 * count {
            return Err(fail());
        }
        plain
            .chunks_exact(32)
            .map(|c| SecretKey::from_slice(c).ok_or_else(fail))
            .collect()
    }
}

impl Kek {
    /// Unwraps whatever secret bytes are wrapped under `label` (for re-wrapping).
    pub fn unwrap_raw(&self, label: &str, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let binding = Binding::WrappedKey {
            store_id: &self.store_id,
            label,
        };
        self.seal
            .open(&binding.aad(), wrapped)
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Unwrap {
                label: label.to_string(),
            })
    }

    /// Wraps raw secret bytes under `label` (for re-wrapping).
    pub fn wrap_raw(&self, label: &str, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let binding = Binding::WrappedKey {
            store_id: &self.store_id,
            label,
        };
        Ok(self.seal.seal(&binding.aad(), plain)?)
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(<redacted>)")
    }
}

/// The two keys of one epoch: the plate-tag hash key and the record data key.
#[derive(Clone)]
pub struct EpochKeys {
    /// Hashes plates into tags.
    pub hash: HashKey,
    /// Seals records and images.
    pub data: SealKey,
}

impl EpochKeys {
    /// Builds usable keys from the two secrets (hash key first).
    pub fn from_secrets(hash: &SecretKey, data: &SecretKey) -> Self {
        EpochKeys {
            hash: HashKey::from_bytes(*hash.expose()),
            data: SealKey::from_bytes(data.expose()),
        }
    }
}

impl fmt::Debug for EpochKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EpochKeys(<redacted>)")
    }
}

/// Constant-time equality of two 32-byte values (key-check values).
pub fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORE: [u8; 16] = [5; 16];

    #[test]
    fn master_keys_parse_and_never_print() {
        let k = MasterKey::generate().expect("rng");
        let hex = k.to_hex();
        assert_eq!(hex.len(), 64);
        let again = MasterKey::from_hex(&format!("  {}\n", &*hex)).expect("parses");
        assert_eq!(k.key_check(&STORE), again.key_check(&STORE));
        assert!(!format!("{k:?}").contains(&hex[..8]));
        assert!(MasterKey::from_hex("abc").is_err());
        assert!(MasterKey::from_hex(&"g".repeat(64)).is_err());
    }

    #[test]
    fn key_check_distinguishes_keys_and_stores() {
        let a = MasterKey::from_bytes([1; 32]);
        let b = MasterKey::from_bytes([2; 32]);
        assert!(ct_eq(&a.key_check(&STORE), &a.key_check(&STORE)));
        assert!(!ct_eq(&a.key_check(&STORE), &b.key_check(&STORE)));
        assert!(!ct_eq(&a.key_check(&STORE), &a.key_check(&[6; 16])));
    }

    #[test]
    fn wrapping_round_trips_and_binds_label_store_and_key() {
        let m = MasterKey::from_bytes([1; 32]);
        let kek = m.key_encryption_key(STORE);
        let s1 = SecretKey::generate().expect("rng");
        let s2 = SecretKey::generate().expect("rng");
        let w = kek
            .wrap("epoch/2026-11-29T00:00:00Z", &[&s1, &s2])
            .expect("wrap");
        let back = kek
            .unwrap("epoch/2026-11-29T00:00:00Z", &w, 2)
            .expect("unwrap");
        assert!(back[0] == s1 && back[1] == s2);
        assert!(
            kek.unwrap("epoch/2026-11-30T00:00:00Z", &w, 2).is_err(),
            "label"
        );
        assert!(
            kek.unwrap("epoch/2026-11-29T00:00:00Z", &w, 1).is_err(),
            "count"
        );
        let other_store = m.key_encryption_key([6; 16]);
        assert!(
            other_store
                .unwrap("epoch/2026-11-29T00:00:00Z", &w, 2)
                .is_err(),
            "store"
        );
        let other_key = MasterKey::from_bytes([2; 32]).key_encryption_key(STORE);
        assert!(
            other_key
                .unwrap("epoch/2026-11-29T00:00:00Z", &w, 2)
                .is_err(),
            "master"
        );
        let mut bad = w.clone();
        bad[20] ^= 1;
        assert!(
            kek.unwrap("epoch/2026-11-29T00:00:00Z", &bad, 2).is_err(),
            "flip"
        );
    }

    #[test]
    fn key_files_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("master.key");
        let k = MasterKey::generate().expect("rng");
        k.write_new_file(&path).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = MasterKey::from_file(&path).expect("read");
        assert_eq!(back.key_check(&STORE), k.key_check(&STORE));
        assert!(k.write_new_file(&path).is_err(), "must not overwrite");
    }
}
