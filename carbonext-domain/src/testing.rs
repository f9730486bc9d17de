//! Test support for services using this crate (feature `testing`).
//!
//! - [`fixtures`]: domain values built from the API documentation's example payloads, for
//!   feeding mocks (`MockVcuMarket`…) with realistic data;
//! - [`redacted`]: a JSON view of any value with ids and timestamps replaced by placeholders —
//!   amounts are never touched — so snapshots stay stable across runs.
//!
//! ```
//! use carbonext_domain::testing::{fixtures, redacted};
//!
//! let order = fixtures::order();
//! let json = redacted(&order);
//! assert_eq!(json["id"], "[id]");
//! assert_eq!(json["vcuAmount"], "0.02");
//! assert_eq!(json["createdAt"], "[timestamp]");
//! // insta::assert_json_snapshot!(redacted(&order));
//! ```

use serde::Serialize;
use serde_json::Value;

pub mod fixtures;

/// `value` as JSON with every id (UUID-shaped string) replaced by `"[id]"` and every
/// timestamp-shaped string by `"[timestamp]"`. Amounts are left exactly as they are.
pub fn redacted<T: Serialize>(value: &T) -> Value {
    let mut json = serde_json::to_value(value).expect("domain values serialise to JSON");
    redact(&mut json);
    json
}

fn redact(value: &mut Value) {
    match value {
        Value::String(text) => {
            if uuid::Uuid::parse_str(text).is_ok() {
                *value = Value::from("[id]");
            } else if looks_like_timestamp(text) {
                *value = Value::from("[timestamp]");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::Object(fields) => fields.values_mut().for_each(redact),
        _ => {}
    }
}

fn looks_like_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 19
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && text.parse::<carbonext_api::Timestamp>().is_ok()
}
