//! Exactly-once on the API as documented: the key lookup against a sandbox that grants only
//! the documented order filters (its default), counted by the sandbox.

mod common;

use std::time::Duration;

use carbonext_api::operations;
use carbonext_domain::offset::{EmissionSource, OffsetOutcome, OffsetRequest};
use carbonext_domain::{Decimal, Ledger, NewOrder, OrderKey, OrderQuery, VcuMarket};
use futures::StreamExt;

const DAY: Duration = Duration::from_secs(86_400);

fn keyed(key: &str) -> NewOrder {
    NewOrder::builder("1".parse().unwrap())
        .key(OrderKey::new(key).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_sandbox_grants_no_metadata_filter_by_default() {
    let sandbox = common::sandbox().await;
    if common::metadata_filter() {
        return; // this run asked for an API that offers it
    }
    assert!(!sandbox.metadata_filter());
    let carbonext = common::connect(&sandbox);
    let refused = carbonext
        .raw()
        .list_orders()
        .filter_by("metaData_like:anything")
        .send()
        .await
        .expect_err("not a documented filter");
    let carbonext_api::Error::ErrorResponse(answer) = refused else {
        panic!("expected a 400 problem, got {refused:?}")
    };
    assert_eq!(answer.status().as_u16(), 400);
    assert!(format!("{:?}", answer.into_inner()).contains("metaData_like"));
}

#[tokio::test]
async fn a_key_inside_the_window_is_found_and_one_older_than_it_is_placed_again() {
    let sandbox = common::sandbox().await;
    if common::metadata_filter() {
        return; // the filter finds keys of any age: the window is documented mode's
    }
    let first = common::connect(&sandbox)
        .place_order(keyed("window_key_0001"))
        .await
        .unwrap();
    assert!(!first.already_existed);

    // 13 days later, a new client (a restarted service) finds it.
    sandbox.advance_clock(13 * DAY);
    let again = common::connect(&sandbox)
        .place_order(keyed("window_key_0001"))
        .await
        .unwrap();
    assert!(again.already_existed);
    assert_eq!(again.order.id, first.order.id);
    assert_eq!(sandbox.orders_snapshot().len(), 1);

    // 15 days after it, outside the 14-day lookback: nothing is guaranteed, and the key
    // places a new order — the window is real.
    sandbox.advance_clock(2 * DAY);
    let late = common::connect(&sandbox)
        .place_order(keyed("window_key_0001"))
        .await
        .unwrap();
    assert!(!late.already_existed);
    assert_ne!(late.order.id, first.order.id);

    // A longer lookback, set on the builder, finds the first again.
    let patient = common::builder(&sandbox)
        .key_lookback(30 * DAY)
        .build()
        .unwrap();
    let found = patient.place_order(keyed("window_key_0001")).await.unwrap();
    assert!(found.already_existed);
    assert_eq!(sandbox.orders_snapshot().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_rows_over_ten_thousand_orders_take_at_most_three_requests_each() {
    const EXISTING: usize = 10_000;
    const ROWS: usize = 1_000;
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    // Ten thousand orders already there (placed without keys, as another system would).
    futures::stream::iter(0..EXISTING)
        .map(|_| {
            let carbonext = carbonext.clone();
            async move {
                let order = NewOrder::builder("0.01".parse().unwrap()).build().unwrap();
                carbonext.place_order(order).await.unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;

    let fresh = common::connect(&sandbox);
    let before = sandbox.counters().total_api_requests();
    let item = |n: usize| {
        let tonnes = EmissionSource::tonnes(Decimal::new(1 + n as i64, 3)).unwrap();
        OffsetRequest::builder(tonnes, OrderKey::new(format!("steady_{n:05}")).unwrap())
            .build()
            .unwrap()
    };
    let results: Vec<_> = fresh
        .offset_batch(futures::stream::iter(0..ROWS).map(item), 32)
        .collect()
        .await;
    assert!(results.iter().all(|r| matches!(
        r.result.as_ref().map(|o| &o.outcome),
        Ok(OffsetOutcome::Placed(_))
    )));
    let counters = sandbox.counters();
    assert_eq!(
        sandbox.orders_snapshot().len(),
        EXISTING + ROWS,
        "every row placed once"
    );
    let total = counters.total_api_requests() - before;
    let first_scan = fresh.key_index_first_scan_requests();
    println!(
        "{ROWS} rows over {EXISTING} orders: {total} requests, first scan {first_scan}, \
         {:.3} per row after it",
        (total - first_scan) as f64 / ROWS as f64
    );
    if common::metadata_filter() {
        assert_eq!(first_scan, 1, "one page read before asking for the filter");
    } else {
        // Pages of 1,000 over the 10,000 orders of the window.
        assert_eq!(first_scan, 10);
    }
    // Three per row at most (look-up or a share of a refresh, quote, creation), plus the
    // one question about the allowed filters when the window holds more than a page.
    assert!(
        total - first_scan <= 3 * ROWS as u64 + 1,
        "{total} requests, first scan {first_scan}"
    );
    assert_eq!(
        counters.operation(operations::CREATE_ORDER.id),
        (EXISTING + ROWS) as u64
    );

    // A re-run by a fresh client: its first scan reads all 11,000 keyed orders, and the index
    // keeps the newest 5,000 whole, the 1,000 rows among them, so no row is listed again.
    let rerun = common::connect(&sandbox);
    let before = sandbox.counters().total_api_requests();
    let results: Vec<_> = rerun
        .offset_batch(futures::stream::iter(0..ROWS).map(item), 32)
        .collect()
        .await;
    assert!(results.iter().all(|r| matches!(
        r.result.as_ref().map(|o| &o.outcome),
        Ok(OffsetOutcome::Existing(_))
    )));
    let total = sandbox.counters().total_api_requests() - before;
    let first_scan = rerun.key_index_first_scan_requests();
    println!("re-run of {ROWS} rows: {total} requests, first scan {first_scan}");
    if common::metadata_filter() {
        // One filtered lookup per row, plus the page read before asking and the question.
        assert!(total <= ROWS as u64 + 2, "{total} requests");
    } else {
        assert_eq!(first_scan, 11);
        // Keys the first scan holds whole need no refresh: what is left is the lookups of
        // the first rows, made before the scan ended (a row listed again would cost one more
        // each).
        assert!(
            total - first_scan <= ROWS as u64 / 2,
            "{total} requests, first scan {first_scan}"
        );
    }
    assert_eq!(
        sandbox.counters().operation(operations::CREATE_ORDER.id),
        (EXISTING + ROWS) as u64,
        "the re-run placed nothing"
    );

    // The oldest order is in the index but not kept whole: a lookup of its key lists it
    // again by its creation day and VCU amount, and finds exactly it.
    let oldest = sandbox
        .orders_snapshot()
        .into_iter()
        .min_by_key(|o| o.created_at.as_ref().map(|t| t.utc()))
        .unwrap();
    let key = carbonext_domain::Order::from(oldest.clone())
        .order_key
        .expect("placed with a key");
    let found = rerun
        .orders_page(OrderQuery::new().key(&key), 1)
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|o| o.id.0).collect::<Vec<_>>(),
        vec![oldest.id]
    );
}

/// Refuses the second page of the newest orders while `refuse` is set: a refresh of the key
/// index that fails half-way.
struct FailSecondPage {
    refuse: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Debug)]
struct PageRefused;

impl std::fmt::Display for PageRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("second page refused by the test")
    }
}

impl std::error::Error for PageRefused {}

impl carbonext_api::RequestHook for FailSecondPage {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        info: &'a carbonext_api::OperationInfo,
    ) -> futures::future::BoxFuture<'a, Result<(), carbonext_api::HookError>> {
        let refuse = self.refuse.load(std::sync::atomic::Ordering::SeqCst)
            && info.operation_id == operations::LIST_ORDERS.id
            && request
                .url()
                .query_pairs()
                .any(|(name, value)| name == "page" && value == "2");
        Box::pin(async move {
            if refuse {
                Err(Box::new(PageRefused) as carbonext_api::HookError)
            } else {
                Ok(())
            }
        })
    }
}

