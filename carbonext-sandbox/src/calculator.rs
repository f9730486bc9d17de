//! The emissions calculator: transport types, their emission factors, and the two ways to
//! ask (by distance, by route).
//!
//! Emission factors (tCO2eq per unit per kilometre):
//!
//! | type | name | factor | per | `responseUnit` | `requestUnit` |
//! |---|---|---|---|---|---|
//! | 0 | CargoTruck | 0.0003885 | tonne·km | tCO2eq/tonne | grams |
//! | 1 | PassengerAirplane | 0.000158 | passenger·km | tCO2eq/passenger | passenger |
//! | 2 | PassengerBus | 0.000027 | passenger·km | tCO2eq/passenger | passenger |
//!
//! The truck factor reproduces the docs' example exactly (type 0, 100000 m → 0.03885
//! tCO2eq/tonne); the airplane and bus factors are typical published averages (economy
//! short/medium-haul flight, coach).
//!
//! - **By distance** (`{type, distance}`, metres ≥ 0): `distance/1000 × factor`, exact decimal
//!   arithmetic, in the type's `responseUnit` (per tonne or per passenger).
//! - **By route** (`{type, originCode, destCode, unitValue}`, `unitValue > 0`): the route's
//!   kilometres `× factor × amount`, in `tCO2eq`, where the amount is `unitValue` grams
//!   converted to tonnes for the truck and `unitValue` passengers otherwise.
//!   - Airplane: IATA codes from [`crate::airports`]; great-circle distance.
//!   - Truck and bus: Brazilian ZIP codes (CEP, `01526-000` or `01526000`). With no road
//!     data, each CEP is placed at the capital of its state (from the national CEP ranges)
//!     and the road distance is the great-circle distance between the capitals × 1.3. Two
//!     CEPs of the same state are `20 km + |prefix₁ − prefix₂| / 100 km` apart (prefixes are
//!     the first five digits), at most 500 km.
//!
//! Route kilometres come from trigonometry (f64) and are rounded to the metre before the
//! exact decimal arithmetic.

use carbonext_api::types::{
    CalculatorType, DistanceEmissionRequest, Emission, RouteEmissionRequest,
};
use rust_decimal::Decimal;

use crate::airports::{self, great_circle_km};
use crate::problem::Problem;

/// A transport type.
#[derive(Clone, Copy, Debug)]
pub struct TransportType {
    /// Identifier sent as `type`.
    pub value: i32,
    /// Name.
    pub name: &'static str,
    /// Unit of a by-distance answer.
    pub response_unit: &'static str,
    /// Unit of `unitValue` in a by-route request.
    pub request_unit: &'static str,
    /// tCO2eq per tonne·km or passenger·km.
    pub factor: Decimal,
    /// Whether routes are airport codes (otherwise ZIP codes).
    pub by_air: bool,
}

/// The documented types.
pub const TYPES: &[TransportType] = &[
    TransportType {
        value: 0,
        name: "CargoTruck",
        response_unit: "tCO2eq/tonne",
        request_unit: "grams",
        factor: Decimal::from_parts(3885, 0, 0, false, 7),
        by_air: false,
    },
    TransportType {
        value: 1,
        name: "PassengerAirplane",
        response_unit: "tCO2eq/passenger",
        request_unit: "passenger",
        factor: Decimal::from_parts(158, 0, 0, false, 6),
        by_air: true,
    },
    TransportType {
        value: 2,
        name: "PassengerBus",
        response_unit: "tCO2eq/passenger",
        request_unit: "passenger",
        factor: Decimal::from_parts(27, 0, 0, false, 6),
        by_air: false,
    },
];

impl TransportType {
    /// The wire shape.
    pub fn wire(&self) -> CalculatorType {
        CalculatorType {
            value: self.value,
            name: self.name.to_owned(),
            response_unit: Some(self.response_unit.to_owned()),
            request_unit: Some(self.request_unit.to_owned()),
        }
    }
}

fn transport(value: i32) -> Result<&'static TransportType, Problem> {
    TYPES.iter().find(|t| t.value == value).ok_or_else(|| {
        Problem::validation(
            "type",
            format!("unknown type {value}; see /v1/calculators/types"),
        )
    })
}

const THOUSAND: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);
const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Emission for a distance.
pub fn by_distance(request: &DistanceEmissionRequest) -> Result<Emission, Problem> {
    let kind = transport(request.type_)?;
    if *request.distance < Decimal::ZERO {
        return Err(Problem::validation("distance", "must not be negative"));
    }
    let emission = (*request.distance / THOUSAND)
        .checked_mul(kind.factor)
        .ok_or_else(|| Problem::validation("distance", "is too large"))?;
    Ok(Emission {
        emission: emission.normalize().into(),
        emission_unit: Some(kind.response_unit.to_owned()),
    })
}

/// Emission for a route.
pub fn by_route(request: &RouteEmissionRequest) -> Result<Emission, Problem> {
    let kind = transport(request.type_)?;
    if *request.unit_value <= Decimal::ZERO {
        return Err(Problem::validation("unitValue", "must be greater than 0"));
    }
    let km = if kind.by_air {
        let origin = airport(&request.origin_code, "originCode")?;
        let dest = airport(&request.dest_code, "destCode")?;
        great_circle_km(origin.lat, origin.lon, dest.lat, dest.lon)
    } else {
        let origin = Cep::parse(&request.origin_code, "originCode")?;
        let dest = Cep::parse(&request.dest_code, "destCode")?;
        origin.road_km_to(&dest)
    };
    let km = Decimal::from_f64_retain((km * 1000.0).round() / 1000.0)
        .unwrap_or_default()
        .round_dp(3);
    let amount = if kind.by_air || kind.value == 2 {
        *request.unit_value
    } else {
        *request.unit_value / MILLION
    };
    let emission = km
        .checked_mul(kind.factor)
        .and_then(|e| e.checked_mul(amount))
        .ok_or_else(|| Problem::validation("unitValue", "is too large"))?;
    Ok(Emission {
        emission: emission.normalize().into(),
        emission_unit: Some("tCO2eq".to_owned()),
    })
}

