//! Signed checkpoints: the audit log's (origin, size, root), signed with the agency's Ed25519
//! key in the C2SP `tlog-checkpoint` / `signed-note` formats, so that they can be published
//! off the machine and checked by anyone who pins the public key.
//!
//! This module owns the text format and its signatures, nothing else: it does not know where
//! the key is kept or how the root was computed. What was checked, and where:
//!
//! - C2SP `signed-note` (github.com/C2SP/C2SP, `signed-note.md`): a note is text ending in a
//!   newline, a blank line, then one or more lines `— <key name> <base64(key ID || sig)>`
//!   (em dash U+2014, space); valid UTF-8 with no ASCII control character but newline; the
//!   text is separated from the signatures by the last empty line; key names are non-empty
//!   with no Unicode space and no `+`; verifiers ignore signatures from unknown keys, must
//!   verify a signature whose name and key ID both match a known key, should reject the
//!   whole note if it fails, must reject a note without a verified known signature, and must
//!   accept at least 16 signatures. Ed25519 (type `0x01`) signs the note text (RFC 8032) and
//!   `key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]`, big-endian.
//! - C2SP `tlog-checkpoint` (`tlog-checkpoint.md`): the text is the origin (non-empty), the
//!   tree size in ASCII decimal without leading zeroes, the base64 (RFC 4648 section 4,
//!   padded) root hash, then optional extension lines. platevault writes none and refuses
//!   them, so that a parsed [`Checkpoint`] is exactly what was signed.
//! - golang.org/x/mod/sumdb/note (`note.go`, `note_test.go`), the reference implementation:
//!   splits at the last `"\n\n"`, requires the signature block to end in a newline, refuses
//!   signatures shorter than 5 bytes and notes of more than 100 signatures. Its test key and
//!   note are the known-answer tests below.
//!
//! Signatures are checked with `verify_strict` (no small-order keys, no malleable
//! signatures).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::Digest as _;

use super::merkle::Hash;

/// The C2SP signed-note signature type byte of Ed25519.
pub const ED25519_SIGNATURE_TYPE: u8 = 0x01;

/// Most signature lines a note may carry (as golang.org/x/mod/sumdb/note; the spec asks for
/// at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// What begins every signature line: an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Why a checkpoint could not be made, parsed or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The log origin is not usable as the checkpoint's first line.
    #[error("checkpoint origin is invalid: {reason}")]
    InvalidOrigin {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signing key's name is not a valid signed-note key name.
    #[error("key name is invalid: {reason}")]
    InvalidKeyName {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The text is not a signed note.
    #[error("not a signed note: {reason}")]
    MalformedNote {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The note's text is not a checkpoint.
    #[error("checkpoint body is malformed: {reason}")]
    MalformedBody {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A field that should be standard, padded base64 is not.
    #[error("{what} is not valid standard (padded) base64")]
    BadBase64 {
        /// Which field.
        what: &'static str,
    },
    /// The root hash decodes to the wrong number of bytes.
    #[error("checkpoint root hash is {len} bytes long; it must be 32")]
    RootLength {
        /// How many bytes it decoded to.
        len: usize,
    },
    /// More signature lines than any honest note carries.
    #[error("the note has more than {MAX_SIGNATURES} signature lines")]
    TooManySignatures,
    /// No signature line names the pinned key (by key name and key ID).
    #[error(
        "the note carries no signature by key {key_name} (key ID {key_id}): it was not signed \
         by the pinned key; check the key name and the public key you gave"
    )]
    NoSignatureByKey {
        /// The expected key name.
        key_name: String,
        /// The expected key ID, in hex.
        key_id: String,
    },
    /// A signature line of the pinned key does not verify.
    #[error(
        "the signature by key {key_name} (key ID {key_id}) does not verify: the checkpoint was \
         altered after signing, or signed by another key under the same name"
    )]
    InvalidSignature {
        /// The key name.
        key_name: String,
        /// The key ID, in hex.
        key_id: String,
    },
    /// A public key given in hex is not a usable Ed25519 key.
    #[error(
        "public key is not usable: {reason}; give the 64 hex characters that `init` or `audit checkpoint` printed"
    )]
    BadPublicKey {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A tree head of the audit log: who (origin), how many entries (size), and their root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, the first line of the body (for example `city-pd.example/audit`).
    pub origin: String,
    /// Number of entries (leaves) in the tree.
    pub size: u64,
    /// Root hash of the tree of `size` entries.
    pub root: Hash,
}

