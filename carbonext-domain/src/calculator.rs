//! Emissions calculator types: [`TransportType`] and its [`TransportId`], the [`Route`] of a
//! trip between two [`ZipCode`]s (road) or two [`AirportCode`]s (air), [`Airport`]s and the
//! [`Emission`] computed.
//!
//! Codes are validated when they are made, so a malformed ZIP or airport code is refused
//! ([`ValidationError`]) before any request is sent, and a route cannot mix a ZIP code with an
//! airport code:
//!
//! ```
//! use carbonext_domain::calculator::{AirportCode, Route, ZipCode};
//!
//! let road = Route::Road {
//!     from: "01310-100".parse::<ZipCode>()?,
//!     to: "20040020".parse::<ZipCode>()?,
//! };
//! assert_eq!(road.origin_code(), "01310100");
//!
//! let air = Route::air("gru", "GIG")?;
//! assert_eq!(air, Route::Air { from: "GRU".parse()?, to: "GIG".parse()? });
//!
//! // From two codes of unknown kind (a form, a command line): both ZIP codes or both
//! // airport codes.
//! assert_eq!(Route::from_codes("01310-100", "20040-020")?, road);
//! assert!(Route::from_codes("GRU", "20040-020").is_err());
//! assert!("0131-0100".parse::<ZipCode>().is_err());
//! # Ok::<(), carbonext_domain::ValidationError>(())
//! ```
//!
//! Transport types are the server's: [`Calculator::transport_types`] lists them, and an id
//! this version does not know is kept and sent as given, never refused client-side (the
//! server answers whether it knows it).
//!
//! [`Calculator::transport_types`]: crate::Calculator::transport_types

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::validation::ValidationError;

/// Most characters of refused input kept in an error message.
const ECHO_MAX: usize = 40;

fn echo(input: &str) -> String {
    input.chars().take(ECHO_MAX).collect()
}

/// Identifier of a transport type: the `type` the API's calculator takes.
///
/// Take it from a [`TransportType`] listed by
/// [`Calculator::transport_types`](crate::Calculator::transport_types) (`transport.id`), or
/// make one with [`TransportId::new`] from an id kept elsewhere (configuration, a command
/// line). Any id is accepted: one the server does not know is answered with an error by the
/// server, not refused by the SDK.
///
/// ```
/// use carbonext_domain::calculator::TransportId;
///
/// let truck = TransportId::new(0);
/// assert_eq!(truck, TransportId::CARGO_TRUCK);
/// assert_eq!("7".parse::<TransportId>().unwrap().value(), 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TransportId(i32);

impl TransportId {
    /// `CargoTruck` in the API's documentation (by route: ZIP codes, `grams` of cargo).
    pub const CARGO_TRUCK: Self = Self(0);
    /// `PassengerAirplane` in the API's documentation (by route: airport codes, passengers).
    pub const PASSENGER_AIRPLANE: Self = Self(1);
    /// `PassengerBus` in the API's documentation (by route: ZIP codes, passengers).
    pub const PASSENGER_BUS: Self = Self(2);

    /// The transport type with this id, known to this version or not.
    pub const fn new(value: i32) -> Self {
        Self(value)
    }

    /// The id as sent to the API.
    pub const fn value(self) -> i32 {
        self.0
    }
}

impl fmt::Display for TransportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for TransportId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Self)
    }
}

impl From<i32> for TransportId {
    fn from(value: i32) -> Self {
        Self(value)
    }
}

impl From<TransportId> for i32 {
    fn from(value: TransportId) -> Self {
        value.0
    }
}

impl From<&TransportType> for TransportId {
    fn from(value: &TransportType) -> Self {
        value.id
    }
}

/// A transport type of the calculator, as [`Calculator::transport_types`] lists it.
/// Serialises with the API's field names (`value`, `name`, `requestUnit`, `responseUnit`).
///
/// [`Calculator::transport_types`]: crate::Calculator::transport_types
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransportType {
    /// Its id, to pass to the emissions calls.
    #[serde(rename = "value")]
    pub id: TransportId,
    /// Its name (`CargoTruck`, `PassengerAirplane`…).
    pub name: String,
    /// Unit of `units` in a by-route calculation (`grams`, `passenger`…).
    pub request_unit: Option<String>,
    /// Unit of a by-distance result (`tCO2eq/tonne`…).
    pub response_unit: Option<String>,
}

