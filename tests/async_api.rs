//! The async facade: concurrent ingest and search from many tasks, a runtime that a long
//! store operation does not block, and the background expiry task (expiring an epoch while
//! searches run, graceful shutdown, stop on drop, failures logged and retried).

mod support;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use platevault::audit::entry::{Entry, EntryKind, Verdict};
use platevault::policy::PolicySpec;
use platevault::vault::AsyncVault;
use platevault::verify::Review;
use platevault::{
    CaseRequest, MasterKey, NewRead, Policy, SearchRequest, Span, Timestamp, Vault, VaultOptions,
};
use support::t;

fn read(plate: &str, at: Timestamp, camera: &str) -> NewRead {
    NewRead {
        plate: plate.into(),
        region: "CO".into(),
        captured_at: Some(at),
        camera: camera.into(),
        lat: Some(39.7392),
        lon: Some(-104.9903),
        confidence: Some(0.9),
        image: None,
    }
}

fn request(plate: &str, requester: &str) -> SearchRequest {
    SearchRequest {
        case: CaseRequest {
            plate: plate.into(),
            region: "CO".into(),
            case_number: "2026-001234".into(),
            offense: "ROBBERY".into(),
            purpose: "investigation".into(),
            requester: requester.into(),
            agency: "CITY-PD".into(),
            ..CaseRequest::default()
        },
        with_images: false,
    }
}

/// The default policy with another retention and a rate limit high enough for a stress test.
fn policy(retention: Span) -> Policy {
    Policy::from_spec(PolicySpec {
        retention,
        searches_per_requester_per_hour: 1_000_000,
        ..PolicySpec::default_spec()
    })
    .expect("policy")
}

/// Verifies the audit log from the raw store (read-only, beside the open vault) and checks
/// that its sequence numbers run from 0 without a gap. Returns the entries.
fn verified_log(dir: &Path) -> Vec<Entry> {
    let review = Review::open(dir).expect("review");
    let report = review.verify(None).expect("verify");
    assert!(report.ok, "audit log does not verify: {:?}", report.problem);
    let entries = review.entries().expect("entries");
    assert_eq!(entries.len() as u64, report.size);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64, "gap in the audit log");
    }
    entries
}

