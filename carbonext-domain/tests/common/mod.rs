//! Shared set-up of the end-to-end tests: a sandbox on 127.0.0.1 and a facade pointed at it.

#![allow(dead_code)]

use std::time::Duration;

use carbonext_domain::{Carbonext, CarbonextBuilder, Credentials, Environment, RetryPolicy};
use carbonext_sandbox::Sandbox;

/// Whether the sandboxes of these tests offer the `metaData_like` filter: off (the API as
/// documented) unless `CARBONEXT_TEST_METADATA_FILTER=1`, with which `.ci/run` runs the
/// exactly-once suites a second time.
pub fn metadata_filter() -> bool {
    std::env::var("CARBONEXT_TEST_METADATA_FILTER").is_ok_and(|v| v == "1")
}

/// A fresh sandbox with its seeded customer.
pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .deterministic(true)
        .metadata_filter(metadata_filter())
        .start()
        .await
        .expect("the sandbox starts on 127.0.0.1")
}

/// Fast retries so fault tests finish quickly.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(10),
    }
}

/// A builder of the facade pointed at `sandbox` with its seeded API key, quick retries and a
/// 10 s limit per attempt; tests change what they exercise.
pub fn builder(sandbox: &Sandbox) -> CarbonextBuilder {
    Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .retry_policy(quick_retries())
        .timeout(Duration::from_secs(10))
}

/// The facade, authenticated with the sandbox's seeded API key.
pub fn connect(sandbox: &Sandbox) -> Carbonext {
    builder(sandbox).build().expect("the facade builds")
}
