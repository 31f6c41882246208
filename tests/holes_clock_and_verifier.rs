//! Issue 13, items 4 to 7: the clock and the verifiers could be fooled by whoever can write
//! a file.
//!
//! - The header's clock mode, epoch width and the other behaviour fields are sealed by the
//!   master key and bound to the audit log: an edited header is damage (exit 6), never a
//!   frozen clock or a licence for `--now`.
//! - `verify-deletion` follows symbolic links (and says so), covers every destruction the
//!   store certifies (expired epochs, released holds, removed hotlist entries, shredded audit
//!   months, rotated-out wrappings) and samples across the whole key range.
//! - `audit verify` checks every index key against the entry it names, and the counts.
//! - A purge whose forced compaction did not remove the files that held the deleted data is
//!   refused: nothing is certified until it is confirmed.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use platevault::audit::entry::EntryKind;
use platevault::verify::Review;
use platevault::{Error, MasterKey, Policy, Span, Timestamp, Vault, VaultOptions};
use support::{
    CASE, assert_exit, cli, count, create, days, entries, image, json, key_file, open, raw_dump,
    read, request, search, t,
};

const T0: &str = "2026-11-01T00:00:00Z";

/// The header as JSON.
fn header_json(store: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(store.join("platevault.json")).expect("header"))
        .expect("header json")
}

/// Rewrites the header after `f` changed its JSON, as someone with write access would.
fn edit_header(store: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut h = header_json(store);
    f(&mut h);
    std::fs::write(
        store.join("platevault.json"),
        serde_json::to_vec_pretty(&h).expect("encode"),
    )
    .expect("write header");
}

/// True if the error is "damaged store" or "wrong key" (both exit 6).
fn is_exit6(e: &Error) -> bool {
    matches!(e, Error::Damaged(_) | Error::WrongMasterKey)
}

/// The kinds of the findings of a deletion verification.
fn finding_kinds(store: &Path) -> Vec<String> {
    let report = Review::open(store)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify deletion");
    report.findings.into_iter().map(|f| f.kind).collect()
}

/// Writes `values` one after the other into `path`: a stale copy of destroyed bytes, as a
/// backup, an old disk block or a hand-made copy would hold them.
fn stale_copy(path: &Path, values: &[Vec<u8>]) {
    let mut bytes = b"stale copy\n".to_vec();
    for v in values {
        bytes.extend_from_slice(v);
        bytes.extend_from_slice(b"\n--\n");
    }
    std::fs::write(path, bytes).expect("write stale copy");
}

// ---------------------------------------------------------------- item 4: the clock mode

#[test]
fn a_system_store_whose_header_says_simulated_is_damaged_and_never_takes_now() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = tmp.path().join("store");
    let key = tmp.path().join("master.key");
    key_file(&key);
    let out = cli(&store, &key, &[], &["init", "--json"]);
    assert_exit(&out, 0);
    let original = std::fs::read(store.join("platevault.json")).expect("header");
    assert_eq!(header_json(&store)["clock"], "system");

    edit_header(&store, |h| h["clock"] = "simulated".into());
    // Claiming 2099 to expire everything: refused as damage after the key check.
    let out = cli(
        &store,
        &key,
        &[],
        &["--now", "2099-01-01T00:00:00Z", "expire", "--json"],
    );
    assert_exit(&out, 6);
    assert!(
        json(&out)["error"]
            .as_str()
            .unwrap_or_default()
            .contains("clock mode"),
        "{}",
        json(&out)
    );
    // Without --now too: the store never runs on a frozen clock.
    assert_exit(&cli(&store, &key, &[], &["expire", "--json"]), 6);
    // The keyless readers check the header against the log's store_created entry.
    for args in [
        &["verify-deletion", "--json"][..],
        &["audit", "verify", "--json"][..],
        &["audit", "report", "--format", "json"][..],
        &["policy", "show"][..],
    ] {
        assert_exit(&cli(&store, &key, &[], args), 6);
    }

    // Put back, the store is as it was: nothing expired, nothing appended.
    std::fs::write(store.join("platevault.json"), &original).expect("restore");
    let out = cli(&store, &key, &[], &["audit", "verify", "--json"]);
    assert_exit(&out, 0);
    let list = entries(&store);
    assert_eq!(count(&list, EntryKind::DeletionCertificate, None), 0);
    assert_eq!(list[0].kind, EntryKind::StoreCreated);
    assert_eq!(list[0].clock.as_deref(), Some("system"));
    assert_eq!(list[0].epoch_width, Some(Span::from_days(1)));
    // And --now is refused as before, with exit 2.
    let out = cli(
        &store,
        &key,
        &[],
        &["--now", "2099-01-01T00:00:00Z", "expire", "--json"],
    );
    assert_exit(&out, 2);
}

