//! Fuzz target: exact decimals (`DecimalText`, `VcuAmount`, JSON numbers decoded as `Decimal`).
//! The properties are in `carbonext_fuzz_checks::decimal`, which `cargo test` also replays on
//! the committed corpus and generated inputs (`carbonext-fuzz-checks/tests/replay.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    carbonext_fuzz_checks::decimal::check(data);
});
