//! How orders move after they are placed: monthly billing and invoice payment.
//!
//! The API's docs describe the postpaid model only in words ("orders that will be billed
//! later, on a monthly basis, through an invoice"); this is the sandbox's model of it:
//!
//! - **Billing**: an order not paid with the balance is `Issued`. When the sandbox clock
//!   passes the end of the calendar month (UTC) it was created in, every such order still
//!   `Issued` is billed: it becomes `Billed` and joins the customer's invoice for that month
//!   and currency, created `Pending` (the docs' status of an unpaid invoice) at the first
//!   instant of the next month, with the orders' VCUs and prices summed exactly. The order's
//!   `invoices` then lists `{"id": …}` of that invoice, and `filter-by=invoiceId_eq:ID` lists
//!   its orders.
//! - **When**: applied lazily, whenever the state is read or written (every request, every
//!   [`Sandbox`](crate::Sandbox) accessor), so it is the same whether the clock was moved by
//!   [`Sandbox::advance_clock`](crate::Sandbox::advance_clock) /
//!   `POST /__sandbox/clock/advance` or simply ran: the change is stamped with the month's
//!   end, not with the moment it was noticed.
//! - **Invoice ids** are derived from the customer, the currency and the month, so processes
//!   sharing a state file ([`crate::state_file`]) bill a month into the same invoice.
//! - **Payment**: [`pay_invoice`] (`POST /__sandbox/invoices/{id}/pay`,
//!   [`Sandbox::pay_invoice`](crate::Sandbox::pay_invoice)) marks a `Pending` invoice `Paid`
//!   (`paidAt` now) and its `Billed` orders `Paid` (`paymentDate` now). Paying an invoice
//!   twice is a 409; an unknown id a 404.
//! - **Cancelling** stays the API's (`Issued` orders, within 10 days; see [`crate::ledger`]):
//!   a billed order can no longer be cancelled.
//!
//! Every change is kept in the order's history ([`StatusChange`](crate::StatusChange)), the sandbox's own record
//! of transitions ([`Sandbox::order_histories`](crate::Sandbox::order_histories)).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use carbonext_sandbox::billing::month_end;
//! let created = Utc.with_ymd_and_hms(2024, 1, 15, 12, 0, 0).unwrap();
//! assert_eq!(month_end(created), Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap());
//! ```

use std::collections::BTreeMap;

use carbonext_api::{Currency, InvoiceStatus, OrderStatus};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::state::{State, StoredInvoice};

/// The first instant of the calendar month (UTC) after the one `at` is in: when an order
/// created at `at` is billed.
pub fn month_end(at: DateTime<Utc>) -> DateTime<Utc> {
    let (year, month) = if at.month() == 12 {
        (at.year() + 1, 1)
    } else {
        (at.year(), at.month() + 1)
    };
    first_of(year, month)
}

/// The first instant of the calendar month (UTC) `at` is in.
pub fn month_start(at: DateTime<Utc>) -> DateTime<Utc> {
    first_of(at.year(), at.month())
}

fn first_of(year: i32, month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The id of `customer_id`'s invoice for the month starting at `month` in `currency`: two
/// FNV-1a hashes of the three, as the bytes of a UUID.
pub fn invoice_id(customer_id: Uuid, currency: &Currency, month: DateTime<Utc>) -> Uuid {
    let mut input = customer_id.as_bytes().to_vec();
    input.extend_from_slice(currency.as_str().as_bytes());
    input.extend_from_slice(&month.timestamp().to_be_bytes());
    let fnv = |offset: u64| {
        input.iter().fold(offset, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fnv(0xCBF2_9CE4_8422_2325).to_be_bytes());
    bytes[8..].copy_from_slice(&fnv(0x6C62_272E_07BB_0142).to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Bills every `Issued` order created before the start of `now`'s month (see the module
/// docs). Cheap when nothing is due: each month is checked once.
pub fn bill_due(state: &mut State, now: DateTime<Utc>) {
    let cutoff = month_start(now);
    if state.billed_before.is_some_and(|done| done >= cutoff) {
        return;
    }
    // (customer, currency, month) → positions of the orders it bills, in creation order.
    let mut due: BTreeMap<(Uuid, String, DateTime<Utc>), Vec<usize>> = BTreeMap::new();
    for (position, order) in state.orders.iter().enumerate() {
        if order.status == OrderStatus::Issued && order.created_at < cutoff {
            let month = month_start(order.created_at);
            due.entry((order.customer_id, order.currency.to_string(), month))
                .or_default()
                .push(position);
        }
    }
    for ((customer_id, currency, month), positions) in due {
        let currency = Currency::from(currency);
        let billed_at = month_end(month);
        let id = invoice_id(customer_id, &currency, month);
        let (mut vcus, mut price) = (Decimal::ZERO, Decimal::ZERO);
        for &position in &positions {
            let order = &mut state.orders[position];
            vcus += order.vcu_amount;
            price += order.total_price;
            order.set_status(OrderStatus::Billed, billed_at);
            order.invoice_ids.push(id);
        }
        match state.invoices.iter_mut().find(|i| i.id == id) {
            // Orders of the month another process billed first (a shared state file).
            Some(invoice) => {
                invoice.total_vcu_amount += vcus;
                invoice.total_price += price;
            }
            None => {
                let invoice = StoredInvoice {
                    id,
                    customer_id,
                    status: InvoiceStatus::Pending,
                    total_vcu_amount: vcus,
                    total_price: price,
                    currency,
                    created_at: billed_at,
                    paid_at: None,
                    payment_type: None,
                    purchase_type: None,
                };
                let at = state
                    .invoices
                    .partition_point(|i| i.created_at <= invoice.created_at);
                state.invoices.insert(at, invoice);
            }
        }
    }
    state.billed_before = Some(cutoff);
}

/// Why an invoice could not be paid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentError {
    /// No invoice has this id.
    #[error("invoice {0} not found")]
    NotFound(Uuid),
    /// The invoice is not `Pending`.
    #[error("invoice {id} is {status}; only Pending invoices can be paid")]
    NotPending {
        /// The invoice.
        id: Uuid,
        /// Its status.
        status: InvoiceStatus,
    },
}

/// Pays invoice `id` at `now`: the invoice and its billed orders become `Paid`.
pub fn pay_invoice(
    state: &mut State,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<StoredInvoice, PaymentError> {
    let invoice = state
        .invoices
        .iter_mut()
        .find(|i| i.id == id)
        .ok_or(PaymentError::NotFound(id))?;
    if invoice.status != InvoiceStatus::Pending {
        return Err(PaymentError::NotPending {
            id,
            status: invoice.status.clone(),
        });
    }
    invoice.status = InvoiceStatus::Paid;
    invoice.paid_at = Some(now);
    let paid = invoice.clone();
    for order in state
        .orders
        .iter_mut()
        .filter(|o| o.invoice_ids.contains(&id) && o.status == OrderStatus::Billed)
    {
        order.set_status(OrderStatus::Paid, now);
        order.payment_date = Some(now);
    }
    Ok(paid)
}
