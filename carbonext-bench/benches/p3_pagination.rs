//! P3 — pagination.
//!
//! - Streaming 10,000 orders (`Ledger::orders`, 100 per page, so 100 pages) from a sandbox that
//!   delays every request by 20 ms: bounded prefetch (4 pages ahead) against sequential paging
//!   (prefetch 1). Ratio: prefetch time / sequential time (target ≤ 0.35).
//! - Peak memory (RSS) of `carbonext orders export --format jsonl` over the same 10,000 orders,
//!   as a process of its own under `/usr/bin/time -v`, against the same binary's `price` (one
//!   call); and likewise for the library stream alone (`carbonext-bench-stream`). The CLI binary
//!   is `$CARBONEXT_BIN`, else `target/release/carbonext` (`cargo build --release -p
//!   carbonext-cli`); without it only the library stream is measured, and the summary says so.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use carbonext_bench::{connect, peak_rss_kib, runtime, sandbox, seed_orders, target_dir};
use carbonext_domain::{Ledger, OrderQuery};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use futures::StreamExt;

const ORDERS: usize = 10_000;
const LATENCY: Duration = Duration::from_millis(20);

fn pagination(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(sandbox());
    let seeded = Instant::now();
    rt.block_on(seed_orders(&connect(&sandbox, 4), ORDERS));
    println!("seeded {ORDERS} orders in {:?}", seeded.elapsed());

    let prefetching = connect(&sandbox, 4);
    let sequential = connect(&sandbox, 1);
    let count = |sdk: carbonext_domain::Carbonext| async move {
        let n = sdk
            .orders(OrderQuery::new())
            .map(|o| o.expect("order"))
            .count()
            .await;
        assert_eq!(n, ORDERS);
    };
    // Warm tokens and connections before the latency is switched on.
    rt.block_on(count(prefetching.clone()));
    rt.block_on(count(sequential.clone()));
    sandbox.faults().set_latency(LATENCY);

    let mut group = c.benchmark_group("p3_stream_10k");
    group.bench_function(BenchmarkId::from_parameter("sequential"), |b| {
        b.to_async(&rt).iter(|| count(sequential.clone()));
    });
    group.bench_function(BenchmarkId::from_parameter("prefetch_4"), |b| {
        b.to_async(&rt).iter(|| count(prefetching.clone()));
    });
    group.finish();
    sandbox.faults().clear();

    export_memory(&sandbox);
    rt.block_on(sandbox.shutdown());
}

fn export_memory(sandbox: &carbonext_sandbox::Sandbox) {
    let envs = [
        ("CARBONEXT_API_URL", sandbox.api_url()),
        ("CARBONEXT_AUTH_URL", sandbox.token_url()),
        ("CARBONEXT_CLIENT_ID", sandbox.client_id()),
        ("CARBONEXT_CLIENT_SECRET", sandbox.client_secret()),
        ("NO_COLOR", "1".to_owned()),
    ];
    let mut figures = serde_json::Map::new();
    figures.insert("orders".into(), ORDERS.into());

    let stream = PathBuf::from(env!("CARGO_BIN_EXE_carbonext-bench-stream"));
    measure_pair(
        &mut figures,
        "library_stream",
        &stream,
        &[],
        &["--first-page"],
        &envs,
    );

    let cli = std::env::var_os("CARBONEXT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release").join("carbonext"));
    if cli.exists() {
        figures.insert("cli_binary".into(), cli.display().to_string().into());
        measure_pair(
            &mut figures,
            "cli_export",
            &cli,
            &["orders", "export", "--format", "jsonl"],
            &["price"],
            &envs,
        );
    } else {
        figures.insert(
            "cli_export".into(),
            format!(
                "not measured: no CLI binary at {} (cargo build --release -p carbonext-cli)",
                cli.display()
            )
            .into(),
        );
    }
    carbonext_bench::record("p3_peak_rss", serde_json::Value::Object(figures));
}

/// Peak RSS of `program args` (the 10,000-order run) and of `program baseline_args` (one call).
fn measure_pair(
    figures: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    program: &std::path::Path,
    args: &[&str],
    baseline_args: &[&str],
    envs: &[(&str, String)],
) {
    let run = peak_rss_kib(program, args, envs);
    let baseline = peak_rss_kib(program, baseline_args, envs);
    let value = match (run, baseline) {
        (Ok(run), Ok(baseline)) => serde_json::json!({
            "command": args.join(" "),
            "baseline_command": baseline_args.join(" "),
            "peak_rss_kib": run.kib,
            "baseline_peak_rss_kib": baseline.kib,
            "ratio": run.kib as f64 / baseline.kib.max(1) as f64,
            "stdout_bytes": run.stdout_bytes,
            "success": run.success && baseline.success,
            "method": run.method,
        }),
        (run, baseline) => serde_json::json!({
            "error": format!("{:?} / {:?}", run.err(), baseline.err()),
        }),
    };
    figures.insert(name.into(), value);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    targets = pagination
}
criterion_main!(benches);