/// Polls `done` every 10 ms until it holds, failing after `limit`.
async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_ingest_and_search_from_many_tasks() {
    const TASKS: usize = 16;
    const BATCHES: usize = 5;
    const PLATES_PER_BATCH: usize = 8;
    const READS_PER_PLATE: usize = 3;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let t0 = t("2026-11-10T12:00:00Z");
    let vault = AsyncVault::create(
        &path,
        MasterKey::generate().expect("key"),
        Policy::default_policy(),
        VaultOptions::new().simulated_clock(t0),
    )
    .await
    .expect("create");

    // Ingest task i stores batches of plates of its own and hands each plate, with the ids
    // its reads were stored under, to search task i, which searches for it at once.
    let mut ingesters = Vec::new();
    let mut searchers = Vec::new();
    for i in 0..TASKS {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, BTreeSet<_>)>();
        let v = vault.clone();
        ingesters.push(tokio::spawn(async move {
            let mut stored = 0;
            for b in 0..BATCHES {
                let mut reads = Vec::new();
                for p in 0..PLATES_PER_BATCH {
                    for r in 0..READS_PER_PLATE {
                        // Reads spread over three daily epochs; distinct times and cameras.
                        let offset = Span::from_secs(
                            (24 * 3600 * r + 60 * (i * 50 + b * 10 + p) + 3600) as u64,
                        );
                        reads.push(read(
                            &format!("AV{i:02}{b}{p}"),
                            t0.minus(offset),
                            &format!("CAM-{i}-{r}"),
                        ));
                    }
                }
                let plates: Vec<String> = reads.iter().map(|r| r.plate.clone()).collect();
                let report = v.ingest(reads).await.expect("ingest");
                assert!(report.rejected.is_empty(), "{:?}", report.rejected);
                assert_eq!(report.stored.len(), PLATES_PER_BATCH * READS_PER_PLATE);
                stored += report.stored.len();
                let mut by_plate: HashMap<String, BTreeSet<_>> = HashMap::new();
                for s in &report.stored {
                    by_plate
                        .entry(plates[s.index].clone())
                        .or_default()
                        .insert(s.read_id);
                }
                for item in by_plate {
                    tx.send(item).expect("searcher alive");
                }
            }
            stored
        }));
        let v = vault.clone();
        searchers.push(tokio::spawn(async move {
            let requester = format!("DET-{i}");
            // A plate nobody stored: allowed, and nothing found.
            let miss = v
                .search(request(&format!("NONE{i}"), &requester))
                .await
                .expect("search");
            assert!(miss.is_allowed(), "{}", miss.reason_code());
            assert!(miss.reads.is_empty());
            let mut searches = 1;
            let mut found = 0;
            while let Some((plate, expected)) = rx.recv().await {
                let out = v.search(request(&plate, &requester)).await.expect("search");
                assert!(out.is_allowed(), "{}", out.reason_code());
                let got: BTreeSet<_> = out.reads.iter().map(|r| r.read_id).collect();
                assert_eq!(got.len(), out.reads.len(), "a read returned twice");
                assert_eq!(got, expected, "exactly the reads of the plate");
                searches += 1;
                found += out.reads.len();
            }
            (searches, found)
        }));
    }
    let mut stored = 0;
    for h in ingesters {
        stored += h.await.expect("ingest task");
    }
    let (mut searches, mut found) = (0, 0);
    for h in searchers {
        let (s, f) = h.await.expect("search task");
        searches += s;
        found += f;
    }
    let total = TASKS * BATCHES * PLATES_PER_BATCH * READS_PER_PLATE;
    assert_eq!(stored, total);
    assert_eq!(
        found, total,
        "every stored read found by its plate's search"
    );
    assert_eq!(searches, TASKS * (1 + BATCHES * PLATES_PER_BATCH));
    let v = vault.vault();
    let in_epochs: u64 = v
        .live_epochs()
        .into_iter()
        .map(|e| v.epoch_read_count(e).expect("count"))
        .sum();
    assert_eq!(in_epochs, total as u64);

    let entries = verified_log(&path);
    let decisions: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Search)
        .collect();
    assert_eq!(decisions.len(), searches, "one decision entry per search");
    assert!(
        decisions
            .iter()
            .all(|e| e.decision == Some(Verdict::Allowed))
    );
    let results: u64 = entries
        .iter()
        .filter(|e| e.kind == EntryKind::SearchResult)
        .map(|e| e.results.unwrap_or(0))
        .sum();
    assert_eq!(results, total as u64);
}

#[tokio::test(flavor = "current_thread")]
async fn a_long_ingest_does_not_block_the_runtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let t0 = t("2026-11-10T12:00:00Z");
    let vault = AsyncVault::create(
        &path,
        MasterKey::generate().expect("key"),
        Policy::default_policy(),
        VaultOptions::new().simulated_clock(t0),
    )
    .await
    .expect("create");

    // On a current-thread runtime, this ticker runs only while the one thread is free.
    let ingesting = Arc::new(AtomicBool::new(false));
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let (ingesting, ticks) = (ingesting.clone(), ticks.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if ingesting.load(Ordering::SeqCst) {
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };

    // Long ingests (a few thousand reads with 16 KiB images each), until 300 ms have passed
    // inside them, however fast the machine.
    let mut busy = Duration::ZERO;
    let mut batch = 0u64;
    while busy < Duration::from_millis(300) {
        let reads: Vec<NewRead> = (0..3000u64)
            .map(|i| NewRead {
                image: Some(vec![(i % 251) as u8; 16 * 1024]),
                ..read(
                    &format!("LONG{batch}X{i}"),
                    t0.minus(Span::from_secs(60 + i)),
                    "CAM-1",
                )
            })
            .collect();
        ingesting.store(true, Ordering::SeqCst);
        let start = Instant::now();
        let report = vault.ingest(reads).await.expect("ingest");
        busy += start.elapsed();
        ingesting.store(false, Ordering::SeqCst);
        assert_eq!(report.stored.len(), 3000);
        batch += 1;
    }
    ticker.abort();
    let ticks = ticks.load(Ordering::SeqCst);
    // A blocked runtime would count 0; a free one about busy / 10 ms (allow a lot of slack).
    let floor = (busy.as_millis() as u64 / 10 / 4).max(5);
    assert!(
        ticks >= floor,
        "only {ticks} ticks of 10 ms during {busy:?} of ingest (expected at least {floor})"
    );
}

