//! P7 — the cost of the order key lock: placements with distinct caller-given keys (each a key
//! lookup and a creation against the in-process sandbox) under no lock at all (the baseline, a
//! lock that holds nothing), under the default in-process lock, and under the PostgreSQL
//! advisory lock on a throwaway cluster of its own (`carbonext-postgres-lock`), at 1 and 16
//! placements in flight.
//!
//! Interleaved rounds: each round places `PER_ROUND` orders with each lock, in an order that
//! rotates every round; each lock has its own sandbox, so the order lists they look keys up in
//! grow alike. Reported: per round, each lock's mean time per placement over the baseline's in
//! the same round (median over rounds), and the added time per placement in microseconds.
//! Needs PostgreSQL's server programs (`apt-get install -y postgresql`).
//!
//! `cargo bench -p carbonext-bench --bench p7_order_key_lock`

#[path = "../../carbonext-postgres-lock/tests/common/pg.rs"]
mod pg;

use carbonext_domain::VcuMarket;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use carbonext_bench::{connect, run_spawned, runtime, sandbox};
use carbonext_domain::key_lock::{HeldKey, KeyGuard, OrderKeyLock};
use carbonext_domain::{Carbonext, NewOrder, OrderKey, VcuAmount};
use carbonext_postgres_lock::PostgresKeyLock;
use rust_decimal::Decimal;

const ROUNDS: usize = 21;
const PER_ROUND: usize = 200;

/// The baseline: holds nothing.
#[derive(Debug)]
struct NoLock;

struct Nothing;

impl HeldKey for Nothing {}

#[async_trait]
impl OrderKeyLock for NoLock {
    async fn acquire(&self, _key: &OrderKey) -> carbonext_domain::Result<KeyGuard> {
        Ok(KeyGuard::new(Nothing))
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `total` placements of fresh keys from `callers` tasks; mean time per placement.
async fn place(
    carbonext: &Carbonext,
    next: &Arc<AtomicUsize>,
    total: usize,
    callers: usize,
) -> Duration {
    let carbonext = carbonext.clone();
    let next = Arc::clone(next);
    let amount = VcuAmount::new(Decimal::new(1, 2)).expect("positive");
    let elapsed = run_spawned(total, callers, move || {
        let carbonext = carbonext.clone();
        let n = next.fetch_add(1, Ordering::Relaxed);
        async move {
            let order = NewOrder::builder(amount)
                .key(OrderKey::new(format!("p7_key_{n:09}")).expect("a key"))
                .build()
                .expect("an order");
            let placed = carbonext.place_order(order).await.expect("placed");
            assert!(!placed.already_existed);
        }
    })
    .await;
    elapsed / total as u32
}

fn main() {
    // `cargo test` runs benches with `--bench` absent: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let cluster = pg::Cluster::start();
    let rt = runtime();
    let lanes: Vec<(&str, Carbonext, carbonext_sandbox::Sandbox)> = rt.block_on(async {
        let mut lanes = Vec::new();
        for name in ["no lock", "in-process", "postgres"] {
            let sandbox = sandbox().await;
            let facade = connect(&sandbox, 1);
            let facade = match name {
                "no lock" => facade.with_order_key_lock(NoLock),
                "in-process" => facade,
                _ => facade.with_order_key_lock(
                    PostgresKeyLock::from_url(&cluster.url())
                        .expect("a URL")
                        .build(),
                ),
            };
            lanes.push((name, facade, sandbox));
        }
        lanes
    });
    let next = Arc::new(AtomicUsize::new(0));
    println!("P7 order key lock: {ROUNDS} rounds x {PER_ROUND} placements per lock and level");
    for callers in [1usize, 16] {
        // Warm: tokens, connections, database sessions.
        rt.block_on(async {
            for (_, facade, _) in &lanes {
                place(facade, &next, callers * 4, callers).await;
            }
        });
        let mut means: Vec<Vec<f64>> = vec![Vec::new(); lanes.len()];
        let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); lanes.len()];
        for round in 0..ROUNDS {
            let mut this_round = vec![0.0; lanes.len()];
            for i in 0..lanes.len() {
                let lane = (i + round) % lanes.len();
                let mean = rt.block_on(place(&lanes[lane].1, &next, PER_ROUND, callers));
                this_round[lane] = mean.as_secs_f64() * 1e6;
            }
            for lane in 0..lanes.len() {
                means[lane].push(this_round[lane]);
                ratios[lane].push(this_round[lane] / this_round[0]);
            }
        }
        let baseline = median(&mut means[0].clone());
        for (lane, (name, _, _)) in lanes.iter().enumerate() {
            let mean = median(&mut means[lane]);
            println!(
                "  {callers:>2} in flight  {name:<10}  {mean:8.1} us/placement  {:.3}x no lock  (+{:.1} us)",
                median(&mut ratios[lane]),
                mean - baseline
            );
        }
    }
}