#[test]
fn a_simulated_store_whose_header_says_system_is_damaged_not_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = tmp.path().join("store");
    let key = tmp.path().join("master.key");
    key_file(&key);
    assert_exit(&cli(&store, &key, &[], &["--now", T0, "init", "--json"]), 0);
    edit_header(&store, |h| h["clock"] = "system".into());
    // The --now decision is taken from a verified header only: this one is damaged.
    let out = cli(
        &store,
        &key,
        &[],
        &["--now", "2026-11-02T00:00:00Z", "expire", "--json"],
    );
    assert_exit(&out, 6);
    assert_exit(&cli(&store, &key, &[], &["expire", "--json"]), 6);
}

#[test]
fn every_behaviour_field_of_the_header_is_sealed_by_the_key_and_bound_to_the_log() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = tmp.path().join("base");
    let key = MasterKey::generate().expect("key");
    let v = create(&base, &key, &Policy::default_policy(), t(T0));
    v.ingest(vec![read("SEAL001", t("2026-10-31T10:00:00Z"), "CAM-1")])
        .expect("ingest");
    drop(v);
    let h = header_json(&base);
    assert!(
        h["key_checks"][0]["mac"].as_str().is_some(),
        "a new header is sealed: {h}"
    );

    type Edit = fn(&mut serde_json::Value);
    let edits: Vec<(&str, Edit, bool)> = vec![
        // (what, edit, whether a keyless reader must refuse it too)
        ("clock", |h| h["clock"] = "system".into(), true),
        ("epoch width", |h| h["epoch_width"] = "2d".into(), true),
        (
            "creation time",
            |h| h["created_at"] = "2026-10-01T00:00:00Z".into(),
            true,
        ),
        ("store id", |h| h["store_id"] = "00".repeat(16).into(), true),
        ("format", |h| h["format"] = "platevault/2".into(), true),
        (
            "MAC altered",
            |h| h["key_checks"][0]["mac"] = "11".repeat(32).into(),
            false,
        ),
        (
            "MAC removed",
            |h| {
                h["key_checks"][0]
                    .as_object_mut()
                    .expect("object")
                    .remove("mac");
            },
            false,
        ),
        (
            "generation",
            |h| h["key_checks"][0]["generation"] = 3.into(),
            false,
        ),
    ];
    for (what, edit, keyless) in edits {
        let dir = tmp.path().join(what.replace(' ', "-"));
        support::copy_dir(&base, &dir);
        edit_header(&dir, edit);
        let err = Vault::open(&dir, &key, &VaultOptions::new()).expect_err(what);
        assert!(is_exit6(&err), "{what}: {err}");
        // The check before opening (the CLI's --now decision) refuses it too, except a
        // stripped MAC, which looks like an older store's header until the log is read:
        // the open that follows refuses that one (above), before --now moves any clock.
        let err = Vault::is_simulation_store(&dir, &key).map(|_| ());
        assert!(
            err.as_ref().is_err_and(is_exit6) || what == "MAC removed" && err.is_ok(),
            "{what}: the header check before open must refuse it too: {err:?}"
        );
        match Review::open(&dir) {
            Err(e) => assert!(matches!(e, Error::Damaged(_)), "{what}: {e}"),
            Ok(_) if !keyless => {}
            Ok(_) => panic!("{what}: a keyless reader accepted the edited header"),
        }
    }
}

#[test]
fn a_header_that_is_not_utf8_is_damage() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = tmp.path().join("store");
    let key = tmp.path().join("master.key");
    key_file(&key);
    assert_exit(&cli(&store, &key, &[], &["--now", T0, "init", "--json"]), 0);
    let mut bytes = std::fs::read(store.join("platevault.json")).expect("header");
    bytes[2] = 0xff;
    std::fs::write(store.join("platevault.json"), &bytes).expect("write");
    assert_exit(&cli(&store, &key, &[], &["expire", "--json"]), 6);
    assert_exit(&cli(&store, &key, &[], &["audit", "verify", "--json"]), 6);
    assert_exit(&cli(&store, &key, &[], &["verify-deletion", "--json"]), 6);
}

