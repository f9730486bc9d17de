//! JSON as the API writes it: amounts as JSON numbers with exactly their digits.
//!
//! Domain values serialise their amounts as exact *strings* (`"110.00"`) by default, so that
//! every serializer and every `serde_json::Value` keeps every digit. The functions here write
//! the same values the way the Carbonext API does, amounts as JSON numbers (`110.00`,
//! `1234567890.123456789`), digit for digit: what `carbonext --output json` prints, and what a
//! service forwards when it wants the API's own shape.
//!
//! ```
//! use carbonext_domain::json::ApiJson;
//! use carbonext_domain::testing::fixtures;
//!
//! let quote = fixtures::quote();
//! let text = carbonext_domain::json::to_string(&quote).unwrap();
//! assert!(text.contains(r#""totalPrice":137.5"#));
//! // The default serialisation keeps strings.
//! assert!(serde_json::to_string(&quote).unwrap().contains(r#""totalPrice":"137.5""#));
//! // `ApiJson` carries the API's shape into any serde_json call, nested values included.
//! let mut out = Vec::new();
//! serde_json::to_writer(&mut out, &ApiJson(&[&quote])).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""totalPrice":137.5"#));
//! ```
//!
//! The mode travels with the serializer, not with the thread: [`ApiJson`] wraps the serializer
//! it is given in one that writes every amount it meets as a number, and leaves everything
//! else to the serializer underneath. Write the text directly (these functions, or
//! `serde_json::to_writer` with [`ApiJson`]): a `serde_json::Value` holds numbers as `f64`
//! and would round them. Meant for serde_json: other serializers see serde_json's raw-value
//! wrapper where an amount is.

mod serializer;

use std::io;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

pub use serializer::ApiJson;

use serializer::AMOUNT;

/// Compact JSON of `value`, amounts as exact JSON numbers.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string(&ApiJson(value))
}

/// Pretty-printed JSON of `value`, amounts as exact JSON numbers.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&ApiJson(value))
}

/// Compact JSON of `value` as bytes, amounts as exact JSON numbers.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&ApiJson(value))
}

/// Writes compact JSON of `value` to `writer`, amounts as exact JSON numbers.
pub fn to_writer<W: io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    serde_json::to_writer(writer, &ApiJson(value))
}

/// Writes pretty-printed JSON of `value` to `writer`, amounts as exact JSON numbers.
pub fn to_writer_pretty<W: io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(writer, &ApiJson(value))
}

/// Writes one amount: its exact text, or its exact JSON number under [`ApiJson`].
pub(crate) fn serialize_amount<S: Serializer>(
    value: &Decimal,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_newtype_struct(AMOUNT, &AmountText(value))
}

/// An amount's exact digits as a string.
struct AmountText<'a>(&'a Decimal);

impl Serialize for AmountText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

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
    fn amounts_are_numbers_with_their_digits_only_under_api_json() {
        for digits in ["110.00", "1234567890.123456789", "0.02", "-3"] {
            assert_eq!(
                to_string(&line(digits)).unwrap(),
                format!(r#"{{"total":{digits}}}"#)
            );
            assert_eq!(
                serde_json::to_string(&line(digits)).unwrap(),
                format!(r#"{{"total":"{digits}"}}"#)
            );
            assert_eq!(
                serde_json::to_value(line(digits)).unwrap(),
                serde_json::json!({ "total": digits })
            );
        }
    }

    #[test]
    fn nested_amounts_are_numbers_and_map_keys_stay_strings() {
        #[derive(Serialize)]
        enum Event {
            Placed(Option<Line>),
            Paid {
                lines: Vec<Line>,
                note: &'static str,
            },
        }
        let events = [
            Event::Placed(Some(line("1.50"))),
            Event::Placed(None),
            Event::Paid {
                lines: vec![line("0.020"), line("7")],
                note: "110.00",
            },
        ];
        assert_eq!(
            to_string(&events).unwrap(),
            r#"[{"Placed":{"total":1.50}},{"Placed":null},{"Paid":{"lines":[{"total":0.020},{"total":7}],"note":"110.00"}}]"#
        );
        let mut by_day = BTreeMap::new();
        by_day.insert("2024-01-15", (line("2.5"), 3_u8, true));
        assert_eq!(
            to_string(&by_day).unwrap(),
            r#"{"2024-01-15":[{"total":2.5},3,true]}"#
        );
    }

    #[test]
    fn the_mode_belongs_to_the_call_not_the_thread() {
        // Under the old thread-wide switch a serialisation inside another one changed mode.
        struct Inner;
        impl Serialize for Inner {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let plain = serde_json::to_string(&line("1.50")).unwrap();
                serializer.serialize_str(&plain)
            }
        }
        assert_eq!(to_string(&Inner).unwrap(), r#""{\"total\":\"1.50\"}""#);
        let mut out = Vec::new();
        to_writer_pretty(&mut out, &line("3.0")).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\n  \"total\": 3.0\n}");
        assert_eq!(to_vec(&line("3.0")).unwrap(), br#"{"total":3.0}"#);
    }
}
