//! The audit log's Merkle tree: RFC 9162 (Certificate Transparency v2) hashing, proofs and
//! their verification, generic over the hash function.
//!
//! This module owns the tree arithmetic and nothing else: it never touches RocksDB. The store
//! keeps the hash of every complete perfect subtree (a [`NodeSource`]), so that appending is
//! O(log n) ([`Frontier`]) and a root or a proof needs O(log n) node reads ([`root`],
//! [`inclusion_proof`], [`consistency_proof`]). The verifiers ([`verify_inclusion`],
//! [`verify_consistency`]) need nothing but their inputs, so that a reviewer who holds only a
//! checkpoint and a proof can check it. The product hashes with BLAKE3 ([`Blake3Hasher`]); the
//! SHA-256 instance ([`Sha256Hasher`]) exists so that the code is tested against the RFC 6962
//! vectors of an independent implementation.
//!
//! Definitions (RFC 9162 section 2.1.1): the hash of an empty tree is `H()`, a leaf hashes as
//! `H(0x00 || entry)`, an inner node as `H(0x01 || left || right)`, and a tree of `n > 1`
//! leaves splits at the largest power of two `k < n`. Node `(level, index)` is the root of the
//! perfect subtree over leaves `[index << level, (index + 1) << level)`.

use std::convert::Infallible;

use sha2::Digest as _;

/// A node, leaf or root hash: 32 bytes, whatever the hash function.
pub type Hash = [u8; 32];

/// The hash function of a tree, with RFC 9162's domain separation between leaves and nodes.
pub trait TreeHasher {
    /// The hash of a leaf: `H(0x00 || data)`.
    fn hash_leaf(&self, data: &[u8]) -> Hash;
    /// The hash of an inner node: `H(0x01 || left || right)`.
    fn hash_children(&self, left: &Hash, right: &Hash) -> Hash;
    /// The root of the empty tree: `H()`, the hash of the empty string.
    fn empty_root(&self) -> Hash;
}

/// The product's tree hash: unkeyed BLAKE3 with a 32-byte output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blake3Hasher;

impl TreeHasher for Blake3Hasher {
    fn hash_leaf(&self, data: &[u8]) -> Hash {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[0x00]);
        hasher.update(data);
        *hasher.finalize().as_bytes()
    }

    fn hash_children(&self, left: &Hash, right: &Hash) -> Hash {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[0x01]);
        hasher.update(left);
        hasher.update(right);
        *hasher.finalize().as_bytes()
    }

    fn empty_root(&self) -> Hash {
        *blake3::hash(b"").as_bytes()
    }
}

/// SHA-256, the hash of RFC 6962 logs: used to test against their published vectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sha256Hasher;

impl TreeHasher for Sha256Hasher {
    fn hash_leaf(&self, data: &[u8]) -> Hash {
        let mut hasher = sha2::Sha256::new();
        hasher.update([0x00]);
        hasher.update(data);
        hasher.finalize().into()
    }

    fn hash_children(&self, left: &Hash, right: &Hash) -> Hash {
        let mut hasher = sha2::Sha256::new();
        hasher.update([0x01]);
        hasher.update(left);
        hasher.update(right);
        hasher.finalize().into()
    }

    fn empty_root(&self) -> Hash {
        sha2::Sha256::digest(b"").into()
    }
}

/// Where the algorithms read complete perfect subtrees from (the store, or a [`MemoryTree`]).
///
/// `node(level, index)` is the hash of the perfect subtree over leaves
/// `[index << level, (index + 1) << level)`; level 0 holds the leaf hashes. The algorithms
/// of this module only ask for nodes that are complete within the tree size they were given.
pub trait NodeSource {
    /// Why a node could not be read.
    type Error;
    /// The hash of the perfect subtree `(level, index)`.
    fn node(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

impl<S: NodeSource + ?Sized> NodeSource for &S {
    type Error = S::Error;

    fn node(&self, level: u8, index: u64) -> Result<Hash, Self::Error> {
        (**self).node(level, index)
    }
}

/// Why a root or a proof could not be computed from a [`NodeSource`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError<E> {
    /// The node source failed to deliver a node.
    #[error("reading node (level {level}, index {index}) of the audit tree failed: {source}")]
    Source {
        /// Level of the node asked for.
        level: u8,
        /// Index of the node within its level.
        index: u64,
        /// The source's own error.
        #[source]
        source: E,
    },
    /// A leaf index at or past the tree size.
    #[error(
        "leaf index {index} is outside a tree of {size} leaves: ask for an index below the tree size"
    )]
    LeafOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size it was asked in.
        size: u64,
    },
    /// A leaf range whose start lies after its end.
    #[error("leaf range {start}..{end} is reversed: the start must not exceed the end")]
    ReversedRange {
        /// First leaf of the range.
        start: u64,
        /// One past the last leaf of the range.
        end: u64,
    },
    /// Tree sizes that no consistency proof connects.
    #[error(
        "no consistency proof from size {size1} to size {size2}: it needs 0 < size1 <= size2 \
         (an empty tree is consistent with everything, so a proof from it means nothing)"
    )]
    BadSizes {
        /// The older tree size.
        size1: u64,
        /// The newer tree size.
        size2: u64,
    },
    /// A tree size larger than the in-memory tree holds.
    #[error("tree size {size} asked of a tree that holds only {available} leaves")]
    BeyondTree {
        /// The size asked for.
        size: u64,
        /// How many leaves the tree holds.
        available: u64,
    },
}

