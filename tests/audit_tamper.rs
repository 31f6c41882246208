//! Tamper evidence of the audit log, on real RocksDB files: a reviewer who kept a signed
//! checkpoint (and pinned the store's public key) detects every rewrite of the log made
//! afterwards by someone with the files: one changed entry, dropped entries (truncation),
//! two swapped entries, and a fork (a copy of the store that grew differently); including
//! the strongest forger, who holds the master key, recomputes every Merkle node and signs a
//! fresh tree head with the store's own key, so that the store is consistent with itself and
//! only the pinned checkpoint can tell. An untouched log, and one that only grew through the
//! API, verify. Inclusion proofs check against a checkpoint with nothing but the proof, and
//! fail when the entry, the leaf hash, a path element, the sequence number or the tree size
//! is altered, or when checked against another store's checkpoint. A checkpoint with a bad
//! signature, an altered body or the wrong key is refused.

mod support;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::VerifyingKey;
use platevault::audit::checkpoint::verifying_key_from_hex;
use platevault::audit::entry::{Entry, EntryKind};
use platevault::audit::merkle::{Blake3Hasher, verify_consistency};
use platevault::verify::audit_log::{
    InclusionProof, PinnedCheckpoint, ProofCheckError, VerifyReport, check_inclusion,
};
use platevault::verify::{CheckpointInfo, Review};
use platevault::{MasterKey, Policy, SearchRequest, Vault, VaultOptions};
use support::*;

/// A closed store with a log of about 30 entries, a checkpoint taken early (while the vault
/// was open) and one of the whole log.
struct Built {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key: MasterKey,
    early: CheckpointInfo,
    cp: CheckpointInfo,
}

impl Built {
    fn public_key(&self) -> VerifyingKey {
        verifying_key_from_hex(&self.cp.public_key).expect("public key")
    }

    /// A fresh copy of the store to tamper with.
    fn copy(&self, name: &str) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(name);
        copy_dir(&self.dir, &dir);
        (tmp, dir)
    }
}

fn search(vault: &Vault, req: platevault::CaseRequest) -> platevault::SearchOutcome {
    vault
        .search(&SearchRequest {
            case: req,
            with_images: false,
        })
        .expect("search")
}

/// Searches `n` times: every third one denied for its purpose.
fn workload(vault: &Vault, tag: &str, n: usize) {
    for i in 0..n {
        let mut req = unjustified_request(
            if i % 2 == 0 { "7KQX291" } else { "QZW4471" },
            &format!("{tag}-{i}"),
        );
        if i % 3 == 2 {
            req.purpose = "immigration".into();
        }
        search(vault, req);
    }
}

fn build_log() -> Built {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, key, dir) = new_store(tmp.path(), &Policy::default_policy());
    vault
        .ingest(vec![
            read_in_region("7KQX291", "CO", ago(2), "CAM-1"),
            read_in_region("7KQX291", "CO", ago(30), "CAM-2"),
            read_in_region("QZW4471", "CO", ago(5), "CAM-3"),
        ])
        .expect("ingest");
    workload(&vault, "DET", 6);
    let early = Review::open(&dir)
        .expect("review")
        .checkpoint()
        .expect("early checkpoint");
    workload(&vault, "OFC", 14);
    drop(vault);
    let review = Review::open(&dir).expect("review");
    let cp = review.checkpoint().expect("checkpoint");
    assert!((25..=35).contains(&cp.size), "log of {} entries", cp.size);
    assert!(early.size < cp.size);
    assert_eq!(cp.key_name, review.origin());
    drop(review);
    Built {
        _tmp: tmp,
        dir,
        key,
        early,
        cp,
    }
}

fn verify_with(dir: &Path, note: &str, key: VerifyingKey) -> VerifyReport {
    Review::open(dir)
        .expect("review")
        .verify(Some(PinnedCheckpoint {
            note,
            public_key: Some(key),
        }))
        .expect("verify runs")
}

fn verify_self(dir: &Path) -> VerifyReport {
    Review::open(dir)
        .expect("review")
        .verify(None)
        .expect("verify runs")
}

