//! Proves that the service's own serde behaviour is the one `serde_json`, `serde_urlencoded`
//! and `rust_decimal` document for their default features, even though `carbonext-domain` is
//! in the dependency graph: depending on the SDK must not switch on crate features that
//! change how a service's own types are encoded or decoded.

use consumer_service::{Amount, Details, Event, Line, Receipt};
use rust_decimal::Decimal;
use serde_json::Value;

fn line() -> Line {
    Line {
        total: "12.50".parse().expect("a decimal"),
    }
}

#[test]
fn a_decimal_field_serialises_to_json_as_a_string_keeping_its_digits() {
    assert_eq!(
        serde_json::to_string(&line()).unwrap(),
        r#"{"total":"12.50"}"#
    );
}

#[test]
fn a_decimal_field_round_trips_through_json() {
    let json = serde_json::to_string(&line()).unwrap();
    assert_eq!(serde_json::from_str::<Line>(&json).unwrap(), line());
}

#[test]
fn a_decimal_field_serialises_to_a_form_as_plain_text() {
    assert_eq!(serde_urlencoded::to_string(line()).unwrap(), "total=12.50");
}

#[test]
fn the_service_receipt_serialises_its_amount_as_a_string() {
    let receipt = Receipt {
        order_id: "o-1".to_owned(),
        status: "Paid".to_owned(),
        tonnes: Decimal::from(3),
        note: "fleet".to_owned(),
    };
    assert_eq!(
        serde_json::to_string(&receipt).unwrap(),
        r#"{"order_id":"o-1","status":"Paid","tonnes":"3","note":"fleet"}"#
    );
}

#[test]
fn an_untagged_enum_parses_a_json_number_as_its_number_variant() {
    assert_eq!(
        serde_json::from_str::<Amount>("1.5").unwrap(),
        Amount::Num(1.5)
    );
}

#[test]
fn an_untagged_enum_parses_a_json_string_as_its_text_variant() {
    assert_eq!(
        serde_json::from_str::<Amount>(r#""1.5""#).unwrap(),
        Amount::Text("1.5".to_owned())
    );
}

#[test]
fn a_json_value_round_trips_unchanged() {
    let text = r#"{"a":1.5,"b":[1,2],"c":"x"}"#;
    let value: Value = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_string(&value).unwrap(), text);
    assert_eq!(value["a"].as_f64(), Some(1.5));
    assert_eq!(value["b"][0].as_u64(), Some(1));
}

#[test]
fn a_flattened_struct_deserialises_its_number_field() {
    assert_eq!(
        serde_json::from_str::<Event>(r#"{"id":1,"extra":2.5}"#).unwrap(),
        Event {
            id: 1,
            details: Details { extra: 2.5 },
        }
    );
}
