//! The helpers every integration test shares, one module per concept; `use support::*`
//! brings them all in. Nothing here is a mock: every helper works on a real store on disk.
// Each integration test is its own crate and uses only some of these helpers (and so only
// some of the re-exports below).
#![allow(dead_code, unused_imports)]

/// The audit log read back without the key: entries, counts, verifications.
pub mod audit;
/// Running the `platevault` binary and the stores it makes.
pub mod cli;
/// Hex and RFC 9162 proof checks independent of the crate.
pub mod proofs;
/// Raw RocksDB readers and writers, key layouts, ciphertext scans.
pub mod raw;
/// Reads to ingest (library and JSON Lines) and synthetic images.
pub mod reads;
/// The reliability harnesses' tools: seeded RNG, crash points, watchdog, memory.
pub mod reliability;
/// Case requests, case numbers and searches that must be allowed.
pub mod requests;
/// Stores, policies and key files made through the library, directory copies.
pub mod stores;
/// Simulated time: clock starts, parsing, spans.
pub mod time;

pub use audit::*;
pub use cli::*;
pub use proofs::*;
pub use raw::*;
pub use reads::*;
pub use reliability::*;
pub use requests::*;
pub use stores::*;
pub use time::*;
