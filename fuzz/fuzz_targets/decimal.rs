//! Fuzz target: exact decimals. `DecimalText` parses or refuses, prints digits that re-parse to
//! the same value and scale; `VcuAmount` parses only strictly positive plain decimals; a JSON
//! number decoded into a `Decimal` (exact-number settings) re-encodes to a number that decodes
//! to the same value.
#![no_main]

use carbonext_api::DecimalText;
use carbonext_domain::VcuAmount;
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(value) = text.parse::<DecimalText>() {
        let printed = value.to_string();
        let back: DecimalText = printed.parse().expect("printed decimal re-parses");
        assert_eq!(back, value);
        assert_eq!(back.0.scale(), value.0.scale(), "scale kept for {text:?}");
        let json = serde_json::to_string(&value).expect("serialises");
        let from_json: DecimalText = serde_json::from_str(&json).expect("JSON round trip");
        assert_eq!(from_json, value);
    }

    match text.parse::<VcuAmount>() {
        Ok(amount) => {
            assert!(
                amount.value() > Decimal::ZERO,
                "{text:?} accepted as {amount}"
            );
            let printed = amount.to_string();
            let back: VcuAmount = printed.parse().expect("printed amount re-parses");
            assert_eq!(back, amount);
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }

    if let Ok(value) = serde_json::from_str::<Decimal>(text) {
        let json = serde_json::to_string(&value).expect("serialises");
        let back: Decimal = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{json} (from {text:?}) does not decode: {e}"));
        assert_eq!(back, value, "round trip of {text:?} via {json}");
    }
});
