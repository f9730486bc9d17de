//! The router: every API route, the token endpoint, the control paths, and the answers for
//! unknown paths and methods (problem details, never plain text), and a 500 problem for a
//! handler that panics.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::counters::CounterSet;
use crate::faults::Faults;
use crate::filter::Catalog;
use crate::problem::Problem;
use crate::routes;
use crate::store::Store;

/// Path of the token endpoint.
pub const TOKEN_ROUTE: &str = carbonext_api::TOKEN_PATH;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The data.
    pub store: Arc<Store>,
    /// Fault switches.
    pub faults: Faults,
    /// What the lists accept in `filter-by` (and `allowed-filters` lists).
    pub filters: Catalog,
    /// Request counters.
    pub(crate) counters: Arc<CounterSet>,
    /// Requests held until enough arrive.
    pub(crate) holds: crate::hold::Holds,
    /// Seed values reported by the control paths.
    pub(crate) info: Arc<crate::SandboxInfo>,
    /// The state file, when the sandbox keeps one.
    pub(crate) persistence: Option<Arc<crate::state_file::Persistence>>,
}

/// The whole sandbox as one router.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(TOKEN_ROUTE, post(crate::auth::token))
        .route("/v1/prices", get(routes::prices::get_price))
        .route(
            "/v1/orders",
            post(routes::orders::create).get(routes::orders::list),
        )
        .route("/v1/orders/cancel", post(routes::orders::cancel_many))
        .route("/v1/orders/{id}/cancel", post(routes::orders::cancel_one))
        .route("/v1/customers/balance", get(routes::balance::get_balance))
        .route("/v1/invoices", get(routes::invoices::list))
        .route("/v1/invoices/{id}", get(routes::invoices::get_one))
        .route(
            "/v1/users",
            post(routes::users::create).get(routes::users::list),
        )
        .route(
            "/v1/users/{id}",
            get(routes::users::get_one)
                .put(routes::users::update)
                .delete(routes::users::delete),
        )
        .route(
            "/v1/customers/applications",
            post(routes::applications::create).get(routes::applications::list),
        )
        .route(
            "/v1/customers/applications/{id}",
            get(routes::applications::get_one),
        )
        .route("/v1/permissions", get(routes::catalog::list_permissions))
        .route("/v1/resources", get(routes::catalog::list_resources))
        .route(
            "/v1/allowed-filters/{resource}",
            get(routes::catalog::get_allowed_filters),
        )
        .route(
            "/v1/calculators/types",
            get(routes::calculators::list_types),
        )
        .route(
            "/v1/calculators/airports",
            get(routes::calculators::list_airports),
        )
        .route(
            "/v1/calculators/calculate",
            post(routes::calculators::calculate),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::gate::gate,
        ));

    api.merge(routes::control::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::state_file::save_after_write,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::gate::count_api_requests,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_answer,
        ))
        .with_state(state)
}

/// A bug in the sandbox still answers problem details (500), not a dropped connection.
fn panic_answer(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("a sandbox handler panicked");
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        .with_detail("the sandbox failed while handling this request")
        .into_response()
}

async fn not_found() -> impl IntoResponse {
    Problem::not_found("no such path")
}

async fn method_not_allowed() -> impl IntoResponse {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}
