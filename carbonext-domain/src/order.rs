//! Orders: [`NewOrder`] (validated, built with a builder), [`Order`] (as the API returns it),
//! and the identifiers [`OrderId`] and [`OrderKey`].
//!
//! # Where the order key travels
//!
//! Every [`NewOrder`] carries a client order key ([`OrderKey`], generated when you give none).
//! The API has no idempotency header, so the key travels inside the order's `metaData`, after
//! your own text: `"<your metaData> [cbx-key:<key> fp=<fingerprint>]"` (or just the marker).
//! The fingerprint is 8 hex digits of a SHA-256 of what the order does not record itself
//! (whether it is paid from the balance), so that a later request with the same key and a
//! different payment is refused ([`Error::KeyConflict`](crate::Error::KeyConflict)) instead of
//! being answered with the first order; markers written without one (`[cbx-key:<key>]`, before
//! 0.1.0) are still read, and then only what the order records is compared. The API allows 500
//! characters of metaData; your text may use what the marker leaves
//! ([`MetaData::max_len_for`]). When placing an order fails ambiguously the SDK looks the key up
//! with the `metaData_like` filter before retrying, so a lost answer never becomes a second
//! order. [`Order::meta_data`] gives back your text without the marker and [`Order::key`] the key.
//!
//! Give the key yourself, made from your own id of what the order is for
//! ([`OrderKey::from_external_id`]: an invoice number, an event id), and placing the order
//! becomes idempotent across runs too: the SDK looks the key up first and returns the order
//! already placed with it instead of placing another, so a retry of the same event never
//! places a second order.
//!
//! ```
//! use carbonext_domain::{Currency, NewOrder, OrderKey, Recipient};
//!
//! let order = NewOrder::builder("3".parse()?)
//!     .currency(Currency::Brl)
//!     .pay_with_balance(true)
//!     .recipient(Recipient::new().name("ACME").email("esg@acme.example"))
//!     .key(OrderKey::from_external_id("invoice", "2026_03")?) // your invoice's id
//!     .meta_data("march emissions")
//!     .build()?;
//! // `fp=`: the fingerprint of the payment (from the balance), which the order does not record.
//! assert_eq!(order.wire_meta_data(), "march emissions [cbx-key:invoice_2026_03 fp=718a606a]");
//! # Ok::<(), carbonext_domain::ValidationError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::amount::VcuAmount;
use crate::ledger::InvoiceId;
use crate::validation::ValidationError;
use crate::{Currency, OrderStatus, OrderType, Timestamp};

mod external_id;

/// The API's limit on `metaData`, in characters.
pub const META_DATA_MAX_CHARS: usize = 500;

/// Identifier of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub Uuid);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for OrderId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim()).map(Self)
    }
}

impl From<Uuid> for OrderId {
    fn from(value: Uuid) -> Self {
        Self(value)
    }
}

/// A client order key: 8 to 64 characters of `A-Z a-z 0-9 _`, unique per order you intend to
/// place once.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderKey(String);

const KEY_OPEN: &str = "[cbx-key:";
const KEY_CLOSE: &str = "]";
/// Between the key and the request's fingerprint inside the marker.
const FINGERPRINT_OPEN: &str = " fp=";
/// Hex digits of a request fingerprint.
const FINGERPRINT_LEN: usize = 8;

impl OrderKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self(Uuid::new_v4().simple().to_string())
    }

    /// Validates a key of your own (an invoice number, a job id…).
    pub fn new(key: impl Into<String>) -> Result<Self, ValidationError> {
        let key = key.into();
        let valid = (8..=64).contains(&key.len())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            Ok(Self(key))
        } else {
            Err(ValidationError::InvalidOrderKey {
                key: key.chars().take(70).collect(),
            })
        }
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The marker written into metaData, with the request's `fingerprint`.
    pub(crate) fn marker(&self, fingerprint: &str) -> String {
        format!(
            "{KEY_OPEN}{}{FINGERPRINT_OPEN}{fingerprint}{KEY_CLOSE}",
            self.0
        )
    }

    /// Splits wire metaData into the user's text, the key and the request's fingerprint, if
    /// a marker ends it (`[cbx-key:KEY fp=FINGERPRINT]`, or `[cbx-key:KEY]` without one).
    pub(crate) fn split(meta_data: &str) -> Marked {
        if let Some(start) = meta_data.rfind(KEY_OPEN) {
            if let Some(inner) = meta_data[start + KEY_OPEN.len()..].strip_suffix(KEY_CLOSE) {
                let (key, fingerprint) = match inner.split_once(FINGERPRINT_OPEN) {
                    Some((key, fp)) if is_fingerprint(fp) => (key, Some(fp.to_owned())),
                    Some(_) => ("", None),
                    None => (inner, None),
                };
                if let Ok(key) = OrderKey::new(key) {
                    let user = meta_data[..start].trim_end();
                    return Marked {
                        user: (!user.is_empty()).then(|| user.to_owned()),
                        key: Some(key),
                        fingerprint,
                    };
                }
            }
        }
        Marked {
            user: (!meta_data.is_empty()).then(|| meta_data.to_owned()),
            key: None,
            fingerprint: None,
        }
    }
}

