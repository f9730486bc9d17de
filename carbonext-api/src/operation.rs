//! [`Operation`]: what `openapi.yaml` says of each operation, generated as [`operations`]
//! by `cargo xtask codegen` so that no crate types an operation id by hand.
//!
//! ```
//! use carbonext_api::{operations, Operation};
//!
//! assert_eq!(operations::CREATE_ORDER.id, "create_order");
//! assert!(operations::LIST_AIRPORTS.public);
//! assert!(operations::CREATE_APPLICATION.secret_in_response);
//! assert_eq!(Operation::find("get_price"), Some(&operations::GET_PRICE));
//! ```
//!
//! [`operations`]: crate::operations

/// One operation of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// progenitor's snake-case operation id, as in `OperationInfo::operation_id`
    /// (`createOrder` → `create_order`).
    pub id: &'static str,
    /// The spec marks it `security: []`: it needs no access token.
    pub public: bool,
    /// A success answer carries a secret (`format: password`, such as a new API key's
    /// `clientSecret` or an access token): nothing of such a body may be logged or kept in an
    /// error.
    pub secret_in_response: bool,
}

impl Operation {
    /// The operation with progenitor's operation id `id`.
    pub fn find(id: &str) -> Option<&'static Operation> {
        crate::operations::ALL.iter().find(|op| op.id == id)
    }
}
