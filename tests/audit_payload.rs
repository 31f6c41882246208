//! Audit payloads (justifications, alert details) are crypto-shredded when the audit log's
//! own retention for free text ends: the month's payload key is destroyed and purged from
//! every file, the texts can no longer be opened, and yet every entry, the tree, the
//! checkpoints and the inclusion proofs stay valid, because entries commit to payloads by
//! hash only.

mod support;

use platevault::audit::entry::EntryKind;
use platevault::verify::Review;
use platevault::verify::audit_log::check_inclusion;
use platevault::verify::scan::{Needle, scan_dir};
use platevault::{MasterKey, Policy, SearchRequest, Vault, VaultOptions};
use support::{RawAudit, t, unjustified_request};

#[test]
fn a_months_payloads_are_shredded_when_their_retention_ends_and_proofs_survive() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let policy = Policy::from_toml("agency = \"CITY-PD\"\naudit_payload_retention = \"30d\"\n")
        .expect("policy");
    let key = MasterKey::generate().expect("key");
    let vault = Vault::create(
        &dir,
        &key,
        &policy,
        &VaultOptions::new().simulated_clock(t("2026-11-10T00:00:00Z")),
    )
    .expect("create");
    let why = "robbery at the corner store, witness saw the car";
    let justified = vault
        .search(&SearchRequest {
            case: platevault::CaseRequest {
                justification: Some(why.into()),
                ..unjustified_request("7KQX291", "DET-1")
            },
            with_images: false,
        })
        .expect("search");
    let seq = justified.audit_seq;
    vault.flush().expect("flush");
    let note_before = Review::open(&dir)
        .expect("review")
        .checkpoint()
        .expect("cp");
    // The November key, as stored, to look for later.
    drop(vault);
    let wrapped = {
        let raw = RawAudit::open(&dir);
        raw.keys_value("audit/payload/2026-11")
            .expect("the month's payload key exists")
    };

    // December: a new month, a new key; November's texts still readable.
    let vault = Vault::open(&dir, &key, &VaultOptions::new()).expect("reopen");
    vault
        .advance_clock(t("2026-12-15T00:00:00Z"))
        .expect("clock");
    let in_dec = vault
        .search(&SearchRequest {
            case: platevault::CaseRequest {
                justification: Some("second robbery".into()),
                ..unjustified_request("7KQX291", "DET-1")
            },
            with_images: false,
        })
        .expect("search");
    assert!(in_dec.is_allowed());

    // November ends on Dec 1; thirty days later its texts are shredded, December's are not.
    vault
        .advance_clock(t("2026-12-31T00:00:01Z"))
        .expect("clock");
    let report = vault.take_expiry_log();
    assert_eq!(report.payload_months_shredded, vec!["2026-11".to_string()]);
    drop(vault);

    let review = Review::open(&dir).expect("review");
    let entries = review.entries().expect("entries");
    let shred = entries
        .iter()
        .find(|e| e.kind == EntryKind::PayloadShred)
        .expect("a payload_shred entry");
    assert_eq!(shred.note.as_deref(), Some("2026-11"));
    assert!(
        entries[seq as usize].payload.is_some(),
        "the entry still commits to its payload"
    );
    assert!(review.verify(None).expect("verify").ok);
    // The old checkpoint is still consistent, and the justified entry still proves.
    assert!(
        review
            .verify(Some(platevault::verify::audit_log::PinnedCheckpoint {
                note: &note_before.note,
                public_key: None,
            }))
            .expect("verify")
            .ok
    );
    let cp = review.checkpoint().expect("cp");
    let proof = review.prove(seq).expect("prove");
    check_inclusion(&proof, &cp.note, &cp.key_name, review.public_key()).expect("proof holds");
    drop(review);

    // The November key is gone from every file, and no text of it remains in clear.
    let found = scan_dir(
        &dir,
        &[
            Needle {
                kind: "wrapped payload key".into(),
                bytes: wrapped[13..45].to_vec(),
            },
            Needle {
                kind: "justification".into(),
                bytes: why.as_bytes().to_vec(),
            },
        ],
    )
    .expect("scan");
    assert!(found.is_empty(), "{found:?}");
    let raw = RawAudit::open(&dir);
    assert!(raw.keys_value("audit/payload/2026-11").is_none());
    assert!(
        raw.keys_value("audit/payload/2026-12").is_some(),
        "December's texts stay"
    );
}
