//! Typed list queries that render the API's `filter-by` and `sort-by` syntax.
//!
//! `filter-by` is `field_op:value` terms joined by `~`; the values of `in` are joined by `-`;
//! `sort-by` is `field_asc` or `field_desc`. Values that the syntax cannot carry (a `~` in any
//! value, a `-` in an `in` value) are refused when the query is rendered, before any request.
//!
//! ```
//! use carbonext_domain::{OrderQuery, OrderSort, OrderStatus, SortDirection};
//! use chrono::NaiveDate;
//!
//! let query = OrderQuery::new()
//!     .status_in([OrderStatus::Paid, OrderStatus::Issued])
//!     .created_from(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
//!     .total_price_le("7000".parse().unwrap())
//!     .sort(OrderSort::CreatedAt, SortDirection::Desc);
//! assert_eq!(
//!     query.filter_by().unwrap().as_deref(),
//!     Some("status_in:Paid-Issued~createdAt_ge:2026-01-01~totalPrice_le:7000")
//! );
//! assert_eq!(query.sort_by().as_deref(), Some("createdAt_desc"));
//! ```

use carbonext_api::filter::{format_filter_by, FilterClause, VALUE_SEPARATOR};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::order::OrderKey;
use crate::validation::ValidationError;
use crate::{InvoiceId, InvoiceStatus, OrderStatus, Period};

/// An operator of the filter syntax (one definition, in `carbonext-api`).
pub use carbonext_api::FilterOp;

/// Largest page size the SDK asks for.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Sort direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum SortDirection {
    /// Smallest first.
    Asc,
    /// Largest (or newest) first; the API's default for `createdAt`.
    #[default]
    Desc,
}

/// One `field_op:value` term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Term {
    field: &'static str,
    op: FilterOp,
    values: Vec<String>,
}

/// Terms, sort and page size shared by the typed queries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
struct ListQuery {
    terms: Vec<Term>,
    sort: Option<(&'static str, SortDirection)>,
    page_size: Option<u32>,
}

impl ListQuery {
    fn push(&mut self, field: &'static str, op: FilterOp, values: Vec<String>) {
        self.terms.push(Term { field, op, values });
    }

    fn filter_by(&self) -> Result<Option<String>, ValidationError> {
        if self.terms.is_empty() {
            return Ok(None);
        }
        let mut joined = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            if term.values.is_empty() {
                return Err(ValidationError::Empty {
                    what: "the values of an `in` filter",
                });
            }
            for value in &term.values {
                // `status_in:Paid-` or `status_eq:` would reach the server as a stray separator.
                if value.is_empty() {
                    return Err(ValidationError::Empty {
                        what: "a filter value",
                    });
                }
                if value.contains(term.op.reserved_chars()) {
                    return Err(ValidationError::InvalidFilterValue {
                        field: term.field,
                        value: value.chars().take(40).collect(),
                        forbidden: if term.op == FilterOp::In {
                            "`~` or `-`"
                        } else {
                            "`~`"
                        },
                    });
                }
            }
            joined.push(term.values.join(&VALUE_SEPARATOR.to_string()));
        }
        let clauses = self
            .terms
            .iter()
            .zip(&joined)
            .map(|(term, value)| FilterClause::new(term.field, term.op, value));
        Ok(Some(format_filter_by(clauses)))
    }

    fn sort_by(&self) -> Option<String> {
        self.sort.map(|(field, direction)| {
            let suffix = match direction {
                SortDirection::Asc => "asc",
                SortDirection::Desc => "desc",
            };
            format!("{field}_{suffix}")
        })
    }

    fn page_size(&self) -> Result<Option<u32>, ValidationError> {
        match self.page_size {
            Some(size) if size == 0 || size > MAX_PAGE_SIZE => Err(ValidationError::OutOfRange {
                what: "page size",
                value: u64::from(size),
                max: u64::from(MAX_PAGE_SIZE),
            }),
            other => Ok(other),
        }
    }
}