#[tokio::test]
async fn a_refresh_that_fails_half_way_leaves_no_order_unseen_behind_it() {
    let sandbox = common::sandbox().await;
    if common::metadata_filter() {
        return; // no index to refresh
    }
    let refuse = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ours = common::builder(&sandbox)
        .hook(FailSecondPage {
            refuse: refuse.clone(),
        })
        .build()
        .unwrap();
    // Our index is filled (one order in the window).
    ours.place_order(keyed("ours_first_0001")).await.unwrap();

    // Another process places the key we are about to place, then 120 newer orders: a refresh
    // of pages of 100 reads the 100 newest, then the page holding that key's order.
    let other = common::connect(&sandbox);
    let theirs = other.place_order(keyed("shared_key_0001")).await.unwrap();
    sandbox.advance_clock(Duration::from_secs(1));
    for n in 0..120 {
        other
            .place_order(keyed(&format!("newer_key_{n:04}")))
            .await
            .unwrap();
    }

    refuse.store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = ours
        .place_order(keyed("shared_key_0001"))
        .await
        .expect_err("the refresh's second page is refused");
    assert_eq!(failed.kind(), "hook", "{failed:?}");
    assert_eq!(sandbox.orders_snapshot().len(), 122, "nothing placed");

    // The first page read by the failed refresh must not count as seen: the next refresh
    // reads down to the key's order again and finds it.
    refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    let again = ours.place_order(keyed("shared_key_0001")).await.unwrap();
    assert!(again.already_existed);
    assert_eq!(again.order.id, theirs.order.id);
    assert_eq!(sandbox.orders_snapshot().len(), 122, "no second order");
}
