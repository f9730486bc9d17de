//! Business rules of orders and the VCU balance.
//!
//! - **Placing** an order: `vcuAmount > 0`, `metaData` up to 500 characters, a currency the
//!   sandbox sells in (BRL, USD). `totalPrice = vcuAmount × vcuUnitPrice`, exactly. With
//!   `payWithBalance: true` the VCUs are debited from the balance of the order's currency at
//!   once and the order is `Paid` (refused with **422** when that balance is short);
//!   otherwise it is `Issued` (postpaid, a future debt), billed at the end of its month and
//!   paid with its invoice ([`crate::billing`]).
//! - **Cancelling**: only an `Issued` order, and only within 10 days of its creation on the
//!   sandbox clock; otherwise **409**. Another customer's order, or an unknown id, is **404**.
//!   A batch is all-or-nothing: the first id that cannot be cancelled answers for the whole
//!   batch (404 or 409) and nothing changes; duplicate ids count once.
//! - **Balance**, per currency: `credit` = VCUs of paid invoices, `debt` = VCUs of
//!   non-cancelled orders that are paid or billed, `futureDebt` = VCUs of issued (not yet
//!   billed) orders, `balance = credit − debt` (the docs' example: credit 1, debt 0,
//!   futureDebt 0.02, balance 1). With `startDate`/`endDate` only records created on those
//!   days (inclusive, UTC) count.

use carbonext_api::types::{CurrencyBalance, NewOrder, VcuBalance};
use carbonext_api::{Currency, InvoiceStatus, OrderStatus};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::problem::Problem;
use crate::store::{State, StatusChange, Store, StoredOrder};

/// Days after creation during which an issued order can be cancelled.
pub const CANCEL_WINDOW_DAYS: i64 = 10;

/// Validates `new` and stores the order for `customer_id`.
pub fn place_order(
    store: &Store,
    customer_id: Uuid,
    new: NewOrder,
) -> Result<StoredOrder, Problem> {
    if *new.vcu_amount <= Decimal::ZERO {
        return Err(Problem::validation("vcuAmount", "must be greater than 0"));
    }
    let currency = new.target_currency.unwrap_or(Currency::Brl);
    let Some(unit_price) = store.price(&currency) else {
        return Err(Problem::validation(
            "targetCurrency",
            format!("`{currency}` is not a supported currency (BRL, USD)"),
        ));
    };
    let total_price = new
        .vcu_amount
        .checked_mul(unit_price)
        .ok_or_else(|| Problem::validation("vcuAmount", "is too large"))?;
    let now = store.clock.now();
    let pay_with_balance = new.pay_with_balance.unwrap_or(false);

    let mut state = store.lock();
    if pay_with_balance {
        let available = totals(&state, customer_id, &currency, None).balance();
        if *new.vcu_amount > available {
            return Err(Problem::unprocessable(
                "vcuAmount",
                format!(
                    "insufficient balance: {} VCU requested, {available} VCU available in {currency}",
                    new.vcu_amount
                ),
            ));
        }
    }
    let status = if pay_with_balance {
        OrderStatus::Paid
    } else {
        OrderStatus::Issued
    };
    let order = StoredOrder {
        id: store.ids.next_uuid(),
        customer_id,
        vcu_amount: *new.vcu_amount,
        vcu_unit_price: unit_price,
        total_price,
        currency,
        status: status.clone(),
        created_at: now,
        payment_date: pay_with_balance.then_some(now),
        meta_data: new.meta_data.map(String::from),
        recipient: new.certificate_recipient_info,
        invoice_ids: Vec::new(),
        history: vec![StatusChange { status, at: now }],
    };
    state.orders.push(order.clone());
    Ok(order)
}

