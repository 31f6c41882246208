//! Master-key rotation (issue 4): after `rotate_master_key` only the new key opens the store
//! (the old one is refused as rotated out), every read and held read is intact, one
//! `key_rotation` entry is audited, and no file under the store directory still holds any
//! wrapped key as it was under the old master key (recorded from the raw database before).
//! A crash at every step of the two-phase rotation leaves a store that one of the two keys
//! opens: after `rotation:after-prepare` only the old key (which undoes the rotation; the new
//! one is an unknown key); after `rotation:after-header-both` either (the old key undoes it,
//! the new key completes it; both paths are tested); after `rotation:after-commit` and
//! `rotation:after-header-new` only the new key (which completes it; the old one is refused as
//! rotated out). Then the data and the log are intact, a `key_rotation` entry exists exactly
//! when the rotation completed, the abandoned side's wrappings have left the files, and
//! afterwards exactly one key works. The CLI's `rotate-master-key --new-key-file` works, and
//! with `rotate_master_key_on_expiry = true` an `expire` that destroys an epoch replaces the
//! key file's content with a new key that opens the store while the old content no longer
//! does.

mod support;

use std::path::Path;
use std::sync::Arc;

use platevault::audit::entry::EntryKind;
use platevault::{Error, MasterKey, Policy, Span, Vault, VaultOptions};
use support::*;

const T0: &str = "2026-07-01T12:00:00Z";
const PLATES: [&str; 4] = ["ROT0001", "ROT0002", "ROT0003", "ROT0004"];

/// Reads on two days (one with an image), and a hold on the first plate.
fn populate(v: &Vault) {
    let mut reads = Vec::new();
    for (i, p) in PLATES.iter().enumerate() {
        let i = i as u64;
        reads.push(read(
            p,
            t("2026-06-29T09:00:00Z").plus(Span::from_secs(i * 60)),
            "CAM-1",
        ));
        let mut r = read(
            p,
            t("2026-07-01T08:00:00Z").plus(Span::from_secs(i * 60)),
            "CAM-2",
        );
        r.image = Some(image(i as u32, 3000));
        reads.push(r);
    }
    assert_eq!(v.ingest(reads).expect("ingest").stored.len(), 8);
    let hold = v
        .hold(
            &request(PLATES[0], CASE, "DET-1"),
            t(T0).plus(Span::from_days(200)),
        )
        .expect("hold");
    assert_eq!(hold.placed, 2);
}

/// What searches return: per plate, the sorted read ids and capture times.
fn snapshot(v: &Vault, requester: &str) -> Vec<Vec<(String, String)>> {
    PLATES
        .iter()
        .map(|p| {
            let mut reads: Vec<(String, String)> = search(v, p, CASE, requester)
                .reads
                .iter()
                .map(|r| (r.read_id.to_string(), r.body.captured_at.to_rfc3339()))
                .collect();
            reads.sort();
            reads
        })
        .collect()
}

fn keys_cf(dir: &Path) -> Pairs {
    raw_dump(dir).cfs["keys"].clone()
}

fn open_err(dir: &Path, key: &MasterKey) -> Error {
    Vault::open(dir, key, &VaultOptions::new()).expect_err("the key must be refused")
}

