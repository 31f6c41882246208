//! # platevault
//!
//! An embedded storage engine for automated license-plate-reader (ALPR) data that makes
//! misuse structurally hard: plates are stored only as keyed hashes under per-epoch keys,
//! everything else is sealed with AES-256-GCM, the one read path is an exact plate tied to a
//! case, every search is audited in a Merkle-tree log before it runs, and expiry destroys an
//! epoch's keys and data so that a reviewer can check, from the raw files, that it is gone.
//!
//! Start at [`Vault`] (or [`AsyncVault`]); a reviewer without the master key starts at
//! [`verify::Review`]. The README's examples run as doctests.
//!
//! ## Layout
//!
//! One folder per layer; imports point down the list, never up, and no two modules import
//! each other (`tests/architecture.rs` checks it). `docs/design.md` is the design: the data
//! paths, the locks and their order, the formats.
//!
//! - [`vault`]: `Vault`, its options and outcomes, the async facade;
//! - `engine` (crate-private): every operation on an open store (gate, ingest, search and
//!   lookup, holds, hotlists, expiry, rotation, the reviewer check) and its shared state;
//! - [`policy`]: who may search for what (decides, touches no data);
//! - [`audit`]: the Merkle log's entries, checkpoints, proofs and the transparency report;
//! - [`verify`]: the keyless reviewer tools (audit verification, the raw-byte deletion scan);
//! - `crypto` (crate-private): keys and sealing; [`MasterKey`] is the one public key type;
//! - [`model`]: plates, time and epochs, reads, the JSON Lines read format;
//! - `store` (crate-private): the RocksDB layout, the header file, the process lock;
//! - [`sim`] (feature `sim`): synthetic traffic and the retention simulator.
//!
//! ## Features
//!
//! `cli` (the `platevault` binary) and `sim` are on by default; `default-features = false`
//! builds the engine alone. `testing` exposes crate internals to the project's own tests,
//! benches and fuzz targets; it is hidden from the docs and not for applications.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod audit;
pub mod model;
pub mod policy;
#[cfg(feature = "sim")]
pub mod sim;
pub mod vault;
pub mod verify;

mod engine;
mod error;

// Internals: crate-private, public only to the project's tests, benches and fuzz targets.
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod crypto;
#[cfg(not(feature = "testing"))]
mod crypto;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod store;
#[cfg(not(feature = "testing"))]
mod store;

pub use crypto::keys::{KeyError, MasterKey};
pub use crypto::seal::SealError;
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
pub use store::perms as files;
pub use store::{Durability, StoreTuning};
pub use vault::{
    AsyncVault, ExpiryStats, ExpiryTask, PolicyChange, StoreInfo, Vault, VaultOptions,
};

/// The README's examples, compiled and run as doctests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
