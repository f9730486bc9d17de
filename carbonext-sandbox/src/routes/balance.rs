//! `GET /v1/customers/balance`: the VCU balance per currency, optionally over a date range.
//!
//! `startDate` and `endDate` are `YYYY-MM-DD`; `startDate` after `endDate` is a 400. They are
//! echoed back (start at midnight, end at the last instant of its day) only when sent.

use axum::extract::State;
use axum::Json;
use carbonext_api::types::Balance;
use chrono::NaiveDate;

use crate::app::AppState;
use crate::auth::Caller;
use crate::ledger;
use crate::problem::Problem;
use crate::query::Params;

fn date(params: &Params, name: &str) -> Result<Option<NaiveDate>, Problem> {
    params
        .get(name)
        .map(|text| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                Problem::validation(name, format!("`{text}` is not a date as YYYY-MM-DD"))
            })
        })
        .transpose()
}

/// `getBalance`.
pub async fn get_balance(
    State(app): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Balance>, Problem> {
    let start = date(&params, "startDate")?;
    let end = date(&params, "endDate")?;
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(Problem::validation(
                "startDate",
                "must not be after endDate",
            ));
        }
    }
    let period = (start.is_some() || end.is_some()).then_some((start, end));
    let balances_by_currency = ledger::balances(&app.store.lock(), caller.customer_id, period);
    Ok(Json(Balance {
        start_date: start
            .map(|d| crate::clock::timestamp(d.and_time(chrono::NaiveTime::MIN).and_utc())),
        end_date: end.map(|d| {
            let last = chrono::NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_900)
                .expect("a valid time");
            crate::clock::timestamp(d.and_time(last).and_utc())
        }),
        balances_by_currency,
    }))
}
