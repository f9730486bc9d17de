//! Parsers of flag values into validated domain types: a malformed value is a usage error
//! (exit 2) before any connection is made.
//!
//! ```
//! use carbonext_cli::cli::parse_rounding;
//! use carbonext_domain::offset::Rounding;
//!
//! assert_eq!(parse_rounding("whole"), Ok(Rounding::UpToWholeVcus));
//! ```

use chrono::NaiveDate;
use rust_decimal::Decimal;

use carbonext_domain::accounts::{ApiKeyId, UserId};
use carbonext_domain::calculator::TransportId;
use carbonext_domain::offset::Rounding;
use carbonext_domain::{
    Currency, InvoiceId, InvoiceSort, InvoiceStatus, OrderId, OrderKey, OrderSort, OrderStatus,
    SortDirection, VcuAmount,
};

pub(super) fn parse_vcu(text: &str) -> Result<VcuAmount, String> {
    text.parse::<VcuAmount>().map_err(|e| e.to_string())
}

/// One of the documented currencies ([`Currency::KNOWN`]), case-insensitively.
pub(super) fn parse_currency(text: &str) -> Result<Currency, String> {
    known(text, Currency::KNOWN).map_err(|e| format!("{e}: the API documents no other currency"))
}

pub(super) fn parse_order_key(text: &str) -> Result<OrderKey, String> {
    OrderKey::new(text).map_err(|e| e.to_string())
}

pub(super) fn parse_order_id(text: &str) -> Result<OrderId, String> {
    text.parse::<OrderId>()
        .map_err(|_| "expected an order id (a UUID)".to_owned())
}

pub(super) fn parse_invoice_id(text: &str) -> Result<InvoiceId, String> {
    text.parse::<InvoiceId>()
        .map_err(|_| "expected an invoice id (a UUID)".to_owned())
}

pub(super) fn parse_user_id(text: &str) -> Result<UserId, String> {
    text.parse::<UserId>()
        .map_err(|_| "expected a user id (a UUID)".to_owned())
}

pub(super) fn parse_api_key_id(text: &str) -> Result<ApiKeyId, String> {
    text.parse::<ApiKeyId>()
        .map_err(|_| "expected an API key id (a UUID)".to_owned())
}

pub(super) fn parse_transport_id(text: &str) -> Result<TransportId, String> {
    text.parse::<TransportId>().map_err(|_| {
        "expected a transport type id, a whole number (see `calculate types`)".to_owned()
    })
}

/// A transport by name (`air`, `truck`, `bus`, as the documented types) or by id.
pub fn parse_transport(text: &str) -> Result<TransportId, String> {
    match normalise(text).as_str() {
        "air" | "plane" | "airplane" | "passengerairplane" | "flight" => {
            Ok(TransportId::PASSENGER_AIRPLANE)
        }
        "truck" | "cargotruck" => Ok(TransportId::CARGO_TRUCK),
        "bus" | "passengerbus" => Ok(TransportId::PASSENGER_BUS),
        _ => text.parse::<TransportId>().map_err(|_| {
            "expected air, truck, bus or a transport type id (see `calculate types`)".to_owned()
        }),
    }
}

/// `exact`, a number of decimals, or `whole`.
pub fn parse_rounding(text: &str) -> Result<Rounding, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "exact" => Ok(Rounding::Exact),
        "whole" | "whole-vcus" | "whole_vcus" => Ok(Rounding::UpToWholeVcus),
        other => match other.parse::<u32>() {
            Ok(places) if places <= 28 => Ok(Rounding::UpToDecimals(places)),
            _ => Err("expected exact, whole, or a number of decimals from 0 to 28".to_owned()),
        },
    }
}

/// tCO2eq: plain decimal text, zero or more.
pub fn parse_tonnes(text: &str) -> Result<Decimal, String> {
    parse_non_negative(text, "tCO2eq")
}

pub(super) fn parse_price_limit(text: &str) -> Result<Decimal, String> {
    parse_non_negative(text, "the price limit")
}

pub(super) fn parse_non_negative(text: &str, what: &str) -> Result<Decimal, String> {
    let text = text.trim();
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().filter(|&c| c == '.').count() <= 1
        && text.chars().any(|c| c.is_ascii_digit());
    match Decimal::from_str_exact(text) {
        Ok(value) if plain => Ok(value),
        _ => Err(format!(
            "{what} must be a plain decimal number, zero or more (e.g. 1.25), got `{}`",
            text.chars().take(40).collect::<String>()
        )),
    }
}