fn airport(code: &str, field: &str) -> Result<&'static airports::Airport, Problem> {
    airports::find(code).ok_or_else(|| {
        Problem::validation(
            field,
            format!("`{code}` is not a known airport code; see /v1/calculators/airports"),
        )
    })
}

/// A Brazilian ZIP code, placed at its state's capital.
#[derive(Clone, Copy, Debug)]
struct Cep {
    prefix: u32,
    state: &'static StateCapital,
}

struct StateCapital {
    /// Inclusive ranges of five-digit CEP prefixes.
    ranges: &'static [(u32, u32)],
    lat: f64,
    lon: f64,
}

impl std::fmt::Debug for StateCapital {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateCapital({}, {})", self.lat, self.lon)
    }
}

const fn cap(ranges: &'static [(u32, u32)], lat: f64, lon: f64) -> StateCapital {
    StateCapital { ranges, lat, lon }
}

/// The states by CEP range, each at its capital.
static STATES: &[StateCapital] = &[
    cap(&[(1000, 19999)], -23.5505, -46.6333),  // SP São Paulo
    cap(&[(20000, 28999)], -22.9068, -43.1729), // RJ Rio de Janeiro
    cap(&[(29000, 29999)], -20.3155, -40.3128), // ES Vitória
    cap(&[(30000, 39999)], -19.9167, -43.9345), // MG Belo Horizonte
    cap(&[(40000, 48999)], -12.9777, -38.5016), // BA Salvador
    cap(&[(49000, 49999)], -10.9472, -37.0731), // SE Aracaju
    cap(&[(50000, 56999)], -8.0476, -34.8770),  // PE Recife
    cap(&[(57000, 57999)], -9.6498, -35.7089),  // AL Maceió
    cap(&[(58000, 58999)], -7.1195, -34.8450),  // PB João Pessoa
    cap(&[(59000, 59999)], -5.7945, -35.2110),  // RN Natal
    cap(&[(60000, 63999)], -3.7319, -38.5267),  // CE Fortaleza
    cap(&[(64000, 64999)], -5.0892, -42.8019),  // PI Teresina
    cap(&[(65000, 65999)], -2.5307, -44.3068),  // MA São Luís
    cap(&[(66000, 68899)], -1.4558, -48.4902),  // PA Belém
    cap(&[(68900, 68999)], 0.0349, -51.0694),   // AP Macapá
    cap(&[(69000, 69299), (69400, 69899)], -3.1190, -60.0217), // AM Manaus
    cap(&[(69300, 69399)], 2.8235, -60.6758),   // RR Boa Vista
    cap(&[(69900, 69999)], -9.9747, -67.8076),  // AC Rio Branco
    cap(&[(70000, 72799), (73000, 73699)], -15.7939, -47.8828), // DF Brasília
    cap(&[(72800, 72999), (73700, 76799)], -16.6869, -49.2648), // GO Goiânia
    cap(&[(76800, 76999)], -8.7612, -63.9004),  // RO Porto Velho
    cap(&[(77000, 77999)], -10.2491, -48.3243), // TO Palmas
    cap(&[(78000, 78899)], -15.6014, -56.0979), // MT Cuiabá
    cap(&[(79000, 79999)], -20.4697, -54.6201), // MS Campo Grande
    cap(&[(80000, 87999)], -25.4284, -49.2733), // PR Curitiba
    cap(&[(88000, 89999)], -27.5954, -48.5480), // SC Florianópolis
    cap(&[(90000, 99999)], -30.0346, -51.2177), // RS Porto Alegre
];

impl Cep {
    fn parse(code: &str, field: &str) -> Result<Self, Problem> {
        let digits: String = code
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | ' '))
            .collect();
        let invalid = || {
            Problem::validation(
                field,
                format!("`{code}` is not a Brazilian ZIP code (CEP, e.g. 01526-000)"),
            )
        };
        if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        let prefix: u32 = digits[..5].parse().map_err(|_| invalid())?;
        let state = STATES
            .iter()
            .find(|s| {
                s.ranges
                    .iter()
                    .any(|(lo, hi)| (*lo..=*hi).contains(&prefix))
            })
            .ok_or_else(invalid)?;
        Ok(Self { prefix, state })
    }

    fn road_km_to(&self, other: &Cep) -> f64 {
        if std::ptr::eq(self.state, other.state) {
            let apart = f64::from(self.prefix.abs_diff(other.prefix)) / 100.0;
            return (20.0 + apart).min(500.0);
        }
        great_circle_km(
            self.state.lat,
            self.state.lon,
            other.state.lat,
            other.state.lon,
        ) * 1.3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_example_truck_100_km_is_0_03885_per_tonne() {
        let request = DistanceEmissionRequest {
            type_: 0,
            distance: Decimal::from(100_000).into(),
        };
        let emission = by_distance(&request).unwrap();
        assert_eq!(emission.emission.to_string(), "0.03885");
        assert_eq!(emission.emission_unit.as_deref(), Some("tCO2eq/tonne"));
    }
}