fn assert_caught(report: &VerifyReport, what: &str, words: &str) {
    assert!(!report.ok, "{what}: not detected: {report:?}");
    let problem = report.problem.as_deref().unwrap_or_default();
    assert!(
        problem.contains(words),
        "{what}: the problem should say {words:?}: {problem}"
    );
}

/// The sequence number of the first entry that satisfies `f`.
fn find_seq(dir: &Path, f: impl Fn(&Entry) -> bool) -> u64 {
    entries(dir)
        .iter()
        .find(|e| f(e))
        .map(|e| e.seq)
        .expect("such an entry")
}

#[test]
fn an_untouched_log_and_a_log_that_only_grew_verify() {
    let b = build_log();
    let (_t, dir) = b.copy("untouched");
    for note in [&b.cp.note, &b.early.note] {
        let r = verify_with(&dir, note, b.public_key());
        assert!(r.ok, "{r:?}");
        assert_eq!(r.size, b.cp.size);
        assert_eq!(r.root, b.cp.root);
    }
    assert!(verify_self(&dir).ok);
    assert_eq!(
        verify_with(&dir, &b.cp.note, b.public_key()).checkpoint_size,
        Some(b.cp.size)
    );

    // Honest appends through the API: searches, a hold, a reviewer check.
    let vault = Vault::open(&dir, &b.key, &VaultOptions::new()).expect("open");
    workload(&vault, "LATE", 5);
    vault
        .hold(
            &unjustified_request("7KQX291", "LATE-H"),
            t0().plus(platevault::Span::from_days(30)),
        )
        .expect("hold");
    vault
        .reviewer_check("7KQX291", "CO", "OVERSIGHT-1")
        .expect("check");
    drop(vault);
    let review = Review::open(&dir).expect("review");
    let grown = review.checkpoint().expect("checkpoint");
    assert!(grown.size > b.cp.size + 5);
    for note in [&b.cp.note, &b.early.note, &grown.note] {
        let r = verify_with(&dir, note, b.public_key());
        assert!(r.ok, "{r:?}");
        assert_eq!(r.size, grown.size);
    }
    // The consistency proof a remote reviewer would get checks out on its own.
    let c = review.prove_consistency(b.cp.size).expect("consistency");
    let hash = |h: &str| -> [u8; 32] { hex::decode(h).expect("hex").try_into().expect("32 bytes") };
    let proof: Vec<[u8; 32]> = c.proof.iter().map(|p| hash(p)).collect();
    assert_eq!(c.root1, b.cp.root);
    assert_eq!(c.root2, grown.root);
    verify_consistency(
        &Blake3Hasher,
        c.size1,
        c.size2,
        &hash(&b.cp.root),
        &hash(&grown.root),
        &proof,
    )
    .expect("the log only grew");
}

