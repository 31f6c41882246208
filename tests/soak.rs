//! Load (soak): a simulation store under the default policy (30-day retention, daily epochs)
//! lives through a long simulated period with everything running at once through the async
//! facade: two concurrent ingest streams of synthetic city traffic (commuters, a long tail,
//! and four hotlisted plates that pass cameras a few times a day), two search loops, hotlist
//! matching at ingest (entries renewed every 20 simulated days under new cases), and the
//! background expiry task, while the simulated clock moves steadily forward one hour at a
//! time. It checks that the store's accounted memory (`Vault::memory_usage`) stays within
//! its configured budget and that the process's resident memory does not grow between the
//! first and last quarter of the run (a leak check, not a memory target: those belong to the
//! benchmarks); that live epochs never exceed retention / epoch + 1 once an expiry has run;
//! that no search returns a read past retention and every read within it is found; that every
//! alert is exactly one per read of a hotlisted plate while its entry is in force, and no
//! other; that the background expiry task never failed; and that the audit log verifies
//! (beside the writer half-way, and at the end), has no gaps, and holds one decision entry
//! per search and one entry per alert.
//!
//! The CI version runs 90 simulated days (`PLATEVAULT_SOAK_DAYS` to change it); the long
//! version runs for `PLATEVAULT_SOAK_SECS` seconds of wall time, thousands of simulated days
//! (see `docs/reliability.md`), printing its figures every minute.

mod support;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use platevault::audit::entry::EntryKind;
use platevault::crypto::seal::ReadId;
use platevault::{
    Alert, AsyncVault, CaseRequest, MasterKey, NewRead, Policy, RemovalRequest, SearchRequest,
    Span, StoreTuning, Timestamp, VaultOptions,
};
use support::*;

/// The simulated clock's start (a Monday).
const T0: &str = "2026-01-05T00:00:00Z";
/// Simulated days of the CI version.
const CI_DAYS: u64 = 90;
/// The default policy's retention and epoch width.
const RETENTION: Span = Span::from_days(30);
const MAX_LIVE_EPOCHS: usize = 30 + 1;
/// Hotlisted plates (they also pass cameras as ordinary traffic).
const HOT_PLATES: [&str; 4] = ["HOT1X01", "HOT2X02", "HOT3X03", "HOT4X04"];
/// Hotlist entries run 29 days and are replaced every 20.
const HOTLIST_DAYS: u64 = 29;
const RENEW_EVERY_DAYS: u64 = 20;
/// Commuter vehicles and cameras of the synthetic city.
const COMMUTERS: u64 = 3_000;
const CAMERAS: u64 = 120;
/// The memory budget of the store under test: a quarter of the default. (The cache is not a
/// hard limit: pinned index and filter blocks and the memtables take what they need, about
/// 5 MiB here, so a budget much under that is exceeded.)
const TUNING: StoreTuning = StoreTuning {
    block_cache_bytes: 32 << 20,
    write_buffer_total_bytes: 16 << 20,
    epoch_write_buffer_bytes: 4 << 20,
    min_blob_bytes: 2048,
};

/// Relative traffic at an hour of the day: rush hours around 08:00 and 17:00.
fn hour_weight(hour: u64) -> u64 {
    match hour {
        0..=5 => 1,
        7..=9 | 16..=18 => 6,
        _ => 3,
    }
}

/// The reads captured in simulated hour `h` (since T0), from the seed; hotlisted plates
/// pass about twice a day each.
fn traffic(seed: u64, t0: Timestamp, h: u64) -> Vec<NewRead> {
    let mut rng = Rng::new(seed ^ h.wrapping_mul(0xA24B_AED4_963E_E407));
    let start = t0.plus(Span::from_hours(h));
    let weekend = (h / 24) % 7 >= 5;
    let n = 12 * hour_weight(h % 24) / if weekend { 2 } else { 1 } + rng.below(8);
    let mut out = Vec::with_capacity(n as usize + 4);
    let at = |rng: &mut Rng| start.plus(Span::from_secs(rng.below(3_600)));
    for _ in 0..n {
        let plate = if rng.chance(45) {
            format!("K{:05}X", rng.below(COMMUTERS))
        } else {
            format!("T{}", rng.below(100_000_000))
        };
        let cam = format!("CAM-{}", rng.below(CAMERAS));
        out.push(read(&plate, at(&mut rng), &cam));
    }
    for hot in HOT_PLATES {
        if rng.below(12) == 0 {
            let cam = format!("CAM-{}", rng.below(CAMERAS));
            out.push(read(hot, at(&mut rng), &cam));
        }
    }
    out
}

