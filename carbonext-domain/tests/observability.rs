//! How a service observes the SDK: the spans it records (OpenTelemetry's HTTP client field
//! names, captured here by a subscriber layer of the test's own), and hooks of the service's
//! own added through `CarbonextBuilder::hook`, over real HTTP against the sandbox.

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use carbonext_api::{HookError, Next, OperationInfo, RequestHook};
use carbonext_domain::{Currency, Error, NewOrder, OrderId, OrderKey, VcuMarket};
use futures::future::BoxFuture;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One span as the layer saw it: name, fields (as text) and parent.
#[derive(Clone, Debug)]
struct Captured {
    id: u64,
    name: &'static str,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Records every span and every value recorded on it later.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<Captured>>>);

impl Spans {
    fn named(&self, name: &str) -> Vec<Captured> {
        let all = self.0.lock().unwrap();
        all.iter().filter(|s| s.name == name).cloned().collect()
    }

    fn all_values(&self) -> String {
        let all = self.0.lock().unwrap();
        all.iter()
            .flat_map(|s| s.fields.values().cloned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S> Layer<S> for Spans
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|parent| parent.id().into_u64());
        self.0.lock().unwrap().push(Captured {
            id: id.into_u64(),
            name: attrs.metadata().name(),
            parent,
            fields,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut all = self.0.lock().unwrap();
        // Ids are reused once a span closes: the latest span with this id is the live one.
        if let Some(span) = all.iter_mut().rev().find(|s| s.id == id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }
}

/// Installs a capturing subscriber for this (current-thread) test.
/// One capturing test at a time, all through one global subscriber: a thread-local one
/// (`set_default`) lost the token span about 1 run in 7 under load, tracing's per-callsite
/// interest cache being shared by the test threads.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The spans recorded by the global subscriber, installed by the first capture.
static SPANS: std::sync::OnceLock<Spans> = std::sync::OnceLock::new();

/// Held for a whole test, from before its sandbox starts: no other test sends anything
/// meanwhile, so every span recorded is this test's.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// The spans recorded from now on (call [`one_at_a_time`] first).
fn capture() -> (Spans, ()) {
    let spans = SPANS
        .get_or_init(|| {
            let spans = Spans::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(spans.clone()),
            )
            .expect("the only global subscriber of this test binary");
            spans
        })
        .clone();
    spans.0.lock().unwrap().clear();
    (spans, ())
}

/// A hook of the service's own: it records the operation and the `Authorization` header it
/// saw in `prepare`, and counts the exchanges it took part in.
/// What the hook saw in `prepare`: the operation id and the `Authorization` header.
type Seen = Vec<(String, Option<String>)>;

#[derive(Clone, Default)]
struct Audit {
    prepared: Arc<Mutex<Seen>>,
    sends: Arc<Mutex<Vec<String>>>,
}

impl RequestHook for Audit {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        let authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.prepared
            .lock()
            .unwrap()
            .push((info.operation_id.to_owned(), authorization));
        request
            .headers_mut()
            .insert("x-tenant", "acme".parse().unwrap());
        Box::pin(async { Ok(()) })
    }

    fn send<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a OperationInfo,
        next: Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.sends
            .lock()
            .unwrap()
            .push(info.operation_id.to_owned());
        next.run(request, info)
    }
}

#[tokio::test]
async fn a_quote_is_an_operation_span_around_its_token_and_http_spans_without_secrets() {
    let _serial = one_at_a_time().await;
    let sandbox = common::sandbox().await;
    let audit = Audit::default();
    let carbonext = common::builder(&sandbox)
        .hook(audit.clone())
        .build()
        .unwrap();
    let (spans, _guard) = capture();

    carbonext
        .quote("1".parse().unwrap(), Currency::Brl)
        .await
        .expect("a quote");

    let operations = spans.named("carbonext.operation");
    let [operation] = operations.as_slice() else {
        panic!("one operation span: {operations:?}")
    };
    assert_eq!(operation.field("carbonext.operation"), Some("get_price"));
    assert_eq!(operation.field("carbonext.attempts"), Some("1"));
    assert_eq!(operation.field("error.type"), None);

    let tokens = spans.named("carbonext.token");
    let [token] = tokens.as_slice() else {
        panic!("one token request: {tokens:?}")
    };
    assert_eq!(token.parent, Some(operation.id), "inside the operation");
    assert_eq!(token.field("http.request.method"), Some("POST"));
    assert_eq!(token.field("server.address"), Some("127.0.0.1"));
    assert_eq!(token.field("http.response.status_code"), Some("200"));
    let token_path = reqwest::Url::parse(&sandbox.token_url()).unwrap();
    assert_eq!(token.field("url.path"), Some(token_path.path()));

    let exchanges = spans.named("carbonext.http");
    let [http] = exchanges.as_slice() else {
        panic!("one HTTP exchange: {exchanges:?}")
    };
    assert_eq!(http.parent, Some(operation.id), "inside the operation");
    assert_eq!(http.field("carbonext.operation_id"), Some("get_price"));
    assert_eq!(http.field("http.request.method"), Some("GET"));
    assert_eq!(http.field("server.address"), Some("127.0.0.1"));
    let api = reqwest::Url::parse(&sandbox.api_url()).unwrap();
    assert_eq!(
        http.field("server.port"),
        Some(api.port().unwrap().to_string().as_str())
    );
    assert_eq!(http.field("url.path"), Some("/v1/prices"));
    assert_eq!(http.field("http.response.status_code"), Some("200"));
    assert_eq!(http.field("http.request.resend_count"), None);

    // The service's hook saw the signed request; no span holds the token or the secret.
    let prepared = audit.prepared.lock().unwrap().clone();
    let bearer = prepared
        .iter()
        .find_map(|(id, auth)| (id == "get_price").then_some(auth.clone()))
        .flatten()
        .expect("the hook runs after authentication");
    let token_value = bearer.strip_prefix("Bearer ").expect("a bearer token");
    let values = spans.all_values();
    assert!(!values.contains(token_value), "token in a span: {values}");
    assert!(
        !values.contains(&sandbox.client_secret()),
        "secret in a span"
    );
    assert!(!values.contains("vcu-amount"), "query string in a span");
}

#[tokio::test]
async fn a_refused_token_is_a_401_exchange_then_a_resend_seen_by_the_services_hook() {
    let _serial = one_at_a_time().await;
    let sandbox = common::sandbox().await;
    let audit = Audit::default();
    let carbonext = common::builder(&sandbox)
        .hook(audit.clone())
        .build()
        .unwrap();
    carbonext.authenticate().await.unwrap();
    sandbox.faults().revoke_all_tokens();
    let (spans, _guard) = capture();

    carbonext
        .quote("1".parse().unwrap(), Currency::Brl)
        .await
        .expect("resent with a new token");

    let exchanges = spans.named("carbonext.http");
    let [refused, resent] = exchanges.as_slice() else {
        panic!("two exchanges: {exchanges:?}")
    };
    assert_eq!(refused.field("http.response.status_code"), Some("401"));
    assert_eq!(refused.field("error.type"), Some("401"));
    assert_eq!(refused.field("http.request.resend_count"), None);
    assert_eq!(resent.field("http.response.status_code"), Some("200"));
    assert_eq!(resent.field("http.request.resend_count"), Some("1"));
    let [operation] = spans.named("carbonext.operation").try_into().unwrap();
    assert_eq!(
        operation.field("carbonext.attempts"),
        Some("1"),
        "the resend is part of one attempt"
    );
    assert_eq!(spans.named("carbonext.token").len(), 1, "one new token");
    // The service's own hook took part in both exchanges (it runs inside authentication).
    assert_eq!(*audit.sends.lock().unwrap(), ["get_price", "get_price"]);
}

#[tokio::test]
async fn an_order_span_carries_its_key_and_a_rejection_its_trace_id() {
    let _serial = one_at_a_time().await;
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    carbonext.authenticate().await.unwrap();
    let (spans, _guard) = capture();

    let key = OrderKey::new("observability_0001").unwrap();
    let order = NewOrder::builder("2".parse().unwrap())
        .key(key.clone())
        .build()
        .unwrap();
    carbonext.place_order(order).await.expect("placed");
    let placed = spans
        .named("carbonext.operation")
        .into_iter()
        .find(|s| s.field("carbonext.operation") == Some("create_order"))
        .expect("a create_order span");
    assert_eq!(placed.field("carbonext.order_key"), Some(key.as_str()));
    assert_eq!(placed.field("carbonext.attempts"), Some("1"));

    let missing = OrderId::from(uuid::Uuid::new_v4());
    let err = carbonext.cancel_order(missing).await.unwrap_err();
    let Error::Api(rejection) = &err else {
        panic!("a rejection: {err:?}")
    };
    let cancel = spans
        .named("carbonext.operation")
        .into_iter()
        .find(|s| s.field("carbonext.operation") == Some("cancel_order"))
        .expect("a cancel_order span");
    assert_eq!(cancel.field("error.type"), Some("api"));
    let http = spans
        .named("carbonext.http")
        .into_iter()
        .find(|s| s.parent == Some(cancel.id))
        .expect("its exchange");
    assert_eq!(
        http.field("http.response.status_code"),
        Some(rejection.status.to_string().as_str())
    );
    let trace_id = rejection
        .trace_id
        .as_deref()
        .expect("the sandbox sends one");
    assert_eq!(http.field("carbonext.trace_id"), Some(trace_id));
}