#[test]
fn a_changed_entry_is_caught() {
    let b = build_log();
    let key = b.public_key();
    let denied = find_seq(&b.dir, |e| e.purpose.as_deref() == Some("immigration"));
    assert!(denied < b.early.size, "an entry before both checkpoints");

    // One byte of a field changed, the JSON still valid.
    let (_t, dir) = b.copy("one-byte");
    {
        let raw = RawAudit::open(&dir);
        let mut bytes = raw.entry(denied);
        let at = bytes
            .windows(4)
            .position(|w| w == b"DET-")
            .expect("requester");
        bytes[at + 4] = if bytes[at + 4] == b'9' { b'8' } else { b'9' };
        assert!(Entry::decode(denied, &bytes).is_ok(), "still a valid entry");
        raw.put_entry(denied, &bytes);
    }
    assert!(!verify_self(&dir).ok);
    assert!(!verify_with(&dir, &b.cp.note, key).ok);
    assert!(!verify_with(&dir, &b.early.note, key).ok);

    // One byte flipped anyhow.
    let (_t, dir) = b.copy("flipped");
    {
        let raw = RawAudit::open(&dir);
        let mut bytes = raw.entry(3);
        bytes[0] ^= 0x01;
        raw.put_entry(3, &bytes);
    }
    assert!(!verify_with(&dir, &b.cp.note, key).ok);

    // The master-key holder hides a prohibited search: rewrites the entry, recomputes every
    // node and re-signs the tree head. The store agrees with itself; the checkpoint does not.
    let (_t, dir) = b.copy("forged");
    let honest = Review::open(&dir)
        .expect("review")
        .prove(denied)
        .expect("prove");
    {
        let raw = RawAudit::open(&dir);
        let bytes = String::from_utf8(raw.entry(denied)).expect("utf8");
        let forged = bytes
            .replace("\"immigration\"", "\"investigation\"")
            .replace("\"denied\"", "\"allowed\"")
            .replace("\"purpose_prohibited\"", "\"allowed\"");
        assert_ne!(forged, bytes);
        raw.put_entry(denied, forged.as_bytes());
        raw.reseal(&b.key);
    }
    assert!(
        verify_self(&dir).ok,
        "a forger with the master key makes the store self-consistent"
    );
    let forged_cp = Review::open(&dir)
        .expect("review")
        .checkpoint()
        .expect("checkpoint");
    assert_eq!(forged_cp.size, b.cp.size);
    assert_ne!(forged_cp.root, b.cp.root);
    assert_caught(
        &verify_with(&dir, &b.cp.note, key),
        "forged entry",
        "no longer hash to the checkpoint's root",
    );
    assert_caught(
        &verify_with(&dir, &b.early.note, key),
        "forged entry (early checkpoint)",
        "no longer hash to the checkpoint's root",
    );
    // The forged entry's inclusion proof does not lead to the pinned root; the honest one did.
    let forged_proof = Review::open(&dir)
        .expect("review")
        .prove(denied)
        .expect("prove");
    assert_ne!(forged_proof.entry, honest.entry);
    assert!(matches!(
        check_inclusion(&forged_proof, &b.cp.note, &b.cp.key_name, &key),
        Err(ProofCheckError::Path(_))
    ));
    check_inclusion(&honest, &b.cp.note, &b.cp.key_name, &key).expect("honest proof");
}

#[test]
fn dropped_entries_are_caught() {
    let b = build_log();
    let key = b.public_key();
    let n = b.cp.size;

    // The last three entries and the tree head deleted.
    let (_t, dir) = b.copy("naive");
    {
        let raw = RawAudit::open(&dir);
        raw.truncate(n - 3);
        raw.delete_checkpoint();
        assert_eq!(raw.size(), n - 3);
    }
    assert!(!verify_self(&dir).ok);
    assert!(!verify_with(&dir, &b.cp.note, key).ok);

    // Rolled back to the early state, with the early tree head (validly signed) put back:
    // the store agrees with itself, only the later checkpoint tells.
    let (_t, dir) = b.copy("rollback");
    {
        let raw = RawAudit::open(&dir);
        raw.truncate(b.early.size);
        raw.set_checkpoint(&b.early.note);
    }
    let r = verify_self(&dir);
    assert!(r.ok, "a consistent rollback: {r:?}");
    assert_eq!(r.size, b.early.size);
    assert_caught(&verify_with(&dir, &b.cp.note, key), "rollback", "truncated");
    assert!(verify_with(&dir, &b.early.note, key).ok);

    // The master-key holder drops the last entries and re-signs.
    let (_t, dir) = b.copy("forged");
    {
        let raw = RawAudit::open(&dir);
        raw.truncate(n - 2);
        raw.reseal(&b.key);
    }
    assert!(verify_self(&dir).ok);
    assert_caught(
        &verify_with(&dir, &b.cp.note, key),
        "forged truncation",
        "truncated",
    );

    // One entry cut out of the middle.
    let (_t, dir) = b.copy("gap");
    RawAudit::open(&dir).delete_entry(n / 2);
    assert!(!verify_self(&dir).ok);
    assert!(!verify_with(&dir, &b.cp.note, key).ok);
}

