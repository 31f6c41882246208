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
//! The modules form floors; imports point down or sideways within a floor, never up, and
//! there are no cycles:
//!
//! - the faces: the `platevault` binary (`src/cli/`) and [`async_api`], both over [`vault`];
//! - the public API: [`vault`] (open, ingest, search, expire, hold, hotlist, rotate);
//! - operations: [`ingest`] (validate, canonicalise, seal, batch, match hotlists), `gate`
//!   (the policy decision and its durable audit entry), [`search`], `lookup` (per-epoch
//!   exact-plate read; crate-private), [`hold`], [`hotlist`], [`expiry`], [`rotation`],
//!   [`review_check`], [`review`] (read-only verification), [`simulate`] (synthetic city
//!   traffic); they share the open store's state in `core`, `digests` samples what a
//!   destruction destroys for the deletion verifier, and `keystore` keeps the
//!   rotation state of the wrapped keys; [`retention_sim`] drives whole stores through
//!   [`vault`] to compare retention policies, so it sits with the faces;
//! - rules and records: [`policy`] (who may search for what), [`audit`] (the Merkle log,
//!   checkpoints, the report), [`keys`] (master key, wrapping, epoch keys), [`seal`] (keyed
//!   plate tags, AES-256-GCM), [`record`] (reads and their sealed encoding), [`jsonl`] (the
//!   JSON Lines read format of `ingest`), [`scan`] (raw file scanning), and the typed
//!   [`Error`] every layer returns;
//! - the ground: [`store`] (the RocksDB layout and header; knows nothing of crypto or
//!   policy), [`epoch`] (time, epochs, the high-water clock), [`plate`] (canonical plates).
//!
//! See `docs/design.md` for the data paths and the locks.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod audit;
pub mod crypto;
mod engine;
mod error;
pub mod model;
pub mod policy;
#[cfg(feature = "sim")]
pub mod sim;
pub mod store;
pub mod vault;
pub mod verify;

pub use crypto::keys::MasterKey;
pub use engine::expiry::ExpiryReport;
pub use engine::hold::{HoldInfo, HoldOutcome, ReleaseOutcome};
pub use engine::hotlist::{Alert, AlertsOutcome, HotlistEntryInfo, HotlistOutcome, RemoveOutcome};
pub use engine::ingest::{IngestReport, RejectReason};
pub use engine::reviewer_check::{JustificationReview, ReviewedJustification, ReviewerOutcome};
pub use engine::rotation::RotationReport;
pub use engine::search::{SearchOutcome, SearchRequest};
pub use error::{Error, Result};
pub use model::epoch::{EpochWidth, Span, Timestamp};
pub use model::record::{NewRead, ReadView};
pub use policy::{
    AlertsRequest, CaseRequest, Decision, DenyReason, Policy, Purpose, RemovalRequest,
};
pub use store::{Durability, StoreTuning};
pub use vault::{AsyncVault, ExpiryTask, PolicyChange, StoreInfo, Vault, VaultOptions};

/// The README's examples, compiled and run as doctests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
