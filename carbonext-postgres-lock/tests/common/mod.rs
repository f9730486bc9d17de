//! Shared set-up of the tests: a throwaway PostgreSQL cluster ([`pg::Cluster`]), a sandbox,
//! and facades pointed at it.

#![allow(dead_code)]

pub mod pg;

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
        max_attempts: 8,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(20),
    }
}

/// A builder of the facade pointed at `sandbox`, with quick retries.
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
