//! Domain values built from the API documentation's examples, one for every kind of value a
//! trait returns, for feeding mocks (`MockVcuMarket`…) with realistic data.
//!
//! ```
//! use carbonext_domain::testing::fixtures;
//!
//! assert_eq!(fixtures::order().vcu_amount.to_string(), "0.02");
//! assert!(fixtures::offset().order().is_some());
//! ```

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::accounts::{
    AllowedFilters, ApiKey, ApiKeyId, NewApiKeySecret, Permission, PermissionId, Resource, Secret,
    User, UserId,
};
use crate::calculator::{Airport, AirportCode, Emission, TransportId, TransportType};
use crate::offset::{Offset, OffsetOutcome};
use crate::{Balance, Invoice, Order, OrderKey, Page, PlacedOrder, Quote, VcuAmount};

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

/// The order of the docs' "Order \[POST\]" example (0.02 VCU, `Issued`).
pub fn order() -> Order {
    Order::from(decode::<carbonext_api::types::Order>(ORDER))
}

/// The balance of the docs' walkthrough (debt `37.53443683424`).
pub fn balance() -> Balance {
    Balance::from(decode::<carbonext_api::types::Balance>(BALANCE))
}

/// The paid credit-card invoice of the docs' "Invoice \[GET\]" example.
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

/// [`order`] as [`VcuMarket::place_order`](crate::VcuMarket::place_order) reports it when it
/// placed the order.
pub fn placed_order() -> PlacedOrder {
    PlacedOrder {
        order: order(),
        already_existed: false,
    }
}

/// `items` as the only page of a listing (`Ledger::orders_page`, `Accounts::users_page`…).
pub fn page<T>(items: Vec<T>) -> Page<T> {
    Page {
        total_count: items.len() as i64,
        items,
        page_index: 1,
        total_pages: 1,
        aggregations: None,
        has_previous_page: false,
        has_next_page: false,
    }
}

/// An offset of 0.02 tCO2eq that placed [`order`] (0.02 VCU at 110 BRL), keyed
/// `shipment_SHP_000123`.
pub fn offset() -> Offset {
    let order = order();
    let vcus = VcuAmount::new(order.vcu_amount).expect("the documented order is positive");
    Offset {
        key: OrderKey::from_external_id("shipment", "SHP_000123").expect("a valid id"),
        calculation: None,
        tonnes: order.vcu_amount,
        vcus: Some(vcus),
        quote: Quote::new(vcus, Decimal::new(110, 0), crate::Currency::Brl),
        outcome: OffsetOutcome::Placed(order),
    }
}

/// An offset of a zero emission: nothing quoted or ordered.
pub fn nothing_to_offset() -> Offset {
    Offset {
        key: OrderKey::from_external_id("shipment", "SHP_000124").expect("a valid id"),
        calculation: None,
        tonnes: Decimal::ZERO,
        vcus: None,
        quote: None,
        outcome: OffsetOutcome::NothingToOffset,
    }
}

/// A by-route calculation answer (`0.0163 tCO2eq`).
pub fn emission() -> Emission {
    Emission {
        emission: "0.0163".parse().expect("a decimal"),
        unit: Some("tCO2eq".to_owned()),
    }
}

/// The documented transport types: `CargoTruck`, `PassengerAirplane` and `PassengerBus`.
pub fn transport_types() -> Vec<TransportType> {
    [
        (TransportId::CARGO_TRUCK, "CargoTruck", "grams"),
        (
            TransportId::PASSENGER_AIRPLANE,
            "PassengerAirplane",
            "passenger",
        ),
        (TransportId::PASSENGER_BUS, "PassengerBus", "passenger"),
    ]
    .into_iter()
    .map(|(id, name, unit)| TransportType {
        id,
        name: name.to_owned(),
        request_unit: Some(unit.to_owned()),
        response_unit: Some("tCO2eq".to_owned()),
    })
    .collect()
}

/// São Paulo–Guarulhos (`GRU`).
pub fn airport() -> Airport {
    Airport {
        code: AirportCode::new("GRU").expect("three letters"),
        city: Some("São Paulo".to_owned()),
        country: Some("Brazil".to_owned()),
    }
}

/// The `orders_read` permission.
pub fn permission() -> Permission {
    Permission {
        id: PermissionId(fixed_id(0x11)),
        key: Some("orders_read".to_owned()),
        description: Some("Read orders".to_owned()),
    }
}

/// A user holding [`permission`].
pub fn user() -> User {
    User {
        id: UserId(fixed_id(0x22)),
        email: "example@email.com".to_owned(),
        name: Some("Example First".to_owned()),
        is_email_verified: Some(true),
        permissions: vec![permission()],
    }
}

/// An API key holding [`permission`].
pub fn api_key() -> ApiKey {
    ApiKey {
        id: ApiKeyId(fixed_id(0x33)),
        client_id: "cbx_b2b_billing_job".to_owned(),
        display_name: Some("Billing job".to_owned()),
        permissions: vec![permission()],
    }
}

/// [`api_key`] as just created, with its secret (`example-secret`, not a real one).
pub fn new_api_key_secret() -> NewApiKeySecret {
    let key = api_key();
    NewApiKeySecret {
        id: key.id,
        client_id: key.client_id,
        client_secret: Secret::new("example-secret"),
    }
}

/// Every resource this version knows.
pub fn resources() -> Vec<Resource> {
    Resource::KNOWN.to_vec()
}

/// The documented filters and sorts of orders (`GET /v1/allowed-filters/orders`).
pub fn allowed_filters() -> AllowedFilters {
    let filters = [
        "status_eq",
        "status_ne",
        "status_in",
        "vcuUnitPrice_ge",
        "vcuUnitPrice_le",
        "vcuAmount_ge",
        "vcuAmount_le",
        "invoiceId_eq",
        "createdAt_ge",
        "createdAt_le",
        "totalPrice_ge",
        "totalPrice_le",
    ];
    AllowedFilters {
        filters: filters.map(String::from).to_vec(),
        sort: ["createdAt", "vcuAmount", "status", "vcuUnitPrice"]
            .map(String::from)
            .to_vec(),
        aggregate: None,
    }
}

/// A stable, recognisable id (every byte `byte`), so snapshots of fixtures never change.
fn fixed_id(byte: u8) -> Uuid {
    Uuid::from_bytes([byte; 16])
}
