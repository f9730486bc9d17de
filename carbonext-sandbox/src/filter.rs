//! The list query language: `filter-by`, `sort-by` and what each resource accepts.
//!
//! `filter-by` is a `~`-separated list of `field_op:value` terms, all of which must hold. The
//! operators are `eq ne ge le gt lt in like`; the values of `in` are joined by `-`; enum values
//! (statuses) compare without regard to case; text (`metaData`, `email`...) compares exactly
//! with `eq`/`ne`, and `like` matches a case-insensitive substring.
//! `createdAt` takes a `YYYY-MM-DD` date and compares calendar days (UTC): `le:2024-01-15`
//! includes the whole 15th, `lt:2024-01-15` ends at its midnight. A field or operator the
//! resource does not list in [`ResourceSpec::filters`] is a 400, as is a value of the wrong
//! type. `sort-by` is `field_asc` or `field_desc` over [`ResourceSpec::sort`]
//! (`createdAt_desc` by default); ties keep creation order in the sort's direction.
//!
//!
//! Orders accept `metaData_eq` and `metaData_like` beyond the documented filters only when
//! the sandbox is built with [`metadata_filter`](crate::SandboxBuilder::metadata_filter) on
//! ([`Catalog`]); off, `metaData_like:x` is a 400 like any filter the resource does not list.
//!
//! ```
//! use carbonext_sandbox::filter::{Filter, ORDERS, ORDERS_WITH_METADATA};
//! assert!(Filter::parse(&ORDERS, "status_in:Paid-issued~vcuAmount_ge:0.5").is_ok());
//! assert!(Filter::parse(&ORDERS, "colour_eq:red").is_err());
//! assert!(Filter::parse(&ORDERS, "metaData_like:key").is_err());
//! assert!(Filter::parse(&ORDERS_WITH_METADATA, "metaData_like:key").is_ok());
//! ```

use std::cmp::Ordering;
use std::str::FromStr;

use carbonext_api::filter::{FilterClause, FilterSyntaxError, CLAUSE_SEPARATOR, VALUE_SEPARATOR};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::problem::Problem;

/// Kind of a filterable field, which decides how its value is read and compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Exact decimal.
    Decimal,
    /// Free text (`like` is a case-insensitive substring).
    Text,
    /// Enum value, compared without regard to case.
    Enum,
    /// Timestamp, filtered by calendar day (`YYYY-MM-DD`).
    Date,
    /// An id among the record's related ids.
    Id,
}

/// A filter operator: the one definition of `carbonext-api`, under the sandbox's short name.
pub use carbonext_api::FilterOp as Op;

/// A filterable field and the operators it accepts.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    /// Wire name, e.g. `vcuAmount`.
    pub name: &'static str,
    /// How values are read.
    pub kind: Kind,
    /// Accepted operators.
    pub ops: &'static [Op],
}

/// What a resource accepts in `filter-by` and `sort-by`.
#[derive(Clone, Copy, Debug)]
pub struct ResourceSpec {
    /// Resource name, as listed by `GET /v1/resources`.
    pub name: &'static str,
    /// Filterable fields.
    pub filters: &'static [FieldSpec],
    /// Sortable fields.
    pub sort: &'static [&'static str],
    /// Columns that can be aggregated.
    pub aggregate_columns: &'static [&'static str],
}

impl ResourceSpec {
    /// The `field_op` names, as `GET /v1/allowed-filters/{resource}` lists them.
    pub fn filter_names(&self) -> Vec<String> {
        self.filters
            .iter()
            .flat_map(|f| f.ops.iter().map(move |op| format!("{}_{op}", f.name)))
            .collect()
    }
}

const CMP: &[Op] = &[Op::Eq, Op::Ge, Op::Le, Op::Gt, Op::Lt];
const RANGE: &[Op] = &[Op::Ge, Op::Le, Op::Gt, Op::Lt];
const ENUM: &[Op] = &[Op::Eq, Op::Ne, Op::In];
const TEXT: &[Op] = &[Op::Eq, Op::Like];

const fn field(name: &'static str, kind: Kind, ops: &'static [Op]) -> FieldSpec {
    FieldSpec { name, kind, ops }
}