/// Turns a new store into one as an older build made it: no MAC in the header and a
/// store_created entry without the header's digest (the log resealed with the key, as the
/// older build would have written it).
fn make_old_style(dir: &Path, key: &MasterKey) {
    edit_header(dir, |h| {
        for c in h["key_checks"].as_array_mut().expect("array") {
            c.as_object_mut().expect("object").remove("mac");
        }
    });
    let raw = support::RawAudit::open(dir);
    let mut first: serde_json::Value = serde_json::from_slice(&raw.entry(0)).expect("entry 0");
    let obj = first.as_object_mut().expect("object");
    for field in ["clock", "epoch_width", "header"] {
        assert!(obj.remove(field).is_some(), "store_created records {field}");
    }
    let entry: platevault::audit::entry::Entry = serde_json::from_value(first).expect("an entry");
    raw.put_entry(0, &entry.encode());
    raw.reseal(key);
}

#[test]
fn an_old_stores_header_is_sealed_and_bound_at_its_first_open_and_then_holds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &Policy::default_policy(), t(T0));
    v.ingest(vec![read("OLD0001", t("2026-10-31T10:00:00Z"), "CAM-1")])
        .expect("ingest");
    drop(v);
    make_old_style(&dir, &key);
    assert!(
        Review::open(&dir)
            .expect("review")
            .verify(None)
            .expect("verify")
            .ok
    );

    // Unbound: a keyless reader cannot vouch for the clock mode, so it does not let the
    // claimed simulated clock decide what is overdue (the machine's clock, 2026-12 or later,
    // is past the retention of the epoch of 2026-10-31).
    let review = Review::open(&dir).expect("review");
    assert!(!review.header_binding().is_bound());
    let report = review.verify_deletion(&[]).expect("verify deletion");
    assert!(!report.clock.verified);
    if Timestamp::now_system() > t("2026-12-01T00:00:00Z") {
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.kind.starts_with("overdue_epoch")),
            "{:?}",
            report.findings
        );
    }
    drop(review);

    // The first read-write open seals the header and binds it to the log.
    drop(open(&dir, &key));
    assert!(header_json(&dir)["key_checks"][0]["mac"].as_str().is_some());
    let list = entries(&dir);
    let bound: Vec<_> = list
        .iter()
        .filter(|e| e.kind == EntryKind::HeaderBound)
        .collect();
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0].clock.as_deref(), Some("simulated"));
    let review = Review::open(&dir).expect("review");
    assert!(review.header_binding().is_bound());
    assert!(review.verify(None).expect("verify").ok);
    let report = review.verify_deletion(&[]).expect("verify deletion");
    assert!(report.clock.verified, "{report:?}");
    drop(review);
    drop(open(&dir, &key));
    assert_eq!(
        entries(&dir)
            .iter()
            .filter(|e| e.kind == EntryKind::HeaderBound)
            .count(),
        1,
        "bound once"
    );

    // From now on an edit is damage, and so is stripping the MAC to make one.
    let sealed = std::fs::read(dir.join("platevault.json")).expect("header");
    edit_header(&dir, |h| h["clock"] = "system".into());
    assert!(is_exit6(
        &Vault::open(&dir, &key, &VaultOptions::new()).expect_err("edited")
    ));
    assert!(matches!(Review::open(&dir), Err(Error::Damaged(_))));
    edit_header(&dir, |h| {
        h["key_checks"][0]
            .as_object_mut()
            .expect("object")
            .remove("mac");
    });
    assert!(is_exit6(
        &Vault::open(&dir, &key, &VaultOptions::new()).expect_err("stripped and edited")
    ));
    std::fs::write(dir.join("platevault.json"), &sealed).expect("restore");
    edit_header(&dir, |h| {
        h["key_checks"][0]
            .as_object_mut()
            .expect("object")
            .remove("mac");
    });
    assert!(is_exit6(
        &Vault::open(&dir, &key, &VaultOptions::new()).expect_err("stripped")
    ));
    std::fs::write(dir.join("platevault.json"), &sealed).expect("restore");
    drop(open(&dir, &key));
}

