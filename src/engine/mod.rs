//! The engine: every operation on an open store, crate-private.
//!
//! Owns the open store's shared state ([`state`]) and the procedures that run over it, each in
//! a module of its own: the policy gate and its durable audit entry ([`gate`]), ingest
//! (validate, canonicalise, seal, one write batch: [`ingest`]), search and the per-epoch
//! exact-plate lookup ([`search`], [`lookup`]), legal holds ([`hold`]), case-tied hotlists
//! ([`hotlist`]), expiry ([`expiry`]), master-key rotation and its on-disk state
//! ([`rotation`]), the reviewers' requests ([`reviewer_check`]), and the digests every
//! destruction records for the deletion verifier ([`digests`]).
//!
//! May import: `policy`, `audit`, `crypto`, `model`, `store`, `error`. Never `vault`, `verify`,
//! `sim` or the CLI. Data flows one way: ingest → seal → store; request → policy → audit →
//! lookup → open.

pub(crate) mod digests;
pub(crate) mod expiry;
pub(crate) mod gate;
pub(crate) mod hold;
pub(crate) mod hotlist;
pub(crate) mod ingest;
pub(crate) mod lookup;
pub(crate) mod reviewer_check;
pub(crate) mod rotation;
pub(crate) mod search;
pub(crate) mod state;
