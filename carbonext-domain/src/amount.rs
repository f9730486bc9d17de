//! Exact amounts: [`VcuAmount`] (what you buy) and [`Money`] (what it costs).
//!
//! Both hold a [`rust_decimal::Decimal`] and print exactly the digits they hold: `0.02` stays
//! `0.02`, `110.00` stays `110.00`. Serialised, amounts are JSON *strings* (`"0.02"`), so every
//! serializer — serde_json, `serde_json::Value`, insta snapshots, YAML, CSV — keeps every digit;
//! [`crate::json`] writes them as the API does, as exact JSON numbers.
//!
//! ```
//! use carbonext_domain::VcuAmount;
//!
//! let amount: VcuAmount = "0.02".parse().unwrap();
//! assert_eq!(amount.to_string(), "0.02");
//! assert!("0".parse::<VcuAmount>().is_err());
//! assert!("-1".parse::<VcuAmount>().is_err());
//! assert!("NaN".parse::<VcuAmount>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::ValidationError;
use crate::Currency;

/// An amount of VCUs (1 VCU = 1 tCO2eq): exact and strictly positive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VcuAmount(Decimal);

impl VcuAmount {
    /// Validates `value`: it must be greater than zero.
    pub fn new(value: Decimal) -> Result<Self, ValidationError> {
        if value <= Decimal::ZERO {
            return Err(ValidationError::NonPositiveAmount {
                value: value.to_string(),
            });
        }
        Ok(Self(value))
    }

    /// The amount.
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl FromStr for VcuAmount {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let value = parse_exact(text).ok_or_else(|| ValidationError::InvalidAmount {
            input: text.chars().take(40).collect(),
        })?;
        Self::new(value)
    }
}

/// Parses plain decimal text (`12`, `0.02`, `1.50`), refusing exponents, NaN, infinities and
/// anything that would have to be rounded.
pub(crate) fn parse_exact(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

impl TryFrom<Decimal> for VcuAmount {
    type Error = ValidationError;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&str> for VcuAmount {
    type Error = ValidationError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<VcuAmount> for Decimal {
    fn from(value: VcuAmount) -> Self {
        value.0
    }
}

impl fmt::Display for VcuAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for VcuAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::json::serialize_amount(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for VcuAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An exact amount of money in a currency.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount, with the digits the server sent.
    #[serde(with = "crate::amount::decimal_text")]
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

impl Money {
    /// `amount` of `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Serde glue writing a `Decimal` as its exact text, or as an exact JSON number under
/// [`crate::json::ApiJson`] (used by every domain type).
pub mod decimal_text {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the decimal's exact digits as a string (a number in the API's JSON).
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        crate::json::serialize_amount(value, serializer)
    }

    /// Reads a decimal from a string (or, leniently, a JSON number).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        <Decimal as Deserialize>::deserialize(deserializer)
    }

    /// The same for `Option<Decimal>`.
    pub mod option {
        use rust_decimal::Decimal;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes the decimal as [`super::serialize`] does, or `null`.
        pub fn serialize<S: Serializer>(
            value: &Option<Decimal>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(value) => serializer.serialize_some(&Amount(value)),
                None => serializer.serialize_none(),
            }
        }

        struct Amount<'a>(&'a Decimal);

        impl serde::Serialize for Amount<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                super::serialize(self.0, serializer)
            }
        }

        /// Reads an optional decimal.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Decimal>, D::Error> {
            <Option<Decimal> as Deserialize>::deserialize(deserializer)
        }
    }
}
