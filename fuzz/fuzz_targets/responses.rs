//! Fuzz target: decoding of every response type of the API (first byte = type, rest = body).
//! The properties are in `carbonext_fuzz_checks::responses`, which `cargo test` also replays on
//! the committed corpus and generated inputs (`carbonext-fuzz-checks/tests/replay.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    carbonext_fuzz_checks::responses::check(data);
});
