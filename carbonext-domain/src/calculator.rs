//! Emissions calculator types: transport types, airports and emission results.
//!
//! These are the API's own shapes, re-exported so services never import `carbonext-api`.

pub use carbonext_api::types::{Airport, CalculatorType as TransportType, Emission};
