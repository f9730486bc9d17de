//! Orders: create, list, cancel one, cancel several. The rules live in [`crate::ledger`].

use axum::extract::State;
use axum::Json;
use carbonext_api::types::{CancelOrders, NewOrder, Order};
use carbonext_api::CancelledOrders;
use carbonext_api::Page;

use crate::app::AppState;
use crate::auth::Caller;
use crate::extract::{Body, IdPath};
use crate::filter::{Record, Value};
use crate::ledger;
use crate::problem::Problem;
use crate::query::Params;
use crate::server::ConnectionKill;
use crate::store::StoredOrder;

impl Record for StoredOrder {
    fn value(&self, field: &str) -> Value {
        match field {
            "status" => Value::Text(self.status.to_string()),
            "vcuUnitPrice" => Value::Decimal(self.vcu_unit_price),
            "vcuAmount" => Value::Decimal(self.vcu_amount),
            "totalPrice" => Value::Decimal(self.total_price),
            "invoiceId" => Value::Ids(self.invoice_ids.clone()),
            "createdAt" => Value::Time(self.created_at),
            "metaData" => self.meta_data.clone().map_or(Value::Null, Value::Text),
            _ => Value::Null,
        }
    }
}

/// `createOrder`. Under the drop-after-commit fault the order is stored and the connection
/// is then closed without a response.
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    kill: Option<axum::Extension<ConnectionKill>>,
    Body(new): Body<NewOrder>,
) -> Result<Json<Order>, Problem> {
    let order = ledger::place_order(&app.store, caller.customer_id, new)?;
    if app.faults.drops_after_commit() {
        app.counters.dropped_answer();
        if let Some(axum::Extension(kill)) = kill {
            kill.abandon().await;
        }
    }
    Ok(Json(order.wire()))
}

/// `listOrders`.
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Page<Order>>, Problem> {
    let query = params.list_query(app.filters.orders())?;
    // Filtered and sorted by reference, under the lock: only the page is copied out (a
    // customer may have tens of thousands of orders).
    let store = app.store.lock();
    let mine: Vec<&StoredOrder> = store
        .orders
        .iter()
        .filter(|o| o.customer_id == caller.customer_id)
        .collect();
    Ok(Json(query.run(mine, |o| o.wire())))
}

/// `cancelOrder`.
pub async fn cancel_one(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Order>, Problem> {
    let mut cancelled = ledger::cancel_orders(&app.store, caller.customer_id, &[id])?;
    Ok(Json(cancelled.remove(0).wire()))
}

/// `cancelOrders`: all or nothing, answers the cancelled orders as an array.
pub async fn cancel_many(
    State(app): State<AppState>,
    caller: Caller,
    Body(body): Body<CancelOrders>,
) -> Result<Json<CancelledOrders>, Problem> {
    if body.orders_ids.is_empty() {
        return Err(Problem::validation(
            "ordersIds",
            "must list at least one order id",
        ));
    }
    let cancelled = ledger::cancel_orders(&app.store, caller.customer_id, &body.orders_ids)?;
    Ok(Json(CancelledOrders::Array(
        cancelled.iter().map(StoredOrder::wire).collect(),
    )))
}
