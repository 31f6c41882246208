//! The async facade for tokio applications: [`AsyncVault`] and its background [`ExpiryTask`].
//!
//! Every operation of a [`Vault`] blocks its thread: it reads and writes RocksDB files, syncs
//! the write-ahead log, and a search makes its audit entry durable (an fsync) before it looks
//! at any data. [`AsyncVault`] runs each of them on tokio's blocking thread pool with
//! [`tokio::task::spawn_blocking`], so that the runtime's worker threads are never blocked
//! and other tasks keep running while a store operation waits for the disk. It does not use
//! `block_in_place`: that panics on a `current_thread` runtime, and even on a multi-thread
//! runtime it stalls every future that shares the calling task (the other branches of a
//! `join!` or `select!`). `spawn_blocking` works on both flavours. The price is a thread hop
//! per call and the blocking pool's limit (512 threads by default): calls beyond it queue.
//!
//! **Cancellation.** The blocking work starts when the returned future is first polled. From
//! then on, dropping the future (a timeout, a `select!` that picks another branch, an aborted
//! task) does **not** cancel it: the operation runs to completion on its blocking thread and
//! its result is discarded. A dropped `search` is still decided, audited and answered; a
//! dropped `ingest` may still have stored its reads, whose ids the caller never sees. Treat a
//! dropped call as "may have happened". A future that is never polled does nothing. A
//! blocking call that panics, or that the runtime discards unstarted because it is shutting
//! down, becomes an [`Error::Internal`] that names the operation, never a panic in the caller
//! (the panic's own message goes to standard error through the panic hook; it is not copied
//! into the error, since it could quote data). Every async method also returns
//! [`Error::Internal`] rather than panicking when it is polled outside a tokio runtime.
//!
//! **Background expiry.** [`AsyncVault::spawn_expiry_task`] starts a task that runs
//! [`Vault::expire`] at a fixed interval (first run one interval after the start; a store runs
//! expiry when it opens). A failed run is logged with `tracing::warn!` (the error's message,
//! which never carries plate text) and the task keeps going. [`ExpiryTask::shutdown`] stops it
//! gracefully: it waits for a run in progress to finish, so a clean stop never leaves an
//! expiry half-way (expiry is resumable after a crash, but a clean stop does not rely on it),
//! and returns the task's [`ExpiryStats`]. Dropping the [`ExpiryTask`] signals the task to stop
//! the same way (it finishes a run in progress, then ends); nothing is aborted. The task holds
//! a handle on the vault, so the store stays open until the task has stopped.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use platevault::AsyncVault;
//! use platevault::{
//!     CaseRequest, MasterKey, NewRead, Policy, SearchRequest, Timestamp, VaultOptions,
//! };
//!
//! let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let dir = tempfile::tempdir()?;
//!     let now = Timestamp::parse_rfc3339("2026-11-02T12:00:00Z")?;
//!     let vault = AsyncVault::create(
//!         dir.path().join("store"),
//!         MasterKey::generate()?,
//!         Policy::default_policy(),
//!         VaultOptions::new().simulated_clock(now),
//!     )
//!     .await?;
//!     let report = vault
//!         .ingest(vec![NewRead {
//!             plate: "7KQ-X291".into(),
//!             region: "CO".into(),
//!             captured_at: Some(Timestamp::parse_rfc3339("2026-11-02T08:15:00Z")?),
//!             camera: "CAM-17".into(),
//!             ..NewRead::default()
//!         }])
//!         .await?;
//!     assert_eq!(report.stored.len(), 1);
//!
//!     let outcome = vault
//!         .search(SearchRequest {
//!             case: CaseRequest {
//!                 plate: "7KQX291".into(),
//!                 region: "CO".into(),
//!                 case_number: "2026-001234".into(),
//!                 offense: "ROBBERY".into(),
//!                 purpose: "investigation".into(),
//!                 requester: "DET-42".into(),
//!                 agency: "CITY-PD".into(),
//!                 ..CaseRequest::default()
//!             },
//!             with_images: false,
//!         })
//!         .await?;
//!     assert!(outcome.is_allowed());
//!     assert_eq!(outcome.reads.len(), 1);
//!     assert_eq!(outcome.reads[0].body.camera, "CAM-17");
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })
//! # }
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinError, JoinHandle};
use tokio::time::{Instant, MissedTickBehavior};