impl From<carbonext_api::types::CalculatorType> for TransportType {
    fn from(wire: carbonext_api::types::CalculatorType) -> Self {
        Self {
            id: TransportId(wire.value),
            name: wire.name,
            request_unit: wire.request_unit,
            response_unit: wire.response_unit,
        }
    }
}

/// A Brazilian ZIP code (CEP): 8 digits, written `01310-100` or `01310100`.
///
/// Kept, shown and sent as its 8 digits (`01310100`); [`ZipCode::formatted`] gives the
/// written form. Only the shape is checked: whether the CEP exists is the server's to say.
///
/// ```
/// use carbonext_domain::calculator::ZipCode;
///
/// let zip: ZipCode = " 01310-100 ".parse().unwrap();
/// assert_eq!(zip.as_str(), "01310100");
/// assert_eq!(zip.formatted(), "01310-100");
/// assert_eq!(zip, "01310100".parse().unwrap());
/// assert!("1310-100".parse::<ZipCode>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ZipCode([u8; 8]);

impl ZipCode {
    /// Validates `code`: 8 digits, optionally with a hyphen after the fifth
    /// (surrounding whitespace is ignored).
    pub fn new(code: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::InvalidZipCode { input: echo(code) };
        let trimmed = code.trim();
        let digits: Vec<u8> = match trimmed.as_bytes() {
            [head @ .., b'-', t1, t2, t3] if head.len() == 5 => {
                head.iter().chain([t1, t2, t3]).copied().collect()
            }
            bytes => bytes.to_vec(),
        };
        let digits: [u8; 8] = digits.try_into().map_err(|_| invalid())?;
        if digits.iter().all(u8::is_ascii_digit) {
            Ok(Self(digits))
        } else {
            Err(invalid())
        }
    }

    /// The 8 digits, as sent to the API (`01310100`).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("validated to be ASCII digits")
    }

    /// The written form, `01310-100`.
    pub fn formatted(&self) -> String {
        let digits = self.as_str();
        format!("{}-{}", &digits[..5], &digits[5..])
    }
}

impl fmt::Debug for ZipCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZipCode({})", self.as_str())
    }
}

impl fmt::Display for ZipCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ZipCode {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for ZipCode {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<ZipCode> for String {
    fn from(value: ZipCode) -> Self {
        value.as_str().to_owned()
    }
}

/// An airport's IATA code: 3 ASCII letters, kept upper case (`gru` is `GRU`).
///
/// Only the shape is checked: [`Calculator::airports`](crate::Calculator::airports) lists the
/// codes the server knows.
///
/// ```
/// use carbonext_domain::calculator::AirportCode;
///
/// let gru: AirportCode = "gru".parse().unwrap();
/// assert_eq!(gru.as_str(), "GRU");
/// assert!("GR1".parse::<AirportCode>().is_err());
/// assert!("SBGR".parse::<AirportCode>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AirportCode([u8; 3]);

impl AirportCode {
    /// Validates `code`: 3 ASCII letters in any case (surrounding whitespace is ignored).
    pub fn new(code: &str) -> Result<Self, ValidationError> {
        match code.trim().as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_alphabetic()) => Ok(Self([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(ValidationError::InvalidAirportCode { input: echo(code) }),
        }
    }

    /// The code, upper case (`GRU`).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("validated to be ASCII letters")
    }
}

impl fmt::Debug for AirportCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AirportCode({})", self.as_str())
    }
}

impl fmt::Display for AirportCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AirportCode {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for AirportCode {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<AirportCode> for String {
    fn from(value: AirportCode) -> Self {
        value.as_str().to_owned()
    }
}

/// Where a trip goes: between two ZIP codes by road, or two airports by air.
///
/// Which kind a transport type takes is the server's rule (trucks and buses by road,
/// airplanes by air in the documented types); the SDK sends the route as given.
/// Serialises as `{"by": "road", "from": "01310100", "to": "20040020"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Route {
    /// By road, between two Brazilian ZIP codes.
    Road {
        /// Where the trip starts.
        from: ZipCode,
        /// Where it ends.
        to: ZipCode,
    },
    /// By air, between two airports.
    Air {
        /// Where the flight departs.
        from: AirportCode,
        /// Where it lands.
        to: AirportCode,
    },
}

impl Route {
    /// A road route from two ZIP codes (`01310-100` or `01310100`).
    pub fn road(from: &str, to: &str) -> Result<Self, ValidationError> {
        Ok(Self::Road {
            from: ZipCode::new(from)?,
            to: ZipCode::new(to)?,
        })
    }

