//! API keys (`/v1/customers/applications`): create, list, get. The optional `customer-id`
//! query parameter of create must be the caller's own customer (another is a 404).

use axum::extract::State;
use axum::Json;
use carbonext_api::types::{Application, ApplicationCredentials, NewApplication};
use carbonext_api::Page;

use crate::accounts::{client_id_for, resolve_permissions};
use crate::app::AppState;
use crate::auth::Caller;
use crate::extract::{Body, IdPath};
use crate::filter::{Record, Value, APPLICATIONS};
use crate::problem::Problem;
use crate::query::Params;
use crate::store::ApiKey;

impl Record for ApiKey {
    fn value(&self, field: &str) -> Value {
        match field {
            "clientId" => Value::Text(self.client_id.clone()),
            "displayName" => Value::Text(self.display_name.clone()),
            "createdAt" => Value::Time(self.created_at),
            _ => Value::Null,
        }
    }
}

/// `createApplication`.
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    params: Params,
    Body(new): Body<NewApplication>,
) -> Result<Json<ApplicationCredentials>, Problem> {
    if let Some(customer) = params.parsed::<uuid::Uuid>("customer-id", "a customer id (UUID)")? {
        if customer != caller.customer_id {
            return Err(Problem::not_found(format!("customer {customer} not found")));
        }
    }
    let client_id = client_id_for(&new.client_id)?;
    if new.display_name.trim().is_empty() || new.display_name.chars().count() > 200 {
        return Err(Problem::validation(
            "displayName",
            "must be 1 to 200 characters",
        ));
    }
    let permissions = resolve_permissions(&new.permissions)?;
    let key = ApiKey {
        id: app.store.ids.next_uuid(),
        customer_id: caller.customer_id,
        client_id: client_id.clone(),
        client_secret: app.store.ids.next_uuid().to_string(),
        display_name: new.display_name,
        permissions,
        created_at: app.store.clock.now(),
    };
    let mut state = app.store.lock();
    if state.keys.contains_key(&client_id) {
        return Err(Problem::conflict(format!(
            "an API key with client id {client_id} already exists"
        )));
    }
    state.keys.insert(client_id.clone(), key.clone());
    Ok(Json(ApplicationCredentials {
        id: key.id,
        client_id,
        client_secret: key.client_secret.into(),
    }))
}

/// `listApplications` (without permissions, as the docs' example).
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Page<Application>>, Problem> {
    let query = params.list_query(&APPLICATIONS)?;
    let mut mine: Vec<ApiKey> = app
        .store
        .lock()
        .keys
        .values()
        .filter(|k| k.customer_id == caller.customer_id)
        .cloned()
        .collect();
    // The map has no order: restore creation order, which ties in sorting rely on.
    mine.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.client_id.cmp(&b.client_id))
    });
    Ok(Json(query.run(mine, |k| k.wire(false))))
}

/// `getApplication` (with permissions).
pub async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Application>, Problem> {
    app.store
        .lock()
        .keys
        .values()
        .find(|k| k.id == id && k.customer_id == caller.customer_id)
        .map(|k| Json(k.wire(true)))
        .ok_or_else(|| Problem::not_found(format!("application {id} not found")))
}
