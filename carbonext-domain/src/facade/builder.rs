//! [`CarbonextBuilder`]: the one path from settings to a [`Carbonext`]. Every setting lands in
//! one [`Config`] (or, for the HTTP client and the token cache, is handed to them here).

use std::sync::Arc;
use std::time::Duration;

use super::carbonext::Carbonext;
use super::config::Config;
use crate::error::{Error, Result, ValidationError};
use crate::key_lock::OrderKeyLock;
use crate::RetryPolicy;
use crate::Timeouts;

/// Builder of [`Carbonext`].
#[derive(Default)]
pub struct CarbonextBuilder {
    environment: Option<carbonext_auth::Environment>,
    credentials: Option<carbonext_auth::Credentials>,
    http: Option<reqwest::Client>,
    body_limit: Option<u64>,
    hooks: Vec<Arc<dyn carbonext_api::RequestHook>>,
    config: Config,
}

impl std::fmt::Debug for CarbonextBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarbonextBuilder")
            .field("environment", &self.environment)
            .field("credentials", &self.credentials)
            .field("body_limit", &self.body_limit)
            .field("hooks", &self.hooks.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CarbonextBuilder {
    /// Where to connect (default: [`carbonext_auth::Environment::from_env`]).
    pub fn environment(mut self, environment: carbonext_auth::Environment) -> Self {
        self.environment = Some(environment);
        self
    }
    /// The API key to authenticate with (default: [`carbonext_auth::Credentials::from_env`]).
    pub fn credentials(mut self, credentials: carbonext_auth::Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
    /// An HTTP client to share, for API and token requests alike. Its own settings apply (so
    /// [`Timeouts::connect`] is ignored); the other limits of [`timeouts`](Self::timeouts) bound
    /// every call all the same.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }
    /// Every time limit at once (default [`Timeouts::default`]): connect, one attempt, one
    /// operation with its retries, one token request. See [`Timeouts`].
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.config.timeouts = timeouts;
        self
    }
    /// Time limit of one attempt ([`Timeouts::attempt`], default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.attempt = timeout;
        self
    }
    /// Time limit to connect ([`Timeouts::connect`], default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.connect = timeout;
        self
    }
    /// Retry policy for safe-to-repeat calls and for token requests (default
    /// [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }
    /// Pages fetched ahead by the list streams (default 4, at least 1).
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.config.prefetch = pages.max(1);
        self
    }

    /// Most bytes of a successful response body read (default 32 MiB,
    /// [`carbonext_api::DEFAULT_BODY_LIMIT`]); a larger answer ends the call with
    /// [`Error::Decode`] without being read whole.
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Adds a hook of your own to every request (tracing, metrics, headers…), run after the
    /// facade's authentication: its `prepare` sees the signed request and its `send` each
    /// HTTP exchange, the resend after a 401 included. Hooks run in the order added; the
    /// facade's time limits and retries wrap them all. A hook whose `prepare` fails ends the
    /// call with [`Error::Hook`], nothing sent.
    ///
    /// ```
    /// use carbonext_api::{HookError, OperationInfo, RequestHook};
    /// use futures::future::BoxFuture;
    ///
    /// struct Tenant;
    ///
    /// impl RequestHook for Tenant {
    ///     fn prepare<'a>(
    ///         &'a self,
    ///         request: &'a mut reqwest::Request,
    ///         _info: &'a OperationInfo,
    ///     ) -> BoxFuture<'a, Result<(), HookError>> {
    ///         request.headers_mut().insert("x-tenant", "acme".parse().unwrap());
    ///         Box::pin(async { Ok(()) })
    ///     }
    /// }
    ///
    /// let builder = carbonext_domain::Carbonext::builder().hook(Tenant);
    /// ```
    pub fn hook(mut self, hook: impl carbonext_api::RequestHook) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// The lock held over each placement of an order with a caller-given key, from the key
    /// lookup through creation and reconciliation (default:
    /// [`InProcessKeyLock`](crate::key_lock::InProcessKeyLock), which serialises placements of
    /// one key within this process). Share one lock across replicas to make placements
    /// exactly-once between them too.
    pub fn order_key_lock(mut self, lock: impl OrderKeyLock + 'static) -> Self {
        self.config.key_lock = Arc::new(lock);
        self
    }

    /// Longest wait for the order key's lock while another placement of the same key holds it
    /// (default 60 s, [`DEFAULT_ORDER_KEY_WAIT`](crate::DEFAULT_ORDER_KEY_WAIT)). Running out
    /// ends the placement with [`Error::KeyLock`]
    /// ([`KeyLockError::TimedOut`](crate::KeyLockError::TimedOut)) and nothing sent. Kept on
    /// tokio's clock.
    pub fn order_key_wait(mut self, wait: Duration) -> Self {
        self.config.key_wait = wait;
        self
    }

    /// How far back an order's key is looked for (default 14 days,
    /// [`DEFAULT_KEY_LOOKBACK`](crate::DEFAULT_KEY_LOOKBACK)): within it, a key finds the order
    /// placed with it and none is placed twice; an order older than that is not found, and
    /// its key places a new one. Measured on the server's clock (its `Date` header).
    pub fn key_lookback(mut self, lookback: Duration) -> Self {
        self.config.key_lookback = lookback;
        self
    }

    /// Builds the facade. Nothing is sent until the first call.
    pub fn build(self) -> Result<Carbonext> {
        let environment = match self.environment {
            Some(environment) => environment,
            None => carbonext_auth::Environment::from_env().map_err(config_error)?,
        };
        let credentials = match self.credentials {
            Some(credentials) => credentials,
            None => carbonext_auth::Credentials::from_env().map_err(config_error)?,
        };
        let timeouts = self.config.timeouts;
        let http = match self.http {
            Some(http) => http,
            // No `reqwest` total timeout: the facade bounds each attempt and operation.
            None => reqwest::Client::builder()
                .connect_timeout(timeouts.connect)
                .build()
                .map_err(|e| Error::Transport {
                    message: format!("could not build the HTTP client: {e}"),
                    source: Some(e),
                })?,
        };
        let tokens = carbonext_auth::TokenCache::builder(credentials, environment.token_url())
            .http_client(http.clone())
            .request_timeout(timeouts.token)
            .retry_policy(self.config.retry.clone())
            .build();
        let api = carbonext_auth::ClientBuilder::new(environment.api_url(), tokens.clone())
            .http_client(http)
            .body_limit(self.body_limit.unwrap_or(carbonext_api::DEFAULT_BODY_LIMIT))
            .hooks(self.hooks)
            .build();
        Ok(Carbonext::assemble(
            api,
            Some(tokens),
            self.config,
            Arc::default(),
        ))
    }
}

fn config_error(err: carbonext_auth::AuthError) -> Error {
    Error::Validation(ValidationError::Config(err.to_string()))
}

impl Carbonext {
    /// Starts a builder.
    pub fn builder() -> CarbonextBuilder {
        CarbonextBuilder::default()
    }

    /// Everything from the environment: `CARBONEXT_ENV`, `CARBONEXT_API_URL`,
    /// `CARBONEXT_AUTH_URL`, `CARBONEXT_CLIENT_ID`, `CARBONEXT_CLIENT_SECRET`. With the
    /// `profiles` feature, `CARBONEXT_PROFILE` names a saved profile to use instead.
    pub fn from_env() -> Result<Self> {
        #[cfg(feature = "profiles")]
        if let Some(carbonext) = Self::from_env_profile() {
            return carbonext;
        }
        Self::builder().build()
    }
}
