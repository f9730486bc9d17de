//! Offsetting: from an emission to the order of the VCUs that neutralise it, in one call
//! ([`Offsetting::offset`](crate::Offsetting::offset)), or for a whole stream of shipments or
//! trips ([`Carbonext::offset_batch`](crate::Carbonext::offset_batch)).
//!
//! One offset chains what a caller would otherwise write by hand: calculate the emission
//! ([`EmissionSource`]: a distance, a route, or a known amount of tCO2eq), turn it into VCUs
//! (1 VCU = 1 tCO2eq) under a [`Rounding`] rule the caller chooses, quote them, check the
//! quote against an optional price limit, and place the order exactly once under the
//! caller's [`OrderKey`].
//!
//! ```
//! use carbonext_domain::calculator::{Route, TransportId};
//! use carbonext_domain::offset::{EmissionSource, OffsetRequest, Rounding};
//! use carbonext_domain::{Decimal, OrderKey, Recipient};
//!
//! let flight = EmissionSource::route(
//!     TransportId::PASSENGER_AIRPLANE,
//!     Route::air("GRU", "JFK")?,
//!     Decimal::from(2), // passengers
//! )?;
//! let request = OffsetRequest::builder(flight, OrderKey::new("trip_000123")?)
//!     .rounding(Rounding::UpToDecimals(2))
//!     .max_total_price(Decimal::from(500)) // BRL, the default currency
//!     .recipient(Recipient::new().name("Jane Traveller"))
//!     .build()?;
//! assert_eq!(request.key().as_str(), "trip_000123");
//! # Ok::<(), carbonext_domain::ValidationError>(())
//! ```
//!
//! # The steps, and what each call sends
//!
//! 1. **Emission.** A [`EmissionSource::Route`] or [`EmissionSource::Distance`] asks the
//!    calculator once; [`EmissionSource::Tonnes`] sends nothing. A distance's answer is per
//!    tonne of cargo or per passenger (the type's `responseUnit`), so it is multiplied by the
//!    source's `units`; a route's answer is already the trip's total.
//! 2. **VCUs.** The emission in tCO2eq, exact, rounded *up* as [`Rounding`] says, so the
//!    emission is always fully covered. A zero emission orders nothing:
//!    [`OffsetOutcome::NothingToOffset`].
//! 3. **An order already placed under the key?** The key's lock is taken
//!    ([`key_lock`](crate::key_lock)) and held to the end; the key is looked up once, before
//!    anything is quoted, through every page of matches (a key contained in others,
//!    `shipment_1` in `shipment_10`, matches them all). If found, the offset is [`OffsetOutcome::Existing`] with that order, and the
//!    price limit is *not* checked again (the price may have moved since the order was
//!    placed; the order stands as placed).
//! 4. **Quote** of the VCUs in the request's currency, then the **price limit**: a quote
//!    above [`OffsetRequestBuilder::max_total_price`] ends with
//!    [`Error::PriceAboveLimit`](crate::Error::PriceAboveLimit) and nothing ordered.
//! 5. **Order**, as [`VcuMarket::place_order`](crate::VcuMarket::place_order)
//!    creates one: exactly once per key, even when its answer is lost (the key is looked up
//!    again before anything is resent). A concurrent placement of the same key waits for the
//!    lock, then finds this order.
//!
//! A new offset of known tonnes thus takes 3 requests (lookup, quote, creation), a re-run 1
//! (the lookup), and a route or distance adds its one calculation.
//!
//! A dry run ([`OffsetRequestBuilder::dry_run`]) does steps 1 to 4, limit included, and
//! orders nothing ([`OffsetOutcome::DryRun`]).
//!
//! # What the order records
//!
//! The order's `metaData` says what was offset, e.g. `offset: air GRU->JFK 2 passengers,
//! 2.421859076 tCO2eq` (after your own note, if any), cut to what the key leaves of the API's 500
//! characters ([`MetaData::max_len_for`]): the key is never dropped.
//!
//! # A whole program
//!
//! As in the README (against the environment `Carbonext::from_env` reads):
//!
//! ```no_run
//! use carbonext_domain::calculator::{Route, TransportId};
//! use carbonext_domain::offset::{EmissionSource, OffsetOutcome, OffsetRequest, Rounding};
//! use carbonext_domain::{Carbonext, Decimal, Offsetting, OrderKey, Recipient};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let carbonext = Carbonext::from_env()?;
//!     let flight = EmissionSource::route(
//!         TransportId::PASSENGER_AIRPLANE,
//!         Route::air("GRU", "JFK")?,
//!         Decimal::from(2), // passengers
//!     )?;
//!     let request = OffsetRequest::builder(flight, OrderKey::new("trip_000123")?)
//!         .rounding(Rounding::UpToDecimals(2)) // or Exact, or UpToWholeVcus
//!         .max_total_price(Decimal::from(500)) // BRL; above it: Error::PriceAboveLimit, nothing ordered
//!         .recipient(Recipient::new().name("Jane Traveller"))
//!         .build()?;
//!     let offset = carbonext.offset(request).await?;
//!     println!("{} tCO2eq → {:?} VCU", offset.tonnes, offset.vcus.map(|v| v.to_string()));
//!     match &offset.outcome {
//!         OffsetOutcome::Placed(order) => println!("order {} placed", order.id),
//!         OffsetOutcome::Existing(order) => println!("order {} was already placed", order.id),
//!         OffsetOutcome::NothingToOffset => println!("zero emission: nothing ordered"),
//!         _ => {}
//!     }
//!     Ok(())
//! }
//! ```

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::calculator::{Emission, Route, TransportId};
use crate::order::{MetaData, Order, OrderKey, Quote, Recipient};
use crate::validation::ValidationError;
use crate::{Currency, VcuAmount};