/// Wire metaData taken apart.
pub(crate) struct Marked {
    /// The user's own text.
    pub(crate) user: Option<String>,
    /// The client order key of the marker.
    pub(crate) key: Option<OrderKey>,
    /// The request fingerprint of the marker, when it has one.
    pub(crate) fingerprint: Option<String>,
}

/// The fingerprint of a request paid (or not) from the balance: the one field of a request
/// that its order does not record.
pub(crate) fn fingerprint(pay_with_balance: bool) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("v1;payWithBalance={pay_with_balance}"));
    digest
        .iter()
        .take(FINGERPRINT_LEN / 2)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_fingerprint(text: &str) -> bool {
    text.len() == FINGERPRINT_LEN && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl fmt::Display for OrderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrderKey {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<OrderKey> for String {
    fn from(value: OrderKey) -> Self {
        value.0
    }
}

impl FromStr for OrderKey {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// Your free text for an order (the API's `metaData`), at most what the order key leaves of
/// the API's 500 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MetaData(String);

impl MetaData {
    /// Validates `text` for an order keyed with `key`.
    pub fn new(text: impl Into<String>, key: &OrderKey) -> Result<Self, ValidationError> {
        let text = text.into();
        let max = Self::max_len_for(key);
        let len = text.chars().count();
        if len > max {
            return Err(ValidationError::MetaDataTooLong { len, max });
        }
        Ok(Self(text))
    }

    /// Characters of your own text that fit beside `key`'s marker (and its fingerprint).
    pub fn max_len_for(key: &OrderKey) -> usize {
        META_DATA_MAX_CHARS - key.marker(&"0".repeat(FINGERPRINT_LEN)).chars().count() - 1
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who the certificate is issued to and, for retirement, on whose behalf. Empty means the
/// customer's own data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// Name on the certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the certificate is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Tax document (CPF/CNPJ) of the recipient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    /// Name the credits are retired for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retirement_name: Option<String>,
    /// E-mail of the retirement beneficiary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retirement_email: Option<String>,
    /// Tax document of the retirement beneficiary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retirement_tax_id: Option<String>,
}

impl Recipient {
    /// An empty recipient (the customer's own data).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the name on the certificate.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Sets where the certificate is sent.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
    /// Sets the recipient's tax document.
    pub fn tax_id(mut self, tax_id: impl Into<String>) -> Self {
        self.tax_id = Some(tax_id.into());
        self
    }
    /// Sets the retirement beneficiary's name.
    pub fn retirement_name(mut self, name: impl Into<String>) -> Self {
        self.retirement_name = Some(name.into());
        self
    }
    /// Sets the retirement beneficiary's e-mail.
    pub fn retirement_email(mut self, email: impl Into<String>) -> Self {
        self.retirement_email = Some(email.into());
        self
    }
    /// Sets the retirement beneficiary's tax document.
    pub fn retirement_tax_id(mut self, tax_id: impl Into<String>) -> Self {
        self.retirement_tax_id = Some(tax_id.into());
        self
    }
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    pub(crate) fn from_wire(info: carbonext_api::types::CertificateRecipientInfo) -> Self {
        Self {
            name: info.name,
            email: info.email,
            tax_id: info.tax_id,
            retirement_name: info.retirement_name,
            retirement_email: info.retirement_email,
            retirement_tax_id: info.retirement_tax_id,
        }
    }

    pub(crate) fn to_wire(&self) -> carbonext_api::types::CertificateRecipientInfo {
        carbonext_api::types::CertificateRecipientInfo {
            name: self.name.clone(),
            email: self.email.clone(),
            tax_id: self.tax_id.clone(),
            retirement_name: self.retirement_name.clone(),
            retirement_email: self.retirement_email.clone(),
            retirement_tax_id: self.retirement_tax_id.clone(),
        }
    }
}

/// A validated order, ready to be placed with `VcuMarket::place_order`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewOrder {
    vcu_amount: VcuAmount,
    target_currency: Currency,
    pay_with_balance: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_recipient_info: Option<Recipient>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta_data: Option<MetaData>,
    order_key: OrderKey,
    #[serde(skip)]
    key_given: bool,
}

impl NewOrder {
    /// Starts an order for `amount` VCUs (BRL, postpaid, no recipient, generated key).
    pub fn builder(amount: VcuAmount) -> NewOrderBuilder {
        NewOrderBuilder {
            amount,
            currency: Currency::Brl,
            pay_with_balance: false,
            recipient: None,
            meta_data: None,
            key: None,
        }
    }

    /// VCUs ordered.
    pub fn vcu_amount(&self) -> VcuAmount {
        self.vcu_amount
    }
    /// Currency charged.
    pub fn currency(&self) -> &Currency {
        &self.target_currency
    }
    /// Whether the order is paid from the VCU balance at once.
    pub fn pays_with_balance(&self) -> bool {
        self.pay_with_balance
    }
    /// Certificate recipient, if not the customer.
    pub fn recipient(&self) -> Option<&Recipient> {
        self.certificate_recipient_info.as_ref()
    }
    /// Your metaData text, without the key marker.
    pub fn meta_data(&self) -> Option<&str> {
        self.meta_data.as_ref().map(MetaData::as_str)
    }
    /// The client order key.
    pub fn key(&self) -> &OrderKey {
        &self.order_key
    }

    /// Whether the key was given by the caller (a re-run may find the order already placed)
    /// rather than generated for this order.
    pub fn key_was_given(&self) -> bool {
        self.key_given
    }

    /// The metaData sent to the API: your text followed by the key marker, which carries the
    /// request's [`fingerprint`](Self::fingerprint).
    pub fn wire_meta_data(&self) -> String {
        let marker = self.order_key.marker(&self.fingerprint());
        match &self.meta_data {
            Some(text) if !text.as_str().is_empty() => format!("{} {marker}", text.as_str()),
            _ => marker,
        }
    }

    /// 8 hex digits of a SHA-256 of what the API does not record of this request (whether
    /// it is paid from the balance), written beside the key: a later request with the key
    /// compares it with its own ([`Order::request_fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint(self.pay_with_balance)
    }

    pub(crate) fn to_wire(&self) -> carbonext_api::types::NewOrder {
        carbonext_api::types::NewOrder {
            vcu_amount: self.vcu_amount.value().into(),
            target_currency: Some(self.target_currency.clone()),
            certificate_recipient_info: self
                .certificate_recipient_info
                .as_ref()
                .map(Recipient::to_wire),
            meta_data: Some(
                self.wire_meta_data()
                    .try_into()
                    .expect("metaData length is validated by the builder"),
            ),
            pay_with_balance: Some(self.pay_with_balance),
        }
    }
}

/// Builder of [`NewOrder`]; [`NewOrderBuilder::build`] validates.
#[derive(Clone, Debug)]
pub struct NewOrderBuilder {
    amount: VcuAmount,
    currency: Currency,
    pay_with_balance: bool,
    recipient: Option<Recipient>,
    meta_data: Option<String>,
    key: Option<OrderKey>,
}

impl NewOrderBuilder {
    /// Currency to charge (default BRL).
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = currency;
        self
    }
    /// Pay from the VCU balance at once (default: postpaid).
    pub fn pay_with_balance(mut self, yes: bool) -> Self {
        self.pay_with_balance = yes;
        self
    }
    /// Issue the certificate to someone else.
    pub fn recipient(mut self, recipient: Recipient) -> Self {
        self.recipient = (!recipient.is_empty()).then_some(recipient);
        self
    }
    /// Free text kept with the order.
    pub fn meta_data(mut self, text: impl Into<String>) -> Self {
        self.meta_data = Some(text.into());
        self
    }
    /// Your own client order key (default: a random one).
    pub fn key(mut self, key: OrderKey) -> Self {
        self.key = Some(key);
        self
    }
    /// Validates and builds the order.
    pub fn build(self) -> Result<NewOrder, ValidationError> {
        let key_given = self.key.is_some();
        let key = self.key.unwrap_or_else(OrderKey::generate);
        let meta_data = self
            .meta_data
            .map(|text| MetaData::new(text, &key))
            .transpose()?;
        Ok(NewOrder {
            vcu_amount: self.amount,
            target_currency: self.currency,
            pay_with_balance: self.pay_with_balance,
            certificate_recipient_info: self.recipient,
            meta_data,
            order_key: key,
            key_given,
        })
    }
}

/// An order as the API reports it. Serialises with the API's field names; amounts as exact
/// strings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Order id.
    pub id: OrderId,
    /// VCUs ordered.
    #[serde(with = "crate::amount::decimal_text")]
    pub vcu_amount: Decimal,
    /// Price of one VCU when the order was placed.
    #[serde(with = "crate::amount::decimal_text::option")]
    pub vcu_unit_price: Option<Decimal>,
    /// Total price.
    #[serde(with = "crate::amount::decimal_text::option")]
    pub total_price: Option<Decimal>,
    /// Currency charged.
    pub target_currency: Option<Currency>,
    /// Lifecycle status.
    pub status: OrderStatus,
    /// How the order is paid.
    #[serde(rename = "type")]
    pub order_type: Option<OrderType>,
    /// When it was placed.
    pub created_at: Option<Timestamp>,
    /// When it was paid.
    pub payment_date: Option<Timestamp>,
    /// Your metaData text, without the order-key marker.
    pub meta_data: Option<String>,
    /// The client order key found in metaData, if any.
    pub order_key: Option<OrderKey>,
    /// The fingerprint written beside the key ([`NewOrder::fingerprint`]), when the marker
    /// has one. Not serialised: it stays part of the marker on the wire.
    #[serde(skip)]
    pub request_fingerprint: Option<String>,
    /// Certificate recipient.
    pub certificate_recipient_info: Option<Recipient>,
    /// Whether the credits are retired on the recipient's behalf.
    pub retire_for_recipient: bool,
    /// The invoices that billed it (the ids of the API's `invoices`), empty until it is
    /// billed; list an invoice's orders with [`OrderQuery::invoice_id`](crate::OrderQuery::invoice_id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invoice_ids: Vec<InvoiceId>,
}

