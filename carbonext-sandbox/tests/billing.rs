//! Orders move as the docs describe the postpaid model: billed into a pending invoice when the
//! sandbox clock passes the end of their month, paid with that invoice, and every change in
//! the sandbox's own record of transitions; a state file keeps all of it.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use carbonext_sandbox::{PaymentError, Sandbox};
use common::{dec, Caller};
use serde_json::{json, Value};

const DAY: u64 = 86_400;

/// A deterministic sandbox (2024-01-15T12:00:00Z) whose clock moves only when told, with
/// tokens that outlive the jumps.
async fn frozen() -> Sandbox {
    Sandbox::builder()
        .deterministic(true)
        .frozen_clock(true)
        .token_lifetime(Duration::from_secs(365 * DAY))
        .start()
        .await
        .expect("sandbox starts")
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn statuses(page: &Value) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| (id(o), o["status"].as_str().expect("status").to_owned()))
        .collect()
}

#[tokio::test]
async fn a_postpaid_order_is_billed_when_the_clock_passes_the_end_of_its_month() {
    let sandbox = frozen().await;
    let caller = Caller::seeded(&sandbox).await;
    let postpaid = caller.order(json!({"vcuAmount": 2})).await;
    let other = caller.order(json!({"vcuAmount": "0.25"})).await;
    let usd = caller
        .order(json!({"vcuAmount": 1, "targetCurrency": "USD"}))
        .await;
    let paid = caller
        .order(json!({"vcuAmount": 1, "payWithBalance": true}))
        .await;
    let cancelled = caller.order(json!({"vcuAmount": 3})).await;
    let answer = caller
        .post(
            &format!("/v1/orders/{}/cancel", id(&cancelled)),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // 2024-01-31T23:59:59Z: still January, nothing billed.
    sandbox.advance_clock(Duration::from_secs(16 * DAY + 11 * 3600 + 59 * 60 + 59));
    let page = caller.get("/v1/orders?page-size=100").await.body;
    assert!(statuses(&page).iter().all(|(_, status)| status != "Billed"));
    assert_eq!(
        sandbox.invoices_snapshot().len(),
        1,
        "the seeded invoice only"
    );

    // One second later the month is over; a read (a GET) is enough to see it billed.
    sandbox.advance_clock(Duration::from_secs(1));
    let page = caller.get("/v1/orders?page-size=100").await.body;
    let by_id: std::collections::HashMap<String, String> = statuses(&page).into_iter().collect();
    assert_eq!(by_id[&id(&postpaid)], "Billed");
    assert_eq!(by_id[&id(&other)], "Billed");
    assert_eq!(by_id[&id(&usd)], "Billed");
    assert_eq!(
        by_id[&id(&paid)],
        "Paid",
        "paid with the balance: never billed"
    );
    assert_eq!(by_id[&id(&cancelled)], "Cancelled");

    // One pending invoice per currency, created at the month's end, amounts summed exactly.
    let invoices = caller
        .get("/v1/invoices?filter-by=status_eq:Pending&sort-by=totalVcuAmount_desc")
        .await
        .body;
    let items = invoices["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{invoices}");
    let brl = &items[0];
    assert_eq!(brl["currency"], "BRL");
    assert_eq!(dec(&brl["totalVcuAmount"]), "2.25");
    assert_eq!(dec(&brl["totalPrice"]), "247.5000");
    assert_eq!(brl["createdAt"], "2024-02-01T00:00:00.0000000Z");
    assert_eq!(brl["paidAt"], Value::Null);
    assert_eq!(items[1]["currency"], "USD");
    assert_eq!(dec(&items[1]["totalPrice"]), "20.50");

    // The order names its invoice, and the documented `invoiceId_eq` lists its orders.
    let brl_id = id(brl);
    let billed: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["id"] == postpaid["id"])
        .collect();
    assert_eq!(billed[0]["invoices"], json!([{ "id": brl_id }]));
    let of_invoice = caller
        .get(&format!(
            "/v1/orders?filter-by=invoiceId_eq:{brl_id}&sort-by=createdAt_asc"
        ))
        .await
        .body;
    assert_eq!(
        statuses(&of_invoice),
        [
            (id(&postpaid), "Billed".to_owned()),
            (id(&other), "Billed".to_owned())
        ]
    );

    // A billed order is no longer Issued: it cannot be cancelled.
    caller
        .post(&format!("/v1/orders/{}/cancel", id(&postpaid)), json!(null))
        .await
        .problem(409);

    // The balance: billed orders are debt, nothing is future debt any more.
    let balance = caller.get("/v1/customers/balance").await.body;
    let vcu = &balance["balancesByCurrency"][0]["vcuBalance"];
    assert_eq!(dec(&vcu["debt"]), "3.25");
    assert_eq!(dec(&vcu["futureDebt"]), "0");
}

