//! Memory of an offset batch is flat in the number of rows: `carbonext-bench-offset` (its own
//! process, a counting allocator) offsets 500 and then 2,500 generated shipments against a
//! sandbox in this process; the peak of live heap bytes of the larger batch stays within a
//! small margin of the smaller one's, plus the key index's few bytes per order of the
//! window (documented filters: the index of the window's keys is the lookup). (`p6_offset` measures 1,000 against 10,000 in release.)

use carbonext_sandbox::Sandbox;

/// Runs the batch of `rows` and returns its JSON summary.
fn batch(sandbox: &Sandbox, rows: usize, prefix: &str) -> serde_json::Value {
    carbonext_bench::offset_batch_process(
        env!("CARGO_BIN_EXE_carbonext-bench-offset"),
        sandbox,
        rows,
        prefix,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peak_memory_of_a_batch_does_not_grow_with_its_rows() {
    let sandbox = Sandbox::builder()
        .start()
        .await
        .expect("the sandbox starts");
    let small = batch(&sandbox, 500, "small");
    let large = batch(&sandbox, 2_500, "large");
    assert_eq!(small["statuses"]["placed"], 500, "{small}");
    assert_eq!(large["statuses"]["placed"], 2_500, "{large}");
    let peak = |v: &serde_json::Value| v["peak_heap_bytes"].as_u64().expect("peak");
    let (small_peak, large_peak) = (peak(&small), peak(&large));
    println!("peak heap: 500 rows {small_peak} B, 2,500 rows {large_peak} B");
    // Five times the rows: at most a quarter more memory plus 64 KiB (allocator noise,
    // connection buffers), plus what the key index keeps per order of the lookback window:
    // an entry per order and the newest 5,000 keyed orders whole (about 1.1 KB each; 3,000
    // orders by then), where a batch holding its rows or results would grow fivefold.
    let index = 1_536 * 3_000;
    assert!(
        large_peak <= small_peak + small_peak / 4 + 64 * 1024 + index,
        "500 rows: {small}\n2,500 rows: {large}"
    );
    sandbox.shutdown().await;
}
