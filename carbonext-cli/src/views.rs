//! How each resource looks in table mode: one [`Details`] block for a single resource, one
//! [`Table`] row per item for a list. Amounts and timestamps are printed as received.

use carbonext_domain::accounts::{ApiKey, NewApiKeySecret, Permission, User};
use carbonext_domain::calculator::{Airport, Emission, TransportType};
use carbonext_domain::{Balance, Invoice, Order, Page, Quote};

use crate::output::{or_dash, Details, Table};

/// A quote: amount, unit price, total.
pub fn quote(quote: &Quote) -> Details {
    Details::new()
        .field("VCUs", quote.vcu_amount.to_string())
        .field(
            "price per VCU",
            format!("{} {}", quote.vcu_price, quote.currency),
        )
        .field(
            "total price",
            format!("{} {}", quote.total_price, quote.currency),
        )
}

/// An order as `orders create` prints it in JSON: the order's own fields and, beside them,
/// `alreadyExisted` (whether an order with the key existed, so none was placed).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placed<'a> {
    /// The order.
    #[serde(flatten)]
    pub order: &'a Order,
    /// Whether it existed before this command.
    pub already_existed: bool,
}

/// An offset as `offset …` prints it in JSON: the offset's own fields and `alreadyExisted`.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedOffset<'a> {
    /// The offset.
    #[serde(flatten)]
    pub offset: &'a carbonext_domain::offset::Offset,
    /// Whether an order with the key existed before this command (nothing was ordered).
    pub already_existed: bool,
}

/// One order, every field.
pub fn order(order: &Order) -> Details {
    let recipient = order.certificate_recipient_info.as_ref();
    Details::new()
        .field("id", order.id.to_string())
        .field("status", order.status.to_string())
        .optional("type", order.order_type.as_ref())
        .field("VCUs", order.vcu_amount.to_string())
        .optional("price per VCU", order.vcu_unit_price)
        .optional("total price", order.total_price)
        .optional("currency", order.target_currency.as_ref())
        .optional("created at", order.created_at.as_ref())
        .optional("paid at", order.payment_date.as_ref())
        .optional("metaData", order.meta_data.as_deref())
        .optional("order key", order.order_key.as_ref())
        .optional("recipient", recipient.and_then(|r| r.name.as_deref()))
        .optional(
            "recipient e-mail",
            recipient.and_then(|r| r.email.as_deref()),
        )
        .optional(
            "recipient tax id",
            recipient.and_then(|r| r.tax_id.as_deref()),
        )
        .optional(
            "retired for",
            recipient.and_then(|r| r.retirement_name.as_deref()),
        )
        .optional(
            "retirement e-mail",
            recipient.and_then(|r| r.retirement_email.as_deref()),
        )
        .optional(
            "retirement tax id",
            recipient.and_then(|r| r.retirement_tax_id.as_deref()),
        )
}

/// Orders, one per row.
pub fn orders(orders: &[Order]) -> Table {
    let mut table = Table::new([
        "id",
        "created at",
        "status",
        "VCUs",
        "price per VCU",
        "total price",
        "currency",
        "order key",
    ]);
    for order in orders {
        table.row([
            order.id.to_string(),
            or_dash(order.created_at.as_ref()),
            order.status.to_string(),
            order.vcu_amount.to_string(),
            or_dash(order.vcu_unit_price),
            or_dash(order.total_price),
            or_dash(order.target_currency.as_ref()),
            or_dash(order.order_key.as_ref()),
        ]);
    }
    table
}

/// A page of items as a table followed by where the page sits.
pub fn page<T>(page: &Page<T>, noun: &str, table: impl Fn(&[T]) -> Table) -> String {
    let mut text = table(&page.items).to_string();
    let noun = if page.total_count == 1 {
        noun.strip_suffix('s').unwrap_or(noun)
    } else {
        noun
    };
    text.push_str(&format!(
        "page {} of {} ({} {noun} in all)\n",
        page.page_index,
        page.total_pages.max(1),
        page.total_count
    ));
    text
}

/// Balance per currency.
pub fn balance(balance: &Balance) -> String {
    let mut table = Table::new(["currency", "balance", "credit", "debt", "future debt"]);
    for b in &balance.balances_by_currency {
        table.row([
            b.currency.to_string(),
            b.balance.to_string(),
            or_dash(b.credit),
            or_dash(b.debt),
            or_dash(b.future_debt),
        ]);
    }
    let mut text = String::new();
    if balance.start_date.is_some() || balance.end_date.is_some() {
        text.push_str(&format!(
            "period: {} to {}\n",
            or_dash(balance.start_date.as_ref()),
            or_dash(balance.end_date.as_ref())
        ));
    }
    if table.is_empty() {
        text.push_str("no balance yet\n");
    } else {
        text.push_str(&table.to_string());
    }
    text
}

