//! P4 — the emulator's speed: `GET /v1/prices` on the sandbox (token check, permission gate,
//! fault gate, counters, pricing, JSON) against a minimal axum handler returning the same JSON
//! bytes, both on 127.0.0.1, driven by the same in-process load generator (reqwest, 64
//! requests in flight, 1,024 requests per iteration, bearer token on every request).
//!
//! Ratio: sandbox requests/s ÷ minimal requests/s (target ≥ 0.5).

use std::sync::Arc;
use std::time::Duration;

use carbonext_bench::{minimal_prices_server, run_concurrently, runtime, sandbox, RawPrices};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const BATCH: usize = 1_024;
const IN_FLIGHT: usize = 64;

struct Load {
    http: reqwest::Client,
    url: String,
    authorization: String,
}

impl Load {
    async fn batch(self: Arc<Self>) {
        run_concurrently(BATCH, IN_FLIGHT, |_| {
            let load = Arc::clone(&self);
            async move {
                let body = load
                    .http
                    .get(&load.url)
                    .header(reqwest::header::AUTHORIZATION, &load.authorization)
                    .send()
                    .await
                    .expect("request")
                    .error_for_status()
                    .expect("200")
                    .bytes()
                    .await
                    .expect("body");
                assert!(!body.is_empty());
            }
        })
        .await;
    }
}

fn emulator(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(sandbox());
    let raw = rt.block_on(RawPrices::new(&sandbox));
    let http = reqwest::Client::new();
    let sandbox_url = format!("{}{}", sandbox.api_url(), carbonext_bench::PRICE_PATH);
    let body = rt.block_on(async {
        http.get(&sandbox_url)
            .header(reqwest::header::AUTHORIZATION, raw.authorization())
            .send()
            .await
            .expect("price")
            .bytes()
            .await
            .expect("body")
    });
    let minimal = rt.block_on(minimal_prices_server(body));
    let load = |url: String| {
        Arc::new(Load {
            http: http.clone(),
            url,
            authorization: raw.authorization().to_owned(),
        })
    };
    let on_sandbox = load(sandbox_url);
    let on_minimal = load(format!("http://{minimal}{}", carbonext_bench::PRICE_PATH));

    let mut group = c.benchmark_group("p4_prices");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(BenchmarkId::from_parameter("minimal_axum"), |b| {
        b.to_async(&rt).iter(|| Arc::clone(&on_minimal).batch());
    });
    group.bench_function(BenchmarkId::from_parameter("sandbox"), |b| {
        b.to_async(&rt).iter(|| Arc::clone(&on_sandbox).batch());
    });
    group.finish();
    rt.block_on(sandbox.shutdown());
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(15)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = emulator
}
criterion_main!(benches);
