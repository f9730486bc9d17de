//! The `filter-by` / `sort-by` renderer of `OrderQuery` and `InvoiceQuery` (fuzz target
//! `filter_by`), built from arbitrary terms (including unknown statuses with any text).
//! Rendering returns a value or a `ValidationError`, never panics; a rendered value has exactly
//! one `~` between terms, `field_op:value` per term, the values of an `in` term exactly one `-`
//! between values, and no empty value; a sort renders as `field_direction`.
//!
//! The input is structured: [`decode`] reads an [`Input`] from the raw bytes with `arbitrary`,
//! exactly as `libfuzzer_sys::fuzz_target!(|input: Input| …)` would, so corpus files written by
//! the fuzzer replay to the same terms.

use arbitrary::{Arbitrary, Unstructured};
use carbonext_api::filter::{FilterClause, CLAUSE_SEPARATOR};
use carbonext_domain::{
    FilterOp, InvoiceQuery, InvoiceSort, InvoiceStatus, OrderKey, OrderQuery, OrderSort,
    OrderStatus, SortDirection, ValidationError,
};
use rust_decimal::Decimal;

/// A filter operator, decoded from the fuzzer's bytes as `#[derive(Arbitrary)]` decodes a
/// fieldless enum (a `u32` scaled onto [`FilterOp::ALL`]), so corpus files keep their meaning;
/// `FilterOp` itself lives in `carbonext-api`, which does not depend on `arbitrary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op(pub FilterOp);

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let count = FilterOp::ALL.len() as u64;
        let index = (u64::from(u32::arbitrary(u)?) * count) >> 32;
        Ok(Op(FilterOp::ALL[index as usize]))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        <u32 as Arbitrary>::size_hint(depth)
    }
}

impl From<Op> for FilterOp {
    fn from(op: Op) -> Self {
        op.0
    }
}

/// One builder call on both queries (the ones a query type lacks are applied to the other only).
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// `status_in` with these texts as statuses (unknown texts become `Unknown(text)`).
    StatusIn(Vec<String>),
    /// `OrderQuery::status` with this text as status.
    Status(String),
    /// `OrderQuery::vcu_amount` and `InvoiceQuery::total_vcu_amount`, decimal (mantissa, scale).
    VcuAmount(Op, i64, u8),
    /// `total_price` on both, decimal (mantissa, scale).
    TotalPrice(Op, i64, u8),
    /// Same as `VcuAmount`.
    TotalVcuAmount(Op, i64, u8),
    /// `created_from` of this day number (days from the common era, wrapped).
    CreatedFrom(i32),
    /// `created_to` of this day number.
    CreatedTo(i32),
    /// `OrderQuery::key`, when the text is a valid `OrderKey`.
    Key(String),
}

/// The structured input of the target: terms, then an optional sort (field index, ascending),
/// then an optional page size.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Builder calls, in order.
    pub terms: Vec<Term>,
    /// Sort field (index modulo 4) and whether ascending.
    pub sort: Option<(u8, bool)>,
    /// `page_size` on both queries.
    pub page_size: Option<u32>,
}

/// What the two queries rendered for one input (every property held).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// `OrderQuery::filter_by()`.
    pub orders: Result<Option<String>, ValidationError>,
    /// `InvoiceQuery::filter_by()`.
    pub invoices: Result<Option<String>, ValidationError>,
    /// `OrderQuery::sort_by()`.
    pub order_sort: Option<String>,
}

fn texts<T>(values: &[T], as_str: fn(&T) -> &str) -> Vec<String> {
    values.iter().map(|v| as_str(v).to_owned()).collect()
}

fn decimal(mantissa: i64, scale: u8) -> Decimal {
    Decimal::try_new(mantissa, u32::from(scale % 29)).unwrap_or(Decimal::ONE)
}

fn date(days: i32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_num_days_from_ce_opt(days.rem_euclid(3_000_000))
        .unwrap_or(chrono::NaiveDate::MIN)
}