/// One signature line of a note, decoded but not verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    /// The key name the line gives.
    pub key_name: String,
    /// The 4-byte key ID that begins the decoded signature.
    pub key_id: [u8; 4],
    /// The signature bytes after the key ID (64 for Ed25519).
    pub signature: Vec<u8>,
}

/// Whether `c` is an ASCII control character (below U+0020), which a note may only hold as
/// a newline.
fn is_ascii_control(c: char) -> bool {
    c < '\u{20}'
}

/// Checks a signed-note key name: non-empty, no Unicode space, no `+`, no control character.
pub fn validate_key_name(key_name: &str) -> Result<(), CheckpointError> {
    let reason = if key_name.is_empty() {
        "it is empty"
    } else if key_name.chars().any(char::is_whitespace) {
        "it contains a space or another whitespace character"
    } else if key_name.contains('+') {
        "it contains '+', which signed-note key names may not"
    } else if key_name.chars().any(is_ascii_control) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(CheckpointError::InvalidKeyName { reason })
}

/// Checks a checkpoint origin: non-empty, no whitespace, no control character (stricter
/// than the spec's SHOULD, so that the origin is one unambiguous token).
pub fn validate_origin(origin: &str) -> Result<(), CheckpointError> {
    let reason = if origin.is_empty() {
        "it is empty"
    } else if origin.chars().any(char::is_whitespace) {
        "it contains a space, a newline or another whitespace character"
    } else if origin.chars().any(char::is_control) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(CheckpointError::InvalidOrigin { reason })
}

/// The signed-note key ID of an Ed25519 key:
/// `SHA-256(key name || 0x0A || 0x01 || public key)[:4]`.
pub fn key_id(key_name: &str, public_key: &VerifyingKey) -> [u8; 4] {
    let mut hasher = sha2::Sha256::new();
    hasher.update(key_name.as_bytes());
    hasher.update([b'\n', ED25519_SIGNATURE_TYPE]);
    hasher.update(public_key.as_bytes());
    let digest = hasher.finalize();
    let mut id = [0u8; 4];
    id.copy_from_slice(&digest[..4]);
    id
}

/// The verifier key string of golang.org/x/mod/sumdb/note
/// (`<name>+<key ID hex>+<base64(0x01 || public key)>`), for Go-based note tools.
pub fn note_verifier_key(key_name: &str, public_key: &VerifyingKey) -> String {
    let mut typed = Vec::with_capacity(33);
    typed.push(ED25519_SIGNATURE_TYPE);
    typed.extend_from_slice(public_key.as_bytes());
    format!(
        "{key_name}+{}+{}",
        hex::encode(key_id(key_name, public_key)),
        BASE64.encode(typed)
    )
}

/// A public key as 64 lowercase hex characters, as `init` and `audit checkpoint` print it.
pub fn public_key_hex(public_key: &VerifyingKey) -> String {
    hex::encode(public_key.as_bytes())
}

/// Parses a public key from 64 hex characters, refusing anything but a valid, non-weak
/// Ed25519 point.
pub fn verifying_key_from_hex(text: &str) -> Result<VerifyingKey, CheckpointError> {
    let text = text.trim();
    if text.len() != 64 {
        return Err(CheckpointError::BadPublicKey {
            reason: "it is not 64 hex characters long",
        });
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes).map_err(|_| CheckpointError::BadPublicKey {
        reason: "it contains a character that is not hex",
    })?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| CheckpointError::BadPublicKey {
        reason: "it is not a point of the Ed25519 curve",
    })?;
    if key.is_weak() {
        return Err(CheckpointError::BadPublicKey {
            reason: "it is a small-order point, which no real key is",
        });
    }
    Ok(key)
}

/// Signs `text` (which must end in a newline) as a note with one Ed25519 signature line.
fn sign_note(text: &str, key: &SigningKey, key_name: &str) -> String {
    let signature = key.sign(text.as_bytes());
    let mut raw = Vec::with_capacity(4 + 64);
    raw.extend_from_slice(&key_id(key_name, &key.verifying_key()));
    raw.extend_from_slice(&signature.to_bytes());
    format!(
        "{text}\n{SIGNATURE_PREFIX}{key_name} {}\n",
        BASE64.encode(raw)
    )
}