#[test]
fn a_new_store_made_to_look_old_is_not_sealed_on_trust() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    drop(create(&dir, &key, &Policy::default_policy(), t(T0)));
    // Without the key: entry 0 rewritten without its digest (the tree and the signed tree
    // head cannot follow), the MAC stripped, the clock edited.
    edit_header(&dir, |h| {
        h["key_checks"][0]
            .as_object_mut()
            .expect("object")
            .remove("mac");
        h["clock"] = "system".into();
    });
    {
        let raw = support::RawAudit::open(&dir);
        let mut first: serde_json::Value = serde_json::from_slice(&raw.entry(0)).expect("entry 0");
        let obj = first.as_object_mut().expect("object");
        for field in ["clock", "epoch_width", "header"] {
            obj.remove(field);
        }
        let entry: platevault::audit::entry::Entry =
            serde_json::from_value(first).expect("an entry");
        raw.put_entry(0, &entry.encode());
    }
    let err = Vault::open(&dir, &key, &VaultOptions::new()).expect_err("refused");
    assert!(matches!(err, Error::Damaged(_)), "{err}");
    assert!(
        header_json(&dir)["key_checks"][0].get("mac").is_none(),
        "nothing was sealed"
    );
}

#[test]
fn a_rotation_keeps_the_header_sealed_under_the_new_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &Policy::default_policy(), t(T0));
    let new_key = MasterKey::generate().expect("key");
    v.rotate_master_key(&new_key).expect("rotate");
    drop(v);
    drop(open(&dir, &new_key));
    edit_header(&dir, |h| h["clock"] = "system".into());
    assert!(is_exit6(
        &Vault::open(&dir, &new_key, &VaultOptions::new()).expect_err("edited")
    ));
}

// ---------------------------------------------------------- item 5: the deletion verifier

/// A simulation store with reads of epoch 2026-10-31 (images too), flushed and closed.
fn store_with_old_epoch(dir: &Path, key: &MasterKey, reads: u32) {
    let v = create(dir, key, &Policy::default_policy(), t(T0));
    let batch = (0..reads)
        .map(|i| {
            let mut r = read(
                &format!("OLD{i:04}"),
                t("2026-10-31T08:00:00Z").plus(Span::from_secs(u64::from(i))),
                "CAM-1",
            );
            r.image = Some(image(i, 3000));
            r
        })
        .collect();
    v.ingest(batch).expect("ingest");
    v.flush().expect("flush");
}

/// Past the retention of epoch 2026-10-31 (30 days after its end).
fn after_retention() -> Timestamp {
    t("2026-12-01T00:00:01Z")
}

#[test]
fn a_db_that_is_a_symlink_is_followed_and_its_stale_file_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    store_with_old_epoch(&dir, &key, 12);
    let dump = raw_dump(&dir);
    let records: Vec<Vec<u8>> = dump
        .with_prefix(&support::epoch_cf("2026-10-31T00:00:00Z"), b"R")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let v = open(&dir, &key);
    v.advance_clock(after_retention()).expect("expire");
    drop(v);
    assert!(finding_kinds(&dir).is_empty(), "clean after expiry");

    // The database moves elsewhere and `db` becomes a link to it; a stale copy of the
    // expired records sits beside the live files.
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    std::fs::rename(dir.join("db"), elsewhere.join("db")).expect("move db");
    std::os::unix::fs::symlink(elsewhere.join("db"), dir.join("db")).expect("symlink");
    stale_copy(&elsewhere.join("db").join("stale-copy.bak"), &records);

    let report = Review::open(&dir)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify");
    assert!(!report.clean);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.file == "db/stale-copy.bak" && f.kind.starts_with("expired_epoch_material")),
        "{:?}",
        report.findings
    );
    assert_eq!(report.symlink_policy, "follow");
    assert!(
        report
            .symlinks
            .iter()
            .any(|l| l.path == Path::new("db") && l.followed),
        "{:?}",
        report.symlinks
    );
    // The CLI says so too, in the JSON, with exit 5.
    let key_path = tmp.path().join("k");
    std::fs::write(&key_path, key.to_hex().as_bytes()).expect("key file");
    let out = cli(&dir, &key_path, &[], &["verify-deletion", "--json"]);
    assert_exit(&out, 5);
    let doc = json(&out);
    assert_eq!(doc["clean"], false);
    assert_eq!(doc["symlink_policy"], "follow");
    assert_eq!(doc["symlinks"][0]["path"], "db");
    assert_eq!(doc["symlinks"][0]["followed"], true);
}

