//! Administration types: [`User`]s, [`ApiKey`]s, [`Permission`]s and the [`Resource`]s that
//! accept query filters, with their identifiers [`UserId`], [`ApiKeyId`] and
//! [`PermissionId`].
//!
//! They serialise with the API's field names (`clientId`, `isEmailVerified`…). A new API
//! key's secret ([`NewApiKeySecret::client_secret`]) is a [`Secret`]: it never shows in
//! `Debug`, and reading it takes [`Secret::expose`].
//!
//! ```
//! use carbonext_domain::accounts::{NewUser, PermissionRef, Resource};
//!
//! let user = NewUser {
//!     email: "ana@acme.example".into(),
//!     name: "Ana".into(),
//!     permissions: vec![PermissionRef::key("orders_read")],
//! };
//! assert_eq!(user.permissions[0], PermissionRef::Key("orders_read".into()));
//!
//! assert_eq!("orders".parse::<Resource>().unwrap(), Resource::Orders);
//! // A resource this version does not know is kept as the server names it.
//! let new: Resource = "carbon_projects".parse().unwrap();
//! assert_eq!(new.as_str(), "carbon_projects");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

pub use carbonext_api::Secret;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl From<$name> for Uuid {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

uuid_id! {
    /// Identifier of a user.
    UserId
}

uuid_id! {
    /// Identifier of an API key.
    ApiKeyId
}

uuid_id! {
    /// Identifier of a permission.
    PermissionId
}

/// A permission that can be granted to users and API keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// Its id.
    pub id: PermissionId,
    /// Its key (`orders_read`…), whichever field the server put it in (`key` or `name`).
    pub key: Option<String>,
    /// What it allows, as the server describes it.
    pub description: Option<String>,
}

impl Permission {
    /// A reference to this permission (by id), to grant it.
    pub fn to_ref(&self) -> PermissionRef {
        PermissionRef::Id(self.id)
    }
}

impl From<carbonext_api::types::Permission> for Permission {
    fn from(wire: carbonext_api::types::Permission) -> Self {
        Self {
            id: PermissionId(wire.id),
            key: wire.key.or(wire.name),
            description: wire.description,
        }
    }
}

/// A permission to grant, by id or by key. Serialises as the API takes it: `{"id": "…"}` or
/// `{"key": "orders_read"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PermissionRef {
    /// The permission with this id.
    Id(PermissionId),
    /// The permission with this key (`orders_read`…).
    Key(String),
}

impl PermissionRef {
    /// The permission with key `key`.
    pub fn key(key: impl Into<String>) -> Self {
        Self::Key(key.into())
    }

    fn to_wire(&self) -> carbonext_api::types::PermissionRef {
        match self {
            Self::Id(id) => carbonext_api::types::PermissionRef {
                id: Some(id.0),
                key: None,
            },
            Self::Key(key) => carbonext_api::types::PermissionRef {
                id: None,
                key: Some(key.clone()),
            },
        }
    }
}

impl From<PermissionId> for PermissionRef {
    fn from(value: PermissionId) -> Self {
        Self::Id(value)
    }
}

impl From<&Permission> for PermissionRef {
    fn from(value: &Permission) -> Self {
        value.to_ref()
    }
}

fn refs_to_wire(refs: &[PermissionRef]) -> Vec<carbonext_api::types::PermissionRef> {
    refs.iter().map(PermissionRef::to_wire).collect()
}

/// A user of the customer's account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// E-mail (the login).
    pub email: String,
    /// Full name.
    pub name: Option<String>,
    /// Whether the e-mail was verified, when the server says.
    pub is_email_verified: Option<bool>,
    /// Permissions held (empty when the server left them out).
    pub permissions: Vec<Permission>,
}

impl From<carbonext_api::types::User> for User {
    fn from(wire: carbonext_api::types::User) -> Self {
        Self {
            id: UserId(wire.id),
            email: wire.email,
            name: wire.name,
            is_email_verified: wire.is_email_verified,
            permissions: wire.permissions.into_iter().map(Permission::from).collect(),
        }
    }
}

/// A user to create with [`Accounts::create_user`](crate::Accounts::create_user).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    /// E-mail (the login).
    pub email: String,
    /// Full name.
    pub name: String,
    /// Permissions to grant.
    pub permissions: Vec<PermissionRef>,
}

impl NewUser {
    pub(crate) fn to_wire(&self) -> carbonext_api::types::NewUser {
        carbonext_api::types::NewUser {
            email: self.email.clone(),
            name: self.name.clone(),
            permissions: refs_to_wire(&self.permissions),
        }
    }
}

