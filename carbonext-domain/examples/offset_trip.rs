//! The offset of a trip through the `Offsetting` trait: calculate the flight's emission,
//! round it up to VCUs, quote them under a price limit and order them exactly once.
//!
//! The service's code takes a `&dyn Offsetting` (the `Carbonext` facade here; `MockOffsetting`
//! with the `mock` feature in its tests). Against the embedded sandbox it offsets a flight
//! GRU → JFK for 2 passengers, keyed by the trip's id, and checks: the VCUs cover the emission
//! (rounded up to 2 decimals), the order has those VCUs at the quoted price, within the
//! limit; running the same trip again reports the existing order and places nothing. It exits
//! non-zero otherwise.
//!
//! ```sh
//! cargo run -p carbonext-domain --example offset_trip
//! ```

use carbonext_domain::calculator::{Route, TransportId};
use carbonext_domain::offset::{EmissionSource, Offset, OffsetOutcome, OffsetRequest, Rounding};
use carbonext_domain::{
    Carbonext, Credentials, Decimal, Environment, Offsetting, OrderKey, Recipient,
};
use carbonext_sandbox::Sandbox;

/// Limit of what one trip's offset may cost, in BRL (the default currency).
const MAX_TOTAL_PRICE_BRL: u32 = 500;

/// The service's code: offsets one flight of `passengers`, keyed by the trip's own id.
async fn offset_flight(
    offsetting: &dyn Offsetting,
    trip_id: &str,
    from: &str,
    to: &str,
    passengers: u32,
) -> Result<Offset, Box<dyn std::error::Error>> {
    let flight = EmissionSource::route(
        TransportId::PASSENGER_AIRPLANE,
        Route::air(from, to)?,
        Decimal::from(passengers),
    )?;
    let key = OrderKey::from_external_id("trip", trip_id)?;
    let request = OffsetRequest::builder(flight, key)
        .rounding(Rounding::UpToDecimals(2))
        .max_total_price(Decimal::from(MAX_TOTAL_PRICE_BRL))
        .recipient(Recipient::new().name("Jane Traveller"))
        .build()?;
    Ok(offsetting.offset(request).await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder().start().await?;
    let carbonext = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()?;

    let offset = offset_flight(&carbonext, "TRIP-000123", "GRU", "JFK", 2).await?;
    let vcus = offset.vcus.expect("a flight emits something").value();
    let quote = offset.quote.clone().expect("a new order is quoted");
    println!(
        "{} tCO2eq → {vcus} VCU, quoted {} {}",
        offset.tonnes, quote.total_price, quote.currency
    );
    assert!(offset.calculation.is_some(), "the route was calculated");
    assert!(vcus >= offset.tonnes, "the VCUs cover the whole emission");
    assert!(vcus.scale() <= 2, "rounded up to 2 decimals: {vcus}");
    assert!(quote.total_price <= Decimal::from(MAX_TOTAL_PRICE_BRL));
    let OffsetOutcome::Placed(order) = &offset.outcome else {
        panic!("expected a placed order, got {}", offset.outcome.as_str());
    };
    println!(
        "order {} placed: {} VCU, {:?}",
        order.id, order.vcu_amount, order.meta_data
    );
    assert_eq!(order.vcu_amount, vcus);
    assert_eq!(order.total_price, Some(quote.total_price));

    // The same trip again (a retried job, a redelivered event): found, not placed again.
    let again = offset_flight(&carbonext, "TRIP-000123", "GRU", "JFK", 2).await?;
    let OffsetOutcome::Existing(existing) = &again.outcome else {
        panic!(
            "expected the existing order, got {}",
            again.outcome.as_str()
        );
    };
    println!("again: order {} was already placed", existing.id);
    assert_eq!(existing.id, order.id);
    let key = OrderKey::from_external_id("trip", "TRIP-000123")?;
    assert_eq!(sandbox.orders_with_key(key.as_str()).len(), 1);
    assert_eq!(sandbox.counters().operation("create_order"), 1);
    println!("ok: one trip, offset once");
    Ok(())
}
