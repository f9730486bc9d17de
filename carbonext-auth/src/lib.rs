//! OAuth2 `client_credentials` authentication for the Carbonext API client.
//!
//! From credentials to an authenticated [`carbonext_api::Client`]:
//!
//! ```
//! use carbonext_auth::{authenticated_client, Credentials, Environment};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The offline emulator; in a service, `Credentials::from_env()?` (CARBONEXT_CLIENT_ID,
//! // CARBONEXT_CLIENT_SECRET) and `Environment::from_env()?` (CARBONEXT_ENV, homologation).
//! let sandbox = carbonext_sandbox::Sandbox::builder().start().await?;
//! let credentials = Credentials::new(sandbox.client_id(), sandbox.client_secret());
//! let environment = Environment::custom(sandbox.api_url(), sandbox.token_url());
//!
//! let client = authenticated_client(credentials, &environment, None);
//! let price = client.get_price().send().await?.into_inner(); // signed with a fresh token
//! println!("1 VCU costs {} {}", price.vcu_price, price.currency);
//! # Ok(()) }
//! ```
//!
//! Every request then carries `Authorization: Bearer <token>`. Behind it:
//!
//! - [`TokenCache`] requests a token on first use, reuses it, and replaces it a
//!   [refresh buffer](TokenCacheBuilder::refresh_buffer) before it expires, so no request leaves
//!   with an expired token. Concurrent callers share one token request; a warm read never waits
//!   on an async lock. Transient failures of the token endpoint are retried with bounded
//!   exponential backoff ([`RetryPolicy`]); rejected credentials are not.
//! - [`AuthHook`] is the [`carbonext_api::RequestHook`] that signs requests, and retries a
//!   request once with a new token when the API answers 401 (the token was revoked, or the
//!   server's clock is ahead). Operations the spec marks public (calculators, airports,
//!   resources, allowed filters) never wait for a token.
//! - [`AuthError`] says why no token could be had: `invalid_client`, `unauthorized_client`,
//!   `invalid_scope`, another RFC 6749 error, transport, an unexpected answer, or a bad
//!   environment variable.
//!
//! The client secret and the access tokens never appear in `Debug`, `Display`, error messages
//! or `tracing` events (which log token requests, their reason and `expires_in`, and 401
//! retries, never values).
//!
//! To share one token between clients or with the domain layer (which calls
//! [`TokenCache::token`] for typed errors), build the [`TokenCache`] yourself and pass it to
//! [`ClientBuilder`].

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod cache;
mod client;
mod credentials;
mod endpoint;
mod environment;
mod error;
mod hook;
mod retry;

pub use cache::{
    AccessToken, TokenCache, TokenCacheBuilder, DEFAULT_REFRESH_BUFFER, DEFAULT_REFRESH_FRACTION,
    DEFAULT_TOKEN_REQUEST_TIMEOUT,
};
pub use client::{authenticated_client, ClientBuilder};
pub use credentials::{Credentials, CLIENT_ID_VAR, CLIENT_SECRET_VAR};
pub use environment::{Environment, API_URL_VAR, AUTH_URL_VAR, ENV_VAR, PRODUCTION_TOKEN_URL};
pub use error::AuthError;
pub use hook::AuthHook;
pub use retry::{retry_after, RetryPolicy, Verdict};

/// Re-exported: [`Credentials::new`] accepts it and [`Credentials::client_secret`] returns it.
pub use secrecy::SecretString;
