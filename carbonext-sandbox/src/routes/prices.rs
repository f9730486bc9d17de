//! `GET /v1/prices`: the unit price of a VCU.
//!
//! `vcu-amount` (default 1) must be a decimal greater than 0; `target-currency` (default BRL,
//! case-insensitive) must be one the sandbox sells in. The price is flat: it does not depend
//! on the amount.

use axum::extract::State;
use axum::Json;
use carbonext_api::types::Price;
use carbonext_api::Currency;
use rust_decimal::Decimal;

use crate::app::AppState;
use crate::auth::Caller;
use crate::problem::Problem;
use crate::query::Params;

/// `getPrice`.
pub async fn get_price(
    State(app): State<AppState>,
    _caller: Caller,
    params: Params,
) -> Result<Json<Price>, Problem> {
    if let Some(text) = params.get("vcu-amount") {
        let amount = Decimal::from_str_exact(text.trim())
            .map_err(|_| Problem::validation("vcu-amount", format!("`{text}` is not a decimal")))?;
        if amount <= Decimal::ZERO {
            return Err(Problem::validation("vcu-amount", "must be greater than 0"));
        }
    }
    let currency = params
        .get("target-currency")
        .map(Currency::from)
        .unwrap_or(Currency::Brl);
    let vcu_price = app.store.price(&currency).ok_or_else(|| {
        Problem::validation(
            "target-currency",
            format!("`{currency}` is not a supported currency (BRL, USD)"),
        )
    })?;
    Ok(Json(Price {
        vcu_price: vcu_price.into(),
        currency,
    }))
}
