//! P4 — the emulator's speed: `GET /v1/prices` on the sandbox (token check, permission gate,
//! fault gate, counters, pricing, JSON) against a minimal axum handler returning the same JSON
//! bytes, both on 127.0.0.1, driven by the same in-process load generator (reqwest, 64
//! requests in flight, 1,024 requests per iteration, bearer token on every request).
//!
//! Ratio: sandbox requests/s ÷ minimal requests/s (target ≥ 0.5). The servers run on a
//! runtime of their own (one worker thread, named `p4-server`), so the server CPU time per
//! request is measured too, from `/proc/self/task/*/schedstat`: on 2 shared cores the
//! in-process load generator costs more than either server, which caps the throughput ratio
//! near 1; the CPU ratio shows the servers' own cost.

use std::sync::Arc;
use std::time::Duration;

use carbonext_bench::{minimal_prices_server, run_concurrently, runtime, sandbox, RawPrices};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const BATCH: usize = 1_024;
const IN_FLIGHT: usize = 64;
/// Interleaved rounds of the server CPU measurement.
const CPU_ROUNDS: usize = 9;

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

/// CPU time (ns) spent so far by this process's threads named `p4-server`.
fn server_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.trim() == "p4-server")
        })
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Server CPU per request (µs) over `rounds` batches, and the wall time.
fn cpu_per_request(rt: &tokio::runtime::Runtime, load: &Arc<Load>, rounds: usize) -> (f64, f64) {
    let cpu = server_cpu_ns();
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        rt.block_on(Arc::clone(load).batch());
    }
    let wall = started.elapsed().as_secs_f64();
    let requests = (rounds * BATCH) as f64;
    (
        (server_cpu_ns() - cpu) as f64 / 1e3 / requests,
        requests / wall,
    )
}

fn emulator(c: &mut Criterion) {
    let rt = runtime();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("p4-server")
        .enable_all()
        .build()
        .expect("server runtime");
    let sandbox = server_rt.block_on(sandbox());
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
    let minimal = server_rt.block_on(minimal_prices_server(body));
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

    // Interleaved, so that load from elsewhere hits both alike.
    let (mut minimal_cpu, mut sandbox_cpu) = (Vec::new(), Vec::new());
    for _ in 0..CPU_ROUNDS {
        minimal_cpu.push(cpu_per_request(&rt, &on_minimal, 4));
        sandbox_cpu.push(cpu_per_request(&rt, &on_sandbox, 4));
    }
    let median = |v: &mut Vec<(f64, f64)>, pick: fn(&(f64, f64)) -> f64| {
        let mut values: Vec<f64> = v.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let minimal_us = median(&mut minimal_cpu, |p| p.0);
    let sandbox_us = median(&mut sandbox_cpu, |p| p.0);
    carbonext_bench::record(
        "p4_server_cpu",
        serde_json::json!({
            "rounds": CPU_ROUNDS,
            "requests_per_round": 4 * BATCH,
            "minimal_cpu_us_per_request": minimal_us,
            "sandbox_cpu_us_per_request": sandbox_us,
            "minimal_req_per_sec": median(&mut minimal_cpu, |p| p.1),
            "sandbox_req_per_sec": median(&mut sandbox_cpu, |p| p.1),
            "ratio": minimal_us / sandbox_us,
            "method": "schedstat of the server runtime's thread (1 worker)",
        }),
    );
    server_rt.block_on(sandbox.shutdown());
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
