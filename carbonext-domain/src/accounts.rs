//! Administration types: users, API keys and permissions.
//!
//! These are the API's own shapes (re-exported so services never import `carbonext-api`);
//! [`NewApiKeySecret`] holds the new key's secret as a redacted
//! [`Secret`].

use uuid::Uuid;

pub use carbonext_api::types::{
    AllowedFilters, Application as ApiKey, ApplicationCredentials as NewApiKeySecret,
    NewApplication as NewApiKey, NewUser, Permission, PermissionRef, User, UserUpdate,
};
pub use carbonext_api::Secret;

/// Identifier of a user.
pub type UserId = Uuid;
/// Identifier of an API key.
pub type ApiKeyId = Uuid;

/// The permission's key (`orders_read`…), whichever field the server put it in.
pub fn permission_key(permission: &Permission) -> Option<&str> {
    permission.key.as_deref().or(permission.name.as_deref())
}
