//! P6 — offset batches (issue 17).
//!
//! - Throughput of `Carbonext::offset_batch` over 32 shipments (every fifth a flight, the rest
//!   known tonnes; each item is a key look-up, a quote, the placement's own look-up and the
//!   order: four requests, five for a flight) against a sandbox that delays every request by
//!   20 ms, at concurrency 1, 8 and 32. Ratios: time at 8 and at 32 / time at 1, same run.
//! - Peak memory of `carbonext-bench-offset` (its own process, counting allocator and VmHWM)
//!   offsetting 1,000 and 10,000 generated shipments without latency: flat means the
//!   10,000-row peak is about the 1,000-row one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use carbonext_bench::{connect, runtime, sandbox};
use carbonext_domain::calculator::{Route, TransportId};
use carbonext_domain::offset::{EmissionSource, OffsetOutcome, OffsetRequest};
use carbonext_domain::{Carbonext, Decimal, OrderKey};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use futures::StreamExt;

const ITEMS: usize = 32;
const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: [usize; 3] = [1, 8, 32];

/// Unique keys across every batch of the run (each batch places new orders).
static NEXT: AtomicUsize = AtomicUsize::new(0);

fn item(n: usize) -> OffsetRequest {
    let source = if n % 5 == 4 {
        EmissionSource::route(
            TransportId::PASSENGER_AIRPLANE,
            Route::air("GRU", "GIG").expect("codes"),
            Decimal::from(2),
        )
    } else {
        EmissionSource::tonnes(Decimal::new(1 + (n % 5000) as i64, 3))
    }
    .expect("source");
    OffsetRequest::builder(source, OrderKey::new(format!("p6_{n:09}")).expect("key"))
        .build()
        .expect("request")
}

async fn one_batch(carbonext: Carbonext, concurrency: usize) -> Duration {
    let first = NEXT.fetch_add(ITEMS, Ordering::Relaxed);
    let started = Instant::now();
    let placed = carbonext
        .offset_batch(
            futures::stream::iter(first..first + ITEMS).map(item),
            concurrency,
        )
        .filter(|item| {
            futures::future::ready(matches!(
                item.result.as_ref().map(|o| &o.outcome),
                Ok(OffsetOutcome::Placed(_))
            ))
        })
        .count()
        .await;
    assert_eq!(placed, ITEMS, "every item placed");
    started.elapsed()
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(sandbox());
    let carbonext = connect(&sandbox, 4);
    // Token and connections warm before the latency is switched on.
    rt.block_on(one_batch(carbonext.clone(), 32));
    sandbox.faults().set_latency(LATENCY);

    let times: Arc<Mutex<Vec<(usize, Duration)>>> = Arc::default();
    let mut group = c.benchmark_group("p6_offset_batch_32");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(ITEMS as u64));
    for concurrency in CONCURRENCY {
        group.bench_function(BenchmarkId::new("concurrency", concurrency), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let carbonext = carbonext.clone();
                let times = Arc::clone(&times);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let took = one_batch(carbonext.clone(), concurrency).await;
                        times.lock().expect("times").push((concurrency, took));
                        total += took;
                    }
                    total
                }
            });
        });
    }
    group.finish();
    sandbox.faults().clear();

    let times = times.lock().expect("times").clone();
    let median = |concurrency: usize| {
        let mut runs: Vec<Duration> = times
            .iter()
            .filter(|(c, _)| *c == concurrency)
            .map(|(_, t)| *t)
            .collect();
        runs.sort();
        runs[runs.len() / 2]
    };
    let base = median(1).as_secs_f64();
    let mut figures = serde_json::Map::new();
    for concurrency in CONCURRENCY {
        let t = median(concurrency).as_secs_f64();
        figures.insert(
            format!("concurrency_{concurrency}"),
            serde_json::json!({
                "median_batch_ms": t * 1e3,
                "items_per_s": ITEMS as f64 / t,
                "time_ratio_vs_1": t / base,
                "speedup_vs_1": base / t,
            }),
        );
    }
    figures.insert("items_per_batch".into(), ITEMS.into());
    figures.insert("latency_ms".into(), (LATENCY.as_millis() as u64).into());
    carbonext_bench::record("p6_offset_throughput", serde_json::Value::Object(figures));
    memory(&sandbox);
    rt.block_on(sandbox.shutdown());
}

/// Peak memory of a batch process over 1,000 and 10,000 rows.
fn memory(sandbox: &carbonext_sandbox::Sandbox) {
    // Built by cargo with this bench, in its profile (release).
    let program = env!("CARGO_BIN_EXE_carbonext-bench-offset");
    let mut figures = serde_json::Map::new();
    for (rows, prefix) in [(1_000usize, "mem_1k"), (10_000, "mem_10k")] {
        let summary = carbonext_bench::offset_batch_process(program, sandbox, rows, prefix);
        assert_eq!(summary["statuses"]["placed"], rows, "{summary}");
        figures.insert(format!("rows_{rows}"), summary);
    }
    carbonext_bench::record("p6_offset_memory", serde_json::Value::Object(figures));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = throughput
}
criterion_main!(benches);
