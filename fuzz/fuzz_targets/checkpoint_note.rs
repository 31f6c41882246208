//! Fuzz target `checkpoint_note`: every input goes through `checks::check_checkpoint_note` (see checks.rs for what it
//! asserts); `tests/hostile_input.rs` replays the committed corpus through the same function.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_checkpoint_note(data));
