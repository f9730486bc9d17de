//! The request hook chain of [`carbonext_api::Client`]: headers added in `prepare` reach the
//! server, hooks run outermost first, a `prepare` failure sends nothing, a `send` hook can
//! retry with the body replayed, and every request gets a `carbonext.request` tracing span
//! that never shows the `Authorization` header.

mod common;

use std::sync::{Arc, Mutex};

use carbonext_api::{
    types, Client, Currency, DecimalText, Error, HookError, Hooks, Next, OperationInfo, RequestHook,
};
use common::{fixture, Canned, Peer};
use futures::future::BoxFuture;

/// Sets a header in `prepare`.
struct SetHeader {
    name: &'static str,
    value: &'static str,
}

impl RequestHook for SetHeader {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        request
            .headers_mut()
            .insert(self.name, self.value.parse().unwrap());
        Box::pin(async { Ok(()) })
    }
}

/// Writes what it sees, in order, to a shared log; appends its name to `x-chain`.
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

impl RequestHook for Recorder {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{} prepare {}", self.name, info.operation_id));
        request
            .headers_mut()
            .append("x-chain", self.name.parse().unwrap());
        Box::pin(async { Ok(()) })
    }

    fn send<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a OperationInfo,
        next: Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            self.log.lock().unwrap().push(format!("{} send", self.name));
            let response = next.run(request, info).await;
            self.log
                .lock()
                .unwrap()
                .push(format!("{} received", self.name));
            response
        })
    }
}

/// Fails in `prepare`, as an authentication hook does when it cannot get a token.
struct FailingPrepare;

impl RequestHook for FailingPrepare {
    fn prepare<'a>(
        &'a self,
        _request: &'a mut reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        Box::pin(async { Err("token endpoint unreachable".into()) })
    }
}

/// Sends every request twice and returns the second response.
struct SendTwice;

impl RequestHook for SendTwice {
    fn send<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a OperationInfo,
        next: Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let copy = request.try_clone().expect("a JSON body can be replayed");
            let first = next.run(copy, info).await?;
            drop(first);
            next.run(request, info).await
        })
    }
}

async fn price_peer() -> Peer {
    Peer::start(Canned::json(fixture("get_price.response.json"))).await
}

#[tokio::test]
async fn header_added_by_a_prepare_hook_reaches_the_server() {
    let peer = price_peer().await;
    let client = Client::new(
        &peer.url,
        Hooks::none().with(SetHeader {
            name: "x-correlation-id",
            value: "abc-123",
        }),
    );
    client.get_price().send().await.unwrap();
    assert_eq!(
        peer.only_request().header("x-correlation-id"),
        Some("abc-123")
    );
}

#[tokio::test]
async fn hooks_run_outermost_first_and_unwind_innermost_first() {
    let peer = price_peer().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let hooks = Hooks::none()
        .with(Recorder {
            name: "outer",
            log: log.clone(),
        })
        .with(Recorder {
            name: "inner",
            log: log.clone(),
        });
    assert_eq!(hooks.len(), 2);
    let client = Client::new(&peer.url, hooks);
    assert_eq!(client.hooks().len(), 2);
    client.get_price().send().await.unwrap();

    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer prepare get_price",
            "inner prepare get_price",
            "outer send",
            "inner send",
            "inner received",
            "outer received",
        ]
    );
    let received = peer.only_request();
    let chain: Vec<_> = received
        .headers
        .get_all("x-chain")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(chain, ["outer", "inner"]);
}

#[tokio::test]
async fn prepare_error_aborts_with_a_typed_hook_failure_and_sends_nothing() {
    let peer = price_peer().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = Client::new(
        &peer.url,
        Hooks::none().with(FailingPrepare).with(Recorder {
            name: "after",
            log: log.clone(),
        }),
    );
    let error = client.get_price().send().await.unwrap_err();

    let Error::CommunicationError(transport) = &error else {
        panic!("expected a hook failure, got {error:?}")
    };
    assert_eq!(
        carbonext_api::TransportFailure::of(transport),
        carbonext_api::TransportFailure::Hook
    );
    let failure = carbonext_api::HookFailure::find(transport).expect("the hook's failure");
    assert!(
        failure.hook().ends_with("FailingPrepare"),
        "{}",
        failure.hook()
    );
    assert!(
        failure.message().contains("token endpoint unreachable"),
        "{failure}"
    );
    let source = failure.take_source().expect("the hook's own error");
    assert!(source.to_string().contains("token endpoint unreachable"));
    assert!(peer.received().is_empty(), "{:?}", peer.received());
    assert!(
        log.lock().unwrap().is_empty(),
        "no later hook runs after a failed prepare"
    );
}