/// Orders, as documented: no `metaData` filter (see [`ORDERS_WITH_METADATA`]).
pub const ORDERS: ResourceSpec = ResourceSpec {
    name: "orders",
    filters: &[
        field("status", Kind::Enum, ENUM),
        field("vcuUnitPrice", Kind::Decimal, RANGE),
        field("vcuAmount", Kind::Decimal, CMP),
        field("invoiceId", Kind::Id, &[Op::Eq]),
        field("createdAt", Kind::Date, CMP),
        field("totalPrice", Kind::Decimal, CMP),
    ],
    sort: &[
        "createdAt",
        "vcuAmount",
        "status",
        "vcuUnitPrice",
        "totalPrice",
    ],
    aggregate_columns: &["vcuAmount", "vcuUnitPrice", "totalPrice"],
};

/// Orders with the documented filters plus `metaData` (`eq`, `like`), which clients use to
/// find an order by a key they stored in it: served when
/// [`SandboxBuilder::metadata_filter`](crate::SandboxBuilder::metadata_filter) is on.
pub const ORDERS_WITH_METADATA: ResourceSpec = ResourceSpec {
    name: "orders",
    filters: &[
        field("status", Kind::Enum, ENUM),
        field("vcuUnitPrice", Kind::Decimal, RANGE),
        field("vcuAmount", Kind::Decimal, CMP),
        field("invoiceId", Kind::Id, &[Op::Eq]),
        field("createdAt", Kind::Date, CMP),
        field("totalPrice", Kind::Decimal, CMP),
        field("metaData", Kind::Text, TEXT),
    ],
    ..ORDERS
};

/// Invoices.
pub const INVOICES: ResourceSpec = ResourceSpec {
    name: "invoices",
    filters: &[
        field("status", Kind::Enum, ENUM),
        field("totalVcuAmount", Kind::Decimal, CMP),
        field("totalPrice", Kind::Decimal, CMP),
        field("currency", Kind::Enum, ENUM),
        field("createdAt", Kind::Date, CMP),
    ],
    sort: &["createdAt", "totalVcuAmount", "totalPrice", "status"],
    aggregate_columns: &["totalVcuAmount", "totalPrice"],
};

/// Users.
pub const USERS: ResourceSpec = ResourceSpec {
    name: "users",
    filters: &[
        field("email", Kind::Text, TEXT),
        field("name", Kind::Text, TEXT),
        field("createdAt", Kind::Date, CMP),
    ],
    sort: &["createdAt", "email", "name"],
    aggregate_columns: &[],
};

/// API keys.
pub const APPLICATIONS: ResourceSpec = ResourceSpec {
    name: "applications",
    filters: &[
        field("clientId", Kind::Text, TEXT),
        field("displayName", Kind::Text, TEXT),
        field("createdAt", Kind::Date, CMP),
    ],
    sort: &["createdAt", "clientId", "displayName"],
    aggregate_columns: &[],
};

/// Subscriptions (listed by the docs; the sandbox has none).
pub const SUBSCRIPTIONS: ResourceSpec = ResourceSpec {
    name: "subscriptions",
    filters: &[
        field("status", Kind::Enum, ENUM),
        field("createdAt", Kind::Date, CMP),
    ],
    sort: &["createdAt", "status"],
    aggregate_columns: &[],
};

/// Retirements (listed by the docs; the sandbox has none).
pub const RETIREMENTS: ResourceSpec = ResourceSpec {
    name: "retirements",
    filters: &[
        field("vcuAmount", Kind::Decimal, CMP),
        field("createdAt", Kind::Date, CMP),
    ],
    sort: &["createdAt", "vcuAmount"],
    aggregate_columns: &["vcuAmount"],
};

/// Every resource, in the order `GET /v1/resources` lists them, as documented.
pub const RESOURCES: &[ResourceSpec] = &[
    APPLICATIONS,
    INVOICES,
    ORDERS,
    SUBSCRIPTIONS,
    RETIREMENTS,
    USERS,
];

/// [`RESOURCES`] with [`ORDERS_WITH_METADATA`] for orders.
pub const RESOURCES_WITH_METADATA: &[ResourceSpec] = &[
    APPLICATIONS,
    INVOICES,
    ORDERS_WITH_METADATA,
    SUBSCRIPTIONS,
    RETIREMENTS,
    USERS,
];

