//! The records of a sandbox's state ([`State`]): customers, API keys, tokens, orders,
//! invoices and users, as [`crate::store::Store`] keeps them behind its lock and the rules
//! ([`crate::ledger`], [`crate::accounts`], [`crate::billing`]) change them.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use carbonext_api::types::{self, CertificateRecipientInfo};
use carbonext_api::{Currency, InvoiceStatus, OrderStatus, OrderType, PaymentType, PurchaseType};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::timestamp;

/// A customer (a company with its own data, keys and users).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// Customer id.
    pub id: Uuid,
    /// Legal name.
    pub name: String,
}

/// An API key: the client id and secret of the `client_credentials` grant. Its `Debug`
/// redacts the secret; its JSON (the state file's, see [`crate::state_file`]) does not.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// Application id.
    pub id: Uuid,
    /// Owner.
    pub customer_id: Uuid,
    /// `cbx_b2b_...`.
    pub client_id: String,
    /// The secret (fake test data).
    pub client_secret: String,
    /// Name shown in lists.
    pub display_name: String,
    /// Permission keys granted to the key.
    #[serde(deserialize_with = "crate::permissions::deserialize_keys")]
    pub permissions: Vec<&'static str>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("customer_id", &self.customer_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &Redacted)
            .field("display_name", &self.display_name)
            .field("permissions", &self.permissions)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// What `Debug` shows in place of a client secret: `[REDACTED]`, as
/// `carbonext_api::Secret` does.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// An access token handed out by the token endpoint.
#[derive(Clone, Debug)]
pub struct TokenGrant {
    /// The key it was issued to.
    pub client_id: String,
    /// Expiry on the sandbox clock.
    pub expires_at: DateTime<Utc>,
}

/// How many issued access tokens a sandbox remembers by default
/// ([`crate::SandboxBuilder::issued_tokens_kept`]): the most recent 65,536, a few MiB at
/// most. Far more than any test run issues (the P2 benchmark, the busiest, takes a few dozen),
/// while a long-running sandbox binary serving many clients does not grow without bound.
pub const DEFAULT_ISSUED_TOKENS_KEPT: usize = 65_536;

/// The most recent access tokens the token endpoint has issued (up to a limit, by default
/// [`DEFAULT_ISSUED_TOKENS_KEPT`]), in issue order, expired and revoked ones included: the
/// record behind [`crate::Sandbox::issued_tokens`], a test aid. When full, recording a token
/// forgets the oldest. Its `Debug` shows only how many there are, never a token.
#[derive(Clone)]
pub struct IssuedTokens {
    recent: VecDeque<String>,
    kept: usize,
    forgotten: u64,
}

impl Default for IssuedTokens {
    fn default() -> Self {
        Self::keeping(DEFAULT_ISSUED_TOKENS_KEPT)
    }
}

impl IssuedTokens {
    /// An empty record that keeps the `kept` most recent tokens (`0`: none).
    pub fn keeping(kept: usize) -> Self {
        Self {
            recent: VecDeque::new(),
            kept,
            forgotten: 0,
        }
    }

    /// Records a token just issued, forgetting the oldest one if the record is full.
    pub fn record(&mut self, token: &str) {
        if self.kept == 0 {
            self.forgotten += 1;
            return;
        }
        if self.recent.len() == self.kept {
            self.recent.pop_front();
            self.forgotten += 1;
        }
        self.recent.push_back(token.to_owned());
    }

    /// The tokens kept, oldest first.
    pub fn to_vec(&self) -> Vec<String> {
        self.recent.iter().cloned().collect()
    }

    /// How many tokens were recorded and then forgotten to respect the limit.
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }
}

impl fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuedTokens({} redacted", self.recent.len())?;
        if self.forgotten > 0 {
            write!(f, ", {} forgotten", self.forgotten)?;
        }
        f.write_str(")")
    }
}

/// A stored order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredOrder {
    /// Order id.
    pub id: Uuid,
    /// Owner.
    pub customer_id: Uuid,
    /// VCUs ordered.
    pub vcu_amount: Decimal,
    /// Unit price when ordered.
    pub vcu_unit_price: Decimal,
    /// `vcu_amount × vcu_unit_price`, exact.
    pub total_price: Decimal,
    /// Currency of the prices.
    pub currency: Currency,
    /// Lifecycle status.
    pub status: OrderStatus,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it was paid (from the balance).
    pub payment_date: Option<DateTime<Utc>>,
    /// Free text (up to 500 characters).
    pub meta_data: Option<String>,
    /// Who the certificate is for.
    pub recipient: Option<CertificateRecipientInfo>,
    /// Invoices that billed it.
    pub invoice_ids: Vec<Uuid>,
    /// Every status it took, oldest first, starting with the one it was created in: the
    /// sandbox's own record of its transitions ([`crate::Sandbox::order_histories`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<StatusChange>,
}

/// One status an order took, and when (on the sandbox clock).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    /// The status reached.
    pub status: OrderStatus,
    /// When it was reached.
    pub at: DateTime<Utc>,
}

impl StoredOrder {
    /// Moves the order to `status` at `at`, recording the change in its history.
    pub fn set_status(&mut self, status: OrderStatus, at: DateTime<Utc>) {
        self.status = status.clone();
        self.history.push(StatusChange { status, at });
    }

