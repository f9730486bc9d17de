//! Bodies that take one of two shapes: [`CancelledOrders`] and [`EmissionRequest`].
//!
//! serde's `untagged` enums buffer their input as generic content before trying each variant,
//! which turns numbers into `f64` and loses the exact digits of every amount inside (and
//! [`DecimalNumber`](crate::DecimalNumber) cannot be read from that buffer at all). These
//! types read the body's raw JSON text once and decode each shape from it directly, so
//! nothing is rounded.
//!
//! ```
//! use carbonext_api::CancelledOrders;
//!
//! let one: CancelledOrders = serde_json::from_str(r#"{
//!     "id": "4158d5d1-9364-46e6-8d0d-451f528261e7", "vcuAmount": 0.020, "status": "Cancelled"
//! }"#).unwrap();
//! let CancelledOrders::Order(order) = one else { panic!("one order") };
//! assert_eq!(order.vcu_amount.to_string(), "0.020");
//! ```

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::types::{DistanceEmissionRequest, Order, RouteEmissionRequest};

/// The cancelled orders: a list (batch cancel), or the single order some examples show.
// Unboxed like the enum progenitor generated: a response read once, and users match on it.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum CancelledOrders {
    /// Several orders (or one, in a list).
    Array(Vec<Order>),
    /// A single order object.
    Order(Order),
}

impl<'de> Deserialize<'de> for CancelledOrders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <Box<RawValue>>::deserialize(deserializer)?;
        one_of(&raw, "a list of orders or an order").map(|shape| match shape {
            Ok(orders) => Self::Array(orders),
            Err(order) => Self::Order(order),
        })
    }
}

impl From<Vec<Order>> for CancelledOrders {
    fn from(value: Vec<Order>) -> Self {
        Self::Array(value)
    }
}

impl From<Order> for CancelledOrders {
    fn from(value: Order) -> Self {
        Self::Order(value)
    }
}

/// What to calculate the emission of: a route between two codes, or a distance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum EmissionRequest {
    /// From one code to another (ZIP codes by road, airport codes by air).
    RouteEmissionRequest(RouteEmissionRequest),
    /// A distance travelled.
    DistanceEmissionRequest(DistanceEmissionRequest),
}

impl<'de> Deserialize<'de> for EmissionRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <Box<RawValue>>::deserialize(deserializer)?;
        one_of(&raw, "a route or a distance emission request").map(|shape| match shape {
            Ok(route) => Self::RouteEmissionRequest(route),
            Err(distance) => Self::DistanceEmissionRequest(distance),
        })
    }
}

impl From<RouteEmissionRequest> for EmissionRequest {
    fn from(value: RouteEmissionRequest) -> Self {
        Self::RouteEmissionRequest(value)
    }
}

impl From<DistanceEmissionRequest> for EmissionRequest {
    fn from(value: DistanceEmissionRequest) -> Self {
        Self::DistanceEmissionRequest(value)
    }
}

/// `raw` decoded as `A` if it is one, otherwise as `B`; the error names both failures.
fn one_of<A: DeserializeOwned, B: DeserializeOwned, E: serde::de::Error>(
    raw: &RawValue,
    expected: &str,
) -> Result<Result<A, B>, E> {
    let first = match serde_json::from_str::<A>(raw.get()) {
        Ok(a) => return Ok(Ok(a)),
        Err(err) => err,
    };
    serde_json::from_str::<B>(raw.get())
        .map(Err)
        .map_err(|second| E::custom(format_args!("expected {expected}: {first}; {second}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_and_a_single_order_both_keep_exact_amounts() {
        let order = r#"{"id": "4158d5d1-9364-46e6-8d0d-451f528261e7", "vcuAmount": 110.00,
                        "status": "Cancelled"}"#;
        let list: CancelledOrders = serde_json::from_str(&format!("[{order}]")).unwrap();
        let CancelledOrders::Array(orders) = &list else {
            panic!("a list: {list:?}")
        };
        assert_eq!(orders[0].vcu_amount.to_string(), "110.00");
        assert!(serde_json::to_string(&list)
            .unwrap()
            .contains(r#""vcuAmount":110.00"#));
    }

    #[test]
    fn emission_requests_pick_their_shape_and_keep_digits() {
        let route: EmissionRequest = serde_json::from_str(
            r#"{"type": 2, "originCode": "GRU", "destCode": "JFK", "unitValue": 2.50}"#,
        )
        .unwrap();
        let EmissionRequest::RouteEmissionRequest(route) = route else {
            panic!("a route")
        };
        assert_eq!(route.unit_value.to_string(), "2.50");
        let distance: EmissionRequest =
            serde_json::from_str(r#"{"type": 1, "distance": 1234.500}"#).unwrap();
        let EmissionRequest::DistanceEmissionRequest(distance) = distance else {
            panic!("a distance")
        };
        assert_eq!(distance.distance.to_string(), "1234.500");
    }

    #[test]
    fn a_body_of_neither_shape_names_both_failures() {
        let err = serde_json::from_str::<EmissionRequest>(r#"{"type": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("expected a route or a distance emission request"),
            "{err}"
        );
        assert!(err.contains("distance"), "{err}");
    }
}
