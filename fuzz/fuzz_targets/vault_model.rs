//! Fuzz target `vault_model`: a stateful run of `Vault` operations (with injected crashes)
//! checked against a plain model (see vault_model_check.rs for what it asserts);
//! `tests/fuzz_vault_model.rs` replays the committed corpus through the same function.
#![no_main]

#[path = "vault_model_check.rs"]
mod vault_model_check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_model_check::check_vault_model(data));
