//! The sandbox's own control paths, under `/__sandbox/` (never part of the Carbonext API,
//! never faulted nor counted):
//!
//! | method & path | body | answer |
//! |---|---|---|
//! | `GET /__sandbox/credentials` | | seeded customer id, client id, secret, URLs |
//! | `GET /__sandbox/counters` | | [`Counters`] as JSON |
//! | `GET /__sandbox/faults` | | [`FaultSettings`] |
//! | `POST /__sandbox/faults` | [`FaultSettings`] (every member optional) | the new settings |
//! | `POST /__sandbox/clock/advance` | `{"seconds": 864000}` | `{"now": "..."}` |
//! | `GET /__sandbox/clock` | | `{"now": "..."}` |
//! | `GET /__sandbox/orders` | | every stored order of every customer |
//! | `GET /__sandbox/invoices` | | every stored invoice of every customer |
//! | `POST /__sandbox/invoices/{id}/pay` | | the paid invoice (its billed orders are `Paid`, see [`billing`](crate::billing)); 404 unknown, 409 not `Pending` |
//! | `GET /__sandbox/tokens` | | the access tokens issued so far (the most recent 65,536 by default), oldest first ([`Sandbox::issued_tokens`](crate::Sandbox::issued_tokens)) |
//! | `POST /__sandbox/customers` | | a new customer's credentials |
//! | `POST /__sandbox/api-keys` | `{"permissions": ["orders_read"]}` | a new key of the seeded customer |
//! | `GET /__sandbox/holds` | | every [`HoldReport`] |
//! | `POST /__sandbox/holds` | [`HoldSettings`] (`{"operation": "list_orders", "count": 2, "maxWaitMs": 30000}`) | its [`HoldReport`] |
//! | `POST /__sandbox/holds/release` | `{"operation": "list_orders"}` | its [`HoldReport`] |

use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use carbonext_api::Timestamp;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::billing::PaymentError;
use crate::extract::{Body, IdPath};
use crate::faults::FaultSettings;
use crate::hold::{HoldReport, HoldSettings};
use crate::problem::Problem;
use crate::{Counters, CustomerCredentials};

/// The control routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/__sandbox/credentials", get(credentials))
        .route("/__sandbox/counters", get(counters))
        .route("/__sandbox/faults", get(get_faults).post(set_faults))
        .route("/__sandbox/clock", get(clock))
        .route("/__sandbox/clock/advance", post(advance_clock))
        .route("/__sandbox/orders", get(orders))
        .route("/__sandbox/invoices", get(invoices))
        .route("/__sandbox/invoices/{id}/pay", post(pay_invoice))
        .route("/__sandbox/tokens", get(issued_tokens))
        .route("/__sandbox/customers", post(add_customer))
        .route("/__sandbox/api-keys", post(create_api_key))
        .route("/__sandbox/holds", get(holds).post(set_hold))
        .route("/__sandbox/holds/release", post(release_hold))
}

/// Body of `POST /__sandbox/clock/advance`.
#[derive(Debug, Deserialize)]
struct Advance {
    seconds: u64,
}

/// Answer of the clock paths.
#[derive(Debug, Serialize)]
struct Now {
    now: Timestamp,
}

/// Body of `POST /__sandbox/api-keys`.
#[derive(Debug, Deserialize)]
struct NewKey {
    permissions: Vec<String>,
}

/// Body of `POST /__sandbox/holds/release`.
#[derive(Debug, Deserialize)]
struct Release {
    operation: String,
}

async fn credentials(State(app): State<AppState>) -> Json<crate::SandboxInfo> {
    Json((*app.info).clone())
}

async fn counters(State(app): State<AppState>) -> Json<Counters> {
    Json(app.counters.snapshot())
}

async fn get_faults(State(app): State<AppState>) -> Json<FaultSettings> {
    Json(app.faults.settings())
}

async fn set_faults(
    State(app): State<AppState>,
    Body(settings): Body<FaultSettings>,
) -> Json<FaultSettings> {
    app.faults.apply(&settings);
    Json(app.faults.settings())
}

async fn clock(State(app): State<AppState>) -> Json<Now> {
    Json(Now {
        now: crate::clock::timestamp(app.store.clock.now()),
    })
}

async fn advance_clock(State(app): State<AppState>, Body(advance): Body<Advance>) -> Json<Now> {
    app.store
        .clock
        .advance(Duration::from_secs(advance.seconds));
    clock(State(app)).await
}

async fn orders(State(app): State<AppState>) -> Json<Vec<carbonext_api::types::Order>> {
    Json(app.store.lock().orders.iter().map(|o| o.wire()).collect())
}

async fn invoices(State(app): State<AppState>) -> Json<Vec<carbonext_api::types::Invoice>> {
    Json(app.store.lock().invoices.iter().map(|i| i.wire()).collect())
}

async fn pay_invoice(
    State(app): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<carbonext_api::types::Invoice>, Problem> {
    let now = app.store.clock.now();
    let mut state = app.store.lock();
    match crate::billing::pay_invoice(&mut state, id, now) {
        Ok(invoice) => Ok(Json(invoice.wire())),
        Err(error @ PaymentError::NotFound(_)) => Err(Problem::not_found(error.to_string())),
        Err(error) => Err(Problem::conflict(error.to_string())),
    }
}

async fn issued_tokens(State(app): State<AppState>) -> Json<Vec<String>> {
    Json(app.store.lock().issued_tokens.to_vec())
}

async fn add_customer(State(app): State<AppState>) -> Json<CustomerCredentials> {
    Json(crate::seed::customer(
        &app.store,
        app.info.initial_vcu_credit,
    ))
}

async fn create_api_key(
    State(app): State<AppState>,
    Body(new): Body<NewKey>,
) -> Result<Json<CustomerCredentials>, Problem> {
    let keys: Vec<&str> = new.permissions.iter().map(String::as_str).collect();
    crate::seed::api_key(&app.store, app.info.customer_id, &keys)
        .map(Json)
        .map_err(|unknown| {
            Problem::validation("permissions", format!("unknown permission `{unknown}`"))
        })
}

async fn holds(State(app): State<AppState>) -> Json<Vec<HoldReport>> {
    Json(app.holds.reports())
}

async fn set_hold(
    State(app): State<AppState>,
    Body(settings): Body<HoldSettings>,
) -> Result<Json<HoldReport>, Problem> {
    app.holds
        .apply(&settings)
        .map(Json)
        .ok_or_else(|| unknown_operation(&settings.operation))
}

async fn release_hold(
    State(app): State<AppState>,
    Body(release): Body<Release>,
) -> Result<Json<HoldReport>, Problem> {
    app.holds
        .release(&release.operation)
        .map(Json)
        .ok_or_else(|| Problem::not_found(format!("no hold on `{}`", release.operation)))
}

fn unknown_operation(operation: &str) -> Problem {
    Problem::validation(
        "operation",
        format!("`{operation}` is not an operation id of the spec"),
    )
}
