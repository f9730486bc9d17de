//! Fault injection over real HTTP: latency, 5xx share, 429, dropped connections, and the
//! control paths. Shares fire at random from a seed (reproducible); the tests that count on
//! "every n-th request" ask for the periodic schedule by name.

mod common;

use std::time::Duration;

use tokio::time::Instant;

use carbonext_sandbox::{FaultSchedule, Sandbox};
use common::{http, Caller};
use serde_json::json;

/// The delay is a sleep on tokio's clock, so the test measures it on a paused clock: the
/// delayed requests take the latency in virtual time, the undelayed one less than it, however
/// slow the machine.
#[tokio::test(start_paused = true)]
async fn latency_delays_api_and_token_requests() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    let latency = Duration::from_millis(150);
    sandbox.faults().set_latency(latency);
    let started = Instant::now();
    assert_eq!(caller.get("/v1/calculators/types").await.status, 200);
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    let started = Instant::now();
    common::token(&sandbox).await;
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    sandbox.faults().clear();
    let started = Instant::now();
    assert_eq!(caller.get("/v1/calculators/types").await.status, 200);
    assert!(started.elapsed() < latency, "{:?}", started.elapsed());
}

#[tokio::test]
async fn periodic_fail_share_answers_every_nth_request_with_problem_details() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    sandbox.faults().set_schedule(FaultSchedule::Periodic);
    sandbox.faults().fail_share(503, 0.5);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = caller.get("/v1/orders").await;
        if answer.status == 503 {
            answer.problem(503);
        }
        statuses.push(answer.status);
    }
    assert_eq!(statuses, [200, 503, 200, 503]);
    // The token endpoint is never failed.
    common::token(&sandbox).await;
    assert_eq!(sandbox.counters().operation("list_orders"), 4);

    sandbox.faults().fail_share(500, 1.0);
    caller
        .post("/v1/orders", json!({"vcuAmount": 1}))
        .await
        .problem(500);
    assert!(
        sandbox.orders_snapshot().is_empty(),
        "a failed request stores nothing"
    );
}

/// The statuses of 40 order listings under a 5xx share of 0.5.
async fn statuses_under_half_failures(sandbox: &Sandbox) -> Vec<u16> {
    let caller = Caller::seeded(sandbox).await;
    sandbox.faults().fail_share(503, 0.5);
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(caller.get("/v1/orders").await.status);
    }
    statuses
}

#[tokio::test]
async fn shares_fire_at_random_and_the_same_seed_fires_the_same_requests() {
    let seeded = || Sandbox::builder().fault_seed(2026).start();
    let first = statuses_under_half_failures(&seeded().await.unwrap()).await;
    let again = statuses_under_half_failures(&seeded().await.unwrap()).await;
    assert_eq!(first, again, "same seed, same requests failed");
    let failed = first.iter().filter(|&&s| s == 503).count();
    assert!((8..=32).contains(&failed), "{failed} of 40 failed");
    // Not every other request: somewhere two in a row share a fate.
    assert!(first.windows(2).any(|w| w[0] == w[1]), "{first:?}");

    let other = Sandbox::builder().fault_seed(7).start().await.unwrap();
    assert_ne!(first, statuses_under_half_failures(&other).await);
    let deterministic = Sandbox::builder()
        .deterministic(true)
        .start()
        .await
        .unwrap();
    assert_eq!(
        deterministic.faults().schedule(),
        FaultSchedule::Seeded(carbonext_sandbox::faults::DETERMINISTIC_FAULT_SEED)
    );
}

#[tokio::test]
async fn periodic_rate_limit_answers_429_with_retry_after() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    sandbox.faults().set_schedule(FaultSchedule::Periodic);
    sandbox.faults().rate_limit(0.2, 7);
    let mut limited = Vec::new();
    for i in 0..10 {
        let answer = caller.get("/v1/prices").await;
        if answer.status == 429 {
            answer.problem(429);
            assert_eq!(answer.headers["retry-after"], "7");
            limited.push(i);
        } else {
            assert_eq!(answer.status, 200);
        }
    }
    assert_eq!(limited, [4, 9]);
}

