//! Concurrency of the audit log: eight threads searching one shared `Arc<Vault>` (allowed and
//! denied requests, with reviewer checks beside them) leave one chain: sequence numbers
//! exactly 0..n with no gap and no duplicate, every returned `audit_seq` distinct and naming
//! that thread's own decision entry, one decision entry per request, every allowed search
//! completed by exactly one result entry, and a log that verifies; a read-only reviewer
//! verifying the log while the writers run always sees a consistent log. The rate limit,
//! decided under the log's writer lock, lets exactly 60 attempts of one requester through in
//! an hour even when eight threads race for them.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use platevault::audit::entry::{EntryKind, Verdict};
use platevault::verify::Review;
use platevault::{Policy, SearchRequest, Vault};
use support::*;

const THREADS: usize = 8;
const PER_THREAD: usize = 25;

struct Done {
    thread: usize,
    audit_seq: u64,
    result_seq: Option<u64>,
    reason: &'static str,
    reads: usize,
}

fn store(tmp: &std::path::Path) -> (Arc<Vault>, std::path::PathBuf) {
    let (vault, _key, dir) = new_store(tmp, &Policy::default_policy());
    vault
        .ingest(vec![
            read_in_region("7KQX291", "CO", ago(2), "CAM-1"),
            read_in_region("7KQX291", "CO", ago(50), "CAM-2"),
            read_in_region("QZW4471", "CO", ago(7), "CAM-3"),
        ])
        .expect("ingest");
    (Arc::new(vault), dir)
}