    /// An air route from two airport codes (`GRU`).
    pub fn air(from: &str, to: &str) -> Result<Self, ValidationError> {
        Ok(Self::Air {
            from: AirportCode::new(from)?,
            to: AirportCode::new(to)?,
        })
    }

    /// A route from two codes of either kind, as a person types them: two ZIP codes make a
    /// road route, two airport codes an air route. A code of neither shape, or one of each
    /// kind, is refused.
    pub fn from_codes(origin: &str, destination: &str) -> Result<Self, ValidationError> {
        match (RouteCode::new(origin)?, RouteCode::new(destination)?) {
            (RouteCode::Zip(from), RouteCode::Zip(to)) => Ok(Self::Road { from, to }),
            (RouteCode::Airport(from), RouteCode::Airport(to)) => Ok(Self::Air { from, to }),
            _ => Err(ValidationError::MixedRoute {
                origin: echo(origin),
                destination: echo(destination),
            }),
        }
    }

    /// The origin as sent to the API (`01310100`, `GRU`).
    pub fn origin_code(&self) -> &str {
        match self {
            Self::Road { from, .. } => from.as_str(),
            Self::Air { from, .. } => from.as_str(),
        }
    }

    /// The destination as sent to the API.
    pub fn destination_code(&self) -> &str {
        match self {
            Self::Road { to, .. } => to.as_str(),
            Self::Air { to, .. } => to.as_str(),
        }
    }
}

/// One end of a route, of whichever kind its text has.
enum RouteCode {
    Zip(ZipCode),
    Airport(AirportCode),
}

impl RouteCode {
    fn new(code: &str) -> Result<Self, ValidationError> {
        if let Ok(zip) = ZipCode::new(code) {
            return Ok(Self::Zip(zip));
        }
        if let Ok(airport) = AirportCode::new(code) {
            return Ok(Self::Airport(airport));
        }
        Err(ValidationError::InvalidRouteCode { input: echo(code) })
    }
}

/// An airport usable in a [`Route::Air`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Airport {
    /// Its IATA code.
    pub code: AirportCode,
    /// City, as the server names it.
    pub city: Option<String>,
    /// Country, as the server names it.
    pub country: Option<String>,
}

impl TryFrom<carbonext_api::types::Airport> for Airport {
    type Error = ValidationError;

    fn try_from(wire: carbonext_api::types::Airport) -> Result<Self, Self::Error> {
        Ok(Self {
            code: AirportCode::new(&wire.code)?,
            city: wire.city,
            country: wire.country,
        })
    }
}

/// Emissions computed by the calculator. Serialises with the API's field names
/// (`emission`, `emissionUnit`), the amount as exact text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Emission {
    /// The amount emitted, exactly as the API sent it.
    #[serde(with = "crate::amount::decimal_text")]
    pub emission: Decimal,
    /// Its unit: `tCO2eq` for a route, the type's response unit for a distance.
    #[serde(rename = "emissionUnit")]
    pub unit: Option<String>,
}

