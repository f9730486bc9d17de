//! [`Operation`]: what `openapi.yaml` says of each operation, generated as [`operations`]
//! by `cargo xtask codegen` so that no crate types an operation id by hand.
//!
//! ```
//! use carbonext_api::{operations, Operation};
//!
//! assert_eq!(operations::CREATE_ORDER.id, "create_order");
//! assert!(operations::LIST_AIRPORTS.public);
//! assert!(operations::CREATE_APPLICATION.secret_in_response);
//! assert_eq!(operations::CREATE_ORDER.permissions, ["orders_write"]);
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
    /// Its HTTP method, upper case (`"POST"`).
    pub method: &'static str,
    /// Its path template as the spec writes it (`"/v1/orders/{orderId}/cancel"`).
    pub path: &'static str,
    /// The spec marks it `security: []`: it needs no access token.
    pub public: bool,
    /// A success answer carries a secret (`format: password`, such as a new API key's
    /// `clientSecret` or an access token): nothing of such a body may be logged or kept in an
    /// error.
    pub secret_in_response: bool,
    /// The permissions of which any one grants access (`x-permissions`); none when public.
    pub permissions: &'static [&'static str],
}

impl Operation {
    /// The operation with progenitor's operation id `id`.
    pub fn find(id: &str) -> Option<&'static Operation> {
        crate::operations::ALL.iter().find(|op| op.id == id)
    }

    /// The operation a request of `method` on a path matching `template` calls: templates
    /// match whatever their parameters are named (`/v1/users/{id}` is the spec's
    /// `/v1/users/{userId}`).
    ///
    /// ```
    /// use carbonext_api::{operations, Operation};
    ///
    /// let found = Operation::route("POST", "/v1/orders/{id}/cancel");
    /// assert_eq!(found, Some(&operations::CANCEL_ORDER));
    /// ```
    pub fn route(method: &str, template: &str) -> Option<&'static Operation> {
        crate::operations::ALL
            .iter()
            .find(|op| op.method.eq_ignore_ascii_case(method) && same_shape(op.path, template))
    }
}

/// Whether two path templates have the same segments, parameters matching parameters.
fn same_shape(a: &str, b: &str) -> bool {
    let parameter = |segment: &str| segment.starts_with('{') && segment.ends_with('}');
    let (mut a, mut b) = (a.split('/'), b.split('/'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y || (parameter(x) && parameter(y)) => {}
            _ => return false,
        }
    }
}
