//! Simulation (feature `sim`): deterministic synthetic city traffic ([`traffic`]) and the
//! retention-policy simulator behind `bench-retention` ([`retention`]).
//!
//! May import: `vault` and the public types below it. A face, like the CLI: it drives whole
//! stores through [`crate::Vault`] and reaches nothing inside the engine.

pub mod retention;
pub mod traffic;