/// What was emitted, to be offset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum EmissionSource {
    /// A distance travelled by a transport type. The calculator answers per unit of the
    /// type's `responseUnit` (per tonne of cargo for a truck, per passenger for a plane or
    /// bus); the total is that times `units`.
    Distance {
        /// Transport type (see [`Calculator::transport_types`](crate::Calculator::transport_types)).
        transport: TransportId,
        /// Metres travelled, greater than zero.
        #[serde(with = "crate::amount::decimal_text")]
        meters: Decimal,
        /// Tonnes of cargo or passengers carried, greater than zero.
        #[serde(with = "crate::amount::decimal_text")]
        units: Decimal,
    },
    /// A trip between two ZIP codes by road or two airports by air, for `units` of the
    /// type's `requestUnit` (grams of cargo for a truck, passengers otherwise). The
    /// calculator answers the trip's total in tCO2eq.
    Route {
        /// Transport type.
        transport: TransportId,
        /// Where the trip goes.
        route: Route,
        /// Grams of cargo or passengers, greater than zero.
        #[serde(with = "crate::amount::decimal_text")]
        units: Decimal,
    },
    /// A known emission, in tCO2eq (zero or more). Nothing is calculated.
    Tonnes {
        /// tCO2eq, exact.
        #[serde(with = "crate::amount::decimal_text")]
        tonnes: Decimal,
    },
}

impl EmissionSource {
    /// A distance: `meters` travelled by `transport`, carrying `units` tonnes or passengers.
    /// Zero meters or units offset nothing
    /// ([`OffsetOutcome::NothingToOffset`], the calculator is not asked); negative ones are
    /// refused.
    pub fn distance(
        transport: TransportId,
        meters: Decimal,
        units: Decimal,
    ) -> Result<Self, ValidationError> {
        not_negative(meters)?;
        not_negative(units)?;
        Ok(Self::Distance {
            transport,
            meters,
            units,
        })
    }

    /// A route travelled by `transport` with `units` grams or passengers. Zero units offset
    /// nothing ([`OffsetOutcome::NothingToOffset`]); negative ones are refused (the route's
    /// codes were validated when it was made).
    pub fn route(
        transport: TransportId,
        route: Route,
        units: Decimal,
    ) -> Result<Self, ValidationError> {
        not_negative(units)?;
        Ok(Self::Route {
            transport,
            route,
            units,
        })
    }

