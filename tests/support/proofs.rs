//! Checks independent of the crate: hex, and RFC 9162 Merkle tree hashes, inclusion and
//! consistency proofs computed with BLAKE3 straight from its crate.

use serde_json::Value;

/// Whether `s` is lowercase hex (of `bytes` bytes, when given).
pub fn is_hex(s: &str, bytes: Option<usize>) -> bool {
    !s.is_empty()
        && s.len().is_multiple_of(2)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && bytes.is_none_or(|n| s.len() == 2 * n)
}

/// Hex to bytes, panicking with context.
#[track_caller]
pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("{s:?} is not hex: {e}"))
}

/// Hex to 32 bytes.
#[track_caller]
pub fn unhex32(s: &str) -> [u8; 32] {
    unhex(s).try_into().expect("32 bytes")
}

/// RFC 9162 leaf hash with BLAKE3: H(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&[0]);
    h.update(entry);
    *h.finalize().as_bytes()
}

/// RFC 9162 node hash with BLAKE3: H(0x01 || left || right).
pub fn node_hash(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&[1]);
    h.update(l);
    h.update(r);
    *h.finalize().as_bytes()
}

/// RFC 9162 section 2.1.1: the Merkle tree hash of these leaf hashes (n >= 1).
pub fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.len() == 1 {
        return leaves[0];
    }
    let mut k = 1;
    while k * 2 < leaves.len() {
        k *= 2;
    }
    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
}

/// RFC 9162 section 2.1.3.2: verifies an inclusion proof.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    proof: &[[u8; 32]],
    root: [u8; 32],
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode, mut r) = (index, size - 1, leaf);
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == root
}

/// RFC 9162 section 2.1.4.2: verifies a consistency proof (0 < size1 <= size2).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: [u8; 32],
    root2: [u8; 32],
    proof: &[[u8; 32]],
) -> bool {
    if size1 == 0 || size1 > size2 {
        return false;
    }
    if size1 == size2 {
        return proof.is_empty() && root1 == root2;
    }
    let mut path: Vec<[u8; 32]> = Vec::new();
    if size1.is_power_of_two() {
        path.push(root1);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && fr == root1 && sr == root2
}

/// A JSON array of hex strings as 32-byte hashes.
#[track_caller]
pub fn hashes(v: &Value) -> Vec<[u8; 32]> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|h| unhex32(h.as_str().expect("hex string")))
        .collect()
}
