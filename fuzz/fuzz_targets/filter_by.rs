//! Fuzz target: the `filter-by` / `sort-by` renderer of `OrderQuery` and `InvoiceQuery`, built
//! from arbitrary terms (including unknown statuses with any text). Rendering returns a value or
//! a `ValidationError`, never panics; a rendered value has exactly one `~` between terms, and
//! the values of an `in` term exactly one `-` between values.
#![no_main]

use carbonext_domain::{
    FilterOp, InvoiceQuery, InvoiceSort, InvoiceStatus, OrderKey, OrderQuery, OrderSort,
    OrderStatus, SortDirection,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
    In,
    Like,
}

impl From<Op> for FilterOp {
    fn from(op: Op) -> Self {
        match op {
            Op::Eq => FilterOp::Eq,
            Op::Ne => FilterOp::Ne,
            Op::Ge => FilterOp::Ge,
            Op::Le => FilterOp::Le,
            Op::Gt => FilterOp::Gt,
            Op::Lt => FilterOp::Lt,
            Op::In => FilterOp::In,
            Op::Like => FilterOp::Like,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Term {
    StatusIn(Vec<String>),
    Status(String),
    VcuAmount(Op, i64, u8),
    TotalPrice(Op, i64, u8),
    TotalVcuAmount(Op, i64, u8),
    CreatedFrom(i32),
    CreatedTo(i32),
    Key(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    terms: Vec<Term>,
    sort: Option<(u8, bool)>,
    page_size: Option<u32>,
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

fn check(rendered: &str, expected: &Expected) {
    let terms: Vec<&str> = rendered.split('~').collect();
    assert_eq!(terms.len(), expected.len(), "stray `~` in {rendered:?}");
    for (term, (field, op, values)) in terms.iter().zip(expected) {
        let (head, value) = term.split_once(':').expect("every term has a `:`");
        let (name, op_text) = head.rsplit_once('_').expect("field_op");
        assert_eq!(name, *field, "{rendered:?}");
        assert_eq!(op_text, serde_json::to_value(op).unwrap().as_str().unwrap());
        if *op == FilterOp::In {
            let parts: Vec<&str> = value.split('-').collect();
            assert_eq!(parts, *values, "stray `-` in {rendered:?}");
        } else {
            assert_eq!([value], values.as_slice());
        }
        for v in values {
            assert!(!v.is_empty(), "empty filter value rendered: {rendered:?}");
        }
    }
}

fuzz_target!(|input: Input| {
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
    if let Some(sort) = orders.sort_by() {
        assert_eq!(sort.matches('_').count(), 1, "{sort:?}");
    }
    if let Ok(Some(rendered)) = orders.filter_by() {
        check(&rendered, &expect_orders);
    }
    if let Ok(Some(rendered)) = invoices.filter_by() {
        check(&rendered, &expect_invoices);
    }
});