macro_rules! query_common {
    ($name:ident, $sort:ty) => {
        impl $name {
            /// No filter, the API's default sort.
            pub fn new() -> Self {
                Self::default()
            }

            /// Sorts by `field` in `direction`.
            pub fn sort(mut self, field: $sort, direction: SortDirection) -> Self {
                self.inner.sort = Some((field.as_str(), direction));
                self
            }

            /// Items per page (1 to [`MAX_PAGE_SIZE`]).
            pub fn page_size(mut self, size: u32) -> Self {
                self.inner.page_size = Some(size);
                self
            }

            /// Created on or after `date`.
            pub fn created_from(mut self, date: NaiveDate) -> Self {
                self.inner
                    .push("createdAt", FilterOp::Ge, vec![date.to_string()]);
                self
            }

            /// Created on or before `date`.
            pub fn created_to(mut self, date: NaiveDate) -> Self {
                self.inner
                    .push("createdAt", FilterOp::Le, vec![date.to_string()]);
                self
            }

            /// Created within `period`.
            pub fn created_within(self, period: Period) -> Self {
                let query = match period.start() {
                    Some(start) => self.created_from(start),
                    None => self,
                };
                match period.end() {
                    Some(end) => query.created_to(end),
                    None => query,
                }
            }

            /// Total price compared with `value` by `op` (`eq ne ge le gt lt`).
            pub fn total_price(mut self, op: FilterOp, value: Decimal) -> Self {
                self.inner.push("totalPrice", op, vec![value.to_string()]);
                self
            }

            /// Total price at most `value`.
            pub fn total_price_le(self, value: Decimal) -> Self {
                self.total_price(FilterOp::Le, value)
            }

            /// Total price at least `value`.
            pub fn total_price_ge(self, value: Decimal) -> Self {
                self.total_price(FilterOp::Ge, value)
            }

            /// The rendered `filter-by` value, or `None` without filters.
            pub fn filter_by(&self) -> Result<Option<String>, ValidationError> {
                self.inner.filter_by()
            }

            /// The rendered `sort-by` value, or `None` for the API's default.
            pub fn sort_by(&self) -> Option<String> {
                self.inner.sort_by()
            }

            /// The page size, validated.
            pub fn checked_page_size(&self) -> Result<Option<u32>, ValidationError> {
                self.inner.page_size()
            }

            /// The same query, with `size` items per page unless a page size is set.
            pub(crate) fn with_default_page_size(mut self, size: u32) -> Self {
                self.inner.page_size.get_or_insert(size);
                self
            }

            /// Validates everything the query will send.
            pub fn validate(&self) -> Result<(), ValidationError> {
                self.filter_by()?;
                self.checked_page_size()?;
                Ok(())
            }
        }
    };
}

/// Fields orders can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderSort {
    /// Creation time (the API's default, newest first).
    CreatedAt,
    /// VCU amount.
    VcuAmount,
    /// Status.
    Status,
    /// Unit price.
    VcuUnitPrice,
}

impl OrderSort {
    fn as_str(self) -> &'static str {
        match self {
            OrderSort::CreatedAt => "createdAt",
            OrderSort::VcuAmount => "vcuAmount",
            OrderSort::Status => "status",
            OrderSort::VcuUnitPrice => "vcuUnitPrice",
        }
    }
}

/// A query over the customer's orders.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OrderQuery {
    inner: ListQuery,
    /// Only orders placed with exactly this key: found by the facade's one key lookup, not
    /// sent as a filter (the API documents no filter on metaData).
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<OrderKey>,
}

query_common!(OrderQuery, OrderSort);

impl OrderQuery {
    /// Status is one of `statuses`.
    pub fn status_in(mut self, statuses: impl IntoIterator<Item = OrderStatus>) -> Self {
        let values = statuses
            .into_iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        self.inner.push("status", FilterOp::In, values);
        self
    }

    /// Status is `status`.
    pub fn status(mut self, status: OrderStatus) -> Self {
        self.inner
            .push("status", FilterOp::Eq, vec![status.as_str().to_owned()]);
        self
    }

    /// VCU amount compared with `value` by `op`.
    pub fn vcu_amount(mut self, op: FilterOp, value: Decimal) -> Self {
        self.inner.push("vcuAmount", op, vec![value.to_string()]);
        self
    }

    /// Only the orders placed with exactly the client order key `key` — not those whose key
    /// merely contains it (`ship_key_1` never lists `ship_key_10`). The key is not a filter
    /// the API documents: the facade finds its orders through its one key lookup (see
    /// [`Carbonext`](crate::Carbonext)'s "Exactly once" docs), then applies the query's other
    /// filters through the API.
    pub fn key(mut self, key: &OrderKey) -> Self {
        self.key = Some(key.clone());
        self
    }