/// Splits a signed note into its text (final newline included) and its signature lines.
fn parse_note(note: &str) -> Result<(&str, Vec<SignatureLine>), CheckpointError> {
    let malformed = |reason| CheckpointError::MalformedNote { reason };
    if note.chars().any(|c| c != '\n' && is_ascii_control(c)) {
        return Err(malformed(
            "it contains a control character other than newline",
        ));
    }
    let split = note.rfind("\n\n").ok_or(malformed(
        "there is no blank line between the text and the signatures",
    ))?;
    let (text, block) = (&note[..=split], &note[split + 2..]);
    let Some(block) = block.strip_suffix('\n') else {
        return Err(malformed(
            "the signature lines are missing or the last one does not end in a newline",
        ));
    };
    let mut lines = Vec::new();
    for line in block.split('\n') {
        if lines.len() == MAX_SIGNATURES {
            return Err(CheckpointError::TooManySignatures);
        }
        let Some((key_name, encoded)) = line
            .strip_prefix(SIGNATURE_PREFIX)
            .and_then(|rest| rest.split_once(' '))
        else {
            return Err(malformed(
                "a line after the blank line is not `— <key name> <signature>`",
            ));
        };
        if validate_key_name(key_name).is_err() {
            return Err(malformed("a signature line has an invalid key name"));
        }
        let raw = BASE64
            .decode(encoded)
            .map_err(|_| CheckpointError::BadBase64 {
                what: "a signature",
            })?;
        let Some((id, signature)) = raw.split_first_chunk::<4>() else {
            return Err(malformed("a signature is shorter than its 4-byte key ID"));
        };
        if signature.is_empty() {
            return Err(malformed("a signature holds a key ID and no signature"));
        }
        lines.push(SignatureLine {
            key_name: key_name.to_owned(),
            key_id: *id,
            signature: signature.to_vec(),
        });
    }
    Ok((text, lines))
}

/// Returns the note's text if it carries a signature by the given key that verifies, and no
/// signature line by that key that does not.
fn open_note<'a>(
    note: &'a str,
    key_name: &str,
    public_key: &VerifyingKey,
) -> Result<&'a str, CheckpointError> {
    validate_key_name(key_name)?;
    let (text, lines) = parse_note(note)?;
    let id = key_id(key_name, public_key);
    let mut verified = false;
    for line in lines
        .iter()
        .filter(|line| line.key_name == key_name && line.key_id == id)
    {
        let ok = Signature::from_slice(&line.signature)
            .is_ok_and(|sig| public_key.verify_strict(text.as_bytes(), &sig).is_ok());
        if !ok {
            return Err(CheckpointError::InvalidSignature {
                key_name: key_name.to_owned(),
                key_id: hex::encode(id),
            });
        }
        verified = true;
    }
    if verified {
        Ok(text)
    } else {
        Err(CheckpointError::NoSignatureByKey {
            key_name: key_name.to_owned(),
            key_id: hex::encode(id),
        })
    }
}

impl Checkpoint {
    /// A checkpoint, refusing an origin that is empty or holds whitespace.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        let origin = origin.into();
        validate_origin(&origin)?;
        Ok(Self { origin, size, root })
    }

    /// The note text: `<origin>\n<size in decimal>\n<base64 root>\n`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        )
    }

    /// The whole signed note: the body, a blank line and one Ed25519 signature line.
    ///
    /// The origin and key name are not checked here: an invalid one yields a note that
    /// [`Checkpoint::open`] refuses. Use [`Checkpoint::try_sign`] when either comes from
    /// input.
    pub fn sign(&self, key: &SigningKey, key_name: &str) -> String {
        sign_note(&self.body(), key, key_name)
    }

    /// [`Checkpoint::sign`], refusing an invalid origin or key name first.
    pub fn try_sign(&self, key: &SigningKey, key_name: &str) -> Result<String, CheckpointError> {
        validate_origin(&self.origin)?;
        validate_key_name(key_name)?;
        Ok(self.sign(key, key_name))
    }

    /// Parses a signed checkpoint and returns it only if it carries a valid signature by the
    /// pinned key (matched by key name and key ID). Other signers' lines are ignored; a line
    /// of the pinned key that fails to verify refuses the whole note.
    pub fn open(
        note: &str,
        key_name: &str,
        public_key: &VerifyingKey,
    ) -> Result<Checkpoint, CheckpointError> {
        let text = open_note(note, key_name, public_key)?;
        parse_body(text)
    }

    /// Parses a signed checkpoint without verifying any signature: for tools that only
    /// display it. Never trust what it returns.
    pub fn parse_unverified(
        note: &str,
    ) -> Result<(Checkpoint, Vec<SignatureLine>), CheckpointError> {
        let (text, lines) = parse_note(note)?;
        Ok((parse_body(text)?, lines))
    }
}