use crate::crypto::keys::MasterKey;
use crate::engine::expiry::ExpiryReport;
use crate::engine::hold::{HoldInfo, HoldOutcome, ReleaseOutcome};
use crate::engine::hotlist::{AlertsOutcome, HotlistEntryInfo, HotlistOutcome, RemoveOutcome};
use crate::engine::ingest::IngestReport;
use crate::engine::reviewer_check::{JustificationReview, ReviewerOutcome};
use crate::engine::rotation::RotationReport;
use crate::engine::search::{SearchOutcome, SearchRequest};
use crate::error::{Error, Result};
use crate::model::epoch::{Epoch, Timestamp};
use crate::model::record::NewRead;
use crate::policy::{AlertsRequest, CaseRequest, Policy, RemovalRequest};
use crate::vault::{PolicyChange, StoreInfo, Vault, VaultOptions};

/// The shortest interval the background expiry task accepts; shorter ones are raised to it.
pub const MIN_EXPIRY_INTERVAL: Duration = Duration::from_millis(1);

/// A cheap-to-clone async handle on an open [`Vault`]; every blocking call runs on tokio's
/// blocking pool.
#[derive(Clone, Debug)]
pub struct AsyncVault {
    vault: Vault,
}

impl From<Vault> for AsyncVault {
    fn from(vault: Vault) -> Self {
        AsyncVault { vault }
    }
}

/// Every blocking operation of [`Vault`], once: each line becomes an async method that runs
/// the vault's method on tokio's blocking pool, with the same name, arguments (owned, since
/// they move to the blocking thread) and result. `tests/async_vault_covers_vault.rs` fails
/// when a `Vault` operation is missing from this list.
macro_rules! blocking_operations {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = |$vault:ident| $call:expr;
    )*) => {
        impl AsyncVault {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
                    let $vault = self.vault.clone();
                    run_blocking(stringify!($name), move || $call).await
                }
            )*
        }
    };
}

blocking_operations! {
    /// Validates, seals and stores reads in one atomic batch, as [`Vault::ingest`].
    fn ingest(reads: Vec<NewRead>) -> IngestReport = |vault| vault.ingest(reads);
    /// The only read path: policy, durable audit entry, then the lookup, as [`Vault::search`].
    fn search(request: SearchRequest) -> SearchOutcome = |vault| vault.search(&request);
    /// Runs expiry now, as [`Vault::expire`].
    fn expire() -> ExpiryReport = |vault| vault.expire();
    /// Places a legal hold on what `request` finds until `until`, as [`Vault::hold`].
    fn hold(request: CaseRequest, until: Timestamp) -> HoldOutcome =
        |vault| vault.hold(&request, until);
    /// Releases the requesting agency's hold on a case (gated: only its owner may; audited
    /// before anything is destroyed), as [`Vault::release_hold`].
    fn release_hold(case: String, request: RemovalRequest) -> ReleaseOutcome =
        |vault| vault.release_hold(&case, &request);
    /// Every hold in force, as [`Vault::holds`].
    fn holds() -> Vec<HoldInfo> = |vault| vault.holds();
    /// Adds a case-tied hotlist entry (decided and audited like a search), as
    /// [`Vault::hotlist_add`].
    fn hotlist_add(request: CaseRequest, expires: Timestamp) -> HotlistOutcome =
        |vault| vault.hotlist_add(&request, expires);
    /// Removes a hotlist entry (gated: only its owner may; audited first), as
    /// [`Vault::hotlist_remove`].
    fn hotlist_remove(entry_id: String, request: RemovalRequest) -> RemoveOutcome =
        |vault| vault.hotlist_remove(&entry_id, &request);
    /// Every live hotlist entry, as [`Vault::hotlist`].
    fn hotlist() -> Vec<HotlistEntryInfo> = |vault| vault.hotlist();
    /// One agency's hotlist alerts for one case (gated and audited), as [`Vault::alerts`].
    fn alerts(request: AlertsRequest) -> AlertsOutcome = |vault| vault.alerts(&request);
    /// The reviewer check (audited, rate-limited), as [`Vault::reviewer_check`].
    fn reviewer_check(plate: String, region: String, reviewer: String) -> ReviewerOutcome =
        |vault| vault.reviewer_check(&plate, &region, &reviewer);
    /// The justification review (audited, rate-limited), as [`Vault::review_justifications`].
    fn review_justifications(
        reviewer: String,
        from: Option<Timestamp>,
        to: Option<Timestamp>
    ) -> JustificationReview = |vault| vault.review_justifications(&reviewer, from, to);
    /// Replaces the policy (audited), as [`Vault::apply_policy`].
    fn apply_policy(policy: Policy) -> PolicyChange = |vault| vault.apply_policy(&policy);
    /// Re-wraps every live key under `new_master`, as [`Vault::rotate_master_key`].
    fn rotate_master_key(new_master: MasterKey) -> RotationReport =
        |vault| vault.rotate_master_key(&new_master);
    /// Moves a simulation store's clock forward (and runs expiry if due), as
    /// [`Vault::advance_clock`].
    fn advance_clock(t: Timestamp) -> Timestamp = |vault| vault.advance_clock(t);
    /// How many reads an epoch holds, as [`Vault::epoch_read_count`].
    fn epoch_read_count(epoch: Epoch) -> u64 = |vault| vault.epoch_read_count(epoch);
    /// Flushes every memtable to disk, as [`Vault::flush`].
    fn flush() -> () = |vault| vault.flush();
    /// The store's identity: its id and checkpoint public key, as [`Vault::info`].
    fn info() -> StoreInfo = |vault| vault.info();
}

