//! Fuzz target: decoding of every response type of the API. The first byte picks the type, the
//! rest is the body. Decoding must return `Ok` or `Err`, never panic; whatever decodes must
//! re-encode and decode again.
#![no_main]

use carbonext_api::types;
use carbonext_api::Page;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: DeserializeOwned + Serialize>(body: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(body) else {
        return;
    };
    let json = serde_json::to_vec(&value).expect("a decoded value serialises");
    if let Err(err) = serde_json::from_slice::<T>(&json) {
        panic!(
            "{} re-encoded as {} does not decode: {err}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&json)
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 22 {
        0 => round_trip::<types::Price>(body),
        1 => round_trip::<types::Order>(body),
        2 => round_trip::<Page<types::Order>>(body),
        3 => round_trip::<types::CancelledOrders>(body),
        4 => round_trip::<types::Balance>(body),
        5 => round_trip::<types::Invoice>(body),
        6 => round_trip::<Page<types::Invoice>>(body),
        7 => round_trip::<types::User>(body),
        8 => round_trip::<Page<types::User>>(body),
        9 => round_trip::<types::Application>(body),
        10 => round_trip::<types::ApplicationCredentials>(body),
        11 => round_trip::<Page<types::Application>>(body),
        12 => round_trip::<types::PermissionList>(body),
        13 => round_trip::<types::Resources>(body),
        14 => round_trip::<types::AllowedFilters>(body),
        15 => round_trip::<types::CalculatorTypes>(body),
        16 => round_trip::<Page<types::Airport>>(body),
        17 => round_trip::<types::Emission>(body),
        18 => round_trip::<types::TokenResponse>(body),
        19 => round_trip::<types::ProblemDetails>(body),
        20 => round_trip::<types::OAuthError>(body),
        _ => round_trip::<bool>(body),
    }
});