/// What the fault hook does at expiry's named points.
const HOOK_OFF: u8 = 0;
/// Fail at `expiry:after-intent` on the thread named "advance-clock" only: the expiry that
/// `advance_clock` runs itself stops (as a crash would), leaving a journaled expiry that the
/// background task must finish.
const HOOK_FAIL_INLINE: u8 = 1;
/// Fail at every point, on every thread.
const HOOK_FAIL_ALL: u8 = 2;
/// Block at `expiry:after-keys-destroyed` until released, then carry on.
const HOOK_BLOCK: u8 = 3;
/// Panic at `expiry:after-keys-destroyed` (a bug in the blocking code).
const HOOK_PANIC: u8 = 4;

/// A switchable fault hook shared with the vault.
#[derive(Default)]
struct Faults {
    mode: AtomicU8,
    calls: AtomicU64,
    entered: AtomicBool,
    released: Mutex<bool>,
    wake: Condvar,
}

impl Faults {
    /// Creates a simulation store at `t0` and reopens it with this hook (`Vault::create`
    /// does not install a fault hook; `Vault::open` does).
    async fn store(self: &Arc<Self>, path: &Path, policy: Policy, t0: Timestamp) -> AsyncVault {
        let key = MasterKey::generate().expect("key");
        let created = AsyncVault::create(
            path,
            key.clone(),
            policy,
            VaultOptions::new().simulated_clock(t0),
        )
        .await
        .expect("create");
        drop(created);
        let me = self.clone();
        let options = VaultOptions::new().fault_hook(Arc::new(move |point: &str| me.at(point)));
        AsyncVault::open(path, key, options).await.expect("open")
    }