#[test]
fn concurrent_searches_keep_one_chain_without_gaps_or_forks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, dir) = store(tmp.path());
    let running = Arc::new(AtomicBool::new(true));

    // A reviewer verifying the log read-only while it grows.
    let verifier = {
        let dir = dir.clone();
        let running = running.clone();
        std::thread::spawn(move || {
            let mut checks = 0;
            let mut last_size = 0;
            while running.load(Ordering::Relaxed) || checks < 2 {
                let report = Review::open(&dir)
                    .expect("review")
                    .verify(None)
                    .expect("verify runs");
                assert!(report.ok, "mid-run: {report:?}");
                assert!(report.size >= last_size, "the log never shrinks");
                last_size = report.size;
                checks += 1;
            }
            checks
        })
    };
    // Reviewer checks interleaved with the searches.
    let checker = {
        let vault = vault.clone();
        std::thread::spawn(move || {
            (0..10)
                .map(|_| {
                    vault
                        .reviewer_check("7KQX291", "CO", "OVERSIGHT-1")
                        .expect("check")
                        .audit_seq
                })
                .collect::<Vec<u64>>()
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let vault = vault.clone();
            std::thread::spawn(move || {
                let mut done = Vec::new();
                for i in 0..PER_THREAD {
                    let plate = if (thread + i) % 2 == 0 {
                        "7KQX291"
                    } else {
                        "QZW4471"
                    };
                    let mut req = unjustified_request(plate, &format!("T{thread}"));
                    match i % 4 {
                        1 => req.purpose = "immigration".into(),
                        3 => req.case_number = "no-case".into(),
                        _ => {}
                    }
                    let out = vault
                        .search(&SearchRequest {
                            case: req,
                            with_images: false,
                        })
                        .expect("search");
                    done.push(Done {
                        thread,
                        audit_seq: out.audit_seq,
                        result_seq: out.result_seq,
                        reason: out.reason_code(),
                        reads: out.reads.len(),
                    });
                }
                done
            })
        })
        .collect();
    let done: Vec<Done> = workers
        .into_iter()
        .flat_map(|h| h.join().expect("worker"))
        .collect();
    let checks = checker.join().expect("checker");
    running.store(false, Ordering::Relaxed);
    let verifications = verifier.join().expect("verifier");
    assert!(verifications >= 2);

    let review = Review::open(&dir).expect("review");
    let report = review.verify(None).expect("verify");
    assert!(report.ok, "{report:?}");
    let all = review.entries().expect("entries");
    assert_eq!(report.size, all.len() as u64);
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.seq, i as u64, "sequence numbers are exactly 0..n");
    }
    for w in all.windows(2) {
        assert!(w[0].time <= w[1].time, "entry times never go back");
    }

    // One decision entry per request, each naming the thread that made it.
    assert_eq!(done.len(), THREADS * PER_THREAD);
    assert_eq!(decision_count(&all), THREADS * PER_THREAD);
    let seqs: BTreeSet<u64> = done.iter().map(|d| d.audit_seq).collect();
    assert_eq!(seqs.len(), done.len(), "every audit_seq is distinct");
    let mut per_thread: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for d in &done {
        let e = &all[d.audit_seq as usize];
        assert_eq!(e.kind, EntryKind::Search);
        assert_eq!(
            e.requester.as_deref(),
            Some(format!("T{}", d.thread).as_str())
        );
        assert_eq!(e.reason.as_deref(), Some(d.reason));
        per_thread.entry(d.thread).or_default().push(d.audit_seq);
        match d.result_seq {
            Some(r) => {
                assert_eq!(d.reason, "allowed");
                let result = &all[r as usize];
                assert!(r > d.audit_seq);
                assert_eq!(result.kind, EntryKind::SearchResult);
                assert_eq!(result.result_of, Some(d.audit_seq));
                assert_eq!(result.results, Some(d.reads as u64));
                assert!(d.reads > 0);
            }
            None => assert_ne!(d.reason, "allowed"),
        }
    }
    for seqs in per_thread.values() {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "a thread's requests are logged in its own order"
        );
    }
    let results: Vec<_> = all
        .iter()
        .filter(|e| e.kind == EntryKind::SearchResult)
        .collect();
    let allowed = done.iter().filter(|d| d.reason == "allowed").count();
    assert_eq!(
        results.len(),
        allowed,
        "one result entry per allowed search"
    );
    // i % 4 in {0, 2} is allowed: the 13 even i of 0..25, in every thread.
    assert_eq!(allowed, THREADS * PER_THREAD.div_ceil(2));
    let result_of: BTreeSet<u64> = results.iter().filter_map(|e| e.result_of).collect();
    assert_eq!(
        result_of.len(),
        results.len(),
        "no decision completed twice"
    );
    for c in &checks {
        assert_eq!(all[*c as usize].kind, EntryKind::ReviewerCheck);
        assert!(!seqs.contains(c));
    }
    // Store created + decisions + results + reviewer checks: nothing else, nothing lost.
    assert_eq!(all.len(), 1 + done.len() + allowed + checks.len());
}

#[test]
fn racing_threads_cannot_slip_past_the_rate_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (vault, dir) = store(tmp.path());
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let vault = vault.clone();
            std::thread::spawn(move || {
                (0..10)
                    .map(|_| {
                        vault
                            .search(&SearchRequest {
                                case: unjustified_request("7KQX291", "SHARED-1"),
                                with_images: false,
                            })
                            .expect("search")
                            .reason_code()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let codes: Vec<&str> = workers
        .into_iter()
        .flat_map(|h| h.join().expect("worker"))
        .collect();
    assert_eq!(codes.len(), 80);
    assert_eq!(codes.iter().filter(|c| **c == "allowed").count(), 60);
    assert_eq!(codes.iter().filter(|c| **c == "rate_limited").count(), 20);
    // In log order: the first 60 decisions allowed, every later one rate-limited.
    let all = entries(&dir);
    let decisions: Vec<_> = all.iter().filter(|e| is_decision(e)).collect();
    assert_eq!(decisions.len(), 80);
    for (i, e) in decisions.iter().enumerate() {
        let want = if i < 60 {
            Verdict::Allowed
        } else {
            Verdict::Denied
        };
        assert_eq!(e.decision, Some(want), "decision {i} in log order");
    }
    let report = Review::open(&dir)
        .expect("review")
        .verify(None)
        .expect("verify");
    assert!(report.ok, "{report:?}");
}
