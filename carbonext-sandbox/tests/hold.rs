//! Holds over real HTTP: requests of one operation kept until enough wait at once, released
//! together, bounded by a deadline on tokio's clock, and controlled through `/__sandbox/holds`.

mod common;

use std::time::Duration;

use carbonext_sandbox::hold::{HoldReport, ReleaseCause};
use common::Caller;
use serde_json::json;

const LONG: Duration = Duration::from_secs(600);

#[tokio::test]
async fn order_lists_wait_until_the_count_arrives_then_go_together() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    sandbox.holds().hold_order_lists(2, LONG);

    let first = {
        let caller = caller.clone();
        tokio::spawn(async move { caller.get("/v1/orders").await.status })
    };
    let waiting = sandbox.holds().held("list_orders", 1).await.unwrap();
    assert_eq!((waiting.held, waiting.released_by), (1, None));
    assert!(!first.is_finished(), "the first list waits for the second");
    // Any query is held: the key lookup may filter on metaData or scan by date.
    let second = caller
        .get("/v1/orders?filter-by=createdAt_ge:2020-01-01&page-size=50")
        .await;

    assert_eq!(second.status, 200);
    assert_eq!(first.await.unwrap(), 200);
    let report = sandbox.holds().report("list_orders").unwrap();
    assert_eq!(report.held_together, Some(2));
    assert_eq!(report.released_by, Some(ReleaseCause::Count));
    assert_eq!((report.arrived, report.held), (2, 0));

    // Spent: later lists pass at once.
    assert_eq!(caller.get("/v1/orders").await.status, 200);
    assert_eq!(sandbox.holds().report("list_orders").unwrap().arrived, 2);
    assert_eq!(sandbox.counters().operation("list_orders"), 3);
}

#[tokio::test]
async fn other_operations_pass_a_hold_on_order_lists() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    sandbox.holds().hold_order_lists(2, LONG);
    assert_eq!(caller.get("/v1/customers/balance").await.status, 200);
    caller.order(json!({"vcuAmount": 1})).await;
    let report = sandbox.holds().report("list_orders").unwrap();
    assert_eq!((report.arrived, report.released_by), (0, None));
}

#[tokio::test(start_paused = true)]
async fn a_hold_whose_count_never_arrives_lets_go_at_its_deadline() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    sandbox.holds().hold_order_lists(3, Duration::from_secs(30));
    let started = tokio::time::Instant::now();

    assert_eq!(caller.get("/v1/orders").await.status, 200);

    assert!(started.elapsed() >= Duration::from_secs(30));
    let report = sandbox.holds().report("list_orders").unwrap();
    assert_eq!(report.held_together, Some(1));
    assert_eq!(report.released_by, Some(ReleaseCause::Deadline));
}

#[tokio::test]
async fn a_held_request_goes_when_the_hold_is_released() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    assert!(sandbox.holds().hold("create_order", 2, LONG).is_some());
    let create = {
        let caller = caller.clone();
        tokio::spawn(async move { caller.post("/v1/orders", json!({"vcuAmount": 1})).await })
    };
    sandbox.holds().held("create_order", 1).await.unwrap();
    assert!(
        sandbox.orders_snapshot().is_empty(),
        "held before its handler"
    );

    let report = sandbox.holds().release("create_order").unwrap();
    assert_eq!(report.held_together, Some(1));
    assert_eq!(report.released_by, Some(ReleaseCause::Request));
    assert_eq!(create.await.unwrap().status, 200);
    assert_eq!(sandbox.orders_snapshot().len(), 1);
}

#[tokio::test]
async fn holds_are_set_read_and_released_through_the_control_paths() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    let set: HoldReport = common::control_post(
        &sandbox,
        "/__sandbox/holds",
        Some(json!({"operation": "list_orders", "count": 5, "maxWaitMs": 600000})),
    )
    .await;
    assert_eq!((set.operation.as_str(), set.count), ("list_orders", 5));

    let list = {
        let caller = caller.clone();
        tokio::spawn(async move { caller.get("/v1/orders").await.status })
    };
    sandbox.holds().held("list_orders", 1).await.unwrap();
    let reports: Vec<HoldReport> = common::control_get(&sandbox, "/__sandbox/holds").await;
    assert_eq!(reports.len(), 1);
    assert_eq!((reports[0].held, reports[0].arrived), (1, 1));

    let released: HoldReport = common::control_post(
        &sandbox,
        "/__sandbox/holds/release",
        Some(json!({"operation": "list_orders"})),
    )
    .await;
    assert_eq!(released.held_together, Some(1));
    assert_eq!(released.released_by, Some(ReleaseCause::Request));
    assert_eq!(list.await.unwrap(), 200);

    let unknown = common::http()
        .post(format!("{}/__sandbox/holds", sandbox.api_url()))
        .json(&json!({"operation": "no_such_call", "count": 1, "maxWaitMs": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}