    /// The wire shape.
    pub fn wire(&self) -> types::Order {
        let retire_for_recipient = self
            .recipient
            .as_ref()
            .is_some_and(|r| r.retirement_name.is_some() || r.retirement_tax_id.is_some());
        types::Order {
            id: self.id,
            vcu_amount: self.vcu_amount.into(),
            vcu_unit_price: Some(self.vcu_unit_price.into()),
            total_price: Some(self.total_price.into()),
            target_currency: Some(self.currency.clone()),
            status: self.status.clone(),
            created_at: Some(timestamp(self.created_at)),
            notify_certificate_to: self.recipient.as_ref().and_then(|r| r.email.clone()),
            type_: Some(OrderType::Postpaid),
            payment_date: self.payment_date.map(timestamp),
            meta_data: self.meta_data.clone(),
            retire_for_recipient: Some(retire_for_recipient),
            certificate_recipient_info: self.recipient.clone(),
            invoices: self
                .invoice_ids
                .iter()
                .map(|id| serde_json::json!({ "id": id }))
                .collect(),
            subscriptions: Vec::new(),
        }
    }
}

/// A stored invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredInvoice {
    /// Invoice id.
    pub id: Uuid,
    /// Owner.
    pub customer_id: Uuid,
    /// Payment status.
    pub status: InvoiceStatus,
    /// VCUs invoiced.
    pub total_vcu_amount: Decimal,
    /// Amount charged.
    pub total_price: Decimal,
    /// Currency of the amount.
    pub currency: Currency,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Payment time.
    pub paid_at: Option<DateTime<Utc>>,
    /// How it was paid (`None` for an invoice of billed orders: the docs name no value).
    #[serde(default)]
    pub payment_type: Option<PaymentType>,
    /// Prepaid or postpaid (`None` for an invoice of billed orders: the docs name no value).
    #[serde(default)]
    pub purchase_type: Option<PurchaseType>,
}

impl StoredInvoice {
    /// The wire shape.
    pub fn wire(&self) -> types::Invoice {
        types::Invoice {
            id: self.id,
            status: self.status.clone(),
            total_vcu_amount: Some(self.total_vcu_amount.into()),
            total_price: Some(self.total_price.into()),
            currency: Some(self.currency.clone()),
            customer_id: Some(self.customer_id),
            created_at: Some(timestamp(self.created_at)),
            paid_at: self.paid_at.map(timestamp),
            due_date: None,
            payment_type: self.payment_type.clone(),
            purchase_type: self.purchase_type.clone(),
        }
    }
}

/// A stored user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredUser {
    /// User id.
    pub id: Uuid,
    /// Owner.
    pub customer_id: Uuid,
    /// E-mail (unique across the sandbox).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Permission keys.
    #[serde(deserialize_with = "crate::permissions::deserialize_keys")]
    pub permissions: Vec<&'static str>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl StoredUser {
    /// The wire shape.
    pub fn wire(&self) -> types::User {
        types::User {
            id: self.id,
            email: self.email.clone(),
            name: Some(self.name.clone()),
            is_email_verified: Some(false),
            permissions: wire_permissions(&self.permissions),
        }
    }
}

impl ApiKey {
    /// The wire shape, with or without its permissions.
    pub fn wire(&self, with_permissions: bool) -> types::Application {
        types::Application {
            id: self.id,
            client_id: self.client_id.clone(),
            display_name: Some(self.display_name.clone()),
            permissions: if with_permissions {
                wire_permissions(&self.permissions)
            } else {
                Vec::new()
            },
        }
    }
}

fn wire_permissions(keys: &[&'static str]) -> Vec<types::Permission> {
    keys.iter()
        .filter_map(|key| crate::permissions::by_key(key))
        .map(crate::permissions::wire)
        .collect()
}

/// Everything the sandbox knows, guarded by [`Store::lock`](crate::store::Store::lock). Its `Debug` leaves the access
/// tokens out (it shows how many there are).
#[derive(Default)]
pub struct State {
    /// Customers, in creation order.
    pub customers: Vec<Customer>,
    /// API keys by client id.
    pub keys: HashMap<String, ApiKey>,
    /// Live access tokens.
    pub tokens: HashMap<String, TokenGrant>,
    /// The most recent access tokens issued (live, expired, revoked), up to a limit.
    pub issued_tokens: IssuedTokens,
    /// Orders, in creation order.
    pub orders: Vec<StoredOrder>,
    /// Invoices, in creation order.
    pub invoices: Vec<StoredInvoice>,
    /// Users, in creation order.
    pub users: Vec<StoredUser>,
    /// Every postpaid order created before this instant (a month's start) has been billed
    /// ([`crate::billing`]); `None` until the first check.
    pub billed_before: Option<DateTime<Utc>>,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("customers", &self.customers)
            .field("keys", &self.keys)
            .field(
                "tokens",
                &format_args!("{} live, redacted", self.tokens.len()),
            )
            .field("issued_tokens", &self.issued_tokens)
            .field("orders", &self.orders)
            .field("invoices", &self.invoices)
            .field("users", &self.users)
            .field("billed_before", &self.billed_before)
            .finish()
    }
}
