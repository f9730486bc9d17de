//! What the account holds: [`Balance`] per currency over an optional [`Period`], and
//! [`Invoice`]s.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::ValidationError;
use crate::{Currency, InvoiceStatus, PaymentType, PurchaseType, Timestamp};

/// A date range, both ends optional and inclusive; start ≤ end.
///
/// ```
/// use carbonext_domain::Period;
/// use chrono::NaiveDate;
///
/// let march = Period::between(
///     NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
///     NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
/// ).unwrap();
/// assert!(Period::between(march.end().unwrap(), march.start().unwrap()).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
}

impl Period {
    /// From `start` to `end`, inclusive.
    pub fn between(start: NaiveDate, end: NaiveDate) -> Result<Self, ValidationError> {
        Self::new(Some(start), Some(end))
    }

    /// Any combination of ends; refuses start after end.
    pub fn new(start: Option<NaiveDate>, end: Option<NaiveDate>) -> Result<Self, ValidationError> {
        if let (Some(start), Some(end)) = (start, end) {
            if start > end {
                return Err(ValidationError::InvalidPeriod { start, end });
            }
        }
        Ok(Self { start, end })
    }

    /// From `start` on.
    pub fn since(start: NaiveDate) -> Self {
        Self {
            start: Some(start),
            end: None,
        }
    }

    /// Up to `end`.
    pub fn until(end: NaiveDate) -> Self {
        Self {
            start: None,
            end: Some(end),
        }
    }

    /// First day, if bounded.
    pub fn start(&self) -> Option<NaiveDate> {
        self.start
    }

    /// Last day, if bounded.
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }
}

/// VCU balance of one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyBalance {
    /// Currency the orders and invoices were made in.
    pub currency: Currency,
    /// VCUs available: credit minus debt.
    #[serde(with = "crate::amount::decimal_text")]
    pub balance: Decimal,
    /// VCUs from paid invoices.
    #[serde(with = "crate::amount::decimal_text::option")]
    pub credit: Option<Decimal>,
    /// VCUs of non-cancelled billed orders.
    #[serde(with = "crate::amount::decimal_text::option")]
    pub debt: Option<Decimal>,
    /// VCUs of orders not billed yet.
    #[serde(with = "crate::amount::decimal_text::option")]
    pub future_debt: Option<Decimal>,
}

/// The customer's balance per currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// Start of the period, when one was asked for.
    pub start_date: Option<Timestamp>,
    /// End of the period, when one was asked for.
    pub end_date: Option<Timestamp>,
    /// One entry per currency.
    pub balances_by_currency: Vec<CurrencyBalance>,
}

impl Balance {
    /// The balance of `currency`, if the customer has one.
    pub fn currency(&self, currency: &Currency) -> Option<&CurrencyBalance> {
        self.balances_by_currency
            .iter()
            .find(|b| &b.currency == currency)
    }
}

impl From<carbonext_api::types::Balance> for Balance {
    fn from(wire: carbonext_api::types::Balance) -> Self {
        Self {
            start_date: wire.start_date,
            end_date: wire.end_date,
            balances_by_currency: wire
                .balances_by_currency
                .into_iter()
                .map(|b| CurrencyBalance {
                    currency: b.currency,
                    balance: b.vcu_balance.balance.value(),
                    credit: b.vcu_balance.credit.map(Decimal::from),
                    debt: b.vcu_balance.debt.map(Decimal::from),
                    future_debt: b.vcu_balance.future_debt.map(Decimal::from),
                })
                .collect(),
        }
    }
}

/// Identifier of an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InvoiceId(pub Uuid);

impl fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for InvoiceId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim()).map(Self)
    }
}

/// An invoice: VCUs bought with a credit card, or issued orders billed together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// Invoice id.
    pub id: InvoiceId,
    /// Payment status.
    pub status: InvoiceStatus,
    /// VCUs invoiced.
    #[serde(with = "crate::amount::decimal_text::option")]
    pub total_vcu_amount: Option<Decimal>,
    /// Amount invoiced.
    #[serde(with = "crate::amount::decimal_text::option")]
    pub total_price: Option<Decimal>,
    /// Currency of `total_price`.
    pub currency: Option<Currency>,
    /// Customer that owns it.
    pub customer_id: Option<Uuid>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// When it was paid.
    pub paid_at: Option<Timestamp>,
    /// When it is due.
    pub due_date: Option<Timestamp>,
    /// How it was paid.
    pub payment_type: Option<PaymentType>,
    /// Prepaid or postpaid.
    pub purchase_type: Option<PurchaseType>,
}

impl From<carbonext_api::types::Invoice> for Invoice {
    fn from(wire: carbonext_api::types::Invoice) -> Self {
        Self {
            id: InvoiceId(wire.id),
            status: wire.status,
            total_vcu_amount: wire.total_vcu_amount.map(Decimal::from),
            total_price: wire.total_price.map(Decimal::from),
            currency: wire.currency,
            customer_id: wire.customer_id,
            created_at: wire.created_at,
            paid_at: wire.paid_at,
            due_date: wire.due_date,
            payment_type: wire.payment_type,
            purchase_type: wire.purchase_type,
        }
    }
}