#[test]
fn a_symlinked_file_and_a_symlink_loop_are_handled() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    store_with_old_epoch(&dir, &key, 6);
    let dump = raw_dump(&dir);
    let wrapped = dump
        .get(
            "keys",
            support::epoch_key_label("2026-10-31T00:00:00Z").as_bytes(),
        )
        .expect("wrapped epoch key")
        .to_vec();
    let v = open(&dir, &key);
    v.advance_clock(after_retention()).expect("expire");
    drop(v);

    // A file outside the store holding the destroyed wrapped key, linked from inside it;
    // a link back to the store itself (a loop); a link that leads nowhere.
    let outside = tmp.path().join("outside.bin");
    stale_copy(&outside, &[wrapped]);
    std::os::unix::fs::symlink(&outside, dir.join("evidence")).expect("symlink");
    std::os::unix::fs::symlink(&dir, dir.join("db").join("loop")).expect("loop");
    std::os::unix::fs::symlink(tmp.path().join("gone"), dir.join("dangling")).expect("dangling");
    let report = Review::open(&dir)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.file == "evidence" && f.kind.starts_with("expired_epoch_material")),
        "{:?}",
        report.findings
    );
    let link = |p: &str| {
        report
            .symlinks
            .iter()
            .find(|l| l.path == Path::new(p))
            .unwrap_or_else(|| panic!("{p} listed: {:?}", report.symlinks))
    };
    assert!(link("evidence").followed);
    assert!(!link("db/loop").followed, "a loop is not entered twice");
    assert!(!link("dangling").followed);
    assert!(link("dangling").target.is_none());
}

#[test]
fn the_end_of_an_epochs_key_range_is_watched_not_only_its_first_records() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    store_with_old_epoch(&dir, &key, 40);
    let dump = raw_dump(&dir);
    let cf = support::epoch_cf("2026-10-31T00:00:00Z");
    // The last record and the last image in key order: never among the first eight.
    let last_record = dump.with_prefix(&cf, b"R").pop().expect("records").1;
    let last_image = dump.with_prefix(&cf, b"I").pop().expect("images").1;
    let v = open(&dir, &key);
    v.advance_clock(after_retention()).expect("expire");
    drop(v);
    stale_copy(&dir.join("last-record.bak"), &[last_record]);
    stale_copy(&dir.join("last-image.bak"), &[last_image]);
    let report = Review::open(&dir)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify");
    for file in ["last-record.bak", "last-image.bak"] {
        assert!(
            report.findings.iter().any(|f| f.file == file),
            "{file}: {:?}",
            report.findings
        );
    }
}

#[test]
fn a_stale_copy_of_a_released_hold_is_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &Policy::default_policy(), t(T0));
    v.ingest(
        (0..10)
            .map(|i| {
                read(
                    "HOLD777",
                    t("2026-10-30T08:00:00Z").plus(Span::from_hours(i)),
                    "CAM-2",
                )
            })
            .collect(),
    )
    .expect("ingest");
    let held = v
        .hold(&request("HOLD777", CASE, "DET-1"), days(t(T0), 60))
        .expect("hold");
    assert_eq!(held.placed, 10);
    v.flush().expect("flush");
    drop(v);
    let dump = raw_dump(&dir);
    let copies: Vec<Vec<u8>> = dump
        .with_prefix("holds", b"H")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(copies.len(), 10);
    let v = open(&dir, &key);
    let released = v
        .release_hold(
            CASE,
            &platevault::RemovalRequest {
                requester: "DET-7".into(),
                agency: "CITY-PD".into(),
                role: None,
            },
        )
        .expect("release");
    assert!(released.released.is_some(), "the owner released its hold");
    drop(v);
    let report = Review::open(&dir)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify");
    // Clean, the MANIFEST included (it once kept a released held read's key as a file
    // boundary until the next roll).
    assert!(report.clean, "{:?}", report.findings);
    stale_copy(&dir.join("held.bak"), &copies[copies.len() - 1..]);
    let kinds = finding_kinds(&dir);
    assert!(
        kinds
            .iter()
            .any(|k| k.starts_with("released_hold_material")),
        "{kinds:?}"
    );
    let entry = entries(&dir)
        .into_iter()
        .find(|e| e.kind == EntryKind::HoldRelease)
        .expect("release entry");
    assert!(entry.deletion.is_some_and(|d| !d.items.is_empty()));
}

