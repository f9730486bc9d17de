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

/// Domain values decoded from the API documentation's examples.
pub mod fixtures {
    use crate::{Balance, Invoice, Order, Quote, VcuAmount};

    const ORDER: &str = r#"{
        "id": "4158d5d1-9364-46e6-8d0d-451f528261e7",
        "vcuAmount": 0.02, "vcuUnitPrice": 110.0, "totalPrice": 2.200,
        "targetCurrency": "BRL", "status": "Issued",
        "createdAt": "2022-07-24T18:26:44.4176783Z", "notifyCertificateTo": null,
        "type": "Postpaid", "paymentDate": null, "metaData": null, "retireForRecipient": false,
        "certificateRecipientInfo": {"name": "Example First", "email": "example@email.com", "taxId": "000.000.000-00"}
    }"#;

    const BALANCE: &str = r#"{
        "startDate": "2022-07-12T14:12:13.714817",
        "endDate": "2022-07-21T17:00:25.0851306Z",
        "balancesByCurrency": [{"currency": "BRL", "vcuBalance": {
            "type": "VCU", "balance": 15.997878, "credit": 16.0, "debt": 37.53443683424, "futureDebt": 9.0
        }}]
    }"#;

    const INVOICE: &str = r#"{
        "id": "24882adc-d020-4e5a-ac26-36c12d24c507", "status": "Paid",
        "totalVcuAmount": 1.0, "totalPrice": 137.5, "currency": "BRL",
        "customerId": "c892597a-997c-4a6f-a4cf-6e370240edff",
        "createdAt": "2022-02-11T16:47:02.894999", "paidAt": "2022-02-11T16:47:05.226771", "dueDate": null
    }"#;

    fn decode<W: serde::de::DeserializeOwned>(json: &str) -> W {
        serde_json::from_str(json).expect("documented example decodes")
    }

    /// The order of the docs' "Order [POST]" example (0.02 VCU, `Issued`).
    pub fn order() -> Order {
        Order::from(decode::<carbonext_api::types::Order>(ORDER))
    }

    /// [`order`] as [`VcuMarket::place_order`](crate::VcuMarket::place_order) returns it:
    /// placed by the call, or found under its key (`already_existed`).
    pub fn placed_order(already_existed: bool) -> crate::PlacedOrder {
        crate::PlacedOrder {
            order: order(),
            already_existed,
        }
    }

    /// The balance of the docs' walkthrough (debt `37.53443683424`).
    pub fn balance() -> Balance {
        Balance::from(decode::<carbonext_api::types::Balance>(BALANCE))
    }

    /// The paid credit-card invoice of the docs' "Invoice [GET]" example.
    pub fn invoice() -> Invoice {
        Invoice::from(decode::<carbonext_api::types::Invoice>(INVOICE))
    }

    /// A quote of 1 VCU at the docs' price (137.5 BRL).
    pub fn quote() -> Quote {
        Quote::new(
            VcuAmount::new(rust_decimal::Decimal::ONE).expect("1 is positive"),
            "137.5".parse().expect("a decimal"),
            crate::Currency::Brl,
        )
        .expect("fits")
    }
}

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
