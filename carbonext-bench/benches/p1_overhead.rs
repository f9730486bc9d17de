//! P1 — overhead of the SDK: `VcuMarket::quote()` through `carbonext-domain` (token cache,
//! auth hook, retry wrapper, validated types) against a hand-written `reqwest` GET of the same
//! `/v1/prices?vcu-amount=1&target-currency=BRL` with a bearer token and a serde decode, on the
//! same in-process sandbox, 1 and 64 requests in flight.
//!
//! Ratio reported by `carbonext-bench-summary`: SDK throughput / raw throughput (target ≥ 0.95).

use std::sync::Arc;
use std::time::Duration;

use carbonext_bench::{connect, one_vcu, run_concurrently, runtime, sandbox, RawPrices};
use carbonext_domain::{Currency, VcuMarket};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// Requests per iteration at 64 in flight.
const BATCH: usize = 512;

fn overhead(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(sandbox());
    let sdk = connect(&sandbox, 4);
    let raw = rt.block_on(RawPrices::new(&sandbox));
    // Warm both: token cached, connections open.
    rt.block_on(async {
        sdk.quote(one_vcu(), Currency::Brl).await.expect("quote");
        raw.quote().await;
    });

    let mut group = c.benchmark_group("p1_quote_c1");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::from_parameter("raw"), |b| {
        b.to_async(&rt).iter(|| raw.quote());
    });
    group.bench_function(BenchmarkId::from_parameter("sdk"), |b| {
        b.to_async(&rt)
            .iter(|| async { sdk.quote(one_vcu(), Currency::Brl).await.expect("quote") });
    });
    group.finish();

    let sdk = Arc::new(sdk);
    let raw = Arc::new(raw);
    let mut group = c.benchmark_group("p1_quote_c64");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(BenchmarkId::from_parameter("raw"), |b| {
        b.to_async(&rt).iter(|| {
            run_concurrently(BATCH, 64, |_| {
                let raw = Arc::clone(&raw);
                async move {
                    raw.quote().await;
                }
            })
        });
    });
    group.bench_function(BenchmarkId::from_parameter("sdk"), |b| {
        b.to_async(&rt).iter(|| {
            run_concurrently(BATCH, 64, |_| {
                let sdk = Arc::clone(&sdk);
                async move {
                    sdk.quote(one_vcu(), Currency::Brl).await.expect("quote");
                }
            })
        });
    });
    group.finish();

    let counters = sandbox.counters();
    carbonext_bench::record(
        "p1_requests",
        serde_json::json!({
            "get_price": counters.operation("get_price"),
            "token_requests": counters.token_requests(),
        }),
    );
    rt.block_on(sandbox.shutdown());
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = overhead
}
criterion_main!(benches);
