//! Open enums: the server may add values, and a new value must not fail a whole response.
//!
//! Each enum lists the values seen in the docs plus `Unknown(String)`, which keeps any other
//! value exactly as received (and sends it back the same way). Known values are matched
//! without regard to case, as the API's filters do (`pending` is [`InvoiceStatus::Pending`]).
//!
//! ```
//! use carbonext_api::OrderStatus;
//!
//! let known: OrderStatus = serde_json::from_str("\"Issued\"").unwrap();
//! assert_eq!(known, OrderStatus::Issued);
//! let new: OrderStatus = serde_json::from_str("\"Retired\"").unwrap();
//! assert_eq!(new, OrderStatus::Unknown("Retired".into()));
//! assert_eq!(serde_json::to_string(&new).unwrap(), "\"Retired\"");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept as received.
            Unknown(String),
        }

        impl $name {
            /// Every value this version knows, in documentation order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(other) => other,
                }
            }

            /// Whether this is one of the values this version knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // The server's own spelling first (one `match` on the bytes), then any case.
                match s {
                    $( $wire => return Ok($name::$variant), )+
                    _ => {}
                }
                $( if s.eq_ignore_ascii_case($wire) { return Ok($name::$variant); } )+
                Ok($name::Unknown(s.to_owned()))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s.parse() {
                    Ok(value) => value,
                    Err(never) => match never {},
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self::from(s.as_str())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from(text.as_ref()))
            }
        }

        #[cfg(feature = "schemars")]
        #[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                schemars::schema::SchemaObject {
                    instance_type: Some(schemars::schema::InstanceType::String.into()),
                    metadata: Some(Box::new(schemars::schema::Metadata {
                        description: Some(format!(
                            "one of {} or a value added by the server later",
                            [$($wire),+].join(", ")
                        )),
                        examples: vec![$(serde_json::Value::from($wire)),+],
                        ..Default::default()
                    })),
                    ..Default::default()
                }
                .into()
            }
        }
    };
}

open_enum! {
    /// ISO 4217 currency of a price, order, invoice or balance.
    Currency {
        /// Brazilian real.
        Brl = "BRL",
        /// United States dollar.
        Usd = "USD",
    }
}

open_enum! {
    /// Where an order is in its lifecycle.
    OrderStatus {
        /// Placed and not yet paid; the only status that can be cancelled.
        Issued = "Issued",
        /// Paid (from the balance or by invoice).
        Paid = "Paid",
        /// Included in an invoice.
        Billed = "Billed",
        /// Cancelled.
        Cancelled = "Cancelled",
    }
}

open_enum! {
    /// How an order is paid.
    OrderType {
        /// Billed later on a monthly invoice.
        Postpaid = "Postpaid",
        /// Part of a subscription.
        Subscription = "Subscription",
    }
}

open_enum! {
    /// Whether an invoice has been paid.
    InvoiceStatus {
        /// Paid; its VCUs are credited to the balance.
        Paid = "Paid",
        /// Waiting for payment.
        Pending = "Pending",
    }
}

open_enum! {
    /// How an invoice was paid.
    PaymentType {
        /// Credit card.
        CreditCard = "creditCard",
    }
}

open_enum! {
    /// Whether VCUs were bought ahead or billed after use.
    PurchaseType {
        /// Bought ahead (credit card in the sign-up walkthrough).
        PrePaid = "prePaid",
    }
}
