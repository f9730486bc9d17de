//! Users: create, list, get, update, delete. A customer sees only its own users (404 for
//! others'). `DELETE` answers the bare JSON `true`.

use axum::extract::State;
use axum::Json;
use carbonext_api::types::{NewUser, User, UserUpdate};
use carbonext_api::Page;

use crate::accounts::{check_email, check_name, resolve_permissions};
use crate::app::AppState;
use crate::auth::Caller;
use crate::extract::{Body, IdPath};
use crate::filter::{Record, Value, USERS};
use crate::problem::Problem;
use crate::query::Params;
use crate::store::StoredUser;

impl Record for StoredUser {
    fn value(&self, field: &str) -> Value {
        match field {
            "email" => Value::Text(self.email.clone()),
            "name" => Value::Text(self.name.clone()),
            "createdAt" => Value::Time(self.created_at),
            _ => Value::Null,
        }
    }
}

/// `createUser`.
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    Body(new): Body<NewUser>,
) -> Result<Json<User>, Problem> {
    check_email(&new.email)?;
    check_name(&new.name)?;
    let permissions = resolve_permissions(&new.permissions)?;
    let mut state = app.store.lock();
    if state
        .users
        .iter()
        .any(|u| u.email.eq_ignore_ascii_case(&new.email))
    {
        return Err(Problem::conflict(format!(
            "a user with e-mail {} already exists",
            new.email
        )));
    }
    let user = StoredUser {
        id: app.store.ids.next_uuid(),
        customer_id: caller.customer_id,
        email: new.email,
        name: new.name,
        permissions,
        created_at: app.store.clock.now(),
    };
    state.users.push(user.clone());
    Ok(Json(user.wire()))
}

/// `listUsers`.
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Page<User>>, Problem> {
    let query = params.list_query(&USERS)?;
    let mine: Vec<StoredUser> = app
        .store
        .lock()
        .users
        .iter()
        .filter(|u| u.customer_id == caller.customer_id)
        .cloned()
        .collect();
    Ok(Json(query.run(mine, |u| u.wire())))
}

/// A boolean query parameter, `true`/`false` in any case (as ASP.NET binds them).
fn flag(params: &Params, name: &str) -> Result<Option<bool>, Problem> {
    match params.get(name) {
        None => Ok(None),
        Some(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(text) => Err(Problem::validation(
            name,
            format!("`{text}` is not true or false"),
        )),
    }
}

fn not_found(id: uuid::Uuid) -> Problem {
    Problem::not_found(format!("user {id} not found"))
}

/// `getUser`: `include-permissions=false` leaves the permissions out.
pub async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    params: Params,
) -> Result<Json<User>, Problem> {
    flag(&params, "force-refresh")?;
    let include = flag(&params, "include-permissions")?.unwrap_or(true);
    let state = app.store.lock();
    let user = state
        .users
        .iter()
        .find(|u| u.id == id && u.customer_id == caller.customer_id)
        .ok_or_else(|| not_found(id))?;
    let mut wire = user.wire();
    if !include {
        wire.permissions.clear();
    }
    Ok(Json(wire))
}

/// `updateUser`: a `name` present replaces the name; a `permissions` member present
/// (even empty) replaces the permissions.
pub async fn update(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    Body(raw): Body<serde_json::Value>,
) -> Result<Json<User>, Problem> {
    let permissions_given = raw.get("permissions").is_some();
    let update: UserUpdate = crate::extract::decode_value(raw)?;
    if let Some(name) = &update.name {
        check_name(name)?;
    }
    let permissions = resolve_permissions(&update.permissions)?;
    let mut state = app.store.lock();
    let user = state
        .users
        .iter_mut()
        .find(|u| u.id == id && u.customer_id == caller.customer_id)
        .ok_or_else(|| not_found(id))?;
    if let Some(name) = update.name {
        user.name = name;
    }
    if permissions_given {
        user.permissions = permissions;
    }
    Ok(Json(user.wire()))
}

/// `deleteUser`.
pub async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<bool>, Problem> {
    let mut state = app.store.lock();
    let before = state.users.len();
    state
        .users
        .retain(|u| !(u.id == id && u.customer_id == caller.customer_id));
    if state.users.len() == before {
        return Err(not_found(id));
    }
    Ok(Json(true))
}