impl AsyncVault {
    /// Wraps an open vault (the two share the store).
    pub fn new(vault: Vault) -> Self {
        AsyncVault { vault }
    }

    /// Creates a store in `dir`, as [`Vault::create`]. Keys are taken by value so that the
    /// facade never clones one; each is zeroised when dropped on the blocking thread.
    pub async fn create(
        dir: impl Into<PathBuf>,
        master: MasterKey,
        policy: Policy,
        options: VaultOptions,
    ) -> Result<AsyncVault> {
        let dir = dir.into();
        run_blocking("create", move || {
            Vault::create(&dir, &master, &policy, &options).map(AsyncVault::new)
        })
        .await
    }

    /// Opens the store in `dir`, as [`Vault::open`] (which completes interrupted expiries).
    pub async fn open(
        dir: impl Into<PathBuf>,
        master: MasterKey,
        options: VaultOptions,
    ) -> Result<AsyncVault> {
        let dir = dir.into();
        run_blocking("open", move || {
            Vault::open(&dir, &master, &options).map(AsyncVault::new)
        })
        .await
    }

    /// The store's clock now (does not block).
    pub fn now(&self) -> Timestamp {
        self.vault.now()
    }

    /// The policy in force (does not block).
    pub fn policy(&self) -> Arc<Policy> {
        self.vault.policy()
    }

    /// The synchronous vault underneath (for its other accessors; its calls block).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Unwraps the synchronous vault.
    pub fn into_vault(self) -> Vault {
        self.vault
    }

    /// Starts the background expiry task: [`Vault::expire`] every `interval` (at least
    /// [`MIN_EXPIRY_INTERVAL`]), the first run one interval from now; a run that overruns
    /// delays the next tick rather than bunching runs up. Fails only outside a tokio runtime.
    pub fn spawn_expiry_task(&self, interval: Duration) -> Result<ExpiryTask> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Internal(
                "AsyncVault::spawn_expiry_task must be called from inside a Tokio runtime".into(),
            )
        })?;
        let period = interval.max(MIN_EXPIRY_INTERVAL);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (request_tx, request_rx) = mpsc::channel(16);
        let (stats_tx, stats_rx) = watch::channel(ExpiryStats::default());
        let task = handle.spawn(expiry_loop(
            self.vault.clone(),
            period,
            stop_rx,
            request_rx,
            stats_tx,
        ));
        Ok(ExpiryTask {
            stop: stop_tx,
            requests: request_tx,
            stats: stats_rx,
            task,
        })
    }
}

/// Runs `f` on the blocking pool of the current runtime; a panic or a cancellation becomes an
/// [`Error::Internal`] naming `what`.
async fn run_blocking<T, F>(what: &'static str, f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::try_current().map_err(|_| {
        Error::Internal(format!(
            "AsyncVault::{what} was polled outside a Tokio runtime; run it on one (or use the synchronous Vault)"
        ))
    })?;
    match handle.spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(join_failure(what, &e)),
    }
}

/// The error for a blocking or background task that did not return.
fn join_failure(what: &str, e: &JoinError) -> Error {
    if e.is_panic() {
        Error::Internal(format!(
            "the {what} operation panicked on its thread (its message went to standard error); this is a bug, please report it"
        ))
    } else {
        Error::Internal(format!(
            "the {what} operation was cancelled because the Tokio runtime is shutting down"
        ))
    }
}