/// A hotlist request for `plate` under `case`.
fn hotlist_request(plate: &str, case: &str, requester: &str) -> CaseRequest {
    CaseRequest {
        plate: plate.into(),
        region: "CO".into(),
        case_number: case.into(),
        offense: "STOLEN_VEHICLE".into(),
        purpose: "stolen-vehicle".into(),
        requester: requester.into(),
        agency: "CITY-PD".into(),
        justification: Some("reported stolen, watch for it".into()),
        ..CaseRequest::default()
    }
}

/// One hotlist entry in force.
#[derive(Clone, Debug)]
struct HotEntry {
    entry_id: String,
    case: String,
}

/// A read stored, for the searchers and the alert checks.
#[derive(Clone, Debug)]
struct Stored {
    plate: String,
    read_id: ReadId,
    captured_at: Timestamp,
    camera: String,
}

/// A count of alerts and a wrapping sum of a hash of each (read, entry, case): two equal
/// digests mean the same alerts, whatever their order.
#[derive(Debug, Default, PartialEq, Eq)]
struct AlertDigest {
    count: u64,
    sum: u128,
}

impl AlertDigest {
    fn add(&mut self, a: &Alert) {
        let h = blake3::hash(format!("{}/{}/{}", a.read_id, a.entry_id, a.case).as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&h.as_bytes()[..16]);
        self.count += 1;
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(b));
    }
}

/// One memory sample.
#[derive(Clone, Copy, Debug)]
struct Sample {
    secs: f64,
    day: f64,
    rss_kib: u64,
    cache_bytes: usize,
}

/// Counters shared by the tasks.
#[derive(Default)]
struct Counters {
    searches: AtomicU64,
    reads_returned: AtomicU64,
    reads_expected_found: AtomicU64,
    ingested: AtomicU64,
    alerts: AtomicU64,
    hotlist_adds: AtomicU64,
}

