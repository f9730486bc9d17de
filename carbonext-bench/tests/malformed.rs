//! Malformed responses end to end: the `Carbonext` facade against a server started here on
//! 127.0.0.1 that issues tokens properly and then misbehaves on `/v1/prices` and `/v1/orders`
//! (truncated JSON, an HTML 502 page, an empty 200, wrong types, a 20 MB body, a body over the
//! client's size limit, chunked or with a huge `Content-Length`). Every case must end in a
//! typed `carbonext_domain::Error` that keeps the HTTP status and a short excerpt of the
//! body — never a panic, never an unbounded message — and an order whose answer was a success
//! status is never placed a second time.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use carbonext_domain::{
    Carbonext, Credentials, Currency, Environment, Error, Ledger, NewOrder, OrderQuery,
    RetryPolicy, VcuAmount, VcuMarket,
};
use futures::StreamExt;

const TOKEN_PATH: &str = "/auth/realms/co2free/protocol/openid-connect/token";
/// A body bigger than any sane response, to show it is neither kept nor echoed.
const HUGE: usize = 20 * 1024 * 1024;
/// Longest error message accepted: excerpts are short whatever the body.
const MAX_MESSAGE: usize = 2_048;

const HTML_502: &str = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>\
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

/// The 32 MiB default limit of successful bodies.
const LIMIT: u64 = 32 * 1024 * 1024;

/// What the misbehaving server answers on an API path.
#[derive(Clone)]
struct Answer {
    status: StatusCode,
    content_type: &'static str,
    body: axum::body::Bytes,
    /// Instead of `body`: a JSON-looking body of this many bytes, generated while it is sent,
    /// chunked or (when `.1`) with its `Content-Length` declared.
    streamed: Option<(u64, bool)>,
}

impl Answer {
    fn new(status: u16, content_type: &'static str, body: impl Into<axum::body::Bytes>) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("valid status"),
            content_type,
            body: body.into(),
            streamed: None,
        }
    }

    fn json(status: u16, body: impl Into<axum::body::Bytes>) -> Self {
        Self::new(status, "application/json", body)
    }

    /// A `200` of `total` bytes streamed in 64 KiB chunks, with `Content-Length: total` when
    /// `declare_length`, chunked otherwise.
    fn streamed_200(total: u64, declare_length: bool) -> Self {
        Self {
            streamed: Some((total, declare_length)),
            ..Self::json(200, "")
        }
    }
}

/// `total` bytes: the start of a price, then an unterminated string of `x`s, 64 KiB at a time.
fn generated_body(total: u64) -> axum::body::Body {
    const CHUNK: u64 = 64 * 1024;
    let head = br#"{"vcuPrice": 110.00, "currency": "BRL", "padding": ""#;
    let mut first = head.to_vec();
    first.resize(CHUNK as usize, b'x');
    let first = axum::body::Bytes::from(first);
    let rest = axum::body::Bytes::from(vec![b'x'; CHUNK as usize]);
    let chunks = futures::stream::unfold(0u64, move |sent| {
        let chunk = if sent == 0 {
            first.clone()
        } else {
            rest.clone()
        };
        async move {
            let len = CHUNK.min(total.saturating_sub(sent));
            (len > 0).then(|| {
                (
                    Ok::<_, std::convert::Infallible>(chunk.slice(..len as usize)),
                    sent + len,
                )
            })
        }
    });
    axum::body::Body::from_stream(chunks)
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        if let Some((total, declare_length)) = self.streamed {
            let mut response = (
                self.status,
                [(header::CONTENT_TYPE, self.content_type)],
                generated_body(total),
            )
                .into_response();
            if declare_length {
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, total.into());
            }
            return response;
        }
        (
            self.status,
            [(header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response()
    }
}

/// A server whose token endpoint works and whose `/v1/prices` and `/v1/orders` (GET and POST)
/// answer `answer`; counts API requests.
struct Misbehaving {
    addr: SocketAddr,
    api_requests: Arc<AtomicUsize>,
    /// The `GET /v1/orders` among them: the look-ups by key.
    order_lists: Arc<AtomicUsize>,
}

/// A handler answering `answer` and counting its requests in `count`.
fn counting(
    answer: Answer,
    count: &Arc<AtomicUsize>,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Answer> + Send>>
       + Clone
       + Send
       + Sync
       + 'static {
    let count = Arc::clone(count);
    move || {
        let answer = answer.clone();
        let count = Arc::clone(&count);
        Box::pin(async move {
            count.fetch_add(1, Ordering::SeqCst);
            answer
        })
    }
}

/// An empty page of orders: what the look-up by key finds when the order is not there.
const EMPTY_ORDER_PAGE: &str = r#"{"items": [], "pageIndex": 1, "totalPages": 0, "totalCount": 0,
    "hasPreviousPage": false, "hasNextPage": false}"#;

