//! [`Carbonext`] itself: the client, its token cache and its configuration, shared by clones;
//! what it does lives in the sibling files.

use std::sync::Arc;
use std::time::Duration;

use super::config::Config;
use super::failure;
use super::key_index::KeyLookup;
use crate::error::Result;
use crate::key_lock::OrderKeyLock;
use crate::RetryPolicy;
use crate::Timeouts;

/// The Carbonext API, authenticated, with retries. Cheap to clone; clones share the HTTP
/// connection pool and the token cache.
#[derive(Clone, Debug)]
pub struct Carbonext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The client the facade's calls use (and [`Carbonext::raw`] hands out).
    api: carbonext_api::Client,
    /// The token cache the client's auth hook reads, when the builder made the client.
    tokens: Option<carbonext_auth::TokenCache>,
    config: Config,
    /// The key lookup's index, shared by every configuration of this client.
    lookup: Arc<KeyLookup>,
}

impl Carbonext {
    /// Wraps a raw client you configured yourself (its hooks do the authentication), with the
    /// default configuration ([`Timeouts::default`], [`RetryPolicy::default`]…), which the
    /// `with_*` methods change.
    pub fn from_client(api: carbonext_api::Client) -> Self {
        Self::assemble(api, None, Config::default(), Arc::default())
    }

    pub(super) fn assemble(
        api: carbonext_api::Client,
        tokens: Option<carbonext_auth::TokenCache>,
        config: Config,
        lookup: Arc<KeyLookup>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                api,
                tokens,
                config,
                lookup,
            }),
        }
    }

    /// The same client and token cache with a changed configuration.
    fn reconfigured(self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.inner.config.clone();
        change(&mut config);
        Self::assemble(
            self.inner.api.clone(),
            self.inner.tokens.clone(),
            config,
            Arc::clone(&self.inner.lookup),
        )
    }

    /// The same client with another retry policy.
    pub fn with_retry_policy(self, retry: RetryPolicy) -> Self {
        self.reconfigured(|config| config.retry = retry)
    }

    /// The same client with another time limit per attempt ([`Timeouts::attempt`]).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.reconfigured(|config| config.timeouts.attempt = timeout)
    }

    /// The same client with other per-attempt and per-operation limits (the connect and token
    /// limits belong to the HTTP client and token cache, set when they are made).
    pub fn with_timeouts(self, timeouts: Timeouts) -> Self {
        self.reconfigured(|config| config.timeouts = timeouts)
    }

    /// The same client holding `lock` over each placement with a caller-given key (see
    /// [`CarbonextBuilder::order_key_lock`](crate::CarbonextBuilder::order_key_lock)).
    pub fn with_order_key_lock(self, lock: impl OrderKeyLock + 'static) -> Self {
        let lock: Arc<dyn OrderKeyLock> = Arc::new(lock);
        self.reconfigured(|config| config.key_lock = lock)
    }

    /// The same client with another longest wait for the order key's lock (see
    /// [`CarbonextBuilder::order_key_wait`](crate::CarbonextBuilder::order_key_wait); default 60 s).
    pub fn with_order_key_wait(self, wait: Duration) -> Self {
        self.reconfigured(|config| config.key_wait = wait)
    }

    /// The same client looking `lookback` back for an order's key (see
    /// [`CarbonextBuilder::key_lookback`](crate::CarbonextBuilder::key_lookback)).
    pub fn with_key_lookback(self, lookback: Duration) -> Self {
        self.reconfigured(|config| config.key_lookback = lookback)
    }

    /// The same client with another prefetch depth for the streams.
    pub fn with_prefetch(self, pages: usize) -> Self {
        self.reconfigured(|config| config.prefetch = pages.max(1))
    }

    /// The time limits in force.
    pub fn timeouts(&self) -> Timeouts {
        self.inner.config.timeouts
    }

    /// Gets an access token now (or confirms the cached one), so that bad credentials or an
    /// unreachable token endpoint surface as a typed [`Error::Auth`](crate::Error::Auth) before any business call.
    /// A facade built with [`Carbonext::from_client`] has no token cache of its own and
    /// returns `Ok(())`.
    pub async fn authenticate(&self) -> Result<()> {
        match &self.inner.tokens {
            Some(cache) => cache.token().await.map(drop).map_err(failure::auth_error),
            None => Ok(()),
        }
    }

    /// The token cache the facade's auth hook reads, when the builder made the client.
    pub fn token_cache(&self) -> Option<&carbonext_auth::TokenCache> {
        self.inner.tokens.as_ref()
    }

    /// The raw client underneath, for calls this crate does not wrap: the facade's own, with
    /// its HTTP connections, token cache and hooks (its auth hook resends once after a 401,
    /// see `carbonext_auth::AuthHook`). For a facade made with [`Carbonext::from_client`],
    /// the client given.
    pub fn raw(&self) -> &carbonext_api::Client {
        &self.inner.api
    }

    pub(super) fn api(&self) -> &carbonext_api::Client {
        &self.inner.api
    }

    pub(super) fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(super) fn lookup(&self) -> &KeyLookup {
        &self.inner.lookup
    }
}