#[test]
fn soak_concurrent_ingest_search_hotlist_and_background_expiry() {
    let secs = std::env::var("PLATEVAULT_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    let days = env_u64("PLATEVAULT_SOAK_DAYS", CI_DAYS);
    let seed = env_u64("PLATEVAULT_SOAK_SEED", 7);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(soak(secs, days, seed));
}

async fn soak(secs: Option<u64>, days: u64, seed: u64) {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let t0 = t(T0);
    let av = AsyncVault::create(
        dir.clone(),
        MasterKey::generate().expect("key"),
        Policy::default_policy(),
        VaultOptions::new().simulated_clock(t0).tuning(TUNING),
    )
    .await
    .expect("create");
    let expiry = av
        .spawn_expiry_task(Duration::from_millis(20))
        .expect("expiry task");
    let subscribed = av.vault().subscribe_alerts();
    let counters = Arc::new(Counters::default());
    let recent: Arc<Mutex<VecDeque<Stored>>> = Arc::new(Mutex::new(VecDeque::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let failures: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::new(Mutex::new(Vec::new()));
    let sim_day = Arc::new(AtomicU64::new(0));

    // Searchers: a recent read must be found while within retention; nothing past it returns.
    let mut searchers = Vec::new();
    let searcher_count = env_u64("PLATEVAULT_SOAK_SEARCHERS", 2);
    for s in 0..searcher_count {
        let (av, counters, recent, stop, failures) = (
            av.clone(),
            Arc::clone(&counters),
            Arc::clone(&recent),
            Arc::clone(&stop),
            Arc::clone(&failures),
        );
        searchers.push(tokio::spawn(async move {
            let mut rng = Rng::new(seed ^ (0x5EA7 + s));
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let target = {
                    let r = recent.lock().expect("recent");
                    if r.is_empty() {
                        None
                    } else {
                        r.get(rng.below(r.len() as u64) as usize).cloned()
                    }
                };
                let Some(target) = target else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                n += 1;
                let before = av.now();
                let out = av
                    .search(SearchRequest {
                        case: request(&target.plate, CASE, &format!("S{s}-{n}")),
                        with_images: false,
                    })
                    .await;
                let after = av.now();
                let problem = match out {
                    Err(e) => Some(format!("search failed: {e}")),
                    Ok(out) if !out.is_allowed() => Some(format!("search denied: {:?}", out.decision)),
                    Ok(out) => {
                        counters.searches.fetch_add(1, Ordering::Relaxed);
                        counters
                            .reads_returned
                            .fetch_add(out.reads.len() as u64, Ordering::Relaxed);
                        let horizon = before.minus(RETENTION);
                        let hit = out.reads.iter().find(|r| r.read_id == target.read_id);
                        if let Some(r) = out.reads.iter().find(|r| r.body.captured_at <= horizon) {
                            Some(format!(
                                "a search at {before}..{after} returned a read captured at {}, past retention",
                                r.body.captured_at
                            ))
                        } else if target.captured_at > after.minus(RETENTION) && hit.is_none() {
                            Some(format!(
                                "read {} of {} captured at {} is within retention at {after} but the search did not return it",
                                target.read_id.to_hex(),
                                target.plate,
                                target.captured_at
                            ))
                        } else if let Some(r) = hit
                            && (r.body.captured_at != target.captured_at
                                || r.body.camera != target.camera)
                        {
                            Some(format!("read {} came back altered", target.read_id.to_hex()))
                        } else {
                            if hit.is_some() {
                                counters.reads_expected_found.fetch_add(1, Ordering::Relaxed);
                            }
                            None
                        }
                    }
                };
                if let Some(p) = problem {
                    failures.lock().expect("failures").push(p);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }));
    }

    // Memory sampler.
    let sampler = {
        let (av, stop, samples, sim_day) = (
            av.clone(),
            Arc::clone(&stop),
            Arc::clone(&samples),
            Arc::clone(&sim_day),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let s = Sample {
                    secs: started.elapsed().as_secs_f64(),
                    day: sim_day.load(Ordering::Relaxed) as f64 / 24.0,
                    rss_kib: vm_rss_kib(),
                    cache_bytes: av.vault().memory_usage(),
                };
                samples.lock().expect("samples").push(s);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };

    // The clock: one simulated hour at a time; each hour's traffic is ingested by two
    // concurrent streams once the clock has reached the hour's end.
    let mut hot: BTreeMap<&str, HotEntry> = BTreeMap::new();
    let mut generation = 0u64;
    // The alerts ingest reported and those subscribers got, as a count and an
    // order-independent digest each (the test keeps no per-alert state: a long run's own
    // memory must not grow).
    let mut reported = AlertDigest::default();
    let mut delivered = AlertDigest::default();
    let mut hot_reads = 0u64;
    let mut max_live = 0usize;
    let mut requests = 0u64;
    let mut last_report = Instant::now();
    let mut midway = None;
    let total_hours = days * 24;
    let mut h = 0u64;
    loop {
        let done = match secs {
            Some(limit) => started.elapsed() >= Duration::from_secs(limit),
            None => h >= total_hours,
        };
        if done || !failures.lock().expect("failures").is_empty() {
            break;
        }
        if h.is_multiple_of(RENEW_EVERY_DAYS * 24) {
            // Replace every entry: the old one goes first, so that no read matches two.
            generation += 1;
            for (i, plate) in HOT_PLATES.iter().enumerate() {
                if let Some(old) = hot.remove(plate) {
                    let removed = av
                        .vault()
                        .hotlist_remove(
                            &old.entry_id,
                            &RemovalRequest {
                                requester: "H-REMOVE".into(),
                                agency: "CITY-PD".into(),
                                role: None,
                            },
                        )
                        .expect("hotlist remove");
                    assert!(
                        removed.removed,
                        "hotlist entry {} was in force",
                        old.entry_id
                    );
                }
                requests += 1;
                let case = format!("2026-7{generation:04}{i:02}");
                let now = av.now();
                let out = av
                    .vault()
                    .hotlist_add(
                        &hotlist_request(plate, &case, &format!("H-{requests}")),
                        now.plus(Span::from_days(HOTLIST_DAYS)),
                    )
                    .expect("hotlist add");
                let entry = out
                    .entry
                    .unwrap_or_else(|| panic!("hotlist add denied: {:?}", out.decision));
                counters.hotlist_adds.fetch_add(1, Ordering::Relaxed);
                hot.insert(
                    plate,
                    HotEntry {
                        entry_id: entry.entry_id,
                        case,
                    },
                );
            }
        }
        h += 1;
        sim_day.store(h, Ordering::Relaxed);
        let now = av
            .advance_clock(t0.plus(Span::from_hours(h)))
            .await
            .expect("advance clock");
        let live = av.vault().live_epochs().len();
        max_live = max_live.max(live);
        assert!(
            live <= MAX_LIVE_EPOCHS,
            "{live} live epochs at {now}, after expiry ran: at most {MAX_LIVE_EPOCHS} may be"
        );

        let mut reads = traffic(seed, t0, h - 1);
        let half = reads.split_off(reads.len() / 2);
        let copies: Vec<Vec<NewRead>> = vec![reads.clone(), half.clone()];
        let (a, b) = tokio::join!(av.ingest(reads), av.ingest(half));
        for (batch, report) in copies.iter().zip([a, b]) {
            let report = report.expect("ingest");
            assert!(
                report.rejected.is_empty(),
                "reads refused: {:?}",
                report.rejected
            );
            counters
                .ingested
                .fetch_add(report.stored.len() as u64, Ordering::Relaxed);
            let mut expected_alerts = BTreeSet::new();
            let mut stored = Vec::with_capacity(report.stored.len());
            for s in &report.stored {
                let r = &batch[s.index];
                let captured_at = r.captured_at.expect("time");
                if let Some(entry) = hot.get(r.plate.as_str()) {
                    expected_alerts.insert(s.read_id.to_hex());
                    hot_reads += 1;
                    stored.push((
                        Stored {
                            plate: r.plate.clone(),
                            read_id: s.read_id,
                            captured_at,
                            camera: r.camera.clone(),
                        },
                        Some(entry.clone()),
                    ));
                } else {
                    stored.push((
                        Stored {
                            plate: r.plate.clone(),
                            read_id: s.read_id,
                            captured_at,
                            camera: r.camera.clone(),
                        },
                        None,
                    ));
                }
            }
            let got: BTreeSet<String> = report.alerts.iter().map(|a| a.read_id.clone()).collect();
            assert_eq!(
                got.len(),
                report.alerts.len(),
                "one alert per hotlisted read, not more"
            );
            assert_eq!(
                got, expected_alerts,
                "alerts must be exactly the reads of hotlisted plates"
            );
            for alert in &report.alerts {
                let (s, entry) = stored
                    .iter()
                    .find(|(s, _)| s.read_id.to_hex() == alert.read_id)
                    .expect("the alert's read");
                let entry = entry.as_ref().expect("a hotlisted read");
                assert_eq!(alert.case, entry.case, "the alert names its entry's case");
                assert_eq!(alert.entry_id, entry.entry_id, "the alert names its entry");
                assert_eq!(alert.captured_at, s.captured_at);
                assert_eq!(alert.camera, s.camera);
                reported.add(alert);
            }
            counters
                .alerts
                .fetch_add(report.alerts.len() as u64, Ordering::Relaxed);
            for a in subscribed.try_iter() {
                delivered.add(&a);
            }
            let mut r = recent.lock().expect("recent");
            for (s, _) in stored {
                r.push_back(s);
            }
            while r.len() > 5_000 {
                r.pop_front();
            }
        }

        let halfway = match secs {
            Some(limit) => started.elapsed() >= Duration::from_secs(limit / 2),
            None => h >= total_hours / 2,
        };
        if halfway && midway.is_none() {
            // The audit log verifies read-only beside the writer, which keeps going.
            let dir = dir.clone();
            midway = Some(tokio::task::spawn_blocking(move || {
                let started_verify = Instant::now();
                audit_verifies(&dir).map(|size| (size, started_verify.elapsed()))
            }));
        }
        if secs.is_some() && last_report.elapsed() >= Duration::from_secs(60) {
            last_report = Instant::now();
            eprintln!(
                "soak: {:.0} s, day {:.1}, {} reads, {} searches, {} alerts, RSS {} MiB, cache {} MiB, {} live epochs",
                started.elapsed().as_secs_f64(),
                h as f64 / 24.0,
                counters.ingested.load(Ordering::Relaxed),
                counters.searches.load(Ordering::Relaxed),
                counters.alerts.load(Ordering::Relaxed),
                vm_rss_kib() / 1024,
                av.vault().memory_usage() >> 20,
                live,
            );
        }
    }

    stop.store(true, Ordering::Relaxed);
    for s in searchers {
        s.await.expect("searcher");
    }
    sampler.await.expect("sampler");
    let stats = expiry.shutdown().await.expect("expiry task");
    match midway {
        Some(task) => match task.await.expect("join") {
            Ok((size, took)) => eprintln!(
                "soak: half-way, the audit log of {size} entries verified beside the writer in {:.1} s",
                took.as_secs_f64()
            ),
            Err(e) => failures.lock().expect("failures").push(format!(
                "half-way audit verification beside the writer: {e}"
            )),
        },
        None => failures
            .lock()
            .expect("failures")
            .push("the half-way audit verification never ran".into()),
    }
    let failures = failures.lock().expect("failures").clone();
    assert!(failures.is_empty(), "soak failures: {failures:#?}");
    assert_eq!(
        stats.failed_runs, 0,
        "the background expiry task failed: {:?}",
        stats.last_error
    );

    // Alerts: what subscribers got is what ingest reported.
    for a in subscribed.try_iter() {
        delivered.add(&a);
    }
    assert_eq!(
        delivered, reported,
        "subscribers got exactly the reported alerts"
    );
    assert_eq!(hot_reads, reported.count);

    let vault = av.into_vault();
    let holds = vault.holds().expect("holds");
    drop(vault);

    // The audit log: verifies, no gaps, one decision per search, one entry per alert, every
    // expiry certified.
    let started_verify = Instant::now();
    let entries = audit_entries_verified(&dir).expect("audit log");
    eprintln!(
        "soak: at the end, the audit log of {} entries verified in {:.1} s",
        entries.len(),
        started_verify.elapsed().as_secs_f64()
    );
    let searches = counters.searches.load(Ordering::Relaxed);
    assert_eq!(count_kind(&entries, EntryKind::Search) as u64, searches);
    assert_eq!(
        count_kind(&entries, EntryKind::SearchResult) as u64,
        searches
    );
    assert_eq!(
        count_kind(&entries, EntryKind::HotlistAlert) as u64,
        counters.alerts.load(Ordering::Relaxed)
    );
    assert_eq!(
        count_kind(&entries, EntryKind::HotlistAdd) as u64,
        counters.hotlist_adds.load(Ordering::Relaxed)
    );
    let certified = expiries_complete(&entries).expect("expiries complete");
    let hours_run = h;
    if hours_run >= 40 * 24 {
        assert!(!certified.is_empty(), "epochs expired during the run");
    }

    // Memory: the accounted memory within its budget; RSS flat between the quarters.
    let samples = samples.lock().expect("samples").clone();
    let max_cache = samples.iter().map(|s| s.cache_bytes).max().unwrap_or(0);
    assert!(
        max_cache <= TUNING.block_cache_bytes,
        "the store's accounted memory reached {max_cache} bytes, over its budget of {}",
        TUNING.block_cache_bytes
    );
    let elapsed = samples.last().map_or(0.0, |s| s.secs);
    let quarter = |from: f64, to: f64| -> u64 {
        samples
            .iter()
            .filter(|s| s.secs >= elapsed * from && s.secs <= elapsed * to)
            .map(|s| s.rss_kib)
            .max()
            .unwrap_or(0)
    };
    let (first_q, last_q) = (quarter(0.0, 0.25), quarter(0.75, 1.0));
    eprintln!(
        "soak: {:.1} s wall, {:.1} simulated days, {} reads ingested, {} searches returning {} reads ({} targeted reads found), {} alerts on {} hotlisted reads, {} hotlist entries added, {} epochs certified deleted ({} by the background task in {} runs, 0 failed), {} holds in force at the end, {} audit entries, live epochs at most {max_live}; RSS max first quarter {} MiB, last quarter {} MiB, peak {} MiB; store accounted memory peak {} MiB of a {} MiB budget",
        started.elapsed().as_secs_f64(),
        hours_run as f64 / 24.0,
        counters.ingested.load(Ordering::Relaxed),
        searches,
        counters.reads_returned.load(Ordering::Relaxed),
        counters.reads_expected_found.load(Ordering::Relaxed),
        counters.alerts.load(Ordering::Relaxed),
        hot_reads,
        counters.hotlist_adds.load(Ordering::Relaxed),
        certified.len(),
        stats.epochs_expired,
        stats.runs,
        holds.len(),
        entries.len(),
        first_q / 1024,
        last_q / 1024,
        samples.iter().map(|s| s.rss_kib).max().unwrap_or(0) / 1024,
        max_cache >> 20,
        TUNING.block_cache_bytes >> 20,
    );
    let step = (samples.len() / 10).max(1);
    for s in samples.iter().step_by(step) {
        eprintln!(
            "soak sample: {:>7.1} s  day {:>7.1}  RSS {:>4} MiB  cache {:>3} MiB",
            s.secs,
            s.day,
            s.rss_kib / 1024,
            s.cache_bytes >> 20
        );
    }
    assert!(
        searcher_count == 0 || searches > 100,
        "the searchers ran ({searches} searches)"
    );
    if first_q > 0 {
        assert!(
            last_q <= first_q.saturating_mul(2).max(first_q + 128 * 1024),
            "resident memory grew from {} MiB (first quarter) to {} MiB (last quarter): a leak?",
            first_q / 1024,
            last_q / 1024
        );
    }
}