impl Misbehaving {
    async fn start(answer: Answer) -> Self {
        Self::start_with(answer.clone(), answer).await
    }

    /// `answer` everywhere but on `GET /v1/orders`, which answers `orders_get`.
    async fn start_with(answer: Answer, orders_get: Answer) -> Self {
        let api_requests = Arc::new(AtomicUsize::new(0));
        let order_lists = Arc::new(AtomicUsize::new(0));
        let api = counting(answer, &api_requests);
        let list = {
            let counted = counting(orders_get, &api_requests);
            let order_lists = Arc::clone(&order_lists);
            move || {
                order_lists.fetch_add(1, Ordering::SeqCst);
                counted()
            }
        };
        let app = Router::new()
            .route(
                TOKEN_PATH,
                post(|| async {
                    axum::Json(serde_json::json!({
                        "access_token": "test-token-value",
                        "expires_in": 300,
                        "token_type": "Bearer",
                    }))
                }),
            )
            .route("/v1/prices", get(api.clone()))
            .route("/v1/orders", get(list).post(api));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self {
            addr,
            api_requests,
            order_lists,
        }
    }

    fn connect(&self) -> Carbonext {
        self.connect_with(|builder| builder)
    }

    /// [`Misbehaving::connect`] with more builder settings.
    fn connect_with(
        &self,
        more: impl FnOnce(carbonext_domain::CarbonextBuilder) -> carbonext_domain::CarbonextBuilder,
    ) -> Carbonext {
        let base = format!("http://{}", self.addr);
        let builder = Carbonext::builder()
            .environment(Environment::custom(
                base.clone(),
                format!("{base}{TOKEN_PATH}"),
            ))
            .credentials(Credentials::new("cbx_b2b_test", "s3cret-never-shown"))
            .retry_policy(RetryPolicy {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(5),
                max_elapsed: Duration::from_secs(5),
            })
            .timeout(Duration::from_secs(20));
        more(builder).build().expect("facade")
    }

    fn api_requests(&self) -> usize {
        self.api_requests.load(Ordering::SeqCst)
    }

    /// `GET /v1/orders` requests (look-ups by key) so far.
    fn order_lists(&self) -> usize {
        self.order_lists.load(Ordering::SeqCst)
    }
}

fn one() -> VcuAmount {
    "1".parse().expect("valid amount")
}

/// The error of a quote against a server answering `answer`, with the number of API requests.
async fn quote_error(answer: Answer) -> (Error, usize) {
    let server = Misbehaving::start(answer).await;
    let err = server
        .connect()
        .quote(one(), Currency::Brl)
        .await
        .expect_err("a malformed answer is an error");
    assert_bounded(&err);
    (err, server.api_requests())
}

fn assert_bounded(err: &Error) {
    let message = err.to_string();
    assert!(
        message.len() <= MAX_MESSAGE,
        "error message of {} bytes: {}...",
        message.len(),
        &message[..200]
    );
    assert!(!message.contains("s3cret-never-shown"), "{message}");
    assert!(!message.contains("test-token-value"), "{message}");
}