#[test]
fn a_stale_copy_of_a_removed_or_expired_hotlist_entry_is_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &Policy::default_policy(), t(T0));
    let removed = v
        .hotlist_add(&request("HOT0001", CASE, "DET-1"), days(t(T0), 10))
        .expect("add")
        .entry
        .expect("allowed");
    let expiring = v
        .hotlist_add(&request("HOT0002", CASE, "DET-1"), days(t(T0), 2))
        .expect("add")
        .entry
        .expect("allowed");
    v.flush().expect("flush");
    drop(v);
    let sealed = |dump: &support::RawDb, id: &str| {
        let mut k = b"E".to_vec();
        k.extend_from_slice(&hex::decode(id).expect("hex"));
        dump.get("hotlist", &k).expect("sealed entry").to_vec()
    };
    let dump = raw_dump(&dir);
    let (a, b) = (
        sealed(&dump, &removed.entry_id),
        sealed(&dump, &expiring.entry_id),
    );
    let v = open(&dir, &key);
    assert!(
        v.hotlist_remove(
            &removed.entry_id,
            &platevault::RemovalRequest {
                requester: "DET-7".into(),
                agency: "CITY-PD".into(),
                role: None
            }
        )
        .expect("remove")
        .removed
    );
    v.advance_clock(days(t(T0), 3)).expect("clock");
    assert!(v.hotlist().expect("list").is_empty());
    drop(v);
    assert!(finding_kinds(&dir).is_empty());
    stale_copy(&dir.join("hotlist.bak"), &[a, b]);
    let report = Review::open(&dir)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify");
    for id in [&removed.entry_id, &expiring.entry_id] {
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.kind == format!("removed_hotlist_entry_material ({id})")),
            "{id}: {:?}",
            report.findings
        );
    }
    assert_eq!(report.destructions.get("hotlist_remove"), Some(&1));
    assert_eq!(report.destructions.get("hotlist_expired"), Some(&1));
}

#[test]
fn a_stale_copy_of_a_shredded_payload_month_is_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let policy = Policy::from_toml("agency = \"CITY-PD\"\naudit_payload_retention = \"30d\"\n")
        .expect("policy");
    let v = create(&dir, &key, &policy, t("2026-11-10T00:00:00Z"));
    for i in 0..12 {
        let mut req = request("PAY0001", CASE, "DET-1");
        req.justification = Some(format!("robbery number {i}, witness statement"));
        search(&v, "PAY0001", CASE, "DET-1");
        v.search(&platevault::SearchRequest {
            case: req,
            with_images: false,
        })
        .expect("search");
    }
    v.flush().expect("flush");
    drop(v);
    let dump = raw_dump(&dir);
    let month_key = dump
        .get("keys", b"audit/payload/2026-11")
        .expect("november key")
        .to_vec();
    let last_payload = dump.with_prefix("audit", b"p").pop().expect("payloads").1;
    let v = open(&dir, &key);
    v.advance_clock(t("2026-12-31T00:00:01Z")).expect("clock");
    assert_eq!(
        v.take_expiry_log().payload_months_shredded,
        vec!["2026-11".to_string()]
    );
    drop(v);
    assert!(finding_kinds(&dir).is_empty());
    stale_copy(&dir.join("key.bak"), &[month_key]);
    stale_copy(&dir.join("payload.bak"), &[last_payload]);
    let report = Review::open(&dir)
        .expect("review")
        .verify_deletion(&[])
        .expect("verify");
    for file in ["key.bak", "payload.bak"] {
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.file == file && f.kind == "shredded_payload_material (2026-11)"),
            "{file}: {:?}",
            report.findings
        );
    }
}

#[test]
fn a_stale_copy_of_a_wrapping_a_rotation_replaced_is_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    store_with_old_epoch(&dir, &key, 4);
    let dump = raw_dump(&dir);
    let old: Vec<Vec<u8>> = dump
        .with_prefix("keys", b"")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let v = open(&dir, &key);
    v.rotate_master_key(&MasterKey::generate().expect("key"))
        .expect("rotate");
    drop(v);
    assert!(finding_kinds(&dir).is_empty());
    stale_copy(&dir.join("keys.bak"), &old);
    let kinds = finding_kinds(&dir);
    assert!(
        kinds
            .iter()
            .any(|k| k.starts_with("rotated_out_wrapping_material")),
        "{kinds:?}"
    );
}