    fn at(&self, point: &str) -> bool {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.mode.load(Ordering::SeqCst) {
            HOOK_FAIL_INLINE => {
                point == "expiry:after-intent"
                    && std::thread::current().name() == Some("advance-clock")
            }
            HOOK_FAIL_ALL => true,
            HOOK_PANIC if point == "expiry:after-keys-destroyed" => {
                panic!("a deliberate panic in the blocking code")
            }
            HOOK_BLOCK if point == "expiry:after-keys-destroyed" => {
                self.entered.store(true, Ordering::SeqCst);
                let mut released = self.released.lock().expect("lock");
                while !*released {
                    released = self.wake.wait(released).expect("wait");
                }
                false
            }
            _ => false,
        }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn release(&self) {
        *self.released.lock().expect("lock") = true;
        self.wake.notify_all();
    }
}

/// Releases a blocked hook when dropped.
struct ReleaseOnDrop(Arc<Faults>);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// Advances the clock on a thread named "advance-clock" (see [`HOOK_FAIL_INLINE`]).
async fn advance_on_named_thread(
    vault: &AsyncVault,
    to: Timestamp,
) -> platevault::Result<Timestamp> {
    let v = vault.vault().clone();
    let thread = std::thread::Builder::new()
        .name("advance-clock".into())
        .spawn(move || v.advance_clock(to))
        .expect("thread");
    tokio::task::spawn_blocking(move || thread.join().expect("no panic"))
        .await
        .expect("join")
}

/// A simulation store at `t0` with one read of `PLATE` at `at`, and the clock moved past the
/// retention of its epoch while the hook stops the expiry `advance_clock` runs itself.
async fn store_with_a_journaled_expiry(
    path: &Path,
    faults: &Arc<Faults>,
) -> (AsyncVault, platevault::model::epoch::Epoch) {
    let t0 = t("2026-11-10T12:00:00Z");
    let vault = faults.store(path, policy(Span::from_days(3)), t0).await;
    vault
        .ingest(vec![read("OLD1", t("2026-11-07T18:00:00Z"), "CAM-1")])
        .await
        .expect("ingest");
    let epochs = vault.vault().live_epochs();
    assert_eq!(epochs.len(), 1);
    faults.set(HOOK_FAIL_INLINE);
    let err = advance_on_named_thread(&vault, t("2026-11-11T00:30:00Z"))
        .await
        .expect_err("the inline expiry is stopped by the hook");
    assert!(err.to_string().contains("injected fault"), "{err}");
    assert_eq!(vault.vault().live_epochs(), epochs, "not expired yet");
    faults.set(HOOK_OFF);
    (vault, epochs[0])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn background_expiry_expires_an_epoch_while_searches_run() {
    const PLATES: usize = 10;
    const SEARCHERS: usize = 8;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let faults = Arc::new(Faults::default());
    let t0 = t("2026-11-10T12:00:00Z");
    let retention = Span::from_days(3);
    let vault = faults.store(&path, policy(retention), t0).await;
    // One read per plate on each of four days; the oldest day (epoch 2026-11-07) leaves
    // retention when the clock passes 2026-11-11T00:00Z.
    let days = [
        "2026-11-07T18:00:00Z",
        "2026-11-08T18:00:00Z",
        "2026-11-09T18:00:00Z",
        "2026-11-10T06:00:00Z",
    ];
    let mut reads = Vec::new();
    for p in 0..PLATES {
        for (d, day) in days.iter().enumerate() {
            reads.push(read(&format!("EXP{p}"), t(day), &format!("CAM-{d}")));
        }
    }
    let report = vault.ingest(reads).await.expect("ingest");
    assert_eq!(report.stored.len(), PLATES * days.len());
    let oldest = vault.vault().live_epochs()[0];
    assert_eq!(oldest.name(), "2026-11-07T00:00:00Z");
    assert_eq!(vault.vault().live_epochs().len(), 4);

    let task = vault
        .spawn_expiry_task(Duration::from_millis(20))
        .expect("spawn");

    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicU64::new(0));
    let mut searchers = Vec::new();
    for s in 0..SEARCHERS {
        let (v, stop, searches) = (vault.clone(), stop.clone(), searches.clone());
        searchers.push(tokio::spawn(async move {
            let mut counts = BTreeSet::new();
            let mut k = s;
            while !stop.load(Ordering::SeqCst) {
                let now_before = v.now();
                let out = v
                    .search(request(&format!("EXP{}", k % PLATES), &format!("DET-{s}")))
                    .await
                    .expect("a search never errors while expiry runs");
                assert!(out.is_allowed(), "{}", out.reason_code());
                for r in &out.reads {
                    assert!(
                        r.body.captured_at >= now_before.minus(retention),
                        "a read past retention was returned"
                    );
                }
                counts.insert(out.reads.len());
                searches.fetch_add(1, Ordering::SeqCst);
                k += 1;
            }
            counts
        }));
    }
    wait_until(
        "searches before the clock moves",
        Duration::from_secs(10),
        || searches.load(Ordering::SeqCst) >= 20,
    )
    .await;

    faults.set(HOOK_FAIL_INLINE);
    // Either the inline expiry was stopped by the hook, or the task got there first and
    // nothing was due any more by the time advance_clock looked.
    match advance_on_named_thread(&vault, t("2026-11-11T00:30:00Z")).await {
        Ok(now) => assert_eq!(now, t("2026-11-11T00:30:00Z")),
        Err(e) => assert!(e.to_string().contains("injected fault"), "{e}"),
    }
    let after_advance = searches.load(Ordering::SeqCst);
    wait_until(
        "the oldest epoch to expire",
        Duration::from_secs(20),
        || !vault.vault().live_epochs().contains(&oldest),
    )
    .await;
    wait_until("searches after expiry", Duration::from_secs(10), || {
        searches.load(Ordering::SeqCst) >= after_advance + 20
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let mut counts = BTreeSet::new();
    for h in searchers {
        counts.extend(h.await.expect("search task"));
    }
    assert_eq!(
        counts,
        BTreeSet::from([3, 4]),
        "four reads per plate before the clock moved, three after (never the expired one)"
    );
    // After it all, exactly the three days still in retention.
    let out = vault
        .search(request("EXP0", "DET-X"))
        .await
        .expect("search");
    let mut cameras: Vec<String> = out.reads.iter().map(|r| r.body.camera.clone()).collect();
    cameras.sort();
    assert_eq!(cameras, ["CAM-1", "CAM-2", "CAM-3"]);

    let stats = task.shutdown().await.expect("shutdown");
    assert!(stats.runs >= 1, "{stats:?}");
    assert!(
        stats.epochs_expired >= 1,
        "the task did the expiry: {stats:?}"
    );
    assert!(stats.reads_removed >= PLATES as u64, "{stats:?}");
    assert_eq!(stats.failed_runs, 0, "{stats:?}");
    assert_eq!(vault.vault().live_epochs().len(), 3);

    let entries = verified_log(&path);
    assert!(
        entries
            .iter()
            .any(|e| e.kind == EntryKind::DeletionCertificate
                && e.epoch.as_deref() == Some("2026-11-07T00:00:00Z")
                && e.results == Some(PLATES as u64)),
        "a deletion certificate for the expired epoch and its reads"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_while_idle_returns_promptly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let faults = Arc::new(Faults::default());
    let (vault, _) = store_with_a_journaled_expiry(&dir.path().join("s"), &faults).await;
    let task = vault
        .spawn_expiry_task(Duration::from_secs(3600))
        .expect("spawn");
    let stats = tokio::time::timeout(Duration::from_secs(2), task.shutdown())
        .await
        .expect("shutdown does not wait for the next tick")
        .expect("shutdown");
    assert_eq!(stats, Default::default(), "no run happened");
    assert_eq!(vault.vault().live_epochs().len(), 1, "nothing ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_runs_at_once_and_returns_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s");
    let faults = Arc::new(Faults::default());
    let (vault, epoch) = store_with_a_journaled_expiry(&path, &faults).await;
    let task = vault
        .spawn_expiry_task(Duration::from_secs(3600))
        .expect("spawn");
    let report = tokio::time::timeout(Duration::from_secs(10), task.run_now())
        .await
        .expect("run_now does not wait for the interval")
        .expect("expiry");
    assert_eq!(report.expired_epochs, vec![epoch.name()]);
    assert_eq!(report.reads_removed, 1);
    assert!(vault.vault().live_epochs().is_empty());
    let stats = task.stats();
    assert_eq!((stats.runs, stats.epochs_expired), (1, 1), "{stats:?}");
    let stats = task.shutdown().await.expect("shutdown");
    assert_eq!((stats.runs, stats.epochs_expired), (1, 1), "{stats:?}");
    verified_log(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_and_no_run_follows_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s");
    let faults = Arc::new(Faults::default());
    let (vault, epoch) = store_with_a_journaled_expiry(&path, &faults).await;
    // Every run resumes the journaled expiry and hits a failing point: one hook call per run.
    faults.set(HOOK_FAIL_ALL);
    let task = vault
        .spawn_expiry_task(Duration::from_millis(10))
        .expect("spawn");
    let mut stats = task.subscribe();
    tokio::time::timeout(Duration::from_secs(10), stats.wait_for(|s| s.runs >= 3))
        .await
        .expect("the task keeps running after failures")
        .expect("task alive");
    let stats = task.shutdown().await.expect("shutdown");
    assert!(stats.runs >= 3, "{stats:?}");
    assert_eq!(stats.failed_runs, stats.runs, "{stats:?}");
    assert_eq!(stats.epochs_expired, 0);
    let last = stats.last_error.as_deref().unwrap_or_default();
    assert!(last.contains("injected fault"), "{last}");

    let calls = faults.calls.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        faults.calls.load(Ordering::SeqCst),
        calls,
        "no expiry ran after shutdown returned"
    );

    // The expiry the failures left half-way is resumable: one clean run finishes it.
    faults.set(HOOK_OFF);
    let report = vault.expire().await.expect("expire");
    assert_eq!(report.expired_epochs, vec![epoch.name()]);
    assert!(vault.vault().live_epochs().is_empty());
    verified_log(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_the_run_in_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s");
    let faults = Arc::new(Faults::default());
    let (vault, _) = store_with_a_journaled_expiry(&path, &faults).await;
    faults.set(HOOK_BLOCK);
    // Releases the hook even if an assertion fails, so the runtime can shut down.
    let _release = ReleaseOnDrop(faults.clone());
    let task = vault
        .spawn_expiry_task(Duration::from_millis(10))
        .expect("spawn");
    wait_until(
        "a run to reach the blocking point",
        Duration::from_secs(10),
        || faults.entered.load(Ordering::SeqCst),
    )
    .await;
    let shutdown = tokio::spawn(task.shutdown());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        !shutdown.is_finished(),
        "shutdown returned while a run was half-way"
    );
    faults.release();
    let stats = tokio::time::timeout(Duration::from_secs(10), shutdown)
        .await
        .expect("shutdown returns once the run is done")
        .expect("join")
        .expect("shutdown");
    assert_eq!(
        stats.runs, 1,
        "the run finished and no other started: {stats:?}"
    );
    assert_eq!(stats.epochs_expired, 1, "{stats:?}");
    assert!(vault.vault().live_epochs().is_empty());
    let entries = verified_log(&path);
    assert_eq!(
        entries.last().map(|e| e.kind),
        Some(EntryKind::DeletionCertificate),
        "the expiry ran to its certificate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_task_handle_stops_the_task() {
    let dir = tempfile::tempdir().expect("tempdir");
    let faults = Arc::new(Faults::default());
    let (vault, _) = store_with_a_journaled_expiry(&dir.path().join("s"), &faults).await;
    faults.set(HOOK_FAIL_ALL);
    let task = vault
        .spawn_expiry_task(Duration::from_millis(10))
        .expect("spawn");
    let mut stats = task.subscribe();
    stats.wait_for(|s| s.runs >= 1).await.expect("a run");
    drop(task);
    // The statistics sender lives in the task: it closes when the task has ended.
    tokio::time::timeout(Duration::from_secs(5), async {
        while stats.changed().await.is_ok() {}
    })
    .await
    .expect("the task ends once its handle is dropped");
    let calls = faults.calls.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        faults.calls.load(Ordering::SeqCst),
        calls,
        "no run after the task ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_blocking_code_is_an_internal_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s");
    let faults = Arc::new(Faults::default());
    let (vault, epoch) = store_with_a_journaled_expiry(&path, &faults).await;
    faults.set(HOOK_PANIC);
    let err = vault
        .expire()
        .await
        .expect_err("the blocking code panicked");
    assert!(matches!(err, platevault::Error::Internal(_)), "{err:?}");
    assert!(
        err.to_string().contains("expire operation panicked"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("deliberate"),
        "the panic message (which could quote data) is not copied: {err}"
    );
    // The caller, its runtime and the handle survive: other operations keep working.
    faults.set(HOOK_OFF);
    let out = vault
        .search(request("OLD1", "DET-1"))
        .await
        .expect("search after a panic");
    assert!(out.is_allowed(), "{}", out.reason_code());
    assert!(out.reads.is_empty(), "past retention");
    assert_eq!(vault.holds().await.expect("holds"), Vec::new());
    assert!(vault.vault().live_epochs().contains(&epoch));
    verified_log(&path);
}

#[test]
fn async_calls_outside_a_runtime_are_errors_not_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = AsyncVault::new(
        Vault::create(
            &dir.path().join("s"),
            &MasterKey::generate().expect("key"),
            &Policy::default_policy(),
            &VaultOptions::new().simulated_clock(t("2026-11-10T12:00:00Z")),
        )
        .expect("create"),
    );
    let err = vault
        .spawn_expiry_task(Duration::from_secs(1))
        .expect_err("no runtime");
    assert!(err.to_string().contains("Tokio runtime"), "{err}");
    // Polled by a bare executor: an error, not a panic.
    let err = poll_once(vault.holds())
        .expect("ready")
        .expect_err("no runtime");
    assert!(err.to_string().contains("Tokio runtime"), "{err}");
}

/// Polls a future once with a no-op waker.
fn poll_once<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}
