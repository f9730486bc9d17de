//! A stand-in for a user's backend service built on `carbonext-domain`.
//!
//! It does what a real service would: it programs against the SDK's [`VcuMarket`] trait (so
//! it can be tested with `MockVcuMarket` and run against the sandbox or the real API), and it
//! has serde types of its own ([`Receipt`], [`Line`], [`Amount`], [`Event`]) whose JSON and
//! form encodings must be those documented by `serde_json`, `serde_urlencoded` and
//! `rust_decimal`, whatever `carbonext-domain` brings into the dependency graph.

use std::sync::Arc;

use carbonext_domain::{NewOrder, OrderKey, VcuAmount, VcuMarket};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Offsets emissions by buying VCUs (1 VCU = 1 tCO2eq), paid from the account's balance.
#[derive(Clone)]
pub struct OffsetService {
    market: Arc<dyn VcuMarket>,
}

impl OffsetService {
    /// A service buying through `market` (the `Carbonext` facade, or a mock in tests).
    pub fn new(market: Arc<dyn VcuMarket>) -> Self {
        Self { market }
    }

    /// Buys `tonnes` VCUs paid with the balance for the request `request_id` (the caller's own
    /// id of it), keeping `note` with the order.
    ///
    /// The order's key is made from `request_id`, so the same request sent again (a client's
    /// retry after a time-out) finds the order placed the first time instead of placing a
    /// second one. A zero or negative amount, or a note too long for the API, is refused
    /// before anything is sent (`Error::Validation`).
    pub async fn offset(
        &self,
        request_id: &str,
        tonnes: Decimal,
        note: &str,
    ) -> Result<Receipt, carbonext_domain::Error> {
        let amount = VcuAmount::new(tonnes)?;
        let order = NewOrder::builder(amount)
            .pay_with_balance(true)
            .key(OrderKey::from_external_id("request", request_id)?)
            .meta_data(note)
            .build()?;
        let placed = self.market.place_order(order).await?.order;
        Ok(Receipt {
            order_id: placed.id.to_string(),
            status: placed.status.to_string(),
            tonnes: placed.vcu_amount,
            note: placed.meta_data.unwrap_or_default(),
        })
    }
}

/// Handles a "shipment delivered" event: buys `tonnes` VCUs paid with the balance, keyed by
/// the shipment's id, so a redelivered event finds the order instead of placing another.
/// Written against `&impl VcuMarket`: a `&Carbonext`, an `&Arc<dyn VcuMarket>` or a mock.
pub async fn on_shipment_delivered(
    market: &impl VcuMarket,
    shipment_id: &str,
    tonnes: Decimal,
) -> Result<Receipt, carbonext_domain::Error> {
    let order = NewOrder::builder(VcuAmount::new(tonnes)?)
        .pay_with_balance(true)
        .key(OrderKey::from_external_id("shipment", shipment_id)?)
        .meta_data(format!("shipment {shipment_id}"))
        .build()?;
    let placed = market.place_order(order).await?.order;
    Ok(Receipt {
        order_id: placed.id.to_string(),
        status: placed.status.to_string(),
        tonnes: placed.vcu_amount,
        note: placed.meta_data.unwrap_or_default(),
    })
}

impl OffsetService {
    /// [`on_shipment_delivered`] through this service's shared market.
    pub async fn on_shipment_delivered(
        &self,
        shipment_id: &str,
        tonnes: Decimal,
    ) -> Result<Receipt, carbonext_domain::Error> {
        on_shipment_delivered(&self.market, shipment_id, tonnes).await
    }
}

/// What the service answers its own callers after an offset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Receipt {
    /// The Carbonext order id.
    pub order_id: String,
    /// The order's status as the API reported it (`Paid`, `Issued`…).
    pub status: String,
    /// VCUs bought (tCO2eq offset).
    pub tonnes: Decimal,
    /// The note kept with the order.
    pub note: String,
}

/// A line of one of the service's own invoices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Amount of the line.
    pub total: Decimal,
}

/// An amount as the service's callers send it: a JSON number or text.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    /// A JSON number.
    Num(f64),
    /// Anything given as a string.
    Text(String),
}

/// An event the service receives: an id and whatever details come alongside it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Event {
    /// Event id.
    pub id: u64,
    /// The other fields of the event.
    #[serde(flatten)]
    pub details: Details,
}

/// The fields of an [`Event`] besides its id.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Details {
    /// A measurement carried by the event.
    pub extra: f64,
}