#[tokio::test]
async fn paying_an_invoice_pays_its_orders_once() {
    let sandbox = frozen().await;
    let caller = Caller::seeded(&sandbox).await;
    let first = caller.order(json!({"vcuAmount": 2})).await;
    let second = caller.order(json!({"vcuAmount": 1})).await;
    // Through the control path, as a script would move the clock.
    let now: Value = common::control_post(
        &sandbox,
        "/__sandbox/clock/advance",
        Some(json!({"seconds": 20 * DAY})),
    )
    .await;
    assert_eq!(now["now"], "2024-02-04T12:00:00.0000000Z");
    let invoices: Vec<Value> = common::control_get(&sandbox, "/__sandbox/invoices").await;
    let pending: Vec<&Value> = invoices
        .iter()
        .filter(|i| i["status"] == "Pending")
        .collect();
    assert_eq!(pending.len(), 1);
    let invoice_id = id(pending[0]);

    sandbox.advance_clock(Duration::from_secs(3600));
    let paid: Value = common::control_post(
        &sandbox,
        &format!("/__sandbox/invoices/{invoice_id}/pay"),
        None,
    )
    .await;
    assert_eq!(paid["status"], "Paid");
    assert_eq!(paid["paidAt"], "2024-02-04T13:00:00.0000000Z");

    let of_invoice = caller
        .get(&format!("/v1/orders?filter-by=invoiceId_eq:{invoice_id}"))
        .await
        .body;
    let items = of_invoice["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for order in items {
        assert_eq!(order["status"], "Paid");
        assert_eq!(order["paymentDate"], "2024-02-04T13:00:00.0000000Z");
    }
    let invoice = caller.get(&format!("/v1/invoices/{invoice_id}")).await.body;
    assert_eq!(invoice["status"], "Paid");

    // Paid once: again is a 409, an unknown invoice a 404, through either door.
    let again = common::http()
        .post(format!(
            "{}/__sandbox/invoices/{invoice_id}/pay",
            sandbox.api_url()
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), 409);
    let unknown = uuid::Uuid::from_u128(7);
    assert_eq!(
        sandbox.pay_invoice(unknown),
        Err(PaymentError::NotFound(unknown))
    );
    assert!(matches!(
        sandbox.pay_invoice(invoice_id.parse().unwrap()),
        Err(PaymentError::NotPending { .. })
    ));

    // The sandbox's record of transitions: each order's statuses, with when.
    let histories = sandbox.order_histories();
    for order in [&first, &second] {
        let (_, history) = histories
            .iter()
            .find(|(order_id, _)| order_id.to_string() == id(order))
            .expect("recorded");
        let steps: Vec<(String, String)> = history
            .iter()
            .map(|c| (c.status.to_string(), c.at.to_rfc3339()))
            .collect();
        assert_eq!(
            steps,
            [
                ("Issued".to_owned(), "2024-01-15T12:00:00+00:00".to_owned()),
                ("Billed".to_owned(), "2024-02-01T00:00:00+00:00".to_owned()),
                ("Paid".to_owned(), "2024-02-04T13:00:00+00:00".to_owned()),
            ]
        );
    }
}

