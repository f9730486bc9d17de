//! P2 — token economy.
//!
//! - 1,000 concurrent calls on a cold facade: how many token requests reach the token endpoint
//!   (target 1: single flight).
//! - A run spanning 10 token lifetimes (1 s tokens via `faults().set_token_lifetime`), 8 callers
//!   quoting in a loop: how many API requests the sandbox refuses for an expired token
//!   (target 0: the cache refreshes before expiry), and how many tokens it took.
//! - A warm `TokenCache::token()` against cloning an `Arc<str>` (criterion; the ratio is the
//!   cost of a warm read in `Arc<str>` clones).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use carbonext_auth::{Credentials, TokenCache};
use carbonext_bench::{connect, one_vcu, runtime, sandbox};
use carbonext_domain::{Currency, VcuMarket};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use futures::FutureExt;

const COLD_CALLS: usize = 1_000;
const COLD_ROUNDS: usize = 3;
const LIFETIMES: u32 = 10;

fn cold_and_expiry(_: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(sandbox());

    let mut per_round = Vec::new();
    for _ in 0..COLD_ROUNDS {
        let before = sandbox.counters().token_requests();
        let sdk = connect(&sandbox, 4);
        rt.block_on(async {
            futures::future::join_all((0..COLD_CALLS).map(|_| {
                let sdk = sdk.clone();
                tokio::spawn(async move { sdk.quote(one_vcu(), Currency::Brl).await })
            }))
            .await
        })
        .into_iter()
        .for_each(|r| {
            r.expect("task").expect("quote");
        });
        per_round.push(sandbox.counters().token_requests() - before);
    }
    carbonext_bench::record(
        "p2_cold",
        serde_json::json!({
            "concurrent_cold_calls": COLD_CALLS,
            "rounds": COLD_ROUNDS,
            "token_requests_per_round": per_round,
            "target": 1,
        }),
    );

    let lifetime = Duration::from_secs(1);
    sandbox.faults().set_token_lifetime(lifetime);
    let sdk = connect(&sandbox, 4);
    let before = sandbox.counters();
    let started = Instant::now();
    let run_for = lifetime * LIFETIMES;
    let calls: usize = rt.block_on(async {
        let callers = (0..8).map(|_| {
            let sdk = sdk.clone();
            tokio::spawn(async move {
                let mut calls = 0;
                while started.elapsed() < run_for {
                    sdk.quote(one_vcu(), Currency::Brl).await.expect("quote");
                    calls += 1;
                }
                calls
            })
        });
        futures::future::join_all(callers)
            .await
            .into_iter()
            .map(|r| r.expect("task"))
            .sum()
    });
    let after = sandbox.counters();
    sandbox.faults().clear();
    carbonext_bench::record(
        "p2_lifetimes",
        serde_json::json!({
            "token_lifetime_secs": lifetime.as_secs(),
            "lifetimes": LIFETIMES,
            "elapsed_secs": started.elapsed().as_secs_f64(),
            "calls": calls,
            "expired_token_rejections": after.expired_token_rejections() - before.expired_token_rejections(),
            "token_requests": after.token_requests() - before.token_requests(),
            "target_rejections": 0,
        }),
    );
    rt.block_on(sandbox.shutdown());
}

fn warm_read(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(sandbox());
    let cache = TokenCache::builder(
        Credentials::new(sandbox.client_id(), sandbox.client_secret()),
        sandbox.token_url(),
    )
    .build();
    rt.block_on(cache.token()).expect("a token");
    let baseline: Arc<str> = Arc::from("a-token-of-typical-length-43-characters-xyz");

    let mut group = c.benchmark_group("p2_warm_token");
    group.bench_function(BenchmarkId::from_parameter("arc_str_clone"), |b| {
        b.iter(|| Arc::clone(black_box(&baseline)));
    });
    group.bench_function(BenchmarkId::from_parameter("token_cache"), |b| {
        // A warm read completes on its first poll: no runtime needed.
        b.iter(|| {
            black_box(&cache)
                .token()
                .now_or_never()
                .expect("a warm read never waits")
                .expect("a token")
        });
    });
    group.finish();
    rt.block_on(sandbox.shutdown());
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = cold_and_expiry, warm_read
}
criterion_main!(benches);
