//! `carbonext-bench-summary`: prints the ratios of the last benchmark run, read from criterion's
//! `target/criterion/<group>/<id>/new/estimates.json` (mean time per iteration) and from the
//! figures the benches and `scripts/codegen-timing.sh` record in
//! `target/criterion/carbonext-extras/*.json`. Ratios first, absolute values as context.
//!
//! ```text
//! cargo run --release -p carbonext-bench --bin carbonext-bench-summary [-- --markdown]
//! ```

use std::path::Path;

use serde_json::Value;

/// Mean time per iteration (ns) of one criterion benchmark.
fn mean_ns(criterion: &Path, group: &str, id: &str) -> Option<f64> {
    let path = criterion
        .join(group)
        .join(id)
        .join("new")
        .join("estimates.json");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn extra(criterion: &Path, name: &str) -> Option<Value> {
    let path = criterion
        .join("carbonext-extras")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn human(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        n => format!("{n:.1} ns"),
    }
}

struct Row {
    figure: &'static str,
    ratio: String,
    target: &'static str,
    context: String,
}

fn missing(figure: &'static str, target: &'static str, what: &str) -> Row {
    Row {
        figure,
        ratio: "—".into(),
        target,
        context: format!("not measured ({what})"),
    }
}

/// Throughput ratio `a / b` of two benchmarks doing the same work per iteration, with
/// requests/s of each as context.
fn throughput_row(
    criterion: &Path,
    figure: &'static str,
    target: &'static str,
    group: &str,
    (a, b): (&str, &str),
    requests_per_iteration: f64,
) -> Row {
    match (mean_ns(criterion, group, a), mean_ns(criterion, group, b)) {
        (Some(ta), Some(tb)) => Row {
            figure,
            ratio: format!("{:.3}×", tb / ta),
            target,
            context: format!(
                "{a} {:.0} req/s ({}/iter), {b} {:.0} req/s ({}/iter)",
                requests_per_iteration * 1e9 / ta,
                human(ta),
                requests_per_iteration * 1e9 / tb,
                human(tb)
            ),
        },
        _ => missing(figure, target, &format!("no criterion data for {group}")),
    }
}

fn main() {
    let markdown = std::env::args().any(|a| a == "--markdown");
    let criterion = carbonext_bench::target_dir().join("criterion");
    let mut rows = vec![
        throughput_row(
            &criterion,
            "P1 SDK quote / raw reqwest, 1 in flight",
            "≥ 0.95×",
            "p1_quote_c1",
            ("sdk", "raw"),
            1.0,
        ),
        throughput_row(
            &criterion,
            "P1 SDK quote / raw reqwest, 64 in flight",
            "≥ 0.95×",
            "p1_quote_c64",
            ("sdk", "raw"),
            512.0,
        ),
    ];
    if let Some(v) = extra(&criterion, "p1_interleaved") {
        for (key, figure, own_figure) in [
            (
                "c1",
                "P1 interleaved rounds, 1 in flight (median of per-round SDK / raw throughput, one client)",
                "P1 interleaved rounds, 1 in flight, SDK on its own default client",
            ),
            (
                "c64",
                "P1 interleaved rounds, 64 in flight (median of per-round SDK / raw throughput, one client)",
                "P1 interleaved rounds, 64 in flight, SDK on its own default client",
            ),
        ] {
            let m = &v[key];
            rows.push(Row {
                figure,
                ratio: format!("{:.3}×", m["ratio"].as_f64().unwrap_or(f64::NAN)),
                target: "≥ 0.95×",
                context: format!(
                    "{} rounds of {} calls: raw {:.0} req/s, SDK {:.0} req/s (same reqwest::Client)",
                    m["rounds"],
                    m["calls_per_round"],
                    m["raw_req_per_sec"].as_f64().unwrap_or(0.0),
                    m["sdk_req_per_sec"].as_f64().unwrap_or(0.0)
                ),
            });
            if let Some(ratio) = m["ratio_own_client"].as_f64() {
                rows.push(Row {
                    figure: own_figure,
                    ratio: format!("{ratio:.3}×"),
                    target: "(context)",
                    context: format!(
                        "SDK {:.0} req/s on the client `Carbonext::builder()` makes (its own connections)",
                        m["sdk_own_client_req_per_sec"].as_f64().unwrap_or(0.0)
                    ),
                });
            }
        }
    }
    if let Some(v) = extra(&criterion, "p1_layers") {
        for (key, figure) in [
            (
                "c1",
                "P1 layers, 1 in flight: each layer's throughput / raw (interleaved)",
            ),
            (
                "c64",
                "P1 layers, 64 in flight: each layer's throughput / raw (interleaved)",
            ),
        ] {
            let parts: Vec<String> = v[key]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(layer, m)| {
                    format!(
                        "{layer} {:.3}× ({:.0} req/s)",
                        m["throughput_vs_raw"].as_f64().unwrap_or(f64::NAN),
                        m["req_per_sec"].as_f64().unwrap_or(0.0)
                    )
                })
                .collect();
            rows.push(Row {
                figure,
                ratio: "—".into(),
                target: "(context)",
                context: parts.join(", "),
            });
        }
    }

    rows.push(match extra(&criterion, "p2_cold") {
        Some(v) => Row {
            figure: "P2 token requests for 1,000 concurrent cold calls",
            ratio: format!(
                "{} (max over {} rounds)",
                v["token_requests_per_round"]
                    .as_array()
                    .and_then(|r| r.iter().filter_map(Value::as_u64).max())
                    .unwrap_or(0),
                v["rounds"]
            ),
            target: "1",
            context: format!("per round: {}", v["token_requests_per_round"]),
        },
        None => missing(
            "P2 cold token requests",
            "1",
            "run cargo bench --bench p2_tokens",
        ),
    });
    rows.push(match extra(&criterion, "p2_lifetimes") {
        Some(v) => Row {
            figure: "P2 expired-token rejections over 10 token lifetimes",
            ratio: v["expired_token_rejections"].to_string(),
            target: "0",
            context: format!(
                "{} calls in {:.1} s, {} token requests, lifetime {} s",
                v["calls"],
                v["elapsed_secs"].as_f64().unwrap_or(0.0),
                v["token_requests"],
                v["token_lifetime_secs"]
            ),
        },
        None => missing("P2 expired-token rejections", "0", "run p2_tokens"),
    });
    rows.push(
        match (
            mean_ns(&criterion, "p2_warm_token", "token_cache"),
            mean_ns(&criterion, "p2_warm_token", "arc_str_clone"),
        ) {
            (Some(cache), Some(arc)) => Row {
                figure: "P2 warm TokenCache::token() / Arc<str> clone",
                ratio: format!("{:.1}×", cache / arc),
                target: "(context)",
                context: format!("token() {}, Arc clone {}", human(cache), human(arc)),
            },
            _ => missing("P2 warm token read", "(context)", "run p2_tokens"),
        },
    );
    rows.push(
        match (
            mean_ns(&criterion, "p3_stream_10k", "prefetch_4"),
            mean_ns(&criterion, "p3_stream_10k", "sequential"),
        ) {
            (Some(prefetch), Some(sequential)) => Row {
                figure: "P3 10,000 orders, 20 ms latency: prefetch 4 / sequential",
                ratio: format!("{:.3}×", prefetch / sequential),
                target: "≤ 0.35×",
                context: format!(
                    "prefetch 4: {}, sequential: {} (100 pages)",
                    human(prefetch),
                    human(sequential)
                ),
            },
            _ => missing("P3 stream", "≤ 0.35×", "run p3_pagination"),
        },
    );
    if let Some(v) = extra(&criterion, "p3_peak_rss") {
        for (key, label) in [
            (
                "cli_export",
                "P3 peak RSS `carbonext orders export` 10k / `carbonext price`",
            ),
            (
                "library_stream",
                "P3 peak RSS library stream 10k / first page only",
            ),
        ] {
            let m = &v[key];
            rows.push(match m.get("ratio").and_then(Value::as_f64) {
                Some(ratio) => Row {
                    figure: label,
                    ratio: format!("{ratio:.2}×"),
                    target: "≈ 1× (flat)",
                    context: format!(
                        "{} KiB vs {} KiB; {} bytes written; {}",
                        m["peak_rss_kib"],
                        m["baseline_peak_rss_kib"],
                        m["stdout_bytes"],
                        m["method"]
                    ),
                },
                None => Row {
                    figure: label,
                    ratio: "—".into(),
                    target: "≈ 1× (flat)",
                    context: m
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| m.to_string()),
                },
            });
        }
    } else {
        rows.push(missing("P3 peak RSS", "≈ 1× (flat)", "run p3_pagination"));
    }
    rows.push(throughput_row(
        &criterion,
        "P4 sandbox GET /v1/prices / minimal axum",
        "≥ 0.5×",
        "p4_prices",
        ("sandbox", "minimal_axum"),
        1024.0,
    ));
    if let Some(v) = extra(&criterion, "p4_server_cpu") {
        rows.push(Row {
            figure: "P4 server CPU per request: minimal axum / sandbox",
            ratio: format!("{:.3}×", v["ratio"].as_f64().unwrap_or(f64::NAN)),
            target: "≥ 0.5×",
            context: format!(
                "sandbox {:.1} µs, minimal {:.1} µs of server CPU per request (median of {} interleaved rounds; 1 server thread)",
                v["sandbox_cpu_us_per_request"].as_f64().unwrap_or(0.0),
                v["minimal_cpu_us_per_request"].as_f64().unwrap_or(0.0),
                v["rounds"]
            ),
        });
    }
    rows.push(match extra(&criterion, "p5_codegen") {
        Some(v) => Row {
            figure: "P5 spec edit → regenerate + rebuild / hand edit → rebuild (carbonext-api)",
            ratio: v["ratio"]
                .as_f64()
                .map(|r| format!("{r:.2}×"))
                .unwrap_or_else(|| "—".into()),
            target: "(context)",
            context: format!(
                "codegen --check {} s, regenerate {} s, rebuild after spec edit {} s, after touching lib.rs {} s",
                v["check_secs"], v["regenerate_secs"], v["spec_rebuild_secs"], v["touch_rebuild_secs"]
            ),
        },
        None => missing(
            "P5 codegen",
            "(context)",
            "run carbonext-bench/scripts/codegen-timing.sh",
        ),
    });
    match extra(&criterion, "p6_offset_throughput") {
        Some(v) => {
            for (concurrency, figure) in [
                (
                    "8",
                    "P6 offset batch, 20 ms latency: concurrency 8 / 1 (time)",
                ),
                (
                    "32",
                    "P6 offset batch, 20 ms latency: concurrency 32 / 1 (time)",
                ),
            ] {
                let m = &v[format!("concurrency_{concurrency}")];
                rows.push(Row {
                    figure,
                    ratio: m["time_ratio_vs_1"]
                        .as_f64()
                        .map(|r| format!("{r:.3}×"))
                        .unwrap_or_else(|| "—".into()),
                    target: "(context)",
                    context: format!(
                        "{:.0} items/s vs {:.1} items/s at concurrency 1 (median batch of {} items)",
                        m["items_per_s"].as_f64().unwrap_or(0.0),
                        v["concurrency_1"]["items_per_s"].as_f64().unwrap_or(0.0),
                        v["items_per_batch"]
                    ),
                });
            }
        }
        None => rows.push(missing("P6 offset batch", "(context)", "run p6_offset")),
    }
    rows.push(match extra(&criterion, "p6_offset_memory") {
        Some(v) => {
            let heap = |rows: &str| v[rows]["peak_heap_bytes"].as_f64().unwrap_or(f64::NAN);
            Row {
                figure: "P6 offset batch peak heap: 10,000 rows / 1,000 rows",
                ratio: format!("{:.2}×", heap("rows_10000") / heap("rows_1000")),
                target: "≈ 1× (flat)",
                context: format!(
                    "peak heap {} B vs {} B; peak RSS {} KiB vs {} KiB",
                    v["rows_10000"]["peak_heap_bytes"],
                    v["rows_1000"]["peak_heap_bytes"],
                    v["rows_10000"]["peak_rss_kib"],
                    v["rows_1000"]["peak_rss_kib"]
                ),
            }
        }
        None => missing("P6 offset batch memory", "≈ 1× (flat)", "run p6_offset"),
    });

    if markdown {
        println!("| figure | ratio | target | context |\n|---|---|---|---|");
        for r in &rows {
            println!(
                "| {} | {} | {} | {} |",
                r.figure, r.ratio, r.target, r.context
            );
        }
    } else {
        for r in &rows {
            println!(
                "{}\n    ratio {}   target {}\n    {}",
                r.figure, r.ratio, r.target, r.context
            );
        }
    }
}