impl Order {
    /// The client order key, if the order carries one.
    pub fn key(&self) -> Option<&OrderKey> {
        self.order_key.as_ref()
    }

    /// Whether the API still allows cancelling it (status `Issued`; the 10-day window is the
    /// server's to check).
    pub fn is_cancellable(&self) -> bool {
        self.status == OrderStatus::Issued
    }
}

impl From<carbonext_api::types::Order> for Order {
    fn from(wire: carbonext_api::types::Order) -> Self {
        let Marked {
            user: meta_data,
            key: order_key,
            fingerprint: request_fingerprint,
        } = OrderKey::split(wire.meta_data.as_deref().unwrap_or(""));
        Self {
            id: OrderId(wire.id),
            vcu_amount: wire.vcu_amount.value(),
            vcu_unit_price: wire.vcu_unit_price.map(Decimal::from),
            total_price: wire.total_price.map(Decimal::from),
            target_currency: wire.target_currency,
            status: wire.status,
            order_type: wire.type_,
            created_at: wire.created_at,
            payment_date: wire.payment_date,
            meta_data,
            order_key,
            request_fingerprint,
            certificate_recipient_info: wire.certificate_recipient_info.map(Recipient::from_wire),
            retire_for_recipient: wire.retire_for_recipient.unwrap_or(false),
            invoice_ids: wire.invoices.iter().filter_map(invoice_id_of).collect(),
        }
    }
}