    /// The key given to [`key`](Self::key), if any.
    pub fn order_key(&self) -> Option<&OrderKey> {
        self.key.as_ref()
    }

    /// The same query without its key.
    pub(crate) fn without_key(mut self) -> Self {
        self.key = None;
        self
    }

    /// Billed by invoice `id` (`invoiceId_eq`).
    pub fn invoice_id(mut self, id: InvoiceId) -> Self {
        self.inner
            .push("invoiceId", FilterOp::Eq, vec![id.to_string()]);
        self
    }

    /// Created on `date` (the API compares creation dates by day).
    pub fn created_on(mut self, date: NaiveDate) -> Self {
        self.inner
            .push("createdAt", FilterOp::Eq, vec![date.to_string()]);
        self
    }

    /// The `metaData like KEY` filter, for an API whose allowed filters list it.
    pub(crate) fn meta_data_like(mut self, key: &OrderKey) -> Self {
        self.inner
            .push("metaData", FilterOp::Like, vec![key.as_str().to_owned()]);
        self
    }
}

/// Fields invoices can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceSort {
    /// Creation time.
    CreatedAt,
    /// VCUs invoiced.
    TotalVcuAmount,
    /// Amount invoiced.
    TotalPrice,
    /// Status.
    Status,
}

impl InvoiceSort {
    fn as_str(self) -> &'static str {
        match self {
            InvoiceSort::CreatedAt => "createdAt",
            InvoiceSort::TotalVcuAmount => "totalVcuAmount",
            InvoiceSort::TotalPrice => "totalPrice",
            InvoiceSort::Status => "status",
        }
    }
}

/// A query over the customer's invoices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InvoiceQuery {
    inner: ListQuery,
}

query_common!(InvoiceQuery, InvoiceSort);

impl InvoiceQuery {
    /// Status is one of `statuses`.
    pub fn status_in(mut self, statuses: impl IntoIterator<Item = InvoiceStatus>) -> Self {
        let values = statuses
            .into_iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        self.inner.push("status", FilterOp::In, values);
        self
    }

    /// VCUs invoiced compared with `value` by `op`.
    pub fn total_vcu_amount(mut self, op: FilterOp, value: Decimal) -> Self {
        self.inner
            .push("totalVcuAmount", op, vec![value.to_string()]);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_query_renders_the_documented_example() {
        let query = InvoiceQuery::new()
            .total_vcu_amount(FilterOp::Ge, Decimal::from(30))
            .status_in([InvoiceStatus::Paid, InvoiceStatus::Pending])
            .sort(InvoiceSort::TotalVcuAmount, SortDirection::Asc);
        assert_eq!(
            query.filter_by().unwrap().as_deref(),
            Some("totalVcuAmount_ge:30~status_in:Paid-Pending")
        );
        assert_eq!(query.sort_by().as_deref(), Some("totalVcuAmount_asc"));
    }

    #[test]
    fn values_the_syntax_cannot_carry_are_refused() {
        let unknown = OrderStatus::Unknown("Half-Paid".into());
        assert!(matches!(
            OrderQuery::new().status_in([unknown]).filter_by(),
            Err(ValidationError::InvalidFilterValue { .. })
        ));
        assert!(OrderQuery::new().status_in([]).filter_by().is_err());
    }

    #[test]
    fn empty_filter_values_are_refused() {
        // Found by fuzz/fuzz_targets/filter_by.rs: `status_in:` / `status_in:Paid-`.
        let empty = OrderStatus::Unknown(String::new());
        for query in [
            OrderQuery::new().status_in([empty.clone()]),
            OrderQuery::new().status_in([OrderStatus::Paid, empty.clone()]),
            OrderQuery::new().status(empty),
        ] {
            assert_eq!(
                query.filter_by(),
                Err(ValidationError::Empty {
                    what: "a filter value"
                })
            );
        }
    }

    #[test]
    fn decimals_render_exactly() {
        let query = OrderQuery::new().total_price_le("0.020".parse().unwrap());
        assert_eq!(
            query.filter_by().unwrap().as_deref(),
            Some("totalPrice_le:0.020")
        );
    }

    #[test]
    fn period_renders_as_two_created_at_terms() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let query = OrderQuery::new().created_within(Period::between(day(1), day(31)).unwrap());
        assert_eq!(
            query.filter_by().unwrap().as_deref(),
            Some("createdAt_ge:2026-03-01~createdAt_le:2026-03-31")
        );
    }
}
