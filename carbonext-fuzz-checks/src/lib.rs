//! The properties the libFuzzer targets in `fuzz/` check, one plain function per target, so the
//! fuzz targets and the ordinary test suite run the same code:
//!
//! - `fuzz/fuzz_targets/<target>.rs` is a one-line wrapper,
//!   `fuzz_target!(|data: &[u8]| { carbonext_fuzz_checks::<target>::check(data); })` (for
//!   `filter_by`, `|input: Input| { check_input(input); }`, the same decoding as
//!   [`filter_by::check`]), built with nightly flags and sanitizer instrumentation by
//!   `cargo fuzz` (see `fuzz/README.md`);
//! - this crate's tests (`tests/replay.rs`, stable, part of `cargo test --workspace`) feed the
//!   same functions the committed seed corpora (`fuzz/corpus/<target>/seed-*`), the inputs of
//!   earlier crashes (`fuzz/regressions/<target>/`) and a few thousand inputs from a fixed-seed
//!   generator.
//!
//! Every check panics when a property fails (that is what libFuzzer reports as a crash) and
//! otherwise returns what it made of the input, so a replay can assert that an input was really
//! exercised (a seed parsed, a crash input refused) rather than skipped.
//!
//! ```
//! use carbonext_fuzz_checks::{timestamp, Outcome};
//!
//! assert_eq!(timestamp::check(b"2022-07-24T18:26:44.4176783Z"), Outcome::Accepted);
//! // The first crash found by fuzzing: a year outside 0000-9999 is refused.
//! assert_eq!(timestamp::check(b"-2-02-12T0:12:13.7117"), Outcome::Refused);
//! ```
#![warn(missing_docs)]

pub mod decimal;
pub mod filter_by;
pub mod responses;
pub mod timestamp;

/// What a check made of one input. Every property was checked (and held) for what was refused
/// or accepted; a failing property panics instead of returning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The input is not of the target's shape (not UTF-8, empty): nothing was checked.
    Skipped,
    /// The parser or decoder refused the input with an error (and did not panic).
    Refused,
    /// The input parsed or decoded, and its round trips gave back the same value.
    Accepted,
}