/// Why a proof was refused by [`verify_inclusion`] or [`verify_consistency`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is outside a tree of {size} leaves, so no proof can include it")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// A consistency proof from the empty tree.
    #[error(
        "a consistency proof from an empty tree means nothing (every log extends it): \
         start from a checkpoint of at least one entry"
    )]
    EmptyOldTree,
    /// The older tree is larger than the newer one.
    #[error(
        "the old tree ({size1} leaves) is larger than the new tree ({size2} leaves): the log shrank"
    )]
    SizesOutOfOrder {
        /// The older tree size.
        size1: u64,
        /// The newer tree size.
        size2: u64,
    },
    /// The proof has the wrong number of hashes for the claimed index and sizes.
    #[error("the proof has {actual} hashes where these sizes need exactly {expected}")]
    WrongProofLength {
        /// How many hashes the sizes call for.
        expected: usize,
        /// How many the proof holds.
        actual: usize,
    },
    /// The inclusion proof leads to another root.
    #[error("the inclusion proof does not lead to the given root: the entry is not in that tree")]
    RootMismatch,
    /// The consistency proof does not reproduce the old root.
    #[error(
        "the consistency proof does not reproduce the old root: the log was rewritten or forked"
    )]
    OldRootMismatch,
    /// The consistency proof does not reproduce the new root.
    #[error(
        "the consistency proof does not reproduce the new root: the log was rewritten or forked"
    )]
    NewRootMismatch,
}

/// The largest power of two strictly below `n` (`n >= 2`): RFC 9162's split point `k`.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Reads one node, tagging a failure with its coordinates.
fn read<S: NodeSource + ?Sized>(
    src: &S,
    level: u8,
    index: u64,
) -> Result<Hash, MerkleError<S::Error>> {
    src.node(level, index)
        .map_err(|source| MerkleError::Source {
            level,
            index,
            source,
        })
}

/// MTH of the non-empty range `[start, end)`, from the largest stored nodes that tile it.
fn range_hash<H, S>(h: &H, src: &S, start: u64, end: u64) -> Result<Hash, MerkleError<S::Error>>
where
    H: TreeHasher + ?Sized,
    S: NodeSource + ?Sized,
{
    let n = end - start;
    if n.is_power_of_two() && start.is_multiple_of(n) {
        // A stored perfect subtree: one read. (`trailing_zeros` of a u64 is at most 63.)
        return read(src, n.trailing_zeros() as u8, start >> n.trailing_zeros());
    }
    let k = split_point(n);
    let left = range_hash(h, src, start, start + k)?;
    let right = range_hash(h, src, start + k, end)?;
    Ok(h.hash_children(&left, &right))
}

/// MTH (RFC 9162 section 2.1.1) of leaves `[start, end)`, read from perfect subtrees.
///
/// When `start` is a multiple of the largest power of two below `end - start` (every range a
/// root or an RFC 9162 proof needs), this takes at most one node read per level, O(log n).
/// Any other range is still hashed exactly as the RFC defines, from smaller nodes. An empty
/// range hashes to [`TreeHasher::empty_root`].
pub fn subtree_hash<H, S>(
    h: &H,
    src: &S,
    start: u64,
    end: u64,
) -> Result<Hash, MerkleError<S::Error>>
where
    H: TreeHasher + ?Sized,
    S: NodeSource + ?Sized,
{
    if start > end {
        return Err(MerkleError::ReversedRange { start, end });
    }
    if start == end {
        return Ok(h.empty_root());
    }
    range_hash(h, src, start, end)
}

