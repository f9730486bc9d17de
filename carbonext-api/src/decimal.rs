//! Exact decimals on the wire: [`DecimalNumber`] in JSON bodies, [`DecimalText`] in query
//! parameters.
//!
//! The API sends amounts as JSON numbers with many digits (`37.53443683424`, `110.00`) and reads
//! them back as numbers. `DecimalNumber` keeps every digit both ways through serde_json's
//! `RawValue`: it reads the number's text and writes its own digits verbatim, with no binary
//! float in between and without any Cargo feature that would change how *other* crates'
//! `Decimal`s or `serde_json::Value`s behave in the service that depends on us.
//!
//! ```
//! use carbonext_api::DecimalNumber;
//!
//! let price: DecimalNumber = serde_json::from_str("110.00").unwrap();
//! assert_eq!(price.to_string(), "110.00");
//! assert_eq!(serde_json::to_string(&price).unwrap(), "110.00");
//!
//! let amount: carbonext_api::DecimalText = "0.02".parse().unwrap();
//! assert_eq!(amount.to_string(), "0.02");
//! ```
//!
//! `DecimalNumber` is made for serde_json's reader and writer. Other formats see serde_json's
//! raw-value wrapper, and a `serde_json::Value` holds numbers as `f64`: convert to text with
//! `serde_json::to_string` rather than through `Value` when the digits matter.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// An exact decimal written as a JSON number, with exactly its digits (`110.00` stays
/// `110.00`; never an exponent, never a float).
///
/// Reading accepts a JSON number (exponents too: `1e3`) or, leniently, a string holding one;
/// a number with more digits than a [`Decimal`] holds is refused, never rounded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DecimalNumber(pub Decimal);

impl DecimalNumber {
    /// The decimal value.
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl Deref for DecimalNumber {
    type Target = Decimal;

    fn deref(&self) -> &Decimal {
        &self.0
    }
}

impl From<Decimal> for DecimalNumber {
    fn from(value: Decimal) -> Self {
        Self(value)
    }
}

impl From<DecimalNumber> for Decimal {
    fn from(value: DecimalNumber) -> Self {
        value.0
    }
}

impl PartialEq<Decimal> for DecimalNumber {
    fn eq(&self, other: &Decimal) -> bool {
        self.0 == *other
    }
}

impl FromStr for DecimalNumber {
    type Err = rust_decimal::Error;

    /// Parses a decimal number's text: plain digits exactly, exponents (`1e3`, `2.5E-2`)
    /// through [`Decimal::from_scientific`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.contains(['e', 'E']) {
            Decimal::from_scientific(s).map(Self)
        } else {
            Decimal::from_str_exact(s).map(Self)
        }
    }
}

impl fmt::Display for DecimalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for DecimalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for DecimalNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `Decimal`'s `Display` writes plain digits with the value's scale: valid JSON number
        // text, which serde_json's writer copies verbatim.
        RawValue::from_string(self.0.to_string())
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DecimalNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <Box<RawValue>>::deserialize(deserializer)?;
        parse_json_number(raw.get()).map_err(serde::de::Error::custom)
    }
}

/// The decimal in `text`, a JSON number or a JSON string holding one.
fn parse_json_number(text: &str) -> Result<DecimalNumber, String> {
    let digits = match text.strip_prefix('"') {
        Some(_) => serde_json::from_str::<String>(text).map_err(|e| e.to_string())?,
        None => text.to_owned(),
    };
    digits
        .parse()
        .map_err(|e| format!("`{digits}` is not an exact decimal: {e}"))
}

#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
impl schemars::JsonSchema for DecimalNumber {
    fn schema_name() -> String {
        "DecimalNumber".to_owned()
    }

    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::Number.into()),
            format: Some("decimal".to_owned()),
            ..Default::default()
        }
        .into()
    }
}

/// Serde glue for a plain [`Decimal`] field that travels as an exact JSON number, for types
/// outside the generated ones: `#[serde(with = "carbonext_api::decimal_number")]`.
pub mod decimal_number {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::DecimalNumber;

    /// Writes `value` as a JSON number with exactly its digits.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        DecimalNumber(*value).serialize(serializer)
    }

    /// Reads a JSON number (or a string holding one) without rounding.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        DecimalNumber::deserialize(deserializer).map(DecimalNumber::value)
    }

    /// The same for `Option<Decimal>` (`null` is `None`).
    pub mod option {
        use rust_decimal::Decimal;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        use super::DecimalNumber;

        /// Writes the decimal as an exact JSON number, or `null`.
        pub fn serialize<S: Serializer>(
            value: &Option<Decimal>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            value.map(DecimalNumber).serialize(serializer)
        }

        /// Reads an optional exact decimal.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Decimal>, D::Error> {
            Ok(Option::<DecimalNumber>::deserialize(deserializer)?.map(DecimalNumber::value))
        }
    }
}

/// An exact decimal written as text on the wire (query parameters such as `vcu-amount`): the
/// digits exactly as the decimal holds them, `0.02` stays `0.02`, `1.50` stays `1.50`.
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

#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(json: &str) -> String {
        let number: DecimalNumber = serde_json::from_str(json).unwrap();
        serde_json::to_string(&number).unwrap()
    }

    #[test]
    fn numbers_keep_every_digit_both_ways() {
        for json in [
            "110.00",
            "0.02",
            "37.53443683424",
            "195.7295744096000",
            "1234567890.123456789",
            "-3",
            "0",
        ] {
            assert_eq!(round_trip(json), json);
        }
    }

    #[test]
    fn exponents_and_strings_are_read_exactly() {
        assert_eq!(round_trip("1e3"), "1000");
        assert_eq!(round_trip("2.5E-2"), "0.025");
        assert_eq!(round_trip("\"12.50\""), "12.50");
    }

    #[test]
    fn digits_beyond_a_decimal_are_refused_not_rounded() {
        let err = serde_json::from_str::<DecimalNumber>("0.12345678901234567890123456789")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an exact decimal"), "{err}");
        assert!(serde_json::from_str::<DecimalNumber>("true").is_err());
        assert!(serde_json::from_str::<DecimalNumber>("\"abc\"").is_err());
    }

    #[test]
    fn a_field_through_the_glue_module_stays_exact() {
        #[derive(Serialize, Deserialize)]
        struct Line {
            #[serde(with = "decimal_number")]
            total: Decimal,
            #[serde(with = "decimal_number::option", default)]
            fee: Option<Decimal>,
        }
        let line: Line = serde_json::from_str(r#"{"total":12.50,"fee":null}"#).unwrap();
        assert_eq!(line.total.to_string(), "12.50");
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"total":12.50,"fee":null}"#
        );
    }
}