    /// A known emission in tCO2eq. Zero is accepted (it offsets nothing); a negative amount
    /// is refused.
    pub fn tonnes(tonnes: Decimal) -> Result<Self, ValidationError> {
        not_negative(tonnes)?;
        Ok(Self::Tonnes { tonnes })
    }

    /// What the order's metaData says was offset, before the amount: `air GRU->JFK 2
    /// passengers`, `truck 100000 m 3.5 t`, `type 7 …` for a type this version does not name.
    fn describe(&self) -> String {
        match self {
            Self::Distance {
                transport,
                meters,
                units,
            } => format!(
                "{} {meters} m {units} {}",
                transport_name(*transport),
                distance_unit(*transport)
            ),
            Self::Route {
                transport,
                route,
                units,
            } => format!(
                "{} {}->{} {units} {}",
                transport_name(*transport),
                route.origin_code(),
                route.destination_code(),
                route_unit(*transport)
            ),
            Self::Tonnes { .. } => "known emission".to_owned(),
        }
    }
}

/// Short names of the documented transport types, for metaData.
fn transport_name(transport: TransportId) -> String {
    match transport {
        TransportId::CARGO_TRUCK => "truck".to_owned(),
        TransportId::PASSENGER_AIRPLANE => "air".to_owned(),
        TransportId::PASSENGER_BUS => "bus".to_owned(),
        other => format!("type {other}"),
    }
}

/// Unit of a by-route `units` (the type's `requestUnit`).
fn route_unit(transport: TransportId) -> &'static str {
    match transport {
        TransportId::CARGO_TRUCK => "g",
        TransportId::PASSENGER_AIRPLANE | TransportId::PASSENGER_BUS => "passengers",
        _ => "units",
    }
}

/// Unit of a by-distance `units` (the denominator of the type's `responseUnit`).
fn distance_unit(transport: TransportId) -> &'static str {
    match transport {
        TransportId::CARGO_TRUCK => "t",
        TransportId::PASSENGER_AIRPLANE | TransportId::PASSENGER_BUS => "passengers",
        _ => "units",
    }
}

fn not_negative(value: Decimal) -> Result<(), ValidationError> {
    if value < Decimal::ZERO {
        return Err(ValidationError::NonPositiveAmount {
            value: value.to_string(),
        });
    }
    Ok(())
}

/// How an emission in tCO2eq becomes an amount of VCUs (1 VCU = 1 tCO2eq).
///
/// Every rule rounds **up** (towards positive infinity), so the VCUs always cover the whole
/// emission; the arithmetic is exact decimal (`rust_decimal`), digit for digit, never
/// floating point. VERRA retires whole units only: fractional VCUs are pooled by Carbonext
/// until whole ones can be retired, so choose [`Rounding::UpToWholeVcus`] when each
/// shipment must retire its own credits.
///
/// ```
/// use carbonext_domain::offset::Rounding;
/// use carbonext_domain::Decimal;
///
/// let emission: Decimal = "0.0293110549184694".parse().unwrap();
/// assert_eq!(Rounding::Exact.apply(emission).to_string(), "0.0293110549184694");
/// assert_eq!(Rounding::UpToDecimals(2).apply(emission).to_string(), "0.03");
/// assert_eq!(Rounding::UpToDecimals(6).apply(emission).to_string(), "0.029312");
/// assert_eq!(Rounding::UpToWholeVcus.apply(emission).to_string(), "1");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Rounding {
    /// The emission exactly as calculated, every digit (the default).
    #[default]
    Exact,
    /// Up to this many decimal places; an emission with fewer decimals is kept as it is
    /// (`1.5` stays `1.5` at 2 places, it does not become `1.50`).
    UpToDecimals(u32),
    /// Up to whole VCUs (what VERRA retires).
    UpToWholeVcus,
}

impl Rounding {
    /// The VCUs that offset `tonnes` of tCO2eq under this rule. Zero stays zero; a positive
    /// emission never rounds to zero.
    pub fn apply(self, tonnes: Decimal) -> Decimal {
        match self {
            Self::Exact => tonnes,
            Self::UpToDecimals(places) if tonnes.scale() <= places => tonnes,
            Self::UpToDecimals(places) => {
                tonnes.round_dp_with_strategy(places, RoundingStrategy::ToPositiveInfinity)
            }
            Self::UpToWholeVcus => tonnes.ceil(),
        }
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact => f.write_str("exact"),
            Self::UpToDecimals(places) => write!(f, "up to {places} decimals"),
            Self::UpToWholeVcus => f.write_str("up to whole VCUs"),
        }
    }
}

