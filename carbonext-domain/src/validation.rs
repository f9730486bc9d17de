//! [`ValidationError`]: input refused before any request is sent. Its own module, below
//! every other (amounts, keys and orders refuse their input with it), re-exported by
//! [`error`](crate::error).

/// Input refused before any request is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A VCU amount must be greater than zero.
    #[error("a VCU amount must be greater than zero, got {value}")]
    NonPositiveAmount {
        /// The refused value.
        value: String,
    },
    /// An amount so large its total price does not fit an exact decimal.
    #[error("{value} VCUs is too large an amount to price exactly")]
    AmountTooLarge {
        /// The refused value.
        value: String,
    },
    /// Text that is not a plain decimal number.
    #[error("`{input}` is not a plain decimal number (e.g. 0.02)")]
    InvalidAmount {
        /// The refused text (truncated).
        input: String,
    },
    /// metaData longer than the API allows.
    #[error("metaData has {len} characters; at most {max} are allowed")]
    MetaDataTooLong {
        /// Characters given.
        len: usize,
        /// Characters allowed (500 minus the room the order key takes).
        max: usize,
    },
    /// A client order key with characters or a length the SDK does not accept.
    #[error("order key must be 8 to 64 characters of A-Z, a-z, 0-9 or _, got {key:?}")]
    InvalidOrderKey {
        /// The refused key (truncated).
        key: String,
    },
    /// A namespace of [`OrderKey::from_external_id`](crate::OrderKey::from_external_id) that
    /// is not 1 to 16 characters of `a-z 0-9`.
    #[error("a key namespace must be 1 to 16 characters of a-z or 0-9, got {namespace:?}")]
    InvalidKeyNamespace {
        /// The refused namespace (truncated).
        namespace: String,
    },
    /// A period whose start is after its end.
    #[error("period starts on {start}, after it ends on {end}")]
    InvalidPeriod {
        /// Start date.
        start: chrono::NaiveDate,
        /// End date.
        end: chrono::NaiveDate,
    },
    /// A filter value the API's filter syntax cannot carry.
    #[error("filter value {value:?} for {field} cannot contain {forbidden}")]
    InvalidFilterValue {
        /// Field being filtered.
        field: &'static str,
        /// The refused value (truncated).
        value: String,
        /// The characters it may not contain.
        forbidden: &'static str,
    },
    /// A list that must not be empty.
    #[error("{what} must not be empty")]
    Empty {
        /// What was empty.
        what: &'static str,
    },
    /// A page number or size outside the API's range.
    #[error("{what} must be between 1 and {max}, got {value}")]
    OutOfRange {
        /// Which number.
        what: &'static str,
        /// The refused value.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// Text that is not a Brazilian ZIP code (CEP).
    #[error(
        "`{input}` is not a Brazilian ZIP code (CEP): expected 8 digits, as 01310-100 or 01310100"
    )]
    InvalidZipCode {
        /// The refused text (truncated).
        input: String,
    },
    /// Text that is not an airport's IATA code.
    #[error("`{input}` is not an airport code: expected 3 letters (IATA), as GRU")]
    InvalidAirportCode {
        /// The refused text (truncated).
        input: String,
    },
    /// A route end that is neither a ZIP code nor an airport code.
    #[error(
        "`{input}` is neither a Brazilian ZIP code (as 01310-100) nor an airport code (as GRU)"
    )]
    InvalidRouteCode {
        /// The refused text (truncated).
        input: String,
    },
    /// A route between a ZIP code and an airport code.
    #[error("a route runs between two ZIP codes (by road) or two airport codes (by air), got `{origin}` and `{destination}`")]
    MixedRoute {
        /// The origin given (truncated).
        origin: String,
        /// The destination given (truncated).
        destination: String,
    },
    /// A request the generated client refused to build.
    #[error("{0}")]
    Request(String),
    /// A required setting or environment variable is missing or malformed.
    #[error("{0}")]
    Config(String),
}