// ----------------------------------------------------------- item 6: the index check

/// A closed store with searches (rate-limit and reviewer-check index records).
fn searched_store(tmp: &Path) -> (PathBuf, MasterKey) {
    let (v, key, dir) = support::new_store(tmp, &Policy::default_policy());
    for (plate, who) in [
        ("IDX0001", "DET-1"),
        ("IDX0002", "DET-2"),
        ("IDX0001", "DET-3"),
    ] {
        let out = v
            .search(&platevault::SearchRequest {
                case: support::unjustified_request(plate, who),
                with_images: false,
            })
            .expect("search");
        assert!(out.is_allowed());
    }
    drop(v);
    (dir, key)
}

fn verify_problem(dir: &Path) -> Option<String> {
    let r = Review::open(dir)
        .expect("review")
        .verify(None)
        .expect("verify");
    assert_eq!(r.ok, r.problem.is_none());
    r.problem
}

#[test]
fn every_index_record_is_checked_against_its_entry_and_the_counts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (base, _key) = searched_store(tmp.path());
    assert_eq!(verify_problem(&base), None);
    let raw_keys = |dir: &Path, p: &[u8]| support::RawAudit::open(dir).keys_with_prefix(p);
    let f = raw_keys(&base, b"f");
    let r = raw_keys(&base, b"r");
    assert_eq!((f.len(), r.len()), (3, 3));
    let seq_of = |k: &[u8]| u64::from_be_bytes(k[k.len() - 8..].try_into().expect("seq"));

    type Tamper = Box<dyn Fn(&support::RawAudit)>;
    // Two records of different plates (two of the three searches share one plate).
    let f0 = f[0].clone();
    let f1 = f
        .iter()
        .find(|k| k[1..33] != f0[1..33])
        .expect("another plate")
        .clone();
    let r0 = r[0].clone();
    let cases: Vec<(&str, Tamper)> = vec![
        (
            "an extra f record pointing at an entry of another plate",
            Box::new({
                let (f0, f1) = (f0.clone(), f1.clone());
                move |raw| {
                    // f0's fingerprint with f1's entry, whose plate is another.
                    let mut k = f0.clone();
                    let len = k.len();
                    k[len - 8..].copy_from_slice(&seq_of(&f1).to_be_bytes());
                    raw.put(&k, &[]);
                }
            }),
        ),
        (
            "a removed f record",
            Box::new({
                let f1 = f1.clone();
                move |raw| raw.delete(&f1)
            }),
        ),
        (
            "an f record moved to another entry",
            Box::new({
                let f0 = f0.clone();
                move |raw| {
                    raw.delete(&f0);
                    let mut k = f0.clone();
                    let len = k.len();
                    k[len - 8..].copy_from_slice(&0u64.to_be_bytes());
                    raw.put(&k, &[]);
                }
            }),
        ),
        (
            "an r record naming an entry past the end",
            Box::new({
                let r0 = r0.clone();
                move |raw| {
                    let mut k = r0.clone();
                    let len = k.len();
                    k[len - 8..].copy_from_slice(&999u64.to_be_bytes());
                    raw.put(&k, &[]);
                }
            }),
        ),
        (
            "a malformed r record",
            Box::new(|raw| raw.put(b"r\x00\x05CITY", &[])),
        ),
        (
            "an r record with a value smuggled in",
            Box::new({
                let r0 = r0.clone();
                move |raw| raw.put(&r0, b"hidden")
            }),
        ),
        (
            "an r record removed and another made up",
            Box::new({
                let r0 = r0.clone();
                move |raw| {
                    raw.delete(&r0);
                    let mut k = r0.clone();
                    let len = k.len();
                    k[len - 9] ^= 1; // the time, so it no longer matches its entry
                    raw.put(&k, &[]);
                }
            }),
        ),
    ];
    for (what, tamper) in cases {
        let dir = tmp.path().join(what.replace(' ', "-"));
        support::copy_dir(&base, &dir);
        tamper(&support::RawAudit::open(&dir));
        let problem = verify_problem(&dir).unwrap_or_else(|| panic!("{what}: not caught"));
        assert!(problem.contains("index"), "{what}: {problem}");
    }
    // And through the CLI: exit 4.
    let dir = tmp.path().join("cli");
    support::copy_dir(&base, &dir);
    support::RawAudit::open(&dir).put(&r0, b"hidden");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_platevault"))
        .args(["--store"])
        .arg(&dir)
        .args(["audit", "verify", "--json"])
        .env_remove("PLATEVAULT_MASTER_KEY")
        .output()
        .expect("run");
    assert_exit(&out, 4);
    assert_eq!(json(&out)["ok"], false);
}