/// Changes to a user, for [`Accounts::update_user`](crate::Accounts::update_user).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdate {
    /// The new name; `None` keeps the current one.
    pub name: Option<String>,
    /// The permissions the user should hold from now on; empty keeps the current ones.
    pub permissions: Vec<PermissionRef>,
}

impl UserUpdate {
    pub(crate) fn to_wire(&self) -> carbonext_api::types::UserUpdate {
        carbonext_api::types::UserUpdate {
            name: self.name.clone(),
            permissions: refs_to_wire(&self.permissions),
        }
    }
}

/// An API key (an "application" in the API) and its permissions.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// Its id.
    pub id: ApiKeyId,
    /// The client id it authenticates with (`cbx_b2b_…`).
    pub client_id: String,
    /// Human-readable name.
    pub display_name: Option<String>,
    /// Permissions held (empty when the server left them out).
    pub permissions: Vec<Permission>,
}

impl From<carbonext_api::types::Application> for ApiKey {
    fn from(wire: carbonext_api::types::Application) -> Self {
        Self {
            id: ApiKeyId(wire.id),
            client_id: wire.client_id,
            display_name: wire.display_name,
            permissions: wire.permissions.into_iter().map(Permission::from).collect(),
        }
    }
}

/// An API key to create with [`Accounts::create_api_key`](crate::Accounts::create_api_key).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApiKey {
    /// Name for the key; the server prefixes it (`billing_job` becomes
    /// `cbx_b2b_billing_job`).
    pub client_id: String,
    /// Human-readable name.
    pub display_name: String,
    /// Permissions to grant.
    pub permissions: Vec<PermissionRef>,
}

impl NewApiKey {
    pub(crate) fn to_wire(&self) -> carbonext_api::types::NewApplication {
        carbonext_api::types::NewApplication {
            client_id: self.client_id.clone(),
            display_name: self.display_name.clone(),
            permissions: refs_to_wire(&self.permissions),
        }
    }
}

/// A newly created API key with its secret, which the API returns this once.
///
/// `Debug` redacts the secret; serialising writes it (`clientSecret`), as it is the result
/// asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApiKeySecret {
    /// The key's id.
    pub id: ApiKeyId,
    /// The client id to authenticate with.
    pub client_id: String,
    /// The client secret; read it with [`Secret::expose`].
    pub client_secret: Secret,
}

impl From<carbonext_api::types::ApplicationCredentials> for NewApiKeySecret {
    fn from(wire: carbonext_api::types::ApplicationCredentials) -> Self {
        Self {
            id: ApiKeyId(wire.id),
            client_id: wire.client_id,
            client_secret: wire.client_secret,
        }
    }
}

/// A resource whose listing accepts query filters, as
/// [`Accounts::resources`](crate::Accounts::resources) names it.
///
/// Open: a name this version does not know is kept as [`Resource::Unknown`] and sent back as
/// received. Known names are matched without regard to case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Resource {
    /// API keys (`applications`).
    Applications,
    /// Invoices (`invoices`).
    Invoices,
    /// Orders (`orders`).
    Orders,
    /// Subscriptions (`subscriptions`).
    Subscriptions,
    /// Retirements (`retirements`).
    Retirements,
    /// Users (`users`).
    Users,
    /// A resource this version does not know, kept as received.
    Unknown(String),
}

impl Resource {
    /// Every resource this version knows, in the documentation's order.
    pub const KNOWN: &'static [Resource] = &[
        Resource::Applications,
        Resource::Invoices,
        Resource::Orders,
        Resource::Subscriptions,
        Resource::Retirements,
        Resource::Users,
    ];

    /// The name as the API writes it (`orders`).
    pub fn as_str(&self) -> &str {
        match self {
            Resource::Applications => "applications",
            Resource::Invoices => "invoices",
            Resource::Orders => "orders",
            Resource::Subscriptions => "subscriptions",
            Resource::Retirements => "retirements",
            Resource::Users => "users",
            Resource::Unknown(name) => name,
        }
    }

    /// Whether this is one of the resources this version knows.
    pub fn is_known(&self) -> bool {
        !matches!(self, Resource::Unknown(_))
    }
}

impl FromStr for Resource {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::KNOWN
            .iter()
            .find(|known| known.as_str().eq_ignore_ascii_case(s))
            .cloned()
            .unwrap_or_else(|| Resource::Unknown(s.to_owned())))
    }
}

