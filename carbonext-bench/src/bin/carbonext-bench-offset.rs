//! `carbonext-bench-offset ROWS CONCURRENCY PREFIX`: offsets `ROWS` generated shipments
//! (keys `PREFIX_000000`…, a few tCO2eq each, every fifth a flight) through
//! `Carbonext::offset_batch` against the API at `CARBONEXT_API_URL` / `CARBONEXT_AUTH_URL`
//! (credentials `CARBONEXT_CLIENT_ID` / `CARBONEXT_CLIENT_SECRET`), and prints one JSON line:
//! rows, each status's count, the peak of live heap bytes (a counting allocator) and the
//! process's peak RSS (`VmHWM`). Items are generated as the batch pulls them, as a file read
//! row by row would be, so both peaks show whether memory grows with the rows.

use std::collections::BTreeMap;

use carbonext_bench::counting;
use carbonext_domain::calculator::{Route, TransportId};
use carbonext_domain::offset::{EmissionSource, OffsetRequest};
use carbonext_domain::{Carbonext, Decimal, OrderKey};
use futures::StreamExt;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// Shipment `n` of the generated input.
fn shipment(prefix: &str, n: usize) -> OffsetRequest {
    let source = if n % 5 == 4 {
        EmissionSource::route(
            TransportId::PASSENGER_AIRPLANE,
            Route::air("GRU", "GIG").expect("valid codes"),
            Decimal::from(1 + n % 3),
        )
    } else {
        EmissionSource::tonnes(Decimal::new(1 + n as i64 % 5000, 3))
    }
    .expect("valid source");
    let key = OrderKey::new(format!("{prefix}_{n:07}")).expect("valid key");
    OffsetRequest::builder(source, key)
        .build()
        .expect("valid request")
}

fn vm_hwm_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: carbonext-bench-offset ROWS CONCURRENCY PREFIX";
    let rows: usize = args.next().ok_or(usage)?.parse()?;
    let concurrency: usize = args.next().ok_or(usage)?.parse()?;
    let prefix = args.next().ok_or(usage)?;
    let carbonext = Carbonext::from_env()?;
    carbonext.authenticate().await?;

    let baseline = counting::reset_peak();
    let started = std::time::Instant::now();
    let items = futures::stream::iter(0..rows).map(move |n| shipment(&prefix, n));
    let mut results = Box::pin(carbonext.offset_batch(items, concurrency));
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut next = 0;
    while let Some(item) = results.next().await {
        assert_eq!(item.index, next, "results come in input order");
        next += 1;
        let status = match &item.result {
            Ok(offset) => offset.outcome.as_str().to_owned(),
            Err(error) => format!("failed: {}", error.kind()),
        };
        *statuses.entry(status).or_default() += 1;
    }
    let elapsed = started.elapsed();
    let peak_heap = counting::peak().saturating_sub(baseline);
    println!(
        "{}",
        serde_json::json!({
            "rows": rows,
            "concurrency": concurrency,
            "statuses": statuses,
            "seconds": elapsed.as_secs_f64(),
            "peak_heap_bytes": peak_heap,
            "peak_rss_kib": vm_hwm_kib(),
        })
    );
    Ok(())
}