/// Parses a checkpoint body (`text` ends in a newline, as [`parse_note`] returns it).
fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
    let malformed = |reason| CheckpointError::MalformedBody { reason };
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut lines = text.split('\n');
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(malformed(
            "it needs three lines: origin, tree size and root hash",
        ));
    };
    if lines.next().is_some() {
        return Err(malformed(
            "it has extension lines after the root hash; platevault checkpoints have none",
        ));
    }
    validate_origin(origin)?;
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("the tree size is not a decimal number"));
    }
    if size.len() > 1 && size.starts_with('0') {
        return Err(malformed("the tree size has a leading zero"));
    }
    let size = size
        .parse::<u64>()
        .map_err(|_| malformed("the tree size does not fit in 64 bits"))?;
    let root = BASE64
        .decode(root)
        .map_err(|_| CheckpointError::BadBase64 {
            what: "the root hash",
        })?;
    let root = Hash::try_from(root.as_slice())
        .map_err(|_| CheckpointError::RootLength { len: root.len() })?;
    Ok(Checkpoint {
        origin: origin.to_owned(),
        size,
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "city-pd.example/audit";

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint::new(NAME, 1234, [0xab; 32]).unwrap()
    }

    // The test vectors of golang.org/x/mod/sumdb/note (note_test.go, BSD licence).
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY_B64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n";
    const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    /// The public key of a Go verifier key string (`name+id+base64(0x01 || key)`).
    fn go_verifier(vkey: &str) -> (String, [u8; 4], VerifyingKey) {
        let mut parts = vkey.splitn(3, '+');
        let name = parts.next().unwrap().to_owned();
        let id: [u8; 4] = hex::decode(parts.next().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let typed = BASE64.decode(parts.next().unwrap()).unwrap();
        assert_eq!(typed[0], ED25519_SIGNATURE_TYPE);
        let key = VerifyingKey::from_bytes(&typed[1..].try_into().unwrap()).unwrap();
        (name, id, key)
    }

    #[test]
    fn key_id_matches_the_spec_definition_and_go_known_answers() {
        for vkey in [PETER_VKEY, ENOCH_VKEY] {
            let (name, id, key) = go_verifier(vkey);
            assert_eq!(key_id(&name, &key), id, "{vkey}");
            assert_eq!(note_verifier_key(&name, &key), vkey);
        }
        // The definition spelled out once more, independently of `key_id`.
        let pk = key(9).verifying_key();
        let mut input = b"example.com/log".to_vec();
        input.push(0x0a);
        input.push(0x01);
        input.extend_from_slice(pk.as_bytes());
        let digest = sha2::Sha256::digest(&input);
        assert_eq!(key_id("example.com/log", &pk), digest[..4]);
    }

    #[test]
    fn signing_reproduces_the_go_reference_note_byte_for_byte() {
        let typed = BASE64.decode(PETER_SKEY_B64).unwrap();
        assert_eq!(typed[0], ED25519_SIGNATURE_TYPE);
        let sk = SigningKey::from_bytes(&typed[1..].try_into().unwrap());
        let (name, _, pk) = go_verifier(PETER_VKEY);
        assert_eq!(sk.verifying_key(), pk);
        let note = sign_note(GO_TEXT, &sk, &name);
        assert_eq!(note, format!("{GO_TEXT}\n{PETER_SIG}"));
    }

    #[test]
    fn go_notes_open_only_with_a_matching_key() {
        let (peter, _, peter_key) = go_verifier(PETER_VKEY);
        let (enoch, _, enoch_key) = go_verifier(ENOCH_VKEY);
        let both = format!("{GO_TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        assert_eq!(open_note(&both, &peter, &peter_key).unwrap(), GO_TEXT);
        assert_eq!(open_note(&both, &enoch, &enoch_key).unwrap(), GO_TEXT);
        let only_enoch = format!("{GO_TEXT}\n{ENOCH_SIG}");
        assert!(matches!(
            open_note(&only_enoch, &peter, &peter_key),
            Err(CheckpointError::NoSignatureByKey { .. })
        ));
        // A pinned key under another name is another key.
        assert!(matches!(
            open_note(&both, "PeterNeuman", &peter_key),
            Err(CheckpointError::NoSignatureByKey { .. })
        ));
        let tampered = both.replace("cryptography", "cryptographY");
        assert!(matches!(
            open_note(&tampered, &peter, &peter_key),
            Err(CheckpointError::InvalidSignature { .. })
        ));
        // Go's malformed-note table.
        let bad = [
            GO_TEXT.to_owned(),
            format!("{GO_TEXT}\n"),
            format!("{GO_TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
            format!("\u{1}{GO_TEXT}\n{PETER_SIG}"),
            format!(
                "{GO_TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
            ),
            format!("{GO_TEXT}\n{PETER_SIG}Unexpected line.\n"),
            format!("{GO_TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1)),
        ];
        for note in bad {
            assert!(open_note(&note, &peter, &peter_key).is_err(), "{note:?}");
        }
        let many = format!("{GO_TEXT}\n{}", PETER_SIG.repeat(16));
        assert!(open_note(&many, &peter, &peter_key).is_ok());
    }

    #[test]
    fn sign_open_round_trip() {
        let sk = key(1);
        let cp = checkpoint();
        let note = cp.sign(&sk, NAME);
        assert!(note.starts_with(&format!(
            "{NAME}\n1234\n{}\n\n\u{2014} {NAME} ",
            BASE64.encode([0xab; 32])
        )));
        assert!(note.ends_with('\n'));
        assert_eq!(note, cp.try_sign(&sk, NAME).unwrap());
        assert_eq!(
            Checkpoint::open(&note, NAME, &sk.verifying_key()).unwrap(),
            cp
        );
        let (parsed, lines) = Checkpoint::parse_unverified(&note).unwrap();
        assert_eq!(parsed, cp);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].key_name, NAME);
        assert_eq!(lines[0].key_id, key_id(NAME, &sk.verifying_key()));
        assert_eq!(lines[0].signature.len(), 64);

        let empty = Checkpoint::new(NAME, 0, [0; 32]).unwrap();
        let note = empty.sign(&sk, "other-name");
        assert_eq!(
            Checkpoint::open(&note, "other-name", &sk.verifying_key()).unwrap(),
            empty
        );
        let max = Checkpoint::new(NAME, u64::MAX, [7; 32]).unwrap();
        assert_eq!(
            Checkpoint::open(&max.sign(&sk, NAME), NAME, &sk.verifying_key()).unwrap(),
            max
        );
    }

    #[test]
    fn wrong_key_or_name_is_refused() {
        let note = checkpoint().sign(&key(1), NAME);
        assert!(matches!(
            Checkpoint::open(&note, NAME, &key(2).verifying_key()),
            Err(CheckpointError::NoSignatureByKey { .. })
        ));
        assert!(matches!(
            Checkpoint::open(&note, "city-pd.example/other", &key(1).verifying_key()),
            Err(CheckpointError::NoSignatureByKey { .. })
        ));
        assert!(matches!(
            Checkpoint::open(&note, "bad name", &key(1).verifying_key()),
            Err(CheckpointError::InvalidKeyName { .. })
        ));
    }

    #[test]
    fn every_flipped_bit_is_refused() {
        let sk = key(3);
        let note = checkpoint().sign(&sk, NAME);
        let bytes = note.as_bytes();
        let mut tried = 0;
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut changed = bytes.to_vec();
                changed[i] ^= 1 << bit;
                // A change that is not UTF-8 cannot even be given as a note.
                let Ok(changed) = String::from_utf8(changed) else {
                    continue;
                };
                tried += 1;
                assert!(
                    Checkpoint::open(&changed, NAME, &sk.verifying_key()).is_err(),
                    "byte {i} bit {bit} accepted: {changed:?}"
                );
            }
        }
        assert!(tried > bytes.len() * 4);
    }

    #[test]
    fn other_signers_lines_are_ignored_unless_they_match() {
        let cp = checkpoint();
        let ours = cp.sign(&key(1), NAME);
        let theirs = cp.sign(&key(2), "witness.example/w1");
        let their_line = theirs.rsplit_once("\n\n").unwrap().1;
        let both = format!("{ours}{their_line}");
        assert_eq!(
            Checkpoint::open(&both, NAME, &key(1).verifying_key()).unwrap(),
            cp
        );
        assert_eq!(
            Checkpoint::open(&both, "witness.example/w1", &key(2).verifying_key()).unwrap(),
            cp
        );
        // Only another signer's line: refused.
        assert!(matches!(
            Checkpoint::open(&theirs, NAME, &key(1).verifying_key()),
            Err(CheckpointError::NoSignatureByKey { .. })
        ));
        // Another key that claims our name (a different key ID) is ignored.
        let impostor = cp.sign(&key(2), NAME);
        let impostor_line = impostor.rsplit_once("\n\n").unwrap().1;
        let mixed = format!("{ours}{impostor_line}");
        assert_eq!(
            Checkpoint::open(&mixed, NAME, &key(1).verifying_key()).unwrap(),
            cp
        );
        assert!(Checkpoint::open(&impostor, NAME, &key(1).verifying_key()).is_err());
        // A second line with our name and key ID that fails refuses the whole note.
        let other_body = Checkpoint::new(NAME, 1235, [0xab; 32])
            .unwrap()
            .sign(&key(1), NAME);
        let stale_line = other_body.rsplit_once("\n\n").unwrap().1;
        let conflicting = format!("{ours}{stale_line}");
        assert!(matches!(
            Checkpoint::open(&conflicting, NAME, &key(1).verifying_key()),
            Err(CheckpointError::InvalidSignature { .. })
        ));
        // A matching key ID with a signature of the wrong length is an invalid signature.
        let id = key_id(NAME, &key(1).verifying_key());
        let mut raw = id.to_vec();
        raw.extend_from_slice(&[0u8; 63]);
        let short = format!("{}\n\u{2014} {NAME} {}\n", cp.body(), BASE64.encode(&raw));
        assert!(matches!(
            Checkpoint::open(&short, NAME, &key(1).verifying_key()),
            Err(CheckpointError::InvalidSignature { .. })
        ));
    }

    /// Signs an arbitrary body text, bypassing `Checkpoint::body`.
    fn signed(text: &str) -> String {
        sign_note(text, &key(5), NAME)
    }

    fn open(note: &str) -> Result<Checkpoint, CheckpointError> {
        Checkpoint::open(note, NAME, &key(5).verifying_key())
    }

    #[test]
    fn malformed_bodies_are_refused_even_when_signed() {
        let root = BASE64.encode([1u8; 32]);
        assert!(open(&signed(&format!("{NAME}\n10\n{root}\n"))).is_ok());
        let cases = [
            (format!("{NAME}\n010\n{root}\n"), "leading zero"),
            (format!("{NAME}\n+10\n{root}\n"), "sign"),
            (format!("{NAME}\n-1\n{root}\n"), "negative"),
            (format!("{NAME}\n1 0\n{root}\n"), "space"),
            (format!("{NAME}\n\n{root}\n"), "empty size"),
            (
                format!("{NAME}\n18446744073709551616\n{root}\n"),
                "overflow",
            ),
            (format!("{NAME}\n10\n"), "two lines"),
            (format!("{NAME}\n10\n{root}\next\n"), "extension line"),
            (format!("a b\n10\n{root}\n"), "space in origin"),
            (format!("\n10\n{root}\n"), "empty origin"),
            (
                format!("{NAME}\n10\n{}\n", BASE64.encode([1u8; 31])),
                "short root",
            ),
            (
                format!("{NAME}\n10\n{}\n", BASE64.encode([1u8; 33])),
                "long root",
            ),
            (
                format!("{NAME}\n10\n{}\n", &root[..root.len() - 1]),
                "unpadded root",
            ),
            (
                format!("{NAME}\n10\n{}\n", hex::encode([1u8; 32])),
                "hex root",
            ),
        ];
        for (body, what) in cases {
            let err = open(&signed(&body)).expect_err(what);
            assert!(
                matches!(
                    err,
                    CheckpointError::MalformedBody { .. }
                        | CheckpointError::MalformedNote { .. }
                        | CheckpointError::InvalidOrigin { .. }
                        | CheckpointError::BadBase64 { .. }
                        | CheckpointError::RootLength { .. }
                ),
                "{what}: {err}"
            );
        }
        assert_eq!(
            open(&signed(&format!(
                "{NAME}\n10\n{}\n",
                BASE64.encode([1u8; 31])
            ))),
            Err(CheckpointError::RootLength { len: 31 })
        );
    }

    #[test]
    fn malformed_notes_are_refused() {
        let note = checkpoint().sign(&key(5), NAME);
        let (body, line) = note.rsplit_once("\n\n").unwrap();
        let cases = [
            format!("{body}\n{line}"),                                  // no blank line
            format!("{body}\n\n{}", line.trim_end()),                   // no final newline
            format!("{body}\n\n"),                                      // no signature
            format!("{body}\n\n{}", line.replacen('\u{2014}', "-", 1)), // hyphen, not em dash
            format!("{body}\n\n{}", line.replacen(' ', "  ", 1)),       // doubled space
            format!("{body}\r\n\n{line}"),                              // carriage return
            format!("{body}\n\n{line}\n"),                              // trailing blank line
        ];
        for case in cases {
            assert!(open(&case).is_err(), "{case:?}");
        }
        assert!(matches!(
            Checkpoint::parse_unverified(&format!("{body}\n\n\u{2014} {NAME} AAAA\n")),
            Err(CheckpointError::MalformedNote { .. })
        ));
        assert!(matches!(
            Checkpoint::parse_unverified(&format!("{body}\n\n\u{2014} {NAME} AAAAAA==\n")),
            Err(CheckpointError::MalformedNote { .. })
        ));
        assert!(matches!(
            Checkpoint::parse_unverified(&format!("{body}\n\n\u{2014} {NAME} !!!!\n")),
            Err(CheckpointError::BadBase64 { .. })
        ));
    }

    #[test]
    fn the_c2sp_example_checkpoint_parses() {
        let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        let (cp, lines) = Checkpoint::parse_unverified(note).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20_852_163);
        assert_eq!(
            BASE64.encode(cp.root),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].key_name, "example.com/behind-the-sofa");
        assert_eq!(lines[0].signature.len(), 64);
        assert_eq!(
            cp.body(),
            note.rsplit_once("\n\n").unwrap().0.to_owned() + "\n"
        );
    }

    #[test]
    fn names_and_origins_are_validated() {
        for bad in ["", "a b", "a+b", "a\tb", "a\u{a0}b", "a\u{1}b", "a\nb"] {
            assert!(validate_key_name(bad).is_err(), "{bad:?}");
        }
        for bad in ["", "a b", "a\nb", "a\u{2003}b", "a\u{7f}"] {
            assert!(validate_origin(bad).is_err(), "{bad:?}");
            assert!(Checkpoint::new(bad, 1, [0; 32]).is_err());
        }
        assert!(validate_key_name("city-pd.example/audit").is_ok());
        assert!(validate_origin("city-pd.example/audit+1").is_ok());
        let cp = checkpoint();
        assert!(cp.try_sign(&key(1), "a+b").is_err());
        let bad_origin = Checkpoint {
            origin: "two words".into(),
            ..cp
        };
        assert!(bad_origin.try_sign(&key(1), NAME).is_err());
        // An unchecked signature over a bad origin is refused when opened.
        assert!(
            Checkpoint::open(
                &bad_origin.sign(&key(1), NAME),
                NAME,
                &key(1).verifying_key()
            )
            .is_err()
        );
    }

    #[test]
    fn public_key_hex_round_trips_and_refuses_junk() {
        let pk = key(4).verifying_key();
        let text = public_key_hex(&pk);
        assert_eq!(text.len(), 64);
        assert_eq!(verifying_key_from_hex(&text).unwrap(), pk);
        assert_eq!(
            verifying_key_from_hex(&format!(" {}\n", text.to_uppercase())).unwrap(),
            pk
        );
        assert!(verifying_key_from_hex(&text[..62]).is_err());
        assert!(verifying_key_from_hex(&format!("{text}00")).is_err());
        assert!(verifying_key_from_hex(&"zz".repeat(32)).is_err());
        // The identity point has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            verifying_key_from_hex(&hex::encode(identity)),
            Err(CheckpointError::BadPublicKey { .. })
        ));
    }
}