#[test]
fn after_rotation_only_the_new_key_opens_and_no_old_wrapping_remains() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let old = MasterKey::generate().expect("key");
    let new = MasterKey::generate().expect("key");
    let v = create(&dir, &old, &Policy::default_policy(), t(T0));
    populate(&v);
    let before = snapshot(&v, "DET-1");
    assert!(before.iter().all(|r| r.len() == 2));
    v.flush().expect("flush");
    drop(v);

    let old_wrapped = keys_cf(&dir);
    // audit fingerprint, audit payload, signing, two epochs, one case key (hotlist key too,
    // where the build has one).
    assert!(old_wrapped.len() >= 6, "{} wrapped keys", old_wrapped.len());
    let labels: Vec<String> = old_wrapped
        .iter()
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .collect();
    assert!(labels.iter().any(|l| l.starts_with("epoch/")));
    assert!(labels.iter().any(|l| l.starts_with("hold/")));
    let values: Vec<Vec<u8>> = old_wrapped.iter().map(|(_, v)| v.clone()).collect();
    let needles = whole_needles("old wrapping", &values);
    assert!(
        scan(&dir, &needles).len() >= values.len(),
        "the scan sees every old wrapping before the rotation"
    );

    let v = open(&dir, &old);
    let report = v.rotate_master_key(&new).expect("rotate");
    assert_eq!(report.generation, 2);
    assert_eq!(report.keys_rewrapped, values.len() as u64);
    assert_eq!(
        snapshot(&v, "DET-2"),
        before,
        "intact in the rotating process"
    );
    assert!(
        v.rotate_master_key(&new).is_err(),
        "rotating to the key in force is refused"
    );
    drop(v);

    assert!(matches!(open_err(&dir, &old), Error::KeyRotatedOut));
    assert!(matches!(
        open_err(&dir, &MasterKey::generate().expect("key")),
        Error::WrongMasterKey
    ));
    let log = entries(&dir);
    let rotations: Vec<_> = log
        .iter()
        .filter(|e| e.kind == EntryKind::KeyRotation)
        .collect();
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0].generation, Some(2));
    let v = open(&dir, &new);
    assert_eq!(snapshot(&v, "DET-3"), before, "intact after reopening");
    // Expiry still works under the new key.
    v.advance_clock(t("2026-07-30T00:00:00Z")).expect("advance");
    assert_eq!(
        v.take_expiry_log().expired_epochs,
        vec!["2026-06-29T00:00:00Z"]
    );
    drop(v);

    let after = keys_cf(&dir);
    assert_eq!(
        after.len(),
        old_wrapped.len() - 1,
        "one epoch key destroyed"
    );
    for (label, value) in &after {
        assert!(
            !values.contains(value),
            "{} is still wrapped as before",
            String::from_utf8_lossy(label)
        );
    }
    let found = scan(&dir, &needles);
    assert!(found.is_empty(), "old wrappings remain: {found:?}");
    assert_log_ok_and_deletion_clean(&dir, &PLATES.map(String::from));
}

/// How a store interrupted at `point` opens.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Opens {
    /// Only the old key opens it; opening undoes the rotation.
    OldOnly,
    /// Both keys open it: the old one undoes the rotation, the new one completes it.
    Both,
    /// Only the new key opens it (the old one is rotated out); opening completes it.
    NewOnly,
}

fn expected(point: &str) -> Opens {
    match point {
        "rotation:after-prepare" => Opens::OldOnly,
        "rotation:after-header-both" => Opens::Both,
        "rotation:after-commit" | "rotation:after-header-new" => Opens::NewOnly,
        other => panic!("unknown point {other}"),
    }
}