#[tokio::test]
async fn send_hook_can_retry_and_the_json_body_is_replayed() {
    let peer = Peer::start(Canned::json(fixture("create_order.response.json"))).await;
    let client = Client::new(&peer.url, Hooks::none().with(SendTwice));
    let order: types::NewOrder =
        serde_json::from_str(&fixture("create_order.request.json")).unwrap();
    let created = client.create_order().body(order).send().await.unwrap();
    assert_eq!(created.vcu_amount.to_string(), "0.02");

    let received = peer.received();
    assert_eq!(received.len(), 2);
    assert!(received[0].body_text().contains(r#""vcuAmount":0.02"#));
    assert_eq!(received[0].body, received[1].body);
    assert_eq!(received[0].path, received[1].path);
}

#[tokio::test]
async fn send_hook_retry_replays_the_token_form_body() {
    let peer = Peer::start(Canned::json(fixture("request_token.response.json"))).await;
    let client = Client::new(&peer.url, Hooks::none().with(SendTwice));
    let form: types::TokenRequest =
        serde_json::from_str(&fixture("request_token.no_scope.request.json")).unwrap();
    client.request_token().body(form).send().await.unwrap();

    let received = peer.received();
    assert_eq!(received.len(), 2);
    assert!(received[1]
        .body_text()
        .contains("grant_type=client_credentials"));
    assert_eq!(received[0].body, received[1].body);
}

// --- tracing ------------------------------------------------------------------------------

/// A `MakeWriter` collecting everything the fmt subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn capturing_subscriber(captured: &Captured) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(captured.clone())
        .finish()
}

// current_thread (the default): the subscriber set for this thread sees the client, the
// hook and hyper's connection tasks alike.
#[tokio::test]
async fn http_span_records_otel_fields_but_not_the_authorization_header_or_query() {
    const TOKEN: &str = "Bearer kRjvJJpQpwWHoWKi-K_5SO0w0dkAqiO2QudmyoJxlTI";
    let peer = price_peer().await;
    let client = Client::new(
        &peer.url,
        Hooks::none().with(SetHeader {
            name: "authorization",
            value: TOKEN,
        }),
    );
    let captured = Captured::default();
    let _default = tracing::subscriber::set_default(capturing_subscriber(&captured));

    client
        .get_price()
        .vcu_amount("0.02".parse::<DecimalText>().unwrap())
        .target_currency(Currency::Brl)
        .send()
        .await
        .unwrap();

    assert_eq!(peer.only_request().header("authorization"), Some(TOKEN));
    let output = captured.text();
    let span_lines: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("carbonext.http{"))
        .collect();
    assert!(!span_lines.is_empty(), "no carbonext.http span:\n{output}");
    let closing = span_lines
        .iter()
        .find(|line| line.contains("close"))
        .unwrap_or_else(|| panic!("span never closed:\n{output}"));
    for field in [
        "carbonext.operation_id=\"get_price\"",
        "http.request.method=GET",
        "server.address=\"127.0.0.1\"",
        "url.path=\"/v1/prices\"",
        "http.response.status_code=200",
    ] {
        assert!(closing.contains(field), "{field} missing from {closing}");
    }
    assert!(
        !output.contains("kRjvJJpQpwWHoWKi"),
        "token leaked:\n{output}"
    );
    assert!(
        !output.contains("vcu-amount"),
        "query string leaked:\n{output}"
    );
}

#[tokio::test]
async fn http_span_records_the_error_status_and_error_type() {
    let peer = Peer::start(Canned::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "text/plain",
        "down for maintenance",
    ))
    .await;
    let client = Client::new(&peer.url, Hooks::none());
    let captured = Captured::default();
    let _default = tracing::subscriber::set_default(capturing_subscriber(&captured));

    let error = client.list_resources().send().await.unwrap_err();

    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::SERVICE_UNAVAILABLE)
    );
    let output = captured.text();
    assert!(
        output.lines().any(|line| line.contains("carbonext.http{")
            && line.contains("carbonext.operation_id=\"list_resources\"")
            && line.contains("http.response.status_code=503")
            && line.contains("error.type=\"503\"")),
        "{output}"
    );
}
