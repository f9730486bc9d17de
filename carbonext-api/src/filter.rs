//! The list query language's `filter-by` syntax: its operators ([`FilterOp`]) and its clauses
//! ([`FilterClause`]), read and written in one place for the SDK, the sandbox and the fuzz
//! checks alike.
//!
//! A `filter-by` value is `field_op:value` clauses joined by `~` ([`CLAUSE_SEPARATOR`]), all of
//! which must hold; the values of an `in` clause are joined by `-` ([`VALUE_SEPARATOR`]). The
//! operators are `eq ne ge le gt lt in like`. Which fields and operators a resource accepts is
//! not part of the syntax: `GET /v1/allowed-filters/{resource}` answers it.
//!
//! ```
//! use carbonext_api::filter::{format_filter_by, parse_filter_by, FilterClause, FilterOp};
//!
//! let text = "totalVcuAmount_ge:30~status_in:Paid-Pending";
//! let clauses: Vec<FilterClause<'_>> = parse_filter_by(text).collect::<Result<_, _>>().unwrap();
//! assert_eq!(clauses[0], FilterClause::new("totalVcuAmount", FilterOp::Ge, "30"));
//! assert_eq!(clauses[1].values().collect::<Vec<_>>(), ["Paid", "Pending"]);
//! assert_eq!(format_filter_by(clauses), text);
//! ```

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// Separates the clauses of a `filter-by` value.
pub const CLAUSE_SEPARATOR: char = '~';

/// Separates the values of an `in` clause.
pub const VALUE_SEPARATOR: char = '-';

/// An operator of the filter syntax; serialises as its wire name (`"eq"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// one of several values (joined by `-`)
    In,
    /// contains, case-insensitive
    Like,
}

impl FilterOp {
    /// Every operator, in the order the docs list them.
    pub const ALL: [FilterOp; 8] = [
        FilterOp::Eq,
        FilterOp::Ne,
        FilterOp::Ge,
        FilterOp::Le,
        FilterOp::Gt,
        FilterOp::Lt,
        FilterOp::In,
        FilterOp::Like,
    ];

    /// The wire name (`eq`, `in`...).
    pub const fn as_str(self) -> &'static str {
        match self {
            FilterOp::Eq => "eq",
            FilterOp::Ne => "ne",
            FilterOp::Ge => "ge",
            FilterOp::Le => "le",
            FilterOp::Gt => "gt",
            FilterOp::Lt => "lt",
            FilterOp::In => "in",
            FilterOp::Like => "like",
        }
    }

    /// The operator named `name`, in any ASCII case (`EQ` is `eq`, as the API reads it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(name))
    }

    /// The characters a value of this operator cannot contain: the syntax would read them as
    /// separators (`~`, and `-` in `in` values).
    pub const fn reserved_chars(self) -> &'static [char] {
        match self {
            FilterOp::In => &[CLAUSE_SEPARATOR, VALUE_SEPARATOR],
            _ => &[CLAUSE_SEPARATOR],
        }
    }
}

impl fmt::Display for FilterOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FilterOp {
    type Err = FilterSyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| FilterSyntaxError::UnknownOp {
            name: s.to_owned(),
            field: String::new(),
        })
    }
}

/// A `filter-by` value that does not follow the syntax.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterSyntaxError {
    /// A clause without `:`.
    #[error("`{clause}` is not `field_op:value`")]
    NotFieldOpValue {
        /// The clause.
        clause: String,
    },
    /// A clause whose name has no `_op` suffix.
    #[error("`{name}` is not `field_op`")]
    NotFieldOp {
        /// The text before `:`.
        name: String,
    },
    /// A clause whose operator is none of `eq ne ge le gt lt in like`.
    #[error("`{name}` has no operator among eq ne ge le gt lt in like")]
    UnknownOp {
        /// The text before `:` (`colour_near`), or the operator alone when parsed by itself.
        name: String,
        /// The field before the operator (`colour`), empty when the operator was parsed alone.
        field: String,
    },
}

/// One `field_op:value` clause; the value of an `in` clause holds its values joined by `-`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FilterClause<'a> {
    /// The field (`vcuAmount`), as written.
    pub field: &'a str,
    /// The operator.
    pub op: FilterOp,
    /// The value, as written.
    pub value: &'a str,
}