impl From<&str> for Resource {
    fn from(s: &str) -> Self {
        match s.parse() {
            Ok(resource) => resource,
            Err(never) => match never {},
        }
    }
}

impl From<String> for Resource {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::from(text.as_ref()))
    }
}

/// What a resource's listing accepts, from
/// [`Accounts::allowed_filters`](crate::Accounts::allowed_filters).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedFilters {
    /// Filters, as `field_op` (`status_in`, `createdAt_ge`…).
    pub filters: Vec<String>,
    /// Fields it can be sorted by.
    pub sort: Vec<String>,
    /// Aggregations it can compute, if any.
    pub aggregate: Option<Aggregate>,
}

impl From<carbonext_api::types::AllowedFilters> for AllowedFilters {
    fn from(wire: carbonext_api::types::AllowedFilters) -> Self {
        Self {
            filters: wire.filters,
            sort: wire.sort,
            aggregate: wire.aggregate.map(|a| Aggregate {
                columns: a.columns,
                operations: a.operations,
            }),
        }
    }
}

/// Aggregations a resource's listing can compute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Aggregate {
    /// Columns that can be aggregated (`vcuAmount`…).
    pub columns: Vec<String>,
    /// Operations (`sum`, `avg`, `min`, `max`, `count`).
    pub operations: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_permission(key: Option<&str>, name: Option<&str>) -> carbonext_api::types::Permission {
        carbonext_api::types::Permission {
            attributes: None,
            client_role: Some(false),
            composite: Some(false),
            container_id: Some("CO2FREE".into()),
            description: Some("Visualizar pedidos".into()),
            id: Uuid::nil(),
            key: key.map(str::to_owned),
            name: name.map(str::to_owned),
        }
    }

    #[test]
    fn a_permission_key_comes_from_key_or_else_name() {
        let both = Permission::from(wire_permission(Some("orders_read"), Some("ignored")));
        assert_eq!(both.key.as_deref(), Some("orders_read"));
        let name = Permission::from(wire_permission(None, Some("users_write")));
        assert_eq!(name.key.as_deref(), Some("users_write"));
        assert_eq!(Permission::from(wire_permission(None, None)).key, None);
    }

    #[test]
    fn permission_refs_are_sent_as_id_or_key() {
        let by_id = PermissionRef::Id(PermissionId(Uuid::nil()));
        assert_eq!(
            serde_json::to_value(by_id.to_wire()).unwrap(),
            serde_json::json!({"id": "00000000-0000-0000-0000-000000000000"})
        );
        assert_eq!(
            serde_json::to_value(&by_id).unwrap(),
            serde_json::to_value(by_id.to_wire()).unwrap()
        );
        let by_key = PermissionRef::key("orders_read");
        assert_eq!(
            serde_json::to_value(by_key.to_wire()).unwrap(),
            serde_json::json!({"key": "orders_read"})
        );
        assert_eq!(
            serde_json::to_value(&by_key).unwrap(),
            serde_json::to_value(by_key.to_wire()).unwrap()
        );
    }

    #[test]
    fn ids_parse_display_and_serialise_as_uuids() {
        let text = "161429f6-a6e6-4583-8a5e-f55784b10c63";
        let id: UserId = format!(" {text} ").parse().unwrap();
        assert_eq!(id.to_string(), text);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{text}\""));
        assert!("not-a-uuid".parse::<ApiKeyId>().is_err());
    }

    #[test]
    fn resources_are_open_and_round_trip() {
        for known in Resource::KNOWN {
            assert_eq!(&Resource::from(known.as_str()), known);
            assert!(known.is_known());
        }
        assert_eq!(Resource::from("Orders"), Resource::Orders);
        let new = Resource::from("carbon_projects");
        assert_eq!(new, Resource::Unknown("carbon_projects".into()));
        assert!(!new.is_known());
        assert_eq!(new.to_string(), "carbon_projects");
        let json = serde_json::to_string(&new).unwrap();
        assert_eq!(json, r#""carbon_projects""#);
        assert_eq!(serde_json::from_str::<Resource>(&json).unwrap(), new);
    }

    #[test]
    fn a_new_api_key_secret_never_shows_in_debug() {
        let key = NewApiKeySecret::from(carbonext_api::types::ApplicationCredentials {
            client_id: "cbx_b2b_job".into(),
            client_secret: Secret::new("s3cr3t-value"),
            id: Uuid::nil(),
        });
        assert!(!format!("{key:?}").contains("s3cr3t-value"));
        assert!(serde_json::to_string(&key)
            .unwrap()
            .contains(r#""clientSecret":"s3cr3t-value""#));
    }
}
