//! A scripted token endpoint and API on 127.0.0.1 for the cases the sandbox cannot produce
//! (a token endpoint that fails, an API that answers 401 to everything), with server-side
//! holds so that tests order events without sleeping: a token request held until the test
//! releases it, API requests answered in rounds once a whole round has arrived.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

/// One scripted answer of the token endpoint.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A new token `tok-<n>` living this many seconds.
    Token { expires_in: i64 },
    /// This status and JSON body.
    Json(u16, &'static str),
    /// This status and a `Retry-After` header.
    RetryAfter(u16, u64),
    /// Wait, then answer the next scripted answer.
    Delay(Duration, Box<Answer>),
    /// Tell [`Scripted::held`] the request has arrived, wait for [`Scripted::release`], then
    /// answer the next scripted answer.
    Held(Box<Answer>),
}

#[derive(Default)]
struct Script {
    queue: Mutex<VecDeque<Answer>>,
    otherwise: Mutex<Option<Answer>>,
    token_requests: AtomicU64,
    api_requests: AtomicU64,
    issued: Mutex<Vec<String>>,
    forms: Mutex<Vec<(String, String)>>,
    /// Notified when a held token request arrives.
    arrived: tokio::sync::Notify,
    /// Notified to let a held token request be answered.
    released: tokio::sync::Notify,
    /// When set, `GET /v1/prices` answers only once this many requests are waiting.
    rounds: Mutex<Option<Arc<tokio::sync::Barrier>>>,
    /// The `Authorization` header of every `GET /v1/prices`, in order of arrival.
    api_authorizations: Mutex<Vec<String>>,
}

/// A running scripted server.
#[derive(Clone)]
pub struct Scripted {
    addr: SocketAddr,
    script: Arc<Script>,
}

impl Scripted {
    /// Starts a server whose token endpoint answers `queue` in order, then `otherwise`
    /// forever; its API (`GET /v1/prices`) always answers 401.
    pub async fn start(queue: Vec<Answer>, otherwise: Answer) -> Self {
        let script = Arc::new(Script::default());
        *script.queue.lock().unwrap() = queue.into();
        *script.otherwise.lock().unwrap() = Some(otherwise);
        let app = Router::new()
            .route("/token", post(token))
            .route("/v1/prices", get(always_unauthorized))
            .route("/v1/calculators/types", get(needs_a_bearer))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, script }
    }

    pub fn token_url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token_requests(&self) -> u64 {
        self.script.token_requests.load(Ordering::SeqCst)
    }

    pub fn api_requests(&self) -> u64 {
        self.script.api_requests.load(Ordering::SeqCst)
    }

    /// Every token value issued so far.
    pub fn issued(&self) -> Vec<String> {
        self.script.issued.lock().unwrap().clone()
    }

    /// Content type and body of every token request received.
    pub fn forms(&self) -> Vec<(String, String)> {
        self.script.forms.lock().unwrap().clone()
    }

    /// Waits until a [`Answer::Held`] token request has arrived (returns at once if one
    /// arrived before this call).
    pub async fn held(&self) {
        self.script.arrived.notified().await;
    }

    /// Lets a held token request be answered (now, or as soon as it arrives).
    pub fn release(&self) {
        self.script.released.notify_one();
    }

    /// From now on `GET /v1/prices` answers (401, as always) in rounds: each request waits
    /// until `size` requests are waiting, then all of them are answered.
    pub fn answer_api_in_rounds_of(&self, size: usize) {
        *self.script.rounds.lock().unwrap() = Some(Arc::new(tokio::sync::Barrier::new(size)));
    }

    /// The `Authorization` header of every `GET /v1/prices` so far (`""` when none).
    pub fn api_authorizations(&self) -> Vec<String> {
        self.script.api_authorizations.lock().unwrap().clone()
    }

    /// Replaces what the endpoint answers once the queue is empty.
    pub fn set_otherwise(&self, answer: Answer) {
        *self.script.otherwise.lock().unwrap() = Some(answer);
    }
}

async fn token(
    axum::extract::State(script): axum::extract::State<Arc<Script>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    script
        .forms
        .lock()
        .unwrap()
        .push((content_type, String::from_utf8_lossy(&body).into_owned()));
    let n = script.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
    let next = script.queue.lock().unwrap().pop_front();
    let mut answer = next.unwrap_or_else(|| script.otherwise.lock().unwrap().clone().unwrap());
    let answer = loop {
        answer = match answer {
            Answer::Delay(delay, inner) => {
                tokio::time::sleep(delay).await;
                *inner
            }
            Answer::Held(inner) => {
                script.arrived.notify_one();
                script.released.notified().await;
                *inner
            }
            ready => break ready,
        };
    };
    match answer {
        Answer::Token { expires_in } => {
            let value = format!("tok-{n}-{}", std::process::id());
            script.issued.lock().unwrap().push(value.clone());
            let body = serde_json::json!({
                "access_token": value,
                "expires_in": expires_in,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "profile email roles",
            });
            axum::Json(body).into_response()
        }
        Answer::Json(status, body) => (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
            .into_response(),
        Answer::RetryAfter(status, seconds) => (
            StatusCode::from_u16(status).unwrap(),
            [("retry-after", seconds.to_string())],
            "slow down",
        )
            .into_response(),
        Answer::Delay(..) | Answer::Held(..) => unreachable!(),
    }
}

async fn always_unauthorized(
    axum::extract::State(script): axum::extract::State<Arc<Script>>,
    headers: axum::http::HeaderMap,
) -> Response {
    script.api_requests.fetch_add(1, Ordering::SeqCst);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    script
        .api_authorizations
        .lock()
        .unwrap()
        .push(authorization.to_owned());
    let round = script.rounds.lock().unwrap().clone();
    if let Some(round) = round {
        round.wait().await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [("www-authenticate", "Bearer error=\"invalid_token\"")],
        "",
    )
        .into_response()
}

/// 401 without a bearer token, an empty list of calculator types with one.
async fn needs_a_bearer(
    axum::extract::State(script): axum::extract::State<Arc<Script>>,
    headers: axum::http::HeaderMap,
) -> Response {
    script.api_requests.fetch_add(1, Ordering::SeqCst);
    if headers.contains_key("authorization") {
        axum::Json(serde_json::json!({ "types": [] })).into_response()
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

pub const INVALID_CLIENT: &str = r#"{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}"#;