impl<'a> FilterClause<'a> {
    /// `field_op:value`.
    pub fn new(field: &'a str, op: FilterOp, value: &'a str) -> Self {
        Self { field, op, value }
    }

    /// Reads one clause (no `~`): `field_op:value`, the value being everything after the
    /// first `:` and the operator everything after the last `_` before it.
    pub fn parse(text: &'a str) -> Result<Self, FilterSyntaxError> {
        let (name, value) =
            text.split_once(':')
                .ok_or_else(|| FilterSyntaxError::NotFieldOpValue {
                    clause: text.to_owned(),
                })?;
        let (field, op) = name
            .rsplit_once('_')
            .ok_or_else(|| FilterSyntaxError::NotFieldOp {
                name: name.to_owned(),
            })?;
        let op = FilterOp::from_name(op).ok_or_else(|| FilterSyntaxError::UnknownOp {
            name: name.to_owned(),
            field: field.to_owned(),
        })?;
        Ok(Self { field, op, value })
    }

    /// The values: those of an `in` clause split at `-`, otherwise the one value.
    pub fn values(&self) -> impl Iterator<Item = &'a str> {
        let value = self.value;
        let split = (self.op == FilterOp::In).then(|| value.split(VALUE_SEPARATOR));
        let single = split.is_none().then_some(value);
        split.into_iter().flatten().chain(single)
    }
}

impl fmt::Display for FilterClause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}:{}", self.field, self.op, self.value)
    }
}

/// Reads a `filter-by` value clause by clause; empty clauses (`a_eq:1~~b_eq:2`) are skipped.
pub fn parse_filter_by(
    text: &str,
) -> impl Iterator<Item = Result<FilterClause<'_>, FilterSyntaxError>> {
    text.split(CLAUSE_SEPARATOR)
        .filter(|clause| !clause.is_empty())
        .map(FilterClause::parse)
}

/// Writes clauses as one `filter-by` value. Values are written as given: refuse the
/// [`FilterOp::reserved_chars`] in them beforehand.
pub fn format_filter_by<'a>(clauses: impl IntoIterator<Item = FilterClause<'a>>) -> String {
    let mut text = String::new();
    for (i, clause) in clauses.into_iter().enumerate() {
        if i > 0 {
            text.push(CLAUSE_SEPARATOR);
        }
        text.push_str(&clause.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_round_trip_through_their_wire_names_in_any_case() {
        for op in FilterOp::ALL {
            assert_eq!(FilterOp::from_name(op.as_str()), Some(op));
            assert_eq!(
                FilterOp::from_name(&op.as_str().to_ascii_uppercase()),
                Some(op)
            );
            assert_eq!(op.as_str().parse::<FilterOp>(), Ok(op));
            assert_eq!(
                serde_json::to_string(&op).unwrap(),
                format!("\"{}\"", op.as_str())
            );
        }
        assert_eq!(FilterOp::from_name("near"), None);
    }

    #[test]
    fn clauses_name_what_is_wrong() {
        let errors: Vec<String> = ["status", "status:Paid", "colour_near:red"]
            .into_iter()
            .map(|text| FilterClause::parse(text).unwrap_err().to_string())
            .collect();
        assert_eq!(
            errors,
            [
                "`status` is not `field_op:value`",
                "`status` is not `field_op`",
                "`colour_near` has no operator among eq ne ge le gt lt in like",
            ]
        );
    }

    #[test]
    fn the_value_is_everything_after_the_first_colon() {
        let clause = FilterClause::parse("createdAt_ge:2024-01-15T10:00").unwrap();
        assert_eq!(clause.field, "createdAt");
        assert_eq!(clause.values().collect::<Vec<_>>(), ["2024-01-15T10:00"]);
        let clause = FilterClause::parse("status_in:Paid-").unwrap();
        assert_eq!(clause.values().collect::<Vec<_>>(), ["Paid", ""]);
    }

    #[test]
    fn empty_clauses_are_skipped_and_the_text_round_trips() {
        let clauses: Vec<_> = parse_filter_by("~a_eq:1~~b_like:x~")
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(format_filter_by(clauses), "a_eq:1~b_like:x");
        assert_eq!(format_filter_by([]), "");
    }
}
