//! Public calculator endpoints: transport types, airports (paginated) and `calculate`.
//!
//! `calculate` reads a body with any of `originCode`, `destCode` or `unitValue` as a route
//! request and any other body as a distance request, so a missing field is reported against
//! the form the caller meant. See [`crate::calculator`] for the factors.

use axum::Json;
use carbonext_api::types::{
    self, CalculatorTypes, DistanceEmissionRequest, Emission, RouteEmissionRequest,
};
use carbonext_api::Page;

use crate::calculator;
use crate::extract::{decode, Body};
use crate::problem::Problem;
use crate::query::{paginate, Params};

/// `listCalculatorTypes`.
pub async fn list_types() -> Json<CalculatorTypes> {
    Json(CalculatorTypes {
        types: calculator::TYPES.iter().map(|t| t.wire()).collect(),
    })
}

/// `listAirports`.
pub async fn list_airports(params: Params) -> Result<Json<Page<types::Airport>>, Problem> {
    let request = params.page_request()?;
    let all = crate::airports::ALL
        .iter()
        .map(|a| types::Airport {
            code: a.code.to_owned(),
            country: Some(a.country.to_owned()),
            city: Some(a.city.to_owned()),
        })
        .collect();
    Ok(Json(paginate(all, request)))
}

/// `calculateEmission`. The body is decoded from its own text (not through a
/// `serde_json::Value`, which would round its numbers to `f64`).
pub async fn calculate(
    Body(body): Body<Box<serde_json::value::RawValue>>,
) -> Result<Json<Emission>, Problem> {
    let Ok(object) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(body.get())
    else {
        return Err(Problem::validation("$", "the body must be a JSON object"));
    };
    let by_route = ["originCode", "destCode", "unitValue"]
        .iter()
        .any(|k| object.contains_key(*k));
    let text = body.get().as_bytes();
    let emission = if by_route {
        calculator::by_route(&decode::<RouteEmissionRequest>(text)?)?
    } else {
        calculator::by_distance(&decode::<DistanceEmissionRequest>(text)?)?
    };
    Ok(Json(emission))
}