#[test]
fn reordered_entries_are_caught() {
    let b = build_log();
    let key = b.public_key();
    // Two denied decisions (no result entry refers to either), both before the checkpoints.
    let denied: Vec<u64> = entries(&b.dir)
        .iter()
        .filter(|e| {
            e.kind == EntryKind::Search && e.reason.as_deref() == Some("purpose_prohibited")
        })
        .map(|e| e.seq)
        .collect();
    let (i, j) = (denied[0], denied[1]);
    assert!(j < b.cp.size);

    // The two values swapped.
    let (_t, dir) = b.copy("swapped");
    {
        let raw = RawAudit::open(&dir);
        let (a, c) = (raw.entry(i), raw.entry(j));
        raw.put_entry(i, &c);
        raw.put_entry(j, &a);
    }
    assert!(!verify_self(&dir).ok);
    assert!(!verify_with(&dir, &b.cp.note, key).ok);

    // Swapped with their sequence numbers fixed, the tree recomputed and re-signed.
    let (_t, dir) = b.copy("forged");
    {
        let raw = RawAudit::open(&dir);
        let (a, c) = (raw.entry(i), raw.entry(j));
        assert_ne!(with_seq(&a, 0), with_seq(&c, 0), "different entries");
        raw.put_entry(i, &with_seq(&c, i));
        raw.put_entry(j, &with_seq(&a, j));
        raw.reseal(&b.key);
    }
    assert!(
        verify_self(&dir).ok,
        "the forger's store agrees with itself"
    );
    assert_caught(
        &verify_with(&dir, &b.cp.note, key),
        "forged reorder",
        "no longer hash to the checkpoint's root",
    );
}

#[test]
fn a_forked_log_is_caught() {
    let b = build_log();
    let key = b.public_key();
    // The fork: a copy of the store taken now, then both grow through the API, differently.
    let (_t, fork) = b.copy("fork");
    let main = b.dir.clone();
    let vault = Vault::open(&main, &b.key, &VaultOptions::new()).expect("open main");
    workload(&vault, "MAIN", 6);
    drop(vault);
    let vault = Vault::open(&fork, &b.key, &VaultOptions::new()).expect("open fork");
    workload(&vault, "FORK", 6);
    drop(vault);

    let main_cp = Review::open(&main)
        .expect("review")
        .checkpoint()
        .expect("cp");
    let fork_cp = Review::open(&fork)
        .expect("review")
        .checkpoint()
        .expect("cp");
    assert_eq!(main_cp.size, fork_cp.size, "same size, different entries");
    assert_ne!(main_cp.root, fork_cp.root);
    assert_eq!(
        main_cp.public_key, fork_cp.public_key,
        "both signed by the one key"
    );

    // Each is consistent with itself and with the checkpoints taken before the fork.
    for dir in [&main, &fork] {
        assert!(verify_self(dir).ok);
        assert!(verify_with(dir, &b.cp.note, key).ok);
        assert!(verify_with(dir, &b.early.note, key).ok);
    }
    // Against the other branch's checkpoint, each is caught.
    assert_caught(&verify_with(&fork, &main_cp.note, key), "fork", "forked");
    assert_caught(&verify_with(&main, &fork_cp.note, key), "fork", "forked");
    // An entry that exists only in the fork has no proof against the main checkpoint.
    let proof = Review::open(&fork)
        .expect("review")
        .prove(b.cp.size)
        .expect("prove");
    check_inclusion(&proof, &fork_cp.note, &fork_cp.key_name, &key).expect("in the fork");
    assert!(matches!(
        check_inclusion(&proof, &main_cp.note, &main_cp.key_name, &key),
        Err(ProofCheckError::Path(_))
    ));

    // A fork that grew further than the main branch is caught as well.
    let vault = Vault::open(&fork, &b.key, &VaultOptions::new()).expect("open fork");
    workload(&vault, "MORE", 3);
    drop(vault);
    assert_caught(
        &verify_with(&fork, &main_cp.note, key),
        "longer fork",
        "forked",
    );
    // And a shorter one is caught as truncated.
    let vault = Vault::open(&main, &b.key, &VaultOptions::new()).expect("open main");
    workload(&vault, "MAIN2", 8);
    drop(vault);
    let longer_main = Review::open(&main)
        .expect("review")
        .checkpoint()
        .expect("cp");
    assert!(!verify_with(&fork, &longer_main.note, key).ok);
}

fn flip_hex(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = chars.len() / 2;
    chars[at] = if chars[at] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

fn leaf_hash_of(entry: &[u8]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&[0x00]);
    h.update(entry);
    h.finalize().to_hex().to_string()
}