/// One offset to make: what was emitted, under which key, and how to order it. Built with
/// [`OffsetRequest::builder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffsetRequest {
    pub(crate) source: EmissionSource,
    pub(crate) key: OrderKey,
    pub(crate) rounding: Rounding,
    pub(crate) currency: Currency,
    pub(crate) pay_with_balance: bool,
    pub(crate) recipient: Option<Recipient>,
    pub(crate) max_total_price: Option<Decimal>,
    pub(crate) note: Option<String>,
    pub(crate) dry_run: bool,
}

impl OffsetRequest {
    /// Starts a request to offset `source` under `key`: your own key (a shipment or trip id),
    /// which makes the offset exactly-once across calls, processes and re-runs.
    pub fn builder(source: EmissionSource, key: OrderKey) -> OffsetRequestBuilder {
        OffsetRequestBuilder {
            request: OffsetRequest {
                source,
                key,
                rounding: Rounding::Exact,
                currency: Currency::Brl,
                pay_with_balance: false,
                recipient: None,
                max_total_price: None,
                note: None,
                dry_run: false,
            },
        }
    }

    /// What was emitted.
    pub fn source(&self) -> &EmissionSource {
        &self.source
    }
    /// The order key.
    pub fn key(&self) -> &OrderKey {
        &self.key
    }
    /// How the emission becomes VCUs.
    pub fn rounding(&self) -> Rounding {
        self.rounding
    }
    /// Currency quoted and charged.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }
    /// Whether the order is paid from the VCU balance at once.
    pub fn pays_with_balance(&self) -> bool {
        self.pay_with_balance
    }
    /// Certificate recipient, if not the customer.
    pub fn recipient(&self) -> Option<&Recipient> {
        self.recipient.as_ref()
    }
    /// Highest total price accepted, in [`OffsetRequest::currency`].
    pub fn max_total_price(&self) -> Option<Decimal> {
        self.max_total_price
    }
    /// Whether nothing is to be ordered.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// The metaData text recorded with the order for `tonnes` of emission: your note, then
    /// what was offset, cut to what the key leaves of the API's limit.
    pub fn meta_data(&self, tonnes: Decimal) -> MetaData {
        let what = format!("offset: {}, {tonnes} tCO2eq", self.source.describe());
        let text = match &self.note {
            Some(note) if !note.is_empty() => format!("{note}; {what}"),
            _ => what,
        };
        let max = MetaData::max_len_for(&self.key);
        let text: String = text.chars().take(max).collect();
        MetaData::new(text.trim_end(), &self.key).expect("cut to the limit")
    }
}

/// Builder of [`OffsetRequest`].
#[derive(Clone, Debug)]
pub struct OffsetRequestBuilder {
    request: OffsetRequest,
}

impl OffsetRequestBuilder {
    /// How the emission becomes VCUs (default [`Rounding::Exact`]).
    pub fn rounding(mut self, rounding: Rounding) -> Self {
        self.request.rounding = rounding;
        self
    }
    /// Currency to quote and charge (default BRL).
    pub fn currency(mut self, currency: Currency) -> Self {
        self.request.currency = currency;
        self
    }
    /// Pay from the VCU balance at once (default: billed later).
    pub fn pay_with_balance(mut self, yes: bool) -> Self {
        self.request.pay_with_balance = yes;
        self
    }
    /// Issue the certificate to someone else (your customer).
    pub fn recipient(mut self, recipient: Recipient) -> Self {
        self.request.recipient = (!recipient.is_empty()).then_some(recipient);
        self
    }
    /// Refuse to order when the quote's total price is above `limit` (in the request's
    /// currency): the offset then ends with
    /// [`Error::PriceAboveLimit`](crate::Error::PriceAboveLimit) and nothing is ordered.
    pub fn max_total_price(mut self, limit: Decimal) -> Self {
        self.request.max_total_price = Some(limit);
        self
    }
    /// Your own text, recorded in the order's metaData before the description of what was
    /// offset (both cut to fit, the key kept).
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.request.note = Some(text.into());
        self
    }
    /// Calculate and quote (limit included), order nothing.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.request.dry_run = yes;
        self
    }
    /// Validates and builds the request: a negative price limit is refused.
    pub fn build(self) -> Result<OffsetRequest, ValidationError> {
        if let Some(limit) = self.request.max_total_price {
            if limit < Decimal::ZERO {
                return Err(ValidationError::NonPositiveAmount {
                    value: limit.to_string(),
                });
            }
        }
        Ok(self.request)
    }
}

