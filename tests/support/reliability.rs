//! The reliability harnesses' tools (crash, soak, disk-full and trap tests): a seeded
//! random number generator, the crash points, a watchdog for stalls, resident memory and
//! knobs from the environment.

/// SplitMix64: small, fast and the same on every machine. Not for secrets.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose whole sequence follows from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x6A09_E667_F3BC_C909)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, n)` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A number in `[lo, hi]`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Every crash point of expiry (`expiry::points`, crate-private; spelled as in src/expiry.rs).
pub const EXPIRY_POINTS: [&str; 4] = [
    "expiry:after-intent",
    "expiry:after-keys-destroyed",
    "expiry:after-drop",
    "expiry:after-purge",
];
/// Every crash point of rotation (`rotation::points`, spelled as in src/rotation.rs).
pub const ROTATION_POINTS: [&str; 4] = [
    "rotation:after-prepare",
    "rotation:after-header-both",
    "rotation:after-commit",
    "rotation:after-header-new",
];

/// Runs `f` on a thread and fails the test if it has not finished within `limit` (a stalled
/// RocksDB write would otherwise hang the test run forever). A panic in `f` is re-raised.
pub fn within<F: FnOnce() + Send + 'static>(limit: std::time::Duration, what: &str, f: F) {
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => worker.join().expect("worker"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?}: it is stalled")
        }
    }
}
/// The process's resident set size, in KiB (`VmRSS` of `/proc/self/status`); 0 where there
/// is no procfs.
pub fn vm_rss_kib() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A number from an environment variable, or `default` when it is unset or unparseable.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}
