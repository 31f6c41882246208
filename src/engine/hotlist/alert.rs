//! A hotlist alert: what a listed plate passing a camera raises.
//!
//! Delivered to subscribers at ingest, and recorded in the sealed payload of a
//! `hotlist_alert` audit entry (read id, time and camera are read metadata: they never sit in
//! clear in the log, and the time and camera are sealed under the read's epoch key, so they
//! are destroyed with the read). Read back only through the gated alerts request.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::epoch::Timestamp;

/// A hotlist match: a read of a listed plate passed a camera.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// The matched read.
    pub read_id: String,
    /// The entry's case.
    pub case: String,
    /// When the read was captured.
    pub captured_at: Timestamp,
    /// The camera.
    pub camera: String,
    /// The entry that matched.
    pub entry_id: String,
    /// The `hotlist_alert` audit entry.
    #[serde(default)]
    pub audit_seq: u64,
    /// True when the alert's details (read id, time, camera) were crypto-shredded with its
    /// month's audit payloads: then only case, entry and the entry's time remain, and
    /// `captured_at` is the time the alert was audited.
    #[serde(default)]
    pub details_shredded: bool,
    /// The agency whose hotlist entry matched (upper-cased): the only agency that may list
    /// the alert, and the one a subscriber should route it to.
    #[serde(default)]
    pub agency: String,
    /// True when the read is past retention and the alert is shown from the agency's hold
    /// on the case (its time and camera come from the held copy).
    #[serde(default)]
    pub from_hold: bool,
}

impl fmt::Debug for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alert")
            .field("read_id", &self.read_id)
            .field("case", &self.case)
            .field("agency", &self.agency)
            .field("entry_id", &self.entry_id)
            .field("audit_seq", &self.audit_seq)
            .finish()
    }
}
