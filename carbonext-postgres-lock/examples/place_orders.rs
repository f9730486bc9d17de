//! Places one order per key given on the command line, all at once, each exactly-once across
//! every process that shares the PostgreSQL database at `CARBONEXT_LOCK_URL`; prints one JSON
//! line per placement (`key`, `status`: placed, existing or failed, `order_id`, `error`).
//!
//! The API and credentials come from `CARBONEXT_API_URL`, `CARBONEXT_AUTH_URL`,
//! `CARBONEXT_CLIENT_ID` and `CARBONEXT_CLIENT_SECRET`. A key may be given several times: its
//! placements then race, and one of them places the order.
//!
//! ```sh
//! CARBONEXT_LOCK_URL=postgres://orders@127.0.0.1/orders \
//!     cargo run -p carbonext-postgres-lock --example place_orders -- shipment_0001 shipment_0002
//! ```
//!
//! The crate's cross-process tests run two of these at once against one sandbox.

use carbonext_domain::VcuMarket;
use std::time::Duration;

use carbonext_domain::{Carbonext, NewOrder, OrderKey, RetryPolicy};
use carbonext_postgres_lock::PostgresKeyLock;
use futures::future::join_all;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys = std::env::args()
        .skip(1)
        .map(OrderKey::new)
        .collect::<Result<Vec<_>, _>>()?;
    let lock_url = std::env::var("CARBONEXT_LOCK_URL")?;
    let lock = PostgresKeyLock::from_url(&lock_url)?.build();
    let carbonext = Carbonext::builder()
        .order_key_lock(lock)
        .retry_policy(RetryPolicy {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
            max_elapsed: Duration::from_secs(30),
        })
        .build()?;

    let placements = keys.into_iter().map(|key| {
        let carbonext = carbonext.clone();
        async move {
            let order = NewOrder::builder("1".parse().expect("a VCU amount"))
                .key(key.clone())
                .build()
                .expect("a valid order");
            (key, carbonext.place_order(order).await)
        }
    });
    for (key, placed) in join_all(placements).await {
        let line = match placed {
            Ok(placed) => serde_json::json!({
                "key": key.as_str(),
                "status": if placed.already_existed { "existing" } else { "placed" },
                "order_id": placed.order.id.to_string(),
            }),
            Err(err) => serde_json::json!({
                "key": key.as_str(),
                "status": "failed",
                "error": err.to_string(),
                "kind": err.kind(),
            }),
        };
        println!("{line}");
    }
    Ok(())
}
