//! `carbonext-bench-watch [ORDERS] [OPEN] [INTERVAL_MS] [CHANGES]` (defaults 10000 10000 2000
//! 10): the order watcher (`Carbonext::watch_orders`) against an in-process sandbox holding
//! `ORDERS` orders, the last `OPEN` of them postpaid (`Issued`, tracked) and the others paid
//! from the balance, all created on one day, with 20 ms of injected latency per request.
//! Prints one JSON line (also recorded for `carbonext-bench-summary` as `p9_watch`):
//!
//! - the requests (the sandbox's count of `list_orders`) and wall time of the first poll and
//!   of steady polls;
//! - for `CHANGES` cancellations made at random moments between polls: the time from the
//!   cancellation's answer to the handler receiving its event (the detection delay), and the
//!   requests of the polls that saw them (a cancelled order is settled by its creation day,
//!   here every order's).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use carbonext_domain::events::{EventHandler, MemoryEventStore, OrderEvent, WatchOptions};
use carbonext_domain::{OrderId, VcuMarket};
use carbonext_sandbox::Sandbox;
use rust_decimal::Decimal;
use tokio::sync::mpsc;

/// Injected latency of every request, as in P3 and P6.
const LATENCY: Duration = Duration::from_millis(20);

/// Sends each event with the instant it arrived.
struct Arrivals(mpsc::UnboundedSender<(OrderEvent, Instant)>);

#[async_trait]
impl EventHandler for Arrivals {
    async fn handle(
        &self,
        event: &OrderEvent,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let _ = self.0.send((event.clone(), Instant::now()));
        Ok(())
    }
}

fn arg(position: usize, default: u64) -> u64 {
    std::env::args()
        .nth(position)
        .map(|a| a.parse().expect("a number"))
        .unwrap_or(default)
}

/// Places `count` orders, `paid` of them from the balance first, 32 in flight.
async fn seed(carbonext: &carbonext_domain::Carbonext, count: u64, paid: u64) -> Vec<OrderId> {
    use futures::StreamExt;
    futures::stream::iter(0..count)
        .map(|n| {
            let carbonext = carbonext.clone();
            async move {
                let body = carbonext_api::types::NewOrder {
                    certificate_recipient_info: None,
                    meta_data: None,
                    pay_with_balance: Some(n < paid),
                    target_currency: None,
                    vcu_amount: Decimal::new(1, 2).into(),
                };
                let order = carbonext.raw().create_order().body(body).send().await;
                OrderId(order.expect("order placed").into_inner().id)
            }
        })
        .buffered(32)
        .collect()
        .await
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let orders = arg(1, 10_000);
    let open = arg(2, orders).min(orders);
    let interval = Duration::from_millis(arg(3, 2_000));
    let changes = arg(4, 10).min(open);

    let sandbox = Sandbox::builder()
        .initial_vcu_credit(Decimal::from(orders))
        .token_lifetime(Duration::from_secs(86_400))
        .start()
        .await
        .expect("the sandbox starts");
    let carbonext = carbonext_bench::connect(&sandbox, 1);
    let ids = seed(&carbonext, orders, orders - open).await;
    sandbox.faults().set_latency(LATENCY);

    let (sender, mut arrivals) = mpsc::unbounded_channel();
    let (status_sender, mut status) = tokio::sync::watch::channel(Default::default());
    let options = WatchOptions::default()
        .interval(interval)
        .status(status_sender);
    let lists = || sandbox.counters().operation("list_orders");
    let before = lists();
    let watcher = tokio::spawn({
        let carbonext = carbonext.clone();
        async move {
            carbonext
                .watch_orders(options, MemoryEventStore::new(), Arrivals(sender))
                .await
        }
    });
    let first = status
        .wait_for(|s: &carbonext_domain::events::WatchStatus| s.polls >= 1)
        .await
        .expect("the watcher runs")
        .clone();
    let first_requests = lists() - before;

    // Steady polls: nothing changes.
    let mut steady = Vec::new();
    for _ in 0..3 {
        let (polls, before) = (status.borrow().polls, lists());
        let done = status
            .wait_for(|s| s.polls > polls)
            .await
            .expect("the watcher runs")
            .clone();
        steady.push((lists() - before, done.last_poll_time));
    }

    // Cancellations at random moments between polls; the delay until each is handed over.
    let mut delays = Vec::new();
    let mut detecting = Vec::new();
    for n in 0..changes {
        let pause = interval.mul_f64(((n * 7919) % 97) as f64 / 97.0);
        tokio::time::sleep(pause).await;
        let id = ids[(orders - 1 - n) as usize];
        carbonext.cancel_order(id).await.expect("cancelled");
        let cancelled = Instant::now();
        loop {
            let (event, at) = arrivals.recv().await.expect("the watcher runs");
            if event.order.id == id {
                delays.push(at - cancelled);
                break;
            }
        }
        let report = status.borrow().clone();
        detecting.push((report.last_poll_requests, report.last_poll_time));
    }
    watcher.abort();

    let mean = |values: &[Duration]| {
        values.iter().sum::<Duration>() / u32::try_from(values.len().max(1)).unwrap_or(1)
    };
    let steady_times: Vec<Duration> = steady.iter().map(|(_, t)| *t).collect();
    let detecting_times: Vec<Duration> = detecting.iter().map(|(_, t)| *t).collect();
    let summary = serde_json::json!({
        "orders": orders,
        "open": open,
        "intervalMs": interval.as_millis() as u64,
        "latencyMs": LATENCY.as_millis() as u64,
        "firstPoll": { "requests": first_requests, "ms": millis(first.last_poll_time) },
        "steadyPoll": {
            "requests": steady.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            "meanMs": millis(mean(&steady_times)),
        },
        "detectingPoll": {
            "requests": detecting.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            "meanMs": millis(mean(&detecting_times)),
        },
        "detectionDelayMs": {
            "mean": millis(mean(&delays)),
            "min": millis(delays.iter().min().copied().unwrap_or_default()),
            "max": millis(delays.iter().max().copied().unwrap_or_default()),
        },
    });
    println!("{summary}");
    carbonext_bench::record(&format!("p9_watch_{orders}_{open}"), summary);
}