#[test]
fn inclusion_proofs_verify_without_the_store_and_fail_when_altered() {
    let b = build_log();
    let other = build_log();
    assert_eq!(other.cp.size, b.cp.size, "same workload, same size");
    let key = b.public_key();
    let name = b.cp.key_name.as_str();
    let review = Review::open(&b.dir).expect("review");
    let all = review.entries().expect("entries");
    let n = b.cp.size;

    for seq in [0, 1, n / 2, n - 2, n - 1] {
        let proof = review.prove(seq).expect("prove");
        assert_eq!(proof.seq, seq);
        assert_eq!(proof.tree_size, n);
        assert_eq!(proof.root, b.cp.root);
        assert_eq!(proof.checkpoint.as_deref(), Some(b.cp.note.as_str()));
        // RFC 9162 leaf hash with BLAKE3, computed independently.
        let entry_bytes = hex::decode(&proof.entry).expect("hex");
        assert_eq!(proof.leaf_hash, leaf_hash_of(&entry_bytes));
        assert_eq!(entry_bytes, all[seq as usize].encode());
        // The reviewer's side: only the proof, the note and the pinned key.
        let json = serde_json::to_string(&proof).expect("json");
        let proof: InclusionProof = serde_json::from_str(&json).expect("json");
        let entry = check_inclusion(&proof, &b.cp.note, name, &key).expect("included");
        assert_eq!(entry, all[seq as usize]);

        let fails = |p: &InclusionProof| check_inclusion(p, &b.cp.note, name, &key);
        // The entry altered.
        let mut p = proof.clone();
        p.entry = flip_hex(&p.entry);
        assert!(
            matches!(fails(&p), Err(ProofCheckError::LeafMismatch)),
            "seq {seq}"
        );
        // The entry altered and its leaf hash recomputed to match.
        let mut forged = all[seq as usize].clone();
        forged.requester = Some("SOMEONE-ELSE".into());
        let mut p = proof.clone();
        p.entry = hex::encode(forged.encode());
        p.leaf_hash = leaf_hash_of(&forged.encode());
        assert!(
            matches!(fails(&p), Err(ProofCheckError::Path(_))),
            "seq {seq}"
        );
        // The leaf hash altered.
        let mut p = proof.clone();
        p.leaf_hash = flip_hex(&p.leaf_hash);
        assert!(
            matches!(fails(&p), Err(ProofCheckError::LeafMismatch)),
            "seq {seq}"
        );
        // Each path element altered, one dropped, one added.
        for i in 0..proof.proof.len() {
            let mut p = proof.clone();
            p.proof[i] = flip_hex(&p.proof[i]);
            assert!(
                matches!(fails(&p), Err(ProofCheckError::Path(_))),
                "seq {seq}, element {i}"
            );
        }
        let mut p = proof.clone();
        p.proof.pop();
        assert!(matches!(fails(&p), Err(ProofCheckError::Path(_))));
        let mut p = proof.clone();
        p.proof.push(proof.leaf_hash.clone());
        assert!(matches!(fails(&p), Err(ProofCheckError::Path(_))));
        // Another position.
        for other_seq in [seq + 1, seq.wrapping_sub(1)] {
            if other_seq >= n {
                continue;
            }
            let mut p = proof.clone();
            p.seq = other_seq;
            assert!(fails(&p).is_err(), "seq {seq} claimed at {other_seq}");
        }
        // Another tree size.
        let mut p = proof.clone();
        p.tree_size = n + 1;
        assert!(matches!(
            fails(&p),
            Err(ProofCheckError::SizeMismatch { .. })
        ));
        // Garbage hex.
        let mut p = proof.clone();
        p.leaf_hash = "zz".into();
        assert!(matches!(fails(&p), Err(ProofCheckError::BadHex(_))));

        // Another store's checkpoint: refused under this store's key and name; under its own
        // key and name (same size) the path does not lead to its root.
        let other_key = other.public_key();
        assert!(matches!(
            check_inclusion(&proof, &other.cp.note, name, &key),
            Err(ProofCheckError::Checkpoint(_))
        ));
        assert!(matches!(
            check_inclusion(&proof, &b.cp.note, name, &other_key),
            Err(ProofCheckError::Checkpoint(_))
        ));
        assert!(matches!(
            check_inclusion(&proof, &other.cp.note, &other.cp.key_name, &other_key),
            Err(ProofCheckError::Path(_))
        ));
    }
    assert!(review.prove(n).is_err(), "no entry past the end");
}

