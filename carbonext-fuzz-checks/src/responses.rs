//! Decoding of every response type of the API (fuzz target `responses`). The first byte picks
//! the type ([`shape`]), the rest is the body. Decoding must return `Ok` or `Err`, never panic;
//! whatever decodes must re-encode and decode again.

use carbonext_api::types;
use carbonext_api::Page;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Outcome;

/// How many response shapes the selector byte picks from (`selector % SHAPES`).
pub const SHAPES: u8 = 22;

type RoundTrip = fn(&[u8]) -> Outcome;

fn round_trip<T: DeserializeOwned + Serialize>(body: &[u8]) -> Outcome {
    let Ok(value) = serde_json::from_slice::<T>(body) else {
        return Outcome::Refused;
    };
    let json = serde_json::to_vec(&value).expect("a decoded value serialises");
    if let Err(err) = serde_json::from_slice::<T>(&json) {
        panic!(
            "{} re-encoded as {} does not decode: {err}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&json)
        );
    }
    Outcome::Accepted
}

fn of<T: DeserializeOwned + Serialize>() -> (&'static str, RoundTrip) {
    (std::any::type_name::<T>(), round_trip::<T>)
}

/// The selector table (also in `fuzz/scripts/seed-corpora.py`, which writes the seeds).
fn dispatch(selector: u8) -> (&'static str, RoundTrip) {
    match selector % SHAPES {
        0 => of::<types::Price>(),
        1 => of::<types::Order>(),
        2 => of::<Page<types::Order>>(),
        3 => of::<carbonext_api::CancelledOrders>(),
        4 => of::<types::Balance>(),
        5 => of::<types::Invoice>(),
        6 => of::<Page<types::Invoice>>(),
        7 => of::<types::User>(),
        8 => of::<Page<types::User>>(),
        9 => of::<types::Application>(),
        10 => of::<types::ApplicationCredentials>(),
        11 => of::<Page<types::Application>>(),
        12 => of::<types::PermissionList>(),
        13 => of::<types::Resources>(),
        14 => of::<types::AllowedFilters>(),
        15 => of::<types::CalculatorTypes>(),
        16 => of::<Page<types::Airport>>(),
        17 => of::<types::Emission>(),
        18 => of::<types::TokenResponse>(),
        19 => of::<types::ProblemDetails>(),
        20 => of::<types::OAuthError>(),
        _ => of::<bool>(),
    }
}

/// The Rust type the selector byte `selector` decodes the body as (for messages).
pub fn shape(selector: u8) -> &'static str {
    dispatch(selector).0
}

/// Checks the properties above on `data` (skipped when empty). Panics when one fails.
pub fn check(data: &[u8]) -> Outcome {
    let Some((&selector, body)) = data.split_first() else {
        return Outcome::Skipped;
    };
    (dispatch(selector).1)(body)
}