/// What an offset did: the emission, the VCUs, the quote and the order.
///
/// Serialises with camelCase names, amounts as exact strings (or exact JSON numbers through
/// [`crate::json`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Offset {
    /// The order key.
    pub key: OrderKey,
    /// The calculator's answer; `None` for [`EmissionSource::Tonnes`].
    pub calculation: Option<Emission>,
    /// The emission to offset in tCO2eq, exact (a distance's per-unit answer times its
    /// units).
    #[serde(with = "crate::amount::decimal_text")]
    pub tonnes: Decimal,
    /// VCUs after [`Rounding`]; `None` when there was nothing to offset. For an
    /// [`OffsetOutcome::Existing`] order, what this request would order (the order says what
    /// was ordered).
    pub vcus: Option<VcuAmount>,
    /// The quote checked against the limit; `None` when nothing was quoted (nothing to
    /// offset, or an order already existed).
    pub quote: Option<Quote>,
    /// What happened.
    pub outcome: OffsetOutcome,
}

impl Offset {
    /// The order placed or found, if any.
    pub fn order(&self) -> Option<&Order> {
        match &self.outcome {
            OffsetOutcome::Placed(order) | OffsetOutcome::Existing(order) => Some(order),
            OffsetOutcome::NothingToOffset | OffsetOutcome::DryRun => None,
        }
    }
}

/// What an offset did with its order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", content = "order", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OffsetOutcome {
    /// The order was placed by this call.
    Placed(Order),
    /// An order with the key already existed: nothing was placed (and the price limit was not
    /// checked again).
    Existing(Order),
    /// The emission is zero: nothing was quoted or ordered.
    NothingToOffset,
    /// A dry run: calculated and quoted, nothing ordered.
    DryRun,
}

impl OffsetOutcome {
    /// `placed`, `existing`, `nothing_to_offset` or `dry_run`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Placed(_) => "placed",
            Self::Existing(_) => "existing",
            Self::NothingToOffset => "nothing_to_offset",
            Self::DryRun => "dry_run",
        }
    }
}

/// One item's result in a batch ([`Carbonext::offset_batch`](crate::Carbonext::offset_batch)),
/// in input order.
#[derive(Debug)]
pub struct BatchOutcome {
    /// Position of the item in the input, from 0.
    pub index: usize,
    /// The item's key.
    pub key: OrderKey,
    /// What its offset did, or why it failed.
    pub result: crate::Result<Offset>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn rounding_is_exact_to_the_last_digit_and_always_up() {
        let cases = [
            ("0.0293110549184694", Rounding::Exact, "0.0293110549184694"),
            ("0.0293110549184694", Rounding::UpToDecimals(2), "0.03"),
            ("0.0293110549184694", Rounding::UpToDecimals(4), "0.0294"),
            (
                "0.0293110549184694",
                Rounding::UpToDecimals(15),
                "0.029311054918470",
            ),
            (
                "0.0293110549184694",
                Rounding::UpToDecimals(16),
                "0.0293110549184694",
            ),
            (
                "0.0293110549184694",
                Rounding::UpToDecimals(28),
                "0.0293110549184694",
            ),
            ("0.0293110549184694", Rounding::UpToWholeVcus, "1"),
            ("2.000000000000000001", Rounding::UpToDecimals(2), "2.01"),
            ("2.000000000000000001", Rounding::UpToWholeVcus, "3"),
            (
                "0.0000000000000000000000000001",
                Rounding::UpToDecimals(0),
                "1",
            ),
            ("1.5", Rounding::UpToDecimals(2), "1.5"),
            ("1.50", Rounding::Exact, "1.50"),
            ("3", Rounding::UpToWholeVcus, "3"),
            ("3.000", Rounding::UpToWholeVcus, "3"),
            ("0.125", Rounding::UpToDecimals(2), "0.13"),
            ("0.121", Rounding::UpToDecimals(2), "0.13"),
            ("0.120", Rounding::UpToDecimals(2), "0.12"),
            ("0", Rounding::UpToWholeVcus, "0"),
            ("0", Rounding::UpToDecimals(2), "0"),
            (
                "7922816251426433759354395033.5",
                Rounding::UpToWholeVcus,
                "7922816251426433759354395034",
            ),
        ];
        for (tonnes, rounding, vcus) in cases {
            assert_eq!(
                rounding.apply(d(tonnes)).to_string(),
                vcus,
                "{tonnes} {rounding}"
            );
        }
    }