/// Cancels every order in `ids` for `customer_id`, or none (see the module docs).
pub fn cancel_orders(
    store: &Store,
    customer_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<StoredOrder>, Problem> {
    let now = store.clock.now();
    let mut state = store.lock();
    let mut positions = Vec::with_capacity(ids.len());
    for id in ids {
        let position = state
            .orders
            .iter()
            .position(|o| o.id == *id && o.customer_id == customer_id)
            .ok_or_else(|| Problem::not_found(format!("order {id} not found")))?;
        check_cancellable(&state.orders[position], now)?;
        if !positions.contains(&position) {
            positions.push(position);
        }
    }
    Ok(positions
        .into_iter()
        .map(|i| {
            let order = &mut state.orders[i];
            order.set_status(OrderStatus::Cancelled, now);
            order.clone()
        })
        .collect())
}

fn check_cancellable(order: &StoredOrder, now: DateTime<Utc>) -> Result<(), Problem> {
    if order.status != OrderStatus::Issued {
        return Err(Problem::conflict(format!(
            "order {} is {}; only Issued orders can be cancelled",
            order.id, order.status
        )));
    }
    if now - order.created_at > chrono::Duration::days(CANCEL_WINDOW_DAYS) {
        return Err(Problem::conflict(format!(
            "order {} was created more than {CANCEL_WINDOW_DAYS} days ago and can no longer be cancelled",
            order.id
        )));
    }
    Ok(())
}

/// The VCU sums of one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// VCUs of paid invoices.
    pub credit: Decimal,
    /// VCUs of paid or billed orders.
    pub debt: Decimal,
    /// VCUs of issued orders.
    pub future_debt: Decimal,
}

impl Totals {
    /// `credit − debt`.
    pub fn balance(&self) -> Decimal {
        self.credit - self.debt
    }

    /// The wire shape.
    pub fn wire(&self) -> VcuBalance {
        VcuBalance {
            type_: Some("VCU".to_owned()),
            balance: self.balance().into(),
            credit: Some(self.credit.into()),
            debt: Some(self.debt.into()),
            future_debt: Some(self.future_debt.into()),
        }
    }
}

/// Inclusive range of creation days.
pub type Period = (Option<NaiveDate>, Option<NaiveDate>);

fn in_period(at: DateTime<Utc>, period: Option<Period>) -> bool {
    let Some((start, end)) = period else {
        return true;
    };
    let day = at.date_naive();
    start.is_none_or(|s| day >= s) && end.is_none_or(|e| day <= e)
}

/// Sums of `currency` for `customer_id` over `period`.
pub fn totals(
    state: &State,
    customer_id: Uuid,
    currency: &Currency,
    period: Option<Period>,
) -> Totals {
    let mut totals = Totals::default();
    for invoice in state.invoices.iter().filter(|i| {
        i.customer_id == customer_id && i.currency == *currency && in_period(i.created_at, period)
    }) {
        if invoice.status == InvoiceStatus::Paid {
            totals.credit += invoice.total_vcu_amount;
        }
    }
    for order in state.orders.iter().filter(|o| {
        o.customer_id == customer_id && o.currency == *currency && in_period(o.created_at, period)
    }) {
        match order.status {
            OrderStatus::Paid | OrderStatus::Billed => totals.debt += order.vcu_amount,
            OrderStatus::Issued => totals.future_debt += order.vcu_amount,
            _ => {}
        }
    }
    totals
}

/// Balance per currency the customer has orders or invoices in (within `period`).
pub fn balances(state: &State, customer_id: Uuid, period: Option<Period>) -> Vec<CurrencyBalance> {
    let mut currencies: Vec<Currency> = Vec::new();
    let seen = state
        .invoices
        .iter()
        .filter(|i| i.customer_id == customer_id && in_period(i.created_at, period))
        .map(|i| &i.currency)
        .chain(
            state
                .orders
                .iter()
                .filter(|o| o.customer_id == customer_id && in_period(o.created_at, period))
                .map(|o| &o.currency),
        );
    for currency in seen {
        if !currencies.contains(currency) {
            currencies.push(currency.clone());
        }
    }
    currencies.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    currencies
        .into_iter()
        .map(|currency| CurrencyBalance {
            vcu_balance: totals(state, customer_id, &currency, period).wire(),
            currency,
        })
        .collect()
}
