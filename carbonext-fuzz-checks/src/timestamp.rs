//! `carbonext_api::Timestamp` parsing (fuzz target `timestamp`). Any text either parses or is
//! refused with a `TimestampError`; a parsed timestamp keeps its text, re-parses to the same
//! instant, survives a JSON round trip, and `Timestamp::from_utc` of its instant parses back to
//! that instant, at most 100 ns away.

use carbonext_api::Timestamp;

use crate::Outcome;

/// Checks the properties above on `data` (skipped unless it is UTF-8). Panics when one fails.
pub fn check(data: &[u8]) -> Outcome {
    let Ok(text) = std::str::from_utf8(data) else {
        return Outcome::Skipped;
    };
    let parsed: Timestamp = match text.parse() {
        Ok(t) => t,
        Err(err) => {
            // The message quotes at most 64 characters of the input.
            assert!(err.to_string().len() < 64 * 4 + 200);
            return Outcome::Refused;
        }
    };
    assert_eq!(parsed.as_str(), text, "the text is kept as received");
    let again: Timestamp = parsed.as_str().parse().expect("kept text re-parses");
    assert_eq!(again, parsed);

    let json = serde_json::to_string(&parsed).expect("serialises");
    let back: Timestamp = serde_json::from_str(&json).expect("JSON round trip");
    assert_eq!(back, parsed);
    assert_eq!(back.as_str(), text);

    let written = Timestamp::from_utc(parsed.utc());
    let reread: Timestamp = written.as_str().parse().expect("from_utc text parses");
    assert_eq!(reread, written);
    // from_utc keeps 100 ns precision: never more than 100 ns away from the original.
    let drift = (parsed.utc() - written.utc())
        .num_nanoseconds()
        .unwrap_or(i64::MAX);
    assert!((0..100).contains(&drift), "drift {drift} ns for {text:?}");
    Outcome::Accepted
}