/// What one sandbox accepts in its lists: the documented filters, or those plus the orders'
/// `metaData` filter. The list endpoints and `GET /v1/allowed-filters/{resource}` read the
/// same catalogue, so a filter is accepted exactly when it is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Catalog {
    metadata_filter: bool,
}

impl Catalog {
    /// The documented filters, plus `metaData_eq`/`metaData_like` on orders when
    /// `metadata_filter`.
    pub const fn new(metadata_filter: bool) -> Self {
        Self { metadata_filter }
    }

    /// Whether orders accept the `metaData` filter.
    pub const fn metadata_filter(self) -> bool {
        self.metadata_filter
    }

    /// Every resource, in the order `GET /v1/resources` lists them.
    pub fn resources(self) -> &'static [ResourceSpec] {
        if self.metadata_filter {
            RESOURCES_WITH_METADATA
        } else {
            RESOURCES
        }
    }

    /// The resource named `name` (in any case).
    pub fn resource(self, name: &str) -> Option<&'static ResourceSpec> {
        self.resources()
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// What orders accept.
    pub fn orders(self) -> &'static ResourceSpec {
        if self.metadata_filter {
            &ORDERS_WITH_METADATA
        } else {
            &ORDERS
        }
    }
}

/// The value of a record's field.
#[derive(Clone, Debug)]
pub enum Value {
    /// Exact decimal.
    Decimal(Decimal),
    /// Text or enum value.
    Text(String),
    /// Timestamp.
    Time(DateTime<Utc>),
    /// Related ids.
    Ids(Vec<Uuid>),
    /// No value.
    Null,
}

/// A record that can be filtered and sorted.
pub trait Record {
    /// The value of `field` (a name from the resource's spec).
    fn value(&self, field: &str) -> Value;
}

/// A borrowed record: lists filter and sort the stored records in place, and copy out only
/// the page they answer.
impl<T: Record + ?Sized> Record for &T {
    fn value(&self, field: &str) -> Value {
        (**self).value(field)
    }
}

#[derive(Clone, Debug)]
enum Operand {
    Decimal(Decimal),
    Text(String),
    Texts(Vec<String>),
    Day(NaiveDate),
    Id(Uuid),
}

#[derive(Clone, Debug)]
struct Term {
    field: &'static str,
    kind: Kind,
    op: Op,
    operand: Operand,
}

/// A parsed `filter-by`.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    terms: Vec<Term>,
}

impl Filter {
    /// Parses `filter-by` for `spec`; any unknown field, operator or ill-typed value is a 400.
    pub fn parse(spec: &ResourceSpec, text: &str) -> Result<Self, Problem> {
        let mut terms = Vec::new();
        for raw in text
            .split(CLAUSE_SEPARATOR)
            .filter(|clause| !clause.is_empty())
        {
            let invalid = |why: String| Problem::validation("filter-by", why);
            let name_op = raw.split_once(':').map_or(raw, |(name_op, _)| name_op);
            // An unknown field is reported before an unknown operator.
            let (name, clause) = match FilterClause::parse(raw) {
                Ok(clause) => (clause.field, Some(clause)),
                Err(FilterSyntaxError::UnknownOp { .. }) => (
                    name_op.rsplit_once('_').map_or(name_op, |(name, _)| name),
                    None,
                ),
                Err(other) => return Err(invalid(other.to_string())),
            };
            let field = spec
                .filters
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    invalid(format!(
                        "`{name_op}` is not an allowed filter of {0} (`{name}` cannot be \
                         filtered on); see /v1/allowed-filters/{0}",
                        spec.name
                    ))
                })?;
            let (op, value) = clause
                .filter(|clause| field.ops.contains(&clause.op))
                .map(|clause| (clause.op, clause.value))
                .ok_or_else(|| {
                    invalid(format!(
                        "`{name_op}` is not an allowed filter of {}",
                        spec.name
                    ))
                })?;
            let operand = parse_operand(field.kind, op, value).map_err(|why| {
                invalid(format!(
                    "`{value}` is not a valid value for `{name_op}`: {why}"
                ))
            })?;
            terms.push(Term {
                field: field.name,
                kind: field.kind,
                op,
                operand,
            });
        }
        Ok(Self { terms })
    }

    /// Whether `record` satisfies every term.
    pub fn matches(&self, record: &impl Record) -> bool {
        self.terms.iter().all(|term| term.matches(record))
    }
}

