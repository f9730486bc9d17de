//! Invoices: list (filter, sort, page) and get one. The sandbox creates invoices only when
//! it seeds a customer (the paid credit-card purchase of the sign-up walkthrough).

use axum::extract::State;
use axum::Json;
use carbonext_api::types::Invoice;
use carbonext_api::Page;

use crate::app::AppState;
use crate::auth::Caller;
use crate::extract::IdPath;
use crate::filter::{Record, Value, INVOICES};
use crate::problem::Problem;
use crate::query::Params;
use crate::store::StoredInvoice;

impl Record for StoredInvoice {
    fn value(&self, field: &str) -> Value {
        match field {
            "status" => Value::Text(self.status.to_string()),
            "totalVcuAmount" => Value::Decimal(self.total_vcu_amount),
            "totalPrice" => Value::Decimal(self.total_price),
            "currency" => Value::Text(self.currency.to_string()),
            "createdAt" => Value::Time(self.created_at),
            _ => Value::Null,
        }
    }
}

/// `listInvoices`.
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Page<Invoice>>, Problem> {
    let query = params.list_query(&INVOICES)?;
    let mine: Vec<StoredInvoice> = app
        .store
        .lock()
        .invoices
        .iter()
        .filter(|i| i.customer_id == caller.customer_id)
        .cloned()
        .collect();
    Ok(Json(query.run(mine, |i| i.wire())))
}

/// `getInvoice`.
pub async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Invoice>, Problem> {
    app.store
        .lock()
        .invoices
        .iter()
        .find(|i| i.id == id && i.customer_id == caller.customer_id)
        .map(|i| Json(i.wire()))
        .ok_or_else(|| Problem::not_found(format!("invoice {id} not found")))
}