/// What the background expiry task has done so far.
///
/// The last error is kept as its message: [`Error`] is not `Clone`, and the statistics are
/// shared through a channel. Error messages never carry plate text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryStats {
    /// Expiry runs finished, successful or not.
    pub runs: u64,
    /// Runs that returned an error.
    pub failed_runs: u64,
    /// Epochs destroyed by the task's runs.
    pub epochs_expired: u64,
    /// Reads those epochs held.
    pub reads_removed: u64,
    /// Holds released because they reached their end date.
    pub holds_released: u64,
    /// The message of the most recent failed run, if any run failed.
    pub last_error: Option<String>,
}

impl ExpiryStats {
    fn record(&mut self, result: &Result<ExpiryReport>) {
        self.runs += 1;
        match result {
            Ok(report) => {
                self.epochs_expired += report.expired_epochs.len() as u64;
                self.reads_removed += report.reads_removed;
                self.holds_released += report.holds_released.len() as u64;
            }
            Err(e) => {
                self.failed_runs += 1;
                self.last_error = Some(e.to_string());
            }
        }
    }
}

/// A request for an immediate run, answered with that run's result.
type RunRequest = oneshot::Sender<Result<ExpiryReport>>;

/// The handle on a running background expiry task; stop it with [`ExpiryTask::shutdown`]
/// (dropping it also stops the task, after any run in progress).
#[derive(Debug)]
pub struct ExpiryTask {
    stop: watch::Sender<bool>,
    requests: mpsc::Sender<RunRequest>,
    stats: watch::Receiver<ExpiryStats>,
    task: JoinHandle<ExpiryStats>,
}

impl ExpiryTask {
    /// Runs expiry now, on the task (so never beside one of its own runs), and returns what
    /// that run did; the next timed run comes one full interval later.
    pub async fn run_now(&self) -> Result<ExpiryReport> {
        let (reply_tx, reply_rx) = oneshot::channel();
        self.requests
            .send(reply_tx)
            .await
            .map_err(|_| Error::Internal("the background expiry task has stopped".into()))?;
        reply_rx.await.map_err(|_| {
            Error::Internal("the background expiry task stopped before running expiry".into())
        })?
    }

    /// What the task has done so far (does not block).
    pub fn stats(&self) -> ExpiryStats {
        self.stats.borrow().clone()
    }

    /// A receiver that sees the statistics change after every run (to wait for one).
    pub fn subscribe(&self) -> watch::Receiver<ExpiryStats> {
        self.stats.clone()
    }

    /// True once the task has ended (after a shutdown, or if it failed).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the task: waits for a run in progress to finish, starts no other, and returns
    /// the task's statistics.
    pub async fn shutdown(self) -> Result<ExpiryStats> {
        // An error means the task has already ended; awaiting it says how.
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| join_failure("background expiry", &e))
    }
}

/// The background task's loop: wait for a stop signal, a run request or the next tick; run
/// expiry to completion (never raced against the stop signal); record and repeat.
async fn expiry_loop(
    vault: Vault,
    period: Duration,
    mut stop: watch::Receiver<bool>,
    mut requests: mpsc::Receiver<RunRequest>,
    stats: watch::Sender<ExpiryStats>,
) -> ExpiryStats {
    let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let reply = tokio::select! {
            biased;
            // A stop signal, or the ExpiryTask dropped (the sender gone): stop either way.
            _ = stop.changed() => break,
            request = requests.recv() => match request {
                Some(reply) => Some(reply),
                None => break,
            },
            _ = ticker.tick() => None,
        };
        if reply.is_some() {
            ticker.reset();
        }
        let v = vault.clone();
        // Awaited outside the select: a stop signal waits for the run to finish.
        let result = run_blocking("background expiry", move || v.expire()).await;
        stats.send_modify(|s| s.record(&result));
        match &result {
            Ok(report) if !report.expired_epochs.is_empty() => tracing::info!(
                epochs = report.expired_epochs.len(),
                reads = report.reads_removed,
                "background expiry destroyed epochs past retention"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(
                error = %e,
                "background expiry failed; it will be retried at the next interval"
            ),
        }
        if let Some(reply) = reply {
            // The caller may have given up waiting; the run happened all the same.
            let _ = reply.send(result);
        }
    }
    stats.borrow().clone()
}