// ------------------------------------------------- item 7: compaction must be confirmed

/// Options whose fault hook drops the forced compaction of `cf` while `armed` is set.
fn dropping_compaction(cf: &'static str, armed: Arc<AtomicBool>) -> VaultOptions {
    VaultOptions::new().store_fault_hook(Arc::new(move |p: &str| {
        armed.load(Ordering::SeqCst) && p == format!("store:compaction-dropped:{cf}")
    }))
}

#[test]
fn an_expiry_whose_compaction_is_dropped_certifies_nothing_until_it_is_confirmed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    store_with_old_epoch(&dir, &key, 5);
    let armed = Arc::new(AtomicBool::new(false));
    let v = Vault::open(&dir, &key, &dropping_compaction("keys", armed.clone())).expect("open");
    armed.store(true, Ordering::SeqCst);
    let err = v
        .advance_clock(after_retention())
        .and_then(|_| v.expire())
        .expect_err("the purge is not confirmed");
    assert!(matches!(err, Error::PurgeUnconfirmed { .. }), "{err}");
    drop(v);
    let list = entries(&dir);
    assert_eq!(count(&list, EntryKind::ExpiryIntent, None), 1);
    assert_eq!(
        count(&list, EntryKind::DeletionCertificate, None),
        0,
        "no certificate while the wrapped key may still be in a file"
    );
    // The next open completes it, confirmed, and certifies.
    drop(open(&dir, &key));
    assert_eq!(
        count(&entries(&dir), EntryKind::DeletionCertificate, None),
        1
    );
    support::assert_log_ok_and_deletion_clean(&dir, &[]);
}

#[test]
fn a_hold_release_and_a_rotation_whose_compaction_is_dropped_stay_pending() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let key = MasterKey::generate().expect("key");
    let v = create(&dir, &key, &Policy::default_policy(), t(T0));
    v.ingest(vec![read("PEND001", t("2026-10-31T08:00:00Z"), "CAM-1")])
        .expect("ingest");
    v.hold(&request("PEND001", CASE, "DET-1"), days(t(T0), 30))
        .expect("hold");
    drop(v);

    let armed = Arc::new(AtomicBool::new(false));
    let v = Vault::open(&dir, &key, &dropping_compaction("holds", armed.clone())).expect("open");
    armed.store(true, Ordering::SeqCst);
    let err = v
        .release_hold(
            CASE,
            &platevault::RemovalRequest {
                requester: "DET-7".into(),
                agency: "CITY-PD".into(),
                role: None,
            },
        )
        .expect_err("not confirmed");
    assert!(matches!(err, Error::PurgeUnconfirmed { .. }), "{err}");
    drop(v);
    // The verifier sees the purge still pending.
    let kinds = finding_kinds(&dir);
    assert!(
        kinds.contains(&"purge_pending (holds)".to_string()),
        "{kinds:?}"
    );
    drop(open(&dir, &key));
    assert!(finding_kinds(&dir).is_empty());

    let armed = Arc::new(AtomicBool::new(false));
    let v = Vault::open(&dir, &key, &dropping_compaction("keys", armed.clone())).expect("open");
    armed.store(true, Ordering::SeqCst);
    let new_key = MasterKey::generate().expect("key");
    let err = v.rotate_master_key(&new_key).expect_err("not confirmed");
    assert!(matches!(err, Error::PurgeUnconfirmed { .. }), "{err}");
    drop(v);
    assert_eq!(count(&entries(&dir), EntryKind::KeyRotation, None), 0);
    drop(open(&dir, &new_key));
    let list = entries(&dir);
    assert_eq!(count(&list, EntryKind::KeyRotation, None), 1);
    assert!(
        list.iter()
            .find(|e| e.kind == EntryKind::KeyRotation)
            .and_then(|e| e.deletion.as_ref())
            .is_some_and(|d| !d.items.is_empty()),
        "the rotation records what it purged"
    );
    support::assert_log_ok_and_deletion_clean(&dir, &[]);
}
