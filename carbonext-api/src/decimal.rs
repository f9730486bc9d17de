//! [`DecimalText`]: an exact decimal that travels as text (query parameters such as `vcu-amount`).
//!
//! JSON bodies carry decimals as numbers (see the crate docs), but a `Decimal` serialised with
//! the crate's exact-number settings cannot go into a query string. `DecimalText` writes the
//! digits exactly as the decimal holds them: `0.02` stays `0.02`, `1.50` stays `1.50`.
//!
//! ```
//! let amount: carbonext_api::DecimalText = "0.02".parse().unwrap();
//! assert_eq!(amount.to_string(), "0.02");
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact decimal written as text on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DecimalText(pub Decimal);

impl DecimalText {
    /// The decimal value.
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for DecimalText {
    fn from(value: Decimal) -> Self {
        Self(value)
    }
}

impl From<DecimalText> for Decimal {
    fn from(value: DecimalText) -> Self {
        value.0
    }
}

impl FromStr for DecimalText {
    type Err = rust_decimal::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // `from_str_exact` refuses input it would have to round.
        Decimal::from_str_exact(s.trim()).map(Self)
    }
}

impl fmt::Display for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for DecimalText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for DecimalText {
    fn schema_name() -> String {
        "DecimalText".to_owned()
    }

    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("decimal".to_owned()),
            ..Default::default()
        }
        .into()
    }
}
