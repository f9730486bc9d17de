//! [`Timestamp`]: a server timestamp, read in either of the shapes the API sends.
//!
//! The API (ASP.NET) writes `2022-07-24T18:26:44.417678` (no offset, meaning UTC) in some
//! responses and `2022-07-24T18:26:44.4176783Z` (seven fractional digits) in others. Both parse
//! to the same kind of value, with nanosecond precision; the text is kept so re-encoding gives
//! back exactly what the server sent. A bare date (`2022-07-24`) is read as midnight UTC.
//!
//! ```
//! use carbonext_api::Timestamp;
//!
//! let a: Timestamp = "2022-07-24T18:26:44.417678".parse().unwrap();
//! let b: Timestamp = "2022-07-24T18:26:44.4176783Z".parse().unwrap();
//! assert!(a < b);
//! assert_eq!(b.as_str(), "2022-07-24T18:26:44.4176783Z");
//! assert_eq!(b.utc().timestamp_subsec_nanos(), 417_678_300);
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time as sent by the server. Compared, ordered and hashed by the instant.
#[derive(Clone)]
pub struct Timestamp {
    utc: DateTime<Utc>,
    text: Box<str>,
}

/// Text that is not a timestamp in any shape the API uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp `{text}`: expected e.g. 2022-07-24T18:26:44.417678 or 2022-07-24T18:26:44.4176783Z")]
pub struct TimestampError {
    text: String,
}

impl Timestamp {
    /// A timestamp for `utc`, written the way the server writes it (7 digits, `Z`).
    ///
    /// The instant is cut to the text's precision (100 ns), so it equals what the text parses
    /// back to.
    pub fn from_utc(utc: DateTime<Utc>) -> Self {
        let utc = utc
            .with_nanosecond(utc.nanosecond() / 100 * 100)
            .expect("truncated nanoseconds stay in range");
        // chrono has no `%.7f`; the leap-second part of the nanoseconds is already in `%S`.
        let text = format!(
            "{}.{:07}Z",
            utc.format("%Y-%m-%dT%H:%M:%S"),
            utc.nanosecond() % 1_000_000_000 / 100
        );
        Self {
            utc,
            text: text.into(),
        }
    }

    /// The instant, in UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        self.utc
    }

    /// The text as received (or as written by [`Timestamp::from_utc`]).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let utc = DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| {
                NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
            })
            .or_else(|_| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
            })
            .ok()
            // Four-digit years only (RFC 3339, and what the server writes): outside them the
            // instant could not be written back in the server's shape.
            .filter(|utc| (0..=9999).contains(&utc.year()))
            .ok_or_else(|| TimestampError {
                text: s.chars().take(64).collect(),
            })?;
        Ok(Self {
            utc,
            text: s.into(),
        })
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(utc: DateTime<Utc>) -> Self {
        Self::from_utc(utc)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.utc == other.utc
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.utc.cmp(&other.utc)
    }
}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.utc.hash(state);
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> String {
        "Timestamp".to_owned()
    }

    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_owned()),
            ..Default::default()
        }
        .into()
    }
}
