//! Memory bound of a malformed 20 MB answer, measured with a counting global allocator (its own
//! test binary, one test, so no other test's allocations are counted).
//!
//! - An error status with a 20 MB HTML body: the client reads at most 64 KiB of an error body,
//!   so the call's peak stays far below the body's size.
//! - A success status with a 20 MB undecodable body: the generated client reads a successful
//!   body whole before decoding it (progenitor), so the peak is about the body's size — bounded
//!   by it, not by anything larger (no copies piling up), and freed when the call returns.
//! - A success status with a 256 MiB chunked body: reading stops at the 32 MiB limit of
//!   successful bodies, so the peak is about the limit, not the body.
//! - A success status declaring a 1 GiB `Content-Length`: refused on the headers, nothing of the
//!   body is read.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use carbonext_bench::counting;
use carbonext_domain::{Carbonext, Credentials, Currency, Environment, RetryPolicy, VcuMarket};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const TOKEN_PATH: &str = "/auth/realms/co2free/protocol/openid-connect/token";
const HUGE: usize = 20 * 1024 * 1024;
const MIB: usize = 1024 * 1024;
/// The default limit of successful bodies.
const LIMIT: usize = 32 * MIB;

/// Serves `prices` on `/v1/prices`, and a token endpoint granting a token, on 127.0.0.1.
async fn serve_prices(prices: axum::routing::MethodRouter) -> SocketAddr {
    let app = Router::new()
        .route(
            TOKEN_PATH,
            post(|| async {
                axum::Json(serde_json::json!({
                    "access_token": "memory-test-token",
                    "expires_in": 300,
                    "token_type": "Bearer",
                }))
            }),
        )
        .route("/v1/prices", prices);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// Serves `body` with `status` on `/v1/prices`; the body is allocated once, before measuring.
async fn serve(status: u16, content_type: &'static str, body: axum::body::Bytes) -> SocketAddr {
    let status = StatusCode::from_u16(status).expect("status");
    serve_prices(get(move || {
        let body = body.clone();
        async move { (status, [(header::CONTENT_TYPE, content_type)], body) }
    }))
    .await
}

/// Serves on `/v1/prices` a `200` of `total` bytes of unterminated JSON generated 64 KiB at a
/// time (so the server holds no more than a chunk), with `Content-Length` when
/// `declare_length`, chunked otherwise.
async fn serve_streamed(total: u64, declare_length: bool) -> SocketAddr {
    const CHUNK: u64 = 64 * 1024;
    let chunk = axum::body::Bytes::from(vec![b'x'; CHUNK as usize]);
    serve_prices(get(move || {
        let chunk = chunk.clone();
        async move {
            let head = axum::body::Bytes::from_static(br#"{"vcuPrice": "#);
            let rest = futures::stream::unfold(head.len() as u64, move |sent| {
                let chunk = chunk.clone();
                async move {
                    let len = CHUNK.min(total.saturating_sub(sent));
                    (len > 0).then(|| (chunk.slice(..len as usize), sent + len))
                }
            });
            let body = futures::stream::StreamExt::map(
                futures::stream::StreamExt::chain(futures::stream::iter([head]), rest),
                Ok::<_, std::convert::Infallible>,
            );
            let mut response = axum::response::IntoResponse::into_response((
                [(header::CONTENT_TYPE, "application/json")],
                axum::body::Body::from_stream(body),
            ));
            if declare_length {
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, total.into());
            }
            response
        }
    }))
    .await
}

/// Peak bytes allocated above the level before the call, and the level after it.
async fn quote_peak(addr: SocketAddr) -> (usize, usize) {
    let base = format!("http://{addr}");
    let sdk = Carbonext::builder()
        .environment(Environment::custom(
            base.clone(),
            format!("{base}{TOKEN_PATH}"),
        ))
        .credentials(Credentials::new("cbx_b2b_memory", "memory-secret"))
        .retry_policy(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
        .timeout(Duration::from_secs(30))
        .build()
        .expect("facade");
    let before = counting::reset_peak();
    let err = sdk
        .quote("1".parse().expect("amount"), Currency::Brl)
        .await
        .expect_err("a malformed answer");
    let peak = counting::peak() - before;
    drop(err);
    drop(sdk);
    let after = counting::current().saturating_sub(before);
    (peak, after)
}

#[tokio::test(flavor = "current_thread")]
async fn huge_malformed_bodies_use_bounded_memory() {
    let mut html = b"<html><body><h1>502 Bad Gateway</h1>".to_vec();
    html.resize(HUGE, b' ');
    let addr = serve(502, "text/html", html.into()).await;
    let (peak, after) = quote_peak(addr).await;
    eprintln!("502, 20 MB HTML: peak +{} KiB", peak / 1024);
    assert!(
        peak < 4 * MIB,
        "a 20 MB error body raised the peak by {} KiB",
        peak / 1024
    );
    assert!(
        after < MIB,
        "{} KiB still held after the call",
        after / 1024
    );

    let mut json = br#"{"vcuPrice": 110.00, "currency": "BRL", "padding": ""#.to_vec();
    json.resize(HUGE, b'x');
    let addr = serve(200, "application/json", json.into()).await;
    let (peak, after) = quote_peak(addr).await;
    eprintln!("200, 20 MB undecodable JSON: peak +{} KiB", peak / 1024);
    assert!(
        peak < 3 * HUGE,
        "a 20 MB success body raised the peak by {} MiB",
        peak / MIB
    );
    assert!(
        after < MIB,
        "{} KiB still held after the call",
        after / 1024
    );

    let addr = serve_streamed(256 * MIB as u64, false).await;
    let (peak, after) = quote_peak(addr).await;
    eprintln!("200, 256 MiB chunked: peak +{} KiB", peak / 1024);
    assert!(
        peak < LIMIT + 16 * MIB,
        "a 256 MiB chunked success body raised the peak by {} MiB",
        peak / MIB
    );
    assert!(
        after < MIB,
        "{} KiB still held after the call",
        after / 1024
    );

    let addr = serve_streamed(1 << 30, true).await;
    let (peak, after) = quote_peak(addr).await;
    eprintln!("200, Content-Length 1 GiB: peak +{} KiB", peak / 1024);
    assert!(
        peak < 4 * MIB,
        "a 1 GiB Content-Length raised the peak by {} KiB",
        peak / 1024
    );
    assert!(
        after < MIB,
        "{} KiB still held after the call",
        after / 1024
    );
}
