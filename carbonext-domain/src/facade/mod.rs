//! [`Carbonext`]: the facade implementing every trait over the generated client and the token
//! cache, one file per concern:
//!
//! | file | concern |
//! |---|---|
//! | `carbonext.rs` | the [`Carbonext`] value: client, token cache, configuration |
//! | `config.rs` | the configuration, with its defaults (time limits: [`Timeouts`](crate::Timeouts)) |
//! | `builder.rs` | [`CarbonextBuilder`]: the one path from settings to a facade |
//! | `pipeline.rs` | one call: time limits, the retry loop, the span |
//! | `failure.rs` | what a failed attempt means: retry or not, and the caller's [`Error`](crate::Error) |
//! | `lookup.rs` | the one key lookup: which orders carry a key, on documented filters |
//! | `key_index.rs` | the key index's state: the window's keyed orders, per client |
//! | `refreshes.rs` | which lookups a refresh of the key index served |
//! | `conflict.rs` | a key bound to what it ordered: how a request differs from the key's order |
//! | `placement.rs` | exactly-once orders: the key's lock, lookup, creation, reconciliation |
//! | `paging.rs` | pages and prefetching streams of lists |
//! | `ordered.rs` | a batch's items run a few at a time, results in input order |
//! | `market.rs`, `ledger.rs`, `calculator.rs`, `accounts.rs`, `offsetting.rs` | one trait's impl each |

mod accounts;
mod builder;
mod calculator;
mod carbonext;
mod config;
mod conflict;
mod failure;
mod key_index;
mod ledger;
mod lookup;
mod market;
mod offsetting;
mod ordered;
mod paging;
mod pipeline;
mod placement;
mod refreshes;

pub use builder::CarbonextBuilder;
pub use carbonext::Carbonext;
pub use placement::PlacedOrder;
