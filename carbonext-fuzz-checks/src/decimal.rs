//! Exact decimals (fuzz target `decimal`). `DecimalText` parses or refuses, prints digits that
//! re-parse to the same value and scale; `VcuAmount` parses only strictly positive plain
//! decimals; a JSON number decoded into a `Decimal` (exact-number settings) re-encodes to a
//! number that decodes to the same value.

use carbonext_api::DecimalText;
use carbonext_domain::VcuAmount;
use rust_decimal::Decimal;

use crate::Outcome;

/// What each of the three parsers made of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimals {
    /// `text.parse::<DecimalText>()`.
    pub decimal_text: Outcome,
    /// `text.parse::<VcuAmount>()`.
    pub vcu_amount: Outcome,
    /// `serde_json::from_str::<Decimal>(text)`.
    pub json_number: Outcome,
}

fn outcome(accepted: bool) -> Outcome {
    if accepted {
        Outcome::Accepted
    } else {
        Outcome::Refused
    }
}

/// Checks the properties above on `data` (all [`Outcome::Skipped`] unless it is UTF-8). Panics
/// when one fails.
pub fn check(data: &[u8]) -> Decimals {
    let Ok(text) = std::str::from_utf8(data) else {
        return Decimals {
            decimal_text: Outcome::Skipped,
            vcu_amount: Outcome::Skipped,
            json_number: Outcome::Skipped,
        };
    };

    let decimal_text = text.parse::<DecimalText>();
    if let Ok(value) = &decimal_text {
        let printed = value.to_string();
        let back: DecimalText = printed.parse().expect("printed decimal re-parses");
        assert_eq!(back, *value);
        assert_eq!(back.0.scale(), value.0.scale(), "scale kept for {text:?}");
        let json = serde_json::to_string(value).expect("serialises");
        let from_json: DecimalText = serde_json::from_str(&json).expect("JSON round trip");
        assert_eq!(from_json, *value);
    }

    let vcu_amount = text.parse::<VcuAmount>();
    match &vcu_amount {
        Ok(amount) => {
            assert!(
                amount.value() > Decimal::ZERO,
                "{text:?} accepted as {amount}"
            );
            let printed = amount.to_string();
            let back: VcuAmount = printed.parse().expect("printed amount re-parses");
            assert_eq!(back, *amount);
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }

    let json_number = serde_json::from_str::<Decimal>(text);
    if let Ok(value) = &json_number {
        let json = serde_json::to_string(value).expect("serialises");
        let back: Decimal = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{json} (from {text:?}) does not decode: {e}"));
        assert_eq!(back, *value, "round trip of {text:?} via {json}");
    }

    Decimals {
        decimal_text: outcome(decimal_text.is_ok()),
        vcu_amount: outcome(vcu_amount.is_ok()),
        json_number: outcome(json_number.is_ok()),
    }
}