#[tokio::test]
async fn each_month_is_billed_into_its_own_invoice_and_cancellations_are_recorded() {
    let sandbox = frozen().await;
    let caller = Caller::seeded(&sandbox).await;
    let january = caller.order(json!({"vcuAmount": 1})).await;
    let cancelled = caller.order(json!({"vcuAmount": 1})).await;
    caller
        .post(
            &format!("/v1/orders/{}/cancel", id(&cancelled)),
            json!(null),
        )
        .await;
    sandbox.advance_clock(Duration::from_secs(30 * DAY)); // 2024-02-14
    let february = caller.order(json!({"vcuAmount": 4})).await;
    sandbox.advance_clock(Duration::from_secs(60 * DAY)); // 2024-04-14: two month ends later

    let invoices: Vec<_> = sandbox
        .invoices_snapshot()
        .into_iter()
        .filter(|i| i.status.as_str() == "Pending")
        .collect();
    assert_eq!(invoices.len(), 2);
    assert_eq!(
        invoices
            .iter()
            .map(|i| i.created_at.as_ref().unwrap().as_str().to_owned())
            .collect::<Vec<_>>(),
        [
            "2024-02-01T00:00:00.0000000Z",
            "2024-03-01T00:00:00.0000000Z"
        ]
    );
    let orders = sandbox.orders_snapshot();
    let invoice_of = |order: &Value| {
        orders
            .iter()
            .find(|o| o.id.to_string() == id(order))
            .map(|o| o.invoices.clone())
            .unwrap()
    };
    assert_eq!(invoice_of(&january), [json!({"id": invoices[0].id})]);
    assert_eq!(invoice_of(&february), [json!({"id": invoices[1].id})]);
    assert_eq!(invoice_of(&cancelled), Vec::<Value>::new());

    let histories = sandbox.order_histories();
    let statuses_of = |order: &Value| -> Vec<String> {
        histories
            .iter()
            .find(|(order_id, _)| order_id.to_string() == id(order))
            .map(|(_, h)| h.iter().map(|c| c.status.to_string()).collect())
            .unwrap()
    };
    assert_eq!(statuses_of(&cancelled), ["Issued", "Cancelled"]);
    assert_eq!(statuses_of(&february), ["Issued", "Billed"]);
}

fn state_path(name: &str) -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sandbox-billing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    folder.join("sandbox.json")
}

#[tokio::test]
async fn the_state_file_keeps_invoices_payments_and_histories() {
    let path = state_path("keeps");
    let first = Sandbox::builder()
        .deterministic(true)
        .state_file(&path)
        .token_lifetime(Duration::from_secs(365 * DAY))
        .start()
        .await
        .expect("starts");
    let caller = Caller::seeded(&first).await;
    caller.order(json!({"vcuAmount": 2})).await;
    caller.order(json!({"vcuAmount": 1})).await;
    first.advance_clock(Duration::from_secs(20 * DAY));
    let pending = first
        .invoices_snapshot()
        .into_iter()
        .find(|i| i.status.as_str() == "Pending")
        .expect("billed");
    first.pay_invoice(pending.id).expect("paid");
    first.save_state().await.expect("saved");
    let (orders, invoices, histories) = (
        first.orders_snapshot(),
        first.invoices_snapshot(),
        first.order_histories(),
    );
    first.shutdown().await;

    let second = Sandbox::builder()
        .deterministic(true)
        .state_file(&path)
        .start()
        .await
        .expect("starts again");
    assert_eq!(second.orders_snapshot(), orders);
    assert_eq!(second.invoices_snapshot(), invoices);
    assert_eq!(second.order_histories(), histories);
    assert!(histories.iter().all(
        |(_, h)| h.iter().map(|c| c.status.as_str()).collect::<Vec<_>>()
            == ["Issued", "Billed", "Paid"]
    ));
}

/// Time that simply passed bills too: a state saved in January 2024 and opened today (its
/// clock restored to the wall clock) finds its postpaid order billed, stamped with the end
/// of January, not with the moment it was noticed.
#[tokio::test]
async fn orders_of_a_month_that_ended_while_nobody_looked_are_billed_at_its_end() {
    let path = state_path("passed");
    let first = Sandbox::builder()
        .deterministic(true)
        .state_file(&path)
        .start()
        .await
        .expect("starts");
    Caller::seeded(&first)
        .await
        .order(json!({"vcuAmount": 2}))
        .await;
    first.shutdown().await;

    let later = Sandbox::builder()
        .state_file(&path)
        .start()
        .await
        .expect("starts again");
    assert!(later.now().timestamp() > 1_706_745_600, "the wall clock");
    let orders = later.orders_snapshot();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].status.as_str(), "Billed");
    let (_, history) = &later.order_histories()[0];
    assert_eq!(history[1].at.to_rfc3339(), "2024-02-01T00:00:00+00:00");
}
