//! Helpers shared by the integration tests: fixtures, exact-number comparison and a
//! recording HTTP peer on 127.0.0.1.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The text of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The member name marking a number in the values [`json`] builds.
pub const NUMBER: &str = "$number";

/// Parses JSON text keeping every number's exact text: each number becomes
/// `{"$number": "<its text>"}` ([`NUMBER`]), since a plain `serde_json::Value` holds numbers as
/// `f64` (`2.200` would read as `2.2`). Strings, objects and arrays are as usual.
pub fn json(text: &str) -> Value {
    let raw: &serde_json::value::RawValue =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    exact(raw)
}

fn exact(raw: &serde_json::value::RawValue) -> Value {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'{') => {
            let members: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
                serde_json::from_str(text).unwrap();
            Value::Object(members.into_iter().map(|(k, v)| (k, exact(v))).collect())
        }
        Some(b'[') => {
            let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).unwrap();
            Value::Array(items.into_iter().map(exact).collect())
        }
        Some(b'-' | b'0'..=b'9') => number(text),
        _ => serde_json::from_str(text).unwrap(),
    }
}

/// The marked form of a number's text (see [`json`]).
pub fn number(text: &str) -> Value {
    serde_json::json!({ NUMBER: text })
}

/// The exact text of a number [`json`] marked, `None` for anything else.
pub fn number_text(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(NUMBER)?.as_str(),
        _ => None,
    }
}

/// Every number in `value` (as [`json`] parses it), with its JSON pointer and its text.
pub fn numbers(value: &Value) -> Vec<(String, String)> {
    fn walk(value: &Value, path: String, out: &mut Vec<(String, String)>) {
        if let Some(text) = number_text(value) {
            out.push((path, text.to_owned()));
            return;
        }
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{path}/{i}"), out);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    walk(item, format!("{path}/{key}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// `value` serialised by serde_json (the client's own writer) and read back by [`json`].
pub fn encoded<T: serde::Serialize>(value: &T) -> Value {
    json(&serde_json::to_string(value).unwrap())
}

/// Differences between an original JSON document and its decode → encode round trip.
///
/// Only what the typed model keeps is compared: a member missing from `reencoded` is fine
/// unless it held a number (every number must survive, digit for digit); a member present
/// only in `reencoded` must be `null` (encoding must not invent data); everything both have
/// must be equal, numbers compared by their text (`2.200` is not `2.2`).
pub fn round_trip_differences(original: &Value, reencoded: &Value) -> Vec<String> {
    fn walk(original: &Value, reencoded: &Value, path: &str, out: &mut Vec<String>) {
        if let (Some(a), Some(b)) = (number_text(original), number_text(reencoded)) {
            if a != b {
                out.push(format!("{path}: number {a} re-encoded as {b}"));
            }
            return;
        }
        match (original, reencoded) {
            (Value::Object(a), Value::Object(b)) => {
                for (key, value) in a {
                    let here = format!("{path}/{key}");
                    match b.get(key) {
                        Some(other) => walk(value, other, &here, out),
                        None => {
                            for (at, n) in numbers(value) {
                                out.push(format!("{here}{at}: number {n} dropped"));
                            }
                        }
                    }
                }
                for (key, value) in b {
                    if !a.contains_key(key) && !value.is_null() {
                        out.push(format!("{path}/{key}: {value} added"));
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    walk(x, y, &format!("{path}/{i}"), out);
                }
            }
            (a, b) => {
                if a != b {
                    out.push(format!("{path}: {a} re-encoded as {b}"));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(original, reencoded, "", &mut out);
    out
}

/// What the test peer received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    /// The raw query string, `None` when the URL had no `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    pub fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// A canned answer of the test peer.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn json(body: impl Into<String>) -> Self {
        Self::new(StatusCode::OK, "application/json", body.into().into_bytes())
    }

    pub fn new(status: StatusCode, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            body: body.into(),
        }
    }
}

/// An HTTP peer on 127.0.0.1 that records every request and answers each with the same
/// canned response.
pub struct Peer {
    pub url: String,
    received: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Peer {
    pub async fn start(canned: Canned) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let state = (received.clone(), canned);
        let app = axum::Router::new()
            .fallback(
                |axum::extract::State((log, canned)): axum::extract::State<(
                    Arc<Mutex<Vec<Recorded>>>,
                    Canned,
                )>,
                 method: Method,
                 uri: Uri,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    log.lock().unwrap().push(Recorded {
                        method,
                        path: uri.path().to_owned(),
                        query: uri.query().map(str::to_owned),
                        headers,
                        body,
                    });
                    answer(&canned)
                },
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            received,
            task,
        }
    }

    /// Every request received so far, oldest first.
    pub fn received(&self) -> Vec<Recorded> {
        self.received.lock().unwrap().clone()
    }

    /// The one request received; fails when there were none or several.
    pub fn only_request(&self) -> Recorded {
        let all = self.received();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:#?}");
        all.into_iter().next().unwrap()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(canned: &Canned) -> Response {
    (
        canned.status,
        [(axum::http::header::CONTENT_TYPE, canned.content_type)],
        canned.body.clone(),
    )
        .into_response()
}