/// The id of one item of an order's `invoices`, whose shape the docs do not show: an object
/// with an `id` (what the sandbox sends), or the id itself.
fn invoice_id_of(item: &serde_json::Value) -> Option<InvoiceId> {
    let text = item.get("id").unwrap_or(item).as_str()?;
    text.parse().ok()
}

/// A price quote: what `vcu_amount` VCUs cost now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// VCUs quoted.
    pub vcu_amount: VcuAmount,
    /// Price of one VCU, exactly as the API sent it.
    #[serde(with = "crate::amount::decimal_text")]
    pub vcu_price: Decimal,
    /// Currency of the price.
    pub currency: Currency,
    /// `vcu_amount × vcu_price`, exact.
    #[serde(with = "crate::amount::decimal_text")]
    pub total_price: Decimal,
}

impl Quote {
    /// A quote, or `None` when the total does not fit a decimal (an absurd amount).
    pub(crate) fn new(
        vcu_amount: VcuAmount,
        vcu_price: Decimal,
        currency: Currency,
    ) -> Option<Self> {
        Some(Self {
            vcu_amount,
            vcu_price,
            currency,
            total_price: vcu_amount.value().checked_mul(vcu_price)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Parts(Option<String>, Option<OrderKey>, Option<String>);

    fn parts(meta_data: &str) -> Parts {
        let marked = OrderKey::split(meta_data);
        Parts(marked.user, marked.key, marked.fingerprint)
    }

    #[test]
    fn key_marker_round_trips_through_meta_data_with_the_requests_fingerprint() {
        let key = OrderKey::new("invoice_2026_03").unwrap();
        let order = NewOrder::builder("1".parse().unwrap())
            .meta_data("fleet")
            .key(key.clone())
            .build()
            .unwrap();
        // `python3 -c "import hashlib; print(hashlib.sha256(b'v1;payWithBalance=false')
        // .hexdigest()[:8])"` prints 76a93b7c.
        assert_eq!(
            order.wire_meta_data(),
            "fleet [cbx-key:invoice_2026_03 fp=76a93b7c]"
        );
        assert_eq!(
            parts(&order.wire_meta_data()),
            Parts(Some("fleet".to_owned()), Some(key), Some("76a93b7c".into()))
        );
    }

    #[test]
    fn the_fingerprint_tells_the_payment_apart() {
        let paid = |yes| {
            NewOrder::builder("1".parse().unwrap())
                .pay_with_balance(yes)
                .build()
                .unwrap()
                .fingerprint()
        };
        // The same command with `b'v1;payWithBalance=true'` prints 718a606a.
        assert_eq!(paid(true), "718a606a");
        assert_eq!(paid(false), "76a93b7c");
    }

    #[test]
    fn markers_written_without_a_fingerprint_are_still_read() {
        assert_eq!(
            parts("fleet [cbx-key:invoice_2026_03]"),
            Parts(
                Some("fleet".to_owned()),
                Some(OrderKey::new("invoice_2026_03").unwrap()),
                None
            )
        );
        // A fingerprint that is not 8 hex digits makes the marker someone else's text.
        assert_eq!(
            parts("[cbx-key:invoice_2026_03 fp=xyz]"),
            Parts(Some("[cbx-key:invoice_2026_03 fp=xyz]".into()), None, None)
        );
    }

    #[test]
    fn invoice_ids_are_read_from_objects_or_bare_ids() {
        let id = "3951ae7b-2c3d-4bd8-a05c-7755328413b5";
        for item in [serde_json::json!({ "id": id }), serde_json::json!(id)] {
            assert_eq!(invoice_id_of(&item), Some(id.parse().unwrap()));
        }
        assert_eq!(invoice_id_of(&serde_json::json!({ "number": 7 })), None);
    }

    #[test]
    fn meta_data_without_a_marker_is_kept_whole() {
        assert_eq!(
            parts("made by hand [not a key]"),
            Parts(Some("made by hand [not a key]".to_owned()), None, None)
        );
    }

    #[test]
    fn meta_data_limit_leaves_room_for_the_key_and_fits_500_characters() {
        let key = OrderKey::generate();
        let max = MetaData::max_len_for(&key);
        let order = NewOrder::builder("1".parse().unwrap())
            .meta_data("é".repeat(max))
            .key(key.clone())
            .build()
            .unwrap();
        assert_eq!(order.wire_meta_data().chars().count(), META_DATA_MAX_CHARS);
        let too_long = NewOrder::builder("1".parse().unwrap())
            .meta_data("é".repeat(max + 1))
            .key(key)
            .build();
        assert!(matches!(
            too_long,
            Err(ValidationError::MetaDataTooLong { .. })
        ));
    }

    #[test]
    fn order_keys_refuse_filter_syntax_characters() {
        for bad in [
            "short",
            "has-dash-inside",
            "tilde~key_123",
            "colon:key_123",
            "spa ce_key",
        ] {
            assert!(OrderKey::new(bad).is_err(), "{bad} accepted");
        }
    }
}
