//! Fuzz target: `carbonext_api::Timestamp` parsing. The properties are in
//! `carbonext_fuzz_checks::timestamp`, which `cargo test` also replays on the committed corpus,
//! the regression inputs and generated inputs (`carbonext-fuzz-checks/tests/replay.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    carbonext_fuzz_checks::timestamp::check(data);
});