/// Crashes a rotation at `point`, then opens with the key that works (the old one for the
/// early points, the new one for the later ones; at `after-header-both`, `use_new` chooses).
/// With `check_purge`, also checks that the abandoned side's wrappings left the files.
fn crash_rotation(point: &'static str, use_new: bool, check_purge: bool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let old = MasterKey::generate().expect("key");
    let new = MasterKey::generate().expect("key");
    let v = create(&dir, &old, &Policy::default_policy(), t(T0));
    populate(&v);
    let before = snapshot(&v, "DET-1");
    v.flush().expect("flush");
    drop(v);
    let old_values: Vec<Vec<u8>> = keys_cf(&dir).into_iter().map(|(_, v)| v).collect();

    let options = VaultOptions::new().fault_hook(Arc::new(move |p: &str| p == point));
    let v = Vault::open(&dir, &old, &options).expect("open");
    let err = v.rotate_master_key(&new).expect_err("the injected fault");
    assert!(err.to_string().contains(point), "{point}: {err}");
    drop(v);
    let prepared: Vec<Vec<u8>> = raw_dump(&dir)
        .with_prefix("keys", b"next/")
        .into_iter()
        .map(|(_, v)| v)
        .collect();

    let opens = expected(point);
    let forward = match opens {
        Opens::OldOnly => {
            assert!(
                matches!(open_err(&dir, &new), Error::WrongMasterKey),
                "{point}: the new key is not yet known"
            );
            false
        }
        Opens::Both => use_new,
        Opens::NewOnly => {
            assert!(
                matches!(open_err(&dir, &old), Error::KeyRotatedOut),
                "{point}: the old key is rotated out"
            );
            true
        }
    };
    let (works, refused) = if forward { (&new, &old) } else { (&old, &new) };
    let v = Vault::open(&dir, works, &VaultOptions::new())
        .unwrap_or_else(|e| panic!("{point}: the working key must open the store: {e}"));
    assert_eq!(snapshot(&v, "DET-2"), before, "{point}: data intact");
    drop(v);

    // Exactly one key works afterwards.
    let err = open_err(&dir, refused);
    if forward {
        assert!(matches!(err, Error::KeyRotatedOut), "{point}: {err}");
    } else {
        assert!(matches!(err, Error::WrongMasterKey), "{point}: {err}");
    }
    let v = open(&dir, works);
    assert_eq!(snapshot(&v, "DET-3"), before, "{point}: data intact");
    drop(v);
    let log = entries(&dir);
    assert_eq!(
        count(&log, EntryKind::KeyRotation, None),
        usize::from(forward),
        "{point}: a key_rotation entry exactly when the rotation completed"
    );
    assert_log_ok_and_deletion_clean(&dir, &PLATES.map(String::from));

    if !check_purge {
        return;
    }
    // Whichever way it went, the wrappings of the abandoned side left the files.
    let gone = if forward { &old_values } else { &prepared };
    if !forward {
        assert!(
            !prepared.is_empty(),
            "{point}: the crash left prepared wrappings"
        );
    }
    let found = scan(&dir, &whole_needles("abandoned wrapping", gone));
    assert!(found.is_empty(), "{point}: {found:?}");
}

#[test]
fn crash_after_prepare_opens_with_the_old_key_and_undoes_the_rotation() {
    crash_rotation(ROTATION_POINTS[0], false, true);
}

#[test]
fn crash_after_header_both_opens_with_the_old_key_and_undoes_the_rotation() {
    crash_rotation(ROTATION_POINTS[1], false, true);
}

#[test]
fn crash_after_header_both_opens_with_the_new_key_and_completes_the_rotation() {
    crash_rotation(ROTATION_POINTS[1], true, true);
}

#[test]
fn crash_after_commit_opens_with_the_new_key_and_completes_the_rotation() {
    crash_rotation(ROTATION_POINTS[2], true, true);
}

#[test]
fn crash_after_header_new_opens_with_the_new_key_and_completes_the_rotation() {
    crash_rotation(ROTATION_POINTS[3], true, false);
}

#[test]
fn crash_after_header_new_leaves_no_old_wrapping_once_completed() {
    crash_rotation(ROTATION_POINTS[3], true, true);
}

fn search_args<'a>(plate: &'a str, requester: &'a str) -> Vec<&'a str> {
    vec![
        "search",
        "--plate",
        plate,
        "--region",
        "CO",
        "--case",
        CASE,
        "--offense",
        "ROBBERY",
        "--purpose",
        "investigation",
        "--requester",
        requester,
        "--agency",
        "CITY-PD",
        "--json",
    ]
}