/// The root of the tree of the first `size` leaves: one node read per set bit of `size`.
pub fn root<H, S>(h: &H, src: &S, size: u64) -> Result<Hash, MerkleError<S::Error>>
where
    H: TreeHasher + ?Sized,
    S: NodeSource + ?Sized,
{
    subtree_hash(h, src, 0, size)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 2.1.3.1),
/// ordered from the leaf's sibling up to the root's child.
pub fn inclusion_proof<H, S>(
    h: &H,
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, MerkleError<S::Error>>
where
    H: TreeHasher + ?Sized,
    S: NodeSource + ?Sized,
{
    if index >= size {
        return Err(MerkleError::LeafOutOfRange { index, size });
    }
    // PATH(m, D[lo:hi]) descends into the half holding the leaf; the other half's hash is
    // appended after the deeper path, so hashes gathered top-down are reversed at the end.
    let (mut lo, mut hi) = (0u64, size);
    let mut path = Vec::new();
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            path.push(range_hash(h, src, lo + k, hi)?);
            hi = lo + k;
        } else {
            path.push(range_hash(h, src, lo, lo + k)?);
            lo += k;
        }
    }
    path.reverse();
    Ok(path)
}

/// The consistency proof from the tree of `size1` leaves to the tree of `size2` leaves
/// (RFC 9162 2.1.4.1); empty when the sizes are equal, an error when `size1` is 0.
pub fn consistency_proof<H, S>(
    h: &H,
    src: &S,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, MerkleError<S::Error>>
where
    H: TreeHasher + ?Sized,
    S: NodeSource + ?Sized,
{
    if size1 == 0 || size1 > size2 {
        return Err(MerkleError::BadSizes { size1, size2 });
    }
    if size1 == size2 {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[lo:hi], b), with m kept as the absolute end of the old tree. As for
    // inclusion, the deepest hashes come first, so the gathered list is reversed.
    let (mut lo, mut hi) = (0u64, size2);
    let mut whole_old_tree = true;
    let mut proof = Vec::new();
    loop {
        if size1 == hi {
            if !whole_old_tree {
                proof.push(range_hash(h, src, lo, hi)?);
            }
            break;
        }
        let k = split_point(hi - lo);
        if size1 <= lo + k {
            proof.push(range_hash(h, src, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(range_hash(h, src, lo, lo + k)?);
            lo += k;
            whole_old_tree = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Number of hashes in the inclusion proof of `index` in a tree of `size > index` leaves.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    // Levels where the path has a right sibling or a left one inside the tree, plus the
    // levels where the path runs along the right border and only a left sibling exists.
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Number of hashes in the consistency proof between sizes `0 < size1 < size2`.
fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    let last = size1 - 1;
    let inner = 64 - (last ^ (size2 - 1)).leading_zeros();
    let border = last.checked_shr(inner).unwrap_or(0).count_ones();
    let shift = size1.trailing_zeros();
    let seed = usize::from(!size1.is_power_of_two());
    seed + inner.saturating_sub(shift) as usize + border as usize
}

/// The root that an inclusion proof of `leaf_hash` at `index` in a tree of `size` leaves
/// leads to (RFC 9162 2.1.3.2 steps 1 to 4), refusing a proof of the wrong length.
pub fn root_from_inclusion<H>(
    h: &H,
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError>
where
    H: TreeHasher + ?Sized,
{
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    let wrong_length = ProofError::WrongProofLength {
        expected,
        actual: proof.len(),
    };
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if snode == 0 {
            return Err(wrong_length);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = h.hash_children(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = h.hash_children(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_length);
    }
    Ok(r)
}

/// Checks that `proof` shows `leaf_hash` at `index` in the tree of `size` leaves with root
/// `root` (RFC 9162 2.1.3.2). Every length and index is checked; no input makes it panic.
pub fn verify_inclusion<H>(
    h: &H,
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError>
where
    H: TreeHasher + ?Sized,
{
    if root_from_inclusion(h, index, size, leaf_hash, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1`
/// leaves with root `root1` (RFC 9162 2.1.4.2). A proof from size 0 is refused; equal sizes
/// need an empty proof and equal roots. No input makes it panic.
pub fn verify_consistency<H>(
    h: &H,
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError>
where
    H: TreeHasher + ?Sized,
{
    if size1 == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if size1 > size2 {
        return Err(ProofError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::NewRootMismatch)
        };
    }
    let expected = consistency_proof_len(size1, size2);
    let wrong_length = ProofError::WrongProofLength {
        expected,
        actual: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length);
    }
    // Step 2: when the old tree is a perfect subtree of the new one, its root seeds the walk.
    let (seed, rest) = if size1.is_power_of_two() {
        (root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (first, rest),
            None => return Err(wrong_length),
        }
    };
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in rest {
        if snode == 0 {
            return Err(wrong_length);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = h.hash_children(c, &fr);
            sr = h.hash_children(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = h.hash_children(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_length);
    }
    if fr != *root1 {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *root2 {
        return Err(ProofError::NewRootMismatch);
    }
    Ok(())
}

/// The right edge of a tree: the root of each perfect subtree that a new leaf may join, one
/// per set bit of the size, largest first. Enough to append and to compute the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Roots of the perfect subtrees of the size's binary decomposition, largest first.
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the frontier of the tree of `size` leaves from stored nodes (one read per set
    /// bit of `size`).
    pub fn load<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Self, MerkleError<S::Error>> {
        let mut nodes = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0u64;
        for level in (0..64u8).rev() {
            if (size >> level) & 1 == 1 {
                nodes.push(read(src, level, start >> level)?);
                start += 1u64 << level;
            }
        }
        Ok(Self { size, nodes })
    }

    /// How many leaves the tree holds.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash and returns every node `(level, index, hash)` this append
    /// completes, the leaf itself (level 0) first: the caller stores them all.
    ///
    /// # Panics
    ///
    /// If the tree already holds `u64::MAX` leaves.
    pub fn append<H: TreeHasher + ?Sized>(
        &mut self,
        h: &H,
        leaf_hash: Hash,
    ) -> Vec<(u8, u64, Hash)> {
        assert!(
            self.size < u64::MAX,
            "a Merkle tree cannot hold more than u64::MAX leaves"
        );
        let mut completed = vec![(0u8, self.size, leaf_hash)];
        let mut hash = leaf_hash;
        let mut level = 0u8;
        // Each trailing one bit of the size is a perfect subtree the new one completes.
        while (self.size >> level) & 1 == 1 {
            let Some(left) = self.nodes.pop() else { break };
            hash = h.hash_children(&left, &hash);
            level += 1;
            completed.push((level, self.size >> level, hash));
        }
        self.nodes.push(hash);
        self.size += 1;
        completed
    }

    /// The root of the tree (MTH of all its leaves).
    pub fn root<H: TreeHasher + ?Sized>(&self, h: &H) -> Hash {
        let mut smallest_first = self.nodes.iter().rev();
        match smallest_first.next() {
            None => h.empty_root(),
            Some(last) => smallest_first.fold(*last, |right, left| h.hash_children(left, &right)),
        }
    }
}

/// A whole tree in memory (every complete node of every level): for tests and for a
/// verifier that recomputes a log from its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    /// `levels[l][i]` is node `(l, i)`; `levels[0]` holds the leaf hashes.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over the given leaf hashes, in order.
    pub fn from_leaf_hashes<H, I>(h: &H, leaf_hashes: I) -> Self
    where
        H: TreeHasher + ?Sized,
        I: IntoIterator<Item = Hash>,
    {
        let mut tree = Self::new();
        for leaf in leaf_hashes {
            tree.push(h, leaf);
        }
        tree
    }

    /// A tree over the given entries, each hashed as a leaf (`H(0x00 || entry)`).
    pub fn from_entries<H, I, T>(h: &H, entries: I) -> Self
    where
        H: TreeHasher + ?Sized,
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        Self::from_leaf_hashes(h, entries.into_iter().map(|e| h.hash_leaf(e.as_ref())))
    }

    /// Appends a leaf hash, completing the nodes it closes.
    pub fn push<H: TreeHasher + ?Sized>(&mut self, h: &H, leaf_hash: Hash) {
        let mut hash = leaf_hash;
        let mut level = 0usize;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let Some(row) = self.levels.get_mut(level) else {
                return;
            };
            row.push(hash);
            if !row.len().is_multiple_of(2) {
                return;
            }
            let (left, right) = (row[row.len() - 2], row[row.len() - 1]);
            hash = h.hash_children(&left, &right);
            level += 1;
        }
    }

    /// How many leaves the tree holds.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// The hash of leaf `index`, if the tree has it.
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// Node `(level, index)`, if it is complete in this tree.
    pub fn get(&self, level: u8, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.get(usize::from(level))?.get(index).copied()
    }

    /// Refuses a size larger than the tree.
    fn check_size(&self, size: u64) -> Result<(), MerkleError<Infallible>> {
        if size > self.size() {
            return Err(MerkleError::BeyondTree {
                size,
                available: self.size(),
            });
        }
        Ok(())
    }

    /// The root of the first `size` leaves, refusing a size beyond the tree.
    pub fn root_at<H: TreeHasher + ?Sized>(
        &self,
        h: &H,
        size: u64,
    ) -> Result<Hash, MerkleError<Infallible>> {
        self.check_size(size)?;
        root(h, self, size)
    }

    /// [`inclusion_proof`] over this tree, refusing a size beyond the tree.
    pub fn prove_inclusion<H: TreeHasher + ?Sized>(
        &self,
        h: &H,
        index: u64,
        size: u64,
    ) -> Result<Vec<Hash>, MerkleError<Infallible>> {
        self.check_size(size)?;
        inclusion_proof(h, self, index, size)
    }

    /// [`consistency_proof`] over this tree, refusing a size beyond the tree.
    pub fn prove_consistency<H: TreeHasher + ?Sized>(
        &self,
        h: &H,
        size1: u64,
        size2: u64,
    ) -> Result<Vec<Hash>, MerkleError<Infallible>> {
        self.check_size(size2)?;
        consistency_proof(h, self, size1, size2)
    }
}

impl NodeSource for MemoryTree {
    type Error = Infallible;

    /// # Panics
    ///
    /// If node `(level, index)` is not complete in this tree. The functions of this module
    /// never ask for one when given a size no larger than [`MemoryTree::size`]; the
    /// `MemoryTree` methods ([`MemoryTree::root_at`] and the `prove_*` ones) check that.
    fn node(&self, level: u8, index: u64) -> Result<Hash, Infallible> {
        match self.get(level, index) {
            Some(hash) => Ok(hash),
            None => panic!(
                "MemoryTree of {} leaves has no complete node (level {level}, index {index})",
                self.size()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cell::Cell;

    const MAX: u64 = 70;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n)
            .map(|i| Sha256Hasher.hash_leaf(&i.to_be_bytes()))
            .collect()
    }

    /// MTH straight from RFC 9162's recursive definition.
    fn naive<H: TreeHasher>(h: &H, leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => h.empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                h.hash_children(&naive(h, &leaves[..k]), &naive(h, &leaves[k..]))
            }
        }
    }

    /// A source that refuses nodes beyond `limit` leaves and counts reads.
    struct Guarded<'a> {
        tree: &'a MemoryTree,
        limit: u64,
        reads: Cell<u64>,
    }

    #[derive(Debug, PartialEq)]
    struct Incomplete;

    impl NodeSource for Guarded<'_> {
        type Error = Incomplete;
        fn node(&self, level: u8, index: u64) -> Result<Hash, Incomplete> {
            self.reads.set(self.reads.get() + 1);
            if (index + 1) << level > self.limit {
                return Err(Incomplete);
            }
            self.tree.get(level, index).ok_or(Incomplete)
        }
    }

    fn guarded(tree: &MemoryTree, limit: u64) -> Guarded<'_> {
        Guarded {
            tree,
            limit,
            reads: Cell::new(0),
        }
    }

    fn bit_len(n: u64) -> u64 {
        u64::from(64 - n.leading_zeros())
    }

    #[test]
    fn hashers_follow_rfc_domain_separation() {
        let h = Blake3Hasher;
        assert_eq!(h.empty_root(), *blake3::hash(b"").as_bytes());
        assert_eq!(h.hash_leaf(b"ab"), *blake3::hash(b"\x00ab").as_bytes());
        let (l, r) = ([1u8; 32], [2u8; 32]);
        let mut cat = vec![1u8];
        cat.extend_from_slice(&l);
        cat.extend_from_slice(&r);
        assert_eq!(h.hash_children(&l, &r), *blake3::hash(&cat).as_bytes());
        assert_eq!(
            hex::encode(Sha256Hasher.empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let s: Hash = sha2::Sha256::digest(&cat).into();
        assert_eq!(Sha256Hasher.hash_children(&l, &r), s);
    }

    #[test]
    fn roots_agree_with_naive_and_frontier_at_every_size() {
        let all = leaves(MAX);
        let tree = MemoryTree::from_leaf_hashes(&Sha256Hasher, all.iter().copied());
        let mut frontier = Frontier::new();
        for size in 0..=MAX {
            let want = naive(&Sha256Hasher, &all[..size as usize]);
            let src = guarded(&tree, size);
            assert_eq!(
                root(&Sha256Hasher, &src, size).unwrap(),
                want,
                "size {size}"
            );
            assert_eq!(src.reads.get(), u64::from(size.count_ones()));
            assert_eq!(frontier.root(&Sha256Hasher), want, "frontier at {size}");
            assert_eq!(frontier.size(), size);
            assert_eq!(Frontier::load(&tree, size).unwrap(), frontier);
            if size < MAX {
                frontier.append(&Sha256Hasher, all[size as usize]);
            }
        }
        assert_eq!(
            tree.root_at(&Sha256Hasher, MAX).unwrap(),
            naive(&Sha256Hasher, &all)
        );
    }

    #[test]
    fn frontier_append_reports_exactly_the_completed_nodes() {
        let h = Blake3Hasher;
        let all: Vec<Hash> = (0..MAX).map(|i| h.hash_leaf(&i.to_le_bytes())).collect();
        let tree = MemoryTree::from_leaf_hashes(&h, all.iter().copied());
        let mut frontier = Frontier::new();
        let mut stored = std::collections::BTreeMap::new();
        for (i, leaf) in all.iter().enumerate() {
            let done = frontier.append(&h, *leaf);
            assert_eq!(done[0], (0, i as u64, *leaf));
            // One node per trailing one bit of the old size, plus the leaf.
            assert_eq!(done.len() as u32, (i as u64).trailing_ones() + 1);
            for (level, index, hash) in done {
                assert_eq!(tree.get(level, index), Some(hash));
                assert!(stored.insert((level, index), hash).is_none());
            }
        }
        // Every complete node of the tree was reported exactly once.
        let total: usize = (0..8).map(|l| (MAX >> l) as usize).sum();
        assert_eq!(stored.len(), total);
    }

    #[test]
    fn subtree_hash_matches_naive_for_every_range() {
        let all = leaves(40);
        let tree = MemoryTree::from_leaf_hashes(&Sha256Hasher, all.iter().copied());
        for start in 0..=40u64 {
            for end in start..=40u64 {
                let want = naive(&Sha256Hasher, &all[start as usize..end as usize]);
                let got = subtree_hash(&Sha256Hasher, &guarded(&tree, end), start, end).unwrap();
                assert_eq!(got, want, "{start}..{end}");
            }
        }
        assert!(matches!(
            subtree_hash(&Sha256Hasher, &tree, 5, 4),
            Err(MerkleError::ReversedRange { start: 5, end: 4 })
        ));
    }

    #[test]
    fn inclusion_proofs_verify_for_every_index_and_size() {
        let h = Sha256Hasher;
        let all = leaves(MAX);
        let tree = MemoryTree::from_leaf_hashes(&h, all.iter().copied());
        for size in 1..=MAX {
            let src = guarded(&tree, size);
            let r = root(&h, &src, size).unwrap();
            for index in 0..size {
                src.reads.set(0);
                let proof = inclusion_proof(&h, &src, index, size).unwrap();
                // O(log n) levels, each an aligned range of O(log n) nodes.
                assert!(src.reads.get() <= bit_len(size) * bit_len(size));
                assert_eq!(proof.len(), inclusion_proof_len(index, size));
                let leaf = all[index as usize];
                verify_inclusion(&h, index, size, &leaf, &proof, &r).unwrap();
                assert_eq!(root_from_inclusion(&h, index, size, &leaf, &proof), Ok(r));
            }
            assert!(matches!(
                inclusion_proof(&h, &src, size, size),
                Err(MerkleError::LeafOutOfRange { .. })
            ));
        }
        assert!(matches!(
            tree.prove_inclusion(&h, 0, MAX + 1),
            Err(MerkleError::BeyondTree {
                size: 71,
                available: 70
            })
        ));
    }

    #[test]
    fn consistency_proofs_verify_for_every_size_pair() {
        let h = Sha256Hasher;
        let all = leaves(MAX);
        let tree = MemoryTree::from_leaf_hashes(&h, all.iter().copied());
        let roots: Vec<Hash> = (0..=MAX).map(|s| root(&h, &tree, s).unwrap()).collect();
        for size2 in 1..=MAX {
            let src = guarded(&tree, size2);
            for size1 in 1..=size2 {
                src.reads.set(0);
                let proof = consistency_proof(&h, &src, size1, size2).unwrap();
                assert!(src.reads.get() <= bit_len(size2) * bit_len(size2));
                if size1 == size2 {
                    assert!(proof.is_empty());
                } else {
                    assert_eq!(proof.len(), consistency_proof_len(size1, size2));
                }
                let (r1, r2) = (roots[size1 as usize], roots[size2 as usize]);
                verify_consistency(&h, size1, size2, &r1, &r2, &proof)
                    .unwrap_or_else(|e| panic!("{size1} -> {size2}: {e}"));
            }
            assert!(matches!(
                consistency_proof(&h, &src, 0, size2),
                Err(MerkleError::BadSizes { .. })
            ));
            assert!(matches!(
                consistency_proof(&h, &src, size2 + 1, size2),
                Err(MerkleError::BadSizes { .. })
            ));
        }
    }

    #[test]
    fn tampered_inclusion_proofs_are_refused() {
        let h = Blake3Hasher;
        let tree = MemoryTree::from_entries(&h, (0..37u32).map(|i| i.to_be_bytes()));
        for size in [1u64, 2, 3, 7, 8, 9, 16, 31, 37] {
            let r = tree.root_at(&h, size).unwrap();
            for index in 0..size {
                let leaf = tree.leaf_hash(index).unwrap();
                let proof = tree.prove_inclusion(&h, index, size).unwrap();
                for i in 0..proof.len() {
                    for byte in [0usize, 17, 31] {
                        let mut bad = proof.clone();
                        bad[i][byte] ^= 0x80;
                        assert!(verify_inclusion(&h, index, size, &leaf, &bad, &r).is_err());
                    }
                }
                let mut bad_leaf = leaf;
                bad_leaf[0] ^= 1;
                assert!(verify_inclusion(&h, index, size, &bad_leaf, &proof, &r).is_err());
                let mut bad_root = r;
                bad_root[31] ^= 1;
                assert!(verify_inclusion(&h, index, size, &leaf, &proof, &bad_root).is_err());
                for other in 0..size + 2 {
                    if other != index {
                        assert!(verify_inclusion(&h, other, size, &leaf, &proof, &r).is_err());
                    }
                }
                // The proof does not bind the size on its own: a proof for (0, 3) has the
                // shape of one for (0, 4) and checks against the same root. The signed
                // checkpoint binds size and root together; here only sizes whose proofs have
                // another shape are tried.
                for other in [0, 2 * size, size + 64, u64::MAX] {
                    assert!(verify_inclusion(&h, index, other, &leaf, &proof, &r).is_err());
                }
                let mut longer = proof.clone();
                longer.push(r);
                assert!(verify_inclusion(&h, index, size, &leaf, &longer, &r).is_err());
                if !proof.is_empty() {
                    let shorter = &proof[..proof.len() - 1];
                    assert!(verify_inclusion(&h, index, size, &leaf, shorter, &r).is_err());
                }
            }
        }
        assert_eq!(
            verify_inclusion(&h, 0, 0, &[0; 32], &[], &h.empty_root()),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert!(verify_inclusion(&h, u64::MAX, u64::MAX, &[0; 32], &[], &[0; 32]).is_err());
        assert!(
            verify_inclusion(
                &h,
                u64::MAX - 1,
                u64::MAX,
                &[0; 32],
                &[[0; 32]; 64],
                &[0; 32]
            )
            .is_err()
        );
    }

    #[test]
    fn tampered_consistency_proofs_are_refused() {
        let h = Blake3Hasher;
        let tree = MemoryTree::from_entries(&h, (0..37u32).map(|i| i.to_be_bytes()));
        let roots: Vec<Hash> = (0..=37).map(|s| tree.root_at(&h, s).unwrap()).collect();
        for size2 in 1..=37u64 {
            for size1 in 1..=size2 {
                let (r1, r2) = (roots[size1 as usize], roots[size2 as usize]);
                let proof = tree.prove_consistency(&h, size1, size2).unwrap();
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i][i % 32] ^= 0x01;
                    assert!(verify_consistency(&h, size1, size2, &r1, &r2, &bad).is_err());
                }
                let mut bad1 = r1;
                bad1[3] ^= 4;
                assert!(verify_consistency(&h, size1, size2, &bad1, &r2, &proof).is_err());
                let mut bad2 = r2;
                bad2[30] ^= 4;
                assert!(verify_consistency(&h, size1, size2, &r1, &bad2, &proof).is_err());
                // As for inclusion, only size changes that change the proof's shape.
                for (s1, s2) in [
                    (0, size2),
                    (size1, 2 * size2),
                    (size2 + 1, size1),
                    (size1, u64::MAX),
                ] {
                    if (s1, s2) != (size1, size2) {
                        assert!(
                            verify_consistency(&h, s1, s2, &r1, &r2, &proof).is_err(),
                            "{size1}->{size2} accepted as {s1}->{s2}"
                        );
                    }
                }
                let mut longer = proof.clone();
                longer.push(r1);
                assert!(verify_consistency(&h, size1, size2, &r1, &r2, &longer).is_err());
                if !proof.is_empty() {
                    let shorter = &proof[..proof.len() - 1];
                    assert!(verify_consistency(&h, size1, size2, &r1, &r2, shorter).is_err());
                }
            }
        }
        let r = roots[5];
        assert_eq!(
            verify_consistency(&h, 0, 5, &h.empty_root(), &r, &[]),
            Err(ProofError::EmptyOldTree)
        );
        assert_eq!(
            verify_consistency(&h, 0, 0, &h.empty_root(), &h.empty_root(), &[]),
            Err(ProofError::EmptyOldTree)
        );
        assert_eq!(
            verify_consistency(&h, 6, 5, &r, &r, &[]),
            Err(ProofError::SizesOutOfOrder { size1: 6, size2: 5 })
        );
        assert!(verify_consistency(&h, 5, 5, &r, &r, &[r]).is_err());
        assert!(verify_consistency(&h, 5, 5, &r, &roots[4], &[]).is_err());
        assert!(verify_consistency(&h, 1, u64::MAX, &r, &r, &[r; 64]).is_err());
        assert!(verify_consistency(&h, u64::MAX - 1, u64::MAX, &r, &r, &[r; 70]).is_err());
    }

    proptest! {
        #[test]
        fn random_sizes_prove_and_verify(size2 in 1u64..3000, a in any::<u64>(), b in any::<u64>()) {
            let h = Blake3Hasher;
            let tree = MemoryTree::from_entries(&h, (0..size2).map(|i| i.to_le_bytes()));
            let size1 = 1 + a % size2;
            let index = b % size1;
            let r1 = tree.root_at(&h, size1).unwrap();
            let r2 = tree.root_at(&h, size2).unwrap();
            let mut frontier = Frontier::load(&tree, size1).unwrap();
            prop_assert_eq!(frontier.root(&h), r1);
            for i in size1..size2 {
                frontier.append(&h, tree.leaf_hash(i).unwrap());
            }
            prop_assert_eq!(frontier.root(&h), r2);

            let leaf = tree.leaf_hash(index).unwrap();
            let proof = tree.prove_inclusion(&h, index, size1).unwrap();
            prop_assert!(verify_inclusion(&h, index, size1, &leaf, &proof, &r1).is_ok());
            prop_assert!(verify_inclusion(&h, index, size1, &leaf, &proof, &r2).is_err() || size1 == size2);

            let consistency = tree.prove_consistency(&h, size1, size2).unwrap();
            prop_assert!(verify_consistency(&h, size1, size2, &r1, &r2, &consistency).is_ok());
            if let Some(first) = consistency.first() {
                let mut bad = consistency.clone();
                bad[0] = h.hash_children(first, first);
                prop_assert!(verify_consistency(&h, size1, size2, &r1, &r2, &bad).is_err());
            }
        }

        #[test]
        fn verifiers_never_panic(
            index in any::<u64>(),
            size1 in any::<u64>(),
            size2 in any::<u64>(),
            len in 0usize..80,
        ) {
            let h = Sha256Hasher;
            let proof = vec![[7u8; 32]; len];
            let _ = verify_inclusion(&h, index, size2, &[1; 32], &proof, &[2; 32]);
            let _ = verify_consistency(&h, size1, size2, &[1; 32], &[2; 32], &proof);
            let small = (index % 64, size1 % 70, size2 % 70);
            let _ = verify_inclusion(&h, small.0, small.2, &[1; 32], &proof, &[2; 32]);
            let _ = verify_consistency(&h, small.1, small.2, &[1; 32], &[2; 32], &proof);
        }
    }
}
