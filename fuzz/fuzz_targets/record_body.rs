//! Fuzz target `record_body`: every input goes through `checks::check_record_body` (see checks.rs for what it
//! asserts); `tests/hostile_input.rs` replays the committed corpus through the same function.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_record_body(data));