#[tokio::test]
async fn drop_before_handler_closes_the_connection_and_stores_nothing() {
    let sandbox = common::sandbox().await;
    let token = common::token(&sandbox).await;
    sandbox.faults().drop_before_handler(1.0);
    let result = http()
        .post(format!("{}/v1/orders", sandbox.api_url()))
        .bearer_auth(&token)
        .json(&json!({"vcuAmount": 1}))
        .send()
        .await;
    let error = result.expect_err("no response at all");
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert!(sandbox.orders_snapshot().is_empty());
    assert_eq!(sandbox.counters().operation("create_order"), 1);

    // Through the generated client too.
    let api = carbonext_api::Client::new(
        &sandbox.api_url(),
        carbonext_api::Hooks::none().with(common::Bearer(token)),
    );
    let error = api.list_orders().send().await.expect_err("dropped");
    assert!(
        matches!(error, carbonext_api::Error::CommunicationError(_)),
        "{error:?}"
    );

    sandbox.faults().clear();
    let caller = Caller::seeded(&sandbox).await;
    assert_eq!(caller.get("/v1/orders").await.status, 200);
}

#[tokio::test]
async fn drop_after_commit_stores_the_order_but_loses_the_response() {
    let sandbox = common::sandbox().await;
    let token = common::token(&sandbox).await;
    sandbox.faults().set_schedule(FaultSchedule::Periodic);
    sandbox.faults().drop_after_commit(0.5);
    let mut outcomes = Vec::new();
    for i in 0..4 {
        let result = http()
            .post(format!("{}/v1/orders", sandbox.api_url()))
            .bearer_auth(&token)
            .json(&json!({"vcuAmount": 1, "metaData": format!("attempt-{i}")}))
            .send()
            .await;
        outcomes.push(
            result
                .map(|r| r.status().as_u16())
                .map_err(|e| e.is_request()),
        );
    }
    assert_eq!(outcomes, [Ok(200), Err(true), Ok(200), Err(true)]);
    let stored = sandbox.orders_snapshot();
    assert_eq!(stored.len(), 4, "every order was committed");
    // The lost order is listed with its metaData, as the SDK's key lookup reads it.
    let caller = Caller::seeded(&sandbox).await;
    let page = caller.get("/v1/orders?sort-by=createdAt_desc").await.body;
    let lost: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["metaData"] == "attempt-1")
        .collect();
    assert_eq!(lost.len(), 1);
    // Other operations are not dropped by this fault.
    assert_eq!(caller.get("/v1/orders").await.status, 200);
}

#[tokio::test]
async fn faults_and_counters_are_reachable_over_http() {
    let sandbox = common::long_lived().await;
    let client = http();
    let base = sandbox.api_url();
    let settings: serde_json::Value = common::control_post(
        &sandbox,
        "/__sandbox/faults",
        Some(json!({"failShare": {"status": 502, "share": 1.0}, "latencyMs": 1})),
    )
    .await;
    assert_eq!(settings["failShare"]["status"], 502);
    let caller = Caller::seeded(&sandbox).await;
    caller.get("/v1/orders").await.problem(502);

    client
        .post(format!("{base}/__sandbox/faults"))
        .json(&json!({"clear": true, "revokeAllTokens": true}))
        .send()
        .await
        .unwrap();
    caller.get("/v1/orders").await.problem(401);

    let counters: carbonext_sandbox::Counters =
        common::control_get(&sandbox, "/__sandbox/counters").await;
    assert_eq!(counters.operation("list_orders"), 2);
    assert_eq!(counters.expired_token_rejections(), 1);
    assert_eq!(counters, sandbox.counters());

    let before = sandbox.now();
    let now: serde_json::Value = common::control_post(
        &sandbox,
        "/__sandbox/clock/advance",
        Some(json!({"seconds": 86_400})),
    )
    .await;
    assert!(now["now"].is_string());
    assert!(sandbox.now() - before >= chrono::Duration::days(1));

    let bad = client
        .post(format!("{base}/__sandbox/faults"))
        .json(&json!({"nonsense": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let sandbox = common::sandbox().await;
    let url = format!("{}/v1/resources", sandbox.api_url());
    assert_eq!(http().get(&url).send().await.unwrap().status(), 200);
    sandbox.shutdown().await;
    assert!(http().get(&url).send().await.is_err());
}

#[tokio::test]
async fn a_pooled_client_does_not_silently_retry_a_dropped_request() {
    let sandbox = common::sandbox().await;
    let token = common::token(&sandbox).await;
    let pooled = reqwest::Client::new();
    let url = format!("{}/v1/orders", sandbox.api_url());
    let warm = pooled.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(warm.status(), 200);
    sandbox.faults().drop_after_commit(1.0);
    let result = pooled
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"vcuAmount": 1}))
        .send()
        .await;
    assert!(result.is_err());
    assert_eq!(sandbox.orders_snapshot().len(), 1, "committed exactly once");
    assert_eq!(sandbox.counters().operation("create_order"), 1);
}
