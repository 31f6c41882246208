//! Issue 13, item 12: store files were created 0644 and folders 0755 (the audit log names
//! requesters and case numbers), and `search --images` wrote decrypted images 0644. Now
//! every folder platevault creates is 0700 and every file it writes 0600: through the
//! binary (which sets its umask to 0077, so RocksDB's own files follow), and through the
//! library (store and `db` folders 0700 at creation, everything tightened at creation and
//! at every read-write open, so an old store or one grown under a 0022 umask is brought
//! back).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use platevault::{MasterKey, NewRead, Policy, Timestamp, Vault, VaultOptions};
use support::*;

/// Every folder and file under `root` (itself included), with its mode.
fn walk(root: &Path) -> Vec<(PathBuf, bool, u32)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(p) = todo.pop() {
        let meta = std::fs::symlink_metadata(&p).expect("metadata");
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_dir() {
            for e in std::fs::read_dir(&p).expect("read_dir") {
                todo.push(e.expect("entry").path());
            }
        }
        out.push((p, meta.is_dir(), mode));
    }
    out
}

#[track_caller]
fn assert_owner_only(root: &Path, what: &str) {
    let tree = walk(root);
    assert!(
        tree.len() > 1 || !tree[0].1,
        "{what}: nothing under {}",
        root.display()
    );
    let loose: Vec<String> = tree
        .iter()
        .filter(|(_, is_dir, mode)| *mode != if *is_dir { 0o700 } else { 0o600 })
        .map(|(p, _, mode)| format!("{} {mode:o}", p.display()))
        .collect();
    assert!(loose.is_empty(), "{what}: not owner-only: {loose:#?}");
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn everything_the_binary_writes_is_0600_in_0700_folders() {
    let env = Env::sim();
    assert_owner_only(&env.store, "after init");
    let image = vec![0xA5u8; 3000];
    let line = |plate: &str, at: &str| {
        serde_json::json!({
            "plate": plate, "region": "CO", "captured_at": at, "camera": "CAM-1",
            "image_b64": b64(&image),
        })
        .to_string()
    };
    let lines = format!(
        "{}\n{}\n",
        line("8VQM306", "2026-11-29T08:00:00Z"),
        line("KBD1234", "2026-11-28T08:00:00Z")
    );
    let v = env.ingest(&lines);
    assert_eq!(v["accepted"], 2, "{v}");
    assert_owner_only(&env.store, "after ingest");

    // Decrypted images: the folder (and its missing parent) 0700, each image 0600.
    let images = env.file("out/images");
    let v = env
        .cmd()
        .arg("search")
        .args(case_flags("8VQM306", "CO"))
        .arg("--images")
        .arg(&images)
        .arg("--json")
        .run()
        .ok()
        .json();
    assert_eq!(v["reads"].as_array().map(Vec::len), Some(1), "{v}");
    assert_owner_only(&env.file("out"), "search --images");
    assert_eq!(walk(&images).len(), 2, "one image written");
    // Into a folder that exists, over an image written before with loose modes.
    let existing = env.file("existing");
    std::fs::create_dir(&existing).expect("mkdir");
    let read_id = v["reads"][0]["read_id"].as_str().expect("read id");
    let old = existing.join(format!("{read_id}.jpg"));
    std::fs::write(&old, b"old").expect("write");
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    env.cmd()
        .arg("search")
        .args(case_flags("8VQM306", "CO"))
        .arg("--images")
        .arg(&existing)
        .run()
        .ok();
    let mode = std::fs::metadata(&old).expect("image").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "an image written over an old one");
    assert_eq!(std::fs::read(&old).expect("read"), image);

    // Holds, expiry, audit checkpoint: all still owner-only.
    env.cmd()
        .args(["hold", "add"])
        .args(case_flags("KBD1234", "CO"))
        .args(["--until", "2027-03-01T00:00:00Z"])
        .run()
        .ok();
    env.cmd().args(["audit", "checkpoint"]).run().ok();
    let v = env
        .cmd()
        .args(["--now", "2027-01-15T00:00:00Z", "expire", "--json"])
        .run()
        .ok()
        .json();
    assert!(
        !v["expired_epochs"].as_array().expect("epochs").is_empty(),
        "{v}"
    );
    assert_owner_only(&env.store, "after hold, checkpoint and expire");

    // Reports and exports the binary writes.
    let report = env.file("report");
    env.cmd_no_key()
        .args(["audit", "report", "--format", "json", "--out"])
        .arg(&report)
        .run()
        .ok();
    assert_owner_only(&report, "audit report --out");
    let sim = env.file("sim.jsonl");
    env.bare()
        .args([
            "--now", CLI_T0, "simulate", "--reads", "10", "--days", "1", "--seed", "1", "--out",
        ])
        .arg(&sim)
        .run()
        .ok();
    let mode = std::fs::metadata(&sim).expect("sim").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "simulate --out holds plates in clear");
}

fn read(plate: &str, at: Timestamp) -> NewRead {
    NewRead {
        plate: plate.into(),
        region: "CO".into(),
        captured_at: Some(at),
        camera: "CAM-1".into(),
        lat: None,
        lon: None,
        confidence: None,
        image: Some(vec![7u8; 5000]),
    }
}

/// Sets every folder to 0755 and every file to 0644, as a store made before this fix was.
fn loosen(root: &Path) {
    for (p, is_dir, _) in walk(root) {
        let mode = if is_dir { 0o755 } else { 0o644 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
}

#[test]
fn the_library_makes_and_keeps_stores_owner_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("nested/store");
    let key = MasterKey::generate().expect("key");
    let t0 = Timestamp::parse_rfc3339("2026-11-29T12:00:00Z").expect("time");
    let vault = Vault::create(
        &dir,
        &key,
        &Policy::default_policy(),
        &VaultOptions::new().simulated_clock(t0),
    )
    .expect("create");
    assert_owner_only(&dir, "after Vault::create");
    let parent = std::fs::metadata(tmp.path().join("nested")).expect("parent");
    assert_eq!(
        parent.permissions().mode() & 0o777,
        0o700,
        "a parent it made"
    );

    // RocksDB writes new files as the process's umask says; the folders keep them private.
    vault
        .ingest((0..50).map(|i| read(&format!("AB{i:04}"), t0)).collect())
        .expect("ingest");
    vault.flush().expect("flush");
    for d in [&dir, &dir.join("db")] {
        let m = std::fs::metadata(d).expect("dir").permissions().mode() & 0o777;
        assert_eq!(m, 0o700, "{}", d.display());
    }
    drop(vault);

    // A store made before (0755 and 0644 throughout) is tightened by a read-write open.
    loosen(&dir);
    let vault = Vault::open(&dir, &key, &VaultOptions::new()).expect("open");
    assert_owner_only(&dir, "after Vault::open of a loose store");
    drop(vault);

    // A read-only open (a reviewer, perhaps another account) changes nothing.
    loosen(&dir);
    platevault::verify::Review::open(&dir)
        .expect("review")
        .verify(None)
        .expect("verify");
    let m = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(m, 0o755, "a read-only open does not change modes");
}