fn decode_parts(err: &Error) -> (Option<u16>, &str, &str) {
    match err {
        Error::Decode {
            status,
            message,
            excerpt,
        } => (*status, message.as_str(), excerpt.as_str()),
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_with_an_excerpt() {
    let (err, requests) = quote_error(Answer::json(200, r#"{"vcuPrice": 110.00, "curr"#)).await;
    let (status, _, excerpt) = decode_parts(&err);
    assert_eq!(status, Some(200), "the status of the undecodable answer");
    assert_eq!(err.status(), Some(200));
    assert!(err.to_string().contains("(HTTP 200)"), "{err}");
    assert_eq!(excerpt, r#"{"vcuPrice": 110.00, "curr"#);
    assert_eq!(requests, 1, "an undecodable success is not retried");
}

#[tokio::test]
async fn html_502_page_is_an_api_error_with_status_and_excerpt() {
    let (err, requests) = quote_error(Answer::new(502, "text/html", HTML_502)).await;
    assert_eq!(err.status(), Some(502));
    match &err {
        Error::Api(rejection) => {
            assert_eq!(rejection.status, 502);
            assert_eq!(rejection.title.as_deref(), Some("Bad Gateway"));
            let detail = rejection.detail.as_deref().unwrap_or_default();
            assert!(detail.contains("502 Bad Gateway"), "{detail}");
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert_eq!(requests, 2, "a 502 is retried per the policy (2 attempts)");
}

#[tokio::test]
async fn empty_200_is_a_decode_error() {
    let (err, _) = quote_error(Answer::json(200, "")).await;
    let (status, message, excerpt) = decode_parts(&err);
    assert_eq!(status, Some(200));
    assert_eq!(excerpt, "");
    assert!(message.contains("schema"), "{message}");
}

#[tokio::test]
async fn wrong_types_are_a_decode_error_naming_the_value() {
    let (err, _) = quote_error(Answer::json(
        200,
        r#"{"vcuPrice": "abc", "currency": "BRL"}"#,
    ))
    .await;
    let (status, _, excerpt) = decode_parts(&err);
    assert_eq!(status, Some(200));
    assert!(excerpt.contains(r#""vcuPrice": "abc""#), "{excerpt}");
}

#[tokio::test]
async fn html_with_a_200_status_is_a_decode_error() {
    let (err, _) = quote_error(Answer::new(200, "text/html", HTML_502)).await;
    let (status, _, excerpt) = decode_parts(&err);
    assert_eq!(status, Some(200));
    assert!(excerpt.starts_with("<!DOCTYPE html>"), "{excerpt}");
}

#[tokio::test]
async fn huge_200_body_ends_in_a_short_decode_error() {
    let mut body = Vec::with_capacity(HUGE);
    body.extend_from_slice(br#"{"vcuPrice": 110.00, "currency": "BRL", "padding": ""#);
    body.resize(HUGE, b'x');
    let (err, _) = quote_error(Answer::json(200, body)).await;
    let (status, _, excerpt) = decode_parts(&err);
    assert_eq!(status, Some(200));
    assert!(
        excerpt.chars().count() <= 200,
        "excerpt of {} chars",
        excerpt.len()
    );
    assert!(excerpt.starts_with(r#"{"vcuPrice""#));
}

#[tokio::test]
async fn huge_502_body_is_read_only_as_far_as_the_excerpt() {
    let mut body = HTML_502.as_bytes().to_vec();
    body.resize(HUGE, b' ');
    let (err, _) = quote_error(Answer::new(502, "text/html", body)).await;
    assert_eq!(err.status(), Some(502));
    match &err {
        Error::Api(rejection) => {
            let detail = rejection.detail.as_deref().unwrap_or_default();
            assert!(detail.len() <= 2_048, "detail of {} bytes", detail.len());
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

#[tokio::test]
async fn problem_details_with_wrong_types_keep_the_status() {
    let (err, _) = quote_error(Answer::new(
        400,
        "application/problem+json",
        r#"{"title": 42, "status": "bad", "errors": "nope"}"#,
    ))
    .await;
    assert_eq!(err.status(), Some(400), "{err:?}");
}

#[tokio::test]
async fn truncated_order_page_fails_the_stream_once_and_ends_it() {
    let server = Misbehaving::start(Answer::json(
        200,
        r#"{"items": [{"id": "7c3e1a52-4b0b-4a8e-9a57-0f1d2b3c4d5e", "vcuAmount": 1"#,
    ))
    .await;
    let items: Vec<_> = server.connect().orders(OrderQuery::new()).collect().await;
    assert_eq!(items.len(), 1, "one error, then the stream ends");
    let err = items
        .into_iter()
        .next()
        .expect("one item")
        .expect_err("an error");
    assert_bounded(&err);
    assert_eq!(decode_parts(&err).0, Some(200));
}

#[tokio::test]
async fn order_page_with_wrong_item_types_is_a_decode_error() {
    let server = Misbehaving::start(Answer::json(
        200,
        r#"{"items": [{"id": 12, "vcuAmount": "abc"}], "pageIndex": 1, "totalPages": 1,
            "totalCount": 1, "hasPreviousPage": false, "hasNextPage": false}"#,
    ))
    .await;
    let err = server
        .connect()
        .orders_page(OrderQuery::new(), 1)
        .await
        .expect_err("wrong types");
    assert_bounded(&err);
    assert_eq!(decode_parts(&err).0, Some(200));
}

#[tokio::test]
async fn chunked_200_over_the_limit_is_a_decode_error_with_status() {
    // 64 MiB, chunked: read up to the 32 MiB limit, then refused.
    let (err, requests) = quote_error(Answer::streamed_200(2 * LIMIT, false)).await;
    let (status, message, excerpt) = decode_parts(&err);
    assert_eq!(status, Some(200));
    assert_eq!(
        message,
        "the response body exceeds the 32 MiB limit (chunked)"
    );
    assert!(excerpt.starts_with(r#"{"vcuPrice": 110.00"#), "{excerpt}");
    assert_eq!(requests, 1, "an oversized success is not retried");
}

#[tokio::test]
async fn content_length_200_over_the_limit_fails_without_downloading() {
    // 1 GiB declared: refused on the headers, long before a gigabyte could arrive.
    let started = Instant::now();
    let (err, requests) = quote_error(Answer::streamed_200(1 << 30, true)).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let (status, message, excerpt) = decode_parts(&err);
    assert_eq!(status, Some(200));
    assert_eq!(
        message,
        "the response body exceeds the 32 MiB limit (Content-Length 1073741824)"
    );
    assert_eq!(excerpt, "");
    assert_eq!(requests, 1, "an oversized success is not retried");
}

#[tokio::test]
async fn the_body_limit_is_configurable_on_the_builder() {
    let server = Misbehaving::start(Answer::json(200, vec![b' '; 4096])).await;
    let err = server
        .connect_with(|builder| builder.body_limit(1024))
        .quote(one(), Currency::Brl)
        .await
        .expect_err("over the limit");
    let (status, message, _) = decode_parts(&err);
    assert_eq!(status, Some(200));
    assert_eq!(
        message,
        "the response body exceeds the 1 KiB limit (Content-Length 4096)"
    );
}

/// Places an order against a server answering `created` to the POST and an empty page to the
/// look-up by key; returns the error and the number of API requests.
async fn place_order_error(created: Answer) -> (Error, carbonext_domain::OrderKey, usize) {
    let server = Misbehaving::start_with(created, Answer::json(200, EMPTY_ORDER_PAGE)).await;
    let (err, key) = place_order_on(&server).await;
    (err, key, server.api_requests())
}

/// Places an order against `server`, which must not let it succeed; returns the error (checked
/// to be bounded) and the order's key.
async fn place_order_on(server: &Misbehaving) -> (Error, carbonext_domain::OrderKey) {
    let order = NewOrder::builder(one()).build().expect("valid order");
    let key = order.key().clone();
    let err = server
        .connect()
        .place_order(order)
        .await
        .expect_err("no usable answer");
    assert_bounded(&err);
    (err, key)
}

#[tokio::test]
async fn order_answered_by_an_oversized_200_is_never_placed_twice() {
    for created in [
        Answer::streamed_200(2 * LIMIT, false),
        Answer::streamed_200(1 << 30, true),
    ] {
        let (err, key, requests) = place_order_error(created).await;
        // The 200 means the order was placed; the look-up did not find it, so the outcome
        // is unknown — and the order is not sent again.
        assert_outcome_unknown(&err, &key, &["HTTP 200", "limit"]);
        assert_eq!(requests, 2, "one POST, one look-up, no second POST");
    }
}

/// `err` is `Error::OutcomeUnknown` for `key`, its message naming each of `needles`.
fn assert_outcome_unknown(err: &Error, key: &carbonext_domain::OrderKey, needles: &[&str]) {
    match err {
        Error::OutcomeUnknown {
            key: reported,
            message,
        } => {
            assert_eq!(reported, key);
            for needle in needles {
                assert!(message.contains(needle), "{message}");
            }
        }
        other => panic!("expected Error::OutcomeUnknown, got {other:?}"),
    }
}

#[tokio::test]
async fn order_answered_by_a_truncated_200_is_never_placed_twice() {
    let (err, key, requests) =
        place_order_error(Answer::json(200, r#"{"id": "7c3e1a52-4b0b"#)).await;
    assert_outcome_unknown(&err, &key, &["HTTP 200"]);
    assert_eq!(requests, 2, "one POST, one look-up, no second POST");
}

#[tokio::test]
async fn order_placed_against_an_html_502_ends_typed_without_a_duplicate() {
    let server = Misbehaving::start(Answer::new(502, "text/html", HTML_502)).await;
    let (err, key) = place_order_on(&server).await;
    // The 502 is ambiguous; the look-up by key fails too (502, tried as often as the policy's
    // two attempts allow), so the outcome is unknown — and the order is not sent again.
    assert_outcome_unknown(&err, &key, &["502"]);
    let lookups = server.order_lists();
    assert_eq!(lookups, 2, "the look-up, retried once");
    assert_eq!(
        server.api_requests() - lookups,
        1,
        "one POST, no second POST"
    );
}

#[tokio::test]
async fn malformed_token_answer_is_an_auth_error() {
    let app = Router::new().route(
        TOKEN_PATH,
        post(|| async { Answer::new(200, "application/json", r#"{"access_token": 5"#) }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    let base = format!("http://{addr}");
    let err = Carbonext::builder()
        .environment(Environment::custom(
            base.clone(),
            format!("{base}{TOKEN_PATH}"),
        ))
        .credentials(Credentials::new("cbx_b2b_test", "s3cret-never-shown"))
        .retry_policy(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
        .build()
        .expect("facade")
        .quote(one(), Currency::Brl)
        .await
        .expect_err("no token");
    assert_bounded(&err);
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
}
