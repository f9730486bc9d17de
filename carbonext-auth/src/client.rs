//! Wiring: an authenticated [`carbonext_api::Client`] in one call ([`authenticated_client`]),
//! or with options and a shared cache ([`ClientBuilder`], whose docs show an example).

use std::sync::Arc;
use std::time::Duration;

use carbonext_api::{Hooks, RequestHook};

use crate::{AuthHook, Credentials, Environment, TokenCache};

/// A client for `environment`'s API whose requests carry a token for `credentials`.
///
/// `http` is used for API and token requests alike; without it the API client gets 15 s
/// connect and request timeouts (like [`carbonext_api::Client::new`]) and token requests a
/// client that does not follow redirects. Nothing is requested until the first call.
pub fn authenticated_client(
    credentials: Credentials,
    environment: &Environment,
    http: Option<reqwest::Client>,
) -> carbonext_api::Client {
    let mut cache = TokenCache::builder(credentials, environment.token_url());
    if let Some(http) = &http {
        cache = cache.http_client(http.clone());
    }
    let mut client = ClientBuilder::new(environment.api_url(), cache.build());
    if let Some(http) = http {
        client = client.http_client(http);
    }
    client.build()
}

/// Builds a [`carbonext_api::Client`] signed by a (possibly shared) [`TokenCache`].
///
/// Hooks run in this order: the [`outer_hook`](Self::outer_hook)s, the [`AuthHook`], the
/// [`hook`](Self::hook)s. An inner hook sees the `Authorization` header and the 401 retry;
/// an outer hook (a retry policy of your own, say) sees one call per request it sends, and each
/// replay it sends gets a current token.
///
/// ```no_run
/// # fn demo() -> Result<(), carbonext_auth::AuthError> {
/// use std::time::Duration;
/// use carbonext_auth::{ClientBuilder, Credentials, Environment, TokenCache};
///
/// let environment = Environment::from_env()?;
/// let cache = TokenCache::builder(Credentials::from_env()?, environment.token_url())
///     .scope("roles")
///     .refresh_buffer(Duration::from_secs(120))
///     .build();
/// // Two clients (say, API and calculator hosts) sharing one token.
/// let api = ClientBuilder::new(environment.api_url(), cache.clone()).build();
/// let calculators = ClientBuilder::new("https://api-calculators.carbonext.com.br", cache).build();
/// # Ok(()) }
/// ```
#[must_use]
pub struct ClientBuilder {
    api_url: String,
    cache: TokenCache,
    http: Option<reqwest::Client>,
    outer: Vec<Arc<dyn RequestHook>>,
    inner: Vec<Arc<dyn RequestHook>>,
    body_limit: u64,
}

impl ClientBuilder {
    /// A client for the API at `api_url` using tokens from `cache`.
    pub fn new(api_url: impl Into<String>, cache: TokenCache) -> Self {
        let api_url = api_url.into();
        Self {
            api_url: api_url.strip_suffix('/').unwrap_or(&api_url).to_owned(),
            cache,
            http: None,
            outer: Vec::new(),
            inner: Vec::new(),
            body_limit: carbonext_api::DEFAULT_BODY_LIMIT,
        }
    }

    /// The HTTP client for API requests (15 s timeouts by default).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Adds a hook inside the [`AuthHook`] (after the ones already added).
    pub fn hook(mut self, hook: impl RequestHook) -> Self {
        self.inner.push(Arc::new(hook));
        self
    }

    /// Adds hooks already shared, like [`ClientBuilder::hook`], in order.
    pub fn hooks(mut self, hooks: impl IntoIterator<Item = Arc<dyn RequestHook>>) -> Self {
        self.inner.extend(hooks);
        self
    }

    /// Adds a hook outside the [`AuthHook`] (after the outer ones already added).
    pub fn outer_hook(mut self, hook: impl RequestHook) -> Self {
        self.outer.push(Arc::new(hook));
        self
    }

    /// Most bytes of a successful response body the client reads (default
    /// [`carbonext_api::DEFAULT_BODY_LIMIT`], 32 MiB); see [`Hooks::with_body_limit`].
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The client.
    pub fn build(self) -> carbonext_api::Client {
        let http = self.http.unwrap_or_else(default_api_http_client);
        let auth: Arc<dyn RequestHook> = Arc::new(AuthHook::new(self.cache));
        let hooks = self
            .outer
            .into_iter()
            .chain(std::iter::once(auth))
            .chain(self.inner)
            .fold(Hooks::none(), Hooks::with_arc)
            .with_body_limit(self.body_limit);
        carbonext_api::Client::new_with_client(&self.api_url, http, hooks)
    }
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_url", &self.api_url)
            .field("cache", &self.cache)
            .field("outer_hooks", &self.outer.len())
            .field("inner_hooks", &self.inner.len())
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

fn default_api_http_client() -> reqwest::Client {
    let timeout = Duration::from_secs(15);
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .expect("the HTTP client's TLS backend initialises")
}