/// What the renderer was asked to render: field, op and values, per term.
type Expected = Vec<(&'static str, FilterOp, Vec<String>)>;

fn check_rendered(rendered: &str, expected: &Expected) {
    let terms: Vec<&str> = rendered.split(CLAUSE_SEPARATOR).collect();
    assert_eq!(terms.len(), expected.len(), "stray `~` in {rendered:?}");
    for (term, (field, op, values)) in terms.iter().zip(expected) {
        let clause = FilterClause::parse(term).expect("every term is `field_op:value`");
        assert_eq!(clause.field, *field, "{rendered:?}");
        assert_eq!(clause.op, *op, "{rendered:?}");
        assert_eq!(clause.to_string(), *term, "{rendered:?} does not read back");
        let parts: Vec<&str> = clause.values().collect();
        assert_eq!(parts, *values, "stray `-` in {rendered:?}");
        for v in values {
            assert!(!v.is_empty(), "empty filter value rendered: {rendered:?}");
        }
    }
}

/// Reads an [`Input`] from raw fuzzer bytes the way `fuzz_target!` does for a typed input
/// (`None` when the bytes are too short or do not decode).
pub fn decode(data: &[u8]) -> Option<Input> {
    if data.len() < <Input as Arbitrary>::size_hint(0).0 {
        return None;
    }
    Input::arbitrary_take_rest(Unstructured::new(data)).ok()
}

/// Decodes `data` ([`decode`]) and checks the properties above on it (`None`: nothing checked).
/// Panics when one fails.
pub fn check(data: &[u8]) -> Option<Rendered> {
    decode(data).map(check_input)
}

/// Builds both queries from `input` and checks the properties above. Panics when one fails.
pub fn check_input(input: Input) -> Rendered {
    let mut orders = OrderQuery::new();
    let mut invoices = InvoiceQuery::new();
    let mut expect_orders: Expected = Vec::new();
    let mut expect_invoices: Expected = Vec::new();
    for term in input.terms {
        match term {
            Term::StatusIn(values) => {
                let o: Vec<OrderStatus> = values.iter().map(|v| v.as_str().into()).collect();
                let i: Vec<InvoiceStatus> = values.iter().map(|v| v.as_str().into()).collect();
                expect_orders.push(("status", FilterOp::In, texts(&o, OrderStatus::as_str)));
                expect_invoices.push(("status", FilterOp::In, texts(&i, InvoiceStatus::as_str)));
                orders = orders.status_in(o);
                invoices = invoices.status_in(i);
            }
            Term::Status(value) => {
                let status = OrderStatus::from(value.as_str());
                expect_orders.push(("status", FilterOp::Eq, vec![status.as_str().to_owned()]));
                orders = orders.status(status);
            }
            Term::VcuAmount(op, m, s) | Term::TotalVcuAmount(op, m, s) => {
                let value = decimal(m, s);
                expect_orders.push(("vcuAmount", op.into(), vec![value.to_string()]));
                expect_invoices.push(("totalVcuAmount", op.into(), vec![value.to_string()]));
                orders = orders.vcu_amount(op.into(), value);
                invoices = invoices.total_vcu_amount(op.into(), value);
            }
            Term::TotalPrice(op, m, s) => {
                let value = decimal(m, s);
                expect_orders.push(("totalPrice", op.into(), vec![value.to_string()]));
                expect_invoices.push(("totalPrice", op.into(), vec![value.to_string()]));
                orders = orders.total_price(op.into(), value);
                invoices = invoices.total_price(op.into(), value);
            }
            Term::CreatedFrom(days) => {
                let day = date(days);
                expect_orders.push(("createdAt", FilterOp::Ge, vec![day.to_string()]));
                expect_invoices.push(("createdAt", FilterOp::Ge, vec![day.to_string()]));
                orders = orders.created_from(day);
                invoices = invoices.created_from(day);
            }
            Term::CreatedTo(days) => {
                let day = date(days);
                expect_orders.push(("createdAt", FilterOp::Le, vec![day.to_string()]));
                expect_invoices.push(("createdAt", FilterOp::Le, vec![day.to_string()]));
                orders = orders.created_to(day);
                invoices = invoices.created_to(day);
            }
            Term::Key(text) => {
                if let Ok(key) = text.parse::<OrderKey>() {
                    expect_orders.push(("metaData", FilterOp::Like, vec![key.as_str().to_owned()]));
                    orders = orders.key(&key);
                }
            }
        }
    }
    if let Some((field, asc)) = input.sort {
        let direction = if asc {
            SortDirection::Asc
        } else {
            SortDirection::Desc
        };
        let order_sort = [
            OrderSort::CreatedAt,
            OrderSort::VcuAmount,
            OrderSort::Status,
            OrderSort::VcuUnitPrice,
        ][usize::from(field % 4)];
        let invoice_sort = [
            InvoiceSort::CreatedAt,
            InvoiceSort::TotalVcuAmount,
            InvoiceSort::TotalPrice,
            InvoiceSort::Status,
        ][usize::from(field % 4)];
        orders = orders.sort(order_sort, direction);
        invoices = invoices.sort(invoice_sort, direction);
    }
    if let Some(size) = input.page_size {
        orders = orders.page_size(size);
        invoices = invoices.page_size(size);
    }

    let _ = orders.validate();
    let _ = invoices.validate();
    let order_sort = orders.sort_by();
    if let Some(sort) = &order_sort {
        assert_eq!(sort.matches('_').count(), 1, "{sort:?}");
    }
    let rendered = Rendered {
        orders: orders.filter_by(),
        invoices: invoices.filter_by(),
        order_sort,
    };
    if let Ok(Some(text)) = &rendered.orders {
        check_rendered(text, &expect_orders);
    }
    if let Ok(Some(text)) = &rendered.invoices {
        check_rendered(text, &expect_invoices);
    }
    rendered
}
