//! Cryptography: the key hierarchy ([`keys`]: master key, wrapping, epoch keys) and sealing
//! ([`seal`]: keyed plate tags with BLAKE3, AES-256-GCM with bound associated data, the
//! random numbers behind nonces and read ids).
//!
//! May import: `model`. Never the store, the policy or the audit log: what is sealed and
//! where it goes is decided above.

pub mod keys;
pub mod seal;
