//! The audit log: every search, allowed or denied, in a tamper-evident Merkle tree log in the
//! manner of Certificate Transparency (RFC 9162, with BLAKE3 as the hash).
//!
//! - [`merkle`]: the tree, its proofs and their verifiers (generic over the hash);
//! - [`checkpoint`]: signed tree heads in the C2SP `tlog-checkpoint` signed-note format;
//! - [`entry`]: what an entry records and its canonical bytes;
//! - `log` (crate-private): the durable log in the store (O(log n) appends, rate-limit and
//!   reviewer indexes);
//! - [`report`]: the transparency report, counted from the entries;
//! - [`binding`]: the header's behaviour fields bound to the log (for keyless readers);
//! - [`policy_history`]: every policy the store has had, read from the log, and its checks.

pub mod binding;
pub mod checkpoint;
pub mod entry;
// The writer (appends, indexes, payload records): crate-private, public only to the
// project's tests and fuzz targets.
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod log;
#[cfg(not(feature = "testing"))]
pub(crate) mod log;
pub mod merkle;
pub mod policy_history;
pub mod report;