/// The note with one byte of its Ed25519 signature flipped.
fn flip_signature(note: &str) -> String {
    let body_end = note.rfind("\n\n").expect("signed note") + 2;
    let (body, sig_line) = note.split_at(body_end);
    let line = sig_line.strip_suffix('\n').expect("newline");
    let (name, b64) = line.rsplit_once(' ').expect("signature line");
    let mut raw = BASE64.decode(b64).expect("base64");
    raw[4 + 10] ^= 0x01; // after the 4-byte key id
    format!("{body}{name} {}\n", BASE64.encode(raw))
}

#[test]
fn a_checkpoint_with_a_bad_signature_or_the_wrong_key_is_refused() {
    let b = build_log();
    let other = build_log();
    let key = b.public_key();
    let bad_sig = flip_signature(&b.cp.note);
    assert_ne!(bad_sig, b.cp.note);
    // An altered body under the original signature (a smaller tree size).
    let altered = b.cp.note.replacen(
        &format!("\n{}\n", b.cp.size),
        &format!("\n{}\n", b.cp.size - 1),
        1,
    );
    assert_ne!(altered, b.cp.note);

    let (_t, dir) = b.copy("refused");
    for (what, note, k) in [
        ("flipped signature byte", bad_sig.as_str(), Some(key)),
        (
            "flipped signature byte, store's key",
            bad_sig.as_str(),
            None,
        ),
        ("altered body", altered.as_str(), Some(key)),
        (
            "another store's public key",
            b.cp.note.as_str(),
            Some(other.public_key()),
        ),
        (
            "another store's checkpoint",
            other.cp.note.as_str(),
            Some(key),
        ),
    ] {
        let r = Review::open(&dir)
            .expect("review")
            .verify(Some(PinnedCheckpoint {
                note,
                public_key: k,
            }))
            .expect("verify runs");
        assert_caught(&r, what, "checkpoint is refused");
        assert_eq!(r.checkpoint_size, None, "{what}");
    }
    // The untouched note passes on the same store, so the refusals above are the note's.
    assert!(verify_with(&dir, &b.cp.note, key).ok);

    let proof = Review::open(&dir).expect("review").prove(2).expect("prove");
    for note in [&bad_sig, &altered] {
        assert!(matches!(
            check_inclusion(&proof, note, &b.cp.key_name, &key),
            Err(ProofCheckError::Checkpoint(_))
        ));
    }
}

#[test]
fn removed_index_records_and_altered_payloads_are_caught() {
    let b = build_log();
    // A reviewer-check index record removed: a search would vanish from `audit searched`.
    let (_t, dir) = b.copy("index");
    {
        let raw = RawAudit::open(&dir);
        let f = raw.keys_with_prefix(b"f");
        assert!(!f.is_empty(), "searches index their plate fingerprint");
        raw.delete(&f[0]);
    }
    assert_caught(&verify_self(&dir), "removed fingerprint record", "index");
    // A rate-limit record removed: the requester's count would reset.
    let (_t, dir) = b.copy("rate");
    {
        let raw = RawAudit::open(&dir);
        let r = raw.keys_with_prefix(b"r");
        raw.delete(&r[r.len() / 2]);
    }
    assert_caught(&verify_self(&dir), "removed rate record", "index");
    // A sealed justification payload swapped for another entry's.
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, _key, dir) = new_store(tmp.path(), &Policy::default_policy());
    for why in [
        "robbery at the corner store",
        "armed robbery, second witness",
    ] {
        let req = platevault::CaseRequest {
            justification: Some(why.into()),
            ..unjustified_request("7KQX291", "DET-9")
        };
        vault
            .search(&platevault::SearchRequest {
                case: req,
                with_images: false,
            })
            .expect("search");
    }
    drop(vault);
    assert!(verify_self(&dir).ok);
    {
        let raw = RawAudit::open(&dir);
        let p = raw.keys_with_prefix(b"p");
        assert_eq!(p.len(), 2, "two justified searches, two payloads");
        let other = raw.get(&p[1]).expect("payload");
        raw.put(&p[0], &other);
    }
    assert_caught(&verify_self(&dir), "swapped payload", "payload");
}
