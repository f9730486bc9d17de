//! Proves that the SDK's time limit on an attempt (`CarbonextBuilder::timeout`) runs on the
//! caller's tokio clock: under `start_paused`, a call to a server that answers in 30 s fails
//! after 2 s of virtual time, in well under a second of real time.

use std::time::Duration;

use carbonext_domain::{
    Carbonext, Credentials, Currency, Environment, Error, RetryPolicy, VcuMarket,
};
use carbonext_sandbox::Sandbox;

#[tokio::test(start_paused = true)]
async fn a_quote_slower_than_the_time_limit_fails_after_the_limit_in_virtual_time() {
    let sandbox = Sandbox::builder()
        .deterministic(true)
        .start()
        .await
        .expect("the sandbox starts on 127.0.0.1");
    let carbonext = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .timeout(Duration::from_secs(2))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("the facade builds");
    carbonext.authenticate().await.expect("a token");
    sandbox.faults().set_latency(Duration::from_secs(30));

    let virtual_start = tokio::time::Instant::now();
    let real_start = std::time::Instant::now();
    let outcome = carbonext.quote("1".parse().unwrap(), Currency::Brl).await;
    let virtual_elapsed = virtual_start.elapsed();
    let real_elapsed = real_start.elapsed();

    match &outcome {
        Err(err @ Error::Transport { .. }) => {
            assert!(err.to_string().contains("timed out"), "{err}")
        }
        other => {
            panic!("expected the time-limit error (Error::Transport, timed out), got {other:?}")
        }
    }
    assert!(
        virtual_elapsed >= Duration::from_secs(2) && virtual_elapsed < Duration::from_secs(30),
        "virtual time elapsed: {virtual_elapsed:?}"
    );
    assert!(
        real_elapsed < Duration::from_secs(1),
        "real time elapsed: {real_elapsed:?}"
    );
}
