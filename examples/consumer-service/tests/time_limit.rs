//! Proves that the SDK's time limit on an attempt (`CarbonextBuilder::timeout`) runs on the
//! caller's tokio clock: under `start_paused`, a call to a server that answers in 30 s (a
//! sleep on the same paused clock) fails after 2 s of virtual time. A limit kept on any other
//! clock would end the call either after the server's 30 virtual seconds, with a quote, or
//! before 2 virtual seconds had passed; no bound on real time is needed.

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
    let outcome = carbonext.quote("1".parse().unwrap(), Currency::Brl).await;
    let virtual_elapsed = virtual_start.elapsed();

    match &outcome {
        Err(err @ Error::Transport { .. }) => {
            assert!(err.to_string().contains("timed out"), "{err}")
        }
        other => {
            panic!("expected the time-limit error (Error::Transport, timed out), got {other:?}")
        }
    }
    // The limit's timer fires on the first millisecond tick at or after its deadline.
    let limit = Duration::from_secs(2);
    assert!(
        virtual_elapsed >= limit && virtual_elapsed <= limit + Duration::from_millis(1),
        "virtual time elapsed: {virtual_elapsed:?}"
    );
}
