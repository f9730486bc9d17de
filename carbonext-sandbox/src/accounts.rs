//! Rules for users and API keys.
//!
//! - Permissions are given by `id` or by `key`; an unknown one is a 400 naming its position
//!   (`permissions[1]`).
//! - A user needs a non-blank `name` and an `email` with an `@`; an e-mail already used in the
//!   sandbox is a 409.
//! - An API key's `clientId` is 1 to 64 letters, digits, `_`, `-` or `.`; the server prefixes
//!   it with `cbx_b2b_` (unless it already starts so). A client id already used is a 409. Its
//!   secret is a fresh UUID; the key works at the token endpoint at once.

use carbonext_api::types::PermissionRef;

use crate::permissions;
use crate::problem::Problem;

/// Prefix the server puts on every client id.
pub const CLIENT_ID_PREFIX: &str = "cbx_b2b_";

/// Resolves permission references to keys (duplicates removed, catalogue order kept).
pub fn resolve_permissions(refs: &[PermissionRef]) -> Result<Vec<&'static str>, Problem> {
    let mut keys = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let def = match (r.id, r.key.as_deref()) {
            (Some(id), _) => permissions::by_id(id),
            (None, Some(key)) => permissions::by_key(key),
            (None, None) => None,
        }
        .ok_or_else(|| {
            Problem::validation(
                format!("permissions[{i}]"),
                "unknown permission (give the `id` or `key` of one listed by /v1/permissions)",
            )
        })?;
        if !keys.contains(&def.key) {
            keys.push(def.key);
        }
    }
    keys.sort_by_key(|k| permissions::ALL.iter().position(|p| p.key == *k));
    Ok(keys)
}

/// Checks a user's name.
pub fn check_name(name: &str) -> Result<(), Problem> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(Problem::validation("name", "must be 1 to 200 characters"));
    }
    Ok(())
}

/// Checks a user's e-mail.
pub fn check_email(email: &str) -> Result<(), Problem> {
    let valid = email.chars().count() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if !valid {
        return Err(Problem::validation("email", "must be an e-mail address"));
    }
    Ok(())
}

/// The full client id for a requested name.
pub fn client_id_for(name: &str) -> Result<String, Problem> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        return Err(Problem::validation(
            "clientId",
            "must be 1 to 64 letters, digits, `_`, `-` or `.`",
        ));
    }
    Ok(if name.starts_with(CLIENT_ID_PREFIX) {
        name.to_owned()
    } else {
        format!("{CLIENT_ID_PREFIX}{name}")
    })
}
