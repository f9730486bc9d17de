//! P1 — overhead of the SDK: `VcuMarket::quote()` through `carbonext-domain` (token cache,
//! auth hook, retry wrapper, validated types) against a hand-written `reqwest` GET of the same
//! `/v1/prices?vcu-amount=1&target-currency=BRL` (its URL written per call from the amount and
//! currency, as a hand-written `quote(amount, currency)` must) with a bearer token and a serde
//! decode, on the same in-process sandbox, 1 and 64 requests in flight. The layer breakdown
//! also times the raw request with its URL written once (`0_raw_constant_url`).
//!
//! Ratio reported by `carbonext-bench-summary`: SDK throughput / raw throughput (target ≥ 0.95).

use std::sync::Arc;
use std::time::Duration;

use carbonext_bench::{
    connect, connect_with, one_vcu, run_concurrently, run_spawned, runtime, sandbox, RawPrices,
};
use carbonext_domain::{Currency, VcuMarket};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rust_decimal::Decimal;

/// Requests per iteration at 64 in flight.
const BATCH: usize = 512;

/// Rounds of the interleaved comparison.
const INTERLEAVED_ROUNDS: usize = 61;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn overhead(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(sandbox());
    let raw = rt.block_on(RawPrices::new(&sandbox));
    // The facade as a user gets it: its own default HTTP client (10 s to connect) and its
    // 30 s limit per attempt. The layer table also runs it on the raw baseline's client.
    let sdk = connect(&sandbox, 4);
    // Warm both: token cached, connections open.
    rt.block_on(async {
        sdk.quote(one_vcu(), Currency::Brl).await.expect("quote");
        raw.quote(Decimal::ONE, "BRL").await;
    });

    let mut group = c.benchmark_group("p1_quote_c1");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::from_parameter("raw"), |b| {
        b.to_async(&rt).iter(|| raw.quote(Decimal::ONE, "BRL"));
    });
    group.bench_function(BenchmarkId::from_parameter("sdk"), |b| {
        b.to_async(&rt)
            .iter(|| async { sdk.quote(one_vcu(), Currency::Brl).await.expect("quote") });
    });
    group.finish();

    layers(&rt, &sandbox, &raw, &sdk);

    let sdk = Arc::new(sdk);
    let raw = Arc::new(raw);
    let mut group = c.benchmark_group("p1_quote_c64");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(BenchmarkId::from_parameter("raw"), |b| {
        b.to_async(&rt).iter(|| {
            run_concurrently(BATCH, 64, |_| {
                let raw = Arc::clone(&raw);
                async move {
                    raw.quote(Decimal::ONE, "BRL").await;
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

    // The same comparison, interleaved round by round, so that a burst of load from elsewhere
    // on the machine hits every side alike; the order of the sides rotates every round.
    // Two SDK sides: the facade on the raw baseline's `reqwest::Client` (same pooled
    // connections, so the difference is the SDK's code alone: the P1 figure), and the facade
    // on its own default client (a second set of connections, whose placement on the
    // runtime's two workers differs from the baseline's from run to run).
    let shared = Arc::new(connect_with(&sandbox, 4, raw.http().clone()));
    rt.block_on(async { shared.quote(one_vcu(), Currency::Brl).await.expect("quote") });
    let mut figures = serde_json::Map::new();
    for (in_flight, calls) in [(1usize, 200usize), (64, BATCH)] {
        // raw, SDK on the shared client, SDK on its own client
        let mut times: [Vec<f64>; 3] = Default::default();
        for round in 0..INTERLEAVED_ROUNDS {
            for step in 0..3 {
                let side = (round + step) % 3;
                let (raw, shared, sdk) = (Arc::clone(&raw), Arc::clone(&shared), Arc::clone(&sdk));
                let elapsed = rt
                    .block_on(run_spawned(calls, in_flight, move || {
                        let (raw, shared, sdk) =
                            (Arc::clone(&raw), Arc::clone(&shared), Arc::clone(&sdk));
                        async move {
                            match side {
                                0 => {
                                    raw.quote(Decimal::ONE, "BRL").await;
                                }
                                1 => {
                                    shared.quote(one_vcu(), Currency::Brl).await.expect("quote");
                                }
                                _ => {
                                    sdk.quote(one_vcu(), Currency::Brl).await.expect("quote");
                                }
                            }
                        }
                    }))
                    .as_secs_f64();
                times[side].push(elapsed);
            }
        }
        // Paired: each round's SDK time against the same round's raw time (run back to back,
        // so under the same load from elsewhere), then the median over rounds.
        let mut shared_ratios: Vec<f64> = (0..INTERLEAVED_ROUNDS)
            .map(|r| times[0][r] / times[1][r])
            .collect();
        let mut own_ratios: Vec<f64> = (0..INTERLEAVED_ROUNDS)
            .map(|r| times[0][r] / times[2][r])
            .collect();
        let [raw_times, shared_times, own_times] = &mut times;
        let raw_median = median(raw_times);
        let sdk_median = median(shared_times);
        let own_median = median(own_times);
        figures.insert(
            format!("c{in_flight}"),
            serde_json::json!({
                "rounds": INTERLEAVED_ROUNDS,
                "calls_per_round": calls,
                "raw_median_secs": raw_median,
                "sdk_median_secs": sdk_median,
                "sdk_own_client_median_secs": own_median,
                "raw_req_per_sec": calls as f64 / raw_median,
                "sdk_req_per_sec": calls as f64 / sdk_median,
                "sdk_own_client_req_per_sec": calls as f64 / own_median,
                "ratio": median(&mut shared_ratios),
                "ratio_own_client": median(&mut own_ratios),
                "ratio_of_medians": raw_median / sdk_median,
            }),
        );
    }
    carbonext_bench::record("p1_interleaved", serde_json::Value::Object(figures));

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

/// Sets a fixed `Authorization` header: the generated client's layer, without `carbonext-auth`.
struct StaticBearer(reqwest::header::HeaderValue);

impl carbonext_api::RequestHook for StaticBearer {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _info: &'a carbonext_api::OperationInfo,
    ) -> futures::future::BoxFuture<'a, Result<(), carbonext_api::HookError>> {
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, self.0.clone());
        Box::pin(async { Ok(()) })
    }
}

/// Every layer between the raw request and the facade, to see where the SDK's time goes.
struct Layers {
    raw: RawPrices,
    generated: carbonext_api::Client,
    authenticated: carbonext_api::Client,
    sdk_on_raw_http: carbonext_domain::Carbonext,
    sdk: carbonext_domain::Carbonext,
}

const LAYERS: [&str; 7] = [
    "0_raw_constant_url",
    "1_raw",
    "2_raw_in_one_timeout",
    "3_generated_client",
    "4_authenticated_client",
    "5_sdk_on_the_raw_client",
    "6_sdk",
];

/// Index in [`LAYERS`] of P1's baseline, `1_raw`, the layer the others are compared with.
const BASELINE_LAYER: usize = 1;

impl Layers {
    async fn call(&self, layer: &str) {
        let amount: carbonext_api::DecimalText = "1".parse().expect("decimal");
        match layer {
            "0_raw_constant_url" => {
                self.raw.quote_constant_url().await;
            }
            "1_raw" => {
                self.raw.quote(Decimal::ONE, "BRL").await;
            }
            "2_raw_in_one_timeout" => {
                // One tokio timer per call: how the facade bounds each attempt
                // (`tokio::time::timeout_at`).
                tokio::time::timeout(Duration::from_secs(30), self.raw.quote(Decimal::ONE, "BRL"))
                    .await
                    .expect("within 30 s");
            }
            "3_generated_client" | "4_authenticated_client" => {
                let client = if layer == "3_generated_client" {
                    &self.generated
                } else {
                    &self.authenticated
                };
                client
                    .get_price()
                    .vcu_amount(amount)
                    .target_currency(carbonext_api::Currency::Brl)
                    .send()
                    .await
                    .expect("price");
            }
            "5_sdk_on_the_raw_client" => {
                self.sdk_on_raw_http
                    .quote(one_vcu(), Currency::Brl)
                    .await
                    .expect("quote");
            }
            _ => {
                self.sdk
                    .quote(one_vcu(), Currency::Brl)
                    .await
                    .expect("quote");
            }
        }
    }
}

/// Where the SDK's time goes: the same price request through each layer, at 1 and 64 in
/// flight, interleaved (context for the P1 ratio, not a target).
fn layers(
    rt: &tokio::runtime::Runtime,
    sandbox: &carbonext_sandbox::Sandbox,
    raw: &RawPrices,
    sdk: &carbonext_domain::Carbonext,
) {
    let bearer = raw.authorization().to_owned();
    // Layers 0–5 share the raw baseline's `reqwest::Client` (same pooled connections), so
    // their steps are the SDK's code alone; layer 2 adds the facade's per-attempt time limit
    // to the raw request and layer 6 is the facade as shipped, on its own client.
    let layers = Arc::new(Layers {
        raw: raw.clone(),
        generated: carbonext_api::Client::new_with_client(
            &sandbox.api_url(),
            raw.http().clone(),
            carbonext_api::Hooks::none().with(StaticBearer(bearer.parse().expect("header value"))),
        ),
        authenticated: carbonext_auth::authenticated_client(
            carbonext_auth::Credentials::new(sandbox.client_id(), sandbox.client_secret()),
            &carbonext_auth::Environment::custom(sandbox.api_url(), sandbox.token_url()),
            Some(raw.http().clone()),
        ),
        sdk_on_raw_http: connect_with(sandbox, 4, raw.http().clone()),
        sdk: sdk.clone(),
    });
    rt.block_on(async {
        for layer in LAYERS {
            layers.call(layer).await;
        }
    });

    // Interleaved round by round over the layers (criterion's one-after-the-other groups
    // swing by ±20% on this shared machine, more than the differences sought).
    let mut figures = serde_json::Map::new();
    for (in_flight, calls) in [(1usize, 200usize), (64, BATCH)] {
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); LAYERS.len()];
        for _ in 0..INTERLEAVED_ROUNDS {
            for (i, layer) in LAYERS.iter().enumerate() {
                let layers = Arc::clone(&layers);
                let elapsed = rt.block_on(run_spawned(calls, in_flight, move || {
                    let layers = Arc::clone(&layers);
                    async move { layers.call(layer).await }
                }));
                times[i].push(elapsed.as_secs_f64());
            }
        }
        let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
        let per_layer: serde_json::Map<String, serde_json::Value> = LAYERS
            .iter()
            .zip(&medians)
            .map(|(layer, m)| {
                (
                    (*layer).to_owned(),
                    serde_json::json!({
                        "median_secs": m,
                        "req_per_sec": calls as f64 / m,
                        "throughput_vs_raw": medians[BASELINE_LAYER] / m,
                    }),
                )
            })
            .collect();
        figures.insert(
            format!("c{in_flight}"),
            serde_json::Value::Object(per_layer),
        );
    }
    carbonext_bench::record("p1_layers", serde_json::Value::Object(figures));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = overhead
}
criterion_main!(benches);
