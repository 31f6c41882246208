//! # platevault
//!
//! An embedded storage engine for automated license-plate-reader (ALPR) data that makes
//! misuse structurally hard: plates are stored only as keyed hashes under per-epoch keys,
//! everything else is sealed with AES-256-GCM, the one read path is an exact plate tied to
//! a case, every search is audited in a Merkle-tree log before it runs, and expiry destroys
//! an epoch's keys and data so that a reviewer can check, from the raw files, that it is gone.
//!
//! ## Layout
//!
//! The modules form floors; every import points down:
//!
//! - the public API: [`vault`];
//! - operations: `ingest` (validate, canonicalise, seal, batch), `lookup` (per-epoch exact
//!   plate read, crate-private);
//! - rules and records: [`keys`] (master key, wrapping, epoch keys), [`seal`] (keyed plate
//!   hashes, AEAD), [`record`] (reads and their sealed encoding), [`policy`] (who may search
//!   for what), [`audit`] (the Merkle log);
//! - the ground: [`store`] (the RocksDB layout; knows nothing of crypto or policy),
//!   [`epoch`] (time, epochs, the high-water clock), [`plate`] (canonical plates).
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod audit;
mod core;
pub mod epoch;
mod error;
pub mod expiry;
pub mod hold;
pub mod hotlist;
pub mod ingest;
pub mod keys;
mod lookup;
pub mod plate;
pub mod policy;
pub mod record;
pub mod review;
pub mod review_check;
pub mod rotation;
pub mod scan;
pub mod seal;
pub mod search;
pub mod simulate;
pub mod store;
pub mod vault;

pub use epoch::{EpochWidth, Span, Timestamp};
pub use error::{Error, Result};
pub use expiry::ExpiryReport;
pub use hold::{HoldInfo, HoldOutcome, ReleaseBy};
pub use hotlist::{Alert, HotlistEntryInfo, HotlistOutcome};
pub use ingest::{IngestReport, RejectReason};
pub use keys::MasterKey;
pub use policy::{CaseRequest, Decision, DenyReason, Policy, Purpose};
pub use record::{NewRead, ReadView};
pub use review_check::ReviewerOutcome;
pub use rotation::RotationReport;
pub use search::{SearchOutcome, SearchRequest};
pub use store::{Durability, StoreTuning};
pub use vault::{PolicyChange, StoreInfo, Vault, VaultOptions};
