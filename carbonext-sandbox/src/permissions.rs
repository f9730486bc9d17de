//! The permission catalogue: the 11 documented permission keys, each with a stable id, and the
//! permissions each operation requires (the `x-permissions` of `openapi.yaml`).
//!
//! ```
//! use carbonext_sandbox::permissions;
//! assert_eq!(permissions::ALL.len(), 11);
//! assert_eq!(permissions::required("create_order"), Some(&["orders_write"][..]));
//! assert_eq!(permissions::required("list_airports"), Some(&[][..]));
//! ```

use carbonext_api::types::Permission;
use uuid::Uuid;

/// One permission of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermissionDef {
    /// Stable id (the docs' ids where the docs show one).
    pub id: Uuid,
    /// Key, e.g. `orders_write`.
    pub key: &'static str,
    /// Description, in the docs' language.
    pub description: &'static str,
}

const fn def(id: u128, key: &'static str, description: &'static str) -> PermissionDef {
    PermissionDef {
        id: Uuid::from_u128(id),
        key,
        description,
    }
}

/// Every permission, in the docs' order.
pub const ALL: &[PermissionDef] = &[
    def(
        0x5db0f399_28ab_4980_b320_9c321eea3bb1,
        "orders_read",
        "Visualizar pedidos",
    ),
    def(
        0x0b7e6a8e_4f0c_4c52_9a3e_2d6f3c1b8a01,
        "orders_write",
        "Criar/Cancelar pedidos",
    ),
    def(
        0x2a9f1c47_6d3b_4e1a_8c55_7b0e9d2f4a02,
        "customer_applications_read",
        "Visualizar chaves de API",
    ),
    def(
        0x4f3ca574_0b89_4a92_83fa_794edcad6b76,
        "customer_applications_write",
        "Criar/Remover Chaves de API",
    ),
    def(
        0x8c1d2e3f_4a5b_4c6d_9e7f_0a1b2c3d4e03,
        "financial_write",
        "Criar faturas",
    ),
    def(
        0x9d2e3f4a_5b6c_4d7e_8f90_1a2b3c4d5e04,
        "financial_read",
        "Visualizar faturas",
    ),
    def(
        0xc56452df_18fe_474b_9cab_82080af3e902,
        "users_write",
        "Criar/Remover usuários",
    ),
    def(
        0xae3f4a5b_6c7d_4e8f_9012_2b3c4d5e6f05,
        "users_read",
        "Visualizar usuários",
    ),
    def(
        0xbf4a5b6c_7d8e_4f90_a123_3c4d5e6f7a06,
        "subscriptions_write",
        "Criar/Suspender assinaturas",
    ),
    def(
        0xc05b6c7d_8e9f_4a01_b234_4d5e6f7a8b07,
        "subscriptions_read",
        "Visualizar assinaturas",
    ),
    def(
        0x497efb5a_25eb_434f_9a2a_2e3aa6b2e6e1,
        "certificates_read",
        "Visualizar certificados",
    ),
];

/// Every permission key.
pub fn all_keys() -> Vec<&'static str> {
    ALL.iter().map(|p| p.key).collect()
}

/// The permission with this key.
pub fn by_key(key: &str) -> Option<&'static PermissionDef> {
    ALL.iter().find(|p| p.key == key)
}

/// Reads a list of permission keys (as the state file stores them) into the catalogue's own
/// `&'static str`s; a key the catalogue does not know is an error naming it.
pub fn deserialize_keys<'de, D>(deserializer: D) -> Result<Vec<&'static str>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let keys: Vec<String> = serde::Deserialize::deserialize(deserializer)?;
    keys.iter()
        .map(|key| {
            by_key(key)
                .map(|p| p.key)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown permission `{key}`")))
        })
        .collect()
}

/// The permission with this id.
pub fn by_id(id: Uuid) -> Option<&'static PermissionDef> {
    ALL.iter().find(|p| p.id == id)
}

/// The wire shape of a permission (its key under `name`, as the permission list shows it).
pub fn wire(def: &PermissionDef) -> Permission {
    Permission {
        id: def.id,
        name: Some(def.key.to_owned()),
        key: Some(def.key.to_owned()),
        description: Some(def.description.to_owned()),
        composite: Some(false),
        client_role: Some(false),
        container_id: Some("CO2FREE".to_owned()),
        attributes: None,
    }
}

/// Permissions an operation accepts (any one grants access), `Some(&[])` for a public
/// operation and `None` for an unknown operation id: the spec's `x-permissions`, from its
/// generated table (`carbonext_api::Operation::permissions`).
pub fn required(operation: &str) -> Option<&'static [&'static str]> {
    carbonext_api::Operation::find(operation).map(|op| op.permissions)
}
