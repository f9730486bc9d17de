//! P1 layer probe: `N` price requests through one layer (sequential, or `IN_FLIGHT` at a time
//! with a third argument), in a process of its own,
//! for `perf stat` / `perf record` (the criterion benches mix every layer in one process).
//!
//! ```text
//! cargo build --release -p carbonext-bench --example p1_layer_probe
//! perf stat -e task-clock target/release/examples/p1_layer_probe raw 20000
//! ```
//!
//! Layers: `raw_constant_url` (hand-written reqwest, the URL written once), `raw` (the same,
//! URL written per call: P1's baseline), `raw_with_one_timer` (the same inside one
//! `tokio::time::timeout`, as the facade bounds each attempt), `raw_with_timeouts` (the same
//! with reqwest's own 30 s timeout instead, which arms two timers per request: what the
//! facade used to set), `raw_with_query` (query built with `.query()` per parameter, decoded
//! into the generated `Price`), `raw_like_generated` (that plus the generated client's
//! `accept` and `api-version` headers), `generated` (the generated client with the bearer as
//! a default header, no hooks), `authenticated` (`carbonext-auth`'s client), `sdk`
//! (`Carbonext::quote`). Every client but `raw`'s connects within 10 s, as the facade's does.

use std::time::{Duration, Instant};

use carbonext_bench::{connect, one_vcu, runtime, sandbox, RawPrices};
use carbonext_domain::{Currency, VcuMarket};
use rust_decimal::Decimal;

fn main() {
    let mut args = std::env::args().skip(1);
    let layer = args.next().unwrap_or_else(|| "sdk".to_owned());
    let calls: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let in_flight: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let rt = runtime();
    let sandbox = rt.block_on(sandbox());
    let http = || reqwest::Client::builder().connect_timeout(Duration::from_secs(10));
    let raw = rt.block_on(RawPrices::new(&sandbox));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        raw.authorization().parse().expect("header value"),
    );
    let generated = carbonext_api::Client::new_with_client(
        &sandbox.api_url(),
        http().default_headers(headers).build().expect("client"),
        carbonext_api::Hooks::none(),
    );
    let authenticated = carbonext_auth::authenticated_client(
        carbonext_auth::Credentials::new(sandbox.client_id(), sandbox.client_secret()),
        &carbonext_auth::Environment::custom(sandbox.api_url(), sandbox.token_url()),
        Some(http().build().expect("client")),
    );
    let plain = http().build().expect("client");
    let timed = http()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let sdk = connect(&sandbox, 4);
    let api_url = sandbox.api_url();
    let amount: carbonext_api::DecimalText = "1".parse().expect("decimal");
    let price = |client: carbonext_api::Client| async move {
        client
            .get_price()
            .vcu_amount(amount)
            .target_currency(carbonext_api::Currency::Brl)
            .send()
            .await
            .expect("price");
    };
    rt.block_on(async {
        let once = || async {
            match layer.as_str() {
                "raw" => {
                    raw.quote(Decimal::ONE, "BRL").await;
                }
                "raw_constant_url" => {
                    raw.quote_constant_url().await;
                }
                "raw_with_one_timer" => {
                    tokio::time::timeout(Duration::from_secs(30), raw.quote(Decimal::ONE, "BRL"))
                        .await
                        .expect("in time");
                }
                "raw_with_timeouts" => {
                    timed
                        .get(format!(
                            "{}/v1/prices?vcu-amount={}&target-currency={}",
                            api_url,
                            Decimal::ONE,
                            "BRL"
                        ))
                        .header(reqwest::header::AUTHORIZATION, raw.authorization())
                        .send()
                        .await
                        .expect("sent")
                        .json::<carbonext_bench::RawPrice>()
                        .await
                        .expect("decoded");
                }
                "raw_with_query" | "raw_like_generated" => {
                    let mut request = plain
                        .get(format!("{}/v1/prices", sandbox.api_url()))
                        .header(reqwest::header::AUTHORIZATION, raw.authorization());
                    if layer == "raw_like_generated" {
                        request = request
                            .header(reqwest::header::ACCEPT, "application/json")
                            .header("api-version", "1.0");
                    }
                    let response = request
                        .query(&[("target-currency", "BRL")])
                        .query(&[("vcu-amount", "1")])
                        .send()
                        .await
                        .expect("sent");
                    let bytes = response.bytes().await.expect("body");
                    serde_json::from_slice::<carbonext_api::types::Price>(&bytes).expect("decoded");
                }
                "generated" => price(generated.clone()).await,
                "authenticated" => price(authenticated.clone()).await,
                _ => {
                    sdk.quote(one_vcu(), Currency::Brl).await.expect("quote");
                }
            }
        };
        once().await;
        let started = Instant::now();
        carbonext_bench::run_concurrently(calls, in_flight, |_| once()).await;
        eprintln!(
            "{layer}: {:.1} µs per call",
            started.elapsed().as_secs_f64() * 1e6 / calls as f64
        );
    });
}