fn parse_operand(kind: Kind, op: Op, value: &str) -> Result<Operand, String> {
    Ok(match kind {
        Kind::Decimal => {
            Operand::Decimal(Decimal::from_str_exact(value.trim()).map_err(|e| e.to_string())?)
        }
        Kind::Enum if op == Op::In => Operand::Texts(
            value
                .split(VALUE_SEPARATOR)
                .filter(|v| !v.is_empty())
                .map(str::to_ascii_lowercase)
                .collect(),
        ),
        Kind::Enum => Operand::Text(value.to_ascii_lowercase()),
        Kind::Text => Operand::Text(value.to_owned()),
        Kind::Date => Operand::Day(
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                .map_err(|_| "expected a date as YYYY-MM-DD".to_owned())?,
        ),
        Kind::Id => Operand::Id(Uuid::from_str(value.trim()).map_err(|e| e.to_string())?),
    })
}

impl Term {
    fn matches(&self, record: &impl Record) -> bool {
        let value = record.value(self.field);
        match (&self.operand, value) {
            (Operand::Decimal(want), Value::Decimal(have)) => compare(self.op, have.cmp(want)),
            (Operand::Day(want), Value::Time(have)) => {
                compare(self.op, have.date_naive().cmp(want))
            }
            (Operand::Texts(options), Value::Text(have)) => {
                let have = have.to_ascii_lowercase();
                options.contains(&have)
            }
            (Operand::Text(want), Value::Text(have)) => {
                let equal = if self.kind == Kind::Enum {
                    have.eq_ignore_ascii_case(want)
                } else {
                    have == *want
                };
                match self.op {
                    Op::Like => have.to_lowercase().contains(&want.to_lowercase()),
                    Op::Ne => !equal,
                    _ => equal,
                }
            }
            (Operand::Text(_), Value::Null) => self.op == Op::Ne,
            (Operand::Id(want), Value::Ids(have)) => have.contains(want),
            _ => false,
        }
    }
}

fn compare(op: Op, ordering: Ordering) -> bool {
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Ge => ordering != Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Lt => ordering == Ordering::Less,
        Op::In | Op::Like => false,
    }
}

/// A parsed `sort-by`.
#[derive(Clone, Debug)]
pub struct Sort {
    field: &'static str,
    descending: bool,
}

impl Sort {
    /// Parses `sort-by` for `spec` (`createdAt_desc` when absent).
    pub fn parse(spec: &ResourceSpec, text: Option<&str>) -> Result<Self, Problem> {
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Ok(Self {
                field: "createdAt",
                descending: true,
            });
        };
        let invalid = || {
            Problem::validation(
                "sort-by",
                format!(
                    "`{text}` is not `field_asc` or `field_desc` with a field among {}",
                    spec.sort.join(", ")
                ),
            )
        };
        let (name, direction) = text.rsplit_once('_').ok_or_else(invalid)?;
        let descending = match direction.to_ascii_lowercase().as_str() {
            "asc" => false,
            "desc" => true,
            _ => return Err(invalid()),
        };
        let field = spec
            .sort
            .iter()
            .find(|f| f.eq_ignore_ascii_case(name))
            .ok_or_else(invalid)?;
        Ok(Self { field, descending })
    }

    /// Sorts `records` (given in creation order).
    pub fn apply<T: Record>(&self, records: Vec<T>) -> Vec<T> {
        // A stable sort on (value, creation index), reversed as a whole for `desc`, keeps
        // ties in creation order in the sort's direction.
        let mut keyed: Vec<(usize, Value, T)> = records
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i, r.value(self.field), r))
            .collect();
        keyed.sort_by(|(ia, a, _), (ib, b, _)| compare_values(a, b).then(ia.cmp(ib)));
        if self.descending {
            keyed.reverse();
        }
        keyed.into_iter().map(|(_, _, r)| r).collect()
    }
}

fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Decimal(a), Value::Decimal(b)) => a.cmp(b),
        (Value::Time(a), Value::Time(b)) => a.cmp(b),
        (Value::Text(a), Value::Text(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}
