//! The data model: plates and regions ([`plate`]), time, epochs and the high-water clock
//! ([`epoch`]), reads and their sealed encoding ([`record`]), and the JSON Lines read format
//! of `ingest` ([`jsonl`]), and refusals that name what is wrong without echoing input
//! ([`refusal`]).
//!
//! May import: nothing else of the crate but `error`. Every other layer builds on these types.

pub mod epoch;
pub mod jsonl;
pub mod plate;
pub mod record;
pub mod refusal;
