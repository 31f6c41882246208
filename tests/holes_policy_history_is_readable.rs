//! Issue 13, item 13: a policy change was logged as two hashes only, so a key holder could
//! remove a prohibited purpose, search for it, put it back, and leave nothing a reviewer
//! could read. Now `store_created` and every `policy_change` entry carry the policy's full
//! canonical text (the policy is public), `audit verify` checks that each text hashes to the
//! `policy_new` its entry records and that the policy in force is the last one the log put in
//! force, and `policy history` shows each version and what it changed.

mod support;

use platevault::audit::entry::EntryKind;
use platevault::audit::policy_history::{self, text_hash};
use platevault::verify::Review;
use platevault::{Policy, Purpose, SearchRequest};
use support::*;

/// The default policy without `immigration` among its prohibited purposes.
fn without_immigration() -> Policy {
    let mut spec = Policy::default_policy().spec().clone();
    spec.prohibited_purposes
        .retain(|p| *p != Purpose::Immigration);
    spec.version = 2;
    Policy::from_spec(spec).expect("policy")
}

fn restored() -> Policy {
    let mut spec = Policy::default_policy().spec().clone();
    spec.version = 3;
    Policy::from_spec(spec).expect("policy")
}

/// The review's scenario: remove the prohibited purpose, search for it, restore it.
fn remove_search_restore() -> (tempfile::TempDir, std::path::PathBuf, platevault::MasterKey) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, key, dir) = new_store(tmp.path(), &Policy::default_policy());
    vault.apply_policy(&without_immigration()).expect("apply");
    let mut req = unjustified_request("7KQX291", "DET-7");
    req.purpose = "immigration".into();
    let outcome = vault
        .search(&SearchRequest {
            case: req,
            with_images: false,
        })
        .expect("search");
    assert!(outcome.is_allowed(), "the weakened policy allowed it");
    vault.apply_policy(&restored()).expect("restore");
    drop(vault);
    (tmp, dir, key)
}

#[test]
fn every_policy_version_is_in_the_log_and_the_removed_purpose_shows() {
    let (_tmp, dir, _key) = remove_search_restore();
    let entries = entries(&dir);
    let versions = policy_history::history(&entries);
    assert_eq!(versions.len(), 3, "created, weakened, restored");
    assert_eq!(versions[0].kind, EntryKind::StoreCreated);
    let texts: Vec<&str> = versions
        .iter()
        .map(|v| v.text.as_deref().expect("every version has its text"))
        .collect();
    for (v, text) in versions.iter().zip(&texts) {
        assert_eq!(v.hash.as_deref(), Some(text_hash(text.as_bytes()).as_str()));
        Policy::from_toml(text).expect("the recorded text is a policy");
    }
    let prohibited = |text: &str| {
        Policy::from_toml(text)
            .expect("policy")
            .spec()
            .prohibited_purposes
            .clone()
    };
    assert!(prohibited(texts[0]).contains(&Purpose::Immigration));
    assert!(
        !prohibited(texts[1]).contains(&Purpose::Immigration),
        "the middle version lacks the purpose"
    );
    assert!(prohibited(texts[2]).contains(&Purpose::Immigration));
    // The search made under the weakened policy sits between the two changes.
    let search = entries
        .iter()
        .find(|e| e.kind == EntryKind::Search && e.purpose.as_deref() == Some("immigration"))
        .expect("the search entry");
    assert!(versions[1].seq < search.seq && search.seq < versions[2].seq);
    assert_eq!(versions[1].replaced, versions[0].hash);
    assert_eq!(versions[2].replaced, versions[1].hash);
    // The diff a reviewer reads shows the removed line.
    let diff = policy_history::diff_lines(texts[0], texts[1]);
    assert!(
        diff.iter()
            .any(|l| l.starts_with('-') && l.contains("\"immigration\"")),
        "{diff:?}"
    );
    let report = Review::open(&dir)
        .expect("review")
        .verify(None)
        .expect("verify");
    assert!(report.ok, "{:?}", report.problem);
}

#[test]
fn a_rewritten_policy_text_is_caught_even_after_the_tree_is_resealed() {
    let (_tmp, dir, key) = remove_search_restore();
    let seq = policy_history::history(&entries(&dir))[1].seq;
    {
        let raw = RawAudit::open(&dir);
        let bytes = String::from_utf8(raw.entry(seq)).expect("utf8");
        // Put the purpose back into the recorded text, so the history looks clean.
        let forged = bytes.replacen(
            "prohibited_purposes = [\\n",
            "prohibited_purposes = [\\n    \\\"immigration\\\",\\n",
            1,
        );
        assert_ne!(forged, bytes, "the text was found and changed");
        raw.put_entry(seq, forged.as_bytes());
        raw.reseal(&key);
    }
    let report = Review::open(&dir)
        .expect("review")
        .verify(None)
        .expect("verify");
    assert!(!report.ok, "a changed policy text must not verify");
    let problem = report.problem.unwrap_or_default();
    assert!(problem.contains("does not hash"), "{problem}");
}

#[test]
fn a_policy_written_into_the_store_without_an_entry_is_caught() {
    let (_tmp, dir, _key) = remove_search_restore();
    {
        // Someone with the files writes the weakened policy straight into the store.
        let path = dir.join("db");
        let opts = rocksdb::Options::default();
        let names = rocksdb::DB::list_cf(&opts, &path).expect("list_cf");
        let db = rocksdb::DB::open_cf(&opts, &path, names).expect("open raw db");
        let meta = db.cf_handle("meta").expect("meta");
        db.put_cf(meta, b"policy", without_immigration().to_toml().as_bytes())
            .expect("put");
        db.flush_cf(meta).expect("flush");
    }
    let report = Review::open(&dir)
        .expect("review")
        .verify(None)
        .expect("verify");
    assert!(!report.ok, "a silently swapped policy must not verify");
    let problem = report.problem.unwrap_or_default();
    assert!(problem.contains("without an audit entry"), "{problem}");
}

#[test]
fn policy_history_on_the_command_line_shows_the_weakened_version() {
    let (_tmp, dir, _key) = remove_search_restore();
    let bin = env!("CARGO_BIN_EXE_platevault");
    let out = std::process::Command::new(bin)
        .arg("--store")
        .arg(&dir)
        .args(["policy", "history", "--json"])
        .env_remove("PLATEVAULT_STORE")
        .env_remove("PLATEVAULT_MASTER_KEY")
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let versions = v["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0]["kind"], "store_created");
    assert!(
        versions[0]["text"]
            .as_str()
            .expect("text")
            .contains("immigration")
    );
    let removed: Vec<&str> = versions[1]["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        removed.iter().any(|l| l.contains("\"immigration\"")),
        "{removed:?}"
    );
    let added: Vec<&str> = versions[2]["added"]
        .as_array()
        .expect("added")
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        added.iter().any(|l| l.contains("\"immigration\"")),
        "{added:?}"
    );

    // The text form names the removed line too.
    let out = std::process::Command::new(bin)
        .arg("--store")
        .arg(&dir)
        .args(["policy", "history"])
        .env_remove("PLATEVAULT_STORE")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-    \"immigration\","), "{text}");
}