fn cli_store(tmp: &Path, policy: Option<&Path>) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = tmp.join("store");
    let key_path = tmp.join("master.key");
    key_file(&key_path);
    let mut args = vec!["--now", T0, "init", "--json"];
    if let Some(p) = policy {
        args.push("--policy");
        args.push(p.to_str().expect("utf-8 path"));
    }
    assert_exit(&cli(&dir, &key_path, &[], &args), 0);
    let reads = [
        ("CLIROT1", t("2026-06-29T09:00:00Z"), "CAM-1"),
        ("CLIROT1", t("2026-07-01T09:00:00Z"), "CAM-1"),
        ("CLIROT2", t("2026-07-01T10:00:00Z"), "CAM-2"),
    ];
    let input = tmp.join("reads.jsonl");
    std::fs::write(&input, jsonl(&reads)).expect("write");
    let out = cli(
        &dir,
        &key_path,
        &[],
        &["ingest", input.to_str().expect("utf-8 path"), "--json"],
    );
    assert_exit(&out, 0);
    assert_eq!(json(&out)["accepted"], 3);
    (dir, key_path)
}

#[test]
fn cli_rotate_master_key_switches_the_store_to_the_new_key_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (dir, old_path) = cli_store(tmp.path(), None);
    let new_path = tmp.path().join("new.key");
    let new = key_file(&new_path);
    let out = cli(
        &dir,
        &old_path,
        &[],
        &[
            "rotate-master-key",
            "--new-key-file",
            new_path.to_str().expect("utf-8 path"),
            "--json",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(json(&out)["generation"], 2);
    // The old key file is refused (exit 6), the new one works.
    assert_exit(
        &cli(&dir, &old_path, &[], &search_args("CLIROT1", "DET-1")),
        6,
    );
    let out = cli(&dir, &new_path, &[], &search_args("CLIROT1", "DET-1"));
    assert_exit(&out, 0);
    assert_eq!(json(&out)["reads"].as_array().map(Vec::len), Some(2));
    let old = MasterKey::from_file(&old_path).expect("old key");
    assert!(matches!(open_err(&dir, &old), Error::KeyRotatedOut));
    drop(open(&dir, &new));
    assert_eq!(count(&entries(&dir), EntryKind::KeyRotation, None), 1);
}

#[test]
fn rotate_master_key_on_expiry_replaces_the_key_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let policy_path = tmp.path().join("policy.toml");
    std::fs::write(
        &policy_path,
        "version = 1\nagency = \"CITY-PD\"\nrotate_master_key_on_expiry = true\n",
    )
    .expect("write policy");
    let (dir, key_path) = cli_store(tmp.path(), Some(&policy_path));
    let old_text = std::fs::read_to_string(&key_path).expect("key file");
    let old = MasterKey::from_hex(&old_text).expect("old key");

    // Nothing to expire: the key stays.
    let out = cli(&dir, &key_path, &[], &["expire", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(
        json(&out)["expired_epochs"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(std::fs::read_to_string(&key_path).expect("key"), old_text);

    // The epoch of 2026-06-29 expires on 07-30: the key file gets a new key.
    let out = cli(
        &dir,
        &key_path,
        &[],
        &["--now", "2026-07-30T06:00:00Z", "expire", "--json"],
    );
    assert_exit(&out, 0);
    assert_eq!(
        json(&out)["expired_epochs"],
        serde_json::json!(["2026-06-29T00:00:00Z"])
    );
    let new_text = std::fs::read_to_string(&key_path).expect("key file");
    assert_ne!(new_text, old_text, "the key file holds a new key");
    let mut next = key_path.as_os_str().to_owned();
    next.push(".next");
    assert!(
        !Path::new(&next).exists(),
        "no prepared key file is left over"
    );
    let new = MasterKey::from_hex(&new_text).expect("new key");
    assert!(matches!(open_err(&dir, &old), Error::KeyRotatedOut));
    let v = open(&dir, &new);
    assert_eq!(search(&v, "CLIROT1", CASE, "DET-1").reads.len(), 1);
    drop(v);
    let out = cli(&dir, &key_path, &[], &search_args("CLIROT2", "DET-2"));
    assert_exit(&out, 0);
    assert_eq!(json(&out)["reads"].as_array().map(Vec::len), Some(1));
    assert_eq!(count(&entries(&dir), EntryKind::KeyRotation, None), 1);
    assert_log_ok_and_deletion_clean(&dir, &["CLIROT1".into(), "CLIROT2".into()]);
}
