//! JSON as the API writes it: amounts as JSON numbers with exactly their digits.
//!
//! Domain values serialise their amounts as exact *strings* (`"110.00"`) by default, so that
//! every serializer and every `serde_json::Value` keeps every digit. The functions here write
//! the same values the way the Carbonext API does, amounts as JSON numbers (`110.00`,
//! `1234567890.123456789`), digit for digit: what `carbonext --output json` prints, and what a
//! service forwards when it wants the API's own shape.
//!
//! ```
//! use carbonext_domain::testing::fixtures;
//!
//! let quote = fixtures::quote();
//! let text = carbonext_domain::json::to_string(&quote).unwrap();
//! assert!(text.contains(r#""totalPrice":137.5"#));
//! // The default serialisation keeps strings.
//! assert!(serde_json::to_string(&quote).unwrap().contains(r#""totalPrice":"137.5""#));
//! ```
//!
//! Write the text directly (these functions, or `serde_json::to_writer` inside
//! [`amounts_as_numbers`]): a `serde_json::Value` holds numbers as `f64` and would round them.

use std::cell::Cell;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

thread_local! {
    /// Whether amounts serialised on this thread right now are written as JSON numbers.
    static AMOUNTS_AS_NUMBERS: Cell<bool> = const { Cell::new(false) };
}

/// Compact JSON of `value`, amounts as exact JSON numbers.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    amounts_as_numbers(|| serde_json::to_string(value))
}

/// Pretty-printed JSON of `value`, amounts as exact JSON numbers.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    amounts_as_numbers(|| serde_json::to_string_pretty(value))
}

/// Runs `write` with the domain's amounts serialised as exact JSON numbers on this thread
/// (serialisation is synchronous, so everything `write` serialises is covered); the previous
/// mode is restored afterwards, even if `write` panics. Meant for serde_json's writer: other
/// serializers see serde_json's raw-value wrapper.
pub fn amounts_as_numbers<R>(write: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            AMOUNTS_AS_NUMBERS.with(|mode| mode.set(self.0));
        }
    }
    let _restore = Restore(AMOUNTS_AS_NUMBERS.with(|mode| mode.replace(true)));
    write()
}

/// Writes one amount: its exact text, or its exact JSON number inside [`amounts_as_numbers`].
pub(crate) fn serialize_amount<S: Serializer>(
    value: &Decimal,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if AMOUNTS_AS_NUMBERS.with(Cell::get) {
        carbonext_api::DecimalNumber(*value).serialize(serializer)
    } else {
        serializer.collect_str(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Line {
        #[serde(serialize_with = "serialize_amount")]
        total: Decimal,
    }

    fn line(text: &str) -> Line {
        Line {
            total: text.parse().unwrap(),
        }
    }

    #[test]
    fn amounts_are_numbers_with_their_digits_only_inside_the_scope() {
        for digits in ["110.00", "1234567890.123456789", "0.02", "-3"] {
            assert_eq!(
                to_string(&line(digits)).unwrap(),
                format!(r#"{{"total":{digits}}}"#)
            );
            assert_eq!(
                serde_json::to_string(&line(digits)).unwrap(),
                format!(r#"{{"total":"{digits}"}}"#)
            );
        }
    }

    #[test]
    fn the_mode_is_restored_after_a_panic() {
        let caught = std::panic::catch_unwind(|| amounts_as_numbers(|| panic!("boom")));
        assert!(caught.is_err());
        assert_eq!(
            serde_json::to_string(&line("1.50")).unwrap(),
            r#"{"total":"1.50"}"#
        );
    }
}