    #[test]
    fn a_positive_emission_never_rounds_to_nothing_nor_below_itself() {
        for tonnes in ["0.0000001", "0.004", "12.3456789", "0.0293110549184694"] {
            let tonnes = d(tonnes);
            for rounding in [
                Rounding::Exact,
                Rounding::UpToDecimals(0),
                Rounding::UpToDecimals(2),
                Rounding::UpToDecimals(6),
                Rounding::UpToWholeVcus,
            ] {
                let vcus = rounding.apply(tonnes);
                assert!(
                    vcus >= tonnes && vcus > Decimal::ZERO,
                    "{tonnes} {rounding}"
                );
            }
        }
    }

    #[test]
    fn sources_accept_zero_and_refuse_negative_inputs() {
        let truck = TransportId::CARGO_TRUCK;
        assert!(EmissionSource::distance(truck, Decimal::ZERO, Decimal::ONE).is_ok());
        assert!(EmissionSource::distance(truck, Decimal::ONE, Decimal::ZERO).is_ok());
        assert!(EmissionSource::distance(truck, d("-1"), Decimal::ONE).is_err());
        assert!(EmissionSource::distance(truck, Decimal::ONE, d("-1")).is_err());
        let route = Route::air("GRU", "JFK").unwrap();
        assert!(EmissionSource::route(truck, route, Decimal::ZERO).is_ok());
        assert!(EmissionSource::route(truck, route, d("-1")).is_err());
        assert!(EmissionSource::tonnes(d("-0.01")).is_err());
        assert!(EmissionSource::tonnes(Decimal::ZERO).is_ok());
        let request = OffsetRequest::builder(
            EmissionSource::tonnes(Decimal::ONE).unwrap(),
            OrderKey::new("shipment_0001").unwrap(),
        )
        .max_total_price(d("-1"))
        .build();
        assert!(request.is_err());
    }

    #[test]
    fn meta_data_says_what_was_offset_and_keeps_the_key_within_the_limit() {
        let key = OrderKey::new("trip_000123").unwrap();
        let source = EmissionSource::route(
            TransportId::PASSENGER_AIRPLANE,
            Route::air("gru", "JFK").unwrap(),
            Decimal::from(2),
        )
        .unwrap();
        let request = OffsetRequest::builder(source.clone(), key.clone())
            .build()
            .unwrap();
        assert_eq!(
            request.meta_data(d("1.234567")).as_str(),
            "offset: air GRU->JFK 2 passengers, 1.234567 tCO2eq"
        );

        let long_note = "n".repeat(1000);
        let request = OffsetRequest::builder(source, key.clone())
            .note(long_note)
            .build()
            .unwrap();
        let text = request.meta_data(d("1.234567"));
        assert_eq!(text.as_str().chars().count(), MetaData::max_len_for(&key));
        let order = crate::NewOrder::builder("1".parse().unwrap())
            .meta_data(text.as_str())
            .key(key.clone())
            .build()
            .unwrap();
        assert_eq!(order.wire_meta_data().chars().count(), 500);
        assert!(order
            .wire_meta_data()
            .ends_with(&format!("[cbx-key:trip_000123 fp={}]", order.fingerprint())));
    }
}