/// One invoice.
pub fn invoice(invoice: &Invoice) -> Details {
    Details::new()
        .field("id", invoice.id.to_string())
        .field("status", invoice.status.to_string())
        .optional("VCUs", invoice.total_vcu_amount)
        .optional("total price", invoice.total_price)
        .optional("currency", invoice.currency.as_ref())
        .optional("created at", invoice.created_at.as_ref())
        .optional("due date", invoice.due_date.as_ref())
        .optional("paid at", invoice.paid_at.as_ref())
        .optional("payment type", invoice.payment_type.as_ref())
        .optional("purchase type", invoice.purchase_type.as_ref())
}

/// Invoices, one per row.
pub fn invoices(invoices: &[Invoice]) -> Table {
    let mut table = Table::new([
        "id",
        "created at",
        "status",
        "VCUs",
        "total price",
        "currency",
        "due date",
    ]);
    for invoice in invoices {
        table.row([
            invoice.id.to_string(),
            or_dash(invoice.created_at.as_ref()),
            invoice.status.to_string(),
            or_dash(invoice.total_vcu_amount),
            or_dash(invoice.total_price),
            or_dash(invoice.currency.as_ref()),
            or_dash(invoice.due_date.as_ref()),
        ]);
    }
    table
}

/// An emission result.
pub fn emission(emission: &Emission) -> Details {
    Details::new().field(
        "emission",
        match &emission.unit {
            Some(unit) => format!("{} {unit}", emission.emission),
            None => emission.emission.to_string(),
        },
    )
}

/// Transport types of the calculator.
pub fn transport_types(types: &[TransportType]) -> Table {
    let mut table = Table::new(["id", "name", "request unit", "response unit"]);
    for t in types {
        table.row([
            t.id.to_string(),
            t.name.clone(),
            or_dash(t.request_unit.as_deref()),
            or_dash(t.response_unit.as_deref()),
        ]);
    }
    table
}

/// Airports, one per row.
pub fn airports(airports: &[Airport]) -> Table {
    let mut table = Table::new(["code", "city", "country"]);
    for a in airports {
        table.row([
            a.code.to_string(),
            or_dash(a.city.as_deref()),
            or_dash(a.country.as_deref()),
        ]);
    }
    table
}

fn permission_keys(permissions: &[Permission]) -> String {
    let keys: Vec<&str> = permissions
        .iter()
        .filter_map(|p| p.key.as_deref())
        .collect();
    if keys.is_empty() {
        "-".to_owned()
    } else {
        keys.join(", ")
    }
}

/// One user.
pub fn user(user: &User) -> Details {
    Details::new()
        .field("id", user.id.to_string())
        .optional("name", user.name.as_deref())
        .field("e-mail", user.email.clone())
        .optional("e-mail verified", user.is_email_verified)
        .field("permissions", permission_keys(&user.permissions))
}

/// Users, one per row.
pub fn users(users: &[User]) -> Table {
    let mut table = Table::new(["id", "name", "e-mail", "permissions"]);
    for user in users {
        table.row([
            user.id.to_string(),
            or_dash(user.name.as_deref()),
            user.email.clone(),
            permission_keys(&user.permissions),
        ]);
    }
    table
}

/// One API key.
pub fn api_key(key: &ApiKey) -> Details {
    Details::new()
        .field("id", key.id.to_string())
        .field("client id", key.client_id.clone())
        .optional("name", key.display_name.as_deref())
        .field("permissions", permission_keys(&key.permissions))
}

/// API keys, one per row.
pub fn api_keys(keys: &[ApiKey]) -> Table {
    let mut table = Table::new(["id", "client id", "name", "permissions"]);
    for key in keys {
        table.row([
            key.id.to_string(),
            key.client_id.clone(),
            or_dash(key.display_name.as_deref()),
            permission_keys(&key.permissions),
        ]);
    }
    table
}

/// A newly created API key, its secret shown this once.
pub fn new_api_key(key: &NewApiKeySecret) -> Details {
    Details::new()
        .field("id", key.id.to_string())
        .field("client id", key.client_id.clone())
        .field("client secret", key.client_secret.expose().to_owned())
}

/// Permissions, one per row.
pub fn permissions(permissions: &[Permission]) -> Table {
    let mut table = Table::new(["key", "description"]);
    for p in permissions {
        table.row([or_dash(p.key.as_deref()), or_dash(p.description.as_deref())]);
    }
    table
}