impl From<carbonext_api::types::Emission> for Emission {
    fn from(wire: carbonext_api::types::Emission) -> Self {
        Self {
            emission: wire.emission.value(),
            unit: wire.emission_unit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_codes_take_both_written_forms_and_keep_eight_digits() {
        for text in ["01310-100", "01310100", " 01310-100\n"] {
            let zip = ZipCode::new(text).unwrap();
            assert_eq!(zip.as_str(), "01310100", "{text:?}");
            assert_eq!(zip.to_string(), "01310100");
            assert_eq!(zip.formatted(), "01310-100");
        }
        assert_eq!(
            serde_json::to_string(&ZipCode::new("66060-425").unwrap()).unwrap(),
            r#""66060425""#
        );
        let read: ZipCode = serde_json::from_str(r#""66060-425""#).unwrap();
        assert_eq!(read.as_str(), "66060425");
    }

    #[test]
    fn malformed_zip_codes_are_refused() {
        for text in [
            "",
            "0131010",
            "013101000",
            "0131-0100",
            "01310--100",
            "01310-10a",
            "abcdefgh",
            "01.310-100",
            "01310 100",
            "０１３１０１００",
            "-01310100",
            "01310100-",
        ] {
            let err = ZipCode::new(text).unwrap_err();
            assert!(
                matches!(err, ValidationError::InvalidZipCode { .. }),
                "{text:?}: {err:?}"
            );
        }
        assert!(serde_json::from_str::<ZipCode>(r#""0131""#).is_err());
    }

    #[test]
    fn airport_codes_are_three_letters_upper_cased() {
        for text in ["GRU", "gru", "gRu", " GRU "] {
            assert_eq!(AirportCode::new(text).unwrap().as_str(), "GRU", "{text:?}");
        }
        for text in ["", "GR", "GRUU", "GR1", "G-U", "ÉGU", "SBGR", "12 3"] {
            let err = AirportCode::new(text).unwrap_err();
            assert!(
                matches!(err, ValidationError::InvalidAirportCode { .. }),
                "{text:?}: {err:?}"
            );
        }
        let read: AirportCode = serde_json::from_str(r#""gig""#).unwrap();
        assert_eq!(serde_json::to_string(&read).unwrap(), r#""GIG""#);
    }

    #[test]
    fn error_messages_are_lower_case_and_echo_the_input() {
        let message = ZipCode::new("0131").unwrap_err().to_string();
        assert!(message.contains("`0131`"), "{message}");
        assert!(message.contains("ZIP code"), "{message}");
        let message = AirportCode::new("GR1").unwrap_err().to_string();
        assert!(message.contains("`GR1`"), "{message}");
        let long = "9".repeat(500);
        assert!(ZipCode::new(&long).unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn routes_from_codes_never_mix_kinds() {
        assert_eq!(
            Route::from_codes("01526-000", "66060425").unwrap(),
            Route::Road {
                from: ZipCode::new("01526000").unwrap(),
                to: ZipCode::new("66060-425").unwrap(),
            }
        );
        let air = Route::from_codes("gru", "GIG").unwrap();
        assert_eq!(air, Route::air("GRU", "gig").unwrap());
        assert_eq!((air.origin_code(), air.destination_code()), ("GRU", "GIG"));

        assert!(matches!(
            Route::from_codes("GRU", "20040-020"),
            Err(ValidationError::MixedRoute { .. })
        ));
        assert!(matches!(
            Route::from_codes("01310-100", "GIG"),
            Err(ValidationError::MixedRoute { .. })
        ));
        assert!(matches!(
            Route::from_codes("GRU", "G1G"),
            Err(ValidationError::InvalidRouteCode { .. })
        ));
        assert!(matches!(
            Route::road("GRU", "GIG"),
            Err(ValidationError::InvalidZipCode { .. })
        ));
        assert!(matches!(
            Route::air("01310-100", "GIG"),
            Err(ValidationError::InvalidAirportCode { .. })
        ));
    }

    #[test]
    fn routes_serialise_with_their_kind() {
        let road = Route::road("01310-100", "20040-020").unwrap();
        let json = serde_json::to_string(&road).unwrap();
        assert_eq!(json, r#"{"by":"road","from":"01310100","to":"20040020"}"#);
        assert_eq!(serde_json::from_str::<Route>(&json).unwrap(), road);
        let bad = r#"{"by":"air","from":"01310100","to":"GIG"}"#;
        assert!(serde_json::from_str::<Route>(bad).is_err());
    }

    #[test]
    fn transport_types_keep_unknown_ids_and_the_api_field_names() {
        let wire = carbonext_api::types::CalculatorType {
            value: 42,
            name: "CargoShip".into(),
            request_unit: Some("grams".into()),
            response_unit: None,
        };
        let kind = TransportType::from(wire);
        assert_eq!(kind.id, TransportId::new(42));
        assert_eq!(TransportId::from(&kind).value(), 42);
        let json = serde_json::to_value(&kind).unwrap();
        assert_eq!(json["value"], 42);
        assert_eq!(json["requestUnit"], "grams");
        assert_eq!(serde_json::from_value::<TransportType>(json).unwrap(), kind);
    }

    #[test]
    fn emissions_keep_every_digit() {
        let wire: carbonext_api::types::Emission =
            serde_json::from_str(r#"{"emission": 0.0293110549184694, "emissionUnit": "tCO2eq"}"#)
                .unwrap();
        let emission = Emission::from(wire);
        assert_eq!(emission.emission.to_string(), "0.0293110549184694");
        assert_eq!(emission.unit.as_deref(), Some("tCO2eq"));
        assert_eq!(
            serde_json::to_string(&emission).unwrap(),
            r#"{"emission":"0.0293110549184694","emissionUnit":"tCO2eq"}"#
        );
        assert_eq!(
            crate::json::to_string(&emission).unwrap(),
            r#"{"emission":0.0293110549184694,"emissionUnit":"tCO2eq"}"#
        );
    }
}