/// A decimal greater than zero (meters, units).
pub fn parse_positive(text: &str) -> Result<Decimal, String> {
    parse_positive_decimal(text)
}

pub(super) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| "expected a date as YYYY-MM-DD".to_owned())
}

pub(super) fn parse_positive_decimal(text: &str) -> Result<Decimal, String> {
    // The same rules as a VCU amount: plain decimal text, strictly positive.
    text.parse::<VcuAmount>()
        .map(Decimal::from)
        .map_err(|e| e.to_string().replace("a VCU amount", "the value"))
}

/// Statuses that filters accept: the known ones, case-insensitively.
pub(super) fn known<T: Clone + std::fmt::Display>(value: &str, known: &[T]) -> Result<T, String> {
    known
        .iter()
        .find(|k| k.to_string().eq_ignore_ascii_case(value.trim()))
        .cloned()
        .ok_or_else(|| {
            let names: Vec<String> = known.iter().map(ToString::to_string).collect();
            format!("expected one of {}", names.join(", "))
        })
}

pub(super) fn parse_order_status(text: &str) -> Result<OrderStatus, String> {
    known(text, OrderStatus::KNOWN)
}

pub(super) fn parse_invoice_status(text: &str) -> Result<InvoiceStatus, String> {
    known(text, InvoiceStatus::KNOWN)
}

/// Splits `field[:asc|desc]`; the direction defaults to descending (newest first).
pub(super) fn split_sort(text: &str) -> Result<(&str, SortDirection), String> {
    let (field, direction) = match text.split_once(':') {
        Some((field, direction)) => (field, Some(direction)),
        None => (text, None),
    };
    let direction = match direction.map(str::to_ascii_lowercase).as_deref() {
        None | Some("desc") => SortDirection::Desc,
        Some("asc") => SortDirection::Asc,
        Some(_) => return Err("the direction after `:` must be asc or desc".to_owned()),
    };
    Ok((field.trim(), direction))
}

pub(super) fn parse_order_sort(text: &str) -> Result<(OrderSort, SortDirection), String> {
    let (field, direction) = split_sort(text)?;
    let field = match normalise(field).as_str() {
        "createdat" => OrderSort::CreatedAt,
        "vcuamount" => OrderSort::VcuAmount,
        "status" => OrderSort::Status,
        "vcuunitprice" => OrderSort::VcuUnitPrice,
        _ => return Err("expected createdAt, vcuAmount, status or vcuUnitPrice".to_owned()),
    };
    Ok((field, direction))
}

pub(super) fn parse_invoice_sort(text: &str) -> Result<(InvoiceSort, SortDirection), String> {
    let (field, direction) = split_sort(text)?;
    let field = match normalise(field).as_str() {
        "createdat" => InvoiceSort::CreatedAt,
        "totalvcuamount" => InvoiceSort::TotalVcuAmount,
        "totalprice" => InvoiceSort::TotalPrice,
        "status" => InvoiceSort::Status,
        _ => {
            return Err("expected createdAt, totalVcuAmount, totalPrice or status".to_owned());
        }
    };
    Ok((field, direction))
}

/// `created-at`, `created_at` and `createdAt` name the same field.
pub(super) fn normalise(field: &str) -> String {
    field
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documented_currencies_are_accepted() {
        assert_eq!(parse_currency("usd"), Ok(Currency::Usd));
        let error = parse_currency("EUR").expect_err("not documented");
        assert!(error.contains("BRL, USD"), "{error}");
    }

    #[test]
    fn sort_accepts_field_and_direction_spellings() {
        assert_eq!(
            parse_order_sort("vcuAmount:asc"),
            Ok((OrderSort::VcuAmount, SortDirection::Asc))
        );
        assert_eq!(
            parse_order_sort("created_at"),
            Ok((OrderSort::CreatedAt, SortDirection::Desc))
        );
        assert!(parse_order_sort("price:up").is_err());
        assert!(parse_invoice_sort("vcuAmount").is_err());
    }

    #[test]
    fn statuses_are_matched_case_insensitively() {
        assert_eq!(parse_order_status("paid"), Ok(OrderStatus::Paid));
        assert!(parse_order_status("Retired").is_err());
        assert_eq!(parse_invoice_status("PENDING"), Ok(InvoiceStatus::Pending));
    }
}
